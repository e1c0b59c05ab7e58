//! The embedded SQLite backend: one database file in the data dir, WAL, `synchronous=FULL`
//! (an ack means the commit survived power loss), one writer thread that commits pushes in
//! groups, and read-only connections beside it ([`super::group_commit`]).

mod dashboard;
mod judge;
mod measures;
pub mod migrations;

use std::path::Path;

use fieldkit_core::model::{DeviceId, WorkOrder, WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{Change, ChangeEntry, Op, PushResponse};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::group_commit::Connections;
use super::{
    Completion, DeviceRecord, DrawingCheck, Flag, Fut, JobChange, JobRecord, Ruling, Storage,
    StorageError, Technician, device_id_from, order_from, plan_job_change, template_key,
};
use crate::push::{Batch, PublishedCache};
use crate::records::{CompletionState, JobFacts, PushPolicy};

mod webhooks;
pub(crate) use webhooks::FEED_WINDOW_MS;

/// The SQLite backend.
pub struct SqliteStorage {
    db: Connections,
    published: std::sync::Arc<PublishedCache>,
}

impl SqliteStorage {
    /// Opens (creating) `fieldkit-server.db` in `dir` and brings its schema up to date
    /// ([`migrations`]); a database of a newer schema is refused untouched.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend(e.to_string()))?;
        let db = Connections::open(&dir.join("fieldkit-server.db"), |c, writer| {
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            if writer {
                c.pragma_update(None, "synchronous", "FULL")?;
                // First, with foreign keys still off (migrations may rebuild tables) and
                // before WAL: a refused database is left as it was.
                migrations::migrate(c, migrations::MIGRATIONS)?;
                c.pragma_update(None, "journal_mode", "WAL")?;
            }
            c.pragma_update(None, "foreign_keys", "ON")?;
            Ok(())
        })?;
        Ok(Self {
            db,
            published: Default::default(),
        })
    }

    /// A write, alone on the writer connection.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        self.db.write(f)
    }

    /// A read, on a read-only connection.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        self.db.read(f)
    }
}

fn job_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

type JobRow = (String, Option<String>, Option<String>, Option<i64>, i64);

fn job_record(row: JobRow) -> Result<JobRecord, StorageError> {
    Ok(JobRecord {
        order: order_from(&row.0)?,
        technician_id: row.1,
        cancel_reason: row.2,
        completed_at: row.3,
        updated_at: row.4,
    })
}

const JOB_COLS: &str = "body, technician_id, cancel_reason, completed_at, updated_at";

fn load_job(c: &Connection, id: &str) -> Result<Option<JobRecord>, StorageError> {
    c.prepare_cached(&format!("SELECT {JOB_COLS} FROM work_orders WHERE id = ?1"))?
        .query_row([id], job_from)
        .optional()?
        .map(job_record)
        .transpose()
}

fn save_job(c: &Connection, job: &JobRecord) -> Result<(), StorageError> {
    c.execute(
        "UPDATE work_orders SET technician_id = ?2, body = ?3, cancel_reason = ?4,
                completed_at = ?5, updated_at = ?6 WHERE id = ?1",
        params![
            job.order.id.to_string(),
            job.technician_id,
            serde_json::to_string(&job.order)?,
            job.cancel_reason,
            job.completed_at,
            job.updated_at
        ],
    )?;
    Ok(())
}

fn queue(
    c: &Connection,
    technician: Option<&str>,
    change: &Change,
    now: i64,
) -> Result<i64, StorageError> {
    c.execute(
        "INSERT INTO changes (technician_id, body, created_at) VALUES (?1, ?2, ?3)",
        params![technician, serde_json::to_string(change)?, now],
    )?;
    Ok(c.last_insert_rowid())
}

fn technician_exists(c: &Connection, id: &str) -> Result<bool, StorageError> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM technicians WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?,
    )
}

fn device_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64, Option<i64>, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn device_record(d: (String, String, i64, Option<i64>, i64)) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        id: device_id_from(&d.0)?,
        technician_id: d.1,
        enrolled_at: d.2,
        revoked_at: d.3,
        last_seq: d.4,
    })
}

/// An op's flags, in the order they were raised.
pub(super) fn flags_of(c: &Connection, op_id: &str) -> Result<Vec<Flag>, StorageError> {
    Ok(c.prepare_cached(
        "SELECT work_order_id, op_id, device_id, kind, detail, created_at FROM flags
              WHERE op_id = ?1 ORDER BY id",
    )?
    .query_map([op_id], flag_from)?
    .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A flag from a row of `work_order_id, op_id, device_id, kind, detail, created_at`.
fn flag_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Flag> {
    Ok(Flag {
        work_order_id: r.get(0)?,
        op_id: r.get(1)?,
        device_id: r.get(2)?,
        kind: r.get(3)?,
        detail: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn insert_flag(c: &Connection, f: &Flag) -> Result<(), StorageError> {
    c.prepare_cached(
        "INSERT INTO flags (work_order_id, op_id, device_id, kind, detail, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        f.work_order_id,
        f.op_id,
        f.device_id,
        f.kind,
        f.detail,
        f.created_at
    ])?;
    Ok(())
}

impl Storage for SqliteStorage {
    fn measure_facts(&self, from: i64, _to: i64) -> Fut<'_, Vec<JobFacts>> {
        self.read(move |c| measures::facts(c, from))
    }

    fn complaint_handled(&self, id: WorkOrderId, at: i64) -> Fut<'_, i64> {
        self.run(move |c| measures::complaint_handled(c, &id.to_string(), at))
    }

    fn health(&self) -> Fut<'_, ()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn create_technician(&self, t: Technician) -> Fut<'_, ()> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO technicians (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![t.id, t.name, t.created_at],
            )?;
            Ok(())
        })
    }

    fn technicians(&self) -> Fut<'_, Vec<Technician>> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT id, name, created_at FROM technicians ORDER BY created_at, id")?;
            let rows = stmt.query_map([], |r| {
                Ok(Technician {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    created_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn create_enrolment_code(
        &self,
        code_hash: String,
        technician_id: String,
        expires_at: i64,
        now: i64,
    ) -> Fut<'_, ()> {
        self.run(move |c| {
            if !technician_exists(c, &technician_id)? {
                return Err(StorageError::NotFound("technician"));
            }
            c.execute(
                "INSERT INTO enrolment_codes (code_hash, technician_id, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![code_hash, technician_id, expires_at, now],
            )?;
            Ok(())
        })
    }

    fn enroll(
        &self,
        code_hash: String,
        device_id: DeviceId,
        token_hash: String,
        now: i64,
    ) -> Fut<'_, String> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let dev = device_id.to_string();
            let code: Option<(String, i64, Option<String>)> = tx
                .query_row(
                    "SELECT technician_id, expires_at, used_by FROM enrolment_codes
                     WHERE code_hash = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((tech, expires_at, used_by)) = code else {
                return Err(StorageError::InvalidCode);
            };
            if expires_at < now {
                return Err(StorageError::InvalidCode);
            }
            match used_by {
                Some(d) if d == dev => {
                    tx.execute(
                        "UPDATE devices SET token_hash = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                        params![dev, token_hash],
                    )?;
                }
                Some(_) => return Err(StorageError::InvalidCode),
                None => {
                    let exists: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1)",
                        [&dev],
                        |r| r.get(0),
                    )?;
                    if exists {
                        return Err(StorageError::Conflict(
                            "this device id is already enrolled".into(),
                        ));
                    }
                    tx.execute(
                        "INSERT INTO devices (id, technician_id, token_hash, enrolled_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![dev, tech, token_hash, now],
                    )?;
                    tx.execute(
                        "UPDATE enrolment_codes SET used_by = ?2 WHERE code_hash = ?1",
                        params![code_hash, dev],
                    )?;
                }
            }
            tx.commit()?;
            Ok(tech)
        })
    }

    fn device_by_token(&self, token_hash: String) -> Fut<'_, Option<DeviceRecord>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
                 WHERE token_hash = ?1",
            )?
            .query_row([token_hash], device_from)
            .optional()?
            .map(device_record)
            .transpose()
        })
    }

    fn devices(&self) -> Fut<'_, Vec<DeviceRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
                 ORDER BY enrolled_at, id",
            )?;
            let rows = stmt
                .query_map([], device_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(device_record).collect()
        })
    }

    fn revoke_device(&self, id: DeviceId, now: i64) -> Fut<'_, ()> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![id.to_string(), now],
            )?;
            if n == 0 {
                return Err(StorageError::NotFound("device"));
            }
            Ok(())
        })
    }

    fn create_work_order(
        &self,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        let published = self.published.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = order.id.to_string();
            if let Some(t) = &technician_id
                && !technician_exists(&tx, t)?
            {
                return Err(StorageError::NotFound("technician"));
            }
            if load_job(&tx, &id)?.is_some() {
                return Err(StorageError::Conflict("a work order with this id exists".into()));
            }
            let mut order = order;
            order.status = WorkOrderStatus::Assigned;
            // The checklists the job is judged by: pinned now, whatever the desk publishes
            // later.
            order.checklist = Some(judge::published(&tx, &published)?.pin(order.kind));
            tx.execute(
                "INSERT INTO work_orders (id, technician_id, body, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![id, technician_id, serde_json::to_string(&order)?, now],
            )?;
            if let Some(t) = &technician_id {
                tx.execute(
                    "INSERT OR IGNORE INTO job_scope (work_order_id, technician_id) VALUES (?1, ?2)",
                    params![id, t],
                )?;
                let change = Change::WorkOrder {
                    work_order: order.clone(),
                };
                queue(&tx, Some(t), &change, now)?;
            }
            tx.commit()?;
            Ok(JobRecord {
                order,
                technician_id,
                cancel_reason: None,
                completed_at: None,
                updated_at: now,
            })
        })
    }

    fn change_work_order(
        &self,
        id: WorkOrderId,
        change: JobChange,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = id.to_string();
            let current = load_job(&tx, &id)?.ok_or(StorageError::NotFound("work order"))?;
            if let JobChange::Assign { technician_id } = &change
                && !technician_exists(&tx, technician_id)?
            {
                return Err(StorageError::NotFound("technician"));
            }
            let plan = plan_job_change(&current, &change, now)?;
            save_job(&tx, &plan.job)?;
            if let Some(t) = &plan.scope {
                tx.execute(
                    "INSERT OR IGNORE INTO job_scope (work_order_id, technician_id) VALUES (?1, ?2)",
                    params![id, t],
                )?;
            }
            for (t, ch) in &plan.changes {
                queue(&tx, Some(t), ch, now)?;
            }
            tx.commit()?;
            Ok(plan.job)
        })
    }

    fn work_order(&self, id: WorkOrderId) -> Fut<'_, Option<JobRecord>> {
        self.read(move |c| load_job(c, &id.to_string()))
    }

    fn work_orders(&self, technician_id: Option<String>) -> Fut<'_, Vec<JobRecord>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_COLS} FROM work_orders
                  WHERE ?1 IS NULL OR technician_id = ?1 ORDER BY created_at, id"
            ))?;
            let rows = stmt
                .query_map([technician_id], job_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(job_record).collect()
        })
    }

    fn publish(&self, change: Change, now: i64) -> Fut<'_, i64> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Change::ChecklistTemplate { json } = &change {
                let (id, version) = template_key(json)?;
                tx.execute(
                    "INSERT OR REPLACE INTO templates (id, version, json) VALUES (?1, ?2, ?3)",
                    params![id, version, json],
                )?;
            }
            let seq = queue(&tx, None, &change, now)?;
            tx.commit()?;
            Ok(seq)
        })
    }

    fn pull(
        &self,
        technician_id: String,
        cursor: i64,
        limit: i64,
    ) -> Fut<'_, (Vec<ChangeEntry>, bool)> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, body FROM (
                   SELECT seq, body FROM (SELECT seq, body FROM changes
                      WHERE technician_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)
                   UNION ALL
                   SELECT seq, body FROM (SELECT seq, body FROM changes
                      WHERE technician_id IS NULL AND seq > ?2 ORDER BY seq LIMIT ?3))
                 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![technician_id, cursor, limit + 1], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let more = rows.len() as i64 > limit;
            let changes = rows
                .into_iter()
                .take(limit as usize)
                .map(|(seq, body)| {
                    Ok(ChangeEntry {
                        seq,
                        change: serde_json::from_str(&body)?,
                    })
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            Ok((changes, more))
        })
    }

    fn push(
        &self,
        device: DeviceRecord,
        batch: Batch,
        sent_at: Option<i64>,
        policy: PushPolicy,
        now: i64,
    ) -> Fut<'_, PushResponse> {
        let cache = self.published.clone();
        self.db
            .write_grouped(move |c| judge::push_tx(c, device, batch, sent_at, policy, now, &cache))
    }

    fn pending_drawings(&self, limit: i64) -> Fut<'_, Vec<DrawingCheck>> {
        self.read(move |c| {
            let mut checks = c.prepare_cached(
                "SELECT d.op_id, d.work_order_id, d.device_id, o.seq FROM drawing_checks d
                   JOIN ops o ON o.op_id = d.op_id
                  ORDER BY d.created_at, d.op_id LIMIT ?1",
            )?;
            let rows = checks
                .query_map([limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut ops = c.prepare_cached(
                "SELECT body FROM ops WHERE entity_id = ?1 AND device_id = ?2
                   AND entity = 'work_order' AND seq <= ?3
                   AND (kind = 'sign' OR op_id = ?4) ORDER BY seq",
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for (op_id, work_order_id, device_id, seq) in rows {
                let bodies = ops
                    .query_map(params![work_order_id, device_id, seq, op_id], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push(DrawingCheck {
                    ops: bodies
                        .iter()
                        .map(|b| serde_json::from_str(b))
                        .collect::<Result<_, _>>()?,
                    op_id,
                    work_order_id,
                    device_id,
                });
            }
            Ok(out)
        })
    }

    fn finish_drawing(&self, op_id: String, flags: Vec<Flag>, now: i64) -> Fut<'_, ()> {
        self.run(move |c| judge::finish_drawing(c, &op_id, &flags, now))
    }

    fn completions(&self, state: Option<CompletionState>, limit: i64) -> Fut<'_, Vec<Completion>> {
        self.read(move |c| judge::completions(c, state, limit))
    }

    fn job_completions(&self, id: WorkOrderId) -> Fut<'_, Vec<Completion>> {
        self.read(move |c| judge::job_completions(c, id))
    }

    fn decide_completion(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Fut<'_, Completion> {
        self.run(move |c| judge::decide(c, id, ruling, &by, note.as_deref(), now))
    }

    fn job_ops(&self, id: WorkOrderId, kind: String) -> Fut<'_, Vec<Op>> {
        self.run(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM ops WHERE entity_id = ?1 AND entity = 'work_order'
                   AND kind = ?2 AND outcome != 'rejected' ORDER BY received_at, device_id, seq",
            )?;
            let bodies = stmt
                .query_map(params![id.to_string(), kind], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            bodies
                .iter()
                .map(|b| Ok(serde_json::from_str::<Op>(b)?))
                .collect()
        })
    }
}
