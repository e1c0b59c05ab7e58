//! The device database's schema and its forward-only migrations.
//!
//! `init` creates the current schema on an empty database; `upgrade_from(v)` runs each
//! numbered step from `v` up, every step in its own IMMEDIATE transaction that also bumps
//! `user_version`. Each released version has a fixture under `core/tests/fixtures/` and a
//! test that upgrading it yields exactly the schema `init` makes.

use rusqlite::{Connection, TransactionBehavior};

pub use super::introspect::{describe, dump};
use crate::error::{Error, Result};

/// The schema version this code writes.
pub const CURRENT_VERSION: i64 = 11;

/// The current schema, as `init` creates it.
const SCHEMA: &str = r#"
CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    id           TEXT NOT NULL,
    next_seq     INTEGER NOT NULL,
    hlc_wall     INTEGER NOT NULL,
    hlc_counter  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    pull_cursor  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- accepts: the op encodings the server said it reads beyond the first protocol (comma
-- separated; enrolment and every pull), so nothing is written an older server refuses.
CREATE TABLE server_account (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_url     TEXT NOT NULL,
    token          TEXT NOT NULL,
    technician_id  TEXT NOT NULL,
    enrolled_at    INTEGER NOT NULL,
    accepts        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE work_orders (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    address         TEXT NOT NULL,
    zone            TEXT NOT NULL,
    product_model   TEXT NOT NULL,
    product_serial  TEXT,
    reported_fault  TEXT NOT NULL,
    promised_start  INTEGER NOT NULL,
    promised_end    INTEGER NOT NULL,
    billing         TEXT NOT NULL,
    instructions    TEXT,
    reported_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    left_scope_at   INTEGER,
    checklist       TEXT,
    parent_id       TEXT,
    parent_number   TEXT,
    parent_kind     TEXT,
    sale            TEXT
) STRICT;
CREATE INDEX work_orders_by_day ON work_orders (promised_start);
CREATE INDEX work_orders_open ON work_orders (promised_start)
    WHERE status NOT IN ('completed', 'cancelled');

CREATE TABLE visits (
    id                 TEXT PRIMARY KEY,
    work_order_id      TEXT NOT NULL REFERENCES work_orders (id),
    number             INTEGER NOT NULL,
    status             TEXT NOT NULL,
    template_id        TEXT NOT NULL,
    template_version   INTEGER NOT NULL,
    agreed_start       INTEGER NOT NULL,
    agreed_end         INTEGER NOT NULL,
    planned_at         INTEGER NOT NULL,
    travel_started_at  INTEGER,
    arrived_at         INTEGER,
    work_started_at    INTEGER,
    ended_at           INTEGER,
    UNIQUE (work_order_id, number)
) STRICT;
CREATE UNIQUE INDEX visits_one_open ON visits (work_order_id) WHERE ended_at IS NULL;

CREATE TABLE journal (
    seq        INTEGER PRIMARY KEY,
    op_id      TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    visit_id   TEXT,
    kind       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    hash       TEXT
) STRICT;
-- Where each run of consecutive entries about one entity (a job, a part) starts: a job's
-- timeline is read run by run, and an entry about the job already being worked on writes
-- nothing here (one page per answer, not two).
CREATE TABLE journal_runs (
    first_seq  INTEGER PRIMARY KEY,
    entity_id  TEXT NOT NULL
) STRICT;
CREATE INDEX journal_runs_by_entity ON journal_runs (entity_id, first_seq);

CREATE TABLE calls (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders (id),
    called_at      INTEGER NOT NULL,
    reached        INTEGER NOT NULL,
    confirmed      TEXT NOT NULL,
    agreed_start   INTEGER,
    agreed_end     INTEGER,
    note           TEXT
) STRICT;
CREATE INDEX calls_by_order ON calls (work_order_id);

CREATE TABLE delay_notices (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    notified_at  INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    new_eta      INTEGER NOT NULL,
    in_time      INTEGER NOT NULL
) STRICT;
CREATE INDEX delay_notices_by_visit ON delay_notices (visit_id);

CREATE TABLE time_entries (
    id          TEXT PRIMARY KEY,
    visit_id    TEXT NOT NULL REFERENCES visits (id),
    kind        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    reason      TEXT
) STRICT;
CREATE INDEX time_entries_by_visit ON time_entries (visit_id);

CREATE TABLE attachments (
    sha256      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    width             INTEGER,
    height            INTEGER,
    thumbnail_sha256  TEXT
) STRICT;

CREATE TABLE uploaded_blobs (
    sha256       TEXT PRIMARY KEY,
    uploaded_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE op_outcomes (
    seq      INTEGER PRIMARY KEY,
    outcome  TEXT NOT NULL,
    code     TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       INTEGER NOT NULL
) STRICT;

CREATE TABLE visit_attachments (
    visit_id   TEXT NOT NULL REFERENCES visits (id),
    sha256     TEXT NOT NULL REFERENCES attachments (sha256),
    step_id    TEXT,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (visit_id, sha256)
) STRICT, WITHOUT ROWID;

CREATE TABLE signatures (
    id            TEXT PRIMARY KEY,
    visit_id      TEXT NOT NULL REFERENCES visits (id),
    signer_name   TEXT NOT NULL,
    role          TEXT NOT NULL,
    signed_at     INTEGER NOT NULL,
    image_sha256  TEXT NOT NULL REFERENCES attachments (sha256),
    device_id     TEXT NOT NULL,
    step_id       TEXT,
    strokes         TEXT,
    summary         TEXT,
    summary_sha256  TEXT,
    chain_head      TEXT,
    seal            TEXT
) STRICT;
CREATE INDEX signatures_by_visit ON signatures (visit_id);

CREATE TABLE findings (
    id               TEXT PRIMARY KEY,
    visit_id         TEXT NOT NULL REFERENCES visits (id),
    kind             TEXT NOT NULL,
    description      TEXT NOT NULL,
    recorded_at      INTEGER NOT NULL,
    acknowledged_by  TEXT REFERENCES signatures (id)
) STRICT;
CREATE INDEX findings_by_visit ON findings (visit_id);

CREATE TABLE fee_schedules (
    id        TEXT NOT NULL,
    version   INTEGER NOT NULL,
    currency  TEXT NOT NULL,
    items     TEXT NOT NULL,
    PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE fee_consents (
    id                TEXT PRIMARY KEY,
    visit_id          TEXT NOT NULL REFERENCES visits (id),
    schedule_id       TEXT NOT NULL,
    schedule_version  INTEGER NOT NULL,
    items             TEXT NOT NULL,
    total             INTEGER NOT NULL,
    agreed            INTEGER NOT NULL,
    at                INTEGER NOT NULL,
    FOREIGN KEY (schedule_id, schedule_version) REFERENCES fee_schedules (id, version)
) STRICT;
CREATE INDEX fee_consents_by_visit ON fee_consents (visit_id);

CREATE TABLE parts (
    sku   TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    unit  TEXT NOT NULL
) STRICT;

CREATE TABLE stock_movements (
    id        TEXT PRIMARY KEY,
    sku       TEXT NOT NULL REFERENCES parts (sku),
    kind      TEXT NOT NULL,
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    at        INTEGER NOT NULL,
    visit_id  TEXT REFERENCES visits (id)
) STRICT;
CREATE INDEX stock_movements_by_sku ON stock_movements (sku);

CREATE TABLE part_usages (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    sku          TEXT NOT NULL REFERENCES parts (sku),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    new_serial   TEXT,
    old_part     TEXT NOT NULL,
    old_serial   TEXT,
    stock_short  INTEGER NOT NULL,
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX part_usages_by_visit ON part_usages (visit_id);

CREATE TABLE loaners (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders (id),
    model          TEXT NOT NULL,
    serial         TEXT NOT NULL,
    lent_at        INTEGER NOT NULL,
    returned_at    INTEGER
) STRICT;

CREATE TABLE receipts (
    id              TEXT PRIMARY KEY,
    work_order_id   TEXT NOT NULL REFERENCES work_orders (id),
    visit_id        TEXT NOT NULL REFERENCES visits (id),
    receipt_no      TEXT NOT NULL,
    reason          TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    goods_book_ref  TEXT NOT NULL,
    loaner_id       TEXT REFERENCES loaners (id),
    returned_at     INTEGER
) STRICT;
CREATE INDEX receipts_by_order ON receipts (work_order_id);

CREATE TABLE feedback (
    id         TEXT PRIMARY KEY,
    visit_id   TEXT NOT NULL REFERENCES visits (id),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT,
    complaint  INTEGER NOT NULL,
    at         INTEGER NOT NULL
) STRICT;

CREATE TABLE templates (
    id       TEXT NOT NULL,
    version  INTEGER NOT NULL,
    json     TEXT NOT NULL,
    PRIMARY KEY (id, version)
) STRICT;

-- Keys this device keeps for itself, never synced: 'blob_key' (32 random bytes) seals the
-- photo and signature files when the database is encrypted; 'device_signing_key' (PKCS#8,
-- made at the first enrolment) signs the enrolment and every push.
CREATE TABLE local_secrets (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) STRICT;

-- A paid visit's fee settled (结算): the amount paid, the method (cash, card, transfer, qr),
-- the receipt or invoice number issued on site or the invoice's due date (3 days on), why the
-- amount differs from the consented total it was checked against.
CREATE TABLE settlements (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    amount       INTEGER NOT NULL,
    method       TEXT NOT NULL,
    receipt_no   TEXT,
    reason       TEXT,
    consented    INTEGER NOT NULL,
    invoice_due  INTEGER,
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX settlements_by_visit ON settlements (visit_id);

CREATE TABLE replenishments (
    id           TEXT PRIMARY KEY,
    sku          TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    issued_at    INTEGER NOT NULL,
    received_at  INTEGER
) STRICT;

-- The technician's card as the server last sent it (enrolment, pulls): name, employee
-- number (工号) and the company's service hotline. One row.
CREATE TABLE technician_card (
    singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
    technician_id    TEXT NOT NULL,
    name             TEXT NOT NULL,
    employee_number  TEXT,
    service_hotline  TEXT,
    updated_at       INTEGER NOT NULL
) STRICT;
"#;

/// Brings the database to [`CURRENT_VERSION`]: creates it when empty, upgrades it when older,
/// refuses it when newer. Returns the version found.
pub fn migrate(conn: &mut Connection, device_id: &str, now_ms: i64) -> Result<i64> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(Error::DatabaseTooNew {
            found,
            supported: CURRENT_VERSION,
        });
    }
    if found == 0 {
        init(conn, device_id, now_ms)?;
    } else {
        upgrade_from(conn, found)?;
    }
    Ok(found)
}

/// Creates the current schema on an empty database, in one IMMEDIATE transaction.
fn init(conn: &mut Connection, device_id: &str, now_ms: i64) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another connection may have initialised it between our read and our lock.
    let v: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if v != 0 {
        drop(tx);
        return upgrade_from(conn, v);
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO device (singleton, id, next_seq, hlc_wall, hlc_counter, created_at)
         VALUES (1, ?1, 1, 0, 0, ?2)",
        (device_id, now_ms),
    )?;
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// One migration step: from `version` to `version + 1`.
pub(super) type Step = fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>;

/// The numbered steps; `STEPS[i]` upgrades version `i + 1` to `i + 2`.
const STEPS: &[Step] = &[
    v1_to_v2, v2_to_v3, v3_to_v4, v4_to_v5, v5_to_v6, v6_to_v7, v7_to_v8, v8_to_v9, v9_to_v10,
    v10_to_v11,
];

/// v2: the timeline becomes a hash chain clustered by work order (one page per event
/// instead of three); the outbox and the timeline lose their redundant UNIQUE indexes (ids
/// are UUIDv7 made here; the server dedupes on op id); signatures gain what binds them to
/// the signed content; attachments gain photo dimensions and a thumbnail.
fn v1_to_v2(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE visit_events_v2 (
            work_order_id  TEXT NOT NULL REFERENCES work_orders (id),
            seq            INTEGER NOT NULL,
            id             TEXT NOT NULL,
            visit_id       TEXT REFERENCES visits (id),
            kind           TEXT NOT NULL,
            payload        TEXT NOT NULL,
            at             INTEGER NOT NULL,
            hash           TEXT NOT NULL,
            PRIMARY KEY (work_order_id, seq)
        ) STRICT, WITHOUT ROWID;",
    )?;
    {
        let mut heads: std::collections::HashMap<String, String> = Default::default();
        let mut read = tx.prepare(
            "SELECT seq, id, work_order_id, visit_id, kind, payload, at FROM visit_events
             ORDER BY seq",
        )?;
        let mut write = tx.prepare(
            "INSERT INTO visit_events_v2 (work_order_id, seq, id, visit_id, kind, payload, at, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (seq, id, order): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (visit, kind, payload, at): (Option<String>, String, String, i64) =
                (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
            let hash = crate::media::chain::event_hash(
                heads.get(&order).map(String::as_str),
                &crate::media::chain::ChainedEvent {
                    id: &id,
                    work_order_id: &order,
                    visit_id: visit.as_deref(),
                    kind: &kind,
                    at_ms: at,
                    payload: &payload,
                },
            );
            write.execute(rusqlite::params![
                order, seq, id, visit, kind, payload, at, hash
            ])?;
            heads.insert(order, hash);
        }
    }
    tx.execute_batch(
        "DROP TABLE visit_events;
         ALTER TABLE visit_events_v2 RENAME TO visit_events;
         CREATE TABLE pending_ops_v2 (
            seq          INTEGER PRIMARY KEY,
            op_id        TEXT NOT NULL,
            entity       TEXT NOT NULL,
            entity_id    TEXT NOT NULL,
            kind         TEXT NOT NULL,
            version      INTEGER NOT NULL,
            payload      TEXT NOT NULL,
            hlc          TEXT NOT NULL,
            device_time  INTEGER NOT NULL
         ) STRICT;
         INSERT INTO pending_ops_v2 SELECT * FROM pending_ops;
         DROP TABLE pending_ops;
         ALTER TABLE pending_ops_v2 RENAME TO pending_ops;
         ALTER TABLE signatures ADD COLUMN strokes TEXT;
         ALTER TABLE signatures ADD COLUMN summary TEXT;
         ALTER TABLE signatures ADD COLUMN summary_sha256 TEXT;
         ALTER TABLE signatures ADD COLUMN chain_head TEXT;
         ALTER TABLE signatures ADD COLUMN seal TEXT;
         ALTER TABLE attachments ADD COLUMN width INTEGER;
         ALTER TABLE attachments ADD COLUMN height INTEGER;
         ALTER TABLE attachments ADD COLUMN thumbnail_sha256 TEXT;",
    )
}

/// v3: the job timeline and the outbox become one append-only journal (an op *is* the
/// timeline event it records; the outbox is the journal past `device.acked_seq`), and a
/// step's answer is read from the journal instead of a table rewritten on every answer; a
/// job's entries are found through the runs they form (`journal_runs`), so an answer on the
/// job at hand writes one row and nothing else. Adds what sync keeps on the device: the pull
/// cursor, the server account, which blobs the server has, the server's refusals of ops,
/// and when a job left this technician's scope.
fn v2_to_v3(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE journal (
            seq        INTEGER PRIMARY KEY,
            op_id      TEXT NOT NULL,
            entity     TEXT NOT NULL,
            entity_id  TEXT NOT NULL,
            visit_id   TEXT,
            kind       TEXT NOT NULL,
            version    INTEGER NOT NULL,
            payload    TEXT NOT NULL,
            hlc        TEXT NOT NULL,
            at         INTEGER NOT NULL,
            hash       TEXT
         ) STRICT;
         CREATE TABLE journal_runs (
            first_seq  INTEGER PRIMARY KEY,
            entity_id  TEXT NOT NULL
         ) STRICT;
         CREATE INDEX journal_runs_by_entity ON journal_runs (entity_id, first_seq);
         -- An event whose op is still in the outbox takes the op's sequence (what the server
         -- will see) and keeps its own id (it is in its hash) as the op id. Events and ops
         -- were written together, so they pair up by job, kind and time, in order.
         WITH ev AS (SELECT e.*, row_number() OVER (PARTITION BY work_order_id, kind, at
                                                    ORDER BY seq) AS rn
                       FROM visit_events e),
              op AS (SELECT p.*, row_number() OVER (PARTITION BY entity_id, kind, device_time
                                                    ORDER BY seq) AS rn
                       FROM pending_ops p WHERE entity = 'work_order')
         INSERT INTO journal (seq, op_id, entity, entity_id, visit_id, kind, version, payload,
                              hlc, at, hash)
         SELECT op.seq, ev.id, 'work_order', ev.work_order_id, ev.visit_id, ev.kind,
                op.version, ev.payload, op.hlc, ev.at, ev.hash
           FROM ev JOIN op ON op.entity_id = ev.work_order_id AND op.kind = ev.kind
                          AND op.device_time = ev.at AND op.rn = ev.rn;
         -- The rest of the outbox (the van's stock).
         INSERT INTO journal (seq, op_id, entity, entity_id, visit_id, kind, version, payload,
                              hlc, at, hash)
         SELECT p.seq, p.op_id, p.entity, p.entity_id,
                json_extract(p.payload, '$.visit_id'), p.kind, p.version, p.payload, p.hlc,
                p.device_time, NULL
           FROM pending_ops p WHERE p.seq NOT IN (SELECT seq FROM journal);
         -- Events whose op the server already acknowledged: their sequence numbers are gone
         -- with the op; they are numbered from 1, in order, below the outbox (there were at
         -- least as many acknowledged ops), and their clock stamp is rebuilt from their time.
         INSERT INTO journal (seq, op_id, entity, entity_id, visit_id, kind, version, payload,
                              hlc, at, hash)
         SELECT row_number() OVER (ORDER BY e.seq), e.id, 'work_order', e.work_order_id,
                e.visit_id, e.kind, 1, e.payload, printf('%016d-%05d', max(e.at, 0), 0), e.at,
                e.hash
           FROM visit_events e WHERE e.id NOT IN (SELECT op_id FROM journal)
          ORDER BY e.seq;
         INSERT INTO journal_runs (first_seq, entity_id)
         SELECT seq, entity_id FROM (
             SELECT seq, entity_id, lag(entity_id) OVER (ORDER BY seq) AS prev FROM journal)
          WHERE prev IS NULL OR prev <> entity_id;
         ALTER TABLE device ADD COLUMN acked_seq INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE device ADD COLUMN pull_cursor INTEGER NOT NULL DEFAULT 0;
         UPDATE device SET acked_seq = coalesce((SELECT min(seq) - 1 FROM pending_ops),
                                                next_seq - 1);
         DROP TABLE visit_events;
         DROP TABLE pending_ops;
         DROP TABLE answers;
         CREATE TABLE server_account (
            singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
            server_url     TEXT NOT NULL,
            token          TEXT NOT NULL,
            technician_id  TEXT NOT NULL,
            enrolled_at    INTEGER NOT NULL
         ) STRICT;
         CREATE TABLE uploaded_blobs (
            sha256       TEXT PRIMARY KEY,
            uploaded_at  INTEGER NOT NULL
         ) STRICT;
         CREATE TABLE op_outcomes (
            seq      INTEGER PRIMARY KEY,
            outcome  TEXT NOT NULL,
            code     TEXT NOT NULL,
            reason   TEXT NOT NULL,
            at       INTEGER NOT NULL
         ) STRICT;
         ALTER TABLE work_orders ADD COLUMN left_scope_at INTEGER;",
    )
}

/// v4: a job carries the checklists the desk pinned on it (JSON of `JobChecklist`).
fn v3_to_v4(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE work_orders ADD COLUMN checklist TEXT;")
}

/// v5: keys the device keeps for itself (the key that seals blob files, the device key).
fn v4_to_v5(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE local_secrets (
            name   TEXT PRIMARY KEY,
            value  BLOB NOT NULL
         ) STRICT;",
    )
}

/// v6: a job made from another one (a redelivery, a rework…) keeps its link to that parent
/// job: its id, its number (shown without holding the parent) and why it was made. Not a
/// foreign key: the parent is often another technician's job, never pulled here.
fn v5_to_v6(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE work_orders ADD COLUMN parent_id TEXT;
         ALTER TABLE work_orders ADD COLUMN parent_number TEXT;
         ALTER TABLE work_orders ADD COLUMN parent_kind TEXT;",
    )
}

/// v7: a paid visit's settlement (amount, method, receipt number or invoice due date).
fn v6_to_v7(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE settlements (
             id           TEXT PRIMARY KEY,
             visit_id     TEXT NOT NULL REFERENCES visits (id),
             amount       INTEGER NOT NULL,
             method       TEXT NOT NULL,
             receipt_no   TEXT,
             reason       TEXT,
             consented    INTEGER NOT NULL,
             invoice_due  INTEGER,
             at           INTEGER NOT NULL
         ) STRICT;
         CREATE INDEX settlements_by_visit ON settlements (visit_id);",
    )
}

/// v8: a work order keeps the sale of its goods (JSON of `model::Sale`), which a return or
/// exchange is judged on.
fn v7_to_v8(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE work_orders ADD COLUMN sale TEXT;")
}

/// v9: the replenishments the desk issued to the van (pulled), and when each was received.
fn v8_to_v9(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE replenishments (
             id           TEXT PRIMARY KEY,
             sku          TEXT NOT NULL,
             quantity     INTEGER NOT NULL CHECK (quantity > 0),
             issued_at    INTEGER NOT NULL,
             received_at  INTEGER
         ) STRICT;",
    )
}

/// v10: the technician's card (name, employee number 工号, service hotline) the server sends.
fn v9_to_v10(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE technician_card (
             singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
             technician_id    TEXT NOT NULL,
             name             TEXT NOT NULL,
             employee_number  TEXT,
             service_hotline  TEXT,
             updated_at       INTEGER NOT NULL
         ) STRICT;",
    )
}

/// v11: what the server reads beyond the first protocol (packed signature strokes).
fn v10_to_v11(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE server_account ADD COLUMN accepts TEXT NOT NULL DEFAULT '';")
}

/// Runs every step from `from` up to [`CURRENT_VERSION`], each in one IMMEDIATE transaction.
fn upgrade_from(conn: &mut Connection, from: i64) -> Result<()> {
    upgrade_with(conn, from, STEPS)
}

/// Runs `steps[from - 1..]`: each step and its `user_version` bump commit together or not at
/// all, so an interrupted upgrade resumes at the step that did not finish.
pub(super) fn upgrade_with(conn: &mut Connection, from: i64, steps: &[Step]) -> Result<()> {
    let target = steps.len() as i64 + 1;
    let mut v = from;
    while v < target {
        let step = usize::try_from(v - 1)
            .ok()
            .and_then(|i| steps.get(i))
            .ok_or(Error::DatabaseTooNew {
                found: v,
                supported: target,
            })?;
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if now == v {
                step(&tx)?;
                tx.pragma_update(None, "user_version", v + 1)?;
                tx.commit()?;
            }
        }
        v = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    }
    Ok(())
}
