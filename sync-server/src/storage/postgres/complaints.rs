//! The PostgreSQL side of the complaints' and callbacks' storage (see
//! [`crate::storage::complaints`]): one set of functions for both kinds of record (through
//! their [`RecordTable`]) and both kinds of versioned document (through their table name).

use crate::msg::Thing;
use deadpool_postgres::Object;
use serde::de::DeserializeOwned;

use super::{PostgresStorage, pool_err};
use crate::storage::complaints::{
    CALLBACKS, COMPLAINTS, Callback, Complaint, ComplaintStorage, RecordRow, RecordTable,
    StoredVersion,
};
use crate::storage::{Fut, StorageError};

impl PostgresStorage {
    async fn conn(&self) -> Result<Object, StorageError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn save_version(
        &self,
        table: &'static str,
        body: String,
        by: String,
        at: i64,
    ) -> Result<i64, StorageError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        // One upload at a time gets the next version.
        tx.execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"), &[])
            .await?;
        let version: i64 = tx
            .query_one(
                &format!("SELECT COALESCE(MAX(version), 0) + 1 FROM {table}"),
                &[],
            )
            .await?
            .get(0);
        tx.execute(
            &format!(
                "INSERT INTO {table} (version, body, created_by, created_at) VALUES ($1, $2, $3, $4)"
            ),
            &[&version, &body, &by, &at],
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn newest_version(
        &self,
        table: &'static str,
    ) -> Result<Option<StoredVersion>, StorageError> {
        let row = self
            .conn()
            .await?
            .query_opt(
                &format!(
                    "SELECT version, body, created_by, created_at FROM {table}
                      ORDER BY version DESC LIMIT 1"
                ),
                &[],
            )
            .await?;
        Ok(row.map(|r| StoredVersion {
            version: r.get(0),
            body: r.get(1),
            by: r.get(2),
            at: r.get(3),
        }))
    }

    async fn job_held(c: &Object, job: &str) -> Result<(), StorageError> {
        let held: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM work_orders WHERE id = $1)",
                &[&job],
            )
            .await?
            .get(0);
        if held {
            Ok(())
        } else {
            Err(StorageError::NotFound(Thing::WorkOrder))
        }
    }

    async fn one<T: DeserializeOwned>(
        &self,
        t: RecordTable,
        id: String,
    ) -> Result<Option<T>, StorageError> {
        let row = self
            .conn()
            .await?
            .query_opt(
                &format!("SELECT body FROM {} WHERE id = $1", t.name),
                &[&id],
            )
            .await?;
        row.map(|r| Ok(serde_json::from_str(&r.get::<_, String>(0))?))
            .transpose()
    }

    async fn all<T: DeserializeOwned>(&self, t: RecordTable) -> Result<Vec<T>, StorageError> {
        let rows = self
            .conn()
            .await?
            .query(
                &format!("SELECT body FROM {} ORDER BY due_at, id", t.name),
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok(serde_json::from_str(&r.get::<_, String>(0))?))
            .collect()
    }

    async fn update(&self, t: RecordTable, row: RecordRow) -> Result<(), StorageError> {
        let c = self.conn().await?;
        let n = c
            .execute(
                &format!(
                    "UPDATE {} SET state = $2, due_at = $3, revision = $4, body = $5,
                            updated_at = $6
                      WHERE id = $1 AND revision = $7",
                    t.name
                ),
                &[
                    &row.id,
                    &row.state,
                    &row.due_at,
                    &row.revision,
                    &row.body,
                    &row.updated_at,
                    &(row.revision - 1),
                ],
            )
            .await?;
        if n > 0 {
            return Ok(());
        }
        let exists: bool = c
            .query_one(
                &format!("SELECT EXISTS (SELECT 1 FROM {} WHERE id = $1)", t.name),
                &[&row.id],
            )
            .await?
            .get(0);
        Err(t.stale(exists))
    }
}

impl ComplaintStorage for PostgresStorage {
    fn save_holiday_calendar(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        Box::pin(self.save_version("holiday_calendars", body, by, at))
    }

    fn holiday_calendar(&self) -> Fut<'_, Option<StoredVersion>> {
        Box::pin(self.newest_version("holiday_calendars"))
    }

    fn add_complaint(&self, k: Complaint) -> Fut<'_, bool> {
        Box::pin(async move {
            let row = RecordRow::complaint(&k)?;
            let c = self.conn().await?;
            if let Some(job) = &row.work_order_id {
                Self::job_held(&c, job).await?;
            }
            let n = c
                .execute(
                    "INSERT INTO complaints (id, work_order_id, source_op_id, state, received_at,
                                             due_at, revision, body, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (source_op_id) DO NOTHING",
                    &[
                        &row.id,
                        &row.work_order_id,
                        &row.source_op_id,
                        &row.state,
                        &row.received_at,
                        &row.due_at,
                        &row.revision,
                        &row.body,
                        &row.updated_at,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn complaint(&self, id: String) -> Fut<'_, Option<Complaint>> {
        Box::pin(self.one(COMPLAINTS, id))
    }

    fn update_complaint(&self, k: Complaint) -> Fut<'_, ()> {
        Box::pin(async move { self.update(COMPLAINTS, RecordRow::complaint(&k)?).await })
    }

    fn complaints(&self) -> Fut<'_, Vec<Complaint>> {
        Box::pin(self.all(COMPLAINTS))
    }

    fn save_callback_rules(&self, body: String, by: String, at: i64) -> Fut<'_, i64> {
        Box::pin(self.save_version("callback_rules", body, by, at))
    }

    fn callback_rules(&self) -> Fut<'_, Option<StoredVersion>> {
        Box::pin(self.newest_version("callback_rules"))
    }

    fn add_callback(&self, k: Callback) -> Fut<'_, bool> {
        Box::pin(async move {
            let row = RecordRow::callback(&k)?;
            let c = self.conn().await?;
            Self::job_held(&c, &k.work_order_id.to_string()).await?;
            let n = c
                .execute(
                    "INSERT INTO callbacks (id, work_order_id, state, due_at, revision, body,
                                            updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (work_order_id) DO NOTHING",
                    &[
                        &row.id,
                        &row.work_order_id,
                        &row.state,
                        &row.due_at,
                        &row.revision,
                        &row.body,
                        &row.updated_at,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn callback(&self, id: String) -> Fut<'_, Option<Callback>> {
        Box::pin(self.one(CALLBACKS, id))
    }

    fn update_callback(&self, k: Callback) -> Fut<'_, ()> {
        Box::pin(async move { self.update(CALLBACKS, RecordRow::callback(&k)?).await })
    }

    fn callbacks(&self) -> Fut<'_, Vec<Callback>> {
        Box::pin(self.all(CALLBACKS))
    }
}
