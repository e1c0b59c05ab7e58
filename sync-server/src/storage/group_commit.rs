//! The SQLite backend's connections: one writer thread that owns the only write connection
//! and commits pushes in groups, and a few read-only connections beside it (WAL lets readers
//! run while the writer writes).
//!
//! Group commit: with `synchronous=FULL` every commit waits for the disk (an fsync), and a
//! fleet syncing at once would wait for one fsync per push in turn. The writer instead takes
//! every push waiting in its queue, runs each in its own savepoint of one transaction, commits
//! once and only then answers them all: an ack still means durable, one fsync covers the
//! group, and a push that fails rolls back to its savepoint without touching the others.
//! Other writes run alone, in arrival order.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{Fut, StorageError};

/// Pushes at most in one group (bounds the time the first waits for the last).
const MAX_GROUP: usize = 64;
/// Read-only connections.
const READERS: usize = 2;

/// Settles a grouped write once the group's commit is known (`Some`: the commit failed).
type Settle = Box<dyn FnOnce(Option<&str>) + Send>;

enum Task {
    /// A write with the connection to itself: it opens and commits its own transaction.
    Alone(Box<dyn FnOnce(&mut Connection) + Send>),
    /// A write run inside the group's transaction (or refused with the reason the group
    /// could not start); `false`: roll its savepoint back.
    Grouped(Grouped),
}

type Grouped = Box<dyn FnOnce(Result<&Connection, &str>) -> (bool, Settle) + Send>;

/// The writer thread's queue and the readers.
pub(super) struct Connections {
    writer: Mutex<mpsc::Sender<Task>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: AtomicUsize,
}

fn closed() -> StorageError {
    StorageError::Backend("the database writer has stopped".into())
}

fn panicked() -> StorageError {
    StorageError::Backend("a database task failed unexpectedly".into())
}

impl Connections {
    /// Opens the database file: `prepare` readies each connection (pragmas, schema on the
    /// writer's), then the writer thread starts.
    pub(super) fn open(
        file: &Path,
        prepare: impl Fn(&Connection, bool) -> Result<(), StorageError>,
    ) -> Result<Self, StorageError> {
        let mut conn = Connection::open(file)?;
        prepare(&conn, true)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open(file)?;
                prepare(&c, false)?;
                c.pragma_update(None, "query_only", true)?;
                Ok(Arc::new(Mutex::new(c)))
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let (tx, rx) = mpsc::channel::<Task>();
        std::thread::Builder::new()
            .name("fieldkit-sqlite-writer".into())
            .spawn(move || writer_loop(&mut conn, &rx))
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        Ok(Self {
            writer: Mutex::new(tx),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    fn send(&self, task: Task) -> Result<(), StorageError> {
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(task)
            .map_err(|_| closed())
    }

    /// Runs a write alone on the writer connection.
    pub(super) fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        let (tx, rx) = oneshot::channel();
        let sent = self.send(Task::Alone(Box::new(move |c| {
            let r = catch_unwind(AssertUnwindSafe(|| f(c))).unwrap_or_else(|_| Err(panicked()));
            let _ = tx.send(r);
        })));
        Box::pin(async move {
            sent?;
            rx.await.map_err(|_| closed())?
        })
    }

    /// Runs a write inside the next group's transaction (in a savepoint of its own); the
    /// answer comes once the group has committed.
    pub(super) fn write_grouped<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        let (tx, rx) = oneshot::channel();
        let sent = self.send(Task::Grouped(Box::new(move |c| {
            let r = match c {
                Ok(c) => {
                    catch_unwind(AssertUnwindSafe(|| f(c))).unwrap_or_else(|_| Err(panicked()))
                }
                Err(e) => Err(StorageError::Backend(e.to_owned())),
            };
            let ok = r.is_ok();
            let settle: Settle = Box::new(move |failed| {
                let _ = tx.send(match failed {
                    Some(e) => Err(StorageError::Backend(e.to_owned())),
                    None => r,
                });
            });
            (ok, settle)
        })));
        Box::pin(async move {
            sent?;
            rx.await.map_err(|_| closed())?
        })
    }

    /// Runs a read on one of the read-only connections.
    pub(super) fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = self.readers[i].clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let c = conn.lock().unwrap_or_else(|e| e.into_inner());
                f(&c)
            })
            .await
            .map_err(|_| panicked())?
        })
    }
}

fn writer_loop(conn: &mut Connection, rx: &mpsc::Receiver<Task>) {
    let mut next = None;
    loop {
        let task = match next.take() {
            Some(t) => t,
            None => match rx.recv() {
                Ok(t) => t,
                Err(_) => return,
            },
        };
        match task {
            Task::Alone(f) => f(conn),
            Task::Grouped(first) => {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(Task::Grouped(g)) => group.push(g),
                        Ok(alone) => {
                            next = Some(alone);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_group(conn, group);
            }
        }
    }
}

/// One transaction for the group, a savepoint per write, one commit, then every answer.
fn commit_group(conn: &Connection, group: Vec<Grouped>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = e.to_string();
        for g in group {
            g(Err(&e)).1(Some(&e));
        }
        return;
    }
    let mut settles = Vec::with_capacity(group.len());
    let mut group = group.into_iter();
    let mut broken = None;
    for g in group.by_ref() {
        if let Err(e) = conn.execute_batch("SAVEPOINT push") {
            let e = e.to_string();
            g(Err(&e)).1(Some(&e));
            broken = Some(e);
            break;
        }
        let (ok, settle) = g(Ok(conn));
        settles.push(settle);
        let end = if ok {
            "RELEASE push"
        } else {
            "ROLLBACK TO push; RELEASE push"
        };
        if let Err(e) = conn.execute_batch(end) {
            // The savepoint's writes may still be there: the whole group is given up.
            broken = Some(e.to_string());
            break;
        }
    }
    let failed = match broken {
        Some(e) => Some(e),
        None => conn.execute_batch("COMMIT").err().map(|e| e.to_string()),
    };
    match failed {
        None => settles.into_iter().for_each(|s| s(None)),
        Some(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            settles.into_iter().for_each(|s| s(Some(&e)));
            for g in group {
                g(Err(&e)).1(Some(&e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> Connections {
        Connections::open(&dir.join("t.db"), |c, writer| {
            if writer {
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")?;
            }
            Ok(())
        })
        .unwrap()
    }

    /// Holds the writer until released, so the writes sent meanwhile form one group.
    fn hold(db: &Connections) -> (std::sync::mpsc::Sender<()>, Fut<'static, ()>) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let held = db.write(move |_| {
            let _ = wait.recv();
            Ok(())
        });
        (release, held)
    }

    fn numbers(db: &Connections) -> Fut<'static, Vec<i64>> {
        db.read(|c| {
            let mut s = c.prepare("SELECT n FROM t ORDER BY n")?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(v)
        })
    }

    #[tokio::test]
    async fn a_failed_write_in_a_group_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path());
        let (release, held) = hold(&db);
        let writes: Vec<_> = (1..=10i64)
            .map(|n| {
                db.write_grouped(move |c| {
                    c.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                    match n % 3 {
                        0 => Err(StorageError::Conflict(crate::msg!("err-job-closed"))),
                        1 if n == 4 => panic!("a bug in one write"),
                        _ => Ok(n),
                    }
                })
            })
            .collect();
        release.send(()).unwrap();
        held.await.unwrap();
        let mut answered = Vec::new();
        for w in writes {
            answered.push(w.await.ok());
        }
        let kept: Vec<i64> = answered.iter().flatten().copied().collect();
        assert_eq!(kept, vec![1, 2, 5, 7, 8, 10]);
        assert_eq!(
            numbers(&db).await.unwrap(),
            kept,
            "only what was answered Ok is stored"
        );
        // The writer is still there after a write panicked.
        db.write(|c| Ok(c.execute("INSERT INTO t (n) VALUES (11)", [])?))
            .await
            .unwrap();
        assert_eq!(numbers(&db).await.unwrap().last(), Some(&11));
    }

    #[tokio::test]
    async fn a_group_that_cannot_commit_answers_every_write_with_the_failure() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path());
        let (release, held) = hold(&db);
        // The first write of the group leaves the transaction unable to commit
        // (it ends it itself), so the group's COMMIT fails.
        let breaker = db.write_grouped(|c| Ok(c.execute_batch("COMMIT")?));
        let after = db.write_grouped(|c| Ok(c.execute("INSERT INTO t (n) VALUES (1)", [])?));
        release.send(()).unwrap();
        held.await.unwrap();
        let (a, b) = (breaker.await, after.await);
        assert!(
            a.is_err() || b.is_err(),
            "no write of a broken group is answered Ok"
        );
        assert!(
            b.is_err(),
            "the write after the breaker is not acknowledged"
        );
        assert!(
            numbers(&db).await.unwrap().is_empty(),
            "nothing of the group was kept"
        );
    }

    #[tokio::test]
    async fn a_committed_write_is_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path());
        for n in 1..=20i64 {
            db.write_grouped(move |c| Ok(c.execute("INSERT INTO t (n) VALUES (?1)", [n])?))
                .await
                .unwrap();
            assert_eq!(numbers(&db).await.unwrap().len(), n as usize);
        }
    }
}
