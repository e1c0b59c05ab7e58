//! The public verify page behind the QR code of the customer's copy:
//! `GET /verify/{work_order_id}?h=<sha256>`. No login. The server recomputes the hash of
//! the signed content from the customer's signature ops the device pushed and compares it
//! with `h`: "matches", "mismatch" or "unknown" (no such job, or no customer signature
//! received yet). The page shows the job id, the server's completion time and the verdict,
//! never personal data.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use fieldkit_core::media::signature::{self as sig, SealInput};
use fieldkit_core::model::{SignerRole, WorkOrderId};
use fieldkit_core::sync::ops::{JobOp, SignV1};
use fieldkit_core::sync::protocol::Op;
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::AppState;

/// The verify route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/verify/{work_order_id}", get(verify))
}

/// What the server's records say about a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A customer signature on the job, intact, signed content with exactly this hash.
    Matches,
    /// The job has customer signatures, but none intact with this hash.
    Mismatch,
    /// No such job, or no customer signature received for it yet.
    Unknown,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Matches => "matches",
            Verdict::Mismatch => "mismatch",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A stored `sign` op read through the op catalogue: `None` when it is not a readable `sign`
/// op (its payload does not parse: an op from before the catalogue, or an altered record).
pub fn sign_of(op: &Op) -> Option<Box<SignV1>> {
    match op.job_op() {
        Ok(Some(JobOp::Sign(s))) => Some(s),
        _ => None,
    }
}

/// Judges `h` against a job's stored `sign` ops, each read through the op catalogue
/// ([`sign_of`]): it matches when a customer signature's stored summary hashes to `h`, the
/// signature claims `h`, and its seal (binding summary hash, timeline head, signer, time,
/// image and device) is intact. A `sign` op that does not read (`None`) vouches for nothing.
pub fn verdict<'a>(signs: impl IntoIterator<Item = Option<&'a SignV1>>, h: &str) -> Verdict {
    let mut any = false;
    for s in signs {
        let Some(s) = s else {
            // An unreadable signature record of the job: it cannot vouch for anything.
            any = true;
            continue;
        };
        if s.role != SignerRole::Customer {
            continue;
        }
        any = true;
        let (Some(claimed), Some(chain_head), Some(seal)) =
            (&s.summary_sha256, &s.chain_head, &s.seal)
        else {
            continue;
        };
        let recomputed = s.summary.as_ref().map(|summary| summary.sha256());
        let sealed = sig::seal(&SealInput {
            summary_sha256: claimed,
            chain_head,
            signer_name: &s.signer_name,
            role: s.role.as_str(),
            signed_at_ms: s.signed_at.timestamp_millis(),
            image_sha256: &s.image_sha256,
            device_id: &s.device_id.to_string(),
        });
        if claimed == h && recomputed.as_deref() == Some(h) && &sealed == seal {
            return Verdict::Matches;
        }
    }
    if any {
        Verdict::Mismatch
    } else {
        Verdict::Unknown
    }
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
        return ApiError::BadRequest("not a job id".into()).into_response();
    };
    let h = q.h.unwrap_or_default().to_ascii_lowercase();
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return ApiError::BadRequest("h must be a SHA-256: 64 hexadecimal characters".into())
            .into_response();
    }
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

/// The HTML page. Everything interpolated is a parsed UUID, a fixed word or a formatted
/// time: nothing from the request is echoed.
fn page(job: &WorkOrderId, verdict: Verdict, completed_at: Option<i64>) -> Response {
    let (word, text, colour) = match verdict {
        Verdict::Matches => (
            "matches",
            "此单据与服务器记录一致 / This copy matches the server's record.",
            "#17683a",
        ),
        Verdict::Mismatch => (
            "mismatch",
            "此单据与服务器记录不一致 / This copy does NOT match the server's record.",
            "#a11d1d",
        ),
        Verdict::Unknown => (
            "unknown",
            "服务器没有此单据的签字记录 / The server has no signed record for this job.",
            "#6b5b00",
        ),
    };
    let mut rows = format!("<tr><th>工单 ID / Job id</th><td>{job}</td></tr>");
    if let Some(t) = completed_at.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        rows.push_str(&format!(
            "<tr><th>完成 / Completed</th><td>{}</td></tr>",
            t.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let body = format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>FieldKit verify: {word}</title>\
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}\
.verdict{{font-size:1.6em;font-weight:bold;color:{colour}}}th{{text-align:left;padding-right:1em}}</style>\
</head><body><h1>核验 / Verify</h1>\
<p class=\"verdict\" id=\"verdict\" data-verdict=\"{word}\">{word}</p><p>{text}</p>\
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
    use super::*;
    use crate::test_ops::{customer_sign, op, renamed};

    fn judge(ops: &[Op], h: &str) -> Verdict {
        let signs: Vec<Option<Box<SignV1>>> = ops.iter().map(sign_of).collect();
        verdict(signs.iter().map(Option::as_deref), h)
    }

    #[test]
    fn a_sealed_customer_signature_matches_its_hash() {
        let sign = customer_sign();
        let h = sign.summary_sha256.clone().unwrap();
        let ops = [op(&JobOp::Sign(Box::new(sign)))];
        assert_eq!(judge(&ops, &h), Verdict::Matches);
        assert_eq!(judge(&ops, &"0".repeat(64)), Verdict::Mismatch);
        assert_eq!(judge(&[], &h), Verdict::Unknown);
    }

    #[test]
    fn a_renamed_field_is_unreadable_not_empty() {
        // `step_id` is outside the seal: read leniently, the record would still vouch for
        // the hash with the renamed field taken as absent.
        let sign = customer_sign();
        let h = sign.summary_sha256.clone().unwrap();
        let altered = renamed(&op(&JobOp::Sign(Box::new(sign))), "step_id", "stepp_id");
        assert!(sign_of(&altered).is_none());
        assert_eq!(judge(&[altered], &h), Verdict::Mismatch);
    }
}
