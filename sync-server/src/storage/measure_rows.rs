//! Turns the rows both backends read for the quality measures into [`JobFacts`]: one place
//! for the rules, so SQLite and PostgreSQL give the same facts.
//!
//! Which jobs: every job not closed (completed or cancelled) more than [`LOOKBACK_MS`] before
//! the period's start, whenever it was entered (the desk may enter a job after the fact); the
//! period's end does not filter. [`crate::measures::compute`] then keeps those whose promised
//! window starts in the period, [`crate::measures::daily_report`] those with a visit that day. Which facts: the jobs' applied ops ([`COUNTED_OPS`]: a completion only when it counts). A `clock_skew`
//! flag is raised once per pushed batch, at the batch's receipt time; its offset (its
//! sentence's `seconds` and `direction`; the words of a flag from before migration 0015)
//! applies to every op of that device received at that instant.

use std::collections::HashMap;

use fieldkit_core::model::WorkOrderStatus;
use fieldkit_core::sync::ops::{FeedbackV1, JobOp};
use fieldkit_core::sync::protocol::Op;

use super::{StorageError, order_from};
use crate::records::{EventFact, EventMoney, EventNotice, JobFacts};
use crate::stored::{Code, Stored};

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
    /// The flag's sentence (JSON), none before migration 0015.
    pub said: Option<String>,
}

impl SkewRow {
    /// The device's offset (device − server, ms): from the sentence's typed arguments, else
    /// (a flag from before 0015) from its English words.
    pub fn skew_ms(&self) -> Option<i64> {
        match self.said.as_deref().and_then(Stored::from_json) {
            Some(s) => skew_from_said(&s),
            None => skew_from_detail(&self.detail),
        }
    }
}

/// The offset a `clock_skew` sentence records (ms).
pub fn skew_from_said(s: &Stored) -> Option<i64> {
    if s.code() != Some(Code::ClockSkew) {
        return None;
    }
    let secs = s.int("seconds")?;
    let sign = match s.text("direction")? {
        "ahead" => 1,
        "behind" => -1,
        _ => return None,
    };
    Some(sign * secs.saturating_mul(1000))
}

/// The device's offset (device − server, ms) from a flag's detail, as push handling worded it
/// before migration 0015: "the device's clock is N s ahead of / behind the server's".
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
        .filter_map(|s| {
            let ms = s.skew_ms()?;
            Some(((s.device_id, s.created_at), ms))
        })
        .collect();
    let mut events: HashMap<String, Vec<EventFact>> = HashMap::new();
    for r in ops {
        let op: Op = serde_json::from_str(&r.body)?;
        let feedback = feedback_of(&op);
        events.entry(r.entity_id).or_default().push(EventFact {
            skew_ms: skew.get(&(r.device_id.clone(), r.received_at)).copied(),
            rating: feedback
                .as_ref()
                .map(|f| f.rating)
                .filter(|x| (1..=5).contains(x)),
            complaint: feedback.is_some_and(|f| f.complaint),
            money: money_of(&op),
            notice: notice_of(&op),
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

/// A `feedback` op's rating and complaint, read through the op catalogue; `None` for any
/// other op, and for a `feedback` op whose payload does not parse (its rating is not counted).
fn money_of(op: &Op) -> Option<EventMoney> {
    if op.kind != "consent_to_fees" && op.kind != "settle" {
        return None;
    }
    match op.job_op() {
        Ok(Some(JobOp::ConsentToFees(c))) => Some(EventMoney::Consent {
            total: c.total,
            agreed: c.agreed,
        }),
        Ok(Some(JobOp::Settle(s))) => Some(EventMoney::Settle {
            amount: s.amount,
            method: s.method,
        }),
        _ => None,
    }
}

/// A call's reach or a delay notice's new ETA, read through the op catalogue; `None` for any
/// other op or a payload that does not parse.
fn notice_of(op: &Op) -> Option<EventNotice> {
    if op.kind != "call_customer" && op.kind != "notify_delay" {
        return None;
    }
    match op.job_op() {
        Ok(Some(JobOp::CallCustomer(c))) => Some(EventNotice::Call { reached: c.reached }),
        Ok(Some(JobOp::NotifyDelay(d))) => Some(EventNotice::Delay {
            new_eta: d.new_eta.timestamp_millis(),
            in_time: d.in_time,
        }),
        _ => None,
    }
}

fn feedback_of(op: &Op) -> Option<FeedbackV1> {
    if op.kind != "feedback" {
        return None;
    }
    match op.job_op() {
        Ok(Some(JobOp::Feedback(f))) => Some(f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use fieldkit_core::model::VisitId;

    use super::*;
    use crate::test_ops::{op, renamed};

    fn feedback(rating: u8, complaint: bool) -> Op {
        op(&JobOp::Feedback(FeedbackV1 {
            id: Default::default(),
            visit_id: VisitId::new(),
            rating,
            comment: None,
            complaint,
            at: chrono::Utc::now(),
        }))
    }

    /// The facts of one job with these ops.
    fn facts(ops: &[Op]) -> Vec<crate::records::EventFact> {
        let order = fieldkit_core::demo::repair_order(
            1,
            chrono::Utc::now(),
            fieldkit_core::model::Billing::Warranty,
        );
        let job = JobRow {
            id: "j".into(),
            body: serde_json::to_string(&order).unwrap(),
            technician_id: None,
            complaint_handled_at: None,
        };
        let rows = ops
            .iter()
            .map(|o| OpRow {
                entity_id: "j".into(),
                device_id: "d".into(),
                body: serde_json::to_string(o).unwrap(),
                received_at: 0,
            })
            .collect();
        assemble(vec![job], rows, vec![]).unwrap().remove(0).events
    }

    #[test]
    fn feedback_is_read_through_the_catalogue() {
        let ev = facts(&[feedback(4, true)]);
        assert_eq!((ev[0].rating, ev[0].complaint), (Some(4), true));
    }

    #[test]
    fn a_renamed_field_is_unreadable_not_empty() {
        // A rating the measures cannot read is not counted (nor its complaint), whatever
        // else the payload says.
        let ev = facts(&[
            renamed(&feedback(1, true), "rating", "ratingg"),
            renamed(&feedback(5, true), "complaint", "complaintt"),
        ]);
        assert_eq!(ev.len(), 2, "the ops are still facts of the job");
        for e in &ev {
            assert_eq!(
                (e.kind.as_str(), e.rating, e.complaint),
                ("feedback", None, false)
            );
        }
    }

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

    #[test]
    fn skew_comes_from_the_sentence_s_arguments() {
        let row = |said: Stored| SkewRow {
            device_id: "d".into(),
            created_at: 0,
            detail: "设备时钟".into(),
            said: Some(said.to_json()),
        };
        let ahead = Code::ClockSkew
            .said()
            .arg("seconds", 7200i64)
            .arg("direction", "ahead");
        assert_eq!(row(ahead).skew_ms(), Some(7_200_000));
        let behind = Code::ClockSkew
            .said()
            .arg("seconds", 900i64)
            .arg("direction", "behind");
        assert_eq!(row(behind).skew_ms(), Some(-900_000));
        assert_eq!(row(Code::StockShort.said()).skew_ms(), None);
        let old = SkewRow {
            device_id: "d".into(),
            created_at: 0,
            detail: "the device's clock is 60 s behind the server's".into(),
            said: None,
        };
        assert_eq!(old.skew_ms(), Some(-60_000));
    }
}
