//! Tests of the device database, by subject in `tests/`: upgrades (every released schema's
//! fixture), the upgrade runner, what commands leave in the store, encryption. This file holds
//! the fixtures they share: the released schemas' databases and a kit holding one of
//! everything.

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

mod commands;
mod encrypted;
mod runner;
mod upgrade;
