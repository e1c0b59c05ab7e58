//! The uniffi-bindgen command line, built from the very uniffi the library links, so the
//! generated Kotlin and Swift always match the scaffolding.
//!
//! `cargo run -p fieldkit-ffi --features cli --bin uniffi-bindgen -- generate <lib> ...`

fn main() {
    uniffi::uniffi_bindgen_main()
}
