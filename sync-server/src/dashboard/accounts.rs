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
use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use crate::desk::accounts::{self, PasswordRefusal};
use crate::desk::audit::Action;
use crate::error::ApiError;
use crate::records::{DispatcherAccount, Role};
use crate::state::AppState;

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
        .route("/audit", get(audit_page))
}

fn role_words(r: Role) -> &'static str {
    match r {
        Role::Administrator => "管理员 · administrator",
        Role::Dispatcher => "调度员 · dispatcher",
    }
}

fn role_options(selected: Role) -> Markup {
    html! {
        @for r in Role::ALL {
            option value=(r.as_str()) selected[r == selected] { (role_words(r)) }
        }
    }
}

fn parse_role(s: &str) -> Result<Role, PageError> {
    Role::parse(s.trim())
        .ok_or_else(|| PageError::bad_request("角色 (role): administrator 或 (or) dispatcher"))
}

// ------------------------------------------------------------------ accounts

fn accounts_body(session: &Session, list: &[DispatcherAccount], error: Option<&str>) -> Markup {
    html! {
        h1 { "账号 · Accounts" }
        @if let Some(e) = error { p class="error" id="account-error" { (e) } }
        p class="muted" {
            "调度员处理工单；管理员还管理账号、技师、注册码和设备，并可查看审计日志。停用账号会立即结束其所有登录。"
            br;
            "Dispatchers work the jobs; administrators also manage accounts, technicians, enrolment codes and devices, and read the audit log. Disabling an account ends its logins at once."
        }
        table id="accounts" {
            thead { tr { th { "登录名 · Login" } th { "角色 · Role" } th { "创建 · Since" } th { "状态 · State" } th {} } }
            tbody {
                @for a in list {
                    @let own = a.id == session.dispatcher_id;
                    tr id={ "account-" (a.id) } data-login=(a.login) data-role=(a.role.as_str())
                        data-state=(if a.disabled_at.is_some() { "disabled" } else { "active" }) {
                        td { (a.login) }
                        td {
                            @if own { (role_words(a.role)) } @else {
                                form class="inline role" method="post" action={ "/accounts/" (a.id) "/role" } {
                                    (csrf_field(session))
                                    select name="role" { (role_options(a.role)) }
                                    " " button type="submit" class="secondary" { "更改 · Change" }
                                }
                            }
                        }
                        td { (session.when(a.created_at)) }
                        td {
                            @match a.disabled_at {
                                Some(at) => { span class="flag" { "已停用 · disabled " (session.when(at)) } }
                                None => { span class="ok" { "启用 · active" } }
                            }
                        }
                        td {
                            @if own { span class="muted" { "（您自己 · you）" } }
                            @else if a.disabled_at.is_some() {
                                form class="inline enable" method="post" action={ "/accounts/" (a.id) "/enable" } {
                                    (csrf_field(session))
                                    button type="submit" { "启用 · Enable" }
                                }
                            } @else {
                                form class="inline disable" method="post" action={ "/accounts/" (a.id) "/disable" } {
                                    (csrf_field(session))
                                    button type="submit" class="secondary" { "停用 · Disable" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form id="new-account" method="post" action="/accounts" class="card" {
            (csrf_field(session))
            label { "登录名 · Login " input name="login" required maxlength="64" autocomplete="off"; }
            label { "初始密码 · Password (12–256) " input name="password" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            label { "角色 · Role " select name="role" { (role_options(Role::Dispatcher)) } }
            button type="submit" { "新建账号 · Create account" }
        }
    }
}

async fn accounts_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let list = s.storage.dispatchers().await?;
    let body = accounts_body(&session, &list, None);
    Ok(private(page("Accounts", &session, "/accounts", body)))
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
    let mut r = private(page("Accounts", session, "/accounts", body));
    *r.status_mut() = status;
    Ok(r)
}

async fn create_account(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<NewAccountForm>,
) -> Result<Response, PageError> {
    session.must_administer()?;
    let role = parse_role(&f.role)?;
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
    let role = parse_role(&f.role)?;
    match accounts::set_role(&s, &session.actor(), &id, role).await {
        Ok(()) => Ok(Redirect::to("/accounts").into_response()),
        Err(e) => accounts_refused(&s, &session, e).await,
    }
}

// ------------------------------------------------------------------ own password

fn password_body(session: &Session, message: Option<(&str, &str)>) -> Markup {
    html! {
        h1 { "更改密码 · Change your password" }
        @if let Some((class, m)) = message { p class=(class) id="password-message" { (m) } }
        p class="muted" {
            "更改后，此账号在其他地方的登录都会结束。"
            br;
            "Your other logins end when the password changes."
        }
        form id="change-password" method="post" action="/account/password" class="card" {
            (csrf_field(session))
            label { "当前密码 · Current password " input name="current" type="password" required autocomplete="current-password"; }
            label { "新密码 · New password (12–256) " input name="new" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            label { "再次输入新密码 · New password again " input name="repeat" type="password" required minlength="12" maxlength="256" autocomplete="new-password"; }
            button type="submit" { "更改密码 · Change password" }
        }
    }
}

async fn password_page(session: Session) -> Response {
    let body = password_body(&session, None);
    private(page("Password", &session, "/account/password", body))
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
    let answer = |status: StatusCode, class: &str, m: &str| {
        let body = password_body(&session, Some((class, m)));
        let mut r = private(page("Password", &session, "/account/password", body));
        *r.status_mut() = status;
        r
    };
    if f.new != f.repeat {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "error",
            "两次输入的新密码不一致 (the new passwords differ): nothing was changed.",
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
        Ok(()) => answer(
            StatusCode::OK,
            "ok",
            "密码已更改，其他登录已结束 (password changed; your other logins ended).",
        ),
        Err(PasswordRefusal::WrongPassword) => answer(
            StatusCode::FORBIDDEN,
            "error",
            "当前密码错误 (the current password is wrong): nothing was changed.",
        ),
        Err(PasswordRefusal::Weak(why)) => answer(
            StatusCode::BAD_REQUEST,
            "error",
            &format!("新密码须为 12 到 256 个字符 ({why}): nothing was changed."),
        ),
        Err(PasswordRefusal::NoAccount) => answer(
            StatusCode::NOT_FOUND,
            "error",
            "账号不存在 (no such account).",
        ),
        Err(PasswordRefusal::Wait(ms)) => {
            let secs = (ms.max(1) + 999) / 1000;
            let mut r = answer(
                StatusCode::TOO_MANY_REQUESTS,
                "error",
                &format!(
                    "密码错误次数过多，请 {secs} 秒后再试 (too many wrong passwords: try again in {secs} s)."
                ),
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
fn action_words(action: &str) -> String {
    Action::parse(action).map_or_else(|| action.to_owned(), |a| a.words(crate::i18n::current()))
}

async fn audit_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.must_administer()?;
    let lines = s.storage.audit_log(AUDIT_SHOWN).await?;
    let body = html! {
        h1 { "审计日志 · Audit log" }
        p class="muted" { "最新的 " (AUDIT_SHOWN) " 条，新的在前 · the newest " (AUDIT_SHOWN) ", newest first." }
        table id="audit" {
            thead { tr { th { "时间 · When" } th { "谁 · Who" } th { "做了什么 · What" } th { "对象 · On" } th { "详情 · Detail" } th { "来自 · From" } } }
            tbody {
                @for l in &lines {
                    tr data-action=(l.action) {
                        td { (session.when_exact(l.at)) }
                        td class="who" { (l.actor) }
                        td { (action_words(&l.action)) }
                        td class="target" { code { (l.target.as_deref().unwrap_or("")) } }
                        td class="detail" { (l.detail.as_deref().unwrap_or("")) }
                        td class="from" { (l.from_addr) }
                    }
                }
                @if lines.is_empty() { tr { td colspan="6" class="muted" { "暂无 · None yet." } } }
            }
        }
    };
    Ok(private(page("Audit log", &session, "/audit", body)))
}
