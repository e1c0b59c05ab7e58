//! Dispatcher routes of technicians as people (the admin bearer token): a technician's
//! profile, read and saved, and the technicians suggested for a job
//! ([`crate::desk::people`]).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use fieldkit_core::model::WorkOrderId;

use crate::auth::Dispatcher;
use crate::desk::audit::{Actor, ClientAddr};
use crate::desk::people;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::people::suggest::Suggestion;
use crate::people::{PutProfile, TechnicianProfile};
use crate::state::AppState;

/// The people routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/technicians/{id}/profile",
            get(profile_get).put(profile_put),
        )
        .route("/v1/admin/work-orders/{id}/suggestions", get(suggestions))
}

/// `GET /v1/admin/technicians/{id}/profile`.
async fn profile_get(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TechnicianProfile>, ApiError> {
    Ok(Json(people::profile(&s, &id).await?))
}

/// `PUT /v1/admin/technicians/{id}/profile`: the whole profile (audited).
async fn profile_put(
    State(s): State<AppState>,
    _: Dispatcher,
    ClientAddr(from): ClientAddr,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PutProfile>,
) -> Result<Json<TechnicianProfile>, ApiError> {
    Ok(Json(
        people::put_profile(&s, &Actor::admin_token(from), &id, req).await?,
    ))
}

/// `GET /v1/admin/work-orders/{id}/suggestions`: every technician ranked for the job.
async fn suggestions(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<WorkOrderId>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    Ok(Json(people::suggestions(&s, id).await?))
}
