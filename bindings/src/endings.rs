//! The visit endings beyond completion that need their own evidence: a declined quote, a
//! second visit needed, a redelivery of goods damaged on unboxing.

use fieldkit_core::model as m;

use crate::convert::id;
use crate::error::Result;
use crate::jobs::JobStatus;
use crate::kit::FieldKit;
use crate::onsite::Finding;

#[uniffi::export]
impl FieldKit {
    /// The findings of the job's current (or last) visit, in the order recorded, each with the
    /// customer's signature once given.
    pub fn findings(&self, job_id: String) -> Result<Vec<Finding>> {
        let found = self.job_read(&job_id, |k, id| k.findings(id))?;
        Ok(found.into_iter().map(Into::into).collect())
    }

    /// The customer declined the quote (报价未接受): the visit ends without paid work and the
    /// job closes. Record their answer first (`consent_to_fees`, not agreed, naming the quoted
    /// items); if they accept the call-out fee alone, that consent (a part of the quote)
    /// follows it. On site, before or during the work; `reason` 1–500 characters.
    pub fn decline_quote(&self, job_id: String, reason: String) -> Result<JobStatus> {
        self.job_command(&job_id, "decline_quote", |k, id| {
            k.decline_quote(id, &reason)
        })
        .map(Into::into)
    }

    /// The work needs another visit (二次上门): the visit ends with the reason (1–500
    /// characters) and the next visit is agreed with `call_customer`. Work must have started.
    pub fn need_second_visit(&self, job_id: String, reason: String) -> Result<JobStatus> {
        self.job_command(&job_id, "need_second_visit", |k, id| {
            k.need_second_visit(id, &reason)
        })
        .map(Into::into)
    }

    /// The delivered unit is damaged on unboxing: the visit ends, the job closes and the desk
    /// is asked for a redelivery. `finding_id` is this visit's finding of kind
    /// `DamagedOnDelivery`, signed by the customer; the visit needs a photo; `note` 1–2000
    /// characters. A delivery or installation job.
    pub fn request_redelivery(
        &self,
        job_id: String,
        finding_id: String,
        note: String,
    ) -> Result<JobStatus> {
        let finding = id::<m::FindingId>("finding id", &finding_id)?;
        self.job_command(&job_id, "request_redelivery", |k, id| {
            k.request_redelivery(id, finding, &note)
        })
        .map(Into::into)
    }
}
