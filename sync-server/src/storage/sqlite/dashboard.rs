//! The SQLite side of the dashboard's storage (see [`crate::storage::dashboard`]).

use crate::msg;
use fieldkit_core::sync::protocol::Change;
use rusqlite::{OptionalExtension, params};

use super::SqliteStorage;
use super::accounts::{ACCOUNT_COLUMNS, account_from, role_from};
use super::flags::flag_from;
use crate::records::{
    CodeRecord, DispatcherAccount, Flag, JobActivity, RejectedOp, STAGE_KINDS, SessionRecord,
    TimelineEntry,
};
use crate::storage::dashboard::DashboardStorage;
use crate::storage::{Fut, StorageError};
use crate::stored::Stored;

fn in_list(n: usize, from: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl DashboardStorage for SqliteStorage {
    fn create_dispatcher(&self, a: DispatcherAccount) -> Fut<'_, ()> {
        self.run(move |c| {
            let n = c.execute(
                "INSERT INTO dispatchers (id, login, password_hash, created_at, role,
                        disabled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![
                    a.id,
                    a.login,
                    a.password_hash,
                    a.created_at,
                    a.role.as_str(),
                    a.disabled_at
                ],
            )?;
            if n == 0 {
                return Err(StorageError::Conflict(msg!("err-login-taken")));
            }
            Ok(())
        })
    }

    fn dispatcher_by_login(&self, login: String) -> Fut<'_, Option<DispatcherAccount>> {
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("{ACCOUNT_COLUMNS} WHERE login = ?1"))?
                    .query_row([login], account_from)
                    .optional()?,
            )
        })
    }

    fn create_session(&self, token_hash: String, s: SessionRecord) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at <= ?1",
                [s.created_at],
            )?;
            tx.execute(
                "INSERT INTO dashboard_sessions (token_hash, dispatcher_id, csrf, created_at,
                        expires_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    token_hash,
                    s.dispatcher_id,
                    s.csrf,
                    s.created_at,
                    s.expires_at,
                    s.last_seen_at
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session(&self, token_hash: String, now: i64) -> Fut<'_, Option<SessionRecord>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT s.dispatcher_id, d.login, s.csrf, s.created_at, s.expires_at,
                        s.last_seen_at, d.role
                   FROM dashboard_sessions s JOIN dispatchers d ON d.id = s.dispatcher_id
                  WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND d.disabled_at IS NULL",
            )?
            .query_row(params![token_hash, now], |r| {
                Ok(SessionRecord {
                    dispatcher_id: r.get(0)?,
                    login: r.get(1)?,
                    csrf: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                    role: role_from(r, 6)?,
                })
            })
            .optional()?)
        })
    }

    fn end_session(&self, token_hash: String) -> Fut<'_, ()> {
        self.run(move |c| {
            c.execute(
                "DELETE FROM dashboard_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
    }

    fn job_activity(&self, ids: Vec<String>) -> Fut<'_, Vec<JobActivity>> {
        self.read(move |c| {
            let mut out = Vec::new();
            // SQLite's bound-parameter limit is far above this chunk.
            for chunk in ids.chunks(500) {
                let sql = format!(
                    "SELECT entity_id, kind, device_time, received_at FROM ops
                      WHERE entity = 'work_order' AND outcome != 'rejected'
                        AND kind IN ({}) AND entity_id IN ({})",
                    in_list(STAGE_KINDS.len(), 1),
                    in_list(chunk.len(), STAGE_KINDS.len() + 1)
                );
                let mut stmt = c.prepare(&sql)?;
                let args = STAGE_KINDS
                    .iter()
                    .map(|k| k as &dyn rusqlite::ToSql)
                    .chain(chunk.iter().map(|id| id as &dyn rusqlite::ToSql))
                    .collect::<Vec<_>>();
                let rows = stmt.query_map(args.as_slice(), |r| {
                    Ok(JobActivity {
                        work_order_id: r.get(0)?,
                        kind: r.get(1)?,
                        device_time: r.get(2)?,
                        received_at: r.get(3)?,
                    })
                })?;
                for r in rows {
                    out.push(r?);
                }
            }
            Ok(out)
        })
    }

    fn flags(&self, limit: i64) -> Fut<'_, Vec<Flag>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said FROM flags
                  ORDER BY id DESC LIMIT ?1",
            )?
            .query_map([limit], flag_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn rejected_ops(&self, limit: i64) -> Fut<'_, Vec<RejectedOp>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT op_id, device_id, entity, entity_id, kind, code, reason, received_at,
                        reason_said
                   FROM ops WHERE outcome = 'rejected' ORDER BY received_at DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(RejectedOp {
                    op_id: r.get(0)?,
                    device_id: r.get(1)?,
                    entity: r.get(2)?,
                    entity_id: r.get(3)?,
                    kind: r.get(4)?,
                    code: r.get(5)?,
                    reason: r.get(6)?,
                    reason_said: r
                        .get::<_, Option<String>>(8)?
                        .as_deref()
                        .and_then(Stored::from_json),
                    received_at: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn enrolment_codes(&self, limit: i64) -> Fut<'_, Vec<CodeRecord>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT technician_id, created_at, expires_at, used_by, id, revoked_at
                   FROM enrolment_codes ORDER BY created_at DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(CodeRecord {
                    technician_id: r.get(0)?,
                    created_at: r.get(1)?,
                    expires_at: r.get(2)?,
                    used_by: r.get(3)?,
                    id: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn job_timeline(&self, work_order_id: String) -> Fut<'_, Vec<TimelineEntry>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body, device_id, outcome, code, reason, received_at, reason_said FROM ops
                  WHERE entity_id = ?1 AND entity = 'work_order'
                  ORDER BY received_at, device_id, seq",
            )?;
            let rows = stmt
                .query_map([&work_order_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(
                    |(body, device_id, outcome, code, reason, received_at, said)| {
                        Ok(TimelineEntry {
                            op: serde_json::from_str(&body)?,
                            device_id,
                            outcome,
                            code,
                            reason,
                            reason_said: said.as_deref().and_then(Stored::from_json),
                            received_at,
                        })
                    },
                )
                .collect()
        })
    }

    fn job_flags(&self, work_order_id: String) -> Fut<'_, Vec<Flag>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said FROM flags
                  WHERE work_order_id = ?1 ORDER BY id",
            )?
            .query_map([&work_order_id], flag_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn published(&self) -> Fut<'_, Vec<Change>> {
        self.read(move |c| {
            let bodies = c
                .prepare_cached(
                    "SELECT body FROM changes WHERE technician_id IS NULL ORDER BY seq",
                )?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            bodies
                .iter()
                .map(|b| Ok(serde_json::from_str(b)?))
                .collect()
        })
    }
}
