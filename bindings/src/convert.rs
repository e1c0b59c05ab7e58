//! Conversions at the FFI edge: ids as strings, times as milliseconds since the Unix epoch
//! (UTC), counts as signed integers. Bad input becomes a `Validation` error, never a panic.

use std::str::FromStr;

use fieldkit_core::model::Timestamp;

use crate::error::{FieldKitError, Result};

/// Parses an id of any kind; `field` names it in the error.
pub(crate) fn id<T: FromStr>(field: &str, s: &str) -> Result<T> {
    T::from_str(s.trim()).map_err(|_| FieldKitError::validation(field, "not a valid id"))
}

/// Parses a work order id.
pub(crate) fn job_id(s: &str) -> Result<fieldkit_core::model::WorkOrderId> {
    id("job id", s)
}

/// A time as milliseconds since the Unix epoch.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// An optional time as milliseconds.
pub(crate) fn ms_opt(t: Option<Timestamp>) -> Option<i64> {
    t.map(ms)
}

/// Milliseconds since the epoch as a time; `field` names it in the error.
pub(crate) fn time(field: &str, ms: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| FieldKitError::validation(field, "time out of range"))
}

/// A non-negative count as `u32`.
pub(crate) fn count(field: &str, n: i32) -> Result<u32> {
    u32::try_from(n).map_err(|_| FieldKitError::validation(field, "must not be negative"))
}

/// A `u32` as `i32`, saturating (never reached by real counts).
pub(crate) fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
