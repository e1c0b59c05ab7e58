//! The server's schema across releases, on both backends.
//!
//! `tests/fixtures/server_v{N}.{sqlite,postgres}.sql` hold a database made by the release
//! whose schema was version N, filled with a small data set that touches every table. They
//! are made by [`generate_fixtures`] (ignored: run it at release time, with that release's
//! code, to record the fixture of that release):
//!
//! ```sh
//! cargo test -p fieldkit-server --test it -- --ignored migrations::generate_fixtures
//! ```
//!
//! It needs PostgreSQL (`bash .ci/postgres.sh`) for the `pg_dump` of the PostgreSQL fixture,
//! and refuses to overwrite a fixture that exists (a released fixture is a record, never
//! regenerated; `FIELDKIT_FIXTURE_OVERWRITE=1` overrides while the release is being made).
//! Two runs give the same text but for `webhook_deliveries.updated_at`, which the storage
//! stamps with the wall clock.
//!
//! The tests below restore those fixtures and check that this server upgrades them to its
//! newest schema with nothing lost, that the upgraded schema equals a fresh one, that a newer
//! or edited schema is refused untouched, that 0002's backfill of the completions is right on
//! the fixture, and (with a test-only migration numbered after the server's own) that a
//! migration is applied once, whole or not at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common;
use crate::common::journal::Phone;
use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::OpOutcome;
use fieldkit_core::sync::protocol::{Change, Op};
use fieldkit_server::i18n::Locale;
use fieldkit_server::push::{Batch, CompletionState, PushPolicy};
use fieldkit_server::storage::dashboard::{DispatcherAccount, SessionRecord};
use fieldkit_server::storage::migrations::{
    AppliedMigration, Migration, MigrationError, MigrationReport, Start,
};
use fieldkit_server::storage::postgres::{self, PostgresStorage};
use fieldkit_server::storage::sqlite::{self, SqliteStorage};
use fieldkit_server::storage::webhooks::{AttemptResult, NewWebhook};
use fieldkit_server::storage::{Flag, JobChange, Ruling, Storage, StorageError, Technician};
use rusqlite::Connection;
use serde_json::json;
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------ the fixture data set

/// The fixture's clock (ms): 2027-01-15 08:00 UTC.
const T0: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// The fixture's work orders: J1 completed, J2 cancelled, J3 reassigned, J4 unassigned,
/// J5 rescheduled, J6 assigned to a technician with no device.
const JOBS: [&str; 6] = [
    "00000000-0000-7000-8000-00000000a001",
    "00000000-0000-7000-8000-00000000a002",
    "00000000-0000-7000-8000-00000000a003",
    "00000000-0000-7000-8000-00000000a004",
    "00000000-0000-7000-8000-00000000a005",
    "00000000-0000-7000-8000-00000000a006",
];
/// Devices: A1 and A2 (technician A; A2 revoked), B1 (technician B).
const DEV_A1: &str = "00000000-0000-7000-8000-0000000de0a1";
const DEV_A2: &str = "00000000-0000-7000-8000-0000000de0a2";
const DEV_B1: &str = "00000000-0000-7000-8000-0000000de0b1";
/// Device tokens' hashes (as stored: the server keeps only a hash).
const TOKEN_A1: &str = "fixture-token-hash-a1";
const TOKEN_A2: &str = "fixture-token-hash-a2";
const TOKEN_B1: &str = "fixture-token-hash-b1";
/// The dashboard session kept in the fixture (its token's hash).
const SESSION: &str = "fixture-session-hash-1";

fn job_id(n: usize) -> WorkOrderId {
    JOBS[n - 1].parse().expect("fixture job id")
}

fn device(id: &str) -> DeviceId {
    id.parse().expect("fixture device id")
}

/// A work order with made-up customer data (nothing that looks like a real person).
fn order(n: usize, billing: Billing) -> WorkOrder {
    let start = chrono::DateTime::from_timestamp_millis(T0 + n as i64 * HOUR).expect("time");
    let mut o = fieldkit_core::demo::repair_order(n as u32, start, billing);
    o.id = job_id(n);
    o.number = format!("WO-FIXTURE-{n:03}");
    o.customer = Customer {
        name: format!("Fixture Customer {n}"),
        phone: format!("000-0000-{n:04}"),
    };
    o.site = Site {
        address: format!("{n} Fixture Street, Testville"),
        zone: if n.is_multiple_of(2) {
            Zone::Suburban
        } else {
            Zone::Urban
        },
    };
    o.reported_fault = "fixture fault: does not drain".into();
    o
}

/// An op of a device (fixed ids, so the fixture is the same on every run).
fn op(dev: char, seq: i64, entity: &str, entity_id: &str, kind: &str, at: i64) -> Op {
    let tag = match dev {
        'a' => 0xa1,
        'b' => 0xb1,
        _ => 0xff,
    };
    Op {
        op_id: format!("00000000-0000-7000-8000-{tag:06x}{seq:06}")
            .parse()
            .expect("fixture op id"),
        seq,
        entity: entity.into(),
        entity_id: entity_id.into(),
        visit_id: None,
        kind: kind.into(),
        version: 1,
        payload: json!({ "fixture": seq }),
        hlc: format!("{at:016}-{seq:04}"),
        device_time: at,
        hash: None,
    }
}

fn job_op(dev: char, seq: i64, job: usize, kind: &str, at: i64) -> Op {
    op(dev, seq, "work_order", JOBS[job - 1], kind, at)
}

/// Fills a fresh database, through the storage API only, with a data set that touches every
/// table the server has: technicians, enrolment codes (used, unused, expired), devices
/// (enrolled, revoked), work orders (assigned, cancelled, completed, reassigned, rescheduled,
/// unassigned), the change feed, a published template, fee schedule and part, pushed ops
/// (applied, rejected, conflicts, completions), flags (checklist, clock skew, late facts,
/// signature), drawing checks (one finished, others pending), the completions feed with
/// webhook subscriptions and deliveries (delivered, retrying, failed, pending), a handled
/// complaint, dispatchers and a session.
///
/// It recorded schema version 1 with hand-made ops (no timeline hash, made-up payloads): a
/// server that judges every op (0002 on) rejects them, so before this records a later
/// fixture its pushes must become real device journals (`common::journal::Phone`).
async fn fill(s: Arc<dyn Storage>) {
    let policy = PushPolicy::default();
    for (id, name, at) in [
        ("t-fixture-a", "Fixture Technician A", T0),
        ("t-fixture-b", "Fixture Technician B", T0 + 1),
        ("t-fixture-c", "Fixture Technician C", T0 + 2),
    ] {
        s.create_technician(Technician {
            id: id.into(),
            name: name.into(),
            created_at: at,
        })
        .await
        .unwrap();
    }
    // Enrolment codes: three used, one left unused, one expired.
    for (code, tech, expires) in [
        ("fixture-code-a1", "t-fixture-a", T0 + HOUR),
        ("fixture-code-a2", "t-fixture-a", T0 + HOUR),
        ("fixture-code-b1", "t-fixture-b", T0 + HOUR),
        ("fixture-code-unused", "t-fixture-c", T0 + 48 * HOUR),
        ("fixture-code-expired", "t-fixture-c", T0 - 1),
    ] {
        s.create_enrolment_code(
            uuid::Uuid::now_v7().to_string(),
            code.into(),
            tech.into(),
            expires,
            T0 + MINUTE,
        )
        .await
        .unwrap();
    }
    for (code, dev, token) in [
        ("fixture-code-a1", DEV_A1, TOKEN_A1),
        ("fixture-code-a2", DEV_A2, TOKEN_A2),
        ("fixture-code-b1", DEV_B1, TOKEN_B1),
    ] {
        s.enroll(crate::common::enrolment(
            code.into(),
            device(dev),
            token.into(),
            T0 + 2 * MINUTE,
        ))
        .await
        .unwrap();
    }
    s.revoke_device(device(DEV_A2), T0 + 3 * MINUTE)
        .await
        .unwrap();

    // Reference data every device pulls.
    let (_, template) = fieldkit_core::checklist::defaults::default_template_sources()
        .iter()
        .find(|(id, _)| *id == "follow_up")
        .expect("the follow-up template");
    for change in [
        Change::ChecklistTemplate {
            json: (*template).to_owned(),
        },
        Change::FeeSchedule {
            fee_schedule: fieldkit_core::demo::fee_schedule(),
        },
        Change::CatalogPart {
            part: Part {
                sku: "FX-PART-1".into(),
                name: "Fixture drain pump".into(),
                unit: "pcs".into(),
            },
        },
    ] {
        s.publish(change, T0 + 4 * MINUTE).await.unwrap();
    }

    // Webhook subscriptions made before the completions (they get deliveries).
    for (id, n) in [("wh-fixture-1", 1), ("wh-fixture-2", 2)] {
        s.create_webhook(NewWebhook {
            id: id.into(),
            url: format!("https://receiver{n}.example.invalid/hooks"),
            events: vec!["work_order.completed".into()],
            secret: format!("whsec_fixture_secret_{n:02}"),
            created_at: T0 + 5 * MINUTE,
        })
        .await
        .unwrap();
    }

    // Jobs.
    let techs = [
        Some("t-fixture-a"),
        Some("t-fixture-a"),
        Some("t-fixture-a"),
        None,
        Some("t-fixture-b"),
        Some("t-fixture-c"),
    ];
    for (i, tech) in techs.iter().enumerate() {
        let billing = if i.is_multiple_of(2) {
            Billing::Warranty
        } else {
            Billing::Paid
        };
        s.create_work_order(
            order(i + 1, billing),
            tech.map(str::to_owned),
            T0 + 10 * MINUTE + i as i64,
        )
        .await
        .unwrap();
    }

    // Device A1: accepts its three jobs; one op about a job that is not its own and one of
    // an unknown entity are rejected; a stock op is applied.
    let a1 = s
        .device_by_token(TOKEN_A1.into())
        .await
        .unwrap()
        .expect("device A1");
    let at = T0 + 20 * MINUTE;
    let batch = vec![
        job_op('a', 1, 1, "accept", at),
        job_op('a', 2, 2, "accept", at),
        job_op('a', 3, 3, "accept", at),
        job_op('a', 4, 5, "accept", at),
        op('a', 5, "spaceship", "x-1", "launch", at),
        op('a', 6, "stock", "FX-PART-1", "issued", at),
    ];
    s.push(
        a1.clone(),
        Batch::prepare(batch, Locale::En),
        None,
        policy,
        at,
    )
    .await
    .unwrap();

    // The desk cancels J2 and reassigns J3 to technician B, reschedules J5.
    s.change_work_order(
        job_id(2),
        JobChange::Cancel {
            reason: "fixture: the customer called it off".into(),
        },
        T0 + 30 * MINUTE,
    )
    .await
    .unwrap();
    s.change_work_order(
        job_id(3),
        JobChange::Assign {
            technician_id: "t-fixture-b".into(),
        },
        T0 + 31 * MINUTE,
    )
    .await
    .unwrap();
    let window = {
        let start = chrono::DateTime::from_timestamp_millis(T0 + 30 * HOUR).expect("time");
        TimeWindow {
            start,
            end: start + chrono::Duration::hours(2),
        }
    };
    s.change_work_order(
        job_id(5),
        JobChange::Reschedule { window },
        T0 + 32 * MINUTE,
    )
    .await
    .unwrap();

    // Device A1 back online with its clock 3 h ahead: J1 walked to completion (applied),
    // facts and a completion on the cancelled J2 and a completion on the reassigned J3
    // (conflicts, flagged).
    let at = T0 + 60 * MINUTE;
    let batch = vec![
        job_op('a', 7, 1, "start_travel", at),
        job_op('a', 8, 1, "arrive", at + MINUTE),
        job_op('a', 9, 1, "start_work", at + 2 * MINUTE),
        job_op('a', 10, 1, "sign", at + 3 * MINUTE),
        job_op('a', 11, 1, "complete", at + 4 * MINUTE),
        job_op('a', 12, 2, "arrive", at + 5 * MINUTE),
        job_op('a', 13, 2, "complete", at + 6 * MINUTE),
        job_op('a', 14, 3, "complete", at + 7 * MINUTE),
    ];
    s.push(
        a1,
        Batch::prepare(batch, Locale::En),
        Some(at + 3 * HOUR),
        policy,
        at,
    )
    .await
    .unwrap();

    // Device B1 takes J3 over and pauses J5.
    let b1 = s
        .device_by_token(TOKEN_B1.into())
        .await
        .unwrap()
        .expect("device B1");
    let at = T0 + 70 * MINUTE;
    let batch = vec![
        job_op('b', 1, 3, "accept", at),
        job_op('b', 2, 5, "accept", at),
        job_op('b', 3, 5, "arrive", at + MINUTE),
        job_op('b', 4, 5, "pause", at + 2 * MINUTE),
    ];
    s.push(b1, Batch::prepare(batch, Locale::En), None, policy, at)
        .await
        .unwrap();

    // Drawing checks: J1's completion checked (one signature flag), the others pending.
    let pending = s.pending_drawings(10).await.unwrap();
    assert_eq!(
        pending.len(),
        3,
        "three completions wait for their drawing check"
    );
    let j1 = pending
        .iter()
        .find(|p| p.work_order_id == JOBS[0])
        .expect("J1's check");
    s.finish_drawing(
        j1.op_id.clone(),
        vec![Flag {
            work_order_id: Some(JOBS[0].into()),
            op_id: Some(j1.op_id.clone()),
            device_id: j1.device_id.clone(),
            kind: "signature".into(),
            detail: "fixture: the strokes do not draw the signature image".into(),
            said: None,
            created_at: T0 + 80 * MINUTE,
        }],
        T0 + 80 * MINUTE,
    )
    .await
    .unwrap();

    // The completions feed and its deliveries: subscription 1 delivered J1, retries J2 and
    // gave up on J3; subscription 2 delivered J1, the rest still pending.
    assert_eq!(s.sync_feed(T0 + 81 * MINUTE).await.unwrap(), 3);
    let claimed = s
        .claim_deliveries(T0 + 82 * MINUTE, T0 + 83 * MINUTE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 6, "two subscriptions × three completions");
    for d in claimed {
        let job = d.completion.work_order_id.as_str();
        let result = match (d.subscription_id.as_str(), job) {
            (_, j) if j == JOBS[0] => AttemptResult::Delivered {
                at: T0 + 82 * MINUTE,
            },
            ("wh-fixture-1", j) if j == JOBS[1] => AttemptResult::Retry {
                next_at: T0 + 90 * MINUTE,
                error: "HTTP 503".into(),
            },
            ("wh-fixture-1", _) => AttemptResult::Failed {
                error: "connection refused".into(),
            },
            _ => continue,
        };
        s.finish_delivery(d.subscription_id, d.completion.op_id, d.claim, result, 0)
            .await
            .unwrap();
    }
    // A subscription made after the completions: no deliveries.
    s.create_webhook(NewWebhook {
        id: "wh-fixture-3".into(),
        url: "https://receiver3.example.invalid/hooks".into(),
        events: vec!["work_order.completed".into()],
        secret: "whsec_fixture_secret_03".into(),
        created_at: T0 + 84 * MINUTE,
    })
    .await
    .unwrap();

    // The desk handled a complaint on J1.
    s.complaint_handled(job_id(1), T0 + 26 * HOUR)
        .await
        .unwrap();

    // Dispatchers (placeholder hashes: nobody logs in with them) and one session.
    for (id, login) in [
        ("d-fixture-1", "fixture.desk1"),
        ("d-fixture-2", "fixture.desk2"),
    ] {
        s.create_dispatcher(DispatcherAccount {
            id: id.into(),
            login: login.into(),
            password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$Zml4dHVyZQ${id}"),
            created_at: T0 + 5 * MINUTE,
            role: fieldkit_server::records::Role::Administrator,
            disabled_at: None,
        })
        .await
        .unwrap();
    }
    s.create_session(
        SESSION.into(),
        SessionRecord {
            dispatcher_id: "d-fixture-1".into(),
            login: "fixture.desk1".into(),
            csrf: "fixture-csrf-token-1".into(),
            created_at: T0 + 85 * MINUTE,
            // Far ahead: the session still reads back when a test opens the fixture.
            expires_at: T0 + 100_000 * HOUR * 24,
            last_seen_at: T0 + 85 * MINUTE,
            role: fieldkit_server::records::Role::Administrator,
        },
    )
    .await
    .unwrap();
}

// ------------------------------------------------------------------ dumping

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A plain SQL text of a SQLite database: the schema as stored in `sqlite_master` (tables in
/// creation order), every row as an `INSERT` (in rowid order, values through `quote()`), the
/// indexes, and `sqlite_sequence`, in one transaction. `execute_batch` on an empty database
/// rebuilds it.
fn dump_sqlite(c: &Connection, header: &str) -> String {
    let objects: Vec<(String, String, String)> = c
        .prepare(
            "SELECT type, name, sql FROM sqlite_master
              WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = format!("{header}BEGIN;\n");
    let tables: Vec<&String> = objects
        .iter()
        .filter(|(t, _, _)| t == "table")
        .map(|(_, n, _)| n)
        .collect();
    for (_, _, sql) in objects.iter().filter(|(t, _, _)| t == "table") {
        out.push_str(&format!("{sql};\n"));
    }
    let rows_of = |table: &str| -> Vec<String> {
        let cols: Vec<String> = c
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let values = cols
            .iter()
            .map(|col| format!("quote(\"{col}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        c.prepare(&format!(
            "SELECT 'INSERT INTO \"{table}\" VALUES(' || {values} || ');' FROM \"{table}\"
              ORDER BY rowid"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    for table in &tables {
        for line in rows_of(table) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    for (_, _, sql) in objects.iter().filter(|(t, _, _)| t != "table") {
        out.push_str(&format!("{sql};\n"));
    }
    let has_sequence: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if has_sequence {
        out.push_str("DELETE FROM sqlite_sequence;\n");
        for line in rows_of("sqlite_sequence") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str("COMMIT;\n");
    out
}

/// Writes a fixture unless it exists (a released fixture is never regenerated), unless
/// `FIELDKIT_FIXTURE_OVERWRITE=1`.
fn write_fixture(name: &str, text: &str) {
    let path = fixtures_dir().join(name);
    if path.exists() && std::env::var("FIELDKIT_FIXTURE_OVERWRITE").as_deref() != Ok("1") {
        panic!(
            "{} exists: a released fixture is a record of its release and is not regenerated \
             (FIELDKIT_FIXTURE_OVERWRITE=1 while that release is being made)",
            path.display()
        );
    }
    std::fs::create_dir_all(fixtures_dir()).unwrap();
    std::fs::write(&path, text).unwrap();
    eprintln!("wrote {} ({} bytes)", path.display(), text.len());
}

/// The schema version the fixtures are named after: `FIELDKIT_FIXTURE_VERSION`, else the
/// newest migration of this release.
fn fixture_version() -> u32 {
    std::env::var("FIELDKIT_FIXTURE_VERSION")
        .map(|v| v.parse().expect("FIELDKIT_FIXTURE_VERSION is a number"))
        .unwrap_or(LATEST as u32)
}

/// Run at release time to produce the fixtures of that release (see the module's doc):
/// fills a SQLite and a PostgreSQL database with [`fill`] through this release's storage
/// code and saves their dumps as `tests/fixtures/server_v{N}.{sqlite,postgres}.sql`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run at release time to record that release's fixtures"]
async fn generate_fixtures() {
    let version = fixture_version();
    let header = format!(
        "-- FieldKit server database of schema version {version} (SQLite), made by\n\
         -- `cargo test -p fieldkit-server --test it -- --ignored migrations::generate_fixtures`.\n\
         -- Made-up data. Rebuild with execute_batch on an empty database.\n"
    );

    let dir = tempfile::tempdir().unwrap();
    {
        let s = SqliteStorage::open(dir.path()).unwrap();
        fill(Arc::new(s)).await;
    }
    let c = Connection::open(dir.path().join("fieldkit-server.db")).unwrap();
    write_fixture(
        &format!("server_v{version}.sqlite.sql"),
        &dump_sqlite(&c, &header),
    );

    let pg = common::Pg::start().expect("the fixture generator needs PostgreSQL");
    {
        let s = PostgresStorage::connect(&pg.url, 2).await.unwrap();
        fill(Arc::new(s)).await;
    }
    let mut args = vec![
        "--inserts",
        "--no-owner",
        "--no-privileges",
        "--dbname",
        pg.url.as_str(),
    ];
    // A fixed psql `\restrict` key where pg_dump writes one (15.14 and later), so the
    // fixture is the same text on every run.
    let help = pg.tool("pg_dump", &["--help"]);
    if String::from_utf8_lossy(&help.stdout).contains("--restrict-key") {
        args.push("--restrict-key=fieldkitfixture");
    }
    let out = pg.tool("pg_dump", &args);
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8(out.stdout).expect("pg_dump writes UTF-8");
    write_fixture(
        &format!("server_v{version}.postgres.sql"),
        &format!(
            "-- FieldKit server database of schema version {version} (PostgreSQL), made by\n\
             -- `cargo test -p fieldkit-server --test it -- --ignored migrations::generate_fixtures`\n\
             -- (pg_dump --inserts --no-owner --no-privileges). Made-up data.\n{dump}"
        ),
    );
}

// ------------------------------------------------------------------ shared by the tests

const SQLITE_V1: &str = include_str!("../fixtures/server_v1.sqlite.sql");
const POSTGRES_V1: &str = include_str!("../fixtures/server_v1.postgres.sql");
/// The SQLite backend's database file in its data dir.
const DB_FILE: &str = "fieldkit-server.db";
/// The newest schema version this server knows (both backends have the same list).
const LATEST: i64 = match sqlite::migrations::MIGRATIONS.last() {
    Some(m) => m.version as i64,
    None => 0,
};

/// The version of the test-only migration the tests add after the server's own list.
const EXTRA: u32 = LATEST as u32 + 1;
/// A test-only migration that adds a column and an index (non-idempotent: a second run
/// would fail, so "applied once" is visible).
const ADD_COLUMN: &str = "ALTER TABLE technicians ADD COLUMN region TEXT;
CREATE INDEX technicians_by_region ON technicians (region);";
/// A test-only migration whose second statement fails after the first succeeded.
const FAILING: &str = "ALTER TABLE technicians ADD COLUMN region TEXT;
INSERT INTO no_such_table VALUES (1);";
/// The tables migration 0002 added (the v1 fixture has none of them).
const V2_TABLES: [&str; 3] = ["completions", "desk_audit", "job_replays"];

/// The server's list plus a synthetic migration [`EXTRA`], numbered after the real ones.
fn with_extra(list: &'static [Migration], sql: &'static str) -> Vec<Migration> {
    assert_eq!(list.last().map(|m| i64::from(m.version)), Some(LATEST));
    let mut all = list.to_vec();
    all.push(Migration::new(EXTRA, "add_region", sql, ""));
    all
}

/// Every version of a list, in order.
fn versions(list: &[Migration]) -> Vec<u32> {
    list.iter().map(|m| m.version).collect()
}

/// The fixture's v1 tables kept every row (none lost, none added), and the later
/// migrations' tables are there besides: `completions` holding the backfill of the fixture's
/// three completions, the others empty.
fn assert_v1_kept(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) {
    for (table, n) in before {
        assert_eq!(
            after.get(table),
            Some(n),
            "table {table}: no row lost or added"
        );
    }
    let added: BTreeMap<&str, i64> = after
        .iter()
        .filter(|(t, _)| !before.contains_key(*t))
        .map(|(t, n)| (t.as_str(), *n))
        .collect();
    assert_eq!(
        added,
        BTreeMap::from([
            ("audit_log", 0),
            ("callback_rules", 0),
            ("callbacks", 0),
            ("cash_handins", 0),
            ("complaints", 0),
            ("completions", 3),
            ("desk_audit", 0),
            ("holiday_calendars", 0),
            ("invoices", 0),
            ("job_links", 0),
            ("job_replays", 0),
            ("login_failures", 0),
            ("rate_limits", 0),
            ("replenishments", 0),
            ("server_keys", 0),
            ("sla_limits", 0),
            ("sla_versions", 0),
            ("technician_profiles", 0),
            ("stock_minimums", 0),
            ("tools", 0),
        ]),
        "the tables of 0002 to 0015 (the fixture's jobs have no parent: no link to backfill)"
    );
}

/// The server's list with 0001's text edited (a released migration changed).
fn edited_first(first: &'static [Migration]) -> Vec<Migration> {
    let mut list = first.to_vec();
    let sql: &'static str = Box::leak(format!("{}\n-- edited\n", list[0].sql).into_boxed_str());
    list[0].sql = sql;
    list
}

/// The version rows a database must hold after `list` was applied.
fn assert_rows(rows: &[AppliedMigration], list: &[Migration]) {
    let got: Vec<(i64, &str, &str)> = rows
        .iter()
        .map(|r| (r.version, r.name.as_str(), r.checksum.as_str()))
        .collect();
    let checksums: Vec<String> = list.iter().map(Migration::checksum).collect();
    let want: Vec<(i64, &str, &str)> = list
        .iter()
        .zip(&checksums)
        .map(|(m, c)| (i64::from(m.version), m.name, c.as_str()))
        .collect();
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| r.applied_at > 0));
}

fn expect_migration_error<T>(r: Result<T, StorageError>) -> MigrationError {
    match r {
        Err(StorageError::Migration(e)) => e,
        Err(e) => panic!("expected a migration error, got {e}"),
        Ok(_) => panic!("expected a migration error, the database was accepted"),
    }
}

/// Everything the fixture holds, read back through the public storage API (both backends
/// hold the same data set). `rows` are the fixture's row counts per table.
async fn reads_back(s: &dyn Storage, rows: &BTreeMap<String, i64>) {
    let techs = s.technicians().await.unwrap();
    assert_eq!(
        techs.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t-fixture-a", "t-fixture-b", "t-fixture-c"]
    );
    assert_eq!(s.devices().await.unwrap().len(), 3);
    let a1 = s.device_by_token(TOKEN_A1.into()).await.unwrap().unwrap();
    assert_eq!(
        (a1.id, a1.technician_id.as_str()),
        (device(DEV_A1), "t-fixture-a")
    );
    assert_eq!((a1.last_seq, a1.revoked_at), (14, None));
    let a2 = s.device_by_token(TOKEN_A2.into()).await.unwrap().unwrap();
    assert_eq!(a2.revoked_at, Some(T0 + 3 * MINUTE));
    let b1 = s.device_by_token(TOKEN_B1.into()).await.unwrap().unwrap();
    assert_eq!(b1.last_seq, 4);
    assert_eq!(s.enrolment_codes(100).await.unwrap().len(), 5);

    let jobs = s.work_orders(None).await.unwrap();
    assert_eq!(jobs.len(), 6);
    let job = |n: usize| jobs.iter().find(|j| j.order.id == job_id(n)).unwrap();
    // J1's completion was flagged by the previous release (timeline chain, signature): 0002
    // holds it for the desk, and a held completion does not complete its job.
    assert_ne!(job(1).order.status, WorkOrderStatus::Completed);
    assert_eq!(job(1).completed_at, None);
    assert_eq!(job(1).order.customer.name, "Fixture Customer 1");
    assert_eq!(job(2).order.status, WorkOrderStatus::Cancelled);
    assert!(job(2).cancel_reason.is_some());
    assert_eq!(job(3).technician_id.as_deref(), Some("t-fixture-b"));
    assert_eq!(job(4).technician_id, None);
    assert_eq!(
        job(5).order.promised.start.timestamp_millis(),
        T0 + 30 * HOUR
    );
    assert_eq!(
        s.work_orders(Some("t-fixture-a".into()))
            .await
            .unwrap()
            .len(),
        2
    );

    let (pulled, more) = s.pull("t-fixture-a".into(), 0, 100).await.unwrap();
    assert!(!more);
    assert!(pulled.iter().any(
        |c| matches!(c.change, Change::Removal { work_order_id } if work_order_id == job_id(3))
    ));
    assert!(pulled.iter().any(|c| matches!(c.change, Change::Cancellation { work_order_id, .. } if work_order_id == job_id(2))));
    assert!(
        pulled
            .iter()
            .any(|c| matches!(c.change, Change::ChecklistTemplate { .. }))
    );
    assert_eq!(s.published().await.unwrap().len(), 3);

    let completions = s.completions(None, 10).await.unwrap();
    assert_eq!(completions.len(), 3);
    let j1 = completions
        .iter()
        .find(|c| c.work_order_id == JOBS[0])
        .unwrap();
    assert_eq!(
        (j1.outcome.as_str(), j1.state.as_str()),
        ("applied", "held")
    );
    assert!(!j1.checks_pending);
    let kinds: Vec<&str> = j1.flags.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains(&"signature"), "{kinds:?}");
    backfilled(s).await;
    assert_eq!(
        completions
            .iter()
            .filter(|c| c.outcome == "conflict" && c.checks_pending)
            .count(),
        2
    );
    assert_eq!(s.pending_drawings(10).await.unwrap().len(), 2);
    let flags = s.flags(1000).await.unwrap();
    assert_eq!(flags.len() as i64, rows["flags"]);
    assert!(flags.iter().any(|f| f.kind == "clock_skew"));
    assert_eq!(s.rejected_ops(100).await.unwrap().len(), 2);
    assert_eq!(s.job_timeline(JOBS[0].into()).await.unwrap().len(), 6);
    assert_eq!(s.job_flags(JOBS[1].into()).await.unwrap().len(), 4);
    assert_eq!(s.job_ops(job_id(1), "sign".into()).await.unwrap().len(), 1);
    let facts = s.measure_facts(T0, T0 + 48 * HOUR).await.unwrap();
    assert!(facts.iter().any(|f| f.work_order_id == JOBS[0]));

    let feed = s.feed_after(0, 10).await.unwrap();
    assert_eq!(feed.iter().map(|f| f.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let hooks = s.webhooks().await.unwrap();
    let counts: Vec<(&str, i64, i64, i64)> = hooks
        .iter()
        .map(|h| (h.id.as_str(), h.pending, h.delivered, h.failed))
        .collect();
    assert_eq!(
        counts,
        [
            ("wh-fixture-1", 1, 1, 1),
            ("wh-fixture-2", 2, 1, 0),
            ("wh-fixture-3", 0, 0, 0)
        ]
    );
    let desk = s
        .dispatcher_by_login("fixture.desk1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(desk.id, "d-fixture-1");
    let session = s
        .session(SESSION.into(), T0 + 86 * MINUTE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.csrf, "fixture-csrf-token-1");
}

/// 0002's backfill on the fixture: every `complete` the previous release stored (applied or
/// a conflict) has its completions row; at most one stands per job; the first applied one
/// stands, held when the previous release flagged it (checklist gate, timeline chain,
/// signature) with those flags' details as its reasons; conflicts stay conflicts; a held
/// completion is not a fact of the measures.
async fn backfilled(s: &dyn Storage) {
    let all = s.completions(None, 100).await.unwrap();
    let mut completes = std::collections::BTreeSet::new();
    for n in 1..=JOBS.len() {
        for op in s.job_ops(job_id(n), "complete".into()).await.unwrap() {
            completes.insert(op.op_id.to_string());
        }
        let rows = s.job_completions(job_id(n)).await.unwrap();
        let standing = rows
            .iter()
            .filter(|c| {
                CompletionState::parse(&c.state).is_some_and(|k| {
                    !matches!(k, CompletionState::Rejected | CompletionState::Conflict)
                })
            })
            .count();
        assert!(standing <= 1, "J{n}: {rows:?}");
    }
    assert_eq!(completes.len(), 3, "the fixture's three completions");
    let rows: std::collections::BTreeSet<String> = all.iter().map(|c| c.op_id.clone()).collect();
    assert_eq!(rows, completes, "one row per stored complete");
    for c in &all {
        let judged: std::collections::BTreeSet<&str> = c
            .flags
            .iter()
            .filter(|f| {
                matches!(
                    f.kind.as_str(),
                    "checklist_gate" | "timeline_chain" | "signature"
                )
            })
            .map(|f| f.detail.as_str())
            .collect();
        let want = match c.outcome.as_str() {
            "applied" if !judged.is_empty() => "held",
            "applied" => "counted",
            _ => "conflict",
        };
        assert_eq!(c.state, want, "{c:?}");
        if want == "held" {
            let reasons: std::collections::BTreeSet<&str> =
                c.reasons.iter().map(String::as_str).collect();
            assert_eq!(reasons, judged, "the flags' details are the reasons");
        }
        // Written before 0015: no codes; their words read as stored, in either language.
        assert!(c.reason_codes.is_empty(), "{c:?}");
        assert!(c.flags.iter().all(|f| f.said.is_none()), "{c:?}");
        for l in fieldkit_server::i18n::Locale::ALL {
            assert_eq!(c.reasons_in(l), c.reasons);
            for f in &c.flags {
                assert_eq!(f.detail_in(l), f.detail);
            }
        }
        assert!(c.decision.is_none());
    }
    let held = s
        .completions(Some(CompletionState::Held), 10)
        .await
        .unwrap();
    assert_eq!(
        held.iter()
            .map(|c| c.work_order_id.as_str())
            .collect::<Vec<_>>(),
        [JOBS[0]]
    );
    assert_eq!(held[0].reasons.len(), 3, "{:?}", held[0].reasons);
    let facts = s.measure_facts(T0, T0 + 48 * HOUR).await.unwrap();
    let j1 = facts.iter().find(|f| f.work_order_id == JOBS[0]).unwrap();
    assert!(!j1.events.iter().any(|e| e.kind == "complete"));
    assert!(j1.events.iter().any(|e| e.kind == "arrive"));
}

/// Writes on an upgraded database: a new phone enrols with the fixture's unused code, the
/// desk adds a job (pinned to its checklist), the phone's real journal is applied; a device
/// of the previous release pushes its next op the old way (payload-less, no timeline hash):
/// judged now, and refused; the desk releases J1's backfilled held completion (the job is
/// completed again); the desk's first complaint time is kept.
async fn writes_after(s: &dyn Storage) {
    let at = T0 + 100 * MINUTE;
    let phone = Phone::new(chrono::DateTime::from_timestamp_millis(at - 10 * MINUTE).unwrap());
    let tech = s
        .enroll(crate::common::enrolment(
            "fixture-code-unused".into(),
            phone.device_id(),
            "token-c1".into(),
            at,
        ))
        .await
        .unwrap();
    assert_eq!(tech, "t-fixture-c");
    let mut job = order(6, Billing::Warranty);
    job.id = WorkOrderId::new();
    job.number = "WO-FIXTURE-007".into();
    let job = s
        .create_work_order(job, Some(tech), at)
        .await
        .unwrap()
        .order;
    assert!(job.checklist.is_some());
    assert_eq!(s.work_orders(None).await.unwrap().len(), 7);
    let c1 = s.device_by_token("token-c1".into()).await.unwrap().unwrap();
    phone.receive(&job);
    phone.accept(job.id);
    let r = s
        .push(
            c1,
            Batch::prepare(phone.outbox(), Locale::En),
            None,
            PushPolicy::default(),
            at,
        )
        .await
        .unwrap();
    assert_eq!(
        r.results
            .iter()
            .map(|x| x.outcome.clone())
            .collect::<Vec<_>>(),
        [OpOutcome::Applied, OpOutcome::Applied],
        "the van's stock and the accept"
    );
    assert_eq!(r.acked_through, 2);

    let b1 = s.device_by_token(TOKEN_B1.into()).await.unwrap().unwrap();
    let mut resume = job_op('b', 5, 5, "resume", at);
    resume.visit_id = Some(VisitId::new().to_string());
    resume.payload = json!({});
    let r = s
        .push(
            b1,
            Batch::prepare(vec![resume], Locale::En),
            None,
            PushPolicy::default(),
            at,
        )
        .await
        .unwrap();
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Rejected { code, .. } if code == "chain_mismatch"),
        "{:?}",
        r.results[0].outcome
    );
    assert_eq!(r.acked_through, 5);
    // Refused after 0015: stored with its code, and the old rows beside it without one.
    let rejected = s.rejected_ops(100).await.unwrap();
    let refused = rejected
        .iter()
        .find(|o| o.op_id == r.results[0].op_id.to_string())
        .expect("the refused resume");
    let said = refused.reason_said.as_ref().expect("a code since 0015");
    assert!(said.code.starts_with("core."), "{said:?}");
    assert!(
        rejected
            .iter()
            .filter(|o| o.op_id != refused.op_id)
            .all(|o| o.reason_said.is_none())
    );

    let released = s
        .decide_completion(
            job_id(1),
            Ruling::Release,
            "fixture.desk1".into(),
            Some("fixture: checked with the customer".into()),
            at,
        )
        .await
        .unwrap();
    assert_eq!(released.state, "released");
    let j1 = s.work_order(job_id(1)).await.unwrap().unwrap();
    assert_eq!(
        (j1.order.status, j1.completed_at),
        (WorkOrderStatus::Completed, Some(at))
    );
    assert!(matches!(
        s.decide_completion(job_id(1), Ruling::Reject, "fixture.desk1".into(), None, at)
            .await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(
        s.complaint_handled(job_id(1), T0 + 50 * HOUR)
            .await
            .unwrap(),
        T0 + 26 * HOUR
    );
}

// ------------------------------------------------------------------ SQLite

/// Rebuilds the v1 fixture as the data dir's database (as the previous release left it).
fn restore_sqlite(dir: &Path) {
    let c = Connection::open(dir.join(DB_FILE)).unwrap();
    c.execute_batch(SQLITE_V1)
        .expect("the SQLite fixture restores");
}

fn sqlite_counts(c: &Connection) -> BTreeMap<String, i64> {
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' AND name != 'fieldkit_schema' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
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

/// Tables and indexes as `sqlite_master` stores them, whitespace normalized.
fn sqlite_schema(c: &Connection) -> Vec<(String, String, String)> {
    c.prepare(
        "SELECT type, name, sql FROM sqlite_master
          WHERE type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type, name",
    )
    .unwrap()
    .query_map([], |r| {
        let sql: String = r.get(2)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            sql.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The database file's SHA-256 and the data dir's file names.
fn sqlite_snapshot(dir: &Path) -> (String, Vec<String>) {
    let bytes = std::fs::read(dir.join(DB_FILE)).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (hex::encode(Sha256::digest(&bytes)), names)
}

/// A database as the server leaves it (WAL), migrated with `list`, then closed.
fn sqlite_at(dir: &Path, list: &[Migration]) {
    let c = Connection::open(dir.join(DB_FILE)).unwrap();
    sqlite::migrations::migrate(&c, list).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
}

fn open_conn(dir: &Path) -> Connection {
    let c = Connection::open(dir.join(DB_FILE)).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

#[test]
fn sqlite_fresh_database_is_at_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open(dir.path()).unwrap());
    let c = open_conn(dir.path());
    assert_rows(
        &sqlite::migrations::applied(&c).unwrap(),
        sqlite::migrations::MIGRATIONS,
    );
    let counts = sqlite_counts(&c);
    assert_eq!(counts.len(), 36, "every table of the schema: {counts:?}");
    assert!(counts.values().all(|n| *n == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_v1_fixture_is_upgraded_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    restore_sqlite(dir.path());
    let before = sqlite_counts(&open_conn(dir.path()));
    assert_eq!(
        before.len(),
        16,
        "the fixture touches every table of version 1: {before:?}"
    );
    assert!(V2_TABLES.iter().all(|t| !before.contains_key(*t)));
    assert!(before.values().all(|n| *n > 0), "{before:?}");
    assert!(
        sqlite::migrations::applied(&open_conn(dir.path()))
            .unwrap()
            .is_empty()
    );

    let s = SqliteStorage::open(dir.path()).unwrap();
    let c = open_conn(dir.path());
    assert_rows(
        &sqlite::migrations::applied(&c).unwrap(),
        sqlite::migrations::MIGRATIONS,
    );
    assert_v1_kept(&before, &sqlite_counts(&c));
    reads_back(&s, &before).await;
    writes_after(&s).await;
    drop(s);

    // The upgraded schema is the fresh one.
    let fresh = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open(fresh.path()).unwrap());
    let schema = sqlite_schema(&open_conn(fresh.path()));
    assert_eq!(
        schema.len(),
        38 + 30,
        "36 tables, sqlite_sequence, the version table, 30 indexes"
    );
    assert_eq!(sqlite_schema(&c), schema);
}

/// A database last opened by a release older than the previous one lacks the tables added
/// since (the dashboard's, say): 0001 (`IF NOT EXISTS`) completes it while recording it as
/// version 1.
#[test]
fn sqlite_older_release_without_later_tables_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    restore_sqlite(dir.path());
    open_conn(dir.path())
        .execute_batch(
            "DROP TABLE dashboard_sessions; DROP TABLE dispatchers;
             DROP INDEX flags_by_job; DROP INDEX ops_rejected;",
        )
        .unwrap();
    drop(SqliteStorage::open(dir.path()).unwrap());
    let fresh = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open(fresh.path()).unwrap());
    let c = open_conn(dir.path());
    assert_eq!(sqlite_schema(&c), sqlite_schema(&open_conn(fresh.path())));
    assert_rows(
        &sqlite::migrations::applied(&c).unwrap(),
        sqlite::migrations::MIGRATIONS,
    );
    assert_eq!(sqlite_counts(&c)["ops"], 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reopening_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    restore_sqlite(dir.path());
    drop(SqliteStorage::open(dir.path()).unwrap());
    let c = open_conn(dir.path());
    let rows = sqlite::migrations::applied(&c).unwrap();
    let counts = sqlite_counts(&c);
    let schema = sqlite_schema(&c);
    let s = SqliteStorage::open(dir.path()).unwrap();
    assert_eq!(
        sqlite::migrations::applied(&c).unwrap(),
        rows,
        "same rows, same times"
    );
    assert_eq!(sqlite_counts(&c), counts);
    assert_eq!(sqlite_schema(&c), schema);
    reads_back(&s, &counts).await;
    let again = sqlite::migrations::migrate(&c, sqlite::migrations::MIGRATIONS).unwrap();
    assert_eq!(
        again,
        MigrationReport {
            start: Start::Version(LATEST),
            applied: vec![],
            version: LATEST
        }
    );
}

#[test]
fn sqlite_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    sqlite_at(dir.path(), sqlite::migrations::MIGRATIONS);
    {
        let c = open_conn(dir.path());
        c.execute(
            "INSERT INTO technicians (id, name, created_at) VALUES ('t-1', 'Fixture', 1)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO fieldkit_schema (version, name, checksum, applied_at)
             VALUES (?1, 'from_a_newer_server', 'x', 1)",
            [LATEST + 1],
        )
        .unwrap();
    }
    let before = sqlite_snapshot(dir.path());
    let e = expect_migration_error(SqliteStorage::open(dir.path()));
    assert_eq!(
        e,
        MigrationError::NewerSchema {
            database: LATEST + 1,
            server: LATEST as u32
        }
    );
    assert_eq!(
        StorageError::Migration(e).to_string(),
        format!(
            "the database schema is version {}, newer than this server's {LATEST}: upgrade \
             the server",
            LATEST + 1
        )
    );
    assert_eq!(
        sqlite_snapshot(dir.path()),
        before,
        "the file is byte for byte the same"
    );
}

#[test]
fn sqlite_edited_migration_is_refused_untouched() {
    // The database recorded another checksum for 0001 than the server embeds.
    let dir = tempfile::tempdir().unwrap();
    sqlite_at(dir.path(), sqlite::migrations::MIGRATIONS);
    open_conn(dir.path())
        .execute(
            "UPDATE fieldkit_schema SET checksum = ?1 WHERE version = 1",
            ["0".repeat(64)],
        )
        .unwrap();
    let before = sqlite_snapshot(dir.path());
    let e = expect_migration_error(SqliteStorage::open(dir.path()));
    assert_eq!(
        e,
        MigrationError::ChecksumMismatch {
            version: 1,
            name: "initial".into()
        }
    );
    assert!(
        e.to_string().contains("a released migration was edited"),
        "{e}"
    );
    assert_eq!(sqlite_snapshot(dir.path()), before);

    // A server whose 0001 was edited, on a database that recorded the released one.
    let dir = tempfile::tempdir().unwrap();
    sqlite_at(dir.path(), sqlite::migrations::MIGRATIONS);
    let before = sqlite_snapshot(dir.path());
    {
        let c = open_conn(dir.path());
        let e = expect_migration_error(sqlite::migrations::migrate(
            &c,
            &edited_first(sqlite::migrations::MIGRATIONS),
        ));
        assert!(matches!(
            e,
            MigrationError::ChecksumMismatch { version: 1, .. }
        ));
    }
    assert_eq!(sqlite_snapshot(dir.path()), before);
}

#[test]
fn sqlite_later_migration_is_applied_once_in_one_transaction() {
    let list = with_extra(sqlite::migrations::MIGRATIONS, ADD_COLUMN);
    let failing = with_extra(sqlite::migrations::MIGRATIONS, FAILING);
    let has_region = |c: &Connection| -> bool {
        c.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('technicians') WHERE name = 'region')",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };

    // The v1 fixture (no version table): baseline 1, then every later one.
    let dir = tempfile::tempdir().unwrap();
    restore_sqlite(dir.path());
    let c = open_conn(dir.path());
    let counts = sqlite_counts(&c);
    let r = sqlite::migrations::migrate(&c, &list).unwrap();
    assert_eq!(
        r,
        MigrationReport {
            start: Start::Legacy,
            applied: versions(&list),
            version: i64::from(EXTRA)
        }
    );
    assert_eq!(versions(&list).last(), Some(&EXTRA));
    assert!(versions(&list).windows(2).all(|w| w[0] < w[1]));
    assert!(has_region(&c));
    assert_rows(&sqlite::migrations::applied(&c).unwrap(), &list);
    assert_v1_kept(&counts, &sqlite_counts(&c));
    // Applied once: a second run does nothing (the ALTER would fail if run again).
    let r = sqlite::migrations::migrate(&c, &list).unwrap();
    assert_eq!(
        (r.start, r.applied),
        (Start::Version(i64::from(EXTRA)), vec![])
    );
    // The server, which knows only its own, refuses this database untouched.
    drop(c);
    let before = sqlite_snapshot(dir.path());
    let e = expect_migration_error(SqliteStorage::open(dir.path()));
    assert!(
        matches!(e, MigrationError::NewerSchema { database, .. } if database == i64::from(EXTRA)),
        "{e}"
    );
    assert_eq!(sqlite_snapshot(dir.path()), before);

    // A failing one rolls back whole (its first statement too); the server's own versions
    // stay intact.
    let dir = tempfile::tempdir().unwrap();
    restore_sqlite(dir.path());
    let c = open_conn(dir.path());
    let e = expect_migration_error(sqlite::migrations::migrate(&c, &failing));
    assert!(
        matches!(&e, MigrationError::Failed { version, reason, .. } if *version == EXTRA && reason.contains("no_such_table")),
        "{e}"
    );
    assert!(
        !has_region(&c),
        "the failed migration's first statement was rolled back"
    );
    assert_rows(
        &sqlite::migrations::applied(&c).unwrap(),
        sqlite::migrations::MIGRATIONS,
    );
    assert_v1_kept(&counts, &sqlite_counts(&c));
    // Fixed, it applies.
    let r = sqlite::migrations::migrate(&c, &list).unwrap();
    assert_eq!((r.start, r.applied), (Start::Version(LATEST), vec![EXTRA]));
    assert!(has_region(&c));

    // Two connections migrating at once: each migration applied once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let runs: Vec<MigrationReport> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let (path, list) = (&path, &list);
                s.spawn(move || sqlite::migrations::migrate(&open_conn(path), list).unwrap())
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut applied: Vec<u32> = runs.iter().flat_map(|r| r.applied.clone()).collect();
    applied.sort();
    assert_eq!(applied, versions(&list));
    assert_rows(
        &sqlite::migrations::applied(&open_conn(&path)).unwrap(),
        &list,
    );
}

// ------------------------------------------------------------------ PostgreSQL

async fn pg_connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test cluster");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// A new empty database of the cluster; its URL.
async fn pg_database(pg: &common::Pg, name: &str) -> String {
    pg_connect(&pg.url)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    pg.url_of(name)
}

/// Restores the v1 dump into the (empty) database at `url`, on a connection of its own (the
/// dump empties `search_path`). psql's `\restrict` lines are not SQL: left out.
async fn restore_postgres(url: &str) {
    let sql: Vec<&str> = POSTGRES_V1
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .collect();
    pg_connect(url)
        .await
        .batch_execute(&sql.join("\n"))
        .await
        .expect("the PostgreSQL fixture restores");
}

async fn pg_strings(c: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

async fn pg_counts(c: &tokio_postgres::Client) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for t in pg_strings(
        c,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'
           AND tablename <> 'fieldkit_schema' ORDER BY 1",
    )
    .await
    {
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM \"{t}\""), &[])
            .await
            .unwrap()
            .get(0);
        out.insert(t, n);
    }
    out
}

/// Columns (type, nullability, default), index definitions, constraints and sequences of
/// the `public` schema.
async fn pg_schema(c: &tokio_postgres::Client) -> Vec<String> {
    let mut out = pg_strings(
        c,
        "SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name,
                       data_type, is_nullable, coalesce(column_default, '-'))
           FROM information_schema.columns WHERE table_schema = 'public'
          ORDER BY table_name, ordinal_position",
    )
    .await;
    out.extend(
        pg_strings(
            c,
            "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
              ORDER BY indexname",
        )
        .await,
    );
    out.extend(
        pg_strings(
            c,
            "SELECT format('constraint %s %s %s', conrelid::regclass, conname,
                           pg_get_constraintdef(oid))
               FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
        )
        .await,
    );
    out.extend(
        pg_strings(
            c,
            "SELECT format('sequence %s %s %s %s', sequence_name, data_type, start_value,
                           increment)
               FROM information_schema.sequences WHERE sequence_schema = 'public'
              ORDER BY 1",
        )
        .await,
    );
    // Columns whose TOAST compression was set (0016: lz4 on the large values).
    out.extend(
        pg_strings(
            c,
            "SELECT format('compression %s.%s %s', a.attrelid::regclass, a.attname,
                           a.attcompression)
               FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
              WHERE r.relnamespace = 'public'::regnamespace AND r.relkind = 'r'
                AND a.attcompression <> ''
              ORDER BY 1",
        )
        .await,
    );
    out
}

/// What a refused start must leave as it was: the version table, the tables, a data row.
async fn pg_snapshot(c: &tokio_postgres::Client) -> (Vec<AppliedMigration>, Vec<String>) {
    let mut state = pg_strings(
        c,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .await;
    state.extend(pg_strings(c, "SELECT t::text FROM technicians t ORDER BY id").await);
    (postgres::migrations::applied(c).await.unwrap(), state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let all = postgres::migrations::MIGRATIONS;

    // A fresh database is at the latest version.
    let fresh = pg_database(&pg, "fresh").await;
    drop(PostgresStorage::connect(&fresh, 2).await.unwrap());
    let fresh_c = pg_connect(&fresh).await;
    assert_rows(&postgres::migrations::applied(&fresh_c).await.unwrap(), all);
    let empty = pg_counts(&fresh_c).await;
    assert_eq!(empty.len(), 36, "every table of the schema: {empty:?}");
    assert!(empty.values().all(|n| *n == 0));

    // The v1 fixture: upgraded, nothing lost, read back, schema equal to the fresh one.
    let url = pg_database(&pg, "fixture").await;
    restore_postgres(&url).await;
    let c = pg_connect(&url).await;
    let before = pg_counts(&c).await;
    assert_eq!(
        before.len(),
        16,
        "the fixture touches every table of version 1: {before:?}"
    );
    assert!(V2_TABLES.iter().all(|t| !before.contains_key(*t)));
    assert!(before.values().all(|n| *n > 0), "{before:?}");
    assert!(postgres::migrations::applied(&c).await.unwrap().is_empty());
    let s = PostgresStorage::connect(&url, 2).await.unwrap();
    let rows = postgres::migrations::applied(&c).await.unwrap();
    assert_rows(&rows, all);
    assert_v1_kept(&before, &pg_counts(&c).await);
    reads_back(&s, &before).await;
    let schema = pg_schema(&fresh_c).await;
    assert!(
        schema.len() > 100,
        "columns, indexes, constraints: {schema:?}"
    );
    // The large values compressed with lz4 (0016; this machine's PostgreSQL has it).
    for column in ["ops.body", "job_replays.state"] {
        assert!(
            schema.contains(&format!("compression {column} l")),
            "{column} not lz4: {:?}",
            schema
                .iter()
                .filter(|l| l.starts_with("compression"))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(pg_schema(&c).await, schema);
    // Restarting is a no-op.
    drop(s);
    let s = PostgresStorage::connect(&url, 2).await.unwrap();
    assert_eq!(postgres::migrations::applied(&c).await.unwrap(), rows);
    assert_v1_kept(&before, &pg_counts(&c).await);
    writes_after(&s).await;
    let mut direct = pg_connect(&url).await;
    let again = postgres::migrations::migrate(&mut direct, all)
        .await
        .unwrap();
    assert_eq!(
        (again.start, again.applied),
        (Start::Version(LATEST), vec![])
    );

    // A newer schema is refused untouched.
    let url = pg_database(&pg, "newer").await;
    drop(PostgresStorage::connect(&url, 2).await.unwrap());
    let c = pg_connect(&url).await;
    c.batch_execute(&format!(
        "INSERT INTO technicians (id, name, created_at) VALUES ('t-1', 'Fixture', 1);
         INSERT INTO fieldkit_schema (version, name, checksum, applied_at)
         VALUES ({}, 'from_a_newer_server', 'x', 1);",
        LATEST + 1
    ))
    .await
    .unwrap();
    let before = pg_snapshot(&c).await;
    let e = expect_migration_error(PostgresStorage::connect(&url, 2).await);
    assert_eq!(
        e,
        MigrationError::NewerSchema {
            database: LATEST + 1,
            server: LATEST as u32
        }
    );
    assert_eq!(pg_snapshot(&c).await, before);

    // An edited migration is refused untouched, both ways round.
    let url = pg_database(&pg, "edited").await;
    drop(PostgresStorage::connect(&url, 2).await.unwrap());
    let mut c = pg_connect(&url).await;
    let before = pg_snapshot(&c).await;
    let e = expect_migration_error(postgres::migrations::migrate(&mut c, &edited_first(all)).await);
    assert!(
        matches!(e, MigrationError::ChecksumMismatch { version: 1, .. }),
        "{e}"
    );
    assert_eq!(pg_snapshot(&c).await, before);
    c.execute(
        "UPDATE fieldkit_schema SET checksum = $1 WHERE version = 1",
        &[&"0".repeat(64)],
    )
    .await
    .unwrap();
    let before = pg_snapshot(&c).await;
    let e = expect_migration_error(PostgresStorage::connect(&url, 2).await);
    assert_eq!(
        e,
        MigrationError::ChecksumMismatch {
            version: 1,
            name: "initial".into()
        }
    );
    assert_eq!(pg_snapshot(&c).await, before);

    // A later migration on the v1 fixture: baseline 1, then every later one, once.
    let list = with_extra(all, ADD_COLUMN);
    let has_region = "SELECT EXISTS (SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'technicians' AND column_name = 'region')";
    let url = pg_database(&pg, "second").await;
    restore_postgres(&url).await;
    let mut c = pg_connect(&url).await;
    let counts = pg_counts(&c).await;
    let r = postgres::migrations::migrate(&mut c, &list).await.unwrap();
    assert_eq!(
        r,
        MigrationReport {
            start: Start::Legacy,
            applied: versions(&list),
            version: i64::from(EXTRA)
        }
    );
    assert!(
        c.query_one(has_region, &[])
            .await
            .unwrap()
            .get::<_, bool>(0)
    );
    assert_rows(&postgres::migrations::applied(&c).await.unwrap(), &list);
    assert_v1_kept(&counts, &pg_counts(&c).await);
    let r = postgres::migrations::migrate(&mut c, &list).await.unwrap();
    assert_eq!(
        (r.start, r.applied),
        (Start::Version(i64::from(EXTRA)), vec![])
    );
    let e = expect_migration_error(PostgresStorage::connect(&url, 2).await);
    assert!(
        matches!(e, MigrationError::NewerSchema { database, .. } if database == i64::from(EXTRA)),
        "{e}"
    );

    // A failing one rolls back whole; the server's own versions stay intact; fixed, it
    // applies.
    let url = pg_database(&pg, "failing").await;
    restore_postgres(&url).await;
    let mut c = pg_connect(&url).await;
    let e = expect_migration_error(
        postgres::migrations::migrate(&mut c, &with_extra(all, FAILING)).await,
    );
    assert!(
        matches!(&e, MigrationError::Failed { version, reason, .. } if *version == EXTRA && reason.contains("no_such_table")),
        "{e}"
    );
    assert!(
        !c.query_one(has_region, &[])
            .await
            .unwrap()
            .get::<_, bool>(0)
    );
    assert_rows(&postgres::migrations::applied(&c).await.unwrap(), all);
    assert_v1_kept(&counts, &pg_counts(&c).await);
    let r = postgres::migrations::migrate(&mut c, &list).await.unwrap();
    assert_eq!((r.start, r.applied), (Start::Version(LATEST), vec![EXTRA]));

    // Two servers starting at once on an empty database: each migration applied once.
    let url = pg_database(&pg, "race").await;
    let (mut c1, mut c2) = (pg_connect(&url).await, pg_connect(&url).await);
    let (r1, r2) = tokio::join!(
        postgres::migrations::migrate(&mut c1, &list),
        postgres::migrations::migrate(&mut c2, &list)
    );
    let mut applied: Vec<u32> = [r1.unwrap(), r2.unwrap()]
        .into_iter()
        .flat_map(|r| r.applied)
        .collect();
    applied.sort();
    assert_eq!(applied, versions(&list));
    assert_rows(&postgres::migrations::applied(&c1).await.unwrap(), &list);
    let url = pg_database(&pg, "race_servers").await;
    let (s1, s2) = tokio::join!(
        PostgresStorage::connect(&url, 2),
        PostgresStorage::connect(&url, 2)
    );
    drop((s1.unwrap(), s2.unwrap()));
    assert_rows(
        &postgres::migrations::applied(&pg_connect(&url).await)
            .await
            .unwrap(),
        all,
    );
}
