//! The SQLite side of the flags raised for the dispatcher: written by the push, read back
//! with an op's completion and on the dashboard.

use rusqlite::{Connection, params};

use crate::records::Flag;
use crate::storage::StorageError;

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
pub(super) fn flag_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Flag> {
    Ok(Flag {
        work_order_id: r.get(0)?,
        op_id: r.get(1)?,
        device_id: r.get(2)?,
        kind: r.get(3)?,
        detail: r.get(4)?,
        created_at: r.get(5)?,
    })
}

pub(super) fn insert_flag(c: &Connection, f: &Flag) -> Result<(), StorageError> {
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
