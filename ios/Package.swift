// swift-tools-version:5.9
// FieldKit for iOS: the Rust core as an XCFramework (C module `FieldKitFFI`), the generated
// uniffi Swift (`FieldKitBindings`) and a thin Swift layer (`FieldKit`: async/await,
// AsyncStream). Run `bash ios/build-xcframework.sh` on a Mac first: it produces
// build/FieldKitFFI.xcframework and Sources/FieldKitBindings/FieldKitBindings.swift.
import PackageDescription

let package = Package(
    name: "FieldKit",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "FieldKit", targets: ["FieldKit"]),
    ],
    targets: [
        // Local build; a release would use .binaryTarget(name:url:checksum:) instead.
        .binaryTarget(name: "FieldKitFFI", path: "build/FieldKitFFI.xcframework"),
        .target(
            name: "FieldKitBindings",
            dependencies: ["FieldKitFFI"],
            exclude: ["README.md"],
            // The static library's system dependencies (a static library carries no link
            // commands of its own): HTTPS certificate checks go through the platform verifier
            // (rustls-platform-verifier → security-framework), which needs Security and
            // CoreFoundation.
            linkerSettings: [.linkedFramework("Security"), .linkedFramework("CoreFoundation")]
        ),
        .target(
            name: "FieldKit",
            dependencies: ["FieldKitBindings"],
            // The privacy manifest of the code this package puts in the app (the bundled SQLite).
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
        .testTarget(name: "FieldKitTests", dependencies: ["FieldKit"]),
    ]
)
