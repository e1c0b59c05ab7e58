//! The rules per op kind: what each op must satisfy to move a job's replay, as the device's
//! own commands check it before writing it (see [`super::JobReplay::apply`]).

use super::{Context, JobReplay, Refused, Verdict, VisitReplay};
use crate::checklist::{AnswerValue, Evidence, Phase, Recorded, Run, StepKind};
use crate::i18n::Said;
use crate::media::signature::{self as sig, SealInput};
use crate::model::*;
use crate::sync::ops::JobOp;
use crate::sync::protocol::Op;
use crate::workflow::JobAction;

impl JobReplay {
    pub(super) fn judge(
        &mut self,
        op: &Op,
        body: &JobOp,
        cx: &Context<'_>,
    ) -> Result<Verdict, Refused> {
        let seq = op.seq;
        match body {
            JobOp::Accept => self.transition(JobAction::Accept)?,
            JobOp::CallCustomer(p) => {
                if p.work_order_id != cx.order.id {
                    return Err(Refused::new("invalid", "the call names another job"));
                }
                if let Some(w) = p.agreed
                    && w.start >= w.end
                {
                    return Err(Refused::new(
                        "invalid",
                        "the agreed window ends before it starts",
                    ));
                }
                if p.agreed.is_some() && !p.reached {
                    return Err(Refused::new(
                        "invalid",
                        "no time can be agreed without reaching the customer",
                    ));
                }
                optional_text("note", p.note.as_deref(), 2000)?;
                if p.reached {
                    self.transition(JobAction::Confirm)?;
                    match self.visit.as_mut().filter(|v| v.status.is_open()) {
                        Some(v) => {
                            if op.visit_id.as_deref() != Some(v.id.as_str()) {
                                return Err(Refused::new(
                                    "wrong_visit",
                                    "the call does not name the planned visit",
                                ));
                            }
                        }
                        None => self.plan_visit(op, cx)?,
                    }
                } else if self.order.is_terminal() {
                    return Err(self.job().apply(JobAction::Confirm).err().map_or_else(
                        || Refused::new("not_allowed_now", "the job is closed"),
                        Refused::from,
                    ));
                }
            }
            JobOp::Reschedule(p) => {
                text("reason", &p.reason, 500)?;
                if p.window.start >= p.window.end {
                    return Err(Refused::new("invalid", "the window ends before it starts"));
                }
                self.transition(JobAction::Reschedule)?;
            }
            JobOp::StartTravel => {
                let v = self.visit_of(op, "start travel")?;
                v.gate(cx, Phase::Arrival, "start travel")?;
                self.transition(JobAction::StartTravel)?;
            }
            JobOp::NotifyDelay(p) => {
                text("reason", &p.reason, 500)?;
                let v = self.visit_of(op, "notify a delay")?;
                same_visit(v, p.visit_id)?;
                if !matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                    return Err(Refused::new("not_allowed_now", "already on site"));
                }
                if p.new_eta.timestamp_millis() <= op.device_time {
                    return Err(Refused::new("invalid", "the new ETA is not in the future"));
                }
            }
            JobOp::Arrive(_) => {
                self.visit_of(op, "arrive")?;
                self.transition(JobAction::Arrive)?;
            }
            JobOp::NoAccess(p) => {
                text("note", &p.note, 2000)?;
                self.visit_of(op, "report no access")?;
                self.transition(JobAction::NoAccess)?;
            }
            JobOp::Cancel(p) => {
                text("reason", &p.reason, 500)?;
                if self.open_visit().is_some() {
                    self.visit_of(op, "cancel")?;
                }
                self.transition(JobAction::Cancel)?;
            }
            JobOp::AnswerStep(p) => {
                let v = self.visit_of(op, "answer a step")?;
                if v.status == VisitStatus::Paused {
                    return Err(Refused::new(
                        "not_allowed_now",
                        "the visit is paused: resume first",
                    ));
                }
                let t = v.template(cx)?;
                if matches!(t.step(&p.step).map(|s| &s.kind), Some(StepKind::FeeConsent)) {
                    return Err(Refused::new(
                        "checklist",
                        "fee consent is given with consent_to_fees",
                    ));
                }
                // An older app ticks the fee settled; on a strict checklist only a settlement
                // record answers it, as on the phone.
                if p.step == FEE_SETTLED_STEP && t.strict_evidence {
                    return Err(Refused::new(
                        "checklist",
                        "the fee is settled with settle (amount, method, receipt)",
                    ));
                }
                let facts = v.facts(cx, &t);
                Run::new(&t, &facts).check_answer(&p.step, &p.answer)?;
                v.answer(&p.step, Recorded::Answer(p.answer.clone()), seq);
            }
            JobOp::ExceptStep(p) => {
                let v = self.visit_of(op, "skip a step")?;
                let t = v.template(cx)?;
                let facts = v.facts(cx, &t);
                Run::new(&t, &facts).check_exception(&p.step, &p.reason)?;
                let reason = p.reason.trim().to_owned();
                v.answer(&p.step, Recorded::Exception { reason }, seq);
            }
            JobOp::StartWork => {
                let v = self.visit_of(op, "start work")?;
                if v.status == VisitStatus::Arrived {
                    v.gate(cx, Phase::Work, "start work")?;
                }
                self.transition(JobAction::StartWork)?;
            }
            JobOp::RecordFinding(p) => {
                text("description", &p.description, 2000)?;
                let v = self.visit_of(op, "record a finding")?;
                same_visit(v, p.visit_id)?;
                if matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                    return Err(Refused::new("not_allowed_now", "arrive first"));
                }
                if p.acknowledged_by.is_some() {
                    return Err(Refused::new(
                        "invalid",
                        "a finding is acknowledged by the customer's signature, not when written",
                    ));
                }
                v.record_finding(p, seq)?;
            }
            JobOp::ConsentToFees(p) => {
                if p.items.is_empty() && p.agreed {
                    return Err(Refused::new("invalid", "no fee item was agreed"));
                }
                let v = self.visit_of(op, "record fee consent")?;
                same_visit(v, p.visit_id)?;
                let schedule = cx
                    .desk
                    .fee_schedule(&p.schedule_id, p.schedule_version)
                    .ok_or_else(|| {
                        Refused::new(
                            "unknown_fee_schedule",
                            "the fee schedule named was never published",
                        )
                    })?;
                let mut total: Cents = 0;
                for code in &p.items {
                    let item =
                        schedule
                            .items
                            .iter()
                            .find(|i| &i.code == code)
                            .ok_or_else(|| {
                                Refused::new(
                                    "fee_mismatch",
                                    "an agreed item is not on the schedule",
                                )
                            })?;
                    total = total.saturating_add(item.amount);
                }
                if total != p.total {
                    return Err(Refused::new(
                        "fee_mismatch",
                        "the total is not the sum of the agreed items on the published schedule",
                    ));
                }
                let t = v.template(cx)?;
                let step = t
                    .steps
                    .iter()
                    .find(|s| matches!(s.kind, StepKind::FeeConsent))
                    .ok_or_else(|| {
                        Refused::new("checklist", "this visit's checklist has no fee step")
                    })?;
                let facts = v.facts(cx, &t);
                Run::new(&t, &facts)
                    .check_answer(&step.id, &AnswerValue::FeeConsent { agreed: p.agreed })?;
                v.consent(p, seq);
            }
            JobOp::Pause(p) => {
                text("reason", &p.reason, 500)?;
                self.visit_of(op, "pause")?;
                self.transition(JobAction::Pause)?;
            }
            JobOp::Resume => {
                self.visit_of(op, "resume")?;
                self.transition(JobAction::Resume)?;
            }
            JobOp::TakeBack(p) => {
                text("receipt number", &p.receipt.receipt_no, 64)?;
                text("reason", &p.receipt.reason, 500)?;
                text("goods book entry", &p.receipt.goods_book_ref, 64)?;
                if let Some(l) = &p.loaner {
                    text("loaner model", &l.model, 128)?;
                    text("loaner serial", &l.serial, 64)?;
                    if l.work_order_id != cx.order.id || p.receipt.loaner_id != Some(l.id) {
                        return Err(Refused::new("invalid", "the loaner is not the receipt's"));
                    }
                } else if p.receipt.loaner_id.is_some() {
                    return Err(Refused::new(
                        "invalid",
                        "the receipt names a loaner not given",
                    ));
                }
                let v = self.visit_of(op, "take the unit back")?;
                same_visit(v, p.receipt.visit_id)?;
                if p.receipt.work_order_id != cx.order.id {
                    return Err(Refused::new("invalid", "the receipt names another job"));
                }
                // The state first, then the evidence: the device asks in the same order.
                self.job().apply(JobAction::TakeBack)?;
                let receipt = p.signed_form();
                let v = self.visit_of(op, "take the unit back")?;
                let t = v.template(cx)?;
                if let Some((code, why)) = v.take_back_shortfall(&t, &receipt, &p.condition_photos)
                {
                    return Err(Refused::new(code, why));
                }
                v.take_back = Some(receipt);
                self.transition(JobAction::TakeBack)?;
                self.taken_back = true;
                if let Some(l) = &p.loaner {
                    self.loaners.insert(l.id.to_string(), false);
                }
            }
            JobOp::AwaitParts(p) => {
                text("note", &p.note, 2000)?;
                if let Some(problem) =
                    parts_request_problem(p.parts.iter().map(|l| (l.sku.as_str(), l.quantity)))
                {
                    return Err(Refused::new("invalid", problem));
                }
                if p.parts.iter().any(|l| !cx.desk.part_known(&l.sku)) {
                    return Err(Refused::new(
                        "unknown_part",
                        "the part is not in the catalog",
                    ));
                }
                self.visit_of(op, "wait for parts")?;
                self.transition(JobAction::AwaitParts)?;
            }
            JobOp::RefuseSignature(p) => {
                if let Some(problem) = refused_signature_problem(
                    &p.reason,
                    p.witness.as_deref(),
                    p.photo_sha256.as_deref(),
                ) {
                    return Err(Refused::new("invalid", problem));
                }
                let v = self.visit_of(op, "record a refused signature")?;
                if let Some(sha) = &p.photo_sha256
                    && !v.photos.iter().any(|f| &f.sha256 == sha)
                {
                    return Err(Refused::new(
                        "invalid",
                        "the photo is not one of this visit's",
                    ));
                }
                self.transition(JobAction::RefuseSignature)?;
            }
            JobOp::ReturnLoaner(p) => {
                let v = self.visit_of(op, "take a loaner back")?;
                if !v.status.is_on_site() {
                    return Err(Refused::new(
                        "not_allowed_now",
                        "a loaner is taken back on site",
                    ));
                }
                match self.loaners.get_mut(&p.loaner.to_string()) {
                    None => {
                        return Err(Refused::new(
                            "unknown_loaner",
                            "no loaner of this job has that id",
                        ));
                    }
                    Some(true) => {
                        return Err(Refused::new("invalid", "the loaner was already returned"));
                    }
                    Some(returned) => *returned = true,
                }
                self.count_loaners();
            }
            JobOp::DeclineQuote(p) => {
                text("reason", &p.reason, 500)?;
                self.visit_of(op, "record a declined quote")?;
                // The state first, then the evidence: the device asks in the same order.
                self.job().apply(JobAction::DeclineQuote)?;
                if let Some((code, why)) =
                    self.open_visit().and_then(|v| v.quote_decline_shortfall())
                {
                    return Err(Refused::new(code, why));
                }
                self.transition(JobAction::DeclineQuote)?;
            }
            JobOp::NeedSecondVisit(p) => {
                text("reason", &p.reason, 500)?;
                self.visit_of(op, "ask for a second visit")?;
                self.transition(JobAction::NeedSecondVisit)?;
            }
            JobOp::RequestRedelivery(p) => {
                text("note", &p.note, 2000)?;
                self.visit_of(op, "request a redelivery")?;
                self.job().apply(JobAction::RequestRedelivery)?;
                let finding = p.finding.to_string();
                if let Some((code, why)) = self
                    .open_visit()
                    .and_then(|v| v.redelivery_shortfall(cx.order.kind, &finding))
                {
                    return Err(Refused::new(code, why));
                }
                self.transition(JobAction::RequestRedelivery)?;
            }
            JobOp::Settle(p) => {
                let v = self.visit_of(op, "settle the fee")?;
                if v.status != VisitStatus::Working {
                    return Err(Refused::new(
                        "not_allowed_now",
                        "the fee is settled while the work is under way, in close-out",
                    ));
                }
                // The server's own record of what the customer agreed to, never the phone's.
                let consented = match v.consents.last() {
                    Some((f, _)) if f.agreed => f.total,
                    _ => {
                        return Err(Refused::new(
                            "not_allowed_now",
                            "the customer has not agreed to the fees",
                        ));
                    }
                };
                if let Some(problem) = settlement_problem(
                    p.amount,
                    p.receipt_no.as_deref(),
                    p.reason.as_deref(),
                    consented,
                ) {
                    return Err(Refused::new("invalid", problem));
                }
                if p.invoice_due != invoice_due(p.at, p.receipt_no.as_deref()) {
                    return Err(Refused::new(
                        "invalid",
                        "without a receipt the invoice is due 3 days after the settlement",
                    ));
                }
                let t = v.template(cx)?;
                let answer = AnswerValue::Choice(settled_choice(p.receipt_no.is_some()).into());
                let facts = v.facts(cx, &t);
                Run::new(&t, &facts).check_answer(FEE_SETTLED_STEP, &answer)?;
                v.answer(FEE_SETTLED_STEP, Recorded::Answer(answer), seq);
                v.settlements.push(super::SettlementFact {
                    id: p.id.to_string(),
                    amount: p.amount,
                    consented,
                    method: p.method,
                    seq,
                });
            }
            JobOp::Feedback(p) => {
                if !(1..=5).contains(&p.rating) {
                    return Err(Refused::new("invalid", "the rating is not between 1 and 5"));
                }
                optional_text("comment", p.comment.as_deref(), 2000)?;
                let v = self.visit_of(op, "record feedback")?;
                same_visit(v, p.visit_id)?;
                if !matches!(v.status, VisitStatus::Working | VisitStatus::Arrived) {
                    return Err(Refused::new(
                        "not_allowed_now",
                        "feedback is given on site, before completion",
                    ));
                }
                v.feedback = true;
            }
            JobOp::Complete(p) => {
                let mut check = self.completion_check(cx);
                if let Some(v) = self.open_visit() {
                    if op.visit_id.as_deref() != Some(v.id.as_str()) {
                        check.refuse(Said::new("check-other-visit"));
                    }
                    let mut listed = p.signatures.clone();
                    let mut given: Vec<SignatureId> = v.signatures.iter().map(|s| s.id).collect();
                    listed.sort();
                    given.sort();
                    if listed != given {
                        check.signature_problem(Said::new("sig-not-listed"));
                    }
                }
                self.completed_at_seq.get_or_insert(seq);
                if check.refusal.is_none() {
                    self.transition(JobAction::Complete)?;
                    self.taken_back = false;
                }
                return Ok(Verdict::Completion(check));
            }
            JobOp::AddPhoto(p) => {
                let v = self.visit_of(op, "add a photo")?;
                same_visit(v, p.visit_id)?;
                if p.kind != AttachmentKind::Photo
                    || !crate::sync::protocol::is_sha256_hex(&p.sha256)
                {
                    return Err(Refused::new("invalid", "not a photo named by its SHA-256"));
                }
                if let Some(step) = &p.step_id {
                    let t = v.template(cx)?;
                    let facts = v.facts(cx, &t);
                    Run::new(&t, &facts).check_evidence(step, Evidence::Photo)?;
                }
                v.add_photo(&p.sha256, p.step_id.as_deref(), seq)?;
            }
            JobOp::RecordPart(p) => {
                if !(1..=10_000).contains(&p.quantity) {
                    return Err(Refused::new(
                        "invalid",
                        "the quantity is not between 1 and 10000",
                    ));
                }
                optional_text("new serial", p.new_serial.as_deref(), 64)?;
                optional_text("old serial", p.old_serial.as_deref(), 64)?;
                let v = self.visit_of(op, "record a part")?;
                same_visit(v, p.visit_id)?;
                if v.status != VisitStatus::Working {
                    return Err(crate::workflow::Refusal {
                        action: "record a part",
                        subject: "visit",
                        state: v.status.as_str(),
                        hint: "start work first",
                    }
                    .into());
                }
                if !cx.desk.part_known(&p.sku) {
                    return Err(Refused::new(
                        "unknown_part",
                        "the part is not in the catalog",
                    ));
                }
                v.record_part(p, seq);
            }
            JobOp::SummaryViewed(p) => {
                let v = self.visit_of(op, "show the summary")?;
                if matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                    return Err(Refused::new("not_allowed_now", "arrive first"));
                }
                let t = v.template(cx)?;
                // A take-back receipt is shown with the records before the unit is taken back.
                let shown = match p.take_back.clone().filter(|_| v.take_back.is_none()) {
                    Some(tb) => v.summary_with_take_back(cx.order, &t, tb),
                    None => v.summary(cx.order, &t),
                };
                if shown.sha256() != p.summary_sha256 {
                    return Err(Refused::new(
                        "summary_mismatch",
                        "the summary shown is not the visit's records as they stand",
                    ));
                }
                v.shown.push(p.summary_sha256.clone());
            }
            JobOp::Sign(p) => {
                // The head before this op: what the device bound the signature to.
                let head = self.head.clone().unwrap_or_default();
                let v = self.visit_of(op, "sign")?;
                v.judge_signature(p, op, &head, cx)?;
            }
        }
        Ok(Verdict::Accepted)
    }

    pub(super) fn plan_visit(&mut self, op: &Op, cx: &Context<'_>) -> Result<(), Refused> {
        let Some(id) = op.visit_id.as_deref() else {
            return Err(Refused::new(
                "wrong_visit",
                "the call that plans a visit names none",
            ));
        };
        if id.parse::<VisitId>().is_err() || self.visit.as_ref().is_some_and(|v| v.id == id) {
            return Err(Refused::new(
                "wrong_visit",
                "the planned visit needs a new visit id",
            ));
        }
        let template = cx
            .desk
            .visit_template(id, self.taken_back)
            .ok_or_else(|| Refused::new("checklist", "no checklist is published for this job"))?;
        self.visits += 1;
        self.visit = Some(VisitReplay::new(id.to_owned(), template));
        self.count_loaners();
        Ok(())
    }

    /// Gives the open visit the job's loaner count, as its checklist's loaner step reads it.
    fn count_loaners(&mut self) {
        let lent = self.loaners.len() as u32;
        let out = self.loaners.values().filter(|returned| !**returned).count() as u32;
        if let Some(v) = self.visit.as_mut() {
            v.loaners = crate::checklist::LoanerCount { lent, out };
        }
    }
}

pub(super) fn same_visit(v: &VisitReplay, named: VisitId) -> Result<(), Refused> {
    if v.id != named.to_string() {
        return Err(Refused::new(
            "wrong_visit",
            "the record names another visit than the op",
        ));
    }
    Ok(())
}

/// A free-text field as the device writes it: trimmed, not empty, not too long.
pub(super) fn text(field: &str, s: &str, max: usize) -> Result<(), Refused> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Refused::said(
            "invalid",
            Said::new("refused-text-empty").word("field", "field-", field),
        ));
    }
    if t.chars().count() > max {
        return Err(Refused::said(
            "invalid",
            Said::new("refused-text-too-long")
                .word("field", "field-", field)
                .arg("max", max),
        ));
    }
    Ok(())
}

pub(super) fn optional_text(field: &str, s: Option<&str>, max: usize) -> Result<(), Refused> {
    s.map_or(Ok(()), |s| text(field, s, max))
}

/// The seal a signature record should carry.
pub(super) fn expected_seal(
    p: &crate::sync::ops::SignV1,
    summary_sha256: &str,
    chain_head: &str,
) -> String {
    sig::seal(&SealInput {
        summary_sha256,
        chain_head,
        signer_name: &p.signer_name,
        role: p.role.as_str(),
        signed_at_ms: p.signed_at.timestamp_millis(),
        image_sha256: &p.image_sha256,
        device_id: &p.device_id.to_string(),
    })
}
