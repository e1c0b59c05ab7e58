//! Custody of a take-back's loaner through the public API: the technician records it back on
//! site, once; the return visit's loaner step must match the records (or be excepted as lost);
//! the server's judge agrees.

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::checklist::{AnswerValue, BlockReason, Refusal};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;

/// A warranty repair taken back with a loaner, its return visit planned: the loaner's id.
fn taken_back_with_a_loaner(d: &Device) -> (WorkOrderId, LoanerId) {
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "respect_home");
    let receipt = demo::take_back_with_evidence(&d.kit, id).unwrap();
    d.call(id);
    (id, receipt.loaner_id.unwrap())
}

#[test]
fn a_loaner_is_returned_on_site_once_and_completion_does_not_return_it() {
    let d = device();
    let (id, loaner) = taken_back_with_a_loaner(&d);
    let out = d.kit.loaners(id).unwrap();
    assert_eq!((out.len(), out[0].returned_at), (1, None));
    // Not on site yet, or not this job's loaner: refused, nothing written.
    let queued = d.op_count();
    assert!(matches!(
        d.kit.return_loaner(id, loaner),
        Err(Error::Invalid { .. })
    ));
    d.walk(id, &none, &|next| next == "receipt_taken_back");
    assert!(matches!(
        d.kit.return_loaner(id, LoanerId::new()),
        Err(Error::NotFound { .. })
    ));
    let queued_on_site = d.op_count();
    assert!(queued_on_site > queued);
    d.tick();
    d.kit.return_loaner(id, loaner).unwrap();
    let returned = d.kit.loaners(id).unwrap()[0].returned_at;
    assert!(returned.is_some());
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.payload.clone()),
        (
            "return_loaner",
            serde_json::json!({"loaner": loaner.to_string()})
        )
    );
    assert!(matches!(
        d.kit.return_loaner(id, loaner),
        Err(Error::Invalid { .. })
    ));
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    assert_eq!(
        d.kit.loaners(id).unwrap()[0].returned_at,
        returned,
        "completion leaves the return as recorded"
    );
    judged_alike(&d, id);
    let (replay, _) = judge_journal(&d, id);
    assert_eq!(replay.loaners.get(&loaner.to_string()), Some(&true));
}

/// The loaner step matches the loaner records: with the loaner still out, neither
/// `collected` nor `none_lent` is accepted and completion is blocked; a lost loaner is an
/// exception with its reason, and the loaner stays out on the records.
#[test]
fn a_loaner_still_out_blocks_the_return_visit_until_returned_or_excepted_as_lost() {
    let d = device();
    let (id, _) = taken_back_with_a_loaner(&d);
    d.walk(id, &none, &|next| next == "loaner_status");
    let queued = d.op_count();
    for v in ["collected", "none_lent"] {
        let err = d
            .kit
            .answer_step(id, "loaner_status", &AnswerValue::Choice(v.into()))
            .unwrap_err();
        assert!(
            matches!(err, Error::Checklist(Refusal::LoanersDiffer { .. })),
            "{v}: {err}"
        );
    }
    assert_eq!(d.op_count(), queued, "refusals write nothing");
    let blockers = d.kit.checklist(id).unwrap().blockers;
    assert!(
        blockers
            .iter()
            .any(|b| b.reason == BlockReason::LoanerOut { count: 1 }),
        "{blockers:?}"
    );
    d.kit
        .except_step(id, "loaner_status", "客户称替补机已丢失，已报告")
        .unwrap();
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    assert_eq!(d.kit.loaners(id).unwrap()[0].returned_at, None);
    judged_alike(&d, id);
}
