//! Returns and exchanges on the phone: what the returns rules (004 一 第6章 第21–24条) decide
//! for a job's sale with what the technician found on site, to show before answering the
//! return-decision step (whose answer the checklist checks against the same rules).

use super::FieldKit;
use crate::error::{Error, Result};
use crate::model::returns::ReturnAnswer;
use crate::model::{ReturnFindings, WorkOrderId};

impl FieldKit {
    /// The decision for the job's sale (asked on its `reported_at`) with `found` on site.
    /// `Invalid` when the job has no sale record or its facts do not hold together.
    pub fn return_decision(&self, id: WorkOrderId, found: &ReturnFindings) -> Result<ReturnAnswer> {
        let sale = self.job(id)?.order.sale_facts().ok_or_else(|| {
            Error::invalid("sale", "the job has no sale record: ask the service desk")
        })?;
        sale.decide(found)
            .map_err(|e| Error::invalid("return facts", e.to_string()))
    }
}
