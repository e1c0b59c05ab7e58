//! The job board: the day's jobs by technician with each job's status as devices sync
//! (live, over server-sent events) and the new-job form. The jobs as CSV are
//! [`super::csv`].
//!
//! A job's status on the board is what the server has heard: cancelled or completed from the
//! job record (a completion counts once it is counted or released), else where the job's
//! completion stands when it does not count (yet): held for the desk, its signature drawings
//! still being checked, or rejected by the desk; else the latest visit fact a device pushed
//! (accepted → en route → on site → working, or a visit that ended without completing: no
//! access, awaiting parts, signature refused, quote declined, second visit needed, redelivery
//! requested — until the next visit sets off), else assigned or unassigned. The day's counts
//! above the board include the jobs held for the desk, and the live updates re-render a row
//! when its completion is held, counted or ruled on. Above the board, the panel of jobs at
//! risk ([`super::at_risk`]), re-read on every live update.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use fieldkit_core::model::{WorkOrderId, WorkOrderStatus};
use futures::{Stream, StreamExt, TryStreamExt};
use maud::{Markup, html};
use serde::Deserialize;

use super::new_job::IMPORT_COLUMNS;
use super::page::Viewer;
use super::page::{PageError, csrf_field, page, private};
use super::session::Session;
use super::words::{kind_label, zone_label};
use crate::i18n::Locale;
use crate::t;
use fieldkit_core::i18n::date;

/// Where a count goes in a counted message: the `board-count-*` messages are formatted with
/// this mark as `{ $n }`, and the page puts the live number (a span the script updates)
/// there.
const COUNT_MARK: &str = "\u{1}";
use crate::events::Live;
use crate::push::CompletionState;
use crate::state::AppState;
use crate::storage::dashboard::JobActivity;
use crate::storage::{Completion, JobRecord, StorageError};
use tokio::sync::broadcast::error::RecvError;

/// The board's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/board/rows", get(rows))
        .route("/board/events", get(events))
        .route("/assets/board.js", get(board_js))
}

// ------------------------------------------------------------------ status

/// Where a job stands, as the board says it (`standing`: the state of the job's completion
/// that stands, see [`standing_completion`]).
pub fn board_status(
    job: &JobRecord,
    activity: &[&JobActivity],
    standing: Option<CompletionState>,
) -> &'static str {
    if job.cancel_reason.is_some() || job.order.status == WorkOrderStatus::Cancelled {
        return "cancelled";
    }
    if job.completed_at.is_some() {
        return "completed";
    }
    match standing {
        Some(CompletionState::Held) => return "held",
        Some(CompletionState::Checking) => return "checking",
        Some(CompletionState::Rejected) => return "rejected",
        Some(CompletionState::Counted | CompletionState::Released) => return "completed",
        // A completion kept as a fact (the job was cancelled or reassigned) moves nothing.
        Some(CompletionState::Conflict) | None => {}
    }
    // A `complete` that made no completion that stands does not complete the job.
    match visit_stage(activity) {
        Some(s) => s,
        None if job.technician_id.is_none() => "unassigned",
        None => "assigned",
    }
}

/// Where the job's visits stand from the facts the devices pushed: the latest one decides (by
/// the device's time, then arrival), so a visit that ended without completing (no access,
/// awaiting parts) stands until the next one sets off. `None` before any such fact.
fn visit_stage(activity: &[&JobActivity]) -> Option<&'static str> {
    let stage = |kind: &str| match kind {
        "accept" => Some("accepted"),
        "start_travel" => Some("en_route"),
        "arrive" => Some("on_site"),
        "start_work" | "pause" | "resume" => Some("working"),
        "no_access" => Some("no_access"),
        "await_parts" => Some("awaiting_parts"),
        "refuse_signature" => Some("signature_refused"),
        "decline_quote" => Some("quote_declined"),
        "need_second_visit" => Some("second_visit_needed"),
        "request_redelivery" => Some("redelivery_requested"),
        _ => None,
    };
    activity
        .iter()
        .filter_map(|a| stage(&a.kind).map(|s| ((a.device_time, a.received_at), s)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, s)| s)
}

/// A board status in the reader's words (a status this table does not know: its name).
pub fn status_words(l: Locale, status: &str) -> String {
    match status {
        "cancelled" => t!(l, "status-cancelled"),
        "completed" => t!(l, "status-completed"),
        "held" => t!(l, "status-held"),
        "checking" => t!(l, "status-checking"),
        "rejected" => t!(l, "status-rejected"),
        "accepted" => t!(l, "status-accepted"),
        "en_route" => t!(l, "status-en-route"),
        "on_site" => t!(l, "status-on-site"),
        "working" => t!(l, "status-working"),
        "no_access" => t!(l, "status-no-access"),
        "awaiting_parts" => t!(l, "status-awaiting-parts"),
        "signature_refused" => t!(l, "status-signature-refused"),
        "quote_declined" => t!(l, "status-quote-declined"),
        "second_visit_needed" => t!(l, "status-second-visit-needed"),
        "redelivery_requested" => t!(l, "status-redelivery-requested"),
        "unassigned" => t!(l, "status-unassigned"),
        "assigned" => t!(l, "status-assigned"),
        other => other.replace('_', " "),
    }
}

/// The state of a job's completion that stands: the newest one that is not a conflict (a
/// conflict is kept as a fact and never stands); `None` without one.
pub fn standing_completion(completions: &[Completion]) -> Option<CompletionState> {
    completions
        .iter()
        .rev()
        .filter_map(|c| CompletionState::parse(&c.state))
        .find(|st| *st != CompletionState::Conflict)
}

// ------------------------------------------------------------------ the day

/// `?day=YYYY-MM-DD` (default: today in the dispatchers' offset).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    #[serde(default)]
    pub day: Option<String>,
}

/// The day a board or an export asks for: the query's, else today (`now` in the
/// dispatcher's offset).
pub(super) fn the_day(
    now: DateTime<Utc>,
    session: &Session,
    q: &DayQuery,
) -> Result<NaiveDate, PageError> {
    match q.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| PageError::bad_request(t!(session.locale(), "page-err-day"))),
        None => Ok(now.with_timezone(&session.offset()).date_naive()),
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
pub(super) struct Row {
    pub job: JobRecord,
    pub status: &'static str,
    /// The technician's name.
    pub technician: Option<String>,
    /// When a device last sent something about the job (server time, ms).
    pub last_heard: Option<i64>,
}

/// The day's jobs (promised window starting that day), by technician then time.
pub(super) async fn day_rows(
    s: &AppState,
    session: &Session,
    day: NaiveDate,
) -> Result<Vec<Row>, PageError> {
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

pub(super) async fn rows_for(s: &AppState, jobs: Vec<JobRecord>) -> Result<Vec<Row>, PageError> {
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
    // Where the completion stands, read only for the jobs a device completed that do not
    // count (yet): held, being checked, rejected or a conflict. Few, and read a few at a time.
    let uncounted: Vec<_> = jobs
        .iter()
        .filter(|j| {
            j.completed_at.is_none()
                && j.order.status != WorkOrderStatus::Cancelled
                && by_job
                    .get(j.order.id.to_string().as_str())
                    .is_some_and(|acts| acts.iter().any(|a| a.kind == "complete"))
        })
        .map(|j| j.order.id)
        .collect();
    let standing: HashMap<WorkOrderId, CompletionState> = futures::stream::iter(uncounted)
        .map(|id| async move {
            let list = s.storage.job_completions(id).await?;
            Ok::<_, StorageError>(standing_completion(&list).map(|st| (id, st)))
        })
        .buffered(8)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut rows: Vec<Row> = jobs
        .into_iter()
        .map(|job| {
            let id = job.order.id.to_string();
            let acts = by_job.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            Row {
                status: board_status(&job, acts, standing.get(&job.order.id).copied()),
                technician: job.technician_id.as_ref().map(|t| {
                    names.get(t).cloned().unwrap_or_else(|| {
                        t!(crate::i18n::current(), "technician-id", id = t.clone())
                    })
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
    let l = session.locale();
    html! {
        @if rows.is_empty() {
            tr { td colspan="8" class="muted" { (t!(l, "board-no-jobs")) } }
        }
        @for r in rows {
            @let id = r.job.order.id.to_string();
            tr id={ "job-" (id) } data-status=(r.status) {
                td { (r.technician.as_deref().unwrap_or("—")) }
                td { a class="job-link" href={ "/jobs/" (id) } { (r.job.order.number) } }
                td { (session.when(r.job.order.promised.start.timestamp_millis()))
                     "–" (session.time_of_day(r.job.order.promised.end.timestamp_millis())) }
                td { (kind_label(l, r.job.order.kind)) }
                td { (zone_label(l, r.job.order.site.zone)) }
                td { (r.job.order.product.model) }
                td class="status" {
                    @if r.status == "held" { span class="badge" { (status_words(l, r.status)) } }
                    @else { (status_words(l, r.status)) }
                }
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
    let day = the_day(s.clock.now(), &session, &q)?;
    let rows = day_rows(&s, &session, day).await?;
    let day_s = day.format("%Y-%m-%d").to_string();
    let prev = (day - Days::days(1)).format("%Y-%m-%d").to_string();
    let next = (day + Days::days(1)).format("%Y-%m-%d").to_string();
    let count = |st: &str| rows.iter().filter(|r| r.status == st).count();
    let risk = crate::desk::sla::at_risk(&s).await?;
    let l = session.locale();
    let day_words = date(l, day);
    // A count and its words, kept current by the page's script (the number is the span's
    // text; the words around it come from the catalogue with the number as a placeable).
    let counted = |key: &str, id: &str, n: usize| {
        let text = t!(l, id, n = COUNT_MARK);
        let (before, after) = text.split_once(COUNT_MARK).unwrap_or((&text, ""));
        html! { (before) span data-count=(key) { (n) } (after) }
    };
    let body = html! {
        h1 { (t!(l, "board-heading", day = day_words)) }
        form method="get" action="/board" class="inline" {
            a href={ "/board?day=" (prev) } { "← " (prev) } " "
            input type="date" name="day" value=(day_s);
            " " button type="submit" class="secondary" { (t!(l, "board-show")) } " "
            a href={ "/board?day=" (next) } { (next) " →" }
        }
        p {
            // Kept current by the page's script as rows change.
            span id="counts" {
                (counted("all", "board-count-all", rows.len())) " · "
                (counted("completed", "board-count-completed", count("completed"))) " · "
                (counted("on_site", "board-count-on-site", count("working") + count("on_site"))) " · "
                (counted("unassigned", "board-count-unassigned", count("unassigned"))) " · "
                a href="/flags#held" { (counted("held", "board-count-held", count("held"))) } " "
            }
            span class="live" { "● " (t!(l, "board-live")) }
        }
        (super::at_risk::panel(&session, &risk))
        table id="board" data-day=(day_s) {
            thead { tr {
                th { (t!(l, "board-col-technician")) } th { (t!(l, "board-col-job")) }
                th { (t!(l, "board-col-promised")) } th { (t!(l, "board-col-kind")) }
                th { (t!(l, "board-col-zone")) } th { (t!(l, "board-col-product")) }
                th { (t!(l, "board-col-status")) } th { (t!(l, "board-col-last-heard")) }
            } }
            tbody { (tbody(&session, &rows)) }
        }
        p {
            a id="export-csv" href={ "/jobs.csv?day=" (day_s) } { (t!(l, "board-export-day")) }
            " · " a href="/jobs.csv" { (t!(l, "board-export-all")) }
        }
        details class="card" {
            summary { (t!(l, "board-import")) }
            // The column names are the file's format: the same in every language.
            p class="muted" {
                (t!(l, "board-import-columns")) " " code class="csv-columns" { (IMPORT_COLUMNS.join(", ")) }
                " " (t!(l, "board-import-help"))
            }
            form id="import" method="post" action="/jobs/import" {
                (csrf_field(&session))
                input type="file" id="import-file" accept=".csv,text/csv" title=(t!(l, "board-import-file"));
                textarea name="csv" rows="6" style="width:100%" placeholder=(t!(l, "board-import-placeholder")) {}
                button type="submit" { (t!(l, "board-import-submit")) }
            }
        }
        script src="/assets/board.js" {}
    };
    Ok(private(page(
        &t!(l, "board-title"),
        &session,
        "/board",
        body,
    )))
}

async fn rows(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = the_day(s.clock.now(), &session, &q)?;
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
  var risk = document.getElementById('at-risk-jobs');
  var riskBusy = false, riskAgain = false;
  function refreshRisk() {
    if (!risk) return;
    if (riskBusy) { riskAgain = true; return; }
    riskBusy = true;
    fetch('/board/at-risk', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) risk.tBodies[0].innerHTML = html; })
      .finally(function () { riskBusy = false; if (riskAgain) { riskAgain = false; refreshRisk(); } });
  }
  function counts() {
    var rows = table.tBodies[0].querySelectorAll('tr[data-status]');
    var n = { all: rows.length, completed: 0, on_site: 0, unassigned: 0, held: 0 };
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
  // Every connection (a reconnection too, to whichever instance) starts with `job` `*`.
  es.onopen = function () { document.body.setAttribute('data-live', 'open'); };
  es.onerror = function () { document.body.setAttribute('data-live', 'retrying'); };
  es.addEventListener('job', refresh);
  es.addEventListener('job', refreshRisk);
  // Limits pass with time too, not only as jobs change: re-read the panel every minute.
  setInterval(refreshRisk, 60000);
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

/// `GET /board/events`: an event `job` (data: the job id, or `*`: re-read every row) whenever
/// a job changes, on this instance or any other on the same PostgreSQL ([`crate::events`]).
/// The events carry no ids: every connection, first or resumed on whichever instance, starts
/// with `job` `*`, so the page re-reads the whole board whatever it missed; so does a board
/// whose instance may have missed events (its listener reconnected, or it lagged). The
/// stream ends at the first change after its login ended (disabled, password changed
/// elsewhere, idle, logged out): nothing more is told to a session that is gone.
async fn events(
    State(s): State<AppState>,
    session: Session,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.board.subscribe();
    let closing = s.feed.closing();
    let start = (rx, closing, s, session, true);
    let events = futures::stream::unfold(
        start,
        |(mut rx, mut closing, s, session, first)| async move {
            if *closing.borrow() {
                return None;
            }
            let id = if first {
                "*".to_owned()
            } else {
                loop {
                    tokio::select! {
                        got = rx.recv() => match got {
                            Ok(Live::Job(id)) => break id,
                            Ok(Live::Feed(_)) => continue,
                            // Something may have been missed: the page reloads every row.
                            Ok(Live::Resync) | Err(RecvError::Lagged(_)) => break "*".to_owned(),
                            Err(RecvError::Closed) => return None,
                        },
                        _ = closing.changed() => return None,
                    }
                }
            };
            if !session.still_on(&s).await {
                return None;
            }
            let event = Event::default().event("job").data(id);
            Some((Ok(event), (rx, closing, s, session, false)))
        },
    );
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(kind: &str, device_time: i64, received_at: i64) -> JobActivity {
        JobActivity {
            work_order_id: "j".into(),
            kind: kind.into(),
            device_time,
            received_at,
        }
    }

    fn stage_of(facts: &[JobActivity]) -> Option<&'static str> {
        visit_stage(&facts.iter().collect::<Vec<_>>())
    }

    #[test]
    fn the_latest_visit_fact_decides() {
        assert_eq!(stage_of(&[]), None);
        assert_eq!(stage_of(&[fact("complete", 1, 1)]), None, "not a stage");
        let first_visit = [
            fact("accept", 1, 10),
            fact("start_travel", 2, 10),
            fact("arrive", 3, 10),
            fact("start_work", 4, 10),
            fact("await_parts", 5, 10),
        ];
        assert_eq!(stage_of(&first_visit), Some("awaiting_parts"));
        // The follow-up visit sets off: en route again, whatever came before.
        let mut more = first_visit.to_vec();
        more.push(fact("start_travel", 9, 20));
        assert_eq!(stage_of(&more), Some("en_route"));
        // Pushed late but made earlier: the device's time orders the facts.
        let late = [fact("start_travel", 9, 20), fact("no_access", 5, 30)];
        assert_eq!(stage_of(&late), Some("en_route"));
        // The same device time: the one that arrived last.
        let tie = [fact("arrive", 5, 20), fact("no_access", 5, 21)];
        assert_eq!(stage_of(&tie), Some("no_access"));
    }
}
