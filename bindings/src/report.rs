//! The customer's copy: the signed work order as PDF bytes, rendered on the device with
//! the platform's CJK font (Android: `/system/fonts/NotoSansCJK-Regular.ttc`; iOS: a font
//! the app bundles), subset to the glyphs used.

use fieldkit_core::report as core_report;

use crate::error::Result;
use crate::kit::FieldKit;

/// How to render the customer's copy. Give the font as a file path or as bytes (one of
/// them; the path wins when both are set).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CopyOptions {
    pub font_path: Option<String>,
    pub font_bytes: Option<Vec<u8>>,
    /// The face in a font collection (`.ttc`); 0 for a single font.
    pub font_index: i32,
    /// The sync server's base URL: the QR code opens `{base}/verify/{job id}?h={hash}`.
    pub verify_base_url: String,
    /// The company named in the header.
    pub company: String,
    /// The customer's UTC offset for the printed times, in minutes (China: 480).
    pub utc_offset_minutes: i32,
}

#[uniffi::export]
impl FieldKit {
    /// The customer's copy of a signed job as PDF bytes (offline): the work order, visit
    /// times, checklist, parts, fees, photo thumbnails, the signature, the hash of the signed
    /// content and a QR code of the server's verify page. `Report` errors when no customer
    /// has signed yet or the font is unusable.
    pub fn customer_copy(&self, job_id: String, options: CopyOptions) -> Result<Vec<u8>> {
        let font = match (options.font_path, options.font_bytes) {
            (Some(p), _) => core_report::FontSource::Path(p.into()),
            (None, Some(b)) => core_report::FontSource::Bytes(b),
            (None, None) => core_report::FontSource::Bytes(Vec::new()),
        };
        let opts = core_report::CopyOptions {
            font,
            font_index: u32::try_from(options.font_index).unwrap_or(u32::MAX),
            verify_base_url: options.verify_base_url,
            company: options.company,
            utc_offset_minutes: options.utc_offset_minutes,
        };
        self.job_read(&job_id, |k, id| k.customer_copy(id, &opts))
    }
}
