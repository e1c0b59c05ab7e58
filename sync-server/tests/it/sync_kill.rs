//! The sync kill test of "Done means": a device process is killed with SIGKILL at random
//! points of its syncs — while it commits locally, while a push is on its way, after the
//! server committed a push but before the device heard of it, while it records the
//! acknowledgement and purges its outbox, during a blob upload — at least 200 times, on the
//! same device database, against the real server (SQLite) on 127.0.0.1. Afterwards (and after
//! every single kill): 0 ops lost, 0 duplicated on the server.
//!
//! # How it runs
//!
//! * The parent ([`sigkill_during_sync_loses_and_doubles_nothing`]) starts the server and a
//!   proxy ([`crate::common::proxy`]) in front of it that loses nothing but holds every answer a few ms (so
//!   kills land while an answer is on its way) and reports what passes through it. It enrols
//!   the device through the proxy, then runs the rounds. Before each round the desk creates a
//!   job for the technician.
//! * Each round re-executes this test binary as the child: `<test exe> --exact
//!   sync_kill::sync_kill_child --nocapture --test-threads=1` with
//!   `FIELDKIT_SYNC_KILL_CHILD_DIR=<device dir>`. The child ([`sync_kill_child`]; **a no-op without that variable**) opens the
//!   device database, syncs, and walks repair visits (with a new photo each) through the
//!   public API, syncing after a random quarter of the steps (push batches of 4, upload
//!   chunks of 512 bytes), forever.
//! * The parent draws a kill point per round from a seeded RNG ([`Trigger`]): after the n-th
//!   local commit or sync start plus a random delay, or at the moment the proxy receives the
//!   n-th push, holds the server's answer to it, hands that answer to the device (plus a
//!   delay of up to 1.5 ms: the acknowledgement transaction), after the n-th acknowledged
//!   batch, at the n-th blob chunk, or while the database opens. Where each kill landed is
//!   classified from the proxy's counters at that instant and printed.
//! * After each kill, once the proxy has finished with the dead child's requests, the parent
//!   reopens the device database and checks it and the server's database (see [`verify`]).
//!   After the last round it syncs once more, cleanly, and checks that the server holds
//!   exactly the device's journal, every file intact, every completed job's completion
//!   unflagged.
//!
//! # Protocol (the child's stdout, one line per event, flushed)
//!
//! * `START`, `OPENED` — about to open the database; opened.
//! * `COMMIT <seq> <op_id>` — a local call that wrote op `<seq>` returned `Ok` (the journal
//!   must keep it forever).
//! * `SYNC` — a sync starts; `PROGRESS <phase> <done> <total>` — its progress callback;
//!   `SYNCED <acked_seq>` — it returned `Ok` and the device's outbox now starts after
//!   `<acked_seq>` (the server must hold every op up to there); `SYNCERR` — it failed.
//! * `DONE <work order id>` — a visit was completed.
//!
//! # Environment
//!
//! * `FIELDKIT_SYNC_KILL_ROUNDS` — how many kills (default 200; e.g. 2000 for a long run).
//! * `FIELDKIT_SYNC_KILL_SEED` — replays a run's schedule (printed at the start and in every
//!   failure): the kill points, the child's choices and the proxy's delays. Where exactly a
//!   kill lands still depends on timing.
//! * The data directory is a temp dir; it is kept, and its path printed, when the test fails.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::proxy::{Counts, Faults, Proxy, ProxyEvent, Route};
use crate::common::{Backend, TestServer, server};
use chrono::Utc;
use fieldkit_core::model::{Billing, WorkOrderId};
use fieldkit_core::sync::client::{SyncOptions, SyncPhase, SyncProgress};
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sha2::{Digest, Sha256};

const CHILD_DIR_ENV: &str = "FIELDKIT_SYNC_KILL_CHILD_DIR";
const CHILD_SEED_ENV: &str = "FIELDKIT_SYNC_KILL_CHILD_SEED";
const ROUNDS_ENV: &str = "FIELDKIT_SYNC_KILL_ROUNDS";
const SEED_ENV: &str = "FIELDKIT_SYNC_KILL_SEED";
const DEFAULT_ROUNDS: usize = 200;
/// A round whose kill point never came is killed after this long (counted, and few).
const ROUND_DEADLINE: Duration = Duration::from_secs(10);

/// The child's sync settings: small batches and chunks, so one sync is many requests.
fn options() -> SyncOptions {
    SyncOptions {
        max_attempts: 20,
        first_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        request_timeout: Duration::from_secs(20),
        push_batch: 4,
        pull_limit: 10,
        chunk_bytes: 512,
        ..SyncOptions::default()
    }
}

// ==================================================================================== child

/// The child process of the kill test. A no-op (passes at once) unless
/// `FIELDKIT_SYNC_KILL_CHILD_DIR` is set, which only the parent test does.
#[test]
fn sync_kill_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let seed = std::env::var(CHILD_SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let e = child_main(Path::new(&dir), seed).unwrap_err();
    eprintln!("sync kill child: a call failed: {e} ({e:?})");
    std::process::exit(3);
}

/// [`sync_kill_child`]'s name as the test harness lists it, for `--exact`: its module path in
/// the test binary without the crate's name (`sync_kill::sync_kill_child`).
fn child_test() -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::sync_kill_child"),
        None => "sync_kill_child".to_owned(),
    }
}

/// One line to the parent, in one write, flushed.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        // The parent is gone: stop rather than run on orphaned.
        std::process::exit(2);
    }
}

/// Prints `COMMIT` for every op written since the last call.
fn commits(kit: &FieldKit, printed: &mut i64) -> fieldkit_core::Result<()> {
    let ops: Vec<(i64, String)> = kit.store().read(|c| {
        let mut st = c.prepare("SELECT seq, op_id FROM journal WHERE seq > ?1 ORDER BY seq")?;
        let rows = st.query_map([*printed], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    for (seq, op) in ops {
        say(&format!("COMMIT {seq} {op}"));
        *printed = seq;
    }
    Ok(())
}

fn acked_seq(kit: &FieldKit) -> fieldkit_core::Result<i64> {
    kit.store()
        .read(|c| Ok(c.query_row("SELECT acked_seq FROM device", [], |r| r.get(0))?))
}

fn child_sync(kit: &FieldKit, rt: &tokio::runtime::Runtime) -> fieldkit_core::Result<()> {
    say("SYNC");
    let progress = |p: SyncProgress| {
        let phase = match p.phase {
            SyncPhase::Push => "push",
            SyncPhase::Pull => "pull",
            SyncPhase::Blobs => "blobs",
        };
        say(&format!("PROGRESS {phase} {} {}", p.done, p.total));
    };
    match rt.block_on(kit.sync(&options(), &progress)) {
        Ok(_) => say(&format!("SYNCED {}", acked_seq(kit)?)),
        // Not expected here (the proxy loses nothing); the parent counts them.
        Err(_) => say("SYNCERR"),
    }
    Ok(())
}

/// Runs until killed; returns only the error of a call that failed.
fn child_main(dir: &Path, seed: u64) -> fieldkit_core::Result<std::convert::Infallible> {
    // The harness has printed "test sync_kill::sync_kill_child ... " without a newline: end
    // that line.
    say("\nSTART");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let kit = FieldKit::open(dir, DeviceConfig::default())?;
    say("OPENED");
    let mut printed: i64 = kit.store().read(|c| {
        Ok(
            c.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
                r.get(0)
            })?,
        )
    })?;
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0u64.. {
        child_sync(&kit, &rt)?;
        let next: Option<String> = kit.store().read(|c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row(
                "SELECT id FROM work_orders WHERE status = 'assigned' ORDER BY number LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        let Some(id) = next.and_then(|s| s.parse::<WorkOrderId>().ok()) else {
            // No job yet: stock moves, which are ops too.
            kit.issue_stock("PUMP-220", 1)?;
            kit.return_stock("PUMP-220", 1)?;
            commits(&kit, &mut printed)?;
            continue;
        };
        kit.issue_stock("PUMP-220", 1)?;
        commits(&kit, &mut printed)?;
        demo::walk_repair_visit(&kit, id, &mut |step| {
            if step == "arrive" {
                // A new file each visit: uploads happen (and are killed) in every round.
                let tag = format!("kill {seed} {round}");
                kit.add_photo(id, None, &demo::fake_photo(&tag))?;
            }
            commits(&kit, &mut printed)?;
            if rng.random_bool(0.25) {
                child_sync(&kit, &rt)?;
            }
            Ok(())
        })?;
        say(&format!("DONE {id}"));
    }
    unreachable!("the loop above never ends")
}

// =================================================================================== parent

/// Where, in one round, the kill lands.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// While the database opens: after `START` plus a delay.
    Opening { delay_us: u64 },
    /// After the n-th `COMMIT` line plus a delay (local writes, or a sync right after).
    Commit { nth: usize, delay_us: u64 },
    /// After the n-th `SYNC` line plus a delay (anywhere in a sync).
    SyncStart { nth: usize, delay_us: u64 },
    /// When the proxy has the whole n-th push request: it still reaches the server.
    PushReceived { nth: usize },
    /// When the server has answered the n-th push and the proxy holds the answer: the server
    /// committed, the device will never hear of it.
    PushAnswered { nth: usize },
    /// When the n-th push answer goes to the device, plus a delay: inside the
    /// acknowledgement and outbox purge, or just before or after it.
    PushDelivered { nth: usize, delay_us: u64 },
    /// After the n-th `PROGRESS push` line with progress (a batch acknowledged), plus a delay.
    Acked { nth: usize, delay_us: u64 },
    /// When the proxy has the n-th blob chunk.
    BlobChunk { nth: usize },
}

impl Trigger {
    fn draw(rng: &mut StdRng) -> Trigger {
        let x = rng.random_range(0..100);
        let nth = |rng: &mut StdRng, hi: usize| rng.random_range(1..=hi);
        match x {
            0..5 => Trigger::Opening {
                delay_us: rng.random_range(0..30_000),
            },
            5..20 => Trigger::Commit {
                nth: nth(rng, 50),
                delay_us: rng.random_range(0..3_000),
            },
            20..35 => Trigger::SyncStart {
                nth: nth(rng, 4),
                delay_us: rng.random_range(0..40_000),
            },
            35..47 => Trigger::PushReceived { nth: nth(rng, 6) },
            47..67 => Trigger::PushAnswered { nth: nth(rng, 6) },
            67..82 => Trigger::PushDelivered {
                nth: nth(rng, 6),
                delay_us: rng.random_range(0..1_500),
            },
            82..92 => Trigger::Acked {
                nth: nth(rng, 6),
                delay_us: rng.random_range(0..1_000),
            },
            _ => Trigger::BlobChunk { nth: nth(rng, 4) },
        }
    }
}

/// What reaches the parent's round loop.
enum Ev {
    Line(String),
    /// The child's stdout closed (it died).
    Eof,
    Proxy(ProxyEvent),
}

/// What the child printed in one round, and what the parent saw at the kill.
#[derive(Default)]
struct Printed {
    commits: Vec<(i64, String)>,
    synced: Vec<i64>,
    sync_errors: usize,
    done: Vec<WorkOrderId>,
    opened: bool,
    /// A sync had started and not yet returned when the kill was sent.
    in_sync: bool,
    /// The phase of the last progress line before the kill.
    phase: Option<String>,
}

/// Where kills landed.
#[derive(Default, Debug)]
struct Landing {
    /// Before the database was open.
    opening: usize,
    /// Outside any sync (local work).
    local: usize,
    /// Inside a sync…
    in_sync: usize,
    /// …with a push at the server (received by the proxy, not yet answered).
    push_at_server: usize,
    /// …with the server's answer to a push held by the proxy: committed on the server, not
    /// acknowledged on the device.
    push_answer_in_flight: usize,
    /// …right after a push answer reached the device (acknowledgement and purge).
    push_answer_delivered: usize,
    /// …in the upload of a file.
    blob_upload: usize,
    /// …in a pull.
    pull: usize,
    /// The kill point never came and the round deadline killed it.
    deadline: usize,
}

/// Everything acknowledged so far, across rounds.
#[derive(Default)]
struct Ledger {
    /// seq → op id of every `COMMIT`.
    committed: HashMap<i64, String>,
    commits: usize,
    /// The journal's op ids as last verified, by seq - 1.
    seen: Vec<String>,
    /// The highest `SYNCED` ever printed, and the device's acked seq as last verified.
    synced: i64,
    acked: i64,
    done: Vec<WorkOrderId>,
    syncs: usize,
    sync_errors: usize,
    device: Option<String>,
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

/// Waits until the proxy has finished every request (a dead child's too): the server's state
/// is then settled for the checks.
fn wait_until_idle(proxy: &Proxy) -> Result<(), String> {
    let t = Instant::now();
    while proxy.counts().in_flight > 0 {
        if t.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "the proxy still has requests in flight after 30 s: {:?}",
                proxy.counts().routes
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

#[test]
fn sigkill_during_sync_loses_and_doubles_nothing() {
    let (rounds, seed) = settings();
    println!("sync kill: {rounds} rounds, seed {seed} (replay with {SEED_ENV}={seed})");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    // Kept when the test fails (removed at the end of a passing run).
    let tmp = tempfile::Builder::new()
        .prefix("fieldkit-sync-kill-")
        .tempdir()
        .expect("temp dir")
        .keep();
    let dir = tmp.join("device");
    let exe = std::env::current_exe().expect("test executable");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let s = rt
        .block_on(server(Backend::Sqlite, |_| {}))
        .expect("server");
    let faults = Faults {
        hold_answers: Some((Duration::from_millis(1), Duration::from_millis(12))),
        ..Faults::none()
    };
    let proxy = rt.block_on(Proxy::start(s.server.addr(), faults, seed));
    let (tx, rx) = mpsc::channel::<Ev>();
    {
        let tx = Mutex::new(tx.clone());
        proxy.observe(move |e| {
            let _ = tx.lock().unwrap().send(Ev::Proxy(e));
        });
    }

    // The technician's phone, enrolled through the proxy.
    let technician = rt.block_on(s.create_technician("Technician K"));
    rt.block_on(s.publish_demo_catalog());
    {
        let kit = FieldKit::open(&dir, DeviceConfig::default()).expect("device");
        demo::stock_the_van(&kit).expect("van");
        proxy.name_device(&kit.device_id().to_string(), "kill-device");
        let code = rt.block_on(s.enrolment_code(&technician));
        rt.block_on(kit.enroll(&proxy.url(), &code, &options()))
            .expect("enrol");
    }

    let mut ledger = Ledger::default();
    let mut landing = Landing::default();
    let db = s.sqlite_db();
    let fail = |round: usize, trigger: Option<Trigger>, problem: String| -> ! {
        panic!(
            "sync kill failed in round {round} of {rounds} ({trigger:?}): {problem}\nseed {seed} \
             (replay with {SEED_ENV}={seed}); device data kept in {}",
            tmp.display()
        )
    };
    for round in 0..rounds {
        let order = demo::repair_order(round as u32, Utc::now(), Billing::Paid);
        rt.block_on(s.create_job(&order, Some(&technician)));
        let trigger = Trigger::draw(&mut rng);
        let child_seed: u64 = rng.random();
        if let Err(e) = wait_until_idle(&proxy) {
            fail(round, Some(trigger), e);
        }
        // Events of earlier rounds are done with.
        while rx.try_recv().is_ok() {}
        let result = run_round(
            &exe,
            &dir,
            &tmp,
            trigger,
            child_seed,
            &proxy,
            &tx,
            &rx,
            &mut landing,
        )
        .and_then(|printed| {
            wait_until_idle(&proxy)?;
            record(&mut ledger, printed)?;
            verify(&dir, &db, &mut ledger)
        });
        if let Err(problem) = result {
            fail(round, Some(trigger), problem);
        }
    }

    // A last, clean sync: the server then holds exactly the device's journal.
    let kit = FieldKit::open(&dir, DeviceConfig::default()).expect("device reopens");
    let report = rt
        .block_on(kit.sync(&options(), &|_| {}))
        .unwrap_or_else(|e| fail(rounds, None, format!("the last sync failed: {e}")));
    drop(kit);
    wait_until_idle(&proxy).unwrap_or_else(|e| fail(rounds, None, e));
    let (ops, blobs, completed) = verify(&dir, &db, &mut ledger)
        .and_then(|_| verify_final(&s, &dir, &db, &ledger, &rt))
        .unwrap_or_else(|e| fail(rounds, None, e));

    let elapsed = started.elapsed();
    println!(
        "sync kill: {rounds} SIGKILLs; landed: {} while opening, {} in local work, {} inside a \
         sync — {} with a push at the server, {} with a committed push's answer in flight \
         (server has it, device not told), {} right after a push answer reached the device, \
         {} in a file upload, {} in a pull; {} by the round deadline",
        landing.opening,
        landing.local,
        landing.in_sync,
        landing.push_at_server,
        landing.push_answer_in_flight,
        landing.push_answer_delivered,
        landing.blob_upload,
        landing.pull,
        landing.deadline,
    );
    println!(
        "sync kill: {} ops committed ({} COMMIT lines), all {ops} on the server exactly once; \
         {} syncs finished ({} failed), {} visits completed ({completed} completions \
         unflagged), {blobs} files intact; last sync pushed {} ({} duplicates); seed {seed}; \
         {:.1?}",
        ledger.seen.len(),
        ledger.commits,
        ledger.syncs,
        ledger.sync_errors,
        ledger.done.len(),
        report.pushed,
        report.duplicates,
        elapsed,
    );
    // The kill points the issue names were all hit (scaled to the rounds asked for).
    let want = (rounds / 40).max(1);
    assert!(
        landing.push_answer_in_flight >= want,
        "only {} kills between the server's commit and the device's ack (seed {seed})",
        landing.push_answer_in_flight
    );
    assert!(
        landing.push_at_server >= want && landing.push_answer_delivered >= want,
        "kills did not land around pushes: {landing:?} (seed {seed})"
    );
    assert!(
        landing.local >= want && landing.blob_upload >= want,
        "kills did not land in local work and uploads: {landing:?} (seed {seed})"
    );
    assert!(
        landing.deadline <= rounds / 10,
        "{} rounds never reached their kill point: {landing:?}",
        landing.deadline
    );
    assert_eq!(
        ledger.sync_errors, 0,
        "syncs failed through a lossless proxy"
    );
    drop(proxy);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Spawns the child, kills it at the planned moment, drains what it printed, reaps it.
#[allow(clippy::too_many_arguments)]
fn run_round(
    exe: &Path,
    dir: &Path,
    tmp: &Path,
    trigger: Trigger,
    child_seed: u64,
    proxy: &Proxy,
    tx: &mpsc::Sender<Ev>,
    rx: &mpsc::Receiver<Ev>,
    landing: &mut Landing,
) -> Result<Printed, String> {
    let stderr_path = tmp.join("child-stderr.txt");
    let stderr = File::create(&stderr_path).map_err(|e| format!("child stderr file: {e}"))?;
    let base = proxy.counts();
    let mut guard = ChildGuard(Some(
        Command::new(exe)
            .args([
                "--exact",
                child_test().as_str(),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR_ENV, dir)
            .env(CHILD_SEED_ENV, child_seed.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| format!("spawning the child: {e}"))?,
    ));
    let child = guard.0.as_mut().expect("child");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    // A last line cut off by the kill is not acknowledged.
                    Ok(n) if n > 0 && line.last() == Some(&b'\n') => {
                        let text = String::from_utf8_lossy(&line[..line.len() - 1]);
                        let _ = tx.send(Ev::Line(text.into_owned()));
                    }
                    _ => break,
                }
            }
            let _ = tx.send(Ev::Eof);
        })
    };

    let t0 = Instant::now();
    let mut printed = Printed::default();
    let (mut commits, mut syncs, mut acks) = (0usize, 0usize, 0usize);
    let (mut received, mut answered, mut delivered, mut chunks) = (0usize, 0usize, 0usize, 0);
    let mut kill_at: Option<Instant> = None;
    let mut killed = false;
    let mut eof = false;
    while !eof {
        let ev = if killed {
            rx.recv()
                .map_err(|_| "the event channel closed".to_owned())?
        } else {
            let until = kill_at.unwrap_or(t0 + ROUND_DEADLINE);
            match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(ev) => ev,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if kill_at.is_none() {
                        landing.deadline += 1;
                    }
                    kill(child, &base, proxy, &printed, landing)?;
                    killed = true;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the event channel closed".into());
                }
            }
        };
        let mut due: Option<u64> = None;
        match ev {
            Ev::Eof => eof = true,
            Ev::Proxy(e) => match e {
                ProxyEvent::Received(Route::Push) => {
                    received += 1;
                    if matches!(trigger, Trigger::PushReceived { nth } if nth == received) {
                        due = Some(0);
                    }
                }
                ProxyEvent::Answered(Route::Push, _) => {
                    answered += 1;
                    if matches!(trigger, Trigger::PushAnswered { nth } if nth == answered) {
                        due = Some(0);
                    }
                }
                ProxyEvent::Delivered(Route::Push) => {
                    delivered += 1;
                    if let Trigger::PushDelivered { nth, delay_us } = trigger
                        && nth == delivered
                    {
                        due = Some(delay_us);
                    }
                }
                ProxyEvent::Received(Route::BlobPut) => {
                    chunks += 1;
                    if matches!(trigger, Trigger::BlobChunk { nth } if nth == chunks) {
                        due = Some(0);
                    }
                }
                _ => {}
            },
            Ev::Line(text) => {
                let mut w = text.split_whitespace();
                let bad = || format!("malformed line from the child: {text:?}");
                match w.next() {
                    Some("START") => {
                        if let Trigger::Opening { delay_us } = trigger {
                            due = Some(delay_us);
                        }
                    }
                    Some("OPENED") => printed.opened = true,
                    Some("COMMIT") => {
                        let seq = w.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                        let op = w.next().ok_or_else(bad)?.to_owned();
                        printed.commits.push((seq, op));
                        commits += 1;
                        if let Trigger::Commit { nth, delay_us } = trigger
                            && nth == commits
                        {
                            due = Some(delay_us);
                        }
                    }
                    Some("SYNC") => {
                        printed.in_sync = true;
                        printed.phase = None;
                        syncs += 1;
                        if let Trigger::SyncStart { nth, delay_us } = trigger
                            && nth == syncs
                        {
                            due = Some(delay_us);
                        }
                    }
                    Some("PROGRESS") => {
                        let phase = w.next().ok_or_else(bad)?.to_owned();
                        let done: u64 = w.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                        if phase == "push" && done > 0 {
                            acks += 1;
                            if let Trigger::Acked { nth, delay_us } = trigger
                                && nth == acks
                            {
                                due = Some(delay_us);
                            }
                        }
                        printed.phase = Some(phase);
                    }
                    Some("SYNCED") => {
                        let acked = w.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                        printed.synced.push(acked);
                        printed.in_sync = false;
                    }
                    Some("SYNCERR") => {
                        printed.sync_errors += 1;
                        printed.in_sync = false;
                    }
                    Some("DONE") => {
                        let id = w.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                        printed.done.push(id);
                    }
                    _ => {}
                }
            }
        }
        if killed || kill_at.is_some() {
            continue;
        }
        match due {
            Some(0) => {
                kill(child, &base, proxy, &printed, landing)?;
                killed = true;
            }
            Some(us) => kill_at = Some(Instant::now() + Duration::from_micros(us)),
            None => {}
        }
    }
    let _ = reader.join();
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the child: {e}"))?;
    guard.0 = None;
    if !killed || !was_sigkilled(status) {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        return Err(format!(
            "the child ended by itself ({status}) before the kill; its stderr:\n{stderr}"
        ));
    }
    Ok(printed)
}

/// Sends SIGKILL and notes where it landed, from what the child printed and what the proxy
/// holds at this instant.
fn kill(
    child: &mut Child,
    base: &Counts,
    proxy: &Proxy,
    printed: &Printed,
    landing: &mut Landing,
) -> Result<(), String> {
    child
        .kill()
        .map_err(|e| format!("killing the child: {e}"))?;
    let now = proxy.counts();
    let since = |r: Route| {
        let (a, b) = (now.route(r), base.route(r));
        (
            a.received - b.received,
            a.answered - b.answered,
            a.delivered - b.delivered,
        )
    };
    let (p_recv, p_ans, p_del) = since(Route::Push);
    let (b_recv, _, b_del) = since(Route::BlobPut);
    if !printed.opened {
        landing.opening += 1;
    } else if !printed.in_sync {
        landing.local += 1;
    } else {
        landing.in_sync += 1;
        if p_recv > p_ans {
            landing.push_at_server += 1;
        } else if p_ans > p_del {
            landing.push_answer_in_flight += 1;
        } else if b_recv > b_del || printed.phase.as_deref() == Some("blobs") {
            landing.blob_upload += 1;
        } else if printed.phase.as_deref() == Some("pull") {
            landing.pull += 1;
        } else if printed.phase.as_deref() == Some("push") || p_del > 0 {
            landing.push_answer_delivered += 1;
        }
    }
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

/// Adds a round's lines to the ledger. A seq committed again must name the same op.
fn record(ledger: &mut Ledger, printed: Printed) -> Result<(), String> {
    ledger.commits += printed.commits.len();
    for (seq, op) in printed.commits {
        if let Some(was) = ledger.committed.get(&seq).filter(|was| **was != op) {
            return Err(format!(
                "seq {seq} was committed as op {was} and now again as op {op}"
            ));
        }
        ledger.committed.insert(seq, op);
    }
    ledger.syncs += printed.synced.len();
    ledger.sync_errors += printed.sync_errors;
    if let Some(max) = printed.synced.iter().max() {
        ledger.synced = ledger.synced.max(*max);
    }
    ledger.done.extend(printed.done);
    Ok(())
}

/// The server's ops of a device, by seq: (seq, op id).
fn server_ops(db: &rusqlite::Connection, device: &str) -> Result<Vec<(i64, String)>, String> {
    let mut st = db
        .prepare_cached("SELECT seq, op_id FROM ops WHERE device_id = ?1 ORDER BY seq")
        .map_err(|e| e.to_string())?;
    st.query_map([device], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| format!("reading the server's ops: {e}"))
}

/// Reopens the device after a kill and checks it against the ledger and the server:
/// * it opens (not taken for corrupt), same device, `PRAGMA integrity_check` clean;
/// * its journal is seqs 1..=max with unique op ids, every op seen before unchanged, every
///   `COMMIT`ted op there under its seq;
/// * its acknowledged seq never goes back, covers every `SYNCED`, and is within the journal;
/// * the server's ops of this device are seqs 1..=n with n ≥ the device's acknowledged seq
///   (nothing acknowledged is missing) and every one is the device's op under the same seq
///   (nothing the device does not have, nothing twice); the server's `last_seq` is n.
fn verify(dir: &Path, db: &rusqlite::Connection, ledger: &mut Ledger) -> Result<(), String> {
    let kit = FieldKit::open(dir, DeviceConfig::default())
        .map_err(|e| format!("reopening after the kill failed: {e} ({e:?})"))?;
    if let Some(aside) = kit.recovered_from() {
        return Err(format!(
            "reopening found the database unreadable and moved it to {}",
            aside.display()
        ));
    }
    let device = kit.device_id().to_string();
    match &ledger.device {
        Some(d) if *d != device => return Err(format!("the device id changed to {device}")),
        Some(_) => {}
        None => ledger.device = Some(device.clone()),
    }
    let problems = kit
        .store()
        .integrity_check()
        .map_err(|e| format!("integrity_check failed to run: {e}"))?;
    if !problems.is_empty() {
        return Err(format!("device PRAGMA integrity_check: {problems:?}"));
    }
    let (journal, acked): (Vec<(i64, String)>, i64) = kit
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT seq, op_id FROM journal ORDER BY seq")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let journal = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let acked = c.query_row("SELECT acked_seq FROM device", [], |r| r.get(0))?;
            Ok((journal, acked))
        })
        .map_err(|e| format!("reading the journal: {e}"))?;
    drop(kit);

    for (i, (seq, _)) in journal.iter().enumerate() {
        if *seq != i as i64 + 1 {
            return Err(format!(
                "the journal is not 1..=max: position {i} holds seq {seq}"
            ));
        }
    }
    let mut ids = HashSet::with_capacity(journal.len());
    if let Some((seq, op)) = journal.iter().find(|(_, op)| !ids.insert(op.as_str())) {
        return Err(format!("op {op} appears twice in the journal (seq {seq})"));
    }
    if journal.len() < ledger.seen.len() {
        return Err(format!(
            "the journal shrank from {} to {} ops",
            ledger.seen.len(),
            journal.len()
        ));
    }
    if let Some((i, was)) = ledger
        .seen
        .iter()
        .enumerate()
        .find(|&(i, was)| *was != journal[i].1)
    {
        return Err(format!("op seq {} changed from {was}", i + 1));
    }
    let mut lost: Vec<(i64, &String)> = ledger
        .committed
        .iter()
        .filter(|&(&seq, op)| {
            usize::try_from(seq - 1)
                .ok()
                .and_then(|i| journal.get(i))
                .is_none_or(|(_, o)| o != op)
        })
        .map(|(&s, op)| (s, op))
        .collect();
    if !lost.is_empty() {
        lost.sort();
        return Err(format!(
            "{} committed ops are missing from the journal: {:?}",
            lost.len(),
            &lost[..lost.len().min(10)]
        ));
    }
    ledger.seen = journal.iter().map(|(_, op)| op.clone()).collect();

    if acked < ledger.acked {
        return Err(format!(
            "the device's acknowledged seq went back from {} to {acked}",
            ledger.acked
        ));
    }
    if acked < ledger.synced {
        return Err(format!(
            "a sync reported the outbox acknowledged through {}, the device says {acked}",
            ledger.synced
        ));
    }
    if acked > journal.len() as i64 {
        return Err(format!(
            "acknowledged through {acked}, but the journal ends at {}",
            journal.len()
        ));
    }
    ledger.acked = acked;

    let stored = server_ops(db, &device)?;
    for (i, (seq, op)) in stored.iter().enumerate() {
        if *seq != i as i64 + 1 {
            return Err(format!(
                "the server's ops of the device are not 1..=n: position {i} holds seq {seq}"
            ));
        }
        match journal.get(i) {
            Some((_, mine)) if mine == op => {}
            Some((_, mine)) => {
                return Err(format!(
                    "the server holds op {op} under seq {seq}, the device {mine}"
                ));
            }
            None => {
                return Err(format!(
                    "the server holds op {op} under seq {seq}, beyond the device's journal ({})",
                    journal.len()
                ));
            }
        }
    }
    if (stored.len() as i64) < acked {
        return Err(format!(
            "the device dropped ops through seq {acked} from its outbox, but the server \
             holds only {} (lost)",
            stored.len()
        ));
    }
    let last_seq: i64 = db
        .query_row(
            "SELECT last_seq FROM devices WHERE id = ?1",
            [&device],
            |r| r.get(0),
        )
        .map_err(|e| format!("reading the device's last seq: {e}"))?;
    if last_seq != stored.len() as i64 {
        return Err(format!(
            "the server's last seq is {last_seq} with {} ops stored",
            stored.len()
        ));
    }
    Ok(())
}

/// After the last, clean sync: the server holds exactly the journal, the outbox is empty,
/// every file is on the server whole and verified, every completed visit's completion
/// arrived unflagged, and the server's database is sound. Returns (ops, files, completions).
fn verify_final(
    s: &TestServer,
    dir: &Path,
    db: &rusqlite::Connection,
    ledger: &Ledger,
    rt: &tokio::runtime::Runtime,
) -> Result<(usize, usize, usize), String> {
    let device = ledger.device.clone().unwrap_or_default();
    let stored = server_ops(db, &device)?;
    if stored.len() != ledger.seen.len() || ledger.acked != stored.len() as i64 {
        return Err(format!(
            "after the last sync the server holds {} ops, the journal {}, acknowledged {}",
            stored.len(),
            ledger.seen.len(),
            ledger.acked
        ));
    }
    let kit = FieldKit::open(dir, DeviceConfig::default()).map_err(|e| e.to_string())?;
    if kit.store().pending_count().map_err(|e| e.to_string())? != 0 {
        return Err("the outbox is not empty after the last sync".into());
    }
    let left = kit.blobs_to_upload().map_err(|e| e.to_string())?;
    if !left.is_empty() {
        return Err(format!(
            "{} files not uploaded after the last sync",
            left.len()
        ));
    }
    let files: Vec<String> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT sha256 FROM attachments UNION SELECT thumbnail_sha256 FROM attachments
                  WHERE thumbnail_sha256 IS NOT NULL",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .map_err(|e| e.to_string())?;
    for sha in &files {
        let local = kit.store().blobs().get(sha).map_err(|e| e.to_string())?;
        let remote = std::fs::read(s.dir.path().join("server/blobs/blobs").join(sha))
            .map_err(|e| format!("file {sha} is not on the server: {e}"))?;
        if hex::encode(Sha256::digest(&remote)) != *sha || remote != local {
            return Err(format!("file {sha} is corrupt on the server"));
        }
    }
    let completed: HashSet<String> = ledger
        .done
        .iter()
        .filter(|id| {
            kit.job(**id)
                .is_ok_and(|j| j.status == JobStatus::Completed)
        })
        .map(|id| id.to_string())
        .collect();
    drop(kit);
    let list = rt.block_on(s.settled_completions());
    let on_server: HashSet<String> = list
        .iter()
        .filter_map(|c| c["work_order_id"].as_str().map(str::to_owned))
        .collect();
    if let Some(missing) = completed.iter().find(|id| !on_server.contains(*id)) {
        return Err(format!(
            "the completion of job {missing} is not on the server"
        ));
    }
    if let Some(flagged) = list.iter().find(|c| c["flags"] != json!([])) {
        return Err(format!(
            "a completion was flagged after the kills: {flagged}"
        ));
    }
    if let Some(not_counted) = list.iter().find(|c| c["state"] != json!("counted")) {
        return Err(format!(
            "a completion was not counted after the kills: {not_counted}"
        ));
    }
    let problems: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))
                .and_then(Iterator::collect)
        })
        .map_err(|e| e.to_string())?;
    if problems != ["ok"] {
        return Err(format!("server PRAGMA integrity_check: {problems:?}"));
    }
    Ok((stored.len(), files.len(), list.len()))
}
