//! What a run reports: why a step blocks the next gate ([`BlockReason`], [`Blocker`], in the
//! technician's words) and why an answer, exception or piece of evidence is refused
//! ([`Refusal`]). Messages name step ids and never carry customer data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{MAX_REVIEWED_PARTS, MAX_SERIAL_LEN, Stage};
use crate::checklist::template::{Localized, Phase};
use crate::i18n::{Locale, Said, SaidArg};
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

impl Blocker {
    /// The step's name: its label in both languages, else its id (empty for open findings).
    fn name(&self) -> SaidArg {
        match (&self.label, &self.step_id) {
            (Some(l), _) => SaidArg::Label {
                zh_cn: l.zh_cn.clone(),
                en: l.en.clone(),
            },
            (None, Some(id)) => SaidArg::Text(id.clone()),
            (None, None) => SaidArg::Text(String::new()),
        }
    }

    /// The blocker as a message of the phone's catalogue (stored by the server, shown in
    /// the reader's language).
    pub fn said(&self) -> Said {
        let named = |id: &str| Said::new(id).arg("name", self.name());
        match &self.reason {
            BlockReason::Unanswered => named("block-unanswered"),
            BlockReason::NeedsPhotos { have, need } => named("block-needs-photos")
                .arg("more", need.saturating_sub(*have))
                .arg("have", *have)
                .arg("need", *need),
            BlockReason::NeedsSignature { role } => {
                named("block-needs-signature").arg("role", role_word(*role))
            }
            BlockReason::ConsentRefused => named("block-consent-refused"),
            BlockReason::CallNotReached => named("block-call-not-reached"),
            BlockReason::FindingNotAcknowledged { count } => {
                Said::new("block-finding-not-acknowledged").arg("count", *count)
            }
            BlockReason::NeedsFinding => named("block-needs-finding"),
            BlockReason::PartsChanged => named("block-parts-changed"),
            BlockReason::CopyNotHanded => named("block-copy-not-handed"),
            BlockReason::LoanerOut { count } => named("block-loaner-out").arg("count", *count),
            BlockReason::NoSaleRecord => named("block-no-sale-record"),
            BlockReason::DecisionChanged => named("block-decision-changed"),
            BlockReason::SignatureMismatch { problem } => {
                named("block-signature-mismatch").word("problem", "signature-problem-", problem)
            }
        }
    }

    /// The blocker in `locale`, for the technician (the step by its label in that locale).
    pub fn reason(&self, locale: Locale) -> String {
        self.said().render(locale)
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}

/// A signer role as a Fluent selector value (`customer`, `technician`).
fn role_word(role: SignerRole) -> &'static str {
    match role {
        SignerRole::Customer => "customer",
        SignerRole::Technician => "technician",
    }
}

/// Why an answer, exception or piece of evidence is refused. Messages
/// ([`Refusal::reason`]; `Display` is the English one) name the step id and never carry
/// customer data.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    UnknownStep {
        step: String,
    },
    NotApplicable {
        step: String,
    },
    PhaseNotOpen {
        step: String,
        phase: Phase,
        stage: Stage,
    },
    OutOfOrder {
        step: String,
        missing: Vec<String>,
    },
    WrongKind {
        step: String,
        expected: &'static str,
    },
    NeedsEvidence {
        step: String,
    },
    OutOfRange {
        step: String,
        value: f64,
        min: f64,
        max: f64,
        unit: String,
    },
    NotAnOption {
        step: String,
        value: String,
    },
    TooShort {
        step: String,
        min_len: u32,
    },
    BadSerial {
        step: String,
    },
    BadIds {
        step: String,
    },
    BadHash {
        step: String,
    },
    NotANumber {
        step: String,
    },
    ExceptionNotAllowed {
        step: String,
    },
    EmptyReason {
        step: String,
    },
    WrongSigner {
        step: String,
        expected: SignerRole,
    },
    PartsMismatch {
        step: String,
    },
    NotTheSignedCopy {
        step: String,
    },
    NothingSigned {
        step: String,
    },
    LoanersDiffer {
        step: String,
        value: String,
    },
    FindingNotNamed {
        step: String,
    },
    NoSaleRecord {
        step: String,
    },
    BadReturnFacts {
        step: String,
        error: FactsError,
    },
    NotTheReturnDecision {
        step: String,
        decided: Outcome,
    },
}

impl Refusal {
    /// The refusal as a message of the phone's catalogue (stored by the server, shown in the
    /// reader's language).
    pub fn said(&self) -> Said {
        let at = |id: &str, step: &str| Said::new(id).arg("step", step);
        match self {
            Refusal::UnknownStep { step } => at("step-unknown", step),
            Refusal::NotApplicable { step } => at("step-not-applicable", step),
            Refusal::PhaseNotOpen { step, phase, stage } => at("step-phase-not-open", step)
                .word("phase", "phase-", phase.as_str())
                .word("stage", "stage-", &stage.to_string()),
            Refusal::OutOfOrder { step, missing } => {
                // Each step id quoted, as `step` is: identifiers, not words.
                let quoted: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
                at("step-out-of-order", step).arg("missing", quoted.join(", "))
            }
            Refusal::WrongKind { step, expected } => {
                at("step-wrong-kind", step).word("expected", "expects-", expected)
            }
            Refusal::NeedsEvidence { step } => at("step-needs-evidence", step),
            Refusal::OutOfRange {
                step,
                value,
                min,
                max,
                unit,
            } => at("step-out-of-range", step)
                .arg("value", value.to_string())
                .arg("min", min.to_string())
                .arg("max", max.to_string())
                .arg("unit", unit.as_str()),
            Refusal::NotAnOption { step, value } => {
                at("step-not-an-option", step).arg("value", value.as_str())
            }
            Refusal::TooShort { step, min_len } => at("step-too-short", step).arg("min", *min_len),
            Refusal::BadSerial { step } => at("step-bad-serial", step).arg("max", MAX_SERIAL_LEN),
            Refusal::BadIds { step } => at("step-bad-ids", step).arg("max", MAX_REVIEWED_PARTS),
            Refusal::BadHash { step } => at("step-bad-hash", step),
            Refusal::NotANumber { step } => at("step-not-a-number", step),
            Refusal::ExceptionNotAllowed { step } => at("step-exception-not-allowed", step),
            Refusal::EmptyReason { step } => at("step-empty-reason", step),
            Refusal::WrongSigner { step, expected } => {
                at("step-wrong-signer", step).arg("role", role_word(*expected))
            }
            Refusal::PartsMismatch { step } => at("step-parts-mismatch", step),
            Refusal::NotTheSignedCopy { step } => at("step-not-the-signed-copy", step),
            Refusal::NothingSigned { step } => at("step-nothing-signed", step),
            Refusal::LoanersDiffer { step, value } => {
                at("step-loaners-differ", step).arg("value", value.as_str())
            }
            Refusal::FindingNotNamed { step } => at("step-finding-not-named", step),
            Refusal::NoSaleRecord { step } => at("step-no-sale-record", step),
            Refusal::BadReturnFacts { step, error } => at("step-bad-return-facts", step).arg(
                "error",
                SaidArg::Label {
                    zh_cn: error.reason(Locale::ZhCn),
                    en: error.reason(Locale::En),
                },
            ),
            Refusal::NotTheReturnDecision { step, decided } => at(
                "step-not-the-return-decision",
                step,
            )
            .word("decided", "outcome-", &format!("{decided:?}")),
        }
    }

    /// The refusal in `locale`, for the technician.
    pub fn reason(&self, locale: Locale) -> String {
        self.said().render(locale)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}
