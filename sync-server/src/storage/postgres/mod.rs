//! The PostgreSQL backend (tokio-postgres behind a deadpool pool): for fleets that outgrow
//! one machine, with stateless server replicas in front of one database. Every push is one
//! transaction, committed before the answer; a device's pushes are serialized by a row lock
//! on the device, and change-feed inserts by a transaction-scoped advisory lock so that
//! change sequence numbers become visible in order (a puller never skips one).
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

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use fieldkit_core::model::{DeviceId, LinkKind, WorkOrder, WorkOrderId};
use fieldkit_core::sync::protocol::{Change, ChangeEntry, Op, PushResponse};
use tokio_postgres::NoTls;

use super::enrolment::Enrolment;
use super::{Fut, Storage, StorageError};
use crate::push::{Batch, PublishedCache};
use crate::records::{
    Completion, CompletionState, DeviceRecord, DrawingCheck, Flag, JobChange, JobFacts, JobRecord,
    PushPolicy, Ruling, Technician,
};

/// Advisory lock keys (arbitrary, fixed).
const SCHEMA_LOCK: i64 = 0x4649_454c_4401;
const CHANGES_LOCK: i64 = 0x4649_454c_4402;

/// The PostgreSQL backend.
pub struct PostgresStorage {
    pool: Pool,
    published: std::sync::Arc<PublishedCache>,
}

fn pool_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(format!("postgres pool: {e}"))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://…`) and brings the schema up to date
    /// ([`migrations`]); a database of a newer schema is refused untouched.
    pub async fn connect(url: &str, max_connections: usize) -> Result<Self, StorageError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StorageError::Backend(format!("database url: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .build()
            .map_err(pool_err)?;
        let this = Self {
            pool,
            published: Default::default(),
        };
        let mut c = this.pool.get().await.map_err(pool_err)?;
        migrations::migrate(&mut c, migrations::MIGRATIONS).await?;
        Ok(this)
    }
}

impl Storage for PostgresStorage {
    fn measure_facts(&self, from: i64, _to: i64) -> Fut<'_, Vec<JobFacts>> {
        Box::pin(measures::facts_in_snapshot(&self.pool, from))
    }

    fn complaint_handled(&self, id: WorkOrderId, at: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            measures::complaint_handled(&c, &id.to_string(), at).await
        })
    }

    fn record_cash_handin(&self, h: crate::records::CashHandIn) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            measures::record_cash_handin(&c, &h).await
        })
    }

    fn cash_handins(&self, day: String) -> Fut<'_, Vec<crate::records::CashHandIn>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            measures::cash_handins(&c, &day).await
        })
    }

    fn record_invoice(&self, i: crate::records::InvoiceRecord) -> Fut<'_, ()> {
        Box::pin(async move { invoices::record_invoice(&self.pool, &i).await })
    }

    fn invoices(&self) -> Fut<'_, Vec<crate::records::InvoiceRecord>> {
        Box::pin(invoices::invoices(&self.pool))
    }

    fn record_sla(&self, n: crate::storage::sla_rows::NewSla) -> Fut<'_, i64> {
        Box::pin(async move { sla::record_sla(&self.pool, &n).await })
    }

    fn sla_versions(&self) -> Fut<'_, Vec<crate::sla::SlaVersion>> {
        Box::pin(sla::sla_versions(&self.pool))
    }

    fn ops_of_kind(&self, kind: String) -> Fut<'_, Vec<Op>> {
        Box::pin(async move { invoices::ops_of_kind(&self.pool, &kind).await })
    }

    fn health(&self) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.query_one("SELECT 1", &[]).await?;
            Ok(())
        })
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn create_technician(&self, t: Technician) -> Fut<'_, ()> {
        Box::pin(devices::create_technician(&self.pool, t))
    }

    fn technicians(&self) -> Fut<'_, Vec<Technician>> {
        Box::pin(devices::technicians(&self.pool))
    }

    fn create_enrolment_code(
        &self,
        id: String,
        code_hash: String,
        technician_id: String,
        expires_at: i64,
        now: i64,
    ) -> Fut<'_, ()> {
        Box::pin(devices::create_enrolment_code(
            &self.pool,
            id,
            code_hash,
            technician_id,
            expires_at,
            now,
        ))
    }

    fn enroll(&self, e: Enrolment) -> Fut<'_, String> {
        Box::pin(devices::enroll(&self.pool, e))
    }

    fn revoke_enrolment_code(&self, id: String, now: i64) -> Fut<'_, ()> {
        Box::pin(devices::revoke_enrolment_code(&self.pool, id, now))
    }

    fn server_key(&self, name: &'static str, fresh: Vec<u8>) -> Fut<'_, Vec<u8>> {
        Box::pin(devices::server_key(&self.pool, name, fresh))
    }

    fn device_by_token(&self, token_hash: String) -> Fut<'_, Option<DeviceRecord>> {
        Box::pin(devices::device_by_token(&self.pool, token_hash))
    }

    fn devices(&self) -> Fut<'_, Vec<DeviceRecord>> {
        Box::pin(devices::devices(&self.pool))
    }

    fn revoke_device(&self, id: DeviceId, now: i64) -> Fut<'_, ()> {
        Box::pin(devices::revoke_device(&self.pool, id, now))
    }

    fn create_work_order(
        &self,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        Box::pin(jobs::create_work_order(
            &self.pool,
            &self.published,
            order,
            technician_id,
            now,
        ))
    }

    fn change_work_order(
        &self,
        id: WorkOrderId,
        change: JobChange,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        Box::pin(jobs::change_work_order(&self.pool, id, change, now))
    }

    fn work_order(&self, id: WorkOrderId) -> Fut<'_, Option<JobRecord>> {
        Box::pin(jobs::work_order(&self.pool, id))
    }

    fn work_orders(&self, technician_id: Option<String>) -> Fut<'_, Vec<JobRecord>> {
        Box::pin(jobs::work_orders(&self.pool, technician_id))
    }

    fn create_child_work_order(
        &self,
        parent: WorkOrderId,
        kind: LinkKind,
        order: WorkOrder,
        technician_id: Option<String>,
        now: i64,
    ) -> Fut<'_, JobRecord> {
        Box::pin(jobs::create_child_work_order(
            &self.pool,
            &self.published,
            parent,
            kind,
            order,
            technician_id,
            now,
        ))
    }

    fn child_work_orders(&self, parent: WorkOrderId) -> Fut<'_, Vec<JobRecord>> {
        Box::pin(jobs::child_work_orders(&self.pool, parent))
    }

    fn publish(&self, change: Change, now: i64) -> Fut<'_, i64> {
        Box::pin(jobs::publish(&self.pool, change, now))
    }

    fn pull(
        &self,
        technician_id: String,
        cursor: i64,
        limit: i64,
    ) -> Fut<'_, (Vec<ChangeEntry>, bool)> {
        Box::pin(jobs::pull(&self.pool, technician_id, cursor, limit))
    }

    fn push(
        &self,
        device: DeviceRecord,
        batch: Batch,
        sent_at: Option<i64>,
        policy: PushPolicy,
        now: i64,
    ) -> Fut<'_, PushResponse> {
        Box::pin(self.push_tx(device, batch, sent_at, policy, now))
    }

    fn pending_drawings(&self, limit: i64) -> Fut<'_, Vec<DrawingCheck>> {
        Box::pin(ops::pending_drawings(&self.pool, limit))
    }

    fn finish_drawing(&self, op_id: String, flags: Vec<Flag>, now: i64) -> Fut<'_, bool> {
        Box::pin(self.finish_drawing_tx(op_id, flags, now))
    }

    fn completions(&self, state: Option<CompletionState>, limit: i64) -> Fut<'_, Vec<Completion>> {
        Box::pin(self.completions_in(state, limit))
    }

    fn job_completions(&self, id: WorkOrderId) -> Fut<'_, Vec<Completion>> {
        Box::pin(self.job_completions_of(id))
    }

    fn decide_completion(
        &self,
        id: WorkOrderId,
        ruling: Ruling,
        by: String,
        note: Option<String>,
        now: i64,
    ) -> Fut<'_, Completion> {
        Box::pin(self.decide(id, ruling, by, note, now))
    }

    fn job_ops(&self, id: WorkOrderId, kind: String) -> Fut<'_, Vec<Op>> {
        Box::pin(ops::job_ops(&self.pool, id, kind))
    }
}
