//! What the desk's accounts store beyond a login: listing and changing accounts (role,
//! disabled, password — each change that must end sessions ends them in the same
//! transaction), keeping a session alive (the idle timeout), the audit log of desk actions,
//! the failed logins counted per login name (the per-account backoff), and taking back a
//! technician's unused enrolment codes. Both backends implement [`AccountStorage`]; the rules
//! (who may do what, the backoff's delays, the idle timeout) live in [`crate::auth`] and the
//! desk ([`crate::desk`]).

use super::Fut;
pub use crate::records::{AuditEntry, DispatcherAccount, LoginFailures, Role};

/// The desk accounts' storage.
pub trait AccountStorage: Send + Sync {
    /// Every account, oldest first.
    fn dispatchers(&self) -> Fut<'_, Vec<DispatcherAccount>>;
    /// The account with this id.
    fn dispatcher(&self, id: String) -> Fut<'_, Option<DispatcherAccount>>;
    /// Disables the account at `at` and ends all its sessions, or (`None`) enables it;
    /// `NotFound` if there is no such account.
    fn set_dispatcher_disabled(&self, id: String, at: Option<i64>) -> Fut<'_, ()>;
    /// Changes the account's role; `NotFound` if there is no such account.
    fn set_dispatcher_role(&self, id: String, role: Role) -> Fut<'_, ()>;
    /// The language the account reads the dashboard in (`zh-CN`, `en`), if it chose one.
    fn dispatcher_language(&self, id: String) -> Fut<'_, Option<String>>;
    /// Stores (or, `None`, forgets) the account's language; `NotFound` if there is no such
    /// account.
    fn set_dispatcher_language(&self, id: String, language: Option<String>) -> Fut<'_, ()>;
    /// Stores a new password hash and ends every session of the account but `keep` (the
    /// SHA-256 of the session that changed it); `NotFound` if there is no such account.
    fn set_password(&self, id: String, password_hash: String, keep: Option<String>) -> Fut<'_, ()>;
    /// Marks the session used at `now` (the idle timeout counts from there).
    fn touch_session(&self, token_hash: String, now: i64) -> Fut<'_, ()>;
    /// Appends a line to the audit log.
    fn append_audit(&self, e: AuditEntry) -> Fut<'_, ()>;
    /// The newest `limit` lines of the audit log, newest first.
    fn audit_log(&self, limit: i64) -> Fut<'_, Vec<AuditEntry>>;
    /// The failures counted against this login name.
    fn login_failures(&self, login: String) -> Fut<'_, Option<LoginFailures>>;
    /// Counts a failed login at `now`: one more, or the first of a new run when the last
    /// was `reset_after_ms` or longer ago. Rows quieter than that are dropped on the way.
    fn record_login_failure(
        &self,
        login: String,
        now: i64,
        reset_after_ms: i64,
    ) -> Fut<'_, LoginFailures>;
    /// Forgets the failures of this login name (it logged in).
    fn clear_login_failures(&self, login: String) -> Fut<'_, ()>;
    /// Ends the technician's enrolment codes not yet used (they expire just before `now`);
    /// how many.
    fn revoke_enrolment_codes(&self, technician_id: String, now: i64) -> Fut<'_, u64>;
}
