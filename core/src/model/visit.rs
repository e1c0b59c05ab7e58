//! A visit to the customer's home and the facts recorded during it.

use serde::{Deserialize, Serialize};

use super::{
    CallId, Cents, DelayNoticeId, FeeConsentId, FeedbackId, FindingId, LoanerId, ReceiptId,
    TimeEntryId, TimeWindow, Timestamp, VisitId, WorkOrderId,
};

/// Where a visit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "outcome")]
pub enum VisitStatus {
    /// Agreed with the customer; the technician is preparing to leave.
    Planned,
    /// Travelling to the customer.
    EnRoute,
    /// On site: ID shown, assessment under way; paid work has not started.
    Arrived,
    /// Working on the product.
    Working,
    /// Paused (customer's meal or rest time, waiting for a part…).
    Paused,
    /// The visit is over.
    Ended(VisitOutcome),
}

impl VisitStatus {
    /// The stable snake_case name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::EnRoute => "en_route",
            Self::Arrived => "arrived",
            Self::Working => "working",
            Self::Paused => "paused",
            Self::Ended(o) => o.as_str(),
        }
    }

    /// Parses the name written by [`VisitStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "planned" => Self::Planned,
            "en_route" => Self::EnRoute,
            "arrived" => Self::Arrived,
            "working" => Self::Working,
            "paused" => Self::Paused,
            other => Self::Ended(VisitOutcome::parse(other)?),
        })
    }

    /// The visit is still open.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Ended(_))
    }

    /// The technician is at the customer's (arrived, working or paused).
    pub fn is_on_site(self) -> bool {
        matches!(self, Self::Arrived | Self::Working | Self::Paused)
    }
}

/// How a visit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    /// Work done and signed off.
    Completed,
    /// Unit taken back to the workshop (receipt issued, maybe a loaner left).
    TakenBack,
    /// Nobody home / no access to the site.
    NoAccess,
    /// The customer moved the appointment before the technician arrived.
    Rescheduled,
    /// The job was cancelled during the visit.
    Cancelled,
    /// Diagnosed, but a part is not in the van (待件): the parts are requested and the job
    /// waits for a follow-up visit.
    AwaitingParts,
    /// The work is done but the customer refused to sign the service record: the reason, a
    /// witness or a photo kept, the job flagged for the desk.
    SignatureRefused,
    /// The customer declined the quote after diagnosis: no paid work, at most the call-out fee
    /// (with the customer's consent to it alone).
    QuoteDeclined,
    /// The work needs another visit (a second technician, a site condition, more time): the
    /// reason kept, the job planned again.
    SecondVisitNeeded,
    /// The delivered unit was damaged on unboxing: the finding signed by the customer, photos,
    /// a redelivery requested from the desk (seed 004 第3章 第9条).
    RedeliveryRequested,
}

impl VisitOutcome {
    /// Every outcome.
    pub const ALL: [VisitOutcome; 10] = [
        Self::Completed,
        Self::TakenBack,
        Self::NoAccess,
        Self::Rescheduled,
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
            Self::Completed => "completed",
            Self::TakenBack => "taken_back",
            Self::NoAccess => "no_access",
            Self::Rescheduled => "rescheduled",
            Self::Cancelled => "cancelled",
            Self::AwaitingParts => "awaiting_parts",
            Self::SignatureRefused => "signature_refused",
            Self::QuoteDeclined => "quote_declined",
            Self::SecondVisitNeeded => "second_visit_needed",
            Self::RedeliveryRequested => "redelivery_requested",
        }
    }

    /// Parses the name written by [`VisitOutcome::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Which checklist template (and which version of it) a visit follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub id: String,
    pub version: u32,
}

/// One visit to the customer's home for a work order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: VisitId,
    pub work_order_id: WorkOrderId,
    /// 1 for the first visit of the order, 2 for the next…
    pub number: u32,
    pub status: VisitStatus,
    pub template: TemplateRef,
    /// The window agreed on the pre-visit call.
    pub agreed: TimeWindow,
    pub planned_at: Timestamp,
    pub travel_started_at: Option<Timestamp>,
    pub arrived_at: Option<Timestamp>,
    pub work_started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
}

/// The kind of time being spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    Travel,
    OnSite,
    Paused,
}

impl TimeKind {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Travel => "travel",
            Self::OnSite => "on_site",
            Self::Paused => "paused",
        }
    }

    /// Parses the name written by [`TimeKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Travel, Self::OnSite, Self::Paused]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A span of time spent on a visit; `ended_at` is `None` while it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeEntry {
    pub id: TimeEntryId,
    pub visit_id: VisitId,
    pub kind: TimeKind,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Why the visit was paused (for `Paused` entries).
    pub reason: Option<String>,
}

/// What the technician confirmed with the customer on the pre-visit call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallConfirmations {
    pub address: bool,
    pub phone: bool,
    pub name: bool,
    pub time_window: bool,
    pub product_model: bool,
}

impl CallConfirmations {
    /// Everything was confirmed.
    pub fn all() -> Self {
        Self {
            address: true,
            phone: true,
            name: true,
            time_window: true,
            product_model: true,
        }
    }

    /// Names of the items not confirmed.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        for (ok, name) in [
            (self.address, "address"),
            (self.phone, "phone"),
            (self.name, "name"),
            (self.time_window, "time_window"),
            (self.product_model, "product_model"),
        ] {
            if !ok {
                m.push(name);
            }
        }
        m
    }
}

/// The call to the customer before leaving (PROCEDURE step 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreVisitCall {
    pub id: CallId,
    pub work_order_id: WorkOrderId,
    pub called_at: Timestamp,
    /// The customer answered.
    pub reached: bool,
    pub confirmed: CallConfirmations,
    /// The visit window agreed on the call (when reached).
    pub agreed: Option<TimeWindow>,
    pub note: Option<String>,
}

/// A notice to the customer that the technician will be late (PROCEDURE step 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DelayNotice {
    pub id: DelayNoticeId,
    pub visit_id: VisitId,
    pub notified_at: Timestamp,
    pub reason: String,
    pub new_eta: Timestamp,
    /// Sent before the promised time, as the procedure requires.
    pub in_time: bool,
}

/// The kind of anomaly found on site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Parts of the product are missing.
    IncompleteParts,
    /// Signs the unit was opened or tampered with.
    Tampering,
    /// Man-made damage.
    ManMadeDamage,
    /// The fault is not caused by the company's product.
    NotCompanyFault,
    /// The unit is out of warranty.
    OutOfWarranty,
    /// Goods damaged on delivery.
    DamagedOnDelivery,
    Other,
}

impl FindingKind {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncompleteParts => "incomplete_parts",
            Self::Tampering => "tampering",
            Self::ManMadeDamage => "man_made_damage",
            Self::NotCompanyFault => "not_company_fault",
            Self::OutOfWarranty => "out_of_warranty",
            Self::DamagedOnDelivery => "damaged_on_delivery",
            Self::Other => "other",
        }
    }

    /// Parses the name written by [`FindingKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::IncompleteParts,
            Self::Tampering,
            Self::ManMadeDamage,
            Self::NotCompanyFault,
            Self::OutOfWarranty,
            Self::DamagedOnDelivery,
            Self::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An anomaly written on the service record; the customer signs to confirm it (step 7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub visit_id: VisitId,
    pub kind: FindingKind,
    pub description: String,
    pub recorded_at: Timestamp,
    /// The customer's signature confirming the finding, once given.
    pub acknowledged_by: Option<super::SignatureId>,
}

/// One line of a fee schedule (维修项目与维修费标准).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeItem {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub amount: Cents,
}

/// The published fees, versioned so a consent names exactly what was shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    pub id: String,
    pub version: u32,
    pub currency: String,
    pub items: Vec<FeeItem>,
}

/// The customer's consent to paid work, given before it starts (step 9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeConsent {
    pub id: FeeConsentId,
    pub visit_id: VisitId,
    pub schedule_id: String,
    pub schedule_version: u32,
    /// Codes of the fee items the customer agreed to.
    pub items: Vec<String>,
    pub total: Cents,
    pub agreed: bool,
    pub at: Timestamp,
}

/// A loaner unit (替补品) left with the customer while theirs is in the workshop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loaner {
    pub id: LoanerId,
    pub work_order_id: WorkOrderId,
    pub model: String,
    pub serial: String,
    pub lent_at: Timestamp,
    pub returned_at: Option<Timestamp>,
}

/// The receipt (收据) given when a unit is taken back to the workshop (step 14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TakeBackReceipt {
    pub id: ReceiptId,
    pub work_order_id: WorkOrderId,
    pub visit_id: VisitId,
    /// The number printed on the paper receipt.
    pub receipt_no: String,
    pub reason: String,
    pub issued_at: Timestamp,
    /// The entry in the company's goods in/out book.
    pub goods_book_ref: String,
    pub loaner_id: Option<LoanerId>,
    /// When the repaired unit came back and the receipt was taken back.
    pub returned_at: Option<Timestamp>,
}

/// The customer's opinion of the service (step 17).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: FeedbackId,
    pub visit_id: VisitId,
    /// 1 (worst) to 5 (best).
    pub rating: u8,
    pub comment: Option<String>,
    /// The customer wants to complain.
    pub complaint: bool,
    pub at: Timestamp,
}
