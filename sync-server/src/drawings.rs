//! The signature-drawing check, done after the push has been answered: for each completion,
//! that the strokes of the standing customer signatures still draw the image they name
//! ([`fieldkit_core::sync::replay::drawing_problems`]).
//!
//! Drawing again (rasterise, encode the PNG, hash it) costs milliseconds of CPU per
//! signature: inside the push it would make every device wait for every other device's
//! drawings. So the push stores the completion in `drawing_checks` in its own transaction
//! (nothing is lost if the server stops), and this worker checks them one at a time on the
//! blocking pool, storing the flags and removing the check in one transaction. A completion
//! still waiting says so (`checks_pending`, state `checking`); once checked it is counted
//! (its drawings match) or held for the desk.
//!
//! Every instance on a database runs this worker: each claims its checks with a lease
//! ([`crate::storage::leases`]), looks again every so often (another instance's push wakes
//! only that instance), releases what it holds when it stops, and a dead instance's checks
//! are taken over when their lease ends.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::storage::leases::DRAWING_LEASE_MS;
use crate::storage::{DrawingCheck, Flag, Storage};

/// Checks claimed from storage at a time.
const BATCH: i64 = 32;

/// The handle the push route wakes when it stored a completion.
#[derive(Clone, Default)]
pub struct Drawings {
    wake: Arc<Notify>,
}

/// How the worker shares the checks with the other instances on the database.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// The instance the checks are claimed for ([`crate::instance::Instance::id`]).
    pub instance: String,
    /// How often it looks without being woken: another instance's pushes never wake it,
    /// and a stopped instance's claims come free only when their lease ends.
    pub rescan: Duration,
    /// How long a claim holds ([`DRAWING_LEASE_MS`] by default): a killed instance's checks
    /// wait this long for another instance.
    pub lease: Duration,
}

/// The running worker.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    storage: Arc<dyn Storage>,
    clock: Clock,
    instance: String,
}

impl Drawings {
    /// Something may be waiting: the worker looks.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts the worker: it checks what is waiting now, then whenever woken or every
    /// `settings.rescan`, until stopped. Each check is claimed with a lease
    /// ([`crate::storage::leases::LeaseStorage::claim_drawings`]), so instances sharing the
    /// database never work the same check at once. `checked` hears each job whose completion
    /// was checked.
    pub fn start(
        &self,
        storage: Arc<dyn Storage>,
        clock: Clock,
        checked: Checked,
        settings: WorkerSettings,
    ) -> Worker {
        let wake = self.wake.clone();
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn({
            let (storage, clock, instance) =
                (storage.clone(), clock.clone(), settings.instance.clone());
            let lease = i64::try_from(settings.lease.as_millis()).unwrap_or(DRAWING_LEASE_MS);
            async move {
                loop {
                    if *stopped.borrow() {
                        break;
                    }
                    let done = check_leased(
                        storage.as_ref(),
                        &clock,
                        &instance,
                        lease,
                        checked.as_ref(),
                        &stopped,
                    )
                    .await;
                    match done {
                        // More may have arrived while checking: look again before sleeping.
                        Ok(n) if n > 0 => continue,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "signature drawing check failed"),
                    }
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(settings.rescan) => {}
                        _ = stopped.changed() => {}
                    }
                }
            }
        });
        Worker {
            stop,
            task,
            storage,
            clock,
            instance: settings.instance,
        }
    }
}

impl Worker {
    /// Stops after the check in hand (milliseconds), then releases the leases this instance
    /// still holds, so another instance takes those checks at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        match self
            .storage
            .release_drawings(self.instance, self.clock.now_ms())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(checks = n, "drawing checks released to other instances"),
            // Their leases end on their own.
            Err(e) => tracing::warn!(error = %e, "releasing drawing checks failed"),
        }
    }
}

/// Told the job whose completion's drawings were checked.
pub type Checked = Arc<dyn Fn(&str) + Send + Sync>;

/// Claims up to one batch of waiting completions for `instance` and checks them, stopping
/// early when `stopped` turns true (the claims left are released by [`Worker::stop`] or end
/// with their lease); how many were claimed. A check finished twice (its lease ran out, and
/// another instance finished it too) is recorded once.
pub async fn check_waiting(
    storage: &dyn Storage,
    clock: &Clock,
    instance: &str,
    checked: &(dyn Fn(&str) + Send + Sync),
    stopped: &watch::Receiver<bool>,
) -> Result<usize, crate::storage::StorageError> {
    check_leased(storage, clock, instance, DRAWING_LEASE_MS, checked, stopped).await
}

/// [`check_waiting`] with claims held `lease_ms`.
async fn check_leased(
    storage: &dyn Storage,
    clock: &Clock,
    instance: &str,
    lease_ms: i64,
    checked: &(dyn Fn(&str) + Send + Sync),
    stopped: &watch::Receiver<bool>,
) -> Result<usize, crate::storage::StorageError> {
    let now = clock.now_ms();
    let waiting = storage
        .claim_drawings(
            instance.to_owned(),
            now,
            now.saturating_add(lease_ms.max(1)),
            BATCH,
        )
        .await?;
    let n = waiting.len();
    for check in waiting {
        if *stopped.borrow() {
            break;
        }
        let (op_id, job) = (check.op_id.clone(), check.work_order_id.clone());
        let now = clock.now_ms();
        let flags = tokio::task::spawn_blocking(move || flags_of(check, now))
            .await
            .map_err(|e| crate::storage::StorageError::Backend(e.to_string()))?;
        if storage.finish_drawing(op_id, flags, now).await? {
            checked(&job);
        }
    }
    Ok(n)
}

fn flags_of(check: DrawingCheck, now: i64) -> Vec<Flag> {
    let Some(complete) = check
        .ops
        .iter()
        .rposition(|op| op.op_id.to_string() == check.op_id)
    else {
        return Vec::new();
    };
    fieldkit_core::sync::replay::drawing_problems_said(&check.ops, complete)
        .into_iter()
        .map(|said| {
            Flag::new(
                Some(check.work_order_id.clone()),
                Some(check.op_id.clone()),
                check.device_id.clone(),
                "signature",
                said.into(),
                now,
            )
        })
        .collect()
}
