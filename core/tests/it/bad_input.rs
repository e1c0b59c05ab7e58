//! Bad input: unknown ids, out-of-order steps, values out of range, malformed templates.
//! Each gets a typed error a technician can read; none panics; nothing recorded changes; no
//! customer data appears in any message.

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::{CallOutcome, PartUse, TakeBack};
use fieldkit_core::checklist::{AnswerValue, Refusal};
use fieldkit_core::demo;
use fieldkit_core::model::*;

/// Everything a refused call must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    ops: Vec<fieldkit_core::store::PendingOp>,
    job: String,
    checklist: String,
    stock: String,
}

fn snapshot(d: &Device, id: WorkOrderId) -> Snapshot {
    Snapshot {
        ops: d.kit.pending_ops(i64::MAX).unwrap(),
        job: format!("{:?}", d.kit.job(id).unwrap()),
        checklist: format!("{:?}", d.kit.checklist(id).ok()),
        stock: format!("{:?}", d.kit.van_stock().unwrap()),
    }
}

const PERSONAL: [&str; 3] = ["王女士", "13800000000", "示例路"];

/// Runs `f`, which must fail with an error matching `expected`, and checks nothing changed.
fn refused(
    d: &Device,
    id: WorkOrderId,
    what: &str,
    expected: fn(&Error) -> bool,
    f: impl FnOnce() -> Result<(), Error>,
) {
    let before = snapshot(d, id);
    let err = match f() {
        Ok(()) => panic!("{what}: accepted"),
        Err(e) => e,
    };
    assert!(expected(&err), "{what}: unexpected error kind: {err:?}");
    let msg = err.to_string();
    assert!(msg.len() > 10, "{what}: message says why: {msg}");
    for p in PERSONAL {
        assert!(
            !msg.contains(p) && !format!("{err:?}").contains(p),
            "{what}: personal data in {msg}"
        );
    }
    assert_eq!(snapshot(d, id), before, "{what}: something changed");
}

fn not_found(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. })
}
fn invalid(e: &Error) -> bool {
    matches!(e, Error::Invalid { .. })
}
fn workflow(e: &Error) -> bool {
    matches!(e, Error::Refused(_))
}
fn checklist(e: &Error) -> bool {
    matches!(e, Error::Checklist(_))
}
fn out_of_order(e: &Error) -> bool {
    matches!(e, Error::Checklist(Refusal::OutOfOrder { .. }))
}
fn phase_closed(e: &Error) -> bool {
    matches!(e, Error::Checklist(Refusal::PhaseNotOpen { .. }))
}
fn out_of_range(e: &Error) -> bool {
    matches!(e, Error::Checklist(Refusal::OutOfRange { .. }))
}

#[test]
fn bad_calls_on_a_planned_visit_change_nothing() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    let unknown = WorkOrderId::new();
    refused(&d, id, "accept unknown job", not_found, || {
        d.kit.accept(unknown).map(|_| ())
    });
    refused(&d, id, "answer on unknown job", not_found, || {
        d.kit
            .answer_step(unknown, "id_badge", &AnswerValue::Confirmed)
            .map(|_| ())
    });
    refused(&d, id, "accept twice", workflow, || {
        d.kit.accept(id).map(|_| ())
    });
    refused(&d, id, "arrive before travel", workflow, || {
        d.kit.arrive(id).map(|_| ())
    });
    refused(
        &d,
        id,
        "travel before loading tools",
        |e| matches!(e, Error::Blocked { .. }),
        || d.kit.start_travel(id).map(|_| ()),
    );
    refused(
        &d,
        id,
        "unknown step",
        |e| matches!(e, Error::Checklist(Refusal::UnknownStep { .. })),
        || {
            d.kit
                .answer_step(id, "no_such_step", &AnswerValue::Confirmed)
                .map(|_| ())
        },
    );
    refused(&d, id, "arrival step before arriving", phase_closed, || {
        d.kit
            .answer_step(id, "id_badge", &AnswerValue::Confirmed)
            .map(|_| ())
    });
    refused(&d, id, "wrong answer kind", checklist, || {
        d.kit
            .answer_step(id, "tools_parts_loaded", &AnswerValue::Number(3.0))
            .map(|_| ())
    });
    refused(
        &d,
        id,
        "answering the call step directly",
        checklist,
        || {
            d.kit
                .answer_step(id, "previsit_call", &AnswerValue::Confirmed)
                .map(|_| ())
        },
    );
    refused(&d, id, "exception where none is allowed", checklist, || {
        d.kit
            .except_step(id, "tools_parts_loaded", "forgot")
            .map(|_| ())
    });
    refused(&d, id, "delay with an ETA in the past", invalid, || {
        d.kit
            .notify_delay(id, "traffic", morning() - chrono::Duration::hours(1))
            .map(|_| ())
    });
    refused(&d, id, "delay without a reason", invalid, || {
        d.kit
            .notify_delay(id, "   ", morning() + chrono::Duration::hours(5))
            .map(|_| ())
    });
    refused(&d, id, "agreed window backwards", invalid, || {
        d.kit
            .call_customer(
                id,
                &CallOutcome {
                    reached: true,
                    agreed: Some(TimeWindow {
                        start: morning() + chrono::Duration::hours(2),
                        end: morning(),
                    }),
                    ..Default::default()
                },
            )
            .map(|_| ())
    });
    refused(
        &d,
        id,
        "photo before arriving on a photo step",
        checklist_or_invalid,
        || {
            d.kit
                .add_photo(id, Some("tools_parts_loaded"), &demo::fake_photo("x"))
                .map(|_| ())
        },
    );
    refused(&d, id, "signature before arriving", invalid, || {
        d.kit
            .sign(id, &d.signature(SignerRole::Customer, None))
            .map(|_| ())
    });
    refused(&d, id, "record a part before work", workflow, || {
        d.kit.record_part(id, &part("PUMP-220", 1)).map(|_| ())
    });
    refused(&d, id, "complete before arriving", workflow, || {
        d.kit.complete(id).map(|_| ())
    });
}

fn photo(e: &Error) -> bool {
    matches!(e, Error::Photo(_))
}

fn checklist_or_invalid(e: &Error) -> bool {
    checklist(e) || invalid(e)
}

fn part(sku: &str, quantity: i64) -> PartUse {
    PartUse {
        sku: sku.into(),
        quantity,
        new_serial: None,
        old_part: OldPartFate::None,
        old_serial: None,
    }
}

#[test]
fn bad_calls_on_site_change_nothing() {
    let d = device();
    let id = d.order(JobKind::Installation, Billing::Paid);
    d.plan(id);
    let choose = |s: &str| (s == "coverage").then(|| "paid".to_owned());
    d.walk(id, &choose, &|next| {
        next == "warranty_proof" || next == "install_requirements"
    });
    refused(
        &d,
        id,
        "coverage before its prerequisites",
        out_of_order,
        || {
            d.kit
                .answer_step(id, "coverage", &AnswerValue::Choice("paid".into()))
                .map(|_| ())
        },
    );
    refused(&d, id, "work step before work", phase_closed, || {
        d.kit
            .answer_step(id, "supply_voltage", &AnswerValue::Number(220.0))
            .map(|_| ())
    });
    refused(
        &d,
        id,
        "start work before assessment and fees",
        |e| matches!(e, Error::Blocked { .. }),
        || d.kit.start_work(id).map(|_| ()),
    );
    refused(&d, id, "fees from an unknown schedule", not_found, || {
        d.kit
            .consent_to_fees(id, "nope", 1, &["visit".into()], true)
            .map(|_| ())
    });
    refused(&d, id, "fee item not on the schedule", invalid, || {
        let f = demo::fee_schedule();
        d.kit
            .consent_to_fees(id, &f.id, f.version, &["gold-plating".into()], true)
            .map(|_| ())
    });
    refused(&d, id, "fee consent through answer_step", invalid, || {
        d.kit
            .answer_step(id, "fee_consent", &AnswerValue::FeeConsent { agreed: true })
            .map(|_| ())
    });
    refused(&d, id, "rating 0", invalid, || {
        d.kit.feedback(id, 0, None, false).map(|_| ())
    });
    refused(&d, id, "rating 6", invalid, || {
        d.kit.feedback(id, 6, None, false).map(|_| ())
    });
    refused(&d, id, "empty photo", photo, || {
        d.kit.add_photo(id, None, &[]).map(|_| ())
    });
    refused(&d, id, "photo of unknown type", photo, || {
        d.kit
            .add_photo(id, None, b"GIF89a\x01\x00\x01\x00")
            .map(|_| ())
    });
    refused(&d, id, "truncated photo", photo, || {
        let jpeg = demo::fake_photo("cut");
        d.kit
            .add_photo(id, None, &jpeg[..jpeg.len() / 2])
            .map(|_| ())
    });
    refused(&d, id, "photo on a signature step", checklist, || {
        d.kit
            .add_photo(id, Some("service_record_signature"), &demo::fake_photo("y"))
            .map(|_| ())
    });
    refused(
        &d,
        id,
        "photo on an unknown step",
        |e| matches!(e, Error::Checklist(Refusal::UnknownStep { .. })),
        || {
            d.kit
                .add_photo(id, Some("nope"), &demo::fake_photo("y"))
                .map(|_| ())
        },
    );
    refused(
        &d,
        id,
        "customer signing without seeing the summary",
        invalid,
        || {
            d.kit
                .sign(id, &d.signature(SignerRole::Customer, None))
                .map(|_| ())
        },
    );
    d.kit.summary_for_signing(id).unwrap();
    refused(&d, id, "an empty signature", invalid, || {
        let mut s = d.signature(SignerRole::Customer, None);
        s.strokes.strokes.clear();
        d.kit.sign(id, &s).map(|_| ())
    });
    refused(&d, id, "a signature point off the pad", invalid, || {
        let mut s = d.signature(SignerRole::Customer, None);
        s.strokes.strokes[0][3].x = f32::NAN;
        d.kit.sign(id, &s).map(|_| ())
    });
    refused(&d, id, "a pad of a million pixels square", invalid, || {
        let mut s = d.signature(SignerRole::Customer, None);
        s.strokes.width = 1_000_000;
        d.kit.sign(id, &s).map(|_| ())
    });
    refused(&d, id, "technician confirming a finding", invalid, || {
        let mut s = d.signature(SignerRole::Technician, None);
        s.finding = Some(FindingId::new());
        d.kit.sign(id, &s).map(|_| ())
    });
    refused(
        &d,
        id,
        "customer confirming an unknown finding",
        not_found,
        || {
            let mut s = d.signature(SignerRole::Customer, None);
            s.finding = Some(FindingId::new());
            d.kit.sign(id, &s).map(|_| ())
        },
    );
    refused(
        &d,
        id,
        "technician signing the customer's step",
        checklist,
        || {
            d.kit
                .sign(
                    id,
                    &d.signature(SignerRole::Technician, Some("service_record_signature")),
                )
                .map(|_| ())
        },
    );
    refused(&d, id, "empty finding", invalid, || {
        d.kit
            .record_finding(id, FindingKind::Other, " ")
            .map(|_| ())
    });
    refused(
        &d,
        id,
        "take back without a receipt number",
        invalid,
        || {
            d.kit
                .take_back(
                    id,
                    &TakeBack {
                        receipt_no: "".into(),
                        ..demo::sample_take_back()
                    },
                )
                .map(|_| ())
        },
    );
    refused(&d, id, "pause before work", workflow, || {
        d.kit.pause(id, "lunch").map(|_| ())
    });
    refused(&d, id, "reschedule on site", workflow, || {
        let w = TimeWindow {
            start: morning() + chrono::Duration::days(1),
            end: morning() + chrono::Duration::days(1) + chrono::Duration::hours(1),
        };
        d.kit.reschedule(id, w, "later").map(|_| ())
    });
    // Work under way: ranges and parts.
    d.walk(id, &choose, &|next| next == "supply_voltage");
    refused(&d, id, "voltage out of range", out_of_range, || {
        d.kit
            .answer_step(id, "supply_voltage", &AnswerValue::Number(400.0))
            .map(|_| ())
    });
    refused(&d, id, "voltage not a number", checklist, || {
        d.kit
            .answer_step(id, "supply_voltage", &AnswerValue::Number(f64::NAN))
            .map(|_| ())
    });
    refused(&d, id, "unknown part", not_found, || {
        d.kit.record_part(id, &part("NOPE", 1)).map(|_| ())
    });
    refused(&d, id, "zero parts", invalid, || {
        d.kit.record_part(id, &part("PUMP-220", 0)).map(|_| ())
    });
    refused(&d, id, "negative parts", invalid, || {
        d.kit.record_part(id, &part("PUMP-220", -2)).map(|_| ())
    });
    refused(&d, id, "issue stock of an unknown part", not_found, || {
        d.kit.issue_stock("NOPE", 1).map(|_| ())
    });
    refused(
        &d,
        id,
        "complete with steps missing",
        |e| matches!(e, Error::Blocked { .. }),
        || d.kit.complete(id).map(|_| ()),
    );
    d.kit.pause(id, "customer's lunch").unwrap();
    refused(&d, id, "answer while paused", invalid, || {
        d.kit
            .answer_step(id, "supply_voltage", &AnswerValue::Number(220.0))
            .map(|_| ())
    });
    refused(&d, id, "complete while paused", workflow, || {
        d.kit.complete(id).map(|_| ())
    });
}

#[test]
fn malformed_templates_are_refused_and_nothing_is_installed() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    let template = fieldkit_core::checklist::default_templates()
        .into_iter()
        .find(|t| t.id == "repair")
        .unwrap();
    let good = template.to_json().unwrap();
    let mutated = |f: &dyn Fn(&mut fieldkit_core::checklist::Template)| {
        let mut t = template.clone();
        t.version += 1;
        f(&mut t);
        serde_json::to_string(&t).unwrap()
    };
    let cases = [
        ("not JSON", "{ nope".to_owned()),
        ("empty", String::new()),
        ("truncated", good[..good.len() / 2].to_owned()),
        (
            "duplicate step",
            mutated(&|t| t.steps[1].id = t.steps[0].id.clone()),
        ),
        (
            "unknown after",
            mutated(&|t| t.steps[3].after.push("ghost".into())),
        ),
        (
            "after cycle",
            mutated(&|t| {
                let a = t.steps[2].id.clone();
                let b = t.steps[3].id.clone();
                t.steps[2].after.push(b);
                t.steps[3].after.push(a);
            }),
        ),
        ("empty label", mutated(&|t| t.steps[0].label.en.clear())),
    ];
    for (what, json) in cases {
        refused(
            &d,
            id,
            what,
            |e| matches!(e, Error::Template(_)),
            || d.kit.install_template(&json).map(|_| ()),
        );
    }
}

#[test]
fn a_bad_work_order_from_the_desk_is_refused() {
    let d = device();
    let mut o = demo::repair_order(9, morning(), Billing::Warranty);
    o.promised.end = o.promised.start - chrono::Duration::minutes(1);
    assert!(matches!(
        d.kit.receive_work_order(&o),
        Err(Error::Invalid { .. })
    ));
    let mut o = demo::repair_order(9, morning(), Billing::Warranty);
    o.number = " ".into();
    assert!(matches!(
        d.kit.receive_work_order(&o),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(d.kit.job(o.id), Err(Error::NotFound { .. })));
}
