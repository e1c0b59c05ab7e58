//! The SQLite side of the complaints' and callbacks' storage (see
//! [`crate::storage::complaints`]). Both kinds of record, and both kinds of versioned
//! document, share one shape, so one set of functions serves each through its
//! [`RecordTable`] or table name.

use crate::msg::Thing;
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use super::SqliteStorage;
use crate::storage::complaints::{
    CALLBACKS, COMPLAINTS, Callback, Complaint, ComplaintStorage, RecordRow, RecordTable,
    StoredVersion,
};
use crate::storage::{Fut, StorageError};

fn save_version(
    c: &mut Connection,
    table: &'static str,
    body: &str,
    by: &str,
    at: i64,
) -> Result<i64, StorageError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row(
        &format!("SELECT COALESCE(MAX(version), 0) + 1 FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        &format!(
            "INSERT INTO {table} (version, body, created_by, created_at) VALUES (?1, ?2, ?3, ?4)"
        ),
        params![version, body, by, at],
    )?;
    tx.commit()?;
    Ok(version)
}

fn newest_version(
    c: &Connection,
    table: &'static str,
) -> Result<Option<StoredVersion>, StorageError> {
    Ok(c.query_row(
        &format!(
            "SELECT version, body, created_by, created_at FROM {table} ORDER BY version DESC LIMIT 1"
        ),
        [],
        |r| {
            Ok(StoredVersion {
                version: r.get(0)?,
                body: r.get(1)?,
                by: r.get(2)?,
                at: r.get(3)?,
            })
        },
    )
    .optional()?)
}

fn job_held(c: &Connection, job: &str) -> Result<(), StorageError> {
    let held: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = ?1)",
        [job],
        |r| r.get(0),
    )?;
    if held {
        Ok(())
    } else {
        Err(StorageError::NotFound(Thing::WorkOrder))
    }
}

fn one<T: DeserializeOwned>(
    c: &Connection,
    t: RecordTable,
    id: &str,
) -> Result<Option<T>, StorageError> {
    c.query_row(
        &format!("SELECT body FROM {} WHERE id = ?1", t.name),
        [id],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(|b| Ok(serde_json::from_str(&b)?))
    .transpose()
}

fn all<T: DeserializeOwned>(c: &Connection, t: RecordTable) -> Result<Vec<T>, StorageError> {
    let bodies = c
        .prepare_cached(&format!("SELECT body FROM {} ORDER BY due_at, id", t.name))?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies
        .iter()
        .map(|b| Ok(serde_json::from_str(b)?))
        .collect()
}

/// Replaces a record if its stored revision is one less than the row's.
fn update(c: &Connection, t: RecordTable, row: &RecordRow) -> Result<(), StorageError> {
    let n = c.execute(
        &format!(
            "UPDATE {} SET state = ?2, due_at = ?3, revision = ?4, body = ?5, updated_at = ?6
              WHERE id = ?1 AND revision = ?7",
            t.name
        ),
        params![
            row.id,
            row.state,
            row.due_at,
            row.revision,
            row.body,
            row.updated_at,
            row.revision - 1
        ],
    )?;
    if n > 0 {
        return Ok(());
    }
    let exists: bool = c.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM {} WHERE id = ?1)", t.name),
        [&row.id],
        |r| r.get(0),
    )?;
    Err(t.stale(exists))
}

impl ComplaintStorage for SqliteStorage {
    fn save_holiday_calendar(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        self.run(move |c| save_version(c, "holiday_calendars", &body, &by, at))
    }

    fn holiday_calendar(&self) -> Fut<'_, Option<StoredVersion>> {
        self.read(|c| newest_version(c, "holiday_calendars"))
    }

    fn add_complaint(&self, k: Complaint) -> Fut<'_, bool> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let row = RecordRow::complaint(&k)?;
            if let Some(job) = &row.work_order_id {
                job_held(&tx, job)?;
            }
            let n = tx.execute(
                "INSERT INTO complaints (id, work_order_id, source_op_id, state, received_at,
                                         due_at, revision, body, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (source_op_id) DO NOTHING",
                params![
                    row.id,
                    row.work_order_id,
                    row.source_op_id,
                    row.state,
                    row.received_at,
                    row.due_at,
                    row.revision,
                    row.body,
                    row.updated_at
                ],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn complaint(&self, id: String) -> Fut<'_, Option<Complaint>> {
        self.read(move |c| one(c, COMPLAINTS, &id))
    }

    fn update_complaint(&self, k: Complaint) -> Fut<'_, ()> {
        self.run(move |c| update(c, COMPLAINTS, &RecordRow::complaint(&k)?))
    }

    fn complaints(&self) -> Fut<'_, Vec<Complaint>> {
        self.read(|c| all(c, COMPLAINTS))
    }

    fn save_callback_rules(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        self.run(move |c| save_version(c, "callback_rules", &body, &by, at))
    }

    fn callback_rules(&self) -> Fut<'_, Option<StoredVersion>> {
        self.read(|c| newest_version(c, "callback_rules"))
    }

    fn add_callback(&self, k: Callback) -> Fut<'_, bool> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let row = RecordRow::callback(&k)?;
            job_held(&tx, &k.work_order_id.to_string())?;
            let n = tx.execute(
                "INSERT INTO callbacks (id, work_order_id, state, due_at, revision, body,
                                        updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (work_order_id) DO NOTHING",
                params![
                    row.id,
                    row.work_order_id,
                    row.state,
                    row.due_at,
                    row.revision,
                    row.body,
                    row.updated_at
                ],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn callback(&self, id: String) -> Fut<'_, Option<Callback>> {
        self.read(move |c| one(c, CALLBACKS, &id))
    }

    fn update_callback(&self, k: Callback) -> Fut<'_, ()> {
        self.run(move |c| update(c, CALLBACKS, &RecordRow::callback(&k)?))
    }

    fn callbacks(&self) -> Fut<'_, Vec<Callback>> {
        self.read(|c| all(c, CALLBACKS))
    }
}
