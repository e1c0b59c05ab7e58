//! The SQLite side of the flags raised for the dispatcher: written by the push, read back
//! with an op's completion and on the dashboard.

use rusqlite::{Connection, params};

use crate::records::Flag;
use crate::storage::StorageError;
use crate::stored::Stored;

/// An op's flags, in the order they were raised.
pub(super) fn flags_of(c: &Connection, op_id: &str) -> Result<Vec<Flag>, StorageError> {
    Ok(c.prepare_cached(
        "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said FROM flags
              WHERE op_id = ?1 ORDER BY id",
    )?
    .query_map([op_id], flag_from)?
    .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A flag from a row of `work_order_id, op_id, device_id, kind, detail, created_at, said`.
pub(super) fn flag_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Flag> {
    let said: Option<String> = r.get(6)?;
    Ok(Flag {
        work_order_id: r.get(0)?,
        op_id: r.get(1)?,
        device_id: r.get(2)?,
        kind: r.get(3)?,
        detail: r.get(4)?,
        said: said.as_deref().and_then(Stored::from_json),
        created_at: r.get(5)?,
    })
}

pub(super) fn insert_flag(c: &Connection, f: &Flag) -> Result<(), StorageError> {
    c.prepare_cached(
        "INSERT INTO flags (work_order_id, op_id, device_id, kind, detail, created_at, said)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        f.work_order_id,
        f.op_id,
        f.device_id,
        f.kind,
        f.detail,
        f.created_at,
        f.said.as_ref().map(Stored::to_json)
    ])?;
    Ok(())
}
