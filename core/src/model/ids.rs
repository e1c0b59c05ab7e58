//! Identifiers made on the device: UUIDv7, so they sort by creation time and never collide
//! across devices.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),+ $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )+};
}

id_type! {
    /// A work order (派工单).
    WorkOrderId,
    /// One visit to the customer's home for a work order.
    VisitId,
    /// This installation of the app on one phone.
    DeviceId,
    /// An outbox operation; the idempotency key on the server.
    OpId,
    /// One entry of a visit's timeline.
    EventId,
    /// A pre-visit call to the customer.
    CallId,
    /// A delay notice sent to the customer.
    DelayNoticeId,
    /// A span of travel, on-site or paused time.
    TimeEntryId,
    /// An anomaly noted on the service record.
    FindingId,
    /// A customer's consent to a fee schedule.
    FeeConsentId,
    /// A part installed during a visit.
    PartUsageId,
    /// A movement in the technician's van stock ledger.
    StockMovementId,
    /// A loaner unit left with a customer.
    LoanerId,
    /// A receipt for a unit taken back to the workshop.
    ReceiptId,
    /// A signature (customer or technician).
    SignatureId,
    /// The customer's rating and comment.
    FeedbackId,
    /// The settlement of a paid visit (结算).
    SettlementId,
}
