//! Ops for the readers' unit tests, written through the op catalogue as a phone writes them.

use fieldkit_core::media::signature::{self as sig, SealInput, SignedSummary, SummaryOrder};
use fieldkit_core::model::{DeviceId, OpId, SignatureId, SignerRole, VisitId};
use fieldkit_core::sync::ops::{JobOp, SignV1};
use fieldkit_core::sync::protocol::Op;
use serde_json::Value;

use crate::storage::dashboard::TimelineEntry;

/// A job's op as a phone writes it.
pub fn op(j: &JobOp) -> Op {
    Op {
        op_id: OpId::new(),
        seq: 1,
        entity: "work_order".into(),
        entity_id: "j".into(),
        visit_id: None,
        kind: j.kind().into(),
        version: j.version(),
        payload: j.payload(),
        hlc: String::new(),
        device_time: 0,
        hash: None,
    }
}

/// The op with one payload field renamed (an app that renamed it, or a forged payload).
pub fn renamed(op: &Op, from: &str, to: &str) -> Op {
    let mut op = op.clone();
    let Value::Object(map) = &mut op.payload else {
        panic!("a payload is an object");
    };
    let v = map.remove(from).expect("the field is there");
    map.insert(to.into(), v);
    op
}

/// The op as an applied entry of a job's timeline.
pub fn entry(op: Op) -> TimelineEntry {
    TimelineEntry {
        op,
        device_id: "d".into(),
        outcome: "applied".into(),
        code: None,
        reason: None,
        reason_said: None,
        received_at: 0,
    }
}

/// A small signed summary.
pub fn summary() -> SignedSummary {
    SignedSummary {
        version: 1,
        work_order: SummaryOrder {
            id: "j".into(),
            number: "WO-1".into(),
            kind: "repair".into(),
            product_model: "M".into(),
            product_serial: None,
            reported_fault: "no water".into(),
            billing: "warranty".into(),
        },
        visit_id: "v".into(),
        findings: vec![],
        answers: vec![],
        parts: vec![],
        fee_consent: None,
        photos: vec![],
        take_back: None,
    }
}

/// The customer's signature over [`summary`], sealed as a phone seals it.
pub fn customer_sign() -> SignV1 {
    let summary = summary();
    let hash = summary.sha256();
    let mut s = SignV1 {
        id: SignatureId::new(),
        visit_id: VisitId::new(),
        signer_name: "王女士".into(),
        role: SignerRole::Customer,
        signed_at: chrono::Utc::now(),
        image_sha256: "i".repeat(64),
        device_id: DeviceId::new(),
        step_id: Some("customer_signature".into()),
        summary_sha256: Some(hash),
        chain_head: Some("c".repeat(64)),
        seal: None,
        finding: None,
        strokes: None,
        strokes_packed: None,
        summary: Some(summary),
    };
    s.seal = Some(seal_of(&s));
    s
}

fn seal_of(s: &SignV1) -> String {
    sig::seal(&SealInput {
        summary_sha256: s.summary_sha256.as_deref().unwrap_or_default(),
        chain_head: s.chain_head.as_deref().unwrap_or_default(),
        signer_name: &s.signer_name,
        role: s.role.as_str(),
        signed_at_ms: s.signed_at.timestamp_millis(),
        image_sha256: &s.image_sha256,
        device_id: &s.device_id.to_string(),
    })
}
