#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting, lints, the whole workspace's
# tests (core, server on SQLite and PostgreSQL, bindings), and the Kotlin layer's JVM tests
# against the real native library. Whatever a test needs is installed by the project's own
# scripts (libssl-dev, PostgreSQL, poppler-utils and a CJK font, Chromium and chromedriver,
# kotlinc, JNA, JUnit), never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's time, printed when the next begins (and the total at the end), so a slow step
# shows in the log.
step_started=$SECONDS
step_name=""
step() {
    if [ -n "$step_name" ]; then
        echo "   ($step_name: $((SECONDS - step_started)) s)"
    fi
    step_name="$1"
    step_started=$SECONDS
    if [ -n "$1" ]; then echo "== $1"; fi
}
trap 'step ""; echo "== all tests: $SECONDS s"' EXIT

step "rustfmt"
cargo fmt --all -- --check

step "module shape: no import cycle, no long file without its reason"
python3 .ci/module-check.py

# Clippy lints inside the test build instead of in a `cargo check` of its own: clippy-driver
# is the workspace's compiler wrapper (what `cargo clippy` sets up for `cargo check`), so each
# workspace crate is linted as it is compiled, and the dependencies are compiled once instead
# of checked once and compiled again (a cold `cargo clippy` took minutes on 2 cores). Exported
# for the whole run: the Kotlin, sample and FFI-symbol steps reuse (and lint) the same build.
# The proof first: a warning must fail the wrapper, or the lint step would be a no-op.
step "clippy: the wrapper fails on a warning"
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
proof=$(mktemp -d)
printf 'pub fn f() -> i32 {\n    return 1;\n}\n' > "$proof/lint.rs"
if "$RUSTC_WORKSPACE_WRAPPER" rustc --edition 2021 --crate-type lib --emit=metadata \
    -o "$proof/lint.rmeta" "$proof/lint.rs" 2> "$proof/out"; then
    echo "clippy-driver let a needless return through: the lints would not run" >&2
    exit 1
fi
grep -q "needless_return" "$proof/out" || { cat "$proof/out" >&2; exit 1; }
rm -rf "$proof"

step "libssl-dev: SQLCipher's crypto on this host"
bash .ci/openssl.sh

step "PostgreSQL for the server's tests"
bash .ci/postgres.sh

step "poppler-utils and a CJK font for the customer's-copy (PDF) tests"
bash .ci/pdf-tools.sh

step "Chromium and chromedriver for the dashboard's browser tests"
bash .ci/chromium.sh

step "an S3-compatible server (moto, from PyPI) for the blob store tests"
bash .ci/moto.sh

# With the uniffi generator's feature and the FFI's `demo` feature (the Kotlin tests call the
# demo functions) and the server's S3 blob store, the same list as the Kotlin step's workspace
# build, so that step reuses this build (one feature set for the whole run: nothing is
# compiled twice).
FEATURES=fieldkit-ffi/cli,fieldkit-ffi/demo,fieldkit-server/s3
step "clippy -D warnings and the build of every target (benches and examples too)"
cargo test --workspace --all-targets --features "$FEATURES" --no-run

# The JVM chain (Kotlin tests, the Android sample's logic, the Swift check) needs only the
# library and the server this build made, and the cargo tests leave a core idle (they wait on
# fsyncs, PostgreSQL, Chromium and killed processes): so it runs beside them, its log printed
# when both are done. A failure of either fails the run.
jvm_log=$(mktemp)
(
    jvm_started=$SECONDS
    jvm_step() { echo "== $1 (+$((SECONDS - jvm_started)) s)"; }
    jvm_step "Kotlin JVM tests (bindings)"
    FIELDKIT_WORKSPACE_BUILD=1 bash .ci/kotlin-tests.sh
    jvm_step "the Android sample's logic (JVM)"
    bash .ci/sample-tests.sh
    jvm_step "Swift layer against the generated bindings"
    bash .ci/swift-check.sh
    jvm_step "done"
) > "$jvm_log" 2>&1 &
jvm_pid=$!
background=("$jvm_pid")

# The shipped library's size budget: a release build of its own (fat LTO, its own target
# directory, so it never waits on the tests' build lock), beside the tests too; its answer is
# read at the end.
size_log=$(mktemp)
bash .ci/lib-size.sh > "$size_log" 2>&1 &
size_pid=$!
background+=("$size_pid")
trap 'kill "${background[@]}" 2>/dev/null || true; step ""; echo "== all tests: $SECONDS s"' EXIT

step "tests (the JVM chain runs beside them)"
cargo test --workspace --features "$FEATURES"

# Waits for the background job `$1`, prints its log `$2`, and fails the run if it failed
# (`$3` names it).
finish_background() {
    local ok=0
    wait "$1" || ok=$?
    cat "$2"
    rm -f "$2"
    if [ "$ok" != 0 ]; then
        echo "$3 failed ($ok)" >&2
        exit 1
    fi
}

step "Kotlin JVM tests, the Android sample's logic, the Swift check (ran beside the tests)"
finish_background "$jvm_pid" "$jvm_log" "the JVM chain"

# The FFI-symbol check compiles the core and the FFI once more without features (the shipped
# configuration, linted too): a minute of CPU, beside the conformance run (no cargo build runs
# after it), its answer read at the end.
symbols_log=$(mktemp)
bash .ci/ffi-symbols.sh > "$symbols_log" 2>&1 &
symbols_pid=$!
background+=("$symbols_pid")

step "API conformance (schemathesis, both backends)"
bash .ci/conformance.sh

step "the shipped FFI library exports no demo_/bench_ function (ran beside conformance)"
finish_background "$symbols_pid" "$symbols_log" "ffi-symbols"

step "the shipped FFI library within its size budget (built beside the tests)"
finish_background "$size_pid" "$size_log" "lib-size"
