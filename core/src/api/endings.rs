//! The visit endings beyond completion, each with its own evidence: a declined quote, a second
//! visit needed, a redelivery of goods damaged on unboxing. (Waiting for parts lives with the
//! parts, a refused signature with the signing.) Each checks the visit's state first, then its
//! evidence on the job's replay — the very questions the server's judge asks — and writes the
//! new status and its op in one transaction.

use super::{FieldKit, text};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, records};
use crate::sync::ops::{JobOp, ReasonV1, RequestRedeliveryV1};
use crate::sync::replay::Shortfall;
use crate::workflow::{JobAction, JobStatus};

impl FieldKit {
    /// The findings of a job's current (or last) visit, in the order recorded, each with the
    /// customer's signature once given (to sign the open ones, or name one for a redelivery).
    pub fn findings(&self, id: WorkOrderId) -> Result<Vec<Finding>> {
        match self.job(id)?.visit {
            Some(v) => self.store.read(|c| records::findings(c, v.id)),
            None => Ok(Vec::new()),
        }
    }

    /// The customer declined the quote (报价未接受): the visit ends without paid work and the
    /// job closes. Their answer must be recorded first ([`FieldKit::consent_to_fees`], not
    /// agreed, naming the quoted items); if they accept the call-out fee alone, that consent
    /// (a part of the quote) follows it. On site, before or during the work; `reason` 1–500.
    pub fn decline_quote(&self, id: WorkOrderId, reason: &str) -> Result<JobStatus> {
        let reason = text("reason", reason, 500)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("record a declined quote")?.id;
            cur.job().apply(JobAction::DeclineQuote)?;
            let shortfall = self.with_replay(tx, &cur.order, |r, _| {
                r.open_visit().and_then(|v| v.quote_decline_shortfall())
            })?;
            if let Some(s) = shortfall {
                return Err(shortfall_error("quote", s, ""));
            }
            let status = self.transition(tx, cur, JobAction::DeclineQuote, now)?;
            tx.record(
                id,
                Some(visit_id),
                &JobOp::DeclineQuote(ReasonV1 { reason }),
            )?;
            Ok(status)
        })
    }

    /// The work needs another visit (二次上门: a second person, a site condition, more time):
    /// the visit ends with the reason, and the job waits for the next visit, agreed with
    /// [`FieldKit::call_customer`]. Work must have started; `reason` 1–500.
    pub fn need_second_visit(&self, id: WorkOrderId, reason: &str) -> Result<JobStatus> {
        let reason = text("reason", reason, 500)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("ask for a second visit")?.id;
            let status = self.transition(tx, cur, JobAction::NeedSecondVisit, now)?;
            tx.record(
                id,
                Some(visit_id),
                &JobOp::NeedSecondVisit(ReasonV1 { reason }),
            )?;
            Ok(status)
        })
    }

    /// The delivered unit is damaged on unboxing (seed 004 第3章 第9条): the visit ends, the
    /// job closes and the desk is asked for a redelivery. Needs `finding` — this visit's,
    /// of kind `damaged_on_delivery`, signed by the customer ([`FieldKit::sign`]) — and a
    /// photo of the visit; a delivery or installation job; `note` (1–2000) for the desk.
    pub fn request_redelivery(
        &self,
        id: WorkOrderId,
        finding: FindingId,
        note: &str,
    ) -> Result<JobStatus> {
        let note = text("note", note, 2000)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("request a redelivery")?.id;
            cur.job().apply(JobAction::RequestRedelivery)?;
            let kind = cur.order.kind;
            let shortfall = self.with_replay(tx, &cur.order, |r, _| {
                r.open_visit()
                    .and_then(|v| v.redelivery_shortfall(kind, &finding.to_string()))
            })?;
            if let Some(s) = shortfall {
                return Err(shortfall_error("redelivery", s, &finding.to_string()));
            }
            let status = self.transition(tx, cur, JobAction::RequestRedelivery, now)?;
            tx.record(
                id,
                Some(visit_id),
                &JobOp::RequestRedelivery(RequestRedeliveryV1 { finding, note }),
            )?;
            Ok(status)
        })
    }
}

/// The device's error for an ending's missing evidence: an unknown record is not found, the
/// rest is invalid with the judge's own words.
fn shortfall_error(field: &'static str, (code, why): Shortfall, id: &str) -> Error {
    match code {
        "unknown_finding" => Error::not_found("finding", id),
        _ => Error::invalid(field, why),
    }
}
