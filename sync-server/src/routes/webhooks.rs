//! Dispatcher routes of the completions feed (the admin token, like all of `/v1/admin`):
//! webhook subscriptions (create — the secret shown once —, list without secrets, delete,
//! redeliver the failed) and the server-sent events stream of completions.

use crate::msg;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::auth::Dispatcher;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::events::Live;
use crate::state::AppState;
use crate::storage::Storage;
use crate::storage::webhooks::{COMPLETED_EVENT, FeedEntry, NewWebhook, WebhookSummary};
use crate::webhooks::{CompletionData, WebhookPolicy, new_secret};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/webhooks", get(list).post(create))
        .route("/v1/admin/webhooks/{id}", axum::routing::delete(delete))
        .route("/v1/admin/webhooks/{id}/redeliver", post(redeliver))
        .route("/v1/admin/completions/stream", get(stream))
}

/// `POST /v1/admin/webhooks` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// `https://` (or `http://` to an address the server allows), where each event is
    /// POSTed.
    pub url: String,
    /// Event types; only `work_order.completed` today (the default).
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// The signing secret (16 to 256 characters); generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A created subscription: the only time its secret is shown.
#[derive(Debug, Deserialize, Serialize)]
pub struct CreatedSubscription {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: i64,
}

fn check_url(url: &str, policy: &WebhookPolicy) -> Result<String, ApiError> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| ApiError::BadRequest(msg!("err-webhook-url-invalid")))?;
    if url.len() > 2000
        || !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
    {
        return Err(ApiError::BadRequest(msg!("err-webhook-url")));
    }
    policy.check_url(&parsed).map_err(ApiError::BadRequest)?;
    Ok(url.to_owned())
}

async fn create(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiJson(req): ApiJson<NewSubscription>,
) -> Result<(StatusCode, Json<CreatedSubscription>), ApiError> {
    let url = check_url(&req.url, &s.webhook_policy)?;
    let events = req
        .events
        .unwrap_or_else(|| vec![COMPLETED_EVENT.to_owned()]);
    if events.is_empty() || events.iter().any(|e| e != COMPLETED_EVENT) {
        return Err(ApiError::BadRequest(msg!(
            "err-webhook-events",
            known = COMPLETED_EVENT
        )));
    }
    let secret = match req.secret {
        None => new_secret(),
        // Characters, as the document's minLength/maxLength count them.
        Some(v) if (16..=256).contains(&v.chars().count()) && !v.chars().any(char::is_control) => v,
        Some(_) => {
            return Err(ApiError::BadRequest(msg!("err-webhook-secret")));
        }
    };
    let w = NewWebhook {
        id: uuid::Uuid::now_v7().to_string(),
        url,
        events: vec![COMPLETED_EVENT.to_owned()],
        secret,
        created_at: s.clock.now_ms(),
    };
    s.storage.create_webhook(w.clone()).await?;
    tracing::info!(webhook = %w.id, "webhook subscription created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedSubscription {
            id: w.id,
            url: w.url,
            events: w.events,
            secret: w.secret,
            created_at: w.created_at,
        }),
    ))
}

async fn list(
    State(s): State<AppState>,
    _: Dispatcher,
) -> Result<Json<Vec<WebhookSummary>>, ApiError> {
    Ok(Json(s.storage.webhooks().await?))
}

async fn delete(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.storage.delete_webhook(id.clone()).await?;
    tracing::info!(webhook = %id, "webhook subscription deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/webhooks/{id}/redeliver` answer.
#[derive(Debug, Deserialize, Serialize)]
pub struct Requeued {
    pub requeued: i64,
}

async fn redeliver(
    State(s): State<AppState>,
    _: Dispatcher,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Requeued>, ApiError> {
    let requeued = s.storage.redeliver_failed(id, s.clock.now_ms()).await?;
    s.feed.completions_pushed();
    Ok(Json(Requeued { requeued }))
}

/// `GET /v1/admin/completions/stream` query: `after` is the same cursor as `Last-Event-ID`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    #[serde(default)]
    pub after: Option<i64>,
}

struct StreamState {
    storage: Arc<dyn Storage>,
    cursor: i64,
    buf: VecDeque<FeedEntry>,
    heads: broadcast::Receiver<Live>,
    closing: watch::Receiver<bool>,
}

fn event(e: &FeedEntry) -> Event {
    let data = serde_json::to_string(&CompletionData::from(&e.completion))
        .unwrap_or_else(|_| "{}".to_owned());
    Event::default()
        .id(e.seq.to_string())
        .event(COMPLETED_EVENT)
        .data(data)
}

/// Completions as they enter the feed; `id:` is the feed number, so a client reconnecting
/// with `Last-Event-ID` (or `?after=`) gets exactly what it missed, on whichever instance
/// (the feed is in storage; every instance is woken as it advances: [`crate::events`]).
/// Without either, the stream starts at the current end of the feed.
async fn stream(
    State(s): State<AppState>,
    _: Dispatcher,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::BadRequest(msg!("err-last-event-id")))?,
        ),
    };
    if q.after.is_some_and(|n| n < 0) {
        return Err(ApiError::BadRequest(msg!("err-after-negative")));
    }
    // Subscribed before reading, so nothing committed in between is missed.
    let heads = s.feed.subscribe();
    let cursor = match last.or(q.after) {
        Some(c) => c,
        None => s.storage.sync_feed(s.clock.now_ms()).await?,
    };
    let st = StreamState {
        storage: s.storage.clone(),
        cursor,
        buf: VecDeque::new(),
        heads,
        closing: s.feed.closing(),
    };
    let events = futures::stream::unfold(st, |mut st| async move {
        loop {
            if let Some(e) = st.buf.pop_front() {
                st.cursor = e.seq;
                return Some((Ok(event(&e)), st));
            }
            if *st.closing.borrow() {
                return None;
            }
            match st.storage.feed_after(st.cursor, 100).await {
                Ok(v) if !v.is_empty() => {
                    st.buf.extend(v);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    // The client reconnects with its Last-Event-ID.
                    tracing::warn!(error = %e, "completions stream: reading the feed failed");
                    return None;
                }
            }
            // Woken when the feed advances on any instance, or when this one may have
            // missed that (it re-reads from its cursor either way).
            loop {
                tokio::select! {
                    r = st.heads.recv() => match r {
                        Ok(Live::Job(_)) => continue,
                        Ok(Live::Feed(_) | Live::Resync) | Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = st.closing.changed() => return None,
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
