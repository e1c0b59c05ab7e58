//! Signing: the summary shown to the signer, the signature bound to it and to the job's
//! timeline, and verification that nothing signed has changed since.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Current, FieldKit, text};
use crate::checklist::{Evidence, Phase, Refusal, Run, StepKind, Template};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::media::signature::{
    self as sig, SealInput, SignedSummary, Strokes, SummaryAnswer, SummaryFees, SummaryFinding,
    SummaryPart, SummaryTakeBack,
};
use crate::model::*;
use crate::store::{Durability, queries, records};
use crate::sync::ops::{JobOp, RefuseSignatureV1, SignV1, SummaryViewedV1};
pub use crate::sync::replay::SignatureCheck;
use crate::sync::replay::{self, Context, Desk, JobReplay};

/// A signature drawn on the phone.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureInput {
    /// Personal data: never logged.
    pub signer_name: String,
    pub role: SignerRole,
    /// What the pen drew; the core renders the image.
    pub strokes: Strokes,
    /// The checklist step it satisfies, if any.
    pub step_id: Option<String>,
    /// The finding it confirms, if any (step 7).
    pub finding: Option<FindingId>,
}

impl std::fmt::Debug for SignatureInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureInput")
            .field("role", &self.role)
            .field("strokes", &self.strokes.strokes.len())
            .field("step_id", &self.step_id)
            .field("finding", &self.finding)
            .finish_non_exhaustive()
    }
}

/// What the signer is shown before signing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigningSummary {
    pub summary: SignedSummary,
    /// The SHA-256 the signature will carry.
    pub sha256: String,
}

/// The result of checking a job's timeline and signatures against its records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Problems with the timeline's hash chain (empty when intact).
    pub chain_problems: Vec<String>,
    pub signatures: Vec<SignatureCheck>,
}

impl Verification {
    /// Everything matches (superseded signatures aside).
    pub fn ok(&self) -> bool {
        self.chain_problems.is_empty()
            && self
                .signatures
                .iter()
                .all(|s| s.superseded || s.problems.is_empty())
    }
}

/// What the device published to itself: the templates, fee schedules and parts it holds, and
/// the template each of its visits follows — the [`Desk`] its own journal is replayed with.
struct DeviceDesk<'a> {
    kit: &'a FieldKit,
    c: &'a rusqlite::Connection,
}

impl Desk for DeviceDesk<'_> {
    fn template(&self, r: &TemplateRef) -> Option<Arc<Template>> {
        self.kit.template(self.c, r).ok()
    }

    fn visit_template(&self, visit_id: &str, _return_visit: bool) -> Option<TemplateRef> {
        queries::visit_template(self.c, visit_id).ok().flatten()
    }

    fn fee_schedule(&self, id: &str, version: u32) -> Option<FeeSchedule> {
        records::fee_schedule(self.c, id, version).ok()
    }

    fn part_known(&self, sku: &str) -> bool {
        records::part(self.c, sku).is_ok()
    }
}

impl FieldKit {
    /// The work is done but the customer will not sign the service record: ends the visit
    /// (outcome `signature_refused`) and the job waits for the desk, which sees it flagged.
    /// Needs the reason and a witness's name or a photo already taken on this visit (its
    /// SHA-256), or both; work must be under way.
    pub fn refuse_signature(
        &self,
        id: WorkOrderId,
        reason: &str,
        witness: Option<&str>,
        photo_sha256: Option<&str>,
    ) -> Result<crate::workflow::JobStatus> {
        if let Some(problem) = refused_signature_problem(reason, witness, photo_sha256) {
            return Err(Error::invalid("refused signature", problem));
        }
        let (reason, witness) = (
            reason.trim().to_owned(),
            witness.map(|w| w.trim().to_owned()),
        );
        self.command(id, Durability::Normal, |tx, cur, now| {
            let visit_id = cur.visit("record a refused signature")?.id;
            if let Some(p) = photo_sha256
                && !records::visit_photos(tx, visit_id)?
                    .iter()
                    .any(|(sha, _)| sha == p)
            {
                return Err(Error::invalid("photo", "not a photo of this visit"));
            }
            let status =
                self.transition(tx, cur, crate::workflow::JobAction::RefuseSignature, now)?;
            tx.record(
                id,
                Some(visit_id),
                &JobOp::RefuseSignature(RefuseSignatureV1 {
                    reason,
                    witness,
                    photo_sha256: photo_sha256.map(str::to_owned),
                }),
            )?;
            Ok(status)
        })
    }

    /// The job's journal replayed through the server's rules, and `f` run on it.
    pub(super) fn with_replay<T>(
        &self,
        c: &rusqlite::Connection,
        order: &WorkOrder,
        f: impl FnOnce(&JobReplay, &Context<'_>) -> T,
    ) -> Result<T> {
        let ops = queries::job_ops(c, order.id)?;
        let desk = DeviceDesk { kit: self, c };
        let cx = Context {
            order,
            device_id: self.device_id(),
            desk: &desk,
        };
        let replay = JobReplay::fold(&ops, &cx);
        Ok(f(&replay, &cx))
    }

    /// The summary of the open visit as it stands (job, findings, work done, parts, fees,
    /// photos), to show the signer. Records that it was shown: a customer can only sign a
    /// summary they were shown, and only while it is unchanged.
    pub fn summary_for_signing(&self, id: WorkOrderId) -> Result<SigningSummary> {
        self.show_summary(id, None)
    }

    /// Shows the open visit's summary — with the take-back `receipt` not recorded yet, if
    /// any — and records it as shown.
    pub(super) fn show_summary(
        &self,
        id: WorkOrderId,
        receipt: Option<SummaryTakeBack>,
    ) -> Result<SigningSummary> {
        self.command(id, Durability::Normal, |tx, cur, _now| {
            let visit = cur.visit("show the summary")?.clone();
            if matches!(visit.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                return Err(Error::invalid("summary", "arrive first"));
            }
            let summary = match &receipt {
                None => self.journal_summary(tx, cur)?,
                Some(tb) => self
                    .with_replay(tx, &cur.order, |r, cx| {
                        r.summary_with_take_back(cx, tb.clone())
                    })?
                    .ok_or_else(|| Error::invalid("summary", "no visit is under way"))?,
            };
            let sha256 = summary.sha256();
            tx.record(
                id,
                Some(visit.id),
                &JobOp::SummaryViewed(SummaryViewedV1 {
                    summary_sha256: sha256.clone(),
                    take_back: receipt.clone(),
                }),
            )?;
            Ok(SigningSummary { summary, sha256 })
        })
    }

    /// The open visit's summary as the server will rebuild it: from the job's journal, by
    /// the one builder both sides share.
    pub(super) fn journal_summary(
        &self,
        c: &rusqlite::Connection,
        cur: &Current,
    ) -> Result<SignedSummary> {
        self.with_replay(c, &cur.order, |r, cx| r.summary(cx))?
            .ok_or_else(|| Error::invalid("summary", "no visit is under way"))
    }

    /// Records a signature on the open visit: renders the strokes, binds the signature to
    /// the summary of the visit as it stands and to the head of the job's timeline, satisfies
    /// its step and, with `finding`, confirms that finding. A customer must have been shown
    /// this very summary ([`FieldKit::summary_for_signing`]). Durable against power loss.
    pub fn sign(&self, id: WorkOrderId, input: &SignatureInput) -> Result<Signature> {
        self.sign_over(id, input, None)
    }

    /// [`FieldKit::sign`], over the visit's summary as it stands or, with `receipt`, as it
    /// stands with that take-back receipt (the customer's signature on it, before the
    /// take-back is recorded: step and finding `None`).
    pub(super) fn sign_over(
        &self,
        id: WorkOrderId,
        input: &SignatureInput,
        receipt: Option<SummaryTakeBack>,
    ) -> Result<Signature> {
        let signer_name = text("signer name", &input.signer_name, 128)?;
        if input.finding.is_some() && input.role != SignerRole::Customer {
            return Err(Error::invalid(
                "signature",
                "only the customer confirms a finding",
            ));
        }
        // Drawn, kept and sent on the grid the wire keeps, so the server draws the same image
        // from the packed strokes.
        input
            .strokes
            .validate()
            .map_err(|e| Error::invalid("signature", e.to_string()))?;
        let strokes = input.strokes.quantized();
        let png = strokes
            .render_png()
            .map_err(|e| Error::invalid("signature", e.to_string()))?;
        let strokes_json = serde_json::to_string(&strokes)
            .map_err(|e| Error::invalid("signature", e.to_string()))?;
        let _gate = self.store.blobs().ingest_guard();
        let image_sha256 = self.store.blobs().put(&png)?;
        self.command(id, Durability::Full, |tx, cur, now| {
            let visit = cur.visit("sign")?.clone();
            if matches!(visit.status, VisitStatus::Planned | VisitStatus::EnRoute) {
                return Err(Error::invalid("signature", "arrive first"));
            }
            if let Some(step) = &input.step_id {
                let template = self.template(tx, &visit.template)?;
                let facts = self.facts(tx, cur, &visit)?;
                let run = Run::new(&template, &facts);
                run.check_evidence(step, Evidence::Signature(input.role))?;
                if input.finding.is_none()
                    && template
                        .step(step)
                        .is_some_and(|s| s.kind == StepKind::Finding)
                {
                    return Err(Refusal::FindingNotNamed { step: step.clone() }.into());
                }
            }
            if let Some(f) = input.finding
                && !records::findings(tx, visit.id)?.iter().any(|x| x.id == f)
            {
                return Err(Error::not_found("finding", f));
            }
            let (summary, shown) = self.with_replay(tx, &cur.order, |r, cx| {
                let shown = r.open_visit().map(|v| v.shown.clone()).unwrap_or_default();
                let summary = match &receipt {
                    Some(tb) => r.summary_with_take_back(cx, tb.clone()),
                    None => r.summary(cx),
                };
                (summary, shown)
            })?;
            let summary =
                summary.ok_or_else(|| Error::invalid("signature", "no visit is under way"))?;
            let summary_sha256 = summary.sha256();
            if input.role == SignerRole::Customer && !shown.contains(&summary_sha256) {
                return Err(Error::invalid(
                    "signature",
                    "show the customer the summary of the visit as it stands now, then sign",
                ));
            }
            let packed = super::sync::server_accepts(tx)?
                .iter()
                .any(|a| a == crate::sync::protocol::ACCEPTS_PACKED_STROKES);
            let chain_head = tx.chain_head(&id.to_string())?.unwrap_or_default();
            let device_id = tx.device_id().to_string();
            let seal = sig::seal(&SealInput {
                summary_sha256: &summary_sha256,
                chain_head: &chain_head,
                signer_name: &signer_name,
                role: input.role.as_str(),
                signed_at_ms: to_millis(now),
                image_sha256: &image_sha256,
                device_id: &device_id,
            });
            records::attach(
                tx,
                &Attachment {
                    sha256: image_sha256.clone(),
                    kind: AttachmentKind::SignatureImage,
                    mime: "image/png".into(),
                    size: png.len() as i64,
                    visit_id: visit.id,
                    step_id: input.step_id.clone(),
                    width: Some(strokes.width),
                    height: Some(strokes.height),
                    thumbnail_sha256: None,
                },
                now,
            )?;
            let signature = Signature {
                id: SignatureId::new(),
                visit_id: visit.id,
                signer_name,
                role: input.role,
                signed_at: now,
                image_sha256: image_sha256.clone(),
                device_id: tx.device_id(),
                step_id: input.step_id.clone(),
                summary_sha256: Some(summary_sha256),
                chain_head: Some(chain_head),
                seal: Some(seal),
            };
            let summary_json = summary.canonical_json();
            records::insert_signature(tx, &signature, Some(&strokes_json), Some(&summary_json))?;
            if let Some(f) = input.finding {
                records::acknowledge_finding(tx, visit.id, f, signature.id)?;
            }
            let op = JobOp::Sign(Box::new(SignV1 {
                id: signature.id,
                visit_id: signature.visit_id,
                signer_name: signature.signer_name.clone(),
                role: signature.role,
                signed_at: signature.signed_at,
                image_sha256: signature.image_sha256.clone(),
                device_id: signature.device_id,
                step_id: signature.step_id.clone(),
                summary_sha256: signature.summary_sha256.clone(),
                chain_head: signature.chain_head.clone(),
                seal: signature.seal.clone(),
                finding: input.finding,
                strokes: (!packed).then(|| strokes.clone()),
                strokes_packed: packed.then(|| crate::media::packed::pack(&strokes)),
                summary: Some(summary),
            }));
            tx.record(id, Some(visit.id), &op)?;
            Ok(signature)
        })
    }

    /// Recomputes the job's timeline hashes and every signature's binding from the records
    /// as they stand, and reports what does not match.
    pub fn verify(&self, id: WorkOrderId) -> Result<Verification> {
        self.store.read(|c| {
            let order = queries::work_order(c, id)?;
            let visit = match queries::open_visit(c, id)? {
                Some(v) => Some(v),
                None => queries::last_visit(c, id)?,
            };
            let cur = Current {
                order,
                visit: visit.clone(),
                facts: None,
            };
            verify_job(self, c, &cur)
        })
    }
}

/// Checks the chain and the signatures of the job's current (or last) visit: the journal
/// replayed as the server does (the hash chain; each signature against the records by their
/// place in the timeline) and the records the device shows (its tables) against what was
/// signed, the signature records against their seals, images and strokes.
pub(super) fn verify_job(
    kit: &FieldKit,
    c: &rusqlite::Connection,
    cur: &Current,
) -> Result<Verification> {
    let replayed = kit.with_replay(c, &cur.order, |r, cx| {
        let positions = r.visit.as_ref().and_then(|v| {
            let t = v.template(cx).ok()?;
            Some((v.positions(&t), v.signatures.clone()))
        });
        (r.chain_breaks, positions)
    })?;
    let (chain_breaks, positions) = replayed;
    let mut chain_problems = Vec::new();
    if chain_breaks > 0 {
        chain_problems.push(format!(
            "{chain_breaks} event(s) of the job's timeline do not match their hash: an event \
             was changed, removed or inserted"
        ));
    }
    let mut signatures = Vec::new();
    let Some(visit) = &cur.visit else {
        return Ok(Verification {
            chain_problems,
            signatures,
        });
    };
    let (positions, journal_signatures) = positions.unwrap_or_default();
    let template = kit.template(c, &visit.template)?;
    let current = build_summary(kit, c, cur, visit)?;
    for stored in records::stored_signatures(c, visit.id)? {
        let s = &stored.signature;
        let mut problems = Vec::new();
        let (Some(summary_sha256), Some(chain_head), Some(seal), Some(summary_json)) =
            (&s.summary_sha256, &s.chain_head, &s.seal, &stored.summary)
        else {
            // Signed before signatures were bound (schema v1): nothing to check it against.
            continue;
        };
        let expected_seal = sig::seal(&SealInput {
            summary_sha256,
            chain_head,
            signer_name: &s.signer_name,
            role: s.role.as_str(),
            signed_at_ms: to_millis(s.signed_at),
            image_sha256: &s.image_sha256,
            device_id: &s.device_id.to_string(),
        });
        if &expected_seal != seal {
            problems.push("the signature record was altered".to_owned());
        }
        let in_journal = journal_signatures.iter().find(|j| j.id == s.id);
        match (
            serde_json::from_str::<SignedSummary>(summary_json),
            in_journal,
        ) {
            (Ok(signed), Some(j)) if &signed.sha256() == summary_sha256 => {
                if j.summary.as_ref().map(SignedSummary::sha256).as_ref() != Some(summary_sha256) {
                    problems
                        .push("the signature record differs from its timeline event".to_owned());
                }
                let signs_off = s
                    .step_id
                    .as_deref()
                    .and_then(|st| template.step(st))
                    .is_some_and(|st| st.phase == Phase::CloseOut);
                problems.extend(replay::signature_problems(
                    &signed, &current, &positions, j.seq, signs_off,
                ));
            }
            (Ok(signed), None) if &signed.sha256() == summary_sha256 => {
                problems.push("the signature is not in the job's timeline".to_owned());
            }
            _ => problems.push("the stored summary does not match its hash".to_owned()),
        }
        match kit.store.blobs().get(&s.image_sha256) {
            Ok(bytes) if crate::store::sha256_hex(&bytes) == s.image_sha256 => {}
            _ => problems.push("the signature image is missing or altered".to_owned()),
        }
        if let Some(strokes) = &stored.strokes {
            let rendered = serde_json::from_str::<Strokes>(strokes)
                .ok()
                .and_then(|st| st.render_png().ok())
                .map(|png| crate::store::sha256_hex(&png));
            if rendered.as_deref() != Some(s.image_sha256.as_str()) {
                problems.push("the stored strokes do not draw the stored image".to_owned());
            }
        }
        signatures.push(SignatureCheck {
            signature_id: s.id,
            role: s.role,
            step_id: s.step_id.clone(),
            problems,
            problems_said: Vec::new(),
            superseded: false,
        });
    }
    // Oldest first: any later check with the same role and step supersedes an earlier one.
    for i in 0..signatures.len() {
        let (role, step) = (signatures[i].role, signatures[i].step_id.clone());
        signatures[i].superseded = signatures[i + 1..]
            .iter()
            .any(|later| later.role == role && later.step_id == step);
    }
    Ok(Verification {
        chain_problems,
        signatures,
    })
}

/// The visit's summary as the records the device shows stand now (its tables).
fn build_summary(
    kit: &FieldKit,
    c: &rusqlite::Connection,
    cur: &Current,
    visit: &Visit,
) -> Result<SignedSummary> {
    let o = &cur.order;
    let findings = records::findings(c, visit.id)?
        .into_iter()
        .map(|f| SummaryFinding {
            id: f.id.to_string(),
            kind: f.kind.as_str().to_owned(),
            description: f.description,
        })
        .collect();
    let template = kit.template(c, &visit.template)?;
    let answers = kit
        .answers_with_times(c, o.id, visit)?
        .into_iter()
        .filter(|(step, _)| !replay::VisitReplay::names_a_copy(&template, step))
        .map(|(step, (rec, _))| SummaryAnswer::of(step, rec))
        .collect();
    let parts = records::part_usages(c, visit.id)?
        .into_iter()
        .map(|p| SummaryPart {
            id: p.id.to_string(),
            sku: p.sku,
            quantity: p.quantity,
            new_serial: p.new_serial,
            old_part: p.old_part.as_str().to_owned(),
            old_serial: p.old_serial,
        })
        .collect();
    let fee_consent = records::latest_fee_consent(c, visit.id)?.map(|f| SummaryFees {
        id: f.id.to_string(),
        schedule_id: f.schedule_id,
        schedule_version: f.schedule_version,
        items: f.items,
        total: f.total,
        agreed: f.agreed,
    });
    let photos = records::visit_photos(c, visit.id)?
        .into_iter()
        .map(|(sha, _)| sha)
        .collect();
    Ok(SignedSummary {
        version: 1,
        work_order: replay::summary_order(o),
        visit_id: visit.id.to_string(),
        findings,
        answers,
        parts,
        fee_consent,
        photos,
        take_back: records::visit_take_back(c, visit.id)?,
    }
    .canonicalize())
}
