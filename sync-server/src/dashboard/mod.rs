//! The dispatchers' dashboard: server-rendered HTML pages (a little JavaScript for the live
//! board) behind a dispatcher login. Owns the routes at `/` and their wiring; each page is a
//! module: [`board`] (the day's jobs by technician, live; new job), [`csv`] (export and
//! import),
//! [`job`] (one job, its words about ops in [`job_words`]: its completion and where it stands, timeline, checklist, photos,
//! signature and its verification, parts, fees, feedback, flags; release or reject a
//! completion held for the desk, assign, reschedule, cancel; its linked jobs and a new one
//! made from it: [`job_links`]), [`copy`] (its customer's copy as
//! PDF), [`admin`] (the completions held for the desk, flags, technicians and enrolment codes,
//! devices, quality measures), [`money`] (cash hand-ins, invoices to follow), [`accounts`] (the desk's accounts, one's own password, the
//! audit log), and [`session`] / [`page`] underneath them (login, CSRF, layout).
//!
//! Two roles: a dispatcher works the jobs (board, new jobs, CSV, a job's page, flags,
//! measures); an administrator also manages accounts, technicians, enrolment codes and
//! devices, and reads the audit log. The administrators' pages answer a dispatcher 403.
//!
//! Every route but `/login` and the board's script needs a session ([`session::Session`]);
//! every POST also needs the session's CSRF token ([`session::CsrfForm`]). [`ROUTES`] lists
//! them all, so a test can check each one refuses a request without them.

pub mod accounts;
pub mod admin;
pub mod at_risk;
pub mod board;
pub mod callbacks;
pub mod complaints;
pub mod copy;
pub mod csv;
pub mod job;
pub mod job_changes;
pub mod job_links;
pub mod job_words;
pub mod money;
pub mod new_job;
pub mod page;
pub mod people;
pub mod record;
pub mod session;
pub mod stock;
pub mod tools;
pub mod words;

use axum::Router;
use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use self::page::{PageError, bare};
use self::session::{
    CSRF_FIELD, CsrfForm, LoginForm, Session, cookie, login_cookie, random_token, session_cookie,
};
use crate::auth::hash_secret;
use crate::desk::accounts::{LoginOutcome, check_login};
use crate::desk::audit::{Action, record};
use crate::state::AppState;
pub use crate::state::{BoardEvents, CopySettings, Settings};
use crate::storage::dashboard::SessionRecord;
use crate::t;

/// Every dashboard route as (method, path): all but `GET /login`, `POST /login`, `GET /lang`
/// (the language switch: a cookie of the browser's own, no data) and
/// `GET /assets/board.js` need a session; every POST needs the CSRF token too. The board's
/// script is public on purpose: the same static code for everyone, no data in it, and what it
/// fetches (`/board/rows`, `/board/events`) needs the session.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/lang"),
    ("POST", "/logout"),
    ("GET", "/assets/board.js"),
    ("GET", "/board"),
    ("GET", "/board/rows"),
    ("GET", "/board/at-risk"),
    ("GET", "/board/events"),
    ("GET", "/jobs/new"),
    ("POST", "/jobs/new"),
    ("GET", "/jobs.csv"),
    ("POST", "/jobs/import"),
    ("GET", "/flags"),
    ("GET", "/technicians"),
    ("POST", "/technicians"),
    ("POST", "/technicians/{id}/enrolment-codes"),
    ("GET", "/devices"),
    ("POST", "/devices/{id}/revoke"),
    ("GET", "/measures"),
    ("GET", "/measures.csv"),
    ("GET", "/reports/daily.csv"),
    ("GET", "/jobs/{id}"),
    ("POST", "/jobs/{id}/assign"),
    ("POST", "/jobs/{id}/reschedule"),
    ("POST", "/jobs/{id}/cancel"),
    ("POST", "/jobs/{id}/complaint-handled"),
    ("POST", "/jobs/{id}/completion"),
    ("GET", "/jobs/{id}/blobs/{sha}"),
    ("GET", "/jobs/{id}/copy.pdf"),
    ("POST", "/technicians/{id}/revoke-codes"),
    ("GET", "/accounts"),
    ("POST", "/accounts"),
    ("POST", "/accounts/{id}/disable"),
    ("POST", "/accounts/{id}/enable"),
    ("POST", "/accounts/{id}/role"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("POST", "/account/language"),
    ("GET", "/audit"),
    ("POST", "/jobs/{id}/children"),
    ("GET", "/money"),
    ("POST", "/money/cash-handins"),
    ("POST", "/money/invoices/{id}"),
    ("GET", "/complaints"),
    ("POST", "/complaints"),
    ("POST", "/complaints/calendar"),
    ("GET", "/complaints/{id}"),
    ("POST", "/complaints/{id}/assess"),
    ("POST", "/complaints/{id}/extend"),
    ("POST", "/complaints/{id}/resolve"),
    ("POST", "/complaints/{id}/report"),
    ("GET", "/callbacks"),
    ("POST", "/callbacks/rules"),
    ("POST", "/callbacks/{id}/calls"),
    ("GET", "/stock"),
    ("POST", "/stock/minimums"),
    ("POST", "/stock/replenishments/{id}/approve"),
    ("POST", "/stock/replenishments/{id}/issue"),
    ("GET", "/tools"),
    ("POST", "/tools"),
    ("POST", "/tools/{id}/return"),
    ("POST", "/tools/{id}/lost"),
    ("GET", "/technicians/{id}/profile"),
    ("POST", "/technicians/{id}/profile"),
];

/// The dashboard's routes (`https`: served over HTTPS, the pages send HSTS).
pub fn routes(https: bool) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/lang", get(switch_language))
        .route("/logout", post(logout))
        .merge(board::routes())
        .merge(at_risk::routes())
        .merge(new_job::routes())
        .route("/jobs.csv", get(csv::export_csv))
        .route("/jobs/import", post(csv::import_csv))
        .merge(admin::routes())
        .merge(people::routes())
        .merge(job::routes())
        .merge(job_changes::routes())
        .merge(job_links::routes())
        .merge(money::routes())
        .merge(complaints::routes())
        .merge(callbacks::routes())
        .merge(stock::routes())
        .merge(tools::routes())
        .route("/jobs/{id}/copy.pdf", get(copy::copy_pdf))
        .merge(accounts::routes())
        .layer(axum::middleware::map_response(move |res| {
            security_headers(res, https)
        }))
}

/// HSTS over HTTPS: a year, this host only (other hosts of the domain may still serve
/// plain HTTP).
const HSTS: &str = "max-age=31536000";

/// Pages run only this server's scripts, load only its own images and styles, and are never
/// framed by another site; over HTTPS the browser is told to come back only over HTTPS.
async fn security_headers(mut res: Response, https: bool) -> Response {
    let h = res.headers_mut();
    if https {
        h.insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    res
}

/// `/lang?to=en&back=/board`: the dashboard in that language from now on (the `fk_lang`
/// cookie, a year), back on the page it was asked from (a path of this server only).
async fn switch_language(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let back = get("back")
        // A path of this server, in visible ASCII (what a `Location` header may carry).
        .filter(|b| {
            b.starts_with('/')
                && !b.starts_with("//")
                && b.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'\\')
        })
        .unwrap_or("/board");
    let mut r = Redirect::to(back).into_response();
    if let Some(l) = get("to").and_then(crate::i18n::Locale::from_tag) {
        set_lang_cookie(&mut r, l);
        // A logged-in dispatcher keeps the choice on their account (the next login sets it
        // again, on any browser). A failure to save is logged: the cookie still switches.
        if let Some(id) = logged_in(&s, &headers).await
            && let Err(e) = s
                .storage
                .set_dispatcher_language(id, Some(l.tag().to_owned()))
                .await
        {
            tracing::warn!(error = %e, "dashboard: the language could not be saved");
        }
    }
    r
}

/// Adds the `fk_lang` cookie (a year; readable by the pages' own requests only) to `r`.
pub(crate) fn set_lang_cookie(r: &mut Response, l: crate::i18n::Locale) {
    let value = format!(
        "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        crate::i18n::LANG_COOKIE,
        l.tag()
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(SET_COOKIE, v);
    }
}

/// The account of the session these headers carry, if it is on (without counting as the
/// dispatcher's activity).
async fn logged_in(s: &AppState, headers: &HeaderMap) -> Option<String> {
    let hash = Session::token_hash(headers, s.dashboard.https)?;
    let now = s.clock.now_ms();
    let idle_ms = s.dashboard.idle_minutes.saturating_mul(60_000);
    match s.storage.session(hash, now).await {
        Ok(Some(r)) if now.saturating_sub(r.last_seen_at) < idle_ms => Some(r.dispatcher_id),
        _ => None,
    }
}

async fn home(_: Session) -> Redirect {
    Redirect::to("/board")
}

async fn login_page(State(s): State<AppState>) -> Response {
    login_form(&s, None)
}

fn login_form(s: &AppState, error: Option<&str>) -> Response {
    let token = random_token();
    let l = crate::i18n::current();
    let body = bare(
        &t!(l, "login-title"),
        html! {
            h1 { (t!(l, "login-heading")) }
            @if let Some(e) = error { p class="error" id="login-error" { (e) } }
            form id="login" method="post" action="/login" class="card" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                label { (t!(l, "login-login")) " " input name="login" autocomplete="username" required autofocus; }
                label { (t!(l, "login-password")) " " input name="password" type="password" autocomplete="current-password" required; }
                button id="login-submit" type="submit" { (t!(l, "login-submit")) }
            }
        },
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut r = (status, body).into_response();
    if let Ok(v) = cookie(login_cookie(s.dashboard.https), &token, 3600).parse() {
        r.headers_mut().append(SET_COOKIE, v);
    }
    r
}

/// The login form's fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    login: String,
    password: String,
}

/// A form with no fields but the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

async fn login(
    State(s): State<AppState>,
    client: crate::auth::ClientAddr,
    LoginForm(form): LoginForm<Credentials>,
) -> Result<Response, PageError> {
    if !s.login_limiter.allow(client.key()).await {
        return Err(PageError::new(
            StatusCode::TOO_MANY_REQUESTS,
            t!(crate::i18n::current(), "login-too-many"),
        ));
    }
    let from = client.0.to_string();
    let account = match check_login(&s, &form.login, form.password, &from).await {
        Ok(LoginOutcome::Welcome(a)) => a,
        Ok(LoginOutcome::Refused) => {
            return Ok(login_form(
                &s,
                Some(&t!(crate::i18n::current(), "login-wrong")),
            ));
        }
        Ok(LoginOutcome::Wait(ms)) => return Ok(held_back(ms)),
        Err(e @ crate::error::ApiError::Busy { .. }) => {
            let mut r = PageError::from(e).into_response();
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    let token = random_token();
    let now = s.clock.now_ms();
    let language = s
        .storage
        .dispatcher_language(account.id.clone())
        .await?
        .as_deref()
        .and_then(crate::i18n::Locale::from_tag);
    let minutes = s.dashboard.session_minutes;
    s.storage
        .create_session(
            hash_secret(&token),
            SessionRecord {
                dispatcher_id: account.id.clone(),
                login: account.login,
                csrf: random_token(),
                created_at: now,
                expires_at: now + minutes * 60_000,
                last_seen_at: now,
                role: account.role,
            },
        )
        .await?;
    let mut r = Redirect::to("/board").into_response();
    let headers = r.headers_mut();
    let https = s.dashboard.https;
    for c in [
        cookie(session_cookie(https), &token, minutes * 60),
        cookie(login_cookie(https), "", 0),
    ] {
        if let Ok(v) = c.parse() {
            headers.append(SET_COOKIE, v);
        }
    }
    if let Some(l) = language {
        set_lang_cookie(&mut r, l);
    }
    Ok(r)
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    if let Some(hash) = Session::token_hash(&headers, s.dashboard.https) {
        s.storage.end_session(hash).await?;
    }
    let who = session.actor();
    record(&s, &who, Action::Logout, who.account_id.as_deref(), None).await?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = cookie(session_cookie(s.dashboard.https), "", 0).parse() {
        r.headers_mut().append(SET_COOKIE, v);
    }
    Ok(r)
}

/// A login name that failed too often: 429 with `Retry-After` (seconds, rounded up), a page
/// saying how long.
fn held_back(wait_ms: i64) -> Response {
    let secs = (wait_ms.max(1) + 999) / 1000;
    let mut r = PageError::new(
        StatusCode::TOO_MANY_REQUESTS,
        t!(
            crate::i18n::current(),
            "login-held-back",
            secs = secs.to_string()
        ),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(RETRY_AFTER, v);
    }
    r
}
