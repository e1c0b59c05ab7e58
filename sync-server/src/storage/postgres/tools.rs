//! The PostgreSQL side of registered tools (migration 0012 here, 0013 at the merge). A
//! tool's closing takes its row `FOR UPDATE`: two desks returning it at once, one wins, the
//! other answers `Conflict`.

use super::{PostgresStorage, pool_err};
use crate::storage::tools::{OPEN, ToolStorage, asset_out, not_issued};
use crate::storage::{Fut, StorageError};
use crate::tools::Tool;

fn parse(rows: &[tokio_postgres::Row]) -> Result<Vec<Tool>, StorageError> {
    rows.iter()
        .map(|r| {
            let b: String = r.try_get(0)?;
            serde_json::from_str(&b).map_err(StorageError::from)
        })
        .collect()
}

impl ToolStorage for PostgresStorage {
    fn issue_tool(&self, t: Tool) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let n = c
                .execute(
                    "INSERT INTO tools (id, technician_id, asset_number, state, issued_at, body,
                                        updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $5) ON CONFLICT DO NOTHING",
                    &[
                        &t.id,
                        &t.technician_id,
                        &t.asset_number,
                        &t.state.as_str(),
                        &t.issued_at,
                        &serde_json::to_string(&t)?,
                    ],
                )
                .await?;
            if n == 1 { Ok(()) } else { Err(asset_out()) }
        })
    }

    fn tools(&self, technician_id: Option<String>) -> Fut<'_, Vec<Tool>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT body FROM tools WHERE $1::TEXT IS NULL OR technician_id = $1
                      ORDER BY issued_at DESC, id",
                    &[&technician_id],
                )
                .await?;
            parse(&rows)
        })
    }

    fn tool(&self, id: String) -> Fut<'_, Option<Tool>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query("SELECT body FROM tools WHERE id = $1", &[&id])
                .await?;
            Ok(parse(&rows)?.into_iter().next())
        })
    }

    fn close_tool(&self, t: Tool, now: i64) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let state: Option<String> = tx
                .query_opt("SELECT state FROM tools WHERE id = $1 FOR UPDATE", &[&t.id])
                .await?
                .map(|row| row.try_get(0))
                .transpose()?;
            match state {
                None => return Err(StorageError::NotFound(crate::msg::Thing::Tool)),
                Some(s) if s != OPEN.as_str() => return Err(not_issued()),
                Some(_) => {}
            }
            tx.execute(
                "UPDATE tools SET state = $2, body = $3, updated_at = $4 WHERE id = $1",
                &[&t.id, &t.state.as_str(), &serde_json::to_string(&t)?, &now],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
