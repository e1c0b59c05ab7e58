//! The JSON face: the device sync protocol (enrolment, push, pull, blobs), the dispatcher
//! API under `/v1/admin`, the public verify page, and health, metrics and the OpenAPI
//! document. Handlers parse and answer; what the desk does lives in [`crate::desk`].

mod blobs;
mod complaints;
mod device;
mod dispatcher;
mod measures;
mod people;
mod tools;
mod verify;
mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// Every JSON route (the layers are added by [`crate::app::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/enroll", post(device::enroll))
        .route("/v1/push", post(device::push))
        .route("/v1/pull", get(device::pull))
        .route("/v1/blobs/missing", post(blobs::missing))
        .route(
            "/v1/blobs/{sha256}",
            get(blobs::status)
                .head(blobs::status_head)
                .put(blobs::upload),
        )
        .merge(dispatcher::routes())
        .merge(measures::routes())
        .merge(people::routes())
        .merge(tools::routes())
        .merge(complaints::routes())
        .merge(webhooks::routes())
        .merge(verify::routes())
}

async fn healthz(State(s): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(5), s.storage.health()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        _ => crate::error::ApiError::Internal("storage is not answering".into()).into_response(),
    }
}

/// Ready for new requests: storage answers (within 5 s) and the instance is not draining;
/// 503 otherwise (a load balancer sends it nothing new).
async fn readyz(State(s): State<AppState>) -> Response {
    // A bare 503: the shared layers give it the typed body (code `unavailable`).
    if s.instance.draining() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match tokio::time::timeout(Duration::from_secs(5), s.storage.health()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `GET /metrics` on the public address: the dispatcher's token only (`--metrics-listen`
/// serves it without one on a private address).
async fn metrics(State(s): State<AppState>, _: crate::auth::Dispatcher) -> Response {
    metrics_text(&s.metrics)
}

/// The Prometheus text exposition as a response.
pub fn metrics_text(m: &crate::metrics::Metrics) -> Response {
    let mut r = m.render().into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

async fn openapi() -> Response {
    let mut r = crate::openapi::DOCUMENT.into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
