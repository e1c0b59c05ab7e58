//! The SQLite side of the desk accounts' storage (see [`crate::storage::accounts`]).

use crate::msg::Thing;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStorage;
use crate::records::{AuditEntry, DispatcherAccount, LoginFailures, Role};
use crate::storage::accounts::AccountStorage;
use crate::storage::{Fut, StorageError};

/// The columns [`account_from`] reads, as a `SELECT … FROM dispatchers`.
pub(super) const ACCOUNT_COLUMNS: &str =
    "SELECT id, login, password_hash, created_at, role, disabled_at FROM dispatchers";

/// A stored role (the schema allows only the two names).
pub(super) fn role_from(r: &Row<'_>, i: usize) -> rusqlite::Result<Role> {
    let s: String = r.get(i)?;
    Role::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown role {s:?}").into(),
        )
    })
}

/// An account from a row of [`ACCOUNT_COLUMNS`].
pub(super) fn account_from(r: &Row<'_>) -> rusqlite::Result<DispatcherAccount> {
    Ok(DispatcherAccount {
        id: r.get(0)?,
        login: r.get(1)?,
        password_hash: r.get(2)?,
        created_at: r.get(3)?,
        role: role_from(r, 4)?,
        disabled_at: r.get(5)?,
    })
}

fn found(n: usize) -> Result<(), StorageError> {
    if n == 0 {
        return Err(StorageError::NotFound(Thing::Account));
    }
    Ok(())
}

impl AccountStorage for SqliteStorage {
    fn dispatchers(&self) -> Fut<'_, Vec<DispatcherAccount>> {
        self.read(|c| {
            Ok(
                c.prepare_cached(&format!("{ACCOUNT_COLUMNS} ORDER BY created_at, id"))?
                    .query_map([], account_from)?
                    .collect::<rusqlite::Result<_>>()?,
            )
        })
    }

    fn dispatcher(&self, id: String) -> Fut<'_, Option<DispatcherAccount>> {
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("{ACCOUNT_COLUMNS} WHERE id = ?1"))?
                    .query_row([id], account_from)
                    .optional()?,
            )
        })
    }

    fn set_dispatcher_disabled(&self, id: String, at: Option<i64>) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction()?;
            found(tx.execute(
                "UPDATE dispatchers SET disabled_at = ?2 WHERE id = ?1",
                params![id, at],
            )?)?;
            if at.is_some() {
                tx.execute(
                    "DELETE FROM dashboard_sessions WHERE dispatcher_id = ?1",
                    [&id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn set_dispatcher_role(&self, id: String, role: Role) -> Fut<'_, ()> {
        self.run(move |c| {
            found(c.execute(
                "UPDATE dispatchers SET role = ?2 WHERE id = ?1",
                params![id, role.as_str()],
            )?)
        })
    }

    fn dispatcher_language(&self, id: String) -> Fut<'_, Option<String>> {
        self.run(move |c| {
            Ok(c.query_row(
                "SELECT language FROM dispatchers WHERE id = ?1",
                [id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
        })
    }

    fn set_dispatcher_language(&self, id: String, language: Option<String>) -> Fut<'_, ()> {
        self.run(move |c| {
            found(c.execute(
                "UPDATE dispatchers SET language = ?2 WHERE id = ?1",
                params![id, language],
            )?)
        })
    }

    fn set_password(&self, id: String, password_hash: String, keep: Option<String>) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction()?;
            found(tx.execute(
                "UPDATE dispatchers SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?)?;
            tx.execute(
                "DELETE FROM dashboard_sessions
                  WHERE dispatcher_id = ?1 AND token_hash IS NOT ?2",
                params![id, keep],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn touch_session(&self, token_hash: String, now: i64) -> Fut<'_, ()> {
        self.run(move |c| {
            c.execute(
                "UPDATE dashboard_sessions SET last_seen_at = MAX(last_seen_at, ?2)
                  WHERE token_hash = ?1",
                params![token_hash, now],
            )?;
            Ok(())
        })
    }

    fn append_audit(&self, e: AuditEntry) -> Fut<'_, ()> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, from_addr,
                     detail_said)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    e.at,
                    e.actor_id,
                    e.actor,
                    e.action,
                    e.target,
                    e.detail,
                    e.from_addr,
                    e.detail_said.as_ref().map(crate::stored::Stored::to_json)
                ],
            )?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: i64) -> Fut<'_, Vec<AuditEntry>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, at, actor_id, actor, action, target, detail, from_addr, detail_said
                   FROM audit_log ORDER BY id DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_id: r.get(2)?,
                    actor: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    detail: r.get(6)?,
                    detail_said: r
                        .get::<_, Option<String>>(8)?
                        .as_deref()
                        .and_then(crate::stored::Stored::from_json),
                    from_addr: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
        })
    }

    fn login_failures(&self, login: String) -> Fut<'_, Option<LoginFailures>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT failures, last_failure_at FROM login_failures WHERE login = ?1",
            )?
            .query_row([login], |r| {
                Ok(LoginFailures {
                    failures: r.get(0)?,
                    last_failure_at: r.get(1)?,
                })
            })
            .optional()?)
        })
    }

    fn record_login_failure(
        &self,
        login: String,
        now: i64,
        reset_after_ms: i64,
    ) -> Fut<'_, LoginFailures> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let quiet = now.saturating_sub(reset_after_ms);
            tx.execute(
                "DELETE FROM login_failures WHERE last_failure_at <= ?1",
                [quiet],
            )?;
            let f = tx.query_row(
                "INSERT INTO login_failures (login, failures, last_failure_at)
                 VALUES (?1, 1, ?2)
                 ON CONFLICT (login) DO UPDATE SET failures = failures + 1,
                        last_failure_at = MAX(last_failure_at, excluded.last_failure_at)
                 RETURNING failures, last_failure_at",
                params![login, now],
                |r| {
                    Ok(LoginFailures {
                        failures: r.get(0)?,
                        last_failure_at: r.get(1)?,
                    })
                },
            )?;
            tx.commit()?;
            Ok(f)
        })
    }

    fn clear_login_failures(&self, login: String) -> Fut<'_, ()> {
        self.run(move |c| {
            c.execute("DELETE FROM login_failures WHERE login = ?1", [login])?;
            Ok(())
        })
    }

    fn revoke_enrolment_codes(&self, technician_id: String, now: i64) -> Fut<'_, u64> {
        self.run(move |c| {
            let n = c.execute(
                // A code is good up to and including its `expires_at`.
                "UPDATE enrolment_codes SET expires_at = ?2 - 1
                  WHERE technician_id = ?1 AND used_by IS NULL AND expires_at >= ?2",
                params![technician_id, now],
            )?;
            Ok(n as u64)
        })
    }
}
