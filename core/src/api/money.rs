//! Settling a paid visit's fee (结算费用, PROCEDURE step 18): the amount, the method, the
//! receipt or invoice number issued on site or the invoice's due date, checked against the
//! customer's agreed fee consent by the rule the server also judges with
//! ([`crate::model::settlement_problem`]).

use super::FieldKit;
use crate::checklist::{AnswerValue, Run};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, records};
use crate::sync::ops::{JobOp, SettleV1};

impl FieldKit {
    /// Settles the fee of the paid visit under way, in close-out (after the work): what the
    /// customer paid and how, with the receipt or invoice number issued on site, or none (the
    /// invoice is then due 3 days later: 004 一 第5章 第19条(4)). Needs the customer's agreed
    /// fee consent; an amount other than the consented total needs the reason (the server
    /// flags it). Answers the `fee_settled` step. A second settlement corrects the first.
    pub fn settle(&self, id: WorkOrderId, s: &Settlement) -> Result<SettlementRecord> {
        let receipt_no = s.receipt_no.as_deref().map(|r| r.trim().to_owned());
        let reason = s.reason.as_deref().map(|r| r.trim().to_owned());
        self.command(id, Durability::Full, |tx, cur, now| {
            let visit = cur.visit("settle the fee")?.clone();
            match visit.status {
                VisitStatus::Working => {}
                VisitStatus::Paused => {
                    return Err(Error::invalid(
                        "settlement",
                        "the visit is paused: resume first",
                    ));
                }
                _ => {
                    return Err(Error::invalid(
                        "settlement",
                        "the fee is settled after the work, in close-out",
                    ));
                }
            }
            let consent = records::latest_fee_consent(tx, visit.id)?
                .filter(|c| c.agreed)
                .ok_or_else(|| {
                    Error::invalid("settlement", "the customer has not agreed to the fees")
                })?;
            if let Some(problem) = settlement_problem(
                s.amount,
                receipt_no.as_deref(),
                reason.as_deref(),
                consent.total,
            ) {
                return Err(Error::invalid("settlement", problem));
            }
            let template = self.template(tx, &visit.template)?;
            let answer = AnswerValue::Choice(settled_choice(receipt_no.is_some()).into());
            let facts = self.facts(tx, cur, &visit)?;
            Run::new(&template, &facts).check_answer(FEE_SETTLED_STEP, &answer)?;
            let record = SettlementRecord {
                id: SettlementId::new(),
                visit_id: visit.id,
                amount: s.amount,
                method: s.method,
                invoice_due: invoice_due(now, receipt_no.as_deref()),
                receipt_no,
                reason,
                consented: consent.total,
                at: now,
            };
            records::insert_settlement(tx, &record)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::Settle(SettleV1 {
                    id: record.id,
                    amount: record.amount,
                    method: record.method,
                    receipt_no: record.receipt_no.clone(),
                    invoice_due: record.invoice_due,
                    reason: record.reason.clone(),
                    at: record.at,
                }),
            )?;
            Ok(record)
        })
    }

    /// The latest settlement of the job's open visit, if any.
    pub fn settlement(&self, id: WorkOrderId) -> Result<Option<SettlementRecord>> {
        let Some(visit) = self.job(id)?.visit else {
            return Ok(None);
        };
        self.store.read(|c| records::latest_settlement(c, visit.id))
    }
}
