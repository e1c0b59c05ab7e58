//! Decoding, stage 1 of the photo pipeline: JPEG with DCT scaling and PNG rows streamed and
//! box-reduced, both refused from their headers before any pixel buffer exists, plus the EXIF
//! orientation either format carries. Owns nothing else: resizing, orientation and encoding
//! are the sibling stages'.

use std::io::Cursor;

use super::{
    PhotoError, Pixels, Plan, byte_len, check_pixels, clip, fit, out_of_memory, reduction, to_usize,
};

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

pub(super) type Decoded = (Pixels, (u32, u32), u8);

pub(super) fn decode_jpeg(bytes: &[u8], plan: &Plan) -> Result<Decoded, PhotoError> {
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

pub(super) fn decode_png(bytes: &[u8], plan: &Plan) -> Result<Decoded, PhotoError> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

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
