//! The SQLite side of invoices (migration 0007): the desk's record that the invoice of a
//! settlement was issued, and every accepted `settle` op the invoice report reads.

use crate::msg;
use crate::msg::Thing;
use fieldkit_core::sync::protocol::Op;
use rusqlite::{Connection, params};

use crate::records::InvoiceRecord;
use crate::storage::StorageError;

pub(super) fn record_invoice(c: &Connection, i: &InvoiceRecord) -> Result<(), StorageError> {
    let job: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = ?1)",
        [&i.work_order_id],
        |r| r.get(0),
    )?;
    if !job {
        return Err(StorageError::NotFound(Thing::WorkOrder));
    }
    let n = c.execute(
        "INSERT INTO invoices (settlement_id, work_order_id, number, issued_on, recorded_by,
                               recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (settlement_id) DO NOTHING",
        params![
            i.settlement_id,
            i.work_order_id,
            i.number,
            i.issued_on,
            i.recorded_by,
            i.recorded_at
        ],
    )?;
    if n == 0 {
        return Err(StorageError::Conflict(msg!("err-invoice-recorded")));
    }
    Ok(())
}

pub(super) fn invoices(c: &Connection) -> Result<Vec<InvoiceRecord>, StorageError> {
    Ok(c.prepare(
        "SELECT settlement_id, work_order_id, number, issued_on, recorded_by, recorded_at
           FROM invoices ORDER BY recorded_at, settlement_id",
    )?
    .query_map([], |r| {
        Ok(InvoiceRecord {
            settlement_id: r.get(0)?,
            work_order_id: r.get(1)?,
            number: r.get(2)?,
            issued_on: r.get(3)?,
            recorded_by: r.get(4)?,
            recorded_at: r.get(5)?,
        })
    })?
    .collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn ops_of_kind(c: &Connection, kind: &str) -> Result<Vec<Op>, StorageError> {
    let mut stmt = c.prepare_cached(
        "SELECT body FROM ops WHERE kind = ?1 AND entity = 'work_order'
           AND outcome != 'rejected' ORDER BY received_at, device_id, seq",
    )?;
    let bodies = stmt
        .query_map([kind], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| Ok(serde_json::from_str::<Op>(b)?))
        .collect()
}
