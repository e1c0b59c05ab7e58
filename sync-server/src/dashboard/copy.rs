//! The customer's copy on the dashboard (`GET /jobs/{id}/copy.pdf`): the same document the
//! technician's phone renders, made from the ops the phone synced — the signed summary, the
//! visit's times, thumbnails and the signature image from the blob store, labels from what
//! the desk published — through the core's [`report::content`] and [`report::render`].

use crate::t;
use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HOST, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldkit_core::media::signature::SignedSummary;
use fieldkit_core::model::{FeeSchedule, Signature, SignerRole, Timestamp};
use fieldkit_core::report::{self, CopySources};
use fieldkit_core::sync::ops::JobOp;
use fieldkit_core::sync::protocol::Change;

use super::page::PageError;
use super::record::{best_template, blob_bytes, job_id, job_op, load};
use super::session::Session;
use crate::state::AppState;
use crate::storage::dashboard::TimelineEntry;

/// The address the QR code points at: the configured public URL, else the host the
/// dispatcher's browser used.
fn verify_base(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &s.dashboard.copy.public_url {
        return u.clone();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub async fn copy_pdf(
    State(s): State<AppState>,
    _: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let job = load(&s, id).await?;
    let timeline = s.storage.job_timeline(id.to_string()).await?;
    let applied: Vec<&TimelineEntry> = timeline
        .iter()
        .filter(|e| e.outcome != "rejected")
        .collect();
    let Some((signature, summary)) = signed_off(&applied) else {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            t!(crate::i18n::current(), "copy-no-signature"),
        ));
    };
    if signature.summary_sha256.as_deref() != Some(summary.sha256().as_str()) {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            t!(crate::i18n::current(), "copy-mismatch"),
        ));
    }
    let visit = signature.visit_id.to_string();
    let at = |kind: &str| -> Option<Timestamp> {
        applied
            .iter()
            .rfind(|e| e.op.kind == kind && e.op.visit_id.as_deref() == Some(visit.as_str()))
            .and_then(|e| chrono::DateTime::from_timestamp_millis(e.op.device_time))
    };
    let thumbnail_of = thumbnails_of(&applied);
    let mut thumbnails = Vec::new();
    for photo in &summary.photos {
        if let Some(t) = thumbnail_of.get(photo) {
            let bytes = blob_bytes(&s, t).await?.ok_or_else(not_arrived)?;
            thumbnails.push(bytes.to_vec());
        }
    }
    let signature_png = blob_bytes(&s, &signature.image_sha256)
        .await?
        .ok_or_else(not_arrived)?
        .to_vec();
    let published = s.storage.published().await?;
    let answered: Vec<&str> = summary.answers.iter().map(|a| a.step.as_str()).collect();
    let template = best_template(&published, &answered, job.order.kind);
    let mut part_names = HashMap::new();
    let mut fee_schedule: Option<FeeSchedule> = None;
    for c in published {
        match c {
            Change::CatalogPart { part } => {
                part_names.insert(part.sku, part.name);
            }
            Change::FeeSchedule { fee_schedule: f }
                if summary
                    .fee_consent
                    .as_ref()
                    .is_some_and(|c| c.schedule_id == f.id && c.schedule_version == f.version) =>
            {
                fee_schedule = Some(f);
            }
            _ => {}
        }
    }
    let settings = s.dashboard.copy.clone();
    let settlement = settled(&applied, &visit);
    let mut content = report::content(
        CopySources {
            signature: &signature,
            summary: &summary,
            template: Some(&template),
            part_names: &part_names,
            fee_schedule: fee_schedule.as_ref(),
            scheduled: (job.order.promised.start, job.order.promised.end),
            arrived_at: at("arrive"),
            work_started_at: at("start_work"),
            ended_at: at("complete"),
            settlement: settlement.as_ref(),
        },
        thumbnails,
        signature_png,
        &settings.company,
        &verify_base(&s, &headers),
        s.dashboard.utc_offset_minutes,
    );
    content.technician =
        crate::desk::card::copy_technician(&s, job.technician_id.as_deref()).await?;
    let font = tokio::fs::read(&settings.font).await.map_err(|_| {
        PageError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            t!(crate::i18n::current(), "copy-no-font"),
        )
    })?;
    let pdf =
        tokio::task::spawn_blocking(move || report::render(&content, font, settings.font_index))
            .await
            .map_err(|e| PageError::internal(format!("copy renderer: {e}")))?
            .map_err(|e| PageError::internal(format!("customer's copy: {e}")))?;
    let file: String = job
        .order
        .number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(60)
        .collect();
    let mut r = Body::from(pdf).into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"copy-{file}.pdf\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// The customer's latest signature that carries what was signed, with what was signed, from
/// the job's applied ops read through the op catalogue (a `sign` op whose payload does not
/// parse is skipped).
fn signed_off(applied: &[&TimelineEntry]) -> Option<(Signature, SignedSummary)> {
    applied
        .iter()
        .rev()
        .filter(|e| e.op.kind == "sign")
        .find_map(|e| match job_op(&e.op)? {
            JobOp::Sign(s) if s.role == SignerRole::Customer && s.summary_sha256.is_some() => {
                let signature = s.signature();
                Some((signature, s.summary?))
            }
            _ => None,
        })
}

/// The visit's latest applied settlement (a `settle` op whose payload does not parse is
/// skipped).
fn settled(applied: &[&TimelineEntry], visit: &str) -> Option<report::SettlementLine> {
    applied
        .iter()
        .rev()
        .filter(|e| e.op.kind == "settle" && e.op.visit_id.as_deref() == Some(visit))
        .find_map(|e| match job_op(&e.op)? {
            JobOp::Settle(s) => Some(report::SettlementLine {
                amount: s.amount,
                method: s.method,
                receipt_no: s.receipt_no,
                invoice_due: s.invoice_due,
            }),
            _ => None,
        })
}

/// Each photo's thumbnail, from the first applied `add_photo` of that photo that names one
/// (an `add_photo` whose payload does not parse is skipped).
fn thumbnails_of(applied: &[&TimelineEntry]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for e in applied.iter().filter(|e| e.op.kind == "add_photo") {
        if let Some(JobOp::AddPhoto(p)) = job_op(&e.op)
            && let Some(t) = p.thumbnail_sha256
        {
            out.entry(p.sha256).or_insert(t);
        }
    }
    out
}

fn not_arrived() -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        t!(crate::i18n::current(), "copy-not-arrived"),
    )
}

#[cfg(test)]
mod tests {
    use fieldkit_core::model::{AttachmentKind, VisitId};
    use fieldkit_core::sync::ops::AddPhotoV1;

    use super::*;
    use crate::test_ops::{customer_sign, entry, op, renamed};

    fn photo(sha: &str, thumb: &str) -> TimelineEntry {
        entry(op(&JobOp::AddPhoto(AddPhotoV1 {
            sha256: sha.into(),
            kind: AttachmentKind::Photo,
            mime: "image/jpeg".into(),
            size: 1,
            visit_id: VisitId::new(),
            step_id: None,
            width: None,
            height: None,
            thumbnail_sha256: Some(thumb.into()),
        })))
    }

    #[test]
    fn the_copy_is_made_from_the_typed_sign_off() {
        let sign = customer_sign();
        let t = [entry(op(&JobOp::Sign(Box::new(sign.clone()))))];
        let (signature, summary) = signed_off(&t.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(signature, sign.signature());
        assert_eq!(Some(summary), sign.summary);
        let t = [photo("a", "ta"), photo("a", "tb")];
        let thumbs = thumbnails_of(&t.iter().collect::<Vec<_>>());
        assert_eq!(thumbs.get("a").map(String::as_str), Some("ta"));
    }

    #[test]
    fn a_renamed_field_is_unreadable_not_empty() {
        // `step_id` is not on the copy: read leniently, this record would make one.
        let sign = op(&JobOp::Sign(Box::new(customer_sign())));
        let t = [entry(renamed(&sign, "step_id", "stepp_id"))];
        assert!(signed_off(&t.iter().collect::<Vec<_>>()).is_none());
        // A later unreadable signature does not hide the readable one before it.
        let t = [entry(sign.clone()), entry(renamed(&sign, "seal", "seall"))];
        assert!(signed_off(&t.iter().collect::<Vec<_>>()).is_some());
        let t = [entry(renamed(&photo("a", "ta").op, "sha256", "sha2566"))];
        assert!(thumbnails_of(&t.iter().collect::<Vec<_>>()).is_empty());
    }
}
