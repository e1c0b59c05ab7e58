//! WAL checkpoints off the command path: the writer never checkpoints inside a command; a
//! background thread with its own connection does, once the WAL has grown past a threshold
//! and the writer has gone quiet (a checkpoint syncs the WAL file, and a commit appending to
//! it meanwhile can stall for the length of that sync). Under a steady stream of commits
//! that never goes quiet, the writer restarts the log itself now and then.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::Result;

/// WAL pages after which the checkpointer is woken (about 4 MiB of 4 KiB pages).
pub const WAKE_AT_PAGES: i32 = 1000;

/// How long the writer must have been quiet before the background checkpoint runs.
pub const QUIET: std::time::Duration = std::time::Duration::from_millis(250);

/// After a failed restart attempt, how many more pages before the writer tries again.
const RETRY_EVERY_PAGES: i32 = 500;

/// WAL pages after which the writer itself restarts the log after its commit. Under a steady
/// stream of commits (a large pull, a benchmark) the writer is always inside a transaction,
/// so passive checkpoints alone never let the log restart and the file would grow without
/// bound. By then the background thread has copied nearly everything, so this is brief, and
/// it only happens when commits come faster than a person taps.
pub const RESTART_AT_PAGES: i32 = 3000;

/// The background checkpointer; stops (and is joined) when dropped.
pub struct Checkpointer {
    /// WAL pages after the last commit, as the writer's hook saw them.
    pages: Arc<AtomicI32>,
    /// The log size at the writer's last restart attempt (0 after a success).
    restart_tried_at: AtomicI32,
    /// One checkpoint at a time: SQLite answers "busy" at once to a checkpoint that meets
    /// another, without waiting.
    gate: Arc<Mutex<()>>,
    wake: SyncSender<Msg>,
    thread: Option<JoinHandle<()>>,
}

enum Msg {
    Wake,
    Stop,
}

impl Checkpointer {
    /// Starts the checkpointer on its own connection to `path`, and installs on `writer` the
    /// hook that wakes it.
    pub fn start(
        path: &Path,
        key: Option<&super::DatabaseKey>,
        writer: &mut Connection,
    ) -> Result<Checkpointer> {
        let conn = Connection::open(path)?;
        super::cipher::apply_key(&conn, key)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let (wake, rx) = mpsc::sync_channel::<Msg>(1);
        let hook_wake = wake.clone();
        let pages = Arc::new(AtomicI32::new(0));
        let gate = Arc::new(Mutex::new(()));
        let thread_gate = gate.clone();
        let hook_pages = pages.clone();
        // Commits so far (the thread compares it across a pause to tell the writer is
        // quiet), and whether a wake-up is on its way or being served.
        let commits = Arc::new(AtomicU64::new(0));
        let awake = Arc::new(AtomicBool::new(false));
        let (hook_commits, hook_awake) = (commits.clone(), awake.clone());
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages: i32| {
            hook_pages.store(pages, Ordering::Relaxed);
            hook_commits.fetch_add(1, Ordering::Relaxed);
            // One wake-up per checkpoint, not one per commit: a commit costs two atomics.
            if pages >= WAKE_AT_PAGES && !hook_awake.swap(true, Ordering::AcqRel) {
                // Full means a wake-up is already pending; Disconnected means shutting down.
                match hook_wake.try_send(Msg::Wake) {
                    Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
                }
            }
            Ok(())
        }))?;
        let thread = std::thread::Builder::new()
            .name("fieldkit-checkpoint".into())
            .spawn(move || run(conn, rx, thread_gate, commits, awake))?;
        Ok(Checkpointer {
            pages,
            restart_tried_at: AtomicI32::new(0),
            gate,
            wake,
            thread: Some(thread),
        })
    }
}

impl Checkpointer {
    /// Called by the writer after a commit, still holding the writer: restarts the log if
    /// the background thread has fallen too far behind.
    pub fn after_commit(&self, writer: &Connection) {
        let pages = self.pages.load(Ordering::Relaxed);
        if pages < RESTART_AT_PAGES
            || pages < self.restart_tried_at.load(Ordering::Relaxed) + RETRY_EVERY_PAGES
        {
            return;
        }
        // Not while the background thread is copying: the next commits try again.
        let Ok(_one) = self.gate.try_lock() else {
            return;
        };
        self.restart_tried_at.store(pages, Ordering::Relaxed);
        if let Ok(0) =
            writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
        {
            self.pages.store(0, Ordering::Relaxed);
            self.restart_tried_at.store(0, Ordering::Relaxed);
        }
    }

    /// Copies the whole log into the database and truncates it (waiting for a background
    /// checkpoint in progress). `false` if a reader still needed part of it.
    pub fn truncate(&self, writer: &Connection) -> Result<bool> {
        let _one = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        let busy: i64 = writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            self.pages.store(0, Ordering::Relaxed);
        }
        Ok(busy == 0)
    }
}

fn run(
    conn: Connection,
    rx: Receiver<Msg>,
    gate: Arc<Mutex<()>>,
    commits: Arc<AtomicU64>,
    awake: Arc<AtomicBool>,
) {
    while let Ok(Msg::Wake) = rx.recv() {
        // Wait until the writer has been quiet for a moment: no commit during a whole pause.
        loop {
            let seen = commits.load(Ordering::Relaxed);
            match rx.recv_timeout(QUIET) {
                Ok(Msg::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            }
            if commits.load(Ordering::Relaxed) == seen {
                break;
            }
        }
        {
            let _one = gate.lock().unwrap_or_else(|e| e.into_inner());
            // PASSIVE never blocks the writer or readers; what it cannot copy now is copied
            // on the next wake-up. A failure (e.g. busy) is retried the same way.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
        // From here the next commit past the threshold wakes us again.
        awake.store(false, Ordering::Release);
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Waits at most for one checkpoint in progress to finish.
        if self.wake.send(Msg::Stop).is_ok()
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }
}
