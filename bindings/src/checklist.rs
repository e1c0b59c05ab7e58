//! The on-site checklist: the view of a visit's steps (status, what is next, what blocks),
//! answering and skipping steps, installing templates from the desk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fieldkit_core::checklist::{self as rules, AnswerValue, BlockReason as CoreBlockReason};

use crate::convert::i32_of;
use crate::error::Result;
use crate::kit::FieldKit;
use crate::shared::{Answer, BlockReason, Blocker, LocalizedText, SignerRole};

/// The part of the visit a step belongs to, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Phase {
    BeforeLeaving,
    Arrival,
    Assessment,
    Work,
    CloseOut,
}

impl From<rules::Phase> for Phase {
    fn from(p: rules::Phase) -> Self {
        match p {
            rules::Phase::BeforeLeaving => Self::BeforeLeaving,
            rules::Phase::Arrival => Self::Arrival,
            rules::Phase::Assessment => Self::Assessment,
            rules::Phase::Work => Self::Work,
            rules::Phase::CloseOut => Self::CloseOut,
        }
    }
}

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum StepStatus {
    NotApplicable,
    Satisfied,
    Excepted,
    Pending,
    /// Answered, but the answer stops the visit going on (fees refused).
    Refused,
}

impl From<rules::StepStatus> for StepStatus {
    fn from(s: rules::StepStatus) -> Self {
        match s {
            rules::StepStatus::NotApplicable => Self::NotApplicable,
            rules::StepStatus::Satisfied => Self::Satisfied,
            rules::StepStatus::Excepted => Self::Excepted,
            rules::StepStatus::Pending => Self::Pending,
            rules::StepStatus::Refused => Self::Refused,
        }
    }
}

/// One option of a choice step.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ChoiceOption {
    /// The value to answer with.
    pub value: String,
    pub label: LocalizedText,
}

/// What a step asks for (decides the input the app shows).
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum StepKind {
    Confirm,
    YesNo,
    Choice {
        options: Vec<ChoiceOption>,
    },
    Text {
        min_len: i32,
    },
    Numeric {
        unit: String,
        min: f64,
        max: f64,
    },
    Photo {
        min_count: i32,
    },
    Signature {
        role: SignerRole,
    },
    Serial,
    FeeConsent,
    PreVisitCall,
    /// Satisfied by the customer's rating, recorded with `feedback` (not answered).
    Feedback,
    /// Satisfied by the customer's signature on this step naming a finding of the visit
    /// (`recordFinding`, then `sign` with the step and the finding).
    Finding,
    /// Confirms the parts recorded on the visit: answer `Confirmed` (the parts as recorded
    /// now) or `PartsReviewed` with their ids. A part recorded afterwards reopens the step.
    PartsReview,
    /// The customer's copy handed over: answer `Confirmed` (the copy of the customer's latest
    /// signature) or `CopyHanded` with the hash the copy shows.
    CustomerCopy,
    /// A choice (`collected` / `none_lent`) that must match the job's loaner records: return
    /// each loaner (`returnLoaner`) before answering `collected`.
    Loaners {
        options: Vec<ChoiceOption>,
    },
    /// A return or exchange: record the findings, get the rules' decision with
    /// `returnDecision`, and answer `ReturnDecided` with both (no outcome is picked).
    ReturnDecision,
    /// A kind this version of the bindings does not describe; `name` is the core's name.
    Other {
        name: String,
    },
}

impl From<rules::StepKind> for StepKind {
    fn from(k: rules::StepKind) -> Self {
        use rules::StepKind as K;
        match k {
            K::Confirm => Self::Confirm,
            K::YesNo => Self::YesNo,
            K::Choice { options } => Self::Choice {
                options: options_of(options),
            },
            K::Text { min_len } => Self::Text {
                min_len: i32_of(min_len),
            },
            K::Number { unit, min, max } => Self::Numeric { unit, min, max },
            K::Photo { min_count } => Self::Photo {
                min_count: i32_of(min_count),
            },
            K::Signature { role } => Self::Signature { role: role.into() },
            K::Serial => Self::Serial,
            K::FeeConsent => Self::FeeConsent,
            K::PreVisitCall => Self::PreVisitCall,
            K::Feedback => Self::Feedback,
            K::Finding => Self::Finding,
            K::PartsReview => Self::PartsReview,
            K::CustomerCopy => Self::CustomerCopy,
            K::Loaners { options } => Self::Loaners {
                options: options_of(options),
            },
            K::ReturnDecision => Self::ReturnDecision,
        }
    }
}

fn options_of(options: Vec<rules::ChoiceOption>) -> Vec<ChoiceOption> {
    options
        .into_iter()
        .map(|o| ChoiceOption {
            value: o.value,
            label: o.label.into(),
        })
        .collect()
}

/// One step as shown to the technician.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct StepState {
    pub id: String,
    pub label: LocalizedText,
    pub help: Option<LocalizedText>,
    pub phase: Phase,
    pub kind: StepKind,
    pub required: bool,
    pub applicable: bool,
    pub status: StepStatus,
}

/// How far the checklist is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Progress {
    /// Applicable required steps done.
    pub satisfied: i32,
    /// Applicable required steps.
    pub applicable_required: i32,
}

impl From<rules::Blocker> for Blocker {
    fn from(b: rules::Blocker) -> Self {
        let text = b.reason(crate::error::speaking());
        let reason = match b.reason {
            CoreBlockReason::Unanswered => BlockReason::Unanswered,
            CoreBlockReason::NeedsPhotos { have, need } => BlockReason::NeedsPhotos {
                have: i32_of(have),
                need: i32_of(need),
            },
            CoreBlockReason::NeedsSignature { role } => {
                BlockReason::NeedsSignature { role: role.into() }
            }
            CoreBlockReason::ConsentRefused => BlockReason::ConsentRefused,
            CoreBlockReason::CallNotReached => BlockReason::CallNotReached,
            CoreBlockReason::FindingNotAcknowledged { count } => {
                BlockReason::FindingNotAcknowledged {
                    count: i32_of(count),
                }
            }
            CoreBlockReason::SignatureMismatch { problem } => {
                BlockReason::SignatureMismatch { problem }
            }
            CoreBlockReason::NeedsFinding => BlockReason::NeedsFinding,
            CoreBlockReason::PartsChanged => BlockReason::PartsChanged,
            CoreBlockReason::CopyNotHanded => BlockReason::CopyNotHanded,
            CoreBlockReason::LoanerOut { count } => BlockReason::LoanerOut {
                count: i32_of(count),
            },
            CoreBlockReason::NoSaleRecord => BlockReason::NoSaleRecord,
            CoreBlockReason::DecisionChanged => BlockReason::DecisionChanged,
            #[allow(unreachable_patterns)]
            _ => BlockReason::Other,
        };
        Self {
            step_id: b.step_id,
            label: b.label.map(Into::into),
            reason,
            text,
        }
    }
}

/// The checklist of a job's open visit.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ChecklistView {
    pub template_id: String,
    pub template_version: i32,
    pub steps: Vec<StepState>,
    /// The step to do next, if any can be done now.
    pub next: Option<String>,
    /// What stops completion now.
    pub blockers: Vec<Blocker>,
    pub progress: Progress,
    /// Paid work: fees must be agreed before work starts.
    pub paid: bool,
}

/// A checklist template's id and version.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TemplateRef {
    pub id: String,
    pub version: i32,
}

#[uniffi::export]
impl FieldKit {
    /// The checklist of the job's open visit.
    pub fn checklist(&self, job_id: String) -> Result<ChecklistView> {
        Ok(view_of(self.job_read(&job_id, |k, id| k.checklist(id))?))
    }

    /// Answers a step of the open visit. Refused (`StepRefused`) when out of order, out of
    /// range, not applicable or while paused. Returns the change's outbox sequence number.
    pub fn answer_step(&self, job_id: String, step_id: String, answer: Answer) -> Result<i64> {
        let a = AnswerValue::from(answer);
        self.job_command(&job_id, "answer_step", |k, id| {
            k.answer_step(id, &step_id, &a)
        })
    }

    /// Skips a step that allows it, with the reason (e.g. the customer refused shoe covers).
    pub fn except_step(&self, job_id: String, step_id: String, reason: String) -> Result<i64> {
        self.job_command(&job_id, "except_step", |k, id| {
            k.except_step(id, &step_id, &reason)
        })
    }

    /// Installs a checklist template sent by the desk (JSON, validated first).
    pub fn install_template(&self, json: String) -> Result<TemplateRef> {
        let r = self.core.install_template(&json)?;
        if let Ok(t) = rules::Template::from_json(&json) {
            remember(&t);
        }
        Ok(TemplateRef {
            id: r.id,
            version: i32_of(r.version),
        })
    }
}

type KindsByStep = Arc<HashMap<String, StepKind>>;

/// The step kinds of known templates (the built-in ones and those installed through these
/// bindings), by template id and version.
fn known() -> &'static Mutex<HashMap<(String, u32), KindsByStep>> {
    static KNOWN: OnceLock<Mutex<HashMap<(String, u32), KindsByStep>>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut map = HashMap::new();
        for t in rules::default_templates()
            .iter()
            .chain(rules::superseded_templates())
        {
            map.insert((t.id.clone(), t.version), kinds_of(t));
        }
        Mutex::new(map)
    })
}

fn kinds_of(t: &rules::Template) -> KindsByStep {
    Arc::new(
        t.steps
            .iter()
            .map(|s| (s.id.clone(), StepKind::from(s.kind.clone())))
            .collect(),
    )
}

/// The FFI's view of the core's checklist view.
pub(crate) fn view_of(v: fieldkit_core::api::ChecklistView) -> ChecklistView {
    let template = step_kinds(&v.template.id, v.template.version);
    ChecklistView {
        template_id: v.template.id,
        template_version: i32_of(v.template.version),
        steps: v
            .steps
            .into_iter()
            .map(|s| StepState {
                kind: template
                    .as_ref()
                    .and_then(|t| t.get(&s.id).cloned())
                    .unwrap_or(StepKind::Other {
                        name: s.kind.to_owned(),
                    }),
                id: s.id,
                label: s.label.into(),
                help: s.help.map(Into::into),
                phase: s.phase.into(),
                required: s.required,
                applicable: s.applicable,
                status: s.status.into(),
            })
            .collect(),
        next: v.next,
        blockers: v.blockers.into_iter().map(Into::into).collect(),
        progress: Progress {
            satisfied: i32_of(v.progress.satisfied),
            applicable_required: i32_of(v.progress.applicable_required),
        },
        paid: v.paid,
    }
}

fn remember(t: &rules::Template) {
    known()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((t.id.clone(), t.version), kinds_of(t));
}

fn step_kinds(id: &str, version: u32) -> Option<KindsByStep> {
    known()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(id.to_owned(), version))
        .cloned()
}
