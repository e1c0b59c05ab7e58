//! 200 devices pushing to 1 vs 3 server *processes* on the same PostgreSQL, on this machine:
//! applied ops/s and push latency side by side, and where the CPU went (the server processes,
//! PostgreSQL, the bench's own clients), from `/proc/<pid>/stat` over the load phase and
//! until the last drawing check is done (those run after the answers).
//!
//! The load is `sync_load`'s (`benches/common/load.rs`): real journals made before the clock
//! starts (200 real cores walking one visit each), replayed in signed, gzipped batches of
//! `BENCH_BATCH` ops by a light HTTP client per device (its own connection). With N instances
//! device i talks to instance i mod N: the per-connection round robin a load balancer does
//! for HTTP/1.1 keep-alive, without a proxy's CPU in the measurement. The anchor is 1
//! instance, FieldKit's case 3 instances; each run starts its instances (the
//! `fieldkit-server` binary, this profile's build) on a fresh database of the one cluster,
//! alternating which goes first.
//!
//! Shapes: **burst** (every device pushes its whole journal at once: throughput at
//! saturation) and **steady** (one batch per device every `BENCH_INTERVAL_MS`).
//!
//! `cargo bench -p fieldkit-server --bench fleet_load`
//!
//! Environment: `BENCH_DEVICES` (200), `BENCH_BATCH` (10), `BENCH_INTERVAL_MS` (2000),
//! `BENCH_SHAPES` (`burst,steady`), `BENCH_INSTANCES` (`1,3`: the first is the anchor),
//! `BENCH_RUNS` (2), `BENCH_PG_BUDGET` (the PostgreSQL connections the instances share, as
//! the README's "Several instances" says to configure them: each of N instances gets
//! ⌈budget / N⌉; default 16, the server's default pool, so 1 instance runs as by default),
//! `BENCH_PG_POOL` (each instance's pool instead, whatever N),
//! `FIELDKIT_BENCH_DIR`; `BENCH_PG_STATEMENTS=1` prints each run's PostgreSQL statements by
//! time (with `FIELDKIT_PG_OPTS="-c shared_preload_libraries=pg_stat_statements"`).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::load::{Journal, Outcome, Ready, Res, bodies, make_journals, run_load};
use common::testing::Pg;
use common::testing::fleet::{
    Fleet, clock_ticks, count_drawing_finishes, cpu_ticks, drawing_finishes, pg_cpu_ticks,
};
use common::*;
use fieldkit_core::demo;
use fieldkit_core::sync::device_key::DeviceKey;
use fieldkit_core::sync::protocol::EnrollResponse;
use serde_json::{Value, json};

/// One measured run: the load's outcome and the CPU seconds over it.
struct Run {
    instances: usize,
    shape: String,
    outcome: Outcome,
    server_cpu: f64,
    pg_cpu: f64,
    bench_cpu: f64,
    /// Drawing checks stored, and the statements that finished one.
    checks: i64,
    finishes: i64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let devices = env_count("BENCH_DEVICES", 200).max(1);
    let batch = env_count("BENCH_BATCH", 10).clamp(1, 500);
    let interval = Duration::from_millis(env_count("BENCH_INTERVAL_MS", 2000) as u64);
    let runs = env_count("BENCH_RUNS", 2).max(1);
    let shapes = std::env::var("BENCH_SHAPES").unwrap_or_else(|_| "burst,steady".to_owned());
    let counts: Vec<usize> = std::env::var("BENCH_INSTANCES")
        .unwrap_or_else(|_| "1,3".to_owned())
        .split(',')
        .map(|s| s.trim().parse::<usize>().map(|n| n.max(1)))
        .collect::<Result<_, _>>()?;
    let pg_pool: Option<usize> = std::env::var("BENCH_PG_POOL")
        .ok()
        .and_then(|v| v.parse().ok());
    let pg_budget = env_count("BENCH_PG_BUDGET", 16).max(1);
    let pool_of = |n: usize| pg_pool.unwrap_or_else(|| pg_budget.div_ceil(n).max(2));
    // PostgreSQL's statements by total time, per run (needs the cluster started with
    // `FIELDKIT_PG_OPTS="-c shared_preload_libraries=pg_stat_statements"`).
    let statements = std::env::var("BENCH_PG_STATEMENTS").as_deref() == Ok("1");
    let dir = bench_dir();
    let mut load = Load::default();
    load.note();
    println!(
        "# fleet_load: {devices} devices pushing to {counts:?} server processes on one PostgreSQL"
    );
    for &n in &counts {
        println!(
            "{n} instance(s): a pool of {} PostgreSQL connections each ({} in all{})",
            pool_of(n),
            n * pool_of(n),
            match pg_pool {
                Some(_) => ", BENCH_PG_POOL".to_owned(),
                None => format!("; the budget of {pg_budget} split among them"),
            }
        );
    }
    let Some(pg) = Pg::start() else {
        println!("\n(PostgreSQL skipped: FIELDKIT_SKIP_PG=1)");
        return Ok(());
    };
    let t = Instant::now();
    let journals = Arc::new(make_journals(devices, dir.path()).await?);
    let ops: usize = journals.iter().map(|j| j.ops.len()).sum();
    println!(
        "\n{devices} device journals made by real cores walking one visit each: {ops} ops in \
         {:.1} s (not timed below). Batches of {batch} ops; steady: one batch per device every \
         {} ms.",
        t.elapsed().as_secs_f64(),
        interval.as_millis()
    );
    load.note();

    let exe = Path::new(env!("CARGO_BIN_EXE_fieldkit-server"));
    let tick = clock_ticks() as f64;
    let mut results: Vec<Run> = Vec::new();
    let mut k = 0;
    for run in 0..runs {
        for shape in shapes.split(',').map(str::trim) {
            let pace = match shape {
                "burst" => None,
                "steady" => Some(interval),
                other => return Err(format!("unknown shape {other}").into()),
            };
            // Alternate which configuration goes first.
            let mut order = counts.clone();
            if run % 2 == 1 {
                order.reverse();
            }
            for &n in &order {
                k += 1;
                let db = format!("fleet_{k}");
                create_database(&pg.url, &db).await?;
                let mut args = vec![
                    "--enroll-per-minute=100000".to_owned(),
                    "--device-requests-per-minute=0".to_owned(),
                ];
                args.push(format!("--pg-max-connections={}", pool_of(n)));
                let mut fleet = Fleet::start(
                    exe,
                    n,
                    &pg.url_of(&db),
                    &dir.path().join(format!("run-{k}")),
                    &args,
                );
                count_drawing_finishes(&pg.url_of(&db)).await?;
                let ready = setup(&fleet, &journals, batch).await?;
                load.note();
                let pids: Vec<u32> = (0..n).filter_map(|i| fleet.pid(i)).collect();
                let me = std::process::id();
                let cpu = || {
                    (
                        pids.iter().map(|&p| cpu_ticks(p, false)).sum::<u64>(),
                        pg_cpu_ticks(&pg),
                        cpu_ticks(me, false),
                    )
                };
                if statements {
                    statements_reset(&pg.url_of(&db)).await?;
                }
                let before = cpu();
                let label = format!("{shape}, {n} instance{}", if n == 1 { "" } else { "s" });
                let outcome = run_load(ready, pace, label).await?;
                // The drawing checks run after the answers: their CPU is part of the cost.
                settle(&fleet).await?;
                let after = cpu();
                if statements {
                    statements_print(&pg.url_of(&db), outcome.pushes).await?;
                }
                let (checks, finishes) = drawing_finishes(&pg.url_of(&db)).await?;
                load.note();
                assert_eq!(
                    outcome.applied, ops,
                    "{}: every op applied once",
                    outcome.label
                );
                fleet.stop();
                results.push(Run {
                    instances: n,
                    shape: shape.to_owned(),
                    outcome,
                    server_cpu: (after.0 - before.0) as f64 / tick,
                    pg_cpu: (after.1 - before.1) as f64 / tick,
                    bench_cpu: (after.2 - before.2) as f64 / tick,
                    checks,
                    finishes,
                });
            }
        }
    }

    println!("\n### Push latency, throughput and CPU, by instances\n");
    println!(
        "| shape, instances | pushes | ops applied | wall | applied ops/s | p50 | p99 | max | \
         server CPU | PostgreSQL CPU | bench clients CPU | drawing checks finished / stored | \
         load avg (1 min) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        let o = &r.outcome;
        let s = o.latency.summary();
        println!(
            "| {} | {} | {} | {:.2} s | **{:.0}** | {} | **{}** | {} | {:.2} s | {:.2} s | {:.2} s | {} / {} | {} |",
            o.label,
            o.pushes,
            o.applied,
            o.wall.as_secs_f64(),
            o.applied as f64 / o.wall.as_secs_f64(),
            fmt_ns(s.p50),
            fmt_ns(s.p99),
            fmt_ns(s.max),
            r.server_cpu,
            r.pg_cpu,
            r.bench_cpu,
            r.finishes,
            r.checks,
            o.load
        );
    }

    println!("\n### Where the time goes: CPU per 1,000 applied ops (medians over runs)\n");
    println!("| shape, instances | server | PostgreSQL | server : PostgreSQL |");
    println!("|---|---:|---:|---:|");
    let anchor = counts[0];
    for shape in shapes.split(',').map(str::trim) {
        for &n in &counts {
            let of = |f: &dyn Fn(&Run) -> f64| {
                median(
                    results
                        .iter()
                        .filter(|r| r.shape == shape && r.instances == n)
                        .map(f)
                        .collect(),
                )
            };
            let server = of(&|r| r.server_cpu * 1000.0 / r.outcome.applied as f64);
            let pgc = of(&|r| r.pg_cpu * 1000.0 / r.outcome.applied as f64);
            println!(
                "| {shape}, {n} | {:.0} ms | {:.0} ms | {:.2} |",
                server * 1000.0,
                pgc * 1000.0,
                server / pgc.max(f64::EPSILON)
            );
        }
    }

    println!(
        "\n### {} instances vs {anchor} (medians over runs; ratio = N / anchor)\n",
        {
            counts
                .iter()
                .skip(1)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!("| shape | instances | applied ops/s | ratio | p99 | ratio | target p99 < 500 ms |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for shape in shapes.split(',').map(str::trim) {
        let stat = |n: usize| {
            let rs: Vec<&Run> = results
                .iter()
                .filter(|r| r.shape == shape && r.instances == n)
                .collect();
            (
                median(
                    rs.iter()
                        .map(|r| r.outcome.applied as f64 / r.outcome.wall.as_secs_f64())
                        .collect(),
                ),
                median(
                    rs.iter()
                        .map(|r| r.outcome.latency.summary().p99 as f64)
                        .collect(),
                ),
            )
        };
        let (a_tput, a_p99) = stat(anchor);
        for &n in &counts {
            let (tput, p99) = stat(n);
            println!(
                "| {shape} | {n} | {tput:.0} | **{:.2}×** | {} | **{:.2}×** | {} |",
                tput / a_tput,
                fmt_ns(p99 as u64),
                p99 / a_p99,
                if p99 < 500e6 { "met" } else { "NOT met" }
            );
        }
    }
    print_machine(dir.path(), &load);
    Ok(())
}

/// Creates `pg_stat_statements` in the run's database and clears its counts.
async fn statements_reset(url: &str) -> Res<()> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();",
    )
    .await?;
    drop(c);
    let _ = task.await;
    Ok(())
}

/// The statements of the run by total execution time: calls, calls per push, time.
async fn statements_print(url: &str, pushes: usize) -> Res<()> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    let rows = c
        .query(
            "SELECT calls, total_exec_time, total_plan_time, rows, query
               FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
              ORDER BY total_exec_time DESC LIMIT 25",
            &[],
        )
        .await?;
    println!("\n| calls | per push | exec ms | plan ms | mean µs | rows | statement |");
    println!("|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let calls: i64 = r.get(0);
        let total: f64 = r.get(1);
        let plan: f64 = r.get(2);
        let n: i64 = r.get(3);
        let q: String = r.get(4);
        let q: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
        println!(
            "| {calls} | {:.2} | {total:.1} | {plan:.1} | {:.0} | {n} | `{}` |",
            calls as f64 / pushes.max(1) as f64,
            total * 1000.0 / calls.max(1) as f64,
            q.chars().take(110).collect::<String>()
        );
    }
    drop(c);
    let _ = task.await;
    Ok(())
}

/// Waits (polling, at most a minute) until no completion waits for its drawing check.
async fn settle(fleet: &Fleet) -> Res<()> {
    let http = testing::client();
    let url = format!(
        "http://{}/v1/admin/completions?limit=1000",
        fleet.addrs()[0]
    );
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let list: Value = http
            .get(&url)
            .bearer_auth(&fleet.admin)
            .send()
            .await?
            .json()
            .await?;
        let list = list.as_array().ok_or("a list of completions")?;
        if list.iter().all(|c| c["checks_pending"] == false) {
            return Ok(());
        }
        if Instant::now() > until {
            return Err("drawing checks still pending after 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A fresh database `name` in the cluster at `url`.
async fn create_database(url: &str, name: &str) -> Res<()> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    c.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    drop(c);
    let _ = task.await;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A dispatcher call to `base`; status and JSON answer.
async fn admin(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Res<Value> {
    let res = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await?;
    if status.as_u16() != 201 {
        return Err(format!("POST {path}: {status} {v}").into());
    }
    Ok(v)
}

/// The desk's side through the first instance (catalogue; per device a technician, its job,
/// a code), each device enrolled with its own key through its own instance, and its bodies
/// signed with that key.
async fn setup(fleet: &Fleet, journals: &[Journal], batch: usize) -> Res<Vec<Ready>> {
    let http = testing::client();
    let bases: Vec<String> = fleet
        .addrs()
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    let (desk, token) = (&bases[0], fleet.admin.as_str());
    admin(
        &http,
        desk,
        token,
        "/v1/admin/fee-schedules",
        json!({ "fee_schedule": demo::fee_schedule() }),
    )
    .await?;
    admin(
        &http,
        desk,
        token,
        "/v1/admin/parts",
        json!({ "part": demo::van_part() }),
    )
    .await?;
    let mut ready = Vec::new();
    for (i, j) in journals.iter().enumerate() {
        let base = &bases[i % bases.len()];
        let tech = admin(
            &http,
            desk,
            token,
            "/v1/admin/technicians",
            json!({ "name": format!("Load technician {i}") }),
        )
        .await?["id"]
            .as_str()
            .ok_or("technician id")?
            .to_owned();
        let o = &j.order;
        admin(
            &http,
            desk,
            token,
            "/v1/admin/work-orders",
            json!({
                "id": o.id, "number": o.number, "kind": o.kind, "customer": o.customer,
                "site": o.site, "product": o.product, "reported_fault": o.reported_fault,
                "promised": o.promised, "billing": o.billing, "instructions": o.instructions,
                "reported_at": o.reported_at, "technician_id": tech, "sale": o.sale,
            }),
        )
        .await?;
        let code = admin(
            &http,
            desk,
            token,
            "/v1/admin/enrolment-codes",
            json!({ "technician_id": tech }),
        )
        .await?["code"]
            .as_str()
            .ok_or("a code")?
            .to_owned();
        let key = DeviceKey::generate()?;
        let res = http
            .post(format!("{base}/v1/enroll"))
            .json(&key.enrolment(&code, j.device))
            .send()
            .await?;
        if !res.status().is_success() {
            return Err(format!("enrol: {}", res.status()).into());
        }
        let enrolled: EnrollResponse = res.json().await?;
        let device = j.device;
        let bodies = bodies(&j.ops, batch, &|json| Some(key.sign_push(device, json)))?;
        ready.push(Ready {
            url: format!("{base}/v1/push"),
            token: enrolled.token,
            bodies,
        });
    }
    Ok(ready)
}
