//! One storage suite, run against every backend: SQLite and PostgreSQL must behave the same.

mod common;

use std::sync::Arc;

use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::*;
use fieldkit_server::push::{Batch, PushPolicy};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::{Completion, Flag, JobChange, Storage, StorageError, Technician};
use serde_json::json;

fn op(seq: i64, job: &WorkOrderId, kind: &str) -> Op {
    Op {
        op_id: OpId::new(),
        seq,
        entity: "work_order".into(),
        entity_id: job.to_string(),
        visit_id: None,
        kind: kind.into(),
        version: 1,
        payload: json!({}),
        hlc: format!("{seq:08}"),
        device_time: 1_800_000_000_000,
        hash: None,
    }
}

async fn suite(s: Arc<dyn Storage>) {
    s.health().await.unwrap();
    let now = 1_800_000_000_000;
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
    s.create_enrolment_code("code-1".into(), "t-a".into(), now + 60_000, now)
        .await
        .unwrap();
    s.create_enrolment_code("old".into(), "t-a".into(), now - 1, now - 10)
        .await
        .unwrap();
    assert!(matches!(
        s.create_enrolment_code("x".into(), "nobody".into(), now + 1, now)
            .await,
        Err(StorageError::NotFound(_))
    ));
    let dev = DeviceId::new();
    assert_eq!(
        s.enroll("code-1".into(), dev, "tok-1".into(), now)
            .await
            .unwrap(),
        "t-a"
    );
    assert_eq!(
        s.enroll("code-1".into(), dev, "tok-2".into(), now)
            .await
            .unwrap(),
        "t-a"
    );
    assert!(s.device_by_token("tok-1".into()).await.unwrap().is_none());
    let device = s.device_by_token("tok-2".into()).await.unwrap().unwrap();
    assert_eq!(device.technician_id, "t-a");
    for (code, d) in [
        ("code-1", DeviceId::new()),
        ("old", DeviceId::new()),
        ("nope", dev),
    ] {
        assert!(matches!(
            s.enroll(code.into(), d, "t".into(), now).await,
            Err(StorageError::InvalidCode)
        ));
    }

    // Jobs and the change feed, paged; reassignment leaves a removal marker.
    let job = demo::repair_order(1, chrono::Utc::now(), Billing::Warranty);
    let other = demo::repair_order(2, chrono::Utc::now(), Billing::Warranty);
    s.create_work_order(job.clone(), Some("t-a".into()), now)
        .await
        .unwrap();
    s.create_work_order(other.clone(), Some("t-b".into()), now)
        .await
        .unwrap();
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
    assert!(matches!(&page[0].change, Change::WorkOrder { work_order } if work_order.id == job.id));
    let (page2, more) = s.pull("t-a".into(), page[0].seq, 10).await.unwrap();
    assert!(!more);
    assert!(matches!(page2[0].change, Change::FeeSchedule { .. }));
    assert_eq!(s.work_orders(Some("t-a".into())).await.unwrap().len(), 1);

    // Push: applied, duplicate, reused id, reused seq, gap, foreign job, unknown entity.
    let p = PushPolicy::default();
    let ops = vec![op(1, &job.id, "accept"), op(2, &other.id, "accept")];
    let r = s
        .push(device.clone(), Batch::prepare(ops.clone()), None, p, now)
        .await
        .unwrap();
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    assert!(
        matches!(&r.results[1].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_job")
    );
    assert_eq!(r.acked_through, 2);
    let r = s
        .push(device.clone(), Batch::prepare(ops.clone()), None, p, now)
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
    let mut changed = ops[0].clone();
    changed.kind = "arrive".into();
    let mut reseq = op(2, &job.id, "arrive");
    reseq.seq = 2;
    let gap = op(9, &job.id, "arrive");
    let mut alien = op(3, &job.id, "arrive");
    alien.entity = "spaceship".into();
    let r = s
        .push(
            device.clone(),
            Batch::prepare(vec![changed, reseq, alien, gap]),
            None,
            p,
            now,
        )
        .await
        .unwrap();
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Rejected { code, .. } if code == "op_id_reused")
    );
    assert!(
        matches!(&r.results[1].outcome, OpOutcome::Rejected { code, .. } if code == "seq_reused")
    );
    assert!(
        matches!(&r.results[2].outcome, OpOutcome::Rejected { code, .. } if code == "unknown_entity")
    );
    assert_eq!(r.results[3].outcome, OpOutcome::Gap { expected: 4 });
    assert_eq!(r.acked_through, 3);

    // Reassigned away: facts kept as conflicts and flagged; a completion listed, flagged.
    s.change_work_order(
        job.id,
        JobChange::Assign {
            technician_id: "t-b".into(),
        },
        now,
    )
    .await
    .unwrap();
    let (page, _) = s.pull("t-a".into(), page2[0].seq, 10).await.unwrap();
    assert!(matches!(page[0].change, Change::Removal { work_order_id } if work_order_id == job.id));
    let signed = op(4, &job.id, "sign");
    s.push(
        device.clone(),
        Batch::prepare(vec![signed.clone()]),
        None,
        p,
        now,
    )
    .await
    .unwrap();
    let r = s
        .push(
            device.clone(),
            Batch::prepare(vec![op(5, &job.id, "complete")]),
            Some(now + 3_600_000),
            p,
            now,
        )
        .await
        .unwrap();
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Conflict { code, .. } if code == "job_reassigned")
    );
    // The completion waits for its drawing check, with the device's signatures on the job.
    let waiting = s.pending_drawings(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let w = &waiting[0];
    assert_eq!(w.work_order_id, job.id.to_string());
    let kinds: Vec<(i64, &str)> = w.ops.iter().map(|o| (o.seq, o.kind.as_str())).collect();
    assert_eq!(kinds, vec![(4, "sign"), (5, "complete")]);
    assert!(s.completions(None, 10).await.unwrap()[0].checks_pending);
    let done = s.completions(None, 10).await.unwrap();
    assert_eq!(done.len(), 1);
    let kinds: Vec<&str> = done[0].flags.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains(&"completed_after_reassignment"), "{kinds:?}");
    assert!(kinds.contains(&"clock_skew"), "{kinds:?}");
    // Done once: its flags are stored with it, a second finish adds nothing.
    let signature_flags = |c: &Completion| c.flags.iter().filter(|f| f.kind == "signature").count();
    let before = signature_flags(&done[0]);
    let flag = Flag {
        work_order_id: Some(job.id.to_string()),
        op_id: Some(w.op_id.clone()),
        device_id: w.device_id.clone(),
        kind: "signature".into(),
        detail: "signature x: the strokes do not draw the signature image".into(),
        created_at: now,
    };
    for _ in 0..2 {
        s.finish_drawing(w.op_id.clone(), vec![flag.clone()], now)
            .await
            .unwrap();
    }
    assert!(s.pending_drawings(10).await.unwrap().is_empty());
    let done = s.completions(None, 10).await.unwrap();
    assert!(!done[0].checks_pending);
    assert_eq!(signature_flags(&done[0]), before + 1);

    // A job's stored ops of one kind (the verify page's read): applied and conflicts kept,
    // rejected ones and other jobs' left out.
    let accepted = s.job_ops(job.id, "accept".into()).await.unwrap();
    assert_eq!(
        accepted.iter().map(|o| o.op_id).collect::<Vec<_>>(),
        vec![ops[0].op_id]
    );
    assert_eq!(accepted[0], ops[0]);
    assert_eq!(s.job_ops(job.id, "complete".into()).await.unwrap().len(), 1);
    assert!(s.job_ops(job.id, "arrive".into()).await.unwrap().is_empty());
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
        s.device_by_token("tok-2".into())
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
