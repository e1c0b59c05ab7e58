//! The customer's copy of a signed work order: a PDF rendered on the device, with no network.
//!
//! Owns the document's layout (bilingual zh-CN / en labels, the work order, visit times,
//! checklist answers and exceptions, findings, parts, fees, photo thumbnails, the signature,
//! the hash of the signed content and a QR code of the server's verify URL) and writing it
//! as PDF (`pdf-writer`): text in the platform's font (a CJK font is far too big to ship in
//! the library), subset to the glyphs used and embedded; images as they are stored; the QR
//! code as vector squares. Pure: the content arrives as a [`CopyContent`], put together by
//! [`content`] from what was signed — read from the device's records by
//! [`crate::api::FieldKit::customer_copy`], or from the ops the device synced by the server's
//! dashboard. The same content gives the same bytes.

mod layout;
mod pdf;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::checklist::{AnswerValue, StepKind, Template};
use crate::i18n::Locale;
use crate::media::signature::SignedSummary;
use crate::model::{Cents, FeeSchedule, Signature, Timestamp};
use crate::ptr;

/// Where the text font comes from: the platform's CJK font (Android:
/// `/system/fonts/NotoSansCJK-Regular.ttc`; an iOS app bundles one) as a path or as bytes.
/// Only the glyphs the copy uses are embedded.
#[derive(Clone, PartialEq, Eq)]
pub enum FontSource {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

impl std::fmt::Debug for FontSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FontSource::Path(p) => f.debug_tuple("Path").field(p).finish(),
            FontSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// How to render the customer's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyOptions {
    /// The text font; it must cover Chinese and Latin.
    pub font: FontSource,
    /// The face in a font collection (`.ttc`); 0 for a single font.
    pub font_index: u32,
    /// The server the device syncs with, e.g. `https://sync.example.com`: the QR code points
    /// at `{verify_base_url}/verify/{job id}?h={hash}`.
    pub verify_base_url: String,
    /// The company named in the header.
    pub company: String,
    /// The customer's UTC offset for the times printed (minutes; China: 480).
    pub utc_offset_minutes: i32,
}

/// Why a customer's copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No customer has signed the job's visit yet: the copy documents what was signed.
    NotSigned(String),
    /// The stored signed summary no longer matches the hash the signature carries.
    SignedContentAltered(String),
    /// The font could not be read or has no usable face.
    Font(String),
    /// The PDF writer failed.
    Render(String),
}

impl ReportError {
    /// Why the copy could not be made, in `locale`.
    pub fn reason(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            ReportError::NotSigned(job) => ptr!(l, "report-not-signed", job = job.as_str()),
            ReportError::SignedContentAltered(job) => {
                ptr!(l, "report-signed-content-altered", job = job.as_str())
            }
            ReportError::Font(d) => ptr!(l, "report-font", detail = d.as_str()),
            ReportError::Render(d) => ptr!(l, "report-render", detail = d.as_str()),
        }
    }
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}

/// One checklist line: the step's label and what was recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct StepLine {
    pub label_zh: String,
    pub label_en: String,
    /// The answer in words (empty when the step was skipped with an exception).
    pub answer: String,
    /// The reason the step was skipped, if it was.
    pub exception: Option<String>,
}

/// One part used.
#[derive(Clone, Debug, PartialEq)]
pub struct PartLine {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub new_serial: Option<String>,
    /// What became of the old part (`returned`, `scrapped`…).
    pub old_part: String,
}

/// The fees shown to the customer and their answer.
#[derive(Clone, Debug, PartialEq)]
pub struct FeeLines {
    /// (zh label, en label, amount in cents).
    pub items: Vec<(String, String, Cents)>,
    pub total: Cents,
    pub currency: String,
    pub agreed: bool,
}

/// Everything printed on the customer's copy.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyContent {
    pub company: String,
    pub work_order_id: String,
    pub number: String,
    /// `repair`, `delivery`…
    pub kind: String,
    /// `warranty` or `paid`.
    pub billing: String,
    pub product_model: String,
    pub product_serial: Option<String>,
    pub reported_fault: String,
    /// The promised window.
    pub scheduled: (Timestamp, Timestamp),
    pub arrived_at: Option<Timestamp>,
    pub work_started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub steps: Vec<StepLine>,
    /// (kind, description).
    pub findings: Vec<(String, String)>,
    pub parts: Vec<PartLine>,
    pub fees: Option<FeeLines>,
    /// The take-back receipt the customer signed for, with the loaner left with them.
    pub take_back: Option<crate::media::signature::SummaryTakeBack>,
    /// The fee as settled; printed apart from what the signature covers.
    pub settlement: Option<SettlementLine>,
    /// Photo thumbnails (JPEG), in the signed summary's order.
    pub thumbnails: Vec<Vec<u8>>,
    /// The customer's signature image (PNG).
    pub signature_png: Vec<u8>,
    pub signer_name: String,
    pub signed_at: Timestamp,
    /// SHA-256 of the signed content (the summary the customer signed).
    pub signed_sha256: String,
    pub verify_url: String,
    pub utc_offset_minutes: i32,
    /// Who served the customer and the number they call; printed under the header when known
    /// (the device fills it from its technician's card).
    pub technician: Option<CopyTechnician>,
}

/// The technician on the copy (004 一 第5章 第19条 (3): the 工号) and the company's service
/// hotline (004 一 第8章 第29条: the service telephone made public).
#[derive(Clone, Debug, PartialEq)]
pub struct CopyTechnician {
    pub name: String,
    pub employee_number: Option<String>,
    pub service_hotline: Option<String>,
}

/// What a copy is made of, wherever it was read from.
#[derive(Clone, Copy, Debug)]
pub struct CopySources<'a> {
    /// The customer's signature, whose `summary_sha256` is `summary`'s hash.
    pub signature: &'a Signature,
    /// What the customer signed.
    pub summary: &'a SignedSummary,
    /// The visit's checklist (labels and choice words); without it steps show their ids.
    pub template: Option<&'a Template>,
    /// Catalog names by SKU; a part not in it shows its SKU.
    pub part_names: &'a HashMap<String, String>,
    /// The fee schedule the consent names, for the fee lines' labels and currency.
    pub fee_schedule: Option<&'a FeeSchedule>,
    /// The promised window.
    pub scheduled: (Timestamp, Timestamp),
    pub arrived_at: Option<Timestamp>,
    pub work_started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The visit's settlement (after the signature, so outside what it covers), if settled.
    pub settlement: Option<&'a SettlementLine>,
}

/// How the visit's fee was settled (结算), as the copy prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct SettlementLine {
    pub amount: Cents,
    pub method: crate::model::PaymentMethod,
    /// The receipt or invoice number issued on site.
    pub receipt_no: Option<String>,
    /// When the invoice is due, when none was issued on site.
    pub invoice_due: Option<Timestamp>,
}

/// Puts the copy together: the work order as signed, the checklist lines in the template's
/// order (steps the template lacks after them), parts, fees, the hash and the verify URL.
/// `thumbnails` (JPEG) follow the summary's photo order; `signature_png` is the signature's
/// image.
pub fn content(
    src: CopySources<'_>,
    thumbnails: Vec<Vec<u8>>,
    signature_png: Vec<u8>,
    company: &str,
    verify_base_url: &str,
    utc_offset_minutes: i32,
) -> CopyContent {
    let summary = src.summary;
    let answers: HashMap<&str, _> = summary
        .answers
        .iter()
        .map(|a| (a.step.as_str(), a))
        .collect();
    let mut steps = Vec::new();
    let mut shown = HashSet::new();
    for step in src.template.map(|t| t.steps.as_slice()).unwrap_or_default() {
        let Some(a) = answers.get(step.id.as_str()) else {
            continue;
        };
        shown.insert(step.id.as_str());
        steps.push(StepLine {
            label_zh: step.label.zh_cn.clone(),
            label_en: step.label.en.clone(),
            answer: a
                .answer
                .as_ref()
                .map(|v| answer_in_words(v, &step.kind))
                .unwrap_or_default(),
            exception: a.exception.clone(),
        });
    }
    for a in &summary.answers {
        if !shown.contains(a.step.as_str()) {
            steps.push(StepLine {
                label_zh: a.step.clone(),
                label_en: a.step.clone(),
                answer: a
                    .answer
                    .as_ref()
                    .map(|v| answer_in_words(v, &StepKind::Serial))
                    .unwrap_or_default(),
                exception: a.exception.clone(),
            });
        }
    }
    let parts = summary
        .parts
        .iter()
        .map(|p| PartLine {
            sku: p.sku.clone(),
            name: src
                .part_names
                .get(&p.sku)
                .cloned()
                .unwrap_or_else(|| p.sku.clone()),
            quantity: p.quantity,
            new_serial: p.new_serial.clone(),
            old_part: p.old_part.clone(),
        })
        .collect();
    let fees = summary.fee_consent.as_ref().map(|f| {
        let schedule = src
            .fee_schedule
            .filter(|s| s.id == f.schedule_id && s.version == f.schedule_version);
        FeeLines {
            items: f
                .items
                .iter()
                .map(
                    |code| match schedule.and_then(|s| s.items.iter().find(|i| &i.code == code)) {
                        Some(i) => (i.label_zh.clone(), i.label_en.clone(), i.amount),
                        None => (code.clone(), code.clone(), 0),
                    },
                )
                .collect(),
            total: f.total,
            currency: schedule
                .map(|s| s.currency.clone())
                .unwrap_or_else(|| "CNY".into()),
            agreed: f.agreed,
        }
    });
    let sig = src.signature;
    let signed_sha256 = sig.summary_sha256.clone().unwrap_or_default();
    let o = &summary.work_order;
    CopyContent {
        company: company.to_owned(),
        work_order_id: o.id.clone(),
        number: o.number.clone(),
        kind: o.kind.clone(),
        billing: o.billing.clone(),
        product_model: o.product_model.clone(),
        product_serial: o.product_serial.clone(),
        reported_fault: o.reported_fault.clone(),
        scheduled: src.scheduled,
        arrived_at: src.arrived_at,
        work_started_at: src.work_started_at,
        ended_at: src.ended_at,
        steps,
        findings: summary
            .findings
            .iter()
            .map(|f| (f.kind.clone(), f.description.clone()))
            .collect(),
        parts,
        fees,
        take_back: summary.take_back.clone(),
        settlement: src.settlement.cloned(),
        thumbnails,
        signature_png,
        signer_name: sig.signer_name.clone(),
        signed_at: sig.signed_at,
        verify_url: verify_url(verify_base_url, &o.id, &signed_sha256),
        signed_sha256,
        utc_offset_minutes,
        technician: None,
    }
}

/// An answer in words, bilingual where the template has both.
pub fn answer_in_words(v: &AnswerValue, kind: &StepKind) -> String {
    match v {
        AnswerValue::Confirmed => "已确认 / confirmed".into(),
        AnswerValue::YesNo(true) => "是 / yes".into(),
        AnswerValue::YesNo(false) => "否 / no".into(),
        AnswerValue::Choice(value) => match kind {
            StepKind::Choice { options } | StepKind::Loaners { options } => options
                .iter()
                .find(|o| &o.value == value)
                .map(|o| format!("{} / {}", o.label.zh_cn, o.label.en))
                .unwrap_or_else(|| value.clone()),
            _ => value.clone(),
        },
        AnswerValue::Text(t) | AnswerValue::Serial(t) => t.clone(),
        AnswerValue::Number(n) => match kind {
            StepKind::Number { unit, .. } => format!("{n} {unit}"),
            _ => n.to_string(),
        },
        AnswerValue::FeeConsent { agreed: true } => "已同意 / agreed".into(),
        AnswerValue::FeeConsent { agreed: false } => "未同意 / refused".into(),
        AnswerValue::PartsReviewed(ids) => {
            format!("已核对 {n} 项配件 / {n} part(s) confirmed", n = ids.len())
        }
        AnswerValue::CopyHanded(h) => format!(
            "已交付留存联 {} / copy handed over",
            h.get(..12).unwrap_or(h)
        ),
        AnswerValue::ReturnDecision(r) => {
            format!("{} / {}", r.decision.why_zh_cn(), r.decision.why_en())
        }
    }
}

/// The verify URL for a job's signed content: `{base}/verify/{job}?h={hash}`.
pub fn verify_url(base: &str, work_order_id: &str, sha256: &str) -> String {
    format!(
        "{}/verify/{work_order_id}?h={sha256}",
        base.trim_end_matches('/')
    )
}

/// Loads the font bytes the options name.
pub(crate) fn font_bytes(source: &FontSource) -> Result<Vec<u8>, ReportError> {
    match source {
        FontSource::Bytes(b) => Ok(b.clone()),
        FontSource::Path(p) => std::fs::read(p)
            .map_err(|e| ReportError::Font(format!("cannot read the font file: {}", e.kind()))),
    }
}

/// Renders the copy as PDF bytes. Third-party code parses the font and images: a panic in
/// it is turned into [`ReportError::Render`] rather than crossing into the app.
pub fn render(
    content: &CopyContent,
    font: Vec<u8>,
    font_index: u32,
) -> Result<Vec<u8>, ReportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        layout::render(content, font, font_index)
    }))
    .unwrap_or_else(|_| Err(ReportError::Render("the PDF writer failed".into())))
}
