//! The quality measures a dispatcher asks for, from either face: a period's measures and a
//! day's work report, with the query words both faces accept.
//!
//! Times in queries are RFC 3339 instants (`2026-11-16T00:00:00+08:00`) or local dates
//! (`2026-11-16`, in [`MeasureConfig::utc_offset_minutes`]): `from` is inclusive, `to`
//! exclusive as an instant, and a date `to` includes that whole day.

use crate::msg;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate};
use serde::Deserialize;

use crate::error::ApiError;
use crate::measures::{self, MeasureConfig};
use crate::state::AppState;

/// The longest period one request may ask for.
const MAX_PERIOD_DAYS: i64 = 366;

/// The answer's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

/// `GET /v1/admin/measures` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuresQuery {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub format: Format,
}

/// `GET /v1/admin/reports/daily` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyQuery {
    pub date: String,
    #[serde(default)]
    pub format: Format,
}

fn date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(msg!("err-field-date", field = field.to_owned())))
}

/// An instant (ms) from an RFC 3339 time or a local date (its start, or with `end_of_day`
/// the start of the next day).
fn instant(field: &str, s: &str, end_of_day: bool, cfg: &MeasureConfig) -> Result<i64, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(msg!("err-field-instant", field = field.to_owned())))?;
    let d = if end_of_day {
        d.checked_add_days(Days::new(1)).ok_or_else(|| {
            ApiError::BadRequest(msg!("err-field-out-of-range", field = field.to_owned()))
        })?
    } else {
        d
    };
    Ok(cfg.day_start(d))
}

/// A CSV download.
pub fn csv_response(body: String, filename: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}

/// The measures a query asks for (also the dashboard's).
pub async fn measures(s: &AppState, q: &MeasuresQuery) -> Result<measures::Measures, ApiError> {
    let cfg = MeasureConfig::default();
    let from = instant("from", &q.from, false, &cfg)?;
    let to = instant("to", &q.to, true, &cfg)?;
    if from >= to {
        return Err(ApiError::BadRequest(msg!("err-from-before-to")));
    }
    if to - from > MAX_PERIOD_DAYS * 24 * 3_600_000 {
        return Err(ApiError::BadRequest(msg!(
            "err-period-length",
            days = MAX_PERIOD_DAYS
        )));
    }
    let facts = s.storage.measure_facts(from, to).await?;
    let now = s.clock.now_ms();
    let mut m = measures::compute(&facts, from, to, now, &cfg);
    m.desk = Some(desk_measures(s, from, to, now).await?);
    Ok(m)
}

/// The desk's measures of `[from, to)`: complaints received in it, callbacks of jobs
/// completed in it (the callbacks due are picked first, the device complaints taken in).
async fn desk_measures(
    s: &AppState,
    from: i64,
    to: i64,
    now: i64,
) -> Result<measures::DeskMeasures, ApiError> {
    super::callbacks::pick(s).await?;
    let within = |t: i64| from <= t && t < to;
    let complaints: Vec<_> = s
        .storage
        .complaints()
        .await?
        .into_iter()
        .filter(|c| within(c.received_at))
        .collect();
    let callbacks: Vec<_> = s
        .storage
        .callbacks()
        .await?
        .into_iter()
        .filter(|c| within(c.completed_at))
        .collect();
    let ratings = super::callbacks::device_ratings(s).await?;
    Ok(measures::DeskMeasures {
        complaints: crate::complaints::measures(&complaints, now),
        callbacks: crate::callbacks::measures(&callbacks, now, |j| ratings.get(&j).copied()),
    })
}

/// The daily report a query asks for (also the dashboard's).
pub async fn daily(s: &AppState, q: &DailyQuery) -> Result<measures::DailyReport, ApiError> {
    let cfg = MeasureConfig::default();
    let d = date("date", &q.date)?;
    let next = d
        .checked_add_days(Days::new(1))
        .ok_or_else(|| ApiError::BadRequest(msg!("err-date-out-of-range")))?;
    let facts = s
        .storage
        .measure_facts(cfg.day_start(d), cfg.day_start(next))
        .await?;
    Ok(measures::daily_report(&facts, d, &cfg))
}
