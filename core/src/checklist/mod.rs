//! The on-site checklist: templates (versioned data, zh-CN + en), a run of a template over one
//! visit's facts, the evidence rules and the gates (start of work, completion).
//!
//! Pure rules over [`crate::model`]: no I/O, no SQL, no clock, so the server runs the very
//! same gate when a completion arrives.
//!
//! - [`answer`]: answer values and what is recorded per step; templates and the engine both
//!   build on it.
//! - [`template`]: what a template is and the rules it must obey ([`Template::validate`];
//!   what can be wrong with one, [`TemplateError`], is in `template_error`).
//! - [`engine`]: [`Run`] answers what applies, what is next, whether an answer is accepted
//!   ([`Refusal`] otherwise) and what blocks completion ([`Blocker`]).
//! - [`defaults`]: the shipped templates and where each PROCEDURE.md step is carried.
//!
//! "PROCEDURE" (`PROCEDURE step N`, `PROCEDURE.md`) throughout the code is
//! `core/docs/PROCEDURE.md`: the numbered on-site steps, their sources and the quality measures.

pub mod answer;
pub mod defaults;
pub mod engine;
pub mod template;
mod template_error;

pub use answer::{AnswerValue, Recorded};
pub use defaults::{
    AFTER_VISIT_PROCEDURE_REFS, WORKFLOW_PROCEDURE_REFS, builtin_template, default_template_for,
    default_templates, superseded_templates,
};
pub use engine::{
    BlockReason, Blocker, Evidence, LoanerCount, Progress, Refusal, Run, Stage, StepStatus,
    StepView, VisitFacts,
};
pub use template::{
    ChoiceOption, Condition, LOANER_OPTIONS, Localized, Phase, Step, StepKind, Template,
    TemplateError,
};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fact_tests;
