//! The PostgreSQL side of the dashboard's storage (see [`crate::storage::dashboard`]).

use crate::msg;
use fieldkit_core::sync::protocol::Change;
use tokio_postgres::Row;

use super::accounts::{ACCOUNT_COLUMNS, account_from, role_from};
use super::flags::said_of;
use super::{PostgresStorage, pool_err};
use crate::records::{
    CodeRecord, DispatcherAccount, Flag, JobActivity, RejectedOp, STAGE_KINDS, SessionRecord,
    TimelineEntry,
};
use crate::storage::dashboard::DashboardStorage;
use crate::storage::{Fut, StorageError};

fn flag_from(r: &Row) -> Result<Flag, StorageError> {
    super::flags::flag_of(r)
}

impl DashboardStorage for PostgresStorage {
    fn create_dispatcher(&self, a: DispatcherAccount) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let n = c
                .execute(
                    "INSERT INTO dispatchers (id, login, password_hash, created_at, role,
                            disabled_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    &[
                        &a.id,
                        &a.login,
                        &a.password_hash,
                        &a.created_at,
                        &a.role.as_str(),
                        &a.disabled_at,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StorageError::Conflict(msg!("err-login-taken")));
            }
            Ok(())
        })
    }

    fn dispatcher_by_login(&self, login: String) -> Fut<'_, Option<DispatcherAccount>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(&format!("{ACCOUNT_COLUMNS} WHERE login = $1"), &[&login])
                .await?;
            row.as_ref().map(account_from).transpose()
        })
    }

    fn create_session(&self, token_hash: String, s: SessionRecord) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            tx.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at <= $1",
                &[&s.created_at],
            )
            .await?;
            tx.execute(
                "INSERT INTO dashboard_sessions (token_hash, dispatcher_id, csrf, created_at,
                        expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &token_hash,
                    &s.dispatcher_id,
                    &s.csrf,
                    &s.created_at,
                    &s.expires_at,
                    &s.last_seen_at,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn session(&self, token_hash: String, now: i64) -> Fut<'_, Option<SessionRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT s.dispatcher_id, d.login, s.csrf, s.created_at, s.expires_at,
                            s.last_seen_at, d.role
                       FROM dashboard_sessions s JOIN dispatchers d ON d.id = s.dispatcher_id
                      WHERE s.token_hash = $1 AND s.expires_at > $2
                        AND d.disabled_at IS NULL",
                    &[&token_hash, &now],
                )
                .await?;
            row.map(|r| {
                Ok(SessionRecord {
                    dispatcher_id: r.try_get(0)?,
                    login: r.try_get(1)?,
                    csrf: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    expires_at: r.try_get(4)?,
                    last_seen_at: r.try_get(5)?,
                    role: role_from(&r, 6)?,
                })
            })
            .transpose()
        })
    }

    fn end_session(&self, token_hash: String) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute(
                "DELETE FROM dashboard_sessions WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
            Ok(())
        })
    }

    fn job_activity(&self, ids: Vec<String>) -> Fut<'_, Vec<JobActivity>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let kinds: Vec<&str> = STAGE_KINDS.to_vec();
            let rows = c
                .query(
                    "SELECT entity_id, kind, device_time, received_at FROM ops
                      WHERE entity = 'work_order' AND outcome != 'rejected'
                        AND kind = ANY($1) AND entity_id = ANY($2)",
                    &[&kinds, &ids],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(JobActivity {
                        work_order_id: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        device_time: r.try_get(2)?,
                        received_at: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    fn flags(&self, limit: i64) -> Fut<'_, Vec<Flag>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said
                       FROM flags ORDER BY id DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            rows.iter().map(flag_from).collect()
        })
    }

    fn rejected_ops(&self, limit: i64) -> Fut<'_, Vec<RejectedOp>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT op_id, device_id, entity, entity_id, kind, code, reason, received_at,
                            reason_said
                       FROM ops WHERE outcome = 'rejected' ORDER BY received_at DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(RejectedOp {
                        op_id: r.try_get(0)?,
                        device_id: r.try_get(1)?,
                        entity: r.try_get(2)?,
                        entity_id: r.try_get(3)?,
                        kind: r.try_get(4)?,
                        code: r.try_get(5)?,
                        reason: r.try_get(6)?,
                        reason_said: said_of(r, 8)?,
                        received_at: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    fn enrolment_codes(&self, limit: i64) -> Fut<'_, Vec<CodeRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT technician_id, created_at, expires_at, used_by, id, revoked_at
                       FROM enrolment_codes ORDER BY created_at DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(CodeRecord {
                        technician_id: r.try_get(0)?,
                        created_at: r.try_get(1)?,
                        expires_at: r.try_get(2)?,
                        used_by: r.try_get(3)?,
                        id: r.try_get(4)?,
                        revoked_at: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn job_timeline(&self, work_order_id: String) -> Fut<'_, Vec<TimelineEntry>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT body, device_id, outcome, code, reason, received_at, reason_said
                       FROM ops WHERE entity_id = $1 AND entity = 'work_order'
                      ORDER BY received_at, device_id, seq",
                    &[&work_order_id],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(TimelineEntry {
                        op: serde_json::from_str(&r.try_get::<_, String>(0)?)?,
                        device_id: r.try_get(1)?,
                        outcome: r.try_get(2)?,
                        code: r.try_get(3)?,
                        reason: r.try_get(4)?,
                        reason_said: said_of(r, 6)?,
                        received_at: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn job_flags(&self, work_order_id: String) -> Fut<'_, Vec<Flag>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said
                       FROM flags WHERE work_order_id = $1 ORDER BY id",
                    &[&work_order_id],
                )
                .await?;
            rows.iter().map(flag_from).collect()
        })
    }

    fn published(&self) -> Fut<'_, Vec<Change>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT body FROM changes WHERE technician_id IS NULL ORDER BY seq",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| Ok(serde_json::from_str(&r.try_get::<_, String>(0)?)?))
                .collect()
        })
    }
}
