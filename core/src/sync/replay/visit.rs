//! One visit as its ops recorded it: the checklist facts the engine runs on, and the records
//! a customer signs for (findings, answers, parts, fee consent, photos), each with the `seq`
//! of the op that recorded it. The one builder of the signed summary ([`VisitReplay::summary`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::judge::{expected_seal, same_visit, text};
use super::{Context, Refused};
use crate::checklist::{
    AnswerValue, Blocker, Evidence, LoanerCount, Phase, Recorded, Refusal, Run, Stage, StepKind,
    Template, VisitFacts,
};
use crate::i18n::{Said, SaidArg};
use crate::media::signature::{
    SignedSummary, SummaryAnswer, SummaryFees, SummaryFinding, SummaryOrder, SummaryPart,
    SummaryTakeBack,
};
use crate::model::*;
use crate::sync::ops::{ConsentToFeesV1, RecordFindingV1, RecordPartV1, SignV1};
use crate::sync::protocol::{Op, is_sha256_hex};

/// A finding and whether the customer has signed for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingFact {
    pub finding: SummaryFinding,
    pub seq: i64,
    pub acknowledged: bool,
}

/// A photo of the visit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoFact {
    pub sha256: String,
    pub step: Option<String>,
    pub seq: i64,
}

/// A settlement of the visit's fee, with the consented total as this side's replay of the
/// visit's fee consent had it when the settlement was judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementFact {
    pub id: String,
    pub amount: Cents,
    pub consented: Cents,
    pub method: PaymentMethod,
    pub seq: i64,
}

/// A signature given on the visit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureFact {
    pub id: SignatureId,
    pub role: SignerRole,
    pub step: Option<String>,
    pub seq: i64,
    /// What it was given over; `None` for a signature not bound to a summary (older apps).
    pub summary: Option<SignedSummary>,
}

/// One visit, replayed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitReplay {
    pub id: String,
    pub template: TemplateRef,
    pub status: VisitStatus,
    /// The latest answer or exception per step, with the `seq` that recorded it.
    pub answers: BTreeMap<String, (Recorded, i64)>,
    /// Every fee consent in order; the latest is the customer's answer.
    pub consents: Vec<(SummaryFees, i64)>,
    pub photos: Vec<PhotoFact>,
    pub findings: Vec<FindingFact>,
    pub parts: Vec<(SummaryPart, i64)>,
    /// Hashes of the summaries shown to a signer.
    pub shown: Vec<String>,
    pub signatures: Vec<SignatureFact>,
    /// The visit's settlements in order (one, unless the technician settled again).
    #[serde(default)]
    pub settlements: Vec<SettlementFact>,
    /// The customer's feedback (a rating) was recorded on the visit.
    #[serde(default)]
    pub feedback: bool,
    /// The job's loaners as they stand during the visit (lent, not yet returned).
    #[serde(default)]
    pub loaners: LoanerCount,
    /// The take-back receipt the customer signed for on this visit (before the take-back).
    #[serde(default)]
    pub take_back_signed: Option<SummaryTakeBack>,
    /// The take-back receipt issued on this visit, once taken back.
    #[serde(default)]
    pub take_back: Option<SummaryTakeBack>,
}

impl VisitReplay {
    /// A visit just planned on `template`.
    pub fn new(id: String, template: TemplateRef) -> Self {
        Self {
            id,
            template,
            status: VisitStatus::Planned,
            answers: BTreeMap::new(),
            consents: Vec::new(),
            photos: Vec::new(),
            findings: Vec::new(),
            parts: Vec::new(),
            shown: Vec::new(),
            signatures: Vec::new(),
            settlements: Vec::new(),
            feedback: false,
            loaners: LoanerCount::default(),
            take_back_signed: None,
            take_back: None,
        }
    }

    /// The template the visit follows.
    pub fn template(&self, cx: &Context<'_>) -> Result<Arc<Template>, Refused> {
        cx.desk.template(&self.template).ok_or_else(|| {
            Refused::said(
                "checklist",
                Said::new("refused-template-unpublished")
                    .arg("template", self.template.id.as_str())
                    .arg("version", self.template.version),
            )
        })
    }

    /// The id of the template's fee-consent step.
    fn fee_step(t: &Template) -> Option<&str> {
        t.steps
            .iter()
            .find(|s| matches!(s.kind, StepKind::FeeConsent))
            .map(|s| s.id.as_str())
    }

    /// Every recorded answer and exception; the fee step's is the latest fee consent.
    fn recorded(&self, t: &Template) -> BTreeMap<String, (Recorded, i64)> {
        let mut out = self.answers.clone();
        if let (Some(step), Some((fees, seq))) = (Self::fee_step(t), self.consents.last()) {
            out.insert(
                step.to_owned(),
                (
                    Recorded::Answer(AnswerValue::FeeConsent {
                        agreed: fees.agreed,
                    }),
                    *seq,
                ),
            );
        }
        out
    }

    /// The checklist engine's facts.
    pub fn facts(&self, cx: &Context<'_>, t: &Template) -> VisitFacts {
        let mut photos: HashMap<String, u32> = HashMap::new();
        for p in &self.photos {
            if let Some(step) = &p.step {
                *photos.entry(step.clone()).or_default() += 1;
            }
        }
        let mut signatures: HashMap<String, Vec<SignerRole>> = HashMap::new();
        for s in &self.signatures {
            if let Some(step) = &s.step {
                signatures.entry(step.clone()).or_default().push(s.role);
            }
        }
        VisitFacts {
            job_kind: cx.order.kind,
            order_billing: cx.order.billing,
            stage: match self.status {
                VisitStatus::Planned => Stage::Planned,
                VisitStatus::EnRoute => Stage::EnRoute,
                VisitStatus::Arrived => Stage::OnSite,
                _ => Stage::Working,
            },
            recorded: self
                .recorded(t)
                .into_iter()
                .map(|(k, (r, _))| (k, r))
                .collect(),
            photos,
            signatures,
            // Only a call that reached the customer plans a visit.
            previsit_call_reached: true,
            feedback_recorded: self.feedback,
            unacknowledged_findings: self.findings.iter().filter(|f| !f.acknowledged).count()
                as u32,
            acknowledged_findings: self.findings.iter().filter(|f| f.acknowledged).count() as u32,
            parts: {
                let mut ids: Vec<String> = self.parts.iter().map(|(p, _)| p.id.clone()).collect();
                ids.sort_unstable();
                ids
            },
            customer_summary: self
                .signatures
                .iter()
                .rfind(|s| s.role == SignerRole::Customer)
                .and_then(|s| s.summary.as_ref())
                .map(SignedSummary::sha256),
            loaners: self.loaners,
            sale: cx.order.sale_facts(),
        }
    }

    /// Refuses `action` while required steps of phases before `phase` are not done.
    pub(super) fn gate(
        &self,
        cx: &Context<'_>,
        phase: Phase,
        action: &'static str,
    ) -> Result<(), Refused> {
        let t = self.template(cx)?;
        let facts = self.facts(cx, &t);
        let blockers = Run::new(&t, &facts).blockers_before(phase);
        if blockers.is_empty() {
            return Ok(());
        }
        let list = blockers.iter().map(Blocker::said).collect();
        Err(Refused::said(
            "blocked",
            Said::new("refused-gate")
                .word("action", "wf-action-", action)
                .arg("list", SaidArg::List(list)),
        ))
    }

    pub(super) fn answer(&mut self, step: &str, rec: Recorded, seq: i64) {
        self.answers.insert(step.to_owned(), (rec, seq));
    }

    pub(super) fn record_finding(&mut self, p: &RecordFindingV1, seq: i64) -> Result<(), Refused> {
        let id = p.id.to_string();
        if self.findings.iter().any(|f| f.finding.id == id) {
            return Err(Refused::new("invalid", "this finding was already recorded"));
        }
        self.findings.push(FindingFact {
            finding: SummaryFinding {
                id,
                kind: p.kind.as_str().to_owned(),
                description: p.description.clone(),
            },
            seq,
            acknowledged: false,
        });
        Ok(())
    }

    pub(super) fn consent(&mut self, p: &ConsentToFeesV1, seq: i64) {
        self.consents.push((
            SummaryFees {
                id: p.id.to_string(),
                schedule_id: p.schedule_id.clone(),
                schedule_version: p.schedule_version,
                items: p.items.clone(),
                total: p.total,
                agreed: p.agreed,
            },
            seq,
        ));
    }

    pub(super) fn add_photo(
        &mut self,
        sha256: &str,
        step: Option<&str>,
        seq: i64,
    ) -> Result<(), Refused> {
        if self.photos.iter().any(|p| p.sha256 == sha256) {
            return Err(Refused::new(
                "duplicate_photo",
                "this photo is already on the visit",
            ));
        }
        self.photos.push(PhotoFact {
            sha256: sha256.to_owned(),
            step: step.map(str::to_owned),
            seq,
        });
        Ok(())
    }

    pub(super) fn record_part(&mut self, p: &RecordPartV1, seq: i64) {
        self.parts.push((
            SummaryPart {
                id: p.id.to_string(),
                sku: p.sku.clone(),
                quantity: p.quantity,
                new_serial: p.new_serial.clone(),
                old_part: p.old_part.as_str().to_owned(),
                old_serial: p.old_serial.clone(),
            },
            seq,
        ));
    }

    /// The step's answer stays out of the signed summary ([`StepKind::in_signed_summary`]).
    pub fn names_a_copy(t: &Template, step: &str) -> bool {
        t.step(step).is_some_and(|s| !s.kind.in_signed_summary())
    }

    /// The summary of the visit as it stands: what a customer is shown and signs (the
    /// answer of a customer-copy step aside, see [`Self::names_a_copy`]).
    pub fn summary(&self, order: &WorkOrder, t: &Template) -> SignedSummary {
        SignedSummary {
            version: 1,
            work_order: summary_order(order),
            visit_id: self.id.clone(),
            findings: self.findings.iter().map(|f| f.finding.clone()).collect(),
            answers: self
                .recorded(t)
                .into_iter()
                .filter(|(step, _)| !Self::names_a_copy(t, step))
                .map(|(step, (rec, _))| SummaryAnswer::of(step, rec))
                .collect(),
            parts: self.parts.iter().map(|(p, _)| p.clone()).collect(),
            fee_consent: self.consents.last().map(|(f, _)| f.clone()),
            photos: self.photos.iter().map(|p| p.sha256.clone()).collect(),
            take_back: self.take_back.clone(),
        }
        .canonicalize()
    }

    /// The summary the customer signs for a take-back not recorded yet: the visit as it
    /// stands with the receipt `tb` (PROCEDURE 14).
    pub fn summary_with_take_back(
        &self,
        order: &WorkOrder,
        t: &Template,
        tb: SummaryTakeBack,
    ) -> SignedSummary {
        SignedSummary {
            take_back: Some(tb),
            ..self.summary(order, t)
        }
        .canonicalize()
    }

    /// Where each item of the current summary was recorded: key → (`seq`, whether it may
    /// follow a customer's sign-off of the record). Keys: `finding:<id>`, `answer:<step>`,
    /// `part:<id>`, `fees:<id>`, `photo:<sha256>`. Answers and photos of close-out steps may
    /// follow the sign-off (feedback, fee settled, the customer's copy, goodbye); nothing
    /// else may.
    pub fn positions(&self, t: &Template) -> HashMap<String, (i64, bool)> {
        let close_out = |step: Option<&str>| {
            step.and_then(|s| t.step(s))
                .is_some_and(|s| s.phase == Phase::CloseOut)
        };
        let mut at = HashMap::new();
        for f in &self.findings {
            at.insert(format!("finding:{}", f.finding.id), (f.seq, false));
        }
        for (step, (_, seq)) in self.recorded(t) {
            if Self::names_a_copy(t, &step) {
                continue;
            }
            let after = close_out(Some(&step));
            at.insert(format!("answer:{step}"), (seq, after));
        }
        for (p, seq) in &self.parts {
            at.insert(format!("part:{}", p.id), (*seq, false));
        }
        for (f, seq) in &self.consents {
            at.insert(format!("fees:{}", f.id), (*seq, false));
        }
        for p in &self.photos {
            at.insert(
                format!("photo:{}", p.sha256),
                (p.seq, close_out(p.step.as_deref())),
            );
        }
        at
    }

    /// Judges a `sign` op on this (open) visit and records it. `head` is the timeline's head
    /// before the op.
    pub(super) fn judge_signature(
        &mut self,
        p: &SignV1,
        op: &Op,
        head: &str,
        cx: &Context<'_>,
    ) -> Result<(), Refused> {
        text("signer name", &p.signer_name, 128)?;
        same_visit(self, p.visit_id)?;
        if p.finding.is_some() && p.role != SignerRole::Customer {
            return Err(Refused::new(
                "invalid",
                "only the customer confirms a finding",
            ));
        }
        if matches!(self.status, VisitStatus::Planned | VisitStatus::EnRoute) {
            return Err(Refused::new("not_allowed_now", "arrive first"));
        }
        if p.device_id != cx.device_id {
            return Err(Refused::new(
                "wrong_device",
                "the signature names another device than the one that sent it",
            ));
        }
        if p.signed_at.timestamp_millis() != op.device_time {
            return Err(Refused::new(
                "invalid",
                "the signature's time is not the time it was recorded",
            ));
        }
        if !is_sha256_hex(&p.image_sha256) {
            return Err(Refused::new(
                "invalid",
                "the image is not named by its SHA-256",
            ));
        }
        let t = self.template(cx)?;
        if let Some(step) = &p.step_id {
            let facts = self.facts(cx, &t);
            Run::new(&t, &facts).check_evidence(step, Evidence::Signature(p.role))?;
            if p.finding.is_none() && t.step(step).is_some_and(|s| s.kind == StepKind::Finding) {
                return Err(Refusal::FindingNotNamed { step: step.clone() }.into());
            }
        }
        let summary = match &p.summary_sha256 {
            // Signed on an app that did not bind signatures yet: kept, but it cannot vouch
            // for anything (a completion relying on it is held).
            None => None,
            Some(sha) => {
                let signed = p
                    .summary
                    .as_ref()
                    .filter(|s| &s.sha256() == sha)
                    .ok_or_else(|| {
                        Refused::new(
                            "summary_mismatch",
                            "the summary carried does not hash to the one signed",
                        )
                    })?;
                // The customer's signature on a take-back receipt is over the visit as it
                // stands with that receipt, before the take-back is recorded.
                let receipt = signed
                    .take_back
                    .clone()
                    .filter(|_| self.take_back.is_none());
                if receipt.is_some()
                    && (p.role != SignerRole::Customer
                        || p.step_id.is_some()
                        || p.finding.is_some())
                {
                    return Err(Refused::new(
                        "invalid",
                        "a take-back receipt is signed by the customer alone, on no step",
                    ));
                }
                let current = match &receipt {
                    Some(tb) => self.summary_with_take_back(cx.order, &t, tb.clone()),
                    None => self.summary(cx.order, &t),
                };
                if &current.sha256() != sha {
                    return Err(Refused::new(
                        "summary_mismatch",
                        "the signature is not over the visit's records as they stand",
                    ));
                }
                if receipt.is_some() {
                    self.take_back_signed = receipt;
                }
                if p.role == SignerRole::Customer && !self.shown.contains(sha) {
                    return Err(Refused::new(
                        "not_shown",
                        "the customer was not shown the summary they signed",
                    ));
                }
                if p.chain_head.as_deref() != Some(head) {
                    return Err(Refused::new(
                        "chain_mismatch",
                        "the signature is not bound to the timeline as it stood",
                    ));
                }
                if p.seal.as_deref() != Some(expected_seal(p, sha, head).as_str()) {
                    return Err(Refused::new(
                        "seal_mismatch",
                        "the signature record does not match its seal",
                    ));
                }
                match p.drawn_strokes() {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        return Err(Refused::new("invalid", "the signature carries no strokes"));
                    }
                    Err(e) => return Err(Refused::new("invalid", e.to_string())),
                }
                Some(signed.clone())
            }
        };
        if let Some(f) = p.finding {
            let f = f.to_string();
            let finding = self
                .findings
                .iter_mut()
                .find(|x| x.finding.id == f)
                .ok_or_else(|| {
                    Refused::new("unknown_finding", "the finding is not on this visit")
                })?;
            finding.acknowledged = true;
        }
        self.signatures.push(SignatureFact {
            id: p.id,
            role: p.role,
            step: p.step_id.clone(),
            seq: op.seq,
            summary,
        });
        Ok(())
    }
}

/// The work-order part of a summary, from the order as the desk holds it.
pub fn summary_order(o: &WorkOrder) -> SummaryOrder {
    SummaryOrder {
        id: o.id.to_string(),
        number: o.number.clone(),
        kind: o.kind.as_str().to_owned(),
        product_model: o.product.model.clone(),
        product_serial: o.product.serial.clone(),
        reported_fault: o.reported_fault.clone(),
        billing: match o.billing {
            Billing::Warranty => "warranty".to_owned(),
            Billing::Paid => "paid".to_owned(),
        },
    }
}
