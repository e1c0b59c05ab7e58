//! Pull apply rate on the device: pages of work orders through `FieldKit::apply_changes`
//! (validation, upsert of the dispatcher-owned fields, scope mark, cursor, one transaction
//! per page) against the anchor: bare rusqlite upserts of the same rows into a table of the
//! same shape, with the cursor update, in the same page-sized transactions, on a second
//! database with the device's settings (WAL, synchronous=NORMAL) in the same directory.
//! Pages alternate between the two sides.
//!
//! Two rounds: new jobs (inserts), then the same jobs changed by the desk (updates).
//!
//! `cargo bench -p fieldkit-server --bench pull_apply`
//!
//! Environment: `BENCH_PAGES` (default 300 per round and side), `BENCH_PAGE` (changes per
//! page, default 100 = the protocol's default pull page), `FIELDKIT_BENCH_DIR`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::{Change, ChangeEntry, PullResponse};
use fieldkit_core::{DeviceConfig, FieldKit};
use rusqlite::{Connection, TransactionBehavior, params};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let pages = env_count("BENCH_PAGES", 300).max(2);
    let per_page = env_count("BENCH_PAGE", 100).clamp(1, 1000);
    let dir = bench_dir();
    let mut load = Load::default();
    load.note();
    println!("# pull_apply: `FieldKit::apply_changes` vs bare rusqlite upserts, page by page");
    println!(
        "\n{pages} pages of {per_page} work orders per round and side, alternated (A B, B A, …); the first 5 pages of each round are warm-up."
    );
    let kit = FieldKit::open(dir.path().join("phone"), DeviceConfig::default())?;
    let mut anchor = Anchor::open(&dir.path().join("anchor.db"))?;

    let now = Utc::now();
    let orders: Vec<WorkOrder> = (0..pages * per_page)
        .map(|i| {
            let mut o = demo::repair_order(i as u32, now, Billing::Warranty);
            o.number = format!("WO-{i:07}");
            o
        })
        .collect();
    let mut seq = 0i64;
    let mut results = Vec::new();
    for round in ["new jobs (insert)", "changed jobs (update)"] {
        let mut kit_s = Samples::new(format!("`apply_changes`, {round}"));
        let mut bare_s = Samples::new(format!("bare upsert txn, {round}"));
        let (mut kit_total, mut bare_total) = (Duration::ZERO, Duration::ZERO);
        let mut counted = 0usize;
        for (p, chunk) in orders.chunks(per_page).enumerate() {
            let changes: Vec<ChangeEntry> = chunk
                .iter()
                .map(|o| {
                    seq += 1;
                    let mut o = o.clone();
                    if round.starts_with("changed") {
                        o.promised.start += chrono::Duration::hours(1);
                        o.promised.end += chrono::Duration::hours(1);
                        o.instructions = Some("Call before arriving".into());
                    }
                    ChangeEntry {
                        seq,
                        change: Change::WorkOrder { work_order: o },
                    }
                })
                .collect();
            let page = PullResponse {
                cursor: seq,
                more: true,
                changes,
                card: None,
                accepts: vec![],
            };
            let run_kit = || -> Res<Duration> {
                let t = Instant::now();
                let applied = kit.apply_changes(&page)?;
                let d = t.elapsed();
                assert_eq!(applied.changes, chunk.len());
                Ok(d)
            };
            let mut run_bare = || -> Res<Duration> {
                let t = Instant::now();
                anchor.apply(&page)?;
                Ok(t.elapsed())
            };
            let (dk, db) = if p % 2 == 0 {
                let k = run_kit()?;
                (k, run_bare()?)
            } else {
                let b = run_bare()?;
                (run_kit()?, b)
            };
            if p >= 5 {
                kit_s.push(dk);
                bare_s.push(db);
                kit_total += dk;
                bare_total += db;
                counted += chunk.len();
            }
        }
        load.note();
        print_table(
            &format!("{round}: one page of {per_page} changes"),
            &kit_s,
            &bare_s,
        );
        let rate = |d: Duration| counted as f64 / d.as_secs_f64();
        println!(
            "\nApply rate: FieldKit **{:.0} changes/s**, bare upserts {:.0} changes/s — FieldKit at **{:.0} %** of the anchor.",
            rate(kit_total),
            rate(bare_total),
            100.0 * rate(kit_total) / rate(bare_total)
        );
        results.push((round, rate(kit_total), rate(bare_total)));
    }
    println!("\n### Summary\n");
    println!("| round | FieldKit changes/s | bare changes/s | FieldKit / bare |");
    println!("|---|---:|---:|---:|");
    for (round, k, b) in results {
        println!("| {round} | {k:.0} | {b:.0} | {:.2}× |", k / b);
    }
    assert_eq!(kit.pull_cursor()?, seq);
    print_machine(dir.path(), &load);
    Ok(())
}

/// The anchor: the device's `work_orders` table shape and a cursor, with the device's
/// settings.
struct Anchor {
    conn: Connection,
}

impl Anchor {
    fn open(path: &Path) -> Res<Anchor> {
        let conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        assert!(mode.eq_ignore_ascii_case("wal"));
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "temp_store", 2)?;
        conn.execute_batch(
            "CREATE TABLE work_orders (
                id TEXT PRIMARY KEY, number TEXT NOT NULL, kind TEXT NOT NULL,
                status TEXT NOT NULL, customer_name TEXT NOT NULL, customer_phone TEXT NOT NULL,
                address TEXT NOT NULL, zone TEXT NOT NULL, product_model TEXT NOT NULL,
                product_serial TEXT, reported_fault TEXT NOT NULL,
                promised_start INTEGER NOT NULL, promised_end INTEGER NOT NULL,
                billing TEXT NOT NULL, instructions TEXT, reported_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL, left_scope_at INTEGER) STRICT;
             CREATE INDEX work_orders_by_day ON work_orders (promised_start);
             CREATE INDEX work_orders_open ON work_orders (promised_start)
                 WHERE status NOT IN ('completed', 'cancelled');
             CREATE TABLE device (pull_cursor INTEGER NOT NULL);
             INSERT INTO device VALUES (0);",
        )?;
        Ok(Anchor { conn })
    }

    /// One page: BEGIN IMMEDIATE; an upsert per row; the cursor; COMMIT.
    fn apply(&mut self, page: &PullResponse) -> Res<()> {
        let now = Utc::now().timestamp_millis();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO work_orders (id, number, kind, status, customer_name, customer_phone,
                    address, zone, product_model, product_serial, reported_fault, promised_start,
                    promised_end, billing, instructions, reported_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT (id) DO UPDATE SET number = excluded.number, kind = excluded.kind,
                    customer_name = excluded.customer_name, customer_phone = excluded.customer_phone,
                    address = excluded.address, zone = excluded.zone,
                    product_model = excluded.product_model, product_serial = excluded.product_serial,
                    reported_fault = excluded.reported_fault, promised_start = excluded.promised_start,
                    promised_end = excluded.promised_end, billing = excluded.billing,
                    instructions = excluded.instructions, updated_at = excluded.updated_at",
            )?;
            for e in &page.changes {
                let Change::WorkOrder { work_order: o } = &e.change else {
                    continue;
                };
                stmt.execute(params![
                    o.id.to_string(),
                    o.number,
                    o.kind.as_str(),
                    o.status.as_str(),
                    o.customer.name,
                    o.customer.phone,
                    o.site.address,
                    "urban",
                    o.product.model,
                    o.product.serial,
                    o.reported_fault,
                    o.promised.start.timestamp_millis(),
                    o.promised.end.timestamp_millis(),
                    "warranty",
                    o.instructions,
                    o.reported_at.timestamp_millis(),
                    now,
                ])?;
            }
        }
        tx.execute("UPDATE device SET pull_cursor = ?1", [page.cursor])?;
        tx.commit()?;
        Ok(())
    }
}
