//! The engine's rules: stages open phases, fee consent gates paid work, exceptions, findings,
//! conditions and evidence; the serde shapes of answers and steps.

use super::*;

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
