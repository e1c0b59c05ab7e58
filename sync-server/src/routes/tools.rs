//! Dispatcher routes of registered tools (004 二 第14条; the admin bearer token): issue a tool
//! to a technician, list them, record a return or a loss ([`crate::desk::tools`]).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::auth::Dispatcher;
use crate::desk::audit::{Actor, ClientAddr};
use crate::desk::tools;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::tools::{IssueTool, ReportLoss, Tool};

/// The tools routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/tools", get(list).post(issue))
        .route("/v1/admin/tools/{id}/return", post(return_tool))
        .route("/v1/admin/tools/{id}/lost", post(lost))
}

/// `?technician=`: one technician's tools.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolQuery {
    technician: Option<String>,
}

/// `GET /v1/admin/tools` answer.
#[derive(Debug, Serialize)]
struct Tools {
    tools: Vec<Tool>,
}

/// `POST /v1/admin/tools`: 201 with the tool.
async fn issue(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<IssueTool>,
) -> Result<(StatusCode, Json<Tool>), ApiError> {
    let tool = tools::issue(&s, &Actor::admin_token(from), req).await?;
    Ok((StatusCode::CREATED, Json(tool)))
}

/// `GET /v1/admin/tools?technician=…`.
async fn list(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<ToolQuery>,
) -> Result<Json<Tools>, ApiError> {
    Ok(Json(Tools {
        tools: tools::list(&s, q.technician).await?,
    }))
}

/// `POST /v1/admin/tools/{id}/return`.
async fn return_tool(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Tool>, ApiError> {
    Ok(Json(
        tools::return_tool(&s, &Actor::admin_token(from), &id).await?,
    ))
}

/// `POST /v1/admin/tools/{id}/lost` with `{"report": "…", "happened_at": ms}`.
async fn lost(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReportLoss>,
) -> Result<Json<Tool>, ApiError> {
    Ok(Json(
        tools::report_lost(&s, &Actor::admin_token(from), &id, req).await?,
    ))
}
