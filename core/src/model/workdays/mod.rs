//! Working days (工作日) in mainland China, for complaint deadlines: the holiday calendar (kept
//! as data, `holidays_cn.json`, or a replacement the desk supplies), whether a local date is a
//! working day, and the deadline "within N working days" of an instant. Pure: no clock, no
//! storage; imports nothing of ours but [`Timestamp`].
//!
//! Sources: `001` 第4章 4.3.1 投訴處理時限 "(1)原則上,投訴應在接到投訴后的3個工作日內處理完畢;(2)如遇
//! 特殊情況,需延長處理時限,應及時告知客戶"; 004 一 第7章 第28条(2) "售后服务部负责组织有关人员进行处理,
//! 确保用户满意且处理结果予以记录、存档保存" (004 sets no time limit of its own). The calendar: each
//! year's State Council notice (国务院办公厅关于…年部分节假日安排的通知), cited in the data.
//!
//! The counting rule (as the Civil Code counts periods in days, 民法典 第201条 "按照年、月、日
//! 计算期间的，开始的当日不计入，自下一日开始计算", and 第203条 "期间的最后一日的截止时间为二十四时"):
//! - days are local days in UTC+08:00 (Beijing time), whatever the device's zone;
//! - the day the complaint is received never counts, whether it is a working day or not: day 1
//!   is the first working day after it. So a complaint received on a holiday or weekend counts
//!   from the next working day, and one received at 23:50 on a working day is not given a
//!   "day 1" of ten minutes. (The server's measure, `sync-server/src/measures`, counts the
//!   same way, with Saturday and Sunday as the only rest days.)
//! - the deadline is the end of the Nth working day: 24:00 local, i.e. the next day's 00:00
//!   UTC+08:00. Handled in time means handled strictly before [`due_instant`](HolidayCalendar::due_instant).
//! - a working day is Monday–Friday unless the notice makes it a holiday (放假), and Saturday or
//!   Sunday only when the notice makes it one (调休上班).
//! - a date in a year the calendar does not cover is an error
//!   ([`CalendarError::YearNotCovered`]), never taken as "weekdays only".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::Deserialize;

use super::Timestamp;

#[cfg(test)]
mod tests;

/// The calendar shipped with the app: mainland China, the years in `holidays_cn.json`.
pub const BUILT_IN_CALENDAR_JSON: &str = include_str!("holidays_cn.json");

/// The earliest and latest year a calendar may cover (a typing slip beyond that).
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

/// Beijing time, UTC+08:00 (no daylight saving), in which every day here is counted.
pub const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// Why a calendar was refused, or a date could not be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not JSON, or not the calendar's shape (a missing field, an unknown one, a wrong type).
    #[error("holiday calendar: not the expected JSON: {0}")]
    Malformed(String),
    /// The calendar lists no year at all.
    #[error("holiday calendar: no year listed")]
    NoYears,
    /// A year outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("holiday calendar: year {year} is out of range ({MIN_YEAR}–{MAX_YEAR})")]
    YearOutOfRange { year: i32 },
    /// The same year is listed twice.
    #[error("holiday calendar: year {year} is listed twice")]
    DuplicateYear { year: i32 },
    /// A year without the notice it comes from.
    #[error("holiday calendar: year {year} has no source_url")]
    MissingSource { year: i32 },
    /// A date that is not `YYYY-MM-DD` or not a real day.
    #[error("holiday calendar: {text:?} is not a date (YYYY-MM-DD)")]
    BadDate { text: String },
    /// A date listed under another year than its own.
    #[error("holiday calendar: {date} is listed under year {year}")]
    DateOutsideYear { date: NaiveDate, year: i32 },
    /// A holiday range that ends before it starts.
    #[error("holiday calendar: holiday {from}..{to} ends before it starts")]
    BackwardRange { from: NaiveDate, to: NaiveDate },
    /// A date listed twice as a holiday, or twice as a working day.
    #[error("holiday calendar: {date} is listed twice")]
    DuplicateDate { date: NaiveDate },
    /// A date listed both as a holiday and as a working day.
    #[error("holiday calendar: {date} is both a holiday and a working day")]
    HolidayAndWorkingDay { date: NaiveDate },
    /// An adjusted working day (调休上班) that is not a Saturday or Sunday: it would change
    /// nothing, so it is a slip in the data.
    #[error("holiday calendar: working day {date} is not a Saturday or Sunday")]
    WorkingDayNotWeekend { date: NaiveDate },
    /// The calendar does not cover this year: its notice is not in the data.
    #[error("holiday calendar: year {year} not covered")]
    YearNotCovered { year: i32 },
}

/// Which days of the covered years are holidays and which weekend days are worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayCalendar {
    /// Covered year → its notice's source URL.
    years: BTreeMap<i32, String>,
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeSet<NaiveDate>,
}

// The data file's shape. Unknown fields are refused inside a year (a misspelt "working_day"
// must not silently drop the adjusted days); the header is free text for people.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[allow(dead_code)]
    header: serde_json::Value,
    years: Vec<YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    #[allow(dead_code)]
    notice: String,
    #[serde(default)]
    #[allow(dead_code)]
    issued: String,
    #[serde(default)]
    source_url: String,
    holidays: Vec<HolidayFile>,
    working_days: Vec<WorkingDayFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    #[allow(dead_code)]
    name: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkingDayFile {
    date: String,
    #[serde(rename = "for", default)]
    #[allow(dead_code)]
    for_holiday: String,
}

/// A strict `YYYY-MM-DD` (chrono alone would take `2026-1-4`).
fn parse_date(text: &str) -> Result<NaiveDate, CalendarError> {
    let bad = || CalendarError::BadDate {
        text: text.chars().take(40).collect(),
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    if date.format("%Y-%m-%d").to_string() != text {
        return Err(bad());
    }
    Ok(date)
}

fn in_year(date: NaiveDate, year: i32) -> Result<NaiveDate, CalendarError> {
    if date.year() == year {
        Ok(date)
    } else {
        Err(CalendarError::DateOutsideYear { date, year })
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

impl HolidayCalendar {
    /// The calendar shipped with the app ([`BUILT_IN_CALENDAR_JSON`]), loaded once. The
    /// crate's tests check that it loads (`built_in_calendar_loads`); the error is kept rather
    /// than a panic all the same.
    pub fn built_in() -> Result<&'static HolidayCalendar, CalendarError> {
        static BUILT_IN: OnceLock<Result<HolidayCalendar, CalendarError>> = OnceLock::new();
        BUILT_IN
            .get_or_init(|| HolidayCalendar::from_json(BUILT_IN_CALENDAR_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads a calendar (the shipped one, or a replacement supplied by the desk) and checks
    /// it: years in range and listed once, each with its source, dates real and inside their
    /// year, no date both a holiday and a working day, working days on weekends only. Any
    /// fault is a [`CalendarError`]; nothing is dropped or guessed.
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let file: CalendarFile =
            serde_json::from_str(text).map_err(|e| CalendarError::Malformed(e.to_string()))?;
        if file.years.is_empty() {
            return Err(CalendarError::NoYears);
        }
        let mut calendar = HolidayCalendar {
            years: BTreeMap::new(),
            holidays: BTreeSet::new(),
            working_days: BTreeSet::new(),
        };
        for entry in &file.years {
            let year = entry.year;
            if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
                return Err(CalendarError::YearOutOfRange { year });
            }
            if entry.source_url.trim().is_empty() {
                return Err(CalendarError::MissingSource { year });
            }
            if calendar
                .years
                .insert(year, entry.source_url.clone())
                .is_some()
            {
                return Err(CalendarError::DuplicateYear { year });
            }
            for holiday in &entry.holidays {
                let from = in_year(parse_date(&holiday.from)?, year)?;
                let to = in_year(parse_date(&holiday.to)?, year)?;
                if to < from {
                    return Err(CalendarError::BackwardRange { from, to });
                }
                for date in from.iter_days().take_while(|d| *d <= to) {
                    if !calendar.holidays.insert(date) {
                        return Err(CalendarError::DuplicateDate { date });
                    }
                }
            }
            for day in &entry.working_days {
                let date = in_year(parse_date(&day.date)?, year)?;
                if !is_weekend(date) {
                    return Err(CalendarError::WorkingDayNotWeekend { date });
                }
                if !calendar.working_days.insert(date) {
                    return Err(CalendarError::DuplicateDate { date });
                }
            }
        }
        if let Some(&date) = calendar
            .holidays
            .intersection(&calendar.working_days)
            .next()
        {
            return Err(CalendarError::HolidayAndWorkingDay { date });
        }
        Ok(calendar)
    }

    /// This calendar with every year `desk` covers taken from `desk` instead: the desk's
    /// calendar adds the years the shipped one lacks (next year's notice, published each
    /// November) and replaces a year whose arrangement changed. Years `desk` does not cover
    /// stay as they are.
    pub fn overlaid(&self, desk: &HolidayCalendar) -> HolidayCalendar {
        let replaced = |d: &NaiveDate| desk.covers(d.year());
        let mut out = HolidayCalendar {
            years: self.years.clone(),
            holidays: self
                .holidays
                .iter()
                .copied()
                .filter(|d| !replaced(d))
                .collect(),
            working_days: self
                .working_days
                .iter()
                .copied()
                .filter(|d| !replaced(d))
                .collect(),
        };
        out.years
            .extend(desk.years.iter().map(|(y, s)| (*y, s.clone())));
        out.holidays.extend(desk.holidays.iter().copied());
        out.working_days.extend(desk.working_days.iter().copied());
        out
    }

    /// The years this calendar covers, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether the calendar covers `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The source URL recorded for `year`, if covered.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(String::as_str)
    }

    /// Whether a local date (UTC+08:00) is a working day; an error for a year not covered.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.covers(date.year()) {
            return Err(CalendarError::YearNotCovered { year: date.year() });
        }
        Ok(if is_weekend(date) {
            self.working_days.contains(&date)
        } else {
            !self.holidays.contains(&date)
        })
    }

    /// Whether the local day (UTC+08:00) of `at` is a working day.
    pub fn is_working_day_at(&self, at: Timestamp) -> Result<bool, CalendarError> {
        self.is_working_day(local_date(at))
    }

    /// The `n`th working day after `date` (`date` itself never counts); `date` for `n` = 0.
    pub fn nth_working_day_after(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = next_day(day)?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The local date (UTC+08:00) of the `n`th working day after a complaint received at
    /// `received`: the receipt's own day never counts (see the module's rule).
    pub fn add_working_days(
        &self,
        received: Timestamp,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        self.nth_working_day_after(local_date(received), n)
    }

    /// The deadline of "within `n` working days" of `received`: the end (24:00 UTC+08:00, the
    /// next day's 00:00) of the `n`th working day after the receipt's day. In time means
    /// strictly before it.
    pub fn due_instant(&self, received: Timestamp, n: u32) -> Result<Timestamp, CalendarError> {
        let last = self.add_working_days(received, n)?;
        Ok(start_of_local_day(next_day(last)?))
    }

    /// The working days that have ended between `from` (a receipt) and `to`: working days
    /// after `from`'s local day whose 24:00 is at or before `to`. 0 when `to` is not after
    /// `from`. For `n` ≥ 1: `working_days_elapsed(r, t) >= n` exactly when
    /// `t >= due_instant(r, n)`. An error if a day to count is in a year not covered.
    pub fn working_days_elapsed(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u32, CalendarError> {
        let first = local_date(from);
        let until = local_date(to); // days strictly before `until` have ended by `to`
        let mut count = 0u32;
        let mut day = first;
        loop {
            day = next_day(day)?;
            if day >= until {
                return Ok(count);
            }
            if self.is_working_day(day)? {
                count = count.saturating_add(1);
            }
        }
    }
}

/// The local date (UTC+08:00) of an instant.
pub fn local_date(at: Timestamp) -> NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}

/// 00:00 UTC+08:00 of `date`, as an instant.
pub fn start_of_local_day(date: NaiveDate) -> Timestamp {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match china_offset().from_local_datetime(&midnight).single() {
        Some(local) => local.with_timezone(&Utc),
        // A fixed offset maps every local time to exactly one instant.
        None => DateTime::<Utc>::from_naive_utc_and_offset(midnight, Utc),
    }
}

const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
    Some(offset) => offset,
    None => panic!("UTC+08:00 is a valid offset"),
};

fn china_offset() -> FixedOffset {
    CHINA_OFFSET
}

/// The day after `date`; past chrono's last day it is a year no calendar covers.
fn next_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    date.checked_add_days(Days::new(1))
        .ok_or(CalendarError::YearNotCovered {
            year: date.year().saturating_add(1),
        })
}
