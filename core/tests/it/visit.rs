//! A whole visit through the public API: every job kind reaches completion; paid work waits
//! for fee consent; completion lists what is missing; take-back and the return visit; the
//! outbox records everything, gapless.

use std::collections::HashSet;

use crate::common::*;
use fieldkit_core::Error;
use fieldkit_core::api::PartUse;
use fieldkit_core::checklist::{AnswerValue, BlockReason, StepKind};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::workflow::JobStatus;

fn outbox_is_gapless_and_ordered(d: &Device) {
    let ops = d.kit.pending_ops(i64::MAX).unwrap();
    let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, (1..=ops.len() as i64).collect::<Vec<_>>());
    let ids: HashSet<_> = ops.iter().map(|o| o.op_id).collect();
    assert_eq!(ids.len(), ops.len(), "op ids are unique");
    for w in ops.windows(2) {
        assert!(
            w[0].hlc < w[1].hlc,
            "HLC strictly increases: {} then {}",
            w[0].hlc,
            w[1].hlc
        );
    }
}

#[test]
fn demo_repair_visit_completes_and_queues_every_fact() {
    let d = device();
    let order = demo::repair_order(1, morning(), Billing::Warranty);
    d.kit.receive_work_order(&order).unwrap();
    let ops_before = d.op_count();
    let record = demo::walk_repair_visit(&d.kit, order.id, &mut |_| {
        d.tick();
        Ok(())
    })
    .unwrap();
    assert_eq!(d.kit.job(order.id).unwrap().status, JobStatus::Completed);
    assert_eq!(record.parts.len(), 1);
    assert_eq!(record.fee_consent.as_ref().map(|f| f.total), Some(13_000));
    assert_eq!(record.findings.len(), 1);
    assert!(record.findings[0].acknowledged_by.is_some());
    // The anomaly, the fees (the paid-service acknowledgement) and the service record.
    assert_eq!(record.signatures.len(), 3);
    assert!(record.travel_minutes > 0 && record.on_site_minutes > 0);
    outbox_is_gapless_and_ordered(&d);
    let kinds: Vec<String> = d.kit.pending_ops(i64::MAX).unwrap()[ops_before..]
        .iter()
        .map(|o| o.kind.clone())
        .collect();
    for k in [
        "accept",
        "call_customer",
        "start_travel",
        "notify_delay",
        "arrive",
        "answer_step",
        "record_finding",
        "add_photo",
        "sign",
        "consent_to_fees",
        "start_work",
        "record_part",
        "pause",
        "resume",
        "feedback",
        "complete",
    ] {
        assert!(kinds.iter().any(|x| x == k), "outbox has a {k} op");
    }
    assert_eq!(kinds.last().map(String::as_str), Some("complete"));
    assert_eq!(
        d.kit.van_stock().unwrap()[0].quantity,
        1,
        "2 issued, 1 used"
    );
}

#[test]
fn every_job_kind_completes_with_warranty_and_paid_billing() {
    for kind in JobKind::ALL {
        for billing in [Billing::Warranty, Billing::Paid] {
            let d = device();
            let id = d.order(kind, billing);
            d.plan(id);
            let choose = |step: &str| match step {
                "coverage" => Some(match billing {
                    Billing::Warranty => "warranty".to_owned(),
                    Billing::Paid => "paid".to_owned(),
                }),
                _ => None,
            };
            d.walk(id, &choose, &never);
            assert_eq!(
                d.kit.job(id).unwrap().status,
                JobStatus::Completed,
                "{kind:?} {billing:?}"
            );
            outbox_is_gapless_and_ordered(&d);
        }
    }
}

#[test]
fn paid_work_waits_for_the_customers_fee_consent() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Paid);
    d.plan(id);
    let choose = |s: &str| (s == "coverage").then(|| "paid".to_owned());
    d.walk(id, &choose, &|next| next == "fee_consent");
    // At the fee step, on site: work cannot start, parts cannot be recorded.
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Arrived);
    let err = d.kit.start_work(id).unwrap_err();
    match &err {
        Error::Blocked { blockers, .. } => {
            assert!(
                blockers
                    .iter()
                    .any(|b| b.step_id.as_deref() == Some("fee_consent")),
                "{err}"
            )
        }
        other => panic!("expected Blocked, got {other}"),
    }
    let part = PartUse {
        sku: "PUMP-220".into(),
        quantity: 1,
        new_serial: None,
        old_part: OldPartFate::None,
        old_serial: None,
    };
    assert!(matches!(
        d.kit.record_part(id, &part),
        Err(Error::Refused(_))
    ));
    let err = d
        .kit
        .answer_step(id, "work_done", &AnswerValue::Text("replaced pump".into()));
    assert!(err.is_err(), "a work step before consent is refused");
    // The customer declines: still blocked, now because consent was refused.
    let f = demo::fee_schedule();
    d.kit
        .consent_to_fees(id, &f.id, f.version, &["visit".into()], false)
        .unwrap();
    match d.kit.start_work(id).unwrap_err() {
        Error::Blocked { blockers, .. } => assert!(
            blockers
                .iter()
                .any(|b| b.reason == BlockReason::ConsentRefused)
        ),
        other => panic!("expected Blocked, got {other}"),
    }
    // Agreed, but not yet signed for (004 八 第4条(10)): still blocked, on the signature.
    d.kit
        .consent_to_fees(
            id,
            &f.id,
            f.version,
            &["visit".into(), "labour".into()],
            true,
        )
        .unwrap();
    match d.kit.start_work(id).unwrap_err() {
        Error::Blocked { blockers, .. } => assert_eq!(
            blockers
                .iter()
                .map(|b| (b.step_id.as_deref(), &b.reason))
                .collect::<Vec<_>>(),
            [(
                Some("fee_consent_signature"),
                &BlockReason::NeedsSignature {
                    role: SignerRole::Customer
                }
            )]
        ),
        other => panic!("expected Blocked, got {other}"),
    }
    assert!(matches!(
        d.kit.record_part(id, &part),
        Err(Error::Refused(_))
    ));
    // Signed over the summary with the fees: work starts.
    let summary = d.kit.summary_for_signing(id).unwrap();
    assert_eq!(summary.summary.fee_consent.map(|f| f.total), Some(13_000));
    d.kit
        .sign(
            id,
            &d.signature(SignerRole::Customer, Some("fee_consent_signature")),
        )
        .unwrap();
    assert_eq!(d.kit.start_work(id).unwrap(), JobStatus::InProgress);
    assert!(!d.kit.record_part(id, &part).unwrap().stock_short);
}

#[test]
fn completion_is_refused_with_every_missing_step_named() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "debris_removed");
    let ops = d.op_count();
    let err = d.kit.complete(id).unwrap_err();
    let Error::Blocked { blockers, .. } = &err else {
        panic!("{err}")
    };
    let named: Vec<_> = blockers.iter().filter_map(|b| b.step_id.clone()).collect();
    for step in [
        "debris_removed",
        "service_record_signature",
        "feedback",
        "customer_copy",
    ] {
        assert!(
            named.iter().any(|s| s == step),
            "{step} missing from: {err}"
        );
    }
    assert!(
        !named.iter().any(|s| s == "goodbye"),
        "optional steps do not block"
    );
    assert!(
        err.to_string().contains("Take a photo") || err.to_string().contains("photo"),
        "{err}"
    );
    assert_eq!(
        d.kit.job(id).unwrap().status,
        JobStatus::InProgress,
        "nothing moved"
    );
    assert_eq!(d.op_count(), ops, "nothing queued");
}

#[test]
fn an_unacknowledged_finding_blocks_completion_until_the_customer_signs() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "debris_removed");
    let finding = d
        .kit
        .record_finding(id, FindingKind::Tampering, "seal broken")
        .unwrap();
    d.walk(id, &none, &|next| next.is_empty());
    match d.kit.complete(id).unwrap_err() {
        Error::Blocked { blockers, .. } => assert!(
            blockers
                .iter()
                .any(|b| matches!(b.reason, BlockReason::FindingNotAcknowledged { count: 1 }))
        ),
        other => panic!("expected Blocked, got {other}"),
    }
    let mut sig = d.signature(SignerRole::Customer, None);
    sig.finding = Some(finding.id);
    d.kit.summary_for_signing(id).unwrap();
    d.kit.sign(id, &sig).unwrap();
    // That signature is now the customer's latest: the copy handed over must be its copy.
    assert!(d.kit.complete(id).is_err());
    d.kit
        .answer_step(id, "customer_copy", &AnswerValue::Confirmed)
        .unwrap();
    d.kit.complete(id).unwrap();
}

#[test]
fn take_back_then_the_return_visit_follows_its_own_checklist() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "respect_home");
    let receipt = demo::take_back_with_evidence(&d.kit, id).unwrap();
    assert!(receipt.loaner_id.is_some());
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::AwaitingReturn);
    // The repaired unit comes back: a new call plans visit 2 on the take-back template.
    d.call(id);
    let detail = d.kit.job(id).unwrap();
    let visit = detail.visit.unwrap();
    assert_eq!(
        (visit.number, visit.template.id.as_str()),
        (2, "take_back_return")
    );
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    outbox_is_gapless_and_ordered(&d);
}

#[test]
fn no_access_then_reschedule_and_a_second_visit() {
    let d = device();
    let id = d.order(JobKind::Installation, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|_| {
        d.kit.job(id).unwrap().status == JobStatus::EnRoute
    });
    assert_eq!(
        d.kit.no_access(id, "nobody home, door locked").unwrap(),
        JobStatus::NoAccess
    );
    let tomorrow = TimeWindow {
        start: morning() + chrono::Duration::days(1),
        end: morning() + chrono::Duration::days(1) + chrono::Duration::hours(2),
    };
    assert_eq!(
        d.kit
            .reschedule(id, tomorrow, "customer asked for tomorrow")
            .unwrap(),
        JobStatus::Accepted
    );
    assert!(
        matches!(d.kit.start_travel(id), Err(Error::Refused(_))),
        "call first"
    );
    d.call(id);
    d.walk(id, &none, &never);
    let detail = d.kit.job(id).unwrap();
    assert_eq!(detail.status, JobStatus::Completed);
    assert_eq!(detail.visit.unwrap().number, 2);
}

#[test]
fn late_arrival_is_known_and_so_is_a_notice_sent_in_time() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.kit
        .answer_step(id, "tools_parts_loaded", &AnswerValue::Confirmed)
        .unwrap();
    d.kit.start_travel(id).unwrap();
    let promised = d.kit.job(id).unwrap().order.promised;
    d.kit
        .notify_delay(id, "traffic", promised.end + chrono::Duration::minutes(30))
        .unwrap();
    d.clock.set(promised.end + chrono::Duration::minutes(25));
    let arrival = d.kit.arrive(id).unwrap();
    assert!(arrival.late && arrival.notified_in_time);
}

#[test]
fn using_a_part_the_van_does_not_hold_is_recorded_and_flagged() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "work_done");
    let used = d
        .kit
        .record_part(
            id,
            &PartUse {
                sku: "PUMP-220".into(),
                quantity: 3,
                new_serial: None,
                old_part: OldPartFate::Scrapped,
                old_serial: None,
            },
        )
        .unwrap();
    assert!(used.stock_short, "2 held, 3 used");
    assert_eq!(
        d.kit.van_stock().unwrap()[0].quantity,
        -1,
        "the ledger tells the truth"
    );
    assert_eq!(d.kit.parts_used(id).unwrap(), vec![used]);
    assert_eq!(d.kit.return_stock("PUMP-220", 1).unwrap(), -2);
    assert_eq!(d.kit.issue_stock("PUMP-220", 5).unwrap(), 3);
}

#[test]
fn todays_jobs_shows_today_and_open_overdue_work_only() {
    let d = device();
    let today = d.order(JobKind::Repair, Billing::Warranty);
    let mut old_open =
        demo::repair_order(2, morning() - chrono::Duration::days(3), Billing::Warranty);
    old_open.number = "WO-OLD-OPEN".into();
    let mut old_done =
        demo::repair_order(3, morning() - chrono::Duration::days(3), Billing::Warranty);
    old_done.number = "WO-OLD-DONE".into();
    let mut tomorrow =
        demo::repair_order(4, morning() + chrono::Duration::days(1), Billing::Warranty);
    tomorrow.number = "WO-TOMORROW".into();
    for o in [&old_open, &old_done, &tomorrow] {
        d.kit.receive_work_order(o).unwrap();
    }
    d.kit.cancel(old_done.id, "customer cancelled").unwrap();
    let ids: Vec<_> = d
        .kit
        .todays_jobs()
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, vec![old_open.id, today], "overdue first, then today's");
}

#[test]
fn the_outbox_sequence_continues_gapless_after_reopening() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.kit.accept(id).unwrap();
    let before = d.op_count();
    let d = d.reopen();
    d.call(id);
    d.kit
        .answer_step(id, "tools_parts_loaded", &AnswerValue::Confirmed)
        .unwrap();
    assert_eq!(d.op_count(), before + 2);
    outbox_is_gapless_and_ordered(&d);
}

#[test]
fn the_write_ahead_log_stays_bounded_and_truncates_on_request() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "work_done");
    let wal = d.dir.path().join("fieldkit.db-wal");
    // Each answer writes a few 4 KiB pages: 3,000 of them would make a WAL of tens of MiB
    // if nothing checkpointed it (the writer never does, inside a command).
    let mut largest = 0;
    for i in 0..3000 {
        d.kit
            .answer_step(
                id,
                "work_done",
                &AnswerValue::Text(format!("pump replaced, try {i}")),
            )
            .unwrap();
        largest = largest.max(std::fs::metadata(&wal).unwrap().len());
    }
    assert!(largest < 24 * 1024 * 1024, "WAL grew to {largest} bytes");
    assert!(d.kit.checkpoint().unwrap());
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
    assert!(d.kit.store().integrity_check().unwrap().is_empty());
}

#[test]
fn the_same_photo_added_twice_is_stored_and_queued_once() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "debris_removed");
    let photo = demo::fake_photo("the floor, clean");
    let first = d.kit.add_photo(id, Some("debris_removed"), &photo).unwrap();
    let ops = d.op_count();
    let again = d.kit.add_photo(id, Some("debris_removed"), &photo).unwrap();
    assert_eq!(first.sha256, again.sha256);
    assert_eq!(
        d.op_count(),
        ops,
        "recognised by its hash: nothing queued twice"
    );
    let stored = d.kit.attachment_bytes(&first.sha256).unwrap();
    assert_ne!(stored, photo, "stored normalized, not as given");
    let thumb = first.thumbnail_sha256.clone().unwrap();
    assert!(d.kit.attachment_bytes(&thumb).unwrap().len() < stored.len());
}

#[test]
fn the_checklist_view_carries_each_steps_full_kind() {
    let d = device();
    let id = d.order(JobKind::Installation, Billing::Warranty);
    d.plan(id);
    let view = d.kit.checklist(id).unwrap();
    let step = |sid: &str| view.steps.iter().find(|s| s.id == sid).unwrap().clone();
    let voltage = step("supply_voltage");
    assert_eq!(voltage.kind, "number");
    assert!(
        matches!(&voltage.spec, StepKind::Number { unit, min, max }
            if unit == "V" && *min == 180.0 && *max == 250.0),
        "{:?}",
        voltage.spec
    );
    let coverage = view.steps.iter().find(|s| s.kind == "choice").unwrap();
    assert!(
        matches!(&coverage.spec, StepKind::Choice { options } if options.len() == 2),
        "{:?}",
        coverage.spec
    );
}

#[test]
fn waiting_for_a_part_ends_the_visit_and_a_follow_up_visit_completes() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "work_done");
    let part = |sku: &str, quantity| PartRequest {
        sku: sku.into(),
        quantity,
    };
    let queued = d.kit.pending_ops(i64::MAX).unwrap().len();
    // Bad requests are refused by name and change nothing.
    for (parts, note) in [
        (vec![], "drain pump seized"),
        (vec![part("PUMP-220", 0)], "drain pump seized"),
        (
            vec![part("PUMP-220", 1), part("PUMP-220", 2)],
            "drain pump seized",
        ),
        (vec![part("PUMP-220", 1)], "   "),
    ] {
        assert!(
            matches!(
                d.kit.await_parts(id, &parts, note),
                Err(Error::Invalid { .. })
            ),
            "{parts:?} {note:?}"
        );
    }
    assert!(matches!(
        d.kit
            .await_parts(id, &[part("NO-SUCH-PART", 1)], "drain pump seized"),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::InProgress);
    assert_eq!(d.kit.pending_ops(i64::MAX).unwrap().len(), queued);

    let status = d
        .kit
        .await_parts(
            id,
            &[part("PUMP-220", 1)],
            "drain pump seized, none in the van",
        )
        .unwrap();
    assert_eq!(status, JobStatus::AwaitingParts);
    let ops = d.kit.pending_ops(i64::MAX).unwrap();
    let last = ops.last().unwrap();
    assert_eq!(last.kind, "await_parts");
    assert_eq!(
        last.payload,
        serde_json::json!({
            "parts": [{"sku": "PUMP-220", "quantity": 1}],
            "note": "drain pump seized, none in the van"
        })
    );
    let detail = d.kit.job(id).unwrap();
    assert_eq!(detail.order.status, WorkOrderStatus::AwaitingParts);
    assert!(matches!(d.kit.start_travel(id), Err(Error::Refused(_))));
    // The part is in: the call plans visit 2, on the job's own checklist, and it completes.
    d.call(id);
    let visit = d.kit.job(id).unwrap().visit.unwrap();
    assert_eq!((visit.number, visit.template.id.as_str()), (2, "repair"));
    d.walk(id, &none, &never);
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::Completed);
    outbox_is_gapless_and_ordered(&d);
}

#[test]
fn a_refused_signature_ends_the_visit_with_its_reason_and_a_witness_or_photo() {
    let d = device();
    let id = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(id);
    d.walk(id, &none, &|next| next == "work_done");
    let queued = d.kit.pending_ops(i64::MAX).unwrap().len();
    let stranger = "0".repeat(64);
    // Refused by name, nothing changed: no reason, neither witness nor photo, a blank witness,
    // a photo that is not one of this visit's.
    for (reason, witness, photo) in [
        (" ", Some("Li Wei"), None),
        ("disagrees with the fee", None, None),
        ("disagrees with the fee", Some(" "), None),
        ("disagrees with the fee", None, Some(stranger.as_str())),
    ] {
        assert!(
            matches!(
                d.kit.refuse_signature(id, reason, witness, photo),
                Err(Error::Invalid { .. })
            ),
            "{reason:?} {witness:?} {photo:?}"
        );
    }
    assert_eq!(d.kit.job(id).unwrap().status, JobStatus::InProgress);
    assert_eq!(d.kit.pending_ops(i64::MAX).unwrap().len(), queued);
    // A photo of this visit serves as the evidence.
    let photo = d
        .kit
        .add_photo(id, None, &demo::fake_photo("the finished work"))
        .unwrap();
    let status = d
        .kit
        .refuse_signature(id, "disagrees with the fee", None, Some(&photo.sha256))
        .unwrap();
    assert_eq!(status, JobStatus::SignatureRefused);
    let last = d.kit.pending_ops(i64::MAX).unwrap().pop().unwrap();
    assert_eq!(last.kind, "refuse_signature");
    assert_eq!(
        last.payload,
        serde_json::json!({
            "reason": "disagrees with the fee",
            "witness": null,
            "photo_sha256": photo.sha256,
        })
    );
    // The desk may send the technician again: the next call plans visit 2.
    d.call(id);
    assert_eq!(d.kit.job(id).unwrap().visit.unwrap().number, 2);
}
