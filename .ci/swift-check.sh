#!/usr/bin/env bash
# The Swift check that runs where no Swift compiler does (Linux CI): parses every .swift file
# of ios/Sources, ios/Tests and ios/Sample with tree-sitter's Swift grammar and checks each
# use of the uniffi-generated bindings (types, enum cases and their spelling, members,
# argument labels, exhaustive switches) — .ci/swift_check, proved able to fail by its own
# fixtures first. Installs what is missing itself: a venv in ios/.tools with the PyPI
# packages tree-sitter and tree-sitter-swift (pinned). Generates the Swift bindings when they
# are missing or older than the host library: with the generator directly when it is built
# (fast), else through .ci/kotlin-tests.sh --generate-only (a cargo build).
#   bash .ci/swift-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TREE_SITTER=0.26.1
TREE_SITTER_SWIFT=0.7.4
VENV=$ROOT/ios/.tools/venv
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEN=$ROOT/ios/build/generated
GENERATED=$GEN/FieldKitBindings.swift # uniffi.toml: module_name = "FieldKitBindings"
LIB=$TARGET/debug/libfieldkit_ffi.so
BINDGEN=$TARGET/debug/uniffi-bindgen

# --- tools -------------------------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
    echo "== swift-check: installing tree-sitter $TREE_SITTER and tree-sitter-swift $TREE_SITTER_SWIFT into ios/.tools"
    if ! python3 -m venv --clear "$VENV" >/dev/null 2>&1; then
        sudo=()
        [[ $(id -u) == 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        python3 -m venv --clear "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "tree-sitter==$TREE_SITTER" "tree-sitter-swift==$TREE_SITTER_SWIFT"
fi

# --- the generated bindings --------------------------------------------------------------
if [[ -x $BINDGEN && -f $LIB && (! -f $GENERATED || $LIB -nt $GENERATED) ]]; then
    echo "== swift-check: generating the Swift bindings (uniffi-bindgen)"
    rm -rf "$GEN.tmp" && mkdir -p "$GEN.tmp"
    "$BINDGEN" generate "$LIB" --language swift --out-dir "$GEN.tmp" --no-format >/dev/null
    rm -rf "$GEN" && mv "$GEN.tmp" "$GEN"
elif [[ ! -f $GENERATED ]]; then
    echo "== swift-check: generating the Swift bindings (.ci/kotlin-tests.sh --generate-only)"
    bash .ci/kotlin-tests.sh --generate-only
fi

# --- the check ---------------------------------------------------------------------------
echo "== swift-check"
PYTHONPATH=$ROOT/.ci exec "$VENV/bin/python" -m swift_check --generated "$GENERATED" \
    --self-test .ci/swift_check/fixtures ios/Sources ios/Tests ios/Sample
