//! The SQLite side of registered tools (migration 0012 here, 0013 at the merge).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStorage;
use crate::storage::tools::{OPEN, ToolStorage, asset_out, not_issued};
use crate::storage::{Fut, StorageError};
use crate::tools::Tool;

fn parse(bodies: Vec<String>) -> Result<Vec<Tool>, StorageError> {
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(StorageError::from))
        .collect()
}

impl ToolStorage for SqliteStorage {
    fn issue_tool(&self, t: Tool) -> Fut<'_, ()> {
        self.run(move |c| {
            let n = c.execute(
                "INSERT INTO tools (id, technician_id, asset_number, state, issued_at, body,
                                    updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5) ON CONFLICT DO NOTHING",
                params![
                    t.id,
                    t.technician_id,
                    t.asset_number,
                    t.state.as_str(),
                    t.issued_at,
                    serde_json::to_string(&t)?
                ],
            )?;
            if n == 1 { Ok(()) } else { Err(asset_out()) }
        })
    }

    fn tools(&self, technician_id: Option<String>) -> Fut<'_, Vec<Tool>> {
        self.read(move |c| {
            let bodies = c
                .prepare_cached(
                    "SELECT body FROM tools WHERE ?1 IS NULL OR technician_id = ?1
                      ORDER BY issued_at DESC, id",
                )?
                .query_map([technician_id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            parse(bodies)
        })
    }

    fn tool(&self, id: String) -> Fut<'_, Option<Tool>> {
        self.read(move |c| {
            let body: Option<String> = c
                .query_row("SELECT body FROM tools WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            body.map(|b| serde_json::from_str(&b).map_err(StorageError::from))
                .transpose()
        })
    }

    fn close_tool(&self, t: Tool, now: i64) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let state: Option<String> = tx
                .query_row("SELECT state FROM tools WHERE id = ?1", [&t.id], |r| {
                    r.get(0)
                })
                .optional()?;
            match state {
                None => return Err(StorageError::NotFound(crate::msg::Thing::Tool)),
                Some(s) if s != OPEN.as_str() => return Err(not_issued()),
                Some(_) => {}
            }
            tx.execute(
                "UPDATE tools SET state = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
                params![t.id, t.state.as_str(), serde_json::to_string(&t)?, now],
            )?;
            tx.commit()?;
            Ok(())
        })
    }
}
