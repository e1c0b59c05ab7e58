//! The measures' storage read and complaint handling, run against every backend: SQLite and
//! PostgreSQL must return the same facts.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::measures::{self, MeasureConfig};
use fieldkit_server::push::{Batch, PushPolicy};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::{JobChange, Storage, StorageError, Technician};
use serde_json::{Value, json};

const MIN: i64 = 60_000;
const NOW: i64 = 1_800_000_000_000;

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn order(n: u32, kind: JobKind, zone: Zone, reported: i64, start: i64) -> WorkOrder {
    let mut o = demo::repair_order(n, ts(NOW), Billing::Warranty);
    o.kind = kind;
    o.site.zone = zone;
    o.reported_at = ts(reported);
    o.promised = TimeWindow {
        start: ts(start),
        end: ts(start + 120 * MIN),
    };
    o
}

fn op(seq: i64, job: &WorkOrder, kind: &str, device_time: i64, payload: Value) -> Op {
    Op {
        op_id: OpId::new(),
        seq,
        entity: "work_order".into(),
        entity_id: job.id.to_string(),
        visit_id: Some("visit-1".into()),
        kind: kind.into(),
        version: 1,
        payload,
        hlc: format!("{seq:08}"),
        device_time,
        hash: None,
    }
}

async fn suite(s: Arc<dyn Storage>) {
    s.create_technician(Technician {
        id: "t-a".into(),
        name: "Wang Wei".into(),
        created_at: NOW - 90 * 24 * 60 * MIN,
    })
    .await
    .unwrap();
    s.create_enrolment_code("code".into(), "t-a".into(), NOW + 60 * MIN, NOW - 60 * MIN)
        .await
        .unwrap();
    let dev = DeviceId::new();
    s.enroll("code".into(), dev, "tok".into(), NOW - 60 * MIN)
        .await
        .unwrap();
    let device = s.device_by_token("tok".into()).await.unwrap().unwrap();
    let (from, to) = (NOW - 24 * 60 * MIN, NOW + 24 * 60 * MIN);
    let created = NOW - 5 * 60 * MIN;

    // A: urban repair, walked and completed. B: suburban installation, arrived with a clock
    // 2 h ahead. C: cancelled, then a fact recorded on it (a conflict: not a fact of the
    // measures). E: cancelled long before the period.
    let a = order(
        1,
        JobKind::Repair,
        Zone::Urban,
        NOW - 3 * 60 * MIN,
        NOW - 60 * MIN,
    );
    let b = order(
        2,
        JobKind::Installation,
        Zone::Suburban,
        NOW - 4 * 60 * MIN,
        NOW,
    );
    let c = order(3, JobKind::Delivery, Zone::Urban, NOW - 4 * 60 * MIN, NOW);
    let e = order(
        4,
        JobKind::Delivery,
        Zone::Urban,
        NOW - 40 * 24 * 60 * MIN,
        NOW,
    );
    for (o, at) in [
        (&a, created),
        (&b, created),
        (&c, created),
        (&e, NOW - 30 * 24 * 60 * MIN),
    ] {
        s.create_work_order(o.clone(), Some("t-a".into()), at)
            .await
            .unwrap();
    }
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

    let p = PushPolicy::default();
    let batch = vec![
        op(1, &a, "start_travel", NOW - 70 * MIN, json!({})),
        op(2, &a, "arrive", NOW - 50 * MIN, json!({})),
        op(
            3,
            &a,
            "feedback",
            NOW - 20 * MIN,
            json!({"rating": 4, "complaint": true, "comment": null}),
        ),
        op(4, &a, "complete", NOW - 10 * MIN, json!({})),
        op(5, &c, "arrive", NOW - 5 * MIN, json!({})),
    ];
    let r = s
        .push(device.clone(), Batch::prepare(batch), None, p, NOW)
        .await
        .unwrap();
    assert_eq!(r.results[3].outcome, OpOutcome::Applied);
    assert!(matches!(r.results[4].outcome, OpOutcome::Conflict { .. }));
    // B's batch arrives 10 min later from a clock 2 h ahead (sent_at says so): flagged.
    let later = NOW + 10 * MIN;
    let skew = 2 * 60 * MIN;
    let batch = vec![
        op(6, &b, "start_travel", NOW - 30 * MIN + skew, json!({})),
        op(7, &b, "arrive", NOW + 5 * MIN + skew, json!({})),
    ];
    s.push(
        device.clone(),
        Batch::prepare(batch),
        Some(later + skew),
        p,
        later,
    )
    .await
    .unwrap();

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
    assert_eq!(ids, ["WO-DEMO-00001", "WO-DEMO-00002", "WO-DEMO-00003"]);
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
    let mut kinds: Vec<(i64, &str)> = fa.events.iter().map(|e| (e.seq, e.kind.as_str())).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            (1, "start_travel"),
            (2, "arrive"),
            (3, "feedback"),
            (4, "complete")
        ]
    );
    let fb = fa.events.iter().find(|e| e.kind == "feedback").unwrap();
    assert_eq!((fb.rating, fb.complaint), (Some(4), true));
    assert!(fa.events.iter().all(|e| e.received_at == NOW
        && e.skew_ms.is_none()
        && e.device_id == dev.to_string()
        && e.visit_id.as_deref() == Some("visit-1")));
    let fbj = by(&b);
    assert_eq!(fbj.events.len(), 2);
    assert!(
        fbj.events
            .iter()
            .all(|e| e.skew_ms == Some(skew) && e.received_at == later)
    );
    let fc = by(&c);
    assert!(fc.cancelled);
    assert!(fc.events.is_empty(), "a conflicting op is not a fact");

    // The measures over them: A arrived NOW−50 min, 130 min after the call (SLA met); B's
    // arrival corrected to NOW+5 min, 245 min after its call.
    let m = measures::compute(
        &facts,
        from,
        to,
        NOW + 2 * 60 * MIN,
        &MeasureConfig::default(),
    );
    assert_eq!(
        (m.fleet.jobs, m.fleet.cancelled, m.fleet.completed),
        (3, 1, 1)
    );
    assert_eq!(m.fleet.sla.num, 2);
    assert_eq!(m.fleet.response.max_minutes, Some(245.0));
    assert_eq!(m.fleet.skew_corrected_events, 2);
    assert_eq!(m.fleet.complaints.handled_in_time.num, 1);
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
