//! Properties over random facts: every figure stays in range, and the input's order changes
//! nothing.

use proptest::prelude::*;

use super::*;

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
