//! One storage suite, run against every backend: SQLite and PostgreSQL must behave the same.
//! Every pushed op comes from a real device journal ([`common::journal::Phone`]), judged by
//! the server as the second judge.

use fieldkit_server::i18n::Locale;
use std::sync::Arc;

use crate::common;
use crate::common::journal::Phone;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::push::{Batch, CompletionState, PushPolicy};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::{
    Completion, DeviceRecord, Flag, JobChange, Ruling, Storage, StorageError, Technician,
};

const NOW: i64 = 1_800_000_000_000;
const MIN: i64 = 60_000;

fn at(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap()
}

fn code_of(o: &OpOutcome) -> Option<&str> {
    match o {
        OpOutcome::Rejected { code, .. } | OpOutcome::Conflict { code, .. } => Some(code),
        OpOutcome::Duplicate { code, .. } => code.as_deref(),
        _ => None,
    }
}

/// Pushes `ops` as `device` at `now`; the phone hears the answer.
async fn push(
    s: &Arc<dyn Storage>,
    device: &DeviceRecord,
    phone: &Phone,
    ops: Vec<Op>,
    sent_at: Option<i64>,
    now: i64,
) -> PushResponse {
    let r = s
        .push(
            device.clone(),
            Batch::prepare(ops, Locale::En),
            sent_at,
            PushPolicy::default(),
            now,
        )
        .await
        .unwrap();
    phone.acknowledge(&r);
    r
}

/// The phone's outbox up to and including `seq`.
fn through(phone: &Phone, seq: i64) -> Vec<Op> {
    phone
        .outbox()
        .into_iter()
        .filter(|o| o.seq <= seq)
        .collect()
}

/// A job's one completion row.
async fn completion_of(s: &Arc<dyn Storage>, job: WorkOrderId) -> Completion {
    let mut all = s.job_completions(job).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.pop().unwrap()
}

fn kinds(c: &Completion) -> Vec<&str> {
    c.flags.iter().map(|f| f.kind.as_str()).collect()
}

fn signature_flag(c: &Completion, detail: &str, now: i64) -> Flag {
    Flag {
        work_order_id: Some(c.work_order_id.clone()),
        op_id: Some(c.op_id.clone()),
        device_id: c.device_id.clone(),
        kind: "signature".into(),
        detail: detail.into(),
        said: None,
        created_at: now,
    }
}

async fn suite(s: Arc<dyn Storage>) {
    s.health().await.unwrap();
    let now = NOW;
    for (id, name) in [("t-a", "Wang Wei"), ("t-b", "Li Na")] {
        s.create_technician(Technician {
            id: id.into(),
            name: name.into(),
            created_at: now,
        })
        .await
        .unwrap();
    }
    assert_eq!(s.technicians().await.unwrap().len(), 2);

    // Enrolment: one-time, expiring, repeatable by the same device only.
    let phone = Phone::new(at(now - 120 * MIN));
    let dev = phone.device_id();
    s.create_enrolment_code(
        uuid::Uuid::now_v7().to_string(),
        "code-1".into(),
        "t-a".into(),
        now + 60_000,
        now,
    )
    .await
    .unwrap();
    s.create_enrolment_code(
        uuid::Uuid::now_v7().to_string(),
        "old".into(),
        "t-a".into(),
        now - 1,
        now - 10,
    )
    .await
    .unwrap();
    assert!(matches!(
        s.create_enrolment_code(
            uuid::Uuid::now_v7().to_string(),
            "x".into(),
            "nobody".into(),
            now + 1,
            now
        )
        .await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(
        s.enroll(crate::common::enrolment(
            "code-1".into(),
            dev,
            "tok-1".into(),
            now
        ))
        .await
        .unwrap(),
        "t-a"
    );
    // The same enrolment again (its answer was lost): answered, nothing rotates, even once
    // the code has expired.
    assert_eq!(
        s.enroll(common::enrolment(
            "code-1".into(),
            dev,
            "tok-1".into(),
            now + 120_000
        ))
        .await
        .unwrap(),
        "t-a"
    );
    let device = s.device_by_token("tok-1".into()).await.unwrap().unwrap();
    assert_eq!((device.id, device.technician_id.as_str()), (dev, "t-a"));
    assert_eq!(device.public_key.as_deref(), Some("key-of-tok-1"));
    // The same code and device with another key: refused, the first key kept.
    assert!(matches!(
        s.enroll(common::enrolment("code-1".into(), dev, "tok-2".into(), now))
            .await,
        Err(StorageError::Conflict(_))
    ));
    assert!(s.device_by_token("tok-2".into()).await.unwrap().is_none());
    assert!(s.device_by_token("tok-1".into()).await.unwrap().is_some());
    for (code, d) in [
        ("code-1", DeviceId::new()),
        ("old", DeviceId::new()),
        ("nope", dev),
    ] {
        assert!(matches!(
            s.enroll(crate::common::enrolment(code.into(), d, "t".into(), now))
                .await,
            Err(StorageError::InvalidCode)
        ));
    }

    // Jobs and the change feed, paged; jobs are pinned to their checklists.
    let job = demo::repair_order(1, at(now), Billing::Paid);
    let other = demo::repair_order(2, at(now), Billing::Paid);
    let job = s
        .create_work_order(job, Some("t-a".into()), now)
        .await
        .unwrap()
        .order;
    assert!(job.checklist.is_some(), "pinned at creation");
    let other = s
        .create_work_order(other, Some("t-b".into()), now)
        .await
        .unwrap()
        .order;
    assert!(matches!(
        s.create_work_order(job.clone(), None, now).await,
        Err(StorageError::Conflict(_))
    ));
    s.publish(
        Change::FeeSchedule {
            fee_schedule: demo::fee_schedule(),
        },
        now,
    )
    .await
    .unwrap();
    let (page, more) = s.pull("t-a".into(), 0, 1).await.unwrap();
    assert!(more);
    assert!(matches!(&page[0].change, Change::WorkOrder { work_order } if *work_order == job));
    let (page2, more) = s.pull("t-a".into(), page[0].seq, 10).await.unwrap();
    assert!(!more);
    assert!(matches!(page2[0].change, Change::FeeSchedule { .. }));
    assert_eq!(s.work_orders(Some("t-a".into())).await.unwrap().len(), 1);
    s.publish(
        Change::CatalogPart {
            part: demo::van_part(),
        },
        now,
    )
    .await
    .unwrap();
    // More of t-a's jobs: B counted, C held by its drawing check, D held by the rules, E
    // cancelled before the phone's accept arrives.
    let mut jobs = Vec::new();
    for n in 3..=6 {
        let o = demo::repair_order(n, at(now), Billing::Paid);
        jobs.push(
            s.create_work_order(o, Some("t-a".into()), now)
                .await
                .unwrap()
                .order,
        );
    }
    let [b, c, d, e] = <[WorkOrder; 4]>::try_from(jobs).unwrap();
    let (_, more) = s.pull("t-a".into(), 0, 100).await.unwrap();
    assert!(!more);
    let cursor = s
        .pull("t-a".into(), 0, 100)
        .await
        .unwrap()
        .0
        .last()
        .unwrap()
        .seq;

    // The phone (offline): it holds `other` too (a stale copy) and accepts it; walks A.
    for o in [&job, &other, &b, &c, &d, &e] {
        phone.receive(o);
    }
    phone.accept(other.id);
    let a_done = phone.walk_repair(job.id, &mut |_| None);
    let ops = through(&phone, 3);
    assert_eq!(
        ops.iter()
            .map(|o| (o.seq, o.entity.as_str(), o.kind.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "stock", "issue_stock"),
            (2, "work_order", "accept"),
            (3, "work_order", "accept")
        ]
    );

    // Push: applied, foreign job refused; again: duplicates with their first answers.
    let r = push(&s, &device, &phone, ops.clone(), None, now).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    assert!(
        matches!(&r.results[1].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_job"),
        "{r:?}"
    );
    assert_eq!(r.results[2].outcome, OpOutcome::Applied);
    assert_eq!(r.acked_through, 3);
    let r = s
        .push(
            device.clone(),
            Batch::prepare(ops.clone(), Locale::En),
            None,
            PushPolicy::default(),
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        r.results[0].outcome,
        OpOutcome::Duplicate {
            first: FirstOutcome::Applied,
            ..
        }
    ));
    assert!(matches!(
        r.results[1].outcome,
        OpOutcome::Duplicate {
            first: FirstOutcome::Rejected,
            ..
        }
    ));
    assert_eq!(code_of(&r.results[1].outcome), Some("unknown_job"));
    assert!(matches!(
        r.results[2].outcome,
        OpOutcome::Duplicate {
            first: FirstOutcome::Applied,
            ..
        }
    ));
    assert_eq!(r.acked_through, 3);

    // Reused op id (another body), reused seq (another op), a gap: nothing stored.
    let next = phone.op(4);
    let mut changed = ops[2].clone();
    changed.kind = "arrive".into();
    let mut reseq = next.clone();
    reseq.op_id = OpId::new();
    reseq.seq = 2;
    let mut gap = next.clone();
    gap.op_id = OpId::new();
    gap.seq = 9;
    // (Not the phone's answers: it sent none of these.)
    let r = s
        .push(
            device.clone(),
            Batch::prepare(vec![changed, reseq, gap], Locale::En),
            None,
            PushPolicy::default(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        r.results
            .iter()
            .map(|x| code_of(&x.outcome))
            .collect::<Vec<_>>(),
        [Some("op_id_reused"), Some("seq_reused"), None]
    );
    assert!(matches!(r.results[0].outcome, OpOutcome::Rejected { .. }));
    assert!(matches!(r.results[1].outcome, OpOutcome::Rejected { .. }));
    assert_eq!(r.results[2].outcome, OpOutcome::Gap { expected: 4 });
    assert_eq!(r.acked_through, 3);

    // Reassigned away while the phone was offline: its facts kept as conflicts and flagged
    // once; its completion a conflict, listed and flagged, sent with a clock an hour ahead.
    s.change_work_order(
        job.id,
        JobChange::Assign {
            technician_id: "t-b".into(),
        },
        now,
    )
    .await
    .unwrap();
    let (page, _) = s.pull("t-a".into(), cursor, 10).await.unwrap();
    assert!(matches!(page[0].change, Change::Removal { work_order_id } if work_order_id == job.id));
    let rest = through(&phone, a_done.seq - 1);
    let r = push(&s, &device, &phone, rest.clone(), None, now).await;
    assert_eq!(r.acked_through, a_done.seq - 1);
    for (op, res) in rest.iter().zip(&r.results) {
        assert!(
            matches!(&res.outcome, OpOutcome::Conflict { code, .. } if code == "job_reassigned"),
            "{} {}: {:?}",
            op.seq,
            op.kind,
            res.outcome
        );
    }
    assert!(
        s.job_completions(job.id).await.unwrap().is_empty(),
        "no completion before the complete"
    );
    let complete_a = phone.op(a_done.seq);
    assert_eq!(complete_a.kind, "complete");
    let r = push(
        &s,
        &device,
        &phone,
        vec![complete_a.clone()],
        Some(now + 3_600_000),
        now,
    )
    .await;
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Conflict { code, .. } if code == "job_reassigned")
    );
    // The completion waits for its drawing check, with the device's signatures on the job.
    let waiting = s.pending_drawings(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let w = &waiting[0];
    assert_eq!(w.work_order_id, job.id.to_string());
    assert_eq!(w.op_id, complete_a.op_id.to_string());
    let signs: Vec<(i64, &str)> = rest
        .iter()
        .filter(|o| o.kind == "sign")
        .map(|o| (o.seq, o.kind.as_str()))
        .chain([(a_done.seq, "complete")])
        .collect();
    assert_eq!(
        signs.len(),
        4,
        "three customer signatures (the anomaly, the fees, the record) and the completion"
    );
    let got: Vec<(i64, &str)> = w.ops.iter().map(|o| (o.seq, o.kind.as_str())).collect();
    assert_eq!(got, signs);
    let done = s.completions(None, 10).await.unwrap();
    assert_eq!(done.len(), 1);
    assert!(done[0].checks_pending);
    assert_eq!(
        (done[0].outcome.as_str(), done[0].state.as_str()),
        ("conflict", "conflict")
    );
    assert_eq!(done[0].device_id, dev.to_string());
    assert_eq!(done[0].completed_at_device, complete_a.device_time);
    let k = kinds(&done[0]);
    assert!(k.contains(&"completed_after_reassignment"), "{k:?}");
    assert!(k.contains(&"clock_skew"), "{k:?}");
    // Done once: its flags are stored with it, a second finish adds nothing; a conflict
    // stays a conflict.
    let before = done[0]
        .flags
        .iter()
        .filter(|f| f.kind == "signature")
        .count();
    let flag = signature_flag(
        &done[0],
        "signature x: the strokes do not draw the signature image",
        now,
    );
    for _ in 0..2 {
        s.finish_drawing(w.op_id.clone(), vec![flag.clone()], now)
            .await
            .unwrap();
    }
    assert!(s.pending_drawings(10).await.unwrap().is_empty());
    let a = completion_of(&s, job.id).await;
    assert!(!a.checks_pending);
    assert_eq!(a.state, "conflict");
    assert_eq!(
        a.flags.iter().filter(|f| f.kind == "signature").count(),
        before + 1
    );
    let a_job = s.work_order(job.id).await.unwrap().unwrap();
    assert_eq!(a_job.completed_at, None);
    assert_ne!(a_job.order.status, WorkOrderStatus::Completed);

    // A job's stored ops of one kind (the verify page's read): applied and conflicts kept,
    // rejected ones and other jobs' left out.
    let accepted = s.job_ops(job.id, "accept".into()).await.unwrap();
    assert_eq!(accepted, vec![ops[2].clone()]);
    assert_eq!(
        s.job_ops(job.id, "complete".into()).await.unwrap(),
        vec![complete_a.clone()]
    );
    // The customer signed the anomaly, the fees and the record.
    assert_eq!(s.job_ops(job.id, "sign".into()).await.unwrap().len(), 3);
    assert!(
        s.job_ops(other.id, "accept".into())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.job_ops(WorkOrderId::new(), "accept".into())
            .await
            .unwrap()
            .is_empty()
    );

    // B: the rules pass; checking until its drawings are checked, then counted and the job
    // completed.
    let b_done = phone.walk_repair(b.id, &mut |_| None);
    let r = push(&s, &device, &phone, phone.outbox(), None, now + MIN).await;
    assert_eq!(r.acked_through, b_done.seq);
    assert!(
        r.results.iter().all(|x| x.outcome == OpOutcome::Applied),
        "{r:?}"
    );
    let cb = completion_of(&s, b.id).await;
    assert_eq!(
        (cb.outcome.as_str(), cb.state.as_str(), cb.checks_pending),
        ("applied", "checking", true)
    );
    assert!(cb.reasons.is_empty() && cb.flags.is_empty(), "{cb:?}");
    let bj = s.work_order(b.id).await.unwrap().unwrap();
    assert_eq!(bj.completed_at, None);
    assert_ne!(bj.order.status, WorkOrderStatus::Completed);
    assert_eq!(
        s.completions(Some(CompletionState::Checking), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let waiting = s.pending_drawings(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let w = &waiting[0];
    assert_eq!(w.op_id, cb.op_id);
    let complete = w.ops.len() - 1;
    assert_eq!(w.ops[complete].kind, "complete");
    assert!(
        fieldkit_core::sync::replay::drawing_problems(&w.ops, complete).is_empty(),
        "the phone's strokes draw its signatures"
    );
    s.finish_drawing(cb.op_id.clone(), vec![], now + 2 * MIN)
        .await
        .unwrap();
    let cb = completion_of(&s, b.id).await;
    assert_eq!((cb.state.as_str(), cb.checks_pending), ("counted", false));
    let bj = s.work_order(b.id).await.unwrap().unwrap();
    assert_eq!(
        (bj.order.status, bj.completed_at),
        (WorkOrderStatus::Completed, Some(now + 2 * MIN))
    );

    // A second phone of the same technician walks B too: its facts are applied, its
    // completion is a second one — a conflict, flagged, not a second completion.
    let phone2 = Phone::new(at(now - 60 * MIN));
    s.create_enrolment_code(
        uuid::Uuid::now_v7().to_string(),
        "code-2".into(),
        "t-a".into(),
        now + 60 * MIN,
        now,
    )
    .await
    .unwrap();
    s.enroll(crate::common::enrolment(
        "code-2".into(),
        phone2.device_id(),
        "tok-p2".into(),
        now,
    ))
    .await
    .unwrap();
    let device2 = s.device_by_token("tok-p2".into()).await.unwrap().unwrap();
    phone2.receive(&b);
    let b2 = phone2.walk_repair(b.id, &mut |_| None);
    let r = push(&s, &device2, &phone2, phone2.outbox(), None, now + 3 * MIN).await;
    assert_eq!(r.acked_through, b2.seq);
    let (last, before_last) = r.results.split_last().unwrap();
    assert!(
        before_last.iter().all(|x| x.outcome == OpOutcome::Applied),
        "{r:?}"
    );
    assert!(
        matches!(&last.outcome, OpOutcome::Conflict { code, .. } if code == "already_completed"),
        "{last:?}"
    );
    let cb2 = completion_of(&s, b.id).await;
    assert_eq!(
        (cb2.op_id, cb2.state.as_str()),
        (cb.op_id.clone(), "counted")
    );
    assert!(s.pending_drawings(10).await.unwrap().is_empty());
    assert_eq!(s.job_ops(b.id, "complete".into()).await.unwrap().len(), 2);
    let second = s
        .flags(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == "second_completion")
        .collect::<Vec<_>>();
    assert_eq!(second.len(), 1);
    assert_eq!(
        second[0].device_id,
        phone2.device_id().to_string(),
        "{second:?}"
    );

    // C: the rules pass, but a drawing does not match: held for the desk.
    let c_done = phone.walk_repair(c.id, &mut |_| None);
    let r = push(&s, &device, &phone, phone.outbox(), None, now + 4 * MIN).await;
    assert_eq!(r.acked_through, c_done.seq);
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied));
    let cc = completion_of(&s, c.id).await;
    assert_eq!(cc.state, "checking");
    let mismatch = "signature service_record_signature: the strokes do not draw the image";
    s.finish_drawing(
        cc.op_id.clone(),
        vec![signature_flag(&cc, mismatch, now + 5 * MIN)],
        now + 5 * MIN,
    )
    .await
    .unwrap();
    let cc = completion_of(&s, c.id).await;
    assert_eq!((cc.state.as_str(), cc.checks_pending), ("held", false));
    assert!(cc.reasons.iter().any(|r| r == mismatch), "{cc:?}");
    assert_eq!(kinds(&cc), ["signature"]);
    let cj = s.work_order(c.id).await.unwrap().unwrap();
    assert_eq!(cj.completed_at, None);
    assert_ne!(cj.order.status, WorkOrderStatus::Completed);

    // D: one answer rewritten after the phone chained it: that op is refused
    // (`chain_mismatch`), and the completion is held by the rules at once.
    let d_done = phone.walk_repair(d.id, &mut |_| None);
    let mut d_ops = phone.outbox();
    let tampered = d_ops
        .iter_mut()
        .find(|o| o.payload.to_string().contains("Replaced the drain pump"))
        .expect("the work_done answer");
    tampered.payload = serde_json::from_str(
        &tampered
            .payload
            .to_string()
            .replace("Replaced the drain pump", "Replaced the whole machine"),
    )
    .unwrap();
    let tampered = tampered.clone();
    let r = push(&s, &device, &phone, d_ops.clone(), None, now + 6 * MIN).await;
    assert_eq!(r.acked_through, d_done.seq);
    for (op, res) in d_ops.iter().zip(&r.results) {
        if op.op_id == tampered.op_id {
            assert_eq!(code_of(&res.outcome), Some("chain_mismatch"), "{res:?}");
            assert!(matches!(res.outcome, OpOutcome::Rejected { .. }));
        } else if op.kind == "complete" {
            assert!(
                matches!(&res.outcome, OpOutcome::Conflict { code, reason } if code == "completion_held" && !reason.is_empty()),
                "{res:?}"
            );
        }
    }
    let cd = completion_of(&s, d.id).await;
    assert_eq!(
        (cd.outcome.as_str(), cd.state.as_str()),
        ("conflict", "held")
    );
    assert!(!cd.reasons.is_empty());
    assert!(kinds(&cd).contains(&"timeline_chain"), "{:?}", kinds(&cd));
    let dj = s.work_order(d.id).await.unwrap().unwrap();
    assert_eq!(dj.completed_at, None);
    assert!(
        !s.job_ops(d.id, "answer_step".into())
            .await
            .unwrap()
            .iter()
            .any(|o| o.op_id == tampered.op_id),
        "a rejected op is left out"
    );
    // Its drawings are checked all the same; held stays held.
    s.finish_drawing(cd.op_id.clone(), vec![], now + 7 * MIN)
        .await
        .unwrap();
    assert_eq!(completion_of(&s, d.id).await.state, "held");
    assert!(s.pending_drawings(10).await.unwrap().is_empty());

    // The lists by state, newest first.
    let ids = |v: Vec<Completion>| v.into_iter().map(|c| c.work_order_id).collect::<Vec<_>>();
    let st = |k| s.completions(Some(k), 10);
    assert_eq!(
        ids(st(CompletionState::Held).await.unwrap()),
        [d.id.to_string(), c.id.to_string()]
    );
    assert_eq!(
        ids(st(CompletionState::Counted).await.unwrap()),
        [b.id.to_string()]
    );
    assert_eq!(
        ids(st(CompletionState::Conflict).await.unwrap()),
        [job.id.to_string()]
    );
    assert!(st(CompletionState::Checking).await.unwrap().is_empty());
    assert_eq!(s.completions(None, 10).await.unwrap().len(), 4);
    assert_eq!(s.completions(None, 2).await.unwrap().len(), 2);

    // The desk's rulings: C released (counts: the job completed), D rejected (never
    // counts); a second ruling, or one on a job with nothing held, is refused.
    let released = s
        .decide_completion(
            c.id,
            Ruling::Release,
            "li.na".into(),
            Some("the customer confirmed by phone".into()),
            now + 8 * MIN,
        )
        .await
        .unwrap();
    assert_eq!(released.state, "released");
    let decision = released.decision.clone().unwrap();
    assert_eq!(
        (decision.by.as_str(), decision.at, decision.note.as_deref()),
        (
            "li.na",
            now + 8 * MIN,
            Some("the customer confirmed by phone")
        )
    );
    assert_eq!(completion_of(&s, c.id).await, released);
    let cj = s.work_order(c.id).await.unwrap().unwrap();
    assert_eq!(
        (cj.order.status, cj.completed_at),
        (WorkOrderStatus::Completed, Some(now + 8 * MIN))
    );
    let rejected = s
        .decide_completion(d.id, Ruling::Reject, "li.na".into(), None, now + 9 * MIN)
        .await
        .unwrap();
    assert_eq!(rejected.state, "rejected");
    assert_eq!(rejected.decision.as_ref().unwrap().note, None);
    let dj = s.work_order(d.id).await.unwrap().unwrap();
    assert_eq!(dj.completed_at, None);
    assert_ne!(dj.order.status, WorkOrderStatus::Completed);
    for (id, ruling) in [
        (c.id, Ruling::Reject),
        (d.id, Ruling::Release),
        (b.id, Ruling::Release),
        (e.id, Ruling::Release),
    ] {
        assert!(
            matches!(
                s.decide_completion(id, ruling, "li.na".into(), None, now + 10 * MIN)
                    .await,
                Err(StorageError::Conflict(_))
            ),
            "{id} {ruling:?}"
        );
    }
    assert_eq!(completion_of(&s, d.id).await.state, "rejected");
    assert!(
        st(CompletionState::Held).await.unwrap().is_empty(),
        "nothing held any more"
    );

    // E: cancelled by the desk before the phone's accept arrived: a conflict, flagged.
    s.change_work_order(
        e.id,
        JobChange::Cancel {
            reason: "called off".into(),
        },
        now + 10 * MIN,
    )
    .await
    .unwrap();
    phone.accept(e.id);
    let r = push(&s, &device, &phone, phone.outbox(), None, now + 11 * MIN).await;
    assert_eq!(r.results.len(), 1);
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Conflict { code, .. } if code == "job_cancelled"),
        "{r:?}"
    );
    assert!(
        s.flags(1000)
            .await
            .unwrap()
            .iter()
            .any(|f| f.kind == "fact_after_cancellation"
                && f.work_order_id.as_deref() == Some(e.id.to_string().as_str()))
    );

    // An op of an entity the server does not know: refused, and it does not block a gap
    // behind it from being reported at the next seq.
    phone.kit.issue_stock("PUMP-220", 1).unwrap();
    let stock = phone.outbox().pop().unwrap();
    assert_eq!(stock.entity, "stock");
    let mut alien = stock.clone();
    alien.entity = "spaceship".into();
    let mut ahead = stock.clone();
    ahead.op_id = OpId::new();
    ahead.seq = stock.seq + 5;
    let r = push(
        &s,
        &device,
        &phone,
        vec![alien, ahead],
        None,
        now + 12 * MIN,
    )
    .await;
    assert_eq!(code_of(&r.results[0].outcome), Some("unknown_entity"));
    assert_eq!(
        r.results[1].outcome,
        OpOutcome::Gap {
            expected: stock.seq + 1
        }
    );
    assert_eq!(r.acked_through, stock.seq);
    assert!(phone.outbox().is_empty());
    let dev_row = s.device_by_token("tok-1".into()).await.unwrap().unwrap();
    assert_eq!(dev_row.last_seq, stock.seq);

    // Cancel, reschedule refused after, revoke.
    s.change_work_order(
        other.id,
        JobChange::Cancel {
            reason: "called off".into(),
        },
        now,
    )
    .await
    .unwrap();
    let (page, _) = s.pull("t-b".into(), 0, 100).await.unwrap();
    assert!(page.iter().any(|c| matches!(c.change, Change::Cancellation { work_order_id, .. } if work_order_id == other.id)));
    assert!(matches!(
        s.change_work_order(
            other.id,
            JobChange::Cancel {
                reason: "again".into()
            },
            now
        )
        .await,
        Err(StorageError::Conflict(_))
    ));
    s.revoke_device(dev, now).await.unwrap();
    assert!(
        s.device_by_token("tok-1".into())
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(matches!(
        s.revoke_device(DeviceId::new(), now).await,
        Err(StorageError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_suite_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(SqliteStorage::open(dir.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_suite_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    suite(Arc::new(
        PostgresStorage::connect(&pg.url, 4).await.unwrap(),
    ))
    .await;
}
