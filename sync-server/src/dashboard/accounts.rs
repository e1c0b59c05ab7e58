//! The desk's own pages: the accounts (administrators: create one with its role, disable or
//! enable one, change a role), one's own password (any account: the current one required;
//! the account's other sessions end), and the audit log (administrators: who did what,
//! when, from where). The rules are the desk's ([`crate::desk::accounts`]); these pages
//! read forms and show answers. Words are zh-CN first, then en.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::NoFields;
use super::page::Viewer;
use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use crate::desk::accounts::{self, PasswordRefusal};
use crate::desk::audit::Action;
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::records::{DispatcherAccount, Role};
use crate::state::AppState;
use crate::t;

/// How many lines of the audit log the page shows.
const AUDIT_SHOWN: i64 = 500;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(accounts_page).post(create_account))
        .route("/accounts/{id}/disable", post(disable))
        .route("/accounts/{id}/enable", post(enable))
        .route("/accounts/{id}/role", post(change_role))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/language", post(set_language))
        .route("/audit", get(audit_page))
}

fn role_words(l: Locale, r: Role) -> String {
    match r {
        Role::Administrator => t!(l, "role-administrator"),
        Role::Dispatcher => t!(l, "role-dispatcher"),
    }
}

fn role_options(l: Locale, selected: Role) -> Markup {
    html! {
        @for r in Role::ALL {
            option value=(r.as_str()) selected[r == selected] { (role_words(l, r)) }
        }
    }
}

fn parse_role(l: Locale, s: &str) -> Result<Role, PageError> {
    Role::parse(s.trim()).ok_or_else(|| PageError::bad_request(t!(l, "accounts-bad-role")))
}

// ------------------------------------------------------------------ accounts

fn accounts_body(session: &Session, list: &[DispatcherAccount], error: Option<&str>) -> Markup {
    let l = session.locale();
    html! {
        h1 { (t!(l, "accounts-title")) }
        @if let Some(e) = error { p class="error" id="account-error" { (e) } }
        p class="muted" { (t!(l, "accounts-help")) }
        table id="accounts" {
            thead { tr { th { (t!(l, "accounts-col-login")) } th { (t!(l, "accounts-col-role")) } th { (t!(l, "accounts-col-since")) } th { (t!(l, "accounts-col-state")) } th {} } }
            tbody {
                @for a in list {
                    @let own = a.id == session.dispatcher_id;
                    tr id={ "account-" (a.id) } data-login=(a.login) data-role=(a.role.as_str())
                        data-state=(if a.disabled_at.is_some() { "disabled" } else { "active" }) {
                        td { (a.login) }
                        td {
                            @if own { (role_words(l, a.role)) } @else {
                                form class="inline role" method="post" action={ "/accounts/" (a.id) "/role" } {
                                    (csrf_field(session))
                                    select name="role" title=(t!(l, "accounts-col-role")) { (role_options(l, a.role)) }
                                    " " button type="submit" class="secondary" { (t!(l, "accounts-change")) }
                                }
                            }
                        }
                        td { (session.when(a.created_at)) }
                        td {
                            @match a.disabled_at {
                                Some(at) => { span class="flag" { (t!(l, "accounts-disabled", at = session.when(at))) } }
                                None => { span class="ok" { (t!(l, "accounts-active")) } }
                            }
                        }
                        td {
                            @if own { span class="muted" { (t!(l, "accounts-you")) } }
                            @else if a.disabled_at.is_some() {
                                form class="inline enable" method="post" action={ "/accounts/" (a.id) "/enable" } {
                                    (csrf_field(session))
                                    button type="submit" { (t!(l, "accounts-enable")) }
                                }
                            } @else {
                                form class="inline disable" method="post" action={ "/accounts/" (a.id) "/disable" } {
                                    (csrf_field(session))
                                    button type="submit" class="secondary" { (t!(l, "accounts-disable")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        form id="new-account" method="post" action="/accounts" class="card" {
            (csrf_field(session))
            label { (t!(l, "accounts-col-login")) " " input name="login" required maxlength="64" autocomplete="off"; }
            label { (t!(l, "accounts-password")) " " input name="password" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            label { (t!(l, "accounts-col-role")) " " select name="role" { (role_options(l, Role::Dispatcher)) } }
            button type="submit" { (t!(l, "accounts-create")) }
        }
    }
}

async fn accounts_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let list = s.storage.dispatchers().await?;
    let body = accounts_body(&session, &list, None);
    let title = t!(session.locale(), "accounts-title");
    Ok(private(page(&title, &session, "/accounts", body)))
}

/// `POST /accounts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccountForm {
    pub login: String,
    pub password: String,
    pub role: String,
}

/// The accounts page again with what went wrong, and its status.
async fn accounts_refused(
    s: &AppState,
    session: &Session,
    e: ApiError,
) -> Result<Response, PageError> {
    let (status, _) = e.status_and_code();
    if status.is_server_error() {
        return Err(e.into());
    }
    let list = s.storage.dispatchers().await?;
    let body = accounts_body(session, &list, Some(&e.to_string()));
    let title = t!(session.locale(), "accounts-title");
    let mut r = private(page(&title, session, "/accounts", body));
    *r.status_mut() = status;
    Ok(r)
}

async fn create_account(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<NewAccountForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let role = parse_role(session.locale(), &f.role)?;
    match accounts::create_account(&s, &session.actor(), &f.login, f.password, role).await {
        Ok(_) => Ok(Redirect::to("/accounts").into_response()),
        Err(e) => accounts_refused(&s, &session, e).await,
    }
}

async fn set_disabled(
    s: &AppState,
    session: &Session,
    id: &str,
    disabled: bool,
) -> Result<Response, PageError> {
    session.must_administer()?;
    match accounts::set_disabled(s, &session.actor(), id, disabled).await {
        Ok(()) => Ok(Redirect::to("/accounts").into_response()),
        Err(e) => accounts_refused(s, session, e).await,
    }
}

async fn disable(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    set_disabled(&s, &session, &id, true).await
}

async fn enable(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    set_disabled(&s, &session, &id, false).await
}

/// `POST /accounts/{id}/role`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    pub role: String,
}

async fn change_role(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let role = parse_role(session.locale(), &f.role)?;
    match accounts::set_role(&s, &session.actor(), &id, role).await {
        Ok(()) => Ok(Redirect::to("/accounts").into_response()),
        Err(e) => accounts_refused(&s, &session, e).await,
    }
}

// ------------------------------------------------------------------ own password

fn password_body(
    session: &Session,
    language: Option<Locale>,
    message: Option<(&str, &str)>,
) -> Markup {
    let l = session.locale();
    html! {
        h1 { (t!(l, "password-title")) }
        @if let Some((class, m)) = message { p class=(class) id="password-message" { (m) } }
        p class="muted" { (t!(l, "password-help")) }
        form id="change-password" method="post" action="/account/password" class="card" {
            (csrf_field(session))
            label { (t!(l, "password-current")) " " input name="current" type="password" required autocomplete="current-password"; }
            label { (t!(l, "password-new")) " " input name="new" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            label { (t!(l, "password-repeat")) " " input name="repeat" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            button type="submit" { (t!(l, "password-submit")) }
        }
        h2 { (t!(l, "account-language")) }
        form id="account-language" method="post" action="/account/language" class="card" {
            (csrf_field(session))
            p class="muted" { (t!(l, "account-language-help")) }
            label { (t!(l, "account-language")) " " select name="language" {
                option value="" selected[language.is_none()] { (t!(l, "account-language-browser")) }
                @for x in Locale::ALL {
                    option value=(x.tag()) lang=(x.tag()) selected[language == Some(x)] { (locale_name(x)) }
                }
            } }
            button type="submit" { (t!(l, "account-language-save")) }
        }
    }
}

/// A language's name in itself (what a reader of it looks for).
fn locale_name(x: Locale) -> String {
    t!(x, "language-name-code")
}

/// The account's chosen language, if any.
async fn account_language(s: &AppState, session: &Session) -> Result<Option<Locale>, PageError> {
    Ok(s.storage
        .dispatcher_language(session.dispatcher_id.clone())
        .await?
        .as_deref()
        .and_then(Locale::from_tag))
}

async fn password_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let language = account_language(&s, &session).await?;
    let body = password_body(&session, language, None);
    let title = t!(session.locale(), "password-title");
    Ok(private(page(&title, &session, "/account/password", body)))
}

/// `POST /account/language`: `zh-CN`, `en`, or empty (the browser's choice).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageForm {
    pub language: String,
}

/// Saves the account's language and switches this browser to it (the `fk_lang` cookie);
/// back on the account page. An unknown tag is a 400.
async fn set_language(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<LanguageForm>,
) -> Result<Response, PageError> {
    let chosen =
        match f.language.trim() {
            "" => None,
            tag => Some(Locale::from_tag(tag).ok_or_else(|| {
                PageError::bad_request(t!(session.locale(), "account-language-bad"))
            })?),
        };
    s.storage
        .set_dispatcher_language(
            session.dispatcher_id.clone(),
            chosen.map(|x| x.tag().to_owned()),
        )
        .await?;
    let mut r = Redirect::to("/account/password").into_response();
    if let Some(x) = chosen {
        super::set_lang_cookie(&mut r, x);
    }
    Ok(r)
}

/// `POST /account/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub repeat: String,
}

async fn change_password(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let l = session.locale();
    let language = account_language(&s, &session).await?;
    let answer = |status: StatusCode, class: &str, m: &str| {
        let body = password_body(&session, language, Some((class, m)));
        let title = t!(l, "password-title");
        let mut r = private(page(&title, &session, "/account/password", body));
        *r.status_mut() = status;
        r
    };
    if f.new != f.repeat {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "error",
            &t!(l, "password-differ"),
        ));
    }
    let done = accounts::change_password(
        &s,
        &session.actor(),
        Some(session.token_hash.clone()),
        f.current,
        f.new,
    )
    .await?;
    Ok(match done {
        Ok(()) => answer(StatusCode::OK, "ok", &t!(l, "password-changed")),
        Err(PasswordRefusal::WrongPassword) => {
            answer(StatusCode::FORBIDDEN, "error", &t!(l, "password-wrong"))
        }
        Err(PasswordRefusal::Weak(why)) => answer(
            StatusCode::BAD_REQUEST,
            "error",
            &t!(l, "password-weak", why = why.to_string()),
        ),
        Err(PasswordRefusal::NoAccount) => answer(
            StatusCode::NOT_FOUND,
            "error",
            &t!(l, "password-no-account"),
        ),
        Err(PasswordRefusal::Wait(ms)) => {
            let secs = (ms.max(1) + 999) / 1000;
            let mut r = answer(
                StatusCode::TOO_MANY_REQUESTS,
                "error",
                &t!(l, "password-wait", secs = secs.to_string()),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(RETRY_AFTER, v);
            }
            r
        }
    })
}

// ------------------------------------------------------------------ audit log

/// An action's words (an unknown one, written by a newer server: its name).
fn action_words(l: Locale, action: &str) -> String {
    Action::parse(action).map_or_else(|| action.to_owned(), |a| a.words(l))
}

async fn audit_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let l = session.locale();
    let lines = s.storage.audit_log(AUDIT_SHOWN).await?;
    let body = html! {
        h1 { (t!(l, "audit-title")) }
        p class="muted" { (t!(l, "audit-help", n = AUDIT_SHOWN.to_string())) }
        table id="audit" {
            thead { tr { th { (t!(l, "audit-col-when")) } th { (t!(l, "audit-col-who")) } th { (t!(l, "audit-col-what")) } th { (t!(l, "audit-col-on")) } th { (t!(l, "audit-col-detail")) } th { (t!(l, "audit-col-from")) } } }
            tbody {
                @for line in &lines {
                    tr data-action=(line.action) {
                        td { (session.when_exact(line.at)) }
                        td class="who" {
                            @if line.actor == crate::desk::audit::ADMIN_TOKEN_ACTOR { (t!(l, "audit-admin-token")) }
                            @else { (line.actor) }
                        }
                        td { (action_words(l, &line.action)) }
                        td class="target" { code { (line.target.as_deref().unwrap_or("")) } }
                        td class="detail" { (line.detail_in(l).unwrap_or_default()) }
                        td class="from" { (line.from_addr) }
                    }
                }
                @if lines.is_empty() { tr { td colspan="6" class="muted" { (t!(l, "none-yet")) } } }
            }
        }
    };
    let title = t!(l, "audit-title");
    Ok(private(page(&title, &session, "/audit", body)))
}
