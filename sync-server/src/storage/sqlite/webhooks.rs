//! The SQLite side of the completions feed and webhooks (see [`crate::storage::webhooks`]).
//! One connection serializes every write, so feed numbers are visible in order by
//! construction.

use crate::msg;
use crate::msg::Thing;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStorage;
use super::judge::load_completion;
use crate::records::{AttemptResult, DueDelivery, FeedEntry, NewWebhook, WebhookSummary};
use crate::storage::webhooks::{FEED_WINDOW_MS, WebhookStorage};
use crate::storage::{Fut, StorageError};

fn missing(what: &str) -> StorageError {
    StorageError::Backend(format!("{what} vanished from the feed"))
}

impl WebhookStorage for SqliteStorage {
    fn create_webhook(&self, w: NewWebhook) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let head: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM completion_feed",
                [],
                |r| r.get(0),
            )?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO webhook_subscriptions
                     (id, url, events, secret, start_seq, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    w.id,
                    w.url,
                    serde_json::to_string(&w.events)?,
                    w.secret,
                    head,
                    w.created_at
                ],
            )?;
            if n == 0 {
                return Err(StorageError::Conflict(msg!("err-webhook-exists")));
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn webhooks(&self) -> Fut<'_, Vec<WebhookSummary>> {
        self.run(|c| {
            let mut stmt = c.prepare(
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
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(
                    |(id, url, events, created_at, pending, delivered, failed, last_error)|
                     -> Result<WebhookSummary, StorageError> {
                        Ok(WebhookSummary {
                            id,
                            url,
                            events: serde_json::from_str(&events)?,
                            created_at,
                            pending,
                            delivered,
                            failed,
                            last_error,
                        })
                    },
                )
                .collect()
        })
    }

    fn delete_webhook(&self, id: String) -> Fut<'_, ()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute("DELETE FROM webhook_subscriptions WHERE id = ?1", [&id])?;
            if n == 0 {
                return Err(StorageError::NotFound(Thing::Webhook));
            }
            tx.execute(
                "DELETE FROM webhook_deliveries WHERE subscription_id = ?1",
                [&id],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn redeliver_failed(&self, id: String, now: i64) -> Fut<'_, i64> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM webhook_subscriptions WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_none() {
                return Err(StorageError::NotFound(Thing::Webhook));
            }
            let n = tx.execute(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
                        next_attempt_at = ?2, updated_at = ?2
                  WHERE subscription_id = ?1 AND status = 'failed'",
                params![id, now],
            )?;
            tx.commit()?;
            Ok(n as i64)
        })
    }

    fn sync_feed(&self, now: i64) -> Fut<'_, i64> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (prev_head, newest): (i64, Option<i64>) = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0), MAX(received_at) FROM completion_feed",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let since = newest.map_or(i64::MIN, |n| n - FEED_WINDOW_MS);
            tx.prepare_cached(
                "INSERT INTO completion_feed (op_id, received_at, created_at)
                 SELECT c.op_id, c.counted_at, ?2 FROM completions c
                  WHERE c.counted_at >= ?1
                    AND NOT EXISTS (SELECT 1 FROM completion_feed f WHERE f.op_id = c.op_id)
                  ORDER BY c.counted_at, c.op_id",
            )?
            .execute(params![since, now])?;
            tx.prepare_cached(
                "INSERT OR IGNORE INTO webhook_deliveries
                     (subscription_id, op_id, feed_seq, status, attempts, next_attempt_at,
                      created_at, updated_at)
                 SELECT s.id, f.op_id, f.seq, 'pending', 0, ?2, ?2, ?2
                   FROM completion_feed f JOIN webhook_subscriptions s ON f.seq > s.start_seq
                  WHERE f.seq > ?1",
            )?
            .execute(params![prev_head, now])?;
            let head: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM completion_feed",
                [],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(head)
        })
    }

    fn feed_after(&self, after: i64, limit: i64) -> Fut<'_, Vec<FeedEntry>> {
        self.run(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT seq, op_id FROM completion_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?
                .query_map(params![after, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(seq, op_id)| -> Result<FeedEntry, StorageError> {
                    let completion = load_completion(c, &op_id)?.ok_or_else(|| missing("an op"))?;
                    Ok(FeedEntry { seq, completion })
                })
                .collect()
        })
    }

    fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Fut<'_, Vec<DueDelivery>> {
        let claim = uuid::Uuid::now_v7().to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let claimed = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?2, claim_id = ?4
                      WHERE rowid IN (SELECT rowid FROM webhook_deliveries
                                       WHERE status = 'pending' AND next_attempt_at <= ?1
                                       ORDER BY next_attempt_at, feed_seq LIMIT ?3)
                  RETURNING subscription_id, op_id, attempts, feed_seq",
                )?
                .query_map(params![now, lease_until, limit, claim], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(claimed.len());
            for (subscription_id, op_id, attempts, feed_seq) in claimed {
                let (url, secret): (String, String) = tx.query_row(
                    "SELECT url, secret FROM webhook_subscriptions WHERE id = ?1",
                    [&subscription_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let completion = load_completion(&tx, &op_id)?.ok_or_else(|| missing("an op"))?;
                out.push(DueDelivery {
                    subscription_id,
                    url,
                    secret,
                    attempts,
                    feed_seq,
                    completion,
                    claim: claim.clone(),
                });
            }
            tx.commit()?;
            // Fixed order for callers (RETURNING's order is not defined).
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
        self.run(move |c| {
            let (status, next, error, delivered) = match result {
                AttemptResult::Delivered { at } => ("delivered", None, None, Some(at)),
                AttemptResult::Retry { next_at, error } => {
                    ("pending", Some(next_at), Some(error), None)
                }
                AttemptResult::Failed { error } => ("failed", None, Some(error), None),
            };
            let n = c.execute(
                "UPDATE webhook_deliveries
                    SET status = ?3, attempts = attempts + 1,
                        next_attempt_at = COALESCE(?4, next_attempt_at),
                        last_error = COALESCE(?5, last_error),
                        delivered_at = COALESCE(?6, delivered_at), updated_at = ?7
                  WHERE subscription_id = ?1 AND op_id = ?2 AND status = 'pending'
                    AND (claim_id = ?8 OR ?6 IS NOT NULL)",
                params![
                    subscription_id,
                    op_id,
                    status,
                    next,
                    error,
                    delivered,
                    now,
                    claim
                ],
            )?;
            Ok(n == 1)
        })
    }
}
