#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting, lints, the whole workspace's
# tests (core, server on SQLite and PostgreSQL, bindings), and the Kotlin layer's JVM tests
# against the real native library. Whatever a test needs is installed by the project's own
# scripts (PostgreSQL, poppler-utils and a CJK font, Chromium and chromedriver, kotlinc, JNA,
# JUnit), never by hand.
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

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "PostgreSQL for the server's tests"
bash .ci/postgres.sh

step "poppler-utils and a CJK font for the customer's-copy (PDF) tests"
bash .ci/pdf-tools.sh

step "Chromium and chromedriver for the dashboard's browser tests"
bash .ci/chromium.sh

# With the uniffi generator's feature and the FFI's `demo` feature (the Kotlin tests call the
# demo functions), the same list as the Kotlin step's workspace build, so that step reuses
# this build (one feature set for the whole run: nothing is compiled twice).
step "tests"
cargo test --workspace --features fieldkit-ffi/cli,fieldkit-ffi/demo

step "Kotlin JVM tests (bindings)"
FIELDKIT_WORKSPACE_BUILD=1 bash .ci/kotlin-tests.sh
step "the Android sample's logic (JVM)"
bash .ci/sample-tests.sh
step "Swift layer against the generated bindings"
bash .ci/swift-check.sh
step "API conformance (schemathesis, both backends)"
bash .ci/conformance.sh

step "the shipped FFI library exports no demo_/bench_ function"
bash .ci/ffi-symbols.sh
