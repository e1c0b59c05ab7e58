# Sourced by the CI scripts that need a Python tool from PyPI (conformance: schemathesis; the
# blob tests: moto). `pinned_venv NAME PACKAGE VERSION [EXTRAS]` makes sure
# `<cargo target dir>/NAME` is a venv holding exactly PACKAGE==VERSION (installing python3-venv
# with apt when Debian's python3 lacks it) and sets VENV to it. The target dir is gitignored.
pinned_venv() {
    local name=$1 package=$2 version=$3 extras=${4:-}
    local target="${CARGO_TARGET_DIR:-target}"
    case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
    VENV="$target/$name"
    local have
    have=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null || true)
    if [ "$have" = "$version" ]; then
        return 0
    fi
    echo "$name: installing $package$extras $version into $VENV"
    rm -rf "$VENV"
    mkdir -p "$target"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 keeps venv (and its pip) in a package of its own.
        rm -rf "$VENV"
        local sudo=""
        if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq > /dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv > /dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$package$extras==$version"
}
