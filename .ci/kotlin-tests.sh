#!/usr/bin/env bash
# Kotlin JVM tests of the uniffi bindings: builds the host library and the pinned
# uniffi-bindgen, generates the Kotlin bindings, compiles them with the idiomatic layer
# (android/fieldkit/src/main) and the tests (android/fieldkit/src/test) with kotlinc, and runs
# them with JUnit 5 against the real native library. The sync tests run against a real
# fieldkit-server (built here, started on a free 127.0.0.1 port with a throwaway data dir and
# a random admin token, stopped on exit). Installs what is missing: kotlinc (npm package
# kotlin-compiler, cached in android/.tools), JNA and JUnit 5 (Debian packages).
#
#   bash .ci/kotlin-tests.sh                  # build, generate, compile, test
#   bash .ci/kotlin-tests.sh --generate-only  # only (re)generate Kotlin and Swift bindings
#   bash .ci/kotlin-tests.sh --bench          # release build; answer_step Kotlin vs Rust; size
#
# Outputs: android/fieldkit/build/generated/uniffi/kotlin (Kotlin), ios/build/generated (Swift),
# android/fieldkit/build/jvm (jars). Honours CARGO_TARGET_DIR. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-test}
case "$MODE" in test | --generate-only | --bench) ;; *)
    echo "usage: $0 [--generate-only | --bench]" >&2
    exit 2
    ;;
esac

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BUILD=$ROOT/android/fieldkit/build
GEN_KT=$BUILD/generated/uniffi/kotlin
GEN_SWIFT=$ROOT/ios/build/generated
JVM=$BUILD/jvm
t0=$(date +%s)
say() { echo "== $* (+$(($(date +%s) - t0))s)"; }
# shellcheck source=.ci/kotlin-tools.sh
source "$ROOT/.ci/kotlin-tools.sh"

# --- native library and bindings ---------------------------------------------------------
# One cargo invocation builds the library and the generator with the same features, so
# neither rebuilds the other (see TOOLCHAIN.md on feature unification). Called by
# .ci/test-all.sh after the workspace's tests were built with the generator's feature
# (FIELDKIT_WORKSPACE_BUILD=1): then the same workspace-wide build (features unified across
# every package and its tests, as `cargo test --workspace` unified them) finds everything
# built already, the server included, instead of building the library and the server
# again with other features. The tests call the `demo_*` and `bench_*` functions, so the
# library is built with the `demo` feature (the shipped one is not: .ci/ffi-symbols.sh), and
# the bindings are generated from that same library (uniffi checks every function's checksum
# when the library loads, so bindings and library must have the same features).
if [[ ${FIELDKIT_WORKSPACE_BUILD:-} == 1 ]]; then
    CARGO_BUILD=(cargo build --quiet --workspace --features "fieldkit-ffi/cli,fieldkit-ffi/demo,fieldkit-server/s3" --lib --bins --tests)
else
    CARGO_BUILD=(cargo build --quiet -p fieldkit-ffi --features "cli,demo" --lib --bin uniffi-bindgen)
fi
say "cargo build (host library + uniffi-bindgen)"
"${CARGO_BUILD[@]}"
LIB=$TARGET/debug/libfieldkit_ffi.so
BINDGEN=$TARGET/debug/uniffi-bindgen

generate() {
    local lang=$1 out=$2
    rm -rf "$out" && mkdir -p "$out"
    "$BINDGEN" generate "$LIB" --language "$lang" --out-dir "$out" --no-format >/dev/null
}
say "generate Kotlin -> ${GEN_KT#"$ROOT"/}"
generate kotlin "$GEN_KT"
if [[ $MODE == --generate-only ]]; then
    say "generate Swift -> ${GEN_SWIFT#"$ROOT"/}"
    generate swift "$GEN_SWIFT"
    exit 0
fi

LIBDIR=$TARGET/debug
if [[ $MODE == --bench ]]; then
    say "cargo build --release (host library)"
    # With `demo`, like the bindings generated above: the benchmark calls bench_answer_step_in_rust.
    cargo build --quiet --release -p fieldkit-ffi --features demo --lib
    LIBDIR=$TARGET/release
fi

# --- Kotlin ------------------------------------------------------------------------------
# shellcheck disable=SC2119 # no extra packages here
install_apt
install_kotlinc
mkdir -p "$JVM"

compile "$JVM/fieldkit.jar" "$RUNTIME_CP" "$GEN_KT" "$ROOT/android/fieldkit/src/main/kotlin"
# The tests see the library's `internal` declarations (the crossing benchmark times the
# generated bindings' own layers).
KOTLIN_FRIENDS=$JVM/fieldkit.jar compile "$JVM/fieldkit-tests.jar" "$RUNTIME_CP:$JVM/fieldkit.jar:$JUNIT_JAR" "$ROOT/android/fieldkit/src/test/kotlin"

CP=$RUNTIME_CP:$JVM/fieldkit.jar:$JVM/fieldkit-tests.jar
# A fixed, pre-touched heap: the leak test reads RSS, which must not move with heap growth.
JAVA_OPTS=(-Djna.library.path="$LIBDIR" -Djava.awt.headless=true -Xms256m -Xmx256m -XX:+AlwaysPreTouch)

if [[ $MODE == --bench ]]; then
    say "benchmark (release library)"
    java "${JAVA_OPTS[@]}" -cp "$CP" app.fieldkit.bench.AnswerStepBenchKt
    java "${JAVA_OPTS[@]}" -cp "$CP" app.fieldkit.bench.CrossingBenchKt
    stripped=$(mktemp)
    strip -o "$stripped" "$LIBDIR/libfieldkit_ffi.so"
    echo "host release library (with the demo feature): $(stat -c %s "$LIBDIR/libfieldkit_ffi.so") bytes, stripped $(stat -c %s "$stripped") bytes ($(numfmt --to=iec "$(stat -c %s "$stripped")"))"
    rm -f "$stripped"
    exit 0
fi

# --- the sync server ---------------------------------------------------------------------
say "cargo build (fieldkit-server)"
if [[ ${FIELDKIT_WORKSPACE_BUILD:-} == 1 ]]; then
    "${CARGO_BUILD[@]}"
else
    cargo build --quiet -p fieldkit-server --bin fieldkit-server
fi
SERVER_DIR=$(mktemp -d)
SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$SERVER_DIR"
}
trap stop_server EXIT
# Plain bash (no curl, no python on a fresh machine): a port nobody answers on, and
# /healthz answering 200.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        ({ exec 3<>"/dev/tcp/127.0.0.1/$p"; } 2>/dev/null) || { echo "$p"; return; }
    done
}
healthy() {
    local status
    status=$(
        { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || exit 1
        printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        head -1 <&3
    ) 2>/dev/null || return 1
    [[ $status == *" 200"* ]]
}
ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
for try in 1 2 3; do
    PORT=$(free_port)
    SERVER_URL=http://127.0.0.1:$PORT
    "$TARGET/debug/fieldkit-server" --listen "127.0.0.1:$PORT" --data-dir "$SERVER_DIR/data" \
        --admin-token "$ADMIN_TOKEN" --service-hotline 400-820-8820 >"$SERVER_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        healthy && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if healthy; then break; fi
    # The port was taken meanwhile, or the server did not come up: show why, try again.
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    tail -5 "$SERVER_DIR/server.log" >&2
    ((try < 3)) || { echo "fieldkit-server did not start" >&2; exit 1; }
done
say "fieldkit-server on $SERVER_URL"
# The TLS tests start their own server (HTTPS, with a certificate they make) from this binary.
JAVA_OPTS+=(-Dfieldkit.server.url="$SERVER_URL" -Dfieldkit.admin.token="$ADMIN_TOKEN"
    -Dfieldkit.server.bin="$TARGET/debug/fieldkit-server")

say "JUnit"
LOG=$JVM/junit.log
set +e
java "${JAVA_OPTS[@]}" -jar "$JUNIT_JAR" --disable-banner --details=tree \
    -cp "$CP" --scan-class-path "$JVM/fieldkit-tests.jar" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
# The launcher's summary lines: "[ N tests successful ]", "[ N tests failed ]", "[ N tests skipped ]".
count() { sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 .*/\1/p" "$LOG" | tail -1; }
passed=$(count successful) failed=$(count failed) skipped=$(count skipped)
say "done"
echo "${passed:-0} passed, ${failed:-0} failed (${skipped:-0} skipped)"
if ((status != 0 || ${failed:-1} != 0 || ${passed:-0} == 0)); then
    echo "-- fieldkit-server log (last 20 lines):" && tail -20 "$SERVER_DIR/server.log"
    exit 1
fi
