//! On site: starting work, findings, the fee schedule and the customer's consent, pausing,
//! taking the unit back, the customer's feedback and completion.

use fieldkit_core::api as core_api;
use fieldkit_core::model as m;

use crate::convert::{i32_of, ms};
use crate::error::{FieldKitError, Result};
use crate::jobs::JobStatus;
use crate::kit::FieldKit;
use crate::parts::PartUsage;

/// The kind of anomaly found on site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum FindingKind {
    IncompleteParts,
    Tampering,
    ManMadeDamage,
    NotCompanyFault,
    OutOfWarranty,
    DamagedOnDelivery,
    Other,
}

impl From<FindingKind> for m::FindingKind {
    fn from(k: FindingKind) -> Self {
        match k {
            FindingKind::IncompleteParts => Self::IncompleteParts,
            FindingKind::Tampering => Self::Tampering,
            FindingKind::ManMadeDamage => Self::ManMadeDamage,
            FindingKind::NotCompanyFault => Self::NotCompanyFault,
            FindingKind::OutOfWarranty => Self::OutOfWarranty,
            FindingKind::DamagedOnDelivery => Self::DamagedOnDelivery,
            FindingKind::Other => Self::Other,
        }
    }
}

impl From<m::FindingKind> for FindingKind {
    fn from(k: m::FindingKind) -> Self {
        use m::FindingKind as K;
        match k {
            K::IncompleteParts => Self::IncompleteParts,
            K::Tampering => Self::Tampering,
            K::ManMadeDamage => Self::ManMadeDamage,
            K::NotCompanyFault => Self::NotCompanyFault,
            K::OutOfWarranty => Self::OutOfWarranty,
            K::DamagedOnDelivery => Self::DamagedOnDelivery,
            K::Other => Self::Other,
        }
    }
}

/// An anomaly written on the service record; the customer signs to confirm it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Finding {
    pub id: String,
    pub kind: FindingKind,
    pub description: String,
    pub recorded_at_ms: i64,
    /// The customer's signature confirming it, once given.
    pub acknowledged_by: Option<String>,
}

impl From<m::Finding> for Finding {
    fn from(f: m::Finding) -> Self {
        Self {
            id: f.id.to_string(),
            kind: f.kind.into(),
            description: f.description,
            recorded_at_ms: ms(f.recorded_at),
            acknowledged_by: f.acknowledged_by.map(|s| s.to_string()),
        }
    }
}

/// One line of a fee schedule (amounts in fen).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FeeItem {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub amount: i64,
}

/// The published fees, versioned so a consent names exactly what was shown.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FeeSchedule {
    pub id: String,
    pub version: i32,
    pub currency: String,
    pub items: Vec<FeeItem>,
}

impl FeeSchedule {
    /// Only the demo hands a core fee schedule out (feature `demo`).
    #[cfg(feature = "demo")]
    pub(crate) fn from_core(s: m::FeeSchedule) -> Self {
        Self {
            id: s.id,
            version: i32_of(s.version),
            currency: s.currency,
            items: s
                .items
                .into_iter()
                .map(|i| FeeItem {
                    code: i.code,
                    label_zh: i.label_zh,
                    label_en: i.label_en,
                    amount: i.amount,
                })
                .collect(),
        }
    }
}

/// The customer's answer to the fee schedule shown.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FeeConsent {
    pub id: String,
    pub schedule_id: String,
    pub schedule_version: i32,
    pub items: Vec<String>,
    /// In fen.
    pub total: i64,
    pub agreed: bool,
    pub at_ms: i64,
}

impl From<m::FeeConsent> for FeeConsent {
    fn from(c: m::FeeConsent) -> Self {
        Self {
            id: c.id.to_string(),
            schedule_id: c.schedule_id,
            schedule_version: i32_of(c.schedule_version),
            items: c.items,
            total: c.total,
            agreed: c.agreed,
            at_ms: ms(c.at),
        }
    }
}

/// A loaner unit left with the customer.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LoanerUnit {
    pub model: String,
    pub serial: String,
}

/// The unit goes to the workshop.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TakeBack {
    /// The number on the paper receipt handed to the customer.
    pub receipt_no: String,
    pub reason: String,
    /// The entry in the company's goods in/out book.
    pub goods_book_ref: String,
    #[uniffi(default = None)]
    pub loaner: Option<LoanerUnit>,
    /// SHA-256 of the photos of the unit's condition taken on this visit (`addPhoto`); at
    /// least one where the visit's checklist asks for the evidence.
    #[uniffi(default)]
    pub condition_photos: Vec<String>,
}

impl TakeBack {
    pub(crate) fn to_core(&self) -> core_api::TakeBack {
        core_api::TakeBack {
            receipt_no: self.receipt_no.clone(),
            reason: self.reason.clone(),
            goods_book_ref: self.goods_book_ref.clone(),
            loaner: self.loaner.clone().map(|l| (l.model, l.serial)),
            condition_photos: self.condition_photos.clone(),
        }
    }
}

/// The receipt given when the unit was taken back.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct TakeBackReceipt {
    pub id: String,
    pub receipt_no: String,
    pub reason: String,
    pub issued_at_ms: i64,
    pub goods_book_ref: String,
    pub loaner_id: Option<String>,
    pub returned_at_ms: Option<i64>,
}

/// The customer's rating and comment.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Feedback {
    pub id: String,
    /// 1 (worst) to 5 (best).
    pub rating: i32,
    pub comment: Option<String>,
    pub complaint: bool,
    pub at_ms: i64,
}

impl From<m::Feedback> for Feedback {
    fn from(f: m::Feedback) -> Self {
        Self {
            id: f.id.to_string(),
            rating: i32::from(f.rating),
            comment: f.comment,
            complaint: f.complaint,
            at_ms: ms(f.at),
        }
    }
}

/// The record of a completed visit.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CompletionRecord {
    pub job_id: String,
    pub number: String,
    pub visit_id: String,
    pub completed_at_ms: i64,
    pub travel_minutes: i64,
    pub on_site_minutes: i64,
    pub paused_minutes: i64,
    pub parts: Vec<PartUsage>,
    pub fee_consent: Option<FeeConsent>,
    pub findings: Vec<Finding>,
    pub signature_ids: Vec<String>,
    pub feedback: Option<Feedback>,
    /// The completion's outbox sequence number.
    pub seq: i64,
}

#[uniffi::export]
impl FieldKit {
    /// Starts the work: arrival and assessment must be done (for paid work: fees agreed).
    pub fn start_work(&self, job_id: String) -> Result<JobStatus> {
        self.job_command(&job_id, "start_work", |k, id| k.start_work(id))
            .map(Into::into)
    }

    /// Writes an anomaly on the service record; the customer must sign for it.
    pub fn record_finding(
        &self,
        job_id: String,
        kind: FindingKind,
        description: String,
    ) -> Result<Finding> {
        self.job_command(&job_id, "record_finding", |k, id| {
            k.record_finding(id, kind.into(), &description)
        })
        .map(Into::into)
    }

    /// Stores a fee schedule version published by the desk.
    pub fn set_fee_schedule(&self, schedule: FeeSchedule) -> Result<()> {
        let s = m::FeeSchedule {
            id: schedule.id,
            version: crate::convert::count("schedule version", schedule.version)?,
            currency: schedule.currency,
            items: schedule
                .items
                .into_iter()
                .map(|i| m::FeeItem {
                    code: i.code,
                    label_zh: i.label_zh,
                    label_en: i.label_en,
                    amount: i.amount,
                })
                .collect(),
        };
        Ok(self.core.set_fee_schedule(&s)?)
    }

    /// Records the customer's answer to the fee schedule shown (the total is computed).
    pub fn consent_to_fees(
        &self,
        job_id: String,
        schedule_id: String,
        schedule_version: i32,
        items: Vec<String>,
        agreed: bool,
    ) -> Result<FeeConsent> {
        let version = crate::convert::count("schedule version", schedule_version)?;
        self.job_command(&job_id, "consent_to_fees", |k, id| {
            k.consent_to_fees(id, &schedule_id, version, &items, agreed)
        })
        .map(Into::into)
    }

    /// Pauses the work (the customer's meal or rest time…), with the reason.
    pub fn pause(&self, job_id: String, reason: String) -> Result<JobStatus> {
        self.job_command(&job_id, "pause", |k, id| k.pause(id, &reason))
            .map(Into::into)
    }

    /// Resumes paused work.
    pub fn resume(&self, job_id: String) -> Result<JobStatus> {
        self.job_command(&job_id, "resume", |k, id| k.resume(id))
            .map(Into::into)
    }

    /// The customer's rating (1–5) and comment.
    pub fn feedback(
        &self,
        job_id: String,
        rating: i32,
        comment: Option<String>,
        complaint: bool,
    ) -> Result<Feedback> {
        let rating = u8::try_from(rating)
            .map_err(|_| FieldKitError::validation("rating", "not between 1 and 5"))?;
        self.job_command(&job_id, "feedback", |k, id| {
            k.feedback(id, rating, comment.as_deref(), complaint)
        })
        .map(Into::into)
    }

    /// Completes the visit and the job; refused (`Blocked`, every outstanding step listed)
    /// while anything required is missing. Survives power loss once it returns.
    pub fn complete(&self, job_id: String) -> Result<CompletionRecord> {
        let r = self.job_command(&job_id, "complete", |k, id| k.complete(id))?;
        Ok(CompletionRecord {
            job_id: r.work_order_id.to_string(),
            number: r.number,
            visit_id: r.visit_id.to_string(),
            completed_at_ms: ms(r.completed_at),
            travel_minutes: r.travel_minutes,
            on_site_minutes: r.on_site_minutes,
            paused_minutes: r.paused_minutes,
            parts: r.parts.into_iter().map(Into::into).collect(),
            fee_consent: r.fee_consent.map(Into::into),
            findings: r.findings.into_iter().map(Into::into).collect(),
            signature_ids: r.signatures.iter().map(|s| s.to_string()).collect(),
            feedback: r.feedback.map(Into::into),
            seq: r.seq,
        })
    }
}
