//! The device's side of sync, without the network: the server account, applying a page of
//! pulled changes (one transaction, cursor included), taking acknowledged ops out of the
//! outbox together with the server's refusals, and which blobs the server still lacks.
//! The sync run (`sync_run`, over `sync::client`'s HTTP) drives these; none of them waits on
//! the network.

use serde::{Deserialize, Serialize};

use super::{Current, FieldKit, text};
use crate::checklist::Template;
use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{queries, records};
use crate::sync::protocol::{Change, OpOutcome, OpResult, PullResponse};
use crate::workflow::JobAction;

/// The server this device is enrolled with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAccount {
    pub server_url: String,
    pub technician_id: String,
    /// The bearer token the server gave this device (a secret: never logged).
    pub token: String,
    pub enrolled_at: Timestamp,
}

impl std::fmt::Debug for ServerAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAccount")
            .field("server_url", &self.server_url)
            .field("technician_id", &self.technician_id)
            .finish_non_exhaustive()
    }
}

/// An op the server refused or kept as a conflict: shown to the technician, never retried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpIssue {
    pub seq: i64,
    /// The op's kind (`answer_step`, `complete`…) and what it was about (the work order id).
    pub kind: String,
    pub entity_id: String,
    /// `rejected` or `conflict`.
    pub outcome: String,
    pub code: String,
    pub reason: String,
    pub at: Timestamp,
}

/// What applying one page of pulled changes did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub changes: usize,
    /// Changes the device could not use (a malformed template…): skipped, the page applied.
    pub skipped: usize,
    /// The jobs the page changed on this device, in the page's order, each with what the
    /// desk did ([`PULLED_ORDER`], [`PULLED_CANCELLATION`], [`PULLED_REMOVAL`]).
    pub jobs: Vec<(WorkOrderId, &'static str)>,
}

/// A pulled job: new, reassigned here, or its details changed by the desk.
pub const PULLED_ORDER: &str = "pulled_work_order";
/// A pulled cancellation that cancelled the job on this device.
pub const PULLED_CANCELLATION: &str = "pulled_cancellation";
/// A pulled removal: the job was assigned to someone else (hidden from the lists).
pub const PULLED_REMOVAL: &str = "pulled_removal";

impl FieldKit {
    /// The server this device is enrolled with, if any.
    pub fn server_account(&self) -> Result<Option<ServerAccount>> {
        self.store.read(|c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row(
                "SELECT server_url, technician_id, token, enrolled_at FROM server_account",
                [],
                |r| {
                    Ok(ServerAccount {
                        server_url: r.get(0)?,
                        technician_id: r.get(1)?,
                        token: r.get(2)?,
                        enrolled_at: from_millis(r.get(3)?),
                    })
                },
            )
            .optional()?)
        })
    }

    /// This device's key, made and kept at the first call (two racing first calls keep one).
    #[cfg(feature = "client")]
    pub(crate) fn device_key(&self) -> Result<crate::sync::device_key::DeviceKey> {
        use crate::sync::device_key::DeviceKey;
        use rusqlite::OptionalExtension;
        const READ: &str = "SELECT value FROM local_secrets WHERE name = 'device_signing_key'";
        let stored: Option<Vec<u8>> = self
            .store
            .read(|c| Ok(c.query_row(READ, [], |r| r.get(0)).optional()?))?;
        if let Some(bytes) = stored {
            return DeviceKey::from_pkcs8(&bytes);
        }
        let fresh = DeviceKey::generate()?;
        let kept: Vec<u8> = self.write(|tx| {
            tx.execute(
                "INSERT INTO local_secrets (name, value) VALUES ('device_signing_key', ?1)
                 ON CONFLICT (name) DO NOTHING",
                [fresh.pkcs8()],
            )?;
            Ok(tx.query_row(READ, [], |r| r.get(0))?)
        })?;
        DeviceKey::from_pkcs8(&kept)
    }

    /// Stores the server account after enrolment (replacing an earlier one).
    #[cfg(feature = "client")]
    pub(crate) fn save_server_account(&self, account: &ServerAccount) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO server_account (singleton, server_url, token, technician_id, enrolled_at)
                 VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (singleton) DO UPDATE SET server_url = excluded.server_url,
                    token = excluded.token, technician_id = excluded.technician_id,
                    enrolled_at = excluded.enrolled_at",
                (
                    &account.server_url,
                    &account.token,
                    &account.technician_id,
                    to_millis(account.enrolled_at),
                ),
            )?;
            Ok(())
        })
    }

    /// The op encodings the server said it reads (enrolment, the last pull), of those this
    /// app knows ([`crate::sync::protocol::ACCEPTS`]); empty before enrolment.
    pub fn server_accepts(&self) -> Result<Vec<String>> {
        self.store.read(server_accepts)
    }

    /// The server sequence up to which changes have been applied.
    pub fn pull_cursor(&self) -> Result<i64> {
        self.store
            .read(|c| Ok(c.query_row("SELECT pull_cursor FROM device", [], |r| r.get(0))?))
    }

    /// Applies one page of changes from the server and moves the cursor, in one transaction:
    /// after a crash either the whole page is applied or none of it, and the next pull asks
    /// again from the cursor. Dispatcher-owned fields are replaced; nothing the technician
    /// recorded is touched. A page older than the cursor is ignored.
    pub fn apply_changes(&self, page: &PullResponse) -> Result<Applied> {
        let now = self.now();
        self.write(|tx| {
            let cursor: i64 = tx.query_row("SELECT pull_cursor FROM device", [], |r| r.get(0))?;
            let mut applied = Applied::default();
            for entry in page.changes.iter().filter(|e| e.seq > cursor) {
                match self.apply_change(tx, &entry.change, now) {
                    Ok(job) => {
                        applied.changes += 1;
                        applied.jobs.extend(job);
                    }
                    // The desk sent something this app cannot use: skip it, keep the rest.
                    Err(Error::Invalid { .. } | Error::Template(_)) => applied.skipped += 1,
                    Err(e) => return Err(e),
                }
            }
            // The card comes with the page: one the app cannot use is skipped, like a change.
            if let Some(card) = &page.card {
                match super::card::store_card(tx, card, now) {
                    Ok(()) | Err(Error::Invalid { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            store_accepts(tx, &page.accepts)?;
            if page.cursor > cursor {
                tx.execute("UPDATE device SET pull_cursor = ?1", [page.cursor])?;
            }
            Ok(applied)
        })
    }

    fn apply_change(
        &self,
        tx: &crate::store::Tx<'_>,
        change: &Change,
        now: Timestamp,
    ) -> Result<Option<(WorkOrderId, &'static str)>> {
        let mut job = None;
        match change {
            Change::WorkOrder { work_order: o } => {
                validate_order(o)?;
                queries::upsert_work_order(tx, o, now)?;
                // Assigned (back) to this technician.
                tx.execute(
                    "UPDATE work_orders SET left_scope_at = NULL WHERE id = ?1",
                    [o.id.to_string()],
                )?;
                job = Some((o.id, PULLED_ORDER));
            }
            Change::Cancellation { work_order_id, .. } => {
                let id = *work_order_id;
                let mut cur = match queries::work_order(tx, id) {
                    Ok(order) => Current {
                        order,
                        visit: queries::open_visit(tx, id)?,
                        facts: None,
                    },
                    // Never seen here: nothing to cancel.
                    Err(Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(e),
                };
                // The desk's word, not a technician fact: not queued. A job already completed
                // or taken back keeps what happened (the server flags the conflict).
                if cur.job().apply(JobAction::Cancel).is_ok() {
                    self.transition(tx, &mut cur, JobAction::Cancel, now)?;
                    job = Some((id, PULLED_CANCELLATION));
                }
            }
            Change::Removal { work_order_id } => {
                // Hidden from the technician's lists; everything recorded stays, and ops not
                // yet sent still go.
                let hidden = tx.execute(
                    "UPDATE work_orders SET left_scope_at = ?2 WHERE id = ?1",
                    (work_order_id.to_string(), to_millis(now)),
                )?;
                if hidden > 0 {
                    job = Some((*work_order_id, PULLED_REMOVAL));
                }
            }
            Change::ChecklistTemplate { json } => {
                let t = Template::from_json(json)?;
                records::put_template(tx, &t.id, t.version, json)?;
                self.cache_template(std::sync::Arc::new(t));
            }
            Change::FeeSchedule { fee_schedule } => {
                super::validate_fee_schedule(fee_schedule)?;
                records::put_fee_schedule(tx, fee_schedule)?;
            }
            Change::CatalogPart { part } => {
                super::parts::validate_part(part)?;
                records::put_part(tx, part)?;
            }
            Change::Replenishment { replenishment } => {
                super::parts::store_replenishment(tx, replenishment)?;
            }
        }
        Ok(job)
    }

    /// Takes the ops the server has a final answer for (`seq <= acked_through`) out of the
    /// outbox, and records its refusals and conflicts for the technician to see, in one
    /// transaction. Returns how many ops left the outbox.
    pub fn acknowledge_ops(&self, results: &[OpResult], acked_through: i64) -> Result<usize> {
        let issues: Vec<(i64, &str, &str, &str)> = results
            .iter()
            .filter(|r| r.seq <= acked_through)
            .filter_map(|r| match &r.outcome {
                OpOutcome::Rejected { code, reason } => {
                    Some((r.seq, "rejected", &**code, &**reason))
                }
                OpOutcome::Conflict { code, reason } => {
                    Some((r.seq, "conflict", &**code, &**reason))
                }
                _ => None,
            })
            .collect();
        self.store
            .acknowledge_with_outcomes(acked_through, &issues, to_millis(self.now()))
    }

    /// Ops the server refused or flagged, newest first.
    pub fn sync_issues(&self) -> Result<Vec<OpIssue>> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT o.seq, j.kind, j.entity_id, o.outcome, o.code, o.reason, o.at
                   FROM op_outcomes o JOIN journal j ON j.seq = o.seq ORDER BY o.seq DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(OpIssue {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    entity_id: r.get(2)?,
                    outcome: r.get(3)?,
                    code: r.get(4)?,
                    reason: r.get(5)?,
                    at: from_millis(r.get(6)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Files (photos, thumbnails, signature images) the server has not confirmed yet,
    /// oldest first.
    pub fn blobs_to_upload(&self) -> Result<Vec<String>> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT sha256 FROM (
                     SELECT sha256, created_at FROM attachments
                     UNION ALL
                     SELECT thumbnail_sha256, created_at FROM attachments
                      WHERE thumbnail_sha256 IS NOT NULL)
                  WHERE sha256 NOT IN (SELECT sha256 FROM uploaded_blobs)
                  GROUP BY sha256 ORDER BY min(created_at), sha256",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Records that the server holds this blob, complete and verified.
    pub fn mark_blob_uploaded(&self, sha256: &str) -> Result<()> {
        let at = to_millis(self.now());
        self.store
            .write(crate::store::Durability::Normal, self.now(), |tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO uploaded_blobs (sha256, uploaded_at) VALUES (?1, ?2)",
                    (sha256, at),
                )?;
                Ok(())
            })
    }
}

/// The checks a work order from the desk must pass (also for [`FieldKit::receive_work_order`]).
pub(super) fn validate_order(order: &WorkOrder) -> Result<()> {
    text("number", &order.number, 64)?;
    text("product model", &order.product.model, 128)?;
    if let Some(parent) = &order.parent {
        text("parent number", &parent.number, 64)?;
    }
    if order.promised.start >= order.promised.end {
        return Err(Error::invalid("promised window", "ends before it starts"));
    }
    Ok(())
}

/// Keeps what the server said it reads, of what this app knows (an older server: nothing).
pub(crate) fn store_accepts(tx: &rusqlite::Connection, accepts: &[String]) -> Result<()> {
    let known: Vec<&str> = crate::sync::protocol::ACCEPTS
        .iter()
        .copied()
        .filter(|a| accepts.iter().any(|b| b == a))
        .collect();
    tx.execute("UPDATE server_account SET accepts = ?1", [known.join(",")])?;
    Ok(())
}

/// What the server reads beyond the first protocol (see [`FieldKit::server_accepts`]).
pub(crate) fn server_accepts(c: &rusqlite::Connection) -> Result<Vec<String>> {
    use rusqlite::OptionalExtension;
    let stored: Option<String> = c
        .query_row("SELECT accepts FROM server_account", [], |r| r.get(0))
        .optional()?;
    Ok(stored
        .unwrap_or_default()
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect())
}
