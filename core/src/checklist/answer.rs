//! Answers and what is recorded for a step: the values a technician gives
//! ([`AnswerValue`]) and the fact kept per step ([`Recorded`], an answer or an exception).
//! Plain data with its JSON form; the bottom of the checklist: templates (conditions compare
//! against answer values) and the engine (which accepts or refuses them) both build on it,
//! and it imports neither.

use serde::{Deserialize, Serialize};

use crate::model::ReturnDecision;

/// An answer to a step.
///
/// JSON: adjacently tagged, e.g. `{"type": "confirmed"}`, `{"type": "yes_no", "value": false}`,
/// `{"type": "choice", "value": "paid"}`, `{"type": "fee_consent", "value": {"agreed": true}}`,
/// `{"type": "parts_reviewed", "value": ["0190…"]}`, `{"type": "copy_handed", "value": "9f2c…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AnswerValue {
    /// Answers a [`StepKind::Confirm`](super::StepKind::Confirm) step.
    Confirmed,
    YesNo(bool),
    /// The `value` of one of the step's options.
    Choice(String),
    Text(String),
    Number(f64),
    Serial(String),
    /// The customer agreed to (or refused) the fee schedule shown.
    FeeConsent {
        agreed: bool,
    },
    /// The ids of the parts recorded on the visit, as the technician confirmed them with the
    /// customer (a [`StepKind::PartsReview`](super::StepKind::PartsReview) step).
    PartsReviewed(Vec<String>),
    /// The SHA-256 of the signed summary shown on the customer's copy handed over (a
    /// [`StepKind::CustomerCopy`](super::StepKind::CustomerCopy) step).
    CopyHanded(String),
    /// What was found on site about a return or exchange request, with the decision the
    /// returns rules gave on the order's sale (a
    /// [`StepKind::ReturnDecision`](super::StepKind::ReturnDecision) step).
    ReturnDecision(ReturnDecision),
}

/// What is recorded for a step (the latest wins).
///
/// JSON: externally tagged, `{"answer": {..}}` or `{"exception": {"reason": ".."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    Answer(AnswerValue),
    /// The step was skipped with a reason (only where the template allows it).
    Exception {
        reason: String,
    },
}
