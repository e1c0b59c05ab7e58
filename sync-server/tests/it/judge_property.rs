//! Property test: random technician commands through the real device, the journal pushed to
//! the real server — the server's judgement of every op equals the device's own. The device
//! wrote only what its rules accepted, so every op is `applied`; a completion the device made
//! counts on the server (never held), and the job's state on both sides agrees. Half the runs
//! end with the technician following the checklist to the end, so completions (re-signed
//! after a change, returned after a take-back…) are judged too, not only partial visits.

use crate::common::{self, Backend, TestServer, server, to_wire};
use chrono::Utc;
use fieldkit_core::api::{CallOutcome, SignatureInput};
use fieldkit_core::checklist::{AnswerValue, StepKind};
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, FieldKit, demo};
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
    /// Answer the step the checklist proposes next (as a technician following it would).
    AnswerNext,
    /// Answer step #i of the visit's checklist with a value of kind #k.
    Answer(usize, u8),
    Except(usize),
    Photo(usize),
    Sign(usize, bool),
    ShowSummary,
    Fees(bool),
    Finding,
    Part,
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
        3 => Just(Cmd::StartTravel),
        3 => Just(Cmd::Arrive),
        3 => Just(Cmd::StartWork),
        1 => Just(Cmd::Pause),
        1 => Just(Cmd::Resume),
        16 => Just(Cmd::AnswerNext),
        3 => (0usize..30, 0u8..10).prop_map(|(i, k)| Cmd::Answer(i, k)),
        1 => (0usize..30).prop_map(Cmd::Except),
        2 => (0usize..30).prop_map(Cmd::Photo),
        2 => (0usize..30, any::<bool>()).prop_map(|(i, c)| Cmd::Sign(i, c)),
        2 => Just(Cmd::ShowSummary),
        2 => any::<bool>().prop_map(Cmd::Fees),
        1 => Just(Cmd::Finding),
        1 => Just(Cmd::Part),
        5 => Just(Cmd::Complete),
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
        // Forged fact answers: no parts, a copy never signed, a loaner never lent.
        5 => AnswerValue::PartsReviewed(Vec::new()),
        6 => AnswerValue::CopyHanded(format!("{i:064x}")),
        7 => AnswerValue::Choice(
            if i.is_multiple_of(2) {
                "collected"
            } else {
                "none_lent"
            }
            .into(),
        ),
        // A forged return decision: a full refund, whatever the rules say.
        8 => AnswerValue::ReturnDecision(ReturnDecision {
            found: demo::return_findings(),
            decision: returns::ReturnAnswer {
                outcome: returns::Outcome::Return,
                reason: returns::Reason::WithinWindow,
                price_basis: Some(returns::PriceBasis::Original),
                amount: 329_900 + i as i64,
                days_since_sale: 0,
            },
        }),
        _ => AnswerValue::Serial(format!("SN{i}")),
    }
}

fn signature(role: SignerRole, step: Option<String>) -> SignatureInput {
    SignatureInput {
        signer_name: "王女士".into(),
        role,
        strokes: demo::signature_strokes(5),
        step_id: step,
        finding: None,
    }
}

/// Answers the step `step` the way the checklist asks (a photo, a signature, a consent…).
fn answer_next(k: &FieldKit, id: WorkOrderId, step: &str) -> fieldkit_core::Result<()> {
    let view = k.checklist(id)?;
    let Some(s) = view.steps.iter().find(|s| s.id == step) else {
        return Ok(());
    };
    match &s.spec {
        StepKind::Confirm => k.answer_step(id, step, &AnswerValue::Confirmed).map(drop),
        StepKind::YesNo => k.answer_step(id, step, &AnswerValue::YesNo(true)).map(drop),
        // The fee is settled, not ticked: the consented call-out fee (the consent below).
        StepKind::Choice { .. } if step == "fee_settled" => demo::settle_call_out(k, id, false),
        StepKind::Choice { options } => k
            .answer_step(id, step, &AnswerValue::Choice(options[0].value.clone()))
            .map(drop),
        StepKind::Text { .. } => k
            .answer_step(id, step, &AnswerValue::Text("done as agreed".into()))
            .map(drop),
        StepKind::Number { min, max, .. } => k
            .answer_step(id, step, &AnswerValue::Number((min + max) / 2.0))
            .map(drop),
        StepKind::Serial => k
            .answer_step(id, step, &AnswerValue::Serial("SN-1234".into()))
            .map(drop),
        StepKind::Photo { min_count } => (0..*min_count).try_for_each(|i| {
            k.add_photo(id, Some(step), &demo::fake_photo(&format!("{step}{i}")))
                .map(drop)
        }),
        StepKind::Signature { role } => {
            if *role == SignerRole::Customer {
                k.summary_for_signing(id)?;
            }
            k.sign(id, &signature(*role, Some(step.to_owned())))
                .map(drop)
        }
        StepKind::FeeConsent => {
            let f = demo::fee_schedule();
            k.consent_to_fees(id, &f.id, f.version, &["visit".into()], true)
                .map(drop)
        }
        StepKind::PreVisitCall => Ok(()),
        StepKind::Feedback => k.feedback(id, 5, None, false).map(drop),
        StepKind::Finding => demo::sign_finding_step(k, id, step).map(drop),
        StepKind::PartsReview | StepKind::CustomerCopy => {
            k.answer_step(id, step, &AnswerValue::Confirmed).map(drop)
        }
        StepKind::Loaners { .. } => demo::settle_loaner_step(k, id, step).map(drop),
        StepKind::ReturnDecision => {
            let found = demo::return_findings();
            let decision = k.return_decision(id, &found)?;
            k.answer_step(
                id,
                step,
                &AnswerValue::ReturnDecision(ReturnDecision { found, decision }),
            )
            .map(drop)
        }
    }
}

fn run(k: &FieldKit, id: WorkOrderId, c: &Cmd) -> fieldkit_core::Result<()> {
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
                &CallOutcome {
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
        Cmd::AnswerNext => match k.checklist(id).ok().and_then(|v| v.next) {
            Some(s) => answer_next(k, id, &s),
            None => Ok(()),
        },
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
            k.sign(id, &signature(role, Some(step_id(*i)))).map(drop)
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
        Cmd::Part => k
            .record_part(
                id,
                &fieldkit_core::api::PartUse {
                    sku: "PUMP-220".into(),
                    quantity: 1,
                    new_serial: None,
                    old_part: OldPartFate::None,
                    old_serial: None,
                },
            )
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
            let start = Utc::now() + chrono::Duration::days(1);
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

/// A technician who, after whatever was tapped, follows the checklist to the end: answers
/// what it asks next, moves the visit along, calls again after no access, resumes a paused
/// visit, and has the customer sign again when the record changed since they signed. Gives
/// up when nothing moves (a finding nobody confirmed, a cancelled job…).
fn finish(k: &FieldKit, id: WorkOrderId) {
    let mut stuck = 0;
    // A case where signing again never clears the mismatch (the random steps keep changing
    // what was signed) would re-sign on every turn while the journal grows: give up after a
    // few, the job left unfinished like any other the phone could not complete.
    let mut signed_again = 0;
    for _ in 0..300 {
        let Ok(job) = k.job(id) else { return };
        let r = match job.status {
            JobStatus::Completed
            | JobStatus::Cancelled
            | JobStatus::QuoteDeclined
            | JobStatus::RedeliveryRequested => return,
            JobStatus::Assigned => k.accept(id).map(drop),
            JobStatus::Accepted
            | JobStatus::NoAccess
            | JobStatus::AwaitingReturn
            | JobStatus::AwaitingParts
            | JobStatus::SignatureRefused
            | JobStatus::SecondVisitNeeded => run(k, id, &Cmd::Call(true)),
            JobStatus::Paused => k.resume(id).map(drop),
            JobStatus::Confirmed
            | JobStatus::EnRoute
            | JobStatus::Arrived
            | JobStatus::InProgress => match k.checklist(id).ok().and_then(|v| v.next) {
                Some(step) => answer_next(k, id, &step),
                None => match job.status {
                    JobStatus::Confirmed => k.start_travel(id).map(drop),
                    JobStatus::EnRoute => k.arrive(id).map(drop),
                    JobStatus::Arrived => k.start_work(id).map(drop),
                    _ => match k.complete(id) {
                        Err(fieldkit_core::Error::Blocked { blockers, .. })
                            if blockers.iter().any(|b| {
                                matches!(
                                    b.reason,
                                    fieldkit_core::checklist::BlockReason::SignatureMismatch { .. }
                                )
                            }) =>
                        {
                            signed_again += 1;
                            if signed_again > 3 {
                                return;
                            }
                            sign_again(k, id)
                        }
                        other => other.map(drop),
                    },
                },
            },
        };
        if r.is_err() {
            stuck += 1;
            if stuck > 5 {
                return;
            }
        } else {
            stuck = 0;
        }
    }
}

/// The customer is shown the record as it stands and signs every customer step again.
fn sign_again(k: &FieldKit, id: WorkOrderId) -> fieldkit_core::Result<()> {
    let view = k.checklist(id)?;
    for s in view.steps.iter().filter(|s| {
        matches!(
            s.spec,
            StepKind::Signature {
                role: SignerRole::Customer
            }
        ) && s.status == fieldkit_core::checklist::StepStatus::Satisfied
    }) {
        k.summary_for_signing(id)?;
        k.sign(id, &signature(SignerRole::Customer, Some(s.id.clone())))?;
    }
    Ok(())
}

async fn push(ts: &TestServer, token: &str, ops: &[Op]) -> PushResponse {
    ts.push_ops(token, ops).await
}

/// One case: a new job for the technician, a new phone that pulls it, the commands, the push.
/// Returns whether the device completed it.
async fn case(
    ts: &TestServer,
    tech: &str,
    kind: JobKind,
    billing: Billing,
    cmds: &[Cmd],
    finish_after: bool,
) -> Result<bool, TestCaseError> {
    let mut order = demo::repair_order(1, Utc::now(), billing);
    order.kind = kind;
    // A return judged on a sale, or (warranty) a job the desk recorded no sale for.
    if kind == JobKind::ReturnExchange && billing == Billing::Paid {
        order.sale = Some(demo::sale(order.reported_at - chrono::Duration::days(2)));
    }
    let created = ts.create_job(&order, Some(tech)).await;
    let dir = tempfile::tempdir().unwrap();
    let kit = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap();
    let token = ts.enrol(tech, kit.device_id()).await.token;
    // The job as the server holds it (its pinned checklists), and the desk's catalog.
    let held: WorkOrder = serde_json::from_value(created["order"].clone()).unwrap();
    kit.receive_work_order(&held).unwrap();
    demo::stock_the_van(&kit).unwrap();
    for c in cmds {
        let _ = run(&kit, order.id, c);
    }
    if finish_after {
        finish(&kit, order.id);
    }
    let ops: Vec<Op> = kit
        .pending_ops(100_000)
        .unwrap()
        .iter()
        .map(to_wire)
        .collect();
    let r = push(ts, &token, &ops).await;
    prop_assert_eq!(r.acked_through, ops.last().map_or(0, |o| o.seq));
    for (op, res) in ops.iter().zip(&r.results) {
        prop_assert_eq!(
            &res.outcome,
            &OpOutcome::Applied,
            "{} (seq {}) judged otherwise by the server after {:?}",
            op.kind,
            op.seq,
            cmds
        );
    }
    Ok(kit.job(order.id).unwrap().status == JobStatus::Completed)
}

proptest! {
    #![proptest_config(common::proptest_config(40))]

    #[test]
    fn the_server_judges_every_op_as_the_device_did(
        runs in prop::collection::vec(
            (
                prop::sample::select(JobKind::ALL.to_vec()),
                any::<bool>(),
                prop::collection::vec(cmd(), 1..80),
                any::<bool>(),
            ),
            4,
        ),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let ts = server(Backend::Sqlite, |_| {}).await.expect("server");
            let tech = ts.create_technician("Technician P").await;
            ts.publish_demo_catalog().await;
            let mut completed = Vec::new();
            for (kind, paid, cmds, finish_after) in &runs {
                let billing = if *paid { Billing::Paid } else { Billing::Warranty };
                // Start every run on its way: accepted, called, on the road.
                let mut all = vec![Cmd::Accept, Cmd::Call(true), Cmd::AnswerNext, Cmd::StartTravel];
                all.extend(cmds.iter().cloned());
                if case(&ts, &tech, *kind, billing, &all, *finish_after).await? {
                    completed.push(());
                }
            }
            // What the devices completed counts on the server, nothing held.
            let list = ts.settled_completions().await;
            for c in &list {
                prop_assert_eq!(&c["state"], "counted", "{}", c);
            }
            prop_assert_eq!(list.len(), completed.len());
            ts.server.shutdown().await.unwrap();
            Ok(())
        })?;
    }
}
