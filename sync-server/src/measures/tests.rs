//! The measures on a fixed, hand-written week (all times local, UTC+08:00, November 2026:
//! Mon 16 … Sun 22, Mon 23 … Wed 25), with the expectations worked out by hand; and
//! properties over random facts.

use chrono::{FixedOffset, NaiveDate, TimeZone};
use proptest::prelude::*;

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

#[test]
fn technician_a_with_the_skew_corrected() {
    let m = run(&week());
    let a = tech(&m, "t-a");
    // J1, J2, J3 (J7 is outside the period); J3 cancelled.
    assert_eq!((a.jobs, a.cancelled, a.completed), (3, 1, 2));
    // J1: Mon 09:00 → Tue 09:30 = 1470 min; J2: Tue 16:00 → Wed 14:20 (corrected) = 1340.
    assert_eq!(a.response.arrived, 2);
    close(a.response.mean_minutes, (1470.0 + 1340.0) / 2.0);
    close(a.response.max_minutes, 1470.0);
    // J1 misses the urban 24 h promise by 30 min; J2 is within suburban 48 h.
    assert_eq!(a.sla, ratio(1, 2));
    // J1 09:30 ≤ 12:00; J2 14:20 ≤ 16:00 once corrected.
    assert_eq!(a.on_time_arrival, ratio(2, 2));
    // J1 completed Tue 11:30 ≤ Mon 09:00 + 72 h.
    assert_eq!(a.repair_timeliness, ratio(1, 1));
    assert_eq!(a.visit_completion, ratio(2, 2));
    assert_eq!(a.first_visit_fix, ratio(2, 2));
    assert_eq!(a.rating.count, 2);
    close(a.rating.mean, 4.5);
    assert_eq!(a.complaints.raised, 0);
    assert_eq!(a.complaints.handled_in_time.rate, None);
    // J1: 11:30 → 11:40 = 10 min; J2: 15:20 (corrected) → 18:30 = 190 min.
    assert_eq!((a.report_timeliness.num, a.report_timeliness.den), (2, 2));
    close(a.report_timeliness.mean_delay_minutes, 100.0);
    close(a.report_timeliness.max_delay_minutes, 190.0);
    // J2's four facts.
    assert_eq!(a.skew_corrected_events, 4);
    // Score: sla 20·½ + on time 15·1 + repair 10·1 + completion 15·1 + first visit 15·1
    // + rating 15·(4.5−1)/4 + report 5·1 = 10+15+10+15+15+13.125+5 = 83.125 over the
    // weights with data (95, no complaints) = 0.875 → 87.50, good.
    assert_eq!(a.score, Some(87.5));
    assert_eq!(a.band, Some(Band::Good));
}

#[test]
fn the_same_week_without_the_skew_flag_judges_technician_a_late() {
    let mut facts = week();
    for e in &mut facts[1].events {
        e.skew_ms = None;
    }
    let m = run(&facts);
    let a = tech(&m, "t-a");
    // J2 now "arrives" 16:20 > 16:00: late. Response J2 = Tue 16:00 → Wed 16:20 = 1460 min.
    assert_eq!(a.on_time_arrival, ratio(1, 2));
    close(a.response.mean_minutes, (1470.0 + 1460.0) / 2.0);
    // Its completion (device 17:20) → 18:30 = 70 min.
    close(a.report_timeliness.max_delay_minutes, 70.0);
    close(a.report_timeliness.mean_delay_minutes, (10.0 + 70.0) / 2.0);
    assert_eq!(a.skew_corrected_events, 0);
    // 83.125 − 15·½ = 75.625 over 95 = 0.79605… → 79.61: the band drops to average.
    assert_eq!(a.score, Some(79.61));
    assert_eq!(a.band, Some(Band::Average));
}

#[test]
fn technician_b_misses_sla_and_revisits_and_handles_complaints_late() {
    let m = run(&week());
    let b = tech(&m, "t-b");
    assert_eq!((b.jobs, b.cancelled, b.completed), (3, 0, 2));
    // J4: Wed 08:00 → 13:10 = 310 min; J5: Thu 08:00 → 11:15 = 195 min.
    close(b.response.mean_minutes, (310.0 + 195.0) / 2.0);
    // J4, J5 within 24 h; J6 never arrived and its 48 h passed (Sun 09:00 < as of).
    assert_eq!(b.sla, ratio(2, 3));
    // J4 on time; J5 11:15 > 11:00; J6 never.
    assert_eq!(b.on_time_arrival, ratio(1, 3));
    // J4 completed Fri 10:30 ≤ Wed 08:00 + 72 h = Sat 08:00.
    assert_eq!(b.repair_timeliness, ratio(1, 1));
    // J6's window ended without a completion.
    assert_eq!(b.visit_completion, ratio(2, 3));
    // J4 took two visits (take-back); J5 one.
    assert_eq!(b.first_visit_fix, ratio(1, 2));
    close(b.rating.mean, 2.5);
    // J4 handled on the 3rd working day (in time), J5 on the 4th (late).
    assert_eq!(b.complaints.raised, 2);
    assert_eq!(b.complaints.handled_in_time, ratio(1, 2));
    // J4 synced 25 h 30 min = 1530 min after completion (late), J5 5 min.
    assert_eq!((b.report_timeliness.num, b.report_timeliness.den), (1, 2));
    close(b.report_timeliness.mean_delay_minutes, (1530.0 + 5.0) / 2.0);
    // 20·⅔ + 15·⅓ + 10·1 + 15·⅔ + 15·½ + 15·(2.5−1)/4 + 5·½ + 5·½
    // = 13.333 + 5 + 10 + 10 + 7.5 + 5.625 + 2.5 + 2.5 = 56.458 → 56.46, failing.
    assert_eq!(b.score, Some(56.46));
    assert_eq!(b.band, Some(Band::Failing));
}

#[test]
fn fleet_and_zones() {
    let m = run(&week());
    let f = &m.fleet;
    assert_eq!((f.jobs, f.cancelled, f.completed), (6, 1, 4));
    assert_eq!(f.sla, ratio(3, 5));
    assert_eq!(f.on_time_arrival, ratio(3, 5));
    assert_eq!(f.repair_timeliness, ratio(2, 2));
    assert_eq!(f.visit_completion, ratio(4, 5));
    assert_eq!(f.first_visit_fix, ratio(3, 4));
    close(f.rating.mean, 3.5);
    // 12 + 9 + 10 + 12 + 11.25 + 9.375 + 2.5 + 3.75 = 69.875 (rounds to 69.87 or 69.88).
    let s = f.score.unwrap();
    assert!((s - 69.875).abs() <= 0.0051, "{s}");
    assert_eq!(f.band, Some(Band::Average));

    assert_eq!(m.zones.len(), 2);
    let urban = &m.zones[0];
    assert_eq!((urban.zone, urban.response_limit_hours), (Zone::Urban, 24));
    // J1, J3, J4, J5: J1 missed (1470 > 1440 min), J4 and J5 met; J3 cancelled.
    assert_eq!(urban.summary.jobs, 4);
    assert_eq!(urban.summary.sla, ratio(2, 3));
    close(
        urban.summary.response.mean_minutes,
        (1470.0 + 310.0 + 195.0) / 3.0,
    );
    let sub = &m.zones[1];
    assert_eq!((sub.zone, sub.response_limit_hours), (Zone::Suburban, 48));
    // J2 met, J6 missed.
    assert_eq!(sub.summary.sla, ratio(1, 2));
    close(sub.summary.response.mean_minutes, 1340.0);
}

#[test]
fn deadlines_not_yet_passed_are_not_due() {
    // As of Fri 20 12:00: J6 (window Sat) is not due for arrival or completion, its SLA
    // (Sun 09:00) neither; the complaints (Thu, Fri) are unhandled and not yet due.
    let mut facts = week();
    facts[3].complaint_handled_at = None;
    facts[4].complaint_handled_at = None;
    let m = compute(
        &facts,
        t(16, 0, 0),
        t(23, 0, 0),
        t(20, 12, 0),
        &MeasureConfig::default(),
    );
    let b = tech(&m, "t-b");
    assert_eq!(b.sla, ratio(2, 2));
    assert_eq!(b.on_time_arrival, ratio(1, 2));
    assert_eq!(b.visit_completion, ratio(2, 2));
    assert_eq!(b.complaints.raised, 2);
    assert_eq!(b.complaints.handled_in_time.den, 0);
    // As of Wed 25 12:00, still unhandled: J5's (due Tue 24) is missed, J4's (due by the end
    // of Wed 25) not yet due.
    let m = run(&facts);
    assert_eq!(tech(&m, "t-b").complaints.handled_in_time, ratio(0, 1));
}

#[test]
fn complaint_deadline_skips_the_weekend() {
    let c = MeasureConfig::default();
    // Thu 19 → Fri, Mon, Tue: due by the end of Tue 24.
    assert_eq!(c.complaint_deadline(t(19, 11, 40)), t(25, 0, 0) - 1);
    // Fri 20 → Mon, Tue, Wed: the end of Wed 25.
    assert_eq!(c.complaint_deadline(t(20, 10, 20)), t(26, 0, 0) - 1);
    // Sat 21 and Sun 22 → Mon, Tue, Wed too.
    assert_eq!(c.complaint_deadline(t(21, 23, 0)), t(26, 0, 0) - 1);
    // Mon 16 → Tue, Wed, Thu.
    assert_eq!(c.complaint_deadline(t(16, 0, 0)), t(20, 0, 0) - 1);
}

#[test]
fn complaint_deadline_follows_the_holiday_calendar() {
    let c = MeasureConfig::default();
    let at = |y, mo, d, h| {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, mo, d, h, 0, 0)
            .unwrap()
            .timestamp_millis()
    };
    // Wed 30 Sep 2026: 1–7 Oct are holidays (国庆), Thu 8 and Fri 9 work, and Sat 10 Oct is an
    // adjusted working day: due by the end of Sat 10 Oct.
    assert_eq!(
        c.complaint_deadline(at(2026, 9, 30, 15)),
        at(2026, 10, 11, 0) - 1
    );
    // Fri 13 Feb 2026: Sat 14 is worked, 15–23 are 春节: Sat 14, Tue 24, Wed 25.
    assert_eq!(
        c.complaint_deadline(at(2026, 2, 13, 9)),
        at(2026, 2, 26, 0) - 1
    );
    // A year the calendar does not cover (2027 has no notice yet): Monday–Friday.
    // Thu 7 Jan 2027 → Fri 8, Mon 11, Tue 12.
    assert_eq!(
        c.complaint_deadline(at(2027, 1, 7, 9)),
        at(2027, 1, 13, 0) - 1
    );
}

#[test]
fn event_time_corrects_flagged_skew_and_never_exceeds_receipt() {
    let mut e = ev("arrive", "v", t(18, 16, 20), t(18, 17, 0));
    assert_eq!(e.at(), t(18, 16, 20));
    assert!(!e.corrected());
    e.skew_ms = Some(SKEW);
    assert_eq!(e.at(), t(18, 14, 20));
    // A clock behind: a negative offset moves the fact later, up to its receipt.
    e.skew_ms = Some(-3 * 60 * MIN);
    assert_eq!(e.at(), t(18, 17, 0));
    e.skew_ms = None;
    e.device_time = t(18, 18, 0);
    assert_eq!(e.at(), t(18, 17, 0));
    assert!(e.corrected());
}

#[test]
fn score_bands_at_their_edges() {
    for (centi, band) in [
        (0, Band::Failing),
        (6499, Band::Failing),
        (6500, Band::Average),
        (7999, Band::Average),
        (8000, Band::Good),
        (8999, Band::Good),
        (9000, Band::Excellent),
        (10_000, Band::Excellent),
    ] {
        assert_eq!(Band::of_centi(centi), band, "{centi}");
    }
    // Through the formula: one measure with data, its rate is the score.
    for (rate, centi, band) in [
        (0.6499, 6499, Band::Failing),
        (0.65, 6500, Band::Average),
        (0.7999, 7999, Band::Average),
        (0.8, 8000, Band::Good),
        (0.8999, 8999, Band::Good),
        (0.9, 9000, Band::Excellent),
    ] {
        let s = Summary {
            sla: Ratio {
                num: 0,
                den: 1,
                rate: Some(rate),
            },
            ..Summary::default()
        };
        assert_eq!(score_centi(&s), Some(centi), "{rate}");
        assert_eq!(Band::of_centi(score_centi(&s).unwrap()), band);
    }
    // Two measures: sla 20·1 + rating 15·(mean−1)/4; mean 2.75 → 15·0.4375 = 6.5625;
    // (20 + 6.5625) / 35 = 0.758928… → 75.89.
    let s = Summary {
        sla: ratio(1, 1),
        rating: Rating {
            count: 4,
            mean: Some(2.75),
        },
        ..Summary::default()
    };
    assert_eq!(score_centi(&s), Some(7589));
    assert_eq!(score_centi(&Summary::default()), None);
}

#[test]
fn daily_report_by_category_and_time_spent() {
    let cfg = MeasureConfig::default();
    let facts = week();
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    // Tue 17: J1 — travel 09:00→09:30, on site 09:30→11:30 less the 30 min pause.
    let r = daily_report(&facts, day(17), &cfg);
    assert_eq!(r.technicians.len(), 1);
    let a = &r.technicians[0];
    assert_eq!((a.technician_id.as_str(), a.jobs), ("t-a", 1));
    assert_eq!(a.by_category["repair"], 1);
    assert_eq!(a.by_category["delivery"], 0);
    assert_eq!(
        (a.travel_minutes, a.on_site_minutes, a.paused_minutes),
        (30, 90, 30)
    );
    // Wed 18: J2 (corrected: travel 13:30→14:20, on site 14:20→15:20) and J4's first visit
    // (travel 12:30→13:10, on site 13:10→14:00, ended by a take-back).
    let r = daily_report(&facts, day(18), &cfg);
    assert_eq!(r.technicians.len(), 2);
    let (a, b) = (&r.technicians[0], &r.technicians[1]);
    assert_eq!(a.by_category["installation"], 1);
    assert_eq!((a.travel_minutes, a.on_site_minutes), (50, 60));
    assert_eq!(b.by_category["repair"], 1);
    assert_eq!((b.travel_minutes, b.on_site_minutes), (40, 50));
    assert_eq!(b.visits[0].ended, "take_back");
    // Fri 20: J4's second visit only (J6 never started).
    let r = daily_report(&facts, day(20), &cfg);
    assert_eq!(r.technicians.len(), 1);
    assert_eq!(r.technicians[0].visits.len(), 1);
    assert_eq!(r.technicians[0].visits[0].ended, "complete");
    assert_eq!(
        (
            r.technicians[0].travel_minutes,
            r.technicians[0].on_site_minutes
        ),
        (40, 50)
    );
    // Sun 22: nobody worked.
    assert!(daily_report(&facts, day(22), &cfg).technicians.is_empty());
    // The CSV: a header and one row per technician.
    let csv = csv::daily(&daily_report(&facts, day(18), &cfg));
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        lines[0],
        "date,technician_id,jobs,delivery,installation,repair,return_exchange,follow_up,\
         visits,travel_minutes,on_site_minutes,paused_minutes"
    );
    assert_eq!(lines[1], "2026-11-18,t-a,1,0,1,0,0,0,1,50,60,0");
    assert_eq!(lines[2], "2026-11-18,t-b,1,0,0,1,0,0,1,40,50,0");
}

#[test]
fn measures_csv_has_one_row_per_scope() {
    let m = run(&week());
    let csv = csv::measures(&m);
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    // Header, fleet, t-a, t-b, urban, suburban.
    assert_eq!(lines.len(), 6);
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), header.len(), "{l}");
    }
    let ta: Vec<&str> = lines[2].split(',').collect();
    assert_eq!((ta[0], ta[1]), ("technician", "t-a"));
    assert_eq!(ta[col("sla_met")], "1");
    assert_eq!(ta[col("sla_due")], "2");
    assert_eq!(ta[col("sla_rate")], "0.5000");
    assert_eq!(ta[col("score")], "87.50");
    assert_eq!(ta[col("band")], "good");
    assert_eq!(ta[col("complaint_handling_rate")], "");
    let sub: Vec<&str> = lines[5].split(',').collect();
    assert_eq!((sub[0], sub[1]), ("zone", "suburban"));
}

#[test]
fn absurd_device_clocks_do_not_panic() {
    // Device times and offsets come from phones: any i64. Nothing may overflow.
    let mut facts = week();
    for (i, e) in facts[0].events.iter_mut().enumerate() {
        e.device_time = if i % 2 == 0 { i64::MIN } else { i64::MAX };
        e.skew_ms = Some(if i % 3 == 0 { i64::MAX } else { i64::MIN });
    }
    facts[1].reported_at = i64::MAX;
    for e in &mut facts[1].events {
        e.received_at = i64::MIN;
    }
    let m = run(&facts);
    check_ranges(&m.fleet);
    let cfg = MeasureConfig::default();
    for d in [17, 18] {
        let r = daily_report(&facts, NaiveDate::from_ymd_opt(2026, 11, d).unwrap(), &cfg);
        assert!(r.technicians.iter().all(|t| t.travel_minutes >= 0));
    }
    // Instants out of chrono's range read as the epoch.
    assert_eq!(cfg.complaint_deadline(i64::MAX), cfg.complaint_deadline(0));
    assert_eq!(cfg.complaint_deadline(i64::MIN), cfg.complaint_deadline(0));
}

/// 待件, hand-computed: three repairs of one technician in the week, each completed. J1 was
/// fixed on its visit; J2 waited for a part and was fixed on a second visit; J3 has a wait
/// and a completion on one visit (the measures read the facts as they are). First-visit fix:
/// 1 of 3 (only J1). J2's first visit ended `await_parts` in the daily report, its time on
/// site up to that fact.
#[test]
fn waiting_for_parts_is_not_a_first_visit_fix() {
    let w = (t(17, 9, 0), t(17, 12, 0));
    let at = |h, m| t(17, h, m);
    let facts = vec![
        job(
            "P1",
            "tp",
            JobKind::Repair,
            Zone::Urban,
            t(16, 9, 0),
            w,
            vec![
                ev("arrive", "a", at(9, 30), at(9, 30)),
                ev("complete", "a", at(10, 0), at(10, 0)),
            ],
        ),
        job(
            "P2",
            "tp",
            JobKind::Repair,
            Zone::Urban,
            t(16, 9, 0),
            w,
            vec![
                ev("start_travel", "b1", at(10, 0), at(10, 0)),
                ev("arrive", "b1", at(10, 20), at(10, 20)),
                ev("await_parts", "b1", at(10, 50), at(10, 50)),
                ev("arrive", "b2", t(18, 9, 0), t(18, 9, 0)),
                ev("complete", "b2", t(18, 9, 40), t(18, 9, 40)),
            ],
        ),
        job(
            "P3",
            "tp",
            JobKind::Repair,
            Zone::Urban,
            t(16, 9, 0),
            w,
            vec![
                ev("arrive", "c", at(11, 0), at(11, 0)),
                ev("await_parts", "c", at(11, 10), at(11, 10)),
                ev("complete", "c", at(11, 30), at(11, 30)),
            ],
        ),
    ];
    let m = run(&facts);
    assert_eq!(tech(&m, "tp").first_visit_fix, ratio(1, 3));
    let day = daily_report(
        &facts,
        NaiveDate::from_ymd_opt(2026, 11, 17).unwrap(),
        &MeasureConfig::default(),
    );
    let row = &day.technicians[0];
    let p2 = row.visits.iter().find(|v| v.work_order_id == "P2").unwrap();
    assert_eq!(
        (p2.ended.as_str(), p2.travel_minutes, p2.on_site_minutes),
        ("await_parts", 20, 30)
    );
}

/// Every ending, hand-computed: six jobs of one technician promised Tue 17 09:00–12:00, judged
/// as of Wed 25.
/// - E1 repair: the customer declined the quote — closed unfixed.
/// - E2 repair: a second visit needed, completed on visit 2.
/// - E3 delivery: damaged on unboxing, a redelivery requested — closed unfixed.
/// - E4 repair: fixed on its one visit.
/// - E5 repair: nothing happened, its window is over.
/// - E6 repair: the customer refused to sign, completed on visit 2.
///
/// Completed: E2, E4, E6 (3). Visit completion: 3 of 4 — E1 and E3 are left out (nothing was
/// left for the technician to complete), E5 counts as not done. First-visit fix: 1 of 3 (E4;
/// E2 and E6 took a second visit). Endings: one each of quote declined, second visit needed,
/// redelivery requested, signature refused; none of the others. The daily report ends E1's
/// visit at `decline_quote`: 10 min travel, 25 on site.
#[test]
fn every_ending_is_its_own_figure() {
    let w = (t(17, 9, 0), t(17, 12, 0));
    let at = |h, m| t(17, h, m);
    let day2 = |h, m| t(18, h, m);
    let repair = |id: &str, events| {
        job(
            id,
            "te",
            JobKind::Repair,
            Zone::Urban,
            t(16, 9, 0),
            w,
            events,
        )
    };
    let facts = vec![
        repair(
            "E1",
            vec![
                ev("start_travel", "a", at(9, 0), at(9, 0)),
                ev("arrive", "a", at(9, 10), at(9, 10)),
                ev("decline_quote", "a", at(9, 35), at(9, 35)),
            ],
        ),
        repair(
            "E2",
            vec![
                ev("arrive", "b1", at(9, 40), at(9, 40)),
                ev("start_work", "b1", at(9, 50), at(9, 50)),
                ev("need_second_visit", "b1", at(10, 0), at(10, 0)),
                ev("arrive", "b2", day2(9, 0), day2(9, 0)),
                ev("complete", "b2", day2(10, 0), day2(10, 0)),
            ],
        ),
        job(
            "E3",
            "te",
            JobKind::Delivery,
            Zone::Urban,
            t(16, 9, 0),
            w,
            vec![
                ev("arrive", "c", at(10, 10), at(10, 10)),
                ev("request_redelivery", "c", at(10, 30), at(10, 30)),
            ],
        ),
        repair(
            "E4",
            vec![
                ev("arrive", "d", at(10, 40), at(10, 40)),
                ev("complete", "d", at(11, 0), at(11, 0)),
            ],
        ),
        repair("E5", vec![]),
        repair(
            "E6",
            vec![
                ev("arrive", "f1", at(11, 10), at(11, 10)),
                ev("refuse_signature", "f1", at(11, 40), at(11, 40)),
                ev("arrive", "f2", day2(11, 0), day2(11, 0)),
                ev("complete", "f2", day2(11, 20), day2(11, 20)),
            ],
        ),
    ];
    let m = run(&facts);
    let s = tech(&m, "te");
    assert_eq!((s.jobs, s.completed, s.cancelled), (6, 3, 0));
    assert_eq!(s.visit_completion, ratio(3, 4));
    assert_eq!(s.first_visit_fix, ratio(1, 3));
    assert_eq!(
        s.endings,
        Endings {
            signature_refused: 1,
            quote_declined: 1,
            second_visit_needed: 1,
            redelivery_requested: 1,
            ..Endings::default()
        }
    );
    let csv = csv::measures(&m);
    let row = csv
        .lines()
        .find(|l| l.starts_with("technician,te,"))
        .unwrap();
    assert!(row.ends_with(",0,0,0,1,1,1,1"), "{row}");
    let day = daily_report(
        &facts,
        NaiveDate::from_ymd_opt(2026, 11, 17).unwrap(),
        &MeasureConfig::default(),
    );
    let e1 = day.technicians[0]
        .visits
        .iter()
        .find(|v| v.work_order_id == "E1")
        .unwrap();
    assert_eq!(
        (e1.ended.as_str(), e1.travel_minutes, e1.on_site_minutes),
        ("decline_quote", 10, 25)
    );
}

fn arb_job() -> impl Strategy<Value = JobFacts> {
    let kinds = prop::sample::select(vec![
        "call_customer",
        "start_travel",
        "arrive",
        "pause",
        "resume",
        "feedback",
        "take_back",
        "no_access",
        "await_parts",
        "refuse_signature",
        "decline_quote",
        "need_second_visit",
        "request_redelivery",
        "complete",
        "note",
    ]);
    let event = (
        kinds,
        0..3u8,
        0..(7 * 24 * 60i64),
        0..(48 * 60i64),
        prop::option::of(-180..180i64),
        1..=5u8,
        any::<bool>(),
    )
        .prop_map(
            |(kind, visit, at, lag, skew, rating, complaint)| EventFact {
                kind: kind.into(),
                visit_id: Some(format!("v{visit}")),
                device_id: "d".into(),
                seq: 0,
                device_time: t(16, 0, 0) + at * MIN,
                received_at: t(16, 0, 0) + (at + lag) * MIN,
                skew_ms: skew.map(|m| m * MIN),
                rating: (kind == "feedback").then_some(rating),
                complaint: kind == "feedback" && complaint,
                money: None,
                notice: None,
            },
        );
    (
        0..4u8,
        prop::sample::select(JobKind::ALL.to_vec()),
        any::<bool>(),
        0..(8 * 24i64),
        0..72i64,
        any::<bool>(),
        prop::option::of(0..(10 * 24 * 60i64)),
        prop::collection::vec(event, 0..12),
    )
        .prop_map(
            |(tech, kind, urban, start_h, reported_h, cancelled, handled, events)| {
                let start = t(15, 0, 0) + start_h * 60 * MIN;
                let mut j = job(
                    "x",
                    &format!("t{tech}"),
                    kind,
                    if urban { Zone::Urban } else { Zone::Suburban },
                    start - reported_h * 60 * MIN,
                    (start, start + 120 * MIN),
                    events,
                );
                j.cancelled = cancelled;
                j.complaint_handled_at = handled.map(|m| t(16, 0, 0) + m * MIN);
                j
            },
        )
}

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn measures_stay_in_range_and_ignore_input_order(
        jobs in prop::collection::vec(arb_job(), 0..10),
        rot in 0usize..10,
        day in 15u32..24,
    ) {
        let mut jobs = jobs;
        for (i, j) in jobs.iter_mut().enumerate() {
            j.work_order_id = format!("job-{i}");
        }
        let cfg = MeasureConfig::default();
        let (from, to, as_of) = (t(16, 0, 0), t(23, 0, 0), t(24, 0, 0));
        let m = compute(&jobs, from, to, as_of, &cfg);
        check_ranges(&m.fleet);
        m.technicians.iter().for_each(|x| check_ranges(&x.summary));
        m.zones.iter().for_each(|x| check_ranges(&x.summary));
        let daily = daily_report(&jobs, NaiveDate::from_ymd_opt(2026, 11, day).unwrap(), &cfg);
        for r in &daily.technicians {
            prop_assert!(r.travel_minutes >= 0 && r.on_site_minutes >= 0 && r.paused_minutes >= 0);
            prop_assert_eq!(r.by_category.values().sum::<u32>(), r.jobs);
        }

        // The same facts in another order: jobs reversed and rotated, events reversed.
        let mut shuffled = jobs.clone();
        shuffled.reverse();
        if !shuffled.is_empty() {
            let k = rot % shuffled.len();
            shuffled.rotate_left(k);
        }
        for j in &mut shuffled {
            j.events.reverse();
        }
        prop_assert_eq!(&compute(&shuffled, from, to, as_of, &cfg), &m);
        prop_assert_eq!(
            daily_report(&shuffled, NaiveDate::from_ymd_opt(2026, 11, day).unwrap(), &cfg),
            daily
        );
    }
}

/// A call to the customer: reached or only an attempt.
fn call(reached: bool, at: i64) -> EventFact {
    EventFact {
        notice: Some(EventNotice::Call { reached }),
        ..ev("call_customer", "v1", at, at + MIN)
    }
}

#[test]
fn time_to_first_contact_counts_the_first_reached_call() {
    // Reported Mon 16 09:00, limit 30 min (the default). As of Mon 16 12:00:
    // - c1: an attempt at 09:10 (not reached), reached at 09:40 → 40 min, late;
    // - c2: reached at 09:20 → 20 min, in time (a later call changes nothing);
    // - c3: only an unreached attempt, and past 09:30 → due, missed, not contacted;
    // - c4: reported 11:50, no call yet, its limit 12:20 still ahead → not due.
    let rep = t(16, 9, 0);
    let w = (t(17, 9, 0), t(17, 11, 0));
    let facts = vec![
        job(
            "c1",
            "t-a",
            JobKind::Repair,
            Zone::Urban,
            rep,
            w,
            vec![call(false, t(16, 9, 10)), call(true, t(16, 9, 40))],
        ),
        job(
            "c2",
            "t-a",
            JobKind::Repair,
            Zone::Rural,
            rep,
            w,
            vec![call(true, t(16, 9, 20)), call(true, t(16, 9, 25))],
        ),
        job(
            "c3",
            "t-a",
            JobKind::Repair,
            Zone::Urban,
            rep,
            w,
            vec![call(false, t(16, 9, 5))],
        ),
        job(
            "c4",
            "t-a",
            JobKind::Repair,
            Zone::Urban,
            t(16, 11, 50),
            w,
            vec![],
        ),
    ];
    let m = compute(
        &facts,
        t(16, 0, 0),
        t(23, 0, 0),
        t(16, 12, 0),
        &MeasureConfig::default(),
    );
    let fc = m.fleet.first_contact;
    assert_eq!(fc.contacted, 2);
    close(fc.mean_minutes, 30.0);
    close(fc.max_minutes, 40.0);
    assert_eq!(fc.within_limit, ratio(1, 3));
    // The rural zone is its own scope with its own response promise (72 h by default).
    let rural = m.zones.iter().find(|z| z.zone == Zone::Rural).unwrap();
    assert_eq!((rural.response_limit_hours, rural.summary.jobs), (72, 1));
    let csv = csv::measures(&m);
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let fleet: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(fleet.len(), header.len());
    assert_eq!(fleet[col("first_contacts")], "2");
    assert_eq!(fleet[col("first_contact_mean_minutes")], "30.0");
    assert_eq!(fleet[col("first_contact_max_minutes")], "40.0");
    assert_eq!(fleet[col("first_contacts_in_time")], "1");
    assert_eq!(fleet[col("first_contacts_due")], "3");
    assert_eq!(fleet[col("first_contact_rate")], "0.3333");
}
