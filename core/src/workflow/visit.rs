//! The lifecycle of one visit to the customer's home.

use super::Refusal;
use crate::model::{VisitOutcome, VisitStatus};

/// Something that moves a visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VisitAction {
    StartTravel,
    Arrive,
    StartWork,
    Pause,
    Resume,
    Complete,
    TakeBack,
    NoAccess,
    Reschedule,
    Cancel,
    /// A part is missing: the visit ends and the job waits for it (待件).
    AwaitParts,
    /// The customer refuses to sign the service record: the visit ends, flagged.
    RefuseSignature,
    /// The customer declines the quote: the visit ends without paid work.
    DeclineQuote,
    /// Another visit is needed: this one ends with the reason.
    NeedSecondVisit,
    /// The delivered unit is damaged: the visit ends, a redelivery is requested.
    RequestRedelivery,
}

impl VisitAction {
    /// Every action, for exhaustive tests.
    pub const ALL: [VisitAction; 15] = [
        Self::StartTravel,
        Self::Arrive,
        Self::StartWork,
        Self::Pause,
        Self::Resume,
        Self::Complete,
        Self::TakeBack,
        Self::NoAccess,
        Self::Reschedule,
        Self::Cancel,
        Self::AwaitParts,
        Self::RefuseSignature,
        Self::DeclineQuote,
        Self::NeedSecondVisit,
        Self::RequestRedelivery,
    ];

    /// The technician's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::StartTravel => "start travel",
            Self::Arrive => "arrive",
            Self::StartWork => "start work",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Complete => "complete",
            Self::TakeBack => "take the unit back",
            Self::NoAccess => "report no access",
            Self::Reschedule => "reschedule",
            Self::Cancel => "cancel",
            Self::AwaitParts => "wait for parts",
            Self::RefuseSignature => "record a refused signature",
            Self::DeclineQuote => "record a declined quote",
            Self::NeedSecondVisit => "ask for a second visit",
            Self::RequestRedelivery => "request a redelivery",
        }
    }
}

impl VisitStatus {
    /// The status after `action`, or why it is refused.
    pub fn apply(self, action: VisitAction) -> Result<VisitStatus, Refusal> {
        use VisitAction as A;
        use VisitStatus as S;
        let refuse = |hint| Refusal {
            action: action.name(),
            subject: "visit",
            state: self.as_str(),
            hint,
        };
        match (self, action) {
            (S::Ended(_), _) => Err(refuse("the visit is over")),

            (S::Planned, A::StartTravel) => Ok(S::EnRoute),
            (_, A::StartTravel) => Err(refuse("already set off")),

            (S::EnRoute, A::Arrive) => Ok(S::Arrived),
            (S::Planned, A::Arrive) => Err(refuse("start travel first")),
            (_, A::Arrive) => Err(refuse("already on site")),

            (S::Arrived, A::StartWork) => Ok(S::Working),
            (S::Planned | S::EnRoute, A::StartWork) => Err(refuse("arrive first")),
            (S::Paused, A::StartWork) => Err(refuse("resume instead")),
            (S::Working, A::StartWork) => Err(refuse("work has already started")),

            (S::Working, A::Pause) => Ok(S::Paused),
            (S::Paused, A::Pause) => Err(refuse("already paused")),
            (_, A::Pause) => Err(refuse("only work in progress can be paused")),

            (S::Paused, A::Resume) => Ok(S::Working),
            (_, A::Resume) => Err(refuse("the visit is not paused")),

            (S::Working, A::Complete) => Ok(S::Ended(VisitOutcome::Completed)),
            (S::Paused, A::Complete) => Err(refuse("resume first")),
            (_, A::Complete) => Err(refuse("work has not started")),

            (S::Arrived | S::Working | S::Paused, A::TakeBack) => {
                Ok(S::Ended(VisitOutcome::TakenBack))
            }
            (_, A::TakeBack) => Err(refuse("arrive first")),

            (S::Working | S::Paused, A::AwaitParts) => Ok(S::Ended(VisitOutcome::AwaitingParts)),
            (S::Arrived, A::AwaitParts) => Err(refuse("start work first: diagnose the fault")),
            (_, A::AwaitParts) => Err(refuse("arrive first")),

            (S::Working, A::RefuseSignature) => Ok(S::Ended(VisitOutcome::SignatureRefused)),
            (S::Paused, A::RefuseSignature) => Err(refuse("resume first")),
            (_, A::RefuseSignature) => Err(refuse("work has not started")),

            // The quote is given once the fault is assessed, on site, before or after work
            // starts (a fault found during the work can change the quote).
            (S::Arrived | S::Working, A::DeclineQuote) => Ok(S::Ended(VisitOutcome::QuoteDeclined)),
            (S::Paused, A::DeclineQuote) => Err(refuse("resume first")),
            (_, A::DeclineQuote) => Err(refuse("arrive first")),

            (S::Working | S::Paused, A::NeedSecondVisit) => {
                Ok(S::Ended(VisitOutcome::SecondVisitNeeded))
            }
            (S::Arrived, A::NeedSecondVisit) => Err(refuse("start work first")),
            (_, A::NeedSecondVisit) => Err(refuse("arrive first")),

            // Damage is found on unboxing: on arrival or once the work (unboxing) started.
            (S::Arrived | S::Working, A::RequestRedelivery) => {
                Ok(S::Ended(VisitOutcome::RedeliveryRequested))
            }
            (S::Paused, A::RequestRedelivery) => Err(refuse("resume first")),
            (_, A::RequestRedelivery) => Err(refuse("arrive first")),

            (S::EnRoute | S::Arrived, A::NoAccess) => Ok(S::Ended(VisitOutcome::NoAccess)),
            (S::Planned, A::NoAccess) => Err(refuse("start travel first")),
            (_, A::NoAccess) => Err(refuse("work has already started")),

            (S::Planned | S::EnRoute, A::Reschedule) => Ok(S::Ended(VisitOutcome::Rescheduled)),
            (_, A::Reschedule) => Err(refuse(
                "already on site: take the unit back or report no access",
            )),

            (_, A::Cancel) => Ok(S::Ended(VisitOutcome::Cancelled)),
        }
    }
}
