//! The message ids of the dashboard's stock texts (`sync-server/locales/*/desk-pages.ftl`); a page writes one with `t!(locale, id)`.

use crate::spares::ReplenishmentState;

pub const TITLE: &str = "stock-title";
pub const RULE: &str = "stock-rule";
pub const VANS: &str = "stock-vans";
pub const VAN_COLUMNS: [&str; 7] = [
    "stock-van-columns-1",
    "stock-van-columns-2",
    "stock-van-columns-3",
    "stock-van-columns-4",
    "stock-van-columns-5",
    "stock-van-columns-6",
    "stock-van-columns-7",
];
pub const DIFFERS: &str = "stock-differs";
pub const NONE: &str = "stock-none";
pub const TECHNICIAN: &str = "stock-technician";
pub const SKU: &str = "stock-sku";
pub const MINIMUM: &str = "stock-minimum";
pub const MINIMUM_BAD: &str = "stock-minimum-bad";
pub const SET: &str = "stock-set";
pub const REPLENISHMENTS: &str = "stock-replenishments";
pub const REQUEST_COLUMNS: [&str; 7] = [
    "stock-request-columns-1",
    "stock-request-columns-2",
    "stock-request-columns-3",
    "stock-request-columns-4",
    "stock-request-columns-5",
    "stock-request-columns-6",
    "stock-request-columns-7",
];
pub const APPROVE: &str = "stock-approve";
pub const ISSUE: &str = "stock-issue";
pub const LOANERS: &str = "stock-loaners";
pub const LOANER_COLUMNS: [&str; 6] = [
    "stock-loaner-columns-1",
    "stock-loaner-columns-2",
    "stock-loaner-columns-3",
    "stock-loaner-columns-4",
    "stock-loaner-columns-5",
    "stock-loaner-columns-6",
];
pub const JOB: &str = "stock-job";
pub const OVERDUE: &str = "stock-overdue";
pub const OUT: &str = "stock-out";

pub fn state(s: ReplenishmentState) -> &'static str {
    match s {
        ReplenishmentState::Raised => "stock-state-raised",
        ReplenishmentState::Approved => "stock-state-approved",
        ReplenishmentState::Issued => "stock-state-issued",
        ReplenishmentState::Received => "stock-state-received",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_the_catalogue_in_every_locale() {
        let all: &[&[&str]] = &[
            &[TITLE],
            &[RULE],
            &[VANS],
            &VAN_COLUMNS,
            &[DIFFERS],
            &[NONE],
            &[TECHNICIAN],
            &[SKU],
            &[MINIMUM],
            &[MINIMUM_BAD],
            &[SET],
            &[REPLENISHMENTS],
            &REQUEST_COLUMNS,
            &[APPROVE],
            &[ISSUE],
            &[LOANERS],
            &LOANER_COLUMNS,
            &[JOB],
            &[OVERDUE],
            &[OUT],
            &[
                state(ReplenishmentState::Raised),
                state(ReplenishmentState::Approved),
                state(ReplenishmentState::Issued),
                state(ReplenishmentState::Received),
            ],
        ];
        for id in all.iter().flat_map(|ids| ids.iter()) {
            for l in crate::i18n::Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
