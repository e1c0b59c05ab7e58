//! A work order and its open visit, moved together.

use serde::{Deserialize, Serialize};

use super::{OrderAction, Refusal, VisitAction};
use crate::model::{VisitOutcome, VisitStatus, WorkOrderStatus};

/// What the technician does to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobAction {
    Accept,
    /// The pre-visit call reached the customer and agreed a time: plans a visit.
    Confirm,
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
    /// A part is missing: the visit ends, the job waits for the part (待件).
    AwaitParts,
    /// The customer refuses to sign the service record: the visit ends, flagged.
    RefuseSignature,
    /// The customer declines the quote: the visit ends, the job closes without paid work.
    DeclineQuote,
    /// Another visit is needed: the visit ends, the job waits for the next one.
    NeedSecondVisit,
    /// The delivered unit is damaged: the visit ends, the job closes, a redelivery follows.
    RequestRedelivery,
}

impl JobAction {
    /// Every action, for exhaustive tests.
    pub const ALL: [JobAction; 17] = [
        Self::Accept,
        Self::Confirm,
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

    /// The outcome of the visit this action ends (the device and the server's replay both
    /// read it here). Only meaningful for an action that ends a visit; any other: cancelled.
    pub fn ending(self) -> VisitOutcome {
        match self {
            Self::Complete => VisitOutcome::Completed,
            Self::TakeBack => VisitOutcome::TakenBack,
            Self::NoAccess => VisitOutcome::NoAccess,
            Self::Reschedule => VisitOutcome::Rescheduled,
            Self::AwaitParts => VisitOutcome::AwaitingParts,
            Self::RefuseSignature => VisitOutcome::SignatureRefused,
            Self::DeclineQuote => VisitOutcome::QuoteDeclined,
            Self::NeedSecondVisit => VisitOutcome::SecondVisitNeeded,
            Self::RequestRedelivery => VisitOutcome::RedeliveryRequested,
            _ => VisitOutcome::Cancelled,
        }
    }

    fn visit_action(self) -> Option<VisitAction> {
        Some(match self {
            Self::Accept | Self::Confirm => return None,
            Self::StartTravel => VisitAction::StartTravel,
            Self::Arrive => VisitAction::Arrive,
            Self::StartWork => VisitAction::StartWork,
            Self::Pause => VisitAction::Pause,
            Self::Resume => VisitAction::Resume,
            Self::Complete => VisitAction::Complete,
            Self::TakeBack => VisitAction::TakeBack,
            Self::NoAccess => VisitAction::NoAccess,
            Self::Reschedule => VisitAction::Reschedule,
            Self::Cancel => VisitAction::Cancel,
            Self::AwaitParts => VisitAction::AwaitParts,
            Self::RefuseSignature => VisitAction::RefuseSignature,
            Self::DeclineQuote => VisitAction::DeclineQuote,
            Self::NeedSecondVisit => VisitAction::NeedSecondVisit,
            Self::RequestRedelivery => VisitAction::RequestRedelivery,
        })
    }
}

/// The one status a technician sees for a job: the order's, refined by its open visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Assigned,
    Accepted,
    Confirmed,
    EnRoute,
    Arrived,
    InProgress,
    Paused,
    Completed,
    AwaitingReturn,
    NoAccess,
    Cancelled,
    AwaitingParts,
    SignatureRefused,
    QuoteDeclined,
    SecondVisitNeeded,
    RedeliveryRequested,
}

impl JobStatus {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Accepted => "accepted",
            Self::Confirmed => "confirmed",
            Self::EnRoute => "en_route",
            Self::Arrived => "arrived",
            Self::InProgress => "in_progress",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::AwaitingReturn => "awaiting_return",
            Self::NoAccess => "no_access",
            Self::Cancelled => "cancelled",
            Self::AwaitingParts => "awaiting_parts",
            Self::SignatureRefused => "signature_refused",
            Self::QuoteDeclined => "quote_declined",
            Self::SecondVisitNeeded => "second_visit_needed",
            Self::RedeliveryRequested => "redelivery_requested",
        }
    }
}

/// A work order's status together with its open visit (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Job {
    pub order: WorkOrderStatus,
    /// The open visit; `None` when no visit is planned or under way.
    pub visit: Option<VisitStatus>,
}

impl Job {
    /// A job just dispatched to the technician.
    pub fn assigned() -> Self {
        Job {
            order: WorkOrderStatus::Assigned,
            visit: None,
        }
    }

    /// The status a technician sees.
    pub fn status(&self) -> JobStatus {
        use WorkOrderStatus as O;
        match (self.order, self.visit) {
            (O::Visiting, Some(VisitStatus::EnRoute)) => JobStatus::EnRoute,
            (O::Visiting, Some(VisitStatus::Arrived)) => JobStatus::Arrived,
            (O::Visiting, Some(VisitStatus::Working)) => JobStatus::InProgress,
            (O::Visiting, Some(VisitStatus::Paused)) => JobStatus::Paused,
            (O::Assigned, _) => JobStatus::Assigned,
            (O::Accepted, _) => JobStatus::Accepted,
            (O::Confirmed | O::Visiting, _) => JobStatus::Confirmed,
            (O::Completed, _) => JobStatus::Completed,
            (O::AwaitingReturn, _) => JobStatus::AwaitingReturn,
            (O::NoAccess, _) => JobStatus::NoAccess,
            (O::Cancelled, _) => JobStatus::Cancelled,
            (O::AwaitingParts, _) => JobStatus::AwaitingParts,
            (O::SignatureRefused, _) => JobStatus::SignatureRefused,
            (O::QuoteDeclined, _) => JobStatus::QuoteDeclined,
            (O::SecondVisitNeeded, _) => JobStatus::SecondVisitNeeded,
            (O::RedeliveryRequested, _) => JobStatus::RedeliveryRequested,
        }
    }

    /// The job after `action`, or why it is refused. On success the order and its visit
    /// always agree: a visit is open exactly while the order is Confirmed (visit Planned) or
    /// Visiting (visit under way).
    pub fn apply(self, action: JobAction) -> Result<Job, Refusal> {
        match action {
            JobAction::Accept => Ok(Job {
                order: self.order.apply(OrderAction::Accept)?,
                visit: self.visit,
            }),
            JobAction::Confirm => {
                let order = self.order.apply(OrderAction::Confirm)?;
                // A second call before leaving re-confirms the planned visit.
                Ok(Job {
                    order,
                    visit: Some(VisitStatus::Planned),
                })
            }
            _ => {
                let Some(visit_action) = action.visit_action() else {
                    return Err(no_visit(action, self.order));
                };
                let Some(visit) = self.visit else {
                    // Without an open visit, rescheduling and cancelling are the order's.
                    let order_action = match action {
                        JobAction::Reschedule => OrderAction::Reschedule,
                        JobAction::Cancel => OrderAction::Cancel,
                        _ => return Err(no_visit(action, self.order)),
                    };
                    return Ok(Job {
                        order: self.order.apply(order_action)?,
                        visit: None,
                    });
                };
                let next_visit = visit.apply(visit_action)?;
                let order_action = match (visit, next_visit) {
                    (VisitStatus::Planned, VisitStatus::EnRoute) => Some(OrderAction::StartVisit),
                    (VisitStatus::Planned, VisitStatus::Ended(VisitOutcome::Rescheduled)) => {
                        Some(OrderAction::Reschedule)
                    }
                    (VisitStatus::Planned, VisitStatus::Ended(VisitOutcome::Cancelled)) => {
                        Some(OrderAction::Cancel)
                    }
                    (_, VisitStatus::Ended(outcome)) => Some(OrderAction::EndVisit(outcome)),
                    _ => None,
                };
                let order = match order_action {
                    Some(a) => self.order.apply(a)?,
                    None => self.order,
                };
                Ok(Job {
                    order,
                    visit: next_visit.is_open().then_some(next_visit),
                })
            }
        }
    }
}

fn no_visit(action: JobAction, order: WorkOrderStatus) -> Refusal {
    let hint = if order.is_terminal() {
        "the job is closed"
    } else if order == WorkOrderStatus::Assigned {
        "accept the job first"
    } else {
        "call the customer to agree the visit first"
    };
    Refusal {
        action: action.visit_action().map_or("act", VisitAction::name),
        subject: "job",
        state: order.as_str(),
        hint,
    }
}
