//! Storage behind one trait, two backends: [`sqlite`] (embedded default) and [`postgres`].
//!
//! The trait is asynchronous (methods return boxed futures, so the server holds an
//! `Arc<dyn Storage>`): PostgreSQL is natively async, and the SQLite backend runs its
//! synchronous rusqlite work on `spawn_blocking`, so an `fsync` never stalls the runtime.
//! Rules live outside the backends: push decisions in [`crate::push`] (pure, fed with what the
//! backend read inside its transaction) and job changes in [`plan_job_change`]; a backend only
//! reads, writes and commits, so both backends behave the same by construction.

pub mod accounts;
pub mod complaints;
pub mod dashboard;
pub mod enrolment;
mod group_commit;
pub mod leases;
pub mod measure_rows;
pub mod migrations;
pub mod people;
pub mod postgres;
pub mod sla_rows;
pub mod spares;
pub mod sqlite;
pub mod tools;
pub mod webhooks;

use crate::msg;
use std::future::Future;
use std::pin::Pin;

use fieldkit_core::model::{DeviceId, LinkKind, WorkOrder, WorkOrderId, WorkOrderStatus};
use fieldkit_core::sync::protocol::{Change, ChangeEntry, PushResponse};

use crate::msg::{Msg, Thing};
use crate::records::{CashHandIn, CompletionState, InvoiceRecord, JobFacts, PushPolicy};
pub use crate::records::{
    Completion, Decision, DeviceRecord, DrawingCheck, Flag, JobChange, JobPlan, JobRecord, Ruling,
    Technician,
};

/// A boxed future of a storage call.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such record.
    #[error("{0}")]
    NotFound(Thing),
    /// The request contradicts what is stored (duplicate id, closed job…).
    #[error("{0}")]
    Conflict(Msg),
    /// The enrolment code is unknown, expired or already used by another device.
    #[error("the enrolment code is not valid")]
    InvalidCode,
    /// The database failed.
    #[error("storage backend: {0}")]
    Backend(String),
    /// The schema could not be brought up to date (a newer or edited schema is refused).
    #[error(transparent)]
    Migration(#[from] migrations::MigrationError),
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Backend(format!("stored JSON: {e}"))
    }
}

/// One storage backend (the completions feed and webhooks: [`webhooks::WebhookStorage`]).
pub trait Storage:
    webhooks::WebhookStorage
    + dashboard::DashboardStorage
    + accounts::AccountStorage
    + complaints::ComplaintStorage
    + people::PeopleStorage
    + spares::SpareStorage
    + tools::ToolStorage
    + leases::LeaseStorage
    + Send
    + Sync
    + 'static
{
    /// The backend answers.
    fn health(&self) -> Fut<'_, ()>;
    /// Short name for logs and metrics: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Adds a technician.
    fn create_technician(&self, t: Technician) -> Fut<'_, ()>;
    /// Every technician, oldest first.
    fn technicians(&self) -> Fut<'_, Vec<Technician>>;

    /// Stores a one-time enrolment code (its hash) for a technician, under `id` (by which the
    /// desk may revoke it).
    fn create_enrolment_code(
        &self,
        id: String,
        code_hash: String,
        technician_id: String,
        expires_at: i64,
        now: i64,
    ) -> Fut<'_, ()>;
    /// Uses an enrolment code: registers (or re-binds) the device with its key and token hash
    /// and returns the technician's id, as [`enrolment::decide`] says. A repeat of the same
    /// enrolment changes nothing.
    fn enroll(&self, e: enrolment::Enrolment) -> Fut<'_, String>;
    /// Revokes an unused enrolment code by id (a used one then no longer answers a repeat).
    /// `NotFound` if there is no such code.
    fn revoke_enrolment_code(&self, id: String, now: i64) -> Fut<'_, ()>;
    /// The server's secret called `name`: the one stored, or `fresh` stored now when there is
    /// none yet (servers sharing a database agree on the first one stored).
    fn server_key(&self, name: &'static str, fresh: Vec<u8>) -> Fut<'_, Vec<u8>>;
    /// The device a token belongs to (revoked ones included; callers check).
    fn device_by_token(&self, token_hash: String) -> Fut<'_, Option<DeviceRecord>>;
    /// Every device.
    fn devices(&self) -> Fut<'_, Vec<DeviceRecord>>;
    /// Revokes a device's token. `NotFound` if there is no such device.
    fn revoke_device(&self, id: DeviceId, now: i64) -> Fut<'_, ()>;

    /// Creates a work order, optionally assigned. `Conflict` if the id exists.
    fn create_work_order(
        &self,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord>;
    /// Applies a dispatcher's change and queues what the devices concerned must pull.
    fn change_work_order(&self, id: WorkOrderId, change: JobChange, now: i64)
    -> Fut<'_, JobRecord>;
    /// One work order.
    fn work_order(&self, id: WorkOrderId) -> Fut<'_, Option<JobRecord>>;
    /// Work orders, optionally only one technician's, oldest first.
    fn work_orders(&self, technician_id: Option<String>) -> Fut<'_, Vec<JobRecord>>;
    /// Creates `order` (whose body carries the parent link) as a child of `parent` made for
    /// `kind`, optionally assigned, and its row in `job_links`, in one transaction that holds
    /// the parent (PostgreSQL: `FOR UPDATE`, the lock a cancellation takes; SQLite: the
    /// writer's `BEGIN IMMEDIATE`) while it checks it with [`child_refusal`]: a parent
    /// cancelled concurrently either refuses the child or is cancelled after it, never in
    /// between. `NotFound` without such a parent or technician, `Conflict` when the parent
    /// refuses children or the id exists; nothing is written then.
    fn create_child_work_order(
        &self,
        parent: WorkOrderId,
        kind: LinkKind,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord>;
    /// The jobs the desk made from `parent` (their rows in `job_links`), oldest first.
    fn child_work_orders(&self, parent: WorkOrderId) -> Fut<'_, Vec<JobRecord>>;

    /// Publishes reference data every device pulls (templates, fee schedules, parts).
    fn publish(&self, change: Change, now: i64) -> Fut<'_, i64>;
    /// Changes for a technician after `cursor`, at most `limit`, and whether more wait.
    fn pull(
        &self,
        technician_id: String,
        cursor: i64,
        limit: i64,
    ) -> Fut<'_, (Vec<ChangeEntry>, bool)>;

    /// Applies a device's batch of ops in one transaction, committed before it returns.
    fn push(
        &self,
        device: DeviceRecord,
        batch: crate::push::Batch,
        sent_at: Option<i64>,
        policy: PushPolicy,
        now: i64,
    ) -> Fut<'_, PushResponse>;

    /// Completions whose signature drawings are still to be checked, oldest first, each with
    /// its device's `sign` ops on the job and the completion itself, in `seq` order.
    fn pending_drawings(&self, limit: i64) -> Fut<'_, Vec<DrawingCheck>>;

    /// Records a completion's drawing check: its flags stored and the check done, at once. A
    /// completion that was `checking` is then counted (the job completed) when the drawings
    /// match, else held. Whether it was recorded: a check already finished (by another
    /// instance whose claim outlived its lease, or a second call) writes nothing, `false`.
    fn finish_drawing(&self, op_id: String, flags: Vec<Flag>, now: i64) -> Fut<'_, bool>;

    /// Completions received, newest first, with their flags; only those in `state` when
    /// given.
    fn completions(&self, state: Option<CompletionState>, limit: i64) -> Fut<'_, Vec<Completion>>;

    /// A job's completions (the standing one and any conflicts), oldest first.
    fn job_completions(&self, id: WorkOrderId) -> Fut<'_, Vec<Completion>>;

    /// The desk's decision on a job's held completion: released (it counts: the job is
    /// completed, the measures and the feed get it) or rejected (it never counts), with who
    /// and why in the audit log. `Conflict` when the job has no held completion.
    fn decide_completion(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Fut<'_, Completion>;

    /// The facts the quality measures of `[from, to)` are computed from (ms): a superset of
    /// the period's jobs with their applied ops (which: [`measure_rows`]; backends may use
    /// `to` to narrow the read, today they do not).
    fn measure_facts(&self, from: i64, to: i64) -> Fut<'_, Vec<JobFacts>>;
    /// Records that the desk handled the customer's complaint on a job at `at` (ms) and
    /// returns the time that counts (the first). `NotFound` if there is no such job.
    fn complaint_handled(&self, id: WorkOrderId, at: i64) -> Fut<'_, i64>;
    /// Records cash a technician handed in to the desk for a local day (migration 0005).
    /// `NotFound` when there is no such technician; nothing is written then.
    fn record_cash_handin(&self, h: CashHandIn) -> Fut<'_, ()>;
    /// The cash hand-ins recorded for a local day (YYYY-MM-DD), in the order recorded.
    fn cash_handins(&self, day: String) -> Fut<'_, Vec<CashHandIn>>;
    /// Records that the invoice of a settlement was issued (migration 0007). `NotFound`
    /// without such a job; `Conflict` when the settlement's invoice is already recorded
    /// (nothing is changed then).
    fn record_invoice(&self, i: InvoiceRecord) -> Fut<'_, ()>;
    /// Every invoice recorded, in the order recorded.
    fn invoices(&self) -> Fut<'_, Vec<InvoiceRecord>>;
    /// Stores a new version of the SLA table (migration 0009) with the next number (1, 2…)
    /// and returns that number; the versions before it are kept.
    fn record_sla(&self, n: sla_rows::NewSla) -> Fut<'_, i64>;
    /// Every version of the SLA table set so far, oldest first (empty: none set).
    fn sla_versions(&self) -> Fut<'_, Vec<crate::sla::SlaVersion>>;
    /// Every job's stored ops of one kind (`settle`…) from every device, rejected ones left
    /// out, in the order they were received.
    fn ops_of_kind(&self, kind: String) -> Fut<'_, Vec<fieldkit_core::sync::protocol::Op>>;
    /// A job's stored ops of one kind (`sign`, `complete`…) from every device, rejected
    /// ones left out, in the order they were received (the public verify page reads the
    /// signatures from them).
    fn job_ops(
        &self,
        id: WorkOrderId,
        kind: String,
    ) -> Fut<'_, Vec<fieldkit_core::sync::protocol::Op>>;
}

/// Plans a dispatcher's change to a job (pure; both backends write what it says).
pub fn plan_job_change(
    current: &JobRecord,
    change: &JobChange,
    now: i64,
) -> Result<JobPlan, StorageError> {
    let mut job = current.clone();
    job.updated_at = now;
    let id = job.order.id;
    let mut changes = Vec::new();
    let mut scope = None;
    let closed = job.order.status == WorkOrderStatus::Cancelled;
    match change {
        JobChange::Assign { technician_id } => {
            if closed {
                return Err(StorageError::Conflict(msg!("err-job-cancelled")));
            }
            if job.technician_id.as_deref() != Some(technician_id) {
                if let Some(prev) = &job.technician_id {
                    changes.push((prev.clone(), Change::Removal { work_order_id: id }));
                }
                if job.completed_at.is_none() {
                    job.order.status = WorkOrderStatus::Assigned;
                }
                job.technician_id = Some(technician_id.clone());
                scope = Some(technician_id.clone());
                changes.push((
                    technician_id.clone(),
                    Change::WorkOrder {
                        work_order: job.order.clone(),
                    },
                ));
            }
        }
        JobChange::Reschedule { window } => {
            if closed || job.order.status == WorkOrderStatus::Completed {
                return Err(StorageError::Conflict(msg!("err-job-closed")));
            }
            if window.start >= window.end {
                return Err(StorageError::Conflict(msg!("err-window-backwards")));
            }
            job.order.promised = *window;
            if let Some(t) = &job.technician_id {
                changes.push((
                    t.clone(),
                    Change::WorkOrder {
                        work_order: job.order.clone(),
                    },
                ));
            }
        }
        JobChange::Cancel { reason } => {
            if closed {
                return Err(StorageError::Conflict(msg!("err-job-already-cancelled")));
            }
            job.order.status = WorkOrderStatus::Cancelled;
            job.cancel_reason = Some(reason.clone());
            if let Some(t) = &job.technician_id {
                changes.push((
                    t.clone(),
                    Change::Cancellation {
                        work_order_id: id,
                        reason: reason.clone(),
                    },
                ));
            }
        }
    }
    Ok(JobPlan {
        job,
        changes,
        scope,
    })
}

/// Why `parent` may not have a child made from it now (a cancelled job: the desk makes a new
/// job instead), or `None`. Pure: both backends call it inside the child's transaction.
pub fn child_refusal(parent: &JobRecord) -> Option<StorageError> {
    (parent.order.status == WorkOrderStatus::Cancelled || parent.cancel_reason.is_some())
        .then(|| StorageError::Conflict(msg!("err-job-cancelled-no-child")))
}

/// The id and version of a published template, read from its JSON (validated).
pub(crate) fn template_key(json: &str) -> Result<(String, u32), StorageError> {
    fieldkit_core::checklist::Template::from_json(json)
        .map(|t| (t.id, t.version))
        .map_err(|e| StorageError::Conflict(msg!("err-template-invalid").detail(e.to_string())))
}

/// Parses a stored work order.
pub(crate) fn order_from(body: &str) -> Result<WorkOrder, StorageError> {
    Ok(serde_json::from_str(body)?)
}

/// Parses a stored device id.
pub(crate) fn device_id_from(s: &str) -> Result<DeviceId, StorageError> {
    s.parse()
        .map_err(|_| StorageError::Backend("stored device id is not a UUID".into()))
}
