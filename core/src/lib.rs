//! FieldKit core: the offline-first heart of the field technician's app.
//!
//! A technician's phone keeps every visit in SQLite, walks the technician through the on-site
//! procedure, and queues every change in an outbox for the server. Data walks one way:
//! command → rules ([`workflow`], [`checklist`]) → one transaction (state + outbox op) → events.

pub mod checklist;
pub mod clock;
pub mod error;
pub mod i18n;
pub mod media;
pub mod model;
#[cfg(feature = "report")]
pub mod report;
pub mod store;
pub mod sync;
pub mod workflow;

pub use error::{Error, Result};
pub mod api;

pub use api::{DeviceConfig, FieldKit};
#[cfg(any(test, feature = "demo"))]
pub mod demo;
