//! Property test over the public API: random technician commands on a real device database.
//! Whatever is tapped: a refused command changes nothing, the outbox stays gapless, the job
//! never completes while the checklist still has blockers, a completed job's checklist has
//! every applicable required step done, and the server's judge, replaying the journal, accepts
//! every op the device wrote and ends in the device's own state.

use crate::common::*;
use fieldkit_core::checklist::{AnswerValue, StepStatus};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::replay::Verdict;
use fieldkit_core::workflow::JobStatus;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Cmd {
    Accept,
    Call(bool),
    StartTravel,
    Arrive,
    StartWork,
    Pause,
    Resume,
    /// Answer the step the checklist proposes next.
    AnswerNext,
    /// Answer step #i of the template with a value of kind #k.
    Answer(usize, u8),
    Except(usize),
    Photo(usize),
    Sign(usize, bool),
    ShowSummary,
    Fees(bool),
    Finding,
    Complete,
    /// 0: the receipt shown, 1: signed, 2: the take-back naming the latest photo, 3: the
    /// take-back with no evidence.
    TakeBack(u8),
    NoAccess,
    /// 待件: a part requested, in the catalogue or not.
    AwaitParts(bool),
    /// The customer refuses to sign: with a witness, or with neither witness nor photo.
    RefuseSignature(bool),
    /// The customer declines the quote.
    DeclineQuote,
    /// Another visit is needed.
    SecondVisit,
    /// A record of damage on delivery (or of tampering).
    Damage(bool),
    /// The customer signs the latest finding.
    SignFinding,
    /// A redelivery of the latest damaged-on-delivery finding (or of an unknown finding).
    Redeliver,
    /// The job's first loaner taken back (or a loaner the job never lent).
    ReturnLoaner,
    /// The call-out fee settled: the consented amount, or (true) another with its reason.
    Settle(bool),
    Reschedule,
    Cancel,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        2 => Just(Cmd::Accept),
        2 => any::<bool>().prop_map(Cmd::Call),
        2 => Just(Cmd::StartTravel),
        2 => Just(Cmd::Arrive),
        3 => Just(Cmd::StartWork),
        1 => Just(Cmd::Pause),
        1 => Just(Cmd::Resume),
        12 => Just(Cmd::AnswerNext),
        4 => (0usize..30, 0u8..6).prop_map(|(i, k)| Cmd::Answer(i, k)),
        1 => (0usize..30).prop_map(Cmd::Except),
        2 => (0usize..30).prop_map(Cmd::Photo),
        2 => (0usize..30, any::<bool>()).prop_map(|(i, c)| Cmd::Sign(i, c)),
        2 => Just(Cmd::ShowSummary),
        2 => any::<bool>().prop_map(Cmd::Fees),
        1 => Just(Cmd::Finding),
        4 => Just(Cmd::Complete),
        2 => (0u8..4).prop_map(Cmd::TakeBack),
        1 => Just(Cmd::NoAccess),
        1 => any::<bool>().prop_map(Cmd::AwaitParts),
        1 => any::<bool>().prop_map(Cmd::RefuseSignature),
        1 => Just(Cmd::DeclineQuote),
        1 => Just(Cmd::SecondVisit),
        1 => any::<bool>().prop_map(Cmd::Damage),
        1 => Just(Cmd::SignFinding),
        1 => Just(Cmd::Redeliver),
        1 => Just(Cmd::ReturnLoaner),
        2 => any::<bool>().prop_map(Cmd::Settle),
        1 => Just(Cmd::Reschedule),
        1 => Just(Cmd::Cancel),
    ]
}

fn value(k: u8, i: usize) -> AnswerValue {
    match k {
        0 => AnswerValue::Confirmed,
        1 => AnswerValue::YesNo(i.is_multiple_of(2)),
        2 => AnswerValue::Choice(
            if i.is_multiple_of(2) {
                "paid"
            } else {
                "warranty"
            }
            .into(),
        ),
        3 => AnswerValue::Text("looked at it".into()),
        4 => AnswerValue::Number(150.0 + i as f64 * 10.0),
        _ => AnswerValue::Serial(format!("SN{i}")),
    }
}

fn run(d: &Device, id: WorkOrderId, c: &Cmd) -> Result<(), fieldkit_core::Error> {
    let k = &d.kit;
    let step_id = |i: usize| -> String {
        k.checklist(id)
            .ok()
            .and_then(|v| v.steps.get(i % v.steps.len().max(1)).map(|s| s.id.clone()))
            .unwrap_or_else(|| "id_badge".into())
    };
    match c {
        Cmd::Accept => k.accept(id).map(drop),
        Cmd::Call(reached) => k
            .call_customer(
                id,
                &fieldkit_core::api::CallOutcome {
                    reached: *reached,
                    confirmed: CallConfirmations::all(),
                    agreed: None,
                    note: None,
                },
            )
            .map(drop),
        Cmd::StartTravel => k.start_travel(id).map(drop),
        Cmd::Arrive => k.arrive(id).map(drop),
        Cmd::StartWork => k.start_work(id).map(drop),
        Cmd::Pause => k.pause(id, "customer's meal").map(drop),
        Cmd::Resume => k.resume(id).map(drop),
        Cmd::AnswerNext => {
            let next = k.checklist(id).ok().and_then(|v| v.next);
            match next {
                Some(s) => {
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        d.answer(id, &s, &|_| None)
                    }));
                    if result.is_err() {
                        return Err(fieldkit_core::Error::Invalid {
                            field: "walker",
                            reason: "could not answer".into(),
                        });
                    }
                    Ok(())
                }
                None => k
                    .answer_step(id, "id_badge", &AnswerValue::Confirmed)
                    .map(drop),
            }
        }
        Cmd::Answer(i, kind) => k.answer_step(id, &step_id(*i), &value(*kind, *i)).map(drop),
        Cmd::Except(i) => k
            .except_step(id, &step_id(*i), "customer declined")
            .map(drop),
        Cmd::Photo(i) => k
            .add_photo(id, Some(&step_id(*i)), &demo::fake_photo(&format!("p{i}")))
            .map(drop),
        Cmd::Sign(i, customer) => {
            let role = if *customer {
                SignerRole::Customer
            } else {
                SignerRole::Technician
            };
            k.sign(id, &d.signature(role, Some(&step_id(*i)))).map(drop)
        }
        Cmd::ShowSummary => k.summary_for_signing(id).map(drop),
        Cmd::Fees(agreed) => {
            let f = demo::fee_schedule();
            k.consent_to_fees(id, &f.id, f.version, &["visit".into()], *agreed)
                .map(drop)
        }
        Cmd::Finding => k
            .record_finding(id, FindingKind::Tampering, "seal broken")
            .map(drop),
        Cmd::Complete => k.complete(id).map(drop),
        Cmd::TakeBack(0) => demo::show_take_back_receipt(k, id),
        Cmd::TakeBack(1) => demo::sign_take_back_receipt(k, id),
        Cmd::TakeBack(2) => demo::take_back_citing_photos(k, id).map(drop),
        Cmd::TakeBack(_) => k.take_back(id, &demo::sample_take_back()).map(drop),
        Cmd::NoAccess => k.no_access(id, "nobody home").map(drop),
        Cmd::AwaitParts(known) => {
            let (parts, note) = demo::sample_parts_wait(*known);
            k.await_parts(id, &parts, note).map(drop)
        }
        Cmd::RefuseSignature(witnessed) => {
            let (reason, witness) = demo::sample_refusal(*witnessed);
            k.refuse_signature(id, reason, witness, None).map(drop)
        }
        Cmd::DeclineQuote => k.decline_quote(id, demo::SAMPLE_QUOTE_DECLINED).map(drop),
        Cmd::SecondVisit => k.need_second_visit(id, demo::SAMPLE_SECOND_VISIT).map(drop),
        Cmd::Damage(on_delivery) => demo::record_damage(k, id, *on_delivery),
        Cmd::SignFinding => demo::sign_latest_finding(k, id),
        Cmd::Redeliver => demo::redeliver_latest_damage(k, id),
        Cmd::ReturnLoaner => demo::return_first_loaner(k, id),
        Cmd::Settle(differs) => demo::settle_call_out(k, id, *differs),
        Cmd::Reschedule => {
            let start = morning() + chrono::Duration::days(1);
            k.reschedule(
                id,
                TimeWindow {
                    start,
                    end: start + chrono::Duration::hours(2),
                },
                "customer asked",
            )
            .map(drop)
        }
        Cmd::Cancel => k.cancel(id, "customer cancelled").map(drop),
    }
}

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn random_commands_never_break_the_rules(
        kind in prop::sample::select(JobKind::ALL.to_vec()),
        paid in any::<bool>(),
        cmds in prop::collection::vec(cmd(), 1..70),
    ) {
        let d = device();
        let id = d.order(kind, if paid { Billing::Paid } else { Billing::Warranty });
        for c in &cmds {
            d.tick();
            let ops_before = d.kit.pending_ops(i64::MAX).unwrap();
            let job_before = d.kit.job(id).unwrap();
            let checklist_before = d.kit.checklist(id).ok();
            match run(&d, id, c) {
                Ok(()) => {
                    let after = d.kit.job(id).unwrap();
                    if after.status == JobStatus::Completed && job_before.status != JobStatus::Completed {
                        let view = checklist_before.expect("a visit was open");
                        prop_assert!(view.blockers.is_empty(), "completed with blockers: {:?}", view.blockers);
                        for s in view.steps.iter().filter(|s| s.required && s.applicable) {
                            prop_assert!(
                                matches!(s.status, StepStatus::Satisfied | StepStatus::Excepted),
                                "completed with {} {:?}", s.id, s.status
                            );
                        }
                    }
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    prop_assert_eq!(&d.kit.pending_ops(i64::MAX).unwrap(), &ops_before, "{:?} refused but queued", c);
                    prop_assert_eq!(&d.kit.job(id).unwrap(), &job_before, "{:?} refused but moved", c);
                }
            }
            let ops = d.kit.pending_ops(i64::MAX).unwrap();
            prop_assert!(ops.iter().enumerate().all(|(i, o)| o.seq == i as i64 + 1), "gapless");
        }
        prop_assert!(d.kit.store().integrity_check().unwrap().is_empty());
        let (replay, verdicts) = judge_journal(&d, id);
        for (kind, v) in &verdicts {
            match v {
                Verdict::Accepted => {}
                Verdict::Completion(check) => prop_assert!(check.ok(), "{} held: {:?}", kind, check),
                Verdict::Refused(r) => prop_assert!(false, "{} refused: {:?}", kind, r),
            }
        }
        let job = d.kit.job(id).unwrap();
        prop_assert_eq!(replay.order, job.order.status);
        prop_assert_eq!(
            replay.open_visit().map(|v| v.status),
            job.visit.filter(|v| v.status.is_open()).map(|v| v.status)
        );
    }
}

proptest! {
    #![proptest_config(proptest_config(24))]

    /// Checklist answers run on the job kept in memory since the last answer; a device that
    /// reads the job back from the database before every command decides exactly the same.
    #[test]
    fn the_job_kept_in_memory_decides_as_the_database_does(
        kind in prop::sample::select(JobKind::ALL.to_vec()),
        paid in any::<bool>(),
        cmds in prop::collection::vec(
            prop_oneof![3 => Just(Cmd::AnswerNext), 1 => cmd()], 1..60),
    ) {
        let billing = if paid { Billing::Paid } else { Billing::Warranty };
        let (kept, reread) = (device(), device());
        let (a, b) = (kept.order(kind, billing), reread.order(kind, billing));
        let fees = demo::fee_schedule();
        // Get on site first, so most commands meet an open visit and its checklist.
        let mut walk = vec![Cmd::Accept, Cmd::Call(true), Cmd::AnswerNext, Cmd::StartTravel,
                            Cmd::Arrive];
        walk.extend(cmds);
        for c in &walk {
            kept.tick();
            reread.tick();
            // Any write that is not a command on the job makes the device forget it.
            reread.kit.set_fee_schedule(&fees).unwrap();
            let (ra, rb) = (run(&kept, a, c), run(&reread, b, c));
            prop_assert_eq!(ra.is_ok(), rb.is_ok(), "{:?}: {:?} vs {:?}", c, ra, rb);
            prop_assert_eq!(kept.kit.job(a).unwrap().status, reread.kit.job(b).unwrap().status);
            let view = |d: &Device, id| d.kit.checklist(id).ok().map(|v| {
                (v.next, v.steps.into_iter().map(|s| (s.id, s.status)).collect::<Vec<_>>())
            });
            prop_assert_eq!(view(&kept, a), view(&reread, b), "after {:?}", c);
        }
    }
}
