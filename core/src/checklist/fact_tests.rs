//! Tests of the steps tied to facts (templates v3): a finding the customer signed, the parts
//! review, the customer's copy and the loaner step; (repair v4) the return decision against
//! the order's sale — each satisfied only while its fact holds, and each refusal provoked.

use super::*;
use crate::model::{Billing, JobKind, SignerRole};

const HASH_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HASH_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn template(id: &str) -> Template {
    default_templates()
        .into_iter()
        .find(|t| t.id == id)
        .expect("a default template")
}

/// A warranty visit at work, the call made and the rating given (these tests look at one
/// step at a time).
fn at_work(kind: JobKind) -> VisitFacts {
    let mut f = VisitFacts::new(kind, Billing::Warranty);
    f.sale = Some(super::tests::scripted_sale());
    f.stage = Stage::Working;
    f.previsit_call_reached = true;
    f.feedback_recorded = true;
    f
}

/// Does every step before `stop` as the facts allow; `intact` answers `unit_intact`.
fn answer_all_before(t: &Template, f: &mut VisitFacts, stop: &str, intact: bool) {
    for s in &t.steps {
        if s.id == stop {
            return;
        }
        let run = Run::new(t, f);
        if run.status(&s.id).is_some_and(StepStatus::is_done) {
            continue;
        }
        let v = match &s.kind {
            StepKind::Confirm => AnswerValue::Confirmed,
            StepKind::YesNo => AnswerValue::YesNo(intact || s.id != "unit_intact"),
            StepKind::Choice { options } => {
                AnswerValue::Choice(if t.billing_step.as_deref() == Some(&s.id) {
                    "warranty".into()
                } else {
                    options[0].value.clone()
                })
            }
            StepKind::Text { .. } => AnswerValue::Text("检修完成，运行正常".into()),
            StepKind::Serial => AnswerValue::Serial("SN-1".into()),
            StepKind::PartsReview => AnswerValue::PartsReviewed(f.parts.clone()),
            StepKind::Loaners { .. } => AnswerValue::Choice("none_lent".into()),
            StepKind::ReturnDecision => super::tests::decided(),
            StepKind::Number { min, max, .. } => AnswerValue::Number((min + max) / 2.0),
            StepKind::Photo { min_count } => {
                f.photos.insert(s.id.clone(), *min_count);
                continue;
            }
            StepKind::Signature { role } => {
                f.signatures.entry(s.id.clone()).or_default().push(*role);
                continue;
            }
            _ => continue,
        };
        f.recorded.insert(s.id.clone(), Recorded::Answer(v));
    }
}

#[test]
fn an_anomaly_is_a_finding_the_customer_signed_on_the_step() {
    let t = template("repair");
    let mut f = at_work(JobKind::Repair);
    f.stage = Stage::OnSite;
    answer_all_before(&t, &mut f, "anomaly_signature", false);
    let run = Run::new(&t, &f);
    assert_eq!(run.status("anomaly_signature"), Some(StepStatus::Pending));
    assert!(
        run.blockers_before(Phase::Work)
            .iter()
            .any(|b| b.reason == BlockReason::NeedsFinding)
    );
    // Only the customer signs a finding.
    assert!(matches!(
        run.check_evidence(
            "anomaly_signature",
            Evidence::Signature(SignerRole::Technician)
        ),
        Err(Refusal::WrongSigner { .. })
    ));
    run.check_evidence(
        "anomaly_signature",
        Evidence::Signature(SignerRole::Customer),
    )
    .unwrap();
    // A customer signature on the step with no signed finding does not do.
    f.signatures
        .entry("anomaly_signature".into())
        .or_default()
        .push(SignerRole::Customer);
    assert_eq!(
        Run::new(&t, &f).status("anomaly_signature"),
        Some(StepStatus::Pending)
    );
    f.acknowledged_findings = 1;
    assert_eq!(
        Run::new(&t, &f).status("anomaly_signature"),
        Some(StepStatus::Satisfied)
    );
    // Never answered by a tick.
    assert!(matches!(
        Run::new(&t, &f).check_answer("anomaly_signature", &AnswerValue::Confirmed),
        Err(Refusal::NeedsEvidence { .. })
    ));
}

#[test]
fn the_parts_review_confirms_the_parts_recorded_and_reopens_when_they_change() {
    let t = template("repair");
    let mut f = at_work(JobKind::Repair);
    answer_all_before(&t, &mut f, "parts_reviewed", true);
    f.parts = vec!["p1".into(), "p2".into()];
    let run = Run::new(&t, &f);
    // A tick stands for the parts as recorded now.
    let resolved = run
        .resolve_tick("parts_reviewed", AnswerValue::Confirmed)
        .unwrap();
    assert_eq!(
        resolved,
        AnswerValue::PartsReviewed(vec!["p1".into(), "p2".into()])
    );
    run.check_answer("parts_reviewed", &resolved).unwrap();
    // Order does not matter; a different set does.
    run.check_answer(
        "parts_reviewed",
        &AnswerValue::PartsReviewed(vec!["p2".into(), "p1".into()]),
    )
    .unwrap();
    for wrong in [vec![], vec!["p1".into()], vec!["p1".into(), "p3".into()]] {
        assert!(matches!(
            run.check_answer("parts_reviewed", &AnswerValue::PartsReviewed(wrong)),
            Err(Refusal::PartsMismatch { .. })
        ));
    }
    // A plain tick sent as the answer (an old or forged app) is not a review.
    assert!(matches!(
        run.check_answer("parts_reviewed", &AnswerValue::Confirmed),
        Err(Refusal::WrongKind { .. })
    ));
    assert!(matches!(
        run.check_answer(
            "parts_reviewed",
            &AnswerValue::PartsReviewed(vec!["two words".into()])
        ),
        Err(Refusal::BadIds { .. })
    ));
    f.recorded
        .insert("parts_reviewed".into(), Recorded::Answer(resolved));
    assert_eq!(
        Run::new(&t, &f).status("parts_reviewed"),
        Some(StepStatus::Satisfied)
    );
    // A part recorded after the review reopens it, with its own blocker.
    f.parts.push("p3".into());
    let run = Run::new(&t, &f);
    assert_eq!(run.status("parts_reviewed"), Some(StepStatus::Pending));
    assert!(
        run.completion_blockers()
            .iter()
            .any(|b| b.reason == BlockReason::PartsChanged
                && b.step_id.as_deref() == Some("parts_reviewed"))
    );
}

#[test]
fn the_customer_copy_records_the_hash_of_the_latest_signature() {
    let t = template("repair");
    let mut f = at_work(JobKind::Repair);
    answer_all_before(&t, &mut f, "customer_copy", true);
    f.signatures
        .entry("service_record_signature".into())
        .or_default()
        .push(SignerRole::Customer);
    // Nothing signed over a summary yet: no copy to hand over.
    let run = Run::new(&t, &f);
    assert!(matches!(
        run.resolve_tick("customer_copy", AnswerValue::Confirmed),
        Err(Refusal::NothingSigned { .. })
    ));
    assert!(matches!(
        run.check_answer("customer_copy", &AnswerValue::CopyHanded(HASH_A.into())),
        Err(Refusal::NothingSigned { .. })
    ));
    f.customer_summary = Some(HASH_A.into());
    let run = Run::new(&t, &f);
    let resolved = run
        .resolve_tick("customer_copy", AnswerValue::Confirmed)
        .unwrap();
    assert_eq!(resolved, AnswerValue::CopyHanded(HASH_A.into()));
    run.check_answer("customer_copy", &resolved).unwrap();
    assert!(matches!(
        run.check_answer("customer_copy", &AnswerValue::CopyHanded(HASH_B.into())),
        Err(Refusal::NotTheSignedCopy { .. })
    ));
    assert!(matches!(
        run.check_answer("customer_copy", &AnswerValue::CopyHanded("ABC".into())),
        Err(Refusal::BadHash { .. })
    ));
    f.recorded
        .insert("customer_copy".into(), Recorded::Answer(resolved));
    assert_eq!(
        Run::new(&t, &f).status("customer_copy"),
        Some(StepStatus::Satisfied)
    );
    // The customer signs again: the copy handed over is no longer theirs.
    f.customer_summary = Some(HASH_B.into());
    let run = Run::new(&t, &f);
    assert_eq!(run.status("customer_copy"), Some(StepStatus::Pending));
    assert!(
        run.completion_blockers()
            .iter()
            .any(|b| b.reason == BlockReason::CopyNotHanded)
    );
}

#[test]
fn the_loaner_step_matches_the_loaner_records() {
    let t = template("take_back_return");
    let mut f = at_work(JobKind::Repair);
    f.stage = Stage::OnSite;
    answer_all_before(&t, &mut f, "loaner_status", true);
    let check = |f: &VisitFacts, v: &str| {
        Run::new(&t, f).check_answer("loaner_status", &AnswerValue::Choice(v.into()))
    };
    // None lent: only `none_lent` holds.
    check(&f, "none_lent").unwrap();
    assert!(matches!(
        check(&f, "collected"),
        Err(Refusal::LoanersDiffer { .. })
    ));
    // One lent, still out: neither holds, and the blocker says so.
    f.loaners = LoanerCount { lent: 1, out: 1 };
    assert!(check(&f, "collected").is_err());
    assert!(check(&f, "none_lent").is_err());
    assert!(
        Run::new(&t, &f)
            .completion_blockers()
            .iter()
            .any(|b| b.reason == BlockReason::LoanerOut { count: 1 })
    );
    // An answer given before the records changed no longer holds.
    f.recorded.insert(
        "loaner_status".into(),
        Recorded::Answer(AnswerValue::Choice("none_lent".into())),
    );
    assert_eq!(
        Run::new(&t, &f).status("loaner_status"),
        Some(StepStatus::Pending)
    );
    // Returned: `collected` holds.
    f.loaners.out = 0;
    check(&f, "collected").unwrap();
    // A lost loaner: an exception with the reason.
    Run::new(&t, &f)
        .check_exception("loaner_status", "客户称替补机已丢失")
        .unwrap();
}

#[test]
fn a_loaner_step_needs_exactly_its_two_options() {
    let json = template("take_back_return").to_json().unwrap();
    let broken = json.replacen("\"none_lent\"", "\"not_lent\"", 1);
    assert!(matches!(
        Template::from_json(&broken),
        Err(TemplateError::BadLoanerOptions { .. })
    ));
}

/// A return visit on site with every step before `return_decision` done.
fn at_return_decision(sale: bool) -> (Template, VisitFacts) {
    let t = template("repair");
    let mut f = at_work(JobKind::ReturnExchange);
    f.stage = Stage::OnSite;
    answer_all_before(&t, &mut f, "return_decision", true);
    if !sale {
        f.sale = None;
    }
    (t, f)
}

#[test]
fn a_return_decision_is_the_rules_on_the_orders_sale() {
    let (t, mut f) = at_return_decision(true);
    let right = super::tests::decided();
    assert_eq!(
        Run::new(&t, &f).check_answer("return_decision", &right),
        Ok(())
    );
    let AnswerValue::ReturnDecision(r) = right.clone() else {
        unreachable!("decided() answers a return decision")
    };
    // Another outcome, another price basis, another amount: each refused.
    let mut refund = r;
    refund.decision.outcome = crate::model::returns::Outcome::Return;
    let mut basis = r;
    basis.decision.price_basis = Some(crate::model::returns::PriceBasis::Original);
    let mut amount = r;
    amount.decision.amount += 1;
    for forged in [refund, basis, amount] {
        assert!(matches!(
            Run::new(&t, &f).check_answer("return_decision", &AnswerValue::ReturnDecision(forged)),
            Err(Refusal::NotTheReturnDecision { .. })
        ));
    }
    // Facts that contradict each other are a typed refusal.
    let mut contradiction = r;
    contradiction.found.misuse = Some(crate::model::returns::Misuse::Washing);
    assert!(matches!(
        Run::new(&t, &f).check_answer(
            "return_decision",
            &AnswerValue::ReturnDecision(contradiction)
        ),
        Err(Refusal::BadReturnFacts { .. })
    ));
    // Recorded, it holds; once the sale changes the decision no longer holds.
    f.recorded
        .insert("return_decision".into(), Recorded::Answer(right));
    assert_eq!(
        Run::new(&t, &f).status("return_decision"),
        Some(StepStatus::Satisfied)
    );
    if let Some(s) = f.sale.as_mut() {
        s.requested_at += chrono::Duration::days(30);
    }
    let run = Run::new(&t, &f);
    assert_eq!(run.status("return_decision"), Some(StepStatus::Pending));
    assert!(
        run.blockers_before(Phase::Work)
            .iter()
            .any(|b| b.reason == BlockReason::DecisionChanged)
    );
}

#[test]
fn without_a_sale_record_no_return_decision_holds() {
    let (t, f) = at_return_decision(false);
    let run = Run::new(&t, &f);
    assert_eq!(
        run.check_answer("return_decision", &super::tests::decided()),
        Err(Refusal::NoSaleRecord {
            step: "return_decision".into()
        })
    );
    let blocker = run
        .blockers_before(Phase::Work)
        .into_iter()
        .find(|b| b.step_id.as_deref() == Some("return_decision"))
        .expect("the step blocks");
    assert_eq!(blocker.reason, BlockReason::NoSaleRecord);
    assert!(blocker.to_string().contains("no sale record"));
    // A free choice is no longer an answer.
    assert!(matches!(
        run.check_answer("return_decision", &AnswerValue::Choice("refund".into())),
        Err(Refusal::WrongKind { .. })
    ));
}

#[test]
fn a_job_pinned_to_repair_v3_keeps_the_free_choice() {
    let t = crate::checklist::builtin_template("repair", 3).expect("repair v3");
    let mut f = at_work(JobKind::ReturnExchange);
    f.stage = Stage::OnSite;
    f.sale = None;
    answer_all_before(&t, &mut f, "return_decision", true);
    let run = Run::new(&t, &f);
    assert_eq!(
        run.check_answer("return_decision", &AnswerValue::Choice("refund".into())),
        Ok(())
    );
}

#[cfg(feature = "report")]
#[test]
fn the_customers_copy_prints_the_decision_with_its_articles() {
    let words = crate::report::answer_in_words(&super::tests::decided(), &StepKind::ReturnDecision);
    for part in [
        "可以换货",
        "第6章 第22条",
        "第6章 第23条(1)",
        "Exchange allowed",
        "¥2999.00",
    ] {
        assert!(words.contains(part), "{part} in {words}");
    }
}
