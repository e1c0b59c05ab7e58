//! The PostgreSQL side of the flags raised for the dispatcher: written by the push, read back
//! with an op's completion.

use deadpool_postgres::GenericClient;

use tokio_postgres::Row;

use crate::records::Flag;
use crate::storage::StorageError;
use crate::stored::Stored;

/// The flags of several ops (by op id), each op's in the order they were raised: one query,
/// not one per op.
pub(super) async fn flags_of_ops(
    c: &impl GenericClient,
    op_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<Flag>>, StorageError> {
    let mut out: std::collections::HashMap<String, Vec<Flag>> = Default::default();
    if op_ids.is_empty() {
        return Ok(out);
    }
    for r in c
        .query(
            &c.prepare_cached(
                "SELECT work_order_id, op_id, device_id, kind, detail, created_at, said
                   FROM flags WHERE op_id = ANY($1) ORDER BY id",
            )
            .await?,
            &[&op_ids],
        )
        .await?
    {
        let f = flag_of(&r)?;
        if let Some(op) = f.op_id.clone() {
            out.entry(op).or_default().push(f);
        }
    }
    Ok(out)
}

/// A flag from a row of `work_order_id, op_id, device_id, kind, detail, created_at, said`.
pub(super) fn flag_of(f: &Row) -> Result<Flag, StorageError> {
    Ok(Flag {
        work_order_id: f.try_get(0)?,
        op_id: f.try_get(1)?,
        device_id: f.try_get(2)?,
        kind: f.try_get(3)?,
        detail: f.try_get(4)?,
        said: said_of(f, 6)?,
        created_at: f.try_get(5)?,
    })
}

/// A stored sentence (JSON text) from column `i`: none for NULL or anything else (a row from
/// before migration 0015).
pub(super) fn said_of(r: &Row, i: usize) -> Result<Option<Stored>, StorageError> {
    Ok(r.try_get::<_, Option<String>>(i)?
        .as_deref()
        .and_then(Stored::from_json))
}

pub(super) async fn insert_flag(c: &impl GenericClient, f: &Flag) -> Result<(), StorageError> {
    c.execute(
        &c.prepare_cached(
            "INSERT INTO flags (work_order_id, op_id, device_id, kind, detail, created_at, said)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?,
        &[
            &f.work_order_id,
            &f.op_id,
            &f.device_id,
            &f.kind,
            &f.detail,
            &f.created_at,
            &f.said.as_ref().map(Stored::to_json),
        ],
    )
    .await?;
    Ok(())
}
