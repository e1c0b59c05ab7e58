//! The PostgreSQL side of the completions feed and webhooks (see
//! [`crate::storage::webhooks`]). Feed numbers are taken under a transaction-scoped advisory
//! lock, so they commit in order (an SSE client never skips one); deliveries are claimed
//! with `FOR UPDATE SKIP LOCKED`, so replicas share the work.

use crate::msg;
use crate::msg::Thing;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PostgresStorage, pool_err};
use crate::records::{
    AttemptResult, Completion, DueDelivery, FeedEntry, NewWebhook, WebhookSummary,
};
use crate::storage::webhooks::{FEED_WINDOW_MS, WebhookStorage};
use crate::storage::{Fut, StorageError};

/// Serializes feed numbering and subscription creation (arbitrary, fixed).
const FEED_LOCK: i64 = 0x4649_454c_4403;

async fn load_completion(
    c: &impl GenericClient,
    op_id: &str,
) -> Result<Option<Completion>, StorageError> {
    Ok(
        super::judge::completions_where(c, "WHERE c.op_id = $1", &[&op_id])
            .await?
            .pop(),
    )
}

fn missing() -> StorageError {
    StorageError::Backend("an op vanished from the feed".into())
}

fn summary(r: &Row) -> Result<WebhookSummary, StorageError> {
    Ok(WebhookSummary {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        events: serde_json::from_str(&r.try_get::<_, String>(2)?)?,
        created_at: r.try_get(3)?,
        pending: r.try_get(4)?,
        delivered: r.try_get(5)?,
        failed: r.try_get(6)?,
        last_error: r.try_get(7)?,
    })
}

impl WebhookStorage for PostgresStorage {
    fn create_webhook(&self, w: NewWebhook) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
                .await?;
            let head: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM completion_feed",
                    &[],
                )
                .await?
                .try_get(0)?;
            let n = tx
                .execute(
                    "INSERT INTO webhook_subscriptions (id, url, events, secret, start_seq, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                    &[
                        &w.id,
                        &w.url,
                        &serde_json::to_string(&w.events)?,
                        &w.secret,
                        &head,
                        &w.created_at,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StorageError::Conflict(msg!("err-webhook-exists")));
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn webhooks(&self) -> Fut<'_, Vec<WebhookSummary>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT s.id, s.url, s.events, s.created_at,
                            (SELECT COUNT(*) FROM webhook_deliveries d
                              WHERE d.subscription_id = s.id AND d.status = 'pending'),
                            (SELECT COUNT(*) FROM webhook_deliveries d
                              WHERE d.subscription_id = s.id AND d.status = 'delivered'),
                            (SELECT COUNT(*) FROM webhook_deliveries d
                              WHERE d.subscription_id = s.id AND d.status = 'failed'),
                            (SELECT d.last_error FROM webhook_deliveries d
                              WHERE d.subscription_id = s.id AND d.last_error IS NOT NULL
                              ORDER BY d.updated_at DESC LIMIT 1)
                       FROM webhook_subscriptions s ORDER BY s.created_at, s.id",
                    &[],
                )
                .await?;
            rows.iter().map(summary).collect()
        })
    }

    fn delete_webhook(&self, id: String) -> Fut<'_, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let n = tx
                .execute("DELETE FROM webhook_subscriptions WHERE id = $1", &[&id])
                .await?;
            if n == 0 {
                return Err(StorageError::NotFound(Thing::Webhook));
            }
            tx.execute(
                "DELETE FROM webhook_deliveries WHERE subscription_id = $1",
                &[&id],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn redeliver_failed(&self, id: String, now: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            if tx
                .query_opt("SELECT 1 FROM webhook_subscriptions WHERE id = $1", &[&id])
                .await?
                .is_none()
            {
                return Err(StorageError::NotFound(Thing::Webhook));
            }
            let n = tx
                .execute(
                    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
                            next_attempt_at = $2, updated_at = $2
                      WHERE subscription_id = $1 AND status = 'failed'",
                    &[&id, &now],
                )
                .await?;
            tx.commit().await?;
            Ok(n as i64)
        })
    }

    fn sync_feed(&self, now: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
                .await?;
            let r = tx
                .query_one(
                    "SELECT COALESCE(MAX(seq), 0)::BIGINT, MAX(received_at) FROM completion_feed",
                    &[],
                )
                .await?;
            let prev_head: i64 = r.try_get(0)?;
            let newest: Option<i64> = r.try_get(1)?;
            let since = newest.map_or(i64::MIN, |n| n - FEED_WINDOW_MS);
            tx.execute(
                "INSERT INTO completion_feed (op_id, received_at, created_at)
                 SELECT c.op_id, c.counted_at, $2::BIGINT FROM completions c
                  WHERE c.counted_at >= $1::BIGINT
                    AND NOT EXISTS (SELECT 1 FROM completion_feed f WHERE f.op_id = c.op_id)
                  ORDER BY c.counted_at, c.op_id",
                &[&since, &now],
            )
            .await?;
            tx.execute(
                "INSERT INTO webhook_deliveries
                     (subscription_id, op_id, feed_seq, status, attempts, next_attempt_at,
                      created_at, updated_at)
                 SELECT s.id, f.op_id, f.seq, 'pending', 0, $2::BIGINT, $2::BIGINT, $2::BIGINT
                   FROM completion_feed f JOIN webhook_subscriptions s ON f.seq > s.start_seq
                  WHERE f.seq > $1::BIGINT
                 ON CONFLICT DO NOTHING",
                &[&prev_head, &now],
            )
            .await?;
            let head: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM completion_feed",
                    &[],
                )
                .await?
                .try_get(0)?;
            tx.commit().await?;
            Ok(head)
        })
    }

    fn feed_after(&self, after: i64, limit: i64) -> Fut<'_, Vec<FeedEntry>> {
        Box::pin(async move {
            let c = self.pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT seq, op_id FROM completion_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&after, &limit],
                )
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let op_id: String = r.try_get(1)?;
                let completion = load_completion(&c, &op_id).await?.ok_or_else(missing)?;
                out.push(FeedEntry {
                    seq: r.try_get(0)?,
                    completion,
                });
            }
            Ok(out)
        })
    }

    fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Fut<'_, Vec<DueDelivery>> {
        Box::pin(async move {
            let claim = uuid::Uuid::now_v7().to_string();
            let mut c = self.pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await?;
            let claimed = tx
                .query(
                    "UPDATE webhook_deliveries d SET next_attempt_at = $2, claim_id = $4
                       FROM (SELECT subscription_id, op_id FROM webhook_deliveries
                              WHERE status = 'pending' AND next_attempt_at <= $1
                              ORDER BY next_attempt_at, feed_seq LIMIT $3
                              FOR UPDATE SKIP LOCKED) due
                      WHERE d.subscription_id = due.subscription_id AND d.op_id = due.op_id
                  RETURNING d.subscription_id, d.op_id, d.attempts, d.feed_seq",
                    &[&now, &lease_until, &limit, &claim],
                )
                .await?;
            let mut out = Vec::with_capacity(claimed.len());
            for r in claimed {
                let subscription_id: String = r.try_get(0)?;
                let op_id: String = r.try_get(1)?;
                let s = tx
                    .query_one(
                        "SELECT url, secret FROM webhook_subscriptions WHERE id = $1",
                        &[&subscription_id],
                    )
                    .await?;
                let completion = load_completion(&tx, &op_id).await?.ok_or_else(missing)?;
                out.push(DueDelivery {
                    subscription_id,
                    url: s.try_get(0)?,
                    secret: s.try_get(1)?,
                    attempts: r.try_get(2)?,
                    feed_seq: r.try_get(3)?,
                    completion,
                    claim: claim.clone(),
                });
            }
            tx.commit().await?;
            out.sort_by_key(|d| d.feed_seq);
            Ok(out)
        })
    }

    fn finish_delivery(
        &self,
        subscription_id: String,
        op_id: String,
        claim: String,
        result: AttemptResult,
        now: i64,
    ) -> Fut<'_, bool> {
        Box::pin(async move {
            let (status, next, error, delivered) = match result {
                AttemptResult::Delivered { at } => ("delivered", None, None, Some(at)),
                AttemptResult::Retry { next_at, error } => {
                    ("pending", Some(next_at), Some(error), None)
                }
                AttemptResult::Failed { error } => ("failed", None, Some(error), None),
            };
            let c = self.pool.get().await.map_err(pool_err)?;
            let n = c
                .execute(
                    "UPDATE webhook_deliveries
                        SET status = $3, attempts = attempts + 1,
                            next_attempt_at = COALESCE($4, next_attempt_at),
                            last_error = COALESCE($5, last_error),
                            delivered_at = COALESCE($6, delivered_at), updated_at = $7
                      WHERE subscription_id = $1 AND op_id = $2 AND status = 'pending'
                        AND (claim_id = $8 OR $6::BIGINT IS NOT NULL)",
                    &[
                        &subscription_id,
                        &op_id,
                        &status,
                        &next,
                        &error,
                        &delivered,
                        &now,
                        &claim,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }
}
