#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver are on this machine for the dashboard's browser
# tests (sync-server/tests/it/dashboard_browser.rs starts /usr/bin/chromedriver itself).
# Installs Debian's `chromium` and `chromium-driver` when either binary is missing. Idempotent
# and quiet.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq > /dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver > /dev/null
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "chromium.sh: /usr/bin/chromium or /usr/bin/chromedriver still missing" >&2
    exit 1
fi
