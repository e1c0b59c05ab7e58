//! The desk's complaints (投诉), shared by the JSON API and the dashboard: taking one in
//! (phone, letter, visit, online — or from a device's feedback, taken in once per op), the
//! changes of [`crate::complaints::Complaint::apply`] (audited), the queue with what is due and overdue
//! and the measures (handled in time, the customer's satisfaction with the handling), and the
//! holiday calendar the due times are counted on ([`calendar`]).

pub mod calendar;

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use fieldkit_core::model::WorkOrderId;
use fieldkit_core::sync::ops::JobOp;
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record as audit};
use crate::complaints::{
    Category, Change, ChangeError, Channel, Complaint, Intake, Opinion, Responsible, State,
};
pub use crate::complaints::{ComplaintMeasures, Ratio, measures};
use crate::error::ApiError;
use crate::measures::MeasureConfig;
use crate::state::AppState;
use fieldkit_core::model::workdays::HolidayCalendar;

/// How far back a complaint's receipt may be dated (a letter read late), in days.
pub const MAX_BACKDATE_DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// `POST /v1/admin/complaints` body: a complaint the desk takes in.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    /// `phone`, `letter`, `visit` or `online` (`device` and `callback` complaints are taken
    /// in by the server itself).
    pub channel: Channel,
    pub category: Category,
    /// The job it is about, if any.
    #[serde(default)]
    pub work_order_id: Option<WorkOrderId>,
    /// What the customer said, 1–2000 characters.
    pub summary: String,
    /// When it was received (ms); now when left out. Not in the future, at most
    /// [`MAX_BACKDATE_DAYS`] back.
    #[serde(default)]
    pub received_at: Option<i64>,
}

/// `POST /v1/admin/complaints/{id}/assess` body: valid or not, the cause, who was
/// responsible. Every change body may carry the `revision` it was made on: with it, a
/// complaint changed meanwhile is a 409; without it the change applies to what is stored.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assess {
    pub valid: bool,
    pub cause: String,
    pub responsible: Responsible,
    #[serde(default)]
    pub technician_id: Option<String>,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// `POST /v1/admin/complaints/{id}/extend` body: the new last day (local, YYYY-MM-DD; due at
/// its end) and why; the desk records it as it tells the customer.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Extend {
    pub until: String,
    pub reason: String,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// `POST /v1/admin/complaints/{id}/resolve` body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub resolution: String,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// `POST /v1/admin/complaints/{id}/report` body: the result was reported to the customer.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportResult {
    pub opinion: Opinion,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// Where a complaint stands in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    /// Open, the due time still ahead.
    Due,
    /// Open, past the due time in force.
    Overdue,
    /// Handled; the result is to be reported to the customer.
    Handled,
    Closed,
}

impl QueueStatus {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Handled => "handled",
            Self::Closed => "closed",
        }
    }

    /// Where `c` stands at `now`.
    pub fn of(c: &Complaint, now: i64) -> Self {
        match c.state {
            State::Closed => Self::Closed,
            State::Handled => Self::Handled,
            State::Open if c.overdue(now) => Self::Overdue,
            State::Open => Self::Due,
        }
    }
}

/// `GET /v1/admin/complaints` query: only those in `status` (default: every one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    #[serde(default)]
    pub status: Option<QueueStatus>,
}

/// One line of the queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    pub status: QueueStatus,
    /// The due time in force (ms).
    pub due_at: i64,
    /// The job's number, when the complaint names a job the server holds.
    pub job_number: Option<String>,
    pub complaint: Complaint,
}

/// `GET /v1/admin/complaints` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplaintQueue {
    /// The server's time the statuses are taken at (ms).
    pub as_of: i64,
    /// Open ones first (the earliest due first), then handled, then closed.
    pub complaints: Vec<QueueRow>,
    pub measures: ComplaintMeasures,
}

/// Takes in a complaint the desk received (audited: `complaint_received`).
pub async fn take_in(s: &AppState, by: &Actor, n: NewComplaint) -> Result<Complaint, ApiError> {
    if matches!(n.channel, Channel::Device | Channel::Callback) {
        return Err(ApiError::BadRequest(msg!("err-complaint-channel")));
    }
    let now = s.clock.now_ms();
    let received_at = n.received_at.unwrap_or(now);
    if received_at > now || received_at < now - MAX_BACKDATE_DAYS * DAY_MS {
        return Err(ApiError::BadRequest(msg!(
            "err-received-at",
            days = MAX_BACKDATE_DAYS
        )));
    }
    let summary = crate::complaints::text("summary", &n.summary).map_err(bad)?;
    let cal = calendar::effective(s).await?;
    let (c, _) = store(
        s,
        &cal,
        Intake {
            channel: n.channel,
            category: n.category,
            work_order_id: n.work_order_id,
            summary,
            received_at,
            taken_by: by.login.clone(),
            source_op_id: None,
        },
    )
    .await?;
    audit(
        s,
        by,
        Action::ComplaintReceived,
        Some(&c.id),
        Some(
            Code::AuditComplaintChannel
                .said()
                .arg("channel", c.channel.as_str()),
        ),
    )
    .await?;
    Ok(c)
}

/// Stores a new complaint, due on `cal` (the calendar in force); `false` when its source op
/// was taken in before (nothing stored then).
pub(crate) async fn store(
    s: &AppState,
    cal: &HolidayCalendar,
    i: Intake,
) -> Result<(Complaint, bool), ApiError> {
    let now = s.clock.now_ms();
    let working_days = MeasureConfig::default().complaint_working_days;
    let (due_at, estimated) = calendar::due(cal, i.received_at, working_days);
    let c = Complaint::taken_in(uuid::Uuid::now_v7().to_string(), i, due_at, estimated, now);
    let stored = s.storage.add_complaint(c.clone()).await?;
    Ok((c, stored))
}

fn bad(e: ChangeError) -> ApiError {
    ApiError::BadRequest(e.msg())
}

/// Applies a change to complaint `id` (audited: `complaint_changed`, with the change's
/// name). A refused change is a 409 (the complaint's state does not allow it) or a 400 (the
/// input); `revision`, when given, must be the stored one.
pub async fn change(
    s: &AppState,
    by: &Actor,
    id: &str,
    revision: Option<u32>,
    change: Change,
) -> Result<Complaint, ApiError> {
    let current = s
        .storage
        .complaint(id.to_owned())
        .await?
        .ok_or(ApiError::NotFound(Thing::Complaint))?;
    if revision.is_some_and(|r| r != current.revision) {
        return Err(ApiError::Conflict(msg!(
            "err-complaint-revision",
            revision = current.revision
        )));
    }
    if let Change::Assess {
        technician_id: Some(t),
        ..
    } = &change
        && !s.storage.technicians().await?.iter().any(|x| &x.id == t)
    {
        return Err(ApiError::NotFound(Thing::Technician));
    }
    let what = match &change {
        Change::Assess { .. } => "assess",
        Change::Extend { .. } => "extend",
        Change::Resolve { .. } => "resolve",
        Change::Report { .. } => "report",
    };
    let next = current
        .apply(change, &by.login, s.clock.now_ms())
        .map_err(|e| match e {
            ChangeError::Text(_) | ChangeError::TechnicianNaming | ChangeError::NotLater => bad(e),
            _ => ApiError::Conflict(e.msg()),
        })?;
    s.storage.update_complaint(next.clone()).await?;
    let detail = Code::AuditComplaintChange.said().arg("change", what);
    audit(s, by, Action::ComplaintChanged, Some(id), Some(detail)).await?;
    Ok(next)
}

/// The `extend` change: the due time at the end of the local day `until` (YYYY-MM-DD).
pub fn extend_change(e: Extend) -> Result<(Option<u32>, Change), ApiError> {
    let day = chrono::NaiveDate::parse_from_str(e.until.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(msg!("err-until-day")))?;
    let next = day
        .succ_opt()
        .ok_or_else(|| ApiError::BadRequest(msg!("err-until-day")))?;
    Ok((
        e.revision,
        Change::Extend {
            due_at: MeasureConfig::default().day_start(next),
            reason: e.reason,
        },
    ))
}

/// Takes in the complaints customers raised on a technician's phone (accepted `feedback`
/// ops with `complaint`), each once; how many were new. Received at the feedback's time (a
/// device's clock in the future counts as now).
pub async fn take_in_from_devices(s: &AppState) -> Result<u32, ApiError> {
    let now = s.clock.now_ms();
    let mut new = 0;
    let mut cal = None;
    for op in s.storage.ops_of_kind("feedback".into()).await? {
        let Ok(JobOp::Feedback(f)) =
            JobOp::parse(&op.kind, op.version, op.visit_id.as_deref(), &op.payload)
        else {
            continue;
        };
        if !f.complaint {
            continue;
        }
        let Ok(job) = op.entity_id.parse::<WorkOrderId>() else {
            continue;
        };
        let cal = match &cal {
            Some(c) => c,
            None => cal.insert(calendar::effective(s).await?),
        };
        let intake = Intake {
            channel: Channel::Device,
            category: Category::ServiceQuality,
            work_order_id: Some(job),
            summary: f
                .comment
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| format!("客户评分 {} / 5 (rating {} of 5)", f.rating, f.rating)),
            received_at: f.at.timestamp_millis().min(now),
            taken_by: "device".into(),
            source_op_id: Some(op.op_id.to_string()),
        };
        match store(s, cal, intake).await {
            Ok((_, true)) => new += 1,
            Ok((_, false)) => {}
            // The job is gone from the server: nothing to attach the complaint to.
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(new)
}

/// The queue: device complaints taken in first, then every complaint with where it stands.
pub async fn queue(s: &AppState, q: QueueQuery) -> Result<ComplaintQueue, ApiError> {
    take_in_from_devices(s).await?;
    let now = s.clock.now_ms();
    let all = s.storage.complaints().await?;
    let measures = measures(&all, now);
    let mut rows = Vec::new();
    for c in all {
        let status = QueueStatus::of(&c, now);
        if q.status.is_some_and(|want| want != status) {
            continue;
        }
        let job_number = match c.work_order_id {
            Some(id) => s.storage.work_order(id).await?.map(|j| j.order.number),
            None => None,
        };
        rows.push(QueueRow {
            status,
            due_at: c.due_in_force(),
            job_number,
            complaint: c,
        });
    }
    let rank = |st: QueueStatus| match st {
        QueueStatus::Overdue | QueueStatus::Due => 0,
        QueueStatus::Handled => 1,
        QueueStatus::Closed => 2,
    };
    rows.sort_by(|a, b| {
        (rank(a.status), a.due_at, &a.complaint.id).cmp(&(
            rank(b.status),
            b.due_at,
            &b.complaint.id,
        ))
    });
    Ok(ComplaintQueue {
        as_of: now,
        complaints: rows,
        measures,
    })
}
