//! What the dispatcher dashboard stores beyond the jobs themselves: dispatcher accounts
//! (argon2id password hashes), their sessions (only the SHA-256 of the cookie's token, with
//! the session's CSRF token and expiry), and the reads the board and the admin pages need
//! (each job's furthest visit stage, the flags, the enrolment codes issued). Both backends
//! implement [`DashboardStorage`]; the rules (passwords, cookies, CSRF) live in
//! [`crate::dashboard`].

use serde::{Deserialize, Serialize};

use fieldkit_core::sync::protocol::{Change, Op};

use super::{Flag, Fut};

/// A dispatcher who can log in to the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatcherAccount {
    pub id: String,
    /// What they type to log in (unique, case as given).
    pub login: String,
    /// The PHC string of an argon2id hash.
    pub password_hash: String,
    pub created_at: i64,
}

/// A logged-in dispatcher's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub dispatcher_id: String,
    pub login: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One visit fact of a job the board shows (the ops that move a visit along).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobActivity {
    pub work_order_id: String,
    pub kind: String,
    pub device_time: i64,
    pub received_at: i64,
}

/// The op kinds that move a job along the board (see [`crate::dashboard::board`]).
pub const STAGE_KINDS: [&str; 8] = [
    "accept",
    "start_travel",
    "arrive",
    "start_work",
    "pause",
    "resume",
    "complete",
    "no_access",
];

/// An enrolment code as listed: the code itself is never stored, only when it expires and
/// which device used it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub technician_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_by: Option<String>,
}

/// An op the server refused: the dispatcher should know why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedOp {
    pub op_id: String,
    pub device_id: String,
    pub entity: String,
    pub entity_id: String,
    pub kind: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub received_at: i64,
}

/// One op of a job as the server received it, for the job's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub op: Op,
    pub device_id: String,
    /// `applied`, `conflict` or `rejected`.
    pub outcome: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    /// Server time (ms).
    pub received_at: i64,
}

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
