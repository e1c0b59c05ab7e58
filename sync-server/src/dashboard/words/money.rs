//! The message ids of the dashboard's money texts (`sync-server/locales/*/desk-pages.ftl`); a page writes one with `t!(locale, id)`.

use crate::desk::invoices::InvoiceStatus;

pub const TITLE: &str = "money-title";
pub const HANDIN: &str = "money-handin";
pub const TECHNICIAN: &str = "money-technician";
pub const DAY: &str = "money-day";
pub const AMOUNT: &str = "money-amount";
pub const AMOUNT_HINT: &str = "money-amount-hint";
pub const AMOUNT_BAD: &str = "money-amount-bad";
pub const NOTE: &str = "money-note";
pub const RECORD: &str = "money-record";
pub const RECONCILIATION: &str = "money-reconciliation";
pub const INVOICES: &str = "money-invoices";
pub const INVOICES_RULE: &str = "money-invoices-rule";
pub const OVERDUE: &str = "money-overdue";
pub const DUE: &str = "money-due";
pub const ISSUED: &str = "money-issued";
pub const NONE: &str = "money-none";
pub const NUMBER: &str = "money-number";
pub const ISSUED_ON: &str = "money-issued-on";
pub const ISSUE: &str = "money-issue";
pub const INVOICE_COLUMNS: [&str; 7] = [
    "money-invoice-columns-1",
    "money-invoice-columns-2",
    "money-invoice-columns-3",
    "money-invoice-columns-4",
    "money-invoice-columns-5",
    "money-invoice-columns-6",
    "money-invoice-columns-7",
];

/// An invoice's status.
pub fn status(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Due => "money-status-due",
        InvoiceStatus::Overdue => "money-status-overdue",
        InvoiceStatus::Issued => "money-status-issued",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_the_catalogue_in_every_locale() {
        let all: &[&[&str]] = &[
            &[TITLE],
            &[HANDIN],
            &[TECHNICIAN],
            &[DAY],
            &[AMOUNT],
            &[AMOUNT_HINT],
            &[AMOUNT_BAD],
            &[NOTE],
            &[RECORD],
            &[RECONCILIATION],
            &[INVOICES],
            &[INVOICES_RULE],
            &[OVERDUE],
            &[DUE],
            &[ISSUED],
            &[NONE],
            &[NUMBER],
            &[ISSUED_ON],
            &[ISSUE],
            &INVOICE_COLUMNS,
            &[
                status(InvoiceStatus::Due),
                status(InvoiceStatus::Overdue),
                status(InvoiceStatus::Issued),
            ],
        ];
        for id in all.iter().flat_map(|ids| ids.iter()) {
            for l in crate::i18n::Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
