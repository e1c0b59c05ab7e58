//! The PostgreSQL side of the desk accounts' storage (see [`crate::storage::accounts`]).

use crate::msg::Thing;
use tokio_postgres::Row;

use super::{PostgresStorage, pool_err};
use crate::records::{AuditEntry, DispatcherAccount, LoginFailures, Role};
use crate::storage::accounts::AccountStorage;
use crate::storage::{Fut, StorageError};

/// The columns [`account_from`] reads, as a `SELECT … FROM dispatchers`.
pub(super) const ACCOUNT_COLUMNS: &str =
    "SELECT id, login, password_hash, created_at, role, disabled_at FROM dispatchers";

/// A stored role (the schema allows only the two names).
pub(super) fn role_from(r: &Row, i: usize) -> Result<Role, StorageError> {
    let s: String = r.try_get(i)?;
    Role::parse(&s).ok_or_else(|| StorageError::Backend(format!("unknown role {s:?}")))
}

/// An account from a row of [`ACCOUNT_COLUMNS`].
pub(super) fn account_from(r: &Row) -> Result<DispatcherAccount, StorageError> {
    Ok(DispatcherAccount {
        id: r.try_get(0)?,
        login: r.try_get(1)?,
        password_hash: r.try_get(2)?,
        created_at: r.try_get(3)?,
        role: role_from(r, 4)?,
        disabled_at: r.try_get(5)?,
    })
}

fn found(n: u64) -> Result<(), StorageError> {
    if n == 0 {
        return Err(StorageError::NotFound(Thing::Account));
    }
    Ok(())
}

impl AccountStorage for PostgresStorage {
    fn dispatchers(&self) -> Fut<'_, Vec<DispatcherAccount>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(&format!("{ACCOUNT_COLUMNS} ORDER BY created_at, id"), &[])
                .await?;
            rows.iter().map(account_from).collect()
        })
    }

    fn dispatcher(&self, id: String) -> Fut<'_, Option<DispatcherAccount>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(&format!("{ACCOUNT_COLUMNS} WHERE id = $1"), &[&id])
                .await?;
            row.as_ref().map(account_from).transpose()
        })
    }

    fn set_dispatcher_disabled(&self, id: String, at: Option<i64>) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            found(
                tx.execute(
                    "UPDATE dispatchers SET disabled_at = $2 WHERE id = $1",
                    &[&id, &at],
                )
                .await?,
            )?;
            if at.is_some() {
                tx.execute(
                    "DELETE FROM dashboard_sessions WHERE dispatcher_id = $1",
                    &[&id],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn set_dispatcher_role(&self, id: String, role: Role) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            found(
                c.execute(
                    "UPDATE dispatchers SET role = $2 WHERE id = $1",
                    &[&id, &role.as_str()],
                )
                .await?,
            )
        })
    }

    fn dispatcher_language(&self, id: String) -> Fut<'_, Option<String>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt("SELECT language FROM dispatchers WHERE id = $1", &[&id])
                .await?;
            Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
        })
    }

    fn set_dispatcher_language(&self, id: String, language: Option<String>) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            found(
                c.execute(
                    "UPDATE dispatchers SET language = $2 WHERE id = $1",
                    &[&id, &language],
                )
                .await?,
            )
        })
    }

    fn set_password(&self, id: String, password_hash: String, keep: Option<String>) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            found(
                tx.execute(
                    "UPDATE dispatchers SET password_hash = $2 WHERE id = $1",
                    &[&id, &password_hash],
                )
                .await?,
            )?;
            tx.execute(
                "DELETE FROM dashboard_sessions
                  WHERE dispatcher_id = $1 AND token_hash IS DISTINCT FROM $2",
                &[&id, &keep],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn touch_session(&self, token_hash: String, now: i64) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute(
                "UPDATE dashboard_sessions SET last_seen_at = GREATEST(last_seen_at, $2)
                  WHERE token_hash = $1",
                &[&token_hash, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn append_audit(&self, e: AuditEntry) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute(
                "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, from_addr,
                     detail_said)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &e.at,
                    &e.actor_id,
                    &e.actor,
                    &e.action,
                    &e.target,
                    &e.detail,
                    &e.from_addr,
                    &e.detail_said.as_ref().map(crate::stored::Stored::to_json),
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: i64) -> Fut<'_, Vec<AuditEntry>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT id, at, actor_id, actor, action, target, detail, from_addr, detail_said
                       FROM audit_log ORDER BY id DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        id: r.try_get(0)?,
                        at: r.try_get(1)?,
                        actor_id: r.try_get(2)?,
                        actor: r.try_get(3)?,
                        action: r.try_get(4)?,
                        target: r.try_get(5)?,
                        detail: r.try_get(6)?,
                        detail_said: super::flags::said_of(r, 8)?,
                        from_addr: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    fn login_failures(&self, login: String) -> Fut<'_, Option<LoginFailures>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT failures, last_failure_at FROM login_failures WHERE login = $1",
                    &[&login],
                )
                .await?;
            row.map(|r| {
                Ok(LoginFailures {
                    failures: r.try_get(0)?,
                    last_failure_at: r.try_get(1)?,
                })
            })
            .transpose()
        })
    }

    fn record_login_failure(
        &self,
        login: String,
        now: i64,
        reset_after_ms: i64,
    ) -> Fut<'_, LoginFailures> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let quiet = now.saturating_sub(reset_after_ms);
            tx.execute(
                "DELETE FROM login_failures WHERE last_failure_at <= $1",
                &[&quiet],
            )
            .await?;
            let r = tx
                .query_one(
                    "INSERT INTO login_failures (login, failures, last_failure_at)
                     VALUES ($1, 1, $2)
                     ON CONFLICT (login) DO UPDATE
                        SET failures = login_failures.failures + 1,
                            last_failure_at = GREATEST(login_failures.last_failure_at,
                                                       EXCLUDED.last_failure_at)
                     RETURNING failures, last_failure_at",
                    &[&login, &now],
                )
                .await?;
            let f = LoginFailures {
                failures: r.try_get(0)?,
                last_failure_at: r.try_get(1)?,
            };
            tx.commit().await?;
            Ok(f)
        })
    }

    fn clear_login_failures(&self, login: String) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute("DELETE FROM login_failures WHERE login = $1", &[&login])
                .await?;
            Ok(())
        })
    }

    fn revoke_enrolment_codes(&self, technician_id: String, now: i64) -> Fut<'_, u64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            // A code is good up to and including its `expires_at`.
            Ok(c.execute(
                "UPDATE enrolment_codes SET expires_at = $2::BIGINT - 1
                  WHERE technician_id = $1 AND used_by IS NULL AND expires_at >= $2::BIGINT",
                &[&technician_id, &now],
            )
            .await?)
        })
    }
}
