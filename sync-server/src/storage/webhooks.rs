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

use sha2::{Digest, Sha256};

use super::Fut;
pub use crate::records::{
    AttemptResult, COMPLETED_EVENT, DueDelivery, FeedEntry, NewWebhook, WebhookSummary,
};

/// How far behind the newest completion in the feed the next scan starts: a push whose
/// transaction ran longer than this could be missed (none runs for anything near an hour).
pub(crate) const FEED_WINDOW_MS: i64 = 60 * 60 * 1000;

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
    /// `lease_until` (a worker that dies mid-attempt is retried after that), under a new
    /// claim id ([`DueDelivery::claim`]).
    fn claim_deliveries(&self, now: i64, lease_until: i64, limit: i64)
    -> Fut<'_, Vec<DueDelivery>>;
    /// Records an attempt's end at `now` (the attempt counter grows by one) for the claim
    /// `claim`, and whether it was recorded. Nothing is recorded for a delivery no longer
    /// pending, nor for a claim taken over by another (its lease ran out) unless this attempt
    /// delivered: a slow worker's late finish never counts an attempt twice nor undoes a
    /// delivery.
    fn finish_delivery(
        &self,
        subscription_id: String,
        op_id: String,
        claim: String,
        result: AttemptResult,
        now: i64,
    ) -> Fut<'_, bool>;
}
