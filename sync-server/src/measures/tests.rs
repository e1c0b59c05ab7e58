//! Tests of the measures, by subject in `tests/`: the hand-written week, the reports, the
//! visits' endings and first contact, properties over random facts. This file holds the fixed
//! week they share (all times local, UTC+08:00, November 2026: Mon 16 … Sun 22, Mon 23 …
//! Wed 25), whose expectations are worked out by hand, and the helpers.

use chrono::{FixedOffset, NaiveDate, TimeZone};

use super::*;

const MIN: i64 = 60_000;

/// Local time (UTC+08:00) on day `d` of November 2026, in ms.
fn t(d: u32, h: u32, m: u32) -> i64 {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
        .timestamp_millis()
}

fn ev(kind: &str, visit: &str, device_time: i64, received_at: i64) -> EventFact {
    EventFact {
        kind: kind.into(),
        visit_id: Some(visit.into()),
        device_id: "dev".into(),
        seq: 0,
        device_time,
        received_at,
        skew_ms: None,
        rating: None,
        complaint: false,
        money: None,
        notice: None,
    }
}

fn feedback(visit: &str, at: i64, received: i64, rating: u8, complaint: bool) -> EventFact {
    EventFact {
        rating: Some(rating),
        complaint,
        ..ev("feedback", visit, at, received)
    }
}

#[allow(clippy::too_many_arguments)]
fn job(
    id: &str,
    tech: &str,
    kind: JobKind,
    zone: Zone,
    reported_at: i64,
    window: (i64, i64),
    events: Vec<EventFact>,
) -> JobFacts {
    let mut events = events;
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = i as i64 + 1;
    }
    JobFacts {
        work_order_id: id.into(),
        number: format!("WO-{id}"),
        kind,
        zone,
        reported_at,
        promised_start: window.0,
        promised_end: window.1,
        technician_id: Some(tech.into()),
        cancelled: false,
        complaint_handled_at: None,
        events,
    }
}

/// The device of J2 runs 2 h ahead; the server flagged the batch.
const SKEW: i64 = 2 * 60 * MIN;

fn week() -> Vec<JobFacts> {
    // J1 (t-a, urban repair): called Mon 09:00, promised Tue 09:00–12:00; paused 30 min.
    let rx = t(17, 11, 40);
    let j1 = job(
        "j1",
        "t-a",
        JobKind::Repair,
        Zone::Urban,
        t(16, 9, 0),
        (t(17, 9, 0), t(17, 12, 0)),
        vec![
            ev("call_customer", "v1", t(16, 15, 0), t(16, 15, 1)),
            ev("start_travel", "v1", t(17, 9, 0), rx),
            ev("arrive", "v1", t(17, 9, 30), rx),
            ev("pause", "v1", t(17, 10, 0), rx),
            ev("resume", "v1", t(17, 10, 30), rx),
            feedback("v1", t(17, 11, 0), rx, 5, false),
            ev("complete", "v1", t(17, 11, 30), rx),
        ],
    );
    // J2 (t-a, suburban installation): called Tue 16:00, promised Wed 14:00–16:00. The
    // device clock is 2 h ahead: it says it arrived 16:20 (late), really 14:20 (on time).
    // Everything arrives in one batch at 18:30 (server time), flagged clock_skew +2 h.
    let rx = t(18, 18, 30);
    let skewed = |kind: &str, real: i64| EventFact {
        skew_ms: Some(SKEW),
        ..ev(kind, "v1", real + SKEW, rx)
    };
    let j2 = job(
        "j2",
        "t-a",
        JobKind::Installation,
        Zone::Suburban,
        t(17, 16, 0),
        (t(18, 14, 0), t(18, 16, 0)),
        vec![
            skewed("start_travel", t(18, 13, 30)),
            skewed("arrive", t(18, 14, 20)),
            EventFact {
                rating: Some(4),
                ..skewed("feedback", t(18, 15, 0))
            },
            skewed("complete", t(18, 15, 20)),
        ],
    );
    // J3 (t-a, urban delivery): cancelled by the desk before any visit.
    let j3 = JobFacts {
        cancelled: true,
        ..job(
            "j3",
            "t-a",
            JobKind::Delivery,
            Zone::Urban,
            t(16, 8, 0),
            (t(19, 9, 0), t(19, 10, 0)),
            vec![],
        )
    };
    // J4 (t-b, urban repair): called Wed 08:00, promised Wed 13:00–15:00. First visit takes
    // the unit back; the second (Fri) completes it, the customer complains (handled Wed 25
    // 11:00 = the 3rd working day after Fri: Mon, Tue, Wed), and the phone syncs it only Sat
    // 12:00 (25 h 30 min after completion: a late report).
    let j4 = JobFacts {
        complaint_handled_at: Some(t(25, 11, 0)),
        ..job(
            "j4",
            "t-b",
            JobKind::Repair,
            Zone::Urban,
            t(18, 8, 0),
            (t(18, 13, 0), t(18, 15, 0)),
            vec![
                ev("start_travel", "v1", t(18, 12, 30), t(18, 14, 5)),
                ev("arrive", "v1", t(18, 13, 10), t(18, 14, 5)),
                ev("take_back", "v1", t(18, 14, 0), t(18, 14, 5)),
                ev("start_travel", "v2", t(20, 9, 0), t(21, 12, 0)),
                ev("arrive", "v2", t(20, 9, 40), t(21, 12, 0)),
                feedback("v2", t(20, 10, 20), t(21, 12, 0), 3, true),
                ev("complete", "v2", t(20, 10, 30), t(21, 12, 0)),
            ],
        )
    };
    // J5 (t-b, urban follow-up): called Thu 08:00, promised Thu 10:00–11:00, arrived 11:15
    // (late, inside the SLA). Complaint on Thu handled Wed 25 09:00: the 4th working day
    // (Fri, Mon, Tue were the 3): late.
    let rx = t(19, 11, 50);
    let j5 = JobFacts {
        complaint_handled_at: Some(t(25, 9, 0)),
        ..job(
            "j5",
            "t-b",
            JobKind::FollowUp,
            Zone::Urban,
            t(19, 8, 0),
            (t(19, 10, 0), t(19, 11, 0)),
            vec![
                ev("start_travel", "v1", t(19, 10, 30), rx),
                ev("arrive", "v1", t(19, 11, 15), rx),
                feedback("v1", t(19, 11, 40), rx, 2, true),
                ev("complete", "v1", t(19, 11, 45), rx),
            ],
        )
    };
    // J6 (t-b, suburban delivery): called Fri 09:00, promised Sat 09:00–12:00; nobody went.
    let j6 = job(
        "j6",
        "t-b",
        JobKind::Delivery,
        Zone::Suburban,
        t(20, 9, 0),
        (t(21, 9, 0), t(21, 12, 0)),
        vec![],
    );
    // J7: promised Mon 23, outside the period.
    let j7 = job(
        "j7",
        "t-a",
        JobKind::Repair,
        Zone::Urban,
        t(22, 9, 0),
        (t(23, 9, 0), t(23, 10, 0)),
        vec![
            ev("arrive", "v1", t(23, 9, 0), t(23, 9, 5)),
            ev("complete", "v1", t(23, 9, 30), t(23, 9, 35)),
        ],
    );
    vec![j1, j2, j3, j4, j5, j6, j7]
}

fn run(facts: &[JobFacts]) -> Measures {
    compute(
        facts,
        t(16, 0, 0),
        t(23, 0, 0),
        t(25, 12, 0),
        &MeasureConfig::default(),
    )
}

fn tech<'a>(m: &'a Measures, id: &str) -> &'a Summary {
    &m.technicians
        .iter()
        .find(|x| x.technician_id == id)
        .unwrap()
        .summary
}

fn ratio(num: u32, den: u32) -> Ratio {
    Ratio {
        num,
        den,
        rate: Some(f64::from(num) / f64::from(den)),
    }
}

fn close(a: Option<f64>, b: f64) {
    let a = a.unwrap();
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

/// Every figure of `s` within its bounds, and no more jobs completed or cancelled than held.
fn check_ranges(s: &Summary) {
    for r in [
        s.sla,
        s.on_time_arrival,
        s.repair_timeliness,
        s.visit_completion,
        s.first_visit_fix,
        s.complaints.handled_in_time,
    ] {
        assert!(r.num <= r.den);
        if let Some(x) = r.rate {
            assert!((0.0..=1.0).contains(&x), "{r:?}");
        }
    }
    if let Some(x) = s.report_timeliness.rate {
        assert!((0.0..=1.0).contains(&x));
    }
    if let Some(m) = s.rating.mean {
        assert!((1.0..=5.0).contains(&m));
    }
    if let Some(d) = s.report_timeliness.mean_delay_minutes {
        assert!(d >= 0.0);
    }
    if let Some(x) = s.score {
        assert!((0.0..=100.0).contains(&x), "{x}");
        assert_eq!(s.band, Some(Band::of_centi((x * 100.0).round() as u32)));
    }
    assert!(s.completed + s.cancelled <= s.jobs);
}

mod properties;
mod reports;
mod visits;
mod week;
