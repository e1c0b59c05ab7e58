//! The work-order and visit state machines. Pure rules: every transition is a function from
//! a state and an action to the new state or a typed [`Refusal`] that says why.
//!
//! A work order moves Assigned → Accepted → Confirmed (pre-visit call) → Visiting →
//! Completed | AwaitingReturn (taken back) | NoAccess, and may be rescheduled or cancelled.
//! While it is Confirmed or Visiting it has one open visit, which moves Planned → EnRoute →
//! Arrived → Working ⇄ Paused → Ended(outcome). [`Job`] moves the two together so they can
//! never disagree.

mod job;
mod order;
mod visit;

pub use job::{Job, JobAction, JobStatus};
pub use order::OrderAction;
pub use visit::VisitAction;

/// Why a transition was refused. The message is for the technician; it never carries
/// customer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} while the {subject} is {state}: {hint}")]
pub struct Refusal {
    /// What was attempted, in the technician's words ("arrive", "start work"…).
    pub action: &'static str,
    /// "job" or "visit".
    pub subject: &'static str,
    /// The state it was in.
    pub state: &'static str,
    /// What to do instead, or why it is not possible.
    pub hint: &'static str,
}

#[cfg(test)]
mod tests;
