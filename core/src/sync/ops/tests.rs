//! The op codec: every typed op survives its JSON payload, every payload an older app wrote
//! (the device fixtures of each released schema) is read by today's code, and bad or hostile
//! payloads are refused with typed errors that never echo a value.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::checklist::AnswerValue;
use crate::media::signature::{SignedSummary, StrokePoint, Strokes, SummaryOrder};
use crate::model::*;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000, 0u32..1_000_000).prop_map(|(ms, ns)| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or_else(Utc::now)
            + chrono::Duration::nanoseconds(ns as i64)
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn window() -> impl Strategy<Value = TimeWindow> {
    (ts(), ts()).prop_map(|(start, end)| TimeWindow { start, end })
}

fn answer() -> impl Strategy<Value = AnswerValue> {
    prop_oneof![
        Just(AnswerValue::Confirmed),
        any::<bool>().prop_map(AnswerValue::YesNo),
        text().prop_map(AnswerValue::Choice),
        text().prop_map(AnswerValue::Text),
        (-1e9f64..1e9).prop_map(AnswerValue::Number),
        text().prop_map(AnswerValue::Serial),
        any::<bool>().prop_map(|agreed| AnswerValue::FeeConsent { agreed }),
    ]
}

fn strokes() -> impl Strategy<Value = Strokes> {
    let point =
        (0f32..600.0, 0f32..200.0, any::<u32>(), 0f32..1.0).prop_map(|(x, y, t_ms, pressure)| {
            StrokePoint {
                x,
                y,
                t_ms,
                pressure,
            }
        });
    prop::collection::vec(prop::collection::vec(point, 1..4), 1..3).prop_map(|strokes| Strokes {
        width: 600,
        height: 200,
        strokes,
    })
}

fn summary() -> impl Strategy<Value = SignedSummary> {
    (uuid(), text(), prop::option::of(text())).prop_map(|(id, fault, serial)| SignedSummary {
        version: 1,
        work_order: SummaryOrder {
            id: id.to_string(),
            number: "WO-1".into(),
            kind: "repair".into(),
            product_model: "WM-8000".into(),
            product_serial: serial,
            reported_fault: fault,
            billing: "paid".into(),
        },
        visit_id: id.to_string(),
        findings: Vec::new(),
        answers: Vec::new(),
        parts: Vec::new(),
        fee_consent: None,
        photos: vec!["ab".repeat(32)],
        take_back: None,
    })
}

fn sign() -> impl Strategy<Value = JobOp> {
    (
        (uuid(), uuid(), text(), any::<bool>(), ts(), uuid()),
        (
            prop::option::of(text()),
            prop::option::of("[0-9a-f]{64}"),
            prop::option::of(uuid()),
            prop::option::of(strokes()),
            prop::option::of(summary()),
        ),
    )
        .prop_map(
            |((id, visit, name, customer, at, device), (step, seal, finding, strokes, summary))| {
                JobOp::Sign(Box::new(SignV1 {
                    id: SignatureId(id),
                    visit_id: VisitId(visit),
                    signer_name: name,
                    role: if customer {
                        SignerRole::Customer
                    } else {
                        SignerRole::Technician
                    },
                    signed_at: at,
                    image_sha256: "cd".repeat(32),
                    device_id: DeviceId(device),
                    step_id: step,
                    summary_sha256: seal.clone(),
                    chain_head: seal.clone(),
                    seal,
                    finding: finding.map(FindingId),
                    // Odd stroke counts go packed: both forms cross the codec.
                    strokes_packed: strokes
                        .as_ref()
                        .filter(|s| s.strokes.len() % 2 == 1)
                        .map(crate::media::packed::pack),
                    strokes: strokes.filter(|s| s.strokes.len() % 2 == 0),
                    summary,
                }))
            },
        )
}

fn job_op() -> impl Strategy<Value = JobOp> {
    let simple = prop_oneof![
        Just(JobOp::Accept),
        Just(JobOp::StartTravel),
        Just(JobOp::StartWork),
        Just(JobOp::Resume),
        (window(), text())
            .prop_map(|(window, reason)| JobOp::Reschedule(RescheduleV1 { window, reason })),
        (any::<bool>(), any::<bool>()).prop_map(|(late, notified_in_time)| JobOp::Arrive(
            ArriveV1 {
                late,
                notified_in_time
            }
        )),
        text().prop_map(|note| JobOp::NoAccess(NoAccessV1 { note })),
        text().prop_map(|reason| JobOp::Cancel(ReasonV1 { reason })),
        text().prop_map(|reason| JobOp::Pause(ReasonV1 { reason })),
        (text(), answer())
            .prop_map(|(step, answer)| JobOp::AnswerStep(AnswerStepV1 { step, answer })),
        (text(), text())
            .prop_map(|(step, reason)| JobOp::ExceptStep(ExceptStepV1 { step, reason })),
        "[0-9a-f]{64}".prop_map(|summary_sha256| {
            JobOp::SummaryViewed(SummaryViewedV1 {
                summary_sha256,
                take_back: None,
            })
        }),
        (ts(), prop::collection::vec(uuid(), 0..3)).prop_map(|(completed_at, s)| {
            JobOp::Complete(CompleteV1 {
                completed_at,
                signatures: s.into_iter().map(SignatureId).collect(),
            })
        }),
    ];
    let records = prop_oneof![
        (
            uuid(),
            uuid(),
            ts(),
            any::<bool>(),
            prop::option::of(window()),
            prop::option::of(text())
        )
            .prop_map(|(id, wo, at, reached, agreed, note)| JobOp::CallCustomer(
                CallCustomerV1 {
                    id: CallId(id),
                    work_order_id: WorkOrderId(wo),
                    called_at: at,
                    reached,
                    confirmed: CallConfirmations::all(),
                    agreed,
                    note,
                    template: reached.then(|| TemplateRef {
                        id: "repair".into(),
                        version: 1,
                    }),
                }
            )),
        (uuid(), uuid(), ts(), text(), ts(), any::<bool>()).prop_map(
            |(id, v, at, reason, eta, in_time)| JobOp::NotifyDelay(NotifyDelayV1 {
                id: DelayNoticeId(id),
                visit_id: VisitId(v),
                notified_at: at,
                reason,
                new_eta: eta,
                in_time,
            })
        ),
        (uuid(), uuid(), text(), ts(), prop::option::of(uuid())).prop_map(
            |(id, v, description, at, ack)| JobOp::RecordFinding(RecordFindingV1 {
                id: FindingId(id),
                visit_id: VisitId(v),
                kind: FindingKind::ManMadeDamage,
                description,
                recorded_at: at,
                acknowledged_by: ack.map(SignatureId),
            })
        ),
        (
            uuid(),
            uuid(),
            text(),
            any::<u32>(),
            prop::collection::vec(text(), 0..3),
            any::<i64>(),
            any::<bool>(),
            ts()
        )
            .prop_map(|(id, v, sid, ver, items, total, agreed, at)| {
                JobOp::ConsentToFees(ConsentToFeesV1 {
                    id: FeeConsentId(id),
                    visit_id: VisitId(v),
                    schedule_id: sid,
                    schedule_version: ver,
                    items,
                    total,
                    agreed,
                    at,
                })
            }),
        (
            uuid(),
            uuid(),
            uuid(),
            text(),
            ts(),
            prop::option::of((uuid(), text())),
            prop::collection::vec("[0-9a-f]{64}", 0..3),
        )
            .prop_map(
                |(id, wo, v, no, at, loaner, photos)| JobOp::TakeBack(Box::new(TakeBackV1 {
                    receipt: ReceiptV1 {
                        id: ReceiptId(id),
                        work_order_id: WorkOrderId(wo),
                        visit_id: VisitId(v),
                        receipt_no: no.clone(),
                        reason: no.clone(),
                        issued_at: at,
                        goods_book_ref: no.clone(),
                        loaner_id: loaner.as_ref().map(|(l, _)| LoanerId(*l)),
                        returned_at: None,
                    },
                    loaner: loaner.map(|(l, serial)| LoanerV1 {
                        id: LoanerId(l),
                        work_order_id: WorkOrderId(wo),
                        model: no,
                        serial,
                        lent_at: at,
                        returned_at: Some(at),
                    }),
                    condition_photos: photos,
                }))
            ),
        (
            uuid(),
            uuid(),
            1u8..=5,
            prop::option::of(text()),
            any::<bool>(),
            ts()
        )
            .prop_map(|(id, v, rating, comment, complaint, at)| JobOp::Feedback(
                FeedbackV1 {
                    id: FeedbackId(id),
                    visit_id: VisitId(v),
                    rating,
                    comment,
                    complaint,
                    at,
                }
            )),
        (
            "[0-9a-f]{64}",
            uuid(),
            prop::option::of(text()),
            prop::option::of(0u32..9000)
        )
            .prop_map(|(sha, v, step, w)| JobOp::AddPhoto(AddPhotoV1 {
                sha256: sha.clone(),
                kind: AttachmentKind::Photo,
                mime: "image/jpeg".into(),
                size: 1234,
                visit_id: VisitId(v),
                step_id: step,
                width: w,
                height: w,
                thumbnail_sha256: w.map(|_| sha),
            })),
        (
            uuid(),
            uuid(),
            text(),
            1i64..10_000,
            prop::option::of(text()),
            any::<bool>(),
            ts()
        )
            .prop_map(|(id, v, sku, quantity, serial, short, at)| {
                JobOp::RecordPart(RecordPartV1 {
                    id: PartUsageId(id),
                    visit_id: VisitId(v),
                    sku,
                    quantity,
                    new_serial: serial.clone(),
                    old_part: OldPartFate::Scrapped,
                    old_serial: serial,
                    stock_short: short,
                    at,
                })
            }),
        sign(),
    ];
    prop_oneof![simple, records]
}

proptest! {
    /// Every job op reads back from its own payload as the same op, under its own kind.
    #[test]
    fn job_ops_round_trip(op in job_op(), visit in prop::option::of(uuid())) {
        let payload = op.payload();
        let text = payload.to_string();
        let reread: Value = serde_json::from_str(&text).unwrap();
        let visit = visit.map(|v| v.to_string());
        let back = JobOp::parse(op.kind(), op.version(), visit.as_deref(), &reread).unwrap();
        prop_assert_eq!(&back, &op);
        // The payload text is stable: what the chain hashes does not move on a re-encode.
        prop_assert_eq!(back.payload().to_string(), text);
    }

    /// Stock movements round-trip under each of their kinds.
    #[test]
    fn stock_ops_round_trip(id in uuid(), q in 1i64..10_000, at in ts(), which in 0usize..4) {
        let m = StockMovementV1 {
            id: StockMovementId(id),
            sku: "PUMP-220".into(),
            kind: MovementKind::Issued,
            quantity: q,
            at,
            visit_id: None,
        };
        let op = [StockOp::Issue, StockOp::Use, StockOp::Return, StockOp::WriteOff][which](m);
        let body = OpBody::Stock(op.clone());
        let back = OpBody::parse("stock", op.kind(), 1, None, &body.payload()).unwrap();
        prop_assert_eq!(back, body);
    }

    /// A replenishment receipt and a stock-check count round-trip.
    #[test]
    fn receipt_and_count_round_trip(id in uuid(), q in 1i64..10_000, at in ts()) {
        for op in [
            StockOp::Receive(ReceiveStockV1 {
                id: StockMovementId(id),
                request_id: "rq-1".into(),
                sku: "PUMP-220".into(),
                quantity: q,
                at,
            }),
            StockOp::Count(CountStockV1 { sku: "PUMP-220".into(), counted: q, expected: 3, at }),
        ] {
            let body = OpBody::Stock(op.clone());
            let back = OpBody::parse("stock", op.kind(), 1, None, &body.payload()).unwrap();
            prop_assert_eq!(back, body);
        }
    }

    /// Any extra field, anywhere at the top of a payload, is refused and named.
    #[test]
    fn unknown_fields_are_refused(op in job_op(), field in "[a-z]{3,10}") {
        prop_assume!(field != "visit_id");
        let mut payload = op.payload();
        let Value::Object(map) = &mut payload else { unreachable!() };
        prop_assume!(!map.contains_key(&field));
        map.insert(field.clone(), json!("王女士 13800000000"));
        let err = JobOp::parse(op.kind(), 1, None, &payload).unwrap_err();
        prop_assert_eq!(err.code(), "bad_payload");
        let msg = err.to_string();
        prop_assert!(msg.contains(&field), "{}", msg);
        prop_assert!(!msg.contains("王女士") && !msg.contains("13800000000"), "{}", msg);
    }
}

#[test]
fn writers_keep_the_shapes_older_servers_read() {
    let v = VisitId(Uuid::nil());
    let at = Utc.timestamp_millis_opt(1_795_395_600_000).unwrap();
    assert_eq!(JobOp::Accept.payload(), json!({}));
    assert_eq!(
        JobOp::AnswerStep(AnswerStepV1 {
            step: "id_badge".into(),
            answer: AnswerValue::Confirmed
        })
        .payload(),
        json!({"step": "id_badge", "answer": {"type": "confirmed"}})
    );
    assert_eq!(
        JobOp::Complete(CompleteV1 {
            completed_at: at,
            signatures: vec![]
        })
        .payload(),
        json!({"completed_at": "2026-11-23T01:00:00Z", "signatures": []})
    );
    assert_eq!(
        JobOp::Feedback(FeedbackV1 {
            id: FeedbackId(Uuid::nil()),
            visit_id: v,
            rating: 5,
            comment: None,
            complaint: false,
            at
        })
        .payload(),
        json!({"id": Uuid::nil(), "visit_id": Uuid::nil(), "rating": 5, "comment": null,
               "complaint": false, "at": "2026-11-23T01:00:00Z"})
    );
}

/// Every op in the journal of each released device schema (the fixtures the store's
/// migrations are tested with) parses: what older apps queued is read by today's code.
#[test]
fn payloads_of_every_released_schema_parse() {
    let fixtures = [
        ("v1", include_str!("../../../tests/fixtures/schema_v1.sql")),
        ("v2", include_str!("../../../tests/fixtures/schema_v2.sql")),
        ("v3", include_str!("../../../tests/fixtures/schema_v3.sql")),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, sql) in fixtures {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(sql).unwrap();
        let has = |t: &str| -> bool {
            c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [t],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
                > 0
        };
        let query = if has("journal") {
            "SELECT entity, kind, version, visit_id, payload FROM journal"
        } else {
            "SELECT entity, kind, version, json_extract(payload, '$.visit_id'), payload
               FROM pending_ops"
        };
        let mut stmt = c.prepare(query).unwrap();
        let rows: Vec<(String, String, i64, Option<String>, String)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(rows.len() > 10, "{name}: the fixture has a journal");
        for (entity, kind, version, visit, payload) in rows {
            let value: Value = serde_json::from_str(&payload).unwrap();
            let body = OpBody::parse(&entity, &kind, version, visit.as_deref(), &value)
                .unwrap_or_else(|e| panic!("{name}: {kind}: {e}"));
            assert_eq!(body.kind(), kind);
            seen.insert(kind);
        }
    }
    for kind in [
        "accept",
        "call_customer",
        "answer_step",
        "sign",
        "complete",
        "issue_stock",
    ] {
        assert!(seen.contains(kind), "the fixtures hold a {kind} op");
    }
}

#[test]
fn unknown_kinds_versions_and_entities_are_typed() {
    let e = JobOp::parse("quote_declined", 1, None, &json!({})).unwrap_err();
    assert_eq!(e.code(), "unsupported_op");
    assert!(e.to_string().contains("update the server"));
    let e = JobOp::parse("accept", 2, None, &json!({})).unwrap_err();
    assert_eq!(e.code(), "unsupported_version");
    let e = JobOp::parse("accept", 0, None, &json!({})).unwrap_err();
    assert_eq!(e.code(), "bad_payload");
    let e = OpBody::parse("customer", "accept", 1, None, &json!({})).unwrap_err();
    assert_eq!(e.code(), "unknown_entity");
    let e = JobOp::parse("accept", 1, None, &json!([])).unwrap_err();
    assert_eq!(e.code(), "bad_payload");
    let long = "x".repeat(10_000);
    let e = JobOp::parse(&long, 1, None, &json!({})).unwrap_err();
    assert!(e.to_string().len() < 200);
}

#[test]
fn bad_values_are_refused_without_echoing_them() {
    let payload = json!({"step": "id_badge", "answer": {"type": "yes_no", "value": "王女士"}});
    let e = JobOp::parse("answer_step", 1, None, &payload).unwrap_err();
    assert_eq!(e.code(), "bad_payload");
    assert!(!e.to_string().contains("王女士"), "{e}");
    let e = JobOp::parse("arrive", 1, None, &json!({"late": true})).unwrap_err();
    assert!(
        e.to_string().contains("missing field `notified_in_time`"),
        "{e}"
    );
    let e = JobOp::parse("pause", 1, None, &json!({"reason": 13800000000u64})).unwrap_err();
    assert!(!e.to_string().contains("13800000000"), "{e}");
}

#[test]
fn a_legacy_visit_id_must_name_the_ops_visit() {
    let v = Uuid::now_v7().to_string();
    let ok = json!({"visit_id": v});
    assert_eq!(
        JobOp::parse("start_work", 1, Some(&v), &ok).unwrap(),
        JobOp::StartWork
    );
    let other = Uuid::now_v7().to_string();
    let e = JobOp::parse("start_work", 1, Some(&other), &ok).unwrap_err();
    assert!(e.to_string().contains("visit_id"), "{e}");
    let e = JobOp::parse("start_work", 1, None, &ok).unwrap_err();
    assert_eq!(e.code(), "bad_payload");
}
