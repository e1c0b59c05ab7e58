//! SQLite reads and writes of the quality measures: the facts of a period and the desk's
//! complaint handling (its own table).

use crate::msg::Thing;
use rusqlite::{Connection, OptionalExtension, params};

use crate::records::{CashHandIn, JobFacts};
use crate::storage::StorageError;
use crate::storage::measure_rows::{self, COUNTED_OPS, JobRow, LOOKBACK_MS, OpRow, SkewRow};

/// The jobs of a period (see [`measure_rows`]): ?1 = lookback start.
const IN_PERIOD: &str = "(w.completed_at IS NULL OR w.completed_at >= ?1)
    AND NOT (w.cancel_reason IS NOT NULL AND w.updated_at < ?1)";

pub(super) fn facts(c: &Connection, from: i64) -> Result<Vec<JobFacts>, StorageError> {
    let since = from.saturating_sub(LOOKBACK_MS);
    let jobs = c
        .prepare(&format!(
            "SELECT w.id, w.body, w.technician_id, h.handled_at FROM work_orders w
               LEFT JOIN complaint_handling h ON h.work_order_id = w.id
              WHERE {IN_PERIOD} ORDER BY w.id"
        ))?
        .query_map(params![since], |r| {
            Ok(JobRow {
                id: r.get(0)?,
                body: r.get(1)?,
                technician_id: r.get(2)?,
                complaint_handled_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let ops = c
        .prepare(&format!(
            "SELECT o.entity_id, o.device_id, o.body, o.received_at FROM ops o
               JOIN work_orders w ON w.id = o.entity_id
              WHERE o.entity = 'work_order' AND {COUNTED_OPS} AND {IN_PERIOD}
              ORDER BY o.device_id, o.seq"
        ))?
        .query_map(params![since], |r| {
            Ok(OpRow {
                entity_id: r.get(0)?,
                device_id: r.get(1)?,
                body: r.get(2)?,
                received_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let skews = c
        .prepare(
            "SELECT device_id, created_at, detail, said FROM flags WHERE kind = 'clock_skew'
              ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(SkewRow {
                device_id: r.get(0)?,
                created_at: r.get(1)?,
                detail: r.get(2)?,
                said: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    measure_rows::assemble(jobs, ops, skews)
}

pub(super) fn complaint_handled(c: &Connection, id: &str, at: i64) -> Result<i64, StorageError> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(StorageError::NotFound(Thing::WorkOrder));
    }
    c.execute(
        "INSERT INTO complaint_handling (work_order_id, handled_at) VALUES (?1, ?2)
         ON CONFLICT (work_order_id) DO NOTHING",
        params![id, at],
    )?;
    let first: Option<i64> = c
        .query_row(
            "SELECT handled_at FROM complaint_handling WHERE work_order_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    first.ok_or(StorageError::NotFound(Thing::WorkOrder))
}

pub(super) fn record_cash_handin(c: &Connection, h: &CashHandIn) -> Result<(), StorageError> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM technicians WHERE id = ?1)",
        [&h.technician_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(StorageError::NotFound(Thing::Technician));
    }
    c.execute(
        "INSERT INTO cash_handins (id, technician_id, day, amount, note, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            h.id,
            h.technician_id,
            h.day,
            h.amount,
            h.note,
            h.recorded_by,
            h.recorded_at
        ],
    )?;
    Ok(())
}

pub(super) fn cash_handins(c: &Connection, day: &str) -> Result<Vec<CashHandIn>, StorageError> {
    Ok(c.prepare(
        "SELECT id, technician_id, day, amount, note, recorded_by, recorded_at
               FROM cash_handins WHERE day = ?1 ORDER BY recorded_at, id",
    )?
    .query_map([day], |r| {
        Ok(CashHandIn {
            id: r.get(0)?,
            technician_id: r.get(1)?,
            day: r.get(2)?,
            amount: r.get(3)?,
            note: r.get(4)?,
            recorded_by: r.get(5)?,
            recorded_at: r.get(6)?,
        })
    })?
    .collect::<Result<Vec<_>, _>>()?)
}
