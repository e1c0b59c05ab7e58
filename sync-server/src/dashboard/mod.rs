//! The dispatchers' dashboard: server-rendered HTML pages (a little JavaScript for the live
//! board) behind a dispatcher login. Owns the routes at `/` and their wiring; each page is a
//! module: [`board`] (the day's jobs by technician, live; new job), [`csv`] (export and
//! import),
//! [`job`] (one job: its completion and where it stands, timeline, checklist, photos,
//! signature and its verification, parts, fees, feedback, flags; release or reject a
//! completion held for the desk, assign, reschedule, cancel), [`copy`] (its customer's copy as
//! PDF), [`admin`] (the completions held for the desk, flags, technicians and enrolment codes,
//! devices, quality measures), and
//! [`session`] / [`page`] underneath them (login, CSRF, layout).
//!
//! Every route but `/login` and the board's script needs a session ([`session::Session`]);
//! every POST also needs the session's CSRF token ([`session::CsrfForm`]). [`ROUTES`] lists
//! them all, so a test can check each one refuses a request without them.

pub mod admin;
pub mod board;
pub mod copy;
pub mod csv;
pub mod job;
pub mod job_changes;
pub mod new_job;
pub mod page;
pub mod record;
pub mod session;
pub mod words;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use self::page::{PageError, bare};
use self::session::{
    CSRF_FIELD, CsrfForm, LOGIN_COOKIE, LoginForm, SESSION_COOKIE, Session, cookie, random_token,
};
use crate::auth::{hash_password, hash_secret, password_matches};
use crate::state::AppState;
pub use crate::state::{BoardEvents, CopySettings, Settings};
use crate::storage::dashboard::SessionRecord;

/// Every dashboard route as (method, path): all but `GET /login`, `POST /login` and
/// `GET /assets/board.js` need a session; every POST needs the CSRF token too. The board's
/// script is public on purpose: the same static code for everyone, no data in it, and what it
/// fetches (`/board/rows`, `/board/events`) needs the session.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/assets/board.js"),
    ("GET", "/board"),
    ("GET", "/board/rows"),
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
];

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .merge(board::routes())
        .merge(new_job::routes())
        .route("/jobs.csv", get(csv::export_csv))
        .route("/jobs/import", post(csv::import_csv))
        .merge(admin::routes())
        .merge(job::routes())
        .merge(job_changes::routes())
        .route("/jobs/{id}/copy.pdf", get(copy::copy_pdf))
        .layer(axum::middleware::map_response(security_headers))
}

/// Pages run only this server's scripts, load only its own images and styles, and are never
/// framed by another site.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
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
        h.insert(k, axum::http::HeaderValue::from_static(v));
    }
    res
}

async fn home(_: Session) -> Redirect {
    Redirect::to("/board")
}

async fn login_page() -> Response {
    login_form(None)
}

fn login_form(error: Option<&str>) -> Response {
    let token = random_token();
    let body = bare(
        "Log in",
        html! {
            h1 { "FieldKit dispatch" }
            @if let Some(e) = error { p class="error" id="login-error" { (e) } }
            form id="login" method="post" action="/login" class="card" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                label { "Login " input name="login" autocomplete="username" required autofocus; }
                label { "Password " input name="password" type="password" autocomplete="current-password" required; }
                button id="login-submit" type="submit" { "Log in" }
            }
        },
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut r = (status, body).into_response();
    if let Ok(v) = cookie(LOGIN_COOKIE, &token, 3600).parse() {
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

/// A hash checked when the login is unknown, so that an unknown login takes as long to
/// refuse as a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&random_token()).unwrap_or_default());

/// A form with no fields but the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

async fn login(
    State(s): State<AppState>,
    client: crate::auth::ClientAddr,
    LoginForm(form): LoginForm<Credentials>,
) -> Result<Response, PageError> {
    if !s.login_limiter.allow(client.key()) {
        return Err(PageError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many login attempts: wait a minute",
        ));
    }
    let login = form.login.trim().to_owned();
    let account = if login.is_empty() || login.chars().count() > 64 {
        None
    } else {
        s.storage.dispatcher_by_login(login).await?
    };
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| PageError::internal(e.to_string()))?;
    let Some(account) = account.filter(|_| matches) else {
        tracing::info!("dashboard login refused");
        return Ok(login_form(Some("Wrong login or password.")));
    };
    let token = random_token();
    let now = s.clock.now_ms();
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
            },
        )
        .await?;
    tracing::info!(dispatcher = %account.id, "dashboard login");
    let mut r = Redirect::to("/board").into_response();
    let headers = r.headers_mut();
    for c in [
        cookie(SESSION_COOKIE, &token, minutes * 60),
        cookie(LOGIN_COOKIE, "", 0),
    ] {
        if let Ok(v) = c.parse() {
            headers.append(SET_COOKIE, v);
        }
    }
    Ok(r)
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    if let Some(hash) = Session::token_hash(&headers) {
        s.storage.end_session(hash).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = cookie(SESSION_COOKIE, "", 0).parse() {
        r.headers_mut().append(SET_COOKIE, v);
    }
    Ok(r)
}
