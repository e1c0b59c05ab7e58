//! Score bands at their edges, the daily report, the measures' CSV, and device clocks
//! absurd enough to overflow.

use super::*;

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
