//! Dispatcher routes under `/v1/admin` (the admin bearer token, an administrator's; device
//! tokens get 403): technicians, desk accounts and the audit log, enrolment codes, devices,
//! work orders, completions, reference data. Every change goes through the desk and is
//! written to the audit log as done by `admin-token` from the caller's address.

use crate::msg;
use crate::msg::Thing;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use fieldkit_core::model::{DeviceId, FeeSchedule, Part, TimeWindow, WorkOrderId};
use fieldkit_core::sync::protocol::Change;
use serde::{Deserialize, Serialize};

use crate::auth::Dispatcher;
use crate::desk::audit::{Actor, ClientAddr};
use crate::desk::links::{self, JobWithChain, NewChildJob};
use crate::desk::{
    self, MAX_CODE_MINUTES, NewWorkOrder, accounts, text, validated_order, window_ok,
};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::push::CompletionState;
use crate::records::{AuditEntry, DispatcherAccount, Role};
use crate::state::AppState;
use crate::storage::{Completion, DeviceRecord, JobChange, JobRecord, Ruling, Technician};

/// The dispatcher routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/technicians",
            get(list_technicians).post(create_technician),
        )
        .route(
            "/v1/admin/dispatchers",
            get(list_dispatchers).post(create_dispatcher),
        )
        .route(
            "/v1/admin/dispatchers/{id}/disable",
            post(disable_dispatcher),
        )
        .route("/v1/admin/dispatchers/{id}/enable", post(enable_dispatcher))
        .route("/v1/admin/audit-log", get(audit_log))
        .route("/v1/admin/enrolment-codes", post(create_code))
        .route("/v1/admin/enrolment-codes/{id}/revoke", post(revoke_code))
        .route("/v1/admin/devices", get(list_devices))
        .route("/v1/admin/devices/{id}/revoke", post(revoke_device))
        .route(
            "/v1/admin/work-orders",
            get(list_work_orders).post(create_work_order),
        )
        .route("/v1/admin/work-orders/{id}", get(get_work_order))
        .route("/v1/admin/work-orders/{id}/assign", post(assign))
        .route("/v1/admin/work-orders/{id}/reschedule", post(reschedule))
        .route("/v1/admin/work-orders/{id}/cancel", post(cancel))
        .route("/v1/admin/work-orders/{id}/children", post(create_child))
        .route("/v1/admin/completions", get(completions))
        .route(
            "/v1/admin/work-orders/{id}/completion",
            post(rule_on_completion),
        )
        .route("/v1/admin/templates", post(publish_template))
        .route("/v1/admin/fee-schedules", post(publish_fees))
        .route("/v1/admin/parts", post(publish_part))
}

/// `POST /v1/admin/technicians` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewTechnician {
    pub name: String,
}

async fn create_technician(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<NewTechnician>,
) -> Result<(StatusCode, Json<Technician>), ApiError> {
    let t = desk::add_technician(&s, &Actor::admin_token(from), &req.name).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

async fn list_technicians(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<Vec<Technician>>, ApiError> {
    Ok(Json(s.storage.technicians().await?))
}

/// `POST /v1/admin/dispatchers` body: a dashboard login.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewDispatcher {
    pub login: String,
    pub password: String,
    /// `dispatcher` (the default) or `administrator`.
    #[serde(default)]
    pub role: Option<Role>,
}

/// A dashboard login as created or listed (never the password).
#[derive(Debug, Deserialize, Serialize)]
pub struct DispatcherCreated {
    pub id: String,
    pub login: String,
    pub role: Role,
    pub created_at: i64,
    /// When it was disabled; `null`: active.
    pub disabled_at: Option<i64>,
}

impl From<DispatcherAccount> for DispatcherCreated {
    fn from(a: DispatcherAccount) -> Self {
        Self {
            id: a.id,
            login: a.login,
            role: a.role,
            created_at: a.created_at,
            disabled_at: a.disabled_at,
        }
    }
}

async fn create_dispatcher(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<NewDispatcher>,
) -> Result<(StatusCode, Json<DispatcherCreated>), ApiError> {
    let role = req.role.unwrap_or(Role::Dispatcher);
    let a = accounts::create_account(
        &s,
        &Actor::admin_token(from),
        &req.login,
        req.password,
        role,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

async fn list_dispatchers(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<Vec<DispatcherCreated>>, ApiError> {
    let list = s.storage.dispatchers().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

async fn disable_dispatcher(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    accounts::set_disabled(&s, &Actor::admin_token(from), &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_dispatcher(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    accounts::set_disabled(&s, &Actor::admin_token(from), &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/admin/audit-log` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// 1 to 1000 (default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

async fn audit_log(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(msg!("err-limit-range", max = 1000)));
    }
    Ok(Json(s.storage.audit_log(limit).await?))
}

/// `POST /v1/admin/enrolment-codes` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnrolmentCode {
    pub technician_id: String,
    /// Minutes the code stays valid (default: the server's setting; 1 to 10080).
    #[serde(default)]
    pub valid_minutes: Option<i64>,
}

/// A one-time enrolment code, shown once.
#[derive(Debug, Deserialize, Serialize)]
pub struct EnrolmentCode {
    /// What the desk revokes it by (`POST /v1/admin/enrolment-codes/{id}/revoke`).
    pub id: String,
    pub code: String,
    pub technician_id: String,
    pub expires_at: i64,
}

async fn create_code(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<NewEnrolmentCode>,
) -> Result<(StatusCode, Json<EnrolmentCode>), ApiError> {
    let minutes = req.valid_minutes.unwrap_or(s.enrolment_code_ttl_minutes);
    if !(1..=MAX_CODE_MINUTES).contains(&minutes) {
        return Err(ApiError::BadRequest(msg!("err-valid-minutes")));
    }
    let by = Actor::admin_token(from);
    let issued = desk::issue_enrolment_code(&s, &by, &req.technician_id, minutes).await?;
    Ok((
        StatusCode::CREATED,
        Json(EnrolmentCode {
            id: issued.id,
            code: issued.code,
            technician_id: req.technician_id,
            expires_at: issued.expires_at,
        }),
    ))
}

async fn revoke_code(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> Result<StatusCode, ApiError> {
    desk::revoke_enrolment_code(&s, &Actor::admin_token(from), &id.to_string()).await?;
    tracing::info!(code = %id, "enrolment code revoked");
    Ok(StatusCode::NO_CONTENT)
}

async fn list_devices(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<Vec<DeviceRecord>>, ApiError> {
    Ok(Json(s.storage.devices().await?))
}

async fn revoke_device(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<DeviceId>,
) -> Result<StatusCode, ApiError> {
    desk::revoke_device(&s, &Actor::admin_token(from), id).await?;
    tracing::info!(device = %id, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

async fn create_work_order(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<NewWorkOrder>,
) -> Result<(StatusCode, Json<JobRecord>), ApiError> {
    let technician_id = req.technician_id.clone();
    let order = validated_order(req)?;
    let job = desk::create_job(&s, &Actor::admin_token(from), order, technician_id).await?;
    tracing::info!(work_order = %job.order.id, "work order created");
    Ok((StatusCode::CREATED, Json(job)))
}

/// `GET /v1/admin/work-orders` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderFilter {
    #[serde(default)]
    pub technician_id: Option<String>,
}

async fn list_work_orders(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(f): ApiQuery<WorkOrderFilter>,
) -> Result<Json<Vec<JobRecord>>, ApiError> {
    Ok(Json(s.storage.work_orders(f.technician_id).await?))
}

async fn get_work_order(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<WorkOrderId>,
) -> Result<Json<JobWithChain>, ApiError> {
    let job = s
        .storage
        .work_order(id)
        .await?
        .ok_or(ApiError::NotFound(Thing::WorkOrder))?;
    Ok(Json(links::chain(&s, job).await?))
}

/// `POST /v1/admin/work-orders/{id}/children`: a job made from this one, in one call.
async fn create_child(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(req): ApiJson<NewChildJob>,
) -> Result<(StatusCode, Json<JobWithChain>), ApiError> {
    let child = links::create_child(&s, &Actor::admin_token(from), id, req).await?;
    Ok((StatusCode::CREATED, Json(child)))
}

/// `POST /v1/admin/work-orders/{id}/assign` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    pub technician_id: String,
}

async fn assign(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(req): ApiJson<Assign>,
) -> Result<Json<JobRecord>, ApiError> {
    let job = desk::change_job(
        &s,
        &Actor::admin_token(from),
        id,
        JobChange::Assign {
            technician_id: req.technician_id,
        },
    )
    .await?;
    Ok(Json(job))
}

/// `POST /v1/admin/work-orders/{id}/reschedule` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub promised: TimeWindow,
}

async fn reschedule(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(req): ApiJson<Reschedule>,
) -> Result<Json<JobRecord>, ApiError> {
    window_ok(&req.promised)?;
    let job = desk::change_job(
        &s,
        &Actor::admin_token(from),
        id,
        JobChange::Reschedule {
            window: req.promised,
        },
    )
    .await?;
    Ok(Json(job))
}

/// `POST /v1/admin/work-orders/{id}/cancel` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub reason: String,
}

async fn cancel(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(req): ApiJson<Cancel>,
) -> Result<Json<JobRecord>, ApiError> {
    let reason = text("reason", &req.reason, 500)?;
    let by = Actor::admin_token(from);
    let job = desk::change_job(&s, &by, id, JobChange::Cancel { reason }).await?;
    Ok(Json(job))
}

/// `GET /v1/admin/completions` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionsQuery {
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only completions in this state (`checking`, `counted`, `held`, `released`, `rejected`,
    /// `conflict`).
    #[serde(default)]
    pub state: Option<String>,
}

async fn completions(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiQuery(q): ApiQuery<CompletionsQuery>,
) -> Result<Json<Vec<Completion>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(msg!("err-limit-range", max = 1000)));
    }
    let state = match q.state.as_deref() {
        None => None,
        Some(name) => Some(
            CompletionState::parse(name)
                .ok_or_else(|| ApiError::BadRequest(msg!("err-completion-state")))?,
        ),
    };
    Ok(Json(s.storage.completions(state, limit).await?))
}

/// `POST /v1/admin/work-orders/{id}/completion` body: the desk's ruling on the job's held
/// completion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOnCompletion {
    /// `release` (it counts after all) or `reject` (it never counts).
    pub ruling: Ruling,
    /// Why (required, 1–500 characters; kept in the audit log).
    pub note: String,
}

async fn rule_on_completion(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<WorkOrderId>,
    ApiJson(body): ApiJson<RuleOnCompletion>,
) -> Result<Json<Completion>, ApiError> {
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::BadRequest(msg!("err-note-length")));
    }
    let c = desk::decide(&s, &Actor::admin_token(from), id, body.ruling, note).await?;
    Ok(Json(c))
}

/// `POST /v1/admin/templates` body: a checklist template (validated before it is published).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishTemplate {
    pub template: serde_json::Value,
}

/// The server sequence number of a published change.
#[derive(Debug, Deserialize, Serialize)]
pub struct Published {
    pub seq: i64,
}

async fn publish_template(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<PublishTemplate>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let json = req.template.to_string();
    fieldkit_core::checklist::Template::from_json(&json)
        .map_err(|e| ApiError::BadRequest(msg!("err-template-invalid").detail(e.to_string())))?;
    let by = Actor::admin_token(from);
    let seq = desk::publish(&s, &by, Change::ChecklistTemplate { json }).await?;
    Ok((StatusCode::CREATED, Json(Published { seq })))
}

/// `POST /v1/admin/fee-schedules` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFees {
    pub fee_schedule: FeeSchedule,
}

async fn publish_fees(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<PublishFees>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let f = req.fee_schedule;
    if f.items.is_empty() || f.items.iter().any(|i| i.amount < 0) {
        return Err(ApiError::BadRequest(msg!("err-fee-schedule")));
    }
    let by = Actor::admin_token(from);
    let seq = desk::publish(&s, &by, Change::FeeSchedule { fee_schedule: f }).await?;
    Ok((StatusCode::CREATED, Json(Published { seq })))
}

/// `POST /v1/admin/parts` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishPart {
    pub part: Part,
}

async fn publish_part(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<PublishPart>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let p = req.part;
    let part = Part {
        sku: text("sku", &p.sku, 64)?,
        name: text("part name", &p.name, 200)?,
        unit: text("unit", &p.unit, 16)?,
    };
    let by = Actor::admin_token(from);
    let seq = desk::publish(&s, &by, Change::CatalogPart { part }).await?;
    Ok((StatusCode::CREATED, Json(Published { seq })))
}
