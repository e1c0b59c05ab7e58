//! Tests of the checklist, by subject in `tests/`: the default templates, the engine's rules,
//! refusals, template validation and property tests. This file holds the scenario helpers they
//! share: scripted visits that answer every step validly.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::defaults::{LOAD_FAILED_STEP, default_template_sources};
use super::*;
use crate::model::{Billing, JobKind, SignerRole};

// ---------------------------------------------------------------- helpers

/// Something a test does to a step.
#[derive(Clone, Debug)]
enum Do {
    Answer(AnswerValue),
    Except(String),
    Photo,
    Sign(SignerRole),
    /// The pre-visit call reached the customer (a workflow fact, not checked here).
    Call,
    /// The customer's rating was recorded (a workflow fact, not checked here).
    Feedback,
    /// The customer signed a finding of the visit on the step.
    SignFinding,
    /// The copy of the customer's latest signature was handed over (the customer signed
    /// something first, if nothing yet).
    HandCopy,
}

/// The summary hash the tests' customer signs when nothing was signed yet.
const SIGNED: &str = "5f0c2c3a0d9b6e1f7a8c4b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

/// A valid way to satisfy `step`; YesNo steps answer `yes`, the billing step picks
/// `paid`/`warranty` by `paid`.
fn happy(t: &Template, step: &Step, yes: bool, paid: bool) -> Do {
    match &step.kind {
        StepKind::Confirm => Do::Answer(AnswerValue::Confirmed),
        StepKind::YesNo => Do::Answer(AnswerValue::YesNo(yes)),
        StepKind::Choice { options } => {
            let v = if t.billing_step.as_deref() == Some(step.id.as_str()) {
                if paid { "paid" } else { "warranty" }.to_string()
            } else {
                options[0].value.clone()
            };
            Do::Answer(AnswerValue::Choice(v))
        }
        StepKind::Text { min_len } => Do::Answer(AnswerValue::Text(
            "检修完成".repeat((*min_len as usize).max(1)),
        )),
        StepKind::Number { min, max, .. } => Do::Answer(AnswerValue::Number((min + max) / 2.0)),
        StepKind::Photo { .. } => Do::Photo,
        StepKind::Signature { role } => Do::Sign(*role),
        StepKind::Serial => Do::Answer(AnswerValue::Serial("SN-2026-000123".into())),
        StepKind::FeeConsent => Do::Answer(AnswerValue::FeeConsent { agreed: true }),
        StepKind::PreVisitCall => Do::Call,
        StepKind::Feedback => Do::Feedback,
        StepKind::Finding => Do::SignFinding,
        // No part recorded in these scenarios: the review confirms none.
        StepKind::PartsReview => Do::Answer(AnswerValue::PartsReviewed(Vec::new())),
        StepKind::CustomerCopy => Do::HandCopy,
        // No loaner lent in these scenarios.
        StepKind::Loaners { .. } => Do::Answer(AnswerValue::Choice("none_lent".into())),
        StepKind::ReturnDecision => Do::Answer(decided()),
    }
}

/// The sale every scripted visit's order carries: sold two days before the request.
pub(super) fn scripted_sale() -> crate::model::SaleFacts {
    let requested_at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    crate::model::SaleFacts {
        sale: crate::demo::sale(requested_at - chrono::Duration::days(2)),
        requested_at,
    }
}

/// The demo's findings with the rules' decision on [`scripted_sale`].
pub(super) fn decided() -> AnswerValue {
    let found = crate::demo::return_findings();
    let decision = scripted_sale()
        .decide(&found)
        .expect("the scripted sale holds");
    AnswerValue::ReturnDecision(crate::model::ReturnDecision { found, decision })
}

/// Checks `d` with the engine and records it when accepted.
fn perform(t: &Template, facts: &mut VisitFacts, step_id: &str, d: &Do) -> Result<(), Refusal> {
    if matches!(d, Do::HandCopy) && facts.customer_summary.is_none() {
        facts.customer_summary = Some(SIGNED.into());
    }
    {
        let run = Run::new(t, facts);
        match d {
            Do::Answer(v) => run.check_answer(step_id, v)?,
            Do::Except(r) => run.check_exception(step_id, r)?,
            Do::Photo => run.check_evidence(step_id, Evidence::Photo)?,
            Do::Sign(role) => run.check_evidence(step_id, Evidence::Signature(*role))?,
            Do::SignFinding => {
                run.check_evidence(step_id, Evidence::Signature(SignerRole::Customer))?
            }
            Do::HandCopy => {
                run.check_answer(step_id, &run.resolve_tick(step_id, AnswerValue::Confirmed)?)?
            }
            Do::Call => {}
            // The app takes the customer's rating on site, in the step's phase.
            Do::Feedback => {
                if let Some(step) = t.step(step_id)
                    && !facts.stage.opens(step.phase)
                {
                    return Err(Refusal::PhaseNotOpen {
                        step: step.id.clone(),
                        phase: step.phase,
                        stage: facts.stage,
                    });
                }
            }
        }
    }
    record(facts, step_id, d);
    Ok(())
}

fn record(facts: &mut VisitFacts, step_id: &str, d: &Do) {
    match d {
        Do::Answer(v) => {
            facts
                .recorded
                .insert(step_id.into(), Recorded::Answer(v.clone()));
        }
        Do::Except(r) => {
            facts
                .recorded
                .insert(step_id.into(), Recorded::Exception { reason: r.clone() });
        }
        Do::Photo => *facts.photos.entry(step_id.into()).or_default() += 1,
        Do::Sign(role) => facts
            .signatures
            .entry(step_id.into())
            .or_default()
            .push(*role),
        Do::Call => facts.previsit_call_reached = true,
        Do::Feedback => facts.feedback_recorded = true,
        Do::SignFinding => {
            facts
                .signatures
                .entry(step_id.into())
                .or_default()
                .push(SignerRole::Customer);
            facts.acknowledged_findings += 1;
        }
        Do::HandCopy => {
            let h = facts.customer_summary.clone().unwrap_or_default();
            facts
                .recorded
                .insert(step_id.into(), Recorded::Answer(AnswerValue::CopyHanded(h)));
        }
    }
}

/// Moves the visit on as the API would: work starts only when nothing blocks it.
fn advance(t: &Template, facts: &mut VisitFacts) -> bool {
    facts.stage = match facts.stage {
        Stage::Planned => Stage::EnRoute,
        Stage::EnRoute => Stage::OnSite,
        Stage::OnSite => {
            if !Run::new(t, facts).blockers_before(Phase::Work).is_empty() {
                return false;
            }
            Stage::Working
        }
        Stage::Working => return false,
    };
    true
}

/// Follows `next()` with valid answers until `stop` says so or nothing is left.
fn script_until(
    t: &Template,
    kind: JobKind,
    order: Billing,
    yes: bool,
    paid: bool,
    stop: impl Fn(&Step) -> bool,
) -> VisitFacts {
    let mut facts = VisitFacts::new(kind, order);
    facts.sale = Some(scripted_sale());
    for _ in 0..500 {
        let next = Run::new(t, &facts).next().cloned();
        match next {
            Some(step) if stop(&step) => return facts,
            Some(step) => {
                let d = happy(t, &step, yes, paid);
                perform(t, &mut facts, &step.id, &d)
                    .unwrap_or_else(|e| panic!("{}: `{}` refused: {e}", t.id, step.id));
            }
            None => {
                if !advance(t, &mut facts) {
                    return facts;
                }
            }
        }
    }
    panic!("{}: the script did not finish", t.id)
}

fn script(t: &Template, kind: JobKind, order: Billing, yes: bool, paid: bool) -> VisitFacts {
    script_until(t, kind, order, yes, paid, |_| false)
}

/// Every (job kind, order billing, billing choice, yes/no) a template can meet.
fn scenarios(t: &Template) -> Vec<(JobKind, Billing, bool, bool)> {
    let mut out = Vec::new();
    for &kind in &t.job_kinds {
        for order in [Billing::Warranty, Billing::Paid] {
            for paid in [false, true] {
                if t.billing_step.is_none() && paid != (order == Billing::Paid) {
                    continue;
                }
                for yes in [true, false] {
                    out.push((kind, order, paid, yes));
                }
            }
        }
    }
    out
}

fn template(id: &str) -> Template {
    default_templates()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no default template `{id}`"))
}

/// Repair, paid, stopped just before fee consent, then moved to Working by force.
fn paid_repair_before_consent() -> (Template, VisitFacts) {
    let t = template("repair");
    let mut facts = script_until(&t, JobKind::Repair, Billing::Warranty, true, true, |s| {
        s.id == "fee_consent"
    });
    facts.stage = Stage::Working;
    (t, facts)
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

mod properties;
mod refusals;
mod rules;
mod templates;
mod validation;
