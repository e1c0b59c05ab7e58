//! Spare parts on the server (第9章 第31–34条; 二、备品配件管理制度 第3、11、12条): the
//! server's own ledger of each van's stock, folded from the ops the phones pushed
//! ([`ledger`]), the warehouse view per van and per part, the desk's minimum levels and the
//! replenishment requests raised from usage, approved and issued by the desk and received on
//! the van, and the loaners out with customers (overdue flagged). Pure types and rules here;
//! the desk's side (audit, storage calls) is [`crate::desk::spares`].

pub mod ledger;

use crate::msg;
use crate::msg::Msg;
use serde::{Deserialize, Serialize};

/// Days a loaner may stay with a customer before it is overdue (a house rule: 第12条 sets
/// no period).
pub const LOANER_DAYS: i64 = 14;

/// The most a minimum level may be.
pub const MAX_MINIMUM: i64 = 10_000;

/// Where a replenishment request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplenishmentState {
    /// Raised by the server: usage took the van's stock below its minimum.
    Raised,
    /// The desk approved it.
    Approved,
    /// The desk issued the parts; the van pulls the issue.
    Issued,
    /// The van recorded the parts' receipt: closed.
    Received,
}

impl ReplenishmentState {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raised => "raised",
            Self::Approved => "approved",
            Self::Issued => "issued",
            Self::Received => "received",
        }
    }

    /// zh-CN, then en.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Raised => ("待审批", "raised"),
            Self::Approved => ("已批准", "approved"),
            Self::Issued => ("已发放", "issued"),
            Self::Received => ("已签收", "received"),
        }
    }
}

/// A replenishment request for one part of one van.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replenishment {
    pub id: String,
    pub technician_id: String,
    pub sku: String,
    /// How many are requested: back up to the minimum.
    pub quantity: i64,
    pub state: ReplenishmentState,
    /// The van's stock by the server's ledger, and the minimum, when it was raised.
    pub on_hand: i64,
    pub minimum: i64,
    /// ms since the epoch.
    pub raised_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub issued_by: Option<String>,
    pub issued_at: Option<i64>,
    pub received_at: Option<i64>,
}

/// A minimum level of one part in one van, set by the desk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockMinimum {
    pub technician_id: String,
    pub sku: String,
    /// 0 to [`MAX_MINIMUM`]; 0 removes the level.
    pub minimum: i64,
}

/// What is wrong with a minimum level the desk sends, if anything.
pub fn minimum_problem(m: &StockMinimum) -> Option<Msg> {
    let bad_text = |s: &str| s.trim().is_empty() || s.len() > 64 || s.chars().any(char::is_control);
    if bad_text(&m.technician_id) {
        Some(msg!("err-field-length", field = "technician_id", max = 64))
    } else if bad_text(&m.sku) {
        Some(msg!("err-field-length", field = "sku", max = 64))
    } else if !(0..=MAX_MINIMUM).contains(&m.minimum) {
        Some(msg!("err-minimum-range", max = MAX_MINIMUM))
    } else {
        None
    }
}

/// The request to raise, if the van's stock of a part is below its minimum and no request
/// for it is open. `n` numbers the requests of this van and part (the id is stable, so two
/// servers raising at once store one).
pub fn to_raise(
    technician_id: &str,
    sku: &str,
    on_hand: i64,
    minimum: i64,
    open: bool,
    n: usize,
    now: i64,
) -> Option<Replenishment> {
    if open || minimum <= 0 || on_hand >= minimum {
        return None;
    }
    Some(Replenishment {
        id: format!("rq-{technician_id}-{sku}-{}", n + 1),
        technician_id: technician_id.to_owned(),
        sku: sku.to_owned(),
        quantity: minimum - on_hand,
        state: ReplenishmentState::Raised,
        on_hand,
        minimum,
        raised_at: now,
        approved_by: None,
        approved_at: None,
        issued_by: None,
        issued_at: None,
        received_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_only_below_the_minimum_and_when_none_is_open() {
        assert!(to_raise("t1", "P", 2, 2, false, 0, 5).is_none());
        assert!(to_raise("t1", "P", 1, 2, true, 0, 5).is_none());
        assert!(to_raise("t1", "P", 1, 0, false, 0, 5).is_none());
        let r = to_raise("t1", "P", -1, 3, false, 2, 5).unwrap();
        assert_eq!((r.quantity, r.id.as_str()), (4, "rq-t1-P-3"));
    }

    #[test]
    fn minimums_are_checked() {
        let m = |t: &str, s: &str, n| StockMinimum {
            technician_id: t.into(),
            sku: s.into(),
            minimum: n,
        };
        assert!(minimum_problem(&m("t1", "P", 3)).is_none());
        assert!(minimum_problem(&m("", "P", 3)).is_some());
        assert!(minimum_problem(&m("t1", " ", 3)).is_some());
        assert!(minimum_problem(&m("t1", "P", -1)).is_some());
        assert!(minimum_problem(&m("t1", "P", 10_001)).is_some());
    }
}
