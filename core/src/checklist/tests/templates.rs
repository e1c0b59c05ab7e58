//! The default templates: they parse and validate, cover every job kind and the procedure's
//! steps, every scripted visit reaches completion, and superseded versions stay built in.

use super::*;

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
