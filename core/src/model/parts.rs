//! Spare parts: the catalog, the van-stock ledger and the parts used on a visit.

use serde::{Deserialize, Serialize};

use super::{PartUsageId, StockMovementId, Timestamp, VisitId};

/// A catalog entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub sku: String,
    pub name: String,
    /// Unit of counting ("pcs", "m"…).
    pub unit: String,
}

/// Why van stock moved. Stock is the sum of movements, never a counter overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Issued from the warehouse to the van (+).
    Issued,
    /// Installed at a customer's (−).
    Used,
    /// Given back to the warehouse (−).
    Returned,
    /// Found defective and written off (−).
    Defective,
}

impl MovementKind {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Used => "used",
            Self::Returned => "returned",
            Self::Defective => "defective",
        }
    }

    /// Parses the name written by [`MovementKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Issued, Self::Used, Self::Returned, Self::Defective]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// +1 for stock coming in, −1 for stock going out.
    pub fn sign(self) -> i64 {
        match self {
            Self::Issued => 1,
            Self::Used | Self::Returned | Self::Defective => -1,
        }
    }
}

/// One line of the van-stock ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockMovement {
    pub id: StockMovementId,
    pub sku: String,
    pub kind: MovementKind,
    /// Always positive; the kind gives the direction.
    pub quantity: i64,
    pub at: Timestamp,
    pub visit_id: Option<VisitId>,
}

/// What happened to the part that was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OldPartFate {
    /// Nothing was replaced (a new fitting).
    None,
    /// Returned to the warehouse.
    Returned,
    /// Scrapped.
    Scrapped,
    /// Left with the customer at their request.
    LeftWithCustomer,
}

impl OldPartFate {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Returned => "returned",
            Self::Scrapped => "scrapped",
            Self::LeftWithCustomer => "left_with_customer",
        }
    }

    /// Parses the name written by [`OldPartFate::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::None,
            Self::Returned,
            Self::Scrapped,
            Self::LeftWithCustomer,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A part installed during a visit (step 12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartUsage {
    pub id: PartUsageId,
    pub visit_id: VisitId,
    pub sku: String,
    pub quantity: i64,
    /// Serial of the new part, when it has one.
    pub new_serial: Option<String>,
    pub old_part: OldPartFate,
    pub old_serial: Option<String>,
    /// The van stock did not hold enough of this part when it was used. Recorded anyway:
    /// the truth is what was installed; the desk reconciles.
    pub stock_short: bool,
    pub at: Timestamp,
}

/// One part a job waits for (待件): a catalogue SKU and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRequest {
    pub sku: String,
    pub quantity: i64,
}

/// The most lines one parts request may hold.
pub const MAX_PARTS_REQUESTED: usize = 20;

/// What is wrong with a parts request, judged the same way on the phone and on the server: at
/// least one line and at most [`MAX_PARTS_REQUESTED`], each SKU once, each quantity 1–10000.
/// (That every SKU is in the parts catalogue each side checks against its own copy of it.)
pub fn parts_request_problem<'a>(
    lines: impl IntoIterator<Item = (&'a str, i64)>,
) -> Option<&'static str> {
    let mut seen = std::collections::BTreeSet::new();
    for (sku, quantity) in lines {
        if !(1..=10_000).contains(&quantity) {
            return Some("a quantity is not between 1 and 10000");
        }
        if !seen.insert(sku) {
            return Some("a part is listed twice");
        }
        if seen.len() > MAX_PARTS_REQUESTED {
            return Some("more than 20 parts in one request");
        }
    }
    if seen.is_empty() {
        return Some("no part is requested");
    }
    None
}
