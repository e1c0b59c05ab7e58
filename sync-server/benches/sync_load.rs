//! 200 devices pushing to one server on this machine, SQLite vs PostgreSQL: applied ops/s and
//! push latency (target: p99 < 500 ms).
//!
//! The devices' journals are real: before the clock starts, each simulated device is a real
//! core (its own database) that walks one visit of its own job offline (kinds and billing
//! varied; photos, signatures and the completion included). Its outbox is then replayed by a
//! light HTTP client per device (its own connection, gzip bodies like the sync client, the
//! device-time header), in batches of `BENCH_BATCH` ops; the server really applies every op
//! (checklist gate, hash chain and signature checks on each completion) and commits
//! durably before answering. Every device has its own technician and job on the server.
//!
//! Three load shapes per backend, each on a fresh server:
//! - **burst**: every device pushes its whole journal at the same moment, batch after batch
//!   (everyone's evening sync at once; throughput at saturation);
//! - **steady**: every device pushes one batch every `BENCH_INTERVAL_MS` (random phase), the
//!   fleet online during the day;
//! - **heavy**: one device pushes a huge backlog as fast as it can — `BENCH_HEAVY_JOBS` (500)
//!   visits walked by one real core, ~20 pushes of 500 ops with 500 completions — while
//!   `BENCH_HEAVY_OTHERS` (50) devices push steadily; the others' p99 is what counts (one
//!   device's backlog must not stall the fleet).
//!
//! `cargo bench -p fieldkit-server --bench sync_load`
//!
//! Environment: `BENCH_DEVICES` (200), `BENCH_BATCH` (10), `BENCH_INTERVAL_MS` (2000),
//! `BENCH_BACKENDS` (`sqlite,postgres`), `BENCH_SHAPES` (`burst,steady,heavy`),
//! `BENCH_HEAVY_JOBS` (500), `BENCH_HEAVY_OTHERS` (50), `BENCH_PG_POOL` (the server's
//! PostgreSQL pool, 16), `FIELDKIT_BENCH_DIR`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::load::{
    Journal, Outcome, Ready, Res, bodies, make_journals, push_body, run_load, walk,
};
use common::testing::{Backend, TestServer, server};
use common::*;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::{Op, OpOutcome, PUSH_SIGNATURE};
use fieldkit_core::{DeviceConfig, FieldKit};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let devices = env_count("BENCH_DEVICES", 200).max(1);
    let batch = env_count("BENCH_BATCH", 10).clamp(1, 500);
    let interval = Duration::from_millis(env_count("BENCH_INTERVAL_MS", 2000) as u64);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let shapes = std::env::var("BENCH_SHAPES").unwrap_or_else(|_| "burst,steady,heavy".to_owned());
    // The server's PostgreSQL pool size (its default, 16, when unset).
    let pg_pool: Option<usize> = std::env::var("BENCH_PG_POOL")
        .ok()
        .and_then(|v| v.parse().ok());
    let heavy_jobs = env_count("BENCH_HEAVY_JOBS", 500).max(1);
    let heavy_others = env_count("BENCH_HEAVY_OTHERS", 50).clamp(1, devices);
    let dir = bench_dir();
    let mut load = Load::default();
    load.note();
    println!("# sync_load: {devices} devices pushing to one server, SQLite vs PostgreSQL");

    let t = Instant::now();
    let journals = Arc::new(make_journals(devices, dir.path()).await?);
    let ops: usize = journals.iter().map(|j| j.ops.len()).sum();
    println!(
        "\n{devices} device journals made by real cores walking one visit each: {ops} ops ({:.1} per device) in {:.1} s (not timed below).",
        ops as f64 / devices as f64,
        t.elapsed().as_secs_f64()
    );
    println!(
        "Batches of {batch} ops; steady shape: one batch per device every {} ms.",
        interval.as_millis()
    );
    load.note();

    let heavy = if shapes.contains("heavy") {
        let t = Instant::now();
        let h = Arc::new(make_heavy(heavy_jobs, dir.path()).await?);
        println!(
            "\nThe heavy device: {} visits (warranty repairs and follow-ups) walked by one real \
             core, {} ops with {} completions, in {:.1} s (not timed below).",
            h.orders.len(),
            h.ops.len(),
            h.ops.iter().filter(|o| o.kind == "complete").count(),
            t.elapsed().as_secs_f64()
        );
        Some(h)
    } else {
        None
    };

    let mut outcomes = Vec::new();
    let mut signature_cost: Option<Samples> = None;
    for backend in backends.split(',').map(str::trim) {
        let backend = match backend {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => return Err(format!("unknown backend {other}").into()),
        };
        for shape in shapes.split(',').map(str::trim) {
            let pace = match shape {
                "burst" => None,
                "steady" | "heavy" => Some(interval),
                other => return Err(format!("unknown shape {other}").into()),
            };
            let data = dir.path().join(format!("{backend:?}-{shape}"));
            let Some(s) = server(backend, |c| {
                c.data_dir = data.clone();
                c.enroll_per_minute = 100_000;
                if let Some(n) = pg_pool {
                    c.pg_max_connections = n;
                }
            })
            .await
            else {
                println!("\n(PostgreSQL skipped: FIELDKIT_SKIP_PG=1)");
                break;
            };
            if let ("heavy", Some(h)) = (shape, &heavy) {
                let fleet = &journals[..heavy_others];
                let ready = setup(&s, fleet, batch).await?;
                let heavy_ready = setup_heavy(&s, h).await?;
                load.note();
                let label = format!("{backend:?}, {heavy_others} steady + 1 heavy");
                let (o, h_lat, h_applied) =
                    run_heavy(&s, ready, heavy_ready, interval, label).await?;
                load.note();
                let fleet_ops: usize = fleet.iter().map(|j| j.ops.len()).sum();
                assert_eq!(o.applied, fleet_ops, "{}: every op applied once", o.label);
                assert_eq!(
                    h_applied,
                    h.ops.len(),
                    "the heavy device's ops applied once"
                );
                println!(
                    "\n{}: the heavy device's 500-op pushes took p50 {} / max {}.",
                    o.label,
                    fmt_ns(h_lat.summary().p50),
                    fmt_ns(h_lat.summary().max)
                );
                outcomes.push(o);
                let _ = s.server.shutdown().await;
                continue;
            }
            let ready = setup(&s, &journals, batch).await?;
            if signature_cost.is_none() {
                signature_cost = Some(verify_cost(&s, &ready).await?);
            }
            load.note();
            let o = run_load(ready, pace, format!("{backend:?}, {shape}")).await?;
            load.note();
            assert_eq!(o.applied, ops, "{}: every op applied once", o.label);
            outcomes.push(o);
            let _ = s.server.shutdown().await;
        }
    }
    println!("\n### Push latency and throughput\n");
    println!(
        "| backend, shape | pushes | ops applied | wall | applied ops/s | p50 | p99 | max | load avg (1 min) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for o in &outcomes {
        let s = o.latency.summary();
        println!(
            "| {} | {} | {} | {:.2} s | **{:.0}** | {} | **{}** | {} | {} |",
            o.label,
            o.pushes,
            o.applied,
            o.wall.as_secs_f64(),
            o.applied as f64 / o.wall.as_secs_f64(),
            fmt_ns(s.p50),
            fmt_ns(s.p99),
            fmt_ns(s.max),
            o.load
        );
        if o.other > 0 {
            println!(
                "|  (outcomes other than applied: {}) | | | | | | | | |",
                o.other
            );
        }
    }
    println!("\nTarget: p99 < 500 ms.");
    for o in &outcomes {
        let p99 = o.latency.summary().p99;
        println!(
            "- {}: p99 {} — {}",
            o.label,
            fmt_ns(p99),
            if p99 < 500_000_000 { "met" } else { "NOT met" }
        );
    }
    if let Some(cost) = &signature_cost {
        let c = cost.summary();
        println!("\n### The device signature's share of a push\n");
        println!(
            "Each push is verified (Ed25519 over its JSON body, the device's key from the \
             token's device row) before it is judged. The check alone, over every body of the \
             fleet ({} checks, in the server's own function), against the pushes above: \
             ratio = push latency / (push latency − the check), i.e. with the check vs \
             without it. Target ≤ 1.1×.\n",
            cost.len()
        );
        println!("| | p50 | p99 | mean |");
        println!("|---|---:|---:|---:|");
        println!(
            "| signature check (per push) | {} | {} | {} |",
            fmt_ns(c.p50),
            fmt_ns(c.p99),
            fmt_ns(c.mean)
        );
        println!("\n| backend, shape | push p50 | ratio at p50 | push p99 | ratio at p99 |");
        println!("|---|---:|---:|---:|---:|");
        for o in &outcomes {
            let s = o.latency.summary();
            let ratio =
                |push: u64, check: u64| push as f64 / push.saturating_sub(check).max(1) as f64;
            println!(
                "| {} | {} | **{:.3}×** | {} | **{:.3}×** |",
                o.label,
                fmt_ns(s.p50),
                ratio(s.p50, c.p50),
                fmt_ns(s.p99),
                ratio(s.p99, c.p99)
            );
        }
    }
    print_machine(dir.path(), &load);
    Ok(())
}

/// The server's signature check over every body the fleet will push (timed one by one).
async fn verify_cost(s: &TestServer, ready: &[Ready]) -> Res<Samples> {
    let mut out = Samples::new("signature check");
    let storage = s.server.storage();
    for dev in ready {
        let device = storage
            .device_by_token(fieldkit_server::auth::hash_secret(&dev.token))
            .await?
            .ok_or("the device is enrolled")?;
        for body in &dev.bodies {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(PUSH_SIGNATURE, body.signature.parse()?);
            let t = Instant::now();
            fieldkit_server::device_keys::check_push(&device, &headers, &body.json)
                .map_err(|e| format!("{e:?}"))?;
            out.push(t.elapsed());
        }
    }
    Ok(out)
}

/// One device with a backlog: many jobs walked offline, one journal.
struct Heavy {
    device: DeviceId,
    orders: Vec<WorkOrder>,
    ops: Vec<Op>,
}

/// One real core walks `jobs` visits (warranty repairs and follow-ups), and hands over its
/// outbox.
async fn make_heavy(jobs: usize, root: &std::path::Path) -> Res<Heavy> {
    let dir = root.join("heavy-phone");
    tokio::task::spawn_blocking(move || -> Res<Heavy> {
        let morning = Utc::now() - chrono::Duration::hours(10);
        let clock = Arc::new(ManualClock::new(morning));
        let kit = FieldKit::open_with_clock(&dir, DeviceConfig::default(), clock.clone())?;
        demo::stock_the_van(&kit)?;
        let mut orders = Vec::with_capacity(jobs);
        for n in 0..jobs {
            // Three in four a warranty repair (22 ops), the rest follow-ups (14): 500
            // completions come with about 10,000 ops (20 pushes of 500).
            let kind = if n % 4 < 3 {
                JobKind::Repair
            } else {
                JobKind::FollowUp
            };
            let order = walk::order(
                100_000 + n as u32,
                kind,
                Billing::Warranty,
                morning + chrono::Duration::hours(1),
            );
            kit.receive_work_order(&order)?;
            walk::walk_visit(&kit, order.id, &mut || {
                clock.advance(chrono::Duration::seconds(20))
            })?;
            orders.push(order);
        }
        Ok(Heavy {
            device: kit.device_id(),
            orders,
            ops: kit.pending_ops(i64::MAX)?,
        })
    })
    .await?
}

/// The heavy device's technician, jobs and enrolment, and its bodies of 500 ops.
async fn setup_heavy(s: &TestServer, h: &Heavy) -> Res<Ready> {
    let tech = s.create_technician("Heavy technician").await;
    for o in &h.orders {
        s.create_job(o, Some(&tech)).await;
    }
    let token = s.enrol(&tech, h.device).await.token;
    let bodies = bodies(
        &h.ops,
        fieldkit_core::sync::protocol::MAX_PUSH_OPS,
        &|json| s.push_signature(&token, json),
    )?;
    Ok(Ready {
        url: s.url("/v1/push"),
        token,
        bodies,
    })
}

/// The desk's side for every device (technician, job, enrolment), and the bodies to push.
async fn setup(s: &TestServer, journals: &[Journal], batch: usize) -> Res<Vec<Ready>> {
    s.publish_demo_catalog().await;
    let mut ready = Vec::new();
    for (i, j) in journals.iter().enumerate() {
        let tech = s.create_technician(&format!("Load technician {i}")).await;
        s.create_job(&j.order, Some(&tech)).await;
        let token = s.enrol(&tech, j.device).await.token;
        let bodies = bodies(&j.ops, batch, &|json| s.push_signature(&token, json))?;
        ready.push(Ready {
            url: s.url("/v1/push"),
            token,
            bodies,
        });
    }
    Ok(ready)
}

/// The steady fleet and the heavy device at once: the fleet's latencies (the outcome), the
/// heavy device's, and how many of its ops were applied.
async fn run_heavy(
    s: &TestServer,
    fleet: Vec<Ready>,
    heavy: Ready,
    interval: Duration,
    label: String,
) -> Res<(Outcome, Samples, usize)> {
    let url = s.url("/v1/push");
    let client = common::testing::client();
    let heavy_task = tokio::spawn(async move {
        let mut lat = Samples::new("heavy");
        let mut applied = 0usize;
        for body in heavy.bodies {
            let n = body.ops;
            let (took, r) = push_body(&client, &url, &heavy.token, body).await?;
            lat.push(took);
            assert_eq!(r.results.len(), n);
            applied += r
                .results
                .iter()
                .filter(|x| x.outcome == OpOutcome::Applied)
                .count();
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((lat, applied))
    });
    let o = run_load(fleet, Some(interval), label).await?;
    let (lat, applied) = heavy_task.await??;
    Ok((o, lat, applied))
}
