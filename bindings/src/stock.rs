//! The van's stock check (盘点) and the replenishments the desk issues to the van (pulled)
//! with their receipt: thin adapters over `fieldkit_core::api::parts`.
//!
//! 004 一 第9章 第34条 (stock checked and replenished regularly); 004 二 第11条 (every
//! movement in and out registered).

use fieldkit_core::api as core_api;

use crate::convert::{ms, ms_opt};
use crate::error::Result;
use crate::kit::FieldKit;

/// One part counted in a stock check: a catalogue SKU and how many are in the van (0–10000).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StockCount {
    pub sku: String,
    pub counted: i64,
}

/// A counted part against the van's own ledger. The van's stock is not changed by a count:
/// the count syncs, and the server flags it (a sync conflict, `stock_count_differs`) when it
/// differs from the server's ledger; the desk reconciles.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CountResult {
    pub sku: String,
    pub counted: i64,
    /// What the van's ledger held when counted.
    pub expected: i64,
}

/// Parts the desk issued to this van (pulled by a sync), and when they were received.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Replenishment {
    /// The desk's request id (what `receive_replenishment` takes).
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub issued_at_ms: i64,
    /// None until received on this device.
    pub received_at_ms: Option<i64>,
}

impl From<core_api::Replenishment> for Replenishment {
    fn from(r: core_api::Replenishment) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            quantity: r.quantity,
            issued_at_ms: ms(r.issued_at),
            received_at_ms: ms_opt(r.received_at),
        }
    }
}

#[uniffi::export]
impl FieldKit {
    /// Records a stock check (盘点): each catalogue part at most once, 1–500 lines, 0–10000
    /// each. Returns each count with what the van's ledger held; the stock is unchanged.
    /// `Validation` for a bad count, `NotFound` for a SKU not in the catalogue.
    pub fn count_stock(&self, counts: Vec<StockCount>) -> Result<Vec<CountResult>> {
        let counts: Vec<core_api::StockCount> = counts
            .into_iter()
            .map(|c| core_api::StockCount {
                sku: c.sku,
                counted: c.counted,
            })
            .collect();
        Ok(self
            .core
            .count_stock(&counts)?
            .into_iter()
            .map(|r| CountResult {
                sku: r.sku,
                counted: r.counted,
                expected: r.expected,
            })
            .collect())
    }

    /// The replenishments the desk issued to this van, the newest first.
    pub fn replenishments(&self) -> Result<Vec<Replenishment>> {
        Ok(self
            .core
            .replenishments()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The issued replenishment is in the van: its parts join the stock (returned: the part's
    /// new stock) and the receipt syncs, which closes the desk's request. `NotFound` for a
    /// request never pulled; `Validation` (field `replenishment`) when already received.
    pub fn receive_replenishment(&self, id: String) -> Result<i64> {
        Ok(self.core.receive_replenishment(&id)?)
    }
}
