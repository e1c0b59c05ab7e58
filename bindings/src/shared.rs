//! The records and enums that several domains and the error share: texts in both languages,
//! who signs, an answer to a step, and what blocks a gate. Plain data and its conversions
//! from and to the core, with no import from this crate: the bottom of the adapter, so the
//! error (which carries blockers), the checklist and signing all build on it without
//! importing each other. (`Blocker` is converted from the core in `checklist`, next to the
//! checklist's other conversions.)

use fieldkit_core::checklist::{self as rules, AnswerValue};
use fieldkit_core::model as m;

use crate::return_facts::{ReturnDecision, ReturnFindings, decision_of};

/// A text in the two languages the app ships with.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LocalizedText {
    pub zh_cn: String,
    pub en: String,
}

impl From<rules::Localized> for LocalizedText {
    fn from(l: rules::Localized) -> Self {
        Self {
            zh_cn: l.zh_cn,
            en: l.en,
        }
    }
}

/// Who signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SignerRole {
    Customer,
    Technician,
}

impl From<m::SignerRole> for SignerRole {
    fn from(r: m::SignerRole) -> Self {
        match r {
            m::SignerRole::Customer => Self::Customer,
            m::SignerRole::Technician => Self::Technician,
        }
    }
}

impl From<SignerRole> for m::SignerRole {
    fn from(r: SignerRole) -> Self {
        match r {
            SignerRole::Customer => Self::Customer,
            SignerRole::Technician => Self::Technician,
        }
    }
}

/// An answer to a step.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum Answer {
    Confirmed,
    YesNo {
        value: bool,
    },
    /// The `value` of one of the step's options.
    Choice {
        value: String,
    },
    Text {
        value: String,
    },
    Numeric {
        value: f64,
    },
    Serial {
        value: String,
    },
    /// Recorded by `consentToFees`; not accepted by `answerStep`.
    FeeConsent {
        agreed: bool,
    },
    /// The ids of the parts recorded on the visit, confirmed (a parts review step).
    PartsReviewed {
        parts: Vec<String>,
    },
    /// The SHA-256 shown on the customer's copy handed over (a customer-copy step).
    CopyHanded {
        sha256: String,
    },
    /// What was found on site about a return or exchange, with the decision `returnDecision`
    /// gave for it (a return-decision step); a decision the rules do not give is refused.
    /// (Not named `ReturnDecision`: in Kotlin the variant would shadow the record's type.)
    ReturnDecided {
        found: ReturnFindings,
        decision: ReturnDecision,
    },
}

impl From<Answer> for AnswerValue {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Confirmed => Self::Confirmed,
            Answer::YesNo { value } => Self::YesNo(value),
            Answer::Choice { value } => Self::Choice(value),
            Answer::Text { value } => Self::Text(value),
            Answer::Numeric { value } => Self::Number(value),
            Answer::Serial { value } => Self::Serial(value),
            Answer::FeeConsent { agreed } => Self::FeeConsent { agreed },
            Answer::PartsReviewed { parts } => Self::PartsReviewed(parts),
            Answer::CopyHanded { sha256 } => Self::CopyHanded(sha256),
            Answer::ReturnDecided { found, decision } => Self::ReturnDecision(m::ReturnDecision {
                found: found.to_core(),
                decision: decision.to_core(),
            }),
        }
    }
}

impl From<AnswerValue> for Answer {
    fn from(a: AnswerValue) -> Self {
        match a {
            AnswerValue::Confirmed => Self::Confirmed,
            AnswerValue::YesNo(value) => Self::YesNo { value },
            AnswerValue::Choice(value) => Self::Choice { value },
            AnswerValue::Text(value) => Self::Text { value },
            AnswerValue::Number(value) => Self::Numeric { value },
            AnswerValue::Serial(value) => Self::Serial { value },
            AnswerValue::FeeConsent { agreed } => Self::FeeConsent { agreed },
            AnswerValue::PartsReviewed(parts) => Self::PartsReviewed { parts },
            AnswerValue::CopyHanded(sha256) => Self::CopyHanded { sha256 },
            AnswerValue::ReturnDecision(r) => Self::ReturnDecided {
                found: ReturnFindings::from_core(r.found),
                decision: decision_of(r.decision),
            },
        }
    }
}

/// Why something blocks.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum BlockReason {
    Unanswered,
    NeedsPhotos {
        have: i32,
        need: i32,
    },
    NeedsSignature {
        role: SignerRole,
    },
    ConsentRefused,
    CallNotReached,
    FindingNotAcknowledged {
        count: i32,
    },
    SignatureMismatch {
        problem: String,
    },
    /// A finding step waits for the customer's signature on a finding.
    NeedsFinding,
    /// The parts changed since they were confirmed: review them again.
    PartsChanged,
    /// The copy handed over is not the one of the customer's latest signature.
    CopyNotHanded,
    /// Loaners of the job are still with the customer.
    LoanerOut {
        count: i32,
    },
    /// A return decision is asked for but the job has no sale record: the desk adds it.
    NoSaleRecord,
    /// The sale record changed since the return decision: decide again.
    DecisionChanged,
    Other,
}

/// One thing that stops the next gate (travel, work, completion).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Blocker {
    /// The step concerned; `null` for open findings.
    pub step_id: Option<String>,
    pub label: Option<LocalizedText>,
    pub reason: BlockReason,
    /// The blocker in the technician's words, in the kit's language.
    pub text: String,
}
