//! The PostgreSQL side of the flags raised for the dispatcher: written by the push, read back
//! with an op's completion.

use deadpool_postgres::GenericClient;

use crate::records::Flag;
use crate::storage::StorageError;

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

pub(super) async fn insert_flag(c: &impl GenericClient, f: &Flag) -> Result<(), StorageError> {
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
