//! The visit's other endings, judged by the server as by the phone, on both backends.
//!
//! Waiting for parts (待件): a real phone diagnoses the fault, requests the part it does not
//! carry and syncs; the server applies the op, the job waits (the board and the job page say
//! so, with the parts), and a follow-up is due. The same op forged — a part off the catalogue,
//! before work started, no part at all — is refused and moves nothing.
//!
//! A refused signature: the work done, the customer will not sign the service record; with a
//! photo of the visit as evidence the op is applied, the job waits for the desk and is flagged
//! `signature_refused`. Forged without evidence, or with a photo the visit never had: refused.
//!
//! A declined quote: the customer declines the quote and agrees to the call-out fee alone; the
//! job closes `quote_declined`. Forged before any answer to the quote, or after the whole quote
//! was agreed: refused. A second visit: applied once work started, the job waits for the next
//! visit; forged before work or without a reason: refused. A redelivery: a delivery damaged on
//! unboxing (the finding signed, a photo) closes `redelivery_requested` and flags the desk to
//! create the redelivery job; forged for a finding the visit never had, or on a repair: refused.
//!
//! A take-back's loaner returned on site on the return visit: applied and on the timeline;
//! forged a second time or for a loaner never lent: refused.
//!
//! The feedback step is the customer's rating: a forged tick is refused, the rating satisfies
//! it.
//!
//! In a real headless Chromium (`common/webdriver.rs`), a dispatcher logged in through the form
//! opens each ending's job page: its status and the ending's line on the timeline.

use chrono::Utc;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::workflow::JobStatus;
use serde_json::json;

use crate::common::phone::{Phone, answer, phone};
use crate::common::webdriver::Browser;
use crate::common::{Backend, DashboardLogin, TestServer, hostile, server};

/// A server with the demo catalogue, a technician and a dispatcher logged in to the dashboard.
async fn desk_and_technician(backend: Backend) -> Option<(TestServer, String, DashboardLogin)> {
    let ts = server(backend, |_| {}).await?;
    let tech = ts.create_technician("Technician Endings").await;
    ts.publish_demo_catalog().await;
    ts.create_dispatcher("desk.endings", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.endings", "a long enough password")
        .await
        // The assertions below read the pages' English sentences.
        .in_english();
    Some((ts, tech, desk))
}

/// Job `n` (a paid repair) created for `tech` and walked honestly by a new phone up to and
/// including the step `stop_at`.
async fn walked_to(ts: &TestServer, tech: &str, n: u32, stop_at: &str) -> (WorkOrderId, Phone) {
    let job = demo::repair_order(n, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(tech)).await;
    let p = phone(ts, tech, |_| {}).await;
    p.walk_until(job.id, stop_at);
    (job.id, p)
}

/// Job `n` created for `tech`, walked honestly by a new phone up to `stop_at`, then an op of
/// `kind` with `payload` forged onto its journal and pushed: the forged op's answer.
async fn forged_ending(
    ts: &TestServer,
    tech: &str,
    n: u32,
    stop_at: &str,
    kind: &str,
    payload: serde_json::Value,
) -> (WorkOrderId, OpOutcome) {
    let (job, p) = walked_to(ts, tech, n, stop_at).await;
    (job, forged_on(ts, &p, job, kind, payload).await)
}

/// An op of `kind` with `payload` forged onto the journal of the phone's `job` and pushed
/// with it: the forged op's answer.
async fn forged_on(
    ts: &TestServer,
    p: &Phone,
    job: WorkOrderId,
    kind: &str,
    payload: serde_json::Value,
) -> OpOutcome {
    let mut ops = p.outbox();
    let like = ops
        .iter()
        .rev()
        .find(|o| o.entity_id == job.to_string())
        .unwrap()
        .clone();
    ops.push(hostile::forge(&like, kind, payload));
    hostile::rechain(&mut ops);
    let forged = ops.last().unwrap().clone();
    let r = ts.push_ops(&p.token, &ops).await;
    answer(&r, &forged)
}

/// Delivery job `n` for `tech`, walked by a new phone to goods damaged on unboxing (the
/// finding signed, photographed): the job, the phone and the finding.
async fn damaged_delivery(ts: &TestServer, tech: &str, n: u32) -> (WorkOrderId, Phone, FindingId) {
    let mut delivery = demo::repair_order(n, Utc::now(), Billing::Warranty);
    delivery.kind = JobKind::Delivery;
    ts.create_job(&delivery, Some(tech)).await;
    let p = phone(ts, tech, |_| {}).await;
    let finding = demo::walk_damaged_delivery(&p.kit, delivery.id).unwrap();
    (delivery.id, p, finding)
}

async fn awaiting_parts(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };

    // The honest phone: diagnosed, the pump is not in the van.
    let (job, p) = walked_to(&ts, &tech, 1, "start_work").await;
    let status = p
        .kit
        .await_parts(
            job,
            &[PartRequest {
                sku: "PUMP-220".into(),
                quantity: 2,
            }],
            "drain pump seized; two needed, none in the van",
        )
        .unwrap();
    assert_eq!(status, fieldkit_core::workflow::JobStatus::AwaitingParts);
    let ops = p.outbox();
    let r = ts.push_ops(&p.token, &ops).await;
    for op in &ops {
        assert_eq!(answer(&r, op), OpOutcome::Applied, "{}", op.kind);
    }
    let page = ts.job_page(&desk, job).await;
    assert!(
        page.contains(r#"data-status="awaiting_parts""#),
        "the job page says it waits for parts"
    );
    assert!(
        page.contains("awaiting parts: PUMP-220 × 2 — drain pump seized"),
        "the timeline names the parts"
    );

    // Forged endings, each on a fresh job walked honestly up to its point.
    let mut n = 1;
    for (what, stop_at, parts, code) in [
        (
            "a part off the catalogue",
            "start_work",
            json!([{"sku": "NO-SUCH-PART", "quantity": 1}]),
            "unknown_part",
        ),
        ("no part at all", "start_work", json!([]), "invalid"),
        (
            "a quantity of zero",
            "start_work",
            json!([{"sku": "PUMP-220", "quantity": 0}]),
            "invalid",
        ),
        (
            "before work started (nothing diagnosed)",
            "arrive",
            json!([{"sku": "PUMP-220", "quantity": 1}]),
            "",
        ),
    ] {
        n += 1;
        let (job, outcome) = forged_ending(
            &ts,
            &tech,
            n,
            stop_at,
            "await_parts",
            json!({"parts": parts, "note": "forged"}),
        )
        .await;
        match outcome {
            OpOutcome::Rejected { code: c, .. } => {
                if !code.is_empty() {
                    assert_eq!(c, code, "{what}");
                }
            }
            other => panic!("{what}: {other:?}"),
        }
        let page = ts.job_page(&desk, job).await;
        assert!(
            !page.contains(r#"data-status="awaiting_parts""#),
            "{what}: the job does not wait for parts"
        );
    }
    ts.server.shutdown().await.unwrap();
}

async fn signature_refused(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };

    let (job, p) = walked_to(&ts, &tech, 1, "start_work").await;
    let photo = p
        .kit
        .add_photo(job, None, &demo::fake_photo("the finished work"))
        .unwrap();
    let status = p
        .kit
        .refuse_signature(
            job,
            "disagrees the work is finished",
            None,
            Some(&photo.sha256),
        )
        .unwrap();
    assert_eq!(status, fieldkit_core::workflow::JobStatus::SignatureRefused);
    let ops = p.outbox();
    let r = ts.push_ops(&p.token, &ops).await;
    for op in &ops {
        assert_eq!(answer(&r, op), OpOutcome::Applied, "{}", op.kind);
    }
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains(r#"data-status="signature_refused""#));
    assert!(page.contains("signature refused: disagrees the work is finished; photo kept"));
    let (status, flags) = ts.page(&desk, "/flags").await;
    assert_eq!(status, 200);
    assert!(
        flags.contains("signature_refused"),
        "the desk sees the flag"
    );

    // Forged: no witness and no photo; a photo this visit never had.
    for (n, payload) in [
        (
            2,
            json!({"reason": "forged", "witness": null, "photo_sha256": null}),
        ),
        (
            3,
            json!({"reason": "forged", "witness": null, "photo_sha256": "0".repeat(64)}),
        ),
    ] {
        let (job, outcome) =
            forged_ending(&ts, &tech, n, "start_work", "refuse_signature", payload).await;
        assert!(
            matches!(outcome, OpOutcome::Rejected { ref code, .. } if code == "invalid"),
            "job {n}: {outcome:?}"
        );
        let page = ts.job_page(&desk, job).await;
        assert!(!page.contains(r#"data-status="signature_refused""#));
    }
    ts.server.shutdown().await.unwrap();
}

/// Pushes the phone's whole outbox: every op applied.
async fn pushed_all_applied(ts: &TestServer, p: &Phone) {
    let ops = p.outbox();
    let r = ts.push_ops(&p.token, &ops).await;
    for op in &ops {
        assert_eq!(answer(&r, op), OpOutcome::Applied, "{}", op.kind);
    }
}

/// A forged ending's answer is a rejection with `code`, and the job page does not show
/// `status`.
async fn refused_by_server(
    ts: &TestServer,
    desk: &DashboardLogin,
    (job, outcome): (WorkOrderId, OpOutcome),
    code: &str,
    status: &str,
) {
    assert!(
        matches!(&outcome, OpOutcome::Rejected { code: c, .. } if c == code),
        "{status}: {outcome:?}"
    );
    let page = ts.job_page(desk, job).await;
    assert!(!page.contains(&format!(r#"data-status="{status}""#)));
}

async fn quote_declined(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };
    let f = demo::fee_schedule();
    let at_the_quote = "anomaly recorded and signed";
    let (job, p) = walked_to(&ts, &tech, 1, at_the_quote).await;
    for (step, answer) in [
        ("coverage", AnswerValue::Choice("paid".into())),
        ("paid_service_explained", AnswerValue::Confirmed),
    ] {
        p.kit.answer_step(job, step, &answer).unwrap();
    }
    let quote = ["visit".to_owned(), "labour".to_owned()];
    p.kit
        .consent_to_fees(job, &f.id, f.version, &quote, false)
        .unwrap();
    p.kit
        .consent_to_fees(job, &f.id, f.version, &quote[..1], true)
        .unwrap();
    let status = p
        .kit
        .decline_quote(job, demo::SAMPLE_QUOTE_DECLINED)
        .unwrap();
    assert_eq!(status, JobStatus::QuoteDeclined);
    pushed_all_applied(&ts, &p).await;
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains(r#"data-status="quote_declined""#));
    assert!(page.contains(&format!("quote declined: {}", demo::SAMPLE_QUOTE_DECLINED)));

    // Forged before the customer answered the quote, and after they declined it but then
    // agreed to all of it.
    let payload = json!({"reason": "forged"});
    let no_answer = forged_ending(
        &ts,
        &tech,
        2,
        at_the_quote,
        "decline_quote",
        payload.clone(),
    )
    .await;
    refused_by_server(&ts, &desk, no_answer, "blocked", "quote_declined").await;
    let (job, p) = walked_to(&ts, &tech, 3, at_the_quote).await;
    p.kit
        .answer_step(job, "coverage", &AnswerValue::Choice("paid".into()))
        .unwrap();
    p.kit
        .answer_step(job, "paid_service_explained", &AnswerValue::Confirmed)
        .unwrap();
    for agreed in [false, true] {
        p.kit
            .consent_to_fees(job, &f.id, f.version, &quote, agreed)
            .unwrap();
    }
    let agreed = forged_on(&ts, &p, job, "decline_quote", payload).await;
    refused_by_server(&ts, &desk, (job, agreed), "invalid", "quote_declined").await;
    ts.server.shutdown().await.unwrap();
}

async fn second_visit_needed(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };
    let (job, p) = walked_to(&ts, &tech, 1, "start_work").await;
    let status = p
        .kit
        .need_second_visit(job, demo::SAMPLE_SECOND_VISIT)
        .unwrap();
    assert_eq!(status, JobStatus::SecondVisitNeeded);
    pushed_all_applied(&ts, &p).await;
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains(r#"data-status="second_visit_needed""#));
    assert!(page.contains(&format!(
        "second visit needed: {}",
        demo::SAMPLE_SECOND_VISIT
    )));

    // Forged before work started, and with a blank reason.
    let early = forged_ending(
        &ts,
        &tech,
        2,
        "arrive",
        "need_second_visit",
        json!({"reason": "forged"}),
    )
    .await;
    refused_by_server(&ts, &desk, early, "not_allowed_now", "second_visit_needed").await;
    let blank = forged_ending(
        &ts,
        &tech,
        3,
        "start_work",
        "need_second_visit",
        json!({"reason": "  "}),
    )
    .await;
    refused_by_server(&ts, &desk, blank, "invalid", "second_visit_needed").await;
    ts.server.shutdown().await.unwrap();
}

async fn redelivery_requested(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };
    let (delivery, p, finding) = damaged_delivery(&ts, &tech, 1).await;
    let status = p
        .kit
        .request_redelivery(delivery, finding, "dented, redeliver tomorrow")
        .unwrap();
    assert_eq!(status, JobStatus::RedeliveryRequested);
    pushed_all_applied(&ts, &p).await;
    let page = ts.job_page(&desk, delivery).await;
    assert!(page.contains(r#"data-status="redelivery_requested""#));
    assert!(page.contains("redelivery requested (damaged on unboxing"));
    let (status, flags) = ts.page(&desk, "/flags").await;
    assert_eq!(status, 200);
    assert!(
        flags.contains("redelivery_requested"),
        "the desk sees the flag"
    );

    // Forged: a finding the visit never had (on a damaged delivery); on a repair (its finding
    // signed, a photo taken).
    let (second, p, _) = damaged_delivery(&ts, &tech, 2).await;
    let unknown = json!({"finding": FindingId::new().to_string(), "note": "forged"});
    let on_unknown = forged_on(&ts, &p, second, "request_redelivery", unknown).await;
    refused_by_server(
        &ts,
        &desk,
        (second, on_unknown),
        "unknown_finding",
        "redelivery_requested",
    )
    .await;
    let (job, p) = walked_to(&ts, &tech, 3, "anomaly recorded and signed").await;
    let repair_finding = demo::latest_findings(&p.kit, job).unwrap().0.unwrap();
    let on_repair = forged_on(
        &ts,
        &p,
        job,
        "request_redelivery",
        json!({"finding": repair_finding.to_string(), "note": "forged"}),
    )
    .await;
    refused_by_server(
        &ts,
        &desk,
        (job, on_repair),
        "invalid",
        "redelivery_requested",
    )
    .await;
    ts.server.shutdown().await.unwrap();
}

/// Job `n` walked by a new phone to work started, taken back with a loaner, and its return
/// visit walked to arrival: the job, the phone and the loaner.
async fn on_the_return_visit(
    ts: &TestServer,
    tech: &str,
    n: u32,
) -> (WorkOrderId, Phone, LoanerId) {
    let (job, p) = walked_to(ts, tech, n, "start_work").await;
    let receipt = demo::take_back_with_evidence(&p.kit, job).unwrap();
    p.kit.call_customer(job, &demo::call_reached()).unwrap();
    p.kit
        .answer_step(job, "repaired_unit_loaded", &AnswerValue::Confirmed)
        .unwrap();
    p.kit.start_travel(job).unwrap();
    p.kit.arrive(job).unwrap();
    (job, p, receipt.loaner_id.unwrap())
}

/// A take-back's loaner returned on the return visit: applied, on the job's timeline; the same
/// op forged a second time, or for a loaner the job never lent: refused.
async fn loaner_returned(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };
    let (job, p, loaner) = on_the_return_visit(&ts, &tech, 1).await;
    p.kit.return_loaner(job, loaner).unwrap();
    pushed_all_applied(&ts, &p).await;
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains(&format!("loaner {loaner} returned")));
    let payload = json!({"loaner": loaner.to_string()});
    let twice = forged_on(&ts, &p, job, "return_loaner", payload).await;
    assert!(
        matches!(&twice, OpOutcome::Rejected { code, .. } if code == "invalid"),
        "{twice:?}"
    );

    let (job, p, _) = on_the_return_visit(&ts, &tech, 2).await;
    let payload = json!({"loaner": LoanerId::new().to_string()});
    let unknown = forged_on(&ts, &p, job, "return_loaner", payload).await;
    assert!(
        matches!(&unknown, OpOutcome::Rejected { code, .. } if code == "unknown_loaner"),
        "{unknown:?}"
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaner_returned_sqlite() {
    loaner_returned(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaner_returned_postgres() {
    loaner_returned(Backend::Postgres).await;
}

/// The feedback step is the customer's rating, never a tick: a forged tick is refused by the
/// server's replay, the real rating satisfies the step.
async fn feedback_is_a_rating(backend: Backend) {
    let Some((ts, tech, desk)) = desk_and_technician(backend).await else {
        return;
    };
    let tick = json!({"step": "feedback", "answer": {"type": "confirmed"}});
    let forged = forged_ending(&ts, &tech, 1, "customer signed", "answer_step", tick).await;
    assert!(
        matches!(&forged.1, OpOutcome::Rejected { code, .. } if code == "checklist"),
        "{:?}",
        forged.1
    );
    let (job, p) = walked_to(&ts, &tech, 2, "customer signed").await;
    p.kit.feedback(job, 4, Some("准时"), false).unwrap();
    let view = p.kit.checklist(job).unwrap();
    let step = view.steps.iter().find(|s| s.id == "feedback").unwrap();
    assert_eq!(step.status, fieldkit_core::checklist::StepStatus::Satisfied);
    pushed_all_applied(&ts, &p).await;
    let page = ts.job_page(&desk, job).await;
    assert!(page.contains("rating 4"));
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_a_rating_sqlite() {
    feedback_is_a_rating(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_a_rating_postgres() {
    feedback_is_a_rating(Backend::Postgres).await;
}

/// Every ending synced by a real phone, then each job's page opened in Chromium by a dispatcher
/// logged in through the form: the page's status is the ending's, and the timeline has the
/// ending's op.
async fn endings_in_chromium(backend: Backend) {
    const WAIT: std::time::Duration = std::time::Duration::from_secs(30);
    let Some((ts, tech, _desk)) = desk_and_technician(backend).await else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    let mut shown = Vec::new();
    let (job, p) = walked_to(&ts, &tech, 1, "start_work").await;
    let (parts, note) = demo::sample_parts_wait(true);
    p.kit.await_parts(job, &parts, note).unwrap();
    pushed_all_applied(&ts, &p).await;
    shown.push((job, "awaiting_parts", "await_parts"));

    let (job, p) = walked_to(&ts, &tech, 2, "start_work").await;
    let (reason, witness) = demo::sample_refusal(true);
    p.kit.refuse_signature(job, reason, witness, None).unwrap();
    pushed_all_applied(&ts, &p).await;
    shown.push((job, "signature_refused", "refuse_signature"));

    let (job, p) = walked_to(&ts, &tech, 3, "start_work").await;
    p.kit
        .need_second_visit(job, demo::SAMPLE_SECOND_VISIT)
        .unwrap();
    pushed_all_applied(&ts, &p).await;
    shown.push((job, "second_visit_needed", "need_second_visit"));

    let (job, p) = walked_to(&ts, &tech, 4, "anomaly recorded and signed").await;
    let f = demo::fee_schedule();
    p.kit
        .answer_step(job, "coverage", &AnswerValue::Choice("paid".into()))
        .unwrap();
    p.kit
        .answer_step(job, "paid_service_explained", &AnswerValue::Confirmed)
        .unwrap();
    let quote = ["visit".to_owned(), "labour".to_owned()];
    p.kit
        .consent_to_fees(job, &f.id, f.version, &quote, false)
        .unwrap();
    p.kit
        .decline_quote(job, demo::SAMPLE_QUOTE_DECLINED)
        .unwrap();
    pushed_all_applied(&ts, &p).await;
    shown.push((job, "quote_declined", "decline_quote"));

    let (delivery, p, finding) = damaged_delivery(&ts, &tech, 5).await;
    p.kit
        .request_redelivery(delivery, finding, "dented")
        .unwrap();
    pushed_all_applied(&ts, &p).await;
    shown.push((delivery, "redelivery_requested", "request_redelivery"));

    b.goto(&ts.url("/login")).await;
    b.send_keys(&b.find("#login [name=\"login\"]").await, "desk.endings")
        .await;
    b.send_keys(
        &b.find("#login [name=\"password\"]").await,
        "a long enough password",
    )
    .await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;
    for (job, status, kind) in shown {
        b.goto(&ts.url(&format!("/jobs/{job}"))).await;
        b.wait_for(&format!("#job-status[data-status=\"{status}\"]"), WAIT)
            .await;
        let rows = b
            .find_all(&format!("#timeline tr[data-kind=\"{kind}\"]"))
            .await;
        assert_eq!(rows.len(), 1, "{status}: the ending is on the timeline");
        assert!(
            b.try_find("#job-error").await.unwrap().is_none(),
            "{status}"
        );
    }
    b.quit().await;
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endings_in_chromium_sqlite() {
    endings_in_chromium(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_declined_sqlite() {
    quote_declined(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_declined_postgres() {
    quote_declined(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_visit_needed_sqlite() {
    second_visit_needed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_visit_needed_postgres() {
    second_visit_needed(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_requested_sqlite() {
    redelivery_requested(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_requested_postgres() {
    redelivery_requested(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_refused_sqlite() {
    signature_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_refused_postgres() {
    signature_refused(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awaiting_parts_sqlite() {
    awaiting_parts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awaiting_parts_postgres() {
    awaiting_parts(Backend::Postgres).await;
}
