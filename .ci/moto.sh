#!/usr/bin/env bash
# An S3-compatible server for the blob tests (tests/it/blob_stores.rs): moto's server mode,
# pinned, installed from PyPI into a venv under the cargo target dir (gitignored). Prints
# nothing on success when already installed; the tests find it at
# <target>/moto-venv/bin/moto_server (or FIELDKIT_MOTO_SERVER).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.6"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$PWD/$TARGET_DIR" ;; esac
VENV="$TARGET_DIR/moto-venv"

have_moto() {
    [ -x "$VENV/bin/moto_server" ] &&
        [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]
}

if ! have_moto; then
    echo "moto: installing moto[server] $MOTO_VERSION into $VENV"
    rm -rf "$VENV"
    mkdir -p "$TARGET_DIR"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 keeps venv (and its pip) in a package of its own.
        rm -rf "$VENV"
        SUDO=""
        if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq > /dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv > /dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
have_moto || { echo "moto: $VENV/bin/moto_server is not moto $MOTO_VERSION" >&2; exit 1; }
