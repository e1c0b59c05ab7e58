//! The public verify page behind the QR code of the customer's copy:
//! `GET /verify/{work_order_id}?h=<sha256>`. No login. The server recomputes the hash of
//! the signed content from the customer's signature ops the device pushed and compares it
//! with `h`: "matches", "mismatch" or "unknown" (no such job, or no customer signature
//! received yet). The page shows the job id, the server's completion time and the verdict,
//! never personal data. It reads beside the database writer (SQLite: the read-only
//! connections; PostgreSQL: the pool), so a busy writer never holds it up, and at most
//! `--verify-concurrency` lookups run at once (over it a 503 with `Retry-After`).

use crate::msg;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::ops::SignV1;
use serde::Deserialize;

use crate::error::ApiError;
use crate::signatures::{Verdict, sign_of, verdict};
use crate::state::AppState;
use crate::t;
use fieldkit_core::i18n::date_time;

/// The verify route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/verify/{work_order_id}", get(verify))
}

#[derive(Deserialize)]
struct VerifyQuery {
    h: Option<String>,
}

async fn verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<VerifyQuery>,
) -> Response {
    // Malformed links are 400s with the server's usual JSON error body.
    let Ok(job_id) = id.parse::<WorkOrderId>() else {
        return ApiError::BadRequest(msg!("err-verify-job-id")).into_response();
    };
    let h = q.h.unwrap_or_default().to_ascii_lowercase();
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return ApiError::BadRequest(msg!("err-verify-hash")).into_response();
    }
    let _lookup = match state.limits.verify.enter() {
        Ok(held) => held,
        Err(e) => return e.into_response(),
    };
    let job = match state.storage.work_order(job_id).await {
        Ok(job) => job,
        Err(e) => return internal(e),
    };
    let Some(job) = job else {
        // The page answered; what it knows is nothing.
        return page(&job_id, Verdict::Unknown, None);
    };
    let ops = match state.storage.job_ops(job_id, "sign".into()).await {
        Ok(ops) => ops,
        Err(e) => return internal(e),
    };
    let signs: Vec<Option<Box<SignV1>>> = ops.iter().map(sign_of).collect();
    let v = verdict(signs.iter().map(Option::as_deref), &h);
    tracing::info!(work_order = %job_id, verdict = v.word(), "verify page");
    page(&job_id, v, job.completed_at)
}

fn internal(e: crate::storage::StorageError) -> Response {
    ApiError::from(e).into_response()
}

/// The HTML page, in the reader's language (the customer's phone's `Accept-Language`;
/// Chinese by default). Everything interpolated is a parsed UUID, a catalogue text or a
/// formatted time: nothing from the request is echoed.
fn page(job: &WorkOrderId, verdict: Verdict, completed_at: Option<i64>) -> Response {
    let l = crate::i18n::current();
    let (word, colour) = match verdict {
        Verdict::Matches => ("matches", "#17683a"),
        Verdict::Mismatch => ("mismatch", "#a11d1d"),
        Verdict::Unknown => ("unknown", "#6b5b00"),
    };
    let title = t!(l, "verify-title");
    let shown = t!(l, &format!("verify-{word}"));
    let text = t!(l, &format!("verify-{word}-text"));
    let mut rows = format!("<tr><th>{}</th><td>{job}</td></tr>", t!(l, "verify-job"));
    if let Some(t) = completed_at.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        rows.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            t!(l, "verify-completed"),
            date_time(l, t)
        ));
    }
    let lang = l.tag();
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>FieldKit · {title}: {shown}</title>\
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}\
.verdict{{font-size:1.6em;font-weight:bold;color:{colour}}}th{{text-align:left;padding-right:1em}}</style>\
</head><body><h1>{title}</h1>\
<p class=\"verdict\" id=\"verdict\" data-verdict=\"{word}\">{shown}</p><p>{text}</p>\
<table>{rows}</table></body></html>\n"
    );
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use crate::i18n::{CATALOGUE, Locale};

    #[test]
    fn every_verdict_is_written_in_every_locale() {
        for word in ["matches", "mismatch", "unknown"] {
            for id in [format!("verify-{word}"), format!("verify-{word}-text")] {
                for l in Locale::ALL {
                    assert!(CATALOGUE.has(l, &id), "{l}: {id}");
                }
            }
        }
    }
}
