//! The desk's accounts, whichever face manages them: create an account with its role,
//! disable one (its open sessions end at once) or enable it again, change its role, change
//! one's own password (the old one required; the account's other sessions end), and check a
//! login (the per-account backoff first, then the password through the
//! [`crate::auth::PasswordGate`]). Account changes are for administrators; each one, and
//! each login and failed login, is written to the audit log.

use crate::msg;
use crate::msg::Msg;
use crate::stored::Code;
use std::sync::LazyLock;

use crate::auth::{hash_password, password_ok};
use crate::error::ApiError;
use crate::records::{DispatcherAccount, Role};
use crate::state::AppState;

use super::audit::{Action, Actor, record};
use super::text;

/// How a failed login names its account in the audit log when there is no such login (what
/// was typed may be a password typed in the wrong field: it is not kept).
pub const UNKNOWN_LOGIN: &str = "(unknown login)";

/// A hash checked when the login is unknown, so that an unknown login takes as long to
/// refuse as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password("no account has this password, it only takes time").unwrap_or_default()
});

/// Creates an account; administrators only. The login is 1 to 64 characters, the password
/// as [`password_ok`] says.
pub async fn create_account(
    s: &AppState,
    by: &Actor,
    login: &str,
    password: String,
    role: Role,
) -> Result<DispatcherAccount, ApiError> {
    by.must_administer()?;
    let login = text("login", login, 64)?;
    password_ok(&password).map_err(|_| ApiError::BadRequest(msg!("err-password-length")))?;
    let password_hash = s.password_gate.hash(password).await?;
    let account = DispatcherAccount {
        id: uuid::Uuid::now_v7().to_string(),
        login,
        password_hash,
        created_at: s.clock.now_ms(),
        role,
        disabled_at: None,
    };
    s.storage.create_dispatcher(account.clone()).await?;
    let detail = Some(Code::AuditRole.said().word("role", "role-", role.as_str()));
    record(s, by, Action::AccountCreated, Some(&account.id), detail).await?;
    tracing::info!(dispatcher = %account.id, role = role.as_str(), "desk account created");
    Ok(account)
}

fn not_oneself(by: &Actor, id: &str, what: Msg) -> Result<(), ApiError> {
    if by.account_id.as_deref() == Some(id) {
        return Err(ApiError::Conflict(what));
    }
    Ok(())
}

/// Disables an account (it cannot log in; its open sessions end at once) or enables it
/// again; administrators only, and not their own.
pub async fn set_disabled(
    s: &AppState,
    by: &Actor,
    id: &str,
    disabled: bool,
) -> Result<(), ApiError> {
    by.must_administer()?;
    not_oneself(by, id, msg!("err-account-disable-self"))?;
    let at = disabled.then(|| s.clock.now_ms());
    s.storage.set_dispatcher_disabled(id.to_owned(), at).await?;
    let action = if disabled {
        Action::AccountDisabled
    } else {
        Action::AccountEnabled
    };
    record(s, by, action, Some(id), None).await?;
    tracing::info!(dispatcher = %id, disabled, "desk account changed");
    Ok(())
}

/// Changes an account's role; administrators only, and not their own.
pub async fn set_role(s: &AppState, by: &Actor, id: &str, role: Role) -> Result<(), ApiError> {
    by.must_administer()?;
    not_oneself(by, id, msg!("err-account-role-self"))?;
    s.storage.set_dispatcher_role(id.to_owned(), role).await?;
    let detail = Some(Code::AuditRole.said().word("role", "role-", role.as_str()));
    record(s, by, Action::RoleChanged, Some(id), detail).await?;
    Ok(())
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The password matched an active account.
    Welcome(DispatcherAccount),
    /// Wrong login or password, or a disabled account (the same answer for all three).
    Refused,
    /// The login name failed too often: try again in this many ms (nothing was checked).
    Wait(i64),
}

/// The login name the backoff counts under: as typed, trimmed (logins are exact).
fn backoff_key(login: &str) -> String {
    login.trim().to_owned()
}

/// Checks a login from `from`: the per-account backoff, then the password (the same work
/// for an unknown login), and writes the outcome to the audit log (a backoff refusal only to
/// the server's log: it checked nothing).
pub async fn check_login(
    s: &AppState,
    login: &str,
    password: String,
    from: &str,
) -> Result<LoginOutcome, ApiError> {
    let key = backoff_key(login);
    // No account has such a login: nothing to hold back, nothing to count (a stored key is
    // at most 64 characters).
    let possible = !key.is_empty() && key.chars().count() <= 64;
    let now = s.clock.now_ms();
    let failures = if possible {
        s.storage.login_failures(key.clone()).await?
    } else {
        None
    };
    if let Some(wait) = s.login_backoff.wait_ms(failures.as_ref(), now) {
        tracing::info!(wait_ms = wait, "dashboard login held back");
        return Ok(LoginOutcome::Wait(wait));
    }
    let account = if possible {
        s.storage.dispatcher_by_login(key.clone()).await?
    } else {
        None
    };
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let matches = s.password_gate.matches(password, hash).await?;
    let actor = |a: Option<&DispatcherAccount>| Actor {
        account_id: a.map(|a| a.id.clone()),
        login: a.map_or_else(|| UNKNOWN_LOGIN.to_owned(), |a| a.login.clone()),
        role: a.map_or(Role::Dispatcher, |a| a.role),
        from: from.to_owned(),
    };
    match account {
        Some(a) if matches && a.disabled_at.is_none() => {
            if failures.is_some() {
                s.storage.clear_login_failures(key).await?;
            }
            record(s, &actor(Some(&a)), Action::Login, Some(&a.id), None).await?;
            tracing::info!(dispatcher = %a.id, "dashboard login");
            Ok(LoginOutcome::Welcome(a))
        }
        a => {
            let in_a_row = if possible {
                let f = s
                    .storage
                    .record_login_failure(key, s.clock.now_ms(), s.login_backoff.reset_after_ms)
                    .await?;
                f.failures
            } else {
                1
            };
            let detail = match &a {
                Some(a) if matches && a.disabled_at.is_some() => Code::AuditAccountDisabled.said(),
                _ => Code::AuditFailuresInARow.said().arg("count", in_a_row),
            };
            let target = a.as_ref().map(|a| a.id.clone());
            let who = actor(a.as_ref());
            record(
                s,
                &who,
                Action::LoginFailed,
                target.as_deref(),
                Some(detail),
            )
            .await?;
            tracing::info!("dashboard login refused");
            Ok(LoginOutcome::Refused)
        }
    }
}

/// Why a password change was refused.
#[derive(Debug)]
pub enum PasswordRefusal {
    /// The current password was wrong.
    WrongPassword,
    /// Too many wrong ones: try again in this many ms.
    Wait(i64),
    /// Not an account (the admin token has no password here).
    NoAccount,
    /// The new password is not acceptable (why).
    Weak(&'static str),
}

/// Changes the acting account's own password: `old` must match; the new one must pass
/// [`password_ok`]; every other session of the account ends (`keep`: the SHA-256 of the
/// session that asked). Wrong old passwords count in the login backoff of the account.
pub async fn change_password(
    s: &AppState,
    by: &Actor,
    keep: Option<String>,
    old: String,
    new: String,
) -> Result<Result<(), PasswordRefusal>, ApiError> {
    let Some(id) = by.account_id.clone() else {
        return Ok(Err(PasswordRefusal::NoAccount));
    };
    let Some(account) = s.storage.dispatcher(id.clone()).await? else {
        return Ok(Err(PasswordRefusal::NoAccount));
    };
    let key = backoff_key(&account.login);
    let failures = s.storage.login_failures(key.clone()).await?;
    if let Some(wait) = s.login_backoff.wait_ms(failures.as_ref(), s.clock.now_ms()) {
        return Ok(Err(PasswordRefusal::Wait(wait)));
    }
    if !s
        .password_gate
        .matches(old, account.password_hash.clone())
        .await?
    {
        s.storage
            .record_login_failure(key, s.clock.now_ms(), s.login_backoff.reset_after_ms)
            .await?;
        let detail = Some(Code::AuditWrongPassword.said());
        record(s, by, Action::LoginFailed, Some(&id), detail).await?;
        return Ok(Err(PasswordRefusal::WrongPassword));
    }
    if let Err(why) = password_ok(&new) {
        return Ok(Err(PasswordRefusal::Weak(why)));
    }
    let hash = s.password_gate.hash(new).await?;
    s.storage.set_password(id.clone(), hash, keep).await?;
    record(s, by, Action::PasswordChanged, Some(&id), None).await?;
    tracing::info!(dispatcher = %id, "desk password changed");
    Ok(Ok(()))
}
