//! Replay of a job's journal: folds the ops a device pushed for one job into the facts the
//! checklist gate and signature verification need, so the server re-runs the core's own
//! rules on every completion. Pure: no I/O, no clock, no SQL.
//!
//! What is checked when a `complete` op arrives ([`check_completion`]):
//! - the timeline hash chain of the job's ops from that device ([`verify_chain`]);
//! - the checklist completion gate ([`crate::checklist::Run::completion_blockers`]) on facts
//!   folded from the completing visit's ops ([`visit_facts`]);
//! - every signature of the visit: its seal, its summary's hash, its chain head, and
//!   (customer signatures not superseded) that what was signed still matches the visit's
//!   records ([`crate::media::signature::compare`]).
//!
//! That the strokes of those signatures draw their image is checked apart, by
//! [`drawing_problems`]: drawing again is the one costly check (rasterise, encode the PNG,
//! hash it), so a server runs it after the push has been answered instead of inside it.

use std::collections::HashMap;

use serde_json::Value;

use super::protocol::Op;
use crate::checklist::{
    self, AnswerValue, Blocker, Recorded, Run, Stage, StepKind, Template, VisitFacts,
};
use crate::media::chain::{self, ChainedEvent};
use crate::media::signature::{
    self as sig, RecordedAt, SealInput, SignedSummary, Strokes, SummaryAnswer, SummaryFees,
    SummaryFinding, SummaryPart,
};
use crate::model::{Billing, JobKind, Signature, SignerRole};

/// What the server found when it re-ran the rules on a completion. Empty lists: all good.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompletionCheck {
    /// The template the gate ran on (`id`, `version`), if one was found.
    pub template: Option<(String, u32)>,
    /// What the checklist gate says still blocks completion.
    pub gate: Vec<Blocker>,
    /// Problems with the job's hash chain.
    pub chain: Vec<String>,
    /// Problems with signatures (no personal data: ids and step names).
    pub signatures: Vec<String>,
}

impl CompletionCheck {
    /// Nothing to flag.
    pub fn ok(&self) -> bool {
        self.gate.is_empty() && self.chain.is_empty() && self.signatures.is_empty()
    }
}

/// The visit an op belongs to: the op's `visit_id`, or (older journals) `payload.visit_id`.
pub fn visit_of(op: &Op) -> Option<&str> {
    op.visit_id
        .as_deref()
        .or_else(|| op.payload.get("visit_id").and_then(Value::as_str))
}

/// Recomputes the hash chain over one device's ops for one job (in `seq` order). Returns the
/// problems found (empty: intact).
pub fn verify_chain(ops: &[Op]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut prev: Option<String> = None;
    for (i, op) in ops.iter().enumerate() {
        let Some(stored) = &op.hash else {
            problems.push(format!(
                "timeline event {} ({}) carries no hash",
                i + 1,
                op.kind
            ));
            return problems;
        };
        let id = op.op_id.to_string();
        let payload = op.payload.to_string();
        let h = chain::event_hash(
            prev.as_deref(),
            &ChainedEvent {
                id: &id,
                work_order_id: &op.entity_id,
                visit_id: op.visit_id.as_deref(),
                kind: &op.kind,
                at_ms: op.device_time,
                payload: &payload,
            },
        );
        if &h != stored {
            problems.push(format!(
                "timeline event {} ({}) does not match its hash: an event was changed, removed or inserted",
                i + 1,
                op.kind
            ));
            return problems;
        }
        prev = Some(h);
    }
    problems
}

/// The templates the visit may follow, preferred first: the one named by the op that planned
/// the visit (`payload.template = {id, version}`), else the default for the job kind (the
/// take-back return template after a take-back), newest published version first, then the
/// built-in one.
pub fn candidate_templates(
    kind: JobKind,
    visit_ops: &[&Op],
    earlier_ops: &[&Op],
    published: &[Template],
) -> Vec<Template> {
    let named = visit_ops.iter().find_map(|op| {
        let t = op.payload.get("template")?;
        Some((
            t.get("id")?.as_str()?.to_owned(),
            u32::try_from(t.get("version")?.as_u64()?).ok()?,
        ))
    });
    let builtins = checklist::default_templates();
    let find = |id: &str, version: u32| {
        published
            .iter()
            .chain(builtins.iter())
            .find(|t| t.id == id && t.version == version)
            .cloned()
    };
    if let Some((id, version)) = named
        && let Some(t) = find(&id, version)
    {
        return vec![t];
    }
    let return_visit = earlier_ops.iter().any(|op| op.kind == "take_back");
    let builtin = checklist::default_template_for(kind, return_visit);
    let mut out: Vec<Template> = published
        .iter()
        .filter(|t| t.id == builtin.id && t.version > builtin.version)
        .cloned()
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.version));
    out.push(builtin);
    out
}

/// Folds the ops of one visit into the checklist engine's facts.
pub fn visit_facts(
    kind: JobKind,
    billing: Billing,
    template: &Template,
    visit_ops: &[&Op],
) -> VisitFacts {
    let mut facts = VisitFacts::new(kind, billing);
    let fee_step = template
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::FeeConsent))
        .map(|s| s.id.clone());
    let mut findings: Vec<String> = Vec::new();
    let mut acknowledged: Vec<String> = Vec::new();
    for op in visit_ops {
        let p = &op.payload;
        match op.kind.as_str() {
            "call_customer" if p.get("reached").and_then(Value::as_bool) == Some(true) => {
                facts.previsit_call_reached = true;
            }
            "start_travel" => facts.stage = facts.stage.max(Stage::EnRoute),
            "arrive" => facts.stage = facts.stage.max(Stage::OnSite),
            "start_work" | "resume" | "pause" => facts.stage = Stage::Working,
            "answer_step" => {
                if let (Some(step), Some(answer)) = (
                    p.get("step").and_then(Value::as_str),
                    p.get("answer")
                        .and_then(|a| serde_json::from_value::<AnswerValue>(a.clone()).ok()),
                ) {
                    facts
                        .recorded
                        .insert(step.to_owned(), Recorded::Answer(answer));
                }
            }
            "except_step" => {
                if let (Some(step), Some(reason)) = (
                    p.get("step").and_then(Value::as_str),
                    p.get("reason").and_then(Value::as_str),
                ) {
                    facts.recorded.insert(
                        step.to_owned(),
                        Recorded::Exception {
                            reason: reason.to_owned(),
                        },
                    );
                }
            }
            "consent_to_fees" => {
                if let (Some(step), Some(agreed)) =
                    (&fee_step, p.get("agreed").and_then(Value::as_bool))
                {
                    facts.recorded.insert(
                        step.clone(),
                        Recorded::Answer(AnswerValue::FeeConsent { agreed }),
                    );
                }
            }
            "add_photo" if p.get("kind").and_then(Value::as_str) != Some("signature_image") => {
                if let Some(step) = p.get("step_id").and_then(Value::as_str) {
                    *facts.photos.entry(step.to_owned()).or_default() += 1;
                }
            }
            "record_finding" => {
                if let Some(id) = p.get("id").and_then(Value::as_str) {
                    findings.push(id.to_owned());
                }
            }
            "sign" => {
                if let Some(f) = p.get("finding").and_then(Value::as_str) {
                    acknowledged.push(f.to_owned());
                }
                let role = p
                    .get("role")
                    .and_then(Value::as_str)
                    .and_then(SignerRole::parse);
                if let (Some(step), Some(role)) = (p.get("step_id").and_then(Value::as_str), role) {
                    facts
                        .signatures
                        .entry(step.to_owned())
                        .or_default()
                        .push(role);
                }
            }
            _ => {}
        }
    }
    facts.unacknowledged_findings = findings
        .iter()
        .filter(|f| !acknowledged.contains(f))
        .count() as u32;
    facts
}

/// The visit's records as a summary (for comparing with what was signed), with when each item
/// was recorded. The work-order part is left as `order` gives it.
fn current_summary(
    order: &sig::SummaryOrder,
    visit_id: &str,
    template: &Template,
    visit_ops: &[&Op],
) -> (SignedSummary, RecordedAt) {
    let mut at = RecordedAt::new();
    let facts = visit_facts(JobKind::Repair, Billing::Warranty, template, visit_ops);
    let mut findings = Vec::new();
    let mut parts = Vec::new();
    let mut photos = Vec::new();
    let mut fee_consent = None;
    let mut answer_at: HashMap<String, i64> = HashMap::new();
    let fee_step = template
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::FeeConsent))
        .map(|s| s.id.clone());
    for op in visit_ops {
        let p = &op.payload;
        let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        match op.kind.as_str() {
            "answer_step" | "except_step" => {
                if let Some(step) = s("step") {
                    answer_at.insert(step, op.device_time);
                }
            }
            "record_finding" => {
                if let Some(id) = s("id") {
                    at.insert(format!("finding:{id}"), op.device_time);
                    findings.push(SummaryFinding {
                        id,
                        kind: s("kind").unwrap_or_default(),
                        description: s("description").unwrap_or_default(),
                    });
                }
            }
            "record_part" => {
                if let Some(id) = s("id") {
                    at.insert(format!("part:{id}"), op.device_time);
                    parts.push(SummaryPart {
                        id,
                        sku: s("sku").unwrap_or_default(),
                        quantity: p.get("quantity").and_then(Value::as_i64).unwrap_or(0),
                        new_serial: s("new_serial"),
                        old_part: s("old_part").unwrap_or_default(),
                        old_serial: s("old_serial"),
                    });
                }
            }
            "consent_to_fees" => {
                if let Some(id) = s("id") {
                    if let Some(step) = &fee_step {
                        answer_at.insert(step.clone(), op.device_time);
                    }
                    at.insert(format!("fees:{id}"), op.device_time);
                    fee_consent = Some(SummaryFees {
                        id,
                        schedule_id: s("schedule_id").unwrap_or_default(),
                        schedule_version: p
                            .get("schedule_version")
                            .and_then(Value::as_u64)
                            .and_then(|v| u32::try_from(v).ok())
                            .unwrap_or(0),
                        items: p
                            .get("items")
                            .and_then(|v| serde_json::from_value(v.clone()).ok())
                            .unwrap_or_default(),
                        total: p.get("total").and_then(Value::as_i64).unwrap_or(0),
                        agreed: p.get("agreed").and_then(Value::as_bool).unwrap_or(false),
                    });
                }
            }
            "add_photo" if s("kind").as_deref() != Some("signature_image") => {
                if let Some(sha) = s("sha256") {
                    at.entry(format!("photo:{sha}")).or_insert(op.device_time);
                    photos.push(sha);
                }
            }
            _ => {}
        }
    }
    let answers = facts
        .recorded
        .into_iter()
        .map(|(step, rec)| {
            if let Some(t) = answer_at.get(&step) {
                at.insert(format!("answer:{step}"), *t);
            }
            let (answer, exception) = match rec {
                Recorded::Answer(a) => (Some(a), None),
                Recorded::Exception { reason } => (None, Some(reason)),
            };
            SummaryAnswer {
                step,
                answer,
                exception,
            }
        })
        .collect();
    let summary = SignedSummary {
        version: 1,
        work_order: order.clone(),
        visit_id: visit_id.to_owned(),
        findings,
        answers,
        parts,
        fee_consent,
        photos,
    }
    .canonicalize();
    (summary, at)
}

/// Whether a `sign` op's strokes draw the image it names (the SHA-256 of the PNG they render
/// to). `None`: not a signature op, or no strokes to draw.
pub fn strokes_draw_image(op: &Op) -> Option<bool> {
    use sha2::{Digest, Sha256};
    if op.kind != "sign" {
        return None;
    }
    let image = op.payload.get("image_sha256")?.as_str()?;
    let strokes = serde_json::from_value::<Strokes>(op.payload.get("strokes")?.clone()).ok()?;
    let png = strokes.render_png().ok()?;
    Some(hex::encode(Sha256::digest(&png)) == image)
}

/// Checks a completion: `job_ops` are one device's ops for the job in `seq` order, up to and
/// including the `complete` op at `complete_index`. `kind` and `billing` are the work order's
/// as the server holds them; `published` the templates the desk published. The drawings are
/// left to [`drawing_problems`].
pub fn check_completion(
    kind: JobKind,
    billing: Billing,
    job_ops: &[Op],
    complete_index: usize,
    published: &[Template],
) -> CompletionCheck {
    let mut out = CompletionCheck {
        chain: verify_chain(&job_ops[..=complete_index.min(job_ops.len().saturating_sub(1))]),
        ..CompletionCheck::default()
    };
    let Some(complete) = job_ops.get(complete_index) else {
        out.gate.push(Blocker {
            step_id: None,
            label: None,
            reason: checklist::BlockReason::Unanswered,
        });
        return out;
    };
    let Some(visit) = visit_of(complete) else {
        out.signatures
            .push("the completion names no visit".to_owned());
        return out;
    };
    let before = &job_ops[..complete_index];
    let visit_ops: Vec<&Op> = before
        .iter()
        .filter(|o| visit_of(o) == Some(visit))
        .collect();
    let first_of_visit = before
        .iter()
        .position(|o| visit_of(o) == Some(visit))
        .unwrap_or(before.len());
    let earlier: Vec<&Op> = before[..first_of_visit].iter().collect();
    let candidates = candidate_templates(kind, &visit_ops, &earlier, published);
    // The gate passes if the visit's facts pass on any template the visit may follow;
    // otherwise the preferred template's blockers are reported.
    let mut gate: Option<Vec<Blocker>> = None;
    let mut used: Option<&Template> = None;
    for t in &candidates {
        let facts = visit_facts(kind, billing, t, &visit_ops);
        // The device runs the gate when completing from `working`, as here.
        let blockers = if facts.stage == Stage::Working {
            Run::new(t, &facts).completion_blockers()
        } else {
            Vec::new()
        };
        if blockers.is_empty() {
            gate = Some(Vec::new());
            used = Some(t);
            break;
        }
        if gate.is_none() {
            gate = Some(blockers);
            used = Some(t);
        }
    }
    out.gate = gate.unwrap_or_default();
    out.template = used.map(|t| (t.id.clone(), t.version));
    let Some(template) = used else {
        return out;
    };
    out.signatures = check_signatures(job_ops, complete_index, visit, template, &visit_ops);
    out
}

fn check_signatures(
    job_ops: &[Op],
    complete_index: usize,
    visit: &str,
    template: &Template,
    visit_ops: &[&Op],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut checks: Vec<(SignerRole, Option<String>, Vec<String>)> = Vec::new();
    for (i, op) in job_ops[..complete_index].iter().enumerate() {
        if op.kind != "sign" || visit_of(op) != Some(visit) {
            continue;
        }
        let Ok(s) = serde_json::from_value::<Signature>(op.payload.clone()) else {
            problems.push(format!(
                "signature op {} is not a signature record",
                op.op_id
            ));
            continue;
        };
        let mut own = Vec::new();
        let (Some(summary_sha256), Some(chain_head), Some(seal)) =
            (&s.summary_sha256, &s.chain_head, &s.seal)
        else {
            own.push(format!("signature {} is not bound to a summary", s.id));
            checks.push((s.role, s.step_id.clone(), own));
            continue;
        };
        let expected = sig::seal(&SealInput {
            summary_sha256,
            chain_head,
            signer_name: &s.signer_name,
            role: s.role.as_str(),
            signed_at_ms: s.signed_at.timestamp_millis(),
            image_sha256: &s.image_sha256,
            device_id: &s.device_id.to_string(),
        });
        if &expected != seal {
            own.push(format!("signature {}: the record was altered", s.id));
        }
        let signed = op
            .payload
            .get("summary")
            .and_then(|v| serde_json::from_value::<SignedSummary>(v.clone()).ok());
        match &signed {
            Some(summary) if &summary.sha256() == summary_sha256 => {
                let head_before = if i == 0 {
                    String::new()
                } else {
                    job_ops[i - 1].hash.clone().unwrap_or_default()
                };
                if op.hash.is_some() && &head_before != chain_head {
                    own.push(format!(
                        "signature {}: the timeline before the signature changed",
                        s.id
                    ));
                }
                let (latest, latest_at) =
                    current_summary(&summary.work_order, visit, template, visit_ops);
                own.extend(
                    sig::compare(summary, &latest, &latest_at, s.signed_at.timestamp_millis())
                        .into_iter()
                        .map(|p| format!("signature {}: {p}", s.id)),
                );
            }
            _ => own.push(format!(
                "signature {}: the signed summary does not match its hash",
                s.id
            )),
        }
        checks.push((s.role, s.step_id.clone(), own));
    }
    for (i, check) in checks.iter().enumerate() {
        if standing_customer(&checks, i) {
            problems.extend(check.2.iter().cloned());
        }
    }
    problems
}

/// A later signature by the same role for the same step supersedes an earlier one; only
/// customers' signatures that still stand count, as on the device.
fn standing_customer<T>(signed: &[(SignerRole, Option<String>, T)], i: usize) -> bool {
    let (role, step) = (signed[i].0, &signed[i].1);
    role == SignerRole::Customer
        && !signed[i + 1..]
            .iter()
            .any(|later| later.0 == role && &later.1 == step)
}

/// The completion's standing customer signatures whose strokes do not draw their image.
/// `job_ops`: one device's ops for the job in `seq` order (its `sign` ops are enough) up to
/// and including the `complete` op at `complete_index`.
pub fn drawing_problems(job_ops: &[Op], complete_index: usize) -> Vec<String> {
    let Some(visit) = job_ops.get(complete_index).and_then(visit_of) else {
        return Vec::new();
    };
    let signed: Vec<(SignerRole, Option<String>, (&Op, Signature))> = job_ops[..complete_index]
        .iter()
        .filter(|op| op.kind == "sign" && visit_of(op) == Some(visit))
        .filter_map(|op| {
            let s = serde_json::from_value::<Signature>(op.payload.clone()).ok()?;
            Some((s.role, s.step_id.clone(), (op, s)))
        })
        .collect();
    (0..signed.len())
        .filter(|&i| standing_customer(&signed, i))
        .filter_map(|i| {
            let (op, s) = &signed[i].2;
            (strokes_draw_image(op) == Some(false)).then(|| {
                format!(
                    "signature {}: the strokes do not draw the signature image",
                    s.id
                )
            })
        })
        .collect()
}
