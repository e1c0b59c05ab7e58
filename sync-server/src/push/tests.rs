//! The stored body of an op.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn op(payload: Value, visit: Option<String>) -> Op {
    Op {
        op_id: OpId::new(),
        seq: 7,
        entity: "work_order".into(),
        entity_id: "wo-1".into(),
        visit_id: visit,
        kind: "sign".into(),
        version: 2,
        payload,
        hlc: "0000000001-0000-dev".into(),
        device_time: 1_700_000_000_000,
        hash: None,
    }
}

proptest! {
    /// The body is the op's JSON as `to_value` writes it (keys sorted), and the op keeps
    /// its payload.
    #[test]
    fn the_body_is_the_ops_sorted_json_and_the_op_is_kept(
        strokes in prop::collection::vec((-1e6f64..1e6, 0.0f64..1.0), 0..40),
        word in "\\PC{0,12}",
        visit in prop::option::of("[a-z0-9-]{1,12}"),
    ) {
        let payload = json!({
            "zeta": word,
            "alpha": strokes.iter().map(|(x, p)| json!([x, p])).collect::<Vec<_>>(),
            "nested": {"b": 1, "a": [true, null, word]},
        });
        let mut o = op(payload.clone(), visit);
        let expected = serde_json::to_value(&o).unwrap().to_string();
        let (body, hash) = body_of(&mut o);
        prop_assert_eq!(&body, &expected);
        prop_assert_eq!(hash, hex::encode(Sha256::digest(expected.as_bytes())));
        prop_assert_eq!(o.payload, payload);
    }
}
