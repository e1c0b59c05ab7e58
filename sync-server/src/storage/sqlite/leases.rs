//! The SQLite side of leases and shared rate limits (see [`crate::storage::leases`]): one
//! instance serves the file, but the contract is PostgreSQL's (claims under the writer's
//! `BEGIN IMMEDIATE`, a hit one upsert), so the same worker and limiter run on both.

use rusqlite::{TransactionBehavior, params};

use super::SqliteStorage;
use crate::records::DrawingCheck;
use crate::storage::leases::LeaseStorage;
use crate::storage::{Fut, StorageError};

impl LeaseStorage for SqliteStorage {
    fn claim_drawings(
        &self,
        instance: String,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Fut<'_, Vec<DrawingCheck>> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut claimed = tx
                .prepare_cached(
                    "UPDATE drawing_checks SET claimed_by = ?1, lease_until = ?3
                      WHERE op_id IN (SELECT op_id FROM drawing_checks WHERE lease_until <= ?2
                                       ORDER BY created_at, op_id LIMIT ?4)
                  RETURNING created_at, op_id, work_order_id, device_id",
                )?
                .query_map(params![instance, now, lease_until, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<Vec<(i64, String, String, String)>>>()?;
            // Oldest first (RETURNING's order is not defined).
            claimed.sort();
            let out = claimed
                .into_iter()
                .map(|(_, op_id, job, device)| super::ops::drawing_check(&tx, op_id, job, device))
                .collect::<Result<Vec<_>, StorageError>>()?;
            tx.commit()?;
            Ok(out)
        })
    }

    fn release_drawings(&self, instance: String, now: i64) -> Fut<'_, u64> {
        self.run(move |c| {
            Ok(c.execute(
                "UPDATE drawing_checks SET lease_until = ?2, claimed_by = NULL
                  WHERE claimed_by = ?1 AND lease_until > ?2",
                params![instance, now],
            )? as u64)
        })
    }

    fn hit_rate_limit(&self, scope: String, key: String, window_start: i64) -> Fut<'_, i64> {
        self.run(move |c| {
            Ok(c.prepare_cached(
                "INSERT INTO rate_limits AS r (scope, key, window_start, hits)
                 VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (scope, key) DO UPDATE SET
                     hits = CASE WHEN r.window_start >= excluded.window_start
                                 THEN r.hits + 1 ELSE 1 END,
                     window_start = MAX(r.window_start, excluded.window_start)
                 RETURNING hits",
            )?
            .query_row(params![scope, key, window_start], |r| r.get(0))?)
        })
    }

    fn sweep_rate_limits(&self, before: i64) -> Fut<'_, u64> {
        self.run(move |c| {
            Ok(c.execute("DELETE FROM rate_limits WHERE window_start < ?1", [before])? as u64)
        })
    }
}
