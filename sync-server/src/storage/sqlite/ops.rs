//! The SQLite side of the stored ops read back: the completions waiting for their signature
//! drawings to be checked (with the device's `sign` ops), and a job's ops of one kind (the
//! public verify page reads the signatures from them).

use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::protocol::Op;
use rusqlite::{Connection, params};

use crate::records::DrawingCheck;
use crate::storage::StorageError;

pub(super) fn pending_drawings(
    c: &Connection,
    limit: i64,
) -> Result<Vec<DrawingCheck>, StorageError> {
    let rows = c
        .prepare_cached(
            "SELECT d.op_id, d.work_order_id, d.device_id FROM drawing_checks d
               JOIN ops o ON o.op_id = d.op_id
              ORDER BY d.created_at, d.op_id LIMIT ?1",
        )?
        .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<(String, String, String)>>>()?;
    rows.into_iter()
        .map(|(op_id, job, device)| drawing_check(c, op_id, job, device))
        .collect()
}

/// A drawing check with its device's `sign` ops on the job up to the completion and the
/// completion itself, in `seq` order.
pub(super) fn drawing_check(
    c: &Connection,
    op_id: String,
    work_order_id: String,
    device_id: String,
) -> Result<DrawingCheck, StorageError> {
    let bodies = c
        .prepare_cached(
            "SELECT body FROM ops WHERE entity_id = ?1 AND device_id = ?2
               AND entity = 'work_order'
               AND seq <= (SELECT seq FROM ops WHERE op_id = ?3)
               AND (kind = 'sign' OR op_id = ?3) ORDER BY seq",
        )?
        .query_map(params![work_order_id, device_id, op_id], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(DrawingCheck {
        ops: bodies
            .iter()
            .map(|b| serde_json::from_str(b))
            .collect::<Result<_, _>>()?,
        op_id,
        work_order_id,
        device_id,
    })
}

pub(super) fn job_ops(
    c: &Connection,
    id: WorkOrderId,
    kind: String,
) -> Result<Vec<Op>, StorageError> {
    let mut stmt = c.prepare_cached(
        "SELECT body FROM ops WHERE entity_id = ?1 AND entity = 'work_order'
           AND kind = ?2 AND outcome != 'rejected' ORDER BY received_at, device_id, seq",
    )?;
    let bodies = stmt
        .query_map(params![id.to_string(), kind], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| Ok(serde_json::from_str::<Op>(b)?))
        .collect()
}
