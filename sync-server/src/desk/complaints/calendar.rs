//! The holiday calendar complaint due times are counted on: the one shipped in the core
//! (`fieldkit_core::model::workdays`, the years whose State Council notice it carries)
//! overlaid by the newest calendar the desk uploaded (next year's, published each November,
//! or a year whose arrangement changed). A due time that needs a year neither covers is
//! counted Monday–Friday and marked estimated, never refused: a complaint is always taken in.

use chrono::{Datelike, Weekday};
use fieldkit_core::model::workdays::{self, CalendarError, HolidayCalendar, MAX_YEAR, MIN_YEAR};
use serde::{Deserialize, Serialize};

use crate::desk::audit::{Action, Actor, record as audit};
use crate::error::ApiError;
use crate::msg;
use crate::msg::Msg;
use crate::state::AppState;
use crate::stored::Code;

/// One year of the calendar in force and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i32,
    /// The notice the year's dates come from (its URL, as the calendar records it).
    pub source: String,
    /// `built_in` (shipped with the server) or `desk` (uploaded).
    pub origin: String,
}

/// `GET`/`PUT /v1/admin/holiday-calendar` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarInForce {
    /// The desk's upload in force (none: the shipped calendar alone).
    pub version: Option<i64>,
    pub uploaded_by: Option<String>,
    pub uploaded_at: Option<i64>,
    /// The years covered, in order.
    pub years: Vec<CalendarYear>,
    /// The desk's document as uploaded.
    pub document: Option<serde_json::Value>,
}

/// The calendar in force: the shipped one overlaid by the desk's newest upload.
pub async fn effective(s: &AppState) -> Result<HolidayCalendar, ApiError> {
    let shipped = HolidayCalendar::built_in()
        .map_err(|e| ApiError::Internal(format!("the shipped calendar: {e}")))?;
    Ok(match s.storage.holiday_calendar().await? {
        // Stored only after it loaded; a document that no longer loads is left out rather
        // than stopping every complaint.
        Some(stored) => match HolidayCalendar::from_json(&stored.body) {
            Ok(desk) => shipped.overlaid(&desk),
            Err(e) => {
                tracing::error!(version = stored.version, error = %e, "the stored holiday calendar does not load");
                shipped.clone()
            }
        },
        None => shipped.clone(),
    })
}

/// The due time of "within `n` working days" of `received` (ms) and whether it had to be
/// counted Monday–Friday (a year the calendar does not cover).
pub fn due(cal: &HolidayCalendar, received: i64, n: u32) -> (i64, bool) {
    let at = chrono::DateTime::from_timestamp_millis(received).unwrap_or_default();
    match cal.due_instant(at, n) {
        Ok(due) => (due.timestamp_millis(), false),
        Err(_) => {
            let mut day = workdays::local_date(at);
            let mut left = n;
            while left > 0 {
                match day.succ_opt() {
                    Some(d) => day = d,
                    None => break,
                }
                if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    left -= 1;
                }
            }
            let end = day.succ_opt().unwrap_or(day);
            (workdays::start_of_local_day(end).timestamp_millis(), true)
        }
    }
}

/// The calendar in force, described.
pub async fn in_force(s: &AppState) -> Result<CalendarInForce, ApiError> {
    let stored = s.storage.holiday_calendar().await?;
    let desk = stored
        .as_ref()
        .and_then(|c| HolidayCalendar::from_json(&c.body).ok());
    let cal = effective(s).await?;
    let years = cal
        .years()
        .map(|year| CalendarYear {
            year,
            source: cal.source(year).unwrap_or_default().to_owned(),
            origin: if desk.as_ref().is_some_and(|d| d.covers(year)) {
                "desk"
            } else {
                "built_in"
            }
            .into(),
        })
        .collect();
    Ok(CalendarInForce {
        version: stored.as_ref().map(|c| c.version),
        uploaded_by: stored.as_ref().map(|c| c.by.clone()),
        uploaded_at: stored.as_ref().map(|c| c.at),
        years,
        document: stored.and_then(|c| serde_json::from_str(&c.body).ok()),
    })
}

/// Why an uploaded calendar is refused, for the reader (the parser's words, or a text that
/// is not a date, go to the detail).
fn calendar_msg(e: &CalendarError) -> Msg {
    let date = |d: &chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    match e {
        CalendarError::Malformed(m) => {
            msg!("err-calendar-malformed").detail(crate::error::without_quoted_values(m))
        }
        CalendarError::NoYears => msg!("err-calendar-no-years"),
        CalendarError::YearOutOfRange { year } => msg!(
            "err-calendar-year-range",
            year = year.to_string(),
            min = MIN_YEAR.to_string(),
            max = MAX_YEAR.to_string()
        ),
        CalendarError::DuplicateYear { year } => {
            msg!("err-calendar-year-twice", year = year.to_string())
        }
        CalendarError::MissingSource { year } => {
            msg!("err-calendar-no-source", year = year.to_string())
        }
        // The text is the desk's own, quoted back to it only as a detail.
        CalendarError::BadDate { text } => {
            msg!("err-calendar-bad-date").detail(format!("{text:?}"))
        }
        CalendarError::DateOutsideYear { date: d, year } => msg!(
            "err-calendar-date-outside-year",
            date = date(d),
            year = year.to_string()
        ),
        CalendarError::BackwardRange { from, to } => msg!(
            "err-calendar-backward-range",
            from = date(from),
            to = date(to)
        ),
        CalendarError::DuplicateDate { date: d } => {
            msg!("err-calendar-date-twice", date = date(d))
        }
        CalendarError::HolidayAndWorkingDay { date: d } => {
            msg!("err-calendar-holiday-and-working", date = date(d))
        }
        CalendarError::WorkingDayNotWeekend { date: d } => {
            msg!("err-calendar-working-day-weekday", date = date(d))
        }
        CalendarError::YearNotCovered { year } => {
            msg!("err-calendar-year-not-covered", year = year.to_string())
        }
    }
}

/// Checks and stores the desk's calendar (audited: `holiday_calendar_uploaded`, with the
/// years). It replaces the desk's earlier upload whole; each year it lists replaces the
/// shipped year. A calendar that does not load is a 400 naming the fault; nothing is stored.
pub async fn upload(
    s: &AppState,
    by: &Actor,
    document: serde_json::Value,
) -> Result<CalendarInForce, ApiError> {
    let body = document.to_string();
    let cal = HolidayCalendar::from_json(&body)
        .map_err(|e: CalendarError| ApiError::BadRequest(calendar_msg(&e)))?;
    let years: Vec<String> = cal.years().map(|y| y.to_string()).collect();
    let version = s
        .storage
        .save_holiday_calendar(body, by.login.clone(), s.clock.now_ms())
        .await?;
    audit(
        s,
        by,
        Action::HolidayCalendarUploaded,
        Some(&version.to_string()),
        Some(
            Code::AuditCalendarYears
                .said()
                .arg("years", years.join(",")),
        ),
    )
    .await?;
    in_force(s).await
}
