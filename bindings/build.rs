//! Link options for the shipped library (BENCHMARKS.md §7): relative relocations packed, so
//! the pointers in vtables and string tables cost a few bytes each instead of 24 —
//! `-z pack-relative-relocs` (RELR; glibc ≥ 2.36) on Linux, Android's own packing (API 23+,
//! the app's minSdk is 26) on Android. Apple platforms need nothing (chained fixups).
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match (os.as_str(), env.as_str()) {
        ("linux", "gnu") => println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs"),
        ("android", _) => println!("cargo:rustc-cdylib-link-arg=-Wl,--pack-dyn-relocs=android"),
        _ => {}
    }
}
