//! The steps tied to facts (templates v3): a parts review confirms the parts recorded, a
//! customer-copy step names the summary the customer signed last, a loaner step matches the
//! job's loaner records; (repair v4) a return decision is the one the returns rules give on
//! the order's sale. A tick on the phone stands for the fact as it stands
//! ([`Run::resolve_tick`]); an answer holds only while it agrees with the fact.

use super::{AnswerValue, BlockReason, Recorded, Refusal, Run};
use crate::checklist::template::{Step, StepKind};

impl Run<'_> {
    /// The answer a technician's tick stands for on a step tied to a fact: on a parts review,
    /// the parts recorded now; on a customer-copy step, the hash of the summary the customer
    /// signed last (refused while nothing is signed). Any other answer is returned as is. The
    /// phone's commands record the resolved answer; a replay never resolves (an op carries
    /// what was confirmed).
    pub fn resolve_tick(&self, step_id: &str, answer: AnswerValue) -> Result<AnswerValue, Refusal> {
        let Some(step) = self.template.step(step_id) else {
            return Ok(answer);
        };
        match (&step.kind, answer) {
            (StepKind::PartsReview, AnswerValue::Confirmed) => {
                Ok(AnswerValue::PartsReviewed(self.facts.parts.clone()))
            }
            (StepKind::CustomerCopy, AnswerValue::Confirmed) => {
                match &self.facts.customer_summary {
                    Some(h) => Ok(AnswerValue::CopyHanded(h.clone())),
                    None => Err(Refusal::NothingSigned {
                        step: step.id.clone(),
                    }),
                }
            }
            (_, a) => Ok(a),
        }
    }

    /// A valid answer of a step tied to a fact agrees with the fact as it stands.
    pub(super) fn check_against_facts(
        &self,
        step: &Step,
        answer: &AnswerValue,
    ) -> Result<(), Refusal> {
        let id = || step.id.clone();
        match (&step.kind, answer) {
            (StepKind::PartsReview, AnswerValue::PartsReviewed(parts)) => {
                if same_set(parts, &self.facts.parts) {
                    Ok(())
                } else {
                    Err(Refusal::PartsMismatch { step: id() })
                }
            }
            (StepKind::CustomerCopy, AnswerValue::CopyHanded(h)) => {
                match &self.facts.customer_summary {
                    None => Err(Refusal::NothingSigned { step: id() }),
                    Some(s) if s == h => Ok(()),
                    Some(_) => Err(Refusal::NotTheSignedCopy { step: id() }),
                }
            }
            (StepKind::Loaners { .. }, AnswerValue::Choice(v)) => {
                let l = self.facts.loaners;
                let holds = match v.as_str() {
                    "collected" => l.lent > 0 && l.out == 0,
                    "none_lent" => l.lent == 0,
                    _ => false,
                };
                if holds {
                    Ok(())
                } else {
                    Err(Refusal::LoanersDiffer {
                        step: id(),
                        value: v.clone(),
                    })
                }
            }
            (StepKind::ReturnDecision, AnswerValue::ReturnDecision(r)) => {
                let Some(sale) = &self.facts.sale else {
                    return Err(Refusal::NoSaleRecord { step: id() });
                };
                match sale.decide(&r.found) {
                    Err(error) => Err(Refusal::BadReturnFacts { step: id(), error }),
                    Ok(decided) if decided == r.decision => Ok(()),
                    Ok(decided) => Err(Refusal::NotTheReturnDecision {
                        step: id(),
                        decided: decided.outcome,
                    }),
                }
            }
            _ => Ok(()),
        }
    }

    /// Why a pending return-decision step blocks: no sale on the order, a decision recorded
    /// that the rules no longer give (the sale changed since), or no answer yet.
    pub(super) fn return_blocker(&self, step: &Step) -> BlockReason {
        if self.facts.sale.is_none() {
            BlockReason::NoSaleRecord
        } else if let Some(Recorded::Answer(AnswerValue::ReturnDecision(_))) =
            self.facts.recorded.get(&step.id)
        {
            BlockReason::DecisionChanged
        } else {
            BlockReason::Unanswered
        }
    }
}

/// Both lists hold the same ids (order and repeats aside).
fn same_set(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    a.dedup();
    b.sort_unstable();
    b.dedup();
    a == b
}
