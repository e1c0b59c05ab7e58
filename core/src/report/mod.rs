//! The customer's copy of a signed work order: a PDF rendered on the device, with no network.
//!
//! Owns the document's layout (bilingual zh-CN / en labels, the work order, visit times,
//! checklist answers and exceptions, findings, parts, fees, photo thumbnails, the signature,
//! the hash of the signed content and a QR code of the server's verify URL) and writing it
//! as PDF with `krilla`: text in the platform's font (a CJK font is far too big to ship in
//! the library), subset to the glyphs used and embedded; images as they are stored; the QR
//! code as vector squares. Pure: the content arrives as a [`CopyContent`], gathered from the
//! records by [`crate::api::FieldKit::customer_copy`]. The same content gives the same bytes.

mod layout;

use std::path::PathBuf;

use crate::model::{Cents, Timestamp};

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
    #[error("job {0} has no customer signature yet; the customer's copy is made after sign-off")]
    NotSigned(String),
    /// The stored signed summary no longer matches the hash the signature carries.
    #[error("the signed content of job {0} does not match its hash")]
    SignedContentAltered(String),
    /// The font could not be read or has no usable face.
    #[error("font: {0}")]
    Font(String),
    /// The PDF writer failed.
    #[error("pdf: {0}")]
    Render(String),
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
