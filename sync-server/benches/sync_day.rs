//! One technician's day on the wire: bytes (requests and responses as sent: request/status
//! lines, headers, gzip bodies) and wall time of each step — enrol, the morning sync (pull
//! the day's 8 jobs), 8 visits walked offline, the evening sync (push the day's ops, pull),
//! a last sync — through a counting TCP proxy in front of the real server (SQLite) on
//! 127.0.0.1, the device being the real core with its own database.
//!
//! Anchor, in the same run: the raw JSON of the evening's ops (uncompressed, as
//! `serde_json::to_vec` of the outbox) and a bare HTTP POST of those same bytes to a trivial
//! axum handler (fresh client, through the same kind of proxy).
//!
//! `cargo bench -p fieldkit-server --bench sync_day`
//!
//! Environment: `BENCH_DAYS` (default 5: days, each a new technician and phone, medians
//! reported), `FIELDKIT_BENCH_DIR`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use chrono::Utc;
use common::load::walk;
use common::testing::{Backend, server};
use common::*;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::{SyncOptions, SyncPhase, SyncProgress};
use fieldkit_core::{DeviceConfig, FieldKit};
use serde_json::json;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const JOBS: usize = 8;

/// One step of the day: bytes and time.
#[derive(Clone, Copy, Default)]
struct Step {
    bytes: Bytes,
    time: Duration,
}

/// The steps of one day, in order.
#[derive(Default)]
struct Day {
    enrol: Step,
    morning_push: Step,
    morning_pull: Step,
    walk: Step,
    evening_push: Step,
    evening_pull: Step,
    evening_blobs: Step,
    last_sync: Step,
    morning_pushed: usize,
    pulled: usize,
    evening_ops: usize,
    files: usize,
    raw_json: u64,
    bare_post: Step,
    /// The server's own time applying and committing the evening push (from `/metrics`).
    server_push: Duration,
}

/// `fieldkit_push_seconds_sum` from the server's `/metrics`.
async fn push_seconds(s: &common::testing::TestServer) -> Res<f64> {
    let text = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(&s.admin)
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("fieldkit_push_seconds_sum "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0))
}

/// A sync split at the phase changes its progress callback reports.
async fn sync_split(kit: &FieldKit, proxy: &Proxy) -> Res<([Step; 3], usize, usize, usize)> {
    let counter = proxy.counter();
    let snaps: Mutex<Vec<(SyncPhase, Bytes, Instant)>> = Mutex::new(Vec::new());
    let b0 = proxy.bytes();
    let t0 = Instant::now();
    let report = kit
        .sync(&options(), &|p: SyncProgress| {
            snaps
                .lock()
                .unwrap()
                .push((p.phase, counter.bytes(), Instant::now()))
        })
        .await?;
    let (b3, t3) = (proxy.bytes(), Instant::now());
    let snaps = snaps.into_inner().unwrap();
    let last = |ph: SyncPhase| snaps.iter().rev().find(|s| s.0 == ph).map(|s| (s.1, s.2));
    let (b1, t1) = last(SyncPhase::Push).unwrap_or((b0, t0));
    let (b2, t2) = last(SyncPhase::Pull).unwrap_or((b1, t1));
    Ok((
        [
            Step {
                bytes: b1 - b0,
                time: t1 - t0,
            },
            Step {
                bytes: b2 - b1,
                time: t2 - t1,
            },
            Step {
                bytes: b3 - b2,
                time: t3 - t2,
            },
        ],
        report.pushed,
        report.pulled,
        report.blobs_uploaded,
    ))
}

fn options() -> SyncOptions {
    SyncOptions {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..SyncOptions::default()
    }
}

/// The trivial anchor server: reads the body, answers its length.
async fn bare_server() -> Res<std::net::SocketAddr> {
    let app = axum::Router::new().route(
        "/ingest",
        post(|body: axum::body::Bytes| async move { body.len().to_string() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let days = env_count("BENCH_DAYS", 5).max(1);
    let dir = bench_dir();
    let mut load = Load::default();
    load.note();
    println!("# sync_day: one technician's day on the wire (8 jobs) vs raw JSON and a bare POST");
    println!(
        "\n{days} days, each a new technician and phone on one server (SQLite); medians over the days."
    );
    let s = server(Backend::Sqlite, |c| {
        c.data_dir = dir.path().join("server");
    })
    .await
    .ok_or("server")?;
    let server_addr = s.server.addr();
    let bare = bare_server().await?;
    let mut all = Vec::new();
    for d in 0..days {
        all.push(one_day(&s, server_addr, bare, d, dir.path()).await?);
        load.note();
    }
    report(&all);
    print_machine(dir.path(), &load);
    let _ = s.server.shutdown().await;
    Ok(())
}

async fn one_day(
    s: &common::testing::TestServer,
    server_addr: std::net::SocketAddr,
    bare: std::net::SocketAddr,
    d: usize,
    root: &std::path::Path,
) -> Res<Day> {
    let mut day = Day::default();
    let tech = s.create_technician(&format!("Bench technician {d}")).await;
    let morning = Utc::now() - chrono::Duration::hours(10);
    let kinds = [
        (JobKind::Repair, Billing::Paid),
        (JobKind::Installation, Billing::Warranty),
        (JobKind::Delivery, Billing::Warranty),
        (JobKind::Repair, Billing::Warranty),
        (JobKind::FollowUp, Billing::Warranty),
        (JobKind::ReturnExchange, Billing::Paid),
        (JobKind::Installation, Billing::Paid),
        (JobKind::Delivery, Billing::Paid),
    ];
    let mut ids = Vec::new();
    for (j, (kind, billing)) in kinds.into_iter().enumerate().take(JOBS) {
        let start = morning + chrono::Duration::minutes(60 + 70 * j as i64);
        let o = walk::order((d * 100 + j) as u32, kind, billing, start);
        s.create_job(&o, Some(&tech)).await;
        ids.push(o.id);
    }
    let (_, v) = s
        .admin(
            reqwest::Method::POST,
            "/v1/admin/enrolment-codes",
            Some(json!({ "technician_id": tech })),
        )
        .await;
    let code = v["code"].as_str().ok_or("code")?.to_owned();

    let clock = Arc::new(ManualClock::new(morning));
    let kit = FieldKit::open_with_clock(
        root.join(format!("phone-{d}")),
        DeviceConfig::default(),
        clock.clone(),
    )?;
    demo::stock_the_van(&kit)?;
    let proxy = Proxy::start(server_addr).await;

    // Enrol.
    let b0 = proxy.bytes();
    let (r, t) = timed(kit.enroll(&proxy.url(), &code, &options())).await;
    r?;
    day.enrol = Step {
        bytes: proxy.bytes() - b0,
        time: t,
    };

    // Morning sync: the van's stock ops up, the day's jobs down.
    let ([push, pull, _], pushed, pulled, _) = sync_split(&kit, &proxy).await?;
    (day.morning_push, day.morning_pull) = (push, pull);
    day.morning_pushed = pushed;
    day.pulled = pulled;
    assert_eq!(pulled, JOBS, "the day's jobs");

    // The day, offline.
    let t = Instant::now();
    for id in &ids {
        walk::walk_visit(&kit, *id, &mut || {
            clock.advance(chrono::Duration::minutes(1))
        })?;
    }
    day.walk.time = t.elapsed();
    let ops = kit.pending_ops(i64::MAX)?;
    day.evening_ops = ops.len();
    let raw = serde_json::to_vec(&ops)?;
    day.raw_json = raw.len() as u64;

    // Evening sync: push, pull, then the files.
    clock.set(Utc::now());
    let before = push_seconds(s).await?;
    let ([push, pull, blobs], pushed, _, files) = sync_split(&kit, &proxy).await?;
    day.server_push = Duration::from_secs_f64((push_seconds(s).await? - before).max(0.0));
    assert_eq!(pushed, ops.len());
    (day.evening_push, day.evening_pull, day.evening_blobs) = (push, pull, blobs);
    day.files = files;

    // A last sync: nothing to send, nothing new.
    let b0 = proxy.bytes();
    let (r, t) = timed(kit.sync(&options(), &|_| {})).await;
    r?;
    day.last_sync = Step {
        bytes: proxy.bytes() - b0,
        time: t,
    };

    // Anchor: the same bytes, uncompressed, in one bare POST (fresh client and connection,
    // as each sync makes).
    let bare_proxy = Proxy::start(bare).await;
    let client = common::testing::client();
    let t = Instant::now();
    let res = client
        .post(format!("{}/ingest", bare_proxy.url()))
        .header("content-type", "application/json")
        .body(raw.clone())
        .send()
        .await?;
    let echoed: u64 = res.text().await?.parse()?;
    day.bare_post = Step {
        bytes: bare_proxy.bytes(),
        time: t.elapsed(),
    };
    assert_eq!(echoed, day.raw_json);
    Ok(day)
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn report(days: &[Day]) {
    let med_step = |f: &dyn Fn(&Day) -> Step| Step {
        bytes: Bytes {
            up: median(days.iter().map(|d| f(d).bytes.up).collect()),
            down: median(days.iter().map(|d| f(d).bytes.down).collect()),
        },
        time: median(days.iter().map(|d| f(d).time).collect()),
    };
    let med = |f: &dyn Fn(&Day) -> usize| median(days.iter().map(f).collect::<Vec<_>>());
    let d0 = &days[0];
    let row = |name: &str, s: Step| {
        println!(
            "| {name} | {} | {} | {} | {} |",
            fmt_bytes(s.bytes.up),
            fmt_bytes(s.bytes.down),
            fmt_bytes(s.bytes.up + s.bytes.down),
            fmt_ns(s.time.as_nanos() as u64)
        );
    };
    println!(
        "\n### The day, step by step (medians of {} days)\n",
        days.len()
    );
    println!("| step | requests (up) | responses (down) | total | wall time |");
    println!("|---|---:|---:|---:|---:|");
    let steps: [(String, Step); 8] = [
        ("enrol".into(), med_step(&|d| d.enrol)),
        (
            format!(
                "morning sync: push ({} van stock op(s))",
                med(&|d| d.morning_pushed)
            ),
            med_step(&|d| d.morning_push),
        ),
        (
            format!("morning sync: pull ({} jobs)", d0.pulled),
            med_step(&|d| d.morning_pull),
        ),
        (
            format!("walk {JOBS} visits offline (local only)"),
            med_step(&|d| d.walk),
        ),
        (
            format!("evening sync: push ({} ops)", med(&|d| d.evening_ops)),
            med_step(&|d| d.evening_push),
        ),
        ("evening sync: pull".into(), med_step(&|d| d.evening_pull)),
        (
            format!(
                "evening sync: {} photos, thumbnails and signature images (not in the day's total)",
                med(&|d| d.files)
            ),
            med_step(&|d| d.evening_blobs),
        ),
        ("last sync (nothing new)".into(), med_step(&|d| d.last_sync)),
    ];
    let mut total = Step::default();
    for (i, (name, s)) in steps.iter().enumerate() {
        row(name, *s);
        if i != 3 && i != 6 {
            total.bytes = total.bytes + s.bytes;
            total.time += s.time;
        }
    }
    row(
        "**the day on the wire, without photos** (network steps only)",
        total,
    );

    let raw = median(days.iter().map(|d| d.raw_json).collect());
    let push = med_step(&|d| d.evening_push);
    let bare = med_step(&|d| d.bare_post);
    let push_wire = push.bytes.up + push.bytes.down;
    let bare_wire = bare.bytes.up + bare.bytes.down;
    println!("\n### The evening push against its anchors (medians)\n");
    println!("| | bytes up | bytes down | total | wall time |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| raw JSON of the {} ops (uncompressed, no HTTP) | {} | | {} | |",
        med(&|d| d.evening_ops),
        fmt_bytes(raw),
        fmt_bytes(raw)
    );
    row(
        "bare HTTP POST of that JSON to a trivial axum handler",
        bare,
    );
    row(
        "FieldKit push (gzip, per-op outcomes, applied and committed with FULL sync)",
        push,
    );
    println!(
        "| … of which the server applying and committing it (its `fieldkit_push_seconds`) | | | | {} |",
        fmt_ns(median(days.iter().map(|d| d.server_push).collect()).as_nanos() as u64)
    );
    println!(
        "| **ratio** push / raw JSON | {} | | **{}** | |",
        ratio(push.bytes.up as f64, raw as f64),
        ratio(push_wire as f64, raw as f64)
    );
    println!(
        "| **ratio** push / bare POST | {} | {} | **{}** | **{}** |",
        ratio(push.bytes.up as f64, bare.bytes.up as f64),
        ratio(push.bytes.down as f64, bare.bytes.down as f64),
        ratio(push_wire as f64, bare_wire as f64),
        ratio(push.time.as_secs_f64(), bare.time.as_secs_f64())
    );
    println!(
        "\nPer day (wire bytes without photos / evening push time / bare POST time): {}",
        days.iter()
            .map(|d| {
                let b = [
                    d.enrol,
                    d.morning_push,
                    d.morning_pull,
                    d.evening_push,
                    d.evening_pull,
                    d.last_sync,
                ]
                .iter()
                .map(|s| s.bytes.up + s.bytes.down)
                .sum::<u64>();
                format!(
                    "{} / {} / {}",
                    fmt_bytes(b),
                    fmt_ns(d.evening_push.time.as_nanos() as u64),
                    fmt_ns(d.bare_post.time.as_nanos() as u64)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
}
