//! The embedded SQLite backend: one database file in the data dir, WAL, `synchronous=FULL`
//! (an ack means the commit survived power loss), one writer thread that commits pushes in
//! groups, and read-only connections beside it ([`super::group_commit`]).
//!
//! The [`Storage`] calls are one-line delegations to the domain files: [`devices`]
//! (technicians, devices, enrolment codes), [`jobs`] (work orders, the change feed, pulls,
//! publications), [`judge`] (pushes, completions, drawing checks, the desk's rulings), [`ops`]
//! (stored ops read back), [`flags`] and [`measures`]; [`dashboard`] and [`webhooks`] hold the
//! other two storage traits' impls.

mod accounts;
mod complaints;
mod dashboard;
mod devices;
mod flags;
mod invoices;
mod jobs;
mod judge;
mod leases;
mod measures;
pub mod migrations;
mod ops;
mod people;
mod sla;
mod spares;
mod tools;
mod webhooks;

use std::path::Path;

use fieldkit_core::model::{DeviceId, LinkKind, WorkOrder, WorkOrderId};
use fieldkit_core::sync::protocol::{Change, ChangeEntry, Op, PushResponse};
use rusqlite::Connection;

use super::enrolment::Enrolment;
use super::group_commit::Connections;
use super::{Fut, Storage, StorageError};
use crate::push::{Batch, PublishedCache};
use crate::records::{
    Completion, CompletionState, DeviceRecord, DrawingCheck, Flag, JobChange, JobFacts, JobRecord,
    PushPolicy, Ruling, Technician,
};

/// The SQLite backend.
pub struct SqliteStorage {
    db: Connections,
    published: std::sync::Arc<PublishedCache>,
}

impl SqliteStorage {
    /// Opens (creating) `fieldkit-server.db` in `dir` and brings its schema up to date
    /// ([`migrations`]); a database of a newer schema is refused untouched.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend(e.to_string()))?;
        let db = Connections::open(&dir.join("fieldkit-server.db"), |c, writer| {
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            if writer {
                c.pragma_update(None, "synchronous", "FULL")?;
                // First, with foreign keys still off (migrations may rebuild tables) and
                // before WAL: a refused database is left as it was.
                migrations::migrate(c, migrations::MIGRATIONS)?;
                c.pragma_update(None, "journal_mode", "WAL")?;
            }
            c.pragma_update(None, "foreign_keys", "ON")?;
            Ok(())
        })?;
        Ok(Self {
            db,
            published: Default::default(),
        })
    }

    /// A write, alone on the writer connection.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        self.db.write(f)
    }

    /// A read, on a read-only connection.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Fut<'static, T> {
        self.db.read(f)
    }
}

impl Storage for SqliteStorage {
    fn measure_facts(&self, from: i64, _to: i64) -> Fut<'_, Vec<JobFacts>> {
        self.read(move |c| measures::facts(c, from))
    }

    fn complaint_handled(&self, id: WorkOrderId, at: i64) -> Fut<'_, i64> {
        self.run(move |c| measures::complaint_handled(c, &id.to_string(), at))
    }

    fn record_cash_handin(&self, h: crate::records::CashHandIn) -> Fut<'_, ()> {
        self.run(move |c| measures::record_cash_handin(c, &h))
    }

    fn cash_handins(&self, day: String) -> Fut<'_, Vec<crate::records::CashHandIn>> {
        self.read(move |c| measures::cash_handins(c, &day))
    }

    fn record_invoice(&self, i: crate::records::InvoiceRecord) -> Fut<'_, ()> {
        self.run(move |c| invoices::record_invoice(c, &i))
    }

    fn invoices(&self) -> Fut<'_, Vec<crate::records::InvoiceRecord>> {
        self.read(invoices::invoices)
    }

    fn record_sla(&self, n: crate::storage::sla_rows::NewSla) -> Fut<'_, i64> {
        self.run(move |c| sla::record_sla(c, &n))
    }

    fn sla_versions(&self) -> Fut<'_, Vec<crate::sla::SlaVersion>> {
        self.read(sla::sla_versions)
    }

    fn ops_of_kind(&self, kind: String) -> Fut<'_, Vec<Op>> {
        self.read(move |c| invoices::ops_of_kind(c, &kind))
    }

    fn health(&self) -> Fut<'_, ()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn create_technician(&self, t: Technician) -> Fut<'_, ()> {
        self.run(move |c| devices::create_technician(c, t))
    }

    fn technicians(&self) -> Fut<'_, Vec<Technician>> {
        self.read(devices::technicians)
    }

    fn create_enrolment_code(
        &self,
        id: String,
        code_hash: String,
        technician_id: String,
        expires_at: i64,
        now: i64,
    ) -> Fut<'_, ()> {
        self.run(move |c| {
            devices::create_enrolment_code(c, id, code_hash, technician_id, expires_at, now)
        })
    }

    fn enroll(&self, e: Enrolment) -> Fut<'_, String> {
        self.run(move |c| devices::enroll(c, e))
    }

    fn revoke_enrolment_code(&self, id: String, now: i64) -> Fut<'_, ()> {
        self.run(move |c| devices::revoke_enrolment_code(c, &id, now))
    }

    fn server_key(&self, name: &'static str, fresh: Vec<u8>) -> Fut<'_, Vec<u8>> {
        self.run(move |c| devices::server_key(c, name, &fresh))
    }

    fn device_by_token(&self, token_hash: String) -> Fut<'_, Option<DeviceRecord>> {
        self.read(move |c| devices::device_by_token(c, token_hash))
    }

    fn devices(&self) -> Fut<'_, Vec<DeviceRecord>> {
        self.read(devices::devices)
    }

    fn revoke_device(&self, id: DeviceId, now: i64) -> Fut<'_, ()> {
        self.run(move |c| devices::revoke_device(c, id, now))
    }

    fn create_work_order(
        &self,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        let published = self.published.clone();
        self.run(move |c| jobs::create_work_order(c, order, technician_id, now, &published))
    }

    fn change_work_order(
        &self,
        id: WorkOrderId,
        change: JobChange,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        self.run(move |c| jobs::change_work_order(c, id, change, now))
    }

    fn work_order(&self, id: WorkOrderId) -> Fut<'_, Option<JobRecord>> {
        self.read(move |c| jobs::load_job(c, &id.to_string()))
    }

    fn work_orders(&self, technician_id: Option<String>) -> Fut<'_, Vec<JobRecord>> {
        self.read(move |c| jobs::work_orders(c, technician_id))
    }

    fn create_child_work_order(
        &self,
        parent: WorkOrderId,
        kind: LinkKind,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        let cache = self.published.clone();
        self.run(move |c| {
            jobs::create_child_work_order(c, parent, kind, order, technician_id, now, &cache)
        })
    }

    fn child_work_orders(&self, parent: WorkOrderId) -> Fut<'_, Vec<JobRecord>> {
        self.read(move |c| jobs::child_work_orders(c, parent))
    }

    fn publish(&self, change: Change, now: i64) -> Fut<'_, i64> {
        self.run(move |c| jobs::publish(c, change, now))
    }

    fn pull(
        &self,
        technician_id: String,
        cursor: i64,
        limit: i64,
    ) -> Fut<'_, (Vec<ChangeEntry>, bool)> {
        self.read(move |c| jobs::pull(c, technician_id, cursor, limit))
    }

    fn push(
        &self,
        device: DeviceRecord,
        batch: Batch,
        sent_at: Option<i64>,
        policy: PushPolicy,
        now: i64,
    ) -> Fut<'_, PushResponse> {
        let cache = self.published.clone();
        self.db
            .write_grouped(move |c| judge::push_tx(c, device, batch, sent_at, policy, now, &cache))
    }

    fn pending_drawings(&self, limit: i64) -> Fut<'_, Vec<DrawingCheck>> {
        self.read(move |c| ops::pending_drawings(c, limit))
    }

    fn finish_drawing(&self, op_id: String, flags: Vec<Flag>, now: i64) -> Fut<'_, bool> {
        self.run(move |c| judge::finish_drawing(c, &op_id, &flags, now))
    }

    fn completions(&self, state: Option<CompletionState>, limit: i64) -> Fut<'_, Vec<Completion>> {
        self.read(move |c| judge::completions(c, state, limit))
    }

    fn job_completions(&self, id: WorkOrderId) -> Fut<'_, Vec<Completion>> {
        self.read(move |c| judge::job_completions(c, id))
    }

    fn decide_completion(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Fut<'_, Completion> {
        self.run(move |c| judge::decide(c, id, ruling, &by, note.as_deref(), now))
    }

    fn job_ops(&self, id: WorkOrderId, kind: String) -> Fut<'_, Vec<Op>> {
        // A read: beside the writer, never queued behind it (the public verify page).
        self.read(move |c| ops::job_ops(c, id, kind))
    }
}
