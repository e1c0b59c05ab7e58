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
VENV="$TARGET_DIR/conformance-venv"

have_schemathesis() {
    [ -x "$VENV/bin/schemathesis" ] &&
        [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]
}

if ! have_schemathesis; then
    echo "conformance: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 keeps venv (and its pip) in a package of its own.
        rm -rf "$VENV"
        SUDO=""
        if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq > /dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv > /dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

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
