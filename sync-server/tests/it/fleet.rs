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
//! * **every drawing check done once**: no check left waiting, each finished by one
//!   statement (a trigger the test adds counts the statements finishing a check: an instance
//!   that took a check another also took finishes it again, deleting nothing), each completed
//!   job one standing completion, counted, no flag raised twice for an op (none at all: the
//!   drawings are honest), one completions-feed entry per completion;
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

mod checks;
mod desk;
mod devices;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::Utc;
use fieldkit_core::demo;
use fieldkit_core::model::Billing;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::common::fleet::{Fleet, RoundRobin, count_drawing_finishes};
use crate::common::{Pg, client};
use checks::check_all;
use desk::{Desk, Receiver, all_marked_delivered, settled};
use devices::device_day;

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

/// The flags every instance gets: no per-device bucket, enrolments unlimited, webhooks to
/// loopback allowed and retried quickly, small pools (three instances share PostgreSQL), a
/// killed instance's drawing checks taken over after 10 s (not a minute) and looked for every
/// half second.
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
        "--drawing-lease-ms=10000",
        "--drawing-rescan-ms=500",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

// ---------------------------------------------------------------------------- kills

/// One kill as it happened.
#[derive(Debug)]
struct Kill {
    instance: usize,
    at_step: usize,
    /// The devices were still working.
    during_walks: bool,
    down: Duration,
    restart: Duration,
}

/// Kills one instance at a time at the planned walk-step counts (plus a short random delay),
/// keeps it down a random while, restarts it.
fn killer(
    fleet: &mut Fleet,
    plan: Vec<(usize, u64, usize, u64)>,
    steps: &AtomicUsize,
    finished: &AtomicBool,
) -> Vec<Kill> {
    let mut kills = Vec::new();
    for (threshold, delay_ms, instance, down_ms) in plan {
        // Once the devices are done the rest of the plan runs at once (while the checks and
        // deliveries settle); it is not expected with the plan's margin.
        while steps.load(Ordering::Relaxed) < threshold && !finished.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let during_walks = !finished.load(Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let at_step = steps.load(Ordering::Relaxed);
        fleet.kill(instance);
        std::thread::sleep(Duration::from_millis(down_ms));
        let t = Instant::now();
        fleet.restart(instance);
        kills.push(Kill {
            instance,
            at_step,
            during_walks,
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
    rt.block_on(count_drawing_finishes(&pg.url))
        .expect("the finish counter");
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

    // The kill plan: at walk-step counts spread over 5–75 % of the day's steps (the margin
    // leaves time for each kill and restart while the devices still work).
    let total_steps = devices * jobs * demo_steps();
    let mut plan: Vec<(usize, u64, usize, u64)> = (0..kills_planned)
        .map(|_| {
            (
                rng.random_range(total_steps * 5 / 100..=total_steps * 75 / 100),
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
    for k in &kills {
        println!(
            "fleet: SIGKILL instance {} at walk step {}/{total_steps}{}, down {:?}, ready again \
             {:.0?} after the restart",
            k.instance,
            k.at_step,
            if k.during_walks {
                ""
            } else {
                " (devices done)"
            },
            k.down,
            k.restart
        );
    }
    assert_eq!(kills.len(), kills_planned);

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
        "fleet: {} kills ({} while the devices worked); devices done in {devices_done:.1?}, settled at {settled_at:.1?}, \
         checked at {:.1?}; instance starts {:?}; seed {seed}",
        kills.len(),
        kills.iter().filter(|k| k.during_walks).count(),
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
