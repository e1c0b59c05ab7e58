#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are on this machine for the fieldkit-server tests
# (they start their own throwaway cluster). Installs Debian's `postgresql` when missing.
# Idempotent and quiet.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq > /dev/null
$SUDO apt-get install -y -qq --no-install-recommends postgresql > /dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || {
    echo "postgres.sh: PostgreSQL server binaries still missing" >&2
    exit 1
}
