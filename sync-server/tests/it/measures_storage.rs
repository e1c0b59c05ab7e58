//! The measures' storage read and complaint handling, run against every backend: SQLite and
//! PostgreSQL must return the same facts. The facts come from real device journals
//! ([`common::journal::Phone`]) walked at chosen times; a completion is a fact only once it
//! counts (its drawings checked, or released by the desk), never while checking or held.

use fieldkit_server::i18n::Locale;
use std::sync::Arc;

use crate::common;
use crate::common::journal::Phone;
use chrono::{DateTime, Utc};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::measures::{self, JobFacts, MeasureConfig};
use fieldkit_server::push::{Batch, PushPolicy};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::{Flag, JobChange, Ruling, Storage, StorageError, Technician};

const MIN: i64 = 60_000;
const NOW: i64 = 1_800_000_000_000;

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn order(n: u32, kind: JobKind, zone: Zone, reported: i64, start: i64) -> WorkOrder {
    let mut o = demo::repair_order(n, ts(NOW), Billing::Paid);
    o.kind = kind;
    o.site.zone = zone;
    o.reported_at = ts(reported);
    o.promised = TimeWindow {
        start: ts(start),
        end: ts(start + 120 * MIN),
    };
    o
}

/// (seq, kind) of ops or facts, in `seq` order.
fn kinds_of<'a>(it: impl Iterator<Item = (i64, &'a str)>) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = it.map(|(s, k)| (s, k.to_owned())).collect();
    v.sort();
    v
}

fn op_kinds(ops: &[Op]) -> Vec<(i64, String)> {
    kinds_of(ops.iter().map(|o| (o.seq, o.kind.as_str())))
}

fn fact_kinds(f: &JobFacts) -> Vec<(i64, String)> {
    kinds_of(f.events.iter().map(|e| (e.seq, e.kind.as_str())))
}

async fn facts_of(s: &Arc<dyn Storage>, id: WorkOrderId, from: i64, to: i64) -> JobFacts {
    s.measure_facts(from, to)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.work_order_id == id.to_string())
        .unwrap()
}

async fn suite(s: Arc<dyn Storage>) {
    s.create_technician(Technician {
        id: "t-a".into(),
        name: "Wang Wei".into(),
        created_at: NOW - 90 * 24 * 60 * MIN,
    })
    .await
    .unwrap();
    for change in [
        Change::FeeSchedule {
            fee_schedule: demo::fee_schedule(),
        },
        Change::CatalogPart {
            part: demo::van_part(),
        },
    ] {
        s.publish(change, NOW - 24 * 60 * MIN).await.unwrap();
    }
    let phone = Phone::new(ts(NOW - 90 * MIN));
    let dev = phone.device_id();
    s.create_enrolment_code(
        uuid::Uuid::now_v7().to_string(),
        "code".into(),
        "t-a".into(),
        NOW + 60 * MIN,
        NOW - 60 * MIN,
    )
    .await
    .unwrap();
    s.enroll(crate::common::enrolment(
        "code".into(),
        dev,
        "tok".into(),
        NOW - 60 * MIN,
    ))
    .await
    .unwrap();
    let device = s.device_by_token("tok".into()).await.unwrap().unwrap();
    let (from, to) = (NOW - 24 * 60 * MIN, NOW + 24 * 60 * MIN);
    let created = NOW - 5 * 60 * MIN;

    // A: urban repair, walked and completed (counted). B: suburban installation, arrived
    // with a clock 2 h ahead, the unit taken back. C: cancelled, then accepted on the phone
    // (a conflict: not a fact of the measures). D: urban repair walked to completion, held by
    // its drawing check. E: cancelled long before the period.
    let specs = [
        order(
            1,
            JobKind::Repair,
            Zone::Urban,
            NOW - 3 * 60 * MIN,
            NOW - 60 * MIN,
        ),
        order(
            2,
            JobKind::Installation,
            Zone::Suburban,
            NOW - 4 * 60 * MIN,
            NOW,
        ),
        order(3, JobKind::Delivery, Zone::Urban, NOW - 4 * 60 * MIN, NOW),
        order(
            4,
            JobKind::Delivery,
            Zone::Urban,
            NOW - 40 * 24 * 60 * MIN,
            NOW,
        ),
        order(5, JobKind::Repair, Zone::Urban, NOW - 3 * 60 * MIN, NOW),
    ];
    let mut held = Vec::new();
    for (i, o) in specs.into_iter().enumerate() {
        let at = if i == 3 {
            NOW - 30 * 24 * 60 * MIN
        } else {
            created
        };
        let r = s
            .create_work_order(o, Some("t-a".into()), at)
            .await
            .unwrap();
        phone.receive(&r.order);
        held.push(r.order);
    }
    let [a, b, c, e, d] = <[WorkOrder; 5]>::try_from(held).unwrap();
    for (o, at) in [(&c, NOW - 30 * MIN), (&e, NOW - 20 * 24 * 60 * MIN)] {
        s.change_work_order(
            o.id,
            JobChange::Cancel {
                reason: "called off".into(),
            },
            at,
        )
        .await
        .unwrap();
    }

    // The phone, offline. A: travels at −70 min, arrives at −50, the customer complains
    // (rating 4) at −20 before the walk's own rating 5, completes at −10.
    phone.walk_repair_with(a.id, &mut |kit, step| match step {
        "accept" => Some(ts(NOW - 80 * MIN)),
        "start_travel" => Some(ts(NOW - 70 * MIN)),
        "arrive" => Some(ts(NOW - 50 * MIN)),
        "customer signed" => Some(ts(NOW - 20 * MIN)),
        "close-out" => {
            kit.feedback(a.id, 4, None, true).unwrap();
            None
        }
        "complete" => Some(ts(NOW - 10 * MIN)),
        _ => None,
    });
    let a_ops = phone.job_ops(a.id);
    // D: arrives at −5 min, completes at −3.
    phone.walk_repair(d.id, &mut |step| match step {
        "accept" => Some(ts(NOW - 9 * MIN)),
        "start_travel" => Some(ts(NOW - 8 * MIN)),
        "arrive" => Some(ts(NOW - 5 * MIN)),
        "complete" => Some(ts(NOW - 3 * MIN)),
        _ => None,
    });
    let d_ops = phone.job_ops(d.id);
    phone.set_clock(ts(NOW - 2 * MIN));
    phone.accept(c.id);

    let p = PushPolicy::default();
    let batch = phone.outbox();
    let r = s
        .push(
            device.clone(),
            Batch::prepare(batch.clone(), Locale::En),
            None,
            p,
            NOW,
        )
        .await
        .unwrap();
    phone.acknowledge(&r);
    assert_eq!(r.acked_through, batch.last().unwrap().seq);
    for (op, res) in batch.iter().zip(&r.results) {
        if op.entity_id == c.id.to_string() {
            assert!(
                matches!(&res.outcome, OpOutcome::Conflict { code, .. } if code == "job_cancelled"),
                "{res:?}"
            );
        } else {
            assert_eq!(res.outcome, OpOutcome::Applied, "{} {}", op.seq, op.kind);
        }
    }
    // Completions still checking their drawings are not facts yet.
    for id in [a.id, d.id] {
        let f = facts_of(&s, id, from, to).await;
        assert!(!f.events.iter().any(|e| e.kind == "complete"), "{id}");
    }
    // D's drawing does not match: held. A's strokes draw its signatures: counted.
    let complete_d = d_ops.last().unwrap();
    assert_eq!(complete_d.kind, "complete");
    s.finish_drawing(
        complete_d.op_id.to_string(),
        vec![Flag {
            work_order_id: Some(d.id.to_string()),
            op_id: Some(complete_d.op_id.to_string()),
            device_id: dev.to_string(),
            kind: "signature".into(),
            detail: "signature service_record_signature: the strokes do not draw the image".into(),
            said: None,
            created_at: NOW + MIN,
        }],
        NOW + MIN,
    )
    .await
    .unwrap();
    let waiting = s.pending_drawings(10).await.unwrap();
    assert_eq!(waiting.len(), 1, "A's completion");
    let w = &waiting[0];
    assert_eq!(w.work_order_id, a.id.to_string());
    let problems = fieldkit_core::sync::replay::drawing_problems(&w.ops, w.ops.len() - 1);
    assert!(problems.is_empty(), "{problems:?}");
    s.finish_drawing(w.op_id.clone(), vec![], NOW + MIN)
        .await
        .unwrap();
    let states: Vec<(String, String)> = s
        .completions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.work_order_id, c.state))
        .collect();
    assert_eq!(
        states,
        [
            (d.id.to_string(), "held".to_owned()),
            (a.id.to_string(), "counted".to_owned())
        ]
    );

    // B's walk arrives 10 min later from a clock 2 h ahead (sent_at says so): flagged.
    let later = NOW + 10 * MIN;
    let skew = 2 * 60 * MIN;
    phone.walk_to_arrival(b.id, &mut |step| match step {
        "accept" => Some(ts(NOW - 35 * MIN + skew)),
        "start_travel" => Some(ts(NOW - 30 * MIN + skew)),
        "arrive" => Some(ts(NOW + 5 * MIN + skew)),
        _ => None,
    });
    phone.set_clock(ts(NOW + 8 * MIN + skew));
    phone.take_back(b.id);
    let b_ops = phone.outbox();
    let r = s
        .push(
            device.clone(),
            Batch::prepare(b_ops.clone(), Locale::En),
            Some(later + skew),
            p,
            later,
        )
        .await
        .unwrap();
    phone.acknowledge(&r);
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied));

    // Complaint handling: the first time counts; unknown jobs are refused.
    let handled = NOW + 60 * MIN;
    assert_eq!(s.complaint_handled(a.id, handled).await.unwrap(), handled);
    assert_eq!(
        s.complaint_handled(a.id, handled + MIN).await.unwrap(),
        handled
    );
    assert!(matches!(
        s.complaint_handled(WorkOrderId::new(), NOW).await,
        Err(StorageError::NotFound(_))
    ));

    let facts = s.measure_facts(from, to).await.unwrap();
    let mut ids: Vec<&str> = facts.iter().map(|j| j.number.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "WO-DEMO-00001",
            "WO-DEMO-00002",
            "WO-DEMO-00003",
            "WO-DEMO-00005"
        ]
    );
    let by = |o: &WorkOrder| {
        facts
            .iter()
            .find(|j| j.work_order_id == o.id.to_string())
            .unwrap()
    };
    let fa = by(&a);
    assert_eq!((fa.kind, fa.zone), (JobKind::Repair, Zone::Urban));
    assert_eq!(fa.reported_at, NOW - 3 * 60 * MIN);
    assert_eq!(
        (fa.promised_start, fa.promised_end),
        (NOW - 60 * MIN, NOW + 60 * MIN)
    );
    assert_eq!(fa.technician_id.as_deref(), Some("t-a"));
    assert!(!fa.cancelled);
    assert_eq!(fa.complaint_handled_at, Some(handled));
    // Every op of A's journal is a fact, its completion included (counted).
    assert_eq!(fact_kinds(fa), op_kinds(&a_ops));
    let time_of = |kind: &str| -> Vec<i64> {
        let mut v: Vec<(i64, i64)> = fa
            .events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.seq, e.device_time))
            .collect();
        v.sort();
        v.into_iter().map(|(_, t)| t).collect()
    };
    assert_eq!(time_of("start_travel"), [NOW - 70 * MIN]);
    assert_eq!(time_of("arrive"), [NOW - 50 * MIN]);
    assert_eq!(time_of("complete"), [NOW - 10 * MIN]);
    let mut feedback: Vec<_> = fa.events.iter().filter(|e| e.kind == "feedback").collect();
    feedback.sort_by_key(|e| e.seq);
    assert_eq!(
        feedback
            .iter()
            .map(|e| (e.rating, e.complaint, e.device_time))
            .collect::<Vec<_>>(),
        [
            (Some(4), true, NOW - 20 * MIN),
            (Some(5), false, NOW - 20 * MIN)
        ]
    );
    assert!(
        fa.events
            .iter()
            .all(|e| e.received_at == NOW && e.skew_ms.is_none() && e.device_id == dev.to_string())
    );
    let visits: std::collections::BTreeSet<&str> = fa
        .events
        .iter()
        .filter_map(|e| e.visit_id.as_deref())
        .collect();
    assert_eq!(visits.len(), 1, "one visit");
    assert!(
        fa.events
            .iter()
            .filter(|e| e.kind != "accept")
            .all(|e| e.visit_id.is_some())
    );
    let fbj = by(&b);
    assert_eq!(fact_kinds(fbj), op_kinds(&b_ops));
    assert_eq!(
        fact_kinds(fbj)
            .into_iter()
            .map(|(_, k)| k)
            .collect::<Vec<_>>(),
        [
            "accept",
            "call_customer",
            "answer_step",
            "start_travel",
            "arrive",
            // The take-back's evidence: the unit's condition, the receipt shown and signed.
            "add_photo",
            "summary_viewed",
            "sign",
            "take_back"
        ]
    );
    assert!(
        fbj.events
            .iter()
            .all(|e| e.skew_ms == Some(skew) && e.received_at == later)
    );
    let fc = by(&c);
    assert!(fc.cancelled);
    assert!(fc.events.is_empty(), "a conflicting op is not a fact");
    // D's held completion is not a fact; the rest of its journal is.
    let fd = by(&d);
    assert!(!fd.events.iter().any(|e| e.kind == "complete"));
    assert_eq!(fact_kinds(fd), op_kinds(&d_ops[..d_ops.len() - 1]));

    // The measures over them: A arrived NOW−50 min, 130 min after the call (SLA met); B's
    // arrival corrected to NOW+5 min, 245 min after its call; D arrived at NOW−5 min, 175
    // min after. Only A is completed: D's completion is held.
    let m = measures::compute(
        &facts,
        from,
        to,
        NOW + 2 * 60 * MIN,
        &MeasureConfig::default(),
    );
    assert_eq!(
        (m.fleet.jobs, m.fleet.cancelled, m.fleet.completed),
        (4, 1, 1)
    );
    assert_eq!((m.fleet.sla.num, m.fleet.sla.den), (3, 3));
    assert_eq!(m.fleet.response.max_minutes, Some(245.0));
    assert_eq!(m.fleet.skew_corrected_events, b_ops.len() as u32);
    assert_eq!(m.fleet.complaints.handled_in_time.num, 1);

    // The desk releases D: now it counts.
    s.decide_completion(d.id, Ruling::Release, "li.na".into(), None, NOW + 90 * MIN)
        .await
        .unwrap();
    let fd = facts_of(&s, d.id, from, to).await;
    assert_eq!(fact_kinds(&fd), op_kinds(&d_ops));
    let facts = s.measure_facts(from, to).await.unwrap();
    let m = measures::compute(
        &facts,
        from,
        to,
        NOW + 2 * 60 * MIN,
        &MeasureConfig::default(),
    );
    assert_eq!(m.fleet.completed, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measure_facts_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(SqliteStorage::open(dir.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measure_facts_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    suite(Arc::new(
        PostgresStorage::connect(&pg.url, 4).await.unwrap(),
    ))
    .await;
}
