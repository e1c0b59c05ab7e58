//! What can be wrong with a checklist template, in words a template author understands
//! (see [`super::Template::validate`]). Plain data: it imports nothing of the checklist.

/// Longest step id accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// What is wrong with a template, in words a template author understands.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is not valid JSON for a checklist: {0}")]
    Json(String),
    #[error("the template id is empty")]
    EmptyTemplateId,
    #[error("the template version must be 1 or more")]
    ZeroVersion,
    #[error("the template title needs both a zh-CN and an en text")]
    EmptyTitle,
    #[error("the template serves no job kind: list at least one in `job_kinds`")]
    NoJobKinds,
    #[error("the template has no steps")]
    NoSteps,
    #[error("step number {position} (counting from 1) has an empty id")]
    EmptyId { position: usize },
    #[error(
        "step `{step}`: ids may use only a-z, 0-9 and _, and be at most {MAX_ID_LEN} characters"
    )]
    BadId { step: String },
    #[error("step id `{step}` is used by more than one step")]
    DuplicateStep { step: String },
    #[error("step `{step}` is listed after a step of a later phase: list steps in phase order")]
    PhaseOutOfOrder { step: String },
    #[error("step `{step}` needs a zh-CN and an en text for its label, help and options")]
    EmptyLabel { step: String },
    #[error("step `{step}` comes after `{after}`, which is not a step of this template")]
    UnknownAfter { step: String, after: String },
    #[error("step `{step}` comes (directly or through other steps) after itself")]
    AfterCycle { step: String },
    #[error(
        "step `{step}` comes after `{after}`, which belongs to a later phase: a step may only \
         come after steps of the same or an earlier phase"
    )]
    AfterLaterPhase { step: String, after: String },
    #[error("the condition of step `{step}` looks at `{on}`, which is not a step of this template")]
    UnknownConditionStep { step: String, on: String },
    #[error(
        "the condition of step `{step}` looks at `{on}`, which is listed at or after it: a \
         condition may only look at steps listed before"
    )]
    ConditionOnLaterStep { step: String, on: String },
    #[error("the condition of step `{step}` compares `{on}` with a value that step can never have")]
    ConditionValueMismatch { step: String, on: String },
    #[error("step `{step}` has a bad number range: min must not exceed max, both finite")]
    BadRange { step: String },
    #[error("loaner step `{step}` needs exactly the options `collected` and `none_lent`, labelled")]
    BadLoanerOptions { step: String },
    #[error("choice step `{step}` has no options")]
    NoOptions { step: String },
    #[error("choice step `{step}` has an option with an empty value")]
    EmptyOptionValue { step: String },
    #[error("choice step `{step}` lists the option `{value}` twice")]
    DuplicateOption { step: String, value: String },
    #[error("photo step `{step}` asks for zero photos: min_count must be 1 or more")]
    ZeroPhotos { step: String },
    #[error("billing step `{step}`: {why}")]
    BadBillingStep { step: String, why: &'static str },
    #[error("fee-consent step `{step}`: {why}")]
    BadFeeConsent { step: String, why: &'static str },
    #[error(
        "the template has work steps but no fee-consent step: paid work needs the customer's \
         consent first"
    )]
    MissingFeeConsent,
}
