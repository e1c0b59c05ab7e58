#!/usr/bin/env bash
# Makes sure the customer's-copy tests have what they need: poppler-utils (`pdftotext`,
# `pdftoppm`) to read the PDF back, and a CJK font with Latin glyphs to render it with
# (Debian's `fonts-wqy-microhei`, a 5 MB TrueType collection), and a font with CFF outlines
# as Android's Noto Sans CJK has (`fonts-urw-base35`, for the PDF writer's own tests). Installs
# what is missing; idempotent. Prints the CJK font's path.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
CFF=/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf
need=()
command -v pdftotext > /dev/null && command -v pdftoppm > /dev/null || need+=(poppler-utils)
[ -f "$FONT" ] || need+=(fonts-wqy-microhei)
[ -f "$CFF" ] || need+=(fonts-urw-base35)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq > /dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
command -v pdftotext > /dev/null && command -v pdftoppm > /dev/null && [ -f "$FONT" ] && [ -f "$CFF" ] || {
    echo "pdf-tools.sh: poppler-utils, the CJK font or the CFF font still missing" >&2
    exit 1
}
echo "$FONT"
