//! Linked jobs in storage (migration 0006 `job_links`), on both backends: a child and its link
//! are written in one transaction that judges the parent; children are read from the table;
//! a refused child leaves nothing behind; a parent's cancellation that is in flight (its row
//! locked, not yet committed) is waited for and refuses the child; links that existed only in
//! job bodies before 0006 are backfilled by the migration.

use std::sync::Arc;

use chrono::Utc;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_server::storage::postgres::{self, PostgresStorage};
use fieldkit_server::storage::sqlite::{self, SqliteStorage};
use fieldkit_server::storage::{JobChange, Storage, StorageError, Technician};

use crate::common;

const NOW: i64 = 1_800_000_000_000;

/// A child of `parent` as the desk makes it: a new id and number, the parent link in its body.
fn child_of(parent: &WorkOrder, n: u32, kind: LinkKind) -> WorkOrder {
    let mut c = demo::repair_order(100 + n, Utc::now(), Billing::Paid);
    c.number = format!("{}-{n}", parent.number);
    c.parent = Some(ParentLink {
        id: parent.id,
        number: parent.number.clone(),
        kind,
    });
    c
}

fn ids(jobs: &[fieldkit_server::storage::JobRecord]) -> Vec<WorkOrderId> {
    jobs.iter().map(|j| j.order.id).collect()
}

async fn suite(s: Arc<dyn Storage>) {
    s.create_technician(Technician {
        id: "tech-links".into(),
        name: "Technician Links".into(),
        created_at: NOW,
    })
    .await
    .unwrap();
    let parent = demo::repair_order(1, Utc::now(), Billing::Paid);
    s.create_work_order(parent.clone(), Some("tech-links".into()), NOW)
        .await
        .unwrap();
    assert!(s.child_work_orders(parent.id).await.unwrap().is_empty());

    // Two children, oldest first, each with its link in its body and in the table.
    let a = child_of(&parent, 1, LinkKind::CallbackRepair);
    let b = child_of(&parent, 2, LinkKind::FollowUp);
    let made = s
        .create_child_work_order(
            parent.id,
            LinkKind::CallbackRepair,
            a.clone(),
            Some("tech-links".into()),
            NOW + 1,
        )
        .await
        .unwrap();
    assert_eq!(made.order.status, WorkOrderStatus::Assigned);
    assert_eq!(made.technician_id.as_deref(), Some("tech-links"));
    s.create_child_work_order(parent.id, LinkKind::FollowUp, b.clone(), None, NOW + 2)
        .await
        .unwrap();
    let children = s.child_work_orders(parent.id).await.unwrap();
    assert_eq!(ids(&children), vec![a.id, b.id]);
    assert_eq!(
        children[1].order.parent.as_ref().map(|p| p.kind),
        Some(LinkKind::FollowUp)
    );
    // A child is no parent of anything; another job's children are its own.
    assert!(s.child_work_orders(a.id).await.unwrap().is_empty());

    // Refused, and nothing written (no job, no link): an unknown parent, an unknown
    // technician, an id in use.
    let c = child_of(&parent, 3, LinkKind::Rework);
    let r = s
        .create_child_work_order(WorkOrderId::new(), LinkKind::Rework, c.clone(), None, NOW)
        .await;
    assert!(
        matches!(
            r,
            Err(StorageError::NotFound(
                fieldkit_server::msg::Thing::WorkOrder
            ))
        ),
        "{r:?}"
    );
    let r = s
        .create_child_work_order(
            parent.id,
            LinkKind::Rework,
            c.clone(),
            Some("nobody".into()),
            NOW,
        )
        .await;
    assert!(
        matches!(
            r,
            Err(StorageError::NotFound(
                fieldkit_server::msg::Thing::Technician
            ))
        ),
        "{r:?}"
    );
    let r = s
        .create_child_work_order(parent.id, LinkKind::Rework, a.clone(), None, NOW)
        .await;
    assert!(matches!(r, Err(StorageError::Conflict(_))), "{r:?}");
    assert!(s.work_order(c.id).await.unwrap().is_none());
    assert_eq!(
        ids(&s.child_work_orders(parent.id).await.unwrap()),
        vec![a.id, b.id]
    );

    // A cancelled parent refuses children; nothing is written.
    s.change_work_order(
        parent.id,
        JobChange::Cancel {
            reason: "customer moved".into(),
        },
        NOW + 3,
    )
    .await
    .unwrap();
    let r = s
        .create_child_work_order(parent.id, LinkKind::Rework, c.clone(), None, NOW + 4)
        .await;
    assert!(matches!(r, Err(StorageError::Conflict(_))), "{r:?}");
    assert!(s.work_order(c.id).await.unwrap().is_none());
    assert_eq!(s.child_work_orders(parent.id).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_links_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(SqliteStorage::open(dir.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_links_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    suite(Arc::new(
        PostgresStorage::connect(&pg.url, 4).await.unwrap(),
    ))
    .await;
}

/// PostgreSQL: another connection cancels the parent and holds its row (not committed yet).
/// The child waits for that lock — it is seen waiting in `pg_locks` before the cancellation
/// commits — and then is refused: the check is not made on a state about to change. A check
/// made before the insert without the lock would have passed on the old state and made the
/// child of a cancelled job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_in_flight_refuses_the_child_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let s: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&pg.url, 4).await.unwrap());
    let parent = demo::repair_order(1, Utc::now(), Billing::Paid);
    s.create_work_order(parent.clone(), None, NOW)
        .await
        .unwrap();
    let connect = || async {
        let (c, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c
    };
    let holder = connect().await;
    let watcher = connect().await;
    holder.batch_execute("BEGIN").await.unwrap();
    let n = holder
        .execute(
            "UPDATE work_orders SET cancel_reason = 'customer moved' WHERE id = $1",
            &[&parent.id.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);

    let child = child_of(&parent, 1, LinkKind::Rework);
    let mut task = tokio::spawn({
        let s = s.clone();
        let child = child.clone();
        async move {
            s.create_child_work_order(parent.id, LinkKind::Rework, child, None, NOW + 1)
                .await
        }
    });
    // Until the child's transaction waits for the parent's row lock; it must not finish
    // before (a child made or refused without waiting judged the parent unlocked).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = watcher
            .query_one("SELECT count(*) FROM pg_locks WHERE NOT granted", &[])
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            !task.is_finished(),
            "the child did not wait for the parent's lock: {:?}",
            (&mut task).await
        );
        assert!(tokio::time::Instant::now() < deadline, "no lock wait seen");
        tokio::task::yield_now().await;
    }
    holder.batch_execute("COMMIT").await.unwrap();
    let r = task.await.unwrap();
    assert!(matches!(r, Err(StorageError::Conflict(_))), "{r:?}");
    assert!(s.work_order(child.id).await.unwrap().is_none());
    assert!(s.child_work_orders(parent.id).await.unwrap().is_empty());
}

/// SQLite: another connection cancels the parent inside a `BEGIN IMMEDIATE` it has not
/// committed. The child's transaction waits for the write lock and then sees the cancellation:
/// refused. (SQLite shows no lock waiters, so unlike the PostgreSQL test this one cannot prove
/// the child was already waiting when the cancellation committed; a correct storage answers
/// `Conflict` in either order.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_in_flight_refuses_the_child_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let parent = demo::repair_order(1, Utc::now(), Billing::Paid);
    s.create_work_order(parent.clone(), None, NOW)
        .await
        .unwrap();
    let holder = rusqlite::Connection::open(dir.path().join("fieldkit-server.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
        .execute(
            "UPDATE work_orders SET cancel_reason = 'customer moved' WHERE id = ?1",
            [parent.id.to_string()],
        )
        .unwrap();
    let child = child_of(&parent, 1, LinkKind::Rework);
    let task = tokio::spawn({
        let s = s.clone();
        let child = child.clone();
        async move {
            s.create_child_work_order(parent.id, LinkKind::Rework, child, None, NOW + 1)
                .await
        }
    });
    tokio::task::spawn_blocking(move || holder.execute_batch("COMMIT").unwrap())
        .await
        .unwrap();
    let r = task.await.unwrap();
    assert!(matches!(r, Err(StorageError::Conflict(_))), "{r:?}");
    assert!(s.work_order(child.id).await.unwrap().is_none());
    assert!(s.child_work_orders(parent.id).await.unwrap().is_empty());
}

/// A parent and two children whose links are only in their bodies (as every release before
/// 0006 stored them), and a job without a parent: raw rows at schema version 5.
fn bodies() -> (WorkOrder, Vec<WorkOrder>) {
    let parent = demo::repair_order(1, Utc::now(), Billing::Paid);
    let jobs = vec![
        parent.clone(),
        child_of(&parent, 1, LinkKind::Redelivery),
        child_of(&parent, 2, LinkKind::SecondVisit),
        demo::repair_order(9, Utc::now(), Billing::Paid),
    ];
    (parent, jobs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_links_backfilled_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (parent, jobs) = bodies();
    {
        let c = rusqlite::Connection::open(dir.path().join("fieldkit-server.db")).unwrap();
        sqlite::migrations::migrate(&c, &sqlite::migrations::MIGRATIONS[..5]).unwrap();
        for (n, j) in jobs.iter().enumerate() {
            c.execute(
                "INSERT INTO work_orders (id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                rusqlite::params![j.id.to_string(), serde_json::to_string(j).unwrap(), NOW + n as i64],
            )
            .unwrap();
        }
    }
    let s = SqliteStorage::open(dir.path()).unwrap();
    assert_eq!(
        ids(&s.child_work_orders(parent.id).await.unwrap()),
        vec![jobs[1].id, jobs[2].id]
    );
    assert!(s.child_work_orders(jobs[3].id).await.unwrap().is_empty());
    let c = rusqlite::Connection::open(dir.path().join("fieldkit-server.db")).unwrap();
    let kinds: Vec<String> = c
        .prepare("SELECT kind FROM job_links ORDER BY created_at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["redelivery", "second_visit"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_links_backfilled_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let (parent, jobs) = bodies();
    {
        let (mut c, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        postgres::migrations::migrate(&mut c, &postgres::migrations::MIGRATIONS[..5])
            .await
            .unwrap();
        for (n, j) in jobs.iter().enumerate() {
            c.execute(
                "INSERT INTO work_orders (id, body, created_at, updated_at) VALUES ($1, $2, $3, $3)",
                &[&j.id.to_string(), &serde_json::to_string(j).unwrap(), &(NOW + n as i64)],
            )
            .await
            .unwrap();
        }
    }
    let s = PostgresStorage::connect(&pg.url, 2).await.unwrap();
    assert_eq!(
        ids(&s.child_work_orders(parent.id).await.unwrap()),
        vec![jobs[1].id, jobs[2].id]
    );
    assert!(s.child_work_orders(jobs[3].id).await.unwrap().is_empty());
}
