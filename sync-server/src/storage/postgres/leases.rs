//! The PostgreSQL side of leases and shared rate limits (see [`crate::storage::leases`]):
//! drawing checks claimed `FOR UPDATE SKIP LOCKED` (instances claiming at once take
//! different checks, none waits for another), a rate-limit hit counted by one upsert.

use super::{PostgresStorage, pool_err};
use crate::records::DrawingCheck;
use crate::storage::leases::LeaseStorage;
use crate::storage::{Fut, StorageError};

impl LeaseStorage for PostgresStorage {
    fn claim_drawings(
        &self,
        instance: String,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Fut<'_, Vec<DrawingCheck>> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let mut claimed: Vec<(i64, String, String, String)> = Vec::new();
            for r in tx
                .query(
                    "UPDATE drawing_checks d SET claimed_by = $1, lease_until = $3
                       FROM (SELECT op_id FROM drawing_checks WHERE lease_until <= $2
                              ORDER BY created_at, op_id LIMIT $4
                              FOR UPDATE SKIP LOCKED) due
                      WHERE d.op_id = due.op_id
                  RETURNING d.created_at, d.op_id, d.work_order_id, d.device_id",
                    &[&instance, &now, &lease_until, &limit],
                )
                .await?
            {
                claimed.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
            }
            tx.commit().await?;
            // Oldest first (RETURNING's order is not defined).
            claimed.sort();
            let mut out = Vec::with_capacity(claimed.len());
            for (_, op_id, job, device) in claimed {
                out.push(super::ops::drawing_check(&c, op_id, job, device).await?);
            }
            Ok(out)
        })
    }

    fn release_drawings(&self, instance: String, now: i64) -> Fut<'_, u64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            Ok(c.execute(
                "UPDATE drawing_checks SET lease_until = $2, claimed_by = NULL
                  WHERE claimed_by = $1 AND lease_until > $2",
                &[&instance, &now],
            )
            .await?)
        })
    }

    fn hit_rate_limit(&self, scope: String, key: String, window_start: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let r = c
                .query_one(
                    "INSERT INTO rate_limits AS r (scope, key, window_start, hits)
                     VALUES ($1, $2, $3, 1)
                     ON CONFLICT (scope, key) DO UPDATE SET
                         hits = CASE WHEN r.window_start >= excluded.window_start
                                     THEN r.hits + 1 ELSE 1 END,
                         window_start = GREATEST(r.window_start, excluded.window_start)
                     RETURNING hits",
                    &[&scope, &key, &window_start],
                )
                .await?;
            Ok(r.try_get(0)?)
        })
    }

    fn sweep_rate_limits(&self, before: i64) -> Fut<'_, u64> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            c.execute(
                "DELETE FROM rate_limits WHERE window_start < $1",
                &[&before],
            )
            .await
            .map_err(StorageError::from)
        })
    }
}
