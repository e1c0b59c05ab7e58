//! The uniffi-bindgen command line, built from the very uniffi the library links, so the
//! generated Kotlin and Swift always match the scaffolding.
//!
//! `cargo run -p fieldkit-ffi --features cli --bin uniffi-bindgen -- generate <lib> ...`
//!
//! After generating Kotlin it applies [`kotlin_patch`]: the call statuses are reused from a
//! per-thread pool instead of one JNA `Structure` allocated per call (BENCHMARKS.md §4). The
//! Gradle build and the CI scripts both generate through this binary, so every Kotlin build
//! gets the same code.

mod kotlin_patch;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    uniffi::uniffi_bindgen_main();
    if let Some(out_dir) = kotlin_out_dir(&args)
        && let Err(e) = kotlin_patch::patch_dir(&out_dir)
    {
        eprintln!("uniffi-bindgen (FieldKit): {e}");
        std::process::exit(1);
    }
}

/// The `--out-dir` of a `generate … --language kotlin` command line, if that is what ran.
fn kotlin_out_dir(args: &[String]) -> Option<PathBuf> {
    if args.get(1).map(String::as_str) != Some("generate") {
        return None;
    }
    let value = |names: &[&str]| {
        args.iter().enumerate().find_map(|(i, a)| {
            names.iter().find_map(|n| {
                if a == n {
                    args.get(i + 1).cloned()
                } else {
                    a.strip_prefix(&format!("{n}=")).map(str::to_owned)
                }
            })
        })
    };
    let language = value(&["--language", "-l"])?;
    (language == "kotlin").then(|| value(&["--out-dir", "-o"]).map(PathBuf::from))?
}

#[cfg(test)]
mod tests {
    use super::kotlin_out_dir;
    use std::path::PathBuf;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn finds_the_kotlin_out_dir_in_either_spelling() {
        let want = Some(PathBuf::from("/o"));
        assert_eq!(
            kotlin_out_dir(&args("b generate lib.so --language kotlin --out-dir /o")),
            want
        );
        assert_eq!(
            kotlin_out_dir(&args("b generate lib.so -l kotlin -o /o --no-format")),
            want
        );
        assert_eq!(
            kotlin_out_dir(&args("b generate --language=kotlin --out-dir=/o lib.so")),
            want
        );
    }

    #[test]
    fn leaves_other_languages_and_commands_alone() {
        assert_eq!(
            kotlin_out_dir(&args("b generate lib.so --language swift --out-dir /o")),
            None
        );
        assert_eq!(kotlin_out_dir(&args("b print-repr lib.so")), None);
        assert_eq!(
            kotlin_out_dir(&args("b generate lib.so --language kotlin")),
            None
        );
    }
}
