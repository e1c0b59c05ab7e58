//! Dispatcher routes of the quality measures (the admin bearer token, like all of
//! `/v1/admin`): the measures of a period and the daily work report, as JSON or CSV
//! ([`crate::desk::measures`] reads the queries), and the desk's record that a complaint was
//! handled; the money reports (cash hand-ins and the day's reconciliation, invoices to
//! follow and the desk's record that one was issued); the SLA table (the version in force
//! and its history, a new version) and the jobs at risk.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fieldkit_core::model::WorkOrderId;
use serde::{Deserialize, Serialize};

use crate::auth::Dispatcher;
use crate::desk;
use crate::desk::audit::{Actor, ClientAddr};
use crate::desk::cash::{CashQuery, NewCashHandIn};
use crate::desk::invoices::{InvoiceQuery, InvoiceReport, InvoiceRow, IssueInvoice};
use crate::desk::measures::{DailyQuery, Format, MeasuresQuery, csv_response, daily, measures};
use crate::desk::sla::AtRiskReport;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::measures::cash::CashReconciliation;
use crate::measures::csv as measures_csv_of;
use crate::records::CashHandIn;
use crate::sla::{PutSla, SlaOverview, SlaVersion};
use crate::state::AppState;

/// The measures routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/measures", get(measures_json))
        .route("/v1/admin/measures.csv", get(measures_csv))
        .route("/v1/admin/reports/daily", get(daily_json))
        .route("/v1/admin/reports/daily.csv", get(daily_csv))
        .route(
            "/v1/admin/work-orders/{id}/complaint-handled",
            post(complaint_handled),
        )
        .route("/v1/admin/cash-handins", post(cash_handin))
        .route("/v1/admin/reports/cash", get(cash_json))
        .route("/v1/admin/work-orders/{id}/invoice", post(issue_invoice))
        .route("/v1/admin/reports/invoices", get(invoices_json))
        .route("/v1/admin/sla", get(sla_get).put(sla_put))
        .route("/v1/admin/at-risk", get(at_risk_json))
        .route("/v1/admin/stock", get(stock_json))
        .route(
            "/v1/admin/stock/minimums",
            axum::routing::put(stock_minimum),
        )
        .route("/v1/admin/stock/replenishments", get(replenishments_json))
        .route(
            "/v1/admin/stock/replenishments/{id}/approve",
            post(replenishment_approve),
        )
        .route(
            "/v1/admin/stock/replenishments/{id}/issue",
            post(replenishment_issue),
        )
        .route("/v1/admin/stock/loaners", get(loaners_json))
}

/// `?technician=…`: one van, or (absent) every van.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VanQuery {
    technician: Option<String>,
}

/// `GET /v1/admin/stock`: the warehouse view per van and per part.
async fn stock_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<VanQuery>,
) -> Result<Json<desk::spares::StockReport>, ApiError> {
    Ok(Json(desk::spares::stock(&s, q.technician).await?))
}

/// `PUT /v1/admin/stock/minimums`: a van's minimum level of a part (audited).
async fn stock_minimum(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(m): ApiJson<crate::spares::StockMinimum>,
) -> Result<Json<crate::spares::StockMinimum>, ApiError> {
    Ok(Json(
        desk::spares::set_minimum(&s, &Actor::admin_token(from), m).await?,
    ))
}

/// `GET /v1/admin/stock/replenishments`: the requests, the newest first.
async fn replenishments_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<VanQuery>,
) -> Result<Json<desk::spares::Replenishments>, ApiError> {
    Ok(Json(desk::spares::Replenishments {
        replenishments: s.storage.replenishments(q.technician).await?,
    }))
}

/// `POST /v1/admin/stock/replenishments/{id}/approve` (audited).
async fn replenishment_approve(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<crate::spares::Replenishment>, ApiError> {
    Ok(Json(
        desk::spares::approve(&s, &Actor::admin_token(from), id).await?,
    ))
}

/// `POST /v1/admin/stock/replenishments/{id}/issue`: the van pulls it (audited).
async fn replenishment_issue(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<crate::spares::Replenishment>, ApiError> {
    Ok(Json(
        desk::spares::issue(&s, &Actor::admin_token(from), id).await?,
    ))
}

/// `GET /v1/admin/stock/loaners`: loaners out and returned, overdue first.
async fn loaners_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<VanQuery>,
) -> Result<Json<desk::spares::Loaners>, ApiError> {
    Ok(Json(desk::spares::loaners(&s, q.technician).await?))
}

/// `GET /v1/admin/sla`: the SLA version in force and every version set, newest first.
async fn sla_get(State(s): State<AppState>, _: Dispatcher) -> Result<Json<SlaOverview>, ApiError> {
    Ok(Json(desk::sla::overview(&s).await?))
}

/// `PUT /v1/admin/sla`: a new version of the whole table (audited); the old ones are kept.
async fn sla_put(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<PutSla>,
) -> Result<Json<SlaVersion>, ApiError> {
    Ok(Json(
        desk::sla::put(&s, &Actor::admin_token(from), req).await?,
    ))
}

/// `GET /v1/admin/at-risk`: the open jobs at risk of missing their limits now, and why.
async fn at_risk_json(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<AtRiskReport>, ApiError> {
    Ok(Json(desk::sla::at_risk(&s).await?))
}

/// `POST /v1/admin/work-orders/{id}/invoice`: the desk records the invoice of one of the
/// job's settlements as issued (audited).
async fn issue_invoice(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(req): ApiJson<IssueInvoice>,
) -> Result<(StatusCode, Json<InvoiceRow>), ApiError> {
    let row = desk::invoices::issue(&s, &Actor::admin_token(from), id, req).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// `GET /v1/admin/reports/invoices?status=`: settlements with an invoice to follow and where
/// each invoice stands.
async fn invoices_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> Result<Json<InvoiceReport>, ApiError> {
    Ok(Json(desk::invoices::report(&s, &q).await?))
}

/// `POST /v1/admin/cash-handins`: the desk records cash a technician handed in (audited).
async fn cash_handin(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(h): ApiJson<NewCashHandIn>,
) -> Result<(StatusCode, Json<CashHandIn>), ApiError> {
    let rec = desk::cash::record_handin(&s, &Actor::admin_token(from), h).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// `GET /v1/admin/reports/cash?date=`: the day's cash reconciliation per technician.
async fn cash_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<CashQuery>,
) -> Result<Json<CashReconciliation>, ApiError> {
    Ok(Json(desk::cash::reconciliation(&s, &q).await?))
}

async fn measures_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> Result<Response, ApiError> {
    let m = measures(&s, &q).await?;
    Ok(match q.format {
        Format::Json => Json(m).into_response(),
        Format::Csv => csv_response(measures_csv_of::measures(&m), "measures.csv"),
    })
}

async fn measures_csv(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> Result<Response, ApiError> {
    let m = measures(&s, &q).await?;
    Ok(csv_response(measures_csv_of::measures(&m), "measures.csv"))
}

async fn daily_json(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> Result<Response, ApiError> {
    let r = daily(&s, &q).await?;
    Ok(match q.format {
        Format::Json => Json(r).into_response(),
        Format::Csv => csv_response(measures_csv_of::daily(&r), "daily-report.csv"),
    })
}

async fn daily_csv(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> Result<Response, ApiError> {
    let r = daily(&s, &q).await?;
    Ok(csv_response(measures_csv_of::daily(&r), "daily-report.csv"))
}

/// `POST /v1/admin/work-orders/{id}/complaint-handled` answer.
#[derive(Debug, Deserialize, Serialize)]
pub struct ComplaintHandled {
    pub work_order_id: WorkOrderId,
    /// When it was first recorded as handled (ms): the time the measures use.
    pub handled_at: i64,
}

async fn complaint_handled(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
) -> Result<Json<ComplaintHandled>, ApiError> {
    let handled_at = desk::complaint_handled(&s, &Actor::admin_token(from), id).await?;
    Ok(Json(ComplaintHandled {
        work_order_id: id,
        handled_at,
    }))
}
