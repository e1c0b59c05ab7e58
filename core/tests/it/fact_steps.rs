//! The checklist ticks tied to facts (templates v3), through the public API on a real device
//! database, and judged by the server's rules: the anomaly is a finding the customer signed,
//! the parts review records the parts it confirmed, the customer's copy records the hash it
//! shows. Refusals write nothing.

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::PartUse;
use fieldkit_core::checklist::{AnswerValue, BlockReason, Refusal, StepStatus};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;

/// The payload of the job's latest queued op.
fn last_payload(d: &Device) -> serde_json::Value {
    d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap().payload
}

fn status(d: &Device, id: WorkOrderId, step: &str) -> StepStatus {
    d.kit
        .checklist(id)
        .unwrap()
        .steps
        .into_iter()
        .find(|s| s.id == step)
        .unwrap()
        .status
}

fn pump() -> PartUse {
    PartUse {
        sku: "PUMP-220".into(),
        quantity: 1,
        new_serial: None,
        old_part: OldPartFate::None,
        old_serial: None,
    }
}

#[test]
fn an_anomaly_is_signed_on_its_step_only_naming_the_finding() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    // The walker answers yes/no steps `yes`: answer `unit_intact` by hand.
    d.walk(id, &none, &|next| next == "unit_intact");
    d.kit
        .answer_step(id, "unit_intact", &AnswerValue::YesNo(false))
        .unwrap();
    d.walk(id, &none, &|next| next == "anomaly_signature");
    let queued = d.op_count();
    // A customer signature on the step naming no finding: refused, nothing written.
    d.kit.summary_for_signing(id).unwrap();
    let queued_shown = d.op_count();
    assert!(queued_shown >= queued);
    let err = d
        .kit
        .sign(
            id,
            &d.signature(SignerRole::Customer, Some("anomaly_signature")),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Checklist(Refusal::FindingNotNamed { .. })),
        "{err}"
    );
    assert_eq!(d.op_count(), queued_shown, "nothing queued");
    let blockers = d.kit.checklist(id).unwrap().blockers;
    assert!(
        blockers
            .iter()
            .any(|b| b.reason == BlockReason::NeedsFinding),
        "{blockers:?}"
    );
    // Recorded, signed naming it: the step is satisfied and the visit goes on to completion.
    demo::sign_finding_step(&d.kit, id, "anomaly_signature").unwrap();
    assert_eq!(status(&d, id, "anomaly_signature"), StepStatus::Satisfied);
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    judged_alike(&d, id);
}

#[test]
fn the_parts_review_records_the_parts_it_confirmed_and_reopens_on_a_new_part() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "parts_reviewed");
    let used = d.kit.record_part(id, &pump()).unwrap();
    d.tick();
    // A list that is not the parts recorded: refused, nothing written.
    let queued = d.op_count();
    for wrong in [vec![], vec![PartUsageId::new().to_string()]] {
        let err = d
            .kit
            .answer_step(id, "parts_reviewed", &AnswerValue::PartsReviewed(wrong))
            .unwrap_err();
        assert!(
            matches!(err, Error::Checklist(Refusal::PartsMismatch { .. })),
            "{err}"
        );
    }
    assert_eq!(d.op_count(), queued);
    // The tick confirms the parts as recorded: the op carries their ids.
    d.kit
        .answer_step(id, "parts_reviewed", &AnswerValue::Confirmed)
        .unwrap();
    assert_eq!(
        last_payload(&d)["answer"],
        serde_json::json!({ "type": "parts_reviewed", "value": [used.id.to_string()] })
    );
    assert_eq!(status(&d, id, "parts_reviewed"), StepStatus::Satisfied);
    // Another part recorded: the review no longer holds until confirmed again.
    d.tick();
    let second = d.kit.record_part(id, &pump()).unwrap();
    assert_eq!(status(&d, id, "parts_reviewed"), StepStatus::Pending);
    let blockers = d.kit.checklist(id).unwrap().blockers;
    assert!(
        blockers
            .iter()
            .any(|b| b.reason == BlockReason::PartsChanged),
        "{blockers:?}"
    );
    d.tick();
    let mut both = vec![used.id.to_string(), second.id.to_string()];
    both.reverse();
    d.kit
        .answer_step(id, "parts_reviewed", &AnswerValue::PartsReviewed(both))
        .unwrap();
    assert_eq!(status(&d, id, "parts_reviewed"), StepStatus::Satisfied);
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    judged_alike(&d, id);
}

#[test]
fn the_customer_copy_records_the_hash_of_the_latest_signature() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "service_record_signature");
    d.kit.summary_for_signing(id).unwrap();
    let signed = d
        .kit
        .sign(
            id,
            &d.signature(SignerRole::Customer, Some("service_record_signature")),
        )
        .unwrap()
        .summary_sha256
        .unwrap();
    d.walk(id, &none, &|next| next == "customer_copy");
    let queued = d.op_count();
    let other = "0".repeat(64);
    let err = d
        .kit
        .answer_step(id, "customer_copy", &AnswerValue::CopyHanded(other))
        .unwrap_err();
    assert!(
        matches!(err, Error::Checklist(Refusal::NotTheSignedCopy { .. })),
        "{err}"
    );
    assert_eq!(d.op_count(), queued);
    d.kit
        .answer_step(id, "customer_copy", &AnswerValue::Confirmed)
        .unwrap();
    assert_eq!(
        last_payload(&d)["answer"],
        serde_json::json!({ "type": "copy_handed", "value": signed })
    );
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    judged_alike(&d, id);
}
