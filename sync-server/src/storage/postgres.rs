//! The PostgreSQL backend (tokio-postgres behind a deadpool pool): for fleets that outgrow
//! one machine, with stateless server replicas in front of one database. Every push is one
//! transaction, committed before the answer; a device's pushes are serialized by a row lock
//! on the device, and change-feed inserts by a transaction-scoped advisory lock so that
//! change sequence numbers become visible in order (a puller never skips one).

mod dashboard;
mod judge;
mod measures;
pub mod migrations;

use std::str::FromStr;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use fieldkit_core::model::{DeviceId, WorkOrder, WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{Change, ChangeEntry, Op, PushResponse};
use tokio_postgres::{NoTls, Row};

use super::{
    Completion, DeviceRecord, DrawingCheck, Flag, Fut, JobChange, JobRecord, Ruling, Storage,
    StorageError, Technician, device_id_from, order_from, plan_job_change, template_key,
};
use crate::push::{Batch, PublishedCache};
use crate::records::{CompletionState, JobFacts, PushPolicy};

mod webhooks;

/// Advisory lock keys (arbitrary, fixed).
const SCHEMA_LOCK: i64 = 0x4649_454c_4401;
const CHANGES_LOCK: i64 = 0x4649_454c_4402;

/// The PostgreSQL backend.
pub struct PostgresStorage {
    pool: Pool,
    published: std::sync::Arc<PublishedCache>,
}

fn pool_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(format!("postgres pool: {e}"))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://…`) and brings the schema up to date
    /// ([`migrations`]); a database of a newer schema is refused untouched.
    pub async fn connect(url: &str, max_connections: usize) -> Result<Self, StorageError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StorageError::Backend(format!("database url: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .build()
            .map_err(pool_err)?;
        let this = Self {
            pool,
            published: Default::default(),
        };
        let mut c = this.pool.get().await.map_err(pool_err)?;
        migrations::migrate(&mut c, migrations::MIGRATIONS).await?;
        Ok(this)
    }
}

const JOB_COLS: &str = "body, technician_id, cancel_reason, completed_at, updated_at";

fn job_record(r: &Row) -> Result<JobRecord, StorageError> {
    Ok(JobRecord {
        order: order_from(&r.try_get::<_, String>(0)?)?,
        technician_id: r.try_get(1)?,
        cancel_reason: r.try_get(2)?,
        completed_at: r.try_get(3)?,
        updated_at: r.try_get(4)?,
    })
}

async fn load_job(c: &impl GenericClient, id: &str) -> Result<Option<JobRecord>, StorageError> {
    let row = c
        .query_opt(
            &format!("SELECT {JOB_COLS} FROM work_orders WHERE id = $1"),
            &[&id],
        )
        .await?;
    row.as_ref().map(job_record).transpose()
}

async fn save_job(c: &impl GenericClient, job: &JobRecord) -> Result<(), StorageError> {
    c.execute(
        "UPDATE work_orders SET technician_id = $2, body = $3, cancel_reason = $4,
                completed_at = $5, updated_at = $6 WHERE id = $1",
        &[
            &job.order.id.to_string(),
            &job.technician_id,
            &serde_json::to_string(&job.order)?,
            &job.cancel_reason,
            &job.completed_at,
            &job.updated_at,
        ],
    )
    .await?;
    Ok(())
}

async fn queue(
    c: &impl GenericClient,
    technician: Option<&str>,
    change: &Change,
    now: i64,
) -> Result<i64, StorageError> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGES_LOCK])
        .await?;
    let row = c
        .query_one(
            "INSERT INTO changes (technician_id, body, created_at) VALUES ($1, $2, $3)
             RETURNING seq",
            &[&technician, &serde_json::to_string(change)?, &now],
        )
        .await?;
    Ok(row.try_get(0)?)
}

async fn technician_exists(c: &impl GenericClient, id: &str) -> Result<bool, StorageError> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = $1)",
        &[&id],
    )
    .await?
    .try_get(0)?)
}

fn device_record(r: &Row) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        id: device_id_from(&r.try_get::<_, String>(0)?)?,
        technician_id: r.try_get(1)?,
        enrolled_at: r.try_get(2)?,
        revoked_at: r.try_get(3)?,
        last_seq: r.try_get(4)?,
    })
}

/// An op's flags, in the order they were raised.
pub(super) async fn flags_of(
    c: &impl GenericClient,
    op_id: &str,
) -> Result<Vec<Flag>, StorageError> {
    c.query(
        "SELECT work_order_id, op_id, device_id, kind, detail, created_at
           FROM flags WHERE op_id = $1 ORDER BY id",
        &[&op_id],
    )
    .await?
    .iter()
    .map(|f| {
        Ok(Flag {
            work_order_id: f.try_get(0)?,
            op_id: f.try_get(1)?,
            device_id: f.try_get(2)?,
            kind: f.try_get(3)?,
            detail: f.try_get(4)?,
            created_at: f.try_get(5)?,
        })
    })
    .collect()
}

async fn insert_flag(c: &impl GenericClient, f: &Flag) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO flags (work_order_id, op_id, device_id, kind, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &f.work_order_id,
            &f.op_id,
            &f.device_id,
            &f.kind,
            &f.detail,
            &f.created_at,
        ],
    )
    .await?;
    Ok(())
}

impl Storage for PostgresStorage {
    fn measure_facts(&self, from: i64, _to: i64) -> Fut<'_, Vec<JobFacts>> {
        Box::pin(async move {
            // One snapshot for the three reads: no push lands between them.
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let facts = measures::facts(&tx, from).await?;
            tx.commit().await?;
            Ok(facts)
        })
    }

    fn complaint_handled(&self, id: WorkOrderId, at: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            measures::complaint_handled(&c, &id.to_string(), at).await
        })
    }

    fn health(&self) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.query_one("SELECT 1", &[]).await?;
            Ok(())
        })
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn create_technician(&self, t: Technician) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute(
                "INSERT INTO technicians (id, name, created_at) VALUES ($1, $2, $3)",
                &[&t.id, &t.name, &t.created_at],
            )
            .await?;
            Ok(())
        })
    }

    fn technicians(&self) -> Fut<'_, Vec<Technician>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT id, name, created_at FROM technicians ORDER BY created_at, id",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Technician {
                        id: r.try_get(0)?,
                        name: r.try_get(1)?,
                        created_at: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn create_enrolment_code(
        &self,
        code_hash: String,
        technician_id: String,
        expires_at: i64,
        now: i64,
    ) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            if !technician_exists(&c, &technician_id).await? {
                return Err(StorageError::NotFound("technician"));
            }
            c.execute(
                "INSERT INTO enrolment_codes (code_hash, technician_id, expires_at, created_at)
                 VALUES ($1, $2, $3, $4)",
                &[&code_hash, &technician_id, &expires_at, &now],
            )
            .await?;
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
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let dev = device_id.to_string();
            let Some(row) = tx
                .query_opt(
                    "SELECT technician_id, expires_at, used_by FROM enrolment_codes
                      WHERE code_hash = $1 FOR UPDATE",
                    &[&code_hash],
                )
                .await?
            else {
                return Err(StorageError::InvalidCode);
            };
            let tech: String = row.try_get(0)?;
            let expires_at: i64 = row.try_get(1)?;
            let used_by: Option<String> = row.try_get(2)?;
            if expires_at < now {
                return Err(StorageError::InvalidCode);
            }
            match used_by {
                Some(d) if d == dev => {
                    tx.execute(
                        "UPDATE devices SET token_hash = $2 WHERE id = $1 AND revoked_at IS NULL",
                        &[&dev, &token_hash],
                    )
                    .await?;
                }
                Some(_) => return Err(StorageError::InvalidCode),
                None => {
                    let exists: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1)",
                            &[&dev],
                        )
                        .await?
                        .try_get(0)?;
                    if exists {
                        return Err(StorageError::Conflict(
                            "this device id is already enrolled".into(),
                        ));
                    }
                    tx.execute(
                        "INSERT INTO devices (id, technician_id, token_hash, enrolled_at)
                         VALUES ($1, $2, $3, $4)",
                        &[&dev, &tech, &token_hash, &now],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE enrolment_codes SET used_by = $2 WHERE code_hash = $1",
                        &[&code_hash, &dev],
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(tech)
        })
    }

    fn device_by_token(&self, token_hash: String) -> Fut<'_, Option<DeviceRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
                      WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await?;
            row.as_ref().map(device_record).transpose()
        })
    }

    fn devices(&self) -> Fut<'_, Vec<DeviceRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT id, technician_id, enrolled_at, revoked_at, last_seq FROM devices
                      ORDER BY enrolled_at, id",
                    &[],
                )
                .await?;
            rows.iter().map(device_record).collect()
        })
    }

    fn revoke_device(&self, id: DeviceId, now: i64) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let n = c
                .execute(
                    "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                    &[&id.to_string(), &now],
                )
                .await?;
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
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let id = order.id.to_string();
            if let Some(t) = &technician_id
                && !technician_exists(&tx, t).await?
            {
                return Err(StorageError::NotFound("technician"));
            }
            let mut order = order;
            order.status = WorkOrderStatus::Assigned;
            // The checklists the job is judged by: pinned now, whatever the desk publishes
            // later.
            order.checklist = Some(
                judge::published(&tx, &self.published)
                    .await?
                    .pin(order.kind),
            );
            let n = tx
                .execute(
                    "INSERT INTO work_orders (id, technician_id, body, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
                    &[&id, &technician_id, &serde_json::to_string(&order)?, &now],
                )
                .await?;
            if n == 0 {
                return Err(StorageError::Conflict(
                    "a work order with this id exists".into(),
                ));
            }
            if let Some(t) = &technician_id {
                tx.execute(
                    "INSERT INTO job_scope (work_order_id, technician_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&id, t],
                )
                .await?;
                let change = Change::WorkOrder {
                    work_order: order.clone(),
                };
                queue(&tx, Some(t), &change, now).await?;
            }
            tx.commit().await?;
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
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let id = id.to_string();
            tx.execute("SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE", &[&id])
                .await?;
            let current = load_job(&tx, &id)
                .await?
                .ok_or(StorageError::NotFound("work order"))?;
            if let JobChange::Assign { technician_id } = &change
                && !technician_exists(&tx, technician_id).await?
            {
                return Err(StorageError::NotFound("technician"));
            }
            let plan = plan_job_change(&current, &change, now)?;
            save_job(&tx, &plan.job).await?;
            if let Some(t) = &plan.scope {
                tx.execute(
                    "INSERT INTO job_scope (work_order_id, technician_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&id, t],
                )
                .await?;
            }
            for (t, ch) in &plan.changes {
                queue(&tx, Some(t), ch, now).await?;
            }
            tx.commit().await?;
            Ok(plan.job)
        })
    }

    fn work_order(&self, id: WorkOrderId) -> Fut<'_, Option<JobRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            load_job(&c, &id.to_string()).await
        })
    }

    fn work_orders(&self, technician_id: Option<String>) -> Fut<'_, Vec<JobRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    &format!(
                        "SELECT {JOB_COLS} FROM work_orders
                          WHERE $1::TEXT IS NULL OR technician_id = $1 ORDER BY created_at, id"
                    ),
                    &[&technician_id],
                )
                .await?;
            rows.iter().map(job_record).collect()
        })
    }

    fn publish(&self, change: Change, now: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            if let Change::ChecklistTemplate { json } = &change {
                let (id, version) = template_key(json)?;
                tx.execute(
                    "INSERT INTO templates (id, version, json) VALUES ($1, $2, $3)
                     ON CONFLICT (id, version) DO UPDATE SET json = EXCLUDED.json",
                    &[&id, &i64::from(version), json],
                )
                .await?;
            }
            let seq = queue(&tx, None, &change, now).await?;
            tx.commit().await?;
            Ok(seq)
        })
    }

    fn pull(
        &self,
        technician_id: String,
        cursor: i64,
        limit: i64,
    ) -> Fut<'_, (Vec<ChangeEntry>, bool)> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT seq, body FROM (
                       (SELECT seq, body FROM changes WHERE technician_id = $1 AND seq > $2
                         ORDER BY seq LIMIT $3)
                       UNION ALL
                       (SELECT seq, body FROM changes WHERE technician_id IS NULL AND seq > $2
                         ORDER BY seq LIMIT $3)) u
                     ORDER BY seq LIMIT $3",
                    &[&technician_id, &cursor, &(limit + 1)],
                )
                .await?;
            let more = rows.len() as i64 > limit;
            let changes = rows
                .iter()
                .take(limit as usize)
                .map(|r| {
                    Ok(ChangeEntry {
                        seq: r.try_get(0)?,
                        change: serde_json::from_str(&r.try_get::<_, String>(1)?)?,
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
        Box::pin(self.push_tx(device, batch, sent_at, policy, now))
    }

    fn pending_drawings(&self, limit: i64) -> Fut<'_, Vec<DrawingCheck>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT d.op_id, d.work_order_id, d.device_id, o.seq FROM drawing_checks d
                       JOIN ops o ON o.op_id = d.op_id
                      ORDER BY d.created_at, d.op_id LIMIT $1",
                    &[&limit],
                )
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let (op_id, work_order_id, device_id, seq): (String, String, String, i64) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                let ops = c
                    .query(
                        "SELECT body FROM ops WHERE entity_id = $1 AND device_id = $2
                           AND entity = 'work_order' AND seq <= $3
                           AND (kind = 'sign' OR op_id = $4) ORDER BY seq",
                        &[&work_order_id, &device_id, &seq, &op_id],
                    )
                    .await?
                    .iter()
                    .map(|r| Ok(serde_json::from_str(&r.try_get::<_, String>(0)?)?))
                    .collect::<Result<Vec<Op>, StorageError>>()?;
                out.push(DrawingCheck {
                    op_id,
                    work_order_id,
                    device_id,
                    ops,
                });
            }
            Ok(out)
        })
    }

    fn finish_drawing(&self, op_id: String, flags: Vec<Flag>, now: i64) -> Fut<'_, ()> {
        Box::pin(self.finish_drawing_tx(op_id, flags, now))
    }

    fn completions(&self, state: Option<CompletionState>, limit: i64) -> Fut<'_, Vec<Completion>> {
        Box::pin(self.completions_in(state, limit))
    }

    fn job_completions(&self, id: WorkOrderId) -> Fut<'_, Vec<Completion>> {
        Box::pin(self.job_completions_of(id))
    }

    fn decide_completion(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Fut<'_, Completion> {
        Box::pin(self.decide(id, ruling, by, note, now))
    }

    fn job_ops(&self, id: WorkOrderId, kind: String) -> Fut<'_, Vec<Op>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT body FROM ops WHERE entity_id = $1 AND entity = 'work_order'
                       AND kind = $2 AND outcome <> 'rejected'
                     ORDER BY received_at, device_id, seq",
                    &[&id.to_string(), &kind],
                )
                .await?;
            let mut ops = Vec::with_capacity(rows.len());
            for r in rows {
                ops.push(serde_json::from_str::<Op>(&r.try_get::<_, String>(0)?)?);
            }
            Ok(ops)
        })
    }
}
