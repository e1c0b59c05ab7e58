#!/usr/bin/env bash
# An S3-compatible server for the blob tests (tests/it/blob_stores.rs): moto's server mode,
# pinned, installed from PyPI into a venv under the cargo target dir (gitignored). The tests
# find it at <target>/moto-venv/bin/moto_server (or FIELDKIT_MOTO_SERVER).
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/pinned-venv.sh
pinned_venv moto-venv moto "5.2.6" "[server]"
[ -x "$VENV/bin/moto_server" ] || { echo "moto: no $VENV/bin/moto_server" >&2; exit 1; }
