//! `FieldKit::todays_jobs` with two years of history (10,000 past jobs, nearly all closed)
//! and a normal day ahead (8 jobs), against the bare SQL query on the same database file.
//!
//! `cargo bench -p fieldkit-core --bench todays_jobs`
//!
//! History is written through the API with a manual clock moved to each job's time: one in
//! ten past jobs is walked through a whole paid repair visit (`demo::walk_repair_visit`),
//! the others are cancelled from `assigned`, and a few are left open (they carry over into
//! today's list, as overdue work should). Then the two sides are called alternately.
//!
//! Environment: `FIELDKIT_BENCH_DIR` (where the database goes; default the temp dir),
//! `BENCH_PAST_JOBS` (default 10000), `BENCH_WALKED_EVERY` (one past job in N is walked to
//! completion; default 10), `BENCH_WARMUP` (default 500), `BENCH_CALLS` (default 5000).

mod common;

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, FixedOffset, TimeZone, Utc};
use fieldkit_core::api::CallOutcome;
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::{DeviceConfig, FieldKit};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use common::{Samples, bench_dir, env_count, print_machine, print_table};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Past jobs left open on purpose (never accepted, or accepted and never called).
const LEFT_OPEN: usize = 4;
/// Jobs promised today.
const TODAY: u32 = 8;

fn main() -> Res<()> {
    let past_jobs = env_count("BENCH_PAST_JOBS", 10_000);
    let walked_every = env_count("BENCH_WALKED_EVERY", 10).max(1);
    let warmup = env_count("BENCH_WARMUP", 500);
    let calls = env_count("BENCH_CALLS", 5000);
    let dir = bench_dir();
    println!("# todays_jobs: FieldKit list vs bare SQL query, same database");

    let config = DeviceConfig::default();
    let offset = FixedOffset::east_opt(config.utc_offset_minutes * 60).ok_or("bad offset")?;
    // Today in the technician's zone, and its bounds in UTC.
    let now = Utc::now();
    let today = now.with_timezone(&offset).date_naive();
    let day_start = offset
        .from_local_datetime(&today.and_time(chrono::NaiveTime::MIN))
        .single()
        .ok_or("bad local midnight")?
        .to_utc();
    let day_end = day_start + Duration::days(1);

    let clock = Arc::new(ManualClock::new(day_start - Duration::days(731)));
    let kit = FieldKit::open_with_clock(dir.path().join("kit"), config, clock.clone())?;
    demo::stock_the_van(&kit)?;
    kit.issue_stock("PUMP-220", 10_000)?;

    // --- History: past_jobs jobs over the 730 days before today, in time order.
    let started = Instant::now();
    let (mut walked, mut cancelled, mut open) = (0usize, 0usize, 0usize);
    for i in 0..past_jobs {
        let days_back = 730 - (i * 730 / past_jobs.max(1)) as i64; // 730 … 1
        let slot = (i % 9) as i64; // 09:00 … 17:00 local
        let t = day_start - Duration::days(days_back) + Duration::hours(9 + slot - 1);
        clock.set(t);
        let billing = if i % 2 == 0 {
            Billing::Paid
        } else {
            Billing::Warranty
        };
        let mut order = demo::repair_order(i as u32, t, billing);
        order.number = format!("WO-PAST-{i:05}");
        kit.receive_work_order(&order)?;
        if i % 1000 == 500 && open < LEFT_OPEN {
            // Overdue work that stayed open: never accepted, or accepted and never called.
            if open % 2 == 1 {
                kit.accept(order.id)?;
            }
            open += 1;
        } else if i % walked_every == 0 {
            walk_paid_visit(&kit, &clock, order.id)?;
            walked += 1;
        } else {
            kit.cancel(order.id, "customer called it off")?;
            cancelled += 1;
        }
    }
    // --- Today: 8 jobs, two done already, one confirmed, the rest as dispatched.
    let mut today_ids = Vec::new();
    for k in 0..TODAY {
        let t = day_start + Duration::hours(8 + i64::from(k)); // 08:00 … 15:00 local
        clock.set(t);
        let mut order = demo::repair_order(90_000 + k, t, Billing::Paid);
        order.number = format!("WO-TODAY-{k:02}");
        kit.receive_work_order(&order)?;
        today_ids.push(order.id);
    }
    clock.set(day_start + Duration::hours(7));
    for &id in &today_ids[..2] {
        walk_paid_visit(&kit, &clock, id)?;
    }
    kit.accept(today_ids[2])?;
    kit.call_customer(today_ids[2], &reached())?;
    clock.set(now);
    let setup = started.elapsed();

    // --- The anchor: a plain connection on the same file, the bare query, every column read.
    let db = kit.store().path().to_owned();
    let anchor = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (from_ms, to_ms) = (day_start.timestamp_millis(), day_end.timestamp_millis() - 1);
    let bare_query = || -> rusqlite::Result<Vec<Vec<Value>>> {
        let mut stmt = anchor
            .prepare_cached("SELECT * FROM work_orders WHERE promised_start BETWEEN ?1 AND ?2")?;
        let n = stmt.column_count();
        let rows = stmt.query_map((from_ms, to_ms), |r| {
            (0..n).map(|i| r.get::<_, Value>(i)).collect()
        })?;
        rows.collect()
    };

    let listed = kit.todays_jobs()?.len();
    let bare_rows = bare_query()?.len();
    let counts: Vec<(String, i64)> = ["work_orders", "visits", "journal"]
        .iter()
        .map(|t| {
            let n = anchor.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            Ok((t.to_string(), n))
        })
        .collect::<rusqlite::Result<_>>()?;
    let db_mb = std::fs::metadata(&db)?.len() as f64 / 1e6;
    println!(
        "\nHistory: {past_jobs} past jobs over 730 days ({walked} walked to completion, {cancelled} \
         cancelled, {open} left open) + {TODAY} today; written in {:.1} s. Database {db_mb:.1} MB: {}.",
        setup.as_secs_f64(),
        counts
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "`todays_jobs` lists {listed} jobs ({TODAY} today + {open} carried over); the bare query \
         returns {bare_rows} rows."
    );
    assert_eq!(listed, TODAY as usize + open, "today's list");
    assert_eq!(bare_rows, TODAY as usize, "bare query rows");
    println!(
        "\n{warmup} warm-up calls then {calls} measured calls per side, alternated (A B, B A, …)."
    );

    let mut op = Samples::new("`todays_jobs`", calls);
    let mut bare = Samples::new("bare `SELECT * … BETWEEN`", calls);
    for i in 0..warmup + calls {
        let (mut o, mut b) = (Samples::default(), Samples::default());
        let (so, sb) = if i >= warmup {
            (&mut op, &mut bare)
        } else {
            (&mut o, &mut b)
        };
        if i % 2 == 0 {
            std::hint::black_box(so.time(|| kit.todays_jobs())?);
            std::hint::black_box(sb.time(bare_query)?);
        } else {
            std::hint::black_box(sb.time(bare_query)?);
            std::hint::black_box(so.time(|| kit.todays_jobs())?);
        }
    }
    print_table(
        &format!("`todays_jobs` with {past_jobs} past jobs vs bare query"),
        &op,
        &bare,
    );
    let p99 = op.summary().p99;
    println!(
        "\nTarget: `todays_jobs` < 5 ms. p99 {} — {}.",
        common::fmt_ns(p99),
        if p99 < 5_000_000 { "met" } else { "NOT met" }
    );
    print_machine(dir.path());
    Ok(())
}

fn reached() -> CallOutcome {
    CallOutcome {
        reached: true,
        confirmed: CallConfirmations::all(),
        agreed: None,
        note: None,
    }
}

/// The demo's paid repair visit, the clock moving two minutes per step.
fn walk_paid_visit(kit: &FieldKit, clock: &ManualClock, id: WorkOrderId) -> Res<()> {
    demo::walk_repair_visit(kit, id, &mut |_| {
        clock.advance(Duration::minutes(2));
        Ok(())
    })?;
    Ok(())
}
