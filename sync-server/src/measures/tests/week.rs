//! The hand-written week, figure by figure: each technician with and without the skew
//! correction, the fleet and the zones, deadlines not yet due, the complaint deadline over
//! weekends and holidays, event times corrected for a flagged skew.

use super::*;

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
