//! What the job page (and the flags page) says about what the devices sent, in the reader's
//! language: an op's kind and its one-line description, who signed, how a settlement was
//! paid, a finding, an old part, a flag's kind, an op's outcome, why a technician does not fit
//! a job, a device clock running ahead.

use fieldkit_core::checklist::StepKind;
use fieldkit_core::report;
use fieldkit_core::sync::ops::JobOp;
use fieldkit_core::sync::protocol::Op;

use crate::i18n::Locale;
use crate::storage::dashboard::TimelineEntry;
use crate::t;

/// An op's kind in the reader's words (a kind this table does not know: its name).
pub fn op_kind_label(l: Locale, kind: &str) -> String {
    match kind {
        "accept" => t!(l, "op-accept"),
        "call_customer" => t!(l, "op-call-customer"),
        "reschedule" => t!(l, "op-reschedule"),
        "start_travel" => t!(l, "op-start-travel"),
        "notify_delay" => t!(l, "op-notify-delay"),
        "arrive" => t!(l, "op-arrive"),
        "no_access" => t!(l, "op-no-access"),
        "cancel" => t!(l, "op-cancel"),
        "answer_step" => t!(l, "op-answer-step"),
        "except_step" => t!(l, "op-except-step"),
        "start_work" => t!(l, "op-start-work"),
        "record_finding" => t!(l, "op-record-finding"),
        "consent_to_fees" => t!(l, "op-consent-to-fees"),
        "pause" => t!(l, "op-pause"),
        "resume" => t!(l, "op-resume"),
        "take_back" => t!(l, "op-take-back"),
        "feedback" => t!(l, "op-feedback"),
        "complete" => t!(l, "op-complete"),
        "add_photo" => t!(l, "op-add-photo"),
        "record_part" => t!(l, "op-record-part"),
        "summary_viewed" => t!(l, "op-summary-viewed"),
        "sign" => t!(l, "op-sign"),
        "await_parts" => t!(l, "op-await-parts"),
        "refuse_signature" => t!(l, "op-refuse-signature"),
        "decline_quote" => t!(l, "op-decline-quote"),
        "need_second_visit" => t!(l, "op-need-second-visit"),
        "request_redelivery" => t!(l, "op-request-redelivery"),
        "return_loaner" => t!(l, "op-return-loaner"),
        "settle" => t!(l, "op-settle"),
        other => other.replace('_', " "),
    }
}

/// A text the shared formatters write in both languages, `中文 / english`, in the reader's
/// one (a text not of that shape, e.g. a serial number typed on the phone, as it is).
pub fn one_language(l: Locale, s: &str) -> String {
    match s.split_once(" / ") {
        Some((zh, en))
            if !en.contains(" / ")
                && zh.chars().any(fieldkit_core::i18n::is_cjk)
                && !en.chars().any(fieldkit_core::i18n::is_cjk) =>
        {
            match l {
                Locale::ZhCn => zh.to_owned(),
                Locale::En => en.to_owned(),
            }
        }
        _ => s.to_owned(),
    }
}

/// What an op says, in a line in the reader's language, from the op as read (`read`:
/// [`job_op`]); an op that does not read says its kind and that its payload is unreadable.
/// `step`: a checklist step's label, when known. No personal data of the customer: names and
/// phones are not in visit ops; free text the technician typed is shown as typed.
pub(super) fn describe(
    l: Locale,
    op: &Op,
    read: Option<&JobOp>,
    step: &dyn Fn(&str) -> String,
) -> String {
    let Some(j) = read else {
        return t!(l, "op-unreadable", kind = op_kind_label(l, &op.kind));
    };
    let with_why = |why: &str| {
        let kind = op_kind_label(l, j.kind());
        if why.is_empty() {
            kind
        } else {
            t!(l, "op-with-why", kind = kind, why = why.to_owned())
        }
    };
    let yuan = |fen: i64| fieldkit_core::i18n::money(l, fen);
    match j {
        JobOp::AnswerStep(a) => t!(
            l,
            "op-line-answer",
            step = step(&a.step),
            answer = one_language(l, &report::answer_in_words(&a.answer, &StepKind::Serial))
        ),
        JobOp::ExceptStep(x) => t!(
            l,
            "op-line-skipped",
            step = step(&x.step),
            why = x.reason.clone()
        ),
        JobOp::RecordPart(p) => format!("{} × {}", p.sku, p.quantity),
        JobOp::ConsentToFees(c) => {
            if c.agreed {
                t!(l, "op-line-fees-agreed", amount = yuan(c.total))
            } else {
                t!(l, "op-line-fees-refused", amount = yuan(c.total))
            }
        }
        JobOp::Feedback(f) => {
            if f.complaint {
                t!(l, "op-line-rating-complaint", rating = f.rating.to_string())
            } else {
                t!(l, "op-line-rating", rating = f.rating.to_string())
            }
        }
        JobOp::Sign(s) => t!(l, "op-line-signed", role = signer_label(l, s.role.as_str())),
        JobOp::AddPhoto(_) => t!(l, "op-line-photo"),
        JobOp::RecordFinding(f) => t!(
            l,
            "op-line-finding",
            finding = finding_label(l, f.kind.as_str())
        ),
        JobOp::Pause(r) | JobOp::Cancel(r) => with_why(&r.reason),
        JobOp::NoAccess(n) => with_why(&n.note),
        JobOp::ReturnLoaner(r) => t!(l, "op-line-loaner-returned", loaner = r.loaner.to_string()),
        JobOp::DeclineQuote(r) => with_why(&r.reason),
        JobOp::NeedSecondVisit(r) => with_why(&r.reason),
        JobOp::RequestRedelivery(r) => t!(
            l,
            "op-line-redelivery",
            finding = r.finding.to_string(),
            note = r.note.clone()
        ),
        JobOp::RefuseSignature(r) => {
            let mut line = with_why(&r.reason);
            if r.witness.is_some() {
                line.push_str(&t!(l, "op-line-witness"));
            }
            if r.photo_sha256.is_some() {
                line.push_str(&t!(l, "op-line-photo-kept"));
            }
            line
        }
        JobOp::Settle(p) => {
            let mut line = t!(
                l,
                "op-line-settled",
                amount = yuan(p.amount),
                method = method_label(l, p.method.as_str())
            );
            match (&p.receipt_no, p.invoice_due) {
                (Some(r), _) => line.push_str(&t!(l, "op-line-receipt", receipt = r.clone())),
                (None, Some(due)) => line.push_str(&t!(
                    l,
                    "op-line-invoice-due",
                    due = fieldkit_core::i18n::date_time(l, due)
                )),
                (None, None) => {}
            }
            if let Some(r) = &p.reason {
                line.push_str(&t!(l, "op-line-differs", why = r.clone()));
            }
            line
        }
        JobOp::AwaitParts(w) => {
            let parts: Vec<String> = w
                .parts
                .iter()
                .map(|p| format!("{} × {}", p.sku, p.quantity))
                .collect();
            t!(
                l,
                "op-line-awaiting-parts",
                parts = parts.join(", "),
                note = w.note.clone()
            )
        }
        JobOp::Arrive(a) => {
            if a.late {
                t!(l, "op-line-arrived-late")
            } else {
                op_kind_label(l, "arrive")
            }
        }
        other => op_kind_label(l, other.kind()),
    }
}

/// Who signed, in words.
pub(super) fn signer_label(l: Locale, role: &str) -> String {
    match role {
        "customer" => t!(l, "signer-customer"),
        "technician" => t!(l, "signer-technician"),
        other => other.to_owned(),
    }
}

/// How a settlement was paid, in words.
pub(super) fn method_label(l: Locale, method: &str) -> String {
    match method {
        "cash" => t!(l, "method-cash"),
        "card" => t!(l, "method-card"),
        "transfer" => t!(l, "method-transfer"),
        "qr" => t!(l, "method-qr"),
        other => other.to_owned(),
    }
}

/// A finding's kind, in words.
pub(super) fn finding_label(l: Locale, kind: &str) -> String {
    match kind {
        "incomplete_parts" => t!(l, "finding-incomplete-parts"),
        "tampering" => t!(l, "finding-tampering"),
        "man_made_damage" => t!(l, "finding-man-made-damage"),
        "not_company_fault" => t!(l, "finding-not-company-fault"),
        other => other.to_owned(),
    }
}

/// What became of an old part, in words.
pub(super) fn old_part_label(l: Locale, what: &str) -> String {
    match what {
        "none" => t!(l, "old-part-none"),
        "returned" => t!(l, "old-part-returned"),
        "scrapped" => t!(l, "old-part-scrapped"),
        "left_with_customer" => t!(l, "old-part-left-with-customer"),
        other => other.to_owned(),
    }
}

/// A flag's kind, in words (a kind this table does not know: its name).
pub fn flag_label(l: Locale, kind: &str) -> String {
    match kind {
        "checklist_gate" => t!(l, "flag-checklist-gate"),
        "signature" => t!(l, "flag-signature"),
        "stock_count_differs" => t!(l, "flag-stock-count-differs"),
        "stock_short" => t!(l, "flag-stock-short"),
        "timeline_chain" => t!(l, "flag-timeline-chain"),
        "workflow" => t!(l, "flag-workflow"),
        "clock_skew" => t!(l, "flag-clock-skew"),
        "behind" => t!(l, "flag-behind"),
        other => other.replace('_', " "),
    }
}

/// What became of an op the server received, in words.
pub(super) fn outcome_label(l: Locale, outcome: &str) -> String {
    match outcome {
        "applied" => t!(l, "outcome-applied"),
        "rejected" => t!(l, "outcome-rejected"),
        "duplicate" => t!(l, "outcome-duplicate"),
        "conflict" => t!(l, "outcome-conflict"),
        other => other.to_owned(),
    }
}

/// The device's clock was this far off when it made the op (beyond a sync's delay).
pub(super) fn skew_note(l: Locale, e: &TimelineEntry) -> Option<String> {
    // Saturating: the device's clock is whatever it pushed.
    let ahead = e.op.device_time.saturating_sub(e.received_at);
    (ahead > 5 * 60_000).then(|| t!(l, "job-clock-ahead", minutes = (ahead / 60_000).to_string()))
}
