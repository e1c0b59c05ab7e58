//! Writes laid-out pages as PDF with `pdf-writer`: text in one CID-keyed font subset to the
//! glyphs used (`subsetter`; TrueType outlines as `FontFile2`, CFF — Android's Noto Sans CJK —
//! as `FontFile3`/`CIDFontType0C`), with a ToUnicode map so the text can be searched and
//! copied; JPEG photos embedded as they are stored; PNGs (the signature) as deflated samples
//! with their alpha as a soft mask; filled rectangles for rules and QR modules. Nothing in
//! the output depends on the time or on chance: the same pages give the same bytes.
//!
//! Coordinates arrive as the layout uses them (points, y down from the top of the page).

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;

use super::ReportError;

/// Something drawn on a page (y grows downwards; text `y` is the baseline).
pub(super) enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    /// A filled rectangle.
    Fill { x: f32, y: f32, w: f32, h: f32 },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        picture: Picture,
    },
}

/// An image ready to embed.
pub(super) struct Picture {
    width: u32,
    height: u32,
    grey: bool,
    /// The samples as the stream holds them: a JPEG file (DCT) or deflated 8-bit samples.
    samples: Vec<u8>,
    jpeg: bool,
    /// Deflated 8-bit alpha, for a soft mask.
    alpha: Option<Vec<u8>>,
}

impl Picture {
    /// A JPEG, embedded as it is (8-bit grey or RGB; other kinds are refused).
    pub(super) fn jpeg(bytes: &[u8]) -> Result<Self, ReportError> {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        d.read_info()
            .map_err(|e| ReportError::Render(format!("JPEG: {e}")))?;
        let info = d
            .info()
            .ok_or_else(|| ReportError::Render("JPEG: no header".into()))?;
        let grey = match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => true,
            jpeg_decoder::PixelFormat::RGB24 => false,
            other => {
                return Err(ReportError::Render(format!(
                    "JPEG: {other:?} samples are not supported"
                )));
            }
        };
        Ok(Picture {
            width: u32::from(info.width),
            height: u32::from(info.height),
            grey,
            samples: bytes.to_vec(),
            jpeg: true,
            alpha: None,
        })
    }

    /// A PNG, decoded to 8-bit grey or RGB samples and an alpha channel if it has one.
    pub(super) fn png(bytes: &[u8]) -> Result<Self, ReportError> {
        let bad = |e: &dyn std::fmt::Display| ReportError::Render(format!("PNG: {e}"));
        let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
        d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = d.read_info().map_err(|e| bad(&e))?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| ReportError::Render("PNG: too large".into()))?;
        let mut buf = vec![0; size];
        let frame = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
        buf.truncate(frame.buffer_size());
        let (channels, grey) = match frame.color_type {
            png::ColorType::Grayscale => (1, true),
            png::ColorType::GrayscaleAlpha => (2, true),
            png::ColorType::Rgb => (3, false),
            png::ColorType::Rgba => (4, false),
            png::ColorType::Indexed => return Err(ReportError::Render("PNG: palette".into())),
        };
        let colour_channels = if grey { 1 } else { 3 };
        let (colour, alpha) = if channels == colour_channels {
            (buf, None)
        } else {
            let mut colour = Vec::with_capacity(buf.len() / channels * colour_channels);
            let mut alpha = Vec::with_capacity(buf.len() / channels);
            for px in buf.chunks_exact(channels) {
                colour.extend_from_slice(&px[..colour_channels]);
                alpha.push(px[colour_channels]);
            }
            (colour, Some(alpha))
        };
        Ok(Picture {
            width: frame.width,
            height: frame.height,
            grey,
            samples: deflate(&colour),
            jpeg: false,
            alpha: alpha.as_deref().map(deflate),
        })
    }

    /// Width and height in pixels.
    pub(super) fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// The one font every text is drawn in: glyphs are numbered in the order first used (the
/// subset's glyph ids, which are also the CIDs).
struct FontUse<'a> {
    data: &'a [u8],
    index: u32,
    face: ttf_parser::Face<'a>,
    remapper: GlyphRemapper,
    /// By CID: the advance in PDF text units (1/1000 em) and the text it stands for.
    widths: Vec<f32>,
    text: Vec<Option<char>>,
}

impl<'a> FontUse<'a> {
    fn new(data: &'a [u8], index: u32) -> Result<Self, ReportError> {
        let face = ttf_parser::Face::parse(data, index)
            .map_err(|e| ReportError::Font(format!("not a usable font or face: {e}")))?;
        let t = face.tables();
        if t.glyf.is_none() && t.cff.is_none() {
            return Err(ReportError::Font(
                "the font has no TrueType or CFF outlines".into(),
            ));
        }
        let mut f = FontUse {
            data,
            index,
            face,
            remapper: GlyphRemapper::new(),
            widths: Vec::new(),
            text: Vec::new(),
        };
        f.cid(0, None); // .notdef, always in a subset
        Ok(f)
    }

    fn per_em(&self) -> f32 {
        f32::from(self.face.units_per_em().max(1))
    }

    fn cid(&mut self, gid: u16, c: Option<char>) -> u16 {
        let cid = self.remapper.remap(gid);
        if usize::from(cid) >= self.widths.len() {
            let advance = self
                .face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0);
            self.widths
                .push(f32::from(advance) * 1000.0 / self.per_em());
            self.text.push(c);
        }
        cid
    }

    /// `text` as two-byte CIDs (Identity-H); characters the font lacks become `.notdef`.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let gid = self.face.glyph_index(c).map_or(0, |g| g.0);
            let cid = self.cid(gid, (gid != 0).then_some(c));
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    /// `SUBSET+PostScriptName`, the tag taken from the glyphs used.
    fn base_name(&self) -> String {
        let ps: String = self
            .face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
            .take(100)
            .collect();
        let mut h = Sha256::new();
        for g in self.remapper.remapped_gids() {
            h.update(g.to_be_bytes());
        }
        let tag: String = h.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let ps = if ps.is_empty() { "Font".into() } else { ps };
        format!("{tag}+{ps}")
    }

    /// Writes the Type 0 font at `id` and what it refers to.
    fn write(&self, pdf: &mut Pdf, id: Ref, next: &mut Ref) -> Result<(), ReportError> {
        let (cid_ref, descriptor_ref, cmap_ref, file_ref) =
            (next.bump(), next.bump(), next.bump(), next.bump());
        let cff = self.face.tables().cff.is_some();
        let subset = subsetter::subset(self.data, self.index, &self.remapper)
            .map_err(|e| ReportError::Font(format!("cannot subset the font: {e}")))?;
        let program = if cff {
            table(&subset, b"CFF ")
                .ok_or_else(|| ReportError::Font("the subset has no CFF table".into()))?
        } else {
            &subset[..]
        };
        let name = self.base_name();
        let type0_name = if cff {
            format!("{name}-Identity-H")
        } else {
            name.clone()
        };
        pdf.type0_font(id)
            .base_font(Name(type0_name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(cmap_ref);

        let mut cid = pdf.cid_font(cid_ref);
        cid.subtype(if cff {
            CidFontType::Type0
        } else {
            CidFontType::Type2
        })
        .base_font(Name(name.as_bytes()))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        })
        .font_descriptor(descriptor_ref)
        .default_width(0.0);
        if !cff {
            cid.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        cid.widths().consecutive(0, self.widths.iter().copied());
        cid.finish();

        let scale = 1000.0 / self.per_em();
        let b = self.face.global_bounding_box();
        let mut flags = FontFlags::SYMBOLIC;
        if self.face.is_monospaced() {
            flags |= FontFlags::FIXED_PITCH;
        }
        if self.face.is_italic() {
            flags |= FontFlags::ITALIC;
        }
        let ascent = f32::from(self.face.ascender()) * scale;
        pdf.font_descriptor(descriptor_ref)
            .name(Name(name.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                f32::from(b.x_min) * scale,
                f32::from(b.y_min) * scale,
                f32::from(b.x_max) * scale,
                f32::from(b.y_max) * scale,
            ))
            .italic_angle(self.face.italic_angle())
            .ascent(ascent)
            .descent(f32::from(self.face.descender()) * scale)
            .cap_height(
                self.face
                    .capital_height()
                    .map_or(ascent, |h| f32::from(h) * scale),
            )
            .stem_v(10.0 + 0.244 * (f32::from(self.face.weight().to_number()) - 50.0))
            .pair(
                Name(if cff { b"FontFile3" } else { b"FontFile2" }),
                file_ref,
            );

        let mut cmap = UnicodeCmap::new(
            Name(b"Custom"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for (cid, c) in self.text.iter().enumerate() {
            if let (Some(c), Ok(cid)) = (c, u16::try_from(cid)) {
                cmap.pair(cid, *c);
            }
        }
        let cmap = deflate(&cmap.finish());
        pdf.cmap(cmap_ref, &cmap).filter(Filter::FlateDecode);

        let packed = deflate(program);
        let mut file = pdf.stream(file_ref, &packed);
        file.filter(Filter::FlateDecode);
        if cff {
            file.pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
        } else {
            file.pair(
                Name(b"Length1"),
                i32::try_from(program.len()).unwrap_or(i32::MAX),
            );
        }
        file.finish();
        Ok(())
    }
}

/// The bytes of table `tag` in an OpenType font.
fn table<'f>(font: &'f [u8], tag: &[u8; 4]) -> Option<&'f [u8]> {
    let n = usize::from(u16::from_be_bytes(font.get(4..6)?.try_into().ok()?));
    (0..n).find_map(|i| {
        let rec = font.get(12 + 16 * i..28 + 16 * i)?;
        if &rec[..4] != tag {
            return None;
        }
        let at = u32::from_be_bytes(rec[8..12].try_into().ok()?) as usize;
        let len = u32::from_be_bytes(rec[12..16].try_into().ok()?) as usize;
        font.get(at..at.checked_add(len)?)
    })
}

/// Writes `pages` (each a list of marks on a `w`×`h`-point page) in the font `font`/`index`.
pub(super) fn write(
    pages: &[Vec<Mark>],
    (w, h): (f32, f32),
    font: &[u8],
    index: u32,
) -> Result<Vec<u8>, ReportError> {
    let mut text_font = FontUse::new(font, index)?;
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let (catalog, tree, font_ref) = (next.bump(), next.bump(), next.bump());
    let mut kids = Vec::with_capacity(pages.len());
    for marks in pages {
        let (page_ref, content_ref) = (next.bump(), next.bump());
        kids.push(page_ref);
        let mut content = Content::new();
        let mut images = Vec::new();
        for mark in marks {
            match mark {
                Mark::Text { x, y, size, text } => {
                    let cids = text_font.encode(text);
                    content
                        .begin_text()
                        .set_font(Name(b"F0"), *size)
                        .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, h - y])
                        .show(Str(&cids))
                        .end_text();
                }
                Mark::Fill { x, y, w, h: fh } => {
                    content.rect(*x, h - y - fh, *w, *fh).fill_nonzero();
                }
                Mark::Image {
                    x,
                    y,
                    w,
                    h: ih,
                    picture,
                } => {
                    let name = format!("I{}", images.len());
                    content
                        .save_state()
                        .transform([*w, 0.0, 0.0, *ih, *x, h - y - ih])
                        .x_object(Name(name.as_bytes()))
                        .restore_state();
                    images.push((name, next.bump(), picture));
                }
            }
        }
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, w, h))
            .parent(tree)
            .contents(content_ref);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F0"), font_ref);
        let mut x_objects = resources.x_objects();
        for (name, id, _) in &images {
            x_objects.pair(Name(name.as_bytes()), *id);
        }
        x_objects.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_ref, &deflate(&content.finish()))
            .filter(Filter::FlateDecode);
        for (_, id, picture) in images {
            write_picture(&mut pdf, id, picture, &mut next);
        }
    }
    pdf.pages(tree)
        .count(i32::try_from(kids.len()).unwrap_or(i32::MAX))
        .kids(kids);
    pdf.catalog(catalog).pages(tree);
    text_font.write(&mut pdf, font_ref, &mut next)?;
    Ok(pdf.finish())
}

fn write_picture(pdf: &mut Pdf, id: Ref, p: &Picture, next: &mut Ref) {
    let mask = p.alpha.as_ref().map(|a| (next.bump(), a));
    let mut image = pdf.image_xobject(id, &p.samples);
    image
        .width(i32::try_from(p.width).unwrap_or(i32::MAX))
        .height(i32::try_from(p.height).unwrap_or(i32::MAX))
        .bits_per_component(8)
        .filter(if p.jpeg {
            Filter::DctDecode
        } else {
            Filter::FlateDecode
        });
    if p.grey {
        image.color_space().device_gray();
    } else {
        image.color_space().device_rgb();
    }
    if let Some((mask_ref, _)) = mask {
        image.s_mask(mask_ref);
    }
    image.finish();
    if let Some((mask_ref, alpha)) = mask {
        let mut m = pdf.image_xobject(mask_ref, alpha);
        m.width(i32::try_from(p.width).unwrap_or(i32::MAX))
            .height(i32::try_from(p.height).unwrap_or(i32::MAX))
            .bits_per_component(8)
            .filter(Filter::FlateDecode);
        m.color_space().device_gray();
        m.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A CFF (PostScript-outline) OpenType font, as Android's Noto Sans CJK is; installed by
    /// `.ci/pdf-tools.sh` (fonts-urw-base35).
    const CFF_FONT: &str = "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf";

    fn poppler(tool: &str, pdf: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!("fieldkit-pdf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{tool}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        let mut cmd = Command::new(tool);
        cmd.arg(&path);
        if tool == "pdftotext" {
            cmd.arg("-");
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("`{tool}` missing ({e}): run `bash .ci/pdf-tools.sh`"));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{tool} failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn page(text: &str) -> Vec<Vec<Mark>> {
        vec![vec![
            Mark::Text {
                x: 40.0,
                y: 60.0,
                size: 12.0,
                text: text.into(),
            },
            Mark::Fill {
                x: 40.0,
                y: 70.0,
                w: 200.0,
                h: 1.0,
            },
        ]]
    }

    #[test]
    fn a_cff_font_is_subset_embedded_as_cff_and_reads_back() {
        let font = std::fs::read(CFF_FONT)
            .unwrap_or_else(|e| panic!("{CFF_FONT}: {e}; run `bash .ci/pdf-tools.sh`"));
        let text = "Serviced 2026-12-05, pump 220V";
        let pdf = write(&page(text), (595.0, 842.0), &font, 0).unwrap();
        assert!(
            pdf.len() * 4 < font.len(),
            "{} bytes for a {}-byte font: not subset?",
            pdf.len(),
            font.len()
        );
        let fonts = poppler("pdffonts", &pdf);
        let row = fonts.lines().last().unwrap_or_default();
        assert!(row.contains("CID Type 0C"), "{fonts}");
        assert!(row.contains("NimbusSans-Regular"), "{fonts}");
        // emb, sub, uni: embedded, subset, with a ToUnicode map.
        assert!(row.contains("yes yes yes"), "{fonts}");
        assert_eq!(poppler("pdftotext", &pdf).trim(), text);
        // The same pages give the same bytes.
        assert_eq!(write(&page(text), (595.0, 842.0), &font, 0).unwrap(), pdf);
    }

    #[test]
    fn what_is_not_a_font_or_an_image_is_a_typed_error() {
        for bad in [&b""[..], b"OTTO\0\0\0\0", &[0xFF; 64]] {
            assert!(matches!(
                write(&page("x"), (595.0, 842.0), bad, 0),
                Err(ReportError::Font(_))
            ));
            assert!(matches!(Picture::jpeg(bad), Err(ReportError::Render(_))));
            assert!(matches!(Picture::png(bad), Err(ReportError::Render(_))));
        }
        // A table directory that points past the end of the font.
        let mut truncated = vec![0u8; 28];
        truncated[5] = 1;
        truncated[12..16].copy_from_slice(b"CFF ");
        truncated[23] = 200; // offset
        truncated[27] = 10; // length
        assert_eq!(table(&truncated, b"CFF "), None);
        assert_eq!(table(&truncated[..10], b"CFF "), None);
    }
}
