//! On site: answering checklist steps, starting work, findings, fee consent, pausing,
//! feedback and completion (taking the unit back is in `take_back`).

use serde::{Deserialize, Serialize};

use super::{FieldKit, text};
use crate::checklist::{AnswerValue, BlockReason, Phase, Recorded, Run, StepKind};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{Durability, queries, records};
use crate::sync::ops::*;
use crate::workflow::{JobAction, JobStatus};

/// The record of a completed visit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionRecord {
    pub work_order_id: WorkOrderId,
    pub number: String,
    pub visit_id: VisitId,
    pub completed_at: Timestamp,
    pub travel_minutes: i64,
    pub on_site_minutes: i64,
    pub paused_minutes: i64,
    pub parts: Vec<PartUsage>,
    pub fee_consent: Option<FeeConsent>,
    pub findings: Vec<Finding>,
    pub signatures: Vec<SignatureId>,
    pub feedback: Option<Feedback>,
    /// The outbox sequence number of the completion.
    pub seq: i64,
}

impl FieldKit {
    /// Answers a checklist step of the open visit. Refused when out of order, out of range,
    /// not applicable, or while paused. On a parts review or customer-copy step a plain
    /// `Confirmed` confirms the parts recorded now, or the copy of the customer's latest
    /// signature (see [`Run::resolve_tick`]). Returns the op's outbox sequence number.
    pub fn answer_step(&self, id: WorkOrderId, step_id: &str, answer: &AnswerValue) -> Result<i64> {
        self.command_keeping_job(id, |tx, cur, _now| {
            self.answer_in(tx, cur, id, step_id, answer)
        })
    }

    /// [`FieldKit::answer_step`], then the checklist after it, read in the same transaction on
    /// the writer's connection: its page cache is warm, whereas the commit invalidates the
    /// reader's, and on an encrypted database every page read again is decrypted (a view
    /// read after an answer cost ~300 µs that way, BENCHMARKS.md §4).
    pub fn answer_step_then_view(
        &self,
        id: WorkOrderId,
        step_id: &str,
        answer: &AnswerValue,
    ) -> Result<(i64, super::ChecklistView)> {
        self.command_keeping_job(id, |tx, cur, _now| {
            let seq = self.answer_in(tx, cur, id, step_id, answer)?;
            Ok((seq, self.checklist_in(tx, id)?))
        })
    }

    fn answer_in(
        &self,
        tx: &mut crate::store::Tx<'_>,
        cur: &mut super::Current,
        id: WorkOrderId,
        step_id: &str,
        answer: &AnswerValue,
    ) -> Result<i64> {
        let visit = cur.visit("answer a step")?;
        if visit.status == VisitStatus::Paused {
            return Err(Error::invalid("step", "the visit is paused: resume first"));
        }
        let (visit_id, template) = (visit.id, self.template(tx, &visit.template)?);
        if matches!(
            template.step(step_id).map(|s| &s.kind),
            Some(StepKind::FeeConsent)
        ) {
            return Err(Error::invalid(
                "step",
                "fee consent is given with consent_to_fees",
            ));
        }
        if step_id == FEE_SETTLED_STEP {
            return Err(Error::invalid(
                "step",
                "the fee is settled with settle (amount, method, receipt)",
            ));
        }
        let facts = self.facts_mut(tx, cur, "answer a step")?;
        let run = Run::new(&template, facts);
        // A tick on a step tied to a fact confirms the fact as it stands (the parts
        // recorded, the copy of the latest signature): the op carries the fact itself.
        let answer = run.resolve_tick(step_id, answer.clone())?;
        run.check_answer(step_id, &answer)?;
        let seq = tx.record(
            id,
            Some(visit_id),
            &JobOp::AnswerStep(AnswerStepV1 {
                step: step_id.to_owned(),
                answer: answer.clone(),
            }),
        )?;
        facts
            .recorded
            .insert(step_id.to_owned(), Recorded::Answer(answer));
        Ok(seq)
    }

    /// Skips a step that allows it, with the reason (e.g. the customer refused shoe covers).
    pub fn except_step(&self, id: WorkOrderId, step_id: &str, reason: &str) -> Result<i64> {
        self.command_keeping_job(id, |tx, cur, _now| {
            let visit = cur.visit("skip a step")?;
            let (visit_id, template) = (visit.id, self.template(tx, &visit.template)?);
            let facts = self.facts_mut(tx, cur, "skip a step")?;
            Run::new(&template, facts).check_exception(step_id, reason)?;
            let reason = reason.trim().to_owned();
            let seq = tx.record(
                id,
                Some(visit_id),
                &JobOp::ExceptStep(ExceptStepV1 {
                    step: step_id.to_owned(),
                    reason: reason.clone(),
                }),
            )?;
            facts
                .recorded
                .insert(step_id.to_owned(), Recorded::Exception { reason });
            Ok(seq)
        })
    }

    /// Starts the work itself. Arrival and assessment must be done first: ID shown, shoe
    /// covers on, coverage decided and, for paid work, the customer's fee consent.
    pub fn start_work(&self, id: WorkOrderId) -> Result<JobStatus> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("start work")?.clone();
            if visit.status == VisitStatus::Arrived {
                let template = self.template(tx, &visit.template)?;
                let facts = self.facts(tx, cur, &visit)?;
                let blockers = Run::new(&template, &facts).blockers_before(Phase::Work);
                if !blockers.is_empty() {
                    return Err(Error::Blocked {
                        action: "start work",
                        blockers,
                    });
                }
            }
            let status = self.transition(tx, cur, JobAction::StartWork, now)?;
            tx.record(id, Some(visit.id), &JobOp::StartWork)?;
            Ok(status)
        })
    }

    /// Writes an anomaly on the service record (step 7). The customer must sign to confirm
    /// it (see [`FieldKit::sign`] with `finding`) before the visit can complete.
    pub fn record_finding(
        &self,
        id: WorkOrderId,
        kind: FindingKind,
        description: &str,
    ) -> Result<Finding> {
        let description = text("description", description, 2000)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("record a finding")?;
            if matches!(visit.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                return Err(Error::invalid("finding", "arrive first"));
            }
            let finding = Finding {
                id: FindingId::new(),
                visit_id: visit.id,
                kind,
                description,
                recorded_at: now,
                acknowledged_by: None,
            };
            records::insert_finding(tx, &finding)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::RecordFinding(RecordFindingV1 {
                    id: finding.id,
                    visit_id: finding.visit_id,
                    kind: finding.kind,
                    description: finding.description.clone(),
                    recorded_at: finding.recorded_at,
                    acknowledged_by: finding.acknowledged_by,
                }),
            )?;
            Ok(finding)
        })
    }

    /// Records the customer's answer to the fee schedule shown (step 9). The total is
    /// computed from the schedule; paid work can start only after `agreed`.
    pub fn consent_to_fees(
        &self,
        id: WorkOrderId,
        schedule_id: &str,
        schedule_version: u32,
        items: &[String],
        agreed: bool,
    ) -> Result<FeeConsent> {
        if items.is_empty() && agreed {
            return Err(Error::invalid("fee items", "no item was agreed"));
        }
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("record fee consent")?;
            let schedule = records::fee_schedule(tx, schedule_id, schedule_version)?;
            let mut total = 0;
            for code in items {
                let item = schedule
                    .items
                    .iter()
                    .find(|i| &i.code == code)
                    .ok_or_else(|| {
                        Error::invalid("fee item", format!("{code} is not on the schedule"))
                    })?;
                total += item.amount;
            }
            let template = self.template(tx, &visit.template)?;
            let step = template
                .steps
                .iter()
                .find(|s| matches!(s.kind, StepKind::FeeConsent))
                .ok_or_else(|| {
                    Error::invalid("fee consent", "this visit's checklist has no fee step")
                })?;
            let answer = AnswerValue::FeeConsent { agreed };
            let facts = self.facts(tx, cur, visit)?;
            Run::new(&template, &facts).check_answer(&step.id, &answer)?;
            let consent = FeeConsent {
                id: FeeConsentId::new(),
                visit_id: visit.id,
                schedule_id: schedule.id,
                schedule_version,
                items: items.to_vec(),
                total,
                agreed,
                at: now,
            };
            records::insert_fee_consent(tx, &consent)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::ConsentToFees(ConsentToFeesV1 {
                    id: consent.id,
                    visit_id: consent.visit_id,
                    schedule_id: consent.schedule_id.clone(),
                    schedule_version: consent.schedule_version,
                    items: consent.items.clone(),
                    total: consent.total,
                    agreed: consent.agreed,
                    at: consent.at,
                }),
            )?;
            Ok(consent)
        })
    }

    /// Pauses the work (the customer's meal or rest time…), with the reason (step 13).
    pub fn pause(&self, id: WorkOrderId, reason: &str) -> Result<JobStatus> {
        let reason = text("reason", reason, 500)?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("pause")?.id;
            let status = self.transition(tx, cur, JobAction::Pause, now)?;
            queries::stop_time(tx, visit_id, now)?;
            queries::start_time(tx, visit_id, TimeKind::Paused, now, Some(&reason))?;
            tx.record(id, Some(visit_id), &JobOp::Pause(ReasonV1 { reason }))?;
            Ok(status)
        })
    }

    /// Resumes paused work.
    pub fn resume(&self, id: WorkOrderId) -> Result<JobStatus> {
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("resume")?.id;
            let status = self.transition(tx, cur, JobAction::Resume, now)?;
            tx.record(id, Some(visit_id), &JobOp::Resume)?;
            Ok(status)
        })
    }

    /// The customer's rating (1–5) and comment (step 17).
    pub fn feedback(
        &self,
        id: WorkOrderId,
        rating: u8,
        comment: Option<&str>,
        complaint: bool,
    ) -> Result<Feedback> {
        if !(1..=5).contains(&rating) {
            return Err(Error::invalid(
                "rating",
                format!("{rating} is not between 1 and 5"),
            ));
        }
        let comment = comment
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| text("comment", c, 2000))
            .transpose()?;
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit = cur.visit("record feedback")?;
            if !matches!(visit.status, VisitStatus::Working | VisitStatus::Arrived) {
                return Err(Error::invalid(
                    "feedback",
                    "given on site, before completion",
                ));
            }
            let fb = Feedback {
                id: FeedbackId::new(),
                visit_id: visit.id,
                rating,
                comment,
                complaint,
                at: now,
            };
            records::insert_feedback(tx, &fb)?;
            tx.record(
                id,
                Some(visit.id),
                &JobOp::Feedback(FeedbackV1 {
                    id: fb.id,
                    visit_id: fb.visit_id,
                    rating: fb.rating,
                    comment: fb.comment.clone(),
                    complaint: fb.complaint,
                    at: fb.at,
                }),
            )?;
            Ok(fb)
        })
    }

    /// Completes the visit and the job. Refused, with every outstanding step listed, while
    /// anything required is missing. Durable against power loss once it returns.
    pub fn complete(&self, id: WorkOrderId) -> Result<CompletionRecord> {
        self.command(id, Durability::Full, |tx, cur, now| {
            let visit = cur.visit("complete")?.clone();
            if visit.status == VisitStatus::Working {
                let template = self.template(tx, &visit.template)?;
                let facts = self.facts(tx, cur, &visit)?;
                let blockers = Run::new(&template, &facts).completion_blockers();
                if !blockers.is_empty() {
                    return Err(Error::Blocked {
                        action: "complete",
                        blockers,
                    });
                }
            }
            let verification = super::signing::verify_job(self, tx, cur)?;
            let mut mismatches: Vec<_> = verification
                .chain_problems
                .iter()
                .map(|problem| crate::checklist::Blocker {
                    step_id: None,
                    label: None,
                    reason: BlockReason::SignatureMismatch {
                        problem: problem.clone(),
                    },
                })
                .collect();
            for check in verification.signatures {
                if check.role == SignerRole::Customer
                    && !check.superseded
                    && let Some(problem) = check.problems.first()
                {
                    let template = self.template(tx, &visit.template)?;
                    mismatches.push(crate::checklist::Blocker {
                        label: check
                            .step_id
                            .as_deref()
                            .and_then(|s| template.step(s))
                            .map(|s| s.label.clone()),
                        step_id: check.step_id.clone(),
                        reason: BlockReason::SignatureMismatch {
                            problem: problem.clone(),
                        },
                    });
                }
            }
            if !mismatches.is_empty() {
                return Err(Error::Blocked {
                    action: "complete",
                    blockers: mismatches,
                });
            }
            // The server's judgement of the same journal: what it would hold, the device
            // refuses (they agree on every honest journal; this keeps them agreeing).
            // (A workflow refusal is the transition's to report, below.)
            let check = self.with_replay(tx, &cur.order, |r, cx| r.completion_check(cx))?;
            if !(check.gate.is_empty() && check.chain.is_empty() && check.signatures.is_empty()) {
                let mut blockers = check.gate.clone();
                blockers.extend(check.chain.iter().chain(&check.signatures).map(|problem| {
                    crate::checklist::Blocker {
                        step_id: None,
                        label: None,
                        reason: BlockReason::SignatureMismatch {
                            problem: problem.clone(),
                        },
                    }
                }));
                return Err(Error::Blocked {
                    action: "complete",
                    blockers,
                });
            }
            self.transition(tx, cur, JobAction::Complete, now)?;
            records::close_receipts(tx, id, now)?;
            let minutes = |kind| -> Result<i64> {
                Ok(queries::time_entries(tx, visit.id)?
                    .iter()
                    .filter(|e| e.kind == kind)
                    .map(|e| (e.ended_at.unwrap_or(now) - e.started_at).num_minutes())
                    .sum())
            };
            let mut record = CompletionRecord {
                work_order_id: id,
                number: cur.order.number.clone(),
                visit_id: visit.id,
                completed_at: now,
                travel_minutes: minutes(TimeKind::Travel)?,
                on_site_minutes: minutes(TimeKind::OnSite)?,
                paused_minutes: minutes(TimeKind::Paused)?,
                parts: records::part_usages(tx, visit.id)?,
                fee_consent: records::latest_fee_consent(tx, visit.id)?,
                findings: records::findings(tx, visit.id)?,
                signatures: records::signatures(tx, visit.id)?
                    .iter()
                    .map(|s| s.id)
                    .collect(),
                feedback: records::feedback(tx, visit.id)?,
                seq: 0,
            };
            record.seq = tx.record(
                id,
                Some(visit.id),
                &JobOp::Complete(CompleteV1 {
                    completed_at: now,
                    signatures: record.signatures.clone(),
                }),
            )?;
            Ok(record)
        })
    }
}
