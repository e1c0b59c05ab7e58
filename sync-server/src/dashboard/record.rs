//! A job as its pages read it: the job id from the path, the job's record, its ops read
//! through the op catalogue, its blobs' bytes, and the checklist the visit most likely ran.
//! The job page and its customer's copy both build on these.

use fieldkit_core::checklist::{Template, default_template_for};
use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::ops::JobOp;
use fieldkit_core::sync::protocol::{Change, Op};

use super::page::PageError;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::JobRecord;

/// The job id in a page's path (anything else: the job is not found).
pub fn job_id(s: &str) -> Result<WorkOrderId, PageError> {
    s.parse().map_err(|_| PageError::not_found("job"))
}

/// The job's record, or a 404 page.
pub async fn load(s: &AppState, id: WorkOrderId) -> Result<JobRecord, PageError> {
    s.storage
        .work_order(id)
        .await?
        .ok_or_else(|| PageError::not_found("job"))
}

/// An op of a job read through the op catalogue: `None` when its payload does not parse (an
/// op the server rejected, one from before the catalogue, or a newer app's kind or version).
/// Such an op is shown as unreadable, never read as empty strings.
pub fn job_op(op: &Op) -> Option<JobOp> {
    op.job_op().ok().flatten()
}

/// A blob's bytes; `None` while the device has not uploaded it.
pub async fn blob_bytes(s: &AppState, sha: &str) -> Result<Option<axum::body::Bytes>, PageError> {
    match s.blobs.get(sha).await {
        Ok(b) => Ok(Some(b)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The checklist the visit most likely ran: of the published templates and the built-in one
/// for the job's kind, the one that names the most of the answered steps (the server is not
/// told which version a visit used; labels and answer words are all it takes from it).
pub fn best_template(
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
