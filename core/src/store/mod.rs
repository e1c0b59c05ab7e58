//! The device database: opening it (pragmas, migrations, corruption handling), the one
//! writer and the one reader connection, transactions that append to the outbox, and the
//! content-addressed blob files. Knows SQL and files, never the network.

mod blobs;
mod checkpoint;
mod cipher;
mod introspect;
mod page_cipher;
mod purge;
pub(crate) mod queries;
pub(crate) mod records;
pub mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

pub use blobs::{BlobKey, Blobs, sha256_hex};
pub use cipher::DatabaseKey;
pub use purge::Purged;

use crate::clock::{Hlc, to_millis};
use crate::error::{Error, Result};
use crate::model::{DeviceId, OpId, Timestamp, VisitId, WorkOrderId};
use crate::sync::ops::{JobOp, StockOp};

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "fieldkit.db";

/// SQL prefix: the seq ranges `[lo, hi)` of the journal runs about entity `?1` (a `runs`
/// table to join the journal with: `JOIN journal j ON j.seq >= lo AND j.seq < hi`).
pub(crate) const ENTITY_RUNS: &str = "WITH runs AS (
    SELECT r.first_seq AS lo,
           coalesce((SELECT min(n.first_seq) FROM journal_runs n WHERE n.first_seq > r.first_seq),
                    9223372036854775807) AS hi
      FROM journal_runs r WHERE r.entity_id = ?1)";

/// The version of the op payloads this code writes. The server accepts older versions.
pub use crate::sync::ops::OP_VERSION;

/// How hard a commit must try to survive power loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Durability {
    /// Survives the app being killed (WAL, `synchronous=NORMAL`).
    Normal,
    /// Also survives power loss (`synchronous=FULL`): completion and sign-off.
    Full,
}

/// One op of the journal not yet acknowledged by the server: the wire [`Op`].
///
/// [`Op`]: crate::sync::protocol::Op
pub type PendingOp = crate::sync::protocol::Op;

struct Writer {
    conn: Connection,
    next_seq: i64,
    hlc: Hlc,
    /// The hash of the last timeline event of each work order written through this writer.
    heads: HashMap<String, String>,
    /// The entity of the journal's last entry: an entry about another one starts a run.
    last_entity: Option<String>,
}

/// The device database and blob directory. All writes go through [`Store::write`].
pub struct Store {
    writer: Mutex<Writer>,
    reader: Mutex<Connection>,
    blobs: Blobs,
    device_id: DeviceId,
    path: PathBuf,
    recovered_from: Option<PathBuf>,
    /// Every commit is at least this durable.
    floor: Durability,
    checkpointer: checkpoint::Checkpointer,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// A write transaction with the outbox at hand.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    device_id: DeviceId,
    next_seq: i64,
    hlc: Hlc,
    now_ms: i64,
    heads: &'c HashMap<String, String>,
    /// Chain heads moved by this transaction; merged into the writer's only on commit.
    new_heads: HashMap<String, String>,
    /// The entity of the last entry, as this transaction leaves it.
    last_entity: Option<String>,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Tx<'_> {
    /// The device this transaction writes for.
    pub fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// Appends an op that is not a job's timeline event (the van's stock) to the journal;
    /// returns its sequence number.
    pub fn append_stock_op(&mut self, sku: &str, op: &StockOp) -> Result<i64> {
        let op_id = OpId::new().to_string();
        self.append(
            &op_id,
            "stock",
            sku,
            None,
            op.kind(),
            &op.payload().to_string(),
            None,
        )
    }

    /// The hash of the last timeline event of a work order.
    pub fn chain_head(&self, order: &str) -> Result<Option<String>> {
        if let Some(h) = self.new_heads.get(order).or_else(|| self.heads.get(order)) {
            return Ok(Some(h.clone()));
        }
        Ok(self
            .tx
            .prepare_cached(&format!(
                "{ENTITY_RUNS} SELECT j.hash FROM runs JOIN journal j ON j.seq >= lo AND j.seq < hi
                  WHERE j.entity_id = ?1 AND j.entity = 'work_order' ORDER BY j.seq DESC LIMIT 1"
            ))?
            .query_row([order], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Records a fact of a job: one journal entry that is both the job's timeline event
    /// (chained to the one before) and the op queued for the server. Returns its sequence.
    pub fn record(
        &mut self,
        work_order_id: WorkOrderId,
        visit_id: Option<VisitId>,
        op: &JobOp,
    ) -> Result<i64> {
        let order = work_order_id.to_string();
        let visit = visit_id.map(|v| v.to_string());
        let kind = op.kind();
        let payload = op.payload().to_string();
        let id = OpId::new().to_string();
        let prev = self.chain_head(&order)?;
        let hash = crate::media::chain::event_hash(
            prev.as_deref(),
            &crate::media::chain::ChainedEvent {
                id: &id,
                work_order_id: &order,
                visit_id: visit.as_deref(),
                kind,
                at_ms: self.now_ms,
                payload: &payload,
            },
        );
        let seq = self.append(
            &id,
            "work_order",
            &order,
            visit.as_deref(),
            kind,
            &payload,
            Some(&hash),
        )?;
        self.new_heads.insert(order, hash);
        Ok(seq)
    }

    /// Writes one journal entry under the next sequence number and clock stamp.
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        op_id: &str,
        entity: &str,
        entity_id: &str,
        visit_id: Option<&str>,
        kind: &str,
        payload: &str,
        hash: Option<&str>,
    ) -> Result<i64> {
        let seq = self.next_seq;
        let hlc = self.hlc.tick(self.now_ms);
        self.tx
            .prepare_cached(
                "INSERT INTO journal
                 (seq, op_id, entity, entity_id, visit_id, kind, version, payload, hlc, at, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(rusqlite::params![
                seq,
                op_id,
                entity,
                entity_id,
                visit_id,
                kind,
                OP_VERSION,
                payload,
                hlc.encode(),
                self.now_ms,
                hash
            ])?;
        if self.last_entity.as_deref() != Some(entity_id) {
            self.tx
                .prepare_cached("INSERT INTO journal_runs (first_seq, entity_id) VALUES (?1, ?2)")?
                .execute((seq, entity_id))?;
            self.last_entity = Some(entity_id.to_owned());
        }
        self.hlc = hlc;
        self.next_seq += 1;
        Ok(seq)
    }
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`. A file that is not a readable
    /// SQLite database is moved aside (never deleted) and a fresh one created; a database
    /// written by a newer schema is refused untouched. Every commit will be at least as
    /// durable as `floor`.
    ///
    /// With `key`, the database is encrypted (SQLCipher) and blob files are sealed: a plain
    /// database found there is encrypted once, crash-safely, with nothing lost; a key that
    /// does not open the database is [`Error::WrongKey`] and changes nothing on disk.
    pub fn open(
        data_dir: &Path,
        now: Timestamp,
        floor: Durability,
        key: Option<&DatabaseKey>,
    ) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(DB_FILE);
        let now_ms = to_millis(now);
        if let Some(key) = key {
            match cipher::file_kind(&path)? {
                cipher::FileKind::Plain => cipher::encrypt_plain(&path, key)?,
                cipher::FileKind::Other => {
                    if cipher::check_key(&path, key)? == page_cipher::Format::Legacy {
                        cipher::reencrypt_legacy(&path, key)?;
                    }
                }
                cipher::FileKind::Missing => {}
            }
        }
        let (mut writer, recovered_from) = match open_writer(&path, key, now_ms, floor) {
            Err(e) if is_corrupt(&e) => {
                let aside = move_aside(&path, now_ms)?;
                (open_writer(&path, key, now_ms, floor)?, Some(aside))
            }
            other => (other?, None),
        };
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        cipher::apply_key(&reader, key)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        reader.pragma_update(None, "temp_store", 2)?;
        stable_plans(&reader)?;
        reader.pragma_update(None, "query_only", true)?;
        let checkpointer = checkpoint::Checkpointer::start(&path, key, &mut writer.conn)?;
        let blob_key = match key {
            Some(_) => Some(blob_key(&writer.conn)?),
            None => None,
        };
        let blobs = Blobs::open(&data_dir.join("blobs"), blob_key)?;
        if blobs.encrypted() {
            seal_old_blobs(&writer.conn, &blobs)?;
        }
        let device_id = writer_device(&writer.conn)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            blobs,
            device_id,
            path,
            recovered_from,
            floor,
            checkpointer,
        })
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where a corrupt database was moved at open, if it was.
    pub fn recovered_from(&self) -> Option<&Path> {
        self.recovered_from.as_deref()
    }

    /// The content-addressed files.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer and commits it. Ops appended by `f`
    /// get consecutive sequence numbers; if anything fails, nothing is written and the
    /// sequence does not move.
    pub fn write<T>(
        &self,
        durability: Durability,
        now: Timestamp,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let raise = durability > self.floor;
        let mut guard = lock(&self.writer);
        let Writer {
            conn,
            next_seq,
            hlc,
            heads,
            last_entity,
        } = &mut *guard;
        if raise {
            conn.pragma_update(None, "synchronous", synchronous(durability))?;
        }
        type Moved = (HashMap<String, String>, Option<String>);
        let result = (|| -> Result<(T, i64, Hlc, Moved)> {
            let mut tx = Tx {
                tx: conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
                device_id: self.device_id,
                next_seq: *next_seq,
                hlc: *hlc,
                now_ms: to_millis(now),
                heads,
                new_heads: HashMap::new(),
                last_entity: last_entity.clone(),
            };
            let value = f(&mut tx)?;
            // The sequence and HLC are not written here: at open they are recovered from the
            // journal itself (and from the device row, which acknowledging ops updates).
            let moved = (std::mem::take(&mut tx.new_heads), tx.last_entity.take());
            let (seq, stamp) = (tx.next_seq, tx.hlc);
            tx.tx.commit()?;
            Ok((value, seq, stamp, moved))
        })();
        if raise {
            // Back to the floor; a failure here leaves the stricter setting, which is safe.
            let _ = conn.pragma_update(None, "synchronous", synchronous(self.floor));
        }
        let (value, seq, stamp, moved) = result?;
        self.checkpointer.after_commit(conn);
        *next_seq = seq;
        *hlc = stamp;
        heads.extend(moved.0);
        *last_entity = moved.1;
        Ok(value)
    }

    /// Runs `f` on the reader connection (sees every committed write) in one read
    /// transaction: its statements see one snapshot (no commit lands between two of them),
    /// and SQLite takes its shared lock once instead of once per statement — a checklist
    /// view's dozen statements each paid a lock and unlock (`fcntl`) before (BENCHMARKS.md §4).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.reader);
        if !conn.is_autocommit() {
            // A transaction a failed COMMIT left open would refuse this one's BEGIN forever.
            conn.execute_batch("ROLLBACK")?;
        }
        conn.prepare_cached("BEGIN")?.execute([])?;
        let out = f(&conn);
        // A read-only transaction: ending it cannot lose anything; on an error inside `f` it
        // is ended the same way (nothing to roll back).
        let end = conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]).map(drop));
        let value = out?;
        end?;
        Ok(value)
    }

    /// The outbox, oldest first, at most `limit` ops.
    pub fn pending_ops(&self, limit: i64) -> Result<Vec<PendingOp>> {
        self.read(|c| queries::pending_ops(c, limit))
    }

    /// How many ops wait in the outbox.
    pub fn pending_count(&self) -> Result<usize> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM journal WHERE seq > (SELECT acked_seq FROM device)",
                [],
                |r| r.get(0),
            )?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    /// Copies the whole WAL into the database and truncates it: call when the app goes to
    /// the background. Returns `false` if readers kept part of it (it is copied later).
    pub fn checkpoint(&self) -> Result<bool> {
        let guard = lock(&self.writer);
        self.checkpointer.truncate(&guard.conn)
    }

    /// Takes the ops up to `through_seq` (acknowledged by the server) out of the outbox (they
    /// stay in the journal as the jobs' history), and records in the device row where the
    /// sequence and clock stand, so they never go back. Returns how many ops left the outbox.
    pub fn acknowledge(&self, through_seq: i64) -> Result<usize> {
        self.acknowledge_with_outcomes(through_seq, &[], 0)
    }

    /// [`Store::acknowledge`], recording in the same transaction the server's refusals and
    /// conflicts: `(seq, outcome, code, reason)`, at `at_ms`.
    pub fn acknowledge_with_outcomes(
        &self,
        through_seq: i64,
        outcomes: &[(i64, &str, &str, &str)],
        at_ms: i64,
    ) -> Result<usize> {
        let mut guard = lock(&self.writer);
        let Writer {
            conn,
            next_seq,
            hlc,
            ..
        } = &mut *guard;
        let through = through_seq.min(*next_seq - 1);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let acked: i64 = tx.query_row("SELECT acked_seq FROM device", [], |r| r.get(0))?;
        if through <= acked {
            return Ok(0);
        }
        let n: i64 = tx.query_row(
            "SELECT count(*) FROM journal WHERE seq > ?1 AND seq <= ?2",
            (acked, through),
            |r| r.get(0),
        )?;
        for (seq, outcome, code, reason) in
            outcomes.iter().filter(|o| o.0 > acked && o.0 <= through)
        {
            tx.execute(
                "INSERT OR REPLACE INTO op_outcomes (seq, outcome, code, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (seq, outcome, code, reason, at_ms),
            )?;
        }
        tx.execute(
            "UPDATE device SET acked_seq = ?1, next_seq = ?2, hlc_wall = ?3, hlc_counter = ?4",
            (through, *next_seq, hlc.wall_ms, hlc.counter),
        )?;
        tx.commit()?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// `PRAGMA integrity_check`: `Ok(())` or the problems found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let found: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(found.into_iter().filter(|s| s != "ok").collect())
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
    // back on drop), so the connection is still good.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn synchronous(d: Durability) -> &'static str {
    match d {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    }
}

/// Query plans that never depend on bound values, so a cached statement is never
/// re-prepared when it is reused (SQLite otherwise recompiles some of ours on every call).
fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// The key that seals blob files, made (32 random bytes) and stored on first use.
fn blob_key(conn: &Connection) -> Result<BlobKey> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM local_secrets WHERE name = 'blob_key'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let raw = match stored {
        Some(raw) => raw,
        None => {
            let raw = BlobKey::generate()?.to_vec();
            conn.execute(
                "INSERT INTO local_secrets (name, value) VALUES ('blob_key', ?1)",
                [&raw],
            )?;
            raw
        }
    };
    Ok(BlobKey::from_bytes(&raw)?)
}

/// Seals the blob files written before encryption was on, once (recorded in the database).
fn seal_old_blobs(conn: &Connection, blobs: &Blobs) -> Result<()> {
    let done: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM local_secrets WHERE name = 'blobs_sealed')",
        [],
        |r| r.get(0),
    )?;
    if !done {
        blobs.encrypt_existing()?;
        conn.execute(
            "INSERT INTO local_secrets (name, value) VALUES ('blobs_sealed', x'01')",
            [],
        )?;
    }
    Ok(())
}

fn open_writer(
    path: &Path,
    key: Option<&DatabaseKey>,
    now_ms: i64,
    floor: Durability,
) -> Result<Writer> {
    let mut conn = Connection::open(path)?;
    cipher::apply_key(&conn, key)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::invalid(
            "database",
            format!("journal mode {mode}, not WAL"),
        ));
    }
    conn.pragma_update(None, "synchronous", synchronous(floor))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", 2)?;
    // After a checkpoint resets the WAL, it is truncated back to this size.
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
    stable_plans(&conn)?;
    schema::migrate(&mut conn, &DeviceId::new().to_string(), now_ms)?;
    let (device_seq, wall, counter): (i64, i64, u32) = conn.query_row(
        "SELECT next_seq, hlc_wall, hlc_counter FROM device",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (last_seq, last_hlc, last_entity): (Option<i64>, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT seq, hlc, entity_id FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((Some(r.get(0)?), Some(r.get(1)?), Some(r.get(2)?))),
        )
        .optional()?
        .unwrap_or((None, None, None));
    let device_hlc = Hlc {
        wall_ms: wall,
        counter,
    };
    Ok(Writer {
        conn,
        next_seq: device_seq.max(last_seq.map_or(1, |s| s + 1)),
        hlc: last_hlc
            .as_deref()
            .and_then(Hlc::decode)
            .map_or(device_hlc, |h| h.max(device_hlc)),
        heads: HashMap::new(),
        last_entity,
    })
}

fn writer_device(conn: &Connection) -> Result<DeviceId> {
    let id: Option<String> = conn
        .query_row("SELECT id FROM device", [], |r| r.get(0))
        .optional()?;
    let id = id.ok_or_else(|| Error::not_found("device", "row"))?;
    id.parse()
        .map_err(|_| Error::invalid("device id", "not a UUID"))
}

fn is_corrupt(e: &Error) -> bool {
    matches!(
        e,
        Error::Storage(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Renames the database and its WAL/SHM files to `*.corrupt-<ms>`; returns the new db path.
fn move_aside(path: &Path, now_ms: i64) -> Result<PathBuf> {
    let suffix = format!(".corrupt-{now_ms}");
    let mut aside = path.as_os_str().to_owned();
    aside.push(&suffix);
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    for ext in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(ext);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut to = aside.as_os_str().to_owned();
            to.push(ext);
            std::fs::rename(&from, PathBuf::from(to))?;
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests;
