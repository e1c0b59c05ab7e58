//! The limits the measures are judged against ([`MeasureConfig`]): response promises per zone,
//! the repair and report limits, the complaint deadline in working days, the local time zone.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Weekday};
use fieldkit_core::model::Zone;
use serde::{Deserialize, Serialize};

use super::HOUR_MS;

/// Limits the measures are judged against. Defaults (no field of the work order carries
/// them): urban response 24 h, suburban 48 h (市区 / 郊区, from the call to arrival; 第5章
/// 第19条 (11) leaves both as "x 小时"), rural (农村) 72 h — a choice: the article names no
/// rural zone, so a rural call gets one day more than a suburban one; a repair
/// finished within 72 h of the call; the customer first reached by phone within 30 min of the
/// call (第5章 第19条 (2) leaves it "x x 分钟": 30 is a choice); the work order synced within
/// 24 h of completion;
/// complaints handled within 3 working days (the mainland China calendar of public holidays and
/// adjusted working days, `model::workdays`; Monday–Friday in a year it does not cover); days
/// in UTC+08:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureConfig {
    pub urban_response_hours: i64,
    pub suburban_response_hours: i64,
    pub rural_response_hours: i64,
    pub repair_limit_hours: i64,
    /// From the call to the first reached call to the customer (time to first contact).
    pub first_contact_minutes: i64,
    pub report_limit_hours: i64,
    pub complaint_working_days: u32,
    /// The offset of the business's local time from UTC (days, weekends, the daily report).
    pub utc_offset_minutes: i32,
}

impl Default for MeasureConfig {
    fn default() -> Self {
        Self {
            urban_response_hours: 24,
            suburban_response_hours: 48,
            rural_response_hours: 72,
            repair_limit_hours: 72,
            first_contact_minutes: 30,
            report_limit_hours: 24,
            complaint_working_days: 3,
            utc_offset_minutes: 8 * 60,
        }
    }
}

impl MeasureConfig {
    /// The response promise of a zone (ms).
    pub fn response_limit_ms(&self, zone: Zone) -> i64 {
        match zone {
            Zone::Urban => self.urban_response_hours,
            Zone::Suburban => self.suburban_response_hours,
            Zone::Rural => self.rural_response_hours,
        }
        .saturating_mul(HOUR_MS)
    }

    /// The local time zone.
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes.clamp(-1439, 1439) * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
    }

    /// The local calendar date of an instant (ms).
    pub fn local_date(&self, ms: i64) -> NaiveDate {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&self.offset())
            .date_naive()
    }

    /// Local midnight starting `date` (ms).
    pub fn day_start(&self, date: NaiveDate) -> i64 {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        self.offset()
            .from_local_datetime(&midnight)
            .single()
            .map_or(0, |d| d.timestamp_millis())
    }

    /// The complaint deadline: the end of the `complaint_working_days`-th working day after
    /// the local day the complaint was made (001 4.3.1). Working days follow the built-in
    /// mainland China calendar: public holidays do not count, adjusted working days (调休) do.
    /// A day of a year the calendar does not cover counts Monday–Friday, as before the
    /// calendar, until that year's notice is added. A complaint on a Thursday with 3 days is
    /// due by the end of the next Tuesday in an ordinary week.
    pub fn complaint_deadline(&self, raised_at: i64) -> i64 {
        let calendar = fieldkit_core::model::workdays::HolidayCalendar::built_in().ok();
        let working = |d: NaiveDate| match calendar.map(|c| c.is_working_day(d)) {
            Some(Ok(w)) => w,
            _ => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        };
        let mut day = self.local_date(raised_at);
        let mut left = self.complaint_working_days;
        while left > 0 {
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => break,
            }
            if working(day) {
                left -= 1;
            }
        }
        self.day_start(day.checked_add_days(Days::new(1)).unwrap_or(day)) - 1
    }
}
