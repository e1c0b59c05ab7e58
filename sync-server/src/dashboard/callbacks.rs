//! The desk's callback page (`/callbacks`): the queue (due and overdue first), each with the
//! customer's contact, the script and the form to record the call; the measures beside the
//! rating given on the technician's phone; the rules and their form. Every change goes
//! through [`crate::desk::callbacks`], with the same checks and audit as the JSON API.
//! Words in zh-CN, then en ([`super::words::callbacks`]).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use super::words::callbacks as w;
use super::words::complaints::category;
use crate::callbacks::{CallbackRules, Problem};
use crate::complaints::Category;
use crate::desk::callbacks::{
    self as desk, CallbackQuery, CallbackRow, CallbackStatus, RecordCall,
};
use crate::i18n::current as lang;
use crate::state::AppState;
use crate::t;

/// The callback page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/callbacks", get(callbacks_page))
        .route("/callbacks/rules", post(set_rules))
        .route("/callbacks/{id}/calls", post(record_call))
}

/// One call, as the form sends it (`reached`: `yes` or `no`; `problem`: empty, `repair` or
/// `complaint`; `rating` empty when not reached).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallForm {
    pub reached: String,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub complaint_category: Option<Category>,
    pub revision: u32,
}

/// The rules' form (checkboxes are absent when unticked).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesForm {
    #[serde(default)]
    pub every_installation: Option<String>,
    #[serde(default)]
    pub every_complaint: Option<String>,
    pub sample_percent: String,
    pub within_days: String,
    pub seed: String,
}

async fn record_call(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<CallForm>,
) -> Result<Response, PageError> {
    let reached = match f.reached.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::bad_request(t!(lang(), w::REACHED_BAD))),
    };
    let rating = match f.rating.trim() {
        "" => None,
        r => Some(
            r.parse::<u8>()
                .map_err(|_| PageError::bad_request(t!(lang(), w::RATING_BAD)))?,
        ),
    };
    let problem = match f.problem.as_str() {
        "" => None,
        "repair" => Some(Problem::Repair),
        "complaint" => Some(Problem::Complaint),
        _ => return Err(PageError::bad_request(t!(lang(), w::PROBLEM_BAD))),
    };
    let call = RecordCall {
        reached,
        rating,
        problem,
        note: Some(f.note),
        complaint_category: f.complaint_category,
        revision: Some(f.revision),
    };
    desk::record_call(&s, &session.actor(), &id, call).await?;
    Ok(Redirect::to("/callbacks").into_response())
}

async fn set_rules(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<RulesForm>,
) -> Result<Response, PageError> {
    let num = |t: &str| t.trim().parse::<u64>().ok();
    let rules = CallbackRules {
        every_installation: f.every_installation.is_some(),
        every_complaint: f.every_complaint.is_some(),
        sample_percent: num(&f.sample_percent)
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| PageError::bad_request(t!(lang(), w::NUMBER_BAD)))?,
        within_days: num(&f.within_days)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| PageError::bad_request(t!(lang(), w::NUMBER_BAD)))?,
        seed: num(&f.seed).ok_or_else(|| PageError::bad_request(t!(lang(), w::NUMBER_BAD)))?,
    };
    desk::set_rules(&s, &session.actor(), rules).await?;
    Ok(Redirect::to("/callbacks#rules").into_response())
}

fn call_form(session: &Session, r: &CallbackRow) -> Markup {
    let c = &r.callback;
    html! {
        form class="call" method="post" action={ "/callbacks/" (c.id) "/calls" } {
            (csrf_field(session))
            input type="hidden" name="revision" value=(c.revision);
            label { input type="radio" name="reached" value="yes" checked; " " (t!(lang(), w::REACHED)) }
            label { input type="radio" name="reached" value="no"; " " (t!(lang(), w::NOT_REACHED)) }
            label { (t!(lang(), w::RATING)) " " select name="rating" {
                option value="" { "—" }
                @for n in (1..=5).rev() { option value=(n) { (n) } }
            } }
            label { (t!(lang(), w::PROBLEM)) " " select name="problem" {
                option value="" { (t!(lang(), w::NO_PROBLEM)) }
                option value="repair" { (t!(lang(), w::REPAIR)) }
                option value="complaint" { (t!(lang(), w::COMPLAINT)) }
            } }
            label { (t!(lang(), w::COMPLAINT_CATEGORY)) " " select name="complaint_category" {
                @for k in Category::ALL { option value=(k.as_str()) { (category(k)) } }
            } }
            label { (t!(lang(), w::NOTE)) " " input type="text" name="note" maxlength="2000"; }
            button type="submit" { (t!(lang(), w::RECORD)) }
        }
    }
}

async fn callbacks_page(
    State(s): State<AppState>,
    session: Session,
) -> Result<Response, PageError> {
    let q = desk::queue(&s, CallbackQuery::default()).await?;
    let rules = desk::rules(&s).await?;
    let m = &q.measures;
    let num = |x: Option<f64>| x.map_or("—".to_owned(), |v| format!("{v:.2}"));
    let body = html! {
        h1 { (t!(lang(), w::TITLE)) }
        p class="muted" { (t!(lang(), w::RULE)) }
        p id="callback-measures" {
            (t!(lang(), w::PICKED)) " " (m.picked) " · " (t!(lang(), w::DONE)) " " (m.done) " · " (t!(lang(), w::UNREACHABLE)) " " (m.unreachable)
            " · " (t!(lang(), w::OVERDUE)) " " (m.overdue) " · " (t!(lang(), w::CALLBACK_RATING)) " " (num(m.callback_rating))
            " · " (t!(lang(), w::DEVICE_RATING)) " " (num(m.device_rating)) " · " (t!(lang(), w::PROBLEMS)) " " (m.problems)
        }
        table id="callback-queue" {
            thead { tr { @for c in w::COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for r in &q.callbacks {
                    tr data-status=(r.status.as_str()) data-id=(r.callback.id) data-job=(r.callback.work_order_id) {
                        td class=(if r.status == CallbackStatus::Overdue { "status flag" } else { "status" }) { (t!(lang(), w::status(r.status))) }
                        td { (session.when(r.callback.due_at)) }
                        td { a href={ "/jobs/" (r.callback.work_order_id) } { (r.job_number) } " · " (t!(lang(), w::reason(r.callback.reason))) }
                        td class="contact" { (r.contact.name) br; (r.contact.phone) br; (r.contact.address) }
                        td class="script" { (r.script[0]) br; span class="muted" { (r.script[1]) } }
                        td { (r.device_rating.map_or("—".to_owned(), |x| x.to_string())) }
                        td {
                            @if r.status == CallbackStatus::Due || r.status == CallbackStatus::Overdue {
                                (call_form(&session, r))
                            } @else if let Some(a) = r.callback.answer() {
                                (a.rating.map_or("—".to_owned(), |x| x.to_string())) " / 5"
                                @if let Some(j) = r.callback.repair_job_id { " · " a href={ "/jobs/" (j) } { (t!(lang(), w::REPAIR_JOB)) } }
                                @if let Some(c) = &r.callback.complaint_id { " · " a href={ "/complaints/" (c) } { (t!(lang(), w::COMPLAINT_LINK)) } }
                            } @else {
                                (t!(lang(), w::status(r.status)))
                            }
                        }
                    }
                }
                @if q.callbacks.is_empty() { tr { td colspan="7" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
        h2 id="rules" { (t!(lang(), w::RULES)) }
        form id="callback-rules" method="post" action="/callbacks/rules" {
            (csrf_field(&session))
            label { input type="checkbox" name="every_installation" value="on" checked[rules.rules.every_installation]; " " (t!(lang(), w::EVERY_INSTALLATION)) }
            label { input type="checkbox" name="every_complaint" value="on" checked[rules.rules.every_complaint]; " " (t!(lang(), w::EVERY_COMPLAINT)) }
            label { (t!(lang(), w::SAMPLE)) " " input type="number" name="sample_percent" min="0" max="100" required value=(rules.rules.sample_percent); }
            label { (t!(lang(), w::WITHIN)) " " input type="number" name="within_days" min="1" max="30" required value=(rules.rules.within_days); }
            label { (t!(lang(), w::SEED)) " " input type="number" name="seed" min="0" required value=(rules.rules.seed); }
            button type="submit" { (t!(lang(), w::SAVE)) }
        }
    };
    Ok(private(page(
        &t!(lang(), w::TITLE),
        &session,
        "/callbacks",
        body,
    )))
}
