//! Settling a paid visit (结算), judged by the server as by the phone, on both backends.
//!
//! A real phone settles less than the consented total, with the reason: the server applies
//! the op, answers the step, and flags `settlement_differs` against its own replay of the
//! visit's fee consent. The consented amount settled: applied, no flag. Forged settlements —
//! a differing amount without a reason, a method no one knows, a consented total the phone
//! claims, an invoice with no due date, a settlement before the work — are refused with a
//! typed code and flag nothing. Paid work started without the customer's signature on the
//! fees (a journal with the signature dropped) is refused by the server's replay.

use chrono::Utc;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::ops::SettleV1;
use fieldkit_core::sync::protocol::*;
use serde_json::{Value, json};

use crate::common::phone::{Phone, answer, phone};
use crate::common::{Backend, TestServer, hostile, server};

/// The demo's consented total: the call-out fee and labour.
const CONSENTED: Cents = 13_000;

/// Job `n` (a paid repair) for `tech`, walked by a new phone through the demo's visit up to
/// and including `last` (a step `demo::walk_repair_visit` reports); after the customer's
/// signature, the feedback is given too, so the fee is next.
async fn walked_to(ts: &TestServer, tech: &str, n: u32, last: &str) -> (WorkOrderId, Phone) {
    let job = demo::repair_order(n, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(tech)).await;
    let p = phone(ts, tech, |_| {}).await;
    p.walk_until(job.id, last);
    if last == "customer signed" {
        p.kit.feedback(job.id, 5, None, false).unwrap();
    }
    (job.id, p)
}

/// Finishes the close-out, completes, pushes the whole outbox: every op applied.
async fn finish_and_push(ts: &TestServer, p: &Phone, job: WorkOrderId) {
    for step in ["customer_copy", "goodbye"] {
        p.kit
            .answer_step(job, step, &AnswerValue::Confirmed)
            .unwrap();
    }
    p.kit.complete(job).unwrap();
    let ops = p.outbox();
    let r = ts.push_ops(&p.token, &ops).await;
    for op in &ops {
        assert_eq!(answer(&r, op), OpOutcome::Applied, "{}", op.kind);
    }
}

/// An honest-looking settlement payload, to be spoiled.
fn payload(amount: Cents, receipt_no: Option<&str>, reason: Option<&str>) -> Value {
    let at = Utc::now();
    serde_json::to_value(SettleV1 {
        id: SettlementId::new(),
        amount,
        method: PaymentMethod::Cash,
        receipt_no: receipt_no.map(str::to_owned),
        invoice_due: invoice_due(at, receipt_no),
        reason: reason.map(str::to_owned),
        at,
    })
    .unwrap()
}

async fn settlement(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Money").await;
    ts.publish_demo_catalog().await;
    ts.create_dispatcher("desk.money", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.money", "a long enough password")
        .await
        // The assertions below read the pages' English sentences.
        .in_english();

    // Less than consented, by QR, no receipt (the invoice follows): applied, flagged.
    let (job, p) = walked_to(&ts, &tech, 1, "customer signed").await;
    let s = p
        .kit
        .settle(
            job,
            &Settlement {
                amount: 12_000,
                method: PaymentMethod::Qr,
                receipt_no: None,
                reason: Some("10.00 off for the late arrival".into()),
            },
        )
        .unwrap();
    assert_eq!((s.consented, s.differs()), (CONSENTED, true));
    finish_and_push(&ts, &p, job).await;
    let page = ts.job_page(&desk, job).await;
    assert!(
        page.contains("settlement differs"),
        "the job shows the flag"
    );
    assert!(page.contains("settled 12000 against a consented total of 13000 (fen)"));
    assert!(page.contains("differs from the consent: 10.00 off for the late arrival"));
    let (status, flags) = ts.page(&desk, "/flags").await;
    assert_eq!(status, 200);
    assert!(flags.contains("settlement_differs"));

    // The consented total, in cash, receipt issued: applied, nothing flagged.
    let (job, p) = walked_to(&ts, &tech, 2, "customer signed").await;
    p.kit.settle(job, &demo::sample_settlement()).unwrap();
    finish_and_push(&ts, &p, job).await;
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains("receipt SJ-20261204-0001"));
    assert!(!page.contains("settlement differs"));

    // Forged onto honest journals: each refused with its code, nothing flagged.
    let mut bad_method = payload(CONSENTED, Some("R-1"), None);
    bad_method["method"] = json!("bitcoin");
    let mut claims_consent = payload(12_000, Some("R-1"), None);
    claims_consent["consented"] = json!(12_000);
    let mut no_due_date = payload(CONSENTED, None, None);
    no_due_date["invoice_due"] = Value::Null;
    let cases = [
        (
            "a differing amount without a reason",
            "customer signed",
            payload(12_000, Some("R-1"), None),
            "invalid",
        ),
        (
            "a method no one knows",
            "customer signed",
            bad_method,
            "bad_payload",
        ),
        (
            "a consented total the phone claims",
            "customer signed",
            claims_consent,
            "bad_payload",
        ),
        (
            "an invoice with no due date",
            "customer signed",
            no_due_date,
            "invalid",
        ),
        (
            "before the work",
            "fees agreed",
            payload(CONSENTED, Some("R-1"), None),
            "not_allowed_now",
        ),
        (
            "nothing paid",
            "customer signed",
            payload(0, Some("R-1"), Some("free of charge")),
            "invalid",
        ),
    ];
    for (n, (what, last, payload, code)) in cases.into_iter().enumerate() {
        let (job, p) = walked_to(&ts, &tech, 3 + n as u32, last).await;
        let mut ops = p.outbox();
        let like = ops
            .iter()
            .rev()
            .find(|o| o.entity_id == job.to_string())
            .unwrap()
            .clone();
        ops.push(hostile::forge(&like, "settle", payload));
        hostile::rechain(&mut ops);
        let forged = ops.last().unwrap().clone();
        let r = ts.push_ops(&p.token, &ops).await;
        match answer(&r, &forged) {
            OpOutcome::Rejected { code: c, .. } => assert_eq!(c, code, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
        let page = ts.job_page(&desk, job).await;
        assert!(!page.contains("settlement differs"), "{what}");
    }

    // Paid work started without the customer's signature on the fees (004 八 第4条(10)): the
    // phone would not, a forged journal that drops the signature is refused by the replay.
    let job = demo::repair_order(20, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(&tech)).await;
    let p = phone(&ts, &tech, |_| {}).await;
    let mut ops = p.walked(job.id);
    let signed = hostile::find(&ops, "sign", Some(("step_id", "fee_consent_signature")));
    ops.remove(signed);
    hostile::rechain(&mut ops);
    let r = ts.push_ops(&p.token, &ops).await;
    let start = &ops[hostile::find(&ops, "start_work", None)];
    match answer(&r, start) {
        OpOutcome::Rejected { code, reason } => {
            assert_eq!(code, "blocked");
            // In the phone's language (no Accept-Language: Chinese): waiting for the signature.
            assert!(reason.contains("签名"), "{reason}");
        }
        other => panic!("paid work without the signature: {other:?}"),
    }
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlement_sqlite() {
    settlement(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlement_postgres() {
    settlement(Backend::Postgres).await;
}
