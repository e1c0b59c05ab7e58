//! The templates shipped with the app (JSON under `templates/`), and where each numbered step
//! of PROCEDURE.md is carried.
//!
//! Steps 1–20 are carried by checklist steps (`procedure_refs`), except these, which are
//! workflow commands rather than checklist steps ([`WORKFLOW_PROCEDURE_REFS`]):
//! - 3 (be on time, tell the customer before being late): the `notify_delay` command records
//!   the delay notice; punctuality itself is measured from the visit's times.
//! - 13 (avoid meal and rest times): the `pause` / `resume` commands, with a reason.
//! - 14 (take the unit to the workshop): the `take_back` command issues the receipt, logs the
//!   goods book and the loaner; the return visit runs the `take_back_return` template.
//!
//! Steps 21–23 happen after the visit, away from the customer ([`AFTER_VISIT_PROCEDURE_REFS`]).

use std::sync::OnceLock;

use super::template::{Localized, Phase, Step, StepKind, Template};
use crate::model::JobKind;

/// PROCEDURE.md steps carried by workflow commands instead of checklist steps.
pub const WORKFLOW_PROCEDURE_REFS: &[(u8, &str)] = &[
    (3, "notify_delay"),
    (13, "pause"),
    (13, "resume"),
    (14, "take_back"),
];

/// PROCEDURE.md steps done after the visit, by sync, the reports and the server.
pub const AFTER_VISIT_PROCEDURE_REFS: &[(u8, &str)] = &[
    (
        21,
        "sync: the completion is pushed (work order handed in); the server checks duration and quality",
    ),
    (22, "report: the technician's daily work report"),
    (23, "server: the desk's call-back sample (回访)"),
];

/// Id of the step a fallback template carries when an embedded template fails to load.
pub const LOAD_FAILED_STEP: &str = "template_load_failed";

const SOURCES: [(&str, &str); 5] = [
    ("delivery", include_str!("templates/delivery.json")),
    ("installation", include_str!("templates/installation.json")),
    ("repair", include_str!("templates/repair.json")),
    (
        "take_back_return",
        include_str!("templates/take_back_return.json"),
    ),
    ("follow_up", include_str!("templates/follow_up.json")),
];

/// Earlier versions of the built-in templates, kept so that a job pinned to one (on a phone
/// or on the server) is still judged by the checklist it was given. Version 2 of the four
/// templates with a fee step added `fee_consent_signature`: the customer signs the paid-service
/// acknowledgement and the agreed fees before paid work starts (004 八 第4条(10)); it also made
/// the feedback step the customer's rating. Version 3 (follow-up: 2) ties the remaining ticks to
/// their facts: the anomaly is a finding the customer signed, the parts review confirms the
/// parts recorded, the customer's copy records the hash it shows, the loaner step matches the
/// loaner records. Repair version 4 makes the return decision the returns rules' (004 一 第6章
/// 第21–24条) on the order's sale, from what is found on site, instead of a free choice.
const SUPERSEDED: [&str; 10] = [
    include_str!("templates/superseded/delivery.v1.json"),
    include_str!("templates/superseded/installation.v1.json"),
    include_str!("templates/superseded/repair.v1.json"),
    include_str!("templates/superseded/take_back_return.v1.json"),
    include_str!("templates/superseded/delivery.v2.json"),
    include_str!("templates/superseded/installation.v2.json"),
    include_str!("templates/superseded/repair.v2.json"),
    include_str!("templates/superseded/take_back_return.v2.json"),
    include_str!("templates/superseded/follow_up.v1.json"),
    include_str!("templates/superseded/repair.v3.json"),
];

/// The built-in template `id` at `version`: a default template or a superseded version of one.
pub fn builtin_template(id: &str, version: u32) -> Option<Template> {
    loaded()
        .iter()
        .chain(superseded())
        .find(|t| t.id == id && t.version == version)
        .cloned()
}

/// The superseded versions of the built-in templates (see [`builtin_template`]).
pub fn superseded_templates() -> &'static [Template] {
    superseded()
}

fn superseded() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        SUPERSEDED
            .iter()
            .filter_map(|json| Template::from_json(json).ok())
            .collect()
    })
}

/// The embedded JSON of every default template, by id.
pub fn default_template_sources() -> &'static [(&'static str, &'static str)] {
    &SOURCES
}

/// Every default template, parsed and validated once.
pub fn default_templates() -> Vec<Template> {
    loaded().to_vec()
}

/// The default template for a job kind. `return_visit` is the visit that brings back a unit
/// repaired in the workshop (`take_back_return`) for repair, return/exchange and installation
/// jobs; a delivery's return visit is a redelivery (`delivery`), a follow-up stays `follow_up`.
/// Return/exchange jobs otherwise use the `repair` template.
pub fn default_template_for(kind: JobKind, return_visit: bool) -> Template {
    let id = match (kind, return_visit) {
        (JobKind::Delivery, _) => "delivery",
        (JobKind::FollowUp, _) => "follow_up",
        (JobKind::Repair | JobKind::ReturnExchange | JobKind::Installation, true) => {
            "take_back_return"
        }
        (JobKind::Installation, false) => "installation",
        (JobKind::Repair | JobKind::ReturnExchange, false) => "repair",
    };
    loaded()
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .unwrap_or_else(|| load_failed(id))
}

fn loaded() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(id, json)| Template::from_json(json).unwrap_or_else(|_| load_failed(id)))
            .collect()
    })
}

/// Stands in for an embedded template that failed to load (the tests make sure none does).
/// Its one required step comes after itself, so it can never be done: the visit can never be
/// completed on a broken checklist, and the blocker tells the technician why.
fn load_failed(id: &str) -> Template {
    Template {
        id: id.to_string(),
        version: 0,
        title: Localized::new("检查单加载失败", "Checklist failed to load"),
        job_kinds: JobKind::ALL.to_vec(),
        billing_step: None,
        strict_evidence: false,
        steps: vec![Step {
            id: LOAD_FAILED_STEP.to_string(),
            label: Localized::new(
                "检查单加载失败，请联系售后服务部",
                "The checklist could not be loaded; call the service desk",
            ),
            help: None,
            phase: Phase::BeforeLeaving,
            kind: StepKind::Confirm,
            required: true,
            when: None,
            after: vec![LOAD_FAILED_STEP.to_string()],
            exception_allowed: false,
            procedure_refs: Vec::new(),
        }],
    }
}
