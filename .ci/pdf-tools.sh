#!/usr/bin/env bash
# Makes sure the customer's-copy tests have what they need: poppler-utils (`pdftotext`,
# `pdftoppm`) to read the PDF back, and a CJK font with Latin glyphs to render it with
# (Debian's `fonts-wqy-microhei`, a 5 MB TrueType collection). Installs what is missing;
# idempotent. Prints the font's path.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
need=()
command -v pdftotext > /dev/null && command -v pdftoppm > /dev/null || need+=(poppler-utils)
[ -f "$FONT" ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq > /dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
command -v pdftotext > /dev/null && command -v pdftoppm > /dev/null && [ -f "$FONT" ] || {
    echo "pdf-tools.sh: poppler-utils or the CJK font still missing" >&2
    exit 1
}
echo "$FONT"
