//! Signed means signed: what a customer signature vouches for, compared with the visit's
//! records by their place in the journal (never by the device's clock), and the completion
//! check built on it.
//!
//! For every customer signature that still stands (no later one by the customer for the same
//! step): each item it was given over must still be there unchanged, and no item recorded
//! before it may be missing from it. A signature on a close-out step signs off the record: after
//! it, only answers and photos of close-out steps may be added (feedback, fee settled, the
//! customer's copy, goodbye); a new fee consent, part, finding, answer or photo of the visit's
//! earlier phases is a mismatch until the customer signs again.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::visit::VisitReplay;
use crate::checklist::{Blocker, Phase, Template};
use crate::media::signature::SignedSummary;
use crate::model::{SignerRole, TemplateRef, WorkOrder};

/// What stops a completion. Empty lists and no refusal: the completion stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionCheck {
    /// The template the gate ran on.
    pub template: Option<TemplateRef>,
    /// The workflow refuses completion now (e.g. work has not started).
    pub refusal: Option<String>,
    /// What the checklist gate says still blocks completion.
    pub gate: Vec<Blocker>,
    /// Problems with the job's hash chain.
    pub chain: Vec<String>,
    /// Problems with the customer's signatures (no personal data: ids and step names).
    pub signatures: Vec<String>,
}

impl CompletionCheck {
    /// Nothing stops the completion.
    pub fn ok(&self) -> bool {
        self.refusal.is_none()
            && self.gate.is_empty()
            && self.chain.is_empty()
            && self.signatures.is_empty()
    }

    /// Every reason in words, in a stable order (workflow, gate, chain, signatures).
    pub fn reasons(&self) -> Vec<String> {
        self.refusal
            .iter()
            .cloned()
            .chain(self.gate.iter().map(ToString::to_string))
            .chain(self.chain.iter().cloned())
            .chain(self.signatures.iter().cloned())
            .collect()
    }
}

/// One signature of a visit, checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureCheck {
    pub signature_id: crate::model::SignatureId,
    pub role: SignerRole,
    pub step_id: Option<String>,
    /// What does not match; empty when it verifies.
    pub problems: Vec<String>,
    /// A later signature by the same role for the same step replaced this one.
    pub superseded: bool,
}

impl VisitReplay {
    /// Every signature of the visit checked against the records as they stand.
    pub fn signature_checks(&self, order: &WorkOrder, t: &Template) -> Vec<SignatureCheck> {
        let current = self.summary(order, t);
        let positions = self.positions(t);
        let sigs = &self.signatures;
        sigs.iter()
            .enumerate()
            .map(|(i, s)| {
                let superseded = sigs[i + 1..]
                    .iter()
                    .any(|later| later.role == s.role && later.step == s.step);
                let problems = match &s.summary {
                    None => vec![format!("signature {} is not bound to a summary", s.id)],
                    Some(signed) => {
                        let covers = s
                            .step
                            .as_deref()
                            .and_then(|step| t.step(step))
                            .is_some_and(|step| step.phase == Phase::CloseOut);
                        signature_problems(signed, &current, &positions, s.seq, covers)
                            .into_iter()
                            .map(|p| format!("signature {}: {p}", s.id))
                            .collect()
                    }
                };
                SignatureCheck {
                    signature_id: s.id,
                    role: s.role,
                    step_id: s.step.clone(),
                    problems,
                    superseded,
                }
            })
            .collect()
    }

    /// The problems of the customer's standing signatures.
    pub fn signature_problems(&self, order: &WorkOrder, t: &Template) -> Vec<String> {
        self.signature_checks(order, t)
            .into_iter()
            .filter(|c| c.role == SignerRole::Customer && !c.superseded)
            .flat_map(|c| c.problems)
            .collect()
    }
}

/// Compares what was signed (at journal position `signed_seq`) with the records as they stand.
/// `positions`: where each current item was recorded ([`VisitReplay::positions`]);
/// `signs_off`: the signature is on a close-out step, so it signs off the whole record.
/// Returns what does not match, in words (ids and step names only).
pub fn signature_problems(
    signed: &SignedSummary,
    current: &SignedSummary,
    positions: &HashMap<String, (i64, bool)>,
    signed_seq: i64,
    signs_off: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    if signed.work_order != current.work_order {
        problems.push("the work order's details changed since signing".to_owned());
    }
    if signed.visit_id != current.visit_id {
        problems.push("it was given on another visit".to_owned());
    }
    // An item not signed: recorded before the signature (it should have been signed), after a
    // sign-off (it was added to a record the customer had closed), or nowhere in the timeline
    // (it was put in the records behind the journal's back).
    let unsigned = |key: String| -> Option<&'static str> {
        let Some((seq, may_follow)) = positions.get(&key).copied() else {
            return Some("is not in the job's timeline");
        };
        if seq < signed_seq {
            Some("was recorded before the signature but not signed")
        } else if signs_off && !may_follow {
            Some("was recorded after the customer signed off the record")
        } else {
            None
        }
    };
    for f in &signed.findings {
        match current.findings.iter().find(|c| c.id == f.id) {
            Some(c) if c == f => {}
            Some(_) => problems.push(format!("finding {} changed since signing", f.id)),
            None => problems.push(format!("finding {} was removed after signing", f.id)),
        }
    }
    for c in &current.findings {
        if !signed.findings.iter().any(|f| f.id == c.id)
            && let Some(why) = unsigned(format!("finding:{}", c.id))
        {
            problems.push(format!("finding {} {why}", c.id));
        }
    }
    for a in &signed.answers {
        match current.answers.iter().find(|c| c.step == a.step) {
            Some(c) if c == a => {}
            Some(_) => problems.push(format!(
                "the answer to step {} changed since signing",
                a.step
            )),
            None => problems.push(format!(
                "the answer to step {} was removed after signing",
                a.step
            )),
        }
    }
    for c in &current.answers {
        if !signed.answers.iter().any(|a| a.step == c.step)
            && let Some(why) = unsigned(format!("answer:{}", c.step))
        {
            problems.push(format!("the answer to step {} {why}", c.step));
        }
    }
    for p in &signed.parts {
        match current.parts.iter().find(|c| c.id == p.id) {
            Some(c) if c == p => {}
            Some(_) => problems.push(format!("part record {} changed since signing", p.id)),
            None => problems.push(format!("part record {} was removed after signing", p.id)),
        }
    }
    for c in &current.parts {
        if !signed.parts.iter().any(|p| p.id == c.id)
            && let Some(why) = unsigned(format!("part:{}", c.id))
        {
            problems.push(format!("part record {} {why}", c.id));
        }
    }
    match (&signed.fee_consent, &current.fee_consent) {
        (Some(s), Some(c)) if s != c => {
            problems.push("the fees agreed changed since signing".to_owned())
        }
        (Some(_), None) => problems.push("the fee consent was removed after signing".to_owned()),
        (None, Some(c)) => {
            if let Some(why) = unsigned(format!("fees:{}", c.id)) {
                problems.push(format!("a fee consent {why}"));
            }
        }
        _ => {}
    }
    // A take-back receipt signed for must stand as signed (one recorded after a signature is
    // that visit's own, signed on its own).
    if let Some(tb) = &signed.take_back
        && current.take_back.as_ref() != Some(tb)
    {
        problems.push("the take-back receipt changed since signing".to_owned());
    }
    for p in &signed.photos {
        if !current.photos.contains(p) {
            problems.push(format!("photo {p} was removed after signing"));
        }
    }
    for c in &current.photos {
        if !signed.photos.contains(c)
            && let Some(why) = unsigned(format!("photo:{c}"))
        {
            problems.push(format!("photo {c} {why}"));
        }
    }
    problems
}
