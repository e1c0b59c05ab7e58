//! `media::photo::ingest` on arbitrary bytes: any input must give `Ok` or a typed error, never a
//! panic (libfuzzer-sys turns a panic, even one caught inside the library, into a crash).
#![no_main]

use fieldkit_core::media::photo::{PhotoConfig, ingest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small outputs and a 4 MP cap keep each execution fast; the code paths are the same as
    // with the defaults (DCT scaling, box prescale, resize, orientation, encode).
    let cfg = PhotoConfig {
        long_edge: 256,
        thumb_edge: 64,
        max_pixels: 4_000_000,
        max_bytes: 1 << 20,
        ..PhotoConfig::default()
    };
    if let Ok(out) = ingest(data, &cfg) {
        assert!(out.width <= 256 && out.height <= 256);
        assert!(out.thumb_width <= 64 && out.thumb_height <= 64);
        assert_eq!(out.sha256.len(), 64);
    }
});
