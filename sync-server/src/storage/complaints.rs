//! What the desk's complaint and callback work stores (migration 0008): the complaints and
//! the callbacks (one JSON record each, with the columns the queues sort and filter on beside
//! it, and a revision so two desks editing one record cannot overwrite each other), and the
//! versions of the holiday calendar the desk uploaded and of its callback rules. Both backends implement
//! [`ComplaintStorage`]; the rules (what may follow what, the due time) live in
//! [`crate::complaints`] and the desk ([`crate::desk::complaints`]).

use super::Fut;
pub use crate::callbacks::Callback;
pub use crate::complaints::Complaint;
use crate::msg::{Msg, Thing};

/// A version of a document the desk keeps versions of (the holiday calendar, the callback
/// rules) as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredVersion {
    /// 1 for the first upload, then one more each time.
    pub version: i64,
    /// The document as uploaded (checked before storing).
    pub body: String,
    /// The desk account (login) that uploaded it.
    pub by: String,
    /// ms since the epoch.
    pub at: i64,
}

/// The complaints' storage.
pub trait ComplaintStorage: Send + Sync {
    /// Stores a new version of the desk's holiday calendar; its version number.
    fn save_holiday_calendar(&self, body: String, by: String, at: i64) -> Fut<'_, i64>;
    /// The newest version of the desk's holiday calendar, if one was ever uploaded.
    fn holiday_calendar(&self) -> Fut<'_, Option<StoredVersion>>;
    /// Adds a complaint (revision 1). `false` when a complaint taken in from the same
    /// device op (`source_op_id`) is already stored: nothing is written then. `NotFound`
    /// when it names a job the server does not hold.
    fn add_complaint(&self, c: Complaint) -> Fut<'_, bool>;
    /// The complaint with this id.
    fn complaint(&self, id: String) -> Fut<'_, Option<Complaint>>;
    /// Replaces a complaint with `c` (whose `revision` is the stored one plus one).
    /// `Conflict` when the stored revision is not `c.revision - 1` (someone changed it
    /// meanwhile); `NotFound` when there is no such complaint.
    fn update_complaint(&self, c: Complaint) -> Fut<'_, ()>;
    /// Every complaint, the earliest due first.
    fn complaints(&self) -> Fut<'_, Vec<Complaint>>;

    /// Stores a new version of the desk's callback rules; its version number.
    fn save_callback_rules(&self, body: String, by: String, at: i64) -> Fut<'_, i64>;
    /// The newest version of the callback rules, if the desk ever set them.
    fn callback_rules(&self) -> Fut<'_, Option<StoredVersion>>;
    /// Adds a callback (revision 1); `false` when the job already has one (nothing is
    /// written). `NotFound` when the server does not hold the job.
    fn add_callback(&self, c: Callback) -> Fut<'_, bool>;
    /// The callback with this id.
    fn callback(&self, id: String) -> Fut<'_, Option<Callback>>;
    /// Replaces a callback with `c` (its `revision` the stored one plus one); `Conflict` when
    /// it changed meanwhile, `NotFound` when there is no such callback.
    fn update_callback(&self, c: Callback) -> Fut<'_, ()>;
    /// Every callback, the earliest due first.
    fn callbacks(&self) -> Fut<'_, Vec<Callback>>;
}

/// What a backend writes of a complaint or a callback: the columns beside the JSON record.
pub(crate) struct RecordRow {
    pub id: String,
    pub work_order_id: Option<String>,
    /// A complaint's source op (unique when present).
    pub source_op_id: Option<String>,
    pub state: &'static str,
    /// A complaint's receipt (callbacks: their completion).
    pub received_at: i64,
    /// The due time in force.
    pub due_at: i64,
    pub revision: i32,
    pub body: String,
    pub updated_at: i64,
}

impl RecordRow {
    pub(crate) fn complaint(k: &Complaint) -> Result<Self, super::StorageError> {
        Ok(Self {
            id: k.id.clone(),
            work_order_id: k.work_order_id.map(|j| j.to_string()),
            source_op_id: k.source_op_id.clone(),
            state: k.state.as_str(),
            received_at: k.received_at,
            due_at: k.due_in_force(),
            revision: i32::try_from(k.revision).unwrap_or(i32::MAX),
            body: serde_json::to_string(k)?,
            updated_at: k.updated_at,
        })
    }

    pub(crate) fn callback(k: &Callback) -> Result<Self, super::StorageError> {
        Ok(Self {
            id: k.id.clone(),
            work_order_id: Some(k.work_order_id.to_string()),
            source_op_id: None,
            state: k.state.as_str(),
            received_at: k.completed_at,
            due_at: k.due_at,
            revision: i32::try_from(k.revision).unwrap_or(i32::MAX),
            body: serde_json::to_string(k)?,
            updated_at: k.updated_at,
        })
    }
}

/// A table of records: its name and what `NotFound` and `Conflict` call a record.
#[derive(Clone, Copy)]
pub(crate) struct RecordTable {
    pub name: &'static str,
    pub what: Thing,
    /// The id of the message that says another changed the record meanwhile.
    pub stale: &'static str,
}

pub(crate) const COMPLAINTS: RecordTable = RecordTable {
    name: "complaints",
    what: Thing::Complaint,
    stale: "err-complaint-stale",
};
pub(crate) const CALLBACKS: RecordTable = RecordTable {
    name: "callbacks",
    what: Thing::Callback,
    stale: "err-callback-stale",
};

impl RecordTable {
    /// The refusal of an update that found no row at the revision it read.
    pub(crate) fn stale(self, exists: bool) -> super::StorageError {
        if exists {
            super::StorageError::Conflict(Msg::new(self.stale))
        } else {
            super::StorageError::NotFound(self.what)
        }
    }
}
