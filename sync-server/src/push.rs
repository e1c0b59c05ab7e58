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
//! 3. Otherwise it is judged and stored with its outcome — `applied`, `conflict` (kept as a
//!    fact and flagged) or `rejected` — so a rejected op never blocks the ones behind it and
//!    a retry gets the same answer.
//!
//! Judging a job's op: a job that was never this technician's (or does not exist) is
//! `rejected` as `unknown_job`, with the same words either way so no other technician's job is
//! revealed. Otherwise the device's replay of the job ([`JobReplay`], the core's own rules)
//! judges it: an op the rules refuse is `rejected` with the rule's code and reason. An op the
//! rules accept is `applied`, or a `conflict` when the desk cancelled or reassigned the job
//! meanwhile (kept, flagged for the dispatcher: nothing a technician recorded is dropped).
//!
//! A `complete` is never refused by the rules; it becomes the job's completion:
//! - the job already has one (from any device): `conflict` `already_completed`, flagged, not a
//!   second completion;
//! - the desk cancelled or reassigned the job: `conflict`, kept and flagged, never counted;
//! - the rules find problems (checklist gate, workflow, timeline chain, signatures): `conflict`
//!   `completion_held` with the reasons — held for the desk, who releases or rejects it;
//! - otherwise `applied`: the completion is `checking` until its signature drawings are
//!   checked, then counted (or held, if a drawing does not match).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use fieldkit_core::model::{DeviceId, OpId, WorkOrderStatus};
use fieldkit_core::sync::ops::{JobOp, OpBody};
use fieldkit_core::sync::protocol::{Change, FirstOutcome, Op, OpOutcome, OpResult, PushResponse};
use fieldkit_core::sync::replay::{
    CompletionCheck, Context, JobReplay, Published, REPLAY_VERSION, Verdict,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

mod decision;
mod van;

use crate::i18n::Locale;
pub use crate::records::{CompletionState, PushPolicy};
use crate::records::{DeviceRecord, Flag, JobRecord};
use crate::stored::{Code, Stored};
use decision::{APPLIED, Decision, answer_reason, conflict, held_reason, refuse, refused};
use van::Van;

/// An op already stored.
#[derive(Clone, Debug)]
pub struct StoredOp {
    pub device_id: String,
    pub body_hash: String,
    pub outcome: FirstOutcome,
    pub code: Option<String>,
    /// The reason in the words stored (English before migration 0015, Chinese since).
    pub reason: Option<String>,
    /// The reason as a code and arguments (none before 0015).
    pub said: Option<Stored>,
}

impl StoredOp {
    /// The reason a duplicate is answered with, in the device's language (`locale`).
    pub fn wire_reason(&self, locale: Locale) -> Option<String> {
        match &self.said {
            Some(s) => Some(s.render(locale)),
            None => self.reason.clone(),
        }
    }
}

/// A job as push handling needs it.
#[derive(Clone, Debug)]
pub struct JobState {
    pub job: JobRecord,
    /// The job was assigned to this device's technician at some point.
    pub ever_mine: bool,
    /// The job has a completion that stands (checking, counted, held or released).
    pub completed: bool,
    /// This device's replay of the job so far.
    pub replay: JobReplay,
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
    /// What the desk published (templates, fee schedules, parts).
    pub published: Arc<Published>,
    /// The technician's van stock by the server's ledger (SKU → on hand), read when the
    /// batch moves stock ([`Needs::stock`]).
    pub stock: HashMap<String, i64>,
    /// The technician's replenishments issued and not yet received: id → (SKU, quantity).
    pub issued: HashMap<String, (String, i64)>,
}

/// A push's ops with what needs no stored state done up front, before the backend takes
/// any lock: each op's canonical body and its hash.
pub struct Batch {
    pub ops: Vec<Prepared>,
    /// The language the device is answered in (its `Accept-Language`): refused ops' reasons.
    pub locale: Locale,
}

/// One op of a [`Batch`].
pub struct Prepared {
    pub op: Op,
    pub body: String,
    pub body_hash: String,
}

impl Batch {
    /// Prepares ops (CPU only; run it off the async workers), answered in `locale`.
    pub fn prepare(ops: Vec<Op>, locale: Locale) -> Batch {
        let ops = ops
            .into_iter()
            .map(|mut op| {
                let (body, body_hash) = body_of(&mut op);
                Prepared {
                    op,
                    body,
                    body_hash,
                }
            })
            .collect();
        Batch { ops, locale }
    }

    /// The ops' ids, in order.
    pub fn op_ids(&self) -> impl Iterator<Item = OpId> + '_ {
        self.ops.iter().map(|p| p.op.op_id)
    }
}

/// What the backend must read for a batch: op ids and job ids.
pub struct Needs {
    pub op_ids: Vec<OpId>,
    pub job_ids: Vec<String>,
    /// The batch moves van stock (a stock op or a part used): read the ledger.
    pub stock: bool,
}

/// What to read before planning.
pub fn needs(batch: &Batch) -> Needs {
    let mut job_ids = Vec::new();
    let mut seen = HashSet::new();
    for Prepared { op, .. } in &batch.ops {
        if op.entity == "work_order" && seen.insert(op.entity_id.clone()) {
            job_ids.push(op.entity_id.clone());
        }
    }
    let stock = batch
        .ops
        .iter()
        .any(|p| p.op.entity == "stock" || p.op.kind == "record_part");
    Needs {
        op_ids: batch.op_ids().collect(),
        job_ids,
        stock,
    }
}

/// Rejection codes of ops that never entered a device's journal on the server (they are not
/// replayed when a replay is rebuilt).
pub const ENVELOPE_CODES: [&str; 5] = [
    "op_id_reused",
    "seq_reused",
    "unknown_job",
    "unknown_entity",
    "bad_entity",
];

/// A device's replay of a job as stored (`stored`: its version and JSON), or rebuilt from the
/// device's stored ops on the job (`history`, in `seq` order, envelope rejections left out)
/// when there is none yet (a job pushed to a server older than the judge) or it is of another
/// version. `history`'s error (the backend's) is passed on as it is.
pub fn replay_of<E>(
    stored: Option<(i64, String)>,
    history: impl FnOnce() -> Result<Vec<Op>, E>,
    job: &JobRecord,
    device: DeviceId,
    published: &Published,
) -> Result<JobReplay, E> {
    if let Some((version, json)) = stored
        && version == i64::from(REPLAY_VERSION)
        && let Ok(r) = serde_json::from_str::<JobReplay>(&json)
    {
        return Ok(r);
    }
    let ops = history()?;
    let desk = published.for_job(&job.order);
    let cx = Context {
        order: &job.order,
        device_id: device,
        desk: &desk,
    };
    Ok(JobReplay::fold(&ops, &cx))
}

/// The publications the judge needs, rebuilt only when something new was published.
#[derive(Default)]
pub struct PublishedCache {
    inner: Mutex<Option<(i64, Arc<Published>)>>,
}

impl PublishedCache {
    /// The publications as of `head` (the newest publication's change number): cached, or
    /// built from `load` (every publication, oldest first), whose error is passed on.
    pub fn get<E>(
        &self,
        head: i64,
        load: impl FnOnce() -> Result<Vec<Change>, E>,
    ) -> Result<Arc<Published>, E> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((h, p)) = inner.as_ref()
            && *h == head
        {
            return Ok(p.clone());
        }
        let mut p = Published::new();
        for change in load()? {
            match change {
                Change::ChecklistTemplate { json } => {
                    if let Ok(t) = fieldkit_core::checklist::Template::from_json(&json) {
                        p.add_template(Arc::new(t));
                    }
                }
                Change::FeeSchedule { fee_schedule } => p.add_fee_schedule(fee_schedule),
                Change::CatalogPart { part } => p.add_part(part.sku),
                _ => {}
            }
        }
        let p = Arc::new(p);
        *inner = Some((head, p.clone()));
        Ok(p)
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
    /// The reason in Chinese words (the column older servers read).
    pub reason: Option<String>,
    /// The reason as a code and arguments.
    pub said: Option<Stored>,
}

/// A completion to store.
#[derive(Clone, Debug)]
pub struct NewCompletion {
    pub op_id: String,
    pub work_order_id: String,
    pub state: CompletionState,
    /// Why it is held or a conflict (no personal data), as codes and arguments; stored with
    /// their Chinese words beside them (the column older servers read).
    pub reasons: Vec<Stored>,
    pub completed_at_device: i64,
}

/// Everything a backend writes for a batch.
#[derive(Clone, Debug)]
pub struct PushPlan {
    pub response: PushResponse,
    /// The device's new `last_seq`.
    pub last_seq: i64,
    pub inserts: Vec<NewOp>,
    pub flags: Vec<Flag>,
    pub completions: Vec<NewCompletion>,
    /// The device's replays of the batch's jobs, as they stand after it (work order id).
    pub replays: Vec<(String, JobReplay)>,
    /// Completions whose signature drawings are still to be checked ([`crate::drawings`]):
    /// (completion op id, work order id).
    pub drawings: Vec<(String, String)>,
}

/// The canonical body of an op (compact JSON, keys sorted) and its SHA-256. The payload (a
/// signature's thousands of stroke values) is moved into the JSON tree and back, not copied.
pub fn body_of(op: &mut Op) -> (String, String) {
    let payload = std::mem::take(&mut op.payload);
    let mut tree = match serde_json::to_value(&*op) {
        Ok(Value::Object(tree)) => tree,
        _ => serde_json::Map::new(), // an `Op` always serializes to an object
    };
    tree.insert("payload".to_owned(), payload);
    let tree = Value::Object(tree);
    let body = tree.to_string();
    if let Value::Object(mut tree) = tree {
        op.payload = tree.remove("payload").unwrap_or_default();
    }
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    (body, hash)
}

/// Builds the flags of one batch.
struct Flags<'a> {
    device_id: &'a str,
    now: i64,
    out: Vec<Flag>,
    /// (job, kind) already flagged in this batch, for the once-per-batch kinds.
    once: HashSet<(String, &'static str)>,
}

impl Flags<'_> {
    fn raise(&mut self, job: Option<&str>, op: &Op, kind: &str, said: impl Into<Stored>) {
        self.out.push(Flag::new(
            job.map(str::to_owned),
            Some(op.op_id.to_string()),
            self.device_id.to_owned(),
            kind,
            said.into(),
            self.now,
        ));
    }

    fn once(&mut self, job: &str, op: &Op, kind: &'static str, said: Stored) {
        if self.once.insert((job.to_owned(), kind)) {
            self.raise(Some(job), op, kind, said);
        }
    }

    /// One flag per problem a completion check found, by kind.
    fn check(&mut self, job: &str, op: &Op, check: &CompletionCheck) {
        if let Some(r) = &check.said.refusal {
            self.raise(Some(job), op, "workflow", r.clone());
        }
        for b in &check.gate {
            self.raise(Some(job), op, "checklist_gate", b.said());
        }
        for p in &check.said.chain {
            self.raise(Some(job), op, "timeline_chain", p.clone());
        }
        for p in &check.said.signatures {
            self.raise(Some(job), op, "signature", p.clone());
        }
    }
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
    let mut flags = Flags {
        device_id: &device_id,
        now,
        out: Vec::new(),
        once: HashSet::new(),
    };
    let mut jobs = state.jobs.clone();
    let mut stock = Van {
        on_hand: state.stock.clone(),
        issued: state.issued.clone(),
    };
    let mut touched: Vec<String> = Vec::new();
    let mut completions = Vec::new();
    let mut drawings = Vec::new();
    let mut seen_in_batch: HashSet<OpId> = HashSet::new();
    let mut gap: Option<i64> = None;
    // A device clock off by more than the threshold is flagged once per batch: from the
    // clock it reports when sending, else from ops dated in the future.
    let Batch { ops, locale } = batch;
    let skew = match sent_at {
        // Saturating: both clocks come from the device and may be anything an i64 holds.
        Some(t) => Some(t.saturating_sub(now)),
        None => ops
            .iter()
            .map(|p| p.op.device_time.saturating_sub(now))
            .find(|d| *d > policy.max_clock_skew_ms),
    };
    if let (Some(d), Some(first)) = (skew, ops.first().map(|p| &p.op))
        && d.saturating_abs() > policy.max_clock_skew_ms
    {
        let job = (first.entity == "work_order").then_some(first.entity_id.as_str());
        flags.raise(
            job,
            first,
            "clock_skew",
            Code::ClockSkew
                .said()
                .arg("seconds", d.saturating_abs() / 1000)
                .arg("direction", if d > 0 { "ahead" } else { "behind" }),
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
                    reason: stored.wire_reason(locale),
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
        let (outcome, code, reason, said) = match op.entity.as_str() {
            "work_order" => {
                let job = jobs
                    .get_mut(&op.entity_id)
                    .filter(|j| j.ever_mine && op.entity_id.parse::<uuid::Uuid>().is_ok());
                match job {
                    None => refuse("unknown_job", Code::UnknownJob),
                    Some(job) => {
                        if !touched.contains(&op.entity_id) {
                            touched.push(op.entity_id.clone());
                        }
                        let (d, completion) = judge_job_op(&op, job, device, state, &mut flags);
                        if d.0 != FirstOutcome::Rejected
                            && let Ok(Some(JobOp::RecordPart(p))) = op.job_op()
                        {
                            stock.used_on_job(&op, &p.sku, p.quantity, &mut flags);
                        }
                        if let Some(c) = completion {
                            drawings.push((op_id.to_string(), op.entity_id.clone()));
                            completions.push(c);
                        }
                        d
                    }
                }
            }
            "stock" => {
                if op.entity_id.trim().is_empty() || op.entity_id.len() > 64 {
                    refuse("bad_entity", Code::StockBadEntity)
                } else {
                    match op.body() {
                        Ok(OpBody::Stock(s)) => stock.judge(&op, &s, &mut flags),
                        Ok(OpBody::Job(_)) => refuse("bad_payload", Code::NotAStockOp),
                        Err(e) => refused(e.into()),
                    }
                }
            }
            _ => refuse("unknown_entity", Code::UnknownEntity),
        };
        last_seq = seq;
        results.push(answer(match outcome {
            FirstOutcome::Applied => OpOutcome::Applied,
            FirstOutcome::Rejected => OpOutcome::Rejected {
                code: code.clone().unwrap_or_default(),
                reason: answer_reason(said.as_ref(), reason.as_deref(), locale),
            },
            FirstOutcome::Conflict => OpOutcome::Conflict {
                code: code.clone().unwrap_or_default(),
                reason: match completions.last() {
                    // A held completion: the device hears the first reasons themselves.
                    Some(c) if c.op_id == op_id.to_string() && !c.reasons.is_empty() => {
                        held_reason(said.as_ref(), &c.reasons, locale)
                    }
                    _ => answer_reason(said.as_ref(), reason.as_deref(), locale),
                },
            },
        }));
        inserts.push(NewOp {
            op,
            body,
            body_hash,
            outcome,
            code,
            reason: said.as_ref().map(|s| s.render(Locale::ZhCn)).or(reason),
            said,
        });
    }
    let replays = touched
        .into_iter()
        .filter_map(|id| {
            let r = jobs.remove(&id)?.replay;
            Some((id, r))
        })
        .collect();
    PushPlan {
        response: PushResponse {
            results,
            acked_through: last_seq,
        },
        last_seq,
        inserts,
        flags: flags.out,
        completions,
        replays,
        drawings,
    }
}

/// Judges a job's op with the device's replay and the desk's side. Returns the decision and
/// the completion it makes (for a `complete` that is not a second one).
fn judge_job_op(
    op: &Op,
    job: &mut JobState,
    device: &DeviceRecord,
    state: &PushState,
    flags: &mut Flags<'_>,
) -> (Decision, Option<NewCompletion>) {
    let job_id = op.entity_id.as_str();
    let desk = state.published.for_job(&job.job.order);
    let cx = Context {
        order: &job.job.order,
        device_id: device.id,
        desk: &desk,
    };
    let cancelled = job.job.order.status == WorkOrderStatus::Cancelled;
    let reassigned = job.job.technician_id.as_deref() != Some(device.technician_id.as_str());
    let verdict = job.replay.apply(op, &cx);
    let check = match verdict {
        Verdict::Refused(r) => return (refused(r), None),
        Verdict::Accepted => {
            let d = if cancelled {
                flags.once(
                    job_id,
                    op,
                    "fact_after_cancellation",
                    Code::FactAfterCancellation
                        .said()
                        .arg("kind", op.kind.as_str()),
                );
                conflict("job_cancelled", Code::JobCancelledFact)
            } else if reassigned {
                flags.once(
                    job_id,
                    op,
                    "fact_after_reassignment",
                    Code::FactAfterReassignment
                        .said()
                        .arg("kind", op.kind.as_str()),
                );
                conflict("job_reassigned", Code::JobReassignedFact)
            } else {
                // Endings the desk must act on: what follows a refused signature, and the
                // redelivery job to create. The reason, witness and note stay on the job's
                // page (no personal data in a flag).
                let desk_flag = match op.kind.as_str() {
                    "refuse_signature" => Some(("signature_refused", Code::SignatureRefused)),
                    "request_redelivery" => {
                        Some(("redelivery_requested", Code::RedeliveryRequested))
                    }
                    _ => None,
                };
                if let Some((kind, code)) = desk_flag {
                    flags.raise(Some(job_id), op, kind, code);
                }
                if op.kind == "settle"
                    && let Some(s) = job.replay.visit.as_ref().and_then(|v| v.settlements.last())
                    && s.amount != s.consented
                {
                    // Checked against the server's own replay of the visit's fee consent, never
                    // a total the phone claims; the reason stays on the job's page.
                    flags.raise(
                        Some(job_id),
                        op,
                        "settlement_differs",
                        Code::SettlementDiffers
                            .said()
                            .arg("settled", s.amount)
                            .arg("consented", s.consented),
                    );
                }
                APPLIED
            };
            return (d, None);
        }
        Verdict::Completion(check) => check,
    };
    let completion = |state, reasons| NewCompletion {
        op_id: op.op_id.to_string(),
        work_order_id: job_id.to_owned(),
        state,
        reasons,
        completed_at_device: op.device_time,
    };
    let reasons: Vec<Stored> = check.reasons_said().into_iter().map(Stored::from).collect();
    if job.completed {
        flags.raise(
            Some(job_id),
            op,
            "second_completion",
            Code::SecondCompletion,
        );
        let d = conflict("already_completed", Code::AlreadyCompleted);
        return (d, None);
    }
    if cancelled || reassigned {
        let (kind, flag, code, kept) = if cancelled {
            (
                "completed_after_cancellation",
                Code::CompletedAfterCancellation,
                "job_cancelled",
                Code::CompletionKeptCancelled,
            )
        } else {
            (
                "completed_after_reassignment",
                Code::CompletedAfterReassignment,
                "job_reassigned",
                Code::CompletionKeptReassigned,
            )
        };
        flags.raise(Some(job_id), op, kind, flag);
        flags.check(job_id, op, &check);
        let d = conflict(code, kept);
        return (d, Some(completion(CompletionState::Conflict, reasons)));
    }
    job.completed = true;
    if check.ok() {
        return (
            APPLIED,
            Some(completion(CompletionState::Checking, reasons)),
        );
    }
    flags.check(job_id, op, &check);
    // The op stores how many (the completion keeps them all, as codes); the device hears the
    // first ones in its language (`held_reason`). `wire`: the English words, as stored before
    // the sentences were codes.
    let said = Code::CompletionHeld.said().arg("count", reasons.len());
    let wire = format!(
        "held for the service desk: {}",
        check
            .reasons()
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let d = (
        FirstOutcome::Conflict,
        Some("completion_held".to_owned()),
        Some(wire),
        Some(said),
    );
    (d, Some(completion(CompletionState::Held, reasons)))
}

#[cfg(test)]
mod tests;
