//! The job board: the day's jobs by technician with each job's status as devices sync
//! (live, over server-sent events), the new-job form, and the jobs as CSV (export, and
//! import of the same columns).
//!
//! A job's status on the board is what the server has heard: cancelled or completed from the
//! job record, else the furthest visit fact a device pushed (accepted → en route → on site →
//! working), else assigned or unassigned.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use fieldkit_core::model::{
    Billing, Customer, JobKind, Product, Site, TimeWindow, WorkOrderId, WorkOrderStatus, Zone,
};
use futures::Stream;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, parse_local, private};
use super::session::{CsrfForm, Session};
use crate::routes::dispatcher::{NewWorkOrder, validated_order};
use crate::routes::{AppState, now_ms};
use crate::storage::dashboard::JobActivity;
use crate::storage::{JobRecord, StorageError, Technician};

/// The board's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/board/rows", get(rows))
        .route("/board/events", get(events))
        .route("/assets/board.js", get(board_js))
        .route("/jobs/new", get(new_job_page).post(create_job))
        .route("/jobs.csv", get(export_csv))
        .route("/jobs/import", post(import_csv))
}

// ------------------------------------------------------------------ status

/// Where a job stands, as the board says it.
pub fn board_status(job: &JobRecord, activity: &[&JobActivity]) -> &'static str {
    if job.cancel_reason.is_some() || job.order.status == WorkOrderStatus::Cancelled {
        return "cancelled";
    }
    if job.completed_at.is_some() {
        return "completed";
    }
    let stage = |kind: &str| match kind {
        "accept" => 1,
        "start_travel" => 2,
        "arrive" => 3,
        "start_work" | "pause" | "resume" => 4,
        "no_access" => 5,
        "complete" => 6,
        _ => 0,
    };
    match activity.iter().map(|a| stage(&a.kind)).max().unwrap_or(0) {
        6 => "completed",
        5 => "no_access",
        4 => "working",
        3 => "on_site",
        2 => "en_route",
        1 => "accepted",
        _ if job.technician_id.is_none() => "unassigned",
        _ => "assigned",
    }
}

pub(super) fn kind_word(k: JobKind) -> &'static str {
    k.as_str()
}

pub(super) fn zone_word(z: Zone) -> &'static str {
    match z {
        Zone::Urban => "urban",
        Zone::Suburban => "suburban",
    }
}

fn billing_word(b: Billing) -> &'static str {
    match b {
        Billing::Warranty => "warranty",
        Billing::Paid => "paid",
    }
}

fn parse_zone(s: &str) -> Option<Zone> {
    [Zone::Urban, Zone::Suburban]
        .into_iter()
        .find(|z| zone_word(*z) == s.trim())
}

fn parse_billing(s: &str) -> Option<Billing> {
    [Billing::Warranty, Billing::Paid]
        .into_iter()
        .find(|b| billing_word(*b) == s.trim())
}

// ------------------------------------------------------------------ the day

/// `?day=YYYY-MM-DD` (default: today in the dispatchers' offset).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    #[serde(default)]
    pub day: Option<String>,
}

fn the_day(session: &Session, q: &DayQuery) -> Result<NaiveDate, PageError> {
    match q.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| PageError::bad_request("day: a date like 2026-11-23")),
        None => Ok(Utc::now().with_timezone(&session.offset()).date_naive()),
    }
}

/// The day's bounds in UTC.
fn day_bounds(session: &Session, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = session
        .offset()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    (start, start + Days::days(1))
}

/// A board row.
struct Row {
    job: JobRecord,
    status: &'static str,
    technician: Option<String>,
    last_heard: Option<i64>,
}

/// The day's jobs (promised window starting that day), by technician then time.
async fn day_rows(s: &AppState, session: &Session, day: NaiveDate) -> Result<Vec<Row>, PageError> {
    let (from, to) = day_bounds(session, day);
    let jobs: Vec<JobRecord> = s
        .storage
        .work_orders(None)
        .await?
        .into_iter()
        .filter(|j| j.order.promised.start >= from && j.order.promised.start < to)
        .collect();
    rows_for(s, jobs).await
}

async fn rows_for(s: &AppState, jobs: Vec<JobRecord>) -> Result<Vec<Row>, PageError> {
    let names: HashMap<String, String> = s
        .storage
        .technicians()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let ids = jobs.iter().map(|j| j.order.id.to_string()).collect();
    let activity = s.storage.job_activity(ids).await?;
    let mut by_job: HashMap<&str, Vec<&JobActivity>> = HashMap::new();
    for a in &activity {
        by_job.entry(a.work_order_id.as_str()).or_default().push(a);
    }
    let mut rows: Vec<Row> = jobs
        .into_iter()
        .map(|job| {
            let id = job.order.id.to_string();
            let acts = by_job.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            Row {
                status: board_status(&job, acts),
                technician: job.technician_id.as_ref().map(|t| {
                    names
                        .get(t)
                        .cloned()
                        .unwrap_or_else(|| format!("technician {t}"))
                }),
                last_heard: acts.iter().map(|a| a.received_at).max(),
                job,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            a.technician.is_some(),
            &a.technician,
            a.job.order.promised.start,
        )
            .cmp(&(
                b.technician.is_some(),
                &b.technician,
                b.job.order.promised.start,
            ))
    });
    Ok(rows)
}

fn tbody(session: &Session, rows: &[Row]) -> Markup {
    html! {
        @if rows.is_empty() {
            tr { td colspan="8" class="muted" { "No jobs on this day." } }
        }
        @for r in rows {
            @let id = r.job.order.id.to_string();
            tr id={ "job-" (id) } data-status=(r.status) {
                td { (r.technician.as_deref().unwrap_or("—")) }
                td { a class="job-link" href={ "/jobs/" (id) } { (r.job.order.number) } }
                td { (session.when(r.job.order.promised.start.timestamp_millis()))
                     "–" (session.when(r.job.order.promised.end.timestamp_millis()).get(11..).unwrap_or("")) }
                td { (kind_word(r.job.order.kind)) }
                td { (zone_word(r.job.order.site.zone)) }
                td { (r.job.order.product.model) }
                td class="status" { (r.status.replace('_', " ")) }
                td class="muted" { @if let Some(t) = r.last_heard { (session.when(t)) } @else { "—" } }
            }
        }
    }
}

async fn board(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = the_day(&session, &q)?;
    let rows = day_rows(&s, &session, day).await?;
    let day_s = day.format("%Y-%m-%d").to_string();
    let prev = (day - Days::days(1)).format("%Y-%m-%d").to_string();
    let next = (day + Days::days(1)).format("%Y-%m-%d").to_string();
    let count = |st: &str| rows.iter().filter(|r| r.status == st).count();
    let body = html! {
        h1 { "Jobs on " (day_s) }
        form method="get" action="/board" class="inline" {
            a href={ "/board?day=" (prev) } { "← " (prev) } " "
            input type="date" name="day" value=(day_s);
            " " button type="submit" class="secondary" { "Show" } " "
            a href={ "/board?day=" (next) } { (next) " →" }
        }
        p {
            // Kept current by the page's script as rows change.
            span id="counts" {
                span data-count="all" { (rows.len()) } " on the board · "
                span data-count="completed" { (count("completed")) } " completed · "
                span data-count="on_site" { (count("working") + count("on_site")) } " on site · "
                span data-count="unassigned" { (count("unassigned")) } " unassigned "
            }
            span class="live" { "● live" }
        }
        table id="board" data-day=(day_s) {
            thead { tr {
                th { "Technician" } th { "Job" } th { "Promised" } th { "Kind" } th { "Zone" }
                th { "Product" } th { "Status" } th { "Last heard" }
            } }
            tbody { (tbody(&session, &rows)) }
        }
        p {
            a id="export-csv" href={ "/jobs.csv?day=" (day_s) } { "Export this day as CSV" }
            " · " a href="/jobs.csv" { "all jobs" }
        }
        details class="card" {
            summary { "Import jobs from CSV" }
            p class="muted" { "Columns: " (IMPORT_COLUMNS.join(", "))
              ". Times in the dispatchers' time zone (2026-11-23 14:00); technician by name or id."
              " An exported file imports back; rows whose id exists already are skipped." }
            form id="import" method="post" action="/jobs/import" {
                (csrf_field(&session))
                input type="file" id="import-file" accept=".csv,text/csv";
                textarea name="csv" rows="6" style="width:100%" {}
                button type="submit" { "Import" }
            }
        }
        script src="/assets/board.js" {}
    };
    Ok(private(page("Board", &session, "/board", body)))
}

async fn rows(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = the_day(&session, &q)?;
    let rows = day_rows(&s, &session, day).await?;
    Ok(private(tbody(&session, &rows)))
}

/// The board's script: listens for job changes and re-reads the rows (no framework).
const BOARD_JS: &str = r#"(function () {
  var table = document.getElementById('board');
  var file = document.getElementById('import-file');
  if (file) file.addEventListener('change', function () {
    var f = file.files[0]; if (!f) return;
    f.text().then(function (t) { document.querySelector('#import textarea').value = t; });
  });
  if (!table || !window.EventSource) return;
  var day = table.getAttribute('data-day');
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch('/board/rows?day=' + encodeURIComponent(day), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { table.tBodies[0].innerHTML = html; counts(); } })
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  function counts() {
    var rows = table.tBodies[0].querySelectorAll('tr[data-status]');
    var n = { all: rows.length, completed: 0, on_site: 0, unassigned: 0 };
    rows.forEach(function (r) {
      var st = r.getAttribute('data-status');
      if (st === 'working') st = 'on_site';
      if (st in n) n[st] += 1;
    });
    document.querySelectorAll('#counts [data-count]').forEach(function (el) {
      el.textContent = String(n[el.getAttribute('data-count')]);
    });
  }
  var es = new EventSource('/board/events');
  es.onopen = function () { document.body.setAttribute('data-live', 'open'); refresh(); };
  es.onerror = function () { document.body.setAttribute('data-live', 'retrying'); };
  es.addEventListener('job', refresh);
})();
"#;

async fn board_js() -> Response {
    let mut r = BOARD_JS.into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `GET /board/events`: an event `job` (data: the job id) whenever a job changes.
async fn events(
    State(s): State<AppState>,
    _: Session,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.board.subscribe();
    let closing = s.feed.closing();
    let events = futures::stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        if *closing.borrow() {
            return None;
        }
        let event = tokio::select! {
            got = rx.recv() => match got {
                Ok(id) => Event::default().event("job").data(id),
                // Too far behind to know which jobs changed: the page reloads every row.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    Event::default().event("job").data("*")
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            },
            _ = closing.changed() => return None,
        };
        Some((Ok(event), (rx, closing)))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

// ------------------------------------------------------------------ new job

/// The new-job form's fields (all text, as typed).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub customer_name: String,
    #[serde(default)]
    pub customer_phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub product_model: String,
    #[serde(default)]
    pub product_serial: String,
    #[serde(default)]
    pub reported_fault: String,
    #[serde(default)]
    pub window_start: String,
    #[serde(default)]
    pub window_end: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub technician_id: String,
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl JobForm {
    /// The dispatcher API's request for this form (`None` id: the server makes one).
    fn request(
        &self,
        offset: chrono::FixedOffset,
        id: Option<WorkOrderId>,
    ) -> Result<NewWorkOrder, String> {
        let kind = JobKind::parse(self.kind.trim()).ok_or("kind: choose a job kind")?;
        let zone = parse_zone(&self.zone).ok_or("zone: urban or suburban")?;
        let billing = parse_billing(&self.billing).ok_or("billing: warranty or paid")?;
        let start = parse_local(offset, &self.window_start)
            .ok_or("window start: a date and time like 2026-11-23 14:00")?;
        let end = parse_local(offset, &self.window_end)
            .ok_or("window end: a date and time like 2026-11-23 16:00")?;
        Ok(NewWorkOrder {
            id,
            number: self.number.clone(),
            kind,
            customer: Customer {
                name: self.customer_name.clone(),
                phone: self.customer_phone.clone(),
            },
            site: Site {
                address: self.address.clone(),
                zone,
            },
            product: Product {
                model: self.product_model.clone(),
                serial: optional(&self.product_serial),
            },
            reported_fault: self.reported_fault.clone(),
            promised: TimeWindow { start, end },
            billing,
            instructions: optional(&self.instructions),
            reported_at: Utc::now(),
            technician_id: optional(&self.technician_id),
        })
    }
}

fn job_form(session: &Session, techs: &[Technician], f: &JobForm, error: Option<&str>) -> Markup {
    let opt = |value: &str, current: &str, label: &str| {
        html! { option value=(value) selected[value == current] { (label) } }
    };
    html! {
        h1 { "New job" }
        @if let Some(e) = error { p class="error" id="form-error" { (e) } }
        form id="new-job" method="post" action="/jobs/new" class="card" {
            (csrf_field(session))
            div class="grid" {
                label { "Job number " input name="number" required value=(f.number); }
                label { "Kind " select name="kind" {
                    @for k in JobKind::ALL { (opt(k.as_str(), &f.kind, k.as_str())) }
                } }
                label { "Customer " input name="customer_name" required value=(f.customer_name); }
                label { "Phone " input name="customer_phone" required value=(f.customer_phone); }
                label { "Address " input name="address" required value=(f.address); }
                label { "Zone " select name="zone" {
                    (opt("urban", &f.zone, "urban")) (opt("suburban", &f.zone, "suburban"))
                } }
                label { "Product model " input name="product_model" required value=(f.product_model); }
                label { "Serial " input name="product_serial" value=(f.product_serial); }
                label { "Promised from " input type="datetime-local" name="window_start" required value=(f.window_start); }
                label { "until " input type="datetime-local" name="window_end" required value=(f.window_end); }
                label { "Billing " select name="billing" {
                    (opt("warranty", &f.billing, "warranty")) (opt("paid", &f.billing, "paid"))
                } }
                label { "Technician " select name="technician_id" {
                    (opt("", &f.technician_id, "— not yet —"))
                    @for t in techs { (opt(&t.id, &f.technician_id, &t.name)) }
                } }
            }
            label { "Reported fault " textarea name="reported_fault" rows="2" style="width:100%" required { (f.reported_fault) } }
            label { "Instructions " textarea name="instructions" rows="2" style="width:100%" { (f.instructions) } }
            button id="create-job" type="submit" { "Create job" }
        }
    }
}

async fn new_job_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let now = Utc::now() + Days::hours(2);
    let f = JobForm {
        window_start: session.local_input(now),
        window_end: session.local_input(now + Days::hours(2)),
        zone: "urban".into(),
        billing: "warranty".into(),
        kind: "repair".into(),
        ..JobForm::default()
    };
    let body = job_form(&session, &techs, &f, None);
    Ok(private(page("New job", &session, "/jobs/new", body)))
}

async fn create_job(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<JobForm>,
) -> Result<Response, PageError> {
    let refused = |msg: String, techs: Vec<Technician>| {
        let body = job_form(&session, &techs, &f, Some(&msg));
        let mut r = private(page("New job", &session, "/jobs/new", body));
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        r
    };
    let techs = s.storage.technicians().await?;
    let order = f.request(session.offset(), None).and_then(|req| {
        let tech = req.technician_id.clone();
        validated_order(req)
            .map(|o| (o, tech))
            .map_err(|e| e.to_string())
    });
    let (order, tech) = match order {
        Ok(v) => v,
        Err(msg) => return Ok(refused(msg, techs)),
    };
    let job = match s.storage.create_work_order(order, tech, now_ms()).await {
        Ok(job) => job,
        Err(StorageError::NotFound(what)) => {
            return Ok(refused(format!("{what} not found"), techs));
        }
        Err(StorageError::Conflict(m)) => return Ok(refused(m, techs)),
        Err(e) => return Err(e.into()),
    };
    let id = job.order.id.to_string();
    tracing::info!(work_order = %id, dispatcher = %session.dispatcher_id, "work order created on the dashboard");
    s.board.job_changed(&id);
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

// ------------------------------------------------------------------ CSV

/// The columns an import needs (an export has these and more).
pub const IMPORT_COLUMNS: [&str; 11] = [
    "number",
    "kind",
    "window_start",
    "window_end",
    "customer_name",
    "customer_phone",
    "address",
    "zone",
    "product_model",
    "billing",
    "reported_fault",
];

/// The columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 17] = [
    "id",
    "number",
    "status",
    "kind",
    "technician",
    "window_start",
    "window_end",
    "customer_name",
    "customer_phone",
    "address",
    "zone",
    "product_model",
    "product_serial",
    "billing",
    "reported_fault",
    "instructions",
    "completed_at",
];

/// A cell a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// `GET /jobs.csv?day=YYYY-MM-DD` (no day: every job).
async fn export_csv(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let (rows, name) = if q.day.as_deref().is_some_and(|d| !d.trim().is_empty()) {
        let day = the_day(&session, &q)?;
        (
            day_rows(&s, &session, day).await?,
            format!("jobs-{day}.csv"),
        )
    } else {
        let jobs = s.storage.work_orders(None).await?;
        (rows_for(&s, jobs).await?, "jobs.csv".to_owned())
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| PageError::internal(format!("csv: {e}"));
    w.write_record(EXPORT_COLUMNS).map_err(fail)?;
    for r in &rows {
        let o = &r.job.order;
        let when = |t: DateTime<Utc>| session.when(t.timestamp_millis());
        w.write_record([
            o.id.to_string(),
            cell(&o.number),
            r.status.to_owned(),
            kind_word(o.kind).to_owned(),
            cell(r.technician.as_deref().unwrap_or("")),
            when(o.promised.start),
            when(o.promised.end),
            cell(&o.customer.name),
            cell(&o.customer.phone),
            cell(&o.site.address),
            zone_word(o.site.zone).to_owned(),
            cell(&o.product.model),
            cell(o.product.serial.as_deref().unwrap_or("")),
            billing_word(o.billing).to_owned(),
            cell(&o.reported_fault),
            cell(o.instructions.as_deref().unwrap_or("")),
            r.job
                .completed_at
                .map(|t| session.when(t))
                .unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| PageError::internal(format!("csv: {e}")))?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The import form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportForm {
    pub csv: String,
}

/// The jobs of an import file, each line checked; errors name the line and the field, never
/// the value.
fn parse_import(
    text: &str,
    offset: chrono::FixedOffset,
    techs: &[Technician],
) -> Result<Vec<NewWorkOrder>, Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = match r.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec!["the first line must name the columns".into()]),
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = IMPORT_COLUMNS
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(vec![format!("missing columns: {}", missing.join(", "))]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(rec) => rec,
            Err(_) => {
                errors.push(format!(
                    "line {line}: not a CSV row with {} columns",
                    headers.len()
                ));
                continue;
            }
        };
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_owned();
        let tech = get("technician");
        let technician_id = if tech.is_empty() {
            String::new()
        } else if let Some(t) = techs.iter().find(|t| t.id == tech || t.name == tech) {
            t.id.clone()
        } else {
            errors.push(format!("line {line}: technician: no such technician"));
            continue;
        };
        let form = JobForm {
            number: get("number"),
            kind: get("kind"),
            customer_name: get("customer_name"),
            customer_phone: get("customer_phone"),
            address: get("address"),
            zone: get("zone"),
            product_model: get("product_model"),
            product_serial: get("product_serial"),
            reported_fault: get("reported_fault"),
            window_start: get("window_start"),
            window_end: get("window_end"),
            billing: get("billing"),
            instructions: get("instructions"),
            technician_id,
        };
        let id = match get("id").as_str() {
            "" => None,
            s => match s.parse::<WorkOrderId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(format!("line {line}: id: not a job id"));
                    continue;
                }
            },
        };
        match form.request(offset, id).and_then(|req| {
            validated_order(req.clone())
                .map(|_| req)
                .map_err(|e| e.to_string())
        }) {
            Ok(req) => out.push(req),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

async fn import_csv(
    State(s): State<AppState>,
    CsrfForm(session, form): CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let result = parse_import(&form.csv, session.offset(), &techs);
    let report = |title: &str, lines: Vec<String>, status| {
        let body = html! {
            h1 { (title) }
            ul id="import-result" { @for l in &lines { li { (l) } } }
            p { a href="/board" { "Back to the board" } }
        };
        let mut r = private(page(title, &session, "/board", body));
        *r.status_mut() = status;
        r
    };
    let jobs = match result {
        Ok(jobs) => jobs,
        Err(errors) => {
            return Ok(report(
                "Nothing imported",
                errors,
                axum::http::StatusCode::BAD_REQUEST,
            ));
        }
    };
    let (mut created, mut skipped) = (0usize, 0usize);
    for req in jobs {
        let tech = req.technician_id.clone();
        let order = validated_order(req)?;
        match s.storage.create_work_order(order, tech, now_ms()).await {
            Ok(job) => {
                created += 1;
                s.board.job_changed(&job.order.id.to_string());
            }
            Err(StorageError::Conflict(_)) => skipped += 1,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(created, skipped, dispatcher = %session.dispatcher_id, "jobs imported");
    Ok(report(
        "Jobs imported",
        vec![
            format!("{created} jobs created"),
            format!("{skipped} already there, skipped"),
        ],
        axum::http::StatusCode::OK,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(8 * 3600).unwrap()
    }

    const GOOD: &str = "number,kind,window_start,window_end,customer_name,customer_phone,address,zone,product_model,billing,reported_fault,technician\n\
        WO-1,repair,2026-11-24 09:00,2026-11-24 11:00,张三,13800000000,\"1 Road, Town\",urban,XQB-1,paid,no drain,\n";

    #[test]
    fn an_import_reads_every_column_in_the_offset() {
        let jobs = parse_import(GOOD, offset(), &[]).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].site.address, "1 Road, Town");
        assert_eq!(
            jobs[0].promised.start.to_rfc3339(),
            "2026-11-24T01:00:00+00:00"
        );
        assert_eq!(jobs[0].billing, Billing::Paid);
        assert_eq!(jobs[0].technician_id, None);
    }

    #[test]
    fn a_bad_line_names_the_line_and_field_but_not_the_value() {
        let bad = GOOD
            .replace("urban", "downtown")
            .replace("张三", "Secret Name");
        let errs = parse_import(&bad, offset(), &[]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("line 2: zone"), "{errs:?}");
        assert!(
            !errs
                .iter()
                .any(|e| e.contains("Secret") || e.contains("downtown"))
        );
        let no_cols = parse_import("number,kind\nA,repair\n", offset(), &[]).unwrap_err();
        assert!(
            no_cols[0].starts_with("missing columns: window_start"),
            "{no_cols:?}"
        );
        let unknown_tech = GOOD.replace("no drain,", "no drain,Nobody");
        let errs = parse_import(&unknown_tech, offset(), &[]).unwrap_err();
        assert_eq!(
            errs,
            vec!["line 2: technician: no such technician".to_owned()]
        );
    }

    #[test]
    fn exported_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("WO-1"), "WO-1");
    }
}
