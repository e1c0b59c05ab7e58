//! The PostgreSQL side of the stored ops read back: the completions waiting for their
//! signature drawings to be checked (with the device's `sign` ops), and a job's ops of one
//! kind (the public verify page reads the signatures from them).

use deadpool_postgres::{GenericClient, Pool};
use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::protocol::Op;

use super::pool_err;
use crate::records::DrawingCheck;
use crate::storage::StorageError;

pub(super) async fn pending_drawings(
    pool: &Pool,
    limit: i64,
) -> Result<Vec<DrawingCheck>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT d.op_id, d.work_order_id, d.device_id FROM drawing_checks d
               JOIN ops o ON o.op_id = d.op_id
              ORDER BY d.created_at, d.op_id LIMIT $1",
            &[&limit],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(drawing_check(&c, r.try_get(0)?, r.try_get(1)?, r.try_get(2)?).await?);
    }
    Ok(out)
}

/// A drawing check with its device's `sign` ops on the job up to the completion and the
/// completion itself, in `seq` order.
pub(super) async fn drawing_check(
    c: &impl GenericClient,
    op_id: String,
    work_order_id: String,
    device_id: String,
) -> Result<DrawingCheck, StorageError> {
    let ops = c
        .query(
            "SELECT body FROM ops WHERE entity_id = $1 AND device_id = $2
               AND entity = 'work_order'
               AND seq <= (SELECT seq FROM ops WHERE op_id = $3)
               AND (kind = 'sign' OR op_id = $3) ORDER BY seq",
            &[&work_order_id, &device_id, &op_id],
        )
        .await?
        .iter()
        .map(|r| Ok(serde_json::from_str(&r.try_get::<_, String>(0)?)?))
        .collect::<Result<Vec<Op>, StorageError>>()?;
    Ok(DrawingCheck {
        op_id,
        work_order_id,
        device_id,
        ops,
    })
}

pub(super) async fn job_ops(
    pool: &Pool,
    id: WorkOrderId,
    kind: String,
) -> Result<Vec<Op>, StorageError> {
    let c = pool.get().await.map_err(pool_err)?;
    let rows = c
        .query(
            "SELECT body FROM ops WHERE entity_id = $1 AND entity = 'work_order'
               AND kind = $2 AND outcome <> 'rejected'
             ORDER BY received_at, device_id, seq",
            &[&id.to_string(), &kind],
        )
        .await?;
    let mut ops = Vec::with_capacity(rows.len());
    for r in rows {
        ops.push(serde_json::from_str::<Op>(&r.try_get::<_, String>(0)?)?);
    }
    Ok(ops)
}
