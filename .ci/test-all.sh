#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting, lints, the whole workspace's
# tests (core, server on SQLite and PostgreSQL, bindings), and the Kotlin layer's JVM tests
# against the real native library. Whatever a test needs is installed by the project's own
# scripts (PostgreSQL, poppler-utils and a CJK font, Chromium and chromedriver, kotlinc, JNA,
# JUnit), never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== PostgreSQL for the server's tests"
bash .ci/postgres.sh

echo "== poppler-utils and a CJK font for the customer's-copy (PDF) tests"
bash .ci/pdf-tools.sh

echo "== Chromium and chromedriver for the dashboard's browser tests"
bash .ci/chromium.sh

# With the uniffi generator's feature and the FFI's `demo` feature (the Kotlin tests call the
# demo functions), the same list as the Kotlin step's workspace build, so that step reuses
# this build (one feature set for the whole run: nothing is compiled twice).
echo "== tests"
cargo test --workspace --features fieldkit-ffi/cli,fieldkit-ffi/demo

echo "== Kotlin JVM tests (bindings)"
FIELDKIT_WORKSPACE_BUILD=1 bash .ci/kotlin-tests.sh
bash .ci/sample-tests.sh
bash .ci/swift-check.sh
bash .ci/conformance.sh

echo "== the shipped FFI library exports no demo_/bench_ function"
bash .ci/ffi-symbols.sh
