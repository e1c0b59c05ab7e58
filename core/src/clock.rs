//! Time, injected: the wall clock used for every recorded fact, and the hybrid logical
//! clock (HLC) that stamps outbox ops.

use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};

use crate::model::Timestamp;

/// Where the core reads the time. Tests inject a [`ManualClock`].
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;
}

/// The device's real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock stopped at `t`.
    pub fn new(t: Timestamp) -> Self {
        Self(Mutex::new(t))
    }

    /// Stops the clock at `t`.
    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Milliseconds since the Unix epoch, the storage form of a [`Timestamp`].
pub fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// The inverse of [`to_millis`]; out-of-range values clamp to the epoch.
pub fn from_millis(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A hybrid logical clock stamp: wall milliseconds plus a counter. Totally ordered together
/// with the device id; never goes backwards on one device even if the wall clock does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
}

impl Hlc {
    /// The next stamp after `self` at wall time `now_ms`.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                counter: self.counter.saturating_add(1),
            }
        }
    }

    /// Merges a stamp received from elsewhere (the server), so later local stamps sort after it.
    pub fn observe(self, remote: Hlc, now_ms: i64) -> Hlc {
        let wall = self.wall_ms.max(remote.wall_ms).max(now_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter).saturating_add(1)
        } else if wall == self.wall_ms {
            self.counter.saturating_add(1)
        } else if wall == remote.wall_ms {
            remote.counter.saturating_add(1)
        } else {
            0
        };
        Hlc {
            wall_ms: wall,
            counter,
        }
    }

    /// A fixed-width text form that sorts like the stamp: `0001764000000000-00000`.
    pub fn encode(self) -> String {
        format!("{:016}-{:05}", self.wall_ms.max(0), self.counter)
    }

    /// Parses [`Hlc::encode`]'s output.
    pub fn decode(s: &str) -> Option<Hlc> {
        let (w, c) = s.split_once('-')?;
        Some(Hlc {
            wall_ms: w.parse().ok()?,
            counter: c.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hlc_never_goes_backwards(walls in proptest::collection::vec(0i64..10_000, 1..200)) {
            let mut h = Hlc::default();
            for w in walls {
                let next = h.tick(w);
                prop_assert!(next > h);
                prop_assert!(next.encode() > h.encode());
                prop_assert_eq!(Hlc::decode(&next.encode()), Some(next));
                h = next;
            }
        }

        #[test]
        fn hlc_observe_sorts_after_both(a in 0i64..1000, ac in 0u32..10, b in 0i64..1000, bc in 0u32..10, now in 0i64..1000) {
            let local = Hlc { wall_ms: a, counter: ac };
            let remote = Hlc { wall_ms: b, counter: bc };
            let m = local.observe(remote, now);
            prop_assert!(m > local && m > remote);
        }
    }
}
