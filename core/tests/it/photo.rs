// Over 700 lines: one module for the whole photo pipeline; a quarter of it makes the inputs
// (JPEGs, PNGs, EXIF blocks) in code, shared by every section below.
//! `media::photo`: orientation, metadata stripping, sizes, determinism, and bad input.
//!
//! Every input is made here, in code. The bad-input corpus in `tests/data/photo/` is committed
//! and was written by [`bad_input_corpus`]; to rewrite it (after changing a case):
//!
//! ```sh
//! FIELDKIT_REGEN_PHOTO_CORPUS=1 cargo test -p fieldkit-core --test it corpus
//! ```

use std::cell::Cell;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Once;

use fieldkit_core::media::photo::{
    Ingested, PhotoConfig, PhotoError, SourceFormat, ingest, ingest_file,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Panic accounting: a hook that counts every panic on the thread, even one that something
// catches further up (the library's own last-resort `catch_unwind` included), so "0 panics" is
// checked rather than assumed.

thread_local! {
    /// Panics on this thread (the library spawns none, so a panic inside `ingest` lands here).
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

fn panics_here() -> usize {
    PANICS.with(Cell::get)
}

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            previous(info);
        }));
    });
}

/// Ingests under `catch_unwind`; a panic is a test failure, never a result.
fn ingest_no_panic(bytes: &[u8], cfg: &PhotoConfig) -> Result<Ingested, PhotoError> {
    count_panics();
    let before = panics_here();
    let result = catch_unwind(AssertUnwindSafe(|| ingest(bytes, cfg)));
    assert_eq!(
        panics_here(),
        before,
        "ingest panicked (even if caught inside)"
    );
    result.unwrap_or_else(|_| panic!("ingest panicked"))
}

// ---------------------------------------------------------------------------------------------
// Images made in code

#[derive(Clone, PartialEq, Debug)]
struct Rgb {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Rgb {
    fn from_fn(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Self {
        let mut px = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&f(x, y));
            }
        }
        Self { w, h, px }
    }

    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.w + x) * 3) as usize;
        [self.px[i], self.px[i + 1], self.px[i + 2]]
    }
}

/// A smooth, textured picture (not flat, so JPEG sizes are realistic).
fn texture(w: u32, h: u32) -> Rgb {
    Rgb::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        [
            (128.0 + 90.0 * (fx / 23.0).sin() * (fy / 31.0).cos()) as u8,
            (120.0 + 80.0 * ((fx + fy) / 47.0).sin()) as u8,
            (100.0 + 90.0 * ((fx * 0.7 - fy) / 19.0).cos()) as u8,
        ]
    })
}

const RED: [u8; 3] = [230, 20, 20];
const BLUE: [u8; 3] = [20, 20, 230];
const GRAY: [u8; 3] = [200, 200, 200];

/// The upright reference: 64 × 32, red top-left quadrant, blue bottom-left, gray right half.
fn upright() -> Rgb {
    Rgb::from_fn(64, 32, |x, y| match (x < 32, y < 16) {
        (true, true) => RED,
        (true, false) => BLUE,
        _ => GRAY,
    })
}

/// EXIF orientation `o` applied to `s` (the displayed image from the stored one), written
/// independently of the library: D(x, y) = S(map(x, y)).
fn apply_orientation(s: &Rgb, o: u8) -> Rgb {
    let (w, h) = (s.w, s.h);
    let (dw, dh) = if o >= 5 { (h, w) } else { (w, h) };
    Rgb::from_fn(dw, dh, |x, y| {
        let (sx, sy) = match o {
            1 => (x, y),
            2 => (w - 1 - x, y),
            3 => (w - 1 - x, h - 1 - y),
            4 => (x, h - 1 - y),
            5 => (y, x),
            6 => (y, h - 1 - x),
            7 => (w - 1 - y, h - 1 - x),
            8 => (w - 1 - y, x),
            _ => unreachable!(),
        };
        s.at(sx, sy)
    })
}

fn inverse_orientation(o: u8) -> u8 {
    match o {
        6 => 8,
        8 => 6,
        o => o,
    }
}

fn encode_jpeg(img: &Rgb, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    enc.encode(
        &img.px,
        img.w as u16,
        img.h as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

fn encode_jpeg_progressive(img: &Rgb) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.set_progressive(true);
    enc.encode(
        &img.px,
        img.w as u16,
        img.h as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

fn encode_jpeg_gray(w: u32, h: u32) -> Vec<u8> {
    let px: Vec<u8> = (0..w * h).map(|i| ((i % w) * 255 / w) as u8).collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&px, w as u16, h as u16, jpeg_encoder::ColorType::Luma)
        .unwrap();
    out
}

fn decode_jpeg(bytes: &[u8]) -> (jpeg_decoder::ImageInfo, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let px = d.decode().expect("output decodes");
    (d.info().unwrap(), px)
}

/// Inserts a marker segment right after SOI.
fn insert_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A minimal big-endian TIFF/EXIF block: IFD0 with Orientation and a GPS IFD pointer; the GPS
/// IFD with GPSLatitudeRef "N" and GPSLatitude 52° 31' 12.34".
fn exif_tiff(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 2 + 2 * 12 + 4;
    let rationals = gps_ifd + 2 + 2 * 12 + 4;

    let mut t = b"MM\0\x2A".to_vec();
    t.extend_from_slice(&ifd0.to_be_bytes());
    // IFD0
    t.extend_from_slice(&2u16.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, RATIONAL, 3, rationals.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (n, d) in [(52u32, 1u32), (31, 1), (1234, 100)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    assert_eq!(t.len() as u32, rationals + 24);
    t
}

fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut p = b"Exif\0\0".to_vec();
    p.extend_from_slice(&exif_tiff(orientation));
    p
}

const XMP_NS: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

fn xmp_app1() -> Vec<u8> {
    let mut p = XMP_NS.to_vec();
    p.extend_from_slice(
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="1" exif:GPSLatitude="52,31.2057N" exif:GPSLongitude="13,24.6N"/></rdf:RDF></x:xmpmeta>"#,
    );
    p
}

/// A JPEG as a phone writes it: EXIF (orientation + GPS) and XMP (GPS) in front of the image.
fn phone_jpeg(img: &Rgb, orientation: u16) -> Vec<u8> {
    let jpeg = encode_jpeg(img, 95);
    let jpeg = insert_segment(&jpeg, 0xE1, &xmp_app1());
    insert_segment(&jpeg, 0xE1, &exif_app1(orientation))
}

fn encode_png(
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    extra: &[([u8; 4], Vec<u8>)],
    palette: Option<(&[u8], Option<&[u8]>)>,
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if let Some((plte, trns)) = palette {
            enc.set_palette(plte.to_vec());
            if let Some(t) = trns {
                enc.set_trns(t.to_vec());
            }
        }
        let mut writer = enc.write_header().unwrap();
        for (name, data) in extra {
            writer
                .write_chunk(png::chunk::ChunkType(*name), data)
                .unwrap();
        }
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
    }
    out
}

fn png_rgb(img: &Rgb) -> Vec<u8> {
    encode_png(
        img.w,
        img.h,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &img.px,
        &[],
        None,
    )
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(name: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(name);
    c.extend_from_slice(data);
    let mut crc_input = name.to_vec();
    crc_input.extend_from_slice(data);
    c.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    c
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut z = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, c) in chunks.iter().enumerate() {
        z.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    z
}

/// An Adam7-interlaced 8-bit RGB PNG, written by hand (the png crate only writes progressive
/// scan order).
fn png_interlaced(img: &Rgb) -> Vec<u8> {
    const PASSES: [(u32, u32, u32, u32); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in PASSES {
        if x0 >= img.w || y0 >= img.h {
            continue;
        }
        for y in (y0..img.h).step_by(dy as usize) {
            raw.push(0); // filter: none
            for x in (x0..img.w).step_by(dx as usize) {
                raw.extend_from_slice(&img.at(x, y));
            }
        }
    }
    let mut ihdr = img.w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&img.h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 1]); // 8-bit RGB, interlace = Adam7
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", &zlib_stored(&raw)));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// (name, offset of the chunk's length field, chunk data length) for each chunk.
fn png_chunks(png: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut at = 8;
    let mut out = Vec::new();
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let name: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
        out.push((name, at, len));
        at += 12 + len;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Reading the output back

/// Marker segments of a JPEG from SOI up to the first SOS: (marker, payload).
fn jpeg_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "output starts with SOI");
    let mut at = 2;
    let mut out = Vec::new();
    loop {
        assert_eq!(jpeg[at], 0xFF, "marker expected at {at}");
        let marker = jpeg[at + 1];
        let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        out.push((marker, jpeg[at + 4..at + 2 + len].to_vec()));
        at += 2 + len;
        if marker == 0xDA {
            return out;
        }
    }
}

/// No metadata in the output but JFIF: no APP1 (EXIF/XMP), no APP2 (ICC), no other APPn, no
/// comment; and kamadak-exif finds no EXIF in it.
fn assert_no_metadata(jpeg: &[u8]) {
    for (marker, payload) in jpeg_segments(jpeg) {
        match marker {
            0xE0 => assert!(payload.starts_with(b"JFIF\0"), "APP0 other than JFIF"),
            0xE1..=0xEF => panic!("APP{} segment in output", marker - 0xE0),
            0xFE => panic!("COM segment in output"),
            _ => {}
        }
    }
    let found = exif::Reader::new().read_from_container(&mut Cursor::new(jpeg));
    assert!(found.is_err(), "kamadak-exif found EXIF in the output");
    for needle in [&b"Exif\0\0"[..], XMP_NS, b"GPS"] {
        let header_end = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        assert!(
            !jpeg[..header_end]
                .windows(needle.len())
                .any(|w| w == needle),
            "{:?} in the output header",
            String::from_utf8_lossy(needle)
        );
    }
}

fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(&x, y)| (i32::from(x) - i32::from(y)).abs() <= tol)
}

fn decode_rgb(jpeg: &[u8]) -> Rgb {
    let (info, px) = decode_jpeg(jpeg);
    let px = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&g| [g, g, g]).collect(),
        other => panic!("unexpected output format {other:?}"),
    };
    Rgb {
        w: u32::from(info.width),
        h: u32::from(info.height),
        px,
    }
}

/// Output is consistent: dims as reported, hashes of the bytes, valid JPEGs, no metadata.
fn check_output(out: &Ingested) {
    let (info, _) = decode_jpeg(&out.jpeg);
    assert_eq!(
        (u32::from(info.width), u32::from(info.height)),
        (out.width, out.height)
    );
    let (tinfo, _) = decode_jpeg(&out.thumbnail);
    assert_eq!(
        (u32::from(tinfo.width), u32::from(tinfo.height)),
        (out.thumb_width, out.thumb_height)
    );
    assert_eq!(out.sha256, hex::encode(Sha256::digest(&out.jpeg)));
    assert_eq!(
        out.thumb_sha256,
        hex::encode(Sha256::digest(&out.thumbnail))
    );
    assert_eq!(out.sha256.len(), 64);
    assert!(
        out.sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_no_metadata(&out.jpeg);
    assert_no_metadata(&out.thumbnail);
}

// ---------------------------------------------------------------------------------------------
// Orientation and metadata

#[test]
fn exif_orientations_1_to_8_come_out_upright() {
    let reference = upright();
    for o in 1..=8u8 {
        let stored = apply_orientation(&reference, inverse_orientation(o));
        assert_eq!(
            apply_orientation(&stored, o),
            reference,
            "test helper, o={o}"
        );
        if o >= 5 {
            assert_eq!((stored.w, stored.h), (32, 64));
        }
        let input = phone_jpeg(&stored, u16::from(o));

        // The injected EXIF is real: orientation and GPS are there before ingest.
        let exif = exif::Reader::new()
            .read_from_container(&mut Cursor::new(&input))
            .expect("input has EXIF");
        let orientation = exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0));
        assert_eq!(orientation, Some(u32::from(o)));
        assert!(
            exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
                .is_some()
        );

        let out = ingest_no_panic(&input, &PhotoConfig::default()).unwrap();
        check_output(&out);
        assert_eq!((out.width, out.height), (64, 32), "o={o}: dims upright");
        let img = decode_rgb(&out.jpeg);
        assert!(
            close(img.at(8, 8), RED, 40),
            "o={o}: top-left is red: {:?}",
            img.at(8, 8)
        );
        assert!(
            close(img.at(8, 24), BLUE, 40),
            "o={o}: bottom-left is blue: {:?}",
            img.at(8, 24)
        );
        assert!(close(img.at(48, 8), GRAY, 30), "o={o}: top-right is gray");
        assert!(
            close(img.at(48, 24), GRAY, 30),
            "o={o}: bottom-right is gray"
        );

        // The thumbnail is upright too (it is made from the upright image).
        let thumb = decode_rgb(&out.thumbnail);
        assert_eq!((thumb.w, thumb.h), (64, 32));
        assert!(
            close(thumb.at(8, 8), RED, 40),
            "o={o}: thumbnail top-left is red"
        );
    }
}

#[test]
fn orientation_survives_resizing_and_dct_scaling() {
    // 1600 × 800 stored as portrait (orientation 6), target long edge 400: decoded at ¼ scale.
    let big = Rgb::from_fn(1600, 800, |x, y| match (x < 800, y < 400) {
        (true, true) => RED,
        (true, false) => BLUE,
        _ => GRAY,
    });
    let stored = apply_orientation(&big, 8);
    let cfg = PhotoConfig {
        long_edge: 400,
        thumb_edge: 100,
        ..PhotoConfig::default()
    };
    let out = ingest_no_panic(&phone_jpeg(&stored, 6), &cfg).unwrap();
    check_output(&out);
    assert_eq!((out.width, out.height), (400, 200));
    assert_eq!((out.thumb_width, out.thumb_height), (100, 50));
    let img = decode_rgb(&out.jpeg);
    assert!(close(img.at(50, 50), RED, 40));
    assert!(close(img.at(50, 150), BLUE, 40));
    assert!(close(img.at(300, 100), GRAY, 30));
}

#[test]
fn no_exif_xmp_gps_or_comment_survives() {
    let img = texture(300, 200);
    let mut input = phone_jpeg(&img, 1);
    input = insert_segment(&input, 0xFE, b"shot at 12 Example Street");
    input = insert_segment(&input, 0xED, b"Photoshop 3.0\0IPTC location");
    let out = ingest_no_panic(&input, &PhotoConfig::default()).unwrap();
    check_output(&out);
    let segments = jpeg_segments(&out.jpeg);
    let app: Vec<u8> = segments
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| (0xE0..=0xEF).contains(m))
        .collect();
    assert_eq!(app, vec![0xE0], "only the JFIF APP0 segment");

    // PNG: eXIf (orientation 1 + GPS) and text chunks do not survive either.
    let png = encode_png(
        img.w,
        img.h,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &img.px,
        &[
            (*b"eXIf", exif_tiff(1)),
            (*b"tEXt", b"GPS\x0052.52N 13.41E".to_vec()),
            (
                *b"iTXt",
                [b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), &xmp_app1()].concat(),
            ),
        ],
        None,
    );
    let out = ingest_no_panic(&png, &PhotoConfig::default()).unwrap();
    check_output(&out);
    assert_eq!(out.source_format, SourceFormat::Png);
}

#[test]
fn png_exif_orientation_is_applied() {
    let stored = apply_orientation(&upright(), 8);
    let png = encode_png(
        stored.w,
        stored.h,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &stored.px,
        &[(*b"eXIf", exif_tiff(6))],
        None,
    );
    let out = ingest_no_panic(&png, &PhotoConfig::default()).unwrap();
    assert_eq!((out.width, out.height), (64, 32));
    let img = decode_rgb(&out.jpeg);
    assert!(close(img.at(8, 8), RED, 40));
    assert!(close(img.at(8, 24), BLUE, 40));
}

#[test]
fn damaged_exif_does_not_refuse_the_photo() {
    let img = texture(80, 60);
    let mut tiff = exif_tiff(6);
    tiff.truncate(20);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let input = insert_segment(&encode_jpeg(&img, 90), 0xE1, &app1);
    let out = ingest_no_panic(&input, &PhotoConfig::default()).unwrap();
    check_output(&out);
    assert_eq!(
        (out.width, out.height),
        (80, 60),
        "unreadable EXIF ⇒ orientation 1"
    );
}

// ---------------------------------------------------------------------------------------------
// Sizes

fn ingest_sizes(input: &[u8], cfg: &PhotoConfig) -> ((u32, u32), (u32, u32)) {
    let out = ingest_no_panic(input, cfg).unwrap();
    check_output(&out);
    ((out.width, out.height), (out.thumb_width, out.thumb_height))
}

#[test]
fn sizes_as_configured_landscape_portrait_small() {
    let cfg = PhotoConfig::default();
    // Landscape 2400 × 1600 → 2048 × 1365, thumbnail 320 × 213.
    let landscape = encode_jpeg(&texture(2400, 1600), 92);
    assert_eq!(ingest_sizes(&landscape, &cfg), ((2048, 1365), (320, 213)));

    // Portrait with a custom config.
    let small_cfg = PhotoConfig {
        long_edge: 1000,
        thumb_edge: 100,
        ..PhotoConfig::default()
    };
    let portrait = encode_jpeg(&texture(1200, 1800), 92);
    assert_eq!(
        ingest_sizes(&portrait, &small_cfg),
        ((667, 1000), (67, 100))
    );

    // Smaller than both edges: no upscale, thumbnail = image size.
    let tiny = encode_jpeg(&texture(200, 100), 92);
    assert_eq!(ingest_sizes(&tiny, &cfg), ((200, 100), (200, 100)));

    // Between the edges: main as is, thumbnail reduced.
    let mid = encode_jpeg(&texture(640, 480), 92);
    assert_eq!(ingest_sizes(&mid, &cfg), ((640, 480), (320, 240)));

    // A 1 px high strip keeps at least 1 px.
    let strip = encode_jpeg(&texture(4000, 2), 92);
    assert_eq!(ingest_sizes(&strip, &cfg), ((2048, 1), (320, 1)));
}

#[test]
fn dct_scaled_decode_matches_the_full_decode() {
    // 1600 × 1200 → 400 × 300 is decoded at ¼ scale; compare with a full decode of the source
    // resized by the same pipeline (long_edge 1600 → full size) then shrunk by the thumbnail.
    let img = texture(1600, 1200);
    let input = encode_jpeg(&img, 92);
    let quarter = PhotoConfig {
        long_edge: 400,
        thumb_edge: 400,
        quality: 95,
        ..PhotoConfig::default()
    };
    let out = ingest_no_panic(&input, &quarter).unwrap();
    assert_eq!((out.width, out.height), (400, 300));
    let scaled = decode_rgb(&out.jpeg);
    // Reference: box-average the source by 4.
    let mut diff_sum = 0u64;
    for y in 0..300 {
        for x in 0..400 {
            let mut acc = [0u32; 3];
            for dy in 0..4 {
                for dx in 0..4 {
                    let p = img.at(x * 4 + dx, y * 4 + dy);
                    for c in 0..3 {
                        acc[c] += u32::from(p[c]);
                    }
                }
            }
            let got = scaled.at(x, y);
            for c in 0..3 {
                diff_sum += u64::from((acc[c] / 16).abs_diff(u32::from(got[c])));
            }
        }
    }
    let mean = diff_sum as f64 / (400.0 * 300.0 * 3.0);
    assert!(mean < 6.0, "mean abs difference {mean}");
}

#[test]
fn png_color_types_bit_depths_and_alpha() {
    let cfg = PhotoConfig {
        long_edge: 700,
        thumb_edge: 70,
        ..PhotoConfig::default()
    };
    let (w, h) = (3000u32, 1000u32); // box-prescaled by 4 while decoding
    let n = (w * h) as usize;

    // RGBA: left half transparent → white, right half opaque red.
    let mut rgba = Vec::with_capacity(n * 4);
    for _y in 0..h {
        for x in 0..w {
            rgba.extend_from_slice(&if x < w / 2 {
                [0, 0, 0, 0]
            } else {
                [230, 20, 20, 255]
            });
        }
    }
    let png = encode_png(
        w,
        h,
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        &rgba,
        &[],
        None,
    );
    let out = ingest_no_panic(&png, &cfg).unwrap();
    check_output(&out);
    assert_eq!(
        (out.width, out.height, out.thumb_width, out.thumb_height),
        (700, 233, 70, 23)
    );
    let img = decode_rgb(&out.jpeg);
    assert!(
        close(img.at(100, 100), [255, 255, 255], 6),
        "{:?}",
        img.at(100, 100)
    );
    assert!(close(img.at(600, 100), RED, 30), "{:?}", img.at(600, 100));

    // Gray 8-bit, gray + alpha, 16-bit RGB, 1-bit gray, palette with tRNS.
    let gray: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
    let gray_alpha: Vec<u8> = (0..n).flat_map(|i| [(i % 251) as u8, 128]).collect();
    let rgb16: Vec<u8> = (0..n * 3)
        .flat_map(|i| ((i * 97) as u16).to_be_bytes())
        .collect();
    let bits: Vec<u8> = (0..(w.div_ceil(8) * h) as usize)
        .map(|i| (i * 31) as u8)
        .collect();
    let indexed: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let plte = [255, 0, 0, 0, 255, 0, 0, 0, 255];
    let trns = [255, 128, 0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "gray8",
            encode_png(
                w,
                h,
                png::ColorType::Grayscale,
                png::BitDepth::Eight,
                &gray,
                &[],
                None,
            ),
        ),
        (
            "gray-alpha",
            encode_png(
                w,
                h,
                png::ColorType::GrayscaleAlpha,
                png::BitDepth::Eight,
                &gray_alpha,
                &[],
                None,
            ),
        ),
        (
            "rgb16",
            encode_png(
                w,
                h,
                png::ColorType::Rgb,
                png::BitDepth::Sixteen,
                &rgb16,
                &[],
                None,
            ),
        ),
        (
            "gray1",
            encode_png(
                w,
                h,
                png::ColorType::Grayscale,
                png::BitDepth::One,
                &bits,
                &[],
                None,
            ),
        ),
        (
            "palette+tRNS",
            encode_png(
                w,
                h,
                png::ColorType::Indexed,
                png::BitDepth::Eight,
                &indexed,
                &[],
                Some((&plte, Some(&trns))),
            ),
        ),
    ];
    for (name, png) in cases {
        let out = ingest_no_panic(&png, &cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_output(&out);
        assert_eq!((out.width, out.height), (700, 233), "{name}");
        assert_eq!(out.source_format, SourceFormat::Png);
    }
}

#[test]
fn interlaced_png_decodes() {
    let img = texture(333, 222);
    let png = png_interlaced(&img);
    let cfg = PhotoConfig {
        long_edge: 111,
        thumb_edge: 50,
        ..PhotoConfig::default()
    };
    let out = ingest_no_panic(&png, &cfg).unwrap();
    check_output(&out);
    assert_eq!((out.width, out.height), (111, 74));
    // Same picture as the progressive-scan PNG of the same pixels.
    let plain = ingest_no_panic(&png_rgb(&img), &cfg).unwrap();
    assert_eq!(out.sha256, plain.sha256);
}

#[test]
fn grayscale_and_progressive_jpegs() {
    let gray = encode_jpeg_gray(500, 300);
    let out = ingest_no_panic(&gray, &PhotoConfig::default()).unwrap();
    check_output(&out);
    assert_eq!((out.width, out.height), (500, 300));

    let progressive = encode_jpeg_progressive(&texture(900, 600));
    let cfg = PhotoConfig {
        long_edge: 300,
        ..PhotoConfig::default()
    };
    let out = ingest_no_panic(&progressive, &cfg).unwrap();
    check_output(&out);
    assert_eq!((out.width, out.height), (300, 200));
}

// ---------------------------------------------------------------------------------------------
// Determinism and dedupe

#[test]
fn same_input_same_bytes_and_hash() {
    let cfg = PhotoConfig {
        long_edge: 1024,
        ..PhotoConfig::default()
    };
    for input in [
        phone_jpeg(&texture(1300, 900), 6),
        png_rgb(&texture(700, 500)),
    ] {
        let a = ingest_no_panic(&input, &cfg).unwrap();
        let b = ingest_no_panic(&input, &cfg).unwrap();
        assert_eq!(a, b, "byte-identical outputs");
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.thumb_sha256, b.thumb_sha256);
        assert_ne!(a.sha256, a.thumb_sha256);
        // A different config is a different stored photo.
        let c = ingest_no_panic(
            &input,
            &PhotoConfig {
                quality: 60,
                ..cfg.clone()
            },
        )
        .unwrap();
        assert_ne!(a.sha256, c.sha256);
    }
    // The same picture with different metadata (GPS stripped anyway) dedupes.
    let img = texture(400, 300);
    let with_meta = phone_jpeg(&img, 1);
    let without = encode_jpeg(&img, 95);
    assert_eq!(
        ingest_no_panic(&with_meta, &cfg).unwrap().sha256,
        ingest_no_panic(&without, &cfg).unwrap().sha256
    );
}

#[test]
fn ingest_file_matches_ingest_and_checks_size_first() {
    let dir = tempfile::tempdir().unwrap();
    let input = phone_jpeg(&texture(300, 200), 3);
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, &input).unwrap();
    let cfg = PhotoConfig::default();
    assert_eq!(
        ingest_file(&path, &cfg).unwrap(),
        ingest(&input, &cfg).unwrap()
    );

    // A sparse 41 MiB file: refused from its metadata, never read.
    let big = dir.path().join("secret-customer-name.jpg");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(41 * 1024 * 1024).unwrap();
    let err = ingest_file(&big, &cfg).unwrap_err();
    assert_eq!(
        err,
        PhotoError::TooLarge {
            bytes: 41 * 1024 * 1024,
            max: 40 * 1024 * 1024
        }
    );

    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(ingest_file(&empty, &cfg).unwrap_err(), PhotoError::Empty);

    let missing = dir.path().join("secret-customer-name-missing.jpg");
    let err = ingest_file(&missing, &cfg).unwrap_err();
    assert!(matches!(err, PhotoError::Io(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "no path in {err}");
    let err = ingest_file(dir.path(), &cfg).unwrap_err();
    assert!(matches!(err, PhotoError::Io(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Bad input

/// Deterministic noise (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed.max(1);
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn sos_data_start(jpeg: &[u8]) -> usize {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let len = u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]) as usize;
    sos + 2 + len
}

fn patch_sof_dims(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    out[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    out
}

fn expected_kind(e: &PhotoError) -> &'static str {
    match e {
        PhotoError::Empty => "Empty",
        PhotoError::TooLarge { .. } => "TooLarge",
        PhotoError::UnknownFormat => "UnknownFormat",
        PhotoError::Unsupported(_) => "Unsupported",
        PhotoError::Corrupt(_) => "Corrupt",
        PhotoError::TooManyPixels { .. } => "TooManyPixels",
        PhotoError::Io(_) => "Io",
    }
}

/// The bad-input corpus: (file name, bytes, expected error kind). Deterministic.
fn bad_input_corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let jpeg = phone_jpeg(&texture(160, 120), 6);
    let data = sos_data_start(&jpeg);
    let png = png_rgb(&texture(160, 120));
    let chunks = png_chunks(&png);
    let (_, idat_at, idat_len) = *chunks.iter().find(|c| &c.0 == b"IDAT").unwrap();

    let mut corpus: Vec<(&'static str, Vec<u8>, &'static str)> = vec![
        ("empty.bin", Vec::new(), "Empty"),
        ("random.bin", noise(1, 4096), "UnknownFormat"),
        (
            "text.txt",
            b"not a photo, just some words\n".to_vec(),
            "UnknownFormat",
        ),
        (
            "gif_header.gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            "UnknownFormat",
        ),
        ("jpeg_soi_only.jpg", vec![0xFF, 0xD8], "Corrupt"),
        (
            "jpeg_truncated_in_header.jpg",
            jpeg[..40].to_vec(),
            "Corrupt",
        ),
        (
            "jpeg_truncated_at_sos.jpg",
            jpeg[..data].to_vec(),
            "Corrupt",
        ),
        (
            "jpeg_truncated_in_scan.jpg",
            jpeg[..data + (jpeg.len() - data) / 2].to_vec(),
            "Corrupt",
        ),
        (
            "jpeg_truncated_before_eoi.jpg",
            jpeg[..jpeg.len() - 2].to_vec(),
            "Corrupt",
        ),
        (
            "jpeg_random_after_soi.jpg",
            [&[0xFF, 0xD8][..], &noise(2, 4096)].concat(),
            "Corrupt",
        ),
        (
            "jpeg_garbage_after_sos.jpg",
            [&jpeg[..data], &noise(3, 6000)[..]].concat(),
            "Corrupt",
        ),
        (
            "jpeg_65535x65535.jpg",
            patch_sof_dims(&jpeg, 65_535, 65_535),
            "TooManyPixels",
        ),
        (
            "jpeg_zero_width.jpg",
            patch_sof_dims(&jpeg, 0, 120),
            "Corrupt",
        ),
        ("png_signature_only.png", png[..8].to_vec(), "Corrupt"),
        ("png_truncated_signature.png", png[..5].to_vec(), "Corrupt"),
        ("png_truncated_in_ihdr.png", png[..20].to_vec(), "Corrupt"),
        (
            "png_truncated_in_idat.png",
            png[..idat_at + 8 + idat_len / 2].to_vec(),
            "Corrupt",
        ),
        (
            "png_truncated_idat_crc.png",
            png[..idat_at + 8 + idat_len + 2].to_vec(),
            "Corrupt",
        ),
        (
            "png_random_after_signature.png",
            [&png[..8], &noise(4, 4096)[..]].concat(),
            "Corrupt",
        ),
    ];

    // IHDR declaring 65,535 × 65,535 (CRC fixed up), followed by the small image's chunks.
    let mut bomb = png.clone();
    bomb[16..20].copy_from_slice(&65_535u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&65_535u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    corpus.push(("png_65535x65535.png", bomb, "TooManyPixels"));

    // Bad CRCs: on IHDR and on IDAT.
    let mut bad_ihdr = png.clone();
    bad_ihdr[29] ^= 0xFF;
    corpus.push(("png_bad_crc_ihdr.png", bad_ihdr, "Corrupt"));
    let mut bad_idat = png.clone();
    bad_idat[idat_at + 8 + idat_len] ^= 0xFF;
    corpus.push(("png_bad_crc_idat.png", bad_idat, "Corrupt"));

    // Deflate data damaged (CRC recomputed so only the zlib stream is wrong).
    let mut bad_zlib = png.clone();
    let mid = idat_at + 8 + idat_len / 2;
    for b in &mut bad_zlib[mid..mid + 64] {
        *b ^= 0x5A;
    }
    let crc = crc32(&bad_zlib[idat_at + 4..idat_at + 8 + idat_len]);
    bad_zlib[idat_at + 8 + idat_len..idat_at + 12 + idat_len].copy_from_slice(&crc.to_be_bytes());
    corpus.push(("png_bad_zlib.png", bad_zlib, "Corrupt"));

    // Within the pixel limit (10,000 × 10,000 = 100 MP) but with a few KiB of data: refused from
    // the header, before any pixel buffer.
    corpus.push((
        "jpeg_10000x10000_tiny.jpg",
        patch_sof_dims(&jpeg, 10_000, 10_000),
        "Corrupt",
    ));
    let mut tiny_bomb = png.clone();
    tiny_bomb[16..20].copy_from_slice(&10_000u32.to_be_bytes());
    tiny_bomb[20..24].copy_from_slice(&10_000u32.to_be_bytes());
    let crc = crc32(&tiny_bomb[12..29]);
    tiny_bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    corpus.push(("png_10000x10000_tiny.png", tiny_bomb, "Corrupt"));
    corpus
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/photo")
}

#[test]
fn bad_input_corpus_every_file_a_typed_error() {
    let cases = bad_input_corpus();
    let dir = corpus_dir();
    if std::env::var_os("FIELDKIT_REGEN_PHOTO_CORPUS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes, _) in &cases {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let cfg = PhotoConfig::default();
    let mut failures = Vec::new();
    for (name, generated, expected) in &cases {
        let committed = std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            panic!("{name}: {e} (regenerate: see the header of tests/it/photo.rs)")
        });
        // Both the committed file and the freshly generated bytes (they may differ if an
        // encoder changed; both must be refused the same way).
        for (label, bytes) in [("committed", &committed), ("generated", generated)] {
            match ingest_no_panic(bytes, &cfg) {
                Ok(out) => failures.push(format!("{name} ({label}): accepted as {out:?}")),
                Err(e) if expected_kind(&e) != *expected => {
                    failures.push(format!("{name} ({label}): {e:?}, expected {expected}"))
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.len() < 300, "{name}: long message {msg}");
                }
            }
        }
        // Via a file path as well.
        let err = ingest_file(&dir.join(name), &cfg).unwrap_err();
        assert_eq!(
            expected_kind(&err),
            *expected,
            "{name} via ingest_file: {err:?}"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(panics_here(), 0, "no panic on this thread, caught or not");
}

#[test]
fn corpus_dir_has_only_known_files() {
    let known: Vec<&str> = bad_input_corpus().iter().map(|c| c.0).collect();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            known.contains(&name.as_str()) || name == "README.md",
            "stray corpus file {name}"
        );
    }
}

#[test]
fn bombs_are_refused_instantly() {
    let cfg = PhotoConfig::default();
    let corpus = bad_input_corpus();
    for name in ["jpeg_65535x65535.jpg", "png_65535x65535.png"] {
        let bytes = &corpus.iter().find(|c| c.0 == name).unwrap().1;
        let start = std::time::Instant::now();
        let err = ingest_no_panic(bytes, &cfg).unwrap_err();
        assert_eq!(
            err,
            PhotoError::TooManyPixels {
                width: 65_535,
                height: 65_535,
                max: 100_000_000
            }
        );
        assert!(
            start.elapsed().as_millis() < 50,
            "{name}: {:?}",
            start.elapsed()
        );
    }
    // Within the pixel limit but declaring far more than the data holds: refused from the
    // header too, not a 100 MP decode of nothing.
    for name in ["jpeg_10000x10000_tiny.jpg", "png_10000x10000_tiny.png"] {
        let bytes = &corpus.iter().find(|c| c.0 == name).unwrap().1;
        let start = std::time::Instant::now();
        let err = ingest_no_panic(bytes, &cfg).unwrap_err();
        assert!(matches!(err, PhotoError::Corrupt(_)), "{name}: {err:?}");
        assert!(
            start.elapsed().as_millis() < 50,
            "{name}: {:?}",
            start.elapsed()
        );
    }
    let jpeg = encode_jpeg(&texture(64, 64), 90);
    let err = ingest_no_panic(&patch_sof_dims(&jpeg, 65_535, 1_500), &cfg).unwrap_err();
    assert!(matches!(err, PhotoError::Corrupt(_)), "{err:?}");
}

#[test]
fn too_large_is_refused_before_decoding() {
    let cfg = PhotoConfig::default();
    // 40 MiB + 1, made at test time (not committed).
    let mut big = vec![0u8; cfg.max_bytes + 1];
    big[..2].copy_from_slice(&[0xFF, 0xD8]);
    assert_eq!(
        ingest_no_panic(&big, &cfg).unwrap_err(),
        PhotoError::TooLarge {
            bytes: cfg.max_bytes + 1,
            max: cfg.max_bytes
        }
    );
    // A valid photo over a small limit.
    let photo = encode_jpeg(&texture(100, 100), 90);
    let tight = PhotoConfig {
        max_bytes: photo.len() - 1,
        ..PhotoConfig::default()
    };
    assert!(matches!(
        ingest_no_panic(&photo, &tight),
        Err(PhotoError::TooLarge { .. })
    ));
    // And over a small pixel limit.
    let few = PhotoConfig {
        max_pixels: 100 * 99,
        ..PhotoConfig::default()
    };
    assert!(matches!(
        ingest_no_panic(&photo, &few),
        Err(PhotoError::TooManyPixels {
            width: 100,
            height: 100,
            ..
        })
    ));
}

#[test]
fn unsupported_jpeg_variants_are_typed() {
    // An arithmetic-coded frame (SOF9): patch the SOF marker of a valid file.
    let jpeg = encode_jpeg(&texture(32, 32), 90);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let mut arithmetic = jpeg.clone();
    arithmetic[sof + 1] = 0xC9;
    let err = ingest_no_panic(&arithmetic, &PhotoConfig::default()).unwrap_err();
    assert!(matches!(err, PhotoError::Unsupported(_)), "{err:?}");
    // A lossless frame (SOF3) over baseline data: refused, typed (as unsupported or corrupt).
    let mut lossless = jpeg.clone();
    lossless[sof + 1] = 0xC3;
    let err = ingest_no_panic(&lossless, &PhotoConfig::default()).unwrap_err();
    assert!(
        matches!(err, PhotoError::Unsupported(_) | PhotoError::Corrupt(_)),
        "{err:?}"
    );
}

#[test]
fn cmyk_jpeg_is_converted_to_rgb() {
    // Adobe-style CMYK: cyan-free, magenta+yellow full ⇒ red; the rest no ink ⇒ white.
    let (w, h) = (64u32, 32u32);
    let mut cmyk = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            cmyk.extend_from_slice(if x < 32 {
                &[0, 255, 255, 0]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 95)
        .encode(&cmyk, w as u16, h as u16, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let out = ingest_no_panic(&jpeg, &PhotoConfig::default()).unwrap();
    check_output(&out);
    let img = decode_rgb(&out.jpeg);
    assert!(close(img.at(8, 16), [255, 0, 0], 40), "{:?}", img.at(8, 16));
    assert!(
        close(img.at(56, 16), [255, 255, 255], 20),
        "{:?}",
        img.at(56, 16)
    );
}

#[test]
fn weird_configs_do_not_panic() {
    let input = encode_jpeg(&texture(120, 80), 90);
    for cfg in [
        PhotoConfig {
            long_edge: 0,
            thumb_edge: 0,
            quality: 0,
            thumb_quality: 0,
            ..PhotoConfig::default()
        },
        PhotoConfig {
            long_edge: u32::MAX,
            thumb_edge: u32::MAX,
            quality: 255,
            thumb_quality: 255,
            ..PhotoConfig::default()
        },
        PhotoConfig {
            long_edge: 1,
            thumb_edge: 1,
            ..PhotoConfig::default()
        },
    ] {
        let out = ingest_no_panic(&input, &cfg).unwrap();
        check_output(&out);
        assert!(out.width >= 1 && out.thumb_width <= out.width);
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests: mutations and truncations never panic

fn small_inputs() -> (Vec<u8>, Vec<u8>) {
    (phone_jpeg(&texture(24, 16), 6), png_rgb(&texture(24, 16)))
}

proptest! {
    #![proptest_config(crate::common::proptest_config(384))]

    #[test]
    fn mutated_jpeg_and_png_never_panic(
        use_png in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let (jpeg, png) = small_inputs();
        let mut bytes = if use_png { png } else { jpeg };
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let cfg = PhotoConfig { long_edge: 16, thumb_edge: 8, ..PhotoConfig::default() };
        if let Ok(out) = ingest_no_panic(&bytes, &cfg) {
            check_output(&out);
        }
    }

    #[test]
    fn magic_then_random_never_panics(
        use_png in any::<bool>(),
        tail in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let magic: &[u8] = if use_png { &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A] } else { &[0xFF, 0xD8, 0xFF] };
        let bytes = [magic, &tail].concat();
        let result = ingest_no_panic(&bytes, &PhotoConfig::default());
        prop_assert!(result.is_err());
    }

    #[test]
    fn random_segment_lengths_never_panic(
        sof_w in any::<u16>(),
        sof_h in any::<u16>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let jpeg = encode_jpeg(&texture(16, 16), 80);
        let mut v = patch_sof_dims(&jpeg, sof_w, sof_h);
        v.truncate(cut.index(v.len()).max(2));
        let cfg = PhotoConfig { max_pixels: 4_000_000, ..PhotoConfig::default() };
        let _ = ingest_no_panic(&v, &cfg);
    }
}
