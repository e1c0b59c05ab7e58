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

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::storage::{DrawingCheck, Flag, Storage};

/// Checks taken from storage at a time.
const BATCH: i64 = 32;

/// The handle the push route wakes when it stored a completion.
#[derive(Clone, Default)]
pub struct Drawings {
    wake: Arc<Notify>,
}

impl Drawings {
    /// Something may be waiting: the worker looks.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts the worker: it checks what is waiting now, then whenever woken, until the
    /// returned task is aborted. `checked` hears each job whose completion was checked.
    pub fn start(
        &self,
        storage: Arc<dyn Storage>,
        clock: Clock,
        checked: Checked,
    ) -> tokio::task::JoinHandle<()> {
        let wake = self.wake.clone();
        tokio::spawn(async move {
            loop {
                match check_waiting(storage.as_ref(), &clock, checked.as_ref()).await {
                    // More may have arrived while checking: look again before sleeping.
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "signature drawing check failed"),
                }
                wake.notified().await;
            }
        })
    }
}

/// Told the job whose completion's drawings were checked.
pub type Checked = Arc<dyn Fn(&str) + Send + Sync>;

/// Checks up to one batch of waiting completions; how many were done.
pub async fn check_waiting(
    storage: &dyn Storage,
    clock: &Clock,
    checked: &(dyn Fn(&str) + Send + Sync),
) -> Result<usize, crate::storage::StorageError> {
    let waiting = storage.pending_drawings(BATCH).await?;
    let n = waiting.len();
    for check in waiting {
        let (op_id, job) = (check.op_id.clone(), check.work_order_id.clone());
        let now = clock.now_ms();
        let flags = tokio::task::spawn_blocking(move || flags_of(check, now))
            .await
            .map_err(|e| crate::storage::StorageError::Backend(e.to_string()))?;
        storage.finish_drawing(op_id, flags, now).await?;
        checked(&job);
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
