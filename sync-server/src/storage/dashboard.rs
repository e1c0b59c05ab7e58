//! What the dispatcher dashboard stores beyond the jobs themselves: dispatcher accounts
//! (argon2id password hashes), their sessions (only the SHA-256 of the cookie's token, with
//! the session's CSRF token and expiry), and the reads the board and the admin pages need
//! (each job's furthest visit stage, the flags, the enrolment codes issued). Both backends
//! implement [`DashboardStorage`]; the rules (passwords, cookies, CSRF) live in
//! [`crate::dashboard`].

use fieldkit_core::sync::protocol::Change;

use super::Fut;
use crate::records::Flag;
pub use crate::records::{
    CodeRecord, DispatcherAccount, JobActivity, RejectedOp, STAGE_KINDS, SessionRecord,
    TimelineEntry,
};

/// The dashboard's storage.
pub trait DashboardStorage: Send + Sync {
    /// Adds an account; `Conflict` if the login is taken.
    fn create_dispatcher(&self, a: DispatcherAccount) -> Fut<'_, ()>;
    /// The account with this login.
    fn dispatcher_by_login(&self, login: String) -> Fut<'_, Option<DispatcherAccount>>;
    /// Stores a session under the SHA-256 of its cookie token (and drops expired ones).
    fn create_session(&self, token_hash: String, s: SessionRecord) -> Fut<'_, ()>;
    /// The session, if it exists and has not expired at `now`.
    fn session(&self, token_hash: String, now: i64) -> Fut<'_, Option<SessionRecord>>;
    /// Ends a session (logout); no error if it is already gone.
    fn end_session(&self, token_hash: String) -> Fut<'_, ()>;
    /// The applied [`STAGE_KINDS`] ops of these jobs.
    fn job_activity(&self, ids: Vec<String>) -> Fut<'_, Vec<JobActivity>>;
    /// The newest flags, newest first.
    fn flags(&self, limit: i64) -> Fut<'_, Vec<Flag>>;
    /// The newest ops the server rejected, newest first.
    fn rejected_ops(&self, limit: i64) -> Fut<'_, Vec<RejectedOp>>;
    /// The enrolment codes issued, newest first.
    fn enrolment_codes(&self, limit: i64) -> Fut<'_, Vec<CodeRecord>>;
    /// Every op any device sent about this job (rejected ones too), in the order the
    /// server received them.
    fn job_timeline(&self, work_order_id: String) -> Fut<'_, Vec<TimelineEntry>>;
    /// The flags raised on this job, oldest first.
    fn job_flags(&self, work_order_id: String) -> Fut<'_, Vec<Flag>>;
    /// What the desk published to every technician (templates, fee schedules, catalog
    /// parts), oldest first.
    fn published(&self) -> Fut<'_, Vec<Change>>;
}
