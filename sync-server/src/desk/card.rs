//! The technician's card the server sends a device (issue 19): the technician's name and
//! employee number (工号, from the profile) and the company's service hotline
//! ([`crate::people::card`]). Sent with the enrolment and on pulls from apps that ask for it
//! (`accept=card`), as an optional field: older apps ignore it. The phone shows the number at
//! the `id_badge` step (004 一 第5章 第19条 (3)) and prints all three on the customer's copy
//! (004 一 第8章 第29条).

use fieldkit_core::sync::protocol::TechnicianCard;

use crate::error::ApiError;
use crate::state::AppState;

/// The card of `technician_id`, or None when there is no such technician.
pub async fn card(s: &AppState, technician_id: &str) -> Result<Option<TechnicianCard>, ApiError> {
    let Some(t) = s
        .storage
        .technicians()
        .await?
        .into_iter()
        .find(|t| t.id == technician_id)
    else {
        return Ok(None);
    };
    let number = s
        .storage
        .technician_profile(technician_id.to_owned())
        .await?
        .map(|p| p.employee_number);
    Ok(Some(TechnicianCard {
        technician_id: t.id,
        name: t.name,
        employee_number: number,
        service_hotline: s.dashboard.copy.service_hotline.clone(),
    }))
}

/// The technician and hotline lines of the customer's copy the dashboard renders, as the phone
/// prints them from the card it was sent (the same bytes while the profile is unchanged).
pub async fn copy_technician(
    s: &AppState,
    technician_id: Option<&str>,
) -> Result<Option<fieldkit_core::report::CopyTechnician>, ApiError> {
    let Some(id) = technician_id else {
        return Ok(None);
    };
    Ok(card(s, id)
        .await?
        .map(|c| fieldkit_core::report::CopyTechnician {
            name: c.name,
            employee_number: c.employee_number,
            service_hotline: c.service_hotline,
        }))
}
