//! The work-order and visit state machines. Pure rules: every transition is a function from
//! a state and an action to the new state or a typed [`Refusal`] that says why.
//!
//! A work order moves Assigned → Accepted → Confirmed (pre-visit call) → Visiting →
//! Completed | AwaitingReturn (taken back) | NoAccess, and may be rescheduled or cancelled.
//! While it is Confirmed or Visiting it has one open visit, which moves Planned → EnRoute →
//! Arrived → Working ⇄ Paused → Ended(outcome). [`Job`] moves the two together so they can
//! never disagree.

use std::fmt;

use crate::i18n::{Locale, Said};

mod job;
mod order;
mod visit;

pub use job::{Job, JobAction, JobStatus};
pub use order::OrderAction;
pub use visit::VisitAction;

/// Why a transition was refused. The message ([`Refusal::reason`]; `Display` is the English
/// one) is for the technician; it never carries customer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

impl Refusal {
    /// The refusal as a message of the phone's catalogue: `wf-refused` with what was
    /// attempted, the state and what to do instead (each a word `wf-action-…`, `wf-subject-…`,
    /// `wf-state-…`, `wf-hint-…`).
    pub fn said(&self) -> Said {
        Said::new("wf-refused")
            .word("action", "wf-action-", self.action)
            .word("subject", "wf-subject-", self.subject)
            .word("state", "wf-state-", self.state)
            .word("hint", "wf-hint-", self.hint)
    }

    /// The refusal in `locale`: what was attempted, the state, what to do instead.
    pub fn reason(&self, locale: Locale) -> String {
        self.said().render(locale)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}

#[cfg(test)]
mod tests;
