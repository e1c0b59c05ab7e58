//! Custody of what a take-back leaves with the customer: the loaners, and their return on the
//! visit that brings the repaired unit back.

use fieldkit_core::model as m;

use crate::convert::{id, ms, ms_opt};
use crate::error::Result;
use crate::kit::FieldKit;

/// A loaner (替补品) lent at a take-back.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Loaner {
    pub id: String,
    pub model: String,
    pub serial: String,
    pub lent_at_ms: i64,
    /// When the technician took it back; `None` while it is still with the customer.
    pub returned_at_ms: Option<i64>,
}

impl From<m::Loaner> for Loaner {
    fn from(l: m::Loaner) -> Self {
        Self {
            id: l.id.to_string(),
            model: l.model,
            serial: l.serial,
            lent_at_ms: ms(l.lent_at),
            returned_at_ms: ms_opt(l.returned_at),
        }
    }
}

#[uniffi::export]
impl FieldKit {
    /// The job's loaners, each with its return once recorded.
    pub fn loaners(&self, job_id: String) -> Result<Vec<Loaner>> {
        let out = self.job_read(&job_id, |k, id| k.loaners(id))?;
        Ok(out.into_iter().map(Into::into).collect())
    }

    /// The loaner came back: recorded on the visit that brings the repaired unit back, on site,
    /// once. Completing that visit does not return a loaner.
    pub fn return_loaner(&self, job_id: String, loaner_id: String) -> Result<()> {
        let loaner = id::<m::LoanerId>("loaner id", &loaner_id)?;
        self.job_command(&job_id, "return_loaner", |k, id| {
            k.return_loaner(id, loaner)
        })
    }
}
