//! What a run reports: why a step blocks the next gate ([`BlockReason`], [`Blocker`], in the
//! technician's words) and why an answer, exception or piece of evidence is refused
//! ([`Refusal`]). Messages name step ids and never carry customer data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{MAX_REVIEWED_PARTS, MAX_SERIAL_LEN, Stage};
use crate::checklist::template::{Localized, Phase};
use crate::model::SignerRole;
use crate::model::returns::{FactsError, Outcome};

/// Why something blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    Unanswered,
    NeedsPhotos {
        have: u32,
        need: u32,
    },
    NeedsSignature {
        role: SignerRole,
    },
    /// The customer refused the fee schedule.
    ConsentRefused,
    /// The pre-visit call has not reached the customer.
    CallNotReached,
    /// Anomalies not yet signed for by the customer.
    FindingNotAcknowledged {
        count: u32,
    },
    /// A customer signature no longer matches what it signed (something changed since).
    SignatureMismatch {
        problem: String,
    },
    /// A finding step without the customer's signature on a finding of this visit.
    NeedsFinding,
    /// The parts confirmed are not the parts recorded now (a part was added or removed since).
    PartsChanged,
    /// The copy handed over is not the one the customer signed last (or none was handed).
    CopyNotHanded,
    /// Loaners lent on this job are still with the customer.
    LoanerOut {
        count: u32,
    },
    /// A return decision is asked for but the order has no sale record (the desk adds it).
    NoSaleRecord,
    /// The return decision recorded is no longer the one the rules give (the sale changed).
    DecisionChanged,
}

/// One thing that stops the next gate (starting work, completion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// The step concerned; `None` for open findings.
    pub step_id: Option<String>,
    /// The step's label, for display.
    pub label: Option<Localized>,
    pub reason: BlockReason,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match (&self.label, &self.step_id) {
            (Some(l), _) => l.en.as_str(),
            (None, Some(id)) => id.as_str(),
            (None, None) => "",
        };
        match &self.reason {
            BlockReason::Unanswered => write!(f, "Not done yet: {name}."),
            BlockReason::NeedsPhotos { have, need } => {
                let more = need.saturating_sub(*have);
                let s = if more == 1 { "" } else { "s" };
                write!(f, "{name}: {more} more photo{s} needed ({have} of {need}).")
            }
            BlockReason::NeedsSignature { role } => {
                let who = match role {
                    SignerRole::Customer => "customer",
                    SignerRole::Technician => "technician",
                };
                write!(f, "{name}: waiting for the {who}'s signature.")
            }
            BlockReason::ConsentRefused => write!(
                f,
                "{name}: the customer did not agree to the fees, so paid work cannot go ahead."
            ),
            BlockReason::CallNotReached => {
                write!(f, "{name}: the customer has not been reached by phone yet.")
            }
            BlockReason::FindingNotAcknowledged { count } => {
                let (n, v) = if *count == 1 {
                    ("anomaly", "has")
                } else {
                    ("anomalies", "have")
                };
                write!(
                    f,
                    "{count} noted {n} {v} not been signed for by the customer yet."
                )
            }
            BlockReason::NeedsFinding => write!(
                f,
                "{name}: record the finding and have the customer sign it."
            ),
            BlockReason::PartsChanged => write!(
                f,
                "{name}: the parts recorded changed since they were confirmed; review them again."
            ),
            BlockReason::CopyNotHanded => write!(
                f,
                "{name}: hand over the copy of what the customer signed last."
            ),
            BlockReason::LoanerOut { count } => {
                let s = if *count == 1 { "" } else { "s" };
                write!(f, "{name}: {count} loaner{s} not returned yet.")
            }
            BlockReason::NoSaleRecord => write!(
                f,
                "{name}: the job has no sale record, so the returns rules cannot decide; ask the service desk to add it."
            ),
            BlockReason::DecisionChanged => write!(
                f,
                "{name}: the sale record changed since the decision; decide again."
            ),
            BlockReason::SignatureMismatch { problem } => write!(
                f,
                "{name}: the customer's signature no longer matches the record ({problem}); show the summary again and ask the customer to sign again."
            ),
        }
    }
}

/// Why an answer, exception or piece of evidence is refused. Messages name the step id and
/// never carry customer data.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("step `{step}` is not in this checklist")]
    UnknownStep { step: String },
    #[error("step `{step}` does not apply to this visit")]
    NotApplicable { step: String },
    #[error(
        "step `{step}` belongs to the {phase} phase, which is not open while the visit is {stage}"
    )]
    PhaseNotOpen {
        step: String,
        phase: Phase,
        stage: Stage,
    },
    #[error("step `{step}` cannot be done yet: first complete {}", .missing.join(", "))]
    OutOfOrder { step: String, missing: Vec<String> },
    #[error("step `{step}` expects {expected}")]
    WrongKind {
        step: String,
        expected: &'static str,
    },
    #[error(
        "step `{step}` is completed by evidence (photos, a signature or the pre-visit call), \
         not by an answer"
    )]
    NeedsEvidence { step: String },
    #[error("step `{step}`: {value} {unit} is outside the allowed range {min}–{max} {unit}")]
    OutOfRange {
        step: String,
        value: f64,
        min: f64,
        max: f64,
        unit: String,
    },
    #[error("`{value}` is not one of the options of step `{step}`")]
    NotAnOption { step: String, value: String },
    #[error("step `{step}` needs at least {min_len} characters")]
    TooShort { step: String, min_len: u32 },
    #[error(
        "step `{step}` needs a serial number: 1 to {MAX_SERIAL_LEN} characters, no spaces or \
         control characters"
    )]
    BadSerial { step: String },
    #[error("step `{step}` needs at most {MAX_REVIEWED_PARTS} part ids, each without spaces")]
    BadIds { step: String },
    #[error("step `{step}` needs a SHA-256 hash: 64 lower-case hex digits")]
    BadHash { step: String },
    #[error("step `{step}` needs a finite number")]
    NotANumber { step: String },
    #[error("step `{step}` cannot be skipped with an exception")]
    ExceptionNotAllowed { step: String },
    #[error("an exception on step `{step}` needs a reason")]
    EmptyReason { step: String },
    #[error("step `{step}` needs the {expected:?} to sign")]
    WrongSigner { step: String, expected: SignerRole },
    #[error("step `{step}`: the parts confirmed are not the parts recorded on this visit")]
    PartsMismatch { step: String },
    #[error("step `{step}`: the copy is not the one of the customer's latest signature")]
    NotTheSignedCopy { step: String },
    #[error("step `{step}`: the customer has not signed yet, so there is no copy to hand over")]
    NothingSigned { step: String },
    #[error("step `{step}`: `{value}` does not match the job's loaner records")]
    LoanersDiffer { step: String, value: String },
    #[error("step `{step}`: the customer's signature must name a finding of this visit")]
    FindingNotNamed { step: String },
    #[error("step `{step}`: the job has no sale record, so the returns rules cannot decide")]
    NoSaleRecord { step: String },
    #[error("step `{step}`: the return facts do not hold together: {error}")]
    BadReturnFacts { step: String, error: FactsError },
    #[error(
        "step `{step}`: the decision recorded (outcome, reason, price basis or amount) is not \
         the one the returns rules give on the order's sale ({decided:?})"
    )]
    NotTheReturnDecision { step: String, decided: Outcome },
}
