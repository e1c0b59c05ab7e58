# Sourced by .ci/kotlin-tests.sh and .ci/sample-tests.sh: the Kotlin toolchain both use
# (kotlinc from the npm package kotlin-compiler, cached in android/.tools; JNA and JUnit 5 from
# Debian) and the stamped compile step, so either script reuses the other's jars. Needs ROOT
# and say() from the caller. Defines KOTLIN_VERSION, KOTLIN_HOME, JNA_JAR, JUNIT_JAR,
# install_apt, install_kotlinc, RUNTIME_CP (after install_kotlinc) and compile.
# shellcheck shell=bash

KOTLIN_VERSION=2.4.20
TOOLS=$ROOT/android/.tools
KOTLIN_HOME=$TOOLS/kotlinc-$KOTLIN_VERSION
JNA_JAR=/usr/share/java/jna.jar
JUNIT_JAR=/usr/share/java/junit-platform-console-standalone.jar
KLIB=$KOTLIN_HOME/lib
# shellcheck disable=SC2034 # used by the scripts that source this file
RUNTIME_CP=$KLIB/kotlin-stdlib.jar:$KLIB/kotlinx-coroutines-core-jvm.jar:$KLIB/kotlin-test.jar:$KLIB/kotlin-test-junit5.jar:$JNA_JAR

# Installs JNA and JUnit 5 when missing, and the Debian packages given as arguments.
install_apt() {
    local missing=("$@")
    [[ -f $JNA_JAR ]] || missing+=(libjna-java)
    [[ -f $JUNIT_JAR ]] || missing+=(junit5)
    ((${#missing[@]})) || return 0
    say "apt: installing ${missing[*]}"
    local sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" ||
        { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; }
}

install_kotlinc() {
    [[ -x $KOTLIN_HOME/bin/kotlinc ]] && return 0
    say "npm: kotlin-compiler@$KOTLIN_VERSION"
    mkdir -p "$TOOLS"
    local tgz
    tgz=$(cd "$TOOLS" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" | tail -1)
    rm -rf "$KOTLIN_HOME.tmp" && mkdir -p "$KOTLIN_HOME.tmp"
    tar xzf "$TOOLS/$tgz" --strip-components=1 -C "$KOTLIN_HOME.tmp"
    chmod +x "$KOTLIN_HOME.tmp"/bin/*
    rm -f "$TOOLS/$tgz"
    mv "$KOTLIN_HOME.tmp" "$KOTLIN_HOME"
}

# compile JAR CLASSPATH SOURCES...: compiles the sources into the jar unless the jar was built
# from exactly these inputs (the stamp beside it). With KOTLIN_FRIENDS=<jar> the sources see
# that jar's `internal` declarations, as a Gradle test source set sees its main one's.
compile() {
    local jar=$1 cp=$2
    shift 2
    local stamp friends=()
    if [[ -n ${KOTLIN_FRIENDS:-} ]]; then friends=("-Xfriend-paths=$KOTLIN_FRIENDS"); fi
    stamp=$({
        echo "$KOTLIN_VERSION $cp ${friends[*]}"
        find "$@" -name '*.kt' -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -d' ' -f1)
    if [[ -f $jar && -f $jar.stamp && $(cat "$jar.stamp") == "$stamp" ]]; then
        say "kotlinc: ${jar##*/} up to date"
        return 0
    fi
    say "kotlinc: ${jar##*/}"
    rm -f "$jar" "$jar.stamp"
    mkdir -p "$(dirname "$jar")"
    "$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -nowarn "${friends[@]}" -cp "$cp" -d "$jar" "$@"
    echo "$stamp" >"$jar.stamp"
}
