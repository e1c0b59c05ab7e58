#!/usr/bin/env bash
# Photo ingest benchmark: FieldKit vs libvips (vipsthumbnail) vs Pillow (draft mode), side by
# side in one run. Installs the two anchors when missing, then runs the bench (release build).
#
#   bash .ci/bench-photo.sh            # BENCH_RUNS=5 by default (medians)
#
# Results go to stdout as markdown; BENCHMARKS.md ("Photo ingest") quotes a run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v vipsthumbnail >/dev/null 2>&1; then
    echo "installing libvips-tools (apt)…" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvips-tools >/dev/null
fi

if ! python3 -c 'import PIL' >/dev/null 2>&1; then
    echo "installing Pillow (pip)…" >&2
    python3 -m pip install --quiet pillow \
        || python3 -m pip install --quiet --break-system-packages pillow
fi

echo "libvips: $(vips --version)" >&2
echo "Pillow:  $(python3 -c 'import PIL, PIL.features as f; print(PIL.__version__, "libjpeg-turbo", f.version("jpg"))')" >&2

cargo bench -p fieldkit-core --bench photo_ingest
