//! Signature strokes in a compact form for the wire: positions on a 1/8-pixel grid,
//! pressures in 255 steps, every value stored as the varint of its difference from the one
//! before, base64 (URL alphabet, no padding). A signature of 120 points takes ~0.5 KB this way
//! instead of ~9 KB of JSON objects.
//!
//! The grid is applied when the customer signs ([`Strokes::quantized`]), before the image is
//! drawn and hashed, so what is packed is exactly what was drawn: [`unpack`] gives back the
//! very strokes, and the server draws the same image from them.
//!
//! Layout (version 1): `0x01`, width, height, stroke count, then per stroke its point count
//! and per point Δx, Δy (eighths of a pixel, zigzag), Δt (ms, zigzag) and Δpressure (255ths,
//! zigzag), each a LEB128 varint; the deltas run on across strokes from (0, 0, 0, 0).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::signature::{MAX_POINTS, StrokePoint, Strokes};

/// Positions are kept to this fraction of a pixel.
const GRID: f32 = 8.0;
/// Pressures are kept in this many steps above zero.
const PRESSURE_STEPS: f32 = 255.0;
const VERSION: u8 = 1;
/// The largest position on the grid either way (far past any pad: 4096 px is 32768 eighths),
/// small enough that every grid value is exact as an `f32`.
const GRID_LIMIT: i64 = 1 << 20;
/// The longest packed text accepted: every point at its widest (4 varints of 5 bytes) and
/// base64's 4/3, with room for the header.
pub const MAX_PACKED_LEN: usize = (MAX_POINTS * 20 + 64) * 4 / 3 + 4;

/// Why a packed text is not a signature's strokes (never echoes the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    #[error("the packed strokes are longer than any signature")]
    TooLong,
    #[error("the packed strokes are not base64")]
    NotBase64,
    #[error("the packed strokes are of an unknown version")]
    Version,
    #[error("the packed strokes end early")]
    Truncated,
    #[error("the packed strokes hold a number out of range")]
    OutOfRange,
    #[error("the packed strokes have bytes after their last point")]
    Trailing,
    #[error("the packed strokes hold more points than a signature may")]
    TooManyPoints,
    #[error("the signature carries its strokes both packed and as points")]
    Twice,
}

impl StrokePoint {
    fn quantized(self) -> StrokePoint {
        let [x, y, _, p] = grid(&self);
        StrokePoint {
            x: x as f32 / GRID,
            y: y as f32 / GRID,
            t_ms: self.t_ms,
            pressure: p as f32 / PRESSURE_STEPS,
        }
    }
}

impl Strokes {
    /// The strokes on the grid the wire keeps (1/8 pixel, 255 pressure steps): what a
    /// signature is drawn from. Applying it twice changes nothing.
    pub fn quantized(&self) -> Strokes {
        Strokes {
            width: self.width,
            height: self.height,
            strokes: self
                .strokes
                .iter()
                .map(|s| s.iter().map(|p| p.quantized()).collect())
                .collect(),
        }
    }
}

/// The strokes packed (their [`Strokes::quantized`] form). Call on validated strokes: values
/// out of range are clamped, never a panic.
pub fn pack(strokes: &Strokes) -> String {
    let points: usize = strokes.strokes.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(8 + points * 6);
    out.push(VERSION);
    put(&mut out, u64::from(strokes.width));
    put(&mut out, u64::from(strokes.height));
    put(&mut out, strokes.strokes.len() as u64);
    let mut prev = [0i64; 4];
    for stroke in &strokes.strokes {
        put(&mut out, stroke.len() as u64);
        for p in stroke {
            let now = grid(p);
            for (v, last) in now.iter().zip(prev.iter_mut()) {
                put(&mut out, zigzag(v - *last));
                *last = *v;
            }
        }
    }
    URL_SAFE_NO_PAD.encode(out)
}

/// The strokes a packed text holds, exactly as they were packed.
pub fn unpack(text: &str) -> Result<Strokes, UnpackError> {
    if text.len() > MAX_PACKED_LEN {
        return Err(UnpackError::TooLong);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| UnpackError::NotBase64)?;
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    if r.byte()? != VERSION {
        return Err(UnpackError::Version);
    }
    let width = u32::try_from(r.varint()?).map_err(|_| UnpackError::OutOfRange)?;
    let height = u32::try_from(r.varint()?).map_err(|_| UnpackError::OutOfRange)?;
    let count = r.varint()?;
    if count > MAX_POINTS as u64 {
        return Err(UnpackError::TooManyPoints);
    }
    let mut strokes = Vec::with_capacity(count as usize);
    let mut total = 0u64;
    let mut prev = [0i64; 4];
    for _ in 0..count {
        let n = r.varint()?;
        total = total.saturating_add(n);
        if total > MAX_POINTS as u64 {
            return Err(UnpackError::TooManyPoints);
        }
        let mut stroke = Vec::with_capacity(n as usize);
        for _ in 0..n {
            for last in prev.iter_mut() {
                *last = last
                    .checked_add(unzigzag(r.varint()?))
                    .ok_or(UnpackError::OutOfRange)?;
            }
            stroke.push(point(prev)?);
        }
        strokes.push(stroke);
    }
    if r.at != bytes.len() {
        return Err(UnpackError::Trailing);
    }
    Ok(Strokes {
        width,
        height,
        strokes,
    })
}

/// A point's values on the grid: x and y in eighths of a pixel, t in ms, pressure in 255ths.
fn grid(p: &StrokePoint) -> [i64; 4] {
    // `as` saturates (NaN → 0): validated strokes are well inside these ranges.
    let on_grid = |v: f32| ((v * GRID).round() as i64).clamp(-GRID_LIMIT, GRID_LIMIT);
    [
        on_grid(p.x),
        on_grid(p.y),
        i64::from(p.t_ms),
        (p.pressure * PRESSURE_STEPS)
            .round()
            .clamp(0.0, PRESSURE_STEPS) as i64,
    ]
}

fn point([x, y, t, p]: [i64; 4]) -> Result<StrokePoint, UnpackError> {
    if !(-GRID_LIMIT..=GRID_LIMIT).contains(&x) || !(-GRID_LIMIT..=GRID_LIMIT).contains(&y) {
        return Err(UnpackError::OutOfRange);
    }
    let t_ms = u32::try_from(t).map_err(|_| UnpackError::OutOfRange)?;
    if !(0..=PRESSURE_STEPS as i64).contains(&p) {
        return Err(UnpackError::OutOfRange);
    }
    Ok(StrokePoint {
        x: x as f32 / GRID,
        y: y as f32 / GRID,
        t_ms,
        pressure: p as f32 / PRESSURE_STEPS,
    })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, UnpackError> {
        let b = *self.bytes.get(self.at).ok_or(UnpackError::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, UnpackError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(UnpackError::OutOfRange);
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                // One encoding per number (a trailing zero byte is a longer spelling of the
                // same value): the packed text of given strokes is unique.
                if b == 0 && shift > 0 {
                    return Err(UnpackError::OutOfRange);
                }
                return Ok(v);
            }
        }
        Err(UnpackError::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn demo() -> Strokes {
        crate::demo::signature_strokes(3)
    }

    #[test]
    fn a_signature_packs_small_and_comes_back_as_drawn() {
        let s = demo();
        let packed = pack(&s);
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            packed.len() * 8 < json.len(),
            "packed {} B vs JSON {} B",
            packed.len(),
            json.len()
        );
        let back = unpack(&packed).unwrap();
        assert_eq!(back, s.quantized());
        assert_eq!(pack(&back), packed, "packing is canonical");
        // What is drawn is what was packed: the same image either way.
        assert_eq!(
            back.render_png().unwrap(),
            s.quantized().render_png().unwrap()
        );
    }

    #[test]
    fn quantizing_twice_changes_nothing() {
        let q = demo().quantized();
        assert_eq!(q.quantized(), q);
        assert_ne!(q, demo(), "the demo's points are off the grid");
    }

    #[test]
    fn bad_texts_are_typed_errors() {
        let good = pack(&demo());
        let bytes = URL_SAFE_NO_PAD.decode(&good).unwrap();
        let enc = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        assert_eq!(unpack("!!"), Err(UnpackError::NotBase64));
        assert_eq!(unpack(""), Err(UnpackError::Truncated));
        assert_eq!(unpack(&enc(&[2])), Err(UnpackError::Version));
        assert_eq!(
            unpack(&enc(&bytes[..bytes.len() - 1])),
            Err(UnpackError::Truncated)
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(unpack(&enc(&longer)), Err(UnpackError::Trailing));
        // A stroke count past any signature.
        assert_eq!(
            unpack(&enc(&[1, 10, 10, 0xff, 0xff, 0x7f])),
            Err(UnpackError::TooManyPoints)
        );
        // A number spelt longer than it needs (0 as 0x80 0x00).
        assert_eq!(
            unpack(&enc(&[1, 0x8a, 0x00, 10, 0])),
            Err(UnpackError::OutOfRange)
        );
        // A varint of eleven bytes.
        assert_eq!(
            unpack(&enc(&[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1
            ])),
            Err(UnpackError::OutOfRange)
        );
        // A pressure above the top step: width 10, height 10, 1 stroke of 1 point, Δp = 256.
        assert_eq!(
            unpack(&enc(&[1, 10, 10, 1, 1, 0, 0, 0, 0x80, 0x04])),
            Err(UnpackError::OutOfRange)
        );
        assert_eq!(
            unpack(&"A".repeat(MAX_PACKED_LEN + 1)),
            Err(UnpackError::TooLong)
        );
    }

    #[test]
    fn every_refusal_reads_in_chinese_and_english() {
        use crate::i18n::{Locale, word};
        let all = [
            UnpackError::TooLong,
            UnpackError::NotBase64,
            UnpackError::Version,
            UnpackError::Truncated,
            UnpackError::OutOfRange,
            UnpackError::Trailing,
            UnpackError::TooManyPoints,
            UnpackError::Twice,
        ];
        for e in all {
            // The judge's refusal names the error in words (Refused::new's "invalid-" words).
            let zh = word(Locale::ZhCn, "invalid-", &e.to_string());
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{e}: {zh}"
            );
            assert_eq!(word(Locale::En, "invalid-", &e.to_string()), e.to_string());
        }
    }

    fn point() -> impl Strategy<Value = StrokePoint> {
        (
            -500.0f32..5000.0,
            -500.0f32..5000.0,
            any::<u32>(),
            0.0f32..=1.0,
        )
            .prop_map(|(x, y, t_ms, pressure)| StrokePoint {
                x,
                y,
                t_ms,
                pressure,
            })
    }

    fn strokes() -> impl Strategy<Value = Strokes> {
        (
            16u32..=4096,
            16u32..=4096,
            prop::collection::vec(prop::collection::vec(point(), 0..30), 0..8),
        )
            .prop_map(|(width, height, strokes)| Strokes {
                width,
                height,
                strokes,
            })
    }

    proptest! {
        #[test]
        fn unpack_gives_back_the_quantized_strokes(s in strokes()) {
            let packed = pack(&s);
            let back = unpack(&packed).unwrap();
            prop_assert_eq!(&back, &s.quantized());
            prop_assert_eq!(pack(&back), packed);
        }

        #[test]
        fn any_text_is_strokes_or_a_typed_error(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            // Never a panic; when it decodes, it packs back to itself.
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            if let Ok(s) = unpack(&text) {
                prop_assert_eq!(pack(&s), text);
            }
        }
    }
}
