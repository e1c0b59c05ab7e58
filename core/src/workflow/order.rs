//! The work-order lifecycle as seen by the technician's device.

use super::Refusal;
use crate::model::{VisitOutcome, WorkOrderStatus};

/// Something that moves a work order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderAction {
    /// The technician takes the job.
    Accept,
    /// The pre-visit call agreed a time with the customer.
    Confirm,
    /// The technician sets off (the visit begins).
    StartVisit,
    /// The open visit ended with this outcome.
    EndVisit(VisitOutcome),
    /// A new time is to be agreed.
    Reschedule,
    /// The job is called off.
    Cancel,
}

impl OrderAction {
    /// Every action, for exhaustive tests.
    pub fn all() -> Vec<OrderAction> {
        let mut v = vec![
            Self::Accept,
            Self::Confirm,
            Self::StartVisit,
            Self::Reschedule,
            Self::Cancel,
        ];
        v.extend(VisitOutcome::ALL.into_iter().map(Self::EndVisit));
        v
    }

    /// The technician's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept the job",
            Self::Confirm => "confirm the visit",
            Self::StartVisit => "start the visit",
            Self::EndVisit(_) => "end the visit",
            Self::Reschedule => "reschedule",
            Self::Cancel => "cancel",
        }
    }
}

impl WorkOrderStatus {
    /// The status after `action`, or why it is refused.
    pub fn apply(self, action: OrderAction) -> Result<WorkOrderStatus, Refusal> {
        use OrderAction as A;
        use WorkOrderStatus as S;
        let refuse = |hint| Refusal {
            action: action.name(),
            subject: "job",
            state: self.as_str(),
            hint,
        };
        if self.is_terminal() {
            return Err(refuse("the job is closed"));
        }
        match (self, action) {
            (S::Assigned, A::Accept) => Ok(S::Accepted),
            (_, A::Accept) => Err(refuse("the job was already accepted")),

            (
                S::Accepted
                | S::Confirmed
                | S::NoAccess
                | S::AwaitingReturn
                | S::AwaitingParts
                | S::SignatureRefused
                | S::SecondVisitNeeded,
                A::Confirm,
            ) => Ok(S::Confirmed),
            (S::Assigned, A::Confirm) => Err(refuse("accept the job first")),
            (S::Visiting, A::Confirm) => Err(refuse("a visit is already under way")),

            (S::Confirmed, A::StartVisit) => Ok(S::Visiting),
            (S::Assigned, A::StartVisit) => Err(refuse("accept the job first")),
            (S::Visiting, A::StartVisit) => Err(refuse("a visit is already under way")),
            (_, A::StartVisit) => Err(refuse("call the customer to agree the visit first")),

            (S::Visiting, A::EndVisit(outcome)) => Ok(match outcome {
                VisitOutcome::Completed => S::Completed,
                VisitOutcome::TakenBack => S::AwaitingReturn,
                VisitOutcome::NoAccess => S::NoAccess,
                VisitOutcome::Rescheduled => S::Accepted,
                VisitOutcome::Cancelled => S::Cancelled,
                VisitOutcome::AwaitingParts => S::AwaitingParts,
                VisitOutcome::SignatureRefused => S::SignatureRefused,
                VisitOutcome::QuoteDeclined => S::QuoteDeclined,
                VisitOutcome::SecondVisitNeeded => S::SecondVisitNeeded,
                VisitOutcome::RedeliveryRequested => S::RedeliveryRequested,
            }),
            (_, A::EndVisit(_)) => Err(refuse("no visit is under way")),

            (S::Accepted | S::Confirmed | S::NoAccess, A::Reschedule) => Ok(S::Accepted),
            (S::AwaitingReturn, A::Reschedule) => Ok(S::AwaitingReturn),
            (S::AwaitingParts, A::Reschedule) => Ok(S::AwaitingParts),
            (S::SignatureRefused, A::Reschedule) => Ok(S::SignatureRefused),
            (S::SecondVisitNeeded, A::Reschedule) => Ok(S::SecondVisitNeeded),
            (S::Assigned, A::Reschedule) => Err(refuse("accept the job first")),
            (S::Visiting, A::Reschedule) => {
                Err(refuse("end the visit first (no access or take back)"))
            }

            (_, A::Cancel) => Ok(S::Cancelled),
            (S::Completed | S::Cancelled | S::QuoteDeclined | S::RedeliveryRequested, _) => {
                Err(refuse("the job is closed"))
            }
        }
    }
}
