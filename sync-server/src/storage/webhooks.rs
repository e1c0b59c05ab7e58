//! What the completions feed stores: the ordered feed of completions (the SSE stream's
//! cursor), webhook subscriptions, and one delivery row per (subscription, completion) with
//! its attempts. Both backends implement [`WebhookStorage`]; the rules (signing, backoff) live
//! in [`crate::webhooks`].
//!
//! The feed is filled from the `ops` table by [`WebhookStorage::sync_feed`], never by the
//! push transaction: it adds the completions not yet in the feed (an anti-join, so a push
//! that committed late, out of order, is still picked up), numbering them under a lock so
//! that feed numbers become visible in order, and queues a delivery for every subscription
//! that existed when the completion entered the feed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Completion, Fut};

/// The only event type today.
pub const COMPLETED_EVENT: &str = "work_order.completed";

/// A webhook subscription as stored (the secret included: it signs every delivery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: i64,
}

/// A subscription as listed: no secret, with its deliveries counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSummary {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: i64,
    /// Deliveries waiting for their first or next attempt.
    pub pending: i64,
    pub delivered: i64,
    /// Deliveries that gave up after the last attempt (see `redeliver`).
    pub failed: i64,
    /// Why the latest failed attempt failed (status code or network error, no body).
    pub last_error: Option<String>,
}

/// A delivery due now, claimed for a while (its lease) by the worker that got it.
#[derive(Clone, Debug, PartialEq)]
pub struct DueDelivery {
    pub subscription_id: String,
    pub url: String,
    pub secret: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub feed_seq: i64,
    pub completion: Completion,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// 2xx.
    Delivered { at: i64 },
    /// Try again at `next_at`.
    Retry { next_at: i64, error: String },
    /// No more attempts.
    Failed { error: String },
}

/// One completion in the feed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedEntry {
    /// The feed's number: increasing, visible in order; the SSE `id:`.
    pub seq: i64,
    pub completion: Completion,
}

/// The event id of a completion delivered to a subscription: stable across attempts,
/// restarts and replicas (receivers dedupe on it).
pub fn event_id(subscription_id: &str, op_id: &str) -> String {
    let h = Sha256::digest(format!("{subscription_id}\n{op_id}").as_bytes());
    format!("evt_{}", hex::encode(&h[..16]))
}

/// Storage of the completions feed and webhooks.
pub trait WebhookStorage: Send + Sync {
    /// Adds a subscription; it receives completions that enter the feed from now on.
    fn create_webhook(&self, w: NewWebhook) -> Fut<'_, ()>;
    /// Every subscription, oldest first, without secrets.
    fn webhooks(&self) -> Fut<'_, Vec<WebhookSummary>>;
    /// Deletes a subscription and its deliveries. `NotFound` if there is none.
    fn delete_webhook(&self, id: String) -> Fut<'_, ()>;
    /// Puts a subscription's failed deliveries back in the queue (attempts reset); how many.
    fn redeliver_failed(&self, id: String, now: i64) -> Fut<'_, i64>;

    /// Adds the stored completions not yet in the feed, queues their deliveries, and returns
    /// the feed's head (highest number, 0 when empty). Idempotent.
    fn sync_feed(&self, now: i64) -> Fut<'_, i64>;
    /// Feed entries after `after`, oldest first, at most `limit`.
    fn feed_after(&self, after: i64, limit: i64) -> Fut<'_, Vec<FeedEntry>>;

    /// Claims up to `limit` deliveries due at `now`: each is hidden from other claims until
    /// `lease_until` (a worker that dies mid-attempt is retried after that).
    fn claim_deliveries(&self, now: i64, lease_until: i64, limit: i64)
    -> Fut<'_, Vec<DueDelivery>>;
    /// Records an attempt's end (the attempt counter grows by one).
    fn finish_delivery(
        &self,
        subscription_id: String,
        op_id: String,
        result: AttemptResult,
    ) -> Fut<'_, ()>;
}
