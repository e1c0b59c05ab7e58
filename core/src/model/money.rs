//! Settling a paid visit (结算费用): the amount, how it was paid, the receipt or invoice
//! number, and when the invoice is due when none was issued on site. The rule is shared: the
//! phone's `settle` and the server's judge both call [`settlement_problem`].
//!
//! Sources: 004 一 第5章 第19条(4) "维修完毕结算费用。较低费用可当场收取…否则，应于3天凭'售后服务
//! 凭证'至财务处开具发票"; 004 八 第4条(16) "如果向不符合上门维修或保修条件的客户收取费用，必须给
//! 客户开具收费凭证".

use serde::{Deserialize, Serialize};

use super::{Cents, SettlementId, Timestamp, VisitId};

/// The most one settlement may be: ¥100,000.00 (a typing slip, not a sale, beyond that).
pub const MAX_SETTLEMENT: Cents = 10_000_000;

/// Days after the settlement within which the invoice is issued when none was issued on site
/// (004 一 第5章 第19条(4) "应于3天…开具发票").
pub const INVOICE_DUE_DAYS: i64 = 3;

/// The id of the checklist step a settlement answers.
pub const FEE_SETTLED_STEP: &str = "fee_settled";

/// How the customer paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 现金.
    Cash,
    /// 刷卡.
    Card,
    /// 转账.
    Transfer,
    /// 扫码 (a QR payment).
    Qr,
}

impl PaymentMethod {
    /// Every method (appended, never reordered).
    pub const ALL: [PaymentMethod; 4] = [Self::Cash, Self::Card, Self::Transfer, Self::Qr];

    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::Card => "card",
            Self::Transfer => "transfer",
            Self::Qr => "qr",
        }
    }

    /// The method named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// What the technician enters to settle a paid visit. The invoice's due date is never typed:
/// it follows from the settlement's time ([`invoice_due`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// What the customer paid, in fen.
    pub amount: Cents,
    pub method: PaymentMethod,
    /// The receipt or invoice number issued on site (收费凭证); none: an invoice follows.
    pub receipt_no: Option<String>,
    /// Why the amount differs from the consented total; required exactly when it differs.
    pub reason: Option<String>,
}

/// A settlement as recorded on the phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRecord {
    pub id: SettlementId,
    pub visit_id: VisitId,
    pub amount: Cents,
    pub method: PaymentMethod,
    pub receipt_no: Option<String>,
    pub reason: Option<String>,
    /// The total the customer agreed to (the visit's latest agreed fee consent).
    pub consented: Cents,
    /// When the invoice is due: [`INVOICE_DUE_DAYS`] after `at` when no receipt was issued.
    pub invoice_due: Option<Timestamp>,
    pub at: Timestamp,
}

impl SettlementRecord {
    /// The amount paid is not the consented total (the server flags it).
    pub fn differs(&self) -> bool {
        self.amount != self.consented
    }
}

/// When the invoice is due for a settlement made at `at`: [`INVOICE_DUE_DAYS`] later when no
/// receipt or invoice was issued on site, else none.
pub fn invoice_due(at: Timestamp, receipt_no: Option<&str>) -> Option<Timestamp> {
    receipt_no
        .is_none()
        .then(|| at + chrono::Duration::days(INVOICE_DUE_DAYS))
}

/// The `fee_settled` step's choice a settlement answers: `paid_on_site` (a receipt or invoice
/// was issued on site) or `invoice_to_follow`.
pub fn settled_choice(receipt_issued: bool) -> &'static str {
    if receipt_issued {
        "paid_on_site"
    } else {
        "invoice_to_follow"
    }
}

/// What is wrong with a settlement, judged the same way on the phone and on the server
/// (`consented`: each side's own record of the visit's agreed fee consent): the amount more
/// than 0 and at most [`MAX_SETTLEMENT`]; a receipt number of 1–64 characters when given; a
/// reason of 1–500 characters when given, and given exactly when the amount differs from the
/// consented total.
pub fn settlement_problem(
    amount: Cents,
    receipt_no: Option<&str>,
    reason: Option<&str>,
    consented: Cents,
) -> Option<&'static str> {
    if amount <= 0 {
        return Some("the amount must be more than 0");
    }
    if amount > MAX_SETTLEMENT {
        return Some("the amount is more than 100000.00");
    }
    if let Some(r) = receipt_no {
        let r = r.trim();
        if r.is_empty() || r.chars().count() > 64 {
            return Some("the receipt number must be 1 to 64 characters");
        }
    }
    if let Some(r) = reason {
        let r = r.trim();
        if r.is_empty() || r.chars().count() > 500 {
            return Some("the reason must be 1 to 500 characters");
        }
    }
    match (amount == consented, reason.is_some()) {
        (false, false) => Some("the amount differs from the consented total: give the reason"),
        (true, true) => Some("the amount is the consented total: no reason is needed"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_bounds_amount_receipt_and_reason() {
        let ok = |a, r: Option<&str>, why: Option<&str>| settlement_problem(a, r, why, 13_000);
        assert_eq!(ok(13_000, Some("R-1"), None), None);
        assert_eq!(ok(13_000, None, None), None);
        assert_eq!(ok(12_000, None, Some("discount for the delay")), None);
        assert!(ok(0, None, None).is_some());
        assert!(ok(-1, None, None).is_some());
        assert!(ok(MAX_SETTLEMENT + 1, None, Some("x")).is_some());
        assert_eq!(
            settlement_problem(MAX_SETTLEMENT, None, None, MAX_SETTLEMENT),
            None
        );
        assert!(ok(13_000, Some(" "), None).is_some());
        assert!(ok(13_000, Some(&"R".repeat(65)), None).is_some());
        assert_eq!(ok(13_000, Some(&"票".repeat(64)), None), None);
        assert!(ok(12_000, None, None).is_some());
        assert!(ok(12_000, None, Some("  ")).is_some());
        assert!(ok(12_000, None, Some(&"x".repeat(501))).is_some());
        assert!(ok(13_000, None, Some("no reason needed")).is_some());
    }

    #[test]
    fn the_invoice_is_due_three_days_after_settling_without_a_receipt() {
        let at: Timestamp = "2026-12-04T23:30:00Z".parse().unwrap();
        assert_eq!(
            invoice_due(at, None),
            Some("2026-12-07T23:30:00Z".parse().unwrap())
        );
        assert_eq!(invoice_due(at, Some("R-1")), None);
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(PaymentMethod::parse("bitcoin"), None);
    }
}
