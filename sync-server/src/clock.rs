//! The server's one source of the time: every handler, page and background task asks the
//! [`Clock`] in its state, never the system directly, so a test can set the time (an
//! enrolment code that expires, a session that ends, a backoff that comes due) instead of
//! waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// The time: the system's, or (in tests) one set by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands at `ms` (Unix milliseconds) until set or advanced.
    pub fn manual(ms: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(ms))),
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => Utc::now().timestamp_millis(),
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(t) => DateTime::from_timestamp_millis(t.load(Ordering::SeqCst))
                .unwrap_or(DateTime::UNIX_EPOCH),
            None => Utc::now(),
        }
    }

    /// Moves a manual clock by `ms` (either way); a system clock is left alone.
    pub fn advance(&self, ms: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `ms`; a system clock is left alone.
    pub fn set(&self, ms: i64) {
        if let Some(t) = &self.manual {
            t.store(ms, Ordering::SeqCst);
        }
    }

    /// Whether the time is set by hand.
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let c = Clock::manual(1_000);
        let seen_by_a_task = c.clone();
        assert_eq!(c.now_ms(), 1_000);
        c.advance(60_000);
        assert_eq!(seen_by_a_task.now_ms(), 61_000);
        assert_eq!(seen_by_a_task.now().timestamp_millis(), 61_000);
        c.set(5);
        assert_eq!(seen_by_a_task.now_ms(), 5);
        assert!(c.is_manual());
    }

    #[test]
    fn the_system_clock_is_the_systems() {
        let c = Clock::system();
        let before = Utc::now().timestamp_millis();
        let t = c.now_ms();
        c.advance(1_000_000);
        let after = Utc::now().timestamp_millis();
        assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
        assert!(!c.is_manual());
    }
}
