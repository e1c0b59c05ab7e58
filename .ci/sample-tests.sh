#!/usr/bin/env bash
# The Android sample's logic on the desktop JVM, and the Android build's packaging rules.
#  1. Compiles the sample's plain-Kotlin logic (android/sample/src/main/kotlin/app/fieldkit/
#     sample/logic: no Android types, so a stray android.* import fails here) and its tests
#     with kotlinc against the library layer (android/fieldkit/build/jvm/fieldkit.jar), and
#     runs them with JUnit 5 against the real native library.
#  2. Checks what the Gradle build cannot be run here to check (no Android SDK): the Android
#     libraries are linked for 16 KB pages on all four ABIs (the flag from the Gradle file,
#     applied to a real link, read back with readelf), JNA >= 5.17, minSdk 26, the INTERNET
#     permission, the camera's FileProvider, the wrapper's pinned distribution.
# Runs after .ci/kotlin-tests.sh (which builds fieldkit.jar); standalone, it builds what is
# missing the same way. Installs kotlinc (npm), JNA and JUnit 5 (Debian) like that script.
# Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEN_KT=$ROOT/android/fieldkit/build/generated/uniffi/kotlin
JVM=$ROOT/android/fieldkit/build/jvm
OUT=$ROOT/android/sample/build/jvm
LOGIC=$ROOT/android/sample/src/main/kotlin/app/fieldkit/sample/logic
LOGIC_TESTS=$ROOT/android/sample/src/test/kotlin
t0=$(date +%s)
say() { echo "== $* (+$(($(date +%s) - t0))s)"; }
# shellcheck source=.ci/kotlin-tools.sh
source "$ROOT/.ci/kotlin-tools.sh"

# --- tools (.ci/kotlin-tools.sh; readelf for the 16 KB check) ----------------------------
extra=()
command -v readelf >/dev/null || extra+=(binutils)
install_apt "${extra[@]}"
install_kotlinc

# --- the library layer: reuse kotlin-tests.sh's build, or make it the same way -------------
if [[ ! -f $TARGET/debug/libfieldkit_ffi.so || ! -d $GEN_KT ]]; then
    say "host library or bindings missing: bash .ci/kotlin-tests.sh --generate-only"
    bash .ci/kotlin-tests.sh --generate-only
fi
compile "$JVM/fieldkit.jar" "$RUNTIME_CP" "$GEN_KT" "$ROOT/android/fieldkit/src/main/kotlin"

# --- the sample's logic and its tests -------------------------------------------------------
compile "$OUT/sample-logic.jar" "$RUNTIME_CP:$JVM/fieldkit.jar" "$LOGIC"
compile "$OUT/sample-tests.jar" "$RUNTIME_CP:$JVM/fieldkit.jar:$OUT/sample-logic.jar:$JUNIT_JAR" "$LOGIC_TESTS"

say "JUnit"
LOG=$OUT/junit.log
set +e
java -Djna.library.path="$TARGET/debug" -Djava.awt.headless=true -jar "$JUNIT_JAR" --disable-banner --details=tree \
    -cp "$RUNTIME_CP:$JVM/fieldkit.jar:$OUT/sample-logic.jar:$OUT/sample-tests.jar" \
    --scan-class-path "$OUT/sample-tests.jar" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
count() { sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 .*/\1/p" "$LOG" | tail -1; }
passed=$(count successful) failed=$(count failed) skipped=$(count skipped)
passed=${passed:-0} failed=${failed:-0}
((status == 0)) || ((failed > 0)) || failed=1 # the launcher failed without counting a test

# --- packaging checks ----------------------------------------------------------------------
say "packaging checks"
A=$ROOT/android
LIB_GRADLE=$A/fieldkit/build.gradle.kts
check() { # check NAME COMMAND...: one line per check, counted with the tests
    local name=$1
    shift
    if "$@"; then
        echo "  ok    $name"
        passed=$((passed + 1))
    else
        echo "  FAIL  $name"
        failed=$((failed + 1))
    fi
}
has() { grep -qE -- "$2" "$1"; }
lacks() { ! grep -qE -- "$2" "$1"; }

# The flag as the Gradle file passes it, and every ABI's Rust target wired to it.
FLAG=$(sed -n 's/^val pageAlignRustflags = "\(.*\)"$/\1/p' "$LIB_GRADLE")
flag_is_16k() { [[ $FLAG == *"max-page-size=16384"* ]]; }
all_abis_mapped() {
    local pair
    for pair in 'arm64-v8a" to "aarch64-linux-android' 'armeabi-v7a" to "armv7-linux-androideabi' \
        'x86_64" to "x86_64-linux-android' 'x86" to "i686-linux-android'; do
        grep -qF -- "\"$pair\"" "$LIB_GRADLE" || { echo "    missing: $pair"; return 1; }
    done
    # shellcheck disable=SC2016 # a Kotlin template, matched literally
    grep -qF 'environment("CARGO_TARGET_${triple}_RUSTFLAGS", pageAlignRustflags)' "$LIB_GRADLE"
}
all_abis_built() {
    local abis
    abis=$(sed -n 's/^fieldkit\.abis=//p' "$A/gradle.properties")
    for abi in arm64-v8a armeabi-v7a x86_64 x86; do
        [[ ,$abis, == *",$abi,"* ]] || { echo "    fieldkit.abis lacks $abi"; return 1; }
    done
}
# A real link with that flag (host linker; the NDK's clang takes the same -Wl option), read
# back: every LOAD segment must be aligned to at least 16 KB.
linked_16k() {
    local dir
    dir=$(mktemp -d)
    echo '#[unsafe(no_mangle)] pub extern "C" fn fieldkit_probe() -> i32 { 16384 }' >"$dir/probe.rs"
    local n=0 bad=0 align
    # shellcheck disable=SC2086 # the flag is a list of rustc arguments
    rustc --edition 2024 --crate-type cdylib -O $FLAG -o "$dir/libprobe.so" "$dir/probe.rs" || { rm -rf "$dir"; return 1; }
    while read -r align; do
        n=$((n + 1))
        ((align >= 16384)) || { bad=$((bad + 1)); echo "    LOAD align $(printf '0x%x' "$align")"; }
    done < <(readelf -lW "$dir/libprobe.so" | awk '$1 == "LOAD" { print $NF }')
    echo "    $n LOAD segments, $bad aligned under 0x4000"
    rm -rf "$dir"
    ((n > 0 && bad == 0))
}
jna_at_least_5_17() {
    local v
    v=$(sed -n 's/^jna = "\([0-9.]*\)"$/\1/p' "$A/gradle/libs.versions.toml")
    [[ -n $v ]] && printf '5.17.0\n%s\n' "$v" | sort -V -C
}
check "Gradle passes -z max-page-size=16384 to cargo" flag_is_16k
check "all four ABIs' Rust targets get the flag" all_abis_mapped
check "fieldkit.abis builds all four ABIs" all_abis_built
check "a library linked with the flag has 16 KB-aligned LOAD segments" linked_16k
check "JNA >= 5.17 (16 KB-aligned libjnidispatch)" jna_at_least_5_17
check "JNA is the AAR in the library" has "$LIB_GRADLE" 'implementation\("\$\{libs\.jna\.get\(\)\}@aar"\)'
check "minSdk 26 in the library" has "$LIB_GRADLE" '^val minSdkVersion = 26'
check "minSdk 26 in the sample" has "$A/sample/build.gradle.kts" 'minSdk = 26'
check "the library's manifest asks for INTERNET" has "$A/fieldkit/src/main/AndroidManifest.xml" 'android.permission.INTERNET'
check "the sample's manifest asks for INTERNET" has "$A/sample/src/main/AndroidManifest.xml" 'android.permission.INTERNET'
check "the sample declares the camera's FileProvider" has "$A/sample/src/main/AndroidManifest.xml" 'androidx.core.content.FileProvider'
check "the FileProvider shares the photo cache" has "$A/sample/src/main/res/xml/file_paths.xml" '<cache-path [^>]*path="photos/"'
check "the camera takes full-size photos (no TakePicturePreview)" \
    lacks "$A/sample/src/main/kotlin/app/fieldkit/sample/MainActivity.kt" 'TakePicturePreview'
check "the Gradle build runs no shell script" lacks "$LIB_GRADLE" '"bash"|\.sh"'
check "the host library's name per OS" has "$LIB_GRADLE" 'libfieldkit_ffi\.dylib'
check "the wrapper pins its distribution" has "$A/gradle/wrapper/gradle-wrapper.properties" '^distributionSha256Sum=[0-9a-f]{64}$'
check "the foojay toolchain resolver" has "$A/settings.gradle.kts" 'org\.gradle\.toolchains\.foojay-resolver-convention'
check "published as app.fieldkit:fieldkit-android" has "$LIB_GRADLE" 'artifactId = "fieldkit-android"'

say "done"
echo "$passed passed, $failed failed (${skipped:-0} skipped)"
((failed == 0 && passed > 0))
