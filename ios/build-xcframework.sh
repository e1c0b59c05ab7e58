#!/usr/bin/env bash
# Builds the iOS XCFramework of the FieldKit core and the Swift bindings (macOS + Xcode):
#   build/FieldKitFFI.xcframework   iOS device (arm64), iOS simulator (arm64 + x86_64) and
#                                   macOS (arm64 + x86_64, for `swift test`) static libs, each
#                                   with FieldKitFFI.h and module.modulemap from uniffi
#   Sources/FieldKitBindings/FieldKitBindings.swift   the generated Swift
# Then `swift build` / `swift test` (macOS host) or add the package in Xcode.
#   bash ios/build-xcframework.sh [--debug]
#   FIELDKIT_DEMO=1 bash ios/build-xcframework.sh   # with the demo exports (demo_*), which the
#                                   XCTests and the sample use; never for an app you ship
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROFILE=release
[[ ${1:-} == --debug ]] && PROFILE=debug
CARGO_PROFILE=()
[[ $PROFILE == release ]] && CARGO_PROFILE=(--release)
# The host library (bindings) and every slice take the same features: uniffi checks each
# function's checksum when the library loads.
FEATURES=()
HOST_FEATURES=cli
if [[ ${FIELDKIT_DEMO:-} == 1 ]]; then
    FEATURES=(--features demo)
    HOST_FEATURES=cli,demo
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$ROOT/ios/build
GEN=$OUT/generated
DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)
MACS=(aarch64-apple-darwin x86_64-apple-darwin)

rustup target add "$DEVICE" "${SIMS[@]}" "${MACS[@]}"
# The same minimum OS versions as Package.swift's platforms, for rustc and for the C code
# (bundled SQLite, ring) that cc compiles: otherwise the linker warns of objects built for a
# newer OS than the app's.
export IPHONEOS_DEPLOYMENT_TARGET=15.0 MACOSX_DEPLOYMENT_TARGET=12.0

# 1. The generator and a host library to generate from (library mode reads its metadata).
cargo build -p fieldkit-ffi --features "$HOST_FEATURES" --lib --bin uniffi-bindgen
HOST_LIB=$TARGET/debug/libfieldkit_ffi.dylib
[[ -f $HOST_LIB ]] || HOST_LIB=$TARGET/debug/libfieldkit_ffi.so
rm -rf "$GEN" && mkdir -p "$GEN"
"$TARGET/debug/uniffi-bindgen" generate "$HOST_LIB" --language swift --out-dir "$GEN" --no-format

# 2. Static libraries per slice.
for t in "$DEVICE" "${SIMS[@]}" "${MACS[@]}"; do
    cargo build -p fieldkit-ffi --lib "${CARGO_PROFILE[@]}" "${FEATURES[@]}" --target "$t"
done
mkdir -p "$OUT/sim" "$OUT/macos"
lipo -create -output "$OUT/sim/libfieldkit_ffi.a" \
    "$TARGET/${SIMS[0]}/$PROFILE/libfieldkit_ffi.a" "$TARGET/${SIMS[1]}/$PROFILE/libfieldkit_ffi.a"
lipo -create -output "$OUT/macos/libfieldkit_ffi.a" \
    "$TARGET/${MACS[0]}/$PROFILE/libfieldkit_ffi.a" "$TARGET/${MACS[1]}/$PROFILE/libfieldkit_ffi.a"

# 3. Headers + modulemap (the module map must be called module.modulemap).
HEADERS=$OUT/headers
rm -rf "$HEADERS" && mkdir -p "$HEADERS"
cp "$GEN/FieldKitFFI.h" "$HEADERS/"
cp "$GEN/FieldKitFFI.modulemap" "$HEADERS/module.modulemap"

rm -rf "$OUT/FieldKitFFI.xcframework"
xcodebuild -create-xcframework \
    -library "$TARGET/$DEVICE/$PROFILE/libfieldkit_ffi.a" -headers "$HEADERS" \
    -library "$OUT/sim/libfieldkit_ffi.a" -headers "$HEADERS" \
    -library "$OUT/macos/libfieldkit_ffi.a" -headers "$HEADERS" \
    -output "$OUT/FieldKitFFI.xcframework"

# 4. The generated Swift goes into its own target.
cp "$GEN/FieldKitBindings.swift" "$ROOT/ios/Sources/FieldKitBindings/FieldKitBindings.swift"
echo "built $OUT/FieldKitFFI.xcframework and ios/Sources/FieldKitBindings/FieldKitBindings.swift"
