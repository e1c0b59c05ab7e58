//! Encoding, the last stage of the photo pipeline: baseline JPEG, 4:2:0, JFIF and no other
//! metadata, with `jpeg-encoder`.

use super::{PhotoError, Pixels, clip};

pub(super) fn encode(px: &Pixels, quality: u8) -> Result<Vec<u8>, PhotoError> {
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
