//! PostgreSQL reads and writes of the quality measures: the facts of a period and the desk's
//! complaint handling (its own table).

use crate::msg::Thing;
use deadpool_postgres::{GenericClient, Pool};

use super::pool_err;
use crate::records::{CashHandIn, JobFacts};
use crate::storage::StorageError;
use crate::storage::measure_rows::{self, COUNTED_OPS, JobRow, LOOKBACK_MS, OpRow, SkewRow};

/// The jobs of a period (see [`measure_rows`]): $1 = lookback start.
const IN_PERIOD: &str = "(w.completed_at IS NULL OR w.completed_at >= $1)
    AND NOT (w.cancel_reason IS NOT NULL AND w.updated_at < $1)";

pub(super) async fn facts(
    c: &impl GenericClient,
    from: i64,
) -> Result<Vec<JobFacts>, StorageError> {
    let since = from.saturating_sub(LOOKBACK_MS);
    let jobs = c
        .query(
            &format!(
                "SELECT w.id, w.body, w.technician_id, h.handled_at FROM work_orders w
                   LEFT JOIN complaint_handling h ON h.work_order_id = w.id
                  WHERE {IN_PERIOD} ORDER BY w.id"
            ),
            &[&since],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(JobRow {
                id: r.try_get(0)?,
                body: r.try_get(1)?,
                technician_id: r.try_get(2)?,
                complaint_handled_at: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    let ops = c
        .query(
            &format!(
                "SELECT o.entity_id, o.device_id, o.body, o.received_at FROM ops o
                   JOIN work_orders w ON w.id = o.entity_id
                  WHERE o.entity = 'work_order' AND {COUNTED_OPS} AND {IN_PERIOD}
                  ORDER BY o.device_id, o.seq"
            ),
            &[&since],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(OpRow {
                entity_id: r.try_get(0)?,
                device_id: r.try_get(1)?,
                body: r.try_get(2)?,
                received_at: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    let skews = c
        .query(
            "SELECT device_id, created_at, detail, said FROM flags WHERE kind = 'clock_skew'
              ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SkewRow {
                device_id: r.try_get(0)?,
                created_at: r.try_get(1)?,
                detail: r.try_get(2)?,
                said: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    measure_rows::assemble(jobs, ops, skews)
}

pub(super) async fn complaint_handled(
    c: &impl GenericClient,
    id: &str,
    at: i64,
) -> Result<i64, StorageError> {
    let exists: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = $1)",
            &[&id],
        )
        .await?
        .try_get(0)?;
    if !exists {
        return Err(StorageError::NotFound(Thing::WorkOrder));
    }
    c.execute(
        "INSERT INTO complaint_handling (work_order_id, handled_at) VALUES ($1, $2)
         ON CONFLICT (work_order_id) DO NOTHING",
        &[&id, &at],
    )
    .await?;
    Ok(c.query_one(
        "SELECT handled_at FROM complaint_handling WHERE work_order_id = $1",
        &[&id],
    )
    .await?
    .try_get(0)?)
}

/// The facts of a period, read in one snapshot (see [`facts`]).
pub(super) async fn facts_in_snapshot(
    pool: &Pool,
    from: i64,
) -> Result<Vec<JobFacts>, StorageError> {
    // One snapshot for the three reads: no push lands between them.
    let mut c = pool.get().await.map_err(pool_err)?;
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let facts = facts(&tx, from).await?;
    tx.commit().await?;
    Ok(facts)
}

pub(super) async fn record_cash_handin(
    c: &impl GenericClient,
    h: &CashHandIn,
) -> Result<(), StorageError> {
    let exists: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = $1)",
            &[&h.technician_id],
        )
        .await?
        .try_get(0)?;
    if !exists {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    c.execute(
        "INSERT INTO cash_handins (id, technician_id, day, amount, note, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &h.id,
            &h.technician_id,
            &h.day,
            &h.amount,
            &h.note,
            &h.recorded_by,
            &h.recorded_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn cash_handins(
    c: &impl GenericClient,
    day: &str,
) -> Result<Vec<CashHandIn>, StorageError> {
    c.query(
        "SELECT id, technician_id, day, amount, note, recorded_by, recorded_at
           FROM cash_handins WHERE day = $1 ORDER BY recorded_at, id",
        &[&day],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(CashHandIn {
            id: r.try_get(0)?,
            technician_id: r.try_get(1)?,
            day: r.try_get(2)?,
            amount: r.try_get(3)?,
            note: r.try_get(4)?,
            recorded_by: r.try_get(5)?,
            recorded_at: r.try_get(6)?,
        })
    })
    .collect()
}
