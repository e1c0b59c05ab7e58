//! The SQLite side of work orders and the change feed: jobs created and changed (planned by
//! [`crate::storage::plan_job_change`]), the changes queued for each technician's devices,
//! what the desk publishes to every device (and the judge's cache of it), and pulls.

use crate::msg;
use crate::msg::Thing;
use fieldkit_core::model::{LinkKind, WorkOrder, WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{Change, ChangeEntry};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::devices::technician_exists;
use crate::push::PublishedCache;
use crate::records::{JobChange, JobRecord};
use crate::storage::{StorageError, child_refusal, order_from, plan_job_change, template_key};

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

pub(super) fn load_job(c: &Connection, id: &str) -> Result<Option<JobRecord>, StorageError> {
    c.prepare_cached(&format!("SELECT {JOB_COLS} FROM work_orders WHERE id = ?1"))?
        .query_row([id], job_from)
        .optional()?
        .map(job_record)
        .transpose()
}

pub(super) fn save_job(c: &Connection, job: &JobRecord) -> Result<(), StorageError> {
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

pub(super) fn queue(
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

/// What the desk published, as of its newest publication.
pub(super) fn published(
    c: &Connection,
    cache: &PublishedCache,
) -> Result<std::sync::Arc<fieldkit_core::sync::replay::Published>, StorageError> {
    let head: i64 = c
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE technician_id IS NULL")?
        .query_row([], |r| r.get(0))?;
    cache.get(head, || {
        let mut stmt =
            c.prepare_cached("SELECT body FROM changes WHERE technician_id IS NULL ORDER BY seq")?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<Change>(b).ok())
            .collect())
    })
}

pub(super) fn create_work_order(
    c: &mut Connection,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
    cache: &PublishedCache,
) -> Result<JobRecord, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let job = insert_job(&tx, order, technician_id, now, cache)?;
    tx.commit()?;
    Ok(job)
}

/// The child and its link in one `BEGIN IMMEDIATE` transaction: the parent is read and
/// judged ([`child_refusal`]) under the writer's lock, so no cancellation commits between
/// the check and the insert.
pub(super) fn create_child_work_order(
    c: &mut Connection,
    parent: WorkOrderId,
    kind: LinkKind,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
    cache: &PublishedCache,
) -> Result<JobRecord, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let parent = parent.to_string();
    let p = load_job(&tx, &parent)?.ok_or(StorageError::NotFound(Thing::WorkOrder))?;
    if let Some(refused) = child_refusal(&p) {
        return Err(refused);
    }
    let job = insert_job(&tx, order, technician_id, now, cache)?;
    tx.execute(
        "INSERT INTO job_links (child_id, parent_id, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![job.order.id.to_string(), parent, kind.as_str(), now],
    )?;
    tx.commit()?;
    Ok(job)
}

/// Inserts a new job (assigned and queued for the technician when one is named) inside `tx`.
fn insert_job(
    tx: &Connection,
    order: WorkOrder,
    technician_id: Option<String>,
    now: i64,
    cache: &PublishedCache,
) -> Result<JobRecord, StorageError> {
    let id = order.id.to_string();
    if let Some(t) = &technician_id
        && !technician_exists(tx, t)?
    {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    if load_job(tx, &id)?.is_some() {
        return Err(StorageError::Conflict(msg!("err-work-order-exists")));
    }
    let mut order = order;
    order.status = WorkOrderStatus::Assigned;
    // The checklists the job is judged by: pinned now, whatever the desk publishes
    // later.
    order.checklist = Some(published(tx, cache)?.pin(order.kind));
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
        queue(tx, Some(t), &change, now)?;
    }
    Ok(JobRecord {
        order,
        technician_id,
        cancel_reason: None,
        completed_at: None,
        updated_at: now,
    })
}

pub(super) fn change_work_order(
    c: &mut Connection,
    id: WorkOrderId,
    change: JobChange,
    now: i64,
) -> Result<JobRecord, StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = id.to_string();
    let current = load_job(&tx, &id)?.ok_or(StorageError::NotFound(Thing::WorkOrder))?;
    if let JobChange::Assign { technician_id } = &change
        && !technician_exists(&tx, technician_id)?
    {
        return Err(StorageError::NotFound(Thing::Technician));
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
}

pub(super) fn work_orders(
    c: &Connection,
    technician_id: Option<String>,
) -> Result<Vec<JobRecord>, StorageError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {JOB_COLS} FROM work_orders
          WHERE ?1 IS NULL OR technician_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([technician_id], job_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(job_record).collect()
}

/// The jobs made from `parent`, oldest first: its rows in `job_links` (indexed by parent).
pub(super) fn child_work_orders(
    c: &Connection,
    parent: WorkOrderId,
) -> Result<Vec<JobRecord>, StorageError> {
    let mut stmt = c.prepare_cached(
        "SELECT w.body, w.technician_id, w.cancel_reason, w.completed_at, w.updated_at
           FROM job_links l JOIN work_orders w ON w.id = l.child_id
          WHERE l.parent_id = ?1 ORDER BY l.created_at, w.created_at, w.id",
    )?;
    let rows = stmt
        .query_map([parent.to_string()], job_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(job_record).collect()
}

pub(super) fn publish(c: &mut Connection, change: Change, now: i64) -> Result<i64, StorageError> {
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
}

pub(super) fn pull(
    c: &Connection,
    technician_id: String,
    cursor: i64,
    limit: i64,
) -> Result<(Vec<ChangeEntry>, bool), StorageError> {
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
}
