//! The visit endings with their own evidence, through the public API on a real device
//! database: a declined quote (the answer recorded first; at most the call-out fee agreed
//! after), a second visit needed (then the next visit completes), a redelivery (a
//! damaged-on-delivery finding the customer signed, a photo). Bad calls are refused by name and
//! change nothing; the server's judge, replaying the journal, accepts every op written.

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::SignatureInput;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;

/// A paid repair on site at the fee step.
fn at_the_quote(d: &Device) -> WorkOrderId {
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    let choose = |s: &str| (s == "coverage").then(|| "paid".to_owned());
    d.walk(id, &choose, &|next| next == "fee_consent");
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Arrived);
    id
}

fn consent(d: &Device, id: WorkOrderId, items: &[&str], agreed: bool) {
    let f = demo::fee_schedule();
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    d.kit
        .consent_to_fees(id, &f.id, f.version, &items, agreed)
        .unwrap();
}

#[test]
fn a_declined_quote_closes_the_job_with_at_most_the_call_out_fee() {
    let d = device();
    let id = at_the_quote(&d);
    let queued = d.op_count();
    // No answer to the quote yet, or no reason: refused, nothing changed.
    for reason in ["too expensive", "  "] {
        assert!(
            matches!(d.kit.decline_quote(id, reason), Err(Error::Invalid { .. })),
            "{reason:?}"
        );
    }
    assert_eq!(d.op_count(), queued);
    // The customer declines the quote, then agrees to pay the call-out fee alone.
    consent(&d, id, &["visit", "labour"], false);
    consent(&d, id, &["visit"], true);
    let status = d.kit.decline_quote(id, "too expensive").unwrap();
    assert_eq!(status, JobStatus::QuoteDeclined);
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(last.kind, "decline_quote");
    assert_eq!(last.payload, serde_json::json!({"reason": "too expensive"}));
    // The job is closed: no call plans another visit, nothing more ends it.
    assert!(matches!(d.kit.accept(id), Err(Error::Refused(_))));
    assert!(matches!(d.kit.cancel(id, "x"), Err(Error::Refused(_))));
    judged_alike(&d, id);

    // The whole quote agreed after declining it: the quote was accepted, not declined.
    let d = device();
    let id = at_the_quote(&d);
    consent(&d, id, &["visit", "labour"], false);
    consent(&d, id, &["visit", "labour"], true);
    let queued = d.op_count();
    assert!(matches!(
        d.kit.decline_quote(id, "too expensive"),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(d.op_count(), queued);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Arrived);

    // Before arriving: refused by the visit's state, whatever the evidence.
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    assert!(matches!(
        d.kit.decline_quote(id, "too expensive"),
        Err(Error::Refused(_))
    ));
}

#[test]
fn a_second_visit_ends_this_one_with_its_reason_and_the_next_completes() {
    let d = device();
    let id = d.order(JobKind::Installation, Billing::Warranty);
    d.plan(id);
    let kit = &d.kit;
    let status_is = |want: JobStatus| move |_: &str| kit.job(id).unwrap().status == want;
    // On site, work not started: refused by the visit's state.
    d.walk(id, &none, &status_is(JobStatus::Arrived));
    assert!(matches!(
        d.kit.need_second_visit(id, "needs two people to lift"),
        Err(Error::Refused(_))
    ));
    d.walk(id, &none, &status_is(JobStatus::InProgress));
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::InProgress);
    let queued = d.op_count();
    assert!(matches!(
        d.kit.need_second_visit(id, " "),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(d.op_count(), queued);
    let status = d
        .kit
        .need_second_visit(id, "needs two people to lift")
        .unwrap();
    assert_eq!(status, JobStatus::SecondVisitNeeded);
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.payload.clone()),
        (
            "need_second_visit",
            serde_json::json!({"reason": "needs two people to lift"})
        )
    );
    assert!(matches!(d.kit.start_travel(id), Err(Error::Refused(_))));
    // The next call plans visit 2, on the job's own checklist, and it completes.
    d.call(id);
    let visit = d.kit.job(id).unwrap().visit.unwrap();
    assert_eq!(visit.number, 2);
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    judged_alike(&d, id);
}

#[test]
fn a_redelivery_needs_the_damage_signed_by_the_customer_and_a_photo() {
    let d = device();
    let id = d.order(JobKind::Delivery, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "unbox_ok");
    d.kit
        .answer_step(
            id,
            "unbox_ok",
            &fieldkit_core::checklist::AnswerValue::YesNo(false),
        )
        .unwrap();
    let damage = d
        .kit
        .record_finding(id, FindingKind::DamagedOnDelivery, "dent on the left side")
        .unwrap();
    let scratch = d
        .kit
        .record_finding(id, FindingKind::ManMadeDamage, "old scratch on the wall")
        .unwrap();
    let queued = d.op_count();
    let refused = |finding: FindingId, note: &str| d.kit.request_redelivery(id, finding, note);
    // No photo, unsigned, the wrong kind, another visit's finding, no note: refused by name.
    assert!(matches!(
        refused(damage.id, "dent"),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        refused(FindingId::new(), "dent"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        refused(damage.id, " "),
        Err(Error::Invalid { .. })
    ));
    d.kit
        .add_photo(id, Some("unbox_photos"), &demo::fake_photo("the dent"))
        .unwrap();
    let queued_with_photo = d.op_count();
    assert_eq!(queued_with_photo, queued + 1);
    assert!(matches!(
        refused(damage.id, "dent"),
        Err(Error::Invalid { .. })
    ));
    // The customer signs the scratch: still not damage on delivery.
    let sign = |finding: FindingId| {
        d.kit.summary_for_signing(id).unwrap();
        d.kit
            .sign(
                id,
                &SignatureInput {
                    finding: Some(finding),
                    ..d.signature(SignerRole::Customer, None)
                },
            )
            .unwrap();
    };
    sign(scratch.id);
    let queued = d.op_count();
    assert!(matches!(
        refused(scratch.id, "dent"),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(d.op_count(), queued);
    sign(damage.id);
    let status = d
        .kit
        .request_redelivery(id, damage.id, "dent on the left side, redeliver tomorrow")
        .unwrap();
    assert_eq!(status, JobStatus::RedeliveryRequested);
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(last.kind, "request_redelivery");
    assert_eq!(
        last.payload,
        serde_json::json!({
            "finding": damage.id.to_string(),
            "note": "dent on the left side, redeliver tomorrow",
        })
    );
    assert!(matches!(d.kit.accept(id), Err(Error::Refused(_))));
    judged_alike(&d, id);

    // A repair is not redelivered, whatever its evidence.
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "work_done");
    let f = d
        .kit
        .record_finding(id, FindingKind::DamagedOnDelivery, "dent")
        .unwrap();
    assert!(matches!(
        d.kit.request_redelivery(id, f.id, "dent"),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn the_demos_damaged_delivery_walks_to_a_redelivery() {
    let d = device();
    let id = d.order(JobKind::Delivery, Billing::Warranty);
    let finding = demo::walk_damaged_delivery(&d.kit, id).unwrap();
    assert_eq!(
        demo::latest_findings(&d.kit, id).unwrap(),
        (Some(finding), Some(finding))
    );
    let status = d.kit.request_redelivery(id, finding, "redeliver").unwrap();
    assert_eq!(status, JobStatus::RedeliveryRequested);
    judged_alike(&d, id);
}
