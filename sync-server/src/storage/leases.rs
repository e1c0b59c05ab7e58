//! What the instances sharing one database share besides the data: drawing checks claimed
//! with a lease (each worked by one instance at a time, taken over when that instance stops
//! or dies), and rate limits counted per key and fixed window. Both backends implement
//! [`LeaseStorage`] with the same contract; SQLite serves one instance, PostgreSQL several
//! (claims take their rows `FOR UPDATE SKIP LOCKED`; a hit is one atomic upsert).
//!
//! Webhook deliveries are claimed the same way ([`super::webhooks::WebhookStorage`]).

use super::Fut;
use crate::records::DrawingCheck;

/// How long a claimed drawing check stays hidden from other instances (ms): a check takes
/// milliseconds, so a lease this long ends only when its instance stopped or died.
pub const DRAWING_LEASE_MS: i64 = 60_000;

/// Leases and shared counters.
pub trait LeaseStorage: Send + Sync {
    /// Claims for `instance`, until `lease_until`, up to `limit` drawing checks whose lease
    /// has ended at `now` (never claimed, released, or held by an instance that did not
    /// finish in time), oldest first; each read as
    /// [`super::Storage::pending_drawings`] reads it. Another claim before `lease_until`
    /// does not see them.
    fn claim_drawings(
        &self,
        instance: String,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Fut<'_, Vec<DrawingCheck>>;

    /// Ends the leases `instance` holds on checks it has not finished (their lease set to
    /// `now`): any instance may claim them at once. How many.
    fn release_drawings(&self, instance: String, now: i64) -> Fut<'_, u64>;

    /// Counts one hit on `key` of `scope` in the fixed window starting at `window_start`
    /// (ms) and returns the window's hits so far, this one included (1: the first). One
    /// atomic statement, so instances counting at once never lose a hit. A stored window
    /// older than `window_start` starts over; a newer one (an instance whose clock is
    /// behind) takes the hit.
    fn hit_rate_limit(&self, scope: String, key: String, window_start: i64) -> Fut<'_, i64>;

    /// Forgets the windows that started before `before`; how many.
    fn sweep_rate_limits(&self, before: i64) -> Fut<'_, u64>;
}
