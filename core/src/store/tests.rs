//! Opening, migrating, refusing and recovering the device database; blob collection.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rusqlite::Connection;

use super::schema::{self, CURRENT_VERSION};
use super::*;
use crate::api::{DeviceConfig, FieldKit};
use crate::clock::ManualClock;
use crate::demo;
use crate::model::Billing;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
}

/// Every released schema version and its fixture: a database of that version holding a
/// completed paid repair, a take-back with a loaner, stock movements, an installed template.
const FIXTURES: &[(i64, &str)] = &[
    (1, include_str!("../../tests/fixtures/schema_v1.sql")),
    (2, include_str!("../../tests/fixtures/schema_v2.sql")),
    (3, include_str!("../../tests/fixtures/schema_v3.sql")),
    (4, include_str!("../../tests/fixtures/schema_v4.sql")),
    (5, include_str!("../../tests/fixtures/schema_v5.sql")),
    (6, include_str!("../../tests/fixtures/schema_v6.sql")),
    (7, include_str!("../../tests/fixtures/schema_v7.sql")),
    (8, include_str!("../../tests/fixtures/schema_v8.sql")),
    (9, include_str!("../../tests/fixtures/schema_v9.sql")),
    (10, include_str!("../../tests/fixtures/schema_v10.sql")),
    (11, include_str!("../../tests/fixtures/schema_v11.sql")),
];

/// Tables an upgrade folds into others, checked by content instead of by row count.
const FOLDED: &[&str] = &["visit_events", "pending_ops", "answers"];

/// What a fixture older than v3 holds in the tables v3 folded into the journal.
#[derive(Default)]
struct BeforeJournal {
    /// Timeline events: (id, hash); v1 events had no hash (v2 chained them).
    events: Vec<(String, Option<String>)>,
    /// Outbox: (seq, kind).
    pending: Vec<(i64, String)>,
    /// Answers: (work order, visit, step, recorded).
    answers: Vec<(String, String, String, crate::checklist::Recorded)>,
}

fn before_journal(c: &Connection, version: i64) -> BeforeJournal {
    if version >= 3 {
        return BeforeJournal::default();
    }
    let hash = if version >= 2 { "hash" } else { "NULL" };
    let all = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = c.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let text = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(s) => Some(s.clone()),
        _ => None,
    };
    let events = all(&format!("SELECT id, {hash} FROM visit_events ORDER BY seq"))
        .iter()
        .map(|r| (text(&r[0]).unwrap(), text(&r[1])))
        .collect();
    let pending = all("SELECT seq, kind FROM pending_ops ORDER BY seq")
        .iter()
        .map(|r| match &r[0] {
            rusqlite::types::Value::Integer(seq) => (*seq, text(&r[1]).unwrap()),
            other => panic!("seq {other:?}"),
        })
        .collect();
    let answers = all(
        "SELECT v.work_order_id, a.visit_id, a.step_id, a.answer, a.exception
           FROM answers a JOIN visits v ON v.id = a.visit_id",
    )
    .iter()
    .map(|r| {
        let rec = match (text(&r[3]), text(&r[4])) {
            (Some(a), _) => crate::checklist::Recorded::Answer(serde_json::from_str(&a).unwrap()),
            (None, Some(reason)) => crate::checklist::Recorded::Exception { reason },
            (None, None) => panic!("an answer row with neither"),
        };
        (
            text(&r[0]).unwrap(),
            text(&r[1]).unwrap(),
            text(&r[2]).unwrap(),
            rec,
        )
    })
    .collect();
    BeforeJournal {
        events,
        pending,
        answers,
    }
}

/// Every event, outbox op and answer of an older fixture is in the upgraded journal.
fn assert_folded_into_journal(k: &FieldKit, version: i64, before: &BeforeJournal) {
    if version >= 3 {
        return;
    }
    k.store()
        .read(|c| {
            for (id, hash) in &before.events {
                let found: Option<String> = c
                    .query_row("SELECT hash FROM journal WHERE op_id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?
                    .flatten();
                assert!(found.is_some(), "v{version}: event {id} not in the journal");
                if hash.is_some() {
                    assert_eq!(&found, hash, "v{version}: event {id} changed its hash");
                }
            }
            let pending: Vec<(i64, String)> = queries::pending_ops(c, i64::MAX)?
                .into_iter()
                .map(|o| (o.seq, o.kind))
                .collect();
            assert_eq!(pending, before.pending, "v{version}: the outbox changed");
            for (order, visit, step, rec) in &before.answers {
                let (order, visit) = (order.parse().unwrap(), visit.parse().unwrap());
                let derived = queries::step_records(c, order, visit)?;
                match derived.get(step) {
                    Some((r, _)) => assert_eq!(r, rec, "v{version}: answer to {step}"),
                    None => {
                        // The fee-consent step: its answer is the customer's fee consent.
                        let fee = queries::checklist_facts(c, order, visit)?.fee_consent;
                        assert_eq!(
                            Some(rec.clone()),
                            fee.map(|(agreed, _)| crate::checklist::Recorded::Answer(
                                crate::checklist::AnswerValue::FeeConsent { agreed }
                            )),
                            "v{version}: answer to {step} is lost"
                        );
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

fn kit(dir: &Path) -> FieldKit {
    FieldKit::open_with_clock(
        dir,
        DeviceConfig::default(),
        Arc::new(ManualClock::new(t0())),
    )
    .unwrap()
}

/// A database with one of everything, made through the public API.
fn populated(dir: &Path) -> FieldKit {
    let kit = kit(dir);
    demo::stock_the_van(&kit).unwrap();
    let order = demo::repair_order(1, t0(), Billing::Paid);
    kit.receive_work_order(&order).unwrap();
    demo::walk_repair_visit(&kit, order.id, &mut |_| Ok(())).unwrap();
    let other = demo::repair_order(2, t0(), Billing::Warranty);
    kit.receive_work_order(&other).unwrap();
    kit.accept(other.id).unwrap();
    kit.call_customer(
        other.id,
        &crate::api::CallOutcome {
            reached: true,
            confirmed: crate::model::CallConfirmations::all(),
            agreed: None,
            note: Some("gate code given".into()),
        },
    )
    .unwrap();
    kit.answer_step(
        other.id,
        "tools_parts_loaded",
        &crate::checklist::AnswerValue::Confirmed,
    )
    .unwrap();
    kit.start_travel(other.id).unwrap();
    kit.arrive(other.id).unwrap();
    demo::take_back_with_evidence(&kit, other.id).unwrap();
    let mut t = crate::checklist::default_template_for(crate::model::JobKind::FollowUp, false);
    t.version += 1;
    kit.install_template(&t.to_json().unwrap()).unwrap();
    // A rework the desk made from the first job (v6: the parent link).
    let mut rework = demo::repair_order(3, t0(), Billing::Warranty);
    rework.parent = Some(crate::model::ParentLink {
        id: order.id,
        number: order.number.clone(),
        kind: crate::model::LinkKind::Rework,
    });
    kit.receive_work_order(&rework).unwrap();
    // The technician's card the server sent (v10), with a pulled page.
    kit.apply_changes(&crate::sync::protocol::PullResponse {
        changes: Vec::new(),
        cursor: 0,
        more: false,
        accepts: vec![],
        card: Some(crate::sync::protocol::TechnicianCard {
            technician_id: "tech-1".into(),
            name: "张师傅".into(),
            employee_number: Some("GH-0042".into()),
            service_hotline: Some("400-820-8820".into()),
        }),
    })
    .unwrap();
    kit
}

fn fresh_schema() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let k = kit(dir.path());
    k.store().read(schema::describe).unwrap()
}

fn row_counts(c: &Connection) -> Vec<(String, i64)> {
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

#[test]
fn every_fixture_upgrades_to_the_fresh_schema_with_nothing_lost() {
    let fresh = fresh_schema();
    for (version, sql) in FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let before = {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(sql).unwrap();
            assert_eq!(
                c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
                    .unwrap(),
                *version
            );
            (row_counts(&c), before_journal(&c, *version))
        };
        let (before, folded) = before;
        assert!(
            before
                .iter()
                .any(|(t, n)| (t == "pending_ops" || t == "journal") && *n > 0),
            "fixture v{version} has data"
        );
        let k = kit(dir.path());
        let upgraded = k.store().read(schema::describe).unwrap();
        assert_eq!(
            upgraded, fresh,
            "v{version} upgraded differs from a fresh schema"
        );
        let after = k.store().read(|c| Ok(row_counts(c))).unwrap();
        assert_folded_into_journal(&k, *version, &folded);
        // Each job's timeline, read through its journal runs, still verifies.
        let orders: Vec<String> = k
            .store()
            .read(|c| {
                let mut stmt = c.prepare("SELECT id FROM work_orders")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert!(!orders.is_empty());
        for id in orders {
            let v = k.verify(id.parse().unwrap()).unwrap();
            assert!(v.chain_problems.is_empty(), "v{version}: {id}: {v:?}");
        }
        for (table, n) in before.iter().filter(|(t, _)| !FOLDED.contains(&t.as_str())) {
            let m = after
                .iter()
                .find(|(t, _)| t == table)
                .map_or(0, |(_, m)| *m);
            assert!(m >= *n, "v{version}: {table} lost rows ({n} → {m})");
        }
        assert!(k.store().integrity_check().unwrap().is_empty());
        // The upgraded device keeps working, its sequence gapless.
        let jobs = k.store().pending_ops(i64::MAX).unwrap();
        assert_eq!(jobs.last().map(|o| o.seq), Some(jobs.len() as i64));
    }
}

#[test]
fn the_current_version_has_a_fixture() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/schema_v{CURRENT_VERSION}.sql"));
    if std::env::var_os("FIELDKIT_WRITE_FIXTURE").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let k = populated(dir.path());
        let sql = k.store().read(schema::dump).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sql).unwrap();
    }
    assert!(
        FIXTURES.iter().any(|(v, _)| *v == CURRENT_VERSION) && path.exists(),
        "schema v{CURRENT_VERSION} has no fixture: run FIELDKIT_WRITE_FIXTURE=1 cargo test -p fieldkit-core \
         the_current_version_has_a_fixture, commit it, and add it to FIXTURES"
    );
}

#[test]
fn a_database_from_a_newer_app_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(populated(dir.path()));
    let path = dir.path().join(DB_FILE);
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = FieldKit::open(dir.path(), DeviceConfig::default()).unwrap_err();
    assert!(
        matches!(err, Error::DatabaseTooNew { found, supported } if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION)
    );
    assert!(err.to_string().contains("update the app"));
    assert_eq!(std::fs::read(&path).unwrap(), before, "file untouched");
}

#[test]
fn a_corrupt_database_is_moved_aside_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let k = kit(dir.path());
    let aside = k.recovered_from().expect("recovery reported").to_owned();
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        garbage,
        "the corrupt file is kept as it was"
    );
    assert!(k.store().integrity_check().unwrap().is_empty());
    assert!(k.todays_jobs().unwrap().is_empty(), "a fresh database");
}

#[test]
fn orphaned_blobs_are_collected_and_referenced_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let kept: Vec<String> = k
        .store()
        .read(records::referenced_blobs)
        .unwrap()
        .into_iter()
        .collect();
    assert!(!kept.is_empty());
    // A photo for a job that does not exist: the file is written, the transaction fails.
    let bytes = demo::fake_photo("orphan");
    let err = k
        .add_photo(crate::model::WorkOrderId::new(), None, &bytes)
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    let ingested = crate::media::photo::ingest(&bytes, &Default::default()).unwrap();
    let orphans = [
        k.store().blobs().path(&ingested.sha256),
        k.store().blobs().path(&ingested.thumb_sha256),
    ];
    assert!(
        orphans.iter().all(|o| o.exists()),
        "photo and thumbnail written before the row, as the rule says"
    );
    std::fs::write(dir.path().join("blobs/tmp/half-written.part"), b"x").unwrap();
    assert_eq!(k.collect_orphans().unwrap(), 3);
    assert!(orphans.iter().all(|o| !o.exists()));
    for sha in kept {
        let bytes = k.attachment_bytes(&sha).unwrap();
        assert_eq!(blobs::sha256_hex(&bytes), sha, "referenced blob intact");
    }
}

fn noop_stock() -> crate::sync::ops::StockOp {
    crate::sync::ops::StockOp::Issue(crate::sync::ops::StockMovementV1 {
        id: crate::model::StockMovementId::new(),
        sku: "X".into(),
        kind: crate::model::MovementKind::Issued,
        quantity: 1,
        at: t0(),
        visit_id: None,
    })
}

#[test]
fn a_failed_command_rolls_back_everything_including_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let before = k.pending_ops(i64::MAX).unwrap();
    let r: Result<()> = k.store().write(Durability::Normal, t0(), |tx| {
        tx.append_stock_op("X", &noop_stock())?;
        Err(Error::invalid("test", "fail after appending"))
    });
    assert!(r.is_err());
    assert_eq!(k.pending_ops(i64::MAX).unwrap(), before);
    let seq = k
        .store()
        .write(Durability::Normal, t0(), |tx| {
            tx.append_stock_op("X", &noop_stock())
        })
        .unwrap();
    assert_eq!(seq, before.len() as i64 + 1, "no gap after a rollback");
}

// ---------------------------------------------------------------- the upgrade runner

mod runner {
    use rusqlite::Connection;

    use super::super::schema::upgrade_with;
    use crate::error::Error;

    fn v1_to_v2(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch("ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 7;")
    }

    fn v2_to_v3_fails_halfway(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch(
            "CREATE TABLE u (x); INSERT INTO t (a) VALUES (99); SELECT * FROM missing;",
        )
    }

    fn v2_to_v3(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch("CREATE TABLE u (x);")
    }

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1); PRAGMA user_version = 1;",
        )
        .unwrap();
        c
    }

    fn version(c: &Connection) -> i64 {
        c.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn steps_run_in_order_and_each_bumps_the_version() {
        let mut c = db();
        upgrade_with(&mut c, 1, &[v1_to_v2, v2_to_v3]).unwrap();
        assert_eq!(version(&c), 3);
        let b: i64 = c.query_row("SELECT b FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(b, 7, "row kept, column added");
        assert!(c.prepare("SELECT x FROM u").is_ok());
    }

    #[test]
    fn a_failing_step_leaves_its_version_and_data_untouched_and_resumes_later() {
        let mut c = db();
        assert!(upgrade_with(&mut c, 1, &[v1_to_v2, v2_to_v3_fails_halfway]).is_err());
        assert_eq!(
            version(&c),
            2,
            "the good step committed, the bad one did not"
        );
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "the failed step's insert rolled back");
        assert!(c.prepare("SELECT x FROM u").is_err(), "nor its table");
        upgrade_with(&mut c, 2, &[v1_to_v2, v2_to_v3]).unwrap();
        assert_eq!(version(&c), 3);
    }

    #[test]
    fn a_version_no_step_starts_from_is_refused() {
        let mut c = db();
        c.pragma_update(None, "user_version", 0).unwrap();
        assert!(matches!(
            upgrade_with(&mut c, 0, &[v1_to_v2]),
            Err(Error::DatabaseTooNew { .. })
        ));
    }
}

#[test]
fn cached_statements_are_not_re_prepared_on_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let (order, visit): (String, String) = k
        .store()
        .read(|c| {
            Ok(
                c.query_row("SELECT work_order_id, id FROM visits LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .unwrap();
    let (order, visit) = (order.parse().unwrap(), visit.parse().unwrap());
    k.store()
        .read(|c| {
            for _ in 0..3 {
                queries::checklist_facts(c, order, visit)?;
            }
            let stmt = c.prepare_cached(queries::PHOTO_COUNTS)?;
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
            Ok(())
        })
        .unwrap();
}

#[test]
fn schema_comparison_sees_a_missing_column_and_a_missing_index() {
    let dir = tempfile::tempdir().unwrap();
    let k = kit(dir.path());
    let fresh = k.store().read(schema::describe).unwrap();
    let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
    c.execute_batch("ALTER TABLE parts ADD COLUMN colour TEXT;")
        .unwrap();
    assert_ne!(schema::describe(&c).unwrap(), fresh);
    c.execute_batch("ALTER TABLE parts DROP COLUMN colour; DROP INDEX calls_by_order;")
        .unwrap();
    assert_ne!(schema::describe(&c).unwrap(), fresh);
    c.execute_batch("CREATE INDEX calls_by_order ON calls (work_order_id);")
        .unwrap();
    assert_eq!(schema::describe(&c).unwrap(), fresh);
}

#[test]
fn acknowledged_ops_leave_the_outbox_and_their_sequence_is_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    let ops = k.pending_ops(i64::MAX).unwrap();
    let last = ops.last().unwrap().clone();
    assert_eq!(k.store().acknowledge(last.seq - 1).unwrap(), ops.len() - 1);
    assert_eq!(k.pending_ops(i64::MAX).unwrap(), vec![last.clone()]);
    // Acknowledging again, or less, changes nothing; beyond the journal's end is clamped.
    assert_eq!(k.store().acknowledge(last.seq - 2).unwrap(), 0);
    assert_eq!(k.store().acknowledge(last.seq + 100).unwrap(), 1);
    assert!(k.pending_ops(i64::MAX).unwrap().is_empty());
    drop(k);
    // Reopened with an empty outbox: the sequence and the clock carry on.
    let k = kit(dir.path());
    demo::stock_the_van(&k).unwrap();
    let next = k.pending_ops(i64::MAX).unwrap();
    assert_eq!(next.first().map(|o| o.seq), Some(last.seq + 1));
    assert!(next[0].hlc > last.hlc, "the clock never goes back");
}

#[test]
fn the_timeline_is_a_hash_chain_per_work_order() {
    let dir = tempfile::tempdir().unwrap();
    let k = populated(dir.path());
    k.store()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT op_id, entity_id, visit_id, kind, at, payload, hash FROM journal
                 WHERE entity = 'work_order' ORDER BY entity_id, seq",
            )?;
            type Row = (String, String, Option<String>, String, i64, String, String);
            let rows: Vec<Row> = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let orders: std::collections::BTreeSet<_> = rows.iter().map(|r| r.1.clone()).collect();
            assert_eq!(orders.len(), 2);
            for order in orders {
                let chain: Vec<_> = rows.iter().filter(|r| r.1 == order).collect();
                let recomputed = crate::media::chain::recompute(chain.iter().map(|r| {
                    (
                        crate::media::chain::ChainedEvent {
                            id: &r.0,
                            work_order_id: &r.1,
                            visit_id: r.2.as_deref(),
                            kind: &r.3,
                            at_ms: r.4,
                            payload: &r.5,
                        },
                        r.6.as_str(),
                    )
                }));
                assert!(recomputed.is_ok(), "{recomputed:?}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn interleaved_jobs_keep_their_own_timelines_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let open =
        || FieldKit::open_with_clock(dir.path(), DeviceConfig::default(), clock.clone()).unwrap();
    let mut k = open();
    let jobs: Vec<_> = (1..=3)
        .map(|n| {
            let o = demo::repair_order(n, t0(), Billing::Warranty);
            k.receive_work_order(&o).unwrap();
            o.id
        })
        .collect();
    // A, B, C, A, B, C…, with a reopen in the middle: runs of one entry each, and a run
    // that continues across the reopen.
    let call = crate::api::CallOutcome {
        reached: false,
        confirmed: crate::model::CallConfirmations::default(),
        agreed: None,
        note: None,
    };
    for round in 0..6 {
        if round == 3 {
            drop(k);
            k = open();
        }
        for id in &jobs {
            match round {
                0 => k.accept(*id).map(drop).unwrap(),
                _ => k.call_customer(*id, &call).map(drop).unwrap(),
            }
        }
        k.call_customer(jobs[2], &call).unwrap();
    }
    let journal: Vec<(String, String)> = k
        .store()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT entity_id, op_id FROM journal WHERE entity = 'work_order' ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    for id in &jobs {
        let mine: Vec<&String> = journal
            .iter()
            .filter(|(e, _)| *e == id.to_string())
            .map(|(_, op)| op)
            .collect();
        let read: Vec<String> = k
            .store()
            .read(|c| queries::job_ops(c, *id))
            .unwrap()
            .into_iter()
            .map(|e| e.op_id.to_string())
            .collect();
        assert_eq!(read.iter().collect::<Vec<_>>(), mine, "job {id}");
        assert!(k.verify(*id).unwrap().chain_problems.is_empty());
    }
}

mod encrypted;

#[test]
fn a_child_job_keeps_its_parent_link_and_the_desk_may_change_it() {
    use crate::model::{LinkKind, ParentLink};
    let dir = tempfile::tempdir().unwrap();
    let k = kit(dir.path());
    let parent = demo::repair_order(1, t0(), Billing::Paid);
    let mut child = demo::repair_order(2, t0(), Billing::Warranty);
    child.parent = Some(ParentLink {
        id: parent.id,
        number: parent.number.clone(),
        kind: LinkKind::CallbackRepair,
    });
    k.receive_work_order(&child).unwrap();
    assert_eq!(k.job(child.id).unwrap().order.parent, child.parent);
    let listed = k.todays_jobs().unwrap();
    let line = listed
        .iter()
        .find(|j| j.id == child.id)
        .expect("today's job");
    assert_eq!(line.parent, child.parent, "the list shows the link");
    // The desk's word again, with another kind: replaced, like every desk-owned field.
    child.parent.as_mut().unwrap().kind = LinkKind::SecondVisit;
    k.receive_work_order(&child).unwrap();
    let got = k.job(child.id).unwrap().order.parent.unwrap();
    assert_eq!((got.id, got.kind), (parent.id, LinkKind::SecondVisit));
    // A job made on its own has none; an over-long parent number is refused.
    k.receive_work_order(&parent).unwrap();
    assert_eq!(k.job(parent.id).unwrap().order.parent, None);
    child.parent.as_mut().unwrap().number = "9".repeat(65);
    assert!(matches!(
        k.receive_work_order(&child),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn a_v9_device_gains_an_empty_card_table_then_keeps_the_card_it_is_sent() {
    use crate::sync::protocol::{PullResponse, TechnicianCard};
    let (_, sql) = FIXTURES.iter().find(|(v, _)| *v == 9).unwrap();
    let dir = tempfile::tempdir().unwrap();
    Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    let k = kit(dir.path());
    assert_eq!(k.technician_card().unwrap(), None);
    let card = TechnicianCard {
        technician_id: "tech-9".into(),
        name: " 李师傅 ".into(),
        employee_number: Some("GH-0009".into()),
        service_hotline: None,
    };
    let page = |card: Option<TechnicianCard>| PullResponse {
        changes: Vec::new(),
        cursor: 0,
        more: false,
        card,
        accepts: vec![],
    };
    k.apply_changes(&page(Some(card.clone()))).unwrap();
    let kept = k.technician_card().unwrap().expect("the card");
    assert_eq!(kept.name, "李师傅", "trimmed");
    assert_eq!(kept.employee_number.as_deref(), Some("GH-0009"));
    // A page without a card keeps the one held; an unusable card is skipped, the page kept.
    k.apply_changes(&page(None)).unwrap();
    let bad = TechnicianCard {
        name: "\u{7}".into(),
        ..card.clone()
    };
    k.apply_changes(&page(Some(bad))).unwrap();
    assert_eq!(k.technician_card().unwrap(), Some(kept));
    // The v10 fixture's card survives the reopening.
    let (_, sql10) = FIXTURES.iter().find(|(v, _)| *v == 10).unwrap();
    let dir10 = tempfile::tempdir().unwrap();
    Connection::open(dir10.path().join(DB_FILE))
        .unwrap()
        .execute_batch(sql10)
        .unwrap();
    let k10 = kit(dir10.path());
    assert_eq!(
        k10.technician_card()
            .unwrap()
            .and_then(|c| c.employee_number),
        Some("GH-0042".into())
    );
}
