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

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use std::fmt;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use fast_image_resize as fir;
use sha2::{Digest, Sha256};

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
    #[error("the photo is empty")]
    Empty,
    /// More bytes than [`PhotoConfig::max_bytes`].
    #[error("the photo is {bytes} bytes, more than the limit of {max}")]
    TooLarge { bytes: usize, max: usize },
    /// Neither JPEG nor PNG.
    #[error("not a JPEG or PNG image")]
    UnknownFormat,
    /// A JPEG/PNG variant this layer does not handle (lossless or arithmetic-coded JPEG, …).
    #[error("unsupported image: {0}")]
    Unsupported(String),
    /// Truncated or invalid data.
    #[error("corrupt image: {0}")]
    Corrupt(String),
    /// More pixels than [`PhotoConfig::max_pixels`], as declared by the header.
    #[error("the image is {width}×{height} pixels, more than the limit of {max}")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// The file could not be read.
    #[error("cannot read the photo: {0}")]
    Io(String),
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

// ---------------------------------------------------------------------------------------------
// JPEG

fn jpeg_error(e: jpeg_decoder::Error) -> PhotoError {
    use jpeg_decoder::Error as E;
    match e {
        E::Format(msg) => PhotoError::Corrupt(clip(msg)),
        E::Unsupported(feature) => PhotoError::Unsupported(clip(format!("JPEG {feature:?}"))),
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Corrupt("truncated JPEG data".to_owned())
        }
        E::Io(io) => PhotoError::Corrupt(clip(format!("JPEG read error: {}", io.kind()))),
        E::Internal(_) => PhotoError::Corrupt("JPEG decoder error".to_owned()),
    }
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

type Decoded = (Pixels, (u32, u32), u8);

fn decode_jpeg(bytes: &[u8], plan: &Plan) -> Result<Decoded, PhotoError> {
    use jpeg_decoder::{CodingProcess, PixelFormat};

    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::Corrupt("no JPEG frame header".to_owned()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_pixels(width, height, plan.max_pixels)?;
    // Every block of every scan costs at least one bit, and a frame has at least one block
    // per 1,024 pixels (sampling factors are at most 4 × 4): a file smaller than that cannot
    // hold the frame it declares. Refusing here stops a tiny file from making the decoder
    // produce a huge image out of nothing (jpeg-decoder pads missing data with zeros).
    if u64::try_from(bytes.len())
        .unwrap_or(u64::MAX)
        .saturating_mul(8 * 1024)
        < u64::from(width) * u64::from(height)
    {
        return Err(PhotoError::Corrupt(
            "the JPEG data is too short for the size its header declares".to_owned(),
        ));
    }
    if info.coding_process == CodingProcess::Lossless {
        return Err(PhotoError::Unsupported("lossless JPEG".to_owned()));
    }
    let channels_in = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
        PixelFormat::L16 => return Err(PhotoError::Unsupported("16-bit JPEG".to_owned())),
    };

    let target = fit(width, height, plan.long_edge);
    let factor = reduction(width, height, target);
    // jpeg-decoder picks the smallest DCT scale whose output is at least the requested size;
    // requesting exactly ⌈side / factor⌉ selects scale 8 / factor.
    let (sw, sh) = decoder
        .scale(
            u16::try_from(width.div_ceil(factor)).unwrap_or(u16::MAX),
            u16::try_from(height.div_ceil(factor)).unwrap_or(u16::MAX),
        )
        .map_err(jpeg_error)?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    decoder.set_max_decoding_buffer_size(byte_len(sw, sh, channels_in));
    let data = decoder.decode().map_err(jpeg_error)?;
    let orientation = decoder.exif_data().map_or(1, exif_orientation);

    let pixels = match channels_in {
        4 => Pixels::new(sw, sh, 3, cmyk_to_rgb(&data))?,
        n => Pixels::new(sw, sh, n, data)?,
    };
    Ok((pixels, target, orientation))
}

/// Naive CMYK → RGB (no colour profile). jpeg-decoder hands out ink amounts (0 = no ink).
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        if let [c, m, y, k] = *px {
            let k = 255 - u32::from(k);
            for ink in [c, m, y] {
                let v = (255 - u32::from(ink)) * k;
                out.push(u8::try_from((v + 127) / 255).unwrap_or(u8::MAX));
            }
        }
    }
    out
}

/// The EXIF orientation (1–8) from a TIFF-structured EXIF block; 1 when absent or unreadable
/// (a damaged EXIF block never refuses a photo).
fn exif_orientation(tiff: &[u8]) -> u8 {
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_raw(tiff.to_vec())
    {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return 1,
    };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// PNG

fn png_error(e: png::DecodingError) -> PhotoError {
    use png::DecodingError as E;
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Corrupt("truncated PNG data".to_owned())
        }
        E::IoError(io) => PhotoError::Corrupt(clip(format!("PNG read error: {}", io.kind()))),
        E::Format(f) => PhotoError::Corrupt(clip(format!("PNG: {f}"))),
        E::Parameter(p) => PhotoError::Corrupt(clip(format!("PNG: {p}"))),
        E::LimitsExceeded => {
            PhotoError::Unsupported("PNG needs more decoder memory than allowed".to_owned())
        }
    }
}

/// Memory the PNG decoder may use for itself (row buffers, chunks), not for the image.
const PNG_DECODER_LIMIT: usize = 64 * 1024 * 1024;

fn decode_png(bytes: &[u8], plan: &Plan) -> Result<Decoded, PhotoError> {
    use png::{BitDepth, ColorType, Transformations};

    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: PNG_DECODER_LIMIT,
        },
    );
    let header = decoder.read_header_info().map_err(png_error)?;
    let (width, height) = (header.width, header.height);
    check_pixels(width, height, plan.max_pixels)?;
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .map_or(1, exif_orientation);
    let interlaced = reader.info().interlaced;
    // Deflate expands at most 1,032:1, and the raw image is at least one filter byte plus the
    // packed samples per row: a file smaller than that cannot hold the image it declares.
    let info = reader.info();
    let row_bits = u64::from(width) * u64::try_from(info.bits_per_pixel()).unwrap_or(64);
    let raw = u64::from(height) * (1 + row_bits.div_ceil(8));
    if u64::try_from(bytes.len())
        .unwrap_or(u64::MAX)
        .saturating_mul(1032)
        < raw
    {
        return Err(PhotoError::Corrupt(
            "the PNG data is too short for the size its header declares".to_owned(),
        ));
    }

    let (color, depth) = reader.output_color_type();
    if depth != BitDepth::Eight {
        return Err(PhotoError::Unsupported(format!("PNG at {depth:?} bits")));
    }
    let (channels_in, channels_out) = match color {
        ColorType::Grayscale => (1, 1),
        ColorType::GrayscaleAlpha => (2, 1),
        ColorType::Rgb => (3, 3),
        ColorType::Rgba => (4, 3),
        ColorType::Indexed => {
            return Err(PhotoError::Unsupported("unexpanded PNG palette".to_owned()));
        }
    };

    let target = fit(width, height, plan.long_edge);
    let factor = reduction(width, height, target);
    let mut shrink = BoxShrink::new(width, height, factor, channels_out)?;
    let mut row_out = vec![0u8; byte_len(width, 1, channels_out)];
    let line_in = byte_len(width, 1, channels_in);

    if interlaced {
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| PhotoError::Unsupported("PNG too large".to_owned()))?;
        let mut frame = Vec::new();
        frame.try_reserve_exact(size).map_err(|_| out_of_memory())?;
        frame.resize(size, 0);
        let out = reader.next_frame(&mut frame).map_err(png_error)?;
        for row in frame
            .chunks_exact(out.line_size.max(1))
            .take(to_usize(height))
        {
            composite_row(row, channels_in, &mut row_out);
            shrink.push(&row_out);
        }
    } else {
        while let Some(row) = reader.next_row().map_err(png_error)? {
            let row = row.data();
            if row.len() < line_in {
                return Err(PhotoError::Corrupt("short PNG row".to_owned()));
            }
            composite_row(row, channels_in, &mut row_out);
            shrink.push(&row_out);
        }
    }
    Ok((shrink.finish()?, target, orientation))
}

fn out_of_memory() -> PhotoError {
    PhotoError::Unsupported("not enough memory for this image".to_owned())
}

fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// One decoded PNG row (8-bit G, GA, RGB or RGBA) → gray or RGB, alpha composited on white.
fn composite_row(row: &[u8], channels_in: usize, out: &mut [u8]) {
    fn over_white(v: u8, a: u8) -> u8 {
        let (v, a) = (u32::from(v), u32::from(a));
        u8::try_from((v * a + 255 * (255 - a) + 127) / 255).unwrap_or(u8::MAX)
    }
    match channels_in {
        2 => {
            for (o, px) in out.iter_mut().zip(row.chunks_exact(2)) {
                if let [g, a] = *px {
                    *o = over_white(g, a);
                }
            }
        }
        4 => {
            for (o, px) in out.chunks_exact_mut(3).zip(row.chunks_exact(4)) {
                if let ([r0, g0, b0], &[r, g, b, a]) = (o, px) {
                    *r0 = over_white(r, a);
                    *g0 = over_white(g, a);
                    *b0 = over_white(b, a);
                }
            }
        }
        _ => {
            for (o, v) in out.iter_mut().zip(row) {
                *o = *v;
            }
        }
    }
}

/// Streams rows in, keeps only the image box-averaged by `factor` (a cell at the right or
/// bottom edge averages the pixels it has).
struct BoxShrink {
    factor: u32,
    channels: usize,
    out_width: u32,
    out_height: u32,
    /// Per output column: how many source columns fall into it.
    col_counts: Vec<u32>,
    acc: Vec<u32>,
    rows_in_acc: u32,
    out: Vec<u8>,
}

impl BoxShrink {
    fn new(width: u32, height: u32, factor: u32, channels: usize) -> Result<Self, PhotoError> {
        let factor = factor.max(1);
        let (out_width, out_height) = (width.div_ceil(factor), height.div_ceil(factor));
        let col_counts = (0..out_width)
            .map(|x| factor.min(width - x * factor))
            .collect();
        let acc_len = if factor > 1 {
            byte_len(out_width, 1, channels)
        } else {
            0
        };
        let out_len = byte_len(out_width, out_height, channels);
        let mut out = Vec::new();
        out.try_reserve_exact(out_len)
            .map_err(|_| out_of_memory())?;
        Ok(Self {
            factor,
            channels,
            out_width,
            out_height,
            col_counts,
            acc: vec![0; acc_len],
            rows_in_acc: 0,
            out,
        })
    }

    fn push(&mut self, row: &[u8]) {
        if self.factor == 1 {
            self.out.extend_from_slice(row);
            return;
        }
        let group = self.channels * to_usize(self.factor);
        for (cell, acc) in row
            .chunks(group)
            .zip(self.acc.chunks_exact_mut(self.channels))
        {
            for px in cell.chunks_exact(self.channels) {
                for (a, v) in acc.iter_mut().zip(px) {
                    *a += u32::from(*v);
                }
            }
        }
        self.rows_in_acc += 1;
        if self.rows_in_acc == self.factor {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.rows_in_acc == 0 {
            return;
        }
        for (acc, &cols) in self
            .acc
            .chunks_exact_mut(self.channels)
            .zip(&self.col_counts)
        {
            let n = (cols * self.rows_in_acc).max(1);
            for a in acc.iter_mut() {
                self.out
                    .push(u8::try_from((*a + n / 2) / n).unwrap_or(u8::MAX));
                *a = 0;
            }
        }
        self.rows_in_acc = 0;
    }

    fn finish(mut self) -> Result<Pixels, PhotoError> {
        self.flush();
        Pixels::new(self.out_width, self.out_height, self.channels, self.out)
    }
}

// ---------------------------------------------------------------------------------------------
// Resize, orientation, encode

fn pixel_type(channels: usize) -> fir::PixelType {
    if channels == 1 {
        fir::PixelType::U8
    } else {
        fir::PixelType::U8x3
    }
}

fn resize_error(e: impl fmt::Display) -> PhotoError {
    PhotoError::Corrupt(clip(format!("resize failed: {e}")))
}

fn resize_options() -> fir::ResizeOptions {
    fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3))
}

/// Resizes to `size`, reusing the buffer when nothing changes.
fn resize(src: Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
    if (src.width, src.height) == size {
        return Ok(src);
    }
    resize_ref(&src, size)
}

fn resize_ref(src: &Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
    let src_image =
        fir::images::ImageRef::new(src.width, src.height, &src.data, pixel_type(src.channels))
            .map_err(resize_error)?;
    resize_image(&src_image, size, src.channels)
}

fn resize_image(
    src: &impl fir::IntoImageView,
    (width, height): (u32, u32),
    channels: usize,
) -> Result<Pixels, PhotoError> {
    let mut dst = fir::images::Image::new(width, height, pixel_type(channels));
    fir::Resizer::new()
        .resize(src, &mut dst, &resize_options())
        .map_err(resize_error)?;
    Pixels::new(width, height, channels, dst.into_vec())
}

/// Applies EXIF orientation `o` (1–8) so the pixels come out upright.
fn orient(src: Pixels, o: u8) -> Pixels {
    if !(2..=8).contains(&o) {
        return src;
    }
    let (w, h, ch) = (to_usize(src.width), to_usize(src.height), src.channels);
    let row_len = (w * ch).max(1);
    match o {
        // Mirror left-right, rotate 180°, mirror top-bottom: whole rows move.
        2..=4 => {
            let mut out = Vec::with_capacity(src.data.len());
            let rows: Box<dyn Iterator<Item = &[u8]>> = if o == 2 {
                Box::new(src.data.chunks_exact(row_len))
            } else {
                Box::new(src.data.chunks_exact(row_len).rev())
            };
            for row in rows {
                if o == 4 {
                    out.extend_from_slice(row);
                } else {
                    for px in row.chunks_exact(ch).rev() {
                        out.extend_from_slice(px);
                    }
                }
            }
            Pixels { data: out, ..src }
        }
        // Transpose family: output is h × w.
        _ => {
            let data = match ch {
                1 => transpose_family::<1>(&src.data, w, h, o),
                _ => transpose_family::<3>(&src.data, w, h, o),
            };
            Pixels {
                width: src.height,
                height: src.width,
                channels: ch,
                data,
            }
        }
    }
}

/// Orientations 5–8 of a `w` × `h` image of `CH`-byte pixels into an `h` × `w` one, in 32 × 32
/// tiles so that both the reads and the scattered writes stay in cache.
fn transpose_family<const CH: usize>(src: &[u8], w: usize, h: usize, o: u8) -> Vec<u8> {
    const TILE: usize = 32;
    let dw = h;
    let mut out = vec![0u8; src.len()];
    for tile_y in (0..h).step_by(TILE) {
        for tile_x in (0..w).step_by(TILE) {
            for sy in tile_y..(tile_y + TILE).min(h) {
                // D(dx, dy) = S(sx, sy) where, per orientation:
                // 5 transpose: (sy, sx); 6 rotate 90° cw: (h-1-sy, sx);
                // 7 transverse: (h-1-sy, w-1-sx); 8 rotate 90° ccw: (sy, w-1-sx).
                let dx = if o == 5 || o == 8 { sy } else { h - 1 - sy };
                for sx in tile_x..(tile_x + TILE).min(w) {
                    let dy = if o == 5 || o == 6 { sx } else { w - 1 - sx };
                    let (from, to) = ((sy * w + sx) * CH, (dy * dw + dx) * CH);
                    if let (Some(s), Some(d)) = (src.get(from..from + CH), out.get_mut(to..to + CH))
                    {
                        d.copy_from_slice(s);
                    }
                }
            }
        }
    }
    out
}

fn encode(px: &Pixels, quality: u8) -> Result<Vec<u8>, PhotoError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
    let too_big = || PhotoError::Unsupported("output larger than 65,535 px".to_owned());
    let width = u16::try_from(px.width).map_err(|_| too_big())?;
    let height = u16::try_from(px.height).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(px.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    let color = if px.channels == 1 {
        ColorType::Luma
    } else {
        ColorType::Rgb
    };
    encoder
        .encode(&px.data, width, height, color)
        .map_err(|e| PhotoError::Corrupt(clip(format!("JPEG encoding failed: {e}"))))?;
    Ok(out)
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

    #[test]
    fn orient_matches_the_exif_definition() {
        // Displayed D(x, y) = stored S(map(x, y)), per the EXIF orientation tag.
        let (w, h) = (37usize, 70usize);
        for ch in [1usize, 3] {
            let data: Vec<u8> = (0..w * h * ch).map(|i| (i * 7 % 251) as u8).collect();
            for o in 1..=8u8 {
                let src = Pixels::new(w as u32, h as u32, ch, data.clone()).unwrap();
                let out = orient(src, o);
                let (dw, dh) = if o >= 5 { (h, w) } else { (w, h) };
                assert_eq!((out.width as usize, out.height as usize), (dw, dh));
                for y in 0..dh {
                    for x in 0..dw {
                        let (sx, sy) = match o {
                            1 => (x, y),
                            2 => (w - 1 - x, y),
                            3 => (w - 1 - x, h - 1 - y),
                            4 => (x, h - 1 - y),
                            5 => (y, x),
                            6 => (y, h - 1 - x),
                            7 => (w - 1 - y, h - 1 - x),
                            _ => (w - 1 - y, x),
                        };
                        let d = (y * dw + x) * ch;
                        let s = (sy * w + sx) * ch;
                        assert_eq!(out.data[d..d + ch], data[s..s + ch], "o={o} ch={ch}");
                    }
                }
            }
        }
    }

    #[test]
    fn box_shrink_averages_edges() {
        let mut s = BoxShrink::new(3, 3, 2, 1).unwrap();
        s.push(&[0, 2, 10]);
        s.push(&[4, 6, 20]);
        s.push(&[8, 8, 30]);
        let p = s.finish().unwrap();
        assert_eq!((p.width, p.height), (2, 2));
        assert_eq!(p.data, vec![3, 15, 8, 30]);
    }
}
