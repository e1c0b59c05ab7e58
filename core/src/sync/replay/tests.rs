//! Signed means signed, by journal position: what may follow a customer's signature and what
//! is a mismatch (see `core/tests/it/replay.rs` for journals written by the real device).

use std::collections::HashMap;

use proptest::prelude::*;

use super::signature_problems;
use crate::checklist::AnswerValue;
use crate::media::signature::{
    SignedSummary, SummaryAnswer, SummaryFees, SummaryFinding, SummaryOrder, SummaryPart,
};

fn base() -> SignedSummary {
    SignedSummary {
        version: 1,
        work_order: SummaryOrder {
            id: "wo".into(),
            number: "WO-1".into(),
            kind: "repair".into(),
            product_model: "WM-8000".into(),
            product_serial: None,
            reported_fault: "does not drain".into(),
            billing: "paid".into(),
        },
        visit_id: "v".into(),
        findings: vec![],
        answers: vec![SummaryAnswer {
            step: "work_done".into(),
            answer: Some(AnswerValue::Text("replaced the pump".into())),
            exception: None,
        }],
        parts: vec![],
        fee_consent: Some(fees("f1", 13_000)),
        photos: vec!["aa".into()],
        take_back: None,
    }
    .canonicalize()
}

fn fees(id: &str, total: i64) -> SummaryFees {
    SummaryFees {
        id: id.into(),
        schedule_id: "standard".into(),
        schedule_version: 3,
        items: vec!["visit".into(), "labour".into()],
        total,
        agreed: true,
    }
}

/// Every item of the signed base at seq 5; the signature at seq 10.
fn positions(s: &SignedSummary) -> HashMap<String, (i64, bool)> {
    super::tests_support::positions_of(s, 5)
}

#[test]
fn a_new_fee_consent_after_sign_off_is_a_mismatch_whatever_its_time() {
    let signed = base();
    let mut now = signed.clone();
    now.fee_consent = Some(fees("f2", 99_000));
    let mut at = positions(&now);
    at.insert("fees:f2".into(), (11, false));
    let p = signature_problems(&signed, &now, &at, 10, true);
    assert!(p.iter().any(|p| p.contains("fees agreed changed")), "{p:?}");
    // Same items and amounts, but a new consent: still not what was signed.
    now.fee_consent = Some(fees("f3", 13_000));
    at.insert("fees:f3".into(), (11, false));
    assert!(!signature_problems(&signed, &now, &at, 10, false).is_empty());
}

#[test]
fn a_first_fee_consent_after_an_assessment_signature_is_fine_after_a_sign_off_it_is_not() {
    let mut signed = base();
    signed.fee_consent = None;
    let now = base();
    let mut at = positions(&now);
    at.insert("fees:f1".into(), (12, false));
    assert!(signature_problems(&signed, &now, &at, 10, false).is_empty());
    let p = signature_problems(&signed, &now, &at, 10, true);
    assert!(
        p.iter()
            .any(|p| p.contains("after the customer signed off")),
        "{p:?}"
    );
}

#[test]
fn close_out_answers_and_photos_may_follow_a_sign_off_nothing_else_may() {
    let signed = base();
    let mut now = signed.clone();
    now.answers.push(SummaryAnswer {
        step: "goodbye".into(),
        answer: Some(AnswerValue::Confirmed),
        exception: None,
    });
    now.photos.push("bb".into());
    let mut at = positions(&now);
    at.insert("answer:goodbye".into(), (11, true));
    at.insert("photo:bb".into(), (12, true));
    assert!(signature_problems(&signed, &now.clone().canonicalize(), &at, 10, true).is_empty());
    // A part after the sign-off is not.
    now.parts.push(SummaryPart {
        id: "p1".into(),
        sku: "PUMP-220".into(),
        quantity: 1,
        new_serial: None,
        old_part: "none".into(),
        old_serial: None,
    });
    at.insert("part:p1".into(), (13, false));
    let p = signature_problems(&signed, &now.canonicalize(), &at, 10, true);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("part record p1"), "{p:?}");
}

#[test]
fn an_item_recorded_before_the_signature_but_missing_from_it_is_a_mismatch() {
    let signed = base();
    let mut now = signed.clone();
    now.findings.push(SummaryFinding {
        id: "f".into(),
        kind: "tampering".into(),
        description: "seal broken".into(),
    });
    let mut at = positions(&now);
    at.insert("finding:f".into(), (7, false));
    let p = signature_problems(&signed, &now, &at, 10, false);
    assert!(
        p.iter().any(|p| p.contains("before the signature")),
        "{p:?}"
    );
    at.remove("finding:f");
    let p = signature_problems(&signed, &now, &at, 10, false);
    assert!(
        p.iter().any(|p| p.contains("not in the job's timeline")),
        "{p:?}"
    );
}

proptest! {
    /// An item added to what was signed is a problem exactly when it was recorded before the
    /// signature, or after a sign-off without being a close-out item.
    #[test]
    fn an_added_item_is_judged_by_its_place(
        which in 0usize..4, seq in 0i64..20, may_follow in any::<bool>(), signs_off in any::<bool>(),
    ) {
        let signed = base();
        let mut now = signed.clone();
        let key = match which {
            0 => {
                now.findings.push(SummaryFinding { id: "n".into(), kind: "other".into(), description: "x".into() });
                "finding:n".to_owned()
            }
            1 => {
                now.answers.push(SummaryAnswer { step: "n".into(), answer: Some(AnswerValue::Confirmed), exception: None });
                "answer:n".to_owned()
            }
            2 => {
                now.parts.push(SummaryPart { id: "n".into(), sku: "S".into(), quantity: 1, new_serial: None, old_part: "none".into(), old_serial: None });
                "part:n".to_owned()
            }
            _ => {
                now.photos.push("n".into());
                "photo:n".to_owned()
            }
        };
        let now = now.canonicalize();
        let mut at = positions(&now);
        prop_assume!(seq != 10);
        at.insert(key, (seq, may_follow));
        let expected = seq < 10 || (signs_off && !may_follow);
        let found = signature_problems(&signed, &now, &at, 10, signs_off);
        prop_assert_eq!(!found.is_empty(), expected, "{:?}", found);
    }
}
