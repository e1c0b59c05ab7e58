//! Ops for the readers' unit tests, written through the op catalogue as a phone writes them.

use fieldkit_core::model::OpId;
use fieldkit_core::sync::ops::JobOp;
use fieldkit_core::sync::protocol::Op;
use serde_json::Value;

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
