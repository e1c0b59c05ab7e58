//! The dashboard's other pages: what needs a human (completions held for the desk, each
//! linking to its job's page where it is released or rejected; complaints not yet handled,
//! raised flags, rejected ops), technicians with their enrolment codes (issue, revoke the
//! unused), devices (revoke), and the quality measures with charts (inline SVG) and their
//! CSV downloads. Technicians and devices are administrators' pages.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Days, NaiveDate, Utc};
use fieldkit_core::model::DeviceId;
use maud::{Markup, html};
use serde::Deserialize;

use super::NoFields;
use super::job_words::{flag_label, op_kind_label};
use super::page::Viewer;
use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use super::words::{kind_label, zone_label};
use crate::desk::cash::CashQuery;
use crate::desk::measures::{DailyQuery, Format, MeasuresQuery, csv_response};
use crate::desk::{self, MAX_CODE_MINUTES};
use crate::i18n::Locale;
use crate::measures::{self, Band, MeasureConfig, Ratio, Summary};
use crate::push::CompletionState;
use crate::state::AppState;
use crate::storage::Technician;
use crate::t;
use fieldkit_core::i18n::money;
use fieldkit_core::model::JobKind;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flags", get(flags))
        .route("/technicians", get(technicians).post(create_technician))
        .route(
            "/technicians/{id}/enrolment-codes",
            post(create_enrolment_code),
        )
        .route("/technicians/{id}/revoke-codes", post(revoke_codes))
        .route("/devices", get(devices))
        .route("/devices/{id}/revoke", post(revoke_device))
        .route("/measures", get(measures_page))
        .route("/measures.csv", get(measures_csv))
        .route("/reports/daily.csv", get(daily_csv))
}

async fn names(s: &AppState) -> Result<HashMap<String, String>, PageError> {
    Ok(s.storage
        .technicians()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// Each technician's employee number (工号), for those with a profile.
async fn employee_numbers(s: &AppState) -> Result<HashMap<String, String>, PageError> {
    Ok(s.storage
        .technician_profiles()
        .await?
        .into_iter()
        .map(|p| (p.technician_id, p.employee_number))
        .collect())
}

// ------------------------------------------------------------------ flags

/// How far back the flags page looks for complaints.
const COMPLAINT_DAYS: i64 = 60;

/// How many held completions the flags page lists.
const HELD_LISTED: i64 = 200;

async fn flags(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let held = s
        .storage
        .completions(Some(CompletionState::Held), HELD_LISTED)
        .await?;
    let techs = names(&s).await?;
    let mut numbers: HashMap<String, String> = HashMap::new();
    for c in &held {
        if numbers.contains_key(&c.work_order_id) {
            continue;
        }
        let job = match c.work_order_id.parse() {
            Ok(id) => s.storage.work_order(id).await?,
            Err(_) => None,
        };
        if let Some(job) = job {
            numbers.insert(c.work_order_id.clone(), job.order.number);
        }
    }
    let flags = s.storage.flags(200).await?;
    let rejected = s.storage.rejected_ops(100).await?;
    let now = s.clock.now_ms();
    let facts = s
        .storage
        .measure_facts(now - COMPLAINT_DAYS * 86_400_000, now + 86_400_000)
        .await?;
    let complaints: Vec<_> = facts
        .iter()
        .filter(|j| j.complaint_handled_at.is_none() && j.events.iter().any(|e| e.complaint))
        .collect();
    let l = session.locale();
    let body = html! {
        h1 { (t!(l, "flags-title")) }
        h2 id="held" { (t!(l, "flags-held", n = held.len().to_string())) }
        p class="muted" { (t!(l, "flags-held-help")) }
        table id="held-list" {
            thead { tr { th { (t!(l, "board-col-job")) } th { (t!(l, "board-col-technician")) } th { (t!(l, "flags-col-completed")) } th { (t!(l, "job-col-received")) } th { (t!(l, "flags-col-why")) } } }
            tbody {
                @for c in &held {
                    tr data-job=(c.work_order_id) {
                        td { a href={ "/jobs/" (c.work_order_id) } { @if let Some(n) = numbers.get(&c.work_order_id) { (n) } @else { (t!(l, "flags-job")) } } }
                        td { (techs.get(&c.technician_id).map_or("—", String::as_str)) }
                        td { (session.when(c.completed_at_device)) }
                        td { (session.when(c.received_at)) }
                        td class="held-why" {
                            @let reasons = c.reasons_in(l);
                            (reasons.first().map_or("", String::as_str))
                            @if reasons.len() > 1 { " " span class="muted" { (t!(l, "flags-more", n = (reasons.len() - 1).to_string())) } }
                        }
                    }
                }
                @if held.is_empty() { tr { td colspan="5" class="muted" { (t!(l, "none")) } } }
            }
        }
        h2 { (t!(l, "flags-complaints", n = complaints.len().to_string())) }
        table id="complaints" {
            thead { tr { th { (t!(l, "board-col-job")) } th { (t!(l, "flags-col-raised")) } th { (t!(l, "flags-col-handle-by")) } } }
            tbody {
                @for j in &complaints {
                    @let raised = j.events.iter().filter(|e| e.complaint).map(|e| e.at()).min().unwrap_or(0);
                    tr {
                        td { a href={ "/jobs/" (j.work_order_id) } { (j.number) } }
                        td { (session.when(raised)) }
                        td { (session.when(MeasureConfig::default().complaint_deadline(raised))) }
                    }
                }
                @if complaints.is_empty() { tr { td colspan="3" class="muted" { (t!(l, "none")) } } }
            }
        }
        h2 { (t!(l, "flags-flags", n = flags.len().to_string())) }
        table id="flag-list" {
            thead { tr { th { (t!(l, "flags-col-when")) } th { (t!(l, "flags-col-kind")) } th { (t!(l, "board-col-job")) } th { (t!(l, "job-col-device")) } th { (t!(l, "flags-col-detail")) } } }
            tbody {
                @for f in &flags {
                    tr data-kind=(f.kind) {
                        td { (session.when(f.created_at)) }
                        td class="flag" { (flag_label(l, &f.kind)) }
                        td { @if let Some(j) = &f.work_order_id { a href={ "/jobs/" (j) } { (t!(l, "flags-job")) } } }
                        td class="muted" { (f.device_id.get(..8).unwrap_or(&f.device_id)) }
                        td class="flag-detail" { (f.detail_in(l)) }
                    }
                }
                @if flags.is_empty() { tr { td colspan="5" class="muted" { (t!(l, "none")) } } }
            }
        }
        h2 { (t!(l, "flags-rejected", n = rejected.len().to_string())) }
        table id="rejected" {
            thead { tr { th { (t!(l, "job-col-received")) } th { (t!(l, "flags-col-op")) } th { (t!(l, "flags-col-about")) } th { (t!(l, "flags-col-code")) } th { (t!(l, "flags-col-reason")) } } }
            tbody {
                @for r in &rejected {
                    tr {
                        td { (session.when(r.received_at)) }
                        td { (op_kind_label(l, &r.kind)) }
                        td { @if r.entity == "work_order" { a href={ "/jobs/" (r.entity_id) } { (t!(l, "flags-job")) } } @else { (r.entity) " " (r.entity_id) } }
                        td { code class="error-code" { (r.code.as_deref().unwrap_or("")) } }
                        td class="rejected-reason" { (r.reason_in(l).unwrap_or_default()) }
                    }
                }
                @if rejected.is_empty() { tr { td colspan="5" class="muted" { (t!(l, "none")) } } }
            }
        }
    };
    let title = t!(l, "nav-flags");
    Ok(private(page(&title, &session, "/flags", body)))
}

// ------------------------------------------------------------------ technicians

/// `POST /technicians`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTechnicianForm {
    pub name: String,
}

/// `POST /technicians/{id}/enrolment-codes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCodeForm {
    #[serde(default)]
    pub valid_minutes: Option<i64>,
}

fn technicians_body(
    s: &AppState,
    session: &Session,
    techs: &[Technician],
    codes: &[crate::storage::dashboard::CodeRecord],
    numbers: &HashMap<String, String>,
    new_code: Option<(&str, &str, i64)>,
) -> Markup {
    let l = session.locale();
    let name_of = |id: &str| {
        techs
            .iter()
            .find(|t| t.id == id)
            .map_or("—".to_owned(), |t| t.name.clone())
    };
    html! {
        h1 { (t!(l, "nav-technicians")) }
        @if let Some((tech, code, expires)) = new_code {
            div class="card" id="new-code" {
                p { (t!(l, "tech-code-for", name = name_of(tech), until = session.when(expires))) }
                p { code style="font-size:1.6em;letter-spacing:.1em" id="code" { (code) } }
                p class="muted" { (t!(l, "tech-code-help")) }
            }
        }
        table id="technicians" {
            thead { tr { th { (t!(l, "tech-col-name")) } th { (t!(l, "tech-col-number")) } th { (t!(l, "accounts-col-since")) } th { (t!(l, "tech-col-enrol")) } } }
            tbody {
                @for t in techs {
                    tr {
                        td { a href={ "/technicians/" (t.id) "/profile" } { (t.name) } }
                        td class="employee-number" { (numbers.get(&t.id).map_or("—", String::as_str)) }
                        td { (session.when(t.created_at)) }
                        td {
                            form class="inline enrol" method="post" action={ "/technicians/" (t.id) "/enrolment-codes" } {
                                (csrf_field(session))
                                input type="number" name="valid_minutes" min="1" max="10080"
                                    value=(s.enrolment_code_ttl_minutes) style="width:6em" title=(t!(l, "tech-code-minutes-title"));
                                " " (t!(l, "tech-minutes")) " " button type="submit" { (t!(l, "tech-new-code")) }
                            }
                            " "
                            form class="inline revoke-codes" method="post" action={ "/technicians/" (t.id) "/revoke-codes" } {
                                (csrf_field(session))
                                button type="submit" class="secondary" { (t!(l, "tech-revoke-codes")) }
                            }
                        }
                    }
                }
            }
        }
        form id="new-technician" method="post" action="/technicians" class="card" {
            (csrf_field(session))
            label { (t!(l, "tech-col-name")) " " input name="name" required maxlength="200"; }
            button type="submit" { (t!(l, "tech-add")) }
        }
        h2 { (t!(l, "tech-codes")) }
        table id="codes" {
            thead { tr { th { (t!(l, "board-col-technician")) } th { (t!(l, "tech-col-issued")) } th { (t!(l, "tech-col-expires")) } th { (t!(l, "tech-col-used-by")) } } }
            tbody {
                @for c in codes {
                    tr {
                        td { (name_of(&c.technician_id)) }
                        td { (session.when(c.created_at)) }
                        td { (session.when(c.expires_at)) }
                        td { @if let Some(d) = &c.used_by { (d) } @else { (t!(l, "tech-not-used")) } }
                    }
                }
            }
        }
    }
}

async fn technicians(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let techs = s.storage.technicians().await?;
    let codes = s.storage.enrolment_codes(50).await?;
    let numbers = employee_numbers(&s).await?;
    let body = technicians_body(&s, &session, &techs, &codes, &numbers, None);
    let title = t!(session.locale(), "nav-technicians");
    Ok(private(page(&title, &session, "/technicians", body)))
}

async fn create_technician(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<NewTechnicianForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let t = desk::add_technician(&s, &session.actor(), &f.name).await?;
    tracing::info!(technician = %t.id, dispatcher = %session.dispatcher_id, "technician added");
    Ok(Redirect::to("/technicians").into_response())
}

async fn create_enrolment_code(
    State(s): State<AppState>,
    Path(technician_id): Path<String>,
    CsrfForm(session, f): CsrfForm<NewCodeForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let minutes = f.valid_minutes.unwrap_or(s.enrolment_code_ttl_minutes);
    if !(1..=MAX_CODE_MINUTES).contains(&minutes) {
        return Err(PageError::bad_request(t!(
            session.locale(),
            "tech-bad-minutes"
        )));
    }
    let techs = s.storage.technicians().await?;
    if !techs.iter().any(|t| t.id == technician_id) {
        return Err(PageError::not_found("technician"));
    }
    let issued = desk::issue_enrolment_code(&s, &session.actor(), &technician_id, minutes).await?;
    let (code, expires) = (issued.code, issued.expires_at);
    tracing::info!(technician = %technician_id, "enrolment code issued on the dashboard");
    let codes = s.storage.enrolment_codes(50).await?;
    let numbers = employee_numbers(&s).await?;
    let body = technicians_body(
        &s,
        &session,
        &techs,
        &codes,
        &numbers,
        Some((&technician_id, &code, expires)),
    );
    let title = t!(session.locale(), "nav-technicians");
    Ok(private(page(&title, &session, "/technicians", body)))
}

async fn revoke_codes(
    State(s): State<AppState>,
    Path(technician_id): Path<String>,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    if !s
        .storage
        .technicians()
        .await?
        .iter()
        .any(|t| t.id == technician_id)
    {
        return Err(PageError::not_found("technician"));
    }
    desk::revoke_enrolment_codes(&s, &session.actor(), &technician_id).await?;
    Ok(Redirect::to("/technicians").into_response())
}

// ------------------------------------------------------------------ devices

async fn devices(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let devices = s.storage.devices().await?;
    let names = names(&s).await?;
    let l = session.locale();
    let body = html! {
        h1 { (t!(l, "nav-devices")) }
        p class="muted" { (t!(l, "devices-help")) }
        table id="devices" {
            thead { tr { th { (t!(l, "job-col-device")) } th { (t!(l, "board-col-technician")) } th { (t!(l, "devices-col-enrolled")) } th { (t!(l, "devices-col-ops")) } th { (t!(l, "accounts-col-state")) } } }
            tbody {
                @for d in &devices {
                    tr id={ "device-" (d.id) } {
                        td { code { (d.id) } }
                        td { (names.get(&d.technician_id).map_or("—", String::as_str)) }
                        td { (session.when(d.enrolled_at)) }
                        td { (d.last_seq) }
                        td {
                            @if let Some(at) = d.revoked_at {
                                span class="muted" { (t!(l, "devices-revoked", at = session.when(at))) }
                            } @else {
                                form class="inline revoke" method="post" action={ "/devices/" (d.id) "/revoke" } {
                                    (csrf_field(&session))
                                    button type="submit" class="secondary" { (t!(l, "devices-revoke")) }
                                }
                            }
                        }
                    }
                }
                @if devices.is_empty() { tr { td colspan="5" class="muted" { (t!(l, "devices-none")) } } }
            }
        }
    };
    let title = t!(l, "nav-devices");
    Ok(private(page(&title, &session, "/devices", body)))
}

async fn revoke_device(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let id: DeviceId = id
        .parse()
        .map_err(|_| PageError::bad_request(t!(session.locale(), "devices-bad-id")))?;
    desk::revoke_device(&s, &session.actor(), id).await?;
    tracing::info!(device = %id, dispatcher = %session.dispatcher_id, "device revoked on the dashboard");
    Ok(Redirect::to("/devices").into_response())
}

// ------------------------------------------------------------------ measures

/// A category of the daily report (a job kind's wire name) in words.
fn daily_kind_label(l: Locale, k: &str) -> String {
    JobKind::parse(k).map_or_else(|| k.to_owned(), |k| kind_label(l, k))
}

/// `GET /measures?from=…&to=…&date=…` (dates; default: the last 7 days, and today).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuresPageQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
}

/// The period and day a measures page shows: what the query says, else the last 7 days
/// and today (`now` in the dispatcher's offset).
fn period(
    now: chrono::DateTime<Utc>,
    session: &Session,
    q: &MeasuresPageQuery,
) -> (String, String, String) {
    let today = now.with_timezone(&session.offset()).date_naive();
    let pick = |v: &Option<String>, d: NaiveDate| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| d.format("%Y-%m-%d").to_string(), str::to_owned)
    };
    let week_ago = today.checked_sub_days(Days::new(6)).unwrap_or(today);
    (
        pick(&q.from, week_ago),
        pick(&q.to, today),
        pick(&q.date, today),
    )
}

fn pct(r: &Ratio) -> String {
    r.rate.map_or("—".into(), |x| {
        format!("{:.1}% ({}/{})", x * 100.0, r.num, r.den)
    })
}

fn opt(x: Option<f64>, unit: &str) -> String {
    x.map_or("—".into(), |x| format!("{x:.1}{unit}"))
}

fn band_colour(b: Option<Band>) -> &'static str {
    match b {
        Some(Band::Excellent) => "#1b7f3b",
        Some(Band::Good) => "#4a8f2a",
        Some(Band::Average) => "#c98a00",
        Some(Band::Failing) => "#b3261e",
        None => "#9aa5b1",
    }
}

/// A horizontal bar chart: one bar per (label, value 0–100, colour, caption).
fn bar_chart(id: &str, title: &str, bars: &[(String, f64, &str, String)]) -> Markup {
    let row_h = 26.0;
    let label_w = 180.0;
    let width = 640.0;
    let height = row_h * bars.len().max(1) as f64 + 24.0;
    html! {
        figure class="card" {
            figcaption { strong { (title) } }
            svg id=(id) xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) } role="img" aria-label=(title) {
                @for (i, (label, value, colour, caption)) in bars.iter().enumerate() {
                    @let y = i as f64 * row_h + 4.0;
                    @let w = (value.clamp(0.0, 100.0) / 100.0) * (width - label_w - 120.0);
                    text x="0" y=(y + 16.0) font-size="13" { (label) }
                    rect x=(label_w) y=(y) width=(w) height=(row_h - 8.0) fill=(colour) {}
                    text x=(label_w + w + 6.0) y=(y + 14.0) font-size="12" { (caption) }
                }
                @for (x, t) in [(0.0, "0"), (0.5, "50"), (1.0, "100")] {
                    @let px = label_w + x * (width - label_w - 120.0);
                    line x1=(px) x2=(px) y1="0" y2=(height - 18.0) stroke="#d0d6dc" stroke-dasharray="3 3" {}
                    text x=(px - 6.0) y=(height - 4.0) font-size="11" fill="#6b7885" { (t) }
                }
            }
        }
    }
}

/// A quality band in words.
fn band_label(l: Locale, b: Option<Band>) -> String {
    match b {
        Some(Band::Excellent) => t!(l, "band-excellent"),
        Some(Band::Good) => t!(l, "band-good"),
        Some(Band::Average) => t!(l, "band-average"),
        Some(Band::Failing) => t!(l, "band-failing"),
        None => String::new(),
    }
}

fn summary_rows(l: Locale, s: &Summary) -> Markup {
    let min = t!(l, "unit-min-code");
    let mins = |x: Option<f64>| opt(x, &min);
    html! {
        tr { th { (t!(l, "measure-jobs")) } td { (t!(l, "measure-jobs-value", jobs = s.jobs.to_string(), completed = s.completed.to_string(), cancelled = s.cancelled.to_string())) } }
        tr { th { (t!(l, "measure-response")) } td { (t!(l, "measure-response-value", mean = mins(s.response.mean_minutes), max = mins(s.response.max_minutes))) } }
        tr { th { (t!(l, "measure-sla")) } td { (pct(&s.sla)) } }
        tr { th { (t!(l, "measure-on-time")) } td { (pct(&s.on_time_arrival)) } }
        tr { th { (t!(l, "measure-repair-timeliness")) } td { (pct(&s.repair_timeliness)) } }
        tr { th { (t!(l, "measure-visit-completion")) } td { (pct(&s.visit_completion)) } }
        tr { th { (t!(l, "measure-first-visit-fix")) } td { (pct(&s.first_visit_fix)) } }
        tr { th { (t!(l, "measure-rating")) } td { (t!(l, "measure-rating-value", mean = opt(s.rating.mean, " / 5"), count = s.rating.count.to_string())) } }
        tr { th { (t!(l, "measure-complaints")) } td { (t!(l, "measure-complaints-value", raised = s.complaints.raised.to_string(), in_time = pct(&s.complaints.handled_in_time))) } }
        tr { th { (t!(l, "measure-report-timeliness")) } td { (t!(l, "measure-report-timeliness-value", rate = opt(s.report_timeliness.rate.map(|r| r * 100.0), "%"), delay = mins(s.report_timeliness.mean_delay_minutes))) } }
        tr { th { (t!(l, "measure-skew")) } td { (s.skew_corrected_events) } }
        tr { th { (t!(l, "measure-score")) } td { (opt(s.score, "")) " " (band_label(l, s.band)) } }
    }
}

async fn measures_page(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<MeasuresPageQuery>,
) -> Result<Response, PageError> {
    let (from, to, date) = period(s.clock.now(), &session, &q);
    let m = desk::measures::measures(
        &s,
        &MeasuresQuery {
            from: from.clone(),
            to: to.clone(),
            format: Format::Json,
        },
    )
    .await?;
    let daily = desk::measures::daily(
        &s,
        &DailyQuery {
            date: date.clone(),
            format: Format::Json,
        },
    )
    .await?;
    let cash = desk::cash::reconciliation(&s, &CashQuery { date: date.clone() }).await?;
    let names = names(&s).await?;
    let l = session.locale();
    let min = t!(l, "unit-min-code");
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let scores: Vec<(String, f64, &str, String)> = m
        .technicians
        .iter()
        .map(|t| {
            (
                name(&t.technician_id),
                t.summary.score.unwrap_or(0.0),
                band_colour(t.summary.band),
                match t.summary.band {
                    Some(_) => format!(
                        "{} {}",
                        opt(t.summary.score, ""),
                        band_label(l, t.summary.band)
                    ),
                    None => t!(l, "measure-no-data"),
                },
            )
        })
        .collect();
    let sla: Vec<(String, f64, &str, String)> = m
        .zones
        .iter()
        .map(|z| {
            (
                t!(
                    l,
                    "measure-zone-limit",
                    zone = zone_label(l, z.zone),
                    hours = z.response_limit_hours.to_string()
                ),
                z.summary.sla.rate.unwrap_or(0.0) * 100.0,
                "#17324d",
                pct(&z.summary.sla),
            )
        })
        .collect();
    let body = html! {
        h1 { (t!(l, "measures-title")) }
        form method="get" action="/measures" class="card" {
            label class="inline" { (t!(l, "measures-from")) " " input type="date" name="from" value=(from); }
            label class="inline" { " " (t!(l, "measures-to")) " " input type="date" name="to" value=(to); }
            label class="inline" { " · " (t!(l, "measures-daily-for")) " " input type="date" name="date" value=(date); }
            " " button type="submit" { (t!(l, "board-show")) }
        }
        p {
            a id="measures-csv" href={ "/measures.csv?from=" (from) "&to=" (to) } { (t!(l, "measures-csv")) } " · "
            a id="daily-csv" href={ "/reports/daily.csv?date=" (date) } { (t!(l, "measures-daily-csv")) }
        }
        p class="muted" { (t!(l, "measures-bands")) }
        (bar_chart("score-chart", &t!(l, "measures-score-chart"), &scores))
        (bar_chart("sla-chart", &t!(l, "measures-sla-chart"), &sla))
        h2 { (t!(l, "measures-fleet")) }
        table id="fleet" { tbody { (summary_rows(l, &m.fleet)) } }
        h2 { (t!(l, "measures-by-technician")) }
        @for t in &m.technicians {
            details class="card" {
                summary { (name(&t.technician_id)) " — " (opt(t.summary.score, "")) " " (band_label(l, t.summary.band)) }
                table { tbody { (summary_rows(l, &t.summary)) } }
            }
        }
        h2 { (t!(l, "measures-daily", date = date.clone())) }
        table id="daily" {
            thead { tr { th { (t!(l, "board-col-technician")) } th { (t!(l, "measure-jobs")) } th { (t!(l, "measures-col-by-kind")) } th { (t!(l, "measures-col-travel")) } th { (t!(l, "measures-col-on-site")) } th { (t!(l, "measures-col-paused")) } } }
            tbody {
                @for r in &daily.technicians {
                    tr {
                        td { (name(&r.technician_id)) }
                        td { (r.jobs) }
                        td { @for (k, n) in &r.by_category { @if *n > 0 { (daily_kind_label(l, k)) " " (n) " " } } }
                        td { (r.travel_minutes) " " (min) }
                        td { (r.on_site_minutes) " " (min) }
                        td { (r.paused_minutes) " " (min) }
                    }
                }
                @if daily.technicians.is_empty() { tr { td colspan="6" class="muted" { (t!(l, "measures-no-visits")) } } }
            }
        }
        h2 { (t!(l, "cash-title")) " · " (date) }
        table id="cash" {
            thead { tr {
                th { (t!(l, "board-col-technician")) } th { (t!(l, "cash-col-settlements")) }
                th { (t!(l, "cash-col-collected")) } th { (t!(l, "cash-col-consented")) }
                th { (t!(l, "cash-col-handed-in")) } th { (t!(l, "cash-col-outstanding")) }
                th { (t!(l, "cash-col-other")) } th { (t!(l, "cash-col-differing")) }
            } }
            tbody {
                @for r in cash.technicians.iter().chain(std::iter::once(&cash.totals)) {
                    tr data-technician=(r.technician_id) {
                        td { @if r.technician_id.is_empty() { (t!(l, "cash-total")) } @else { (name(&r.technician_id)) } }
                        td { (r.cash_settlements) }
                        td { (money(l, r.collected)) }
                        td { (money(l, r.consented)) }
                        td { (money(l, r.handed_in)) }
                        td class=(if r.outstanding != 0 { "flag" } else { "" }) { (money(l, r.outstanding)) }
                        td { (money(l, r.other_methods)) }
                        td class=(if r.differing > 0 { "flag" } else { "" }) { (r.differing) }
                    }
                }
                @if cash.technicians.is_empty() { tr { td colspan="8" class="muted" { (t!(l, "cash-none")) } } }
            }
        }
    };
    let title = t!(l, "nav-measures");
    Ok(private(page(&title, &session, "/measures", body)))
}

async fn measures_csv(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<MeasuresPageQuery>,
) -> Result<Response, PageError> {
    let (from, to, _) = period(s.clock.now(), &session, &q);
    let m = desk::measures::measures(
        &s,
        &MeasuresQuery {
            from,
            to,
            format: Format::Csv,
        },
    )
    .await?;
    Ok(csv_response(measures::csv::measures(&m), "measures.csv"))
}

async fn daily_csv(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<MeasuresPageQuery>,
) -> Result<Response, PageError> {
    let (_, _, date) = period(s.clock.now(), &session, &q);
    let r = desk::measures::daily(
        &s,
        &DailyQuery {
            date,
            format: Format::Csv,
        },
    )
    .await?;
    Ok(csv_response(measures::csv::daily(&r), "daily-report.csv"))
}
