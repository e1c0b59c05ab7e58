//! The warehouse's page (`/stock`, 备件): every van's stock per part (on hand, used, old parts
//! returned, the last stock-check count against the server's ledger, the minimum level),
//! the form that sets a minimum, the replenishment requests with their approve and issue
//! buttons, and the loaners out with customers (overdue first). Every change goes through
//! [`crate::desk::spares`], with the same checks and audit as the JSON API. Words in zh-CN,
//! then en ([`super::words::stock`]).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::page::{PageError, csrf_field, page, private};
use super::session::{CsrfForm, Session};
use super::words::stock as w;
use crate::desk::spares;
use crate::i18n::current as lang;
use crate::spares::{ReplenishmentState, StockMinimum};
use crate::state::AppState;
use crate::t;

/// The stock page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stock", get(stock_page))
        .route("/stock/minimums", post(set_minimum))
        .route("/stock/replenishments/{id}/approve", post(approve))
        .route("/stock/replenishments/{id}/issue", post(issue))
}

/// The minimum form: the level as typed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumForm {
    pub technician_id: String,
    pub sku: String,
    pub minimum: String,
}

/// The approve and issue buttons carry nothing but the CSRF token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

async fn set_minimum(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<MinimumForm>,
) -> Result<Response, PageError> {
    let minimum = f
        .minimum
        .trim()
        .parse::<i64>()
        .map_err(|_| PageError::bad_request(t!(lang(), w::MINIMUM_BAD)))?;
    let m = StockMinimum {
        technician_id: f.technician_id,
        sku: f.sku.trim().to_owned(),
        minimum,
    };
    spares::set_minimum(&s, &session.actor(), m).await?;
    Ok(Redirect::to("/stock#vans").into_response())
}

async fn approve(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    spares::approve(&s, &session.actor(), id).await?;
    Ok(Redirect::to("/stock#replenishments").into_response())
}

async fn issue(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    spares::issue(&s, &session.actor(), id).await?;
    Ok(Redirect::to("/stock#replenishments").into_response())
}

async fn stock_page(State(s): State<AppState>, session: Session) -> Result<Response, PageError> {
    let techs = s.storage.technicians().await?;
    let names: HashMap<&str, &str> = techs
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let name = |id: &str| names.get(id).copied().unwrap_or(id).to_owned();
    let report = spares::stock(&s, None).await?;
    let requests = s.storage.replenishments(None).await?;
    let loaners = spares::loaners(&s, None).await?;
    let body = html! {
        h1 { (t!(lang(), w::TITLE)) }
        p class="muted" { (t!(lang(), w::RULE)) }
        h2 id="vans" { (t!(lang(), w::VANS)) }
        table id="van-stock" {
            thead { tr { @for c in w::VAN_COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for van in &report.vans {
                    @for p in &van.parts {
                        tr data-technician=(van.technician_id) data-sku=(p.line.sku) {
                            td { (name(&van.technician_id)) }
                            td { (p.line.sku) }
                            td class=(if p.below_minimum { "flag" } else { "" }) { (p.line.on_hand) }
                            td { (p.line.used) }
                            td { (p.line.old_parts_returned) }
                            td { (p.minimum.map_or("—".to_owned(), |m| m.to_string())) }
                            td { @match &p.line.last_count {
                                Some(c) if c.differs => span class="flag" { (c.counted) " ≠ " (c.ledger) " " (t!(lang(), w::DIFFERS)) },
                                Some(c) => (c.counted),
                                None => "—",
                            } }
                        }
                    }
                }
                @if report.vans.is_empty() { tr { td colspan="7" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
        form id="stock-minimum" class="card" method="post" action="/stock/minimums" {
            (csrf_field(&session))
            label { (t!(lang(), w::TECHNICIAN)) " " select name="technician_id" required {
                @for t in &techs { option value=(t.id) { (t.name) } }
            } }
            label { (t!(lang(), w::SKU)) " " input type="text" name="sku" required maxlength="64"; }
            label { (t!(lang(), w::MINIMUM)) " " input type="number" name="minimum" min="0" required; }
            button type="submit" { (t!(lang(), w::SET)) }
        }
        h2 id="replenishments" { (t!(lang(), w::REPLENISHMENTS)) }
        table id="replenishment-list" {
            thead { tr { @for c in w::REQUEST_COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for r in &requests {
                    tr data-id=(r.id) data-state=(r.state.as_str()) {
                        td { (name(&r.technician_id)) }
                        td { (r.sku) }
                        td { (r.quantity) }
                        td { (r.on_hand) " / " (r.minimum) }
                        td { (session.when(r.raised_at)) }
                        td { (t!(lang(), w::state(r.state))) }
                        td {
                            @let next = match r.state {
                                ReplenishmentState::Raised => Some(("approve", w::APPROVE)),
                                ReplenishmentState::Approved => Some(("issue", w::ISSUE)),
                                _ => None,
                            };
                            @if let Some((what, label)) = next {
                                form method="post" action={ "/stock/replenishments/" (r.id) "/" (what) } {
                                    (csrf_field(&session))
                                    button type="submit" { (t!(lang(), label)) }
                                }
                            }
                        }
                    }
                }
                @if requests.is_empty() { tr { td colspan="7" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
        h2 id="loaners" { (t!(lang(), w::LOANERS)) }
        table id="loaner-list" {
            thead { tr { @for c in w::LOANER_COLUMNS { th { (t!(lang(), c)) } } } }
            tbody {
                @for l in &loaners.loaners {
                    tr data-overdue=(l.overdue) {
                        td { a href={ "/jobs/" (l.work_order_id) } { (t!(lang(), w::JOB)) } }
                        td { (name(&l.technician_id)) }
                        td { (l.model) " · " (l.serial) }
                        td { (session.when(l.lent_at)) }
                        td class=(if l.overdue { "flag" } else { "" }) { (session.when(l.due_at)) }
                        td { @match l.returned_at {
                            Some(at) => (session.when(at)),
                            None if l.overdue => span class="flag" { (t!(lang(), w::OVERDUE)) },
                            None => (t!(lang(), w::OUT)),
                        } }
                    }
                }
                @if loaners.loaners.is_empty() { tr { td colspan="6" class="muted" { (t!(lang(), w::NONE)) } } }
            }
        }
    };
    Ok(private(page(
        &t!(lang(), w::TITLE),
        &session,
        "/stock",
        body,
    )))
}
