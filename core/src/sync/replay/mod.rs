//! The second judge: one device's journal for one job, replayed op by op through the core's
//! own rules — the work-order and visit state machines ([`crate::workflow`]), the checklist
//! engine and its gates ([`crate::checklist`]), evidence, fee consent against the published
//! schedule, the signed summary and the timeline's hash chain. Pure: no I/O, no clock, no
//! SQL; what the desk published comes through a [`Desk`].
//!
//! The server keeps a [`JobReplay`] per (job, device) and judges each incoming op against it
//! ([`JobReplay::apply`]), so judging a push costs O(ops in the push). The device folds its
//! own journal through the very same code for the summary a customer signs
//! ([`JobReplay::summary`]) and for the completion check ([`JobReplay::completion_check`]),
//! so the two judges cannot drift.
//!
//! An op the rules refuse leaves the state as it was ([`Verdict::Refused`], with a
//! machine-readable code). A `complete` is never refused on the rules: it is judged
//! ([`Verdict::Completion`]) and, when the check finds problems, held for the desk.

mod desk;
mod drawing;
mod endings;
mod judge;
mod signed;
mod visit;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use desk::{JobDesk, Published};
pub use drawing::{drawing_problems, drawing_problems_said, strokes_draw_image};
pub use endings::Shortfall;
pub use signed::{
    CheckSaid, CompletionCheck, SignatureCheck, signature_problems, signature_problems_said,
};
pub use visit::{SettlementFact, VisitReplay, summary_order};

use super::ops::{JobOp, OpError};
use super::protocol::Op;
use crate::checklist::{Run, Template};
use crate::i18n::{Locale, Said};
use crate::media::chain::{self, ChainedEvent};
use crate::media::signature::SignedSummary;
use crate::model::*;
use crate::workflow::{Job, JobAction};

/// The version of [`JobReplay`]'s stored shape and rules: a server rebuilds a stored replay of
/// another version from the job's ops. 3: the open visit carries the job's loaner count.
pub const REPLAY_VERSION: u32 = 3;

/// What the desk published, as the judge needs it.
pub trait Desk {
    /// A template by id and version (published or built in).
    fn template(&self, r: &TemplateRef) -> Option<Arc<Template>>;
    /// The template a visit newly planned by the call that names `visit_id` follows: the job's
    /// pinned one, or its pinned return-visit one after a take-back (`return_visit`).
    fn visit_template(&self, visit_id: &str, return_visit: bool) -> Option<TemplateRef>;
    /// A published fee schedule version.
    fn fee_schedule(&self, id: &str, version: u32) -> Option<FeeSchedule>;
    /// The catalog has this part.
    fn part_known(&self, sku: &str) -> bool;
}

/// Everything an op is judged against besides the replay itself.
pub struct Context<'a> {
    /// The work order as the desk holds it (kind, billing and the summary's order part).
    pub order: &'a WorkOrder,
    /// The device whose journal this is.
    pub device_id: DeviceId,
    pub desk: &'a dyn Desk,
}

/// Why the rules refuse an op: a machine-readable code and words for people (never personal
/// data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// `bad_payload`, `unsupported_op`, `unsupported_version`, `chain_mismatch`,
    /// `wrong_visit`, `not_allowed_now`, `blocked`, `checklist`, `invalid`,
    /// `unknown_fee_schedule`, `fee_mismatch`, `unknown_part`, `duplicate_photo`,
    /// `unknown_finding`, `summary_mismatch`, `not_shown`, `seal_mismatch`, `wrong_device`,
    /// `unknown_loaner`.
    pub code: String,
    /// In English (what a phone is answered).
    pub reason: String,
    /// The reason as a message of the phone's catalogue, for whoever stores it and shows it
    /// later in the reader's language. A reason the code words as a fixed English phrase is
    /// `refused-word` (the phrase shown through [`crate::i18n::word`] with the `invalid-`
    /// prefix: translated where the catalogue has it, else as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<Said>,
}

impl Refused {
    fn new(code: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self {
            code: code.to_owned(),
            said: Some(Said::new("refused-word").word("reason", "invalid-", &reason)),
            reason,
        }
    }

    /// A refusal whose reason is the message `said`.
    pub(crate) fn said(code: &str, said: Said) -> Self {
        Self {
            code: code.to_owned(),
            reason: said.render(Locale::En),
            said: Some(said),
        }
    }
}

impl From<OpError> for Refused {
    fn from(e: OpError) -> Self {
        let said = match &e {
            OpError::UnknownEntity { entity } => {
                Said::new("op-unknown-entity").arg("entity", entity.as_str())
            }
            OpError::UnknownKind { kind } => {
                Said::new("op-unknown-kind").arg("kind", kind.as_str())
            }
            OpError::UnsupportedVersion { kind, version } => Said::new("op-unsupported-version")
                .arg("kind", kind.as_str())
                .arg("version", *version)
                .arg("supported", super::ops::OP_VERSION),
            OpError::BadPayload { kind, .. } => {
                Said::new("op-bad-payload").arg("kind", kind.as_str())
            }
        };
        Refused {
            code: e.code().to_owned(),
            reason: e.to_string(),
            said: Some(said),
        }
    }
}

impl From<crate::workflow::Refusal> for Refused {
    fn from(r: crate::workflow::Refusal) -> Self {
        Refused::said("not_allowed_now", r.said())
    }
}

impl From<crate::checklist::Refusal> for Refused {
    fn from(r: crate::checklist::Refusal) -> Self {
        Refused::said("checklist", r.said())
    }
}

/// The judgement of one op.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The rules accept it; the replay moved.
    Accepted,
    /// The rules refuse it; the replay did not move.
    Refused(Refused),
    /// A `complete`: what its check found (nothing: a completion; something: held).
    Completion(CompletionCheck),
}

/// One device's journal for one job, replayed: the job's state as those ops moved it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobReplay {
    /// [`REPLAY_VERSION`] when written.
    pub version: u32,
    pub order: WorkOrderStatus,
    /// The open visit, or the last one once it ended (its summary stays readable).
    pub visit: Option<VisitReplay>,
    /// Visits planned so far.
    pub visits: u32,
    /// A unit was taken back and has not come back: the next visit is a return visit.
    pub taken_back: bool,
    /// The loaners lent at take-backs, by id: `true` once returned.
    #[serde(default)]
    pub loaners: std::collections::BTreeMap<String, bool>,
    /// The hash of the last accepted job event (the timeline's head).
    pub head: Option<String>,
    /// The `seq` of the last op judged.
    pub last_seq: i64,
    /// The `seq` of this journal's `complete`, once one was judged.
    pub completed_at_seq: Option<i64>,
    /// Events that did not follow the timeline's hash chain (altered, inserted or removed).
    pub chain_breaks: u32,
}

impl Default for JobReplay {
    fn default() -> Self {
        Self::new()
    }
}

impl JobReplay {
    /// A job as dispatched: nothing recorded yet.
    pub fn new() -> Self {
        Self {
            version: REPLAY_VERSION,
            order: WorkOrderStatus::Assigned,
            visit: None,
            visits: 0,
            taken_back: false,
            loaners: Default::default(),
            head: None,
            last_seq: 0,
            completed_at_seq: None,
            chain_breaks: 0,
        }
    }

    /// Replays ops in order from a fresh state, keeping only what the rules accept.
    pub fn fold<'o>(ops: impl IntoIterator<Item = &'o Op>, cx: &Context<'_>) -> JobReplay {
        let mut r = JobReplay::new();
        for op in ops {
            r.apply(op, cx);
        }
        r
    }

    /// The job's workflow state (order and open visit).
    pub fn job(&self) -> Job {
        Job {
            order: self.order,
            visit: self
                .visit
                .as_ref()
                .map(|v| v.status)
                .filter(|s| s.is_open()),
        }
    }

    /// The open visit.
    pub fn open_visit(&self) -> Option<&VisitReplay> {
        self.visit.as_ref().filter(|v| v.status.is_open())
    }

    /// Judges `op` (one of this job's ops from this device, in `seq` order) and, unless it is
    /// refused, moves the replay. The timeline's head moves on every op that carries a hash,
    /// refused or not (the device chains each event to the one before, whatever the server
    /// says of it), so one refused or altered op never makes the ones behind it fail.
    pub fn apply(&mut self, op: &Op, cx: &Context<'_>) -> Verdict {
        let chain = self.chained(op);
        let verdict = self.judged(op, chain, cx);
        if op.hash.is_some() {
            self.head = op.hash.clone();
        }
        self.last_seq = op.seq;
        verdict
    }

    fn judged(&mut self, op: &Op, chain: Result<(), Refused>, cx: &Context<'_>) -> Verdict {
        let body = match op.job_op() {
            Ok(Some(b)) => b,
            Ok(None) => return Verdict::Refused(Refused::new("bad_payload", "not a job op")),
            Err(e) => return Verdict::Refused(e.into()),
        };
        if let Err(r) = chain {
            self.chain_breaks += 1;
            // A `complete` is judged whatever: a broken chain holds it.
            if let JobOp::Complete(_) = body {
                let check = self.completion_check(cx);
                self.completed_at_seq.get_or_insert(op.seq);
                return Verdict::Completion(check);
            }
            return Verdict::Refused(r);
        }
        let mut next = self.clone();
        match next.judge(op, &body, cx) {
            Ok(v) => {
                *self = next;
                v
            }
            Err(r) => Verdict::Refused(r),
        }
    }

    /// Whether the op follows the timeline's head in the hash chain.
    fn chained(&self, op: &Op) -> Result<(), Refused> {
        let Some(stored) = &op.hash else {
            return Err(Refused::new(
                "chain_mismatch",
                "the event carries no timeline hash",
            ));
        };
        let id = op.op_id.to_string();
        let payload = op.payload.to_string();
        let h = chain::event_hash(
            self.head.as_deref(),
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
            return Err(Refused::said(
                "chain_mismatch",
                Said::new("refused-chain-mismatch").arg("kind", op.kind.as_str()),
            ));
        }
        Ok(())
    }

    fn transition(&mut self, action: JobAction) -> Result<(), Refused> {
        let next = self.job().apply(action)?;
        self.order = next.order;
        if let Some(v) = self.visit.as_mut().filter(|v| v.status.is_open()) {
            v.status = match next.visit {
                Some(s) => s,
                None => VisitStatus::Ended(action.ending()),
            };
        }
        Ok(())
    }

    /// The open visit the op names.
    fn visit_of(&mut self, op: &Op, action: &'static str) -> Result<&mut VisitReplay, Refused> {
        let order = self.order;
        let Some(v) = self.visit.as_mut().filter(|v| v.status.is_open()) else {
            return Err(crate::workflow::Refusal {
                action,
                subject: "job",
                state: order.as_str(),
                hint: "no visit is under way",
            }
            .into());
        };
        if op.visit_id.as_deref() != Some(v.id.as_str()) {
            return Err(Refused::new(
                "wrong_visit",
                "the op does not name the visit under way",
            ));
        }
        Ok(v)
    }

    /// The signed summary of the open (or last) visit as it stands.
    pub fn summary(&self, cx: &Context<'_>) -> Option<SignedSummary> {
        let v = self.visit.as_ref()?;
        let t = v.template(cx).ok()?;
        Some(v.summary(cx.order, &t))
    }

    /// The open visit's summary with the take-back receipt `tb` not recorded yet (what the
    /// customer signs for a take-back).
    pub fn summary_with_take_back(
        &self,
        cx: &Context<'_>,
        tb: crate::media::signature::SummaryTakeBack,
    ) -> Option<SignedSummary> {
        let v = self.visit.as_ref()?;
        let t = v.template(cx).ok()?;
        Some(v.summary_with_take_back(cx.order, &t, tb))
    }

    /// What stops the open visit's completion now: the workflow, the checklist gate and the
    /// customer's standing signatures (see [`CompletionCheck`]).
    pub fn completion_check(&self, cx: &Context<'_>) -> CompletionCheck {
        let mut check = CompletionCheck::default();
        if let Err(r) = self.job().apply(JobAction::Complete) {
            check.refuse(r.said());
        }
        let Some(v) = self.open_visit() else {
            return check;
        };
        let t = match v.template(cx) {
            Ok(t) => t,
            Err(r) => {
                let said = r.said.unwrap_or_else(|| {
                    Said::new("refused-word").word("reason", "invalid-", &r.reason)
                });
                check.refuse(said);
                return check;
            }
        };
        check.template = Some(TemplateRef {
            id: t.id.clone(),
            version: t.version,
        });
        let facts = v.facts(cx, &t);
        if v.status == VisitStatus::Working {
            check.gate = Run::new(&t, &facts).completion_blockers();
        }
        for p in v.signature_problems(cx.order, &t) {
            check.signature_problem(p);
        }
        if self.chain_breaks > 0 {
            check.chain_problem(Said::new("check-chain-breaks").arg("count", self.chain_breaks));
        }
        check
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use std::collections::HashMap;

    use crate::media::signature::SignedSummary;

    /// Every item of `s` placed at `seq`, none of them allowed after a sign-off.
    pub fn positions_of(s: &SignedSummary, seq: i64) -> HashMap<String, (i64, bool)> {
        let mut at = HashMap::new();
        for f in &s.findings {
            at.insert(format!("finding:{}", f.id), (seq, false));
        }
        for a in &s.answers {
            at.insert(format!("answer:{}", a.step), (seq, false));
        }
        for p in &s.parts {
            at.insert(format!("part:{}", p.id), (seq, false));
        }
        if let Some(f) = &s.fee_consent {
            at.insert(format!("fees:{}", f.id), (seq, false));
        }
        for p in &s.photos {
            at.insert(format!("photo:{p}"), (seq, false));
        }
        at
    }
}

#[cfg(test)]
mod tests;
