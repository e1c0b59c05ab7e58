//! What a run reports: why a step blocks the next gate ([`BlockReason`], [`Blocker`], in the
//! technician's words) and why an answer, exception or piece of evidence is refused
//! ([`Refusal`]). Messages name step ids and never carry customer data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{MAX_REVIEWED_PARTS, MAX_SERIAL_LEN, Stage};
use crate::checklist::template::{Localized, Phase};
use crate::i18n::{Locale, num, word};
use crate::model::SignerRole;
use crate::model::returns::{FactsError, Outcome};
use crate::ptr;

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
    /// The step's name in `locale`: its label, else its id (empty for open findings).
    fn name(&self, locale: Locale) -> &str {
        match (&self.label, &self.step_id) {
            (Some(l), _) => match locale {
                Locale::ZhCn => l.zh_cn.as_str(),
                Locale::En => l.en.as_str(),
            },
            (None, Some(id)) => id.as_str(),
            (None, None) => "",
        }
    }

    /// The blocker in `locale`, for the technician (the step by its label in that locale).
    pub fn reason(&self, locale: Locale) -> String {
        let name = self.name(locale);
        match &self.reason {
            BlockReason::Unanswered => ptr!(locale, "block-unanswered", name = name),
            BlockReason::NeedsPhotos { have, need } => ptr!(
                locale,
                "block-needs-photos",
                name = name,
                more = num(need.saturating_sub(*have)),
                have = num(*have),
                need = num(*need)
            ),
            BlockReason::NeedsSignature { role } => ptr!(
                locale,
                "block-needs-signature",
                name = name,
                role = role_word(*role)
            ),
            BlockReason::ConsentRefused => ptr!(locale, "block-consent-refused", name = name),
            BlockReason::CallNotReached => ptr!(locale, "block-call-not-reached", name = name),
            BlockReason::FindingNotAcknowledged { count } => {
                ptr!(
                    locale,
                    "block-finding-not-acknowledged",
                    count = num(*count)
                )
            }
            BlockReason::NeedsFinding => ptr!(locale, "block-needs-finding", name = name),
            BlockReason::PartsChanged => ptr!(locale, "block-parts-changed", name = name),
            BlockReason::CopyNotHanded => ptr!(locale, "block-copy-not-handed", name = name),
            BlockReason::LoanerOut { count } => {
                ptr!(locale, "block-loaner-out", name = name, count = num(*count))
            }
            BlockReason::NoSaleRecord => ptr!(locale, "block-no-sale-record", name = name),
            BlockReason::DecisionChanged => ptr!(locale, "block-decision-changed", name = name),
            BlockReason::SignatureMismatch { problem } => ptr!(
                locale,
                "block-signature-mismatch",
                name = name,
                problem = word(locale, "signature-problem-", problem)
            ),
        }
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
    /// The refusal in `locale`, for the technician.
    pub fn reason(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            Refusal::UnknownStep { step } => ptr!(l, "step-unknown", step = step.as_str()),
            Refusal::NotApplicable { step } => {
                ptr!(l, "step-not-applicable", step = step.as_str())
            }
            Refusal::PhaseNotOpen { step, phase, stage } => ptr!(
                l,
                "step-phase-not-open",
                step = step.as_str(),
                phase = word(l, "phase-", phase.as_str()),
                stage = word(l, "stage-", &stage.to_string())
            ),
            Refusal::OutOfOrder { step, missing } => ptr!(
                l,
                "step-out-of-order",
                step = step.as_str(),
                missing = missing.join(", ")
            ),
            Refusal::WrongKind { step, expected } => ptr!(
                l,
                "step-wrong-kind",
                step = step.as_str(),
                expected = word(l, "expects-", expected)
            ),
            Refusal::NeedsEvidence { step } => {
                ptr!(l, "step-needs-evidence", step = step.as_str())
            }
            Refusal::OutOfRange {
                step,
                value,
                min,
                max,
                unit,
            } => ptr!(
                l,
                "step-out-of-range",
                step = step.as_str(),
                value = value.to_string(),
                min = min.to_string(),
                max = max.to_string(),
                unit = unit.as_str()
            ),
            Refusal::NotAnOption { step, value } => ptr!(
                l,
                "step-not-an-option",
                step = step.as_str(),
                value = value.as_str()
            ),
            Refusal::TooShort { step, min_len } => ptr!(
                l,
                "step-too-short",
                step = step.as_str(),
                min = num(*min_len)
            ),
            Refusal::BadSerial { step } => ptr!(
                l,
                "step-bad-serial",
                step = step.as_str(),
                max = num(MAX_SERIAL_LEN as f64)
            ),
            Refusal::BadIds { step } => ptr!(
                l,
                "step-bad-ids",
                step = step.as_str(),
                max = num(MAX_REVIEWED_PARTS as f64)
            ),
            Refusal::BadHash { step } => ptr!(l, "step-bad-hash", step = step.as_str()),
            Refusal::NotANumber { step } => ptr!(l, "step-not-a-number", step = step.as_str()),
            Refusal::ExceptionNotAllowed { step } => {
                ptr!(l, "step-exception-not-allowed", step = step.as_str())
            }
            Refusal::EmptyReason { step } => ptr!(l, "step-empty-reason", step = step.as_str()),
            Refusal::WrongSigner { step, expected } => ptr!(
                l,
                "step-wrong-signer",
                step = step.as_str(),
                role = role_word(*expected)
            ),
            Refusal::PartsMismatch { step } => {
                ptr!(l, "step-parts-mismatch", step = step.as_str())
            }
            Refusal::NotTheSignedCopy { step } => {
                ptr!(l, "step-not-the-signed-copy", step = step.as_str())
            }
            Refusal::NothingSigned { step } => {
                ptr!(l, "step-nothing-signed", step = step.as_str())
            }
            Refusal::LoanersDiffer { step, value } => ptr!(
                l,
                "step-loaners-differ",
                step = step.as_str(),
                value = value.as_str()
            ),
            Refusal::FindingNotNamed { step } => {
                ptr!(l, "step-finding-not-named", step = step.as_str())
            }
            Refusal::NoSaleRecord { step } => {
                ptr!(l, "step-no-sale-record", step = step.as_str())
            }
            Refusal::BadReturnFacts { step, error } => ptr!(
                l,
                "step-bad-return-facts",
                step = step.as_str(),
                error = error.reason(l)
            ),
            Refusal::NotTheReturnDecision { step, decided } => ptr!(
                l,
                "step-not-the-return-decision",
                step = step.as_str(),
                decided = word(l, "outcome-", &format!("{decided:?}"))
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}
