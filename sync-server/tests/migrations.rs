//! The server's schema across releases, on both backends.
//!
//! `tests/fixtures/server_v{N}.{sqlite,postgres}.sql` hold a database made by the release
//! whose schema was version N, filled with a small data set that touches every table. They
//! are made by [`generate_fixtures`] (ignored: run it at release time, with that release's
//! code, to record the fixture of that release):
//!
//! ```sh
//! cargo test -p fieldkit-server --test migrations -- --ignored generate_fixtures
//! ```
//!
//! It needs PostgreSQL (`bash .ci/postgres.sh`) for the `pg_dump` of the PostgreSQL fixture,
//! and refuses to overwrite a fixture that exists (a released fixture is a record, never
//! regenerated; `FIELDKIT_FIXTURE_OVERWRITE=1` overrides while the release is being made).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fieldkit_core::model::*;
use fieldkit_core::sync::protocol::{Change, Op};
use fieldkit_server::push::{Batch, PushPolicy};
use fieldkit_server::storage::dashboard::{DispatcherAccount, SessionRecord};
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::storage::webhooks::{AttemptResult, NewWebhook};
use fieldkit_server::storage::{Flag, JobChange, Storage, Technician};
use rusqlite::Connection;
use serde_json::json;

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
        s.create_enrolment_code(code.into(), tech.into(), expires, T0 + MINUTE)
            .await
            .unwrap();
    }
    for (code, dev, token) in [
        ("fixture-code-a1", DEV_A1, TOKEN_A1),
        ("fixture-code-a2", DEV_A2, TOKEN_A2),
        ("fixture-code-b1", DEV_B1, TOKEN_B1),
    ] {
        s.enroll(code.into(), device(dev), token.into(), T0 + 2 * MINUTE)
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
    s.push(a1.clone(), Batch::prepare(batch), None, policy, at)
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
    s.push(a1, Batch::prepare(batch), Some(at + 3 * HOUR), policy, at)
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
    s.push(b1, Batch::prepare(batch), None, policy, at)
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
            created_at: T0 + 80 * MINUTE,
        }],
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
        s.finish_delivery(d.subscription_id, d.completion.op_id, result)
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

/// The schema version the fixtures are named after: `FIELDKIT_FIXTURE_VERSION`, else 1 (the
/// schema of the releases before versioned migrations).
fn fixture_version() -> u32 {
    std::env::var("FIELDKIT_FIXTURE_VERSION")
        .map(|v| v.parse().expect("FIELDKIT_FIXTURE_VERSION is a number"))
        .unwrap_or(1)
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
         -- `cargo test -p fieldkit-server --test migrations -- --ignored generate_fixtures`.\n\
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
             -- `cargo test -p fieldkit-server --test migrations -- --ignored generate_fixtures`\n\
             -- (pg_dump --inserts --no-owner --no-privileges). Made-up data.\n{dump}"
        ),
    );
}
