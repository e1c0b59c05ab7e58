//! Dispatcher routes of complaints and callbacks (the admin bearer token, like all of
//! `/v1/admin`): taking a complaint in, the queue with its measures, one complaint, its
//! changes (assess, extend, resolve, report the result), the holiday calendar the due times
//! count on; the callback rules, the callback queue, one callback and its calls
//! ([`crate::desk::complaints`] and [`crate::desk::callbacks`] hold the rules).

use crate::msg::Thing;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::auth::Dispatcher;
use crate::callbacks::{Callback, CallbackRules};
use crate::complaints::{Change, Complaint};
use crate::desk::audit::{Actor, ClientAddr};
use crate::desk::callbacks::{self, CallbackQuery, CallbackQueue, RecordCall, RulesInForce};
use crate::desk::complaints::calendar::{self, CalendarInForce};
use crate::desk::complaints::{
    self, Assess, ComplaintQueue, Extend, NewComplaint, QueueQuery, ReportResult, Resolve,
};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// The complaint routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/complaints", get(queue).post(take_in))
        .route("/v1/admin/complaints/{id}", get(one))
        .route("/v1/admin/complaints/{id}/assess", post(assess))
        .route("/v1/admin/complaints/{id}/extend", post(extend))
        .route("/v1/admin/complaints/{id}/resolve", post(resolve))
        .route("/v1/admin/complaints/{id}/report", post(report))
        .route(
            "/v1/admin/holiday-calendar",
            get(calendar_get).put(calendar_put),
        )
        .route("/v1/admin/callback-rules", get(rules_get).put(rules_put))
        .route("/v1/admin/callbacks", get(callback_queue))
        .route("/v1/admin/callbacks/{id}", get(callback_one))
        .route("/v1/admin/callbacks/{id}/calls", post(callback_call))
}

/// `POST /v1/admin/complaints`: the desk takes in a complaint (audited).
async fn take_in(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(n): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<Complaint>), ApiError> {
    let c = complaints::take_in(&s, &Actor::admin_token(from), n).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `GET /v1/admin/complaints?status=`: the queue and the measures.
async fn queue(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<ComplaintQueue>, ApiError> {
    Ok(Json(complaints::queue(&s, q).await?))
}

/// `GET /v1/admin/complaints/{id}`.
async fn one(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Complaint>, ApiError> {
    s.storage
        .complaint(id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound(Thing::Complaint))
}

async fn apply(
    s: &AppState,
    from: String,
    id: &str,
    revision: Option<u32>,
    change: Change,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        complaints::change(s, &Actor::admin_token(from), id, revision, change).await?,
    ))
}

/// `POST /v1/admin/complaints/{id}/assess`.
async fn assess(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(a): ApiJson<Assess>,
) -> Result<Json<Complaint>, ApiError> {
    let change = Change::Assess {
        valid: a.valid,
        cause: a.cause,
        responsible: a.responsible,
        technician_id: a.technician_id,
    };
    apply(&s, from, &id, a.revision, change).await
}

/// `POST /v1/admin/complaints/{id}/extend`.
async fn extend(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(e): ApiJson<Extend>,
) -> Result<Json<Complaint>, ApiError> {
    let (revision, change) = complaints::extend_change(e)?;
    apply(&s, from, &id, revision, change).await
}

/// `POST /v1/admin/complaints/{id}/resolve`.
async fn resolve(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(r): ApiJson<Resolve>,
) -> Result<Json<Complaint>, ApiError> {
    let change = Change::Resolve { text: r.resolution };
    apply(&s, from, &id, r.revision, change).await
}

/// `POST /v1/admin/complaints/{id}/report`.
async fn report(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(r): ApiJson<ReportResult>,
) -> Result<Json<Complaint>, ApiError> {
    let change = Change::Report {
        opinion: r.opinion,
        note: r.note,
    };
    apply(&s, from, &id, r.revision, change).await
}

/// `GET /v1/admin/holiday-calendar`: the calendar in force.
async fn calendar_get(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<CalendarInForce>, ApiError> {
    Ok(Json(calendar::in_force(&s).await?))
}

/// `PUT /v1/admin/holiday-calendar`: the desk uploads a calendar (audited).
async fn calendar_put(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> Result<Json<CalendarInForce>, ApiError> {
    Ok(Json(
        calendar::upload(&s, &Actor::admin_token(from), doc).await?,
    ))
}

/// `GET /v1/admin/callback-rules`: the rules in force.
async fn rules_get(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<RulesInForce>, ApiError> {
    Ok(Json(callbacks::rules(&s).await?))
}

/// `PUT /v1/admin/callback-rules`: new rules (audited).
async fn rules_put(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(r): ApiJson<CallbackRules>,
) -> Result<Json<RulesInForce>, ApiError> {
    Ok(Json(
        callbacks::set_rules(&s, &Actor::admin_token(from), r).await?,
    ))
}

/// `GET /v1/admin/callbacks?status=`: the queue (the jobs to call back picked first).
async fn callback_queue(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> Result<Json<CallbackQueue>, ApiError> {
    Ok(Json(callbacks::queue(&s, q).await?))
}

/// `GET /v1/admin/callbacks/{id}`.
async fn callback_one(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Callback>, ApiError> {
    s.storage
        .callback(id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound(Thing::Callback))
}

/// `POST /v1/admin/callbacks/{id}/calls`: one call's outcome (audited).
async fn callback_call(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(call): ApiJson<RecordCall>,
) -> Result<Json<Callback>, ApiError> {
    Ok(Json(
        callbacks::record_call(&s, &Actor::admin_token(from), &id, call).await?,
    ))
}
