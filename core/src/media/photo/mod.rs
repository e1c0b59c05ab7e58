//! Photo ingest: a camera photo in, a small, upright, metadata-free JPEG and its thumbnail out.
//!
//! Pure functions: bytes (or one file read by path) in, [`Ingested`] out. Storage, visits and
//! dedupe by hash live elsewhere; this layer only guarantees that the same input and config give
//! byte-identical output, so the SHA-256 can address the content.
//!
//! # Pipeline
//! 1. Refuse before decoding: empty input, more than [`PhotoConfig::max_bytes`], a format that is
//!    neither JPEG nor PNG (sniffed from the magic bytes).
//! 2. Read the header only (JPEG frame header / PNG `IHDR`) and refuse more than
//!    [`PhotoConfig::max_pixels`] before any pixel buffer exists, so a 65,535 × 65,535 "bomb"
//!    costs a few hundred bytes of parsing.
//! 3. Decode at a reduced size where the target allows:
//!    - JPEG: DCT scaling (1/8, 1/4, 1/2 or full) — the smallest scale whose output is still at
//!      least the target size, so nothing is ever upscaled. A 50 MP photo for a 2048 px target is
//!      decoded at ½ (4080 × 3060, 37 MB of RGB).
//!    - PNG: rows are streamed and box-averaged by the same factors (1, 2, 4, 8) while decoding,
//!      alpha composited on white; only the reduced image is kept. Interlaced (Adam7) PNGs are
//!      decoded as a whole frame first (at most `max_pixels` × 4 bytes), then reduced.
//! 4. Resize to the long edge with `fast_image_resize` (Lanczos3, SIMD), apply the EXIF
//!    orientation (1–8) to the resized pixels, encode baseline JPEG 4:2:0 with `jpeg-encoder`.
//!    The output carries a JFIF APP0 segment and nothing else: no EXIF, XMP, ICC or comments.
//! 5. The thumbnail is resized from the upright main image, not from the source.
//!
//! # Memory (baseline JPEG)
//! The input bytes, the scaled decode (under twice the target per side, so at most about
//! 4 × the target's area × 3 bytes, plus the decoder's planes), the resize's intermediate and the
//! outputs. Measured in `benches/photo_ingest.rs` (see BENCHMARKS.md): 87 MB peak RSS for a
//! 50 MP photo. A progressive JPEG additionally holds its DCT coefficients at full size
//! (≈ 3 bytes per pixel for 4:2:0) until the last scan, whatever the output scale: 227 MB for
//! 50 MP.
//!
//! # Errors
//! Every bad input is a [`PhotoError`]; nothing here panics on any input. As a last line of
//! defence, a panic inside a third-party decoder is caught and reported as
//! [`PhotoError::Corrupt`] (where the build unwinds). Decoder messages are passed on: they name
//! markers and chunk types, never paths or image content.
//!
//! # Determinism
//! Same input bytes + same config ⇒ byte-identical output on the same CPU family. The SIMD
//! resize and encoder paths are chosen at run time (AVX2 / SSE4.1 / NEON), so two devices of
//! different architectures may produce different bytes for the same photo.
//!
//! # Layout
//! This file owns the public surface ([`ingest`], [`ingest_file`], [`PhotoConfig`],
//! [`Ingested`], [`PhotoError`]), the pipeline that chains the stages, and what every stage
//! shares: the decoded `Pixels` buffer, the clamped config (`Plan`) and the size arithmetic
//! (`fit`, `reduction`).
//! The stages are leaves: each uses only those shared items, never another stage.
//! - `decode`: JPEG (DCT-scaled) and PNG (streamed, box-reduced) decoding, EXIF orientation.
//! - `resize`: Lanczos3 resize with `fast_image_resize`.
//! - `orient`: EXIF orientations 1–8 applied to pixels.
//! - `encode`: baseline JPEG 4:2:0.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

mod decode;
mod encode;
mod orient;
mod resize;

use std::fmt;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::i18n::Locale;
use crate::ptr;

use decode::{decode_jpeg, decode_png};
use encode::encode;
use orient::orient;
use resize::{resize, resize_ref};

/// Output sizes, qualities and input limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoConfig {
    /// Long edge of the stored image, px (never upscaled; clamped to 1..=65,535).
    pub long_edge: u32,
    /// JPEG quality of the stored image, 1–100 (clamped).
    pub quality: u8,
    /// Long edge of the thumbnail, px (never larger than the stored image).
    pub thumb_edge: u32,
    /// JPEG quality of the thumbnail, 1–100 (clamped).
    pub thumb_quality: u8,
    /// Largest accepted width × height, checked from the header before decoding.
    pub max_pixels: u64,
    /// Largest accepted input, bytes, checked before decoding (and before reading a file).
    pub max_bytes: usize,
}

impl Default for PhotoConfig {
    fn default() -> Self {
        Self {
            long_edge: 2048,
            quality: 82,
            thumb_edge: 320,
            thumb_quality: 70,
            max_pixels: 100_000_000,
            max_bytes: 40 * 1024 * 1024,
        }
    }
}

/// The container the photo came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Jpeg,
    Png,
}

/// A normalized photo: upright, resized, metadata-free JPEG plus thumbnail, with their hashes.
#[derive(Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The stored image (baseline JPEG, 4:2:0, JFIF, no other metadata).
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `jpeg`, lower-case hex.
    pub sha256: String,
    /// The thumbnail (baseline JPEG).
    pub thumbnail: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// SHA-256 of `thumbnail`, lower-case hex.
    pub thumb_sha256: String,
    pub source_format: SourceFormat,
}

impl fmt::Debug for Ingested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ingested")
            .field("jpeg_len", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sha256", &self.sha256)
            .field("thumbnail_len", &self.thumbnail.len())
            .field("thumb_width", &self.thumb_width)
            .field("thumb_height", &self.thumb_height)
            .field("thumb_sha256", &self.thumb_sha256)
            .field("source_format", &self.source_format)
            .finish()
    }
}

/// Why a photo was refused. Messages never contain paths or image content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Zero bytes.
    Empty,
    /// More bytes than [`PhotoConfig::max_bytes`].
    TooLarge { bytes: usize, max: usize },
    /// Neither JPEG nor PNG.
    UnknownFormat,
    /// A JPEG/PNG variant this layer does not handle (lossless or arithmetic-coded JPEG, …).
    Unsupported(String),
    /// Truncated or invalid data.
    Corrupt(String),
    /// More pixels than [`PhotoConfig::max_pixels`], as declared by the header.
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// The file could not be read.
    Io(String),
}

impl PhotoError {
    /// Why the photo was refused, in `locale` (decoder details stay as the decoder wrote them).
    pub fn reason(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            PhotoError::Empty => ptr!(l, "photo-empty"),
            PhotoError::TooLarge { bytes, max } => ptr!(
                l,
                "photo-too-large",
                bytes = bytes.to_string(),
                max = max.to_string()
            ),
            PhotoError::UnknownFormat => ptr!(l, "photo-unknown-format"),
            PhotoError::Unsupported(d) => ptr!(l, "photo-unsupported", detail = d.as_str()),
            PhotoError::Corrupt(d) => ptr!(l, "photo-corrupt", detail = d.as_str()),
            PhotoError::TooManyPixels { width, height, max } => ptr!(
                l,
                "photo-too-many-pixels",
                width = width.to_string(),
                height = height.to_string(),
                max = max.to_string()
            ),
            PhotoError::Io(d) => ptr!(l, "photo-unreadable", detail = d.as_str()),
        }
    }
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason(Locale::En))
    }
}

/// Normalizes one photo held in memory.
pub fn ingest(bytes: &[u8], cfg: &PhotoConfig) -> Result<Ingested, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > cfg.max_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: cfg.max_bytes,
        });
    }
    let format = sniff(bytes)?;
    let plan = Plan::from(cfg);
    // Last line of defence for the FFI: our own code does not panic, but a decoder bug must
    // not take the app down either.
    catch_unwind(AssertUnwindSafe(|| ingest_inner(bytes, format, &plan))).unwrap_or_else(|_| {
        Err(PhotoError::Corrupt(
            "the decoder failed on this data".to_owned(),
        ))
    })
}

/// Normalizes one photo file. The size is checked from the file's metadata before reading.
pub fn ingest_file(path: &Path, cfg: &PhotoConfig) -> Result<Ingested, PhotoError> {
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if !meta.is_file() {
        return Err(PhotoError::Io("not a regular file".to_owned()));
    }
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if len == 0 {
        return Err(PhotoError::Empty);
    }
    if len > cfg.max_bytes {
        return Err(PhotoError::TooLarge {
            bytes: len,
            max: cfg.max_bytes,
        });
    }
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::with_capacity(len);
    // Read at most one byte past the limit: a file that grew since the metadata call is still
    // refused by `ingest` without reading all of it.
    let cap = u64::try_from(cfg.max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(cap).read_to_end(&mut bytes).map_err(io_error)?;
    ingest(&bytes, cfg)
}

fn io_error(e: std::io::Error) -> PhotoError {
    // The kind only: an io::Error may carry a custom message, and we promise no paths.
    PhotoError::Io(e.kind().to_string())
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

fn sniff(bytes: &[u8]) -> Result<SourceFormat, PhotoError> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(&PNG_SIGNATURE) {
        return Ok(SourceFormat::Png);
    }
    if bytes.len() < PNG_SIGNATURE.len() && PNG_SIGNATURE.starts_with(bytes) {
        return Err(PhotoError::Corrupt("truncated PNG signature".to_owned()));
    }
    Err(PhotoError::UnknownFormat)
}

/// The config, clamped to what JPEG can hold.
struct Plan {
    long_edge: u32,
    quality: u8,
    thumb_edge: u32,
    thumb_quality: u8,
    max_pixels: u64,
}

impl From<&PhotoConfig> for Plan {
    fn from(cfg: &PhotoConfig) -> Self {
        let long_edge = cfg.long_edge.clamp(1, u32::from(u16::MAX));
        Self {
            long_edge,
            quality: cfg.quality.clamp(1, 100),
            thumb_edge: cfg.thumb_edge.clamp(1, long_edge),
            thumb_quality: cfg.thumb_quality.clamp(1, 100),
            max_pixels: cfg.max_pixels,
        }
    }
}

/// Decoded pixels: 1 channel (gray) or 3 (RGB), rows packed.
struct Pixels {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<u8>,
}

impl Pixels {
    fn new(width: u32, height: u32, channels: usize, data: Vec<u8>) -> Result<Self, PhotoError> {
        if data.len() != byte_len(width, height, channels) {
            return Err(PhotoError::Corrupt(
                "decoded size does not match the header".to_owned(),
            ));
        }
        Ok(Self {
            width,
            height,
            channels,
            data,
        })
    }
}

fn byte_len(width: u32, height: u32, channels: usize) -> usize {
    usize::try_from(u64::from(width) * u64::from(height))
        .unwrap_or(usize::MAX)
        .saturating_mul(channels)
}

fn ingest_inner(bytes: &[u8], format: SourceFormat, plan: &Plan) -> Result<Ingested, PhotoError> {
    let (pixels, target, orientation) = match format {
        SourceFormat::Jpeg => decode_jpeg(bytes, plan)?,
        SourceFormat::Png => decode_png(bytes, plan)?,
    };
    let main = resize(pixels, target)?;
    let main = orient(main, orientation);
    let jpeg = encode(&main, plan.quality)?;
    let thumb_size = fit(main.width, main.height, plan.thumb_edge);
    let resized = if thumb_size == (main.width, main.height) {
        None
    } else {
        Some(resize_ref(&main, thumb_size)?)
    };
    let thumb = resized.as_ref().unwrap_or(&main);
    let thumbnail = encode(thumb, plan.thumb_quality)?;
    Ok(Ingested {
        sha256: sha256_hex(&jpeg),
        jpeg,
        width: main.width,
        height: main.height,
        thumb_sha256: sha256_hex(&thumbnail),
        thumbnail,
        thumb_width: thumb.width,
        thumb_height: thumb.height,
        source_format: format,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_pixels(width: u32, height: u32, max: u64) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt(format!(
            "the header declares {width}×{height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > max {
        return Err(PhotoError::TooManyPixels { width, height, max });
    }
    Ok(())
}

/// Size with the long edge at most `long`, aspect kept (rounded), never upscaled.
fn fit(width: u32, height: u32, long: u32) -> (u32, u32) {
    let src_long = width.max(height);
    if src_long <= long || src_long == 0 {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let v = (u64::from(side) * u64::from(long) + u64::from(src_long) / 2) / u64::from(src_long);
        u32::try_from(v).unwrap_or(long).clamp(1, long)
    };
    if width >= height {
        (long, scale(height))
    } else {
        (scale(width), long)
    }
}

/// The largest reduction factor (8, 4, 2 or 1) whose output, ⌈side / factor⌉, still covers the
/// target on both axes: JPEG DCT scaling (1/8 … 8/8) and the PNG box prescale use the same.
fn reduction(width: u32, height: u32, target: (u32, u32)) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|&f| width.div_ceil(f) >= target.0 && height.div_ceil(f) >= target.1)
        .unwrap_or(1)
}

/// Decoder messages are short; keep them so.
fn clip(mut msg: String) -> String {
    const MAX: usize = 200;
    if msg.len() > MAX {
        let mut cut = MAX;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
    }
    msg
}

fn out_of_memory() -> PhotoError {
    PhotoError::Unsupported("not enough memory for this image".to_owned())
}

fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit(100, 50, 2048), (100, 50));
        assert_eq!(fit(100_000, 1, 2048), (2048, 1));
    }

    #[test]
    fn reduction_never_below_target() {
        assert_eq!(reduction(8160, 6120, (2048, 1536)), 2);
        assert_eq!(reduction(4000, 3000, (2048, 1536)), 1);
        assert_eq!(reduction(16384, 4, (2048, 1)), 8);
        assert_eq!(reduction(100, 50, (100, 50)), 1);
        assert_eq!(reduction(2, 9, (1, 3)), 4);
        assert_eq!(reduction(2, 9, (1, 5)), 2);
    }
}
