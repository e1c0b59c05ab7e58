use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::*;
use crate::model::*;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000).prop_map(|ms| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or_else(Utc::now)
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn op() -> impl Strategy<Value = Op> {
    (
        (uuid(), 1i64..1_000_000, "[a-z_]{1,12}", text()),
        (proptest::option::of(text()), "[a-z_]{1,16}", 1i64..3),
        (
            json_value(),
            text(),
            any::<i64>(),
            proptest::option::of("[0-9a-f]{64}"),
        ),
    )
        .prop_map(
            |(
                (op_id, seq, entity, entity_id),
                (visit_id, kind, version),
                (payload, hlc, device_time, hash),
            )| Op {
                op_id: OpId(op_id),
                seq,
                entity,
                entity_id,
                visit_id,
                kind,
                version,
                payload,
                hlc,
                device_time,
                hash,
            },
        )
}

fn work_order() -> impl Strategy<Value = WorkOrder> {
    (
        (uuid(), text(), 0usize..5, text(), text(), text()),
        (any::<bool>(), text(), proptest::option::of(text()), text()),
        (
            ts(),
            ts(),
            any::<bool>(),
            proptest::option::of(text()),
            ts(),
        ),
        0usize..8,
        proptest::option::of((uuid(), text(), 0usize..5)),
        proptest::option::of((ts(), 0i64..1_000_000, any::<bool>(), 0usize..12)),
    )
        .prop_map(
            |(
                (id, number, kind, name, phone, address),
                (urban, model, serial, fault),
                (start, end, paid, instructions, reported_at),
                status,
                parent,
                sale,
            )| WorkOrder {
                id: WorkOrderId(id),
                number,
                kind: JobKind::ALL[kind],
                customer: Customer { name, phone },
                site: Site {
                    address,
                    zone: if urban { Zone::Urban } else { Zone::Suburban },
                },
                product: Product { model, serial },
                reported_fault: fault,
                promised: TimeWindow { start, end },
                billing: if paid {
                    Billing::Paid
                } else {
                    Billing::Warranty
                },
                instructions,
                reported_at,
                status: WorkOrderStatus::ALL[status],
                checklist: None,
                parent: parent.map(|(id, number, kind)| ParentLink {
                    id: WorkOrderId(id),
                    number,
                    kind: LinkKind::ALL[kind],
                }),
                sale: sale.map(|(sold_at, price, seasonal, category)| Sale {
                    sold_at,
                    price_paid: price,
                    list_price: price + 100,
                    current_price: seasonal.then_some(price / 2),
                    seasonal,
                    category: returns::Category::ALL[category],
                    customer_type: CustomerType::Business,
                    requested_at: seasonal.then_some(sold_at),
                }),
            },
        )
}

fn fee_schedule() -> impl Strategy<Value = FeeSchedule> {
    (
        text(),
        any::<u32>(),
        "[A-Z]{3}",
        prop::collection::vec((text(), text(), text(), any::<i64>()), 0..4),
    )
        .prop_map(|(id, version, currency, items)| FeeSchedule {
            id,
            version,
            currency,
            items: items
                .into_iter()
                .map(|(code, label_zh, label_en, amount)| FeeItem {
                    code,
                    label_zh,
                    label_en,
                    amount,
                })
                .collect(),
        })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        work_order().prop_map(|work_order| Change::WorkOrder { work_order }),
        (uuid(), text()).prop_map(|(id, reason)| Change::Cancellation {
            work_order_id: WorkOrderId(id),
            reason
        }),
        uuid().prop_map(|id| Change::Removal {
            work_order_id: WorkOrderId(id)
        }),
        text().prop_map(|json| Change::ChecklistTemplate { json }),
        fee_schedule().prop_map(|fee_schedule| Change::FeeSchedule { fee_schedule }),
        (text(), text(), text()).prop_map(|(sku, name, unit)| Change::CatalogPart {
            part: Part { sku, name, unit }
        }),
    ]
}

fn outcome() -> impl Strategy<Value = OpOutcome> {
    prop_oneof![
        Just(OpOutcome::Applied),
        (
            0usize..3,
            proptest::option::of(text()),
            proptest::option::of(text())
        )
            .prop_map(|(f, code, reason)| OpOutcome::Duplicate {
                first: [
                    FirstOutcome::Applied,
                    FirstOutcome::Rejected,
                    FirstOutcome::Conflict
                ][f],
                code,
                reason
            }),
        (text(), text()).prop_map(|(code, reason)| OpOutcome::Rejected { code, reason }),
        (text(), text()).prop_map(|(code, reason)| OpOutcome::Conflict { code, reason }),
        any::<i64>().prop_map(|expected| OpOutcome::Gap { expected }),
    ]
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
    let s = serde_json::to_string(v).unwrap();
    let back: T = serde_json::from_str(&s).unwrap();
    assert_eq!(&back, v, "{s}");
}

proptest! {
    #[test]
    fn push_types_round_trip(
        ops in prop::collection::vec(op(), 0..4),
        results in prop::collection::vec((uuid(), any::<i64>(), outcome()), 0..6),
        acked_through in any::<i64>(),
    ) {
        round_trip(&PushRequest { ops });
        round_trip(&PushResponse {
            results: results
                .into_iter()
                .map(|(id, seq, outcome)| OpResult { op_id: OpId(id), seq, outcome })
                .collect(),
            acked_through,
        });
    }

    #[test]
    fn pull_types_round_trip(
        changes in prop::collection::vec((any::<i64>(), change()), 0..5),
        cursor in any::<i64>(),
        more in any::<bool>(),
        limit in proptest::option::of(any::<i64>()),
    ) {
        round_trip(&PullQuery { cursor, limit, accept: None });
        round_trip(&PullResponse {
            changes: changes
                .into_iter()
                .map(|(seq, change)| ChangeEntry { seq, change })
                .collect(),
            cursor,
            more,
            accepts: if more { vec![] } else { vec![ACCEPTS_PACKED_STROKES.into()] },
            card: more.then(|| TechnicianCard {
                technician_id: cursor.to_string(),
                name: "张师傅".into(),
                employee_number: Some("GH-1".into()),
                service_hotline: None,
            }),
        });
    }

    #[test]
    fn enrolment_blob_and_error_types_round_trip(
        code in text(),
        device in uuid(),
        tech in text(),
        token in text(),
        hashes in prop::collection::vec("[0-9a-f]{64}", 0..5),
        offset in any::<u64>(),
        complete in any::<bool>(),
    ) {
        round_trip(&EnrollRequest {
            code: code.clone(),
            device_id: DeviceId(device),
            public_key: hashes.first().cloned().unwrap_or_default(),
            proof: tech.clone(),
        });
        round_trip(&EnrollResponse {
            device_id: DeviceId(device),
            technician_id: tech.clone(),
            token,
            accepts: if complete { ACCEPTS.iter().map(|a| a.to_string()).collect() } else { vec![] },
            card: complete.then(|| TechnicianCard {
                technician_id: tech.clone(),
                name: tech.clone(),
                employee_number: None,
                service_hotline: Some("400-820-8820".into()),
            }),
        });
        round_trip(&MissingBlobsRequest { hashes: hashes.clone() });
        round_trip(&MissingBlobsResponse { missing: hashes.clone() });
        round_trip(&BlobStatus {
            sha256: hashes.first().cloned().unwrap_or_default(),
            offset,
            complete,
        });
        round_trip(&ErrorBody { code: code.clone(), message: tech.clone(), detail: None });
        round_trip(&ErrorBody { code, message: tech, detail: Some(offset.to_string()) });
    }
}

/// The phone reads error bodies from servers with and without `detail` (and ignores
/// fields it does not know), and sends no `detail` key when there is none.
#[test]
fn error_bodies_with_and_without_detail_parse() {
    let old: ErrorBody =
        serde_json::from_str(r#"{"code":"conflict","message":"工单已关闭。"}"#).unwrap();
    assert_eq!(old.detail, None);
    let new: ErrorBody = serde_json::from_str(
        r#"{"code":"bad_request","message":"请求正文不符合要求。","detail":"missing field `x` at line 1 column 5","later":1}"#,
    )
    .unwrap();
    assert_eq!(new.code, "bad_request");
    assert_eq!(
        new.detail.as_deref(),
        Some("missing field `x` at line 1 column 5")
    );
    let text = serde_json::to_string(&old).unwrap();
    assert!(!text.contains("detail"), "{text}");
}

#[test]
fn requests_refuse_unknown_fields() {
    let op = serde_json::json!({
        "op_id": Uuid::nil(), "seq": 1, "entity": "work_order", "entity_id": "x",
        "visit_id": null, "kind": "arrive", "version": 1, "payload": {}, "hlc": "h",
        "device_time": 0, "hash": null
    });
    let ok = serde_json::json!({ "ops": [op.clone()] });
    assert!(serde_json::from_value::<PushRequest>(ok).is_ok());
    let mut extra_op = op.clone();
    extra_op["surprise"] = true.into();
    let cases = [
        serde_json::json!({ "ops": [extra_op] }),
        serde_json::json!({ "ops": [], "extra": 1 }),
    ];
    for c in cases {
        assert!(serde_json::from_value::<PushRequest>(c).is_err());
    }
    assert!(
        serde_json::from_value::<EnrollRequest>(serde_json::json!({
            "code": "c", "device_id": Uuid::nil(), "admin": true
        }))
        .is_err()
    );
    assert!(
        serde_json::from_value::<MissingBlobsRequest>(serde_json::json!({
            "hashes": [], "all": true
        }))
        .is_err()
    );
    assert!(
        serde_json::from_value::<PullQuery>(serde_json::json!({ "cursor": 1, "x": 2 })).is_err()
    );
}

#[test]
fn outcomes_are_tagged_flat() {
    let r = OpResult {
        op_id: OpId(Uuid::nil()),
        seq: 3,
        outcome: OpOutcome::Gap { expected: 2 },
    };
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["outcome"], "gap");
    assert_eq!(v["expected"], 2);
    assert!(!r.outcome.is_final());
    assert!(OpOutcome::Applied.is_final());
}
