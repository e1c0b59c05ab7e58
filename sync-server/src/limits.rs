//! Load limits answered with `Retry-After` instead of queueing without end: [`Gate`]s (so
//! many at once: the requests handled, the pushes waiting for the database writer, the verify
//! page's lookups; over it a 503) and the per-device [`DeviceBuckets`] on pushes and pulls
//! (over it a 429). Connection-level limits (timeouts, the connection count) are the serving
//! loop's ([`crate::serve`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::Clock;
use crate::error::ApiError;

/// What a refused request is told to wait (seconds) when a gate is full: about the time a
/// group of pushes takes to commit, with room.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// At most so many holders at once; one more is refused at once (503 with `Retry-After`).
#[derive(Clone, Debug)]
pub struct Gate {
    permits: Arc<Semaphore>,
}

impl Gate {
    /// A gate for `max` holders (0: every request is refused).
    pub fn new(max: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))),
        }
    }

    /// A place, held until the permit is dropped; [`ApiError::Busy`] when none is free.
    pub fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            })
    }
}

/// A token bucket per device: `burst` tokens, refilled at `per_minute`, on the server's
/// clock (a test moves a manual one instead of waiting).
pub struct DeviceBuckets {
    per_minute: u32,
    burst: u32,
    clock: Clock,
    buckets: Mutex<HashMap<String, (f64, i64)>>,
}

/// Buckets kept before the full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl DeviceBuckets {
    /// Buckets of `burst` tokens refilled at `per_minute` (0: no limit).
    pub fn new(per_minute: u32, burst: u32, clock: Clock) -> Self {
        Self {
            per_minute,
            burst: burst.max(1),
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from `device`'s bucket; [`ApiError::Throttled`] with the seconds until
    /// the next token when it is empty.
    pub fn take(&self, device: &str) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let burst = f64::from(self.burst);
        let per_ms = f64::from(self.per_minute) / 60_000.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (tokens, at)| {
                *tokens + (now.saturating_sub(*at)) as f64 * per_ms < burst
            });
        }
        let (tokens, at) = buckets.entry(device.to_owned()).or_insert((burst, now));
        // A clock set back refills nothing (and takes nothing away).
        let elapsed = now.saturating_sub(*at).max(0) as f64;
        *tokens = (*tokens + elapsed * per_ms).min(burst);
        *at = now.max(*at);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        let wait_ms = ((1.0 - *tokens) / per_ms).ceil();
        Err(ApiError::Throttled {
            retry_after_secs: ((wait_ms / 1000.0).ceil() as u64).max(1),
        })
    }
}

/// The limits a request may meet, built once from the configuration.
pub struct Limits {
    /// Requests handled at once.
    pub requests: Gate,
    /// Pushes waiting for or in the database writer.
    pub writes: Gate,
    /// The public verify page's lookups at once.
    pub verify: Gate,
    /// Each device's pushes and pulls.
    pub devices: DeviceBuckets,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_on_the_servers_clock() {
        let clock = Clock::manual(1_000_000);
        let b = DeviceBuckets::new(6, 2, clock.clone());
        assert!(b.take("d1").is_ok() && b.take("d1").is_ok());
        match b.take("d1") {
            Err(ApiError::Throttled { retry_after_secs }) => assert_eq!(retry_after_secs, 10),
            other => panic!("{other:?}"),
        }
        assert!(b.take("d2").is_ok(), "another device has its own bucket");
        clock.advance(10_000);
        assert!(b.take("d1").is_ok());
        assert!(b.take("d1").is_err());
        clock.advance(-60_000);
        assert!(b.take("d1").is_err(), "a clock set back refills nothing");
        assert!(DeviceBuckets::new(0, 1, clock).take("d").is_ok());
    }

    #[test]
    fn a_gate_refuses_past_its_size() {
        let g = Gate::new(1);
        let held = g.enter().unwrap();
        assert!(matches!(g.enter(), Err(ApiError::Busy { .. })));
        drop(held);
        assert!(g.enter().is_ok());
        assert!(Gate::new(0).enter().is_err());
    }
}
