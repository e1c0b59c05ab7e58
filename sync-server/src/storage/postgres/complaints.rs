//! The PostgreSQL side of the complaints' storage (see [`crate::storage::complaints`]).

use super::{PostgresStorage, pool_err};
use crate::storage::complaints::{Complaint, ComplaintStorage, StoredCalendar};
use crate::storage::{Fut, StorageError};

fn from_body(body: &str) -> Result<Complaint, StorageError> {
    Ok(serde_json::from_str(body)?)
}

impl ComplaintStorage for PostgresStorage {
    fn save_holiday_calendar(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            // One upload at a time gets the next version.
            tx.execute("LOCK TABLE holiday_calendars IN EXCLUSIVE MODE", &[])
                .await?;
            let version: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM holiday_calendars",
                    &[],
                )
                .await?
                .get(0);
            tx.execute(
                "INSERT INTO holiday_calendars (version, body, created_by, created_at)
                 VALUES ($1, $2, $3, $4)",
                &[&version, &body, &by, &at],
            )
            .await?;
            tx.commit().await?;
            Ok(version)
        })
    }

    fn holiday_calendar(&self) -> Fut<'_, Option<StoredCalendar>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT version, body, created_by, created_at FROM holiday_calendars
                      ORDER BY version DESC LIMIT 1",
                    &[],
                )
                .await?;
            Ok(row.map(|r| StoredCalendar {
                version: r.get(0),
                body: r.get(1),
                by: r.get(2),
                at: r.get(3),
            }))
        })
    }

    fn add_complaint(&self, k: Complaint) -> Fut<'_, bool> {
        Box::pin(async move {
            let body = serde_json::to_string(&k)?;
            let c = self.pool.get().await.map_err(pool_err)?;
            let job = k.work_order_id.map(|j| j.to_string());
            if let Some(job) = &job {
                let held: bool = c
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = $1)",
                        &[job],
                    )
                    .await?
                    .get(0);
                if !held {
                    return Err(StorageError::NotFound("work order"));
                }
            }
            let revision = i32::try_from(k.revision).unwrap_or(i32::MAX);
            let n = c
                .execute(
                    "INSERT INTO complaints (id, work_order_id, source_op_id, state, received_at,
                                             due_at, revision, body, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (source_op_id) DO NOTHING",
                    &[
                        &k.id,
                        &job,
                        &k.source_op_id,
                        &k.state.as_str(),
                        &k.received_at,
                        &k.due_in_force(),
                        &revision,
                        &body,
                        &k.updated_at,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn complaint(&self, id: String) -> Fut<'_, Option<Complaint>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt("SELECT body FROM complaints WHERE id = $1", &[&id])
                .await?;
            row.map(|r| from_body(&r.get::<_, String>(0))).transpose()
        })
    }

    fn update_complaint(&self, k: Complaint) -> Fut<'_, ()> {
        Box::pin(async move {
            let body = serde_json::to_string(&k)?;
            let c = self.pool.get().await.map_err(pool_err)?;
            let revision = i32::try_from(k.revision).unwrap_or(i32::MAX);
            let n = c
                .execute(
                    "UPDATE complaints SET state = $2, due_at = $3, revision = $4, body = $5,
                            updated_at = $6
                      WHERE id = $1 AND revision = $7",
                    &[
                        &k.id,
                        &k.state.as_str(),
                        &k.due_in_force(),
                        &revision,
                        &body,
                        &k.updated_at,
                        &(revision - 1),
                    ],
                )
                .await?;
            if n == 0 {
                let exists: bool = c
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM complaints WHERE id = $1)",
                        &[&k.id],
                    )
                    .await?
                    .get(0);
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
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query("SELECT body FROM complaints ORDER BY due_at, id", &[])
                .await?;
            rows.iter()
                .map(|r| from_body(&r.get::<_, String>(0)))
                .collect()
        })
    }
}
