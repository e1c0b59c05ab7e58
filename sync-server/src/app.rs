//! The server's HTTP application: the two faces (the JSON routes, the dashboard's pages)
//! joined over one [`AppState`], and the layers every request goes through (body limit,
//! decompression, typed error bodies, compression, tracing).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::error::body_for_status;
use crate::state::AppState;

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .merge(crate::routes::routes())
        .merge(crate::dashboard::routes(state.dashboard.https))
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
