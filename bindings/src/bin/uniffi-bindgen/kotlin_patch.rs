//! The one change FieldKit makes to uniffi's generated Kotlin: the call status of every call
//! into Rust comes from a per-thread pool instead of a new JNA `Structure` each time.
//!
//! Measured (BENCHMARKS.md §4, `CrossingBench`): allocating a `UniffiRustCallStatus` costs
//! ~2.9 µs at p50, 30 times the bare JNA call (0.09 µs), and uniffi 0.32 allocates one per
//! crossing — five for an `answerStep`. A status is only written by Rust on an error or a
//! panic (it reads nothing from it), so one can be reused once its code is reset; a pool (not
//! one per thread) keeps a call made from inside another call (an observer that calls back
//! into the library) on a status of its own.
//!
//! The patch matches uniffi's template text exactly and fails loudly when it does not, so a
//! uniffi upgrade that changes the template stops the build instead of silently shipping the
//! slow path. Applying it twice changes nothing.

use std::fs;
use std::path::{Path, PathBuf};

/// The helper as uniffi 0.32 generates it.
const ORIGINAL: &str = "\
private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}
";

/// Marks a patched file.
const MARKER: &str = "// FieldKit: call statuses from a per-thread pool";

/// The same helper taking its status from the pool and giving it back, reset, afterwards.
const PATCHED: &str = "\
// FieldKit: call statuses from a per-thread pool (uniffi-bindgen's kotlin_patch.rs): a JNA
// Structure costs ~3 µs to allocate, the call itself ~0.1 µs. Rust writes a status only on an
// error or a panic, so a status is reset and reused; nested calls take their own.
private val uniffiCallStatusPool: ThreadLocal<java.util.ArrayDeque<UniffiRustCallStatus>> =
    ThreadLocal.withInitial { java.util.ArrayDeque<UniffiRustCallStatus>(4) }

private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    val pool = uniffiCallStatusPool.get()
    val status = pool.pollLast() ?: UniffiRustCallStatus()
    status.code = UNIFFI_CALL_SUCCESS
    try {
        val return_value = callback(status)
        uniffiCheckCallStatus(errorHandler, status)
        return return_value
    } finally {
        // The error buffer (if any) was lifted and freed by uniffiCheckCallStatus: forget it.
        status.code = UNIFFI_CALL_SUCCESS
        status.error_buf.capacity = 0
        status.error_buf.len = 0
        status.error_buf.data = null
        pool.addLast(status)
    }
}
";

/// Patches `source` (one generated Kotlin file). `Ok(None)` when the file has no call helper
/// (another namespace's file), `Ok(Some(text))` patched or already patched.
pub fn patch(source: &str) -> Result<Option<String>, String> {
    if source.contains(MARKER) {
        return Ok(Some(source.to_owned()));
    }
    if !source.contains("uniffiRustCallWithError(") {
        return Ok(None);
    }
    match source.matches(ORIGINAL).count() {
        1 => Ok(Some(source.replacen(ORIGINAL, PATCHED, 1))),
        n => Err(format!(
            "uniffi's Kotlin call helper found {n} times where once was expected: the template \
             changed; update bindings/src/bin/uniffi-bindgen/kotlin_patch.rs"
        )),
    }
}

/// Patches every generated `.kt` file under `dir`; an error when none has the call helper.
pub fn patch_dir(dir: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    kotlin_files(dir, &mut files).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut patched = 0;
    for file in files {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        if let Some(new) = patch(&text).map_err(|e| format!("{}: {e}", file.display()))? {
            if new != text {
                fs::write(&file, new).map_err(|e| format!("{}: {e}", file.display()))?;
            }
            patched += 1;
        }
    }
    if patched == 0 {
        return Err(format!(
            "no generated Kotlin with uniffi's call helper under {}",
            dir.display()
        ));
    }
    Ok(())
}

fn kotlin_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            kotlin_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "kt") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> String {
        format!("package x\n\n{ORIGINAL}\nfun f() = uniffiRustCallWithError(h) {{ s -> 1 }}\n")
    }

    #[test]
    fn replaces_the_helper_once_and_keeps_the_rest() {
        let out = patch(&generated()).unwrap().unwrap();
        assert!(out.contains(MARKER));
        assert!(!out.contains("var status = UniffiRustCallStatus()"));
        assert!(out.contains("pool.pollLast() ?: UniffiRustCallStatus()"));
        assert!(out.starts_with("package x\n"));
        assert!(out.ends_with("fun f() = uniffiRustCallWithError(h) { s -> 1 }\n"));
    }

    #[test]
    fn applying_it_twice_changes_nothing() {
        let once = patch(&generated()).unwrap().unwrap();
        assert_eq!(patch(&once).unwrap().unwrap(), once);
    }

    #[test]
    fn a_changed_template_is_an_error_not_a_silent_skip() {
        let changed = generated().replace("var status", "val status");
        let e = patch(&changed).unwrap_err();
        assert!(e.contains("template"), "{e}");
    }

    #[test]
    fn files_without_the_helper_are_left_alone() {
        assert_eq!(patch("package y\nclass A\n").unwrap(), None);
    }

    #[test]
    fn patches_a_directory_and_refuses_one_with_nothing_to_patch() {
        let dir = std::env::temp_dir().join(format!("fk-kotlin-patch-{}", std::process::id()));
        let nested = dir.join("app/fieldkit/ffi");
        fs::create_dir_all(&nested).unwrap();
        fs::write(nested.join("fieldkit_ffi.kt"), generated()).unwrap();
        fs::write(nested.join("other.kt"), "class B\n").unwrap();
        patch_dir(&dir).unwrap();
        let text = fs::read_to_string(nested.join("fieldkit_ffi.kt")).unwrap();
        assert!(text.contains(MARKER));
        assert_eq!(
            fs::read_to_string(nested.join("other.kt")).unwrap(),
            "class B\n"
        );
        fs::remove_file(nested.join("fieldkit_ffi.kt")).unwrap();
        assert!(patch_dir(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
