//! Linked jobs (关联工单): the desk makes a child job from a parent in one action — a
//! redelivery, a rework, a second visit, a follow-up, the repair a callback turned up — with
//! the parent's customer, site and product, and both faces show the chain (the job's parent
//! and its children, with their numbers, kinds and statuses).
//!
//! The child is an ordinary job (the same checks, the same checklist pinning, assigned and
//! queued for the technician's phone like any new job) that carries a [`ParentLink`] in its
//! body; the phone shows the link without holding the parent. The server also keeps the link
//! in `job_links` (migration 0006), written in the child's transaction, where a job's
//! children are read from; the parent's state is checked in that same transaction.

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use chrono::Duration;
use fieldkit_core::model::{
    Billing, JobKind, LinkKind, ParentLink, Sale, TimeWindow, Timestamp, WorkOrderId,
    WorkOrderStatus,
};
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record};
use super::{NewWorkOrder, validated_order};
use crate::error::ApiError;
use crate::records::JobRecord;
use crate::state::AppState;
use crate::storage::child_refusal;

/// `POST /v1/admin/work-orders/{id}/children` body (and the job page's form, once read): what
/// the child needs beyond what it copies from the parent.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewChildJob {
    /// Why the child is made.
    pub kind: LinkKind,
    /// The kind of work, when not the one the link implies ([`LinkKind::default_job_kind`]);
    /// it must fit the link ([`LinkKind::allows`]).
    #[serde(default)]
    pub job_kind: Option<JobKind>,
    /// The child's number; default: the parent's with `-1`, `-2`… after it.
    #[serde(default)]
    pub number: Option<String>,
    /// Assign at once to this technician.
    #[serde(default)]
    pub assign_to: Option<String>,
    /// Default: the parent's window on the first day after today.
    #[serde(default)]
    pub promised: Option<TimeWindow>,
    /// Default: the parent's.
    #[serde(default)]
    pub reported_fault: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
    /// Default: the parent's.
    #[serde(default)]
    pub billing: Option<Billing>,
}

/// A job in a chain as the desk sees it: enough to show and link it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedJob {
    pub id: WorkOrderId,
    pub number: String,
    /// How the child relates to its parent (for a parent: how this job relates to it).
    pub link: LinkKind,
    /// The kind of work; `None` for a parent the server no longer holds.
    pub kind: Option<JobKind>,
    /// `None` for a parent the server no longer holds.
    pub status: Option<WorkOrderStatus>,
    pub technician_id: Option<String>,
}

/// A job with its chain: `GET /v1/admin/work-orders/{id}` and what creating a child answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobWithChain {
    #[serde(flatten)]
    pub job: JobRecord,
    /// The job this one was made from.
    pub parent: Option<LinkedJob>,
    /// The jobs made from this one, oldest first.
    pub children: Vec<LinkedJob>,
}

fn linked(job: &JobRecord, link: LinkKind) -> LinkedJob {
    LinkedJob {
        id: job.order.id,
        number: job.order.number.clone(),
        link,
        kind: Some(job.order.kind),
        status: Some(job.order.status),
        technician_id: job.technician_id.clone(),
    }
}

/// The job's parent (as the server holds it now) and its children.
pub async fn chain(s: &AppState, job: JobRecord) -> Result<JobWithChain, ApiError> {
    let parent = match &job.order.parent {
        None => None,
        Some(p) => Some(match s.storage.work_order(p.id).await? {
            Some(pj) => linked(&pj, p.kind),
            None => LinkedJob {
                id: p.id,
                number: p.number.clone(),
                link: p.kind,
                kind: None,
                status: None,
                technician_id: None,
            },
        }),
    };
    let children = s
        .storage
        .child_work_orders(job.order.id)
        .await?
        .iter()
        .filter_map(|c| Some(linked(c, c.order.parent.as_ref()?.kind)))
        .collect();
    Ok(JobWithChain {
        job,
        parent,
        children,
    })
}

/// The parent's window moved on by whole days to the first day after `now`'s (or the day
/// after the parent's, when that is still to come); `None` past the calendar's end.
pub fn next_window(parent: &TimeWindow, now: Timestamp) -> Option<TimeWindow> {
    let days = if parent.start > now {
        1
    } else {
        (now - parent.start).num_days() + 1
    };
    let shift = Duration::try_days(days)?;
    Some(TimeWindow {
        start: parent.start.checked_add_signed(shift)?,
        end: parent.end.checked_add_signed(shift)?,
    })
}

/// Makes a child of `parent_id` as `req` says, copying the parent's customer, site and
/// product: checked like any new job, assigned (and queued for the technician's phone) when
/// `assign_to` names one, audited. Refused: no such parent (404), a cancelled parent (409), a
/// kind of work that does not fit the link or a bad field (400), no such technician (404).
pub async fn create_child(
    s: &AppState,
    by: &Actor,
    parent_id: WorkOrderId,
    req: NewChildJob,
) -> Result<JobWithChain, ApiError> {
    let parent = s
        .storage
        .work_order(parent_id)
        .await?
        .ok_or(ApiError::NotFound(Thing::WorkOrder))?;
    // Judged again, atomically with the insert, by the storage (a cancellation may land
    // meanwhile); this early answer only spares the work below.
    if let Some(refused) = child_refusal(&parent) {
        return Err(refused.into());
    }
    let job_kind = req.job_kind.unwrap_or(req.kind.default_job_kind());
    if !req.kind.allows(job_kind) {
        return Err(ApiError::BadRequest(msg!(
            "err-link-kind",
            job_kind = job_kind.as_str(),
            link = req.kind.as_str()
        )));
    }
    let number = match req.number {
        Some(n) => n,
        None => {
            let n = s.storage.child_work_orders(parent_id).await?.len() + 1;
            let number = format!("{}-{n}", parent.order.number);
            if number.chars().count() > 64 {
                return Err(ApiError::BadRequest(msg!("err-link-number-too-long")));
            }
            number
        }
    };
    let now = chrono::DateTime::from_timestamp_millis(s.clock.now_ms())
        .ok_or_else(|| ApiError::Internal("clock".into()))?;
    let p = &parent.order;
    let promised = match req.promised {
        Some(w) => w,
        None => next_window(&p.promised, now)
            .ok_or_else(|| ApiError::BadRequest(msg!("err-link-no-next-day")))?,
    };
    let mut order = validated_order(NewWorkOrder {
        id: None,
        number,
        kind: job_kind,
        customer: p.customer.clone(),
        site: p.site.clone(),
        product: p.product.clone(),
        reported_fault: req
            .reported_fault
            .unwrap_or_else(|| p.reported_fault.clone()),
        promised,
        billing: req.billing.unwrap_or(p.billing),
        instructions: req.instructions,
        reported_at: now,
        technician_id: None,
        sale: None,
    })?;
    // The same goods: the parent's sale, a return judged on the day the customer asked.
    order.sale = p.sale.clone().map(|sale| Sale {
        requested_at: Some(sale.requested_at.unwrap_or(p.reported_at)),
        ..sale
    });
    order.parent = Some(ParentLink {
        id: p.id,
        number: p.number.clone(),
        kind: req.kind,
    });
    let child = s
        .storage
        .create_child_work_order(parent_id, req.kind, order, req.assign_to, s.clock.now_ms())
        .await?;
    let id = child.order.id.to_string();
    s.board.job_changed(&id);
    s.board.job_changed(&parent_id.to_string());
    let detail = Code::AuditChildOf
        .said()
        .word("kind", "link-", req.kind.as_str())
        .arg("parent", parent_id.to_string())
        .arg(
            "technician",
            child.technician_id.as_deref().unwrap_or("none"),
        );
    record(s, by, Action::JobChildCreated, Some(&id), Some(detail)).await?;
    tracing::info!(work_order = %id, parent = %parent_id, link = req.kind.as_str(), "linked job created");
    chain(s, child).await
}
