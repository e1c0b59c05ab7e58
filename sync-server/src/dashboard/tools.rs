//! The tools register (`/tools`, 工具): the tools issued to each technician (004 二 第14条:
//! registered, kept by the technician, returned when they leave the post, a loss reported
//! with what happened), the form that issues one, and per issued tool its return button and
//! its loss form. Every change goes through [`crate::desk::tools`], with the same checks as
//! the JSON API. Words from `locales/*/tools.ftl` in the reader's language.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone};
use maud::html;
use serde::Deserialize;

use super::page::{PageError, Viewer, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use crate::desk::tools;
use crate::state::AppState;
use crate::t;
use crate::tools::{IssueTool, ReportLoss, ToolState};

/// The tools page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tools", get(tools_page).post(issue))
        .route("/tools/{id}/return", post(return_tool))
        .route("/tools/{id}/lost", post(lost))
}

/// The issue form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueForm {
    pub technician_id: String,
    pub name: String,
    pub asset_number: String,
}

/// The return button carries nothing but the CSRF token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The loss form: what happened, and when (`YYYY-MM-DD HH:MM` or the browser's
/// `YYYY-MM-DDTHH:MM`, the dispatchers' time; empty: now).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossForm {
    pub report: String,
    #[serde(default)]
    pub happened_at: String,
}

async fn issue(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<IssueForm>,
) -> Result<Response, PageError> {
    let req = IssueTool {
        technician_id: f.technician_id,
        name: f.name,
        asset_number: f.asset_number,
    };
    tools::issue(&s, &session.actor(), req).await?;
    Ok(Redirect::to("/tools#tool-list").into_response())
}

async fn return_tool(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    tools::return_tool(&s, &session.actor(), &id).await?;
    Ok(Redirect::to("/tools#tool-list").into_response())
}

async fn lost(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<LossForm>,
) -> Result<Response, PageError> {
    let typed = f.happened_at.trim().replace('T', " ");
    let happened_at = if typed.is_empty() {
        s.clock.now_ms()
    } else {
        NaiveDateTime::parse_from_str(&typed, "%Y-%m-%d %H:%M")
            .ok()
            .and_then(|t| session.offset().from_local_datetime(&t).single())
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| PageError::bad_request(t!(session.locale(), "tools-bad-time")))?
    };
    let req = ReportLoss {
        report: f.report,
        happened_at,
    };
    tools::report_lost(&s, &session.actor(), &id, req).await?;
    Ok(Redirect::to("/tools#tool-list").into_response())
}

async fn tools_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let l = session.locale();
    let techs = s.storage.technicians().await?;
    let names: HashMap<&str, &str> = techs
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let list = tools::list(&s, None).await?;
    let title = t!(l, "tools-title");
    let state_word = |st: ToolState| match st {
        ToolState::Issued => t!(l, "tools-state-issued"),
        ToolState::Returned => t!(l, "tools-state-returned"),
        ToolState::Lost => t!(l, "tools-state-lost"),
    };
    let body = html! {
        h1 { (title) }
        p class="muted" { (t!(l, "tools-rule")) }
        h2 id="issue-tool" { (t!(l, "tools-issued-heading")) }
        form id="tool-issue" class="card" method="post" action="/tools" {
            (csrf_field(&session))
            label { (t!(l, "tools-technician")) " " select name="technician_id" required {
                @for t in &techs { option value=(t.id) { (t.name) } }
            } }
            label { (t!(l, "tools-name")) " " input type="text" name="name" required maxlength="100"; }
            label { (t!(l, "tools-asset")) " " input type="text" name="asset_number" required maxlength="64"; }
            button type="submit" { (t!(l, "tools-issue")) }
        }
        h2 { (t!(l, "tools-list-heading")) }
        table id="tool-list" {
            thead { tr {
                th { (t!(l, "tools-technician")) }
                th { (t!(l, "tools-name")) }
                th { (t!(l, "tools-asset")) }
                th { (t!(l, "tools-issued-at")) }
                th { (t!(l, "tools-state")) }
                th { (t!(l, "tools-actions")) }
            } }
            tbody {
                @for tool in &list {
                    tr data-id=(tool.id) data-state=(tool.state.as_str()) {
                        td { (names.get(tool.technician_id.as_str()).copied().unwrap_or(&tool.technician_id)) }
                        td { (tool.name) }
                        td { (tool.asset_number) }
                        td { (session.when(tool.issued_at)) }
                        td class=(if tool.state == ToolState::Lost { "flag" } else { "" }) {
                            (state_word(tool.state))
                            @if let Some(at) = tool.returned_at {
                                br; span class="muted" { (t!(l, "tools-returned-at", at = session.when(at))) }
                            }
                            @if let Some(loss) = &tool.loss {
                                br; span class="muted" {
                                    (t!(l, "tools-lost-at", at = session.when(loss.happened_at), report = loss.report.as_str()))
                                }
                            }
                        }
                        td {
                            @if tool.state == ToolState::Issued {
                                form class="inline" method="post" action={ "/tools/" (tool.id) "/return" } {
                                    (csrf_field(&session))
                                    button type="submit" { (t!(l, "tools-return")) }
                                }
                                form class="inline" method="post" action={ "/tools/" (tool.id) "/lost" } {
                                    (csrf_field(&session))
                                    input type="text" name="report" required maxlength="2000"
                                        placeholder=(t!(l, "tools-report")) aria-label=(t!(l, "tools-report"));
                                    input type="datetime-local" name="happened_at"
                                        aria-label=(t!(l, "tools-happened-at"));
                                    button class="secondary" type="submit" { (t!(l, "tools-report-lost")) }
                                }
                            }
                        }
                    }
                }
                @if list.is_empty() { tr { td colspan="6" class="muted" { (t!(l, "tools-none")) } } }
            }
        }
    };
    Ok(private(page(&title, &session, "/tools", body)))
}
