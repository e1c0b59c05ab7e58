//! What becomes of each op of a push: the rules, as a pure function over what the storage
//! backend read inside its transaction ([`PushState`]). What needs no stored state (each
//! op's canonical body and hash) is done before, outside any lock ([`Batch::prepare`]); the
//! signature drawings are checked after the answer ([`crate::drawings`]). The backend writes
//! the [`PushPlan`] and commits before answering, so an ack always means durable.
//!
//! Rules, in order, per op:
//! 1. An op id already stored with the same body from the same device: `duplicate` (with
//!    the first answer). The same op id with another body (or from another device):
//!    `rejected` (`op_id_reused`), nothing stored.
//! 2. A new op whose `seq` is at or below what the server already answered: `rejected`
//!    (`seq_reused`). A `seq` beyond the next expected one: `gap` for it and every op behind it.
//! 3. Otherwise it is checked (version, entity, payload, whose job it is) and stored with its
//!    outcome — `applied`, `conflict` (kept as a fact and flagged) or `rejected` — so a
//!    rejected op never blocks the ones behind it and a retry gets the same answer.
//!
//! Jobs: an op on a job assigned to this technician is applied. On a job that was this
//! technician's but has been reassigned, or that the desk cancelled, it is a `conflict`: the
//! fact is kept and flagged for the dispatcher (nothing a technician recorded is dropped). A
//! job that was never this technician's (or does not exist) is `rejected` as `unknown_job`,
//! with the same words either way so no other technician's job is revealed.

use std::collections::{HashMap, HashSet};

use fieldkit_core::checklist::Template;
use fieldkit_core::model::{Billing, JobKind, OpId, WorkOrderId};
use fieldkit_core::sync::protocol::{
    FirstOutcome, OP_VERSION, Op, OpOutcome, OpResult, PushResponse,
};
use fieldkit_core::sync::replay;
use sha2::{Digest, Sha256};

use crate::storage::{DeviceRecord, Flag};

/// Settings of push handling.
#[derive(Clone, Copy, Debug)]
pub struct PushPolicy {
    /// Device clocks further than this from the server's are flagged (ms).
    pub max_clock_skew_ms: i64,
}

impl Default for PushPolicy {
    fn default() -> Self {
        Self {
            max_clock_skew_ms: 10 * 60 * 1000,
        }
    }
}

/// An op already stored.
#[derive(Clone, Debug)]
pub struct StoredOp {
    pub device_id: String,
    pub body_hash: String,
    pub outcome: FirstOutcome,
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// A job as push handling needs it.
#[derive(Clone, Debug)]
pub struct JobState {
    pub technician_id: Option<String>,
    pub cancelled: bool,
    pub kind: JobKind,
    pub billing: Billing,
    /// The job was assigned to this device's technician at some point.
    pub ever_mine: bool,
}

/// What the backend read for a batch.
#[derive(Clone, Debug, Default)]
pub struct PushState {
    /// The device's `last_seq`, read under a lock for the transaction.
    pub last_seq: i64,
    /// Stored ops among the batch's op ids.
    pub existing: HashMap<OpId, StoredOp>,
    /// The batch's jobs (by work order id text) that exist.
    pub jobs: HashMap<String, JobState>,
    /// For jobs completed in this batch: this device's stored ops on the job, in seq order.
    pub history: HashMap<String, Vec<Op>>,
    /// Templates the desk published (for the completion gate).
    pub templates: Vec<Template>,
}

/// A push's ops with what needs no stored state done up front, before the backend takes
/// any lock: each op's canonical body and its hash.
pub struct Batch {
    pub ops: Vec<Prepared>,
}

/// One op of a [`Batch`].
pub struct Prepared {
    pub op: Op,
    pub body: String,
    pub body_hash: String,
}

impl Batch {
    /// Prepares ops (CPU only; run it off the async workers).
    pub fn prepare(ops: Vec<Op>) -> Batch {
        let ops = ops
            .into_iter()
            .map(|op| {
                let (body, body_hash) = body_of(&op);
                Prepared {
                    op,
                    body,
                    body_hash,
                }
            })
            .collect();
        Batch { ops }
    }

    /// The ops' ids, in order.
    pub fn op_ids(&self) -> impl Iterator<Item = OpId> + '_ {
        self.ops.iter().map(|p| p.op.op_id)
    }
}

/// What the backend must read for a batch: op ids, job ids, and jobs whose history and the
/// templates are needed (a `complete` op is in the batch).
pub struct Needs {
    pub op_ids: Vec<OpId>,
    pub job_ids: Vec<String>,
    pub history_jobs: Vec<String>,
}

/// What to read before planning.
pub fn needs(batch: &Batch) -> Needs {
    let mut job_ids = Vec::new();
    let mut history_jobs = Vec::new();
    let mut seen = HashSet::new();
    for Prepared { op, .. } in &batch.ops {
        if op.entity == "work_order" && seen.insert(op.entity_id.clone()) {
            job_ids.push(op.entity_id.clone());
        }
        if op.entity == "work_order" && op.kind == "complete" {
            history_jobs.push(op.entity_id.clone());
        }
    }
    history_jobs.dedup();
    Needs {
        op_ids: batch.op_ids().collect(),
        job_ids,
        history_jobs,
    }
}

/// A new op to store.
#[derive(Clone, Debug)]
pub struct NewOp {
    pub op: Op,
    pub body: String,
    pub body_hash: String,
    pub outcome: FirstOutcome,
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// Everything a backend writes for a batch.
#[derive(Clone, Debug)]
pub struct PushPlan {
    pub response: PushResponse,
    /// The device's new `last_seq`.
    pub last_seq: i64,
    pub inserts: Vec<NewOp>,
    pub flags: Vec<Flag>,
    /// Jobs completed (applied): their server `completed_at` and status become completed.
    pub completed: Vec<String>,
    /// Completions stored (applied or conflict) whose signature drawings are still to be
    /// checked ([`crate::drawings`]): (completion op id, work order id).
    pub drawings: Vec<(String, String)>,
}

/// The canonical body of an op (compact JSON, keys sorted) and its SHA-256.
pub fn body_of(op: &Op) -> (String, String) {
    let body = serde_json::to_value(op)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    (body, hash)
}

fn refuse(code: &str, reason: &str) -> (FirstOutcome, Option<String>, Option<String>) {
    (
        FirstOutcome::Rejected,
        Some(code.to_owned()),
        Some(reason.to_owned()),
    )
}

/// Plans a batch (the ops are in `seq` order; the caller checked the batch's size).
pub fn plan(
    device: &DeviceRecord,
    batch: Batch,
    sent_at: Option<i64>,
    state: &PushState,
    policy: PushPolicy,
    now: i64,
) -> PushPlan {
    let device_id = device.id.to_string();
    let mut last_seq = state.last_seq;
    let mut results = Vec::with_capacity(batch.ops.len());
    let mut inserts: Vec<NewOp> = Vec::new();
    let mut flags: Vec<Flag> = Vec::new();
    let mut completed = Vec::new();
    let mut history = state.history.clone();
    let mut flagged_jobs: HashSet<(String, &'static str)> = HashSet::new();
    let mut seen_in_batch: HashSet<OpId> = HashSet::new();
    let mut gap: Option<i64> = None;
    let flag = |flags: &mut Vec<Flag>, job: Option<&str>, op: &Op, kind: &str, detail: String| {
        flags.push(Flag {
            work_order_id: job.map(str::to_owned),
            op_id: Some(op.op_id.to_string()),
            device_id: device_id.clone(),
            kind: kind.to_owned(),
            detail,
            created_at: now,
        })
    };
    // A device clock off by more than the threshold is flagged once per batch: from the
    // clock it reports when sending, else from ops dated in the future.
    let Batch { ops } = batch;
    let mut drawings = Vec::new();
    let skew = match sent_at {
        Some(t) => Some(t - now),
        None => ops
            .iter()
            .map(|p| p.op.device_time - now)
            .find(|d| *d > policy.max_clock_skew_ms),
    };
    if let (Some(d), Some(first)) = (skew, ops.first().map(|p| &p.op))
        && d.abs() > policy.max_clock_skew_ms
    {
        let job = (first.entity == "work_order").then_some(first.entity_id.as_str());
        flag(
            &mut flags,
            job,
            first,
            "clock_skew",
            format!(
                "the device's clock is {} s {} the server's",
                d.abs() / 1000,
                if d > 0 { "ahead of" } else { "behind" }
            ),
        );
    }
    for Prepared {
        op,
        body,
        body_hash,
    } in ops
    {
        let (op_id, seq) = (op.op_id, op.seq);
        let answer = |outcome| OpResult {
            op_id,
            seq,
            outcome,
        };
        if let Some(expected) = gap {
            results.push(answer(OpOutcome::Gap { expected }));
            continue;
        }
        if let Some(stored) = state.existing.get(&op_id) {
            if stored.body_hash == body_hash && stored.device_id == device_id {
                results.push(answer(OpOutcome::Duplicate {
                    first: stored.outcome,
                    code: stored.code.clone(),
                    reason: stored.reason.clone(),
                }));
            } else {
                results.push(answer(OpOutcome::Rejected {
                    code: "op_id_reused".into(),
                    reason: "this op id was already used for a different op".into(),
                }));
            }
            continue;
        }
        if !seen_in_batch.insert(op_id) {
            results.push(answer(OpOutcome::Rejected {
                code: "op_id_reused".into(),
                reason: "this op id appears twice in the batch".into(),
            }));
            continue;
        }
        if seq <= last_seq {
            results.push(answer(OpOutcome::Rejected {
                code: "seq_reused".into(),
                reason: format!("sequence {seq} was already answered for another op"),
            }));
            continue;
        }
        if seq > last_seq + 1 {
            gap = Some(last_seq + 1);
            results.push(answer(OpOutcome::Gap {
                expected: last_seq + 1,
            }));
            continue;
        }
        let job_id = op.entity_id.clone();
        let (outcome, code, reason) = decide(&op, state, &device.technician_id);
        if op.entity == "work_order" && outcome != FirstOutcome::Rejected {
            let job = state.jobs.get(&job_id);
            let cancelled = job.is_some_and(|j| j.cancelled);
            if outcome == FirstOutcome::Conflict {
                let (kind, detail): (&'static str, String) = if op.kind == "complete" {
                    if cancelled {
                        (
                            "completed_after_cancellation",
                            "completed on the device after the desk cancelled the job".into(),
                        )
                    } else {
                        (
                            "completed_after_reassignment",
                            "completed on the device after the job was reassigned".into(),
                        )
                    }
                } else if cancelled {
                    (
                        "fact_after_cancellation",
                        format!("`{}` recorded after the desk cancelled the job", op.kind),
                    )
                } else {
                    (
                        "fact_after_reassignment",
                        format!("`{}` recorded after the job was reassigned", op.kind),
                    )
                };
                if op.kind == "complete" || flagged_jobs.insert((job_id.clone(), kind)) {
                    flag(&mut flags, Some(&job_id), &op, kind, detail);
                }
            }
            if let Some(h) = history.get_mut(&job_id) {
                h.push(op.clone());
            }
            if op.kind == "complete" {
                if let (Some(job), Some(h)) = (job, history.get(&job_id)) {
                    let check = replay::check_completion(
                        job.kind,
                        job.billing,
                        h,
                        h.len() - 1,
                        &state.templates,
                    );
                    for b in &check.gate {
                        flag(
                            &mut flags,
                            Some(&job_id),
                            &op,
                            "checklist_gate",
                            b.to_string(),
                        );
                    }
                    for p in &check.chain {
                        flag(&mut flags, Some(&job_id), &op, "timeline_chain", p.clone());
                    }
                    for p in &check.signatures {
                        flag(&mut flags, Some(&job_id), &op, "signature", p.clone());
                    }
                }
                drawings.push((op_id.to_string(), job_id.clone()));
                if outcome == FirstOutcome::Applied {
                    completed.push(job_id.clone());
                }
            }
        }
        last_seq = seq;
        results.push(answer(match outcome {
            FirstOutcome::Applied => OpOutcome::Applied,
            FirstOutcome::Rejected => OpOutcome::Rejected {
                code: code.clone().unwrap_or_default(),
                reason: reason.clone().unwrap_or_default(),
            },
            FirstOutcome::Conflict => OpOutcome::Conflict {
                code: code.clone().unwrap_or_default(),
                reason: reason.clone().unwrap_or_default(),
            },
        }));
        inserts.push(NewOp {
            op,
            body,
            body_hash,
            outcome,
            code,
            reason,
        });
    }
    PushPlan {
        response: PushResponse {
            results,
            acked_through: last_seq,
        },
        last_seq,
        inserts,
        flags,
        completed,
        drawings,
    }
}

/// Decides a new op in sequence: applied, conflict or rejected, with code and reason.
fn decide(
    op: &Op,
    state: &PushState,
    technician_id: &str,
) -> (FirstOutcome, Option<String>, Option<String>) {
    if op.version < 1 || op.version > OP_VERSION {
        return refuse(
            "unsupported_version",
            &format!(
                "op version {} is not supported (1 to {OP_VERSION})",
                op.version
            ),
        );
    }
    let kind_ok = !op.kind.is_empty()
        && op.kind.len() <= 64
        && op.kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !kind_ok {
        return refuse("bad_kind", "the op kind is not a snake_case name");
    }
    if !op.payload.is_object() {
        return refuse("bad_payload", "the payload is not a JSON object");
    }
    match op.entity.as_str() {
        "stock" => {
            if op.entity_id.trim().is_empty() || op.entity_id.len() > 64 {
                return refuse("bad_entity", "a stock op names a part's SKU");
            }
            (FirstOutcome::Applied, None, None)
        }
        "work_order" => {
            if op.entity_id.parse::<WorkOrderId>().is_err() {
                return refuse("bad_entity", "a job op names a work order id");
            }
            let unknown = || refuse("unknown_job", "no such job among this technician's jobs");
            let Some(job) = state.jobs.get(&op.entity_id) else {
                return unknown();
            };
            if !job.ever_mine {
                return unknown();
            }
            if job.cancelled {
                return (
                    FirstOutcome::Conflict,
                    Some("job_cancelled".into()),
                    Some("the desk cancelled this job; the fact is kept and flagged".into()),
                );
            }
            if job.technician_id.as_deref() != Some(technician_id) {
                return (
                    FirstOutcome::Conflict,
                    Some("job_reassigned".into()),
                    Some(
                        "this job was reassigned to another technician; the fact is kept and \
                         flagged"
                            .into(),
                    ),
                );
            }
            (FirstOutcome::Applied, None, None)
        }
        _ => refuse("unknown_entity", "the op's entity is not known"),
    }
}
