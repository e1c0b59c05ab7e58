// Over 700 lines: the checklist's tests share one set of scenario helpers (the section at the
// top); sections: default templates, engine rules, refusals, template validation, properties.
//! Tests of the checklist: default templates, the engine's rules, template validation and
//! property tests.

use std::collections::BTreeSet;

use proptest::prelude::*;
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

// ---------------------------------------------------------------- default templates

#[test]
fn default_templates_parse_and_validate() {
    let ids: Vec<String> = default_templates().into_iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        [
            "delivery",
            "installation",
            "repair",
            "take_back_return",
            "follow_up"
        ]
    );
    for (id, json) in default_template_sources() {
        let t = Template::from_json(json).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(t.id, *id);
        // Version 2 of the templates with a fee step added the customer's signature on it;
        // version 3 (follow-up: 2) tied the remaining ticks to their facts.
        let fees = t.steps.iter().any(|s| s.kind == StepKind::FeeConsent);
        // Repair version 4 made the return decision the returns rules'.
        let version = match *id {
            "repair" => 4,
            _ if fees => 3,
            _ => 2,
        };
        assert_eq!(t.version, version, "{id}");
        assert_eq!(t.step("fee_consent_signature").is_some(), fees, "{id}");
        let kind_of = |step: &str| t.step(step).map(|s| s.kind.name());
        assert_eq!(kind_of("feedback"), Some("feedback"), "{id}");
        assert_eq!(kind_of("customer_copy"), Some("customer_copy"), "{id}");
        for (step, kind) in [
            ("anomaly_signature", "finding"),
            ("damage_signature", "finding"),
            ("parts_reviewed", "parts_review"),
            ("loaner_status", "loaners"),
        ] {
            assert!(kind_of(step).is_none_or(|k| k == kind), "{id}/{step}");
        }
        assert!(t.step(LOAD_FAILED_STEP).is_none());
        for s in &t.steps {
            assert!(has_cjk(&s.label.zh_cn), "{id}/{}: zh-CN label", s.id);
            assert!(s.label.en.is_ascii(), "{id}/{}: en label", s.id);
            assert!(s.procedure_refs.iter().all(|r| (1..=20).contains(r)));
        }
        // A template survives a JSON round trip unchanged.
        let again = Template::from_json(&t.to_json().expect("serialises")).expect("parses");
        assert_eq!(again, t);
    }
}

#[test]
fn default_template_for_every_kind() {
    for kind in JobKind::ALL {
        for return_visit in [false, true] {
            let t = default_template_for(kind, return_visit);
            assert!(t.validate().is_ok(), "{kind:?}/{return_visit}");
            assert!(t.serves(kind), "{} does not serve {kind:?}", t.id);
        }
    }
    assert_eq!(default_template_for(JobKind::Repair, false).id, "repair");
    assert_eq!(
        default_template_for(JobKind::ReturnExchange, false).id,
        "repair"
    );
    assert_eq!(
        default_template_for(JobKind::Repair, true).id,
        "take_back_return"
    );
    assert_eq!(
        default_template_for(JobKind::Installation, false).id,
        "installation"
    );
    assert_eq!(default_template_for(JobKind::Delivery, true).id, "delivery");
    assert_eq!(
        default_template_for(JobKind::FollowUp, false).id,
        "follow_up"
    );
}

#[test]
fn templates_and_workflow_cover_procedure_steps_1_to_20() {
    let mut covered: BTreeSet<u8> = default_templates()
        .iter()
        .flat_map(|t| {
            t.steps
                .iter()
                .flat_map(|s| s.procedure_refs.iter().copied())
        })
        .collect();
    covered.extend(WORKFLOW_PROCEDURE_REFS.iter().map(|(n, _)| *n));
    let missing: Vec<u8> = (1..=20).filter(|n| !covered.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "PROCEDURE steps not carried: {missing:?}"
    );
    let after: BTreeSet<u8> = AFTER_VISIT_PROCEDURE_REFS.iter().map(|(n, _)| *n).collect();
    assert_eq!(after, (21..=23).collect());
}

#[test]
fn procedure_steps_sit_in_the_right_phases() {
    for t in default_templates() {
        for s in &t.steps {
            for r in &s.procedure_refs {
                let ok = match r {
                    1 | 2 => s.phase == Phase::BeforeLeaving,
                    4 | 5 => s.phase == Phase::Arrival,
                    6..=10 => s.phase == Phase::Assessment,
                    11 | 12 => s.phase == Phase::Work,
                    14 => true,
                    15..=20 => s.phase == Phase::CloseOut,
                    _ => false,
                };
                assert!(ok, "{}/{} carries step {r} in {:?}", t.id, s.id, s.phase);
            }
        }
    }
}

#[test]
fn every_template_reaches_completion() {
    for t in default_templates() {
        for (kind, order, paid, yes) in scenarios(&t) {
            let facts = script(&t, kind, order, yes, paid);
            let run = Run::new(&t, &facts);
            let what = format!("{} {kind:?} {order:?} paid={paid} yes={yes}", t.id);
            assert_eq!(facts.stage, Stage::Working, "{what}");
            assert!(
                run.completion_blockers().is_empty(),
                "{what}: {:?}",
                run.completion_blockers()
            );
            assert!(run.next().is_none(), "{what}");
            let p = run.progress();
            assert_eq!(p.satisfied, p.applicable_required, "{what}");
            let expect_paid = if t.billing_step.is_some() {
                paid
            } else {
                order == Billing::Paid
            };
            assert_eq!(run.is_paid(), expect_paid, "{what}");
            if let Some(fc) = t.steps.iter().find(|s| s.kind == StepKind::FeeConsent) {
                let want = if expect_paid {
                    StepStatus::Satisfied
                } else {
                    StepStatus::NotApplicable
                };
                assert_eq!(run.status(&fc.id), Some(want), "{what}");
            }
        }
    }
}

#[test]
fn each_required_step_left_undone_blocks_completion() {
    for t in default_templates() {
        for (kind, order, paid, yes) in scenarios(&t) {
            let done = script(&t, kind, order, yes, paid);
            let run = Run::new(&t, &done);
            let required: Vec<&Step> = t
                .steps
                .iter()
                .filter(|s| s.required && run.is_applicable(s))
                .collect();
            assert!(!required.is_empty());
            for s in required {
                let mut facts = done.clone();
                facts.recorded.remove(&s.id);
                facts.photos.remove(&s.id);
                facts.signatures.remove(&s.id);
                if s.kind == StepKind::PreVisitCall {
                    facts.previsit_call_reached = false;
                }
                if s.kind == StepKind::Feedback {
                    facts.feedback_recorded = false;
                }
                let run = Run::new(&t, &facts);
                let blockers = run.completion_blockers();
                let what = format!(
                    "{} {kind:?} {order:?} paid={paid} yes={yes}: {}",
                    t.id, s.id
                );
                let b = blockers
                    .iter()
                    .find(|b| b.step_id.as_deref() == Some(s.id.as_str()))
                    .unwrap_or_else(|| panic!("{what}: not blocked: {blockers:?}"));
                let msg = b.to_string();
                assert!(msg.contains(&s.label.en), "{what}: {msg}");
                assert_eq!(run.status(&s.id), Some(StepStatus::Pending), "{what}");
            }
        }
    }
}

#[test]
fn optional_steps_never_block() {
    for t in default_templates() {
        for (kind, order, paid, yes) in scenarios(&t) {
            let mut facts = script(&t, kind, order, yes, paid);
            for s in t.steps.iter().filter(|s| !s.required) {
                facts.recorded.remove(&s.id);
            }
            assert!(Run::new(&t, &facts).completion_blockers().is_empty());
        }
    }
}

// ---------------------------------------------------------------- engine rules

#[test]
fn stages_open_phases() {
    assert!(Stage::Planned.opens(Phase::BeforeLeaving));
    assert!(!Stage::EnRoute.opens(Phase::Arrival));
    assert!(Stage::OnSite.opens(Phase::Assessment));
    assert!(!Stage::OnSite.opens(Phase::Work));
    assert!(Phase::ALL.iter().all(|&p| Stage::Working.opens(p)));
    assert!(Phase::BeforeLeaving < Phase::CloseOut);
}

#[test]
fn paid_work_before_fee_consent_is_out_of_order() {
    let (t, facts) = paid_repair_before_consent();
    let run = Run::new(&t, &facts);
    assert!(run.is_paid());
    for s in t
        .steps
        .iter()
        .filter(|s| s.phase == Phase::Work && run.is_applicable(s))
    {
        let d = happy(&t, s, true, true);
        let Do::Answer(v) = d else { unreachable!() };
        match run.check_answer(&s.id, &v) {
            Err(Refusal::OutOfOrder { step, missing }) => {
                assert_eq!(step, s.id);
                assert!(missing.contains(&"fee_consent".to_string()), "{missing:?}");
            }
            other => panic!("{}: {other:?}", s.id),
        }
    }
    let blockers = run.blockers_before(Phase::Work);
    assert!(blockers.iter().any(
        |b| b.step_id.as_deref() == Some("fee_consent") && b.reason == BlockReason::Unanswered
    ));
    assert_eq!(run.next().map(|s| s.id.as_str()), Some("fee_consent"));
}

#[test]
fn refused_fee_consent_keeps_work_blocked() {
    let (t, mut facts) = paid_repair_before_consent();
    let refuse = Do::Answer(AnswerValue::FeeConsent { agreed: false });
    perform(&t, &mut facts, "fee_consent", &refuse).expect("a refusal is recorded");
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("fee_consent"), Some(StepStatus::Refused));
    let b = run
        .blockers_before(Phase::Work)
        .into_iter()
        .find(|b| b.reason == BlockReason::ConsentRefused)
        .expect("consent refused blocks work");
    assert_eq!(b.step_id.as_deref(), Some("fee_consent"));
    assert!(b.to_string().contains("did not agree"));
    assert!(matches!(
        run.check_answer("respect_home", &AnswerValue::Confirmed),
        Err(Refusal::OutOfOrder { .. })
    ));
    assert!(
        run.completion_blockers()
            .iter()
            .any(|b| b.reason == BlockReason::ConsentRefused)
    );
    // The customer may change their mind.
    assert_eq!(run.next().map(|s| s.id.as_str()), Some("fee_consent"));
    let agree = Do::Answer(AnswerValue::FeeConsent { agreed: true });
    perform(&t, &mut facts, "fee_consent", &agree).expect("agreement recorded");
    // Agreed is not enough: the customer signs the acknowledgement (004 八 第4条(10)).
    let run = Run::new(&t, &facts);
    let waiting: Vec<_> = run
        .blockers_before(Phase::Work)
        .into_iter()
        .map(|b| (b.step_id, b.reason))
        .collect();
    assert_eq!(
        waiting,
        [(
            Some("fee_consent_signature".to_owned()),
            BlockReason::NeedsSignature {
                role: SignerRole::Customer
            }
        )]
    );
    assert!(matches!(
        run.check_answer("respect_home", &AnswerValue::Confirmed),
        Err(Refusal::OutOfOrder { .. })
    ));
    let sign = Do::Sign(SignerRole::Customer);
    perform(&t, &mut facts, "fee_consent_signature", &sign).expect("signed");
    let run = Run::new(&t, &facts);
    assert!(run.blockers_before(Phase::Work).is_empty());
    assert!(
        run.check_answer("respect_home", &AnswerValue::Confirmed)
            .is_ok()
    );
}

#[test]
fn warranty_job_needs_no_fee_consent() {
    let t = template("repair");
    let facts = script_until(&t, JobKind::Repair, Billing::Paid, true, false, |s| {
        s.phase == Phase::Work
    });
    let run = Run::new(&t, &facts);
    assert!(!run.is_paid());
    assert_eq!(run.status("fee_consent"), Some(StepStatus::NotApplicable));
    assert_eq!(run.status("fee_settled"), Some(StepStatus::NotApplicable));
    assert!(
        run.check_answer("respect_home", &AnswerValue::Confirmed)
            .is_ok()
    );
}

#[test]
fn billing_step_overrides_order_billing() {
    let t = template("repair");
    let mut facts = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    assert!(!Run::new(&t, &facts).is_paid());
    facts.order_billing = Billing::Paid;
    assert!(Run::new(&t, &facts).is_paid());
    facts.recorded.insert(
        "coverage".into(),
        Recorded::Answer(AnswerValue::Choice("warranty".into())),
    );
    assert!(!Run::new(&t, &facts).is_paid());
    facts.order_billing = Billing::Warranty;
    facts.recorded.insert(
        "coverage".into(),
        Recorded::Answer(AnswerValue::Choice("paid".into())),
    );
    assert!(Run::new(&t, &facts).is_paid());
    // An answer that is not an option does not count.
    facts.recorded.insert(
        "coverage".into(),
        Recorded::Answer(AnswerValue::Choice("bogus".into())),
    );
    assert!(!Run::new(&t, &facts).is_paid());
}

#[test]
fn before_leaving_steps_do_not_block_later_answers_but_block_completion() {
    let t = template("repair");
    let mut facts = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    facts.stage = Stage::OnSite;
    let run = Run::new(&t, &facts);
    assert!(
        run.check_answer("id_badge", &AnswerValue::Confirmed)
            .is_ok()
    );
    // Late completion of a before-leaving step is allowed.
    assert!(
        run.check_answer("tools_parts_loaded", &AnswerValue::Confirmed)
            .is_ok()
    );
    assert!(
        run.completion_blockers()
            .iter()
            .any(|b| b.step_id.as_deref() == Some("previsit_call")
                && b.reason == BlockReason::CallNotReached)
    );
    assert!(
        run.blockers_before(Phase::Work)
            .iter()
            .any(|b| b.step_id.as_deref() == Some("tools_parts_loaded"))
    );
    // Assessment waits for arrival.
    assert!(matches!(
        run.check_answer("warranty_proof", &AnswerValue::YesNo(true)),
        Err(Refusal::OutOfOrder { missing, .. }) if missing == ["id_badge", "shoe_covers"]
    ));
}

#[test]
fn exceptions_count_as_done() {
    let t = template("repair");
    let mut facts = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    facts.stage = Stage::OnSite;
    perform(
        &t,
        &mut facts,
        "id_badge",
        &Do::Answer(AnswerValue::Confirmed),
    )
    .expect("badge");
    perform(
        &t,
        &mut facts,
        "shoe_covers",
        &Do::Except("客户表示不用穿".into()),
    )
    .expect("exception");
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("shoe_covers"), Some(StepStatus::Excepted));
    assert!(
        run.check_answer("warranty_proof", &AnswerValue::YesNo(true))
            .is_ok()
    );
    // An exception recorded on a step that does not allow one does not count.
    facts.recorded.insert(
        "id_badge".into(),
        Recorded::Exception { reason: "x".into() },
    );
    assert_eq!(
        Run::new(&t, &facts).status("id_badge"),
        Some(StepStatus::Pending)
    );
}

#[test]
fn reanswering_keeps_the_latest() {
    let t = template("repair");
    let mut facts = script_until(&t, JobKind::Repair, Billing::Warranty, true, false, |s| {
        s.id == "unit_intact"
    });
    let no = Do::Answer(AnswerValue::YesNo(false));
    perform(&t, &mut facts, "warranty_proof", &no).expect("re-answer");
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("product_serial"), Some(StepStatus::Pending));
    assert_eq!(run.next().map(|s| s.id.as_str()), Some("product_serial"));
}

#[test]
fn findings_block_work_and_completion() {
    let t = template("follow_up");
    let mut facts = script(&t, JobKind::FollowUp, Billing::Warranty, true, false);
    assert!(Run::new(&t, &facts).completion_blockers().is_empty());
    facts.unacknowledged_findings = 2;
    let run = Run::new(&t, &facts);
    let blockers = run.completion_blockers();
    assert_eq!(blockers.len(), 1);
    assert_eq!(blockers[0].step_id, None);
    assert_eq!(
        blockers[0].reason,
        BlockReason::FindingNotAcknowledged { count: 2 }
    );
    assert!(blockers[0].to_string().starts_with("2 noted anomalies"));
    assert_eq!(run.blockers_before(Phase::Work).len(), 1);
    assert!(run.blockers_before(Phase::Assessment).is_empty());
}

#[test]
fn conditions_on_inapplicable_steps_are_false() {
    let t = Template::from_json(
        &json!({
            "id": "c", "version": 1, "title": {"zh-CN": "条件", "en": "Conditions"},
            "job_kinds": ["repair", "delivery"],
            "steps": [
                {"id": "a", "label": {"zh-CN": "甲", "en": "A"}, "phase": "arrival",
                 "kind": {"type": "yes_no"}, "when": {"job_kind": {"any_of": ["delivery"]}}},
                {"id": "b", "label": {"zh-CN": "乙", "en": "B"}, "phase": "arrival",
                 "kind": {"type": "confirm"},
                 "when": {"answer": {"step": "a", "equals": {"type": "yes_no", "value": true}}}},
                {"id": "c", "label": {"zh-CN": "丙", "en": "C"}, "phase": "arrival",
                 "kind": {"type": "confirm"},
                 "when": {"not": {"answer": {"step": "a", "equals": {"type": "yes_no", "value": true}}}}},
                {"id": "d", "label": {"zh-CN": "丁", "en": "D"}, "phase": "arrival",
                 "kind": {"type": "confirm"}, "when": {"all": [{"paid": false}, {"any": []}]}}
            ]
        })
        .to_string(),
    )
    .expect("valid");
    let mut facts = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    facts
        .recorded
        .insert("a".into(), Recorded::Answer(AnswerValue::YesNo(true)));
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("a"), Some(StepStatus::NotApplicable));
    assert_eq!(run.status("b"), Some(StepStatus::NotApplicable));
    assert_eq!(run.status("c"), Some(StepStatus::Pending));
    assert_eq!(run.status("d"), Some(StepStatus::NotApplicable));
    assert_eq!(run.status("zzz"), None);
    facts.job_kind = JobKind::Delivery;
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("a"), Some(StepStatus::Satisfied));
    assert_eq!(run.status("b"), Some(StepStatus::Pending));
    assert_eq!(run.status("c"), Some(StepStatus::NotApplicable));
    let views = run.steps();
    assert_eq!(views.len(), 4);
    assert!(views[1].applicable && !views[2].applicable);
}

#[test]
fn evidence_satisfies_evidence_steps() {
    let t = template("installation");
    let mut facts = script_until(
        &t,
        JobKind::Installation,
        Billing::Warranty,
        true,
        false,
        |s| s.id == "debris_removed",
    );
    let run = Run::new(&t, &facts);
    assert!(
        run.completion_blockers()
            .iter()
            .any(|b| b.reason == BlockReason::NeedsPhotos { have: 0, need: 1 })
    );
    perform(&t, &mut facts, "debris_removed", &Do::Photo).expect("photo");
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("debris_removed"), Some(StepStatus::Satisfied));
    let b = run
        .completion_blockers()
        .into_iter()
        .find(|b| b.step_id.as_deref() == Some("service_record_signature"))
        .expect("signature missing");
    assert_eq!(
        b.reason,
        BlockReason::NeedsSignature {
            role: SignerRole::Customer
        }
    );
    assert!(b.to_string().contains("customer's signature"));
    facts.signatures.insert(
        "service_record_signature".into(),
        vec![SignerRole::Technician],
    );
    let run = Run::new(&t, &facts);
    assert_eq!(
        run.status("service_record_signature"),
        Some(StepStatus::Pending)
    );
}

#[test]
fn serde_shapes() {
    let v: AnswerValue = serde_json::from_str(r#"{"type":"yes_no","value":false}"#).expect("ok");
    assert_eq!(v, AnswerValue::YesNo(false));
    let v: AnswerValue = serde_json::from_str(r#"{"type":"confirmed"}"#).expect("ok");
    assert_eq!(v, AnswerValue::Confirmed);
    let v: AnswerValue =
        serde_json::from_str(r#"{"type":"fee_consent","value":{"agreed":true}}"#).expect("ok");
    assert_eq!(v, AnswerValue::FeeConsent { agreed: true });
    let r = Recorded::Exception {
        reason: "客户拒绝".into(),
    };
    let s = serde_json::to_string(&r).expect("ok");
    assert_eq!(s, r#"{"exception":{"reason":"客户拒绝"}}"#);
    let c: Condition = serde_json::from_str(r#"{"not":{"paid":true}}"#).expect("ok");
    assert_eq!(c, Condition::Not(Box::new(Condition::Paid(true))));
    // Typos in templates are errors, not silently ignored fields.
    assert!(serde_json::from_str::<StepKind>(r#"{"type":"confirm","min_len":3}"#).is_err());
    assert!(serde_json::from_str::<StepKind>(r#"{"type":"photo","min_cout":2}"#).is_err());
    let k: StepKind = serde_json::from_str(r#"{"type":"photo","min_count":2}"#).expect("ok");
    assert_eq!(k, StepKind::Photo { min_count: 2 });
    let l: Localized = serde_json::from_str(r#"{"zh-CN":"鞋套","en":"Shoe covers"}"#).expect("ok");
    assert_eq!(l.zh_cn, "鞋套");
}

// ---------------------------------------------------------------- refusals

#[test]
fn every_refusal_is_provoked() {
    let repair = template("repair");
    let install = template("installation");
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    let mut expect = |r: Result<(), Refusal>, name: &'static str, step: &str| {
        let e = r.expect_err(name);
        let got = format!("{e:?}");
        assert!(got.starts_with(name), "expected {name}, got {got}");
        let msg = e.to_string();
        assert!(msg.contains(step), "{msg}");
        seen.insert(name);
    };

    let planned = VisitFacts::new(JobKind::Repair, Billing::Warranty);
    let run = Run::new(&repair, &planned);
    expect(
        run.check_answer("nope", &AnswerValue::Confirmed),
        "UnknownStep",
        "nope",
    );
    expect(
        run.check_answer("product_serial", &AnswerValue::Serial("A1".into())),
        "NotApplicable",
        "product_serial",
    );
    expect(
        run.check_answer("id_badge", &AnswerValue::Confirmed),
        "PhaseNotOpen",
        "id_badge",
    );
    expect(
        run.check_answer("previsit_call", &AnswerValue::Confirmed),
        "NeedsEvidence",
        "previsit_call",
    );
    expect(
        run.check_answer("tools_parts_loaded", &AnswerValue::YesNo(true)),
        "WrongKind",
        "tools_parts_loaded",
    );
    expect(
        run.check_evidence("tools_parts_loaded", Evidence::Photo),
        "WrongKind",
        "tools_parts_loaded",
    );
    expect(
        run.check_exception("tools_parts_loaded", "忘了"),
        "ExceptionNotAllowed",
        "tools_parts_loaded",
    );

    let mut onsite = planned.clone();
    onsite.stage = Stage::OnSite;
    let run = Run::new(&repair, &onsite);
    expect(
        run.check_exception("shoe_covers", "  \t"),
        "EmptyReason",
        "shoe_covers",
    );
    expect(
        run.check_answer("warranty_proof", &AnswerValue::YesNo(true)),
        "OutOfOrder",
        "warranty_proof",
    );

    // Assessment open: serial, choice.
    let facts = script_until(
        &repair,
        JobKind::Repair,
        Billing::Warranty,
        false,
        false,
        |s| s.id == "product_serial",
    );
    let run = Run::new(&repair, &facts);
    for bad in ["", "AB 12", "AB\u{7}12", &"9".repeat(65)] {
        expect(
            run.check_answer("product_serial", &AnswerValue::Serial(bad.into())),
            "BadSerial",
            "product_serial",
        );
    }
    assert!(
        run.check_answer("product_serial", &AnswerValue::Serial("9".repeat(64)))
            .is_ok()
    );
    expect(
        run.check_answer("coverage", &AnswerValue::Choice("maybe".into())),
        "OutOfOrder",
        "coverage",
    );
    let mut facts = facts;
    record(
        &mut facts,
        "product_serial",
        &Do::Answer(AnswerValue::Serial("SN1".into())),
    );
    record(
        &mut facts,
        "unit_intact",
        &Do::Answer(AnswerValue::YesNo(false)),
    );
    let run = Run::new(&repair, &facts);
    expect(
        run.check_answer("coverage", &AnswerValue::Choice("maybe".into())),
        "NotAnOption",
        "coverage",
    );
    expect(
        run.check_answer("anomaly_description", &AnswerValue::Text("  坏 ".into())),
        "TooShort",
        "anomaly_description",
    );

    // Work open: numbers, signatures.
    let facts = script_until(
        &install,
        JobKind::Installation,
        Billing::Warranty,
        true,
        false,
        |s| s.id == "supply_voltage",
    );
    let run = Run::new(&install, &facts);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        expect(
            run.check_answer("supply_voltage", &AnswerValue::Number(bad)),
            "NotANumber",
            "supply_voltage",
        );
    }
    for bad in [179.9, 250.1, -5.0] {
        expect(
            run.check_answer("supply_voltage", &AnswerValue::Number(bad)),
            "OutOfRange",
            "supply_voltage",
        );
    }
    assert!(
        run.check_answer("supply_voltage", &AnswerValue::Number(180.0))
            .is_ok()
    );
    assert!(
        run.check_answer("supply_voltage", &AnswerValue::Number(250.0))
            .is_ok()
    );
    assert!(
        run.check_exception("supply_voltage", "电压 170 V，已建议客户整改")
            .is_ok()
    );
    let facts = script(
        &install,
        JobKind::Installation,
        Billing::Warranty,
        true,
        false,
    );
    let run = Run::new(&install, &facts);
    expect(
        run.check_evidence(
            "service_record_signature",
            Evidence::Signature(SignerRole::Technician),
        ),
        "WrongSigner",
        "service_record_signature",
    );

    let all = [
        "UnknownStep",
        "NotApplicable",
        "PhaseNotOpen",
        "OutOfOrder",
        "WrongKind",
        "NeedsEvidence",
        "OutOfRange",
        "NotAnOption",
        "TooShort",
        "BadSerial",
        "NotANumber",
        "ExceptionNotAllowed",
        "EmptyReason",
        "WrongSigner",
    ];
    let missing: Vec<_> = all.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty(), "not provoked: {missing:?}");
}

#[test]
fn refusal_messages_carry_no_answer_text() {
    let t = template("repair");
    let facts = script_until(&t, JobKind::Repair, Billing::Warranty, false, false, |s| {
        s.id == "product_serial"
    });
    let run = Run::new(&t, &facts);
    let secret = "张三 13800138000";
    let e = run
        .check_answer("product_serial", &AnswerValue::Serial(secret.into()))
        .expect_err("spaces are not allowed");
    assert!(!e.to_string().contains("13800138000"));
}

// ---------------------------------------------------------------- template validation

fn l(s: &str) -> Value {
    json!({"zh-CN": format!("中文{s}"), "en": s})
}

fn base() -> Value {
    json!({
        "id": "t", "version": 1, "title": l("Test"), "job_kinds": ["repair"],
        "billing_step": "coverage",
        "steps": [
            {"id": "a", "label": l("A"), "phase": "arrival", "kind": {"type": "confirm"}},
            {"id": "q", "label": l("Q"), "phase": "assessment", "kind": {"type": "yes_no"}},
            {"id": "coverage", "label": l("Coverage"), "phase": "assessment",
             "kind": {"type": "choice", "options": [
                {"value": "warranty", "label": l("Warranty")},
                {"value": "paid", "label": l("Paid")}]}},
            {"id": "fee", "label": l("Fee"), "phase": "assessment",
             "kind": {"type": "fee_consent"}, "when": {"paid": true}},
            {"id": "v", "label": l("V"), "phase": "work",
             "kind": {"type": "number", "unit": "V", "min": 1, "max": 2}},
            {"id": "p", "label": l("P"), "phase": "work",
             "kind": {"type": "photo", "min_count": 1}, "after": ["v"]},
            {"id": "s", "label": l("S"), "phase": "close_out",
             "kind": {"type": "signature", "role": "customer"},
             "when": {"answer": {"step": "q", "equals": {"type": "yes_no", "value": true}}}}
        ]
    })
}

#[test]
fn the_base_template_is_valid() {
    Template::from_json(&base().to_string()).expect("valid");
}

#[test]
fn every_template_error_is_provoked() {
    type Mutate = fn(&mut Value);
    let cases: Vec<(&str, Mutate)> = vec![
        ("Json", |v| *v = json!("not a template")),
        ("Json", |v| v["steps"][0]["requried"] = json!(false)),
        ("Json", |v| {
            v["steps"][0]["kind"] = json!({"type": "teleport"})
        }),
        ("Json", |v| v["steps"][0]["phase"] = json!("lunch")),
        ("EmptyTemplateId", |v| v["id"] = json!(" ")),
        ("ZeroVersion", |v| v["version"] = json!(0)),
        ("EmptyTitle", |v| v["title"]["en"] = json!("")),
        ("NoJobKinds", |v| v["job_kinds"] = json!([])),
        ("NoSteps", |v| v["steps"] = json!([])),
        ("EmptyId", |v| v["steps"][1]["id"] = json!("")),
        ("BadId", |v| v["steps"][1]["id"] = json!("Shoe Covers")),
        ("DuplicateStep", |v| v["steps"][1]["id"] = json!("a")),
        ("PhaseOutOfOrder", |v| {
            v["steps"][0]["phase"] = json!("work")
        }),
        ("EmptyLabel", |v| {
            v["steps"][0]["label"]["zh-CN"] = json!(" ")
        }),
        ("EmptyLabel", |v| {
            v["steps"][0]["help"] = json!({"zh-CN": "帮助", "en": ""})
        }),
        ("EmptyLabel", |v| {
            v["steps"][2]["kind"]["options"][0]["label"]["en"] = json!("")
        }),
        ("UnknownAfter", |v| {
            v["steps"][1]["after"] = json!(["ghost"])
        }),
        ("AfterCycle", |v| v["steps"][4]["after"] = json!(["p"])),
        ("AfterCycle", |v| v["steps"][0]["after"] = json!(["a"])),
        ("AfterLaterPhase", |v| v["steps"][1]["after"] = json!(["v"])),
        ("UnknownConditionStep", |v| {
            v["steps"][6]["when"]["answer"]["step"] = json!("ghost")
        }),
        (
            "ConditionOnLaterStep",
            |v| {
                v["steps"][1]["when"] =
                    json!({"answer": {"step": "s", "equals": {"type": "confirmed"}}})
            },
        ),
        (
            "ConditionOnLaterStep",
            |v| v["steps"][1]["when"] = json!({"not": {"answer": {"step": "q", "equals": {"type": "yes_no", "value": true}}}}),
        ),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"]["answer"]["equals"] = json!({"type": "confirmed"})
        }),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"] = json!({"answer": {"step": "coverage",
                "equals": {"type": "choice", "value": "free"}}})
        }),
        ("ConditionValueMismatch", |v| {
            v["steps"][6]["when"] = json!({"answer": {"step": "v",
                "equals": {"type": "number", "value": 9}}})
        }),
        ("BadRange", |v| v["steps"][4]["kind"]["min"] = json!(3)),
        ("NoOptions", |v| {
            v["billing_step"] = Value::Null;
            v["steps"][2]["kind"]["options"] = json!([]);
        }),
        ("EmptyOptionValue", |v| {
            v["steps"][2]["kind"]["options"][0]["value"] = json!("")
        }),
        ("DuplicateOption", |v| {
            v["steps"][2]["kind"]["options"][1]["value"] = json!("warranty")
        }),
        ("ZeroPhotos", |v| {
            v["steps"][5]["kind"]["min_count"] = json!(0)
        }),
        ("BadBillingStep", |v| v["billing_step"] = json!("ghost")),
        ("BadBillingStep", |v| v["billing_step"] = json!("q")),
        ("BadBillingStep", |v| {
            v["steps"][2]["kind"]["options"][1]["value"] = json!("free")
        }),
        ("BadBillingStep", |v| {
            v["steps"][2]["when"] = json!({"paid": true})
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["required"] = json!(false)
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["when"] = json!({"job_kind": {"any_of": ["repair"]}})
        }),
        ("BadFeeConsent", |v| {
            v["steps"][3]["exception_allowed"] = json!(true)
        }),
        ("MissingFeeConsent", |v| {
            let steps = v["steps"].as_array_mut().expect("array");
            steps.remove(3);
        }),
    ];
    let mut seen = BTreeSet::new();
    for (name, mutate) in cases {
        let mut v = base();
        mutate(&mut v);
        let e = Template::from_json(&v.to_string()).expect_err(name);
        let got = format!("{e:?}");
        assert!(got.starts_with(name), "expected {name}, got {got}");
        assert!(!e.to_string().is_empty());
        seen.insert(name);
    }
    // Range problems that JSON cannot express.
    let mut t = Template::from_json(&base().to_string()).expect("valid");
    t.steps[4].kind = StepKind::Number {
        unit: "V".into(),
        min: f64::NAN,
        max: 2.0,
    };
    assert!(matches!(t.validate(), Err(TemplateError::BadRange { .. })));
    let all = [
        "Json",
        "EmptyTemplateId",
        "ZeroVersion",
        "EmptyTitle",
        "NoJobKinds",
        "NoSteps",
        "EmptyId",
        "BadId",
        "DuplicateStep",
        "PhaseOutOfOrder",
        "EmptyLabel",
        "UnknownAfter",
        "AfterCycle",
        "AfterLaterPhase",
        "UnknownConditionStep",
        "ConditionOnLaterStep",
        "ConditionValueMismatch",
        "BadRange",
        "NoOptions",
        "EmptyOptionValue",
        "DuplicateOption",
        "ZeroPhotos",
        "BadBillingStep",
        "BadFeeConsent",
        "MissingFeeConsent",
    ];
    let missing: Vec<_> = all.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty(), "not provoked: {missing:?}");
}

#[test]
fn error_messages_name_the_step() {
    let mut v = base();
    v["steps"][4]["after"] = json!(["p"]);
    let e = Template::from_json(&v.to_string()).expect_err("cycle");
    let msg = e.to_string();
    assert!(msg.contains("`v`") || msg.contains("`p`"), "{msg}");
}

#[test]
fn unvalidated_templates_never_panic_the_engine() {
    // Forward condition, self-dependency, unknown after, duplicate ids, no steps.
    let mut t = Template::from_json(&base().to_string()).expect("valid");
    t.steps[1].when = Some(Condition::Answer {
        step: "s".into(),
        equals: AnswerValue::Confirmed,
    });
    t.steps[0].after = vec!["a".into(), "ghost".into()];
    t.steps.push(t.steps[0].clone());
    let facts = VisitFacts::new(JobKind::Repair, Billing::Paid);
    let run = Run::new(&t, &facts);
    assert_eq!(run.status("q"), Some(StepStatus::NotApplicable));
    assert!(!run.completion_blockers().is_empty());
    let _ = run.next();
    let _ = run.steps();
    let empty = Template {
        steps: Vec::new(),
        ..t
    };
    let run = Run::new(&empty, &facts);
    assert!(run.completion_blockers().is_empty());
    assert!(run.next().is_none());
}

// ---------------------------------------------------------------- property tests

#[derive(Clone, Debug)]
enum Act {
    /// An arbitrary answer, often of the wrong kind or invalid.
    Answer {
        step: usize,
        pick: u8,
        text: String,
        num: f64,
        flag: bool,
    },
    /// A valid answer or evidence for the step.
    Valid {
        step: usize,
        flag: bool,
        paid: bool,
    },
    /// Do what `next()` says, validly.
    FollowNext {
        flag: bool,
        paid: bool,
    },
    Except {
        step: usize,
        reason: String,
    },
    Photo {
        step: usize,
    },
    Sign {
        step: usize,
        customer: bool,
    },
    Advance,
    Call(bool),
    Finding(bool),
}

fn act() -> impl Strategy<Value = Act> {
    let num = prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        -1000.0..1000.0f64,
        150.0..300.0f64,
    ];
    // Weighted towards progress so that many runs reach work and completion.
    prop_oneof![
        2 => (any::<usize>(), any::<u8>(), "[a-z0-9 检修]{0,8}", num, any::<bool>()).prop_map(
            |(step, pick, text, num, flag)| Act::Answer {
                step,
                pick,
                text,
                num,
                flag
            }
        ),
        2 => (any::<usize>(), any::<bool>(), any::<bool>())
            .prop_map(|(step, flag, paid)| Act::Valid { step, flag, paid }),
        8 => (any::<bool>(), any::<bool>()).prop_map(|(flag, paid)| Act::FollowNext { flag, paid }),
        1 => (any::<usize>(), "[ a-z客户拒绝]{0,6}")
            .prop_map(|(step, reason)| Act::Except { step, reason }),
        1 => any::<usize>().prop_map(|step| Act::Photo { step }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(step, customer)| Act::Sign { step, customer }),
        3 => Just(Act::Advance),
        1 => any::<bool>().prop_map(Act::Call),
        1 => any::<bool>().prop_map(Act::Finding),
    ]
}

fn arbitrary_answer(step: &Step, pick: u8, text: &str, num: f64, flag: bool) -> AnswerValue {
    match pick % 7 {
        0 => AnswerValue::Confirmed,
        1 => AnswerValue::YesNo(flag),
        2 => match &step.kind {
            StepKind::Choice { options } => {
                let i = usize::from(pick / 7) % (options.len() + 1);
                AnswerValue::Choice(
                    options
                        .get(i)
                        .map_or_else(|| "bogus".to_string(), |o| o.value.clone()),
                )
            }
            _ => AnswerValue::Choice(text.into()),
        },
        3 => AnswerValue::Text(text.into()),
        4 => AnswerValue::Number(num),
        5 => AnswerValue::Serial(text.into()),
        _ => AnswerValue::FeeConsent { agreed: flag },
    }
}

/// Applies `act` when the engine accepts it; returns the step and what was done.
fn apply(t: &Template, facts: &mut VisitFacts, act: &Act) -> Option<(String, Do)> {
    let pick_step = |i: usize| t.steps[i % t.steps.len()].clone();
    let (step, d): (Step, Do) = match act {
        Act::Answer {
            step,
            pick,
            text,
            num,
            flag,
        } => {
            let s = pick_step(*step);
            let a = arbitrary_answer(&s, *pick, text, *num, *flag);
            (s, Do::Answer(a))
        }
        Act::Valid { step, flag, paid } => {
            let s = pick_step(*step);
            let d = happy(t, &s, *flag, *paid);
            (s, d)
        }
        Act::FollowNext { flag, paid } => {
            let s = Run::new(t, facts).next()?.clone();
            let d = happy(t, &s, *flag, *paid);
            (s, d)
        }
        Act::Except { step, reason } => (pick_step(*step), Do::Except(reason.clone())),
        Act::Photo { step } => (pick_step(*step), Do::Photo),
        Act::Sign { step, customer } => {
            let role = if *customer {
                SignerRole::Customer
            } else {
                SignerRole::Technician
            };
            (pick_step(*step), Do::Sign(role))
        }
        Act::Advance => {
            advance(t, facts);
            return None;
        }
        Act::Call(reached) => {
            facts.previsit_call_reached = *reached;
            return None;
        }
        Act::Finding(add) => {
            facts.unacknowledged_findings = if *add {
                facts.unacknowledged_findings + 1
            } else {
                facts.unacknowledged_findings.saturating_sub(1)
            };
            return None;
        }
    };
    perform(t, facts, &step.id, &d).ok()?;
    Some((step.id, d))
}

fn check_invariants(t: &Template, facts: &VisitFacts) -> Result<(), TestCaseError> {
    let run = Run::new(t, facts);
    let blockers = run.completion_blockers();
    let all_done = t.steps.iter().all(|s| {
        !s.required
            || !run.is_applicable(s)
            || matches!(
                run.status(&s.id),
                Some(StepStatus::Satisfied | StepStatus::Excepted)
            )
    });
    let clear = all_done && facts.unacknowledged_findings == 0;
    prop_assert_eq!(blockers.is_empty(), clear, "blockers: {:?}", blockers);
    let p = run.progress();
    prop_assert!(p.satisfied <= p.applicable_required);
    prop_assert_eq!(p.satisfied == p.applicable_required, all_done);
    for b in &blockers {
        prop_assert!(!b.to_string().is_empty());
    }
    if let Some(next) = run.next() {
        let status = run.status(&next.id);
        prop_assert!(
            matches!(status, Some(StepStatus::Pending | StepStatus::Refused)),
            "next() gave {} with {:?}",
            next.id,
            status
        );
        prop_assert!(run.is_applicable(next));
        prop_assert!(facts.stage.opens(next.phase));
        let r = match happy(t, next, true, false) {
            Do::Answer(v) => run.check_answer(&next.id, &v),
            Do::Photo => run.check_evidence(&next.id, Evidence::Photo),
            Do::Sign(role) => run.check_evidence(&next.id, Evidence::Signature(role)),
            Do::SignFinding => {
                run.check_evidence(&next.id, Evidence::Signature(SignerRole::Customer))
            }
            Do::Except(_) | Do::Call | Do::Feedback | Do::HandCopy => Ok(()),
        };
        if next.kind == StepKind::ReturnDecision && facts.sale.is_none() {
            // Without a sale record no decision holds, and the step says why it blocks.
            prop_assert_eq!(
                r,
                Err(Refusal::NoSaleRecord {
                    step: next.id.clone()
                })
            );
            prop_assert!(
                blockers
                    .iter()
                    .any(|b| b.reason == BlockReason::NoSaleRecord),
                "{:?}",
                blockers
            );
            return Ok(());
        }
        prop_assert!(r.is_ok(), "next() gave {} but: {:?}", next.id, r);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_runs_keep_the_gate_honest(
        which in 0usize..5,
        kind_pick in any::<usize>(),
        order_paid in any::<bool>(),
        has_sale in any::<bool>(),
        acts in prop::collection::vec(act(), 1..200),
    ) {
        let templates = default_templates();
        let t = &templates[which % templates.len()];
        let kind = t.job_kinds[kind_pick % t.job_kinds.len()];
        let order = if order_paid { Billing::Paid } else { Billing::Warranty };
        let mut facts = VisitFacts::new(kind, order);
        facts.sale = has_sale.then(scripted_sale);
        check_invariants(t, &facts)?;
        for a in &acts {
            let before = facts.clone();
            if let Some((id, d)) = apply(t, &mut facts, a) {
                let run_before = Run::new(t, &before);
                let step = t.step(&id).expect("known step");
                // The canonical rule: no accepted work before fee consent when paid. The
                // customer's rating is theirs to give, not work: it may come while a consent
                // is pending (coverage turned paid during the work; a declined quote), and the
                // pending consent still blocks completion (`check_invariants`).
                if step.phase >= Phase::Work && !matches!(d, Do::Feedback) {
                    for fc in t.steps.iter().filter(|s| s.kind == StepKind::FeeConsent) {
                        prop_assert!(matches!(
                            run_before.status(&fc.id),
                            Some(StepStatus::Satisfied | StepStatus::NotApplicable)
                        ));
                    }
                }
                prop_assert!(facts.stage.opens(step.phase));
                let run = Run::new(t, &facts);
                let status = run.status(&id);
                match d {
                    Do::Answer(AnswerValue::FeeConsent { agreed: false }) => {
                        prop_assert_eq!(status, Some(StepStatus::Refused));
                    }
                    Do::Answer(_) => prop_assert_eq!(status, Some(StepStatus::Satisfied)),
                    Do::Except(_) => prop_assert!(matches!(
                        status,
                        Some(StepStatus::Excepted | StepStatus::Satisfied)
                    )),
                    Do::Feedback | Do::SignFinding | Do::HandCopy => {
                        prop_assert_eq!(status, Some(StepStatus::Satisfied))
                    }
                    Do::Photo | Do::Sign(_) | Do::Call => {}
                }
            }
            check_invariants(t, &facts)?;
        }
    }

    #[test]
    fn mangled_template_json_never_panics(
        which in 0usize..5,
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<usize>()),
    ) {
        let (_, json) = default_template_sources()[which % default_template_sources().len()];
        let mut bytes = json.as_bytes().to_vec();
        for (at, b) in flips {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        if let Some(c) = cut {
            bytes.truncate(c % (bytes.len() + 1));
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(t) = Template::from_json(&text) {
            let facts = VisitFacts::new(t.job_kinds[0], Billing::Paid);
            let run = Run::new(&t, &facts);
            let _ = run.completion_blockers();
            let _ = run.next();
        }
    }
}

#[test]
fn superseded_template_versions_stay_built_in_for_the_jobs_pinned_to_them() {
    for id in ["delivery", "installation", "repair", "take_back_return"] {
        let old = crate::checklist::builtin_template(id, 1).expect(id);
        assert!(old.step("fee_consent").is_some(), "{id} v1");
        assert!(old.step("fee_consent_signature").is_none(), "{id} v1");
        let v2 = crate::checklist::builtin_template(id, 2).expect(id);
        assert!(v2.step("fee_consent_signature").is_some(), "{id} v2");
        assert!(
            v2.steps.iter().all(|s| s.kind.name() != "customer_copy"),
            "{id} v2"
        );
        let v3 = crate::checklist::builtin_template(id, 3).expect(id);
        assert_eq!(
            v3.step("customer_copy").unwrap().kind,
            StepKind::CustomerCopy
        );
    }
    let v1 = crate::checklist::builtin_template("follow_up", 1).expect("follow-up v1");
    assert_eq!(v1.step("feedback").unwrap().kind, StepKind::Confirm);
    assert!(crate::checklist::builtin_template("follow_up", 2).is_some());
    let v3 = crate::checklist::builtin_template("repair", 3).expect("repair v3");
    assert!(matches!(
        v3.step("return_decision").unwrap().kind,
        StepKind::Choice { .. }
    ));
    let v4 = crate::checklist::builtin_template("repair", 4).expect("repair v4");
    assert_eq!(
        v4.step("return_decision").unwrap().kind,
        StepKind::ReturnDecision
    );
    assert!(crate::checklist::builtin_template("repair", 5).is_none());
}
