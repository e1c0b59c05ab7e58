//! The PostgreSQL side of work orders and the change feed: jobs created and changed (planned
//! by [`crate::storage::plan_job_change`]), the changes queued for each technician's devices
//! (numbered under [`CHANGES_LOCK`](super::CHANGES_LOCK)), what the desk publishes to every
//! device (and the judge's cache of it), and pulls.

use crate::msg;
use crate::msg::Thing;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use fieldkit_core::model::{LinkKind, WorkOrder, WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{Change, ChangeEntry};
use fieldkit_core::sync::replay::Published;
use tokio_postgres::Row;

use super::devices::technician_exists;
use super::{CHANGES_LOCK, pool_err};
use crate::push::PublishedCache;
use crate::records::{JobChange, JobRecord};
use crate::storage::{StorageError, child_refusal, order_from, plan_job_change, template_key};

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

pub(super) async fn load_job(
    c: &impl GenericClient,
    id: &str,
) -> Result<Option<JobRecord>, StorageError> {
    let row = c
        .query_opt(
            &format!("SELECT {JOB_COLS} FROM work_orders WHERE id = $1"),
            &[&id],
        )
        .await?;
    row.as_ref().map(job_record).transpose()
}

pub(super) async fn save_job(c: &impl GenericClient, job: &JobRecord) -> Result<(), StorageError> {
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

pub(super) async fn queue(
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

/// The newest publication's change number (0 before the first): what [`published_at`] is
/// cached by.
pub(super) const PUBLISHED_HEAD: &str =
    "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM changes WHERE technician_id IS NULL";

/// What the desk published, as of its newest publication.
pub(super) async fn published(
    c: &impl GenericClient,
    cache: &PublishedCache,
) -> Result<Arc<Published>, StorageError> {
    let head: i64 = c
        .query_one(&c.prepare_cached(PUBLISHED_HEAD).await?, &[])
        .await?
        .try_get(0)?;
    published_at(c, cache, head).await
}

/// What the desk published as of `head` ([`PUBLISHED_HEAD`], read by the caller): the cache's,
/// or read again when it is stale.
pub(super) async fn published_at(
    c: &impl GenericClient,
    cache: &PublishedCache,
    head: i64,
) -> Result<Arc<Published>, StorageError> {
    // The cache's loader is synchronous: read first when the cache is stale.
    let stale = cache
        .get(head, || Err(StorageError::NotFound(Thing::Cache)))
        .is_err();
    let mut bodies = Vec::new();
    if stale {
        for r in c
            .query(
                "SELECT body FROM changes WHERE technician_id IS NULL ORDER BY seq",
                &[],
            )
            .await?
        {
            if let Ok(ch) = serde_json::from_str::<Change>(&r.try_get::<_, String>(0)?) {
                bodies.push(ch);
            }
        }
    }
    cache.get(head, || Ok(bodies))
}

pub(super) async fn create_work_order(
    pool: &Pool,
    cache: &PublishedCache,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
) -> Result<JobRecord, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let job = insert_job(&tx, cache, order, technician_id, now).await?;
    tx.commit().await?;
    Ok(job)
}

/// The child and its link in one transaction that holds the parent's row `FOR UPDATE` (the
/// lock a cancellation takes, [`change_work_order`]) while it judges it ([`child_refusal`]):
/// a cancellation waits for the child, or the child waits and sees the cancellation.
pub(super) async fn create_child_work_order(
    pool: &Pool,
    cache: &PublishedCache,
    parent: WorkOrderId,
    kind: LinkKind,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
) -> Result<JobRecord, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let parent = parent.to_string();
    tx.execute(
        "SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE",
        &[&parent],
    )
    .await?;
    let p = load_job(&tx, &parent)
        .await?
        .ok_or(StorageError::NotFound(Thing::WorkOrder))?;
    if let Some(refused) = child_refusal(&p) {
        return Err(refused);
    }
    let job = insert_job(&tx, cache, order, technician_id, now).await?;
    tx.execute(
        "INSERT INTO job_links (child_id, parent_id, kind, created_at) VALUES ($1, $2, $3, $4)",
        &[&job.order.id.to_string(), &parent, &kind.as_str(), &now],
    )
    .await?;
    tx.commit().await?;
    Ok(job)
}

/// Inserts a new job (assigned and queued for the technician when one is named) inside `tx`.
async fn insert_job(
    tx: &impl GenericClient,
    cache: &PublishedCache,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
) -> Result<JobRecord, StorageError> {
    let id = order.id.to_string();
    if let Some(t) = &technician_id
        && !technician_exists(tx, t).await?
    {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    let mut order = order;
    order.status = WorkOrderStatus::Assigned;
    // The checklists the job is judged by: pinned now, whatever the desk publishes
    // later.
    order.checklist = Some(published(tx, cache).await?.pin(order.kind));
    let n = tx
        .execute(
            "INSERT INTO work_orders (id, technician_id, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
            &[&id, &technician_id, &serde_json::to_string(&order)?, &now],
        )
        .await?;
    if n == 0 {
        return Err(StorageError::Conflict(msg!("err-work-order-exists")));
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
        queue(tx, Some(t), &change, now).await?;
    }
    Ok(JobRecord {
        order,
        technician_id,
        cancel_reason: None,
        completed_at: None,
        updated_at: now,
    })
}

pub(super) async fn change_work_order(
    pool: &Pool,
    id: WorkOrderId,
    change: JobChange,
    now: i64,
) -> Result<JobRecord, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c.transaction().await?;
    let id = id.to_string();
    tx.execute("SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE", &[&id])
        .await?;
    let current = load_job(&tx, &id)
        .await?
        .ok_or(StorageError::NotFound(Thing::WorkOrder))?;
    if let JobChange::Assign { technician_id } = &change
        && !technician_exists(&tx, technician_id).await?
    {
        return Err(StorageError::NotFound(Thing::Technician));
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
}

pub(super) async fn work_order(
    pool: &Pool,
    id: WorkOrderId,
) -> Result<Option<JobRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    load_job(&c, &id.to_string()).await
}

pub(super) async fn work_orders(
    pool: &Pool,
    technician_id: Option<String>,
) -> Result<Vec<JobRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
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
}

/// The jobs made from `parent`, oldest first: its rows in `job_links` (indexed by parent).
pub(super) async fn child_work_orders(
    pool: &Pool,
    parent: WorkOrderId,
) -> Result<Vec<JobRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT w.body, w.technician_id, w.cancel_reason, w.completed_at, w.updated_at
               FROM job_links l JOIN work_orders w ON w.id = l.child_id
              WHERE l.parent_id = $1 ORDER BY l.created_at, w.created_at, w.id",
            &[&parent.to_string()],
        )
        .await?;
    rows.iter().map(job_record).collect()
}

pub(super) async fn publish(pool: &Pool, change: Change, now: i64) -> Result<i64, StorageError> {
    let mut c = pool.get().await.map_err(pool_err)?;
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
}

pub(super) async fn pull(
    pool: &Pool,
    technician_id: String,
    cursor: i64,
    limit: i64,
) -> Result<(Vec<ChangeEntry>, bool), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
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
}
