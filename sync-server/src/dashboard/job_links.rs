//! Linked jobs on the job page: the chain (the job this one was made from, the jobs made from
//! it, each a link with its number, kind and status) and the form that makes a child from this
//! job in one action (`POST /jobs/{id}/children`, through [`crate::desk::links`]: the same
//! rules and audit as the JSON API), landing on the new job's page. Words from the catalogue in the
//! reader's language (`chain-*`).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use fieldkit_core::model::{LinkKind, TimeWindow, WorkOrderStatus};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::Viewer;
use super::page::{PageError, csrf_field};
use super::record::job_id;
use super::session::{CsrfForm, Session};
use super::words::{kind_label, link_label, order_status_label};
use crate::desk::links::{self, JobWithChain, LinkedJob, NewChildJob};
use crate::desk::text;
use crate::i18n::Locale;
use crate::state::AppState;
use crate::storage::Technician;
use crate::t;

/// The routes of the chain's form.
pub fn routes() -> Router<AppState> {
    Router::new().route("/jobs/{id}/children", post(create_child))
}

/// The new-linked-job form: empty fields take the defaults the desk applies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildForm {
    pub kind: String,
    #[serde(default)]
    pub technician_id: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub reported_fault: String,
    #[serde(default)]
    pub instructions: String,
}

fn filled(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

async fn create_child(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, f): CsrfForm<ChildForm>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let kind = LinkKind::parse(f.kind.trim())
        .ok_or_else(|| PageError::bad_request(t!(session.locale(), "chain-bad-kind")))?;
    let promised = match (filled(&f.start), filled(&f.end)) {
        (None, None) => None,
        (Some(start), Some(end)) => Some(TimeWindow {
            start: session.parse_local("from", start)?,
            end: session.parse_local("to", end)?,
        }),
        _ => {
            return Err(PageError::bad_request(t!(
                session.locale(),
                "chain-both-or-neither"
            )));
        }
    };
    let req = NewChildJob {
        kind,
        job_kind: None,
        number: None,
        assign_to: filled(&f.technician_id)
            .map(|t| text("technician", t, 100))
            .transpose()?,
        promised,
        reported_fault: filled(&f.reported_fault).map(str::to_owned),
        instructions: filled(&f.instructions).map(str::to_owned),
        billing: None,
    };
    let child = links::create_child(&s, &session.actor(), id, req).await?;
    tracing::info!(work_order = %child.job.order.id, parent = %id, dispatcher = %session.dispatcher_id, "linked job created from the dashboard");
    Ok(Redirect::to(&format!("/jobs/{}", child.job.order.id)).into_response())
}

fn linked_row(l: Locale, j: &LinkedJob, techs: &[Technician], role: &str) -> Markup {
    let tech = j.technician_id.as_deref().map(|t| {
        techs
            .iter()
            .find(|x| x.id == t)
            .map_or(t, |x| x.name.as_str())
    });
    html! {
        li data-link=(j.link.as_str()) data-role=(role) {
            a href={ "/jobs/" (j.id) } { (j.number) }
            " · " (link_label(l, j.link))
            @if let Some(k) = j.kind { " · " (kind_label(l, k)) }
            " · "
            @match j.status {
                Some(st) => span data-status=(st.as_str()) { (order_status_label(l, st)) },
                None => span class="muted" { (t!(l, "chain-gone")) },
            }
            " · " @if let Some(t) = tech { (t) } @else { (t!(l, "unassigned")) }
        }
    }
}

/// The chain section of the job page, with the form that makes a child of this job.
pub fn chain_section(session: &Session, c: &JobWithChain, techs: &[Technician]) -> Markup {
    let ids = c.job.order.id.to_string();
    let l = session.locale();
    let cancelled =
        c.job.order.status == WorkOrderStatus::Cancelled || c.job.cancel_reason.is_some();
    html! {
        h2 { (t!(l, "chain-heading")) }
        div class="card" id="chain" {
            @if c.parent.is_none() && c.children.is_empty() { p class="muted" { (t!(l, "chain-none")) } }
            @if let Some(p) = &c.parent {
                p { strong { (t!(l, "chain-parent")) } }
                ul id="chain-parent" { (linked_row(l, p, techs, "parent")) }
            }
            @if !c.children.is_empty() {
                p { strong { (t!(l, "chain-children")) } }
                ul id="chain-children" { @for ch in &c.children { (linked_row(l, ch, techs, "child")) } }
            }
            @if cancelled {
                p class="muted" { (t!(l, "chain-cancelled")) }
            } @else {
                form id="new-child" method="post" action={ "/jobs/" (ids) "/children" } {
                    (csrf_field(session))
                    p { strong { (t!(l, "chain-new")) } br; span class="muted" { (t!(l, "chain-copies")) } }
                    label { (t!(l, "chain-kind")) " " select name="kind" {
                        @for k in LinkKind::ALL { option value=(k.as_str()) { (link_label(l, k)) } }
                    } }
                    label { (t!(l, "chain-technician")) " " select name="technician_id" {
                        option value="" { (t!(l, "unassigned")) }
                        @for t in techs { option value=(t.id) selected[c.job.technician_id.as_deref() == Some(t.id.as_str())] { (t.name) } }
                    } }
                    label { (t!(l, "field-from")) " " input type="datetime-local" name="start"; }
                    label { (t!(l, "field-to")) " " input type="datetime-local" name="end"; }
                    span class="muted" { (t!(l, "chain-when-empty")) }
                    label { (t!(l, "chain-fault")) " " input type="text" name="reported_fault" maxlength="2000" placeholder=(t!(l, "chain-fault-empty")); }
                    label { (t!(l, "chain-instructions")) " " input type="text" name="instructions" maxlength="4000"; }
                    button type="submit" id="create-child" { (t!(l, "chain-create")) }
                }
            }
        }
    }
}
