//! What registered tools store (migration 0012 in this branch, to become 0013 at the merge
//! after `0012_desk_language`): one JSON record per tool issued, with the columns queried
//! beside it; at most one issued tool per asset number (a partial unique index). Both
//! backends implement [`ToolStorage`]; the rules live in [`crate::tools`].

use super::Fut;
use crate::tools::{Tool, ToolState};

/// The registered tools' storage.
pub trait ToolStorage: Send + Sync {
    /// Registers an issued tool. `Conflict` when an issued tool has its asset number
    /// (nothing is written then).
    fn issue_tool(&self, t: Tool) -> Fut<'_, ()>;
    /// The tools, one technician's or everyone's, the newest issue first.
    fn tools(&self, technician_id: Option<String>) -> Fut<'_, Vec<Tool>>;
    /// One tool.
    fn tool(&self, id: String) -> Fut<'_, Option<Tool>>;
    /// Replaces a tool still `issued` with `t` (returned or lost). `NotFound` without such a
    /// tool, `Conflict` when it is no longer issued (nothing is written then).
    fn close_tool(&self, t: Tool, now: i64) -> Fut<'_, ()>;
}

/// The `Conflict` of an asset number already out.
pub(crate) fn asset_out() -> super::StorageError {
    super::StorageError::Conflict(crate::msg!("err-tool-asset-out"))
}

/// The `Conflict` of a tool no longer issued.
pub(crate) fn not_issued() -> super::StorageError {
    super::StorageError::Conflict(crate::msg!("err-tool-not-issued"))
}

/// The state a closing may start from.
pub(crate) const OPEN: ToolState = ToolState::Issued;
