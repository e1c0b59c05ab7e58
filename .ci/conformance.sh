#!/usr/bin/env bash
# API contract conformance: schemathesis (property-based, from the served OpenAPI document)
# against a real fieldkit-server on SQLite and on PostgreSQL (a throwaway cluster; skipped
# with FIELDKIT_SKIP_PG=1). Checks: no 5xx, every status and content type documented, every
# response body matching its schema. See .ci/conformance/run.py.
#
# Installs what is missing itself: schemathesis (pinned) into a venv under the cargo target
# dir (gitignored), the server binary with cargo, PostgreSQL with .ci/postgres.sh.
# Knobs: CONFORMANCE_MAX_EXAMPLES (default 50 per operation), CONFORMANCE_SEED,
# FIELDKIT_SERVER_BIN (a server already built), FIELDKIT_SKIP_PG=1.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$PWD/$TARGET_DIR" ;; esac
source .ci/pinned-venv.sh
pinned_venv conformance-venv schemathesis "$SCHEMATHESIS_VERSION"

if [ -z "${FIELDKIT_SERVER_BIN:-}" ]; then
    FIELDKIT_SERVER_BIN="$TARGET_DIR/debug/fieldkit-server"
    # Built when missing or older than the server's or the core's sources (a no-op after
    # the workspace's tests built it).
    if [ ! -x "$FIELDKIT_SERVER_BIN" ] ||
        [ -n "$(find sync-server/src sync-server/Cargo.toml core/src core/Cargo.toml -newer "$FIELDKIT_SERVER_BIN" -print -quit)" ]; then
        cargo build --quiet -p fieldkit-server --bin fieldkit-server
    fi
fi

if [ "${FIELDKIT_SKIP_PG:-}" != "1" ]; then
    bash .ci/postgres.sh
fi

FIELDKIT_SERVER_BIN="$FIELDKIT_SERVER_BIN" SCHEMATHESIS="$VENV/bin/schemathesis" \
    "$VENV/bin/python" .ci/conformance/run.py
