//! This server among several on one database: the id its leases are held under, and
//! whether it is draining (then `/readyz` answers 503 so a load balancer sends it nothing
//! new, while what it has in hand finishes). No server state beyond that.

use std::sync::atomic::{AtomicBool, Ordering};

/// One running instance.
#[derive(Debug)]
pub struct Instance {
    id: String,
    draining: AtomicBool,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

impl Instance {
    /// A new instance, with an id of its own (a restart is a new instance: what the previous
    /// process held is taken over when its leases end).
    pub fn new() -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            draining: AtomicBool::new(false),
        }
    }

    /// The id its leases are held under.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// From now on the instance is draining (never undone).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether it is draining.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
