//! Custody of what a take-back leaves with the customer: the loaners (替补品) lent while their
//! unit is in the workshop, and their return on the visit that brings the unit back.

use super::FieldKit;
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, records};
use crate::sync::ops::{JobOp, ReturnLoanerV1};

impl FieldKit {
    /// The job's loaners (lent at take-backs), each with its return once recorded.
    pub fn loaners(&self, id: WorkOrderId) -> Result<Vec<Loaner>> {
        self.job(id)?;
        self.store.read(|c| records::loaners(c, id))
    }

    /// The loaner lent at the take-back came back (替补品收回, seed 004 二 第12条): recorded on
    /// the visit that brings the repaired unit back, on site. Completing that visit does not
    /// return it: each loaner is returned by this call, once.
    pub fn return_loaner(&self, id: WorkOrderId, loaner: LoanerId) -> Result<()> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("take a loaner back")?;
            if !visit.status.is_on_site() {
                return Err(Error::invalid("loaner", "a loaner is taken back on site"));
            }
            let visit_id = visit.id;
            let known = records::loaners(tx, id)?
                .into_iter()
                .find(|l| l.id == loaner);
            match known {
                None => return Err(Error::not_found("loaner", loaner)),
                Some(l) if l.returned_at.is_some() => {
                    return Err(Error::invalid("loaner", "already returned"));
                }
                Some(_) => {}
            }
            records::return_loaner(tx, id, loaner, now)?;
            tx.record(
                id,
                Some(visit_id),
                &JobOp::ReturnLoaner(ReturnLoanerV1 { loaner }),
            )?;
            Ok(())
        })
    }
}
