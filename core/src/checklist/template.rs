//! Checklist templates: versioned data (serde JSON) with zh-CN and en labels, and the rules a
//! template must obey before the engine will run it.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::answer::AnswerValue;
pub use super::template_error::{MAX_ID_LEN, TemplateError};
use crate::model::{JobKind, SignerRole};

/// A text in the two languages the app ships with. JSON: `{"zh-CN": "…", "en": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Simplified Chinese, as service staff say it.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// English.
    pub en: String,
}

impl Localized {
    /// A text in both languages.
    pub fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh_cn: zh_cn.into(),
            en: en.into(),
        }
    }

    fn is_blank(&self) -> bool {
        self.zh_cn.trim().is_empty() || self.en.trim().is_empty()
    }
}

/// The part of the visit a step belongs to, in the order they happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before leaving for the customer (PROCEDURE 1–2).
    BeforeLeaving,
    /// At the door (PROCEDURE 3–5).
    Arrival,
    /// Looking at the product and agreeing terms, before any work (PROCEDURE 6–10).
    Assessment,
    /// The work itself (PROCEDURE 11–14).
    Work,
    /// Tidying up, signing off, leaving (PROCEDURE 15–20).
    CloseOut,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 5] = [
        Phase::BeforeLeaving,
        Phase::Arrival,
        Phase::Assessment,
        Phase::Work,
        Phase::CloseOut,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeLeaving => "before_leaving",
            Phase::Arrival => "arrival",
            Phase::Assessment => "assessment",
            Phase::Work => "work",
            Phase::CloseOut => "close_out",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::BeforeLeaving => "before-leaving",
            Phase::Arrival => "arrival",
            Phase::Assessment => "assessment",
            Phase::Work => "work",
            Phase::CloseOut => "close-out",
        })
    }
}

/// One option of a [`StepKind::Choice`] step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// The stable value recorded as the answer.
    pub value: String,
    pub label: Localized,
}

/// What a step asks for and what satisfies it.
///
/// JSON: internally tagged, e.g. `{"type": "number", "unit": "V", "min": 180, "max": 250}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", from = "RawStepKind")]
pub enum StepKind {
    /// Tick to confirm it was done ([`AnswerValue::Confirmed`]).
    Confirm,
    /// Yes or no; either answer satisfies the step.
    YesNo,
    /// One of a fixed list of values.
    Choice { options: Vec<ChoiceOption> },
    /// Free text of at least `min_len` characters (trimmed).
    Text { min_len: u32 },
    /// A measured value in `min..=max`.
    Number { unit: String, min: f64, max: f64 },
    /// Satisfied by at least `min_count` photos attached to the step.
    Photo { min_count: u32 },
    /// Satisfied by a signature of `role` attached to the step.
    Signature { role: SignerRole },
    /// A barcode or serial number: 1–64 characters, no whitespace or control characters.
    Serial,
    /// Satisfied by the customer agreeing to the fee schedule (`agreed: true`).
    FeeConsent,
    /// Satisfied by a pre-visit call that reached the customer.
    PreVisitCall,
    /// Satisfied by the customer's feedback (a 1–5 rating) recorded on the visit: the tick is
    /// the record, never a tap.
    Feedback,
    /// The customer's signature on a finding of this visit (`sign` naming the finding, on this
    /// step): an anomaly is a record the customer signed, never a tick.
    Finding,
    /// Confirms the parts recorded on the visit, by their ids
    /// ([`AnswerValue::PartsReviewed`]); a part recorded or removed after it reopens the step.
    PartsReview,
    /// The customer's copy was handed over: answered with the hash of the signed summary it
    /// shows ([`AnswerValue::CopyHanded`]), which must be the customer's latest signature's.
    CustomerCopy,
    /// Whether a loaner was lent and has come back, as the loaner records say: `collected`
    /// holds only when every loaner of the job was returned, `none_lent` only when none was
    /// lent ([`LOANER_OPTIONS`]).
    Loaners { options: Vec<ChoiceOption> },
    /// A return or exchange: what was found on site and the decision of the returns rules on
    /// the order's sale ([`AnswerValue::ReturnDecision`]); a decision the rules, recomputed,
    /// do not give is refused, and without a sale record on the order the step cannot be done.
    ReturnDecision,
}

/// The option values of a [`StepKind::Loaners`] step, exactly.
pub const LOANER_OPTIONS: [&str; 2] = ["collected", "none_lent"];

/// How [`StepKind`] is read: serde ignores unknown fields next to the tag of a unit variant,
/// so every variant is a struct here and a typo (`{"type": "photo", "min_cout": 2}`) is an
/// error instead of a silently dropped field.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawStepKind {
    Confirm {},
    YesNo {},
    Choice { options: Vec<ChoiceOption> },
    Text { min_len: u32 },
    Number { unit: String, min: f64, max: f64 },
    Photo { min_count: u32 },
    Signature { role: SignerRole },
    Serial {},
    FeeConsent {},
    PreVisitCall {},
    Feedback {},
    Finding {},
    PartsReview {},
    CustomerCopy {},
    Loaners { options: Vec<ChoiceOption> },
    ReturnDecision {},
}

impl From<RawStepKind> for StepKind {
    fn from(raw: RawStepKind) -> Self {
        match raw {
            RawStepKind::Confirm {} => StepKind::Confirm,
            RawStepKind::YesNo {} => StepKind::YesNo,
            RawStepKind::Choice { options } => StepKind::Choice { options },
            RawStepKind::Text { min_len } => StepKind::Text { min_len },
            RawStepKind::Number { unit, min, max } => StepKind::Number { unit, min, max },
            RawStepKind::Photo { min_count } => StepKind::Photo { min_count },
            RawStepKind::Signature { role } => StepKind::Signature { role },
            RawStepKind::Serial {} => StepKind::Serial,
            RawStepKind::FeeConsent {} => StepKind::FeeConsent,
            RawStepKind::PreVisitCall {} => StepKind::PreVisitCall,
            RawStepKind::Feedback {} => StepKind::Feedback,
            RawStepKind::Finding {} => StepKind::Finding,
            RawStepKind::PartsReview {} => StepKind::PartsReview,
            RawStepKind::CustomerCopy {} => StepKind::CustomerCopy,
            RawStepKind::Loaners { options } => StepKind::Loaners { options },
            RawStepKind::ReturnDecision {} => StepKind::ReturnDecision,
        }
    }
}

impl StepKind {
    /// The stable snake_case name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Confirm => "confirm",
            StepKind::YesNo => "yes_no",
            StepKind::Choice { .. } => "choice",
            StepKind::Text { .. } => "text",
            StepKind::Number { .. } => "number",
            StepKind::Photo { .. } => "photo",
            StepKind::Signature { .. } => "signature",
            StepKind::Serial => "serial",
            StepKind::FeeConsent => "fee_consent",
            StepKind::PreVisitCall => "pre_visit_call",
            StepKind::Feedback => "feedback",
            StepKind::Finding => "finding",
            StepKind::PartsReview => "parts_review",
            StepKind::CustomerCopy => "customer_copy",
            StepKind::Loaners { .. } => "loaners",
            StepKind::ReturnDecision => "return_decision",
        }
    }

    /// Satisfied by evidence (photos, signatures, the call), not by an answer.
    pub fn is_evidence(&self) -> bool {
        matches!(
            self,
            StepKind::Photo { .. }
                | StepKind::Signature { .. }
                | StepKind::PreVisitCall
                | StepKind::Feedback
                | StepKind::Finding
        )
    }

    /// The step's answer is part of the summary a customer signs. Not a customer-copy step's:
    /// its answer names a signed summary, and a new signature would change what it refers to.
    pub fn in_signed_summary(&self) -> bool {
        !matches!(self, StepKind::CustomerCopy)
    }

    /// What the step expects, in words for a message.
    pub fn expects(&self) -> &'static str {
        match self {
            StepKind::Confirm => "a confirmation",
            StepKind::YesNo => "a yes/no answer",
            StepKind::Choice { .. } => "one of its options",
            StepKind::Text { .. } => "a text",
            StepKind::Number { .. } => "a number",
            StepKind::Photo { .. } => "photos",
            StepKind::Signature { .. } => "a signature",
            StepKind::Serial => "a serial number",
            StepKind::FeeConsent => "the customer's fee consent",
            StepKind::PreVisitCall => "the pre-visit call",
            StepKind::Feedback => "the customer's feedback (a rating)",
            StepKind::Finding => "the customer's signature on a finding",
            StepKind::PartsReview => "the parts recorded, confirmed",
            StepKind::CustomerCopy => "the hash of the signed copy handed over",
            StepKind::Loaners { .. } => "the loaner status the loaner records show",
            StepKind::ReturnDecision => "the findings with the returns rules' decision",
        }
    }
}

/// When a step applies.
///
/// JSON: externally tagged, snake_case, e.g. `{"paid": true}`,
/// `{"job_kind": {"any_of": ["delivery"]}}`,
/// `{"answer": {"step": "unit_intact", "equals": {"type": "yes_no", "value": false}}}`,
/// `{"all": [..]}`, `{"any": [..]}`, `{"not": {..}}`. `all: []` holds, `any: []` does not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The visit's job kind is one of these.
    JobKind {
        any_of: Vec<JobKind>,
    },
    /// The visit's effective billing is paid (`true`) or warranty (`false`).
    Paid(bool),
    /// The step applies and its current answer equals the value. The step must be listed
    /// before the step carrying the condition.
    Answer {
        step: String,
        equals: AnswerValue,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Calls `f` with every step id the condition looks at.
    pub fn for_each_step_ref<'c>(&'c self, f: &mut impl FnMut(&'c str, &'c AnswerValue)) {
        match self {
            Condition::JobKind { .. } | Condition::Paid(_) => {}
            Condition::Answer { step, equals } => f(step, equals),
            Condition::All(cs) | Condition::Any(cs) => {
                for c in cs {
                    c.for_each_step_ref(f);
                }
            }
            Condition::Not(c) => c.for_each_step_ref(f),
        }
    }
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !b
}

/// One step of a checklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable id: `a-z`, `0-9` and `_`, at most [`MAX_ID_LEN`] bytes.
    pub id: String,
    pub label: Localized,
    #[serde(default)]
    pub help: Option<Localized>,
    pub phase: Phase,
    pub kind: StepKind,
    /// Blocks completion while unsatisfied (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
    /// The step applies only when this holds; `None` = always.
    #[serde(default)]
    pub when: Option<Condition>,
    /// Steps that must be done before this one.
    #[serde(default)]
    pub after: Vec<String>,
    /// May be skipped with an exception and a reason (e.g. the customer declined).
    #[serde(default)]
    pub exception_allowed: bool,
    /// The numbered steps of PROCEDURE.md this step carries.
    #[serde(default)]
    pub procedure_refs: Vec<u8>,
}

/// A versioned checklist for one or more job kinds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    /// Starts at 1; a changed template gets a new version.
    pub version: u32,
    pub title: Localized,
    /// The job kinds this template serves.
    pub job_kinds: Vec<JobKind>,
    /// A choice step with exactly the options `warranty` and `paid` that decides the
    /// effective billing once answered.
    #[serde(default)]
    pub billing_step: Option<String>,
    /// In the order a technician meets them (phases never go backwards).
    pub steps: Vec<Step>,
    /// The visit is judged by the evidence rules of templates v3 on, with no allowance left
    /// for older apps: a take-back needs photos of the unit's condition and the customer's
    /// signature on its receipt (PROCEDURE 14), and the fee is settled only by a settlement
    /// record, never by ticking `fee_settled` (PROCEDURE 18).
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict_evidence: bool,
}

impl Template {
    /// Parses a template from JSON and validates it.
    pub fn from_json(json: &str) -> Result<Template, TemplateError> {
        let t: Template =
            serde_json::from_str(json).map_err(|e| TemplateError::Json(e.to_string()))?;
        t.validate()?;
        Ok(t)
    }

    /// The template as pretty JSON.
    pub fn to_json(&self) -> Result<String, TemplateError> {
        serde_json::to_string_pretty(self).map_err(|e| TemplateError::Json(e.to_string()))
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The position of the step with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    /// The template serves this job kind.
    pub fn serves(&self, kind: JobKind) -> bool {
        self.job_kinds.contains(&kind)
    }

    /// Checks every rule the engine relies on; the first problem found is returned.
    pub fn validate(&self) -> Result<(), TemplateError> {
        use TemplateError as E;
        if self.id.trim().is_empty() {
            return Err(E::EmptyTemplateId);
        }
        if self.version == 0 {
            return Err(E::ZeroVersion);
        }
        if self.title.is_blank() {
            return Err(E::EmptyTitle);
        }
        if self.job_kinds.is_empty() {
            return Err(E::NoJobKinds);
        }
        if self.steps.is_empty() {
            return Err(E::NoSteps);
        }

        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut last_phase = Phase::BeforeLeaving;
        for (i, s) in self.steps.iter().enumerate() {
            if s.id.is_empty() {
                return Err(E::EmptyId { position: i + 1 });
            }
            if !valid_id(&s.id) {
                return Err(E::BadId { step: s.id.clone() });
            }
            if index.insert(&s.id, i).is_some() {
                return Err(E::DuplicateStep { step: s.id.clone() });
            }
            if s.phase < last_phase {
                return Err(E::PhaseOutOfOrder { step: s.id.clone() });
            }
            last_phase = s.phase;
        }

        for (i, s) in self.steps.iter().enumerate() {
            validate_step_own(s)?;
            for a in &s.after {
                let Some(&j) = index.get(a.as_str()) else {
                    return Err(E::UnknownAfter {
                        step: s.id.clone(),
                        after: a.clone(),
                    });
                };
                if self.steps[j].phase > s.phase {
                    return Err(E::AfterLaterPhase {
                        step: s.id.clone(),
                        after: a.clone(),
                    });
                }
            }
            if let Some(cond) = &s.when {
                let mut problem = None;
                cond.for_each_step_ref(&mut |on, equals| {
                    if problem.is_some() {
                        return;
                    }
                    let (step, on_s) = (s.id.clone(), on.to_string());
                    problem = match index.get(on) {
                        None => Some(E::UnknownConditionStep { step, on: on_s }),
                        Some(&j) if j >= i => Some(E::ConditionOnLaterStep { step, on: on_s }),
                        Some(&j) if !value_possible(&self.steps[j].kind, equals) => {
                            Some(E::ConditionValueMismatch { step, on: on_s })
                        }
                        Some(_) => None,
                    };
                });
                if let Some(p) = problem {
                    return Err(p);
                }
            }
        }

        self.check_after_cycles(&index)?;
        self.check_billing_step()?;
        self.check_fee_consent()?;
        Ok(())
    }

    /// Kahn's algorithm over `after` edges; iterative, so huge templates cannot overflow the
    /// stack.
    fn check_after_cycles(&self, index: &HashMap<&str, usize>) -> Result<(), TemplateError> {
        let n = self.steps.len();
        let deps: Vec<Vec<usize>> = self
            .steps
            .iter()
            .map(|s| {
                s.after
                    .iter()
                    .filter_map(|a| index.get(a.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut waiting: Vec<usize> = vec![0; n];
        for (i, ds) in deps.iter().enumerate() {
            waiting[i] = ds.len();
            for &d in ds {
                dependents[d].push(i);
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
        let mut done = vec![false; n];
        while let Some(i) = ready.pop() {
            done[i] = true;
            for &k in &dependents[i] {
                waiting[k] -= 1;
                if waiting[k] == 0 {
                    ready.push(k);
                }
            }
        }
        let Some(start) = (0..n).find(|&i| !done[i]) else {
            return Ok(());
        };
        // Walk unfinished prerequisites until a step repeats: that step lies on a cycle.
        let mut seen = vec![false; n];
        let mut cur = start;
        while !seen[cur] {
            seen[cur] = true;
            match deps[cur].iter().find(|&&d| !done[d]) {
                Some(&d) => cur = d,
                None => break,
            }
        }
        Err(TemplateError::AfterCycle {
            step: self.steps[cur].id.clone(),
        })
    }

    fn check_billing_step(&self) -> Result<(), TemplateError> {
        let Some(id) = &self.billing_step else {
            return Ok(());
        };
        let bad = |why| TemplateError::BadBillingStep {
            step: id.clone(),
            why,
        };
        let step = self
            .step(id)
            .ok_or_else(|| bad("no step of this template has that id"))?;
        let StepKind::Choice { options } = &step.kind else {
            return Err(bad("it must be a choice step"));
        };
        let mut values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        values.sort_unstable();
        if values != ["paid", "warranty"] {
            return Err(bad("its options must be exactly `warranty` and `paid`"));
        }
        if step.when.is_some() {
            return Err(bad("it must always apply: remove its `when` condition"));
        }
        if step.phase > Phase::Assessment {
            return Err(bad(
                "it must be decided before work: put it in assessment or earlier",
            ));
        }
        Ok(())
    }

    fn check_fee_consent(&self) -> Result<(), TemplateError> {
        let mut found = false;
        for s in self.steps.iter().filter(|s| s.kind == StepKind::FeeConsent) {
            found = true;
            let bad = |why| TemplateError::BadFeeConsent {
                step: s.id.clone(),
                why,
            };
            if !s.required {
                return Err(bad("it must be required"));
            }
            if !matches!(s.phase, Phase::Arrival | Phase::Assessment) {
                return Err(bad("it must be in the arrival or assessment phase"));
            }
            if !matches!(s.when, None | Some(Condition::Paid(true))) {
                return Err(bad("its condition must be `{\"paid\": true}` or none"));
            }
            if s.exception_allowed {
                return Err(bad("it cannot be skipped with an exception"));
            }
        }
        let has_work = self.steps.iter().any(|s| s.phase == Phase::Work);
        if has_work && !found {
            return Err(TemplateError::MissingFeeConsent);
        }
        Ok(())
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn validate_step_own(s: &Step) -> Result<(), TemplateError> {
    use TemplateError as E;
    let step = || s.id.clone();
    if s.label.is_blank() || s.help.as_ref().is_some_and(Localized::is_blank) {
        return Err(E::EmptyLabel { step: step() });
    }
    match &s.kind {
        StepKind::Loaners { options } => {
            let mut values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
            values.sort_unstable();
            if values != LOANER_OPTIONS || options.iter().any(|o| o.label.is_blank()) {
                return Err(E::BadLoanerOptions { step: step() });
            }
        }
        StepKind::Choice { options } => {
            if options.is_empty() {
                return Err(E::NoOptions { step: step() });
            }
            let mut seen = HashSet::new();
            for o in options {
                if o.value.trim().is_empty() {
                    return Err(E::EmptyOptionValue { step: step() });
                }
                if o.label.is_blank() {
                    return Err(E::EmptyLabel { step: step() });
                }
                if !seen.insert(o.value.as_str()) {
                    return Err(E::DuplicateOption {
                        step: step(),
                        value: o.value.clone(),
                    });
                }
            }
        }
        StepKind::Number { min, max, .. } => {
            if !min.is_finite() || !max.is_finite() || min > max {
                return Err(E::BadRange { step: step() });
            }
        }
        StepKind::Photo { min_count } => {
            if *min_count == 0 {
                return Err(E::ZeroPhotos { step: step() });
            }
        }
        StepKind::Confirm
        | StepKind::YesNo
        | StepKind::Text { .. }
        | StepKind::Signature { .. }
        | StepKind::Serial
        | StepKind::FeeConsent
        | StepKind::PreVisitCall
        | StepKind::Feedback
        | StepKind::Finding
        | StepKind::PartsReview
        | StepKind::CustomerCopy
        | StepKind::ReturnDecision => {}
    }
    Ok(())
}

/// Whether a step of `kind` can ever hold the answer `v` (so a condition on it can hold).
fn value_possible(kind: &StepKind, v: &AnswerValue) -> bool {
    match (kind, v) {
        (StepKind::Confirm, AnswerValue::Confirmed)
        | (StepKind::YesNo, AnswerValue::YesNo(_))
        | (StepKind::Text { .. }, AnswerValue::Text(_))
        | (StepKind::Serial, AnswerValue::Serial(_))
        | (StepKind::FeeConsent, AnswerValue::FeeConsent { .. }) => true,
        (StepKind::Choice { options }, AnswerValue::Choice(c))
        | (StepKind::Loaners { options }, AnswerValue::Choice(c)) => {
            options.iter().any(|o| &o.value == c)
        }
        (StepKind::Number { min, max, .. }, AnswerValue::Number(n)) => {
            n.is_finite() && min <= n && n <= max
        }
        _ => false,
    }
}
