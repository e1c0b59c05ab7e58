//! The PostgreSQL side of invoices (migration 0007): the desk's record that the invoice of a
//! settlement was issued, and every accepted `settle` op the invoice report reads.

use crate::msg;
use crate::msg::Thing;
use deadpool_postgres::Pool;
use fieldkit_core::sync::protocol::Op;

use super::pool_err;
use crate::records::InvoiceRecord;
use crate::storage::StorageError;

pub(super) async fn record_invoice(pool: &Pool, i: &InvoiceRecord) -> Result<(), StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let job: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = $1)",
            &[&i.work_order_id],
        )
        .await?
        .try_get(0)?;
    if !job {
        return Err(StorageError::NotFound(Thing::WorkOrder));
    }
    let n = c
        .execute(
            "INSERT INTO invoices (settlement_id, work_order_id, number, issued_on, recorded_by,
                                   recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (settlement_id) DO NOTHING",
            &[
                &i.settlement_id,
                &i.work_order_id,
                &i.number,
                &i.issued_on,
                &i.recorded_by,
                &i.recorded_at,
            ],
        )
        .await?;
    if n == 0 {
        return Err(StorageError::Conflict(msg!("err-invoice-recorded")));
    }
    Ok(())
}

pub(super) async fn invoices(pool: &Pool) -> Result<Vec<InvoiceRecord>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    c.query(
        "SELECT settlement_id, work_order_id, number, issued_on, recorded_by, recorded_at
           FROM invoices ORDER BY recorded_at, settlement_id",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(InvoiceRecord {
            settlement_id: r.try_get(0)?,
            work_order_id: r.try_get(1)?,
            number: r.try_get(2)?,
            issued_on: r.try_get(3)?,
            recorded_by: r.try_get(4)?,
            recorded_at: r.try_get(5)?,
        })
    })
    .collect()
}

pub(super) async fn ops_of_kind(pool: &Pool, kind: &str) -> Result<Vec<Op>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT body FROM ops WHERE kind = $1 AND entity = 'work_order'
               AND outcome <> 'rejected' ORDER BY received_at, device_id, seq",
            &[&kind],
        )
        .await?;
    let mut ops = Vec::with_capacity(rows.len());
    for r in rows {
        ops.push(serde_json::from_str::<Op>(&r.try_get::<_, String>(0)?)?);
    }
    Ok(ops)
}
