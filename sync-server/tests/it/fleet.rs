//! The fleet test of issue 20's "Done means": three server *processes* (the
//! `fieldkit-server` binary) on one throwaway PostgreSQL and one blob directory, behind a
//! round-robin proxy on 127.0.0.1 ([`crate::common::fleet`]: per request, skipping a backend
//! that refuses the connection). Thirty devices — real cores on their own databases,
//! enrolled through the proxy — each sync a day of work (several paid repairs walked to
//! completion, a photo and the customer's signatures each, syncs at random steps of the walk),
//! while one instance at a time is killed with SIGKILL at seeded moments and restarted on its
//! port. A webhook receiver on 127.0.0.1 (allow-listed) answers 500 to a seeded tenth of the
//! deliveries.
//!
//! Afterwards:
//! * **0 ops lost, 0 applied twice**: every device's server-side ops are exactly its journal
//!   (seqs 1..=n, the same op ids, each applied), its `last_seq` is n, and its outbox is empty;
//! * **every blob intact**: each photo and signature file is in the blob directory, its bytes
//!   hashing to its name and equal to the device's;
//! * **every drawing check done once**: no check left waiting, each completed job one
//!   standing completion, counted, no flag raised twice for an op (none at all: the drawings
//!   are honest), one completions-feed entry per completion;
//! * **every webhook delivered**: each completion acknowledged (200) by the receiver at least
//!   once, every delivery's id its body's id, one id per completion, every signature valid,
//!   and the server's deliveries all `delivered`.
//!
//! The settling waits have deadlines (polling), never sleeps.
//!
//! Environment: `FIELDKIT_FLEET_SEED` (replays the kill schedule, the devices' sync points
//! and the receiver's failures; printed), `FIELDKIT_FLEET_DEVICES` (30),
//! `FIELDKIT_FLEET_JOBS` (jobs per device, 3), `FIELDKIT_FLEET_KILLS` (5),
//! `FIELDKIT_FLEET_LOG` (the servers' `RUST_LOG`, `warn`; their logs are kept with the data
//! when the test fails).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use fieldkit_core::model::{Billing, WorkOrder, WorkOrderId};
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use fieldkit_server::storage::webhooks::event_id;
use fieldkit_server::webhooks::{WebhookEvent, verify};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::common::fleet::{Fleet, RoundRobin};
use crate::common::{Pg, client};

const SEED_ENV: &str = "FIELDKIT_FLEET_SEED";
/// How long settling (drawing checks, webhooks) may take after the devices are done.
const SETTLE_DEADLINE: Duration = Duration::from_secs(60);
/// How long one device may keep retrying a sync that fails.
const SYNC_DEADLINE: Duration = Duration::from_secs(60);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{name}={s} is not a number"))
        })
        .unwrap_or(default)
}

/// The devices' sync settings: small pushes and chunks (a sync is many requests, so kills
/// land inside syncs and uploads), quick retries.
fn options() -> SyncOptions {
    SyncOptions {
        max_attempts: 12,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(400),
        request_timeout: Duration::from_secs(30),
        push_batch: 8,
        pull_limit: 50,
        chunk_bytes: 1024,
        ..SyncOptions::default()
    }
}

/// The flags every instance gets: no per-device bucket, enrolments unlimited, webhooks to
/// loopback allowed and retried quickly, small pools (three instances share PostgreSQL).
fn server_args() -> Vec<String> {
    [
        "--enroll-per-minute=100000",
        "--device-requests-per-minute=0",
        "--webhook-allow=127.0.0.1",
        "--webhook-timeout-ms=3000",
        "--webhook-backoff-ms=20",
        "--webhook-backoff-cap-ms=300",
        "--webhook-poll-ms=50",
        "--webhook-max-attempts=1000",
        "--pg-max-connections=6",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

// ------------------------------------------------------------------------- the desk

/// Dispatcher calls through the proxy.
struct Desk {
    http: reqwest::Client,
    base: String,
    admin: String,
}

impl Desk {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.admin);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("a desk request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("a desk answer");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn created(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.call(Method::POST, path, Some(body)).await;
        assert_eq!(s, 201, "POST {path}: {v}");
        v
    }

    async fn create_job(&self, order: &WorkOrder, technician_id: &str) {
        self.created(
            "/v1/admin/work-orders",
            json!({
                "id": order.id,
                "number": order.number,
                "kind": order.kind,
                "customer": order.customer,
                "site": order.site,
                "product": order.product,
                "reported_fault": order.reported_fault,
                "promised": order.promised,
                "billing": order.billing,
                "instructions": order.instructions,
                "reported_at": order.reported_at,
                "technician_id": technician_id,
                "sale": order.sale,
            }),
        )
        .await;
    }
}

// ------------------------------------------------------------------ the webhook receiver

/// One delivery the receiver got.
#[derive(Clone)]
struct Delivery {
    id: String,
    signature: String,
    body: Bytes,
    status: u16,
}

/// A webhook receiver on 127.0.0.1: answers 500 to a seeded tenth of the requests, 200 to
/// the rest, and logs them all.
struct Receiver {
    log: Mutex<Vec<Delivery>>,
    rng: Mutex<StdRng>,
    changed: Notify,
}

impl Receiver {
    async fn start(seed: u64) -> (Arc<Receiver>, String) {
        let r = Arc::new(Receiver {
            log: Mutex::default(),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            changed: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rr = r.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let rr = rr.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let rr = rr.clone();
                        async move {
                            let header = |k: &str| {
                                req.headers()
                                    .get(k)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned()
                            };
                            let (id, signature) =
                                (header("fieldkit-delivery"), header("fieldkit-signature"));
                            let body = req.into_body().collect().await?.to_bytes();
                            let status = if rr.rng.lock().unwrap().random_bool(0.1) {
                                500
                            } else {
                                200
                            };
                            rr.log.lock().unwrap().push(Delivery {
                                id,
                                signature,
                                body,
                                status,
                            });
                            rr.changed.notify_waiters();
                            let mut res = hyper::Response::new(Full::new(Bytes::new()));
                            *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, hyper::Error>(res)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        (r, format!("http://{addr}/hooks/fieldkit"))
    }

    /// Waits until every op of `ops` was acknowledged (200) at least once.
    async fn wait_acknowledged(&self, ops: &BTreeSet<String>) -> Vec<Delivery> {
        let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
        loop {
            let changed = self.changed.notified();
            let log = self.log.lock().unwrap().clone();
            let acked: BTreeSet<String> = log
                .iter()
                .filter(|d| d.status == 200)
                .filter_map(|d| serde_json::from_slice::<WebhookEvent>(&d.body).ok())
                .map(|e| e.data.op_id)
                .collect();
            if ops.is_subset(&acked) {
                return log;
            }
            if tokio::time::timeout_at(until, changed).await.is_err() {
                let missing: Vec<_> = ops.difference(&acked).take(5).collect();
                panic!(
                    "webhooks: {} of {} completions never acknowledged within {SETTLE_DEADLINE:?} \
                     (e.g. {missing:?}); {} requests received",
                    ops.len() - ops.intersection(&acked).count(),
                    ops.len(),
                    log.len()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------- devices

/// What one device did, read from its own database at the end.
struct DeviceRun {
    device_id: String,
    /// (seq, op id) of its whole journal.
    journal: Vec<(i64, String)>,
    /// Jobs it completed.
    done: Vec<WorkOrderId>,
    /// (sha256, bytes) of every file it holds.
    files: Vec<(String, Vec<u8>)>,
    syncs: usize,
    sync_errors: usize,
}

/// Syncs until one sync succeeds (a sync may fail when its retries meet a killed instance
/// too often); counts the failures.
fn sync_until_ok(
    kit: &FieldKit,
    rt: &tokio::runtime::Runtime,
    run: &mut DeviceRun,
) -> Result<(), String> {
    let t = Instant::now();
    loop {
        run.syncs += 1;
        match rt.block_on(kit.sync(&options(), &|_| {})) {
            Ok(r) if r.rejected == 0 && r.conflicts == 0 => return Ok(()),
            Ok(r) => return Err(format!("a sync had ops refused: {r:?}")),
            Err(e) => {
                run.sync_errors += 1;
                if t.elapsed() > SYNC_DEADLINE {
                    return Err(format!("syncs kept failing for {SYNC_DEADLINE:?}: {e}"));
                }
            }
        }
    }
}

/// One device's day: enrol through the proxy, pull its jobs, wait for the others
/// (`ready`), then walk each job to completion with a photo, syncing at random steps and after
/// each job; a last sync. `steps` counts walk steps across all devices (the kill schedule
/// follows it).
fn device_day(
    dir: &Path,
    base: &str,
    code: &str,
    seed: u64,
    ready: &Barrier,
    steps: &AtomicUsize,
) -> Result<DeviceRun, String> {
    let e = |what: &'static str| move |err: fieldkit_core::Error| format!("{what}: {err}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())?;
    // Enrolled and the jobs pulled; the barrier is passed whatever happened (no device
    // waits there for one that failed).
    let enrolled = (|| {
        let kit = FieldKit::open(dir, DeviceConfig::default()).map_err(e("open"))?;
        demo::stock_the_van(&kit).map_err(e("stock"))?;
        rt.block_on(kit.enroll(base, code, &options()))
            .map_err(e("enrol"))?;
        let mut run = DeviceRun {
            device_id: kit.device_id().to_string(),
            journal: Vec::new(),
            done: Vec::new(),
            files: Vec::new(),
            syncs: 0,
            sync_errors: 0,
        };
        sync_until_ok(&kit, &rt, &mut run)?;
        Ok::<_, String>((kit, run))
    })();
    ready.wait();
    let (kit, mut run) = enrolled?;
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let next: Option<String> = kit
            .store()
            .read(|c| {
                use rusqlite::OptionalExtension;
                Ok(c.query_row(
                    "SELECT id FROM work_orders WHERE status = 'assigned' ORDER BY number LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .map_err(e("next job"))?;
        let Some(id) = next.and_then(|s| s.parse::<WorkOrderId>().ok()) else {
            break;
        };
        kit.issue_stock("PUMP-220", 1).map_err(e("stock"))?;
        let mut failed: Option<String> = None;
        demo::walk_repair_visit(&kit, id, &mut |step| {
            if step == "arrive" {
                kit.add_photo(id, None, &demo::fake_photo(&format!("fleet {seed} {id}")))?;
            }
            steps.fetch_add(1, Ordering::Relaxed);
            if failed.is_none()
                && rng.random_bool(0.2)
                && let Err(err) = sync_until_ok(&kit, &rt, &mut run)
            {
                failed = Some(err);
            }
            Ok(())
        })
        .map_err(e("walk"))?;
        if let Some(err) = failed {
            return Err(err);
        }
        run.done.push(id);
        sync_until_ok(&kit, &rt, &mut run)?;
    }
    sync_until_ok(&kit, &rt, &mut run)?;
    if kit.store().pending_count().map_err(e("outbox"))? != 0 {
        return Err("the outbox is not empty after the last sync".into());
    }
    let left = kit.blobs_to_upload().map_err(e("blobs"))?;
    if !left.is_empty() {
        return Err(format!("{} files not uploaded", left.len()));
    }
    run.journal = kit
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT seq, op_id FROM journal ORDER BY seq")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .map_err(e("journal"))?;
    let shas: Vec<String> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT sha256 FROM attachments UNION SELECT thumbnail_sha256 FROM attachments
                  WHERE thumbnail_sha256 IS NOT NULL",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .map_err(e("files"))?;
    for sha in shas {
        let bytes = kit
            .store()
            .blobs()
            .get(&sha)
            .map_err(|err| format!("file {sha}: {err}"))?;
        run.files.push((sha, bytes));
    }
    for id in &run.done {
        let status = kit.job(*id).map_err(e("job"))?.status;
        if status != JobStatus::Completed {
            return Err(format!(
                "job {id} is {status:?} on the device after its walk"
            ));
        }
    }
    Ok(run)
}

// ---------------------------------------------------------------------------- kills

/// One kill as it happened.
#[derive(Debug)]
struct Kill {
    instance: usize,
    at_step: usize,
    down: Duration,
    restart: Duration,
}

/// Kills one instance at a time at the planned walk-step counts (plus a short random delay),
/// keeps it down a random while, restarts it; stops early if the devices finish first.
fn killer(
    fleet: &mut Fleet,
    plan: Vec<(usize, u64, usize, u64)>,
    steps: &AtomicUsize,
    finished: &AtomicBool,
) -> Vec<Kill> {
    let mut kills = Vec::new();
    for (threshold, delay_ms, instance, down_ms) in plan {
        while steps.load(Ordering::Relaxed) < threshold {
            if finished.load(Ordering::Relaxed) {
                return kills;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let at_step = steps.load(Ordering::Relaxed);
        fleet.kill(instance);
        std::thread::sleep(Duration::from_millis(down_ms));
        let t = Instant::now();
        fleet.restart(instance);
        kills.push(Kill {
            instance,
            at_step,
            down: Duration::from_millis(down_ms),
            restart: t.elapsed(),
        });
    }
    kills
}

// ------------------------------------------------------------------------------ test

#[test]
fn fleet_of_three_survives_sigkills() {
    let seed: u64 = std::env::var(SEED_ENV)
        .ok()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{SEED_ENV}={s} is not a u64"))
        })
        .unwrap_or_else(|| rand::rng().random());
    let devices = env_usize("FIELDKIT_FLEET_DEVICES", 30).max(1);
    let jobs = env_usize("FIELDKIT_FLEET_JOBS", 3).max(1);
    let kills_planned = env_usize("FIELDKIT_FLEET_KILLS", 5);
    println!(
        "fleet: 3 instances, {devices} devices × {jobs} jobs, {kills_planned} kills, seed {seed} \
         (replay with {SEED_ENV}={seed})"
    );
    let started = Instant::now();
    let Some(pg) = Pg::start() else {
        return;
    };
    let tmp = tempfile::Builder::new()
        .prefix("fieldkit-fleet-")
        .tempdir()
        .expect("temp dir")
        .keep();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut fleet = Fleet::start(
        Path::new(env!("CARGO_BIN_EXE_fieldkit-server")),
        3,
        &pg.url,
        &tmp.join("servers"),
        &server_args(),
    );
    let proxy = rt.block_on(RoundRobin::start(fleet.addrs()));
    let mut rng = StdRng::seed_from_u64(seed);
    let (receiver, hook_url) = rt.block_on(Receiver::start(rng.random()));
    let desk = Desk {
        http: client(),
        base: proxy.url(),
        admin: fleet.admin.clone(),
    };
    let fail = |problem: String| -> ! {
        panic!(
            "fleet failed: {problem}\nseed {seed} (replay with {SEED_ENV}={seed}); data and the \
             servers' logs kept in {}",
            tmp.display()
        )
    };

    // The desk: catalogue, a webhook, and per device a technician, its jobs and a code.
    let (subscription, secret, codes) = rt.block_on(async {
        desk.created(
            "/v1/admin/fee-schedules",
            json!({ "fee_schedule": demo::fee_schedule() }),
        )
        .await;
        desk.created("/v1/admin/parts", json!({ "part": demo::van_part() }))
            .await;
        let hook = desk
            .created("/v1/admin/webhooks", json!({ "url": hook_url }))
            .await;
        let mut codes = Vec::new();
        for d in 0..devices {
            let tech = desk
                .created(
                    "/v1/admin/technicians",
                    json!({ "name": format!("Fleet technician {d}") }),
                )
                .await["id"]
                .as_str()
                .expect("technician id")
                .to_owned();
            for j in 0..jobs {
                let order = demo::repair_order((d * 100 + j) as u32, Utc::now(), Billing::Paid);
                desk.create_job(&order, &tech).await;
            }
            let code = desk
                .created(
                    "/v1/admin/enrolment-codes",
                    json!({ "technician_id": tech }),
                )
                .await["code"]
                .as_str()
                .expect("a code")
                .to_owned();
            codes.push(code);
        }
        (
            hook["id"].as_str().expect("webhook id").to_owned(),
            hook["secret"].as_str().expect("webhook secret").to_owned(),
            codes,
        )
    });

    // The kill plan: at walk-step counts spread over 5–90 % of the day's steps.
    let total_steps = devices * jobs * demo_steps();
    let mut plan: Vec<(usize, u64, usize, u64)> = (0..kills_planned)
        .map(|_| {
            (
                rng.random_range(total_steps * 5 / 100..=total_steps * 90 / 100),
                rng.random_range(0..150),
                rng.random_range(0..3),
                rng.random_range(20..400),
            )
        })
        .collect();
    plan.sort();
    println!("fleet: kill plan (walk step, delay ms, instance, down ms): {plan:?}");

    let steps = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(devices));
    let handles: Vec<_> = codes
        .into_iter()
        .enumerate()
        .map(|(d, code)| {
            let dir: PathBuf = tmp.join(format!("device-{d}"));
            let base = proxy.url();
            let device_seed: u64 = rng.random();
            let (ready, steps) = (ready.clone(), steps.clone());
            std::thread::spawn(move || device_day(&dir, &base, &code, device_seed, &ready, &steps))
        })
        .collect();
    let kill_thread = {
        let (steps, finished) = (steps.clone(), finished.clone());
        std::thread::spawn(move || {
            let kills = killer(&mut fleet, plan, &steps, &finished);
            (fleet, kills)
        })
    };
    let mut runs = Vec::new();
    let mut errors = Vec::new();
    for (d, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Ok(run)) => runs.push(run),
            Ok(Err(e)) => errors.push(format!("device {d}: {e}")),
            Err(_) => errors.push(format!("device {d} panicked")),
        }
    }
    finished.store(true, Ordering::Relaxed);
    let (fleet, kills) = kill_thread.join().expect("the killer");
    let devices_done = started.elapsed();
    if !errors.is_empty() {
        fail(format!("devices failed: {errors:?}"));
    }
    if kills.len() < kills_planned {
        fail(format!(
            "only {} of {kills_planned} kills happened before the devices finished: {kills:?}",
            kills.len()
        ));
    }
    for k in &kills {
        println!(
            "fleet: SIGKILL instance {} at walk step {}/{total_steps}, down {:?}, ready again \
             {:.0?} after the restart",
            k.instance, k.at_step, k.down, k.restart
        );
    }

    // Settled: every drawing check done, every completion delivered.
    let done: BTreeSet<String> = runs
        .iter()
        .flat_map(|r| r.done.iter().map(|id| id.to_string()))
        .collect();
    let completions = rt.block_on(settled(&desk, done.len()));
    let completion_ops: BTreeSet<String> = completions
        .iter()
        .map(|c| c["op_id"].as_str().expect("op id").to_owned())
        .collect();
    let log = rt.block_on(receiver.wait_acknowledged(&completion_ops));
    rt.block_on(all_marked_delivered(
        &desk,
        &subscription,
        completion_ops.len(),
    ));
    let settled_at = started.elapsed();

    let db = rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL");
        tokio::spawn(conn);
        c
    });
    let check = rt.block_on(check_all(
        &db,
        &runs,
        &completions,
        &done,
        &fleet.blob_dir,
        &log,
        &subscription,
        &secret,
    ));
    let totals = match check {
        Ok(t) => t,
        Err(e) => fail(e),
    };
    let c = &proxy.counts;
    let forwarded: Vec<u64> = c
        .forwarded
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .collect();
    println!(
        "fleet: {} devices, {} ops on the server exactly once (0 lost, 0 twice), {} files \
         intact, {} completions each checked once and counted, {} webhook requests ({} \
         answered 500 by the receiver, {} duplicate 200s), one event id per completion",
        runs.len(),
        totals.ops,
        totals.files,
        completions.len(),
        log.len(),
        log.iter().filter(|d| d.status != 200).count(),
        totals.duplicate_acks,
    );
    println!(
        "fleet: proxy: {} requests, per instance {forwarded:?}, {} connections refused \
         (skipped), {} cut by a kill (502), {} with no instance up (503); devices: {} syncs, \
         {} failed and retried",
        c.requests.load(Ordering::Relaxed),
        c.skipped.load(Ordering::Relaxed),
        c.broken.load(Ordering::Relaxed),
        c.unavailable.load(Ordering::Relaxed),
        runs.iter().map(|r| r.syncs).sum::<usize>(),
        runs.iter().map(|r| r.sync_errors).sum::<usize>(),
    );
    println!(
        "fleet: {} kills; devices done in {devices_done:.1?}, settled at {settled_at:.1?}, \
         checked at {:.1?}; instance starts {:?}; seed {seed}",
        kills.len(),
        started.elapsed(),
        (0..fleet.len())
            .map(|i| fleet.starts(i))
            .collect::<Vec<_>>(),
    );
    drop(fleet);
    drop(proxy);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The number of steps [`demo::walk_repair_visit`] reports for one visit.
fn demo_steps() -> usize {
    crate::common::journal::REPAIR_STEPS.len()
}

/// The completions once no drawing check is pending and all `expected` are listed.
async fn settled(desk: &Desk, expected: usize) -> Vec<Value> {
    let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
    loop {
        let (s, list) = desk
            .call(Method::GET, "/v1/admin/completions?limit=1000", None)
            .await;
        assert_eq!(s, 200, "{list}");
        let list = list.as_array().expect("a list").clone();
        if list.len() >= expected && list.iter().all(|c| c["checks_pending"] == false) {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "drawing checks still pending after {SETTLE_DEADLINE:?}: {} of {} listed, {} pending",
            list.len(),
            expected,
            list.iter().filter(|c| c["checks_pending"] != false).count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the server lists the subscription with `n` deliveries delivered and none
/// pending or failed (the receiver's 200 reaches the server's books a moment after).
async fn all_marked_delivered(desk: &Desk, id: &str, n: usize) {
    let until = tokio::time::Instant::now() + SETTLE_DEADLINE;
    loop {
        let (s, v) = desk.call(Method::GET, "/v1/admin/webhooks", None).await;
        assert_eq!(s, 200, "{v}");
        let w = v
            .as_array()
            .and_then(|l| l.iter().find(|w| w["id"] == id).cloned())
            .unwrap_or(Value::Null);
        if w["delivered"] == n && w["pending"] == 0 && w["failed"] == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "webhook deliveries not all marked delivered after {SETTLE_DEADLINE:?}: {w}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the checks counted.
struct Totals {
    ops: usize,
    files: usize,
    duplicate_acks: usize,
}

/// The checks of the module's doc, against the server's database, blob directory and the
/// receiver's log.
#[allow(clippy::too_many_arguments)]
async fn check_all(
    db: &tokio_postgres::Client,
    runs: &[DeviceRun],
    completions: &[Value],
    done: &BTreeSet<String>,
    blob_dir: &Path,
    log: &[Delivery],
    subscription: &str,
    secret: &str,
) -> Result<Totals, String> {
    let q = |e: tokio_postgres::Error| format!("query: {e}");
    // Ops: each device's are exactly its journal, applied, once.
    let mut ops = 0;
    for run in runs {
        let rows = db
            .query(
                "SELECT seq, op_id, outcome FROM ops WHERE device_id = $1 ORDER BY seq",
                &[&run.device_id],
            )
            .await
            .map_err(q)?;
        let stored: Vec<(i64, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if stored != run.journal {
            let lost = run.journal.iter().filter(|o| !stored.contains(o)).count();
            let extra = stored.iter().filter(|o| !run.journal.contains(o)).count();
            return Err(format!(
                "device {}: the server holds {} ops, the journal {} ({lost} lost, {extra} \
                 not the device's)",
                run.device_id,
                stored.len(),
                run.journal.len()
            ));
        }
        if let Some(r) = rows.iter().find(|r| r.get::<_, String>(2) != "applied") {
            return Err(format!(
                "device {}: op {} is {}",
                run.device_id,
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            ));
        }
        let last: i64 = db
            .query_one(
                "SELECT last_seq FROM devices WHERE id = $1",
                &[&run.device_id],
            )
            .await
            .map_err(q)?
            .get(0);
        if last != stored.len() as i64 {
            return Err(format!(
                "device {}: last_seq {last} with {} ops",
                run.device_id,
                stored.len()
            ));
        }
        ops += stored.len();
    }
    let all: i64 = db
        .query_one("SELECT count(*) FROM ops", &[])
        .await
        .map_err(q)?
        .get(0);
    if all as usize != ops {
        return Err(format!("the server holds {all} ops, the journals {ops}"));
    }

    // Blobs: every file whole under its hash.
    let mut files = 0;
    for run in runs {
        for (sha, local) in &run.files {
            let remote = std::fs::read(blob_dir.join("blobs").join(sha))
                .map_err(|e| format!("file {sha} is not in the blob store: {e}"))?;
            if hex::encode(Sha256::digest(&remote)) != *sha || remote != *local {
                return Err(format!("file {sha} is corrupt in the blob store"));
            }
            files += 1;
        }
    }

    // Drawing checks: none waiting, one standing counted completion per done job, no flag
    // twice (none at all), one feed entry per completion.
    let waiting: i64 = db
        .query_one("SELECT count(*) FROM drawing_checks", &[])
        .await
        .map_err(q)?
        .get(0);
    if waiting != 0 {
        return Err(format!("{waiting} drawing checks still waiting"));
    }
    let listed: BTreeSet<String> = completions
        .iter()
        .filter_map(|c| c["work_order_id"].as_str().map(str::to_owned))
        .collect();
    if listed != *done || completions.len() != done.len() {
        return Err(format!(
            "{} completions listed for {} jobs completed on the devices",
            completions.len(),
            done.len()
        ));
    }
    if let Some(c) = completions
        .iter()
        .find(|c| c["state"] != "counted" || c["flags"] != json!([]))
    {
        return Err(format!("a completion not counted cleanly: {c}"));
    }
    let rows = db
        .query(
            "SELECT work_order_id, state, counted_at IS NOT NULL FROM completions",
            &[],
        )
        .await
        .map_err(q)?;
    let mut per_job: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        *per_job.entry(r.get(0)).or_default() += 1;
        if r.get::<_, String>(1) != "counted" || !r.get::<_, bool>(2) {
            return Err(format!(
                "completion of job {} is not counted",
                r.get::<_, String>(0)
            ));
        }
    }
    if let Some((job, n)) = per_job.iter().find(|(_, n)| **n != 1) {
        return Err(format!("job {job} has {n} completions"));
    }
    let twice = db
        .query(
            "SELECT op_id, kind, detail, count(*) FROM flags WHERE op_id IS NOT NULL
              GROUP BY op_id, kind, detail HAVING count(*) > 1",
            &[],
        )
        .await
        .map_err(q)?;
    if let Some(r) = twice.first() {
        return Err(format!(
            "flag {} raised {} times for op {} (a drawing check done twice)",
            r.get::<_, String>(1),
            r.get::<_, i64>(3),
            r.get::<_, String>(0)
        ));
    }
    let flags: i64 = db
        .query_one("SELECT count(*) FROM flags WHERE kind = 'signature'", &[])
        .await
        .map_err(q)?
        .get(0);
    if flags != 0 {
        return Err(format!("{flags} signature flags on honest drawings"));
    }
    let feed: i64 = db
        .query_one("SELECT count(*) FROM completion_feed", &[])
        .await
        .map_err(q)?
        .get(0);
    if feed as usize != completions.len() {
        return Err(format!(
            "{feed} completions-feed entries for {} completions",
            completions.len()
        ));
    }

    // Webhooks: signed, header id = body id = the stable id, one id per completion, every
    // completion acknowledged, the server's deliveries all delivered.
    let now = Utc::now().timestamp();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut acks: BTreeMap<String, usize> = BTreeMap::new();
    for d in log {
        verify_signature(secret, d, now)?;
        let e: WebhookEvent =
            serde_json::from_slice(&d.body).map_err(|e| format!("a webhook body: {e}"))?;
        if e.id != d.id || e.id != event_id(subscription, &e.data.op_id) {
            return Err(format!(
                "delivery id {} / body id {} for op {}",
                d.id, e.id, e.data.op_id
            ));
        }
        ids.entry(e.data.op_id.clone()).or_default().insert(e.id);
        if d.status == 200 {
            *acks.entry(e.data.op_id).or_default() += 1;
        }
    }
    let ops_delivered: BTreeSet<String> = ids.keys().cloned().collect();
    let completion_ops: BTreeSet<String> = completions
        .iter()
        .filter_map(|c| c["op_id"].as_str().map(str::to_owned))
        .collect();
    if ops_delivered != completion_ops {
        return Err(format!(
            "webhooks for {} ops, {} completions",
            ops_delivered.len(),
            completion_ops.len()
        ));
    }
    if let Some((op, set)) = ids.iter().find(|(_, s)| s.len() != 1) {
        return Err(format!(
            "op {op} was delivered under {} event ids",
            set.len()
        ));
    }
    let delivered: i64 = db
        .query_one(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'",
            &[],
        )
        .await
        .map_err(q)?
        .get(0);
    if delivered as usize != completion_ops.len() {
        return Err(format!(
            "{delivered} webhook deliveries marked delivered for {} completions",
            completion_ops.len()
        ));
    }
    Ok(Totals {
        ops,
        files,
        duplicate_acks: acks.values().map(|n| n - 1).sum(),
    })
}

fn verify_signature(secret: &str, d: &Delivery, now: i64) -> Result<(), String> {
    verify(secret, &d.signature, &d.body, now, 600)
        .map_err(|e| format!("delivery {}: signature {e:?}", d.id))
}
