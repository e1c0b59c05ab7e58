//! What the desk does from a job's page: assign, reschedule, cancel, record a handled
//! complaint, and rule on a completion held for the desk. Each form goes through the desk
//! operations (the same rules and audit as the JSON API) and lands back on the job's page.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use fieldkit_core::model::{TimeWindow, WorkOrderId};
use serde::Deserialize;

use super::NoFields;
use super::job::job_view;
use super::page::Viewer;
use super::page::{PageError, private};
use super::record::job_id;
use super::session::{CsrfForm, Session};
use crate::desk::{self, text, window_ok};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{JobChange, Ruling};
use crate::t;

/// The routes of the job page's forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs/{id}/assign", post(assign))
        .route("/jobs/{id}/reschedule", post(reschedule))
        .route("/jobs/{id}/cancel", post(cancel))
        .route("/jobs/{id}/complaint-handled", post(complaint_handled))
        .route("/jobs/{id}/completion", post(rule_on_completion))
}

/// The assign form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignForm {
    pub technician_id: String,
}

/// The reschedule form (times in the dispatchers' offset).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleForm {
    pub start: String,
    pub end: String,
}

/// The cancel form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelForm {
    pub reason: String,
}

async fn change(
    s: &AppState,
    session: &Session,
    id: WorkOrderId,
    change: JobChange,
) -> Result<Response, PageError> {
    let job = desk::change_job(s, &session.actor(), id, change).await?;
    let id = job.order.id.to_string();
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

async fn assign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let technician_id = text("technician", &f.technician_id, 100)?;
    change(&s, &session, id, JobChange::Assign { technician_id }).await
}

async fn reschedule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<RescheduleForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let window = TimeWindow {
        start: session.parse_local("from", &f.start)?,
        end: session.parse_local("to", &f.end)?,
    };
    window_ok(&window)?;
    change(&s, &session, id, JobChange::Reschedule { window }).await
}

async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<CancelForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let reason = text("reason", &f.reason, 500)?;
    change(&s, &session, id, JobChange::Cancel { reason }).await
}

/// The ruling form on a held completion: `release` or `reject`, and why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulingForm {
    pub ruling: String,
    pub note: String,
}

/// `POST /jobs/{id}/completion`: the desk's ruling on the job's held completion, in the
/// dispatcher's name (the same rules and audit as `POST /v1/admin/work-orders/{id}/completion`).
/// Done: back to the job's page. Refused (no note, or nothing held any more, e.g. another
/// dispatcher ruled first): the job's page again with what went wrong, 400 or 409.
async fn rule_on_completion(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<RulingForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let ruling = match f.ruling.as_str() {
        "release" => Ruling::Release,
        "reject" => Ruling::Reject,
        _ => {
            return Err(PageError::bad_request(t!(
                session.locale(),
                "job-ruling-bad"
            )));
        }
    };
    let refused = async |status: StatusCode, message: &str| -> Result<Response, PageError> {
        let mut r = private(job_view(&s, &session, id, Some(message)).await?);
        *r.status_mut() = status;
        Ok(r)
    };
    let note = f.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return refused(
            StatusCode::BAD_REQUEST,
            &t!(session.locale(), "job-ruling-no-note"),
        )
        .await;
    }
    match desk::decide(&s, &session.actor(), id, ruling, note).await {
        Ok(_) => {
            tracing::info!(work_order = %id, dispatcher = %session.dispatcher_id, ruling = ?ruling, "completion ruled on from the dashboard");
            Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
        }
        Err(ApiError::Conflict(_)) => {
            refused(
                StatusCode::CONFLICT,
                &t!(session.locale(), "job-ruling-nothing-held"),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn complaint_handled(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    desk::complaint_handled(&s, &session.actor(), id).await?;
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}
