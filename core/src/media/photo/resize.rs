//! Resizing, a stage of the photo pipeline: Lanczos3 with `fast_image_resize` (SIMD chosen at
//! run time), to the stored size and to the thumbnail's.

use std::fmt;

use fast_image_resize as fir;

use super::{PhotoError, Pixels, clip};

fn resize_error(e: impl fmt::Display) -> PhotoError {
    PhotoError::Corrupt(clip(format!("resize failed: {e}")))
}

fn resize_options() -> fir::ResizeOptions {
    fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3))
}

/// Resizes to `size`, reusing the buffer when nothing changes.
pub(super) fn resize(src: Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
    if (src.width, src.height) == size {
        return Ok(src);
    }
    resize_ref(&src, size)
}

/// Resizes a copy to `size`. Grey (one channel) or RGB only, through the typed resizer: the
/// generic one links every pixel type the crate knows (1.9 MB of the library; BENCHMARKS.md
/// §7), the typed one only these two.
pub(super) fn resize_ref(src: &Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
    match src.channels {
        1 => resize_typed::<fir::pixels::U8>(src, size),
        3 => resize_typed::<fir::pixels::U8x3>(src, size),
        n => Err(resize_error(format!("{n} channels"))),
    }
}

fn resize_typed<P: fir::PixelTrait>(
    src: &Pixels,
    (width, height): (u32, u32),
) -> Result<Pixels, PhotoError> {
    let src_image = fir::images::TypedImageRef::<P>::from_buffer(src.width, src.height, &src.data)
        .map_err(resize_error)?;
    let mut out = vec![0u8; width as usize * height as usize * P::size()];
    let mut dst =
        fir::images::TypedImage::<P>::from_buffer(width, height, &mut out).map_err(resize_error)?;
    fir::Resizer::new()
        .resize_typed(&src_image, &mut dst, &resize_options())
        .map_err(resize_error)?;
    Pixels::new(width, height, src.channels, out)
}
