//! Jobs before and around the visit: today's list, one job, receiving a work order,
//! accepting, the pre-visit call, rescheduling, travel, delay notices, arrival, no access,
//! cancellation — and the records and enums they speak in.

use fieldkit_core::api as core_api;
use fieldkit_core::model as m;
use fieldkit_core::workflow::JobStatus as CoreJobStatus;

use crate::convert::{i32_of, id, ms, ms_opt, time};
use crate::error::Result;
use crate::kit::FieldKit;
use crate::returns::Sale;

/// A span of time, in milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TimeWindow {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl TimeWindow {
    fn from_core(w: m::TimeWindow) -> Self {
        Self {
            start_ms: ms(w.start),
            end_ms: ms(w.end),
        }
    }

    fn to_core(self, field: &str) -> Result<m::TimeWindow> {
        Ok(m::TimeWindow {
            start: time(field, self.start_ms)?,
            end: time(field, self.end_ms)?,
        })
    }
}

/// What the visit is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum JobKind {
    Delivery,
    Installation,
    Repair,
    ReturnExchange,
    FollowUp,
}

impl From<m::JobKind> for JobKind {
    fn from(k: m::JobKind) -> Self {
        match k {
            m::JobKind::Delivery => Self::Delivery,
            m::JobKind::Installation => Self::Installation,
            m::JobKind::Repair => Self::Repair,
            m::JobKind::ReturnExchange => Self::ReturnExchange,
            m::JobKind::FollowUp => Self::FollowUp,
        }
    }
}

impl From<JobKind> for m::JobKind {
    fn from(k: JobKind) -> Self {
        match k {
            JobKind::Delivery => Self::Delivery,
            JobKind::Installation => Self::Installation,
            JobKind::Repair => Self::Repair,
            JobKind::ReturnExchange => Self::ReturnExchange,
            JobKind::FollowUp => Self::FollowUp,
        }
    }
}

/// Response-promise zone of an address (市区 / 郊区 / 农村).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Zone {
    Urban,
    Suburban,
    Rural,
}

impl From<m::Zone> for Zone {
    fn from(z: m::Zone) -> Self {
        match z {
            m::Zone::Urban => Self::Urban,
            m::Zone::Suburban => Self::Suburban,
            m::Zone::Rural => Self::Rural,
        }
    }
}

impl From<Zone> for m::Zone {
    fn from(z: Zone) -> Self {
        match z {
            Zone::Urban => Self::Urban,
            Zone::Suburban => Self::Suburban,
            Zone::Rural => Self::Rural,
        }
    }
}

/// Who pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Billing {
    Warranty,
    Paid,
}

impl From<m::Billing> for Billing {
    fn from(b: m::Billing) -> Self {
        match b {
            m::Billing::Warranty => Self::Warranty,
            m::Billing::Paid => Self::Paid,
        }
    }
}

impl From<Billing> for m::Billing {
    fn from(b: Billing) -> Self {
        match b {
            Billing::Warranty => Self::Warranty,
            Billing::Paid => Self::Paid,
        }
    }
}

/// Where a work order stands in its lifecycle (the desk's view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum WorkOrderStatus {
    Assigned,
    Accepted,
    Confirmed,
    Visiting,
    Completed,
    AwaitingReturn,
    NoAccess,
    Cancelled,
    /// A visit ended for want of a part (待件): a follow-up visit is due.
    AwaitingParts,
    /// The customer refused to sign the service record: the desk decides what follows.
    SignatureRefused,
    /// The customer declined the quote: closed, at most the call-out fee charged.
    QuoteDeclined,
    /// Another visit is needed: the next one is agreed by a call.
    SecondVisitNeeded,
    /// The delivered unit was damaged on unboxing: closed, a redelivery requested.
    RedeliveryRequested,
}

impl From<m::WorkOrderStatus> for WorkOrderStatus {
    fn from(s: m::WorkOrderStatus) -> Self {
        use m::WorkOrderStatus as S;
        match s {
            S::Assigned => Self::Assigned,
            S::Accepted => Self::Accepted,
            S::Confirmed => Self::Confirmed,
            S::Visiting => Self::Visiting,
            S::Completed => Self::Completed,
            S::AwaitingReturn => Self::AwaitingReturn,
            S::NoAccess => Self::NoAccess,
            S::Cancelled => Self::Cancelled,
            S::AwaitingParts => Self::AwaitingParts,
            S::SignatureRefused => Self::SignatureRefused,
            S::QuoteDeclined => Self::QuoteDeclined,
            S::SecondVisitNeeded => Self::SecondVisitNeeded,
            S::RedeliveryRequested => Self::RedeliveryRequested,
        }
    }
}

impl From<WorkOrderStatus> for m::WorkOrderStatus {
    fn from(s: WorkOrderStatus) -> Self {
        use WorkOrderStatus as S;
        match s {
            S::Assigned => Self::Assigned,
            S::Accepted => Self::Accepted,
            S::Confirmed => Self::Confirmed,
            S::Visiting => Self::Visiting,
            S::Completed => Self::Completed,
            S::AwaitingReturn => Self::AwaitingReturn,
            S::NoAccess => Self::NoAccess,
            S::Cancelled => Self::Cancelled,
            S::AwaitingParts => Self::AwaitingParts,
            S::SignatureRefused => Self::SignatureRefused,
            S::QuoteDeclined => Self::QuoteDeclined,
            S::SecondVisitNeeded => Self::SecondVisitNeeded,
            S::RedeliveryRequested => Self::RedeliveryRequested,
        }
    }
}

/// Where a job stands for the technician (order and open visit together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum JobStatus {
    Assigned,
    Accepted,
    Confirmed,
    EnRoute,
    Arrived,
    InProgress,
    Paused,
    Completed,
    AwaitingReturn,
    NoAccess,
    Cancelled,
    /// A visit ended for want of a part (待件): a follow-up visit is due.
    AwaitingParts,
    /// The customer refused to sign the service record: the desk decides what follows.
    SignatureRefused,
    /// The customer declined the quote: closed, at most the call-out fee charged.
    QuoteDeclined,
    /// Another visit is needed: the next one is agreed by a call.
    SecondVisitNeeded,
    /// The delivered unit was damaged on unboxing: closed, a redelivery requested.
    RedeliveryRequested,
}

impl From<CoreJobStatus> for JobStatus {
    fn from(s: CoreJobStatus) -> Self {
        use CoreJobStatus as S;
        match s {
            S::Assigned => Self::Assigned,
            S::Accepted => Self::Accepted,
            S::Confirmed => Self::Confirmed,
            S::EnRoute => Self::EnRoute,
            S::Arrived => Self::Arrived,
            S::InProgress => Self::InProgress,
            S::Paused => Self::Paused,
            S::Completed => Self::Completed,
            S::AwaitingReturn => Self::AwaitingReturn,
            S::NoAccess => Self::NoAccess,
            S::Cancelled => Self::Cancelled,
            S::AwaitingParts => Self::AwaitingParts,
            S::SignatureRefused => Self::SignatureRefused,
            S::QuoteDeclined => Self::QuoteDeclined,
            S::SecondVisitNeeded => Self::SecondVisitNeeded,
            S::RedeliveryRequested => Self::RedeliveryRequested,
        }
    }
}

/// A work order as the desk dispatched it. Customer name, phone and address are personal
/// data: show them, never log them.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct WorkOrder {
    pub id: String,
    pub number: String,
    pub kind: JobKind,
    pub customer_name: String,
    pub customer_phone: String,
    pub address: String,
    pub zone: Zone,
    pub product_model: String,
    pub product_serial: Option<String>,
    /// The fault as the customer describes it (故障现象).
    pub reported_fault: String,
    pub promised: TimeWindow,
    pub billing: Billing,
    pub instructions: Option<String>,
    pub reported_at_ms: i64,
    pub status: WorkOrderStatus,
    /// The job this one was made from (a redelivery, a rework…); `null`/`nil` for a job made
    /// on its own.
    #[uniffi(default = None)]
    pub parent: Option<ParentLink>,
    /// The sale of the goods (a return or exchange is judged on it); `null`/`nil` if none.
    #[uniffi(default = None)]
    pub sale: Option<Sale>,
}

impl WorkOrder {
    pub(crate) fn from_core(o: m::WorkOrder) -> Self {
        Self {
            id: o.id.to_string(),
            number: o.number,
            kind: o.kind.into(),
            customer_name: o.customer.name,
            customer_phone: o.customer.phone,
            address: o.site.address,
            zone: o.site.zone.into(),
            product_model: o.product.model,
            product_serial: o.product.serial,
            reported_fault: o.reported_fault,
            promised: TimeWindow::from_core(o.promised),
            billing: o.billing.into(),
            instructions: o.instructions,
            reported_at_ms: ms(o.reported_at),
            status: o.status.into(),
            parent: o.parent.map(ParentLink::from_core),
            sale: o.sale.map(Sale::from_core),
        }
    }

    pub(crate) fn to_core(&self) -> Result<m::WorkOrder> {
        Ok(m::WorkOrder {
            id: id("work order id", &self.id)?,
            number: self.number.clone(),
            kind: self.kind.into(),
            customer: m::Customer {
                name: self.customer_name.clone(),
                phone: self.customer_phone.clone(),
            },
            site: m::Site {
                address: self.address.clone(),
                zone: self.zone.into(),
            },
            product: m::Product {
                model: self.product_model.clone(),
                serial: self.product_serial.clone(),
            },
            reported_fault: self.reported_fault.clone(),
            promised: self.promised.to_core("promised window")?,
            billing: self.billing.into(),
            instructions: self.instructions.clone(),
            reported_at: time("reported at", self.reported_at_ms)?,
            status: self.status.into(),
            // The desk pins checklists on the jobs it syncs; one made in the app has none.
            checklist: None,
            parent: self.parent.as_ref().map(ParentLink::to_core).transpose()?,
            sale: self.sale.as_ref().map(Sale::to_core).transpose()?,
        })
    }
}

/// Why a job was made from another one (关联工单).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LinkKind {
    /// 回访: a follow-up visit.
    FollowUp,
    /// 二次配送: the goods delivered again.
    Redelivery,
    /// 返工: the parent's work done again.
    Rework,
    /// 二次上门: a second visit to finish the parent's work.
    SecondVisit,
    /// 回访维修: the repair a follow-up call turned up.
    CallbackRepair,
}

impl From<m::LinkKind> for LinkKind {
    fn from(k: m::LinkKind) -> Self {
        match k {
            m::LinkKind::FollowUp => Self::FollowUp,
            m::LinkKind::Redelivery => Self::Redelivery,
            m::LinkKind::Rework => Self::Rework,
            m::LinkKind::SecondVisit => Self::SecondVisit,
            m::LinkKind::CallbackRepair => Self::CallbackRepair,
        }
    }
}

impl From<LinkKind> for m::LinkKind {
    fn from(k: LinkKind) -> Self {
        match k {
            LinkKind::FollowUp => Self::FollowUp,
            LinkKind::Redelivery => Self::Redelivery,
            LinkKind::Rework => Self::Rework,
            LinkKind::SecondVisit => Self::SecondVisit,
            LinkKind::CallbackRepair => Self::CallbackRepair,
        }
    }
}

/// A job's link to the job the desk made it from: its number to show (the parent itself is
/// often not on this phone) and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ParentLink {
    pub id: String,
    pub number: String,
    pub kind: LinkKind,
}

impl ParentLink {
    fn from_core(p: m::ParentLink) -> Self {
        Self {
            id: p.id.to_string(),
            number: p.number,
            kind: p.kind.into(),
        }
    }

    fn to_core(&self) -> Result<m::ParentLink> {
        Ok(m::ParentLink {
            id: id("parent job id", &self.id)?,
            number: self.number.clone(),
            kind: self.kind.into(),
        })
    }
}

/// A line of the technician's job list.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct JobSummary {
    pub id: String,
    pub number: String,
    pub kind: JobKind,
    pub status: JobStatus,
    pub promised: TimeWindow,
    pub zone: Zone,
    pub product_model: String,
    /// Personal data: for the technician's screen only.
    pub customer_name: String,
    /// Personal data: for the technician's screen only.
    pub address: String,
    /// The job this one was made from (a redelivery, a rework…); `null`/`nil` for most.
    #[uniffi(default = None)]
    pub parent: Option<ParentLink>,
}

/// How a visit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum VisitOutcome {
    Completed,
    TakenBack,
    NoAccess,
    Rescheduled,
    Cancelled,
    /// Diagnosed, a part was missing (待件): the job waits for a follow-up visit.
    AwaitingParts,
    /// The customer refused to sign the service record.
    SignatureRefused,
    /// The customer declined the quote (at most the call-out fee charged).
    QuoteDeclined,
    /// Another visit is needed (the reason kept).
    SecondVisitNeeded,
    /// The delivered unit was damaged on unboxing: a redelivery requested.
    RedeliveryRequested,
}

/// Where a visit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum VisitStatus {
    Planned,
    EnRoute,
    Arrived,
    Working,
    Paused,
    Ended { outcome: VisitOutcome },
}

impl From<m::VisitStatus> for VisitStatus {
    fn from(s: m::VisitStatus) -> Self {
        use m::VisitOutcome as O;
        match s {
            m::VisitStatus::Planned => Self::Planned,
            m::VisitStatus::EnRoute => Self::EnRoute,
            m::VisitStatus::Arrived => Self::Arrived,
            m::VisitStatus::Working => Self::Working,
            m::VisitStatus::Paused => Self::Paused,
            m::VisitStatus::Ended(o) => Self::Ended {
                outcome: match o {
                    O::Completed => VisitOutcome::Completed,
                    O::TakenBack => VisitOutcome::TakenBack,
                    O::NoAccess => VisitOutcome::NoAccess,
                    O::Rescheduled => VisitOutcome::Rescheduled,
                    O::Cancelled => VisitOutcome::Cancelled,
                    O::AwaitingParts => VisitOutcome::AwaitingParts,
                    O::SignatureRefused => VisitOutcome::SignatureRefused,
                    O::QuoteDeclined => VisitOutcome::QuoteDeclined,
                    O::SecondVisitNeeded => VisitOutcome::SecondVisitNeeded,
                    O::RedeliveryRequested => VisitOutcome::RedeliveryRequested,
                },
            },
        }
    }
}

/// One visit to the customer's home.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Visit {
    pub id: String,
    /// 1 for the first visit of the order, 2 for the next…
    pub number: i32,
    pub status: VisitStatus,
    pub template_id: String,
    pub template_version: i32,
    pub agreed: TimeWindow,
    pub planned_at_ms: i64,
    pub travel_started_at_ms: Option<i64>,
    pub arrived_at_ms: Option<i64>,
    pub work_started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
}

impl From<m::Visit> for Visit {
    fn from(v: m::Visit) -> Self {
        Self {
            id: v.id.to_string(),
            number: i32_of(v.number),
            status: v.status.into(),
            template_id: v.template.id,
            template_version: i32_of(v.template.version),
            agreed: TimeWindow::from_core(v.agreed),
            planned_at_ms: ms(v.planned_at),
            travel_started_at_ms: ms_opt(v.travel_started_at),
            arrived_at_ms: ms_opt(v.arrived_at),
            work_started_at_ms: ms_opt(v.work_started_at),
            ended_at_ms: ms_opt(v.ended_at),
        }
    }
}

/// Everything about one job.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct JobDetail {
    pub order: WorkOrder,
    pub status: JobStatus,
    /// The open visit, or else the last one.
    pub visit: Option<Visit>,
}

/// What was confirmed with the customer on the pre-visit call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CallConfirmations {
    #[uniffi(default = false)]
    pub address: bool,
    #[uniffi(default = false)]
    pub phone: bool,
    #[uniffi(default = false)]
    pub name: bool,
    #[uniffi(default = false)]
    pub time_window: bool,
    #[uniffi(default = false)]
    pub product_model: bool,
}

/// What happened on the pre-visit call.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CallOutcome {
    /// The customer answered.
    pub reached: bool,
    pub confirmed: CallConfirmations,
    /// The window agreed; `null` keeps the promised one.
    #[uniffi(default = None)]
    pub agreed: Option<TimeWindow>,
    #[uniffi(default = None)]
    pub note: Option<String>,
}

/// What arrival recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Arrival {
    /// Arrived after the agreed window ended.
    pub late: bool,
    /// A delay notice reached the customer before the window ended.
    pub notified_in_time: bool,
}

/// A notice to the customer that the technician will be late.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DelayNotice {
    pub id: String,
    pub notified_at_ms: i64,
    pub reason: String,
    pub new_eta_ms: i64,
    /// Sent before the agreed window ended, as the procedure requires.
    pub in_time: bool,
}

#[uniffi::export]
impl FieldKit {
    /// Stores a work order dispatched to this technician. Sync does this; the demo and tests
    /// call it directly. Not queued for the server.
    pub fn receive_work_order(&self, order: WorkOrder) -> Result<()> {
        let core_order = order.to_core()?;
        self.job_command(&order.id, "receive_work_order", |k, _| {
            k.receive_work_order(&core_order)
        })
    }

    /// Today's jobs (in the technician's time zone) and still-open earlier ones.
    pub fn todays_jobs(&self) -> Result<Vec<JobSummary>> {
        Ok(self
            .core
            .todays_jobs()?
            .into_iter()
            .map(|j| JobSummary {
                id: j.id.to_string(),
                number: j.number,
                kind: j.kind.into(),
                status: j.status.into(),
                promised: TimeWindow::from_core(j.promised),
                zone: j.zone.into(),
                product_model: j.product_model,
                customer_name: j.customer_name,
                address: j.address,
                parent: j.parent.map(ParentLink::from_core),
            })
            .collect())
    }

    /// One job with its current (or last) visit.
    pub fn job(&self, job_id: String) -> Result<JobDetail> {
        let d: core_api::JobDetail = self.job_read(&job_id, |k, id| k.job(id))?;
        Ok(JobDetail {
            order: WorkOrder::from_core(d.order),
            status: d.status.into(),
            visit: d.visit.map(Visit::from),
        })
    }

    /// The technician takes the job.
    pub fn accept(&self, job_id: String) -> Result<JobStatus> {
        self.job_command(&job_id, "accept", |k, id| k.accept(id))
            .map(Into::into)
    }

    /// Records the pre-visit call; a call that reached the customer plans the visit.
    pub fn call_customer(&self, job_id: String, call: CallOutcome) -> Result<JobStatus> {
        let c = call.confirmed;
        let outcome = core_api::CallOutcome {
            reached: call.reached,
            confirmed: m::CallConfirmations {
                address: c.address,
                phone: c.phone,
                name: c.name,
                time_window: c.time_window,
                product_model: c.product_model,
            },
            agreed: call
                .agreed
                .map(|w| w.to_core("agreed window"))
                .transpose()?,
            note: call.note,
        };
        self.job_command(&job_id, "call_customer", |k, id| {
            k.call_customer(id, &outcome)
        })
        .map(Into::into)
    }

    /// Moves the appointment (before arrival); a new time is agreed by calling again.
    pub fn reschedule(
        &self,
        job_id: String,
        window: TimeWindow,
        reason: String,
    ) -> Result<JobStatus> {
        let w = window.to_core("window")?;
        self.job_command(&job_id, "reschedule", |k, id| k.reschedule(id, w, &reason))
            .map(Into::into)
    }

    /// Sets off to the customer (everything to do before leaving must be done).
    pub fn start_travel(&self, job_id: String) -> Result<JobStatus> {
        self.job_command(&job_id, "start_travel", |k, id| k.start_travel(id))
            .map(Into::into)
    }

    /// Tells the customer the technician will be late: reason and new ETA.
    pub fn notify_delay(
        &self,
        job_id: String,
        reason: String,
        new_eta_ms: i64,
    ) -> Result<DelayNotice> {
        let eta = time("new ETA", new_eta_ms)?;
        let n = self.job_command(&job_id, "notify_delay", |k, id| {
            k.notify_delay(id, &reason, eta)
        })?;
        Ok(DelayNotice {
            id: n.id.to_string(),
            notified_at_ms: ms(n.notified_at),
            reason: n.reason,
            new_eta_ms: ms(n.new_eta),
            in_time: n.in_time,
        })
    }

    /// Arrives at the customer's.
    pub fn arrive(&self, job_id: String) -> Result<Arrival> {
        let a = self.job_command(&job_id, "arrive", |k, id| k.arrive(id))?;
        Ok(Arrival {
            late: a.late,
            notified_in_time: a.notified_in_time,
        })
    }

    /// Nobody home or no access: the visit ends and a new time must be agreed.
    pub fn no_access(&self, job_id: String, note: String) -> Result<JobStatus> {
        self.job_command(&job_id, "no_access", |k, id| k.no_access(id, &note))
            .map(Into::into)
    }

    /// Cancels the job. What was recorded stays.
    pub fn cancel(&self, job_id: String, reason: String) -> Result<JobStatus> {
        self.job_command(&job_id, "cancel", |k, id| k.cancel(id, &reason))
            .map(Into::into)
    }
}
