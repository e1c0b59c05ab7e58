//! Working days over the 2026 calendar: the State Council's notice, complaints received before
//! holiday weeks, on an adjusted Saturday, on a holiday, at the year's end; the loader's
//! refusals; properties of the count.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn cal() -> &'static HolidayCalendar {
    HolidayCalendar::built_in().expect("built-in calendar")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// An instant given in Beijing time.
fn bj(y: i32, m: u32, day: u32, h: u32, min: u32) -> Timestamp {
    CHINA_OFFSET
        .with_ymd_and_hms(y, m, day, h, min, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

#[test]
fn built_in_calendar_loads() {
    let cal = HolidayCalendar::from_json(BUILT_IN_CALENDAR_JSON).expect("loads");
    assert_eq!(cal.years().collect::<Vec<_>>(), vec![2026]);
    assert!(cal.source(2026).is_some_and(|s| s.starts_with("https://")));
    assert!(
        !cal.covers(2027),
        "no 2027 notice was found: 2027 must stay uncovered"
    );
    assert_eq!(HolidayCalendar::built_in(), Ok(&cal));
}

#[test]
fn calendar_2026_matches_the_notice() {
    let cal = cal();
    // 放假 (rest) and 上班 (worked weekend days) as the notice lists them.
    for (from, to) in [
        (d(2026, 1, 1), d(2026, 1, 3)),
        (d(2026, 2, 15), d(2026, 2, 23)),
        (d(2026, 4, 4), d(2026, 4, 6)),
        (d(2026, 5, 1), d(2026, 5, 5)),
        (d(2026, 6, 19), d(2026, 6, 21)),
        (d(2026, 9, 25), d(2026, 9, 27)),
        (d(2026, 10, 1), d(2026, 10, 7)),
    ] {
        for day in from.iter_days().take_while(|x| *x <= to) {
            assert_eq!(cal.is_working_day(day), Ok(false), "{day} is a holiday");
        }
    }
    for day in [
        d(2026, 1, 4),
        d(2026, 2, 14),
        d(2026, 2, 28),
        d(2026, 5, 9),
        d(2026, 9, 20),
        d(2026, 10, 10),
    ] {
        assert_eq!(cal.is_working_day(day), Ok(true), "{day} is worked (调休)");
    }
    // Ordinary days: a Monday works, a Saturday rests.
    assert_eq!(cal.is_working_day(d(2026, 3, 2)), Ok(true));
    assert_eq!(cal.is_working_day(d(2026, 3, 7)), Ok(false));
    // 261 weekdays, 19 of them holidays, 6 weekend days worked.
    let working = d(2026, 1, 1)
        .iter_days()
        .take_while(|x| x.year() == 2026)
        .filter(|x| cal.is_working_day(*x) == Ok(true))
        .count();
    assert_eq!(working, 261 - 19 + 6);
}

#[test]
fn friday_before_spring_festival() {
    // Fri 13 Feb: Sat 14 is worked (day 1), 15–23 rest, Tue 24 and Wed 25 are days 2 and 3.
    let received = bj(2026, 2, 13, 10, 0);
    assert_eq!(cal().add_working_days(received, 1), Ok(d(2026, 2, 14)));
    assert_eq!(cal().add_working_days(received, 3), Ok(d(2026, 2, 25)));
    assert_eq!(cal().due_instant(received, 3), Ok(bj(2026, 2, 26, 0, 0)));
    assert_eq!(
        cal().due_instant(received, 3).map(|t| t.to_rfc3339()),
        Ok("2026-02-25T16:00:00+00:00".into())
    );
}

#[test]
fn friday_before_mid_autumn_and_national_day() {
    // Fri 18 Sep: Sun 20 is worked, then Mon 21, Tue 22.
    assert_eq!(
        cal().due_instant(bj(2026, 9, 18, 17, 30), 3),
        Ok(bj(2026, 9, 23, 0, 0))
    );
    // Thu 24 Sep, the eve of 中秋 (25–27): Mon 28, Tue 29, Wed 30.
    assert_eq!(
        cal().due_instant(bj(2026, 9, 24, 9, 0), 3),
        Ok(bj(2026, 10, 1, 0, 0))
    );
    // Wed 30 Sep, the eve of 国庆 (1–7): Thu 8, Fri 9, Sat 10 (worked).
    assert_eq!(
        cal().due_instant(bj(2026, 9, 30, 9, 0), 3),
        Ok(bj(2026, 10, 11, 0, 0))
    );
}

#[test]
fn received_on_an_adjusted_saturday() {
    // Sat 14 Feb is a working day, but the receipt's day never counts: Tue 24, Wed 25, Thu 26.
    let received = bj(2026, 2, 14, 11, 0);
    assert_eq!(cal().is_working_day_at(received), Ok(true));
    assert_eq!(cal().due_instant(received, 3), Ok(bj(2026, 2, 27, 0, 0)));
}

#[test]
fn received_on_a_holiday_counts_from_the_next_working_day() {
    let received = bj(2026, 10, 3, 15, 0);
    assert_eq!(cal().is_working_day_at(received), Ok(false));
    assert_eq!(cal().add_working_days(received, 1), Ok(d(2026, 10, 8)));
    assert_eq!(cal().due_instant(received, 3), Ok(bj(2026, 10, 11, 0, 0)));
    // 00:30 on Thu 8 Oct in Beijing is still 7 Oct (a holiday) in UTC: Beijing's day counts.
    let just_after = Utc
        .with_ymd_and_hms(2026, 10, 7, 16, 30, 0)
        .single()
        .expect("utc");
    assert_eq!(local_date(just_after), d(2026, 10, 8));
    assert_eq!(cal().is_working_day_at(just_after), Ok(true));
    assert_eq!(cal().due_instant(just_after, 3), Ok(bj(2026, 10, 13, 0, 0)));
}

#[test]
fn year_end_runs_into_an_uncovered_year() {
    // Mon 28 Dec: Tue 29, Wed 30, Thu 31 — all in 2026; due at 2027-01-01 00:00 Beijing.
    assert_eq!(
        cal().due_instant(bj(2026, 12, 28, 9, 0), 3),
        Ok(bj(2027, 1, 1, 0, 0))
    );
    // Thu 31 Dec or Tue 29 Dec: the count needs 2027, which no notice covers yet.
    let not_covered = CalendarError::YearNotCovered { year: 2027 };
    assert_eq!(
        cal().due_instant(bj(2026, 12, 31, 9, 0), 3),
        Err(not_covered.clone())
    );
    assert_eq!(
        cal().due_instant(bj(2026, 12, 29, 9, 0), 3),
        Err(not_covered.clone())
    );
    assert_eq!(
        cal().is_working_day(d(2027, 1, 4)),
        Err(not_covered.clone())
    );
    assert_eq!(
        cal().is_working_day(d(2025, 12, 31)),
        Err(CalendarError::YearNotCovered { year: 2025 })
    );
    assert_eq!(
        cal().working_days_elapsed(bj(2026, 12, 30, 9, 0), bj(2027, 1, 5, 9, 0)),
        Err(not_covered)
    );
}

#[test]
fn year_end_with_both_years_covered() {
    // A synthetic calendar (not real data): two years without any holiday.
    let text = r#"{"header": {"note": "synthetic, for tests"}, "years": [
        {"year": 2098, "source_url": "test:none", "holidays": [], "working_days": []},
        {"year": 2099, "source_url": "test:none", "holidays": [], "working_days": []}]}"#;
    let cal = HolidayCalendar::from_json(text).expect("loads");
    // Wed 31 Dec 2098: Thu 1, Fri 2, Mon 5 Jan 2099.
    assert_eq!(
        cal.add_working_days(bj(2098, 12, 31, 9, 0), 3),
        Ok(d(2099, 1, 5))
    );
}

#[test]
fn elapsed_working_days() {
    let received = bj(2026, 2, 13, 10, 0);
    assert_eq!(cal().working_days_elapsed(received, received), Ok(0));
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 12, 0, 0)),
        Ok(0)
    );
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 14, 23, 59)),
        Ok(0)
    );
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 15, 0, 0)),
        Ok(1)
    );
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 24, 12, 0)),
        Ok(1)
    );
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 25, 23, 59)),
        Ok(2)
    );
    assert_eq!(
        cal().working_days_elapsed(received, bj(2026, 2, 26, 0, 0)),
        Ok(3)
    );
}

/// The built-in file with one year's entry replaced.
fn with_year(year_json: &str) -> String {
    format!(r#"{{"header": {{}}, "years": [{year_json}]}}"#)
}

fn year_2026(holidays: &str, working_days: &str) -> String {
    with_year(&format!(
        r#"{{"year": 2026, "source_url": "https://example.test/notice", "holidays": [{holidays}], "working_days": [{working_days}]}}"#
    ))
}

#[test]
fn bad_calendars_are_refused_with_their_reason() {
    use CalendarError::*;
    let load = |text: &str| HolidayCalendar::from_json(text).err();
    assert!(matches!(load("not json"), Some(Malformed(_))));
    assert!(matches!(load(r#"{"years": []}"#), Some(Malformed(_))));
    // A misspelt field is refused, not ignored.
    let misspelt =
        with_year(r#"{"year": 2026, "source_url": "x", "holidays": [], "working_day": []}"#);
    assert!(matches!(load(&misspelt), Some(Malformed(_))));
    assert_eq!(load(r#"{"header": {}, "years": []}"#), Some(NoYears));
    let year = |y: i32| {
        format!(r#"{{"year": {y}, "source_url": "x", "holidays": [], "working_days": []}}"#)
    };
    assert_eq!(
        load(&with_year(&year(1999))),
        Some(YearOutOfRange { year: 1999 })
    );
    assert_eq!(
        load(&with_year(&year(2101))),
        Some(YearOutOfRange { year: 2101 })
    );
    let twice = format!(
        r#"{{"header": {{}}, "years": [{}, {}]}}"#,
        year(2026),
        year(2026)
    );
    assert_eq!(load(&twice), Some(DuplicateYear { year: 2026 }));
    let no_source =
        with_year(r#"{"year": 2026, "source_url": " ", "holidays": [], "working_days": []}"#);
    assert_eq!(load(&no_source), Some(MissingSource { year: 2026 }));

    let holiday =
        |from: &str, to: &str| format!(r#"{{"name": "x", "from": "{from}", "to": "{to}"}}"#);
    let worked = |date: &str| format!(r#"{{"date": "{date}"}}"#);
    for bad in [
        "2026-1-04",
        "2026-02-30",
        "26-01-01",
        "2026-01-01T00:00",
        "",
    ] {
        assert_eq!(
            load(&year_2026(&holiday(bad, "2026-01-03"), "")),
            Some(BadDate { text: bad.into() })
        );
    }
    assert_eq!(
        load(&year_2026(&holiday("2025-12-31", "2026-01-03"), "")),
        Some(DateOutsideYear {
            date: d(2025, 12, 31),
            year: 2026
        })
    );
    assert_eq!(
        load(&year_2026("", &worked("2027-01-02"))),
        Some(DateOutsideYear {
            date: d(2027, 1, 2),
            year: 2026
        })
    );
    assert_eq!(
        load(&year_2026(&holiday("2026-01-03", "2026-01-01"), "")),
        Some(BackwardRange {
            from: d(2026, 1, 3),
            to: d(2026, 1, 1)
        })
    );
    let overlapping = format!(
        "{}, {}",
        holiday("2026-01-01", "2026-01-03"),
        holiday("2026-01-03", "2026-01-04")
    );
    assert_eq!(
        load(&year_2026(&overlapping, "")),
        Some(DuplicateDate {
            date: d(2026, 1, 3)
        })
    );
    let twice = format!("{}, {}", worked("2026-01-04"), worked("2026-01-04"));
    assert_eq!(
        load(&year_2026("", &twice)),
        Some(DuplicateDate {
            date: d(2026, 1, 4)
        })
    );
    assert_eq!(
        load(&year_2026(
            &holiday("2026-01-01", "2026-01-03"),
            &worked("2026-01-03")
        )),
        Some(HolidayAndWorkingDay {
            date: d(2026, 1, 3)
        })
    );
    assert_eq!(
        load(&year_2026("", &worked("2026-01-05"))),
        Some(WorkingDayNotWeekend {
            date: d(2026, 1, 5)
        })
    );
}

fn year_2026_millis() -> std::ops::Range<i64> {
    bj(2026, 1, 1, 0, 0).timestamp_millis()..bj(2027, 1, 1, 0, 0).timestamp_millis()
}

fn at(ms: i64) -> Timestamp {
    DateTime::from_timestamp_millis(ms).expect("instant")
}

proptest! {
    #[test]
    fn adding_lands_on_a_working_day_and_agrees_with_elapsed(ms in year_2026_millis(), n in 1u32..=20) {
        let cal = cal();
        let received = at(ms);
        match cal.add_working_days(received, n) {
            Ok(day) => {
                prop_assert!(day > local_date(received));
                prop_assert_eq!(cal.is_working_day(day), Ok(true));
                let due = cal.due_instant(received, n).expect("due");
                prop_assert_eq!(due, start_of_local_day(day + Duration::days(1)));
                prop_assert_eq!(cal.working_days_elapsed(received, due), Ok(n));
                prop_assert_eq!(
                    cal.working_days_elapsed(received, due - Duration::milliseconds(1)),
                    Ok(n - 1)
                );
                if let Ok(later) = cal.add_working_days(received, n + 1) {
                    prop_assert!(later > day);
                }
            }
            // Only the year's last weeks may run out of the calendar.
            Err(e) => {
                prop_assert_eq!(e, CalendarError::YearNotCovered { year: 2027 });
                prop_assert!(local_date(received) >= d(2026, 11, 30));
            }
        }
    }

    #[test]
    fn adding_is_monotonic_in_the_receipt(a in year_2026_millis(), b in year_2026_millis(), n in 1u32..=10) {
        let (early, late) = (at(a.min(b)), at(a.max(b)));
        if let (Ok(x), Ok(y)) = (cal().add_working_days(early, n), cal().add_working_days(late, n)) {
            prop_assert!(x <= y);
        }
    }

    #[test]
    fn a_garbled_calendar_is_refused_never_a_panic(pos in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
        let mut bytes = BUILT_IN_CALENDAR_JSON.as_bytes().to_vec();
        let i = pos % bytes.len();
        bytes[i] = byte;
        bytes.truncate(cut.max(i + 1));
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(cal) = HolidayCalendar::from_json(&text) {
            // Whatever still loads is consistent.
            for year in cal.years() {
                prop_assert!((MIN_YEAR..=MAX_YEAR).contains(&year));
            }
            let both = cal.holidays.intersection(&cal.working_days).count();
            prop_assert_eq!(both, 0);
        }
    }

    #[test]
    fn a_day_both_rest_and_worked_is_refused(week in 0u64..52, sunday in any::<bool>()) {
        // Sat 3 Jan 2026 is the year's first Saturday.
        let day = d(2026, 1, 3) + chrono::Days::new(7 * week + u64::from(sunday));
        let listed = cal().holidays.contains(&day) || cal().working_days.contains(&day);
        prop_assume!(!listed && is_weekend(day));
        let text = BUILT_IN_CALENDAR_JSON
            .replacen(r#""holidays": ["#, &format!(r#""holidays": [{{ "name": "x", "from": "{day}", "to": "{day}" }},"#), 1)
            .replacen(r#""working_days": ["#, &format!(r#""working_days": [{{ "date": "{day}" }},"#), 1);
        prop_assert_eq!(HolidayCalendar::from_json(&text), Err(CalendarError::HolidayAndWorkingDay { date: day }));
    }

    #[test]
    fn random_years_and_dates_never_panic(
        year in prop_oneof![Just(2026), any::<i32>()],
        y in prop_oneof![Just(2026), -300_000i32..300_000],
        m in 0u32..14, dd in 0u32..33) {
        let date = format!("{y:04}-{m:02}-{dd:02}");
        let text = with_year(&format!(
            r#"{{"year": {year}, "source_url": "x", "holidays": [{{"name": "x", "from": "{date}", "to": "{date}"}}], "working_days": []}}"#
        ));
        match HolidayCalendar::from_json(&text) {
            Ok(cal) => {
                let parsed = NaiveDate::from_ymd_opt(y, m, dd).expect("loaded, so a date");
                prop_assert_eq!(cal.is_working_day(parsed), Ok(false));
            }
            Err(e) => prop_assert!(!matches!(e, CalendarError::Malformed(_)), "{e}"),
        }
    }
}

/// A 2027 calendar as the desk would upload it. HYPOTHETICAL test data, not the State
/// Council's 2027 notice (not published when this was written): a holiday week Mon 4 – Sun
/// 10 Oct with Sat 9 Oct worked, and 1 Jan.
const DESK_2027: &str = r#"{"header": {"note": "hypothetical 2027, for tests only"}, "years": [
    {"year": 2027, "source_url": "test:hypothetical-2027",
     "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"},
                  {"name": "国庆节", "from": "2027-10-04", "to": "2027-10-08"}],
     "working_days": [{"date": "2027-10-09", "for": "国庆节"}]}]}"#;

#[test]
fn a_desk_calendar_adds_the_year_the_shipped_one_lacks() {
    let desk = HolidayCalendar::from_json(DESK_2027).expect("loads");
    let both = cal().overlaid(&desk);
    assert!(both.covers(2026) && both.covers(2027));
    assert_eq!(both.source(2027), Some("test:hypothetical-2027"));
    // The shipped 2026 stays: Mon 23 Feb 2026 is still a holiday.
    assert_eq!(both.is_working_day(d(2026, 2, 23)), Ok(false));
    // The year-end complaint the shipped calendar could not count (Tue 29 Dec 2026, 3 days):
    // Wed 30, Thu 31 Dec, (Fri 1 Jan holiday, weekend), Mon 4 Jan.
    assert_eq!(
        both.add_working_days(bj(2026, 12, 29, 10, 0), 3),
        Ok(d(2027, 1, 4))
    );
    // Friday before the holiday week: Fri 1 Oct 2027 → Sat 9 Oct (worked), Mon 11, Tue 12.
    assert_eq!(
        both.due_instant(bj(2027, 10, 1, 16, 0), 3),
        Ok(bj(2027, 10, 13, 0, 0))
    );
    // Received on the adjusted Saturday itself: that day never counts.
    assert_eq!(both.is_working_day(d(2027, 10, 9)), Ok(true));
    assert_eq!(
        both.add_working_days(bj(2027, 10, 9, 9, 0), 1),
        Ok(d(2027, 10, 11))
    );
}

#[test]
fn a_desk_calendar_replaces_a_year_it_lists_whole() {
    // The desk's 2026: no holiday at all, one worked Saturday.
    let desk = HolidayCalendar::from_json(&year_2026("", r#"{"date": "2026-03-07"}"#)).unwrap();
    let both = cal().overlaid(&desk);
    assert_eq!(both.source(2026), Some("https://example.test/notice"));
    // The shipped Spring Festival days are gone with the shipped year...
    assert_eq!(both.is_working_day(d(2026, 2, 23)), Ok(true));
    assert_eq!(both.is_working_day(d(2026, 2, 28)), Ok(false));
    // ...and the desk's worked Saturday counts.
    assert_eq!(both.is_working_day(d(2026, 3, 7)), Ok(true));
    // Overlaying on itself changes nothing.
    assert_eq!(cal().overlaid(cal()), *cal());
}
