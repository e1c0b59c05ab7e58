//! Resizing, a stage of the photo pipeline: Lanczos3 with `fast_image_resize` (SIMD chosen at
//! run time), to the stored size and to the thumbnail's.

use std::fmt;

use fast_image_resize as fir;

use super::{PhotoError, Pixels, clip};

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
pub(super) fn resize(src: Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
    if (src.width, src.height) == size {
        return Ok(src);
    }
    resize_ref(&src, size)
}

pub(super) fn resize_ref(src: &Pixels, size: (u32, u32)) -> Result<Pixels, PhotoError> {
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
