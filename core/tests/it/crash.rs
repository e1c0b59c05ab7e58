// Over 700 lines: one file on purpose: the parent re-executes the test binary as the crash
// child, so the child's scripted visits and the parent's checks live in one file.
//! The crash test of "Done means": a child process records visits in a loop and prints every
//! acknowledged op; it is killed with SIGKILL at random moments, again and again on the same
//! data directory. After every kill the database must reopen, pass `PRAGMA integrity_check`,
//! and still hold every op the child acknowledged.
//!
//! # How it runs
//!
//! * [`sigkill_at_random_moments_loses_nothing`] (the parent) re-executes this test binary as
//!   the child: `<test exe> --exact crash::crash_child --nocapture --test-threads=1` with
//!   `FIELDKIT_CRASH_CHILD_DIR=<data dir>`. All rounds share one data directory, so every child
//!   reopens a database left behind by a kill, and the database grows as it would on a phone.
//! * Each round draws a kill point: after `START` (one round in eight: the kill lands while
//!   the database opens) or after 1..=40 ACK lines, and half the time a busy-spin of up to
//!   3 ms after that line, so kills also land inside calls (mid-transaction, mid-commit,
//!   mid-blob-write), not only right after a print. No sleeps. After the kill the parent
//!   drains the pipe (every complete line the child printed counts), reaps the child, and
//!   checks the database (see [`verify`]). At the end it collects orphan blobs and checks
//!   again.
//! * [`sigkill_while_creating_the_database_loses_nothing`] does the same on fresh directories,
//!   killing while the database is being created.
//! * [`sigkill_while_encrypting_a_plain_database_loses_nothing`] fills a plain database (a
//!   child without a key, killed mid-visit), then kills a child with a key while it encrypts
//!   that database at open: the encrypted database must hold every op of both.
//! * Every child but those plain ones opens the database encrypted (a test key), as the apps
//!   do.
//! * [`crash_child`] is the child. **Without `FIELDKIT_CRASH_CHILD_DIR` it returns at once**, so
//!   in an ordinary `cargo test` run it is a no-op that passes. With it, it opens the device
//!   database and records visits through the public API forever (until killed).
//!
//! # Protocol (the child's stdout, one line per event, flushed)
//!
//! * `START` — about to open the database.
//! * `OPENED` — the database is open (only for the statistics: kills before it landed while
//!   opening).
//! * `ACK <seq> <op_id>` — a call that appended ops returned `Ok`: the op `<seq>` (the call's
//!   last op) and every op before it are acknowledged. The op id is printed too so the parent
//!   checks that the acknowledged op itself survived, not merely some op with that number.
//! * `DONE <work order id>` — `complete` returned `Ok`: the job must read back as completed.
//! * `CLOSED <work order id>` — `cancel` returned `Ok`: the job must read back as cancelled.
//!
//! Any other line (the test harness's own output) is ignored, and so is a last line cut off
//! without its newline by the kill.
//!
//! # Environment
//!
//! * `FIELDKIT_CRASH_ROUNDS` — how many kills (default 200; e.g. 2000 for a long run).
//! * `FIELDKIT_CRASH_SEED` — replays the schedule of a run (the seed is printed at the start
//!   and in every failure). The schedule (kill points, the child's scenario order) is
//!   replayed exactly; where a kill lands in the child's instruction stream still depends on
//!   timing.
//! * The data directory is a temp dir (honours `TMPDIR`); it is kept, and its path printed,
//!   when the test fails.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fieldkit_core::api::{CallOutcome, SignatureInput};
use fieldkit_core::checklist::AnswerValue;
use fieldkit_core::clock::{Clock, SystemClock, from_millis, to_millis};
use fieldkit_core::model::{
    Billing, CallConfirmations, FindingKind, OpId, SignerRole, TimeWindow, WorkOrderId,
};
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};

use crate::common::encrypted_config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CHILD_DIR_ENV: &str = "FIELDKIT_CRASH_CHILD_DIR";
const CHILD_SEED_ENV: &str = "FIELDKIT_CRASH_CHILD_SEED";
/// Set to 1: the child opens the database without a key (plain).
const CHILD_PLAIN_ENV: &str = "FIELDKIT_CRASH_CHILD_PLAIN";
const ROUNDS_ENV: &str = "FIELDKIT_CRASH_ROUNDS";
const SEED_ENV: &str = "FIELDKIT_CRASH_SEED";
const DEFAULT_ROUNDS: usize = 200;
/// The most ACK lines read before a kill.
const MAX_ACKS_BEFORE_KILL: usize = 40;
/// The longest busy-spin between the trigger line and the kill.
const MAX_SPIN: Duration = Duration::from_millis(3);
/// The longest busy-spin after `START` when killing the creation of a fresh database.
const MAX_CREATE_SPIN: Duration = Duration::from_millis(50);
/// Every this many rounds (and after the last) every acknowledged job is read back, not only
/// those of the round.
const FULL_CHECK_EVERY: usize = 20;

// ==================================================================================== child

/// The child process of the crash test. A no-op (passes at once) unless
/// `FIELDKIT_CRASH_CHILD_DIR` is set, which only the parent test does.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let seed = std::env::var(CHILD_SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let plain = std::env::var(CHILD_PLAIN_ENV).is_ok_and(|v| v == "1");
    let e = child_main(Path::new(&dir), seed, plain).unwrap_err();
    // The parent sees the exit code (not a SIGKILL) and shows this.
    eprintln!("crash child: a call failed: {e} ({e:?})");
    std::process::exit(3);
}

/// [`crash_child`]'s name as the test harness lists it, for `--exact`: its module path in the
/// test binary without the crate's name (`crash::crash_child`).
fn child_test() -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::crash_child"),
        None => "crash_child".to_owned(),
    }
}

/// The child's stdout. Every line goes out in one write and is flushed before the next call,
/// so what the parent reads was printed after the call returned.
struct Out {
    stdout: std::io::Stdout,
    /// The last seq acknowledged by this process.
    last_ack: i64,
}

impl Out {
    fn line(&mut self, line: &str) {
        let mut lock = self.stdout.lock();
        let bytes = format!("{line}\n");
        if lock
            .write_all(bytes.as_bytes())
            .and_then(|()| lock.flush())
            .is_err()
        {
            // The parent is gone: stop rather than run on orphaned.
            std::process::exit(2);
        }
    }
}

/// Runs until killed; returns only the error of a call that failed.
fn child_main(
    dir: &Path,
    seed: u64,
    plain: bool,
) -> fieldkit_core::Result<std::convert::Infallible> {
    let mut out = Out {
        stdout: std::io::stdout(),
        last_ack: 0,
    };
    // The harness has printed "test crash::crash_child ... " without a newline: end that line
    // first.
    out.line("\nSTART");
    let config = if plain {
        DeviceConfig::default()
    } else {
        encrypted_config()
    };
    let kit = FieldKit::open(dir, config)?;
    out.line("OPENED");
    let pid = std::process::id();

    // Jobs a previous kill left half done are cancelled (reading what the kill left behind).
    for job in kit.todays_jobs()? {
        if !matches!(job.status, JobStatus::Completed | JobStatus::Cancelled) {
            kit.cancel(job.id, "crash test: the app was killed mid-visit")?;
            ack(&kit, &mut out, None)?;
            out.line(&format!("CLOSED {}", job.id));
        }
    }

    demo::stock_the_van(&kit)?;
    ack(&kit, &mut out, None)?;

    for i in 0u64.. {
        let n = u32::try_from(i % 100_000).unwrap_or(0);
        match seed.wrapping_add(i) % 3 {
            0 => {
                let billing = if (seed / 3).wrapping_add(i) % 2 == 0 {
                    Billing::Paid
                } else {
                    Billing::Warranty
                };
                let order = demo::repair_order(n, SystemClock.now(), billing);
                kit.receive_work_order(&order)?;
                let record = demo::walk_repair_visit(&kit, order.id, &mut |_step| {
                    ack(&kit, &mut out, None)
                })?;
                // The last progress ACK was the completion op itself.
                let last = max_seq(&kit)?;
                if record.seq != last {
                    return Err(fieldkit_core::Error::Invalid {
                        field: "completion seq",
                        reason: format!(
                            "complete returned seq {} but the outbox ends at {last}",
                            record.seq
                        ),
                    });
                }
                out.line(&format!("DONE {}", order.id));
            }
            1 => take_back_then_cancel(&kit, &mut out, n, &format!("{pid}-{i}"))?,
            _ => no_access_then_reschedule_then_cancel(&kit, &mut out, n)?,
        }
    }
    unreachable!("the loop above never ends")
}

/// A visit walked with individual calls: the unit is taken to the workshop (durable path:
/// `sign` and `take_back` commit with `synchronous=FULL`), stock moves, then the job is
/// cancelled.
fn take_back_then_cancel(
    kit: &FieldKit,
    out: &mut Out,
    n: u32,
    tag: &str,
) -> fieldkit_core::Result<()> {
    let order = demo::repair_order(n, SystemClock.now(), Billing::Warranty);
    let id = order.id;
    kit.receive_work_order(&order)?;
    kit.accept(id)?;
    ack(kit, out, None)?;
    // An unanswered call is recorded, nothing moves.
    kit.call_customer(id, &CallOutcome::default())?;
    ack(kit, out, None)?;
    kit.call_customer(
        id,
        &CallOutcome {
            reached: true,
            confirmed: CallConfirmations::all(),
            agreed: None,
            note: Some("gate code 1234".into()),
        },
    )?;
    ack(kit, out, None)?;
    let seq = kit.answer_step(id, "tools_parts_loaded", &AnswerValue::Confirmed)?;
    ack(kit, out, Some(seq))?;
    kit.start_travel(id)?;
    ack(kit, out, None)?;
    kit.arrive(id)?;
    ack(kit, out, None)?;
    let seq = kit.answer_step(id, "id_badge", &AnswerValue::Confirmed)?;
    ack(kit, out, Some(seq))?;
    let seq = kit.except_step(id, "shoe_covers", "the customer asked us not to")?;
    ack(kit, out, Some(seq))?;
    let seq = kit.answer_step(id, "warranty_proof", &AnswerValue::YesNo(true))?;
    ack(kit, out, Some(seq))?;
    let seq = kit.answer_step(id, "unit_intact", &AnswerValue::YesNo(false))?;
    ack(kit, out, Some(seq))?;
    let seq = kit.answer_step(
        id,
        "anomaly_description",
        &AnswerValue::Text("Dent on the top cover".into()),
    )?;
    ack(kit, out, Some(seq))?;
    let finding = kit.record_finding(id, FindingKind::ManMadeDamage, "Dent on the top cover")?;
    ack(kit, out, None)?;
    // A new blob every time: the file write, fsync and rename happen under the kills too.
    let photo = demo::fake_photo(&format!("dent {tag}"));
    kit.add_photo(id, Some("anomaly_photo"), &photo)?;
    ack(kit, out, None)?;
    kit.summary_for_signing(id)?;
    ack(kit, out, None)?;
    kit.sign(
        id,
        &SignatureInput {
            signer_name: "王女士".into(),
            role: SignerRole::Customer,
            strokes: demo::signature_strokes(3),
            step_id: Some("anomaly_signature".into()),
            finding: Some(finding.id),
        },
    )?;
    ack(kit, out, None)?;
    demo::take_back_with_evidence(kit, id)?;
    ack(kit, out, None)?;
    kit.issue_stock("PUMP-220", 1)?;
    ack(kit, out, None)?;
    kit.return_stock("PUMP-220", 1)?;
    ack(kit, out, None)?;
    kit.cancel(id, "the customer bought a new machine")?;
    ack(kit, out, None)?;
    out.line(&format!("CLOSED {id}"));
    Ok(())
}

/// Nobody home, a second visit planned and moved, then the job is cancelled.
fn no_access_then_reschedule_then_cancel(
    kit: &FieldKit,
    out: &mut Out,
    n: u32,
) -> fieldkit_core::Result<()> {
    let order = demo::repair_order(n, SystemClock.now(), Billing::Paid);
    let id = order.id;
    kit.receive_work_order(&order)?;
    let reached = CallOutcome {
        reached: true,
        confirmed: CallConfirmations::all(),
        agreed: None,
        note: None,
    };
    kit.accept(id)?;
    ack(kit, out, None)?;
    kit.call_customer(id, &reached)?;
    ack(kit, out, None)?;
    let seq = kit.answer_step(id, "tools_parts_loaded", &AnswerValue::Confirmed)?;
    ack(kit, out, Some(seq))?;
    kit.start_travel(id)?;
    ack(kit, out, None)?;
    kit.notify_delay(id, "flat tyre", order.promised.end)?;
    ack(kit, out, None)?;
    kit.arrive(id)?;
    ack(kit, out, None)?;
    kit.no_access(id, "nobody home, neighbour says back tomorrow")?;
    ack(kit, out, None)?;
    kit.call_customer(id, &reached)?;
    ack(kit, out, None)?;
    let day_ms = 24 * 60 * 60 * 1000;
    let tomorrow = TimeWindow {
        start: from_millis(to_millis(order.promised.start) + day_ms),
        end: from_millis(to_millis(order.promised.end) + day_ms),
    };
    kit.reschedule(id, tomorrow, "the customer asked for tomorrow")?;
    ack(kit, out, None)?;
    kit.cancel(id, "the customer fixed it themselves")?;
    ack(kit, out, None)?;
    out.line(&format!("CLOSED {id}"));
    Ok(())
}

/// Prints `ACK <seq> <op_id>` for `seq`, or for the newest op when `None` (the child is the
/// only writer and single-threaded, so right after a call returns the newest op is its last).
/// Every call acknowledged here appends at least one op: a seq that did not move means a call
/// returned `Ok` without writing, and fails the child.
fn ack(kit: &FieldKit, out: &mut Out, seq: Option<i64>) -> fieldkit_core::Result<()> {
    let seq = match seq {
        Some(s) => s,
        None => max_seq(kit)?,
    };
    if seq <= out.last_ack {
        return Err(fieldkit_core::Error::Invalid {
            field: "outbox",
            reason: format!(
                "a call returned Ok but its op is seq {seq}, not after the last one ({})",
                out.last_ack
            ),
        });
    }
    out.last_ack = seq;
    let op_id: String = kit.store().read(|c| {
        Ok(
            c.query_row("SELECT op_id FROM journal WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })?,
        )
    })?;
    out.line(&format!("ACK {seq} {op_id}"));
    Ok(())
}

fn max_seq(kit: &FieldKit) -> fieldkit_core::Result<i64> {
    kit.store().read(|c| {
        Ok(
            c.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
                r.get(0)
            })?,
        )
    })
}

// =================================================================================== parent

/// Where, relative to the child's output, one round's kill lands.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Seeds the child's scenario order.
    child_seed: u64,
    /// Kill after this many ACK lines; 0 kills right after `START`, i.e. while it opens the
    /// database (and, on the first round, creates it).
    acks: usize,
    /// Busy-spin this long after the trigger line before killing (so the kill lands inside a
    /// call, not only right after a print).
    spin: Option<Duration>,
    /// The child opens the database without a key.
    plain: bool,
}

impl Plan {
    fn draw(rng: &mut StdRng) -> Plan {
        Plan {
            child_seed: rng.random(),
            // One round in eight kills while the database opens (WAL recovery of the last
            // kill's leftovers, or its creation); the others after 1..=40 ACKs.
            acks: if rng.random_bool(1.0 / 8.0) {
                0
            } else {
                rng.random_range(1..=MAX_ACKS_BEFORE_KILL)
            },
            spin: rng
                .random_bool(0.5)
                .then(|| Duration::from_micros(rng.random_range(0..=MAX_SPIN.as_micros() as u64))),
            plain: false,
        }
    }
}

/// What the child printed in one round.
#[derive(Default)]
struct Printed {
    /// The child said it had opened the database.
    opened: bool,
    acks: Vec<(i64, String)>,
    done: Vec<WorkOrderId>,
    closed: Vec<WorkOrderId>,
    /// ACK lines read before the kill was sent (the rest were drained after it).
    acks_before_kill: usize,
}

/// Everything acknowledged so far, across rounds, and what the parent has verified.
#[derive(Default)]
struct Ledger {
    /// seq → op id of every acknowledged op.
    acked: HashMap<i64, String>,
    total_acks: usize,
    done: Vec<WorkOrderId>,
    closed: Vec<WorkOrderId>,
    /// The op ids of the outbox as last verified, by seq - 1: an op never changes or vanishes.
    seen: Vec<OpId>,
    device: Option<String>,
    /// Blobs of ops up to this seq were checked.
    blobs_checked: i64,
    /// How many of `done` and `closed` were checked.
    jobs_checked: (usize, usize),
    /// `done[chain_checked..]` have not been considered for a `verify` yet.
    chain_checked: usize,
    /// How many completed jobs were verified (timeline chain and signatures).
    chains_verified: usize,
}

/// A child that is killed (and reaped) if the parent panics before it does.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Default)]
struct Timings {
    spawn_to_start: Duration,
    rounds_with_start: u32,
    child: Duration,
    verify: Duration,
    killed_before_first_ack: usize,
    killed_while_opening: usize,
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let (rounds, seed) = settings();
    println!("crash test: {rounds} rounds, seed {seed} (replay with {SEED_ENV}={seed})");

    let mut rng = StdRng::seed_from_u64(seed);
    let tmp = tempfile::Builder::new()
        .prefix("fieldkit-crash-")
        .tempdir()
        .expect("temp dir");
    let dir = tmp.path().join("device");
    let exe = std::env::current_exe().expect("test executable");
    let mut ledger = Ledger::default();
    let mut timings = Timings::default();
    let started = Instant::now();

    for round in 0..rounds {
        let plan = Plan::draw(&mut rng);
        let result = run_round(&exe, &dir, tmp.path(), plan, &mut timings).and_then(|printed| {
            record(&mut ledger, printed)?;
            let t = Instant::now();
            let full = round % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1 || round + 1 == rounds;
            let r = verify(&dir, &mut ledger, full);
            timings.verify += t.elapsed();
            r
        });
        if let Err(problem) = result {
            let kept = tmp.keep();
            panic!(
                "crash test failed in round {round} of {rounds} ({plan:?}): {problem}\n\
                 seed {seed} (replay with {SEED_ENV}={seed}); data kept in {}",
                kept.display()
            );
        }
    }

    // Kills during an ingest leave temp files: collecting orphans removes them and nothing a
    // record refers to (every blob is checked again afterwards).
    let leftovers = std::fs::read_dir(dir.join("blobs").join("tmp")).map_or(0, Iterator::count);
    let collected = FieldKit::open(&dir, encrypted_config())
        .and_then(|kit| kit.collect_orphans())
        .unwrap_or_else(|e| panic!("collecting orphans: {e} (seed {seed})"));
    ledger.blobs_checked = 0;
    if let Err(problem) = verify(&dir, &mut ledger, true) {
        let kept = tmp.keep();
        panic!(
            "after collecting orphans: {problem}\nseed {seed} (replay with {SEED_ENV}={seed}); \
             data kept in {}",
            kept.display()
        );
    }

    let elapsed = started.elapsed();
    let max_seq = ledger.seen.len();
    println!(
        "crash test: {leftovers} interrupted blob writes left in blobs/tmp; collect_orphans \
         removed {collected} files"
    );
    println!(
        "crash test: {rounds} rounds (SIGKILLs), {} acks ({} distinct ops acknowledged), \
         max seq {max_seq}, {} jobs completed ({} re-verified), {} cancelled, {} kills before the first ACK \
         ({} before the database was open), {:.1?} elapsed (children {:.1?}, spawn→START {:.1?} avg, verify {:.1?})",
        ledger.total_acks,
        ledger.acked.len(),
        ledger.done.len(),
        ledger.chains_verified,
        ledger.closed.len(),
        timings.killed_before_first_ack,
        timings.killed_while_opening,
        elapsed,
        timings.child,
        timings.spawn_to_start / timings.rounds_with_start.max(1),
        timings.verify,
    );
}

/// Kills the child while it creates a fresh database (each round in a new directory): the
/// first open on a phone is as exposed as any other. Opening it again must work and must not
/// take the half-made file for a corrupt one.
#[test]
fn sigkill_while_creating_the_database_loses_nothing() {
    let (rounds, seed) = settings();
    let rounds = rounds.div_ceil(10).max(10);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0c4e_a7e5);
    let tmp = tempfile::Builder::new()
        .prefix("fieldkit-crash-create-")
        .tempdir()
        .expect("temp dir");
    let exe = std::env::current_exe().expect("test executable");
    let mut timings = Timings::default();
    let mut acks = 0;
    let started = Instant::now();
    for round in 0..rounds {
        let dir = tmp.path().join(format!("device-{round}"));
        // Creating the database takes some tens of ms in a debug build (its fsyncs): spread
        // the kills over it and a little past.
        let plan = Plan {
            child_seed: rng.random(),
            acks: 0,
            spin: Some(Duration::from_micros(
                rng.random_range(0..=MAX_CREATE_SPIN.as_micros() as u64),
            )),
            plain: false,
        };
        let mut ledger = Ledger::default();
        let result = run_round(&exe, &dir, tmp.path(), plan, &mut timings).and_then(|printed| {
            acks += printed.acks.len();
            record(&mut ledger, printed)?;
            verify(&dir, &mut ledger, true)
        });
        if let Err(problem) = result {
            let kept = tmp.keep();
            panic!(
                "crash test (creation) failed in round {round} of {rounds} ({plan:?}): {problem}\n\
                 seed {seed} (replay with {SEED_ENV}={seed}); data kept in {}",
                kept.display()
            );
        }
    }
    println!(
        "crash test (creation): {rounds} fresh databases killed, {} before they were open, \
         {acks} acks, {:.1?} elapsed",
        timings.killed_while_opening,
        started.elapsed()
    );
}

/// Fills a plain database (a child without a key, killed after some ACKs, its last commits
/// maybe still in the write-ahead log), then kills a child with a key while it opens it, that
/// is while it encrypts it (each round in a new directory). The encrypted database must hold
/// every op both children acknowledged, and no plain file may remain.
#[test]
fn sigkill_while_encrypting_a_plain_database_loses_nothing() {
    let (rounds, seed) = settings();
    let rounds = rounds.div_ceil(10).max(10);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5e_a1ed);
    let tmp = tempfile::Builder::new()
        .prefix("fieldkit-crash-encrypt-")
        .tempdir()
        .expect("temp dir");
    let exe = std::env::current_exe().expect("test executable");
    let mut timings = Timings::default();
    let started = Instant::now();
    let mut plain_acks = 0;
    let (mut mid_copy, mut still_plain) = (0, 0);
    for round in 0..rounds {
        let dir = tmp.path().join(format!("device-{round}"));
        let fill = Plan {
            child_seed: rng.random(),
            acks: rng.random_range(1..=MAX_ACKS_BEFORE_KILL),
            spin: None,
            plain: true,
        };
        let encrypt = Plan {
            child_seed: rng.random(),
            acks: 0,
            // Encrypting a filled database in a debug build takes longer than creating one:
            // spread the kills over it and past the swap.
            spin: Some(Duration::from_micros(
                rng.random_range(0..=3 * MAX_CREATE_SPIN.as_micros() as u64),
            )),
            plain: false,
        };
        let mut ledger = Ledger::default();
        let result = run_round(&exe, &dir, tmp.path(), fill, &mut timings)
            .and_then(|printed| {
                plain_acks += printed.acks.len();
                record(&mut ledger, printed)
            })
            .and_then(|()| run_round(&exe, &dir, tmp.path(), encrypt, &mut timings))
            .and_then(|printed| {
                // Where the kill landed: mid-copy (a half-written encrypted copy beside the
                // plain file), before the swap (still plain), or after it.
                if dir.join("fieldkit.db.encrypting").exists() {
                    mid_copy += 1;
                } else if std::fs::read(dir.join("fieldkit.db"))
                    .is_ok_and(|b| b.starts_with(b"SQLite format 3\0"))
                {
                    still_plain += 1;
                }
                record(&mut ledger, printed)
            })
            .and_then(|()| verify(&dir, &mut ledger, true))
            .and_then(|()| {
                let head = std::fs::read(dir.join("fieldkit.db")).map_err(|e| e.to_string())?;
                if head.starts_with(b"SQLite format 3\0") {
                    return Err("the database is still plain".into());
                }
                Ok(())
            });
        if let Err(problem) = result {
            let kept = tmp.keep();
            panic!(
                "crash test (encryption) failed in round {round} of {rounds}: {problem}\n\
                 seed {seed} (replay with {SEED_ENV}={seed}); data kept in {}",
                kept.display()
            );
        }
    }
    println!(
        "crash test (encryption): {rounds} plain databases ({plain_acks} acks) killed while \
         being encrypted: {} before they were open ({mid_copy} with the encrypted copy half \
         written, {still_plain} more before the swap), {:.1?} elapsed",
        timings.killed_while_opening,
        started.elapsed()
    );
}

/// The number of rounds and the seed of this run, from the environment.
fn settings() -> (usize, u64) {
    let rounds = std::env::var(ROUNDS_ENV)
        .ok()
        .map(|s| {
            s.parse::<usize>()
                .unwrap_or_else(|_| panic!("{ROUNDS_ENV}={s} is not a number"))
        })
        .unwrap_or(DEFAULT_ROUNDS);
    let seed = std::env::var(SEED_ENV)
        .ok()
        .map(|s| {
            s.parse::<u64>()
                .unwrap_or_else(|_| panic!("{SEED_ENV}={s} is not a u64"))
        })
        .unwrap_or_else(|| rand::rng().random());
    (rounds, seed)
}

/// Spawns the child, kills it at the planned moment, drains what it printed, reaps it.
fn run_round(
    exe: &Path,
    dir: &Path,
    tmp: &Path,
    plan: Plan,
    timings: &mut Timings,
) -> Result<Printed, String> {
    let stderr_path = tmp.join("child-stderr.txt");
    let stderr = File::create(&stderr_path).map_err(|e| format!("child stderr file: {e}"))?;
    let t0 = Instant::now();
    let mut guard = ChildGuard(Some(
        Command::new(exe)
            .args([
                "--exact",
                child_test().as_str(),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR_ENV, dir)
            .env(CHILD_SEED_ENV, plan.child_seed.to_string())
            .env(CHILD_PLAIN_ENV, if plan.plain { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| format!("spawning the child: {e}"))?,
    ));
    let child = guard.0.as_mut().expect("child");
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut printed = Printed::default();
    let mut killed = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading the child's stdout: {e}"))?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            // Cut off by the kill: not acknowledged.
            break;
        }
        let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
        let trigger = parse_line(&text, &mut printed)?;
        if trigger == Some(Event::Start) {
            timings.spawn_to_start += t0.elapsed();
            timings.rounds_with_start += 1;
        }
        let due = !killed
            && match trigger {
                Some(Event::Start) => plan.acks == 0,
                Some(Event::Ack) => printed.acks.len() >= plan.acks,
                _ => false,
            };
        if due {
            if let Some(spin) = plan.spin {
                let t = Instant::now();
                while t.elapsed() < spin {
                    std::hint::spin_loop();
                }
            }
            child
                .kill()
                .map_err(|e| format!("killing the child: {e}"))?;
            killed = true;
            printed.acks_before_kill = printed.acks.len();
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the child: {e}"))?;
    timings.child += t0.elapsed();
    guard.0 = None;
    if !killed || !was_sigkilled(status) {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        return Err(format!(
            "the child ended by itself ({status}) after {} ACKs, before the kill; its stderr:\n{stderr}",
            printed.acks.len()
        ));
    }
    if printed.acks_before_kill == 0 {
        timings.killed_before_first_ack += 1;
    }
    if !printed.opened {
        timings.killed_while_opening += 1;
    }
    Ok(printed)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Event {
    Start,
    Ack,
}

/// Reads one complete line of the protocol.
fn parse_line(text: &str, printed: &mut Printed) -> Result<Option<Event>, String> {
    let bad = || format!("malformed line from the child: {text:?}");
    let mut words = text.split_whitespace();
    match words.next() {
        Some("START") => Ok(Some(Event::Start)),
        Some("OPENED") => {
            printed.opened = true;
            Ok(None)
        }
        Some("ACK") => {
            let seq = words.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            let op = words.next().ok_or_else(bad)?.to_owned();
            printed.acks.push((seq, op));
            Ok(Some(Event::Ack))
        }
        Some(tag @ ("DONE" | "CLOSED")) => {
            let id = words.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            if tag == "DONE" {
                printed.done.push(id);
            } else {
                printed.closed.push(id);
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Adds a round's acknowledgements to the ledger. A seq acknowledged again must name the same
/// op: a different one means an acknowledged op was lost and its number reused.
fn record(ledger: &mut Ledger, printed: Printed) -> Result<(), String> {
    ledger.total_acks += printed.acks.len();
    for (seq, op) in printed.acks {
        if let Some(was) = ledger.acked.get(&seq).filter(|was| **was != op) {
            return Err(format!(
                "seq {seq} was acknowledged as op {was} and now again as op {op}"
            ));
        }
        ledger.acked.insert(seq, op);
    }
    ledger.done.extend(printed.done);
    ledger.closed.extend(printed.closed);
    Ok(())
}

#[cfg(unix)]
fn was_sigkilled(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

#[cfg(not(unix))]
fn was_sigkilled(status: ExitStatus) -> bool {
    !status.success()
}

/// Opens the database the kill left behind and checks that:
/// * it opens, is not taken for corrupt (moved aside), and keeps its device id;
/// * `PRAGMA integrity_check` finds nothing;
/// * the outbox holds exactly seqs 1..=max, with unique op ids, and every op seen by an
///   earlier check is still there unchanged;
/// * every acknowledged op is there under its seq, with the op id the child printed;
/// * acknowledged completions read back completed and cancellations cancelled (those of this
///   round; a `full` check rereads all of them);
/// * on a `full` check, the oldest job completed since the last one still passes
///   [`FieldKit::verify`] (timeline hash chain and signatures);
/// * the files of new photo and signature ops are there.
fn verify(dir: &Path, ledger: &mut Ledger, full: bool) -> Result<(), String> {
    let kit = FieldKit::open(dir, encrypted_config())
        .map_err(|e| format!("reopening after the kill failed: {e} ({e:?})"))?;
    if let Some(aside) = kit.recovered_from() {
        return Err(format!(
            "reopening after the kill found the database unreadable and moved it to {}",
            aside.display()
        ));
    }
    let device = kit.device_id().to_string();
    match &ledger.device {
        Some(d) if *d != device => {
            return Err(format!("the device id changed from {d} to {device}"));
        }
        Some(_) => {}
        None => ledger.device = Some(device),
    }

    let problems = kit
        .store()
        .integrity_check()
        .map_err(|e| format!("integrity_check failed to run: {e}"))?;
    if !problems.is_empty() {
        return Err(format!("PRAGMA integrity_check: {problems:?}"));
    }

    let ops = kit
        .pending_ops(i64::MAX)
        .map_err(|e| format!("reading the outbox: {e}"))?;
    // Gapless from 1, no duplicates.
    for (i, op) in ops.iter().enumerate() {
        let expected = i as i64 + 1;
        if op.seq != expected {
            return Err(format!(
                "the outbox is not 1..=max: position {i} holds seq {} (expected {expected})",
                op.seq
            ));
        }
    }
    let mut ids = HashSet::with_capacity(ops.len());
    if let Some(dup) = ops.iter().find(|op| !ids.insert(op.op_id)) {
        return Err(format!("op id {} appears twice in the outbox", dup.op_id));
    }
    // What was there before is still there, unchanged.
    if ops.len() < ledger.seen.len() {
        return Err(format!(
            "the outbox shrank from {} to {} ops",
            ledger.seen.len(),
            ops.len()
        ));
    }
    if let Some((i, was)) = ledger
        .seen
        .iter()
        .enumerate()
        .find(|&(i, was)| *was != ops[i].op_id)
    {
        return Err(format!(
            "op seq {} changed from {was} to {}",
            i + 1,
            ops[i].op_id
        ));
    }
    // Every acknowledged op is there, under its number.
    let mut missing: Vec<(i64, &String)> = ledger
        .acked
        .iter()
        .filter(|&(&seq, op)| {
            usize::try_from(seq - 1)
                .ok()
                .and_then(|i| ops.get(i))
                .is_none_or(|o| o.op_id.to_string() != **op)
        })
        .map(|(&s, op)| (s, op))
        .collect();
    if !missing.is_empty() {
        missing.sort();
        return Err(format!(
            "{} acknowledged ops are missing (outbox ends at seq {}): {:?}",
            missing.len(),
            ops.len(),
            &missing[..missing.len().min(20)]
        ));
    }
    ledger.seen = ops.iter().map(|op| op.op_id).collect();

    // Every acknowledged completion and cancellation reads back: those of this round, and
    // on a full check all of them.
    let (done_from, closed_from) = if full { (0, 0) } else { ledger.jobs_checked };
    for (ids, want) in [
        (&ledger.done[done_from..], JobStatus::Completed),
        (&ledger.closed[closed_from..], JobStatus::Cancelled),
    ] {
        for id in ids {
            let status = kit
                .job(*id)
                .map_err(|e| format!("reading acknowledged job {id}: {e}"))?
                .status;
            if status != want {
                return Err(format!(
                    "job {id} was acknowledged {} but reads back {}",
                    want.as_str(),
                    status.as_str()
                ));
            }
        }
    }

    ledger.jobs_checked = (ledger.done.len(), ledger.closed.len());

    // A completed job's timeline and signatures verified when it completed (`complete`
    // requires it) and must still verify after any number of kills and reopens. One job per
    // full check, the oldest completed since the last one: `verify` re-renders every
    // signature, the costliest read there is.
    if full && let Some(id) = ledger.done.get(ledger.chain_checked).copied() {
        let v = kit
            .verify(id)
            .map_err(|e| format!("verifying completed job {id}: {e}"))?;
        if !v.ok() {
            return Err(format!(
                "completed job {id} no longer verifies after the kills: {v:?}"
            ));
        }
        ledger.chain_checked = ledger.done.len();
        ledger.chains_verified += 1;
    }

    // The files of new photos and signatures are there.
    for op in ops.iter().filter(|op| op.seq > ledger.blobs_checked) {
        let field = match op.kind.as_str() {
            "add_photo" => "sha256",
            "sign" => "image_sha256",
            _ => continue,
        };
        let sha = op.payload[field]
            .as_str()
            .ok_or_else(|| format!("op {} ({}) has no {field} in its payload", op.seq, op.kind))?;
        let bytes = kit
            .attachment_bytes(sha)
            .map_err(|e| format!("the blob of op {} ({}) is unreadable: {e}", op.seq, op.kind))?;
        if bytes.is_empty() {
            return Err(format!("the blob of op {} ({}) is empty", op.seq, op.kind));
        }
    }
    ledger.blobs_checked = ops.len() as i64;
    Ok(())
}
