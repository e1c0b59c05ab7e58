//! Blob routes (devices only): which blobs are missing, chunked resumable upload, status.

use crate::msg;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldkit_core::sync::protocol::{
    BlobStatus, MAX_MISSING_HASHES, MissingBlobsRequest, MissingBlobsResponse, UPLOAD_LENGTH,
    UPLOAD_OFFSET, is_sha256_hex,
};

use crate::auth::Device;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::AppState;

/// `POST /v1/blobs/missing`.
pub async fn missing(
    State(s): State<AppState>,
    Device(_): Device,
    ApiJson(req): ApiJson<MissingBlobsRequest>,
) -> Result<Json<MissingBlobsResponse>, ApiError> {
    if req.hashes.len() > MAX_MISSING_HASHES {
        return Err(ApiError::PayloadTooLarge(msg!(
            "err-too-many-hashes",
            max = MAX_MISSING_HASHES
        )));
    }
    if let Some(bad) = req.hashes.iter().position(|h| !is_sha256_hex(h)) {
        return Err(ApiError::BadRequest(msg!(
            "err-hash-not-sha256",
            index = bad
        )));
    }
    let mut missing = Vec::new();
    for h in req.hashes {
        if !s.blobs.has(&h).await? {
            missing.push(h);
        }
    }
    Ok(Json(MissingBlobsResponse { missing }))
}

fn with_offset(status: &BlobStatus, code: StatusCode) -> Response {
    let mut r = (code, Json(status.clone())).into_response();
    if let Ok(v) = HeaderValue::from_str(&status.offset.to_string()) {
        r.headers_mut().insert(UPLOAD_OFFSET, v);
    }
    r
}

/// `GET /v1/blobs/{sha256}`: the upload's status (JSON and the `Upload-Offset` header).
pub async fn status(
    State(s): State<AppState>,
    Device(_): Device,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, ApiError> {
    let st = s.blobs.status(&sha).await?;
    Ok(with_offset(&st, StatusCode::OK))
}

/// `HEAD /v1/blobs/{sha256}`: the server's offset in `Upload-Offset`.
pub async fn status_head(
    State(s): State<AppState>,
    Device(_): Device,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, ApiError> {
    let st = s.blobs.status(&sha).await?;
    let mut r = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&st.offset.to_string()) {
        r.headers_mut().insert(UPLOAD_OFFSET, v);
    }
    Ok(r)
}

fn header_u64(h: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::BadRequest(msg!("err-header-byte-count", header = name.to_owned()))
        })
}

/// `PUT /v1/blobs/{sha256}` with `Upload-Offset` and `Upload-Length`: one chunk.
pub async fn upload(
    State(s): State<AppState>,
    Device(device): Device,
    ApiPath(sha): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let offset = header_u64(&headers, UPLOAD_OFFSET)?;
    let length = header_u64(&headers, UPLOAD_LENGTH)?;
    if length == 0 {
        // A malformed request, not a large one: blobs are never empty.
        return Err(ApiError::BadRequest(msg!(
            "err-upload-length-zero",
            header = UPLOAD_LENGTH
        )));
    }
    let out = s
        .blobs
        .put(&sha, offset, length, body, s.max_body_bytes)
        .await?;
    s.metrics
        .record_blob(out.received, out.status.complete && out.received > 0);
    if out.status.complete && out.received > 0 {
        tracing::info!(device = %device.id, blob = %sha, "blob complete");
    }
    let code = if out.status.complete {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(with_offset(&out.status, code))
}
