//! The fleet test's devices: a real core each, enrolled through the proxy, walking its day.

use std::path::Path;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::SYNC_DEADLINE;

/// The devices' sync settings: small pushes and chunks (a sync is many requests, so kills
/// land inside syncs and uploads), quick retries.
pub fn options() -> SyncOptions {
    SyncOptions {
        max_attempts: 12,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(400),
        request_timeout: Duration::from_secs(30),
        push_batch: 8,
        pull_limit: 50,
        chunk_bytes: 1024,
        ..SyncOptions::default()
    }
}

/// What one device did, read from its own database at the end.
pub struct DeviceRun {
    pub device_id: String,
    /// (seq, op id) of its whole journal.
    pub journal: Vec<(i64, String)>,
    /// Jobs it completed.
    pub done: Vec<WorkOrderId>,
    /// (sha256, bytes) of every file it holds.
    pub files: Vec<(String, Vec<u8>)>,
    pub syncs: usize,
    pub sync_errors: usize,
}

/// Syncs until one sync succeeds (a sync may fail when its retries meet a killed instance
/// too often); counts the failures.
pub fn sync_until_ok(
    kit: &FieldKit,
    rt: &tokio::runtime::Runtime,
    run: &mut DeviceRun,
) -> Result<(), String> {
    let t = Instant::now();
    loop {
        run.syncs += 1;
        match rt.block_on(kit.sync(&options(), &|_| {})) {
            Ok(r) if r.rejected == 0 && r.conflicts == 0 => return Ok(()),
            Ok(r) => return Err(format!("a sync had ops refused: {r:?}")),
            Err(e) => {
                run.sync_errors += 1;
                if t.elapsed() > SYNC_DEADLINE {
                    return Err(format!("syncs kept failing for {SYNC_DEADLINE:?}: {e}"));
                }
            }
        }
    }
}

/// One device's day: enrol through the proxy, pull its jobs, wait for the others
/// (`ready`), then walk each job to completion with a photo, syncing at random steps and after
/// each job; a last sync. `steps` counts walk steps across all devices (the kill schedule
/// follows it).
pub fn device_day(
    dir: &Path,
    base: &str,
    code: &str,
    seed: u64,
    ready: &Barrier,
    steps: &AtomicUsize,
) -> Result<DeviceRun, String> {
    let e = |what: &'static str| move |err: fieldkit_core::Error| format!("{what}: {err}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())?;
    // Enrolled and the jobs pulled; the barrier is passed whatever happened (no device
    // waits there for one that failed).
    let enrolled = (|| {
        let kit = FieldKit::open(dir, DeviceConfig::default()).map_err(e("open"))?;
        demo::stock_the_van(&kit).map_err(e("stock"))?;
        rt.block_on(kit.enroll(base, code, &options()))
            .map_err(e("enrol"))?;
        let mut run = DeviceRun {
            device_id: kit.device_id().to_string(),
            journal: Vec::new(),
            done: Vec::new(),
            files: Vec::new(),
            syncs: 0,
            sync_errors: 0,
        };
        sync_until_ok(&kit, &rt, &mut run)?;
        Ok::<_, String>((kit, run))
    })();
    ready.wait();
    let (kit, mut run) = enrolled?;
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let next: Option<String> = kit
            .store()
            .read(|c| {
                use rusqlite::OptionalExtension;
                Ok(c.query_row(
                    "SELECT id FROM work_orders WHERE status = 'assigned' ORDER BY number LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .map_err(e("next job"))?;
        let Some(id) = next.and_then(|s| s.parse::<WorkOrderId>().ok()) else {
            break;
        };
        kit.issue_stock("PUMP-220", 1).map_err(e("stock"))?;
        let mut failed: Option<String> = None;
        demo::walk_repair_visit(&kit, id, &mut |step| {
            if step == "arrive" {
                kit.add_photo(id, None, &demo::fake_photo(&format!("fleet {seed} {id}")))?;
            }
            steps.fetch_add(1, Ordering::Relaxed);
            if failed.is_none()
                && rng.random_bool(0.2)
                && let Err(err) = sync_until_ok(&kit, &rt, &mut run)
            {
                failed = Some(err);
            }
            Ok(())
        })
        .map_err(e("walk"))?;
        if let Some(err) = failed {
            return Err(err);
        }
        run.done.push(id);
        sync_until_ok(&kit, &rt, &mut run)?;
    }
    sync_until_ok(&kit, &rt, &mut run)?;
    if kit.store().pending_count().map_err(e("outbox"))? != 0 {
        return Err("the outbox is not empty after the last sync".into());
    }
    let left = kit.blobs_to_upload().map_err(e("blobs"))?;
    if !left.is_empty() {
        return Err(format!("{} files not uploaded", left.len()));
    }
    run.journal = kit
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT seq, op_id FROM journal ORDER BY seq")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .map_err(e("journal"))?;
    let shas: Vec<String> = kit
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT sha256 FROM attachments UNION SELECT thumbnail_sha256 FROM attachments
                  WHERE thumbnail_sha256 IS NOT NULL",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .map_err(e("files"))?;
    for sha in shas {
        let bytes = kit
            .store()
            .blobs()
            .get(&sha)
            .map_err(|err| format!("file {sha}: {err}"))?;
        run.files.push((sha, bytes));
    }
    for id in &run.done {
        let status = kit.job(*id).map_err(e("job"))?.status;
        if status != JobStatus::Completed {
            return Err(format!(
                "job {id} is {status:?} on the device after its walk"
            ));
        }
    }
    Ok(run)
}
