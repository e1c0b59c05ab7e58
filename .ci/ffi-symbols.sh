#!/usr/bin/env bash
# The shipped FFI library exports no demo or benchmark function: builds fieldkit-ffi as an app
# build does (no features: neither `demo` nor `cli`) and checks its uniffi exports — none may be
# a `demo_*` or `bench_*` function, their checksums, or the demo's record (DemoPublication).
# Also checks that the check can fail: the exports must include a known function
# (default_sync_options), and a library built with `demo` must show the demo functions.
#
#   bash .ci/ffi-symbols.sh            # CI: debug, as an rlib (see below); about a minute
#   bash .ci/ffi-symbols.sh --release  # by hand: the release cdylib an app ships; minutes
#
# Default mode compiles the crate as an rlib (`cargo rustc --crate-type rlib`): its object
# files hold the same #[no_mangle] uniffi functions the cdylib exports, and the rlib gets its
# own hashed file name, whereas a cdylib built without `demo` would overwrite
# target/debug/libfieldkit_ffi.so, the demo-enabled library the Kotlin and sample tests load
# and generate their bindings from. --release builds the real cdylib in target/release (the
# Kotlin benchmark, `.ci/kotlin-tests.sh --bench`, rebuilds it with `demo` when it runs).
# Honours CARGO_TARGET_DIR. Ends with "ok" or a list of the offending symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
MODE=${1:-debug}
command -v nm >/dev/null || { echo "nm (binutils) is needed" >&2; exit 2; }

# uniffi 0.32's exported names: uniffi_fieldkit_ffi_fn_func_<name> (scaffolding) and
# uniffi_fieldkit_ffi_checksum_func_<name>; records have no function, but their metadata
# statics are UNIFFI_META_FIELDKIT_FFI_RECORD_<NAME>.
FORBIDDEN='uniffi_fieldkit_ffi_(fn|checksum)_func_(demo|bench)_|UNIFFI_META_FIELDKIT_FFI_(FUNC|RECORD)_(DEMO|BENCH)'
KNOWN='uniffi_fieldkit_ffi_fn_func_default_sync_options'

# Prints the uniffi symbols defined in the library `$1`.
symbols() {
    local lib=$1 dyn=()
    [[ $lib == *.so ]] && dyn=(-D)
    # An rlib also holds its metadata, which nm does not read: its complaint is not a failure.
    { nm "${dyn[@]}" --defined-only "$lib" 2>/dev/null || true; } | awk 'NF >= 3 {print $NF}' |
        { grep -E 'uniffi_fieldkit_ffi_|UNIFFI_META_FIELDKIT_FFI_' || true; } | sort -u
}

# Builds the library (features "$1", possibly empty) and prints its path.
build() {
    local features=$1 args=()
    [[ -n $features ]] && args=(--features "$features")
    if [[ $MODE == --release ]]; then
        cargo build --quiet --release -p fieldkit-ffi --lib "${args[@]}" >&2
        echo "$TARGET/release/libfieldkit_ffi.so"
    else
        # The rlib of this exact build, as cargo reports it (--message-format json).
        cargo rustc --quiet -p fieldkit-ffi --lib --crate-type rlib "${args[@]}" \
            --message-format json-render-diagnostics |
            { grep -o '"[^"]*/libfieldkit_ffi[^"/]*\.rlib"' || true; } | tr -d '"' | tail -1
    fi
}

case "$MODE" in debug | --release) ;; *)
    echo "usage: $0 [--release]" >&2
    exit 2
    ;;
esac

echo "== fieldkit-ffi without features ($MODE)"
shipped=$(build "")
[[ -f $shipped ]] || { echo "no library built" >&2; exit 1; }
all=$(symbols "$shipped")
echo "$(wc -l <<<"$all") uniffi symbols in ${shipped#"$PWD"/}"
if ! grep -qx "$KNOWN" <<<"$all"; then
    echo "FAIL: $KNOWN missing: the symbol listing does not work, the check proves nothing" >&2
    exit 1
fi
bad=$(grep -E "$FORBIDDEN" <<<"$all" || true)
if [[ -n $bad ]]; then
    echo "FAIL: the shipped library exports demo/benchmark functions:" >&2
    echo "$bad" >&2
    exit 1
fi

# The same pattern finds them in a build with `demo` (debug mode only: a second release build
# would cost minutes, and would leave the demo library in target/release).
if [[ $MODE == debug ]]; then
    echo "== fieldkit-ffi with demo (the pattern must find them there)"
    # The library the Kotlin tests loaded is that build (test-all.sh builds it with `demo`):
    # read it rather than compile the crate once more; built here when it is missing.
    demo_lib=$TARGET/debug/libfieldkit_ffi.so
    [[ -f $demo_lib ]] || demo_lib=$(build demo)
    found=$(symbols "$demo_lib" | grep -cE "$FORBIDDEN" || true)
    if ((found == 0)); then
        echo "FAIL: no demo symbol found in the demo build: the pattern is stale" >&2
        exit 1
    fi
    echo "$found demo/bench symbols in the demo build"
fi
echo "ok: no demo_/bench_ uniffi symbol in the shipped library"
