//! The server's HTTP application: the two faces (the JSON routes, the dashboard's pages)
//! joined over one [`AppState`], and the layers every request goes through (the global
//! concurrency limit, the body timeout and limit, decompression, typed error bodies,
//! compression, tracing, `Connection: close` after a body left unread); and the metrics-only router of `--metrics-listen`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderValue;
use axum::http::Request;
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutBody;
use tower_http::trace::TraceLayer;

use crate::error::body_for_status;
use crate::limits::Limits;
use crate::state::AppState;

/// The router with every route and layer; a request body may pause at most `body_timeout`
/// (zero: no limit) between its chunks.
pub fn router(state: AppState, body_timeout: Duration) -> Router {
    let limit = state.max_body_bytes;
    let limits = state.limits.clone();
    Router::new()
        .merge(crate::routes::routes())
        .merge(crate::dashboard::routes(state.dashboard.https))
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_request(
            move |req: Request<Body>| async move {
                if body_timeout.is_zero() {
                    return req;
                }
                req.map(|b| Body::new(TimeoutBody::new(body_timeout, b)))
            },
        ))
        .layer(RequestDecompressionLayer::new())
        // Outside the decompression layer, so its own refusals (an unsupported
        // Content-Encoding: 415) get an Error body too; inside compression, so the body it
        // writes is compressed like any other.
        .layer(axum::middleware::map_response(typed_error_body))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(limits, at_most))
        .layer(axum::middleware::from_fn(close_unless_body_read))
        // Outermost but for tracing: every error body, page and refusal below is written in
        // the request's language.
        .layer(axum::middleware::from_fn(crate::i18n::scope))
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: paths carry ids, never names, phones or addresses;
                // query strings and bodies are not logged.
                .make_span_with(|req: &Request<_>| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                }),
        )
}

/// The global concurrency limit: a request over it is answered 503 with `Retry-After` at
/// once (a response being streamed no longer counts).
async fn at_most(State(limits): State<Arc<Limits>>, req: Request<Body>, next: Next) -> Response {
    match limits.requests.enter() {
        Ok(_held) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Answers `Connection: close` to a request whose body was not read to its end (refused
/// before it was read: a 401, a 413, a bad path), so the client does not send its next
/// request on a connection the server is about to close; the serving loop reads and throws
/// away the rest before closing (see `serve::linger`).
async fn close_unless_body_read(req: Request<Body>, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let read = Arc::new(AtomicBool::new(false));
    let req = req.map(|inner| {
        Body::new(ReadToEnd {
            inner,
            read: read.clone(),
        })
    });
    let mut res = next.run(req).await;
    if !read.load(Ordering::Acquire) {
        res.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// A request body that notes when it has been read to its end.
struct ReadToEnd {
    inner: Body,
    read: Arc<AtomicBool>,
}

impl http_body::Body for ReadToEnd {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Release);
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Only `GET /metrics`, without a token: for `--metrics-listen` (a private address).
pub fn metrics_router(metrics: Arc<crate::metrics::Metrics>) -> Router {
    Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { crate::routes::metrics_text(&metrics) }
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
