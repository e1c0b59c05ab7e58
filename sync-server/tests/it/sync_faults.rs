//! The fault-injection test of "Done means": many devices — each the real core with its own
//! database, its own technician and its own jobs from the desk — work full visits and sync
//! again and again through a hostile proxy ([`proxy`]) that drops answers after the server
//! did the work, sends requests twice, delays them, and cuts uploads mid-chunk. Meanwhile
//! the desk reschedules and cancels jobs. Afterwards:
//!
//! * every op of every device's journal is on the server exactly once, under its seq, with
//!   the same body, and the server holds nothing else from that device (0 lost, 0 twice);
//! * every photo and signature image is on the server, complete, its SHA-256 verified and its
//!   bytes those of the device;
//! * every device's view converged with the desk's: its jobs are exactly the technician's jobs
//!   on the server, field for field (status included); outbox empty, nothing left to upload,
//!   and one more sync finds nothing to do;
//! * completions arrived unflagged (hash chains and signatures survived the retries), and
//!   both databases pass `PRAGMA integrity_check`.
//!
//! The proxy counts what it did; the test asserts that the rates of the issue were reached:
//! ≥ 20% of answers dropped, ≥ 5% of requests duplicated, uploads cut.
//!
//! # Environment
//!
//! * `FIELDKIT_SYNC_FAULTS_SEED` — replays the proxy's decisions (printed at the start; each
//!   device's n-th request meets the same fate; timing still varies).
//! * `FIELDKIT_SYNC_FAULTS_DEVICES` (default 24), `FIELDKIT_SYNC_FAULTS_VISITS` (full visits
//!   per device, default 3) — a longer run, e.g. 60 devices × 6 visits.
//! * `FIELDKIT_SYNC_FAULTS_VERBOSE=1` — print why each failed sync failed (the test retries
//!   them; a few 409/422 answers to blob uploads raced by duplicates are expected).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::proxy::{Faults, Proxy, Route};
use crate::common::{Backend, TestServer, server};
use chrono::{TimeZone, Utc};
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::Op;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Barrier;

const SEED_ENV: &str = "FIELDKIT_SYNC_FAULTS_SEED";
const DEVICES_ENV: &str = "FIELDKIT_SYNC_FAULTS_DEVICES";
const VISITS_ENV: &str = "FIELDKIT_SYNC_FAULTS_VISITS";
/// Syncs a device may need at the end, through the proxy, before it must have converged.
const FINAL_SYNC_TRIES: usize = 60;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s} is not a valid value")),
        Err(_) => default,
    }
}

/// The proxy's faults for this test.
fn hostile() -> Faults {
    Faults {
        drop_answer: 0.30,
        duplicate: 0.10,
        delay: 0.15,
        max_delay: Duration::from_millis(40),
        cut_upload: 0.30,
        hold_answers: None,
        stale_duplicate_answers: false,
        first_requests_only: None,
    }
}

/// Quick retries, small batches and chunks: many requests, so many faults.
fn options() -> SyncOptions {
    SyncOptions {
        max_attempts: 12,
        first_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(40),
        request_timeout: Duration::from_secs(20),
        push_batch: 16,
        pull_limit: 3,
        chunk_bytes: 1536,
        ..SyncOptions::default()
    }
}

/// Job times on whole seconds (the device keeps milliseconds): the start of this run.
fn base_time() -> Timestamp {
    static BASE: std::sync::OnceLock<Timestamp> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        Utc.timestamp_opt(Utc::now().timestamp(), 0)
            .single()
            .expect("a valid time")
    })
}

/// The desk's jobs for one device: `visits` repairs the technician walks, one the desk moves
/// twice, one the desk cancels after the technician accepted it offline.
struct Jobs {
    walked: Vec<WorkOrder>,
    moved: WorkOrder,
    cancelled: WorkOrder,
}

impl Jobs {
    fn all(&self) -> impl Iterator<Item = &WorkOrder> {
        self.walked.iter().chain([&self.moved, &self.cancelled])
    }
}

struct Device {
    index: usize,
    technician: String,
    kit: Arc<FieldKit>,
    _dir: tempfile::TempDir,
    jobs: Jobs,
}

/// What the devices ran into, summed.
#[derive(Default)]
struct Tally {
    syncs: AtomicUsize,
    sync_errors: AtomicUsize,
    enrol_tries: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_through_a_hostile_network_and_nothing_is_lost_or_doubled() {
    let seed: u64 = std::env::var(SEED_ENV)
        .ok()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{SEED_ENV}={s} is not a u64"))
        })
        .unwrap_or_else(|| rand::rng().random());
    let n_devices: usize = env_or(DEVICES_ENV, 24);
    let visits: usize = env_or(VISITS_ENV, 3);
    println!(
        "sync faults: seed {seed} (replay with {SEED_ENV}={seed}), {n_devices} devices, \
         {visits} visits each"
    );
    let started = Instant::now();

    let s = Arc::new(server(Backend::Sqlite, |_| {}).await.expect("server"));
    s.publish_demo_catalog().await;
    let proxy = Arc::new(Proxy::start(s.server.addr(), hostile(), seed).await);
    let tally = Arc::new(Tally::default());

    // The desk: a technician, an enrolment code and the jobs of each device.
    let mut devices = Vec::with_capacity(n_devices);
    for index in 0..n_devices {
        let technician = s.create_technician(&format!("Technician {index}")).await;
        let mut n = (index * 100) as u32;
        let mut order = |billing| {
            n += 1;
            let mut o = demo::repair_order(n, base_time(), billing);
            o.number = format!("WO-F{index:03}-{n:05}");
            o
        };
        let jobs = Jobs {
            walked: (0..visits).map(|_| order(Billing::Paid)).collect(),
            moved: order(Billing::Warranty),
            cancelled: order(Billing::Warranty),
        };
        for o in jobs.all() {
            s.create_job(o, Some(&technician)).await;
        }
        let dir = tempfile::tempdir().expect("device dir");
        let kit = FieldKit::open(dir.path(), DeviceConfig::default()).expect("device opens");
        demo::stock_the_van(&kit).expect("van stocked");
        proxy.name_device(&kit.device_id().to_string(), &format!("device-{index}"));
        devices.push(Arc::new(Device {
            index,
            technician,
            kit: Arc::new(kit),
            _dir: dir,
            jobs,
        }));
    }

    // Devices and the desk meet at three points: every device has its jobs; every device
    // walked its first visit; the desk made its last change.
    let barrier = Arc::new(Barrier::new(n_devices + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for d in &devices {
        let (s, proxy, d, barrier, tally) = (
            s.clone(),
            proxy.clone(),
            d.clone(),
            barrier.clone(),
            tally.clone(),
        );
        tasks.spawn(async move {
            run_device(&s, &proxy, &d, &barrier, &tally).await;
        });
    }
    {
        let (s, devices, barrier) = (s.clone(), devices.clone(), barrier.clone());
        tasks.spawn(async move { run_desk(&s, &devices, &barrier).await });
    }
    // The first task to fail fails the test (the others would wait at a barrier forever).
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    let ran = started.elapsed();
    // Quiet from here on: the checks and the last sync see the network as it is.
    proxy.set_faults(Faults::none());

    // ------------------------------------------------------------------ what the proxy did
    let c = proxy.counts();
    let rate = |n: u64| n as f64 / c.requests.max(1) as f64;
    println!(
        "sync faults: proxy saw {} requests: {} answers dropped ({:.1}%: {} withheld, {} cut \
         mid-body), {} duplicated ({:.1}%, {} concurrently), {} delayed, {} uploads cut \
         mid-chunk, {} upstream errors",
        c.requests,
        c.dropped(),
        100.0 * rate(c.dropped()),
        c.dropped_answers,
        c.cut_answers,
        c.duplicated,
        100.0 * rate(c.duplicated),
        c.duplicated_concurrently,
        c.delayed,
        c.cut_uploads,
        c.upstream_errors,
    );
    for (route, rc) in &c.routes {
        println!(
            "sync faults:   {route:?}: {} received, {} answered by the server, {} delivered",
            rc.received, rc.answered, rc.delivered
        );
    }
    assert!(
        rate(c.dropped()) >= 0.20,
        "only {:.1}% of answers dropped",
        100.0 * rate(c.dropped())
    );
    assert!(
        rate(c.duplicated) >= 0.05,
        "only {:.1}% of requests duplicated",
        100.0 * rate(c.duplicated)
    );
    assert!(c.cut_uploads >= 10, "only {} uploads cut", c.cut_uploads);
    assert!(c.duplicated_concurrently > 0 && c.cut_answers > 0);
    for r in [
        Route::Enroll,
        Route::Push,
        Route::Pull,
        Route::BlobsMissing,
        Route::BlobPut,
    ] {
        assert!(c.route(r).received > 0, "no {r:?} request went through");
    }
    assert_eq!(
        c.upstream_errors, 0,
        "the server failed to answer the proxy"
    );

    // ------------------------------------------------------------------ the verdict
    // A completion is counted (its job completed) once its drawing check has run, after the
    // push was answered: the jobs are compared when every check is done.
    let completions = s.settled_completions().await;
    let db = s.sqlite_db();
    let mut totals = Totals::default();
    for d in &devices {
        verify_device(&s, &db, d, &mut totals).await;
    }
    let problems: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|s| s != "ok")
        .collect();
    assert!(problems.is_empty(), "server integrity_check: {problems:?}");
    // Nothing from devices that are not ours (no op under an unknown device).
    let devices_on_server: i64 = db
        .query_row("SELECT count(DISTINCT device_id) FROM ops", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(devices_on_server as usize, n_devices);
    assert_eq!(
        completions.len(),
        n_devices * visits,
        "one per walked visit"
    );
    for c in &completions {
        assert_eq!(c["outcome"], json!("applied"), "{c}");
        assert_eq!(
            c["state"],
            json!("counted"),
            "a completion not counted: {c}"
        );
        assert_eq!(c["flags"], json!([]), "a completion was flagged: {c}");
    }

    println!(
        "sync faults: {} devices, {} ops ({} applied, {} conflicts, {} rejected) on the server \
         exactly once, {} blobs ({} bytes) intact, {} jobs converged; {} syncs ({} failed and \
         were retried), {} enrolment attempts; unaligned upload resumes {}; {:.1?} (devices \
         {:.1?})",
        n_devices,
        totals.ops,
        totals.applied,
        totals.conflicts,
        totals.rejected,
        totals.blobs,
        totals.blob_bytes,
        totals.jobs,
        tally.syncs.load(Ordering::Relaxed),
        tally.sync_errors.load(Ordering::Relaxed),
        tally.enrol_tries.load(Ordering::Relaxed),
        c.put_offsets
            .iter()
            .filter(|o| **o % options().chunk_bytes as u64 != 0)
            .count(),
        started.elapsed(),
        ran,
    );
    // The issue's scale (a smaller run asked for by the environment is for debugging).
    if n_devices >= 20 && visits >= 3 {
        assert!(totals.ops >= 2000, "only {} ops", totals.ops);
    }
    assert_eq!(totals.rejected, 0);
}

/// One sync through the proxy; errors are expected and counted.
async fn sync_once(d: &Device, tally: &Tally) -> bool {
    tally.syncs.fetch_add(1, Ordering::Relaxed);
    match d.kit.sync(&options(), &|_| {}).await {
        Ok(_) => true,
        Err(e) => {
            if std::env::var_os("FIELDKIT_SYNC_FAULTS_VERBOSE").is_some() {
                eprintln!("device {}: sync failed: {e}", d.index);
            }
            tally.sync_errors.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// How many of its jobs the device holds.
fn jobs_held(d: &Device) -> usize {
    d.jobs.all().filter(|o| d.kit.job(o.id).is_ok()).count()
}

/// One technician's day: enrol, fetch the jobs, accept the one the desk will cancel, walk the
/// visits (syncing in the middle of them, adding photos and changing answers), then sync
/// until everything is through.
async fn run_device(
    s: &TestServer,
    proxy: &Proxy,
    d: &Arc<Device>,
    barrier: &Barrier,
    tally: &Tally,
) {
    let code = s.enrolment_code(&d.technician).await;
    let mut tries = 0;
    loop {
        tries += 1;
        tally.enrol_tries.fetch_add(1, Ordering::Relaxed);
        match d.kit.enroll(&proxy.url(), &code, &options()).await {
            Ok(a) => {
                assert_eq!(a.technician_id, d.technician);
                break;
            }
            Err(e) => assert!(
                tries < 20,
                "device {}: enrolment keeps failing: {e}",
                d.index
            ),
        }
    }

    // Sync until the device holds all its jobs (a real condition, polled by syncing).
    let mut tries = 0;
    while jobs_held(d) < d.jobs.all().count() {
        tries += 1;
        assert!(tries < 100, "device {}: the jobs never arrived", d.index);
        sync_once(d, tally).await;
    }
    d.kit.accept(d.jobs.cancelled.id).expect("accept");
    barrier.wait().await;

    for (v, order) in d.jobs.walked.iter().enumerate() {
        let d2 = d.clone();
        let id = order.id;
        let handle = tokio::runtime::Handle::current();
        let tally2 = Arc::new(Tally::default());
        let t2 = tally2.clone();
        tokio::task::spawn_blocking(move || walk(&d2, id, v, &handle, &t2))
            .await
            .expect("walk task");
        tally
            .syncs
            .fetch_add(tally2.syncs.load(Ordering::Relaxed), Ordering::Relaxed);
        tally.sync_errors.fetch_add(
            tally2.sync_errors.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        sync_once(d, tally).await;
        if v == 0 {
            barrier.wait().await;
        }
    }
    if d.jobs.walked.is_empty() {
        barrier.wait().await;
    }
    // The desk's last change is made: sync until everything is through.
    barrier.wait().await;
    let mut tries = 0;
    loop {
        tries += 1;
        assert!(
            tries <= FINAL_SYNC_TRIES,
            "device {}: still not through after {FINAL_SYNC_TRIES} syncs (outbox {}, files {})",
            d.index,
            d.kit.store().pending_count().unwrap(),
            d.kit.blobs_to_upload().unwrap().len()
        );
        if sync_once(d, tally).await
            && d.kit.store().pending_count().unwrap() == 0
            && d.kit.blobs_to_upload().unwrap().is_empty()
        {
            break;
        }
    }
}

/// Walks a visit on a blocking thread: syncs after some steps (pulls land while the outbox is
/// full), adds extra photos and re-answers steps.
fn walk(d: &Device, id: WorkOrderId, visit: usize, rt: &tokio::runtime::Handle, tally: &Tally) {
    let kit = &d.kit;
    kit.issue_stock("PUMP-220", 1).expect("stock");
    let mut steps = 0;
    demo::walk_repair_visit(kit, id, &mut |step| {
        steps += 1;
        match step {
            "arrive" => {
                for k in 0..2 {
                    let tag = format!("extra {} {visit} {k}", d.index);
                    kit.add_photo(id, None, &demo::fake_photo(&tag))?;
                }
            }
            "shoe_covers" => {
                kit.answer_step(id, "id_badge", &AnswerValue::Confirmed)?;
            }
            "work done" => {
                kit.answer_step(
                    id,
                    "work_done",
                    &AnswerValue::Text("Replaced the drain pump and cleaned the filter".into()),
                )?;
                kit.answer_step(id, "test_run_ok", &AnswerValue::YesNo(true))?;
            }
            _ => {}
        }
        if steps % 4 == 0 {
            rt.block_on(async {
                sync_once(d, tally).await;
            });
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("device {}: visit {visit}: {e}", d.index));
}

/// The desk: once every device holds its jobs, moves one job of each and cancels another;
/// after every device walked its first visit, moves the first one again.
async fn run_desk(s: &TestServer, devices: &[Arc<Device>], barrier: &Barrier) {
    barrier.wait().await;
    for (i, d) in devices.iter().enumerate() {
        reschedule(s, d.jobs.moved.id, 4 + i as i64 % 3).await;
        let path = format!("/v1/admin/work-orders/{}/cancel", d.jobs.cancelled.id);
        let (st, v) = s
            .admin(
                Method::POST,
                &path,
                Some(json!({ "reason": "the customer called it off" })),
            )
            .await;
        assert_eq!(st, 200, "{v}");
    }
    barrier.wait().await;
    for (i, d) in devices.iter().enumerate() {
        reschedule(s, d.jobs.moved.id, 7 + i as i64 % 2).await;
    }
    barrier.wait().await;
}

async fn reschedule(s: &TestServer, id: WorkOrderId, hours: i64) {
    let window = TimeWindow {
        start: base_time() + chrono::Duration::hours(hours),
        end: base_time() + chrono::Duration::hours(hours + 2),
    };
    let path = format!("/v1/admin/work-orders/{id}/reschedule");
    let (st, v) = s
        .admin(Method::POST, &path, Some(json!({ "promised": window })))
        .await;
    assert_eq!(st, 200, "{v}");
}

#[derive(Default)]
struct Totals {
    ops: usize,
    applied: usize,
    conflicts: usize,
    rejected: usize,
    blobs: usize,
    blob_bytes: u64,
    jobs: usize,
}

/// One op as the device's journal holds it.
struct JournalOp {
    seq: i64,
    op_id: String,
    kind: String,
    entity_id: String,
    payload: Value,
    hash: Option<String>,
}

/// Compares a device with the server: journal ↔ stored ops, files ↔ blobs, jobs ↔ the desk.
async fn verify_device(s: &TestServer, db: &rusqlite::Connection, d: &Device, t: &mut Totals) {
    let who = format!("device {}", d.index);
    let kit = &d.kit;
    let problems = kit.store().integrity_check().unwrap();
    assert!(problems.is_empty(), "{who}: integrity_check: {problems:?}");

    // ---- ops: the journal and the server's ops of this device are the same list.
    let journal: Vec<JournalOp> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT seq, op_id, kind, entity_id, payload, hash FROM journal ORDER BY seq",
            )?;
            let rows = st.query_map([], |r| {
                let payload: String = r.get(4)?;
                Ok(JournalOp {
                    seq: r.get(0)?,
                    op_id: r.get(1)?,
                    kind: r.get(2)?,
                    entity_id: r.get(3)?,
                    payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                    hash: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    for (i, op) in journal.iter().enumerate() {
        assert_eq!(op.seq, i as i64 + 1, "{who}: the journal is not gapless");
    }
    let device_id = kit.device_id().to_string();
    let mut st = db
        .prepare(
            "SELECT seq, op_id, body, outcome, code FROM ops WHERE device_id = ?1 ORDER BY seq",
        )
        .unwrap();
    let stored: Vec<(i64, String, String, String, Option<String>)> = st
        .query_map([&device_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let on_server: HashSet<&str> = stored.iter().map(|o| o.1.as_str()).collect();
    let lost: Vec<(i64, &str)> = journal
        .iter()
        .filter(|o| !on_server.contains(o.op_id.as_str()))
        .map(|o| (o.seq, o.kind.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{who}: {} ops never reached the server: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    let mut twice: HashMap<&str, usize> = HashMap::new();
    for o in &stored {
        *twice.entry(o.1.as_str()).or_default() += 1;
    }
    twice.retain(|_, n| *n > 1);
    assert!(twice.is_empty(), "{who}: ops stored twice: {twice:?}");
    assert_eq!(
        stored.len(),
        journal.len(),
        "{who}: the server holds {} ops of this device, the device {}",
        stored.len(),
        journal.len()
    );
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (j, (seq, op_id, body, outcome, code)) in journal.iter().zip(&stored) {
        assert_eq!((j.seq, &j.op_id), (*seq, op_id), "{who}: seq {seq}");
        let op: Op = serde_json::from_str(body).expect("stored body is an op");
        assert_eq!(op.op_id.to_string(), j.op_id);
        assert_eq!(
            (&op.kind, &op.entity_id, &op.payload, &op.hash),
            (&j.kind, &j.entity_id, &j.payload, &j.hash),
            "{who}: op {seq} differs on the server"
        );
        *outcomes
            .entry(format!("{outcome} {}", code.as_deref().unwrap_or("")))
            .or_default() += 1;
        match outcome.as_str() {
            "applied" => t.applied += 1,
            "conflict" => t.conflicts += 1,
            _ => t.rejected += 1,
        }
    }
    assert!(
        outcomes
            .keys()
            .all(|k| k.starts_with("applied") || k == "conflict job_cancelled"),
        "{who}: outcomes {outcomes:?}"
    );
    let last_seq: i64 = db
        .query_row(
            "SELECT last_seq FROM devices WHERE id = ?1",
            [&device_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        last_seq,
        journal.len() as i64,
        "{who}: the server's last seq"
    );
    assert_eq!(kit.store().pending_count().unwrap(), 0, "{who}: outbox");
    t.ops += journal.len();

    // ---- files: every photo, thumbnail and signature image, whole and verified.
    let files: Vec<String> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT sha256 FROM attachments UNION SELECT thumbnail_sha256 FROM attachments
                  WHERE thumbnail_sha256 IS NOT NULL",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    assert!(
        files.len() >= 4 * d.jobs.walked.len(),
        "{who}: only {} files",
        files.len()
    );
    let token = kit.server_account().unwrap().unwrap().token;
    for sha in &files {
        let local = kit.store().blobs().get(sha).unwrap();
        let path = s.dir.path().join("server/blobs/blobs").join(sha);
        let remote = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{who}: blob {sha} is not on the server: {e}"));
        assert_eq!(
            hex::encode(Sha256::digest(&remote)),
            *sha,
            "{who}: blob {sha} is corrupt on the server"
        );
        assert_eq!(remote, local, "{who}: blob {sha}");
        let status: Value = s
            .client
            .get(s.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["complete"], json!(true), "{who}: {sha}: {status}");
        assert_eq!(status["offset"], json!(remote.len()), "{who}: {sha}");
        t.blobs += 1;
        t.blob_bytes += remote.len() as u64;
    }
    assert!(kit.blobs_to_upload().unwrap().is_empty());

    // ---- jobs: the device's are exactly the technician's on the server, field for field.
    let (status, v) = s
        .admin(
            Method::GET,
            &format!("/v1/admin/work-orders?technician_id={}", d.technician),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let desk: Vec<WorkOrder> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|j| serde_json::from_value(j["order"].clone()).unwrap())
        .collect();
    let held: Vec<String> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT id FROM work_orders ORDER BY id")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap();
    let mut desk_ids: Vec<String> = desk.iter().map(|o| o.id.to_string()).collect();
    desk_ids.sort();
    assert_eq!(
        held, desk_ids,
        "{who}: the device's jobs are not the desk's"
    );
    for order in &desk {
        let job = kit.job(order.id).unwrap();
        assert_eq!(&job.order, order, "{who}: job {} diverged", order.number);
        t.jobs += 1;
    }
    for o in &d.jobs.walked {
        assert_eq!(kit.job(o.id).unwrap().status, JobStatus::Completed);
    }
    assert_eq!(
        kit.job(d.jobs.cancelled.id).unwrap().status,
        JobStatus::Cancelled,
        "{who}"
    );
    let moved = desk.iter().find(|o| o.id == d.jobs.moved.id).unwrap();
    assert_ne!(moved.promised, d.jobs.moved.promised, "{who}: not moved");

    // ---- nothing left to do: one more sync (through the now quiet proxy) is empty.
    let report = kit.sync(&options(), &|_| {}).await;
    let report = report.unwrap_or_else(|e| panic!("{who}: last sync: {e}"));
    assert_eq!(
        (report.pushed, report.pulled, report.blobs_uploaded),
        (0, 0, 0),
        "{who}: {report:?}"
    );
}

/// An enrolment that reached the server twice (a retry overtaking a slow first attempt, or a
/// request duplicated on the way) must still leave the device a token that works. The server
/// lets the same device repeat an enrolment and keeps the token of the last one it stored; the
/// device may have been answered by the other. Here the enrolment reaches the server twice
/// and the device gets the first answer, whose token the second replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_enrolment_leaves_the_device_a_working_token() {
    let s = server(Backend::Sqlite, |_| {}).await.expect("server");
    let faults = Faults {
        duplicate: 1.0,
        stale_duplicate_answers: true,
        first_requests_only: Some(1),
        ..Faults::none()
    };
    let proxy = Proxy::start(s.server.addr(), faults, 7).await;
    let technician = s.create_technician("Technician D").await;
    s.publish_demo_catalog().await;
    let job = demo::repair_order(1, base_time(), Billing::Paid);
    s.create_job(&job, Some(&technician)).await;
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let code = s.enrolment_code(&technician).await;
    let account = kit.enroll(&proxy.url(), &code, &options()).await;
    let account = account.expect("enrolment through a duplicating network");
    assert_eq!(account.technician_id, technician);
    assert!(proxy.counts().duplicated >= 1);
    // The token the device kept is the one the server knows: sync works.
    let report = kit.sync(&options(), &|_| {}).await;
    let report = report.expect("the device's token is valid");
    // The job, and the fee schedule and part the desk published.
    assert_eq!(report.pulled, 3);
    assert!(kit.job(job.id).is_ok());
}
