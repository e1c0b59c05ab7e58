//! The desk's callbacks (回访), shared by the JSON API and the dashboard: the rules in force
//! (versioned, audited), picking the completed jobs to call back under them
//! ([`crate::callbacks::sample`], each job once), the queue with the customer's contact and
//! the script, recording a call (audited) — a problem found makes a linked repair job or takes
//! in a complaint — and the measures beside the rating given on the technician's phone.

use crate::msg;
use crate::msg::Thing;
use crate::stored::Code;
use std::collections::{HashMap, HashSet};

use fieldkit_core::model::{JobKind, LinkKind, WorkOrderId};
use fieldkit_core::sync::ops::JobOp;
use serde::{Deserialize, Serialize};

use super::audit::{Action, Actor, record as audit};
use super::complaints::{self as complaints_desk, calendar};
use super::links::{NewChildJob, create_child};
use crate::callbacks::{
    Callback, CallbackMeasures, CallbackRules, CallbackState, Outcome, Problem, measures, sample,
};
use crate::complaints::{Category, Channel, Intake};
use crate::error::ApiError;
use crate::state::AppState;

/// Completions older than this are not picked any more (a callback weeks later checks
/// nothing).
pub const PICK_WINDOW_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The rules in force: `GET`/`PUT /v1/admin/callback-rules`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RulesInForce {
    /// The desk's version in force; `None`: the defaults.
    pub version: Option<i64>,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
    pub rules: CallbackRules,
}

/// The rules in force.
pub async fn rules(s: &AppState) -> Result<RulesInForce, ApiError> {
    Ok(match s.storage.callback_rules().await? {
        Some(v) => RulesInForce {
            rules: serde_json::from_str(&v.body)
                .map_err(|e| ApiError::Internal(format!("stored callback rules: {e}")))?,
            version: Some(v.version),
            updated_by: Some(v.by),
            updated_at: Some(v.at),
        },
        None => RulesInForce {
            version: None,
            updated_by: None,
            updated_at: None,
            rules: CallbackRules::default(),
        },
    })
}

/// Sets new rules (audited: `callback_rules_changed`); out of range is a 400.
pub async fn set_rules(
    s: &AppState,
    by: &Actor,
    r: CallbackRules,
) -> Result<RulesInForce, ApiError> {
    let r = r.check().map_err(|e| ApiError::BadRequest(e.msg()))?;
    let body = serde_json::to_string(&r).map_err(|e| ApiError::Internal(e.to_string()))?;
    let version = s
        .storage
        .save_callback_rules(body, by.login.clone(), s.clock.now_ms())
        .await?;
    let detail = Code::AuditCallbackRules
        .said()
        .arg("installations", i64::from(r.every_installation))
        .arg("complaints", i64::from(r.every_complaint))
        .arg("sample", i64::from(r.sample_percent))
        .arg("within", i64::from(r.within_days))
        .arg("seed", r.seed.to_string());
    audit(
        s,
        by,
        Action::CallbackRulesChanged,
        Some(&version.to_string()),
        Some(detail),
    )
    .await?;
    rules(s).await
}

/// Picks the completed jobs (counted completions of the last [`PICK_WINDOW_DAYS`] days) the
/// rules in force call back, each job once; how many were new.
pub async fn pick(s: &AppState) -> Result<u32, ApiError> {
    complaints_desk::take_in_from_devices(s).await?;
    let now = s.clock.now_ms();
    let r = rules(s).await?;
    let complained: HashSet<WorkOrderId> = s
        .storage
        .complaints()
        .await?
        .iter()
        .filter_map(|c| c.work_order_id)
        .collect();
    let mut new = 0;
    for job in s.storage.work_orders(None).await? {
        let Some(done) = job.completed_at else {
            continue;
        };
        if done < now - PICK_WINDOW_DAYS * DAY_MS {
            continue;
        }
        let id = job.order.id;
        let Some(reason) = sample(&r.rules, id, job.order.kind, complained.contains(&id)) else {
            continue;
        };
        let c = Callback {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: id,
            reason,
            completed_at: done,
            due_at: done + i64::from(r.rules.within_days) * DAY_MS,
            rules_version: r.version.unwrap_or(0),
            state: CallbackState::Open,
            calls: Vec::new(),
            repair_job_id: None,
            complaint_id: None,
            revision: 1,
            updated_at: now,
        };
        if s.storage.add_callback(c).await? {
            new += 1;
        }
    }
    Ok(new)
}

/// Where a callback stands in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Due,
    Overdue,
    Done,
    Unreachable,
}

impl CallbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Done => "done",
            Self::Unreachable => "unreachable",
        }
    }

    pub fn of(c: &Callback, now: i64) -> Self {
        match c.state {
            CallbackState::Done => Self::Done,
            CallbackState::Unreachable => Self::Unreachable,
            CallbackState::Open if now >= c.due_at => Self::Overdue,
            CallbackState::Open => Self::Due,
        }
    }
}

/// Whom to call: the customer as on the job (shown to the desk only; never logged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub address: String,
}

/// One line of the callback queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackRow {
    pub status: CallbackStatus,
    pub job_number: String,
    pub job_kind: JobKind,
    pub technician_id: Option<String>,
    pub contact: Contact,
    /// What to say, zh-CN then en.
    pub script: [String; 2],
    /// The rating the customer gave on the technician's phone, if any.
    pub device_rating: Option<u8>,
    pub callback: Callback,
}

/// `GET /v1/admin/callbacks` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    #[serde(default)]
    pub status: Option<CallbackStatus>,
}

/// `GET /v1/admin/callbacks` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackQueue {
    pub as_of: i64,
    /// The rules' version callbacks are picked under now (`None`: the defaults).
    pub rules_version: Option<i64>,
    /// Due and overdue first (the earliest due first), then done and unreachable.
    pub callbacks: Vec<CallbackRow>,
    pub measures: CallbackMeasures,
}

/// What the desk says on the phone, zh-CN and en.
fn script(kind: JobKind, number: &str) -> [String; 2] {
    let (zh, en) = match kind {
        JobKind::Installation => ("安装", "installation"),
        JobKind::Delivery => ("送货", "delivery"),
        _ => ("维修", "repair"),
    };
    [
        format!(
            "您好，这里是售后服务中心回访。您的{zh}服务（工单 {number}）已完成：技师是否按约上门、出示证件、穿鞋套、清理现场？产品现在使用正常吗？请您为这次服务打 1 到 5 分。"
        ),
        format!(
            "Hello, this is the service centre calling back about your {en} (job {number}): did the technician come as agreed, show their ID, wear shoe covers and clean up? Does the product work well now? Please rate the service from 1 to 5."
        ),
    ]
}

/// The last rating given on the technician's phone, per job (accepted `feedback` ops).
pub(crate) async fn device_ratings(s: &AppState) -> Result<HashMap<WorkOrderId, u8>, ApiError> {
    let mut out = HashMap::new();
    for op in s.storage.ops_of_kind("feedback".into()).await? {
        if let (Ok(job), Ok(JobOp::Feedback(f))) = (
            op.entity_id.parse::<WorkOrderId>(),
            JobOp::parse(&op.kind, op.version, op.visit_id.as_deref(), &op.payload),
        ) {
            out.insert(job, f.rating);
        }
    }
    Ok(out)
}

/// The queue: the jobs to call back picked first, then every callback with where it stands.
pub async fn queue(s: &AppState, q: CallbackQuery) -> Result<CallbackQueue, ApiError> {
    pick(s).await?;
    let now = s.clock.now_ms();
    let all = s.storage.callbacks().await?;
    let ratings = device_ratings(s).await?;
    let measures = measures(&all, now, |j| ratings.get(&j).copied());
    let mut rows = Vec::new();
    for c in all {
        let status = CallbackStatus::of(&c, now);
        if q.status.is_some_and(|want| want != status) {
            continue;
        }
        let Some(job) = s.storage.work_order(c.work_order_id).await? else {
            continue;
        };
        let o = &job.order;
        rows.push(CallbackRow {
            status,
            job_number: o.number.clone(),
            job_kind: o.kind,
            technician_id: job.technician_id.clone(),
            contact: Contact {
                name: o.customer.name.clone(),
                phone: o.customer.phone.clone(),
                address: o.site.address.clone(),
            },
            script: script(o.kind, &o.number),
            device_rating: ratings.get(&o.id).copied(),
            callback: c,
        });
    }
    let rank = |st: CallbackStatus| {
        u8::from(matches!(
            st,
            CallbackStatus::Done | CallbackStatus::Unreachable
        ))
    };
    rows.sort_by(|a, b| {
        (rank(a.status), a.callback.due_at, &a.callback.id).cmp(&(
            rank(b.status),
            b.callback.due_at,
            &b.callback.id,
        ))
    });
    Ok(CallbackQueue {
        as_of: now,
        rules_version: rules(s).await?.version,
        callbacks: rows,
        measures,
    })
}

/// `POST /v1/admin/callbacks/{id}/calls` body: one call to the customer.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCall {
    pub reached: bool,
    /// 1–5, when reached (and only then).
    #[serde(default)]
    pub rating: Option<u8>,
    /// A problem found (only when reached).
    #[serde(default)]
    pub problem: Option<Problem>,
    /// What the customer said (required for a complaint; at most 2000 characters).
    #[serde(default)]
    pub note: Option<String>,
    /// The complaint's category, for a complaint (default: service quality).
    #[serde(default)]
    pub complaint_category: Option<Category>,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// Records a call (audited: `callback_recorded`). A repair problem makes a linked job
/// (`callback_repair`, audited as the desk's linked job), a complaint is taken in with the
/// `callback` channel; both are named on the callback.
pub async fn record_call(
    s: &AppState,
    by: &Actor,
    id: &str,
    call: RecordCall,
) -> Result<Callback, ApiError> {
    let current = s
        .storage
        .callback(id.to_owned())
        .await?
        .ok_or(ApiError::NotFound(Thing::Callback))?;
    if call.revision.is_some_and(|r| r != current.revision) {
        return Err(ApiError::Conflict(msg!(
            "err-callback-revision",
            revision = current.revision
        )));
    }
    let note = match call.note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => {
            Some(crate::complaints::text("note", n).map_err(|e| ApiError::BadRequest(e.msg()))?)
        }
    };
    let now = s.clock.now_ms();
    let mut next = current
        .record(Outcome {
            reached: call.reached,
            rating: call.rating,
            problem: call.problem,
            note: note.clone(),
            by: by.login.clone(),
            at: now,
        })
        .map_err(|e| match e {
            crate::callbacks::OutcomeError::Finished => ApiError::Conflict(e.msg()),
            _ => ApiError::BadRequest(e.msg()),
        })?;
    match call.problem {
        Some(Problem::Repair) => {
            let child = create_child(
                s,
                by,
                current.work_order_id,
                NewChildJob {
                    kind: LinkKind::CallbackRepair,
                    job_kind: None,
                    number: None,
                    assign_to: None,
                    promised: None,
                    reported_fault: note.clone(),
                    instructions: None,
                    billing: None,
                },
            )
            .await?;
            next.repair_job_id = Some(child.job.order.id);
        }
        Some(Problem::Complaint) => {
            let cal = calendar::effective(s).await?;
            let intake = Intake {
                channel: Channel::Callback,
                category: call.complaint_category.unwrap_or(Category::ServiceQuality),
                work_order_id: Some(current.work_order_id),
                summary: note.clone().unwrap_or_default(),
                received_at: now,
                taken_by: by.login.clone(),
                source_op_id: None,
            };
            let (c, _) = complaints_desk::store(s, &cal, intake).await?;
            audit(
                s,
                by,
                Action::ComplaintReceived,
                Some(&c.id),
                Some(
                    Code::AuditComplaintChannel
                        .said()
                        .arg("channel", "callback"),
                ),
            )
            .await?;
            next.complaint_id = Some(c.id);
        }
        None => {}
    }
    s.storage.update_callback(next.clone()).await?;
    let outcome = match (call.reached, call.problem) {
        (false, _) => "not_reached",
        (true, None) => "answered",
        (true, Some(Problem::Repair)) => "answered_repair",
        (true, Some(Problem::Complaint)) => "answered_complaint",
    };
    let detail = Code::AuditCallbackCall.said().arg("outcome", outcome);
    audit(s, by, Action::CallbackRecorded, Some(id), Some(detail)).await?;
    Ok(next)
}
