//! The SQLite side of the complaints' storage (see [`crate::storage::complaints`]).

use rusqlite::{OptionalExtension, params};

use super::SqliteStorage;
use crate::storage::complaints::{Complaint, ComplaintStorage, StoredCalendar};
use crate::storage::{Fut, StorageError};

fn from_body(body: &str) -> Result<Complaint, StorageError> {
    Ok(serde_json::from_str(body)?)
}

impl ComplaintStorage for SqliteStorage {
    fn save_holiday_calendar(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let version: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM holiday_calendars",
                [],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO holiday_calendars (version, body, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![version, body, by, at],
            )?;
            tx.commit()?;
            Ok(version)
        })
    }

    fn holiday_calendar(&self) -> Fut<'_, Option<StoredCalendar>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT version, body, created_by, created_at FROM holiday_calendars
                  ORDER BY version DESC LIMIT 1",
                [],
                |r| {
                    Ok(StoredCalendar {
                        version: r.get(0)?,
                        body: r.get(1)?,
                        by: r.get(2)?,
                        at: r.get(3)?,
                    })
                },
            )
            .optional()?)
        })
    }

    fn add_complaint(&self, k: Complaint) -> Fut<'_, bool> {
        self.run(move |c| {
            let tx = c.transaction()?;
            if let Some(job) = k.work_order_id {
                let held: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = ?1)",
                    [job.to_string()],
                    |r| r.get(0),
                )?;
                if !held {
                    return Err(StorageError::NotFound("work order"));
                }
            }
            let n = tx.execute(
                "INSERT INTO complaints (id, work_order_id, source_op_id, state, received_at,
                                         due_at, revision, body, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (source_op_id) DO NOTHING",
                params![
                    k.id,
                    k.work_order_id.map(|j| j.to_string()),
                    k.source_op_id,
                    k.state.as_str(),
                    k.received_at,
                    k.due_in_force(),
                    k.revision,
                    serde_json::to_string(&k)?,
                    k.updated_at
                ],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn complaint(&self, id: String) -> Fut<'_, Option<Complaint>> {
        self.read(move |c| {
            c.query_row("SELECT body FROM complaints WHERE id = ?1", [id], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(|b| from_body(&b))
            .transpose()
        })
    }

    fn update_complaint(&self, k: Complaint) -> Fut<'_, ()> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE complaints SET state = ?2, due_at = ?3, revision = ?4, body = ?5,
                        updated_at = ?6
                  WHERE id = ?1 AND revision = ?7",
                params![
                    k.id,
                    k.state.as_str(),
                    k.due_in_force(),
                    k.revision,
                    serde_json::to_string(&k)?,
                    k.updated_at,
                    k.revision.saturating_sub(1)
                ],
            )?;
            if n == 0 {
                let exists: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM complaints WHERE id = ?1)",
                    [&k.id],
                    |r| r.get(0),
                )?;
                return Err(if exists {
                    StorageError::Conflict(
                        "投诉已被他人修改 (the complaint was changed meanwhile)".into(),
                    )
                } else {
                    StorageError::NotFound("complaint")
                });
            }
            Ok(())
        })
    }

    fn complaints(&self) -> Fut<'_, Vec<Complaint>> {
        self.read(|c| {
            let bodies = c
                .prepare_cached("SELECT body FROM complaints ORDER BY due_at, id")?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            bodies.iter().map(|b| from_body(b)).collect()
        })
    }
}
