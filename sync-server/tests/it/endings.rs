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

use chrono::Utc;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::{Error, demo};
use serde_json::json;

use crate::common::phone::{Phone, phone};
use crate::common::{Backend, DashboardLogin, TestServer, hostile, server};

/// Walks the demo's paid repair of `job` up to and including the step `last`.
fn walk_until(p: &Phone, job: WorkOrderId, last: &str) {
    let r = demo::walk_repair_visit(&p.kit, job, &mut |s| {
        if s == last {
            Err(Error::Invalid {
                field: "walk",
                reason: "stopped here".into(),
            })
        } else {
            Ok(())
        }
    });
    assert!(matches!(r, Err(Error::Invalid { .. })), "stopped at {last}");
}

fn answer(r: &PushResponse, op: &Op) -> OpOutcome {
    r.results
        .iter()
        .find(|x| x.op_id == op.op_id)
        .unwrap_or_else(|| panic!("no answer for {}", op.kind))
        .outcome
        .clone()
}

async fn job_page(ts: &TestServer, desk: &DashboardLogin, job: WorkOrderId) -> String {
    let (status, page) = ts.page(desk, &format!("/jobs/{job}")).await;
    assert_eq!(status, 200);
    page
}

/// A server with the demo catalogue, a technician and a dispatcher logged in to the dashboard.
async fn desk_and_technician(backend: Backend) -> Option<(TestServer, String, DashboardLogin)> {
    let ts = server(backend, |_| {}).await?;
    let tech = ts.create_technician("Technician Endings").await;
    ts.publish_demo_catalog().await;
    ts.create_dispatcher("desk.endings", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("desk.endings", "a long enough password")
        .await;
    Some((ts, tech, desk))
}

/// Job `n` (a paid repair) created for `tech` and walked honestly by a new phone up to and
/// including the step `stop_at`.
async fn walked_to(ts: &TestServer, tech: &str, n: u32, stop_at: &str) -> (WorkOrderId, Phone) {
    let job = demo::repair_order(n, Utc::now(), Billing::Paid);
    ts.create_job(&job, Some(tech)).await;
    let p = phone(ts, tech, |_| {}).await;
    walk_until(&p, job.id, stop_at);
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
    (job, answer(&r, &forged))
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
    let page = job_page(&ts, &desk, job).await;
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
        let page = job_page(&ts, &desk, job).await;
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
    let page = job_page(&ts, &desk, job).await;
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
        let page = job_page(&ts, &desk, job).await;
        assert!(!page.contains(r#"data-status="signature_refused""#));
    }
    ts.server.shutdown().await.unwrap();
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
