//! One job as the dispatcher sees it: the work order, its completion(s) and where each
//! stands (counted, being checked, held for the desk with the reasons, released or rejected
//! by the desk with who, when and why, or kept as a conflict), the timeline of everything the
//! devices sent about it (device and server times, outcome), checklist answers and
//! exceptions, photos (thumbnails linking to full size), the customer's signature with its
//! verification status, parts, fees and consent, feedback, and the flags raised on it; the
//! forms to release or reject a held completion (a note each, required), to assign,
//! reschedule or cancel the job and to record that a complaint was handled (handled in
//! [`super::job_changes`]); and a link to the customer's copy as PDF ([`super::copy`]).
//!
//! Blobs are served only under the job that references them: a dispatcher cannot fetch any
//! hash through this page.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fieldkit_core::checklist::StepKind;
use fieldkit_core::model::{Signature, SignerRole, WorkOrderId};
use fieldkit_core::report;
use fieldkit_core::sync::ops::{JobOp, SignV1};
use maud::{Markup, html};

use super::board::{board_status, standing_completion, status_words};
use super::job_words::flag_label;
use super::job_words::{describe, old_part_label, one_language, outcome_label, skew_note};
use super::page::Viewer;
use super::page::{PageError, csrf_field, page, private};
use super::record::{best_template, blob_bytes, job_id, job_op, load};
use super::session::Session;
use super::words::{billing_label, kind_label, zone_label};
use crate::i18n::Locale;
use crate::push::CompletionState;
use crate::signatures::{Verdict, verdict};
use crate::state::AppState;
use crate::storage::Completion;
use crate::storage::dashboard::{JobActivity, STAGE_KINDS, TimelineEntry};
use crate::t;

/// The job page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs/{id}", get(job_page))
        .route("/jobs/{id}/blobs/{sha}", get(blob))
}

// ------------------------------------------------------------------ signatures

/// The customer's latest signature on the job and what the server's records say about it.
pub struct SignatureView {
    pub signature: Signature,
    /// `matches`: the signed content hashes to what the signature claims and the seal is
    /// intact; `mismatch`: it does not; `unsealed`: the signature carries no hash.
    pub verdict: &'static str,
}

/// Judges the customer's latest signature among the job's applied `sign` ops, each read
/// through the op catalogue (`None`: its payload does not parse — it is no signature of
/// anyone's, and vouches for nothing).
pub fn customer_signature(signs: &[Option<&SignV1>]) -> Option<SignatureView> {
    let signature = signs
        .iter()
        .rev()
        .flatten()
        .find(|s| s.role == SignerRole::Customer)?
        .signature();
    let verdict = match &signature.summary_sha256 {
        None => "unsealed",
        Some(h) => match verdict(signs.iter().copied(), h) {
            Verdict::Matches => "matches",
            Verdict::Mismatch | Verdict::Unknown => "mismatch",
        },
    };
    Some(SignatureView { signature, verdict })
}

// ------------------------------------------------------------------ the page

async fn job_page(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    Ok(private(job_view(&s, &session, id, None).await?))
}

/// Why a technician does not fit, in words, joined.
fn misfit_words(l: Locale, reasons: &[crate::people::suggest::Misfit]) -> String {
    reasons
        .iter()
        .map(|m| m.words(l))
        .collect::<Vec<_>>()
        .join(t!(l, "list-separator-code").as_str())
}

/// The job's page; `error` (a message the server wrote) is shown at the top.
pub(super) async fn job_view(
    s: &AppState,
    session: &Session,
    id: WorkOrderId,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let job = load(s, id).await?;
    let ids = id.to_string();
    let completions = s.storage.job_completions(id).await?;
    let timeline = s.storage.job_timeline(ids.clone()).await?;
    let flags = s.storage.job_flags(ids.clone()).await?;
    let techs = s.storage.technicians().await?;
    let suggestions = crate::desk::people::suggestions(s, id).await?;
    let assigned_misfit = suggestions
        .iter()
        .find(|g| !g.fits && job.technician_id.as_deref() == Some(g.technician_id.as_str()));
    let chain = crate::desk::links::chain(s, job.clone()).await?;
    // Every op read once through the op catalogue (`None`: its payload does not parse).
    let read: Vec<(&TimelineEntry, Option<JobOp>)> =
        timeline.iter().map(|e| (e, job_op(&e.op))).collect();
    let applied: Vec<(&TimelineEntry, Option<&JobOp>)> = read
        .iter()
        .filter(|(e, _)| e.outcome != "rejected")
        .map(|(e, j)| (*e, j.as_ref()))
        .collect();
    // The applied ops that read: the facts the page shows.
    let facts: Vec<&JobOp> = applied.iter().filter_map(|(_, j)| *j).collect();
    let signs: Vec<Option<&SignV1>> = applied
        .iter()
        .filter(|(e, _)| e.op.kind == "sign")
        .map(|(_, j)| match j {
            Some(JobOp::Sign(s)) => Some(s.as_ref()),
            _ => None,
        })
        .collect();
    let signature = customer_signature(&signs);
    let activity: Vec<JobActivity> = applied
        .iter()
        .filter(|(e, _)| STAGE_KINDS.contains(&e.op.kind.as_str()))
        .map(|(e, _)| JobActivity {
            work_order_id: ids.clone(),
            kind: e.op.kind.clone(),
            device_time: e.op.device_time,
            received_at: e.received_at,
        })
        .collect();
    let status = board_status(
        &job,
        &activity.iter().collect::<Vec<_>>(),
        standing_completion(&completions),
    );

    // The latest answer or exception per step, in the order first recorded, labelled from
    // the checklist the visit most likely ran.
    let answered: Vec<&str> = facts
        .iter()
        .filter_map(|j| match j {
            JobOp::AnswerStep(a) => Some(a.step.as_str()),
            JobOp::ExceptStep(x) => Some(x.step.as_str()),
            _ => None,
        })
        .collect();
    let published = s.storage.published().await?;
    let template = best_template(&published, &answered, job.order.kind);
    let step_of = |id: &str| template.steps.iter().find(|s| s.id == id);
    let mut steps: Vec<(String, String, bool)> = Vec::new();
    for j in &facts {
        let (step, line, skipped) = match j {
            // As the customer's copy says it, with the step's choices and units when known.
            JobOp::AnswerStep(a) => (
                &a.step,
                report::answer_in_words(
                    &a.answer,
                    step_of(&a.step).map_or(&StepKind::Serial, |s| &s.kind),
                ),
                false,
            ),
            JobOp::ExceptStep(x) => (&x.step, x.reason.clone(), true),
            _ => continue,
        };
        match steps.iter_mut().find(|(s, _, _)| s == step) {
            Some(slot) => *slot = (step.clone(), line, skipped),
            None => steps.push((step.clone(), line, skipped)),
        }
    }
    let photos: Vec<(String, String)> = facts
        .iter()
        .filter_map(|j| match j {
            JobOp::AddPhoto(p) => Some((
                p.sha256.clone(),
                p.thumbnail_sha256
                    .clone()
                    .unwrap_or_else(|| p.sha256.clone()),
            )),
            _ => None,
        })
        .collect();
    // Applied ops of a kind, readable or not (an unreadable one is listed as such).
    let of_kind = |k: &'static str| applied.iter().filter(move |(e, _)| e.op.kind == k);
    let l = session.locale();
    let tech_name = |t: &str| {
        techs
            .iter()
            .find(|x| x.id == t)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| t!(l, "technician-id", id = t.to_owned()))
    };
    let step_label = |id: &str| {
        step_of(id).map_or_else(
            || id.to_owned(),
            |st| match l {
                Locale::ZhCn => st.label.zh_cn.clone(),
                Locale::En => st.label.en.clone(),
            },
        )
    };
    let line = |e: &TimelineEntry, j: Option<&JobOp>| describe(l, &e.op, j, &step_label);
    let o = &job.order;
    let body = html! {
        h1 { (t!(l, "job-heading", number = o.number.clone())) " " span class="status" id="job-status" data-status=(status) { (status_words(l, status)) } }
        @if let Some(e) = error { p class="error" id="job-error" { (e) } }
        div class="grid card" {
            div { strong { (t!(l, "job-kind")) " " } (kind_label(l, o.kind)) " · " (billing_label(l, o.billing)) }
            div { strong { (t!(l, "job-promised")) " " } (session.when(o.promised.start.timestamp_millis())) " – " (session.when(o.promised.end.timestamp_millis())) }
            div { strong { (t!(l, "job-technician")) " " } @if let Some(t) = &job.technician_id { (tech_name(t)) } @else { (t!(l, "unassigned")) } }
            div { strong { (t!(l, "job-customer")) " " } (o.customer.name) " · " (o.customer.phone) }
            div { strong { (t!(l, "job-address")) " " } (o.site.address) " (" (zone_label(l, o.site.zone)) ")" }
            div { strong { (t!(l, "job-product")) " " } (o.product.model) @if let Some(sn) = &o.product.serial { " · SN " (sn) } }
            div { strong { (t!(l, "job-fault")) " " } (o.reported_fault) }
            @if let Some(r) = &job.cancel_reason { div class="flag" { strong { (t!(l, "job-cancelled")) " " } (r) } }
            @if let Some(t) = job.completed_at { div class="ok" { strong { (t!(l, "job-completed")) " " } (t!(l, "job-completed-received", at = session.when(t))) } }
        }
        (super::job_links::chain_section(session, &chain, &techs))

        h2 { (t!(l, "job-completion")) }
        @if completions.is_empty() { p class="muted" id="completion" { (t!(l, "job-not-completed")) } }
        @for c in &completions { (completion_card(session, &ids, c)) }

        h2 { (t!(l, "job-signature")) }
        @match &signature {
            Some(v) => div class="card" id="signature" {
                img src={ "/jobs/" (ids) "/blobs/" (v.signature.image_sha256) } alt=(t!(l, "job-signature-alt")) style="max-width:320px;border:1px solid #ccc;background:#fff";
                p {
                    (t!(l, "job-signed-by", name = v.signature.signer_name.clone(), at = session.when_exact(v.signature.signed_at.timestamp_millis()))) " "
                    span id="verdict" data-verdict=(v.verdict) class=(if v.verdict == "matches" { "ok" } else { "flag" }) {
                        @match v.verdict {
                            "matches" => (t!(l, "job-verdict-matches")),
                            "unsealed" => (t!(l, "job-verdict-unsealed")),
                            _ => (t!(l, "job-verdict-mismatch")),
                        }
                    }
                }
                @if let Some(h) = &v.signature.summary_sha256 { p class="muted" { (t!(l, "job-signed-hash")) " " code id="signed-hash" { (h) } } }
                p { a id="copy-pdf" href={ "/jobs/" (ids) "/copy.pdf" } { (t!(l, "job-copy-pdf")) } }
            },
            None => p class="muted" id="signature" { (t!(l, "job-no-signature")) },
        }

        @if !flags.is_empty() {
            h2 { (t!(l, "job-flags")) }
            ul id="job-flags" {
                @for f in &flags { li class="flag" { strong { (flag_label(l, &f.kind)) } (t!(l, "colon-code")) span class="flag-detail" { (f.detail_in(l)) } " " span class="muted" { (session.when(f.created_at)) } } }
            }
        }

        h2 { (t!(l, "job-checklist")) }
        @if steps.is_empty() { p class="muted" { (t!(l, "job-no-answers")) } }
        @else {
            table id="checklist" {
                tr { th { (t!(l, "job-col-step")) } th { (t!(l, "job-col-answer")) } }
                @for (step, line, skipped) in &steps {
                    tr data-step=(step) {
                        td { (step_label(step)) }
                        td { @if *skipped { span class="flag" { (t!(l, "job-skipped")) " " } } (one_language(l, line)) }
                    }
                }
            }
        }

        @if !photos.is_empty() {
            h2 { (t!(l, "job-photos")) }
            div id="photos" {
                @for (sha, thumb) in &photos {
                    a href={ "/jobs/" (ids) "/blobs/" (sha) } { img src={ "/jobs/" (ids) "/blobs/" (thumb) } alt=(t!(l, "job-photo-alt")) style="max-height:120px;margin:2px"; }
                }
            }
        }

        h2 { (t!(l, "job-parts-fees")) }
        ul id="parts" {
            @for (e, j) in of_kind("record_part") {
                li { (line(e, *j)) @if let Some(JobOp::RecordPart(p)) = j { @if let Some(sn) = &p.new_serial { " · " (t!(l, "job-new-serial")) " " (sn) } " · " (t!(l, "job-old-part")) " " (old_part_label(l, p.old_part.as_str())) } }
            }
            @for (e, j) in of_kind("consent_to_fees") { li { (line(e, *j)) } }
            @for (e, j) in of_kind("feedback") {
                li { (line(e, *j)) @if let Some(JobOp::Feedback(f)) = j { @if let Some(c) = &f.comment { (t!(l, "colon-code")) (c) } } }
            }
        }

        h2 { (t!(l, "job-timeline")) }
        table id="timeline" {
            tr { th { (t!(l, "job-col-what")) } th { (t!(l, "job-col-device-time")) } th { (t!(l, "job-col-received")) } th { (t!(l, "job-col-device")) } th { (t!(l, "job-col-outcome")) } }
            @for (e, j) in &read {
                tr data-kind=(e.op.kind) {
                    td { (line(e, j.as_ref())) }
                    td { (session.when_exact(e.op.device_time)) @if let Some(n) = skew_note(l, e) { " " span class="flag" { (n) } } }
                    td { (session.when_exact(e.received_at)) }
                    td class="muted" { (e.device_id.get(..8).unwrap_or(&e.device_id)) }
                    td { (outcome_label(l, &e.outcome)) @if let Some(r) = crate::stored::words_opt(e.reason_said.as_ref(), e.reason.as_deref(), l) { span class="muted rejected-reason" { " — " (r) } } }
                }
            }
        }

        h2 { (t!(l, "job-change")) }
        div class="grid" {
            form class="card" id="assign" method="post" action={ "/jobs/" (ids) "/assign" } {
                (csrf_field(session))
                label { (t!(l, "job-technician")) " " select name="technician_id" {
                    // Those that fit the job first; a warning beside those that do not.
                    @for g in &suggestions {
                        option value=(g.technician_id) data-fits=(g.fits) selected[job.technician_id.as_deref() == Some(g.technician_id.as_str())] {
                            (g.name)
                            @if let Some(n) = &g.employee_number { " (" (n) ")" }
                            @if g.fits { " ✓ " (t!(l, "job-suggested")) } @else { " ⚠ " (misfit_words(l, &g.reasons)) }
                        }
                    }
                } }
                @if let Some(g) = assigned_misfit {
                    p class="warning" id="assign-warning" {
                        "⚠ " (t!(l, "job-assigned-misfit", why = misfit_words(l, &g.reasons)))
                    }
                }
                button type="submit" { @if job.technician_id.is_some() { (t!(l, "job-reassign")) } @else { (t!(l, "job-assign")) } }
            }
            form class="card" id="reschedule" method="post" action={ "/jobs/" (ids) "/reschedule" } {
                (csrf_field(session))
                label { (t!(l, "field-from")) " " input type="datetime-local" name="start" required value=(session.local_input(o.promised.start)); }
                label { (t!(l, "field-to")) " " input type="datetime-local" name="end" required value=(session.local_input(o.promised.end)); }
                button type="submit" { (t!(l, "job-reschedule")) }
            }
            form class="card" id="cancel" method="post" action={ "/jobs/" (ids) "/cancel" } {
                (csrf_field(session))
                label { (t!(l, "job-cancel-reason")) " " input type="text" name="reason" required maxlength="500"; }
                button type="submit" class="secondary" { (t!(l, "job-cancel")) }
            }
            form class="card" id="complaint-handled" method="post" action={ "/jobs/" (ids) "/complaint-handled" } {
                (csrf_field(session))
                button type="submit" class="secondary" { (t!(l, "job-complaint-handled")) }
            }
        }
    };
    Ok(page(
        &t!(l, "job-title", number = o.number.clone()),
        session,
        "",
        body,
    ))
}

/// A completion's state in words: a heading and what it means for the dispatcher.
fn completion_words(l: Locale, state: Option<CompletionState>) -> (String, String) {
    let (title, meaning) = match state {
        Some(CompletionState::Checking) => ("completion-checking", "completion-checking-meaning"),
        Some(CompletionState::Counted) => ("completion-counted", "completion-counted-meaning"),
        Some(CompletionState::Held) => ("completion-held", "completion-held-meaning"),
        Some(CompletionState::Released) => ("completion-released", "completion-released-meaning"),
        Some(CompletionState::Rejected) => ("completion-rejected", "completion-rejected-meaning"),
        Some(CompletionState::Conflict) => ("completion-conflict", "completion-conflict-meaning"),
        None => ("completion-unknown", "completion-unknown-meaning"),
    };
    (t!(l, title), t!(l, meaning))
}

/// One completion of the job: its state in words, why it is held (or a conflict), the desk's
/// ruling, and for a held one the forms to release or reject it.
fn completion_card(session: &Session, job: &str, c: &Completion) -> Markup {
    let l = session.locale();
    let state = CompletionState::parse(&c.state);
    let (title, meaning) = completion_words(l, state);
    let good = matches!(
        state,
        Some(CompletionState::Counted | CompletionState::Released)
    );
    html! {
        div class="card completion" id={ "completion-" (c.op_id) } data-state=(c.state) {
            p {
                strong class=(if good { "ok" } else { "flag" }) data-completion-state=(c.state) { (title) }
                " · " (t!(l, "completion-when", done = session.when(c.completed_at_device), received = session.when(c.received_at)))
                " · " (t!(l, "completion-device")) " " span class="muted" { (c.device_id.get(..8).unwrap_or(&c.device_id)) }
            }
            p class="muted" { (meaning) }
            @if !c.reasons.is_empty() || !c.reason_codes.is_empty() {
                p { strong { @if state == Some(CompletionState::Conflict) { (t!(l, "completion-why")) } @else { (t!(l, "completion-found")) } } }
                ul class="reasons" {
                    @for r in c.reasons_in(l) { li class="flag" { (r) } }
                }
            }
            @if let Some(d) = &c.decision {
                p class="decision" {
                    strong { @if state == Some(CompletionState::Rejected) { (t!(l, "completion-decision-rejected")) } @else { (t!(l, "completion-decision-released")) } }
                    " " (t!(l, "completion-decided-by")) " " span class="decided-by" { (d.by) } " · " (session.when(d.at))
                    @if let Some(n) = &d.note { (t!(l, "colon-code")) q class="decision-note" { (n) } }
                }
            }
            @if state == Some(CompletionState::Held) {
                div class="grid" id="ruling" {
                    form class="card" id="release" method="post" action={ "/jobs/" (job) "/completion" } {
                        (csrf_field(session))
                        input type="hidden" name="ruling" value="release";
                        label { (t!(l, "completion-release-why")) " " textarea name="note" rows="2" style="width:100%" required maxlength="500" placeholder=(t!(l, "completion-release-placeholder")) {} }
                        button type="submit" { (t!(l, "completion-release")) }
                    }
                    form class="card" id="reject" method="post" action={ "/jobs/" (job) "/completion" } {
                        (csrf_field(session))
                        input type="hidden" name="ruling" value="reject";
                        label { (t!(l, "completion-reject-why")) " " textarea name="note" rows="2" style="width:100%" required maxlength="500" placeholder=(t!(l, "completion-reject-placeholder")) {} }
                        button type="submit" class="secondary" { (t!(l, "completion-reject")) }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------ blobs

/// The blobs a job's applied ops reference, with their type: photos and thumbnails (JPEG)
/// and signature images (PNG). An op whose payload does not parse references nothing.
fn job_blobs(timeline: &[TimelineEntry]) -> HashMap<String, &'static str> {
    let mut out = HashMap::new();
    for e in timeline
        .iter()
        .filter(|e| e.outcome != "rejected" && matches!(e.op.kind.as_str(), "add_photo" | "sign"))
    {
        match job_op(&e.op) {
            Some(JobOp::AddPhoto(p)) => {
                for h in std::iter::once(p.sha256).chain(p.thumbnail_sha256) {
                    out.insert(h, "image/jpeg");
                }
            }
            Some(JobOp::Sign(s)) => {
                out.insert(s.image_sha256, "image/png");
            }
            _ => {}
        }
    }
    out
}

async fn blob(
    State(s): State<AppState>,
    _: Session,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = job_id(&id)?;
    let timeline = s.storage.job_timeline(id.to_string()).await?;
    let Some(mime) = job_blobs(&timeline).get(&sha).copied() else {
        return Err(PageError::not_found("image"));
    };
    let Some(bytes) = blob_bytes(&s, &sha).await? else {
        return Err(PageError::not_found("image (not uploaded yet)"));
    };
    let mut r = Body::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(mime));
    // Content-addressed: the bytes under this URL never change.
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use fieldkit_core::checklist::AnswerValue;
    use fieldkit_core::model::{AttachmentKind, VisitId};
    use fieldkit_core::sync::ops::{AddPhotoV1, AnswerStepV1, FeedbackV1};
    use fieldkit_core::sync::protocol::Op;

    use super::*;
    use crate::test_ops::{customer_sign, entry, op, renamed};

    fn line(op: &Op) -> String {
        describe(Locale::En, op, job_op(op).as_ref(), &|s| s.to_owned())
    }

    #[test]
    fn lines_read_the_typed_op() {
        let answer = op(&JobOp::AnswerStep(AnswerStepV1 {
            step: "shoe_covers".into(),
            answer: AnswerValue::YesNo(false),
        }));
        assert_eq!(line(&answer), "shoe_covers: no");
        assert_eq!(
            describe(Locale::ZhCn, &answer, job_op(&answer).as_ref(), &|_| "鞋套"
                .into()),
            "鞋套：否"
        );
        let feedback = op(&JobOp::Feedback(FeedbackV1 {
            id: Default::default(),
            visit_id: VisitId::new(),
            rating: 2,
            comment: None,
            complaint: true,
            at: chrono::Utc::now(),
        }));
        assert_eq!(line(&feedback), "rating 2, complaint");
        let sign = op(&JobOp::Sign(Box::new(customer_sign())));
        assert_eq!(line(&sign), "signed (customer)");
    }

    #[test]
    fn a_renamed_field_is_unreadable_not_empty() {
        let answer = op(&JobOp::AnswerStep(AnswerStepV1 {
            step: "shoe_covers".into(),
            answer: AnswerValue::Confirmed,
        }));
        let answer = renamed(&answer, "step", "stepp");
        assert_eq!(job_op(&answer), None);
        assert_eq!(line(&answer), "answer step (unreadable payload)");
        let feedback = op(&JobOp::Feedback(FeedbackV1 {
            id: Default::default(),
            visit_id: VisitId::new(),
            rating: 5,
            comment: Some("thanks".into()),
            complaint: false,
            at: chrono::Utc::now(),
        }));
        let feedback = renamed(&feedback, "rating", "ratingg");
        assert_eq!(line(&feedback), "feedback (unreadable payload)");
        // Nothing of a signature that does not read is taken as the customer's.
        let sign = renamed(
            &op(&JobOp::Sign(Box::new(customer_sign()))),
            "step_id",
            "stepp_id",
        );
        assert_eq!(line(&sign), "signature (unreadable payload)");
        assert!(customer_signature(&[None]).is_none());
    }

    #[test]
    fn only_a_job_s_own_blobs_are_served() {
        let photo = |sha: &str, thumb: Option<&str>| {
            op(&JobOp::AddPhoto(AddPhotoV1 {
                sha256: sha.into(),
                kind: AttachmentKind::Photo,
                mime: "image/jpeg".into(),
                size: 1,
                visit_id: VisitId::new(),
                step_id: None,
                width: None,
                height: None,
                thumbnail_sha256: thumb.map(str::to_owned),
            }))
        };
        let mut sign = customer_sign();
        sign.image_sha256 = "s".into();
        let mut rejected = entry(photo("c", None));
        rejected.outcome = "rejected".into();
        let t = vec![
            entry(photo("a", Some("b"))),
            entry(op(&JobOp::Sign(Box::new(sign)))),
            rejected,
            // An add_photo whose payload does not read: it vouches for no blob.
            entry(renamed(&photo("d", Some("e")), "mime", "mimee")),
        ];
        let blobs = job_blobs(&t);
        assert_eq!(blobs.get("a"), Some(&"image/jpeg"));
        assert_eq!(blobs.get("b"), Some(&"image/jpeg"));
        assert_eq!(blobs.get("s"), Some(&"image/png"));
        assert_eq!(blobs.get("c"), None, "a rejected op references nothing");
        assert_eq!(blobs.get("d"), None, "an unreadable op references nothing");
        assert_eq!(blobs.get("e"), None, "an unreadable op references nothing");
    }
}
