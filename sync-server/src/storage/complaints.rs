//! What the desk's complaint work stores (migration 0008): the complaints themselves (one
//! JSON record each, with the columns the queue sorts and filters on beside it, and a
//! revision so two desks editing one complaint cannot overwrite each other), and the
//! versions of the holiday calendar the desk uploaded. Both backends implement
//! [`ComplaintStorage`]; the rules (what may follow what, the due time) live in
//! [`crate::complaints`] and the desk ([`crate::desk::complaints`]).

use super::Fut;
pub use crate::complaints::Complaint;

/// A version of the desk's holiday calendar as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCalendar {
    /// 1 for the first upload, then one more each time.
    pub version: i64,
    /// The document as uploaded (checked by `HolidayCalendar::from_json` before storing).
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
    fn holiday_calendar(&self) -> Fut<'_, Option<StoredCalendar>>;
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
}
