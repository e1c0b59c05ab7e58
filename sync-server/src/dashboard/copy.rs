//! The customer's copy on the dashboard (`GET /jobs/{id}/copy.pdf`): the same document the
//! technician's phone renders, made from the ops the phone synced — the signed summary, the
//! visit's times, thumbnails and the signature image from the blob store, labels from what
//! the desk published — through the core's [`report::content`] and [`report::render`].

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HOST, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldkit_core::checklist::{Template, default_template_for};
use fieldkit_core::media::signature::SignedSummary;
use fieldkit_core::model::{FeeSchedule, Signature, SignerRole, Timestamp};
use fieldkit_core::report::{self, CopySources};
use fieldkit_core::sync::protocol::Change;

use super::job::{blob_bytes, job_id, load, str_of};
use super::page::PageError;
use super::session::Session;
use crate::routes::AppState;
use crate::storage::dashboard::TimelineEntry;

/// The checklist the visit most likely ran: of the published templates and the built-in one
/// for the job's kind, the one that names the most of the answered steps (the server is not
/// told which version a visit used; labels and answer words are all it takes from it).
pub(super) fn best_template(
    published: &[Change],
    answered: &[&str],
    kind: fieldkit_core::model::JobKind,
) -> Template {
    let mut candidates: Vec<Template> = vec![
        default_template_for(kind, false),
        default_template_for(kind, true),
    ];
    candidates.extend(published.iter().filter_map(|c| match c {
        Change::ChecklistTemplate { json } => Template::from_json(json).ok(),
        _ => None,
    }));
    let score = |t: &Template| {
        answered
            .iter()
            .filter(|a| t.steps.iter().any(|s| s.id == **a))
            .count()
    };
    // Later candidates (newer publications) win ties.
    let mut best = 0;
    for (i, t) in candidates.iter().enumerate() {
        if score(t) >= score(&candidates[best]) {
            best = i;
        }
    }
    candidates.swap_remove(best)
}

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

pub(super) async fn copy_pdf(
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
    // The customer's latest signature that carries what was signed.
    let Some((signature, summary)) = applied.iter().rev().find_map(|e| {
        if e.op.kind != "sign" {
            return None;
        }
        let sig = serde_json::from_value::<Signature>(e.op.payload.clone()).ok()?;
        let summary =
            serde_json::from_value::<SignedSummary>(e.op.payload.get("summary")?.clone()).ok()?;
        (sig.role == SignerRole::Customer && sig.summary_sha256.is_some()).then_some((sig, summary))
    }) else {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "no customer signature received for this job yet: the copy is made after sign-off",
        ));
    };
    if signature.summary_sha256.as_deref() != Some(summary.sha256().as_str()) {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "the signed content received does not match its hash: see the job's flags",
        ));
    }
    let visit = signature.visit_id.to_string();
    let at = |kind: &str| -> Option<Timestamp> {
        applied
            .iter()
            .rfind(|e| e.op.kind == kind && e.op.visit_id.as_deref() == Some(visit.as_str()))
            .and_then(|e| chrono::DateTime::from_timestamp_millis(e.op.device_time))
    };
    let mut thumbnails = Vec::new();
    for photo in &summary.photos {
        let thumb = applied.iter().find_map(|e| {
            (e.op.kind == "add_photo" && str_of(&e.op.payload, "sha256") == photo)
                .then(|| {
                    e.op.payload
                        .get("thumbnail_sha256")?
                        .as_str()
                        .map(str::to_owned)
                })
                .flatten()
        });
        if let Some(t) = thumb {
            let bytes = blob_bytes(&s, &t).await?.ok_or_else(not_arrived)?;
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
    let content = report::content(
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
        },
        thumbnails,
        signature_png,
        &settings.company,
        &verify_base(&s, &headers),
        s.dashboard.utc_offset_minutes,
    );
    let font = tokio::fs::read(&settings.font).await.map_err(|_| {
        PageError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server has no font for the customer's copy (see --pdf-font)",
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

fn not_arrived() -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        "the signature image or a photo has not arrived from the device yet: try again after it syncs",
    )
}
