//! A run of a template over the facts of one visit: what applies, what is next, which answers
//! are accepted, and what blocks starting work or completing the visit. What it reports
//! (blockers, refusals) is in `report`, the steps tied to facts in `facts`, the answer values
//! in answer.rs.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::answer::{AnswerValue, Recorded};
pub use report::{BlockReason, Blocker, Refusal};

mod facts;
mod report;
use super::template::{Condition, Phase, Step, StepKind, Template};
use crate::model::{Billing, JobKind, SaleFacts, SignerRole};

/// Longest serial number accepted, in characters.
pub const MAX_SERIAL_LEN: usize = 64;

/// Most part ids a parts review may confirm.
pub const MAX_REVIEWED_PARTS: usize = 200;

/// Where the visit is; decides which phases are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Preparing to leave: before-leaving steps only.
    Planned,
    /// Travelling: before-leaving steps only.
    EnRoute,
    /// At the customer's: before-leaving, arrival and assessment steps.
    OnSite,
    /// Work started: every phase.
    Working,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::Planned,
        Stage::EnRoute,
        Stage::OnSite,
        Stage::Working,
    ];

    /// Steps of `phase` can be answered at this stage.
    pub fn opens(self, phase: Phase) -> bool {
        match self {
            Stage::Planned | Stage::EnRoute => phase == Phase::BeforeLeaving,
            Stage::OnSite => phase <= Phase::Assessment,
            Stage::Working => true,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Planned => "planned",
            Stage::EnRoute => "en route",
            Stage::OnSite => "on site",
            Stage::Working => "working",
        })
    }
}

/// Everything the engine needs to know about a visit. Built by the caller from storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitFacts {
    pub job_kind: JobKind,
    /// The billing on the work order; a template's billing step overrides it once answered.
    pub order_billing: Billing,
    pub stage: Stage,
    /// The latest answer or exception per step id.
    pub recorded: HashMap<String, Recorded>,
    /// Photo count per step id.
    pub photos: HashMap<String, u32>,
    /// Roles that signed, per step id.
    pub signatures: HashMap<String, Vec<SignerRole>>,
    /// A pre-visit call reached the customer (PROCEDURE 1).
    pub previsit_call_reached: bool,
    /// The customer's feedback (a rating) was recorded on this visit (PROCEDURE 17).
    pub feedback_recorded: bool,
    /// Anomalies the customer has not yet signed for (PROCEDURE 7); each blocks completion.
    pub unacknowledged_findings: u32,
    /// Findings of this visit the customer has signed for.
    #[serde(default)]
    pub acknowledged_findings: u32,
    /// Ids of the parts recorded on this visit, sorted.
    #[serde(default)]
    pub parts: Vec<String>,
    /// The hash of the summary the customer's latest signature on this visit was given over.
    #[serde(default)]
    pub customer_summary: Option<String>,
    /// The job's loaners: how many were lent, how many are still with the customer.
    #[serde(default)]
    pub loaners: LoanerCount,
    /// The order's sale with the day the customer asked: what a return decision is judged on.
    #[serde(default)]
    pub sale: Option<SaleFacts>,
}

/// The loaners of a job (lent at take-backs), counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanerCount {
    pub lent: u32,
    pub out: u32,
}

impl VisitFacts {
    /// A planned visit with nothing recorded yet.
    pub fn new(job_kind: JobKind, order_billing: Billing) -> Self {
        Self {
            job_kind,
            order_billing,
            stage: Stage::Planned,
            recorded: HashMap::new(),
            photos: HashMap::new(),
            signatures: HashMap::new(),
            previsit_call_reached: false,
            feedback_recorded: false,
            unacknowledged_findings: 0,
            acknowledged_findings: 0,
            parts: Vec::new(),
            customer_summary: None,
            loaners: LoanerCount::default(),
            sale: None,
        }
    }
}

/// Evidence that may be attached to a step (see [`Run::check_evidence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Evidence {
    Photo,
    Signature(SignerRole),
}

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Its condition does not hold for this visit.
    NotApplicable,
    /// Answered validly, or its evidence suffices.
    Satisfied,
    /// Skipped with an allowed exception and a reason; counts as done.
    Excepted,
    /// Not done yet.
    Pending,
    /// Answered, but the answer does not let the visit go on (fee consent refused).
    Refused,
}

impl StepStatus {
    /// Done for ordering and gates: satisfied, excepted or not applicable.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Satisfied | Self::Excepted | Self::NotApplicable)
    }
}

/// A step with its status, for a UI.
#[derive(Clone, Debug, PartialEq)]
pub struct StepView<'a> {
    pub step: &'a Step,
    pub status: StepStatus,
    pub applicable: bool,
}

/// How far the checklist is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Applicable required steps that are satisfied or excepted.
    pub satisfied: u32,
    /// Applicable required steps.
    pub applicable_required: u32,
}

/// A template applied to one visit's facts. Cheap to build; build a new one after every change.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    template: &'a Template,
    facts: &'a VisitFacts,
    index: HashMap<&'a str, usize>,
    /// Applicability per step position, computed once in template order.
    applicable: Vec<bool>,
    paid: bool,
}

impl<'a> Run<'a> {
    /// Evaluates which steps apply. The template should be validated; an unvalidated one never
    /// panics, but conditions looking forward evaluate to false.
    pub fn new(template: &'a Template, facts: &'a VisitFacts) -> Self {
        let mut index = HashMap::with_capacity(template.steps.len());
        for (i, s) in template.steps.iter().enumerate() {
            index.entry(s.id.as_str()).or_insert(i);
        }
        let mut run = Run {
            template,
            facts,
            index,
            applicable: Vec::with_capacity(template.steps.len()),
            paid: effective_paid(template, facts),
        };
        for s in &template.steps {
            let a = run.holds_opt(s.when.as_ref());
            run.applicable.push(a);
        }
        run
    }

    /// The template being run.
    pub fn template(&self) -> &'a Template {
        self.template
    }

    /// The facts it runs on.
    pub fn facts(&self) -> &'a VisitFacts {
        self.facts
    }

    /// Effective billing: the billing step's choice once answered, else the order's billing.
    pub fn is_paid(&self) -> bool {
        self.paid
    }

    /// The step's condition holds for this visit.
    pub fn is_applicable(&self, step: &Step) -> bool {
        match self.index.get(step.id.as_str()) {
            Some(&i) if std::ptr::eq(step, &self.template.steps[i]) => self.applicable[i],
            _ => self.holds_opt(step.when.as_ref()),
        }
    }

    /// The status of the step with this id, `None` if the template has no such step.
    pub fn status(&self, step_id: &str) -> Option<StepStatus> {
        self.index.get(step_id).map(|&i| self.status_at(i))
    }

    /// The first applicable step, in template order, that is neither satisfied nor excepted
    /// and could be done now (its phase is open and its prerequisites are done).
    pub fn next(&self) -> Option<&'a Step> {
        let template: &'a Template = self.template;
        (0..template.steps.len())
            .find(|&i| {
                matches!(self.status_at(i), StepStatus::Pending | StepStatus::Refused)
                    && self.facts.stage.opens(template.steps[i].phase)
                    && self.missing_before(i).is_empty()
            })
            .map(|i| &template.steps[i])
    }

    /// Accepts `answer` for the step, or says why not.
    ///
    /// Checks, in order: the step exists, applies and its phase is open; it takes an answer
    /// of this kind; its prerequisites are done; the value is valid.
    pub fn check_answer(&self, step_id: &str, answer: &AnswerValue) -> Result<(), Refusal> {
        let (i, step) = self.check_reachable(step_id)?;
        if step.kind.is_evidence() {
            return Err(Refusal::NeedsEvidence {
                step: step.id.clone(),
            });
        }
        if !kind_matches(&step.kind, answer) {
            return Err(Refusal::WrongKind {
                step: step.id.clone(),
                expected: step.kind.expects(),
            });
        }
        self.check_order(i)?;
        validate_value(step, answer)?;
        self.check_against_facts(step, answer)
    }

    /// Accepts skipping the step with an exception and `reason`, or says why not.
    pub fn check_exception(&self, step_id: &str, reason: &str) -> Result<(), Refusal> {
        let (i, step) = self.check_reachable(step_id)?;
        if !step.exception_allowed {
            return Err(Refusal::ExceptionNotAllowed {
                step: step.id.clone(),
            });
        }
        if reason.trim().is_empty() {
            return Err(Refusal::EmptyReason {
                step: step.id.clone(),
            });
        }
        self.check_order(i)
    }

    /// Accepts attaching a photo or signature to the step, or says why not: the step must
    /// take that evidence (and that signer), and be open and in order like an answer.
    pub fn check_evidence(&self, step_id: &str, evidence: Evidence) -> Result<(), Refusal> {
        let (i, step) = self.check_reachable(step_id)?;
        match (&step.kind, evidence) {
            (StepKind::Photo { .. }, Evidence::Photo) => {}
            (StepKind::Signature { role }, Evidence::Signature(r)) if *role == r => {}
            (StepKind::Finding, Evidence::Signature(SignerRole::Customer)) => {}
            (StepKind::Finding, Evidence::Signature(_)) => {
                return Err(Refusal::WrongSigner {
                    step: step.id.clone(),
                    expected: SignerRole::Customer,
                });
            }
            (StepKind::Signature { role }, Evidence::Signature(_)) => {
                return Err(Refusal::WrongSigner {
                    step: step.id.clone(),
                    expected: *role,
                });
            }
            (kind, _) => {
                return Err(Refusal::WrongKind {
                    step: step.id.clone(),
                    expected: kind.expects(),
                });
            }
        }
        self.check_order(i)
    }

    /// Required applicable steps of phases before `phase` that are not yet done — what stops
    /// that phase from starting. From `Phase::Work` on, open findings block too (PROCEDURE 7:
    /// anomalies are signed for before work).
    pub fn blockers_before(&self, phase: Phase) -> Vec<Blocker> {
        let mut out: Vec<Blocker> = (0..self.template.steps.len())
            .filter(|&i| self.template.steps[i].phase < phase)
            .filter_map(|i| self.blocker_at(i))
            .collect();
        if phase >= Phase::Work {
            out.extend(self.findings_blocker());
        }
        out
    }

    /// Everything that stops sign-off and completion: every required applicable step not yet
    /// satisfied or excepted, and open findings.
    pub fn completion_blockers(&self) -> Vec<Blocker> {
        let mut out: Vec<Blocker> = (0..self.template.steps.len())
            .filter_map(|i| self.blocker_at(i))
            .collect();
        out.extend(self.findings_blocker());
        out
    }

    /// Counts of required applicable steps done and in all.
    pub fn progress(&self) -> Progress {
        let mut p = Progress {
            satisfied: 0,
            applicable_required: 0,
        };
        for (i, s) in self.template.steps.iter().enumerate() {
            if s.required && self.applicable[i] {
                p.applicable_required += 1;
                if matches!(
                    self.status_at(i),
                    StepStatus::Satisfied | StepStatus::Excepted
                ) {
                    p.satisfied += 1;
                }
            }
        }
        p
    }

    /// Every step with its status, in template order.
    pub fn steps(&self) -> Vec<StepView<'a>> {
        let template: &'a Template = self.template;
        template
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| StepView {
                step,
                status: self.status_at(i),
                applicable: self.applicable[i],
            })
            .collect()
    }

    // ---- internals ----

    fn holds_opt(&self, cond: Option<&Condition>) -> bool {
        cond.is_none_or(|c| self.holds(c))
    }

    fn holds(&self, cond: &Condition) -> bool {
        match cond {
            Condition::JobKind { any_of } => any_of.contains(&self.facts.job_kind),
            Condition::Paid(p) => self.paid == *p,
            Condition::Answer { step, equals } => {
                // Only steps already evaluated (listed before) can be looked at; a validated
                // template guarantees that, and it rules out cycles.
                let applies = self
                    .index
                    .get(step.as_str())
                    .and_then(|&j| self.applicable.get(j))
                    .copied()
                    .unwrap_or(false);
                applies
                    && matches!(
                        self.facts.recorded.get(step),
                        Some(Recorded::Answer(v)) if v == equals
                    )
            }
            Condition::All(cs) => cs.iter().all(|c| self.holds(c)),
            Condition::Any(cs) => cs.iter().any(|c| self.holds(c)),
            Condition::Not(c) => !self.holds(c),
        }
    }

    fn status_at(&self, i: usize) -> StepStatus {
        if !self.applicable[i] {
            return StepStatus::NotApplicable;
        }
        let step = &self.template.steps[i];
        let recorded = self.facts.recorded.get(&step.id);
        let excepted = step.exception_allowed
            && matches!(recorded, Some(Recorded::Exception { reason }) if !reason.trim().is_empty());
        if step.kind.is_evidence() {
            return if self.evidence_suffices(step) {
                StepStatus::Satisfied
            } else if excepted {
                StepStatus::Excepted
            } else {
                StepStatus::Pending
            };
        }
        match recorded {
            Some(Recorded::Answer(AnswerValue::FeeConsent { agreed: false }))
                if step.kind == StepKind::FeeConsent =>
            {
                StepStatus::Refused
            }
            Some(Recorded::Answer(v))
                if validate_value(step, v).is_ok() && self.check_against_facts(step, v).is_ok() =>
            {
                StepStatus::Satisfied
            }
            _ if excepted => StepStatus::Excepted,
            _ => StepStatus::Pending,
        }
    }

    fn evidence_suffices(&self, step: &Step) -> bool {
        match &step.kind {
            StepKind::Photo { min_count } => self.photo_count(step) >= *min_count,
            StepKind::Signature { role } => self
                .facts
                .signatures
                .get(&step.id)
                .is_some_and(|rs| rs.contains(role)),
            StepKind::PreVisitCall => self.facts.previsit_call_reached,
            StepKind::Feedback => self.facts.feedback_recorded,
            StepKind::Finding => {
                self.facts.acknowledged_findings > 0
                    && self
                        .facts
                        .signatures
                        .get(&step.id)
                        .is_some_and(|rs| rs.contains(&SignerRole::Customer))
            }
            _ => false,
        }
    }

    fn photo_count(&self, step: &Step) -> u32 {
        self.facts.photos.get(&step.id).copied().unwrap_or(0)
    }

    fn is_done(&self, i: usize) -> bool {
        self.status_at(i).is_done()
    }

    /// Ids of the steps that must be done before step `i` may be answered, in template order
    /// of discovery, without duplicates.
    fn missing_before(&self, i: usize) -> Vec<String> {
        let step = &self.template.steps[i];
        let mut missing: Vec<String> = Vec::new();
        let mut push = |id: &str| {
            if !missing.iter().any(|m| m == id) {
                missing.push(id.to_string());
            }
        };
        for a in &step.after {
            match self.index.get(a.as_str()) {
                Some(&j) if self.is_done(j) => {}
                _ => push(a),
            }
        }
        for (j, t) in self.template.steps.iter().enumerate() {
            let earlier_gate = t.phase < step.phase
                && t.phase != Phase::BeforeLeaving
                && t.required
                && self.applicable[j]
                && !self.is_done(j);
            // No work (or close-out) before the customer agreed to the fees.
            let consent_gate = step.phase >= Phase::Work
                && t.kind == StepKind::FeeConsent
                && self.applicable[j]
                && self.status_at(j) != StepStatus::Satisfied;
            if earlier_gate || consent_gate {
                push(&t.id);
            }
        }
        missing
    }

    fn check_reachable(&self, step_id: &str) -> Result<(usize, &'a Step), Refusal> {
        let template: &'a Template = self.template;
        let Some(&i) = self.index.get(step_id) else {
            return Err(Refusal::UnknownStep {
                step: step_id.to_string(),
            });
        };
        let step = &template.steps[i];
        if !self.applicable[i] {
            return Err(Refusal::NotApplicable {
                step: step.id.clone(),
            });
        }
        if !self.facts.stage.opens(step.phase) {
            return Err(Refusal::PhaseNotOpen {
                step: step.id.clone(),
                phase: step.phase,
                stage: self.facts.stage,
            });
        }
        Ok((i, step))
    }

    fn check_order(&self, i: usize) -> Result<(), Refusal> {
        let missing = self.missing_before(i);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Refusal::OutOfOrder {
                step: self.template.steps[i].id.clone(),
                missing,
            })
        }
    }

    fn blocker_at(&self, i: usize) -> Option<Blocker> {
        let step = &self.template.steps[i];
        if !step.required {
            return None;
        }
        let reason = match self.status_at(i) {
            StepStatus::NotApplicable | StepStatus::Satisfied | StepStatus::Excepted => {
                return None;
            }
            StepStatus::Refused => BlockReason::ConsentRefused,
            StepStatus::Pending => match &step.kind {
                StepKind::Photo { min_count } => BlockReason::NeedsPhotos {
                    have: self.photo_count(step),
                    need: *min_count,
                },
                StepKind::Signature { role } => BlockReason::NeedsSignature { role: *role },
                StepKind::PreVisitCall => BlockReason::CallNotReached,
                StepKind::Finding => BlockReason::NeedsFinding,
                StepKind::PartsReview if self.facts.recorded.contains_key(&step.id) => {
                    BlockReason::PartsChanged
                }
                StepKind::CustomerCopy if self.facts.recorded.contains_key(&step.id) => {
                    BlockReason::CopyNotHanded
                }
                StepKind::Loaners { .. } if self.facts.loaners.out > 0 => BlockReason::LoanerOut {
                    count: self.facts.loaners.out,
                },
                StepKind::ReturnDecision => self.return_blocker(step),
                _ => BlockReason::Unanswered,
            },
        };
        Some(Blocker {
            step_id: Some(step.id.clone()),
            label: Some(step.label.clone()),
            reason,
        })
    }

    fn findings_blocker(&self) -> Option<Blocker> {
        let count = self.facts.unacknowledged_findings;
        (count > 0).then_some(Blocker {
            step_id: None,
            label: None,
            reason: BlockReason::FindingNotAcknowledged { count },
        })
    }
}

fn effective_paid(template: &Template, facts: &VisitFacts) -> bool {
    if let Some(id) = &template.billing_step
        && let Some(step) = template.step(id)
        && let StepKind::Choice { options } = &step.kind
        && let Some(Recorded::Answer(AnswerValue::Choice(v))) = facts.recorded.get(id)
        && options.iter().any(|o| &o.value == v)
    {
        return v == "paid";
    }
    facts.order_billing == Billing::Paid
}

fn kind_matches(kind: &StepKind, v: &AnswerValue) -> bool {
    matches!(
        (kind, v),
        (StepKind::Confirm, AnswerValue::Confirmed)
            | (StepKind::YesNo, AnswerValue::YesNo(_))
            | (StepKind::Choice { .. }, AnswerValue::Choice(_))
            | (StepKind::Text { .. }, AnswerValue::Text(_))
            | (StepKind::Number { .. }, AnswerValue::Number(_))
            | (StepKind::Serial, AnswerValue::Serial(_))
            | (StepKind::FeeConsent, AnswerValue::FeeConsent { .. })
            | (StepKind::PartsReview, AnswerValue::PartsReviewed(_))
            | (StepKind::CustomerCopy, AnswerValue::CopyHanded(_))
            | (StepKind::Loaners { .. }, AnswerValue::Choice(_))
            | (StepKind::ReturnDecision, AnswerValue::ReturnDecision(_))
    )
}

/// The answer fits the step's kind and its constraints.
fn validate_value(step: &Step, v: &AnswerValue) -> Result<(), Refusal> {
    let id = || step.id.clone();
    if step.kind.is_evidence() {
        return Err(Refusal::NeedsEvidence { step: id() });
    }
    if !kind_matches(&step.kind, v) {
        return Err(Refusal::WrongKind {
            step: id(),
            expected: step.kind.expects(),
        });
    }
    match (&step.kind, v) {
        (StepKind::Choice { options }, AnswerValue::Choice(c))
        | (StepKind::Loaners { options }, AnswerValue::Choice(c))
            if !options.iter().any(|o| &o.value == c) =>
        {
            Err(Refusal::NotAnOption {
                step: id(),
                value: c.clone(),
            })
        }
        (StepKind::Text { min_len }, AnswerValue::Text(t))
            if u32::try_from(t.trim().chars().count()).unwrap_or(u32::MAX) < *min_len =>
        {
            Err(Refusal::TooShort {
                step: id(),
                min_len: *min_len,
            })
        }
        (StepKind::Number { .. }, AnswerValue::Number(n)) if !n.is_finite() => {
            Err(Refusal::NotANumber { step: id() })
        }
        (StepKind::Number { unit, min, max }, AnswerValue::Number(n)) if n < min || n > max => {
            Err(Refusal::OutOfRange {
                step: id(),
                value: *n,
                min: *min,
                max: *max,
                unit: unit.clone(),
            })
        }
        (StepKind::Serial, AnswerValue::Serial(s)) if !valid_serial(s) => {
            Err(Refusal::BadSerial { step: id() })
        }
        (StepKind::PartsReview, AnswerValue::PartsReviewed(ids))
            if ids.len() > MAX_REVIEWED_PARTS || ids.iter().any(|p| !valid_serial(p)) =>
        {
            Err(Refusal::BadIds { step: id() })
        }
        (StepKind::CustomerCopy, AnswerValue::CopyHanded(h))
            if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Err(Refusal::BadHash { step: id() })
        }
        _ => Ok(()),
    }
}

/// 1 to [`MAX_SERIAL_LEN`] characters, no whitespace or control characters.
fn valid_serial(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_SERIAL_LEN
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
