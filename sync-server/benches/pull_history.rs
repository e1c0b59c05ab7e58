//! Pull time for a device with a small cursor gap (the desk just sent it a few jobs) when the
//! server holds a small history (10k changes) and a large one (1M changes) of other
//! technicians. Target: flat — a pull costs what changed since the cursor, not the history.
//!
//! History is written straight into the server's `changes` table in big transactions before
//! the server starts (SQLite: one rusqlite transaction; PostgreSQL: one
//! `INSERT … SELECT generate_series`), 3 of 4 rows a full work order, 1 of 4 a cancellation,
//! spread over 500 other technicians. Then per round the desk creates `BENCH_GAP` jobs for the
//! measured technician on both servers, and the device pulls them: once with a raw
//! `GET /v1/pull` (HTTP + query, measured `BENCH_GETS` times on the same cursor) and once
//! with `FieldKit::sync` (push nothing, pull the page, apply it, no files). Rounds alternate
//! between the two servers; each size has its own server, both running.
//!
//! `cargo bench -p fieldkit-server --bench pull_history`
//!
//! Environment: `BENCH_SMALL` (default 10000), `BENCH_LARGE` (default 1000000),
//! `BENCH_ROUNDS` (default 20), `BENCH_GAP` (default 5), `BENCH_GETS` (default 10),
//! `BENCH_BACKENDS` (default `sqlite,postgres`), `FIELDKIT_BENCH_DIR`.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::testing::{Backend, Pg, TestServer, server};
use common::*;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::{Change, PullResponse};
use fieldkit_core::{DeviceConfig, FieldKit};
use serde_json::json;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One server with its history, the measured technician and their phone.
struct Side {
    rows: usize,
    s: TestServer,
    tech: String,
    kit: FieldKit,
    token: String,
    generate: Duration,
    get: Samples,
    sync: Samples,
    _pg: Option<Pg>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let small = env_count("BENCH_SMALL", 10_000);
    let large = env_count("BENCH_LARGE", 1_000_000);
    let rounds = env_count("BENCH_ROUNDS", 20).max(2);
    let gap = env_count("BENCH_GAP", 5).max(1);
    let gets = env_count("BENCH_GETS", 10).max(1);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let dir = bench_dir();
    let mut load = Load::default();
    load.note();
    println!(
        "# pull_history: a small pull with {small} vs {large} changes of history on the server"
    );
    println!(
        "\n{rounds} rounds; each round the desk sends {gap} new jobs to the measured technician on both servers, then the device pulls them (raw GET ×{gets}, then `FieldKit::sync`). The first 2 rounds are warm-up."
    );
    for backend in backends.split(',').map(str::trim) {
        let backend = match backend {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => return Err(format!("unknown backend {other}").into()),
        };
        let mut sides = Vec::new();
        for rows in [small, large] {
            let Some(side) = Side::start(backend, rows, dir.path()).await? else {
                println!("\n(PostgreSQL skipped: FIELDKIT_SKIP_PG=1)");
                break;
            };
            load.note();
            sides.push(side);
        }
        if sides.len() < 2 {
            continue;
        }
        for round in 0..rounds {
            for i in 0..sides.len() {
                let i = if round % 2 == 0 {
                    i
                } else {
                    sides.len() - 1 - i
                };
                sides[i].round(round, gap, gets, round >= 2).await?;
            }
        }
        load.note();
        report(backend, &sides, gap);
        for side in sides {
            let _ = side.s.server.shutdown().await;
        }
    }
    print_machine(dir.path(), &load);
    Ok(())
}

fn options() -> SyncOptions {
    SyncOptions {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..SyncOptions::default()
    }
}

/// Changes of another technician's job as the desk would have queued them (a work order,
/// a cancellation), with the job id each holds (replaced per row).
struct HistoryBodies {
    order: String,
    cancel: String,
    id: String,
}

fn history_bodies() -> Res<HistoryBodies> {
    let mut o = demo::repair_order(1, Utc::now(), Billing::Warranty);
    o.number = "WO-HIST-0000001".into();
    let id = o.id;
    let order = serde_json::to_string(&Change::WorkOrder { work_order: o })?;
    let cancel = serde_json::to_string(&Change::Cancellation {
        work_order_id: id,
        reason: "customer cancelled".into(),
    })?;
    Ok(HistoryBodies {
        order,
        cancel,
        id: id.to_string(),
    })
}

/// Writes `rows` changes of other technicians into a fresh SQLite server data dir.
fn sqlite_history(data_dir: &Path, rows: usize) -> Res<()> {
    drop(fieldkit_server::storage::sqlite::SqliteStorage::open(
        data_dir,
    )?);
    let mut c = rusqlite::Connection::open(data_dir.join("fieldkit-server.db"))?;
    c.pragma_update(None, "synchronous", "OFF")?;
    let h = history_bodies()?;
    let tx = c.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO changes (seq, technician_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let now = Utc::now().timestamp_millis();
        for i in 1..=rows {
            // Each row its own job (a fresh id), like real history.
            let id = uuid::Uuid::now_v7().to_string();
            let body = if i % 4 == 0 {
                h.cancel.replace(&h.id, &id)
            } else {
                h.order
                    .replace(&h.id, &id)
                    .replace("WO-HIST-0000001", &format!("WO-HIST-{i:07}"))
            };
            stmt.execute(rusqlite::params![
                i as i64,
                format!("hist-tech-{:03}", i % 500),
                body,
                now - (rows - i) as i64 * 1000
            ])?;
        }
    }
    tx.commit()?;
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    Ok(())
}

/// Writes `rows` changes of other technicians into the server's PostgreSQL database.
async fn pg_history(url: &str, rows: usize) -> Res<()> {
    drop(fieldkit_server::storage::postgres::PostgresStorage::connect(url, 1).await?);
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let h = history_bodies()?;
    let n = rows as i64;
    client
        .execute(
            "INSERT INTO changes (technician_id, body, created_at)
             SELECT 'hist-tech-' || lpad((i % 500)::text, 3, '0'),
                    CASE WHEN i % 4 = 0 THEN replace($2, $4, gen_random_uuid()::text)
                         ELSE replace(replace($1, $4, gen_random_uuid()::text),
                              'WO-HIST-0000001', 'WO-HIST-' || lpad(i::text, 7, '0')) END,
                    (extract(epoch from now()) * 1000)::bigint - ($3::bigint - i) * 1000
               FROM generate_series(1::bigint, $3::bigint) AS i",
            &[&h.order, &h.cancel, &n, &h.id],
        )
        .await?;
    client.batch_execute("VACUUM ANALYZE changes").await?;
    Ok(())
}

impl Side {
    async fn start(backend: Backend, rows: usize, root: &Path) -> Res<Option<Side>> {
        let data_dir = root.join(format!("{backend:?}-{rows}"));
        let t = Instant::now();
        let pg = match backend {
            Backend::Sqlite => {
                sqlite_history(&data_dir.join("server"), rows)?;
                None
            }
            Backend::Postgres => {
                let Some(pg) = Pg::start() else {
                    return Ok(None);
                };
                pg_history(&pg.url, rows).await?;
                Some(pg)
            }
        };
        let generate = t.elapsed();
        println!(
            "\n{backend:?}: {rows} rows of history written in {:.1} s",
            generate.as_secs_f64()
        );
        let url = pg.as_ref().map(|p| p.url.clone());
        // `server` would start its own cluster for PostgreSQL: point it at ours instead.
        let s = server(Backend::Sqlite, |c| {
            c.data_dir = data_dir.join("server");
            c.database_url = url;
        })
        .await
        .ok_or("server")?;
        let tech = s.create_technician("Measured technician").await;
        let (_, v) = s
            .admin(
                reqwest::Method::POST,
                "/v1/admin/enrolment-codes",
                Some(json!({ "technician_id": tech })),
            )
            .await;
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let kit = FieldKit::open_with_clock(
            data_dir.join("phone"),
            DeviceConfig::default(),
            clock.clone(),
        )?;
        let code = v["code"].as_str().ok_or("code")?;
        let account = kit.enroll(&s.base, code, &options()).await?;
        // Catch up once (nothing of this technician's in the history).
        kit.sync(&options(), &|_| {}).await?;
        Ok(Some(Side {
            rows,
            s,
            tech,
            kit,
            token: account.token,
            generate,
            get: Samples::new(format!("raw `GET /v1/pull`, {rows} rows of history")),
            sync: Samples::new(format!("`FieldKit::sync` (pull + apply), {rows} rows")),
            _pg: pg,
        }))
    }

    async fn round(&mut self, round: usize, gap: usize, gets: usize, keep: bool) -> Res<()> {
        let start = Utc::now() + chrono::Duration::hours(1);
        for j in 0..gap {
            let o = demo::repair_order((round * 100 + j) as u32, start, Billing::Warranty);
            self.s.create_job(&o, Some(&self.tech)).await;
        }
        let cursor = self.kit.pull_cursor()?;
        let url = self.s.url(&format!("/v1/pull?cursor={cursor}&limit=100"));
        for _ in 0..gets {
            let t = Instant::now();
            let page: PullResponse = self
                .s
                .client
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await?
                .json()
                .await?;
            let d = t.elapsed();
            assert_eq!(page.changes.len(), gap);
            if keep {
                self.get.push(d);
            }
        }
        let t = Instant::now();
        let r = self.kit.sync(&options(), &|_| {}).await?;
        let d = t.elapsed();
        assert_eq!(r.pulled, gap);
        if keep {
            self.sync.push(d);
        }
        Ok(())
    }
}

fn report(backend: Backend, sides: &[Side], gap: usize) {
    let (a, b) = (&sides[0], &sides[1]);
    println!(
        "\n### {backend:?}: pulling {gap} new changes, {} vs {} rows of history\n",
        a.rows, b.rows
    );
    latency_header();
    for s in [&a.get, &b.get, &a.sync, &b.sync] {
        latency_row(s);
    }
    let r = |x: &Samples, y: &Samples| {
        let (x, y) = (x.summary(), y.summary());
        (
            ratio(x.p50 as f64, y.p50 as f64),
            ratio(x.p99 as f64, y.p99 as f64),
        )
    };
    let (g50, g99) = r(&b.get, &a.get);
    let (s50, s99) = r(&b.sync, &a.sync);
    println!("| **ratio** large / small history, raw GET | | **{g50}** | **{g99}** | | |");
    println!("| **ratio** large / small history, `FieldKit::sync` | | **{s50}** | **{s99}** | | |");
    println!(
        "\nHistory written in {:.1} s ({} rows) and {:.1} s ({} rows). Target: flat (ratio ≈ 1).",
        a.generate.as_secs_f64(),
        a.rows,
        b.generate.as_secs_f64(),
        b.rows
    );
}
