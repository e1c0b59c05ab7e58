//! Settling a paid visit (结算): only on a paid visit with agreed fees, after the work; the
//! amount checked against the consent, a differing amount only with its reason; the invoice
//! due 3 days on without a receipt; the `fee_settled` step answered; the server's replay
//! judges the same journal the same way.

use chrono::Duration;

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::checklist::{AnswerValue, StepStatus};
use fieldkit_core::model::*;
use fieldkit_core::sync::replay::Verdict;
use fieldkit_core::workflow::JobStatus;

fn paid(step: &str) -> Option<String> {
    (step == "coverage").then(|| "paid".to_owned())
}

fn cash(amount: Cents, receipt_no: Option<&str>, reason: Option<&str>) -> Settlement {
    Settlement {
        amount,
        method: PaymentMethod::Cash,
        receipt_no: receipt_no.map(str::to_owned),
        reason: reason.map(str::to_owned),
    }
}

fn fee_settled(d: &Device, id: WorkOrderId) -> StepStatus {
    let view = d.kit.checklist(id).unwrap();
    view.steps
        .iter()
        .find(|s| s.id == FEE_SETTLED_STEP)
        .unwrap()
        .status
}

#[test]
fn a_settlement_needs_the_work_done_and_the_rule_and_answers_the_step() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    // Before the work: on site, fees agreed (the walk consents to the call-out fee, 5000).
    d.walk(id, &paid, &|next| next == "respect_home");
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::InProgress);
    let queued = d.op_count();
    // Out of order: the close-out needs the work steps first.
    assert!(matches!(
        d.kit.settle(id, &cash(5000, Some("R-1"), None)),
        Err(Error::Checklist(_))
    ));
    assert_eq!(d.op_count(), queued);
    d.walk(id, &paid, &|next| next == FEE_SETTLED_STEP);
    let queued = d.op_count();
    // Refused by the rule, nothing written: no amount, too much, a differing amount without
    // a reason, a reason for the consented amount, a blank or overlong receipt number.
    for bad in [
        cash(0, None, None),
        cash(MAX_SETTLEMENT + 1, None, Some("typo")),
        cash(4000, Some("R-1"), None),
        cash(5000, Some("R-1"), Some("no reason needed")),
        cash(5000, Some("  "), None),
        cash(5000, Some(&"R".repeat(65)), None),
        cash(4000, None, Some(" ")),
    ] {
        assert!(
            matches!(d.kit.settle(id, &bad), Err(Error::Invalid { .. })),
            "{bad:?}"
        );
    }
    // The tick alone is not a settlement.
    assert!(matches!(
        d.kit.answer_step(
            id,
            FEE_SETTLED_STEP,
            &AnswerValue::Choice("paid_on_site".into())
        ),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(d.op_count(), queued, "nothing refused was queued");
    assert_eq!(fee_settled(&d, id), StepStatus::Pending);
    // The customer paid 4000 by QR: a 10.00 discount the desk will see flagged. No receipt:
    // the invoice is due three days later.
    let before = d.op_count();
    let now = d.clock.now_for_tests();
    let s = d
        .kit
        .settle(
            id,
            &Settlement {
                amount: 4000,
                method: PaymentMethod::Qr,
                receipt_no: None,
                reason: Some(" 10.00 off for the late arrival ".into()),
            },
        )
        .unwrap();
    assert_eq!((s.amount, s.consented, s.differs()), (4000, 5000, true));
    assert_eq!(s.invoice_due, Some(now + Duration::days(3)));
    assert_eq!(s.reason.as_deref(), Some("10.00 off for the late arrival"));
    assert_eq!(d.kit.settlement(id).unwrap(), Some(s.clone()));
    assert_eq!(d.op_count(), before + 1);
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(last.kind, "settle");
    assert_eq!(last.payload["amount"], 4000);
    assert_eq!(last.payload["method"], "qr");
    assert!(last.payload.get("consented").is_none(), "never sent");
    assert_eq!(fee_settled(&d, id), StepStatus::Satisfied);
    // The rest of the close-out, and the visit completes.
    d.walk(id, &paid, &|_| false);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    // The server's judge accepts the same journal and keeps its own consented total.
    let (replay, verdicts) = judge_journal(&d, id);
    for (kind, v) in &verdicts {
        assert!(
            matches!(v, Verdict::Accepted | Verdict::Completion(_)),
            "{kind}: {v:?}"
        );
    }
    let settled = &replay.visit.unwrap().settlements;
    assert_eq!(settled.len(), 1);
    assert_eq!(
        (settled[0].amount, settled[0].consented, settled[0].method),
        (4000, 5000, PaymentMethod::Qr)
    );
}

#[test]
fn a_warranty_visit_or_one_without_agreed_fees_has_nothing_to_settle() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &|_| None, &|next| next == "customer_copy");
    let queued = d.op_count();
    assert!(matches!(
        d.kit.settle(id, &cash(5000, Some("R-1"), None)),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(d.op_count(), queued);
    // Arrived but not working yet: refused too.
    let other = d.order(JobKind::Repair, Billing::Paid);
    d.plan(other);
    d.walk(other, &paid, &|next| next == "unit_intact");
    assert!(matches!(
        d.kit.settle(other, &cash(5000, Some("R-1"), None)),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn paid_work_waits_for_the_customers_signature_on_the_fees_but_not_on_a_job_pinned_to_v1() {
    // Version 2: agreed fees are not enough, the customer signs for them.
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    d.walk(id, &paid, &|next| next == "fee_consent_signature");
    assert!(matches!(
        d.kit.start_work(id),
        Err(Error::Blocked { ref blockers, .. })
            if blockers.iter().any(|b| b.step_id.as_deref() == Some("fee_consent_signature"))
    ));
    // A job the desk pinned to repair v1 (before the signature existed) is judged by v1, on
    // the phone and by the server's replay: it completes without it.
    let mut o = fieldkit_core::demo::repair_order(2, d.clock.now_for_tests(), Billing::Paid);
    let v1 = TemplateRef {
        id: "repair".into(),
        version: 1,
    };
    o.checklist = Some(JobChecklist {
        visit: v1.clone(),
        return_visit: None,
    });
    d.kit.receive_work_order(&o).unwrap();
    d.plan(o.id);
    assert_eq!(d.kit.checklist(o.id).unwrap().template, v1);
    d.walk(o.id, &paid, &|_| false);
    assert_eq!(d.kit.job(o.id).unwrap().status, JobStatus::Completed);
    let (_, verdicts) = judge_journal(&d, o.id);
    assert!(verdicts.iter().any(|(k, _)| k == "settle"));
    for (kind, v) in &verdicts {
        assert!(
            matches!(v, Verdict::Accepted)
                || matches!(v, Verdict::Completion(c) if c.reasons().is_empty()),
            "{kind}: {v:?}"
        );
    }
}
