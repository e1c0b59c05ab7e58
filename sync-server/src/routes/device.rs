//! Device routes: enrolment, push, pull.

use crate::msg;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use fieldkit_core::sync::protocol::{
    Change, DEFAULT_PULL_LIMIT, EnrollRequest, EnrollResponse, MAX_PULL_LIMIT, MAX_PUSH_OPS,
    PullQuery, PullResponse, PushRequest, PushResponse,
};

use crate::auth::{ClientAddr, Device, hash_secret, normalize_code};
use crate::device_keys;
use crate::error::{ApiError, ApiJson, ApiQuery, body_refused, json_from_bytes, require_json};
use crate::push::Batch;
use crate::state::AppState;
use crate::storage::enrolment::Enrolment;

/// `POST /v1/enroll`.
pub async fn enroll(
    State(s): State<AppState>,
    client: ClientAddr,
    body: Result<ApiJson<EnrollRequest>, ApiError>,
) -> Result<Json<EnrollResponse>, ApiError> {
    // Counted before the body is even read: guessing codes is what the limit stops.
    if !s.enroll_limiter.allow(client.key()).await {
        return Err(ApiError::TooManyRequests);
    }
    let ApiJson(req) = body?;
    let code = normalize_code(&req.code)
        .ok_or(ApiError::Unauthorized(msg!("err-enrolment-code-invalid")))?;
    device_keys::check_enrolment(&req)?;
    let code_hash = hash_secret(&code);
    // Derived, not drawn: a repeat of this enrolment (its answer was lost) gets this token
    // again, and nothing the device already holds stops working.
    let token = device_keys::derive_token(&s.token_key, &code_hash, req.device_id, &req.public_key);
    let technician_id = s
        .storage
        .enroll(Enrolment {
            code_hash,
            device_id: req.device_id,
            public_key: req.public_key.clone(),
            token_hash: hash_secret(&token),
            now: s.clock.now_ms(),
        })
        .await?;
    s.metrics.record_enrolment();
    tracing::info!(device = %req.device_id, "device enrolled");
    // The enrolment stands without the card (the next pull brings it).
    let card = crate::desk::card::card(&s, &technician_id)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "no technician card with the enrolment");
            None
        });
    Ok(Json(EnrollResponse {
        device_id: req.device_id,
        technician_id,
        token,
        card,
        accepts: accepts(),
    }))
}

/// Request header of a push: the device's wall clock when it sent, in ms since the epoch
/// (optional; a clock further than the threshold from the server's is flagged).
pub const DEVICE_TIME_HEADER: &str = "fieldkit-device-time";

/// `POST /v1/push`: the device's token, its rate (over it a 429), then its key's signature
/// over the exact body (401), then the body; the writer's queue full is a 503 (429 and 503
/// with `Retry-After`; nothing was stored).
pub async fn push(
    State(s): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    s.limits.devices.take(&device.id.to_string())?;
    let started = Instant::now();
    require_json(&headers)?;
    let body = body.map_err(body_refused)?;
    device_keys::check_push(&device, &headers, &body)?;
    let req: PushRequest = json_from_bytes(&body)?;
    let sent_at = match headers.get(DEVICE_TIME_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(msg!("err-device-time", header = DEVICE_TIME_HEADER))
                })?,
        ),
    };
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::PayloadTooLarge(msg!(
            "err-push-too-many-ops",
            max = MAX_PUSH_OPS
        )));
    }
    if let Some((i, field, max)) = req
        .ops
        .iter()
        .enumerate()
        .find_map(|(i, op)| envelope_too_long(op).map(|(field, max)| (i, field, max)))
    {
        return Err(ApiError::BadRequest(msg!(
            "err-op-field-length",
            op = i,
            field = field,
            max = max
        )));
    }
    if req.ops.windows(2).any(|w| w[1].seq <= w[0].seq) {
        return Err(ApiError::BadRequest(msg!("err-ops-order")));
    }
    let n = req.ops.len();
    // The bodies' hashes need no lock: done first, off the async workers.
    let completes = req.ops.iter().any(|op| op.kind == "complete");
    let moves_stock = req
        .ops
        .iter()
        .any(|op| op.entity == "stock" || op.kind == "record_part");
    let mut jobs: Vec<String> = req
        .ops
        .iter()
        .filter(|op| op.entity == "work_order")
        .map(|op| op.entity_id.clone())
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    // A place in the writer's queue, held until the push is committed.
    let _queued = s.limits.writes.enter()?;
    // Refused ops' reasons in the device's language (its Accept-Language; Chinese first).
    let locale = crate::i18n::current();
    let batch = tokio::task::spawn_blocking(move || Batch::prepare(req.ops, locale))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let response = s
        .storage
        .push(device.clone(), batch, sent_at, s.policy, s.clock.now_ms())
        .await?;
    // Committed: the completions feed picks up what this push completed.
    s.feed.completions_pushed();
    for job in &jobs {
        s.board.job_changed(job);
    }
    s.metrics.record_push(&response, started.elapsed());
    if completes {
        s.drawings.wake();
    }
    // Committed: close received replenishments and raise those now below a minimum. The
    // push stands either way; a failure here is retried by the next one.
    if moves_stock && let Err(e) = crate::desk::spares::settle(&s, &device.technician_id).await {
        tracing::warn!(error = %e, "replenishments not settled");
    }
    tracing::info!(
        device = %device.id,
        ops = n,
        acked_through = response.acked_through,
        "push"
    );
    Ok(Json(response))
}

/// The longest envelope strings a push takes (characters): far above what a device makes (a
/// UUID, a SKU of at most 64, an op kind, an HLC, a SHA-256), low enough that every backend
/// stores and indexes them (PostgreSQL refuses index entries over about 2.7 kB: a longer
/// `entity_id` or `kind` was a 500 there).
pub const MAX_ENVELOPE_CHARS: [(&str, usize); 6] = [
    ("entity", 64),
    ("entity_id", 256),
    ("visit_id", 256),
    ("kind", 64),
    ("hlc", 256),
    ("hash", 256),
];

/// The first envelope field of `op` longer than [`MAX_ENVELOPE_CHARS`] allows.
fn envelope_too_long(op: &fieldkit_core::sync::protocol::Op) -> Option<(&'static str, usize)> {
    let fields = [
        Some(op.entity.as_str()),
        Some(op.entity_id.as_str()),
        op.visit_id.as_deref(),
        Some(op.kind.as_str()),
        Some(op.hlc.as_str()),
        op.hash.as_deref(),
    ];
    MAX_ENVELOPE_CHARS
        .iter()
        .zip(fields)
        .find(|((_, max), v)| v.is_some_and(|v| v.chars().count() > *max))
        .map(|((field, max), _)| (*field, *max))
}

/// `GET /v1/pull?cursor=N&limit=M`. Over the device's rate a 429 with `Retry-After`.
pub async fn pull(
    State(s): State<AppState>,
    Device(device): Device,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    s.limits.devices.take(&device.id.to_string())?;
    let limit = q.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(msg!(
            "err-limit-range",
            max = MAX_PULL_LIMIT
        )));
    }
    if q.cursor < 0 {
        return Err(ApiError::BadRequest(msg!("err-cursor-negative")));
    }
    let (changes, more) = s
        .storage
        .pull(device.technician_id.clone(), q.cursor, limit)
        .await?;
    s.metrics.record_pull();
    let cursor = changes.last().map_or(q.cursor, |c| c.seq);
    // Optional change types go only to apps that asked for them.
    let wants = |t: &str| {
        q.accept
            .as_deref()
            .is_some_and(|a| a.split(',').any(|x| x.trim() == t))
    };
    let changes = changes
        .into_iter()
        .filter(|c| !matches!(c.change, Change::Replenishment { .. }) || wants("replenishment"))
        .collect();
    let card = if wants("card") {
        crate::desk::card::card(&s, &device.technician_id).await?
    } else {
        None
    };
    Ok(Json(PullResponse {
        changes,
        cursor,
        more,
        card,
        accepts: accepts(),
    }))
}

/// The op encodings this server reads beyond the first protocol, told to every device.
fn accepts() -> Vec<String> {
    fieldkit_core::sync::protocol::ACCEPTS
        .iter()
        .map(|a| (*a).to_owned())
        .collect()
}
