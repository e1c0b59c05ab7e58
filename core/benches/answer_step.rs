//! `FieldKit::answer_step` latency against a bare one-row INSERT transaction on a second
//! database with the same settings, in the same directory, calls alternated in one run.
//!
//! `cargo bench -p fieldkit-core --bench answer_step`
//!
//! Two phases, each with its own anchor: a device opened with `DeviceConfig::durability`
//! `Normal` (the default: survives the app being killed) against the bare insert under
//! `synchronous=NORMAL`, and one opened with `Full` (every commit survives power loss)
//! against the bare insert under `synchronous=FULL`. `answer_step` re-answers `work_done` /
//! `respect_home` on a visit in progress.
//!
//! A third phase measures encryption at rest: `answer_step` on a device whose database is
//! encrypted (SQLCipher, a raw 32-byte key) against the same call on a plain device, both
//! `Normal`, calls alternated in the same run.
//!
//! Environment: `FIELDKIT_BENCH_DIR` (where the databases go; default the temp dir),
//! `BENCH_WARMUP` (default 500), `BENCH_CALLS` (default 5000), `BENCH_SYNC` (`NORMAL`,
//! `FULL` or `ENCRYPTED` to run one phase only).

mod common;

use std::path::Path;

use fieldkit_core::api::Durability;
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::{DeviceConfig, FieldKit};
use rand::Rng;
use rusqlite::{Connection, TransactionBehavior};

use common::{Samples, bench_dir, env_count, print_machine, print_table};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let warmup = env_count("BENCH_WARMUP", 500);
    let calls = env_count("BENCH_CALLS", 5000);
    let dir = bench_dir();
    println!("# answer_step: FieldKit command vs bare one-row INSERT transaction");
    println!(
        "\n{warmup} warm-up calls then {calls} measured calls per side, alternated (A B, B A, …)."
    );

    let mut anchor = Anchor::open(&dir.path().join("anchor.db"))?;
    let mut rng = rand::rng();
    let only = std::env::var("BENCH_SYNC")
        .unwrap_or_default()
        .to_uppercase();
    for (sync, durability) in [("NORMAL", Durability::Normal), ("FULL", Durability::Full)] {
        if !only.is_empty() && only != sync {
            continue;
        }
        // A device whose every commit uses this synchronous setting, against the anchor
        // under the same setting.
        let config = DeviceConfig {
            durability,
            ..DeviceConfig::default()
        };
        let kit = FieldKit::open(dir.path().join(format!("kit-{sync}")), config)?;
        let id = visit_in_progress(&kit)?;
        anchor.set_synchronous(sync)?;
        let answers = [
            (
                "work_done",
                AnswerValue::Text("Replaced the drain pump".into()),
            ),
            ("respect_home", AnswerValue::Confirmed),
        ];
        // The anchor row's payload is as long as the outbox op of one (extra, untimed) answer.
        kit.answer_step(id, answers[0].0, &answers[0].1)?;
        let payload_len = kit
            .pending_ops(i64::MAX)?
            .last()
            .map_or(120, |op| op.payload.to_string().len());
        let mut op = Samples::new(format!("`answer_step` ({sync})"), calls);
        let mut bare = Samples::new(format!("bare INSERT txn ({sync})"), calls);
        for i in 0..warmup + calls {
            let (step, answer) = &answers[i % answers.len()];
            let run_op = |s: &mut Samples| -> Res<()> {
                s.time(|| kit.answer_step(id, step, answer))?;
                Ok(())
            };
            let mut run_anchor = |s: &mut Samples| -> Res<()> {
                let row = anchor.row(&mut rng, payload_len);
                s.time(|| anchor.insert(&row))?;
                Ok(())
            };
            let (mut o, mut b) = (Samples::default(), Samples::default());
            let (so, sb) = if i >= warmup {
                (&mut op, &mut bare)
            } else {
                (&mut o, &mut b)
            };
            if i % 2 == 0 {
                run_op(so)?;
                run_anchor(sb)?;
            } else {
                run_anchor(sb)?;
                run_op(so)?;
            }
        }
        print_table(
            &format!("synchronous={sync} — `answer_step` vs bare insert"),
            &op,
            &bare,
        );
        let ratio = op.summary().p99 as f64 / bare.summary().p99 as f64;
        println!(
            "\nTarget: `answer_step` p99 ≤ 2× the bare insert's p99 ({sync}). Measured {ratio:.2}× — {}.",
            if ratio <= 2.0 { "met" } else { "NOT met" }
        );
    }
    if only.is_empty() || only == "ENCRYPTED" {
        encryption_phase(dir.path(), warmup, calls)?;
    }
    print_machine(dir.path());
    Ok(())
}

/// `answer_step` on an encrypted device against the same call on a plain one (both
/// `Normal`), alternated call by call.
fn encryption_phase(dir: &Path, warmup: usize, calls: usize) -> Res<()> {
    let plain = FieldKit::open(dir.join("kit-plain"), DeviceConfig::default())?;
    let encrypted = FieldKit::open(
        dir.join("kit-encrypted"),
        DeviceConfig {
            database_key: Some(fieldkit_core::store::DatabaseKey::from_bytes(&[0x5a; 32])?),
            ..DeviceConfig::default()
        },
    )?;
    let (pid, eid) = (visit_in_progress(&plain)?, visit_in_progress(&encrypted)?);
    let answers = [
        (
            "work_done",
            AnswerValue::Text("Replaced the drain pump".into()),
        ),
        ("respect_home", AnswerValue::Confirmed),
    ];
    let mut on = Samples::new("`answer_step`, encrypted (NORMAL)".to_owned(), calls);
    let mut off = Samples::new("`answer_step`, plain (NORMAL)".to_owned(), calls);
    for i in 0..warmup + calls {
        let (step, answer) = &answers[i % answers.len()];
        let (mut o, mut f) = (Samples::default(), Samples::default());
        let (son, soff) = if i >= warmup {
            (&mut on, &mut off)
        } else {
            (&mut o, &mut f)
        };
        if i % 2 == 0 {
            son.time(|| encrypted.answer_step(eid, step, answer))?;
            soff.time(|| plain.answer_step(pid, step, answer))?;
        } else {
            soff.time(|| plain.answer_step(pid, step, answer))?;
            son.time(|| encrypted.answer_step(eid, step, answer))?;
        }
    }
    print_table(
        "encryption at rest — `answer_step` encrypted vs plain (NORMAL)",
        &on,
        &off,
    );
    let (a, b) = (on.summary(), off.summary());
    let p99 = a.p99 as f64 / b.p99 as f64;
    let p50 = a.p50 as f64 / b.p50 as f64;
    println!(
        "\nTarget: encrypted `answer_step` p99 ≤ 1.3× plain. Measured p99 {p99:.2}× (p50 {p50:.2}×) — {}.",
        if p99 <= 1.3 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// A paid repair visit walked with `demo::walk_repair_visit` up to `start_work`, so
/// `work_done` and `respect_home` can be answered again and again.
fn visit_in_progress(kit: &FieldKit) -> Res<WorkOrderId> {
    demo::stock_the_van(kit)?;
    let order = demo::repair_order(1, chrono::Utc::now(), Billing::Paid);
    let id = order.id;
    kit.receive_work_order(&order)?;
    const STOP: &str = "stopped at start_work";
    let walked = demo::walk_repair_visit(kit, id, &mut |step| match step {
        "start_work" => Err(fieldkit_core::Error::Io(std::io::Error::other(STOP))),
        _ => Ok(()),
    });
    match walked {
        Err(fieldkit_core::Error::Io(e)) if e.to_string() == STOP => Ok(id),
        Err(e) => Err(e.into()),
        Ok(_) => Err("the walk went past start_work".into()),
    }
}

/// The anchor: a second database with the writer's settings and one simple table.
struct Anchor {
    conn: Connection,
    seq: i64,
}

/// One anchor row.
struct Row {
    op_id: String,
    payload: String,
}

impl Anchor {
    fn open(path: &Path) -> Res<Anchor> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        assert!(
            mode.eq_ignore_ascii_case("wal"),
            "anchor journal mode {mode}"
        );
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "temp_store", 2)?;
        conn.execute_batch(
            "CREATE TABLE ops (
                seq      INTEGER PRIMARY KEY,
                op_id    TEXT NOT NULL,
                kind     TEXT NOT NULL,
                payload  TEXT NOT NULL,
                at       INTEGER NOT NULL
            ) STRICT;",
        )?;
        Ok(Anchor { conn, seq: 0 })
    }

    fn set_synchronous(&self, mode: &str) -> Res<()> {
        self.conn.pragma_update(None, "synchronous", mode)?;
        let now: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?;
        assert_eq!(now, if mode == "FULL" { 2 } else { 1 });
        Ok(())
    }

    /// A row whose payload is `payload_len` bytes, like FieldKit's outbox op (made outside the
    /// timed part).
    fn row(&mut self, rng: &mut impl Rng, payload_len: usize) -> Row {
        let op_id = format!("{:032x}", rng.random::<u128>());
        let mut payload = format!("{{\"step\":\"work_done\",\"n\":{},\"text\":\"", self.seq);
        while payload.len() + 2 < payload_len {
            payload.push(char::from(b'a' + rng.random_range(0..26u8)));
        }
        payload.push_str("\"}");
        Row { op_id, payload }
    }

    /// BEGIN IMMEDIATE; INSERT one row; COMMIT.
    fn insert(&mut self, row: &Row) -> rusqlite::Result<()> {
        self.seq += 1;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO ops (seq, op_id, kind, payload, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((self.seq, &row.op_id, "answer_step", &row.payload, self.seq))?;
        tx.commit()
    }
}
