//! Technicians as people, for the JSON API and the dashboard: a technician's profile read and
//! saved (administrators; validated, audited without the phone), and the technicians
//! suggested for a job ([`crate::people::suggest`]) over the profiles stored.

use crate::msg::Thing;
use crate::stored::Code;
use fieldkit_core::model::WorkOrderId;

use super::audit::{Action, Actor, record};
use crate::error::ApiError;
use crate::people::suggest::{JobNeed, Misfit, Suggestion, misfits, suggest};
use crate::people::{PutProfile, TechnicianProfile, validate};
use crate::records::{JobRecord, Technician};
use crate::state::AppState;

/// The technician with this id, or `NotFound`.
pub async fn technician(s: &AppState, id: &str) -> Result<Technician, ApiError> {
    s.storage
        .technicians()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(ApiError::NotFound(Thing::Technician))
}

/// A technician's profile: `NotFound` without such a technician or profile.
pub async fn profile(s: &AppState, id: &str) -> Result<TechnicianProfile, ApiError> {
    technician(s, id).await?;
    s.storage
        .technician_profile(id.to_owned())
        .await?
        .ok_or(ApiError::NotFound(Thing::TechnicianProfile))
}

/// Saves a technician's profile (administrators only). 400 for a bad profile, 404 without
/// such a technician, 409 when another technician has the employee number. Audited with the
/// employee number (never the phone).
pub async fn put_profile(
    s: &AppState,
    by: &Actor,
    id: &str,
    req: PutProfile,
) -> Result<TechnicianProfile, ApiError> {
    by.must_administer()?;
    technician(s, id).await?;
    let p = validate(id, req, &by.login, s.clock.now_ms()).map_err(ApiError::BadRequest)?;
    s.storage.save_technician_profile(p.clone()).await?;
    record(
        s,
        by,
        Action::TechnicianProfileChanged,
        Some(id),
        Some(
            Code::AuditEmployeeNumber
                .said()
                .arg("number", p.employee_number.as_str()),
        ),
    )
    .await?;
    Ok(p)
}

/// What a job needs of its technician.
pub fn need(job: &JobRecord) -> JobNeed {
    JobNeed {
        kind: job.order.kind,
        model: job.order.product.model.clone(),
        zone: job.order.site.zone,
        window: job.order.promised,
    }
}

async fn fleet(s: &AppState) -> Result<Vec<(Technician, Option<TechnicianProfile>)>, ApiError> {
    let profiles = s.storage.technician_profiles().await?;
    Ok(s.storage
        .technicians()
        .await?
        .into_iter()
        .map(|t| {
            let p = profiles.iter().find(|p| p.technician_id == t.id).cloned();
            (t, p)
        })
        .collect())
}

/// Every technician ranked for a job, those that fit first. `NotFound` without the job.
pub async fn suggestions(s: &AppState, id: WorkOrderId) -> Result<Vec<Suggestion>, ApiError> {
    let job = s
        .storage
        .work_order(id)
        .await?
        .ok_or(ApiError::NotFound(Thing::WorkOrder))?;
    Ok(suggest(&need(&job), &fleet(s).await?))
}

/// Why a technician does not fit a job (empty: fits, or either is unknown).
pub async fn misfits_for(
    s: &AppState,
    id: WorkOrderId,
    technician_id: &str,
) -> Result<Vec<Misfit>, ApiError> {
    let Some(job) = s.storage.work_order(id).await? else {
        return Ok(Vec::new());
    };
    let p = s
        .storage
        .technician_profile(technician_id.to_owned())
        .await?;
    Ok(misfits(p.as_ref(), &need(&job)))
}
