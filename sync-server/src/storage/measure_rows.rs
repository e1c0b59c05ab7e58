//! Turns the rows both backends read for the quality measures into [`JobFacts`]: one place
//! for the rules, so SQLite and PostgreSQL give the same facts.
//!
//! Which jobs: every job not closed (completed or cancelled) more than [`LOOKBACK_MS`] before
//! the period's start, whenever it was entered (the desk may enter a job after the fact); the
//! period's end does not filter. [`crate::measures::compute`] then keeps those whose promised
//! window starts in the period, [`crate::measures::daily_report`] those with a visit that day. Which facts: the jobs' applied ops ([`COUNTED_OPS`]: a completion only when it counts). A `clock_skew`
//! flag is raised once per pushed batch, at the batch's receipt time; its offset (in seconds,
//! from its detail) applies to every op of that device received at that instant.

use std::collections::HashMap;

use fieldkit_core::model::WorkOrderStatus;
use fieldkit_core::sync::protocol::Op;

use super::{StorageError, order_from};
use crate::measures::{EventFact, JobFacts};

/// The ops `o` the measures count: applied ones, a `complete` only when its completion counts
/// (counted, or released by the desk; never held, rejected or a conflict).
pub const COUNTED_OPS: &str = "((o.outcome = 'applied' AND o.kind <> 'complete')
    OR o.op_id IN (SELECT op_id FROM completions WHERE state IN ('counted', 'released')))";

/// How long before a period a job may have been closed and still belong to it (7 days).
pub const LOOKBACK_MS: i64 = 7 * 24 * 3_600_000;

/// A work order row: id, body, technician, complaint handled at.
pub struct JobRow {
    pub id: String,
    pub body: String,
    pub technician_id: Option<String>,
    pub complaint_handled_at: Option<i64>,
}

/// An applied op row.
pub struct OpRow {
    pub entity_id: String,
    pub device_id: String,
    pub body: String,
    pub received_at: i64,
}

/// A `clock_skew` flag row.
pub struct SkewRow {
    pub device_id: String,
    pub created_at: i64,
    pub detail: String,
}

/// The device's offset (device − server, ms) from a flag's detail, as push handling words it:
/// "the device's clock is N s ahead of / behind the server's".
pub fn skew_from_detail(detail: &str) -> Option<i64> {
    let rest = detail.strip_prefix("the device's clock is ")?;
    let (n, rest) = rest.split_once(" s ")?;
    let secs: i64 = n.parse().ok()?;
    let sign = if rest.starts_with("ahead of") {
        1
    } else if rest.starts_with("behind") {
        -1
    } else {
        return None;
    };
    Some(sign * secs.saturating_mul(1000))
}

/// Assembles the facts.
pub fn assemble(
    jobs: Vec<JobRow>,
    ops: Vec<OpRow>,
    skews: Vec<SkewRow>,
) -> Result<Vec<JobFacts>, StorageError> {
    let skew: HashMap<(String, i64), i64> = skews
        .into_iter()
        .filter_map(|s| Some(((s.device_id, s.created_at), skew_from_detail(&s.detail)?)))
        .collect();
    let mut events: HashMap<String, Vec<EventFact>> = HashMap::new();
    for r in ops {
        let op: Op = serde_json::from_str(&r.body)?;
        let feedback = op.kind == "feedback";
        events.entry(r.entity_id).or_default().push(EventFact {
            skew_ms: skew.get(&(r.device_id.clone(), r.received_at)).copied(),
            rating: feedback
                .then(|| op.payload.get("rating")?.as_u64())
                .flatten()
                .and_then(|x| u8::try_from(x).ok())
                .filter(|x| (1..=5).contains(x)),
            complaint: feedback
                && op
                    .payload
                    .get("complaint")
                    .and_then(|c| c.as_bool())
                    .unwrap_or(false),
            kind: op.kind,
            visit_id: op.visit_id,
            device_id: r.device_id,
            seq: op.seq,
            device_time: op.device_time,
            received_at: r.received_at,
        });
    }
    jobs.into_iter()
        .map(|j| {
            let order = order_from(&j.body)?;
            Ok(JobFacts {
                events: events.remove(&j.id).unwrap_or_default(),
                work_order_id: j.id,
                number: order.number,
                kind: order.kind,
                zone: order.site.zone,
                reported_at: order.reported_at.timestamp_millis(),
                promised_start: order.promised.start.timestamp_millis(),
                promised_end: order.promised.end.timestamp_millis(),
                technician_id: j.technician_id,
                cancelled: order.status == WorkOrderStatus::Cancelled,
                complaint_handled_at: j.complaint_handled_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::skew_from_detail;

    #[test]
    fn skew_detail_parses_both_directions() {
        assert_eq!(
            skew_from_detail("the device's clock is 7200 s ahead of the server's"),
            Some(7_200_000)
        );
        assert_eq!(
            skew_from_detail("the device's clock is 900 s behind the server's"),
            Some(-900_000)
        );
        assert_eq!(skew_from_detail("something else"), None);
    }
}
