//! What spare parts on the server store (migration 0010 in this branch, to become 0011 at the
//! merge): the desk's minimum levels per van and part and the replenishment requests (one
//! JSON record each with the columns queried beside it; at most one open request per van and
//! part, by a partial unique index). The van stock itself is not stored twice: it is folded
//! from the stored ops ([`crate::spares::ledger`]). Both backends implement
//! [`SpareStorage`].

use super::Fut;
use crate::spares::ledger::LedgerRow;
use crate::spares::{Replenishment, ReplenishmentState, StockMinimum};
use fieldkit_core::sync::protocol::Change;

/// The spare parts' storage.
pub trait SpareStorage: Send + Sync {
    /// The stored ops the ledger folds (stock ops, parts used, take-backs, loaners returned;
    /// not the rejected ones), one technician's or everyone's, in the order received.
    fn ledger_rows(&self, technician_id: Option<String>) -> Fut<'_, Vec<LedgerRow>>;
    /// Sets (or, with 0, removes) a minimum level.
    fn set_minimum(&self, m: StockMinimum, by: String, at: i64) -> Fut<'_, ()>;
    /// The minimum levels, one technician's or everyone's.
    fn minimums(&self, technician_id: Option<String>) -> Fut<'_, Vec<StockMinimum>>;
    /// Stores a raised request; `false` when one is open for its van and part (nothing is
    /// written then).
    fn raise_replenishment(&self, r: Replenishment) -> Fut<'_, bool>;
    /// The requests, one technician's or everyone's, the newest first.
    fn replenishments(&self, technician_id: Option<String>) -> Fut<'_, Vec<Replenishment>>;
    /// One request.
    fn replenishment(&self, id: String) -> Fut<'_, Option<Replenishment>>;
    /// Replaces a request that is still in `from` with `r` and, in the same transaction,
    /// queues `change` for its technician's devices. `Conflict` when it moved meanwhile,
    /// `NotFound` when there is no such request.
    fn advance_replenishment(
        &self,
        r: Replenishment,
        from: ReplenishmentState,
        change: Option<Change>,
        now: i64,
    ) -> Fut<'_, ()>;
}

/// The SQL both backends use to read ledger rows (`$1`/`?1`: the technician or NULL).
pub(crate) const LEDGER_WHERE: &str = "outcome <> 'rejected'
    AND (entity = 'stock' OR kind IN ('record_part', 'take_back', 'return_loaner'))";
