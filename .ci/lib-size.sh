#!/usr/bin/env bash
# The shipped library's size budget: builds fieldkit-ffi as an app build does (`--release`:
# fat LTO, one codegen unit; no features, so neither `demo` nor `cli`; the crate makes no rlib,
# which would make the link-time optimisation keep every public Rust item, 1.2 MB more —
# BENCHMARKS.md §7), strips it as the Android and iOS packaging does, and fails when it is
# larger than the budget.
#
#   bash .ci/lib-size.sh                 # CI: budget 10,000,000 bytes (issue 21's target)
#   FIELDKIT_LIB_BUDGET=N bash .ci/lib-size.sh
#
# It builds in its own target directory (`$CARGO_TARGET_DIR/ship`, or target/ship): CI runs
# it beside the tests, and a build of its own does not wait on their build's lock. Ends with
# "ok: …" or "FAIL: …". BENCHMARKS.md §7 has the size per dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${FIELDKIT_LIB_BUDGET:-10000000}
[[ $BUDGET =~ ^[0-9]+$ ]] || { echo "FIELDKIT_LIB_BUDGET: not a number of bytes" >&2; exit 2; }
command -v strip >/dev/null || { echo "strip (binutils) is needed" >&2; exit 2; }
TARGET=${CARGO_TARGET_DIR:-$PWD/target}/ship
started=$SECONDS
CARGO_TARGET_DIR=$TARGET cargo build --quiet --release -p fieldkit-ffi --lib
lib=$TARGET/release/libfieldkit_ffi.so
[[ -f $lib ]] || { echo "FAIL: no library at $lib" >&2; exit 1; }
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$lib"
size=$(stat -c %s "$stripped")
echo "the shipped library (host, release, stripped): $size bytes; budget $BUDGET bytes (built in $((SECONDS - started)) s)"
if ((size > BUDGET)); then
    echo "FAIL: $((size - BUDGET)) bytes over the budget (BENCHMARKS.md §7: what each dependency adds)" >&2
    exit 1
fi
echo "ok: $((BUDGET - size)) bytes under the budget"
