//! How a job's visits count, hand-computed: waiting for parts is no first-visit fix, every
//! ending is its own figure, time to first contact counts the first reached call.

use super::*;

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
