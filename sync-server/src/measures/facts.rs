//! The input of the measures: plain facts about work orders and what technicians recorded on
//! them, as the storage read returns them ([`crate::storage::Storage::measure_facts`]).

use fieldkit_core::model::{JobKind, Zone};
use serde::{Deserialize, Serialize};

/// A work order as the desk created it, with the technician's recorded events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobFacts {
    pub work_order_id: String,
    /// The desk's reference ("WO-…"); not personal data.
    pub number: String,
    pub kind: JobKind,
    /// The response-promise zone of the site (市区 / 郊区), from the work order's site.
    pub zone: Zone,
    /// When the customer called the desk (ms): response time runs from here.
    pub reported_at: i64,
    /// The promised window (ms): the visit's start and end.
    pub promised_start: i64,
    pub promised_end: i64,
    /// The technician the job is assigned to now.
    pub technician_id: Option<String>,
    /// Cancelled by the desk or the customer.
    pub cancelled: bool,
    /// When the desk handled the customer's complaint on this job, if it did (ms).
    pub complaint_handled_at: Option<i64>,
    /// The applied ops on the job (any order).
    pub events: Vec<EventFact>,
}

/// One fact a technician's device recorded on a job (an applied op).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventFact {
    /// The op's kind: `call_customer`, `start_travel`, `arrive`, `start_work`, `pause`,
    /// `resume`, `feedback`, `take_back`, `no_access`, `complete`…
    pub kind: String,
    pub visit_id: Option<String>,
    pub device_id: String,
    /// The op's per-device sequence (a tie-breaker between facts at the same instant).
    pub seq: i64,
    /// The device's clock when the fact was recorded (ms).
    pub device_time: i64,
    /// When the server received it (ms).
    pub received_at: i64,
    /// The device clock's offset from the server's (device − server, ms) measured when this
    /// op's batch arrived, if the batch was flagged `clock_skew`.
    pub skew_ms: Option<i64>,
    /// For `feedback`: the customer's rating (1–5).
    pub rating: Option<u8>,
    /// For `feedback`: the customer wants to complain.
    pub complaint: bool,
}

impl EventFact {
    /// When the fact happened by the server's clock: the device time, minus the measured
    /// offset when the batch was flagged `clock_skew`, and never later than the server received
    /// it (a fact cannot happen after it arrived).
    pub fn at(&self) -> i64 {
        self.device_time
            .saturating_sub(self.skew_ms.unwrap_or(0))
            .min(self.received_at)
    }

    /// Whether [`EventFact::at`] differs from the raw device time.
    pub fn corrected(&self) -> bool {
        self.at() != self.device_time
    }
}
