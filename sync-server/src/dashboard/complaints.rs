//! The desk's complaints pages: `/complaints` (the intake form for a complaint received by
//! phone, letter, visit or online; the queue, overdue and due first; the measures; the
//! holiday calendar in force and its upload) and `/complaints/{id}` (one complaint and the
//! forms for its next step: assess, extend, resolve, report the result). Every change goes
//! through [`crate::desk::complaints`], with the same checks and audit as the JSON API.
//! Words in zh-CN, then en ([`super::words::complaints`]).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use super::words::complaints as w;
use crate::complaints::{Category, Change, Channel, Complaint, Opinion, Responsible, State as St};
use crate::desk::complaints::{self as desk, Extend, NewComplaint, QueueQuery, QueueStatus};
use crate::i18n::current as lang;
use crate::state::AppState;
use crate::t;

/// The complaints pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/complaints", get(queue_page).post(take_in))
        .route("/complaints/calendar", post(upload_calendar))
        .route("/complaints/{id}", get(complaint_page))
        .route("/complaints/{id}/assess", post(assess))
        .route("/complaints/{id}/extend", post(extend))
        .route("/complaints/{id}/resolve", post(resolve))
        .route("/complaints/{id}/report", post(report))
}

/// The intake form: the job by its number (optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeForm {
    pub channel: Channel,
    pub category: Category,
    #[serde(default)]
    pub job_number: String,
    pub summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessForm {
    pub valid: String,
    pub cause: String,
    pub responsible: Responsible,
    #[serde(default)]
    pub technician_id: String,
    pub revision: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendForm {
    pub until: String,
    pub reason: String,
    pub revision: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveForm {
    pub resolution: String,
    pub revision: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    pub opinion: Opinion,
    #[serde(default)]
    pub note: String,
    pub revision: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarForm {
    pub document: String,
}

async fn take_in(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<IntakeForm>,
) -> Result<Response, PageError> {
    let number = f.job_number.trim();
    let work_order_id = if number.is_empty() {
        None
    } else {
        let jobs = s.storage.work_orders(None).await?;
        Some(
            jobs.iter()
                .find(|j| j.order.number == number)
                .map(|j| j.order.id)
                .ok_or_else(|| PageError::bad_request(t!(lang(), w::NO_SUCH_JOB)))?,
        )
    };
    let c = desk::take_in(
        &s,
        &session.actor(),
        NewComplaint {
            channel: f.channel,
            category: f.category,
            work_order_id,
            summary: f.summary,
            received_at: None,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/complaints/{}", c.id)).into_response())
}

async fn change(
    s: &AppState,
    session: &Session,
    id: &str,
    revision: u32,
    change: Change,
) -> Result<Response, PageError> {
    desk::change(s, &session.actor(), id, Some(revision), change).await?;
    Ok(Redirect::to(&format!("/complaints/{id}")).into_response())
}

async fn assess(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<AssessForm>,
) -> Result<Response, PageError> {
    let valid = match f.valid.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::bad_request(t!(lang(), w::VALID_BAD))),
    };
    let technician_id = Some(f.technician_id).filter(|t| !t.trim().is_empty());
    let ch = Change::Assess {
        valid,
        cause: f.cause,
        responsible: f.responsible,
        technician_id,
    };
    change(&s, &session, &id, f.revision, ch).await
}

async fn extend(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<ExtendForm>,
) -> Result<Response, PageError> {
    let (_, ch) = desk::extend_change(Extend {
        until: f.until,
        reason: f.reason,
        revision: None,
    })?;
    change(&s, &session, &id, f.revision, ch).await
}

async fn resolve(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<ResolveForm>,
) -> Result<Response, PageError> {
    let ch = Change::Resolve { text: f.resolution };
    change(&s, &session, &id, f.revision, ch).await
}

async fn report(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<ReportForm>,
) -> Result<Response, PageError> {
    let ch = Change::Report {
        opinion: f.opinion,
        note: Some(f.note),
    };
    change(&s, &session, &id, f.revision, ch).await
}

async fn upload_calendar(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<CalendarForm>,
) -> Result<Response, PageError> {
    let doc: serde_json::Value = serde_json::from_str(&f.document)
        .map_err(|_| PageError::bad_request(t!(lang(), w::CALENDAR_NOT_JSON)))?;
    desk::calendar::upload(&s, &session.actor(), doc).await?;
    Ok(Redirect::to("/complaints#calendar").into_response())
}

fn status_cell(st: QueueStatus) -> Markup {
    let class = if st == QueueStatus::Overdue {
        "status flag"
    } else {
        "status"
    };
    html! { td class=(class) { (t!(lang(), w::status(st))) } }
}

fn intake_form(session: &Session) -> Markup {
    html! {
        form id="complaint-intake" class="card" method="post" action="/complaints" {
            (csrf_field(session))
            label { (t!(lang(), w::CHANNEL)) " " select name="channel" required {
                @for c in [Channel::Phone, Channel::Letter, Channel::Visit, Channel::Online] {
                    option value=(c.as_str()) { (t!(lang(), w::channel(c))) }
                }
            } }
            label { (t!(lang(), w::CATEGORY)) " " select name="category" required {
                @for c in Category::ALL { option value=(c.as_str()) { (t!(lang(), w::category(c))) } }
            } }
            label { (t!(lang(), w::JOB_NUMBER)) " " input type="text" name="job_number" maxlength="64" placeholder="WO-…"; }
            label { (t!(lang(), w::SUMMARY)) " " textarea name="summary" required maxlength="2000" rows="3" {} }
            button type="submit" id="take-in" { (t!(lang(), w::TAKE_IN)) }
        }
    }
}

async fn queue_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let q = desk::queue(&s, QueueQuery::default()).await?;
    let cal = desk::calendar::in_force(&s).await?;
    let next_year = chrono::Datelike::year(&s.clock.now().with_timezone(&session.offset())) + 1;
    let m = &q.measures;
    let pct = |r: &desk::Ratio| {
        r.rate.map_or("—".to_owned(), |x| {
            format!("{:.0}% ({}/{})", x * 100.0, r.num, r.den)
        })
    };
    let body = html! {
        h1 { (t!(lang(), w::TITLE)) }
        p class="muted" { (t!(lang(), w::RULE)) }
        h2 { (t!(lang(), w::INTAKE)) }
        (intake_form(&session))
        h2 { (t!(lang(), w::QUEUE)) }
        p id="complaint-measures" {
            (t!(lang(), w::RECEIVED)) " " (m.received) " · " (t!(lang(), w::OVERDUE_COUNT)) " " (m.overdue) " · "
            (t!(lang(), w::IN_TIME)) " " (pct(&m.handled_in_time)) " · " (t!(lang(), w::SATISFIED)) " " (pct(&m.satisfied))
        }
        table id="complaint-queue" {
            thead { tr { @for c in w::COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for r in &q.complaints {
                    tr data-status=(r.status.as_str()) data-id=(r.complaint.id) {
                        (status_cell(r.status))
                        td { (session.when(r.due_at)) @if r.complaint.due_estimated { " " span class="flag" title=(t!(lang(), w::ESTIMATED)) { "*" } } }
                        td { (t!(lang(), w::channel(r.complaint.channel))) }
                        td { (t!(lang(), w::category(r.complaint.category))) }
                        td { @match (&r.job_number, r.complaint.work_order_id) {
                            (Some(n), Some(id)) => a href={ "/jobs/" (id) } { (n) },
                            _ => "—",
                        } }
                        td { a href={ "/complaints/" (r.complaint.id) } { (excerpt(&r.complaint.summary)) } }
                    }
                }
                @if q.complaints.is_empty() { tr { td colspan="6" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
        h2 id="calendar" { (t!(lang(), w::CALENDAR)) }
        ul id="calendar-years" {
            @for y in &cal.years {
                // The notice's address (data, and off-site) is kept in an attribute and in
                // the API, not linked from the dashboard.
                li data-year=(y.year) data-source=(y.source) {
                    (y.year) " · " (t!(lang(), if y.origin == "desk" { w::FROM_DESK } else { w::BUILT_IN }))
                }
            }
        }
        @if !cal.years.iter().any(|y| y.year == next_year) {
            p class="flag" id="calendar-missing" { (t!(lang(), w::MISSING_YEAR)) " " (next_year) }
        }
        form id="calendar-upload" method="post" action="/complaints/calendar" {
            (csrf_field(&session))
            label { (t!(lang(), w::CALENDAR_JSON)) " " textarea name="document" required rows="6" cols="80" {} }
            button type="submit" { (t!(lang(), w::UPLOAD)) }
        }
    };
    Ok(private(page(
        &t!(lang(), w::TITLE),
        &session,
        "/complaints",
        body,
    )))
}

/// The first 40 characters of a summary, for the queue.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn steps(session: &Session, c: &Complaint, techs: &[crate::records::Technician]) -> Markup {
    let action = |what: &str| format!("/complaints/{}/{what}", c.id);
    html! {
        @if c.state == St::Open {
            form id="assess" class="card" method="post" action=(action("assess")) {
                (csrf_field(session))
                input type="hidden" name="revision" value=(c.revision);
                h3 { (t!(lang(), w::ASSESS)) }
                label { input type="radio" name="valid" value="yes" checked; " " (t!(lang(), w::VALID)) }
                label { input type="radio" name="valid" value="no"; " " (t!(lang(), w::INVALID)) }
                label { (t!(lang(), w::CAUSE)) " " input type="text" name="cause" required maxlength="2000"; }
                label { (t!(lang(), w::RESPONSIBLE)) " " select name="responsible" {
                    @for r in [Responsible::Technician, Responsible::Desk, Responsible::Product, Responsible::Logistics, Responsible::None] {
                        option value=(t!(lang(), w::responsible_value(r))) { (t!(lang(), w::responsible(r))) }
                    }
                } }
                label { (t!(lang(), w::TECHNICIAN)) " " select name="technician_id" {
                    option value="" { "—" }
                    @for t in techs { option value=(t.id) { (t.name) } }
                } }
                button type="submit" { (t!(lang(), w::RECORD)) }
            }
            form id="extend" class="card" method="post" action=(action("extend")) {
                (csrf_field(session))
                input type="hidden" name="revision" value=(c.revision);
                h3 { (t!(lang(), w::EXTEND)) }
                label { (t!(lang(), w::UNTIL)) " " input type="date" name="until" required; }
                label { (t!(lang(), w::REASON)) " " input type="text" name="reason" required maxlength="2000"; }
                button type="submit" { (t!(lang(), w::RECORD)) }
            }
            form id="resolve" class="card" method="post" action=(action("resolve")) {
                (csrf_field(session))
                input type="hidden" name="revision" value=(c.revision);
                h3 { (t!(lang(), w::RESOLVE)) }
                label { (t!(lang(), w::RESOLUTION)) " " textarea name="resolution" required maxlength="2000" rows="3" {} }
                button type="submit" { (t!(lang(), w::RECORD)) }
            }
        }
        @if c.state == St::Handled {
            form id="report" class="card" method="post" action=(action("report")) {
                (csrf_field(session))
                input type="hidden" name="revision" value=(c.revision);
                h3 { (t!(lang(), w::REPORT)) }
                label { (t!(lang(), w::OPINION)) " " select name="opinion" {
                    @for o in [Opinion::Satisfied, Opinion::Acceptable, Opinion::Dissatisfied, Opinion::Unreachable] {
                        option value=(t!(lang(), w::opinion_value(o))) { (t!(lang(), w::opinion(o))) }
                    }
                } }
                label { (t!(lang(), w::NOTE)) " " input type="text" name="note" maxlength="2000"; }
                button type="submit" { (t!(lang(), w::RECORD)) }
            }
        }
    }
}

async fn complaint_page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let c = s.storage.complaint(id).await?.ok_or_else(|| {
        PageError::new(axum::http::StatusCode::NOT_FOUND, t!(lang(), w::NOT_FOUND))
    })?;
    let techs = s.storage.technicians().await?;
    let status = QueueStatus::of(&c, s.clock.now_ms());
    let body = html! {
        h1 { (t!(lang(), w::ONE)) }
        table id="complaint" class="facts" data-state=(c.state.as_str()) data-revision=(c.revision) {
            tr { th { (t!(lang(), w::COLUMNS[0])) } (status_cell(status)) }
            tr { th { (t!(lang(), w::COLUMNS[1])) } td { (session.when(c.due_in_force())) } }
            tr { th { (t!(lang(), w::RECEIVED_AT)) } td { (session.when(c.received_at)) " · " (t!(lang(), w::channel(c.channel))) " · " (c.taken_by) } }
            tr { th { (t!(lang(), w::CATEGORY)) } td { (t!(lang(), w::category(c.category))) } }
            tr { th { (t!(lang(), w::SUMMARY)) } td { (c.summary) } }
            @if let Some(a) = &c.assessment {
                tr { th { (t!(lang(), w::ASSESS)) } td { (t!(lang(), if a.valid { w::VALID } else { w::INVALID })) " · " (a.cause) " · " (t!(lang(), w::responsible(a.responsible))) } }
            }
            @if let Some(e) = &c.extension {
                tr { th { (t!(lang(), w::EXTEND)) } td { (session.when(e.due_at)) " · " (e.reason) } }
            }
            @for r in &c.rounds {
                tr { th { (t!(lang(), w::EARLIER)) } td { (r.resolution.text) " · " (t!(lang(), w::opinion(r.report.opinion))) } }
            }
            @if let Some(r) = &c.resolution {
                tr { th { (t!(lang(), w::RESOLVE)) } td { (r.text) " · " (session.when(r.at)) } }
            }
            @if let (St::Closed, Some(r)) = (c.state, &c.report) {
                tr { th { (t!(lang(), w::REPORT)) } td { (t!(lang(), w::opinion(r.opinion))) @if let Some(n) = &r.note { " · " (n) } } }
            }
        }
        (steps(&session, &c, &techs))
        p { a href="/complaints" { (t!(lang(), w::BACK)) } }
    };
    Ok(private(page(
        &t!(lang(), w::ONE),
        &session,
        "/complaints",
        body,
    )))
}
