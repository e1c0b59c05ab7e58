//! A hostile client: journals made by the real core, then edited the way a modified app, an
//! old app with a bug or a leaked token could — ops added, dropped or changed, the timeline's
//! hashes (and signature seals) recomputed so the edit is not caught by the hash chain alone,
//! only by the rules.
#![allow(dead_code)]

use fieldkit_core::media::chain::{ChainedEvent, event_hash};
use fieldkit_core::media::signature::{SealInput, seal};
use fieldkit_core::model::OpId;
use fieldkit_core::sync::protocol::Op;
use serde_json::Value;

/// Renumbers `ops` from `first_seq` and recomputes every job op's timeline hash from
/// `heads` (each job's head before the first op here; none for a journal from its start),
/// the way the device chains them.
pub fn rechain_from(
    ops: &mut [Op],
    first_seq: i64,
    mut heads: std::collections::HashMap<String, String>,
) {
    for (i, op) in ops.iter_mut().enumerate() {
        op.seq = first_seq + i as i64;
        if op.entity != "work_order" {
            continue;
        }
        let id = op.op_id.to_string();
        let payload = op.payload.to_string();
        let h = event_hash(
            heads.get(&op.entity_id).map(String::as_str),
            &ChainedEvent {
                id: &id,
                work_order_id: &op.entity_id,
                visit_id: op.visit_id.as_deref(),
                kind: &op.kind,
                at_ms: op.device_time,
                payload: &payload,
            },
        );
        op.hash = Some(h.clone());
        heads.insert(op.entity_id.clone(), h);
    }
}

/// [`rechain_from`] for journals that start at their jobs' first op and at `seq` 1.
pub fn rechain(ops: &mut [Op]) {
    rechain_from(ops, 1, Default::default());
}

/// A new op like `like` (same job and visit, a moment later) of `kind` with `payload`.
pub fn forge(like: &Op, kind: &str, payload: Value) -> Op {
    Op {
        op_id: OpId::new(),
        seq: like.seq,
        entity: like.entity.clone(),
        entity_id: like.entity_id.clone(),
        visit_id: like.visit_id.clone(),
        kind: kind.into(),
        version: 1,
        payload,
        hlc: like.hlc.clone(),
        device_time: like.device_time + 1,
        hash: None,
    }
}

/// Binds a `sign` op again after an edit: its chain head becomes the hash of the op before it
/// in `ops` (same job) and its seal is recomputed. Call [`rechain`] before and after.
pub fn reseal(ops: &mut [Op], sign_index: usize) {
    let job = ops[sign_index].entity_id.clone();
    let head = ops[..sign_index]
        .iter()
        .rev()
        .find(|o| o.entity_id == job)
        .and_then(|o| o.hash.clone())
        .unwrap_or_default();
    let p = &mut ops[sign_index].payload;
    p["chain_head"] = head.clone().into();
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    let signed_at = chrono::DateTime::parse_from_rfc3339(&s("signed_at"))
        .map(|t| t.timestamp_millis())
        .unwrap_or_default();
    let sealed = seal(&SealInput {
        summary_sha256: &s("summary_sha256"),
        chain_head: &head,
        signer_name: &s("signer_name"),
        role: &s("role"),
        signed_at_ms: signed_at,
        image_sha256: &s("image_sha256"),
        device_id: &s("device_id"),
    });
    p["seal"] = sealed.into();
}

/// The position of the first op of `kind` (whose payload has `field == value`, if given).
pub fn find(ops: &[Op], kind: &str, field: Option<(&str, &str)>) -> usize {
    ops.iter()
        .position(|o| o.kind == kind && field.is_none_or(|(k, v)| o.payload[k].as_str() == Some(v)))
        .unwrap_or_else(|| panic!("no {kind} {field:?} in the journal"))
}
