#!/usr/bin/env bash
# Makes sure this host can build SQLCipher (the device database's encryption, which the whole
# workspace links): its crypto is the system's libcrypto here, so its headers and library
# (Debian's libssl-dev) must be present. Android builds compile OpenSSL from source instead
# (the `vendored-openssl` feature); Apple targets use CommonCrypto. Installs what is missing;
# idempotent.
set -euo pipefail
HEADER=/usr/include/openssl/evp.h
# The library list is read whole into a variable first: `ldconfig -p | grep -q` under pipefail
# fails when grep stops reading early and ldconfig dies of SIGPIPE (a long cache makes it likely).
libs() { ldconfig -p 2>/dev/null || true; }
have() { [ -f "$HEADER" ] && [[ $(libs) == *"libcrypto.so "* ]]; }
if ! have; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq > /dev/null
    $SUDO apt-get install -y -qq --no-install-recommends libssl-dev > /dev/null
fi
have || {
    echo "openssl.sh: libssl-dev (OpenSSL's headers and libcrypto.so) still missing" >&2
    exit 1
}
echo "libcrypto: $(libs | awk '/libcrypto\.so / {print $NF; exit}')"
