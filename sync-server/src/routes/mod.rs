//! The HTTP surface: shared state, the router (device routes, blob routes, dispatcher
//! routes, health, metrics, OpenAPI) and the layers every request goes through.

mod blobs;
mod device;
pub use device::now_ms;
pub mod dispatcher;
pub mod measures;
pub mod verify;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::auth::RateLimiter;
use crate::blobs::Blobs;
use crate::error::body_for_status;
use crate::metrics::Metrics;
use crate::push::PushPolicy;
use crate::storage::Storage;

/// Everything a handler may use.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// Wakes the signature-drawing check after a push stored a completion.
    pub drawings: crate::drawings::Drawings,
    pub blobs: Blobs,
    pub metrics: Arc<Metrics>,
    /// SHA-256 of the dispatcher's token.
    pub admin_token_hash: String,
    pub policy: PushPolicy,
    pub enroll_limiter: Arc<RateLimiter>,
    pub enrolment_code_ttl_minutes: i64,
    pub max_body_bytes: usize,
    /// Wakes the webhook worker after pushes; tells SSE streams about new completions.
    pub feed: Arc<crate::webhooks::Feed>,
    /// Tells the dashboard's open boards which jobs changed.
    pub board: Arc<crate::dashboard::BoardEvents>,
    /// The dashboard's settings.
    pub dashboard: crate::dashboard::Settings,
    pub login_limiter: Arc<RateLimiter>,
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
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
        .merge(webhooks::routes())
        .merge(verify::routes())
        .merge(crate::dashboard::routes())
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestDecompressionLayer::new())
        // Outside the decompression layer, so its own refusals (an unsupported
        // Content-Encoding: 415) get an Error body too; inside compression, so the body it
        // writes is compressed like any other.
        .layer(axum::middleware::map_response(typed_error_body))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: paths carry ids, never names, phones or addresses;
                // query strings and bodies are not logged.
                .make_span_with(|req: &Request<_>| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                }),
        )
}

/// Makes sure every 4xx/5xx has a JSON [`fieldkit_core::sync::protocol::ErrorBody`], also
/// those made by axum itself (unknown route, wrong method) or by a layer.
async fn typed_error_body(res: Response) -> Response {
    let status = res.status();
    // JSON bodies are typed already; the dashboard's error pages are HTML on purpose.
    let typed = res.headers().get(CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
    });
    if (status.is_client_error() || status.is_server_error()) && !typed {
        let (parts, _) = res.into_parts();
        let mut out = (status, axum::Json(body_for_status(status))).into_response();
        for (k, v) in parts.headers.iter() {
            if k != CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
                out.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return out;
    }
    res
}

async fn healthz(State(s): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(5), s.storage.health()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        _ => crate::error::ApiError::Internal("storage is not answering".into()).into_response(),
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    let mut r = s.metrics.render().into_response();
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
