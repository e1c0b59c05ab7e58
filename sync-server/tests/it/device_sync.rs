//! The device's own sync client (`FieldKit::enroll` / `FieldKit::sync`) against the real
//! server on 127.0.0.1: a technician's offline day reaches the server exactly once, photos
//! follow, the desk's changes (new jobs, reschedules, cancellations, reassignments) reach the
//! device, and a revoked device is refused with a typed error.

use std::sync::Mutex;

use crate::common::journal::Phone;
use crate::common::{Backend, morning, server};
use chrono::Duration;
use fieldkit_core::Error;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::{SyncOptions, SyncPhase, SyncProgress};
use fieldkit_core::workflow::JobStatus;
use reqwest::Method;
use serde_json::{Value, json};

/// Quick retries: the tests' server is local.
fn options() -> SyncOptions {
    SyncOptions {
        first_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(50),
        chunk_bytes: 16 * 1024,
        ..SyncOptions::default()
    }
}

/// Every progress report, in order.
#[derive(Default)]
struct Progress(Mutex<Vec<SyncProgress>>);

impl Progress {
    fn phases(&self) -> Vec<SyncPhase> {
        let mut p: Vec<SyncPhase> = self.0.lock().unwrap().iter().map(|p| p.phase).collect();
        p.dedup();
        p
    }
}

async fn sync(p: &Phone) -> (fieldkit_core::sync::client::SyncReport, Progress) {
    let progress = Progress::default();
    let report = p
        .kit
        .sync(&options(), &|e| progress.0.lock().unwrap().push(e))
        .await
        .expect("sync");
    (report, progress)
}

async fn a_technicians_offline_day_reaches_the_server_once(backend: Backend) {
    let Some(s) = server(backend, |_| {}).await else {
        return;
    };
    let tech = s.create_technician("Technician A").await;
    s.publish_demo_catalog().await;
    let p = Phone::new(morning());
    let code = s.enrolment_code(&tech).await;
    let account = p.kit.enroll(&s.base, &code, &options()).await.unwrap();
    assert_eq!(account.technician_id, tech);
    assert_eq!(p.kit.server_account().unwrap(), Some(account));

    // The desk dispatches two jobs for today.
    let first = demo::repair_order(1, morning(), Billing::Paid);
    let mut second = demo::repair_order(2, morning() + Duration::hours(3), Billing::Warranty);
    second.kind = JobKind::Installation;
    s.create_job(&first, Some(&tech)).await;
    s.create_job(&second, Some(&tech)).await;
    let (report, _) = sync(&p).await;
    // The two jobs, and the fee schedule and part the desk published.
    assert_eq!(report.pulled, 4);
    // The van's stock, recorded before enrolment, went first.
    assert_eq!(report.applied, report.pushed, "{report:?}");
    let today: Vec<WorkOrderId> = p.kit.todays_jobs().unwrap().iter().map(|j| j.id).collect();
    assert_eq!(today, vec![first.id, second.id]);
    assert_eq!(
        p.kit.job(first.id).unwrap().order.product.model,
        first.product.model
    );

    // A whole paid repair, offline: photos and signatures included.
    let mut clock_steps = 0;
    let completion = demo::walk_repair_visit(&p.kit, first.id, &mut |_| {
        p.clock.advance(Duration::minutes(4));
        clock_steps += 1;
        Ok(())
    })
    .unwrap();
    assert!(clock_steps > 10);
    let queued = p.kit.pending_ops(i64::MAX).unwrap();
    let files = p.kit.blobs_to_upload().unwrap();
    assert!(queued.len() > 30, "{} ops", queued.len());
    assert!(
        files.len() >= 4,
        "photos, thumbnails and signature images: {files:?}"
    );

    let (report, progress) = sync(&p).await;
    assert_eq!(report.pushed, queued.len());
    assert_eq!(report.applied, queued.len(), "{report:?}");
    assert_eq!(
        (report.duplicates, report.rejected, report.conflicts),
        (0, 0, 0)
    );
    assert_eq!(report.blobs_uploaded, files.len());
    assert!(p.kit.pending_ops(i64::MAX).unwrap().is_empty());
    assert!(p.kit.blobs_to_upload().unwrap().is_empty());
    assert!(p.kit.sync_issues().unwrap().is_empty());
    assert_eq!(
        progress.phases(),
        vec![SyncPhase::Push, SyncPhase::Pull, SyncPhase::Blobs]
    );
    let last_push = progress
        .0
        .lock()
        .unwrap()
        .iter()
        .rfind(|e| e.phase == SyncPhase::Push)
        .copied()
        .unwrap();
    assert_eq!(
        (last_push.done, last_push.total),
        (queued.len() as u64, queued.len() as u64)
    );

    // The desk sees the completion, unflagged, and holds every file, verified.
    let (status, done) = s.admin(Method::GET, "/v1/admin/completions", None).await;
    assert_eq!(status, 200);
    let done = done.as_array().unwrap().clone();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["work_order_id"], json!(first.id));
    assert_eq!(done[0]["outcome"], json!("applied"));
    assert_eq!(done[0]["flags"], json!([]), "{done:?}");
    assert_eq!(
        done[0]["completed_at_device"],
        json!(completion.completed_at.timestamp_millis())
    );
    for sha in &files {
        let st: Value = s
            .client
            .get(s.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&p.kit.server_account().unwrap().unwrap().token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(st["complete"], json!(true), "{sha}: {st}");
    }

    // Nothing left: a second sync sends nothing.
    let (again, _) = sync(&p).await;
    assert_eq!(
        (again.pushed, again.pulled, again.blobs_uploaded),
        (0, 0, 0)
    );

    // The desk moves the second job, then cancels it: the device follows.
    let later = TimeWindow {
        start: morning() + Duration::hours(6),
        end: morning() + Duration::hours(8),
    };
    let path = format!("/v1/admin/work-orders/{}/reschedule", second.id);
    let (st, v) = s
        .admin(Method::POST, &path, Some(json!({ "promised": later })))
        .await;
    assert_eq!(st, 200, "{v}");
    sync(&p).await;
    assert_eq!(p.kit.job(second.id).unwrap().order.promised, later);
    let path = format!("/v1/admin/work-orders/{}/cancel", second.id);
    let (st, v) = s
        .admin(
            Method::POST,
            &path,
            Some(json!({ "reason": "customer moved" })),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    sync(&p).await;
    assert_eq!(p.kit.job(second.id).unwrap().status, JobStatus::Cancelled);
    // Cancelled by the desk: nothing to send back.
    assert!(p.kit.pending_ops(i64::MAX).unwrap().is_empty());
    // The completed job stays completed.
    assert_eq!(p.kit.job(first.id).unwrap().status, JobStatus::Completed);
    let _ = s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technicians_offline_day_reaches_the_server_once_sqlite() {
    a_technicians_offline_day_reaches_the_server_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technicians_offline_day_reaches_the_server_once_postgres() {
    a_technicians_offline_day_reaches_the_server_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassigned_job_leaves_the_list_and_its_unsent_facts_still_go() {
    let s = server(Backend::Sqlite, |_| {}).await.unwrap();
    let (tech_a, tech_b) = (
        s.create_technician("Technician A").await,
        s.create_technician("Technician B").await,
    );
    s.publish_demo_catalog().await;
    let p = Phone::new(morning());
    let code = s.enrolment_code(&tech_a).await;
    p.kit.enroll(&s.base, &code, &options()).await.unwrap();
    let job = demo::repair_order(1, morning(), Billing::Warranty);
    s.create_job(&job, Some(&tech_a)).await;
    sync(&p).await;
    // Offline: the technician accepts and calls; meanwhile the desk hands the job to B.
    p.kit.accept(job.id).unwrap();
    let path = format!("/v1/admin/work-orders/{}/assign", job.id);
    let (st, v) = s
        .admin(
            Method::POST,
            &path,
            Some(json!({ "technician_id": tech_b })),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (report, _) = sync(&p).await;
    // The accept was made on a job that was this technician's: kept, flagged as a conflict.
    assert_eq!(report.pushed, 1);
    assert_eq!(report.conflicts, 1, "{report:?}");
    let issues = p.kit.sync_issues().unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].kind, "accept");
    assert_eq!(issues[0].outcome, "conflict");
    assert!(p.kit.todays_jobs().unwrap().is_empty(), "reassigned away");
    // Nothing recorded was dropped.
    assert_eq!(p.kit.job(job.id).unwrap().status, JobStatus::Accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused_and_keeps_its_outbox() {
    let s = server(Backend::Sqlite, |_| {}).await.unwrap();
    let tech = s.create_technician("Technician A").await;
    s.publish_demo_catalog().await;
    let p = Phone::new(morning());
    let code = s.enrolment_code(&tech).await;
    p.kit.enroll(&s.base, &code, &options()).await.unwrap();
    let path = format!("/v1/admin/devices/{}/revoke", p.kit.device_id());
    let (st, v) = s.admin(Method::POST, &path, None).await;
    assert!(st == 200 || st == 204, "{st} {v}");
    let before = p.kit.pending_ops(i64::MAX).unwrap();
    assert!(!before.is_empty());
    let err = p.kit.sync(&options(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 401, .. }), "{err:?}");
    assert_eq!(p.kit.pending_ops(i64::MAX).unwrap(), before);
    // A used code cannot enrol another device.
    let other = Phone::new(morning());
    let err = other
        .kit
        .enroll(&s.base, &code, &options())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Server { status, .. } if (400..500).contains(&status)),
        "{err:?}"
    );
    assert_eq!(other.kit.server_account().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_network_error_and_nothing_is_lost() {
    let p = Phone::new(morning());
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let err = p.kit.enroll(&url, "CODE", &options()).await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    let err = p.kit.sync(&options(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::NotEnrolled), "{err:?}");
    assert!(!p.kit.pending_ops(i64::MAX).unwrap().is_empty());
}
