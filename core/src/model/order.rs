//! The work order as the dispatcher created it, and its lifecycle states.

use serde::{Deserialize, Serialize};

use super::{Sale, SaleFacts, TemplateRef, Timestamp, WorkOrderId};

/// What the visit is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// 送货: deliver goods, unbox and inspect them with the customer.
    Delivery,
    /// 安装调试: install and commission.
    Installation,
    /// 维修: repair.
    Repair,
    /// 退换货: return or exchange.
    ReturnExchange,
    /// 回访/走访: follow-up visit.
    FollowUp,
}

impl JobKind {
    /// Every kind, in a stable order.
    pub const ALL: [JobKind; 5] = [
        JobKind::Delivery,
        JobKind::Installation,
        JobKind::Repair,
        JobKind::ReturnExchange,
        JobKind::FollowUp,
    ];

    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Delivery => "delivery",
            JobKind::Installation => "installation",
            JobKind::Repair => "repair",
            JobKind::ReturnExchange => "return_exchange",
            JobKind::FollowUp => "follow_up",
        }
    }

    /// Parses the name written by [`JobKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Response-promise zone of an address (市区 / 郊区 / 农村).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Urban,
    Suburban,
    Rural,
}

impl Zone {
    /// Every zone, in the order the desk lists them.
    pub const ALL: [Zone; 3] = [Zone::Urban, Zone::Suburban, Zone::Rural];

    /// The zone's stable name (`urban`, `suburban`, `rural`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Urban => "urban",
            Zone::Suburban => "suburban",
            Zone::Rural => "rural",
        }
    }

    /// Parses the name written by [`Zone::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|z| z.as_str() == s)
    }
}

/// Who pays for the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Covered by the warranty: free to the customer.
    Warranty,
    /// Paid by the customer: fees must be shown and agreed before work starts.
    Paid,
}

/// The customer, as the desk recorded them. Personal data: never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub phone: String,
}

impl std::fmt::Debug for Customer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Customer { <redacted> }")
    }
}

/// Where the visit takes place. The address is personal data: never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub address: String,
    pub zone: Zone,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Site {{ address: <redacted>, zone: {:?} }}", self.zone)
    }
}

/// The appliance concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub model: String,
    /// Serial number or barcode, when known.
    pub serial: Option<String>,
}

/// A span of time promised to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl TimeWindow {
    /// Whether `t` falls inside the window (inclusive).
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t <= self.end
    }
}

/// Where a work order stands in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    /// Dispatched to the technician, not yet accepted.
    Assigned,
    /// Accepted by the technician; the visit time is not yet agreed.
    Accepted,
    /// The pre-visit call agreed the visit; a visit is planned.
    Confirmed,
    /// A visit is under way (travel, on site, working or paused).
    Visiting,
    /// Work finished and signed off.
    Completed,
    /// The unit was taken back to the workshop; a return visit is due.
    AwaitingReturn,
    /// Nobody was home; the visit must be rescheduled.
    NoAccess,
    /// Cancelled by the desk or the customer.
    Cancelled,
    /// Diagnosed, a part was missing (待件): the parts are requested, a follow-up visit is due.
    AwaitingParts,
    /// The customer refused to sign the service record: the desk decides what follows.
    SignatureRefused,
    /// The customer declined the quote: closed, at most the call-out fee charged.
    QuoteDeclined,
    /// Another visit is needed: a follow-up visit is due on this job.
    SecondVisitNeeded,
    /// The delivered unit was damaged on unboxing: closed, a redelivery job requested.
    RedeliveryRequested,
}

impl WorkOrderStatus {
    /// Every status: the lifecycle's order, then the ones added since (appended, so an index
    /// into this list never changes meaning).
    pub const ALL: [WorkOrderStatus; 13] = [
        Self::Assigned,
        Self::Accepted,
        Self::Confirmed,
        Self::Visiting,
        Self::Completed,
        Self::AwaitingReturn,
        Self::NoAccess,
        Self::Cancelled,
        Self::AwaitingParts,
        Self::SignatureRefused,
        Self::QuoteDeclined,
        Self::SecondVisitNeeded,
        Self::RedeliveryRequested,
    ];

    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Accepted => "accepted",
            Self::Confirmed => "confirmed",
            Self::Visiting => "visiting",
            Self::Completed => "completed",
            Self::AwaitingReturn => "awaiting_return",
            Self::NoAccess => "no_access",
            Self::Cancelled => "cancelled",
            Self::AwaitingParts => "awaiting_parts",
            Self::SignatureRefused => "signature_refused",
            Self::QuoteDeclined => "quote_declined",
            Self::SecondVisitNeeded => "second_visit_needed",
            Self::RedeliveryRequested => "redelivery_requested",
        }
    }

    /// Parses the name written by [`WorkOrderStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// No transition leaves this status.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Cancelled | Self::QuoteDeclined | Self::RedeliveryRequested
        )
    }
}

/// A work order as it reached the technician's phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub id: WorkOrderId,
    /// The desk's human-readable reference, e.g. "WO-20261123-0042".
    pub number: String,
    pub kind: JobKind,
    pub customer: Customer,
    pub site: Site,
    pub product: Product,
    /// The fault as the customer describes it (故障现象).
    pub reported_fault: String,
    /// When the technician promised to be there.
    pub promised: TimeWindow,
    pub billing: Billing,
    /// The desk's notes for the technician (e.g. installation requirements).
    pub instructions: Option<String>,
    /// When the customer called the desk (response time is measured from here).
    pub reported_at: Timestamp,
    pub status: WorkOrderStatus,
    /// The checklists the desk pinned on the job (absent from older servers: the app picks
    /// the template by the job's kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<JobChecklist>,
    /// The job this one follows from (a redelivery, a rework…), when the desk created it from
    /// another; absent from older servers and on jobs made on their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// The sale of the goods (a return or exchange is judged on it); absent from older servers
    /// and on jobs the desk recorded no sale for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<Sale>,
}

impl WorkOrder {
    /// What a return decision on this job is judged on: the sale, asked on the sale's
    /// `requested_at` (a parent job's day), else at this order's `reported_at`.
    pub fn sale_facts(&self) -> Option<SaleFacts> {
        self.sale.clone().map(|sale| SaleFacts {
            requested_at: sale.requested_at.unwrap_or(self.reported_at),
            sale,
        })
    }
}

/// The checklists the desk pinned on a job when it created it: the one its visits follow and,
/// after a take-back, the one its return visit follows. The server judges the visit by these,
/// never by the device's choice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobChecklist {
    pub visit: TemplateRef,
    pub return_visit: Option<TemplateRef>,
}

/// Why a job was made from another one (关联工单).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// 回访: a follow-up visit after the parent's work.
    FollowUp,
    /// 二次配送: the goods are delivered again (the first delivery failed or was refused).
    Redelivery,
    /// 返工: the parent's work is done again (it was not done right).
    Rework,
    /// 二次上门: a second visit to finish what the parent's visit began.
    SecondVisit,
    /// 回访维修: the repair a follow-up call turned up.
    CallbackRepair,
}

impl LinkKind {
    /// Every kind, in a stable order (new kinds are appended).
    pub const ALL: [LinkKind; 5] = [
        LinkKind::FollowUp,
        LinkKind::Redelivery,
        LinkKind::Rework,
        LinkKind::SecondVisit,
        LinkKind::CallbackRepair,
    ];

    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::FollowUp => "follow_up",
            LinkKind::Redelivery => "redelivery",
            LinkKind::Rework => "rework",
            LinkKind::SecondVisit => "second_visit",
            LinkKind::CallbackRepair => "callback_repair",
        }
    }

    /// Parses the name written by [`LinkKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of work a child job of this link does unless the desk says otherwise: a
    /// redelivery delivers, a follow-up follows up, the rest repair.
    pub fn default_job_kind(self) -> JobKind {
        match self {
            LinkKind::FollowUp => JobKind::FollowUp,
            LinkKind::Redelivery => JobKind::Delivery,
            LinkKind::Rework | LinkKind::SecondVisit | LinkKind::CallbackRepair => JobKind::Repair,
        }
    }

    /// Whether a child job of this link may do `kind` of work: a redelivery only delivers, a
    /// callback's repair only repairs and a follow-up only follows up; a rework redoes a
    /// repair or an installation; a second visit continues whatever the parent was.
    pub fn allows(self, kind: JobKind) -> bool {
        match self {
            LinkKind::FollowUp => kind == JobKind::FollowUp,
            LinkKind::Redelivery => kind == JobKind::Delivery,
            LinkKind::CallbackRepair => kind == JobKind::Repair,
            LinkKind::Rework => matches!(kind, JobKind::Repair | JobKind::Installation),
            LinkKind::SecondVisit => true,
        }
    }
}

/// A child job's link to the job it was made from: enough for the phone to show the chain
/// without holding the parent (another technician's job, or one long closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub id: WorkOrderId,
    /// The parent's human-readable reference.
    pub number: String,
    pub kind: LinkKind,
}
