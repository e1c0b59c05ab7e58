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
use crate::i18n::{Locale, Said};
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
    /// The refusal, the chain's and the signatures' problems as messages of the phone's
    /// catalogue, in [`CompletionCheck::reasons`]' order less the gate's (each blocker is
    /// its own, [`Blocker::said`]): what a server stores to show in the reader's language.
    #[serde(default)]
    pub said: CheckSaid,
}

/// [`CompletionCheck`]'s problems as messages (the gate's are its blockers').
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckSaid {
    pub refusal: Option<Said>,
    pub chain: Vec<Said>,
    pub signatures: Vec<Said>,
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

    /// Every reason as a message of the phone's catalogue, in [`CompletionCheck::reasons`]'
    /// order.
    pub fn reasons_said(&self) -> Vec<Said> {
        self.said
            .refusal
            .iter()
            .cloned()
            .chain(self.gate.iter().map(Blocker::said))
            .chain(self.said.chain.iter().cloned())
            .chain(self.said.signatures.iter().cloned())
            .collect()
    }

    /// Records the refusal (the first one stands).
    pub fn refuse(&mut self, said: Said) {
        if self.refusal.is_none() {
            self.refusal = Some(said.render(Locale::En));
            self.said.refusal = Some(said);
        }
    }

    /// Records a problem of the timeline's hash chain.
    pub fn chain_problem(&mut self, said: Said) {
        self.chain.push(said.render(Locale::En));
        self.said.chain.push(said);
    }

    /// Records a problem of the customer's signatures.
    pub fn signature_problem(&mut self, said: Said) {
        self.signatures.push(said.render(Locale::En));
        self.said.signatures.push(said);
    }
}

/// Why an item is not signed (`sig-unsigned`'s `why`): not in the timeline, recorded before
/// the signature, recorded after a sign-off.
const UNTIMED: &str = "untimed";
const BEFORE: &str = "before";
const AFTER_SIGN_OFF: &str = "after_sign_off";

/// `signature {id}: {problem}`.
fn of_signature(id: impl ToString, problem: Said) -> Said {
    Said::new("sig-of")
        .arg("signature", id.to_string())
        .arg("problem", problem)
}

/// An item of a signed summary, named for a problem.
fn item(id: &str, name: &str, value: &str) -> Said {
    Said::new(id).arg(name, value)
}

/// One signature of a visit, checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureCheck {
    pub signature_id: crate::model::SignatureId,
    pub role: SignerRole,
    pub step_id: Option<String>,
    /// What does not match; empty when it verifies.
    pub problems: Vec<String>,
    /// The same as messages of the phone's catalogue (empty where only words are kept: a
    /// phone's own check of its stored records).
    #[serde(default)]
    pub problems_said: Vec<Said>,
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
                let problems_said: Vec<Said> = match &s.summary {
                    None => vec![Said::new("sig-not-bound").arg("signature", s.id.to_string())],
                    Some(signed) => {
                        let covers = s
                            .step
                            .as_deref()
                            .and_then(|step| t.step(step))
                            .is_some_and(|step| step.phase == Phase::CloseOut);
                        signature_problems_said(signed, &current, &positions, s.seq, covers)
                            .into_iter()
                            .map(|p| of_signature(s.id, p))
                            .collect()
                    }
                };
                SignatureCheck {
                    signature_id: s.id,
                    role: s.role,
                    step_id: s.step.clone(),
                    problems: problems_said.iter().map(|p| p.render(Locale::En)).collect(),
                    problems_said,
                    superseded,
                }
            })
            .collect()
    }

    /// The problems of the customer's standing signatures, as messages.
    pub fn signature_problems(&self, order: &WorkOrder, t: &Template) -> Vec<Said> {
        self.signature_checks(order, t)
            .into_iter()
            .filter(|c| c.role == SignerRole::Customer && !c.superseded)
            .flat_map(|c| c.problems_said)
            .collect()
    }
}

/// Compares what was signed (at journal position `signed_seq`) with the records as they stand.
/// `positions`: where each current item was recorded ([`VisitReplay::positions`]);
/// `signs_off`: the signature is on a close-out step, so it signs off the whole record.
/// Returns what does not match, in English words (ids and step names only); see
/// [`signature_problems_said`] for the same as messages.
pub fn signature_problems(
    signed: &SignedSummary,
    current: &SignedSummary,
    positions: &HashMap<String, (i64, bool)>,
    signed_seq: i64,
    signs_off: bool,
) -> Vec<String> {
    signature_problems_said(signed, current, positions, signed_seq, signs_off)
        .iter()
        .map(|p| p.render(Locale::En))
        .collect()
}

/// [`signature_problems`] as messages of the phone's catalogue.
pub fn signature_problems_said(
    signed: &SignedSummary,
    current: &SignedSummary,
    positions: &HashMap<String, (i64, bool)>,
    signed_seq: i64,
    signs_off: bool,
) -> Vec<Said> {
    let mut problems = Vec::new();
    if signed.work_order != current.work_order {
        problems.push(Said::new("sig-work-order-changed"));
    }
    if signed.visit_id != current.visit_id {
        problems.push(Said::new("sig-other-visit"));
    }
    // An item not signed: recorded before the signature (it should have been signed), after a
    // sign-off (it was added to a record the customer had closed), or nowhere in the timeline
    // (it was put in the records behind the journal's back).
    let unsigned = |key: String| -> Option<&'static str> {
        let Some((seq, may_follow)) = positions.get(&key).copied() else {
            return Some(UNTIMED);
        };
        if seq < signed_seq {
            Some(BEFORE)
        } else if signs_off && !may_follow {
            Some(AFTER_SIGN_OFF)
        } else {
            None
        }
    };
    let changed = |what: Said| Said::new("sig-changed").arg("item", what);
    let removed = |what: Said| Said::new("sig-removed").arg("item", what);
    let not_signed =
        |what: Said, why: &str| Said::new("sig-unsigned").arg("item", what).arg("why", why);
    let finding = |id: &str| item("sig-item-finding", "id", id);
    let answer = |step: &str| item("sig-item-answer", "step", step);
    let part = |id: &str| item("sig-item-part", "id", id);
    let photo = |id: &str| item("sig-item-photo", "id", id);
    for f in &signed.findings {
        match current.findings.iter().find(|c| c.id == f.id) {
            Some(c) if c == f => {}
            Some(_) => problems.push(changed(finding(&f.id.to_string()))),
            None => problems.push(removed(finding(&f.id.to_string()))),
        }
    }
    for c in &current.findings {
        if !signed.findings.iter().any(|f| f.id == c.id)
            && let Some(why) = unsigned(format!("finding:{}", c.id))
        {
            problems.push(not_signed(finding(&c.id.to_string()), why));
        }
    }
    for a in &signed.answers {
        match current.answers.iter().find(|c| c.step == a.step) {
            Some(c) if c == a => {}
            Some(_) => problems.push(changed(answer(&a.step))),
            None => problems.push(removed(answer(&a.step))),
        }
    }
    for c in &current.answers {
        if !signed.answers.iter().any(|a| a.step == c.step)
            && let Some(why) = unsigned(format!("answer:{}", c.step))
        {
            problems.push(not_signed(answer(&c.step), why));
        }
    }
    for p in &signed.parts {
        match current.parts.iter().find(|c| c.id == p.id) {
            Some(c) if c == p => {}
            Some(_) => problems.push(changed(part(&p.id.to_string()))),
            None => problems.push(removed(part(&p.id.to_string()))),
        }
    }
    for c in &current.parts {
        if !signed.parts.iter().any(|p| p.id == c.id)
            && let Some(why) = unsigned(format!("part:{}", c.id))
        {
            problems.push(not_signed(part(&c.id.to_string()), why));
        }
    }
    match (&signed.fee_consent, &current.fee_consent) {
        (Some(s), Some(c)) if s != c => problems.push(Said::new("sig-fees-changed")),
        (Some(_), None) => problems.push(Said::new("sig-fee-consent-removed")),
        (None, Some(c)) => {
            if let Some(why) = unsigned(format!("fees:{}", c.id)) {
                problems.push(not_signed(Said::new("sig-item-fee-consent"), why));
            }
        }
        _ => {}
    }
    // A take-back receipt signed for must stand as signed (one recorded after a signature is
    // that visit's own, signed on its own).
    if let Some(tb) = &signed.take_back
        && current.take_back.as_ref() != Some(tb)
    {
        problems.push(Said::new("sig-take-back-changed"));
    }
    for p in &signed.photos {
        if !current.photos.contains(p) {
            problems.push(removed(photo(&p.to_string())));
        }
    }
    for c in &current.photos {
        if !signed.photos.contains(c)
            && let Some(why) = unsigned(format!("photo:{c}"))
        {
            problems.push(not_signed(photo(&c.to_string()), why));
        }
    }
    problems
}
