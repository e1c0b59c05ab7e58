//! Orientation, a stage of the photo pipeline: the EXIF orientation (1–8) applied to the
//! resized pixels so they come out upright.

use super::{Pixels, to_usize};

/// Applies EXIF orientation `o` (1–8) so the pixels come out upright.
pub(super) fn orient(src: Pixels, o: u8) -> Pixels {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

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
}
