// The `fieldkit` Android library, published as app.fieldkit:fieldkit-android: the uniffi
// bindings (generated at build time from the host library by the workspace's pinned
// uniffi-bindgen), the idiomatic Kotlin layer (src/main, plain JVM), Android-only helpers
// (src/android), and libfieldkit_ffi.so per ABI built by cargo-ndk, 16 KB-page aligned.
// Runs on Linux, macOS and Windows: no shell scripts, the host library's name per OS.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
    `maven-publish`
}

group = "app.fieldkit"
version = providers.gradleProperty("fieldkit.version").get()

val repoRoot: File = rootDir.parentFile
val cargoTarget: File = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: repoRoot.resolve("target")
val generatedKotlin = layout.buildDirectory.dir("generated/uniffi/kotlin")
val generatedJniLibs = layout.buildDirectory.dir("generated/jniLibs")
val rustSources = listOf("bindings/src", "bindings/Cargo.toml", "bindings/uniffi.toml", "core/src", "core/Cargo.toml", "Cargo.toml", "Cargo.lock")
    .map(repoRoot::resolve)

/** The host's library and executable names: the JVM unit tests load the host library. */
object Host {
    private val os = System.getProperty("os.name").lowercase()
    val windows = os.startsWith("windows")
    val mac = os.startsWith("mac")
    val libraryFile = when {
        windows -> "fieldkit_ffi.dll"
        mac -> "libfieldkit_ffi.dylib"
        else -> "libfieldkit_ffi.so"
    }
    val exe = if (windows) ".exe" else ""
}
val hostDebugDir = cargoTarget.resolve("debug")

/**
 * Android ABI → Rust target. Every Android library is linked for 16 KB pages (Android 15+
 * devices may use them; Google Play requires it for apps targeting them): the flag goes to
 * each target's rustflags, which cargo-ndk leaves alone (it only sets the linker).
 */
val rustTargets = mapOf(
    "arm64-v8a" to "aarch64-linux-android",
    "armeabi-v7a" to "armv7-linux-androideabi",
    "x86_64" to "x86_64-linux-android",
    "x86" to "i686-linux-android",
)
val pageAlignRustflags = "-C link-arg=-Wl,-z,max-page-size=16384"
val abis = providers.gradleProperty("fieldkit.abis").get().split(",").map(String::trim).filter(String::isNotEmpty)
val minSdkVersion = 26 // java.time and java.nio.file (used by the Kotlin layer) need API 26
/**
 * `-Pfieldkit.demo=true`: the library with the demo data and walks (`demo_*`), which the unit
 * tests and the sample use. The host and the Android builds take the same features (uniffi
 * checks each function's checksum at load); a published AAR never has them.
 */
val demo = providers.gradleProperty("fieldkit.demo").map(String::toBoolean).getOrElse(false)
/**
 * The Android libraries also take `vendored-openssl`: SQLCipher's crypto from an OpenSSL built
 * from source and linked in (Android has no libcrypto an app may link). It exports nothing, so
 * the host library, built without it, carries the same checksums.
 */
val ffiFeatures = listOf("--features", if (demo) "demo,vendored-openssl" else "vendored-openssl")

/** The host library and the generator, with the same features as CI (nothing rebuilt twice). */
val cargoHost by tasks.registering(Exec::class) {
    group = "fieldkit"
    description = "Builds the host library (${Host.libraryFile}) and uniffi-bindgen."
    workingDir = repoRoot
    commandLine("cargo", "build", "-p", "fieldkit-ffi", "--features", if (demo) "cli,demo" else "cli", "--lib", "--bin", "uniffi-bindgen")
    inputs.files(rustSources)
    inputs.property("demo", demo)
    outputs.file(hostDebugDir.resolve(Host.libraryFile))
    outputs.file(hostDebugDir.resolve("uniffi-bindgen${Host.exe}"))
}

/** The Kotlin bindings (package app.fieldkit.ffi) from the host library, in library mode. */
val generateBindings by tasks.registering(Exec::class) {
    group = "fieldkit"
    description = "Generates the Kotlin bindings with the workspace's pinned uniffi-bindgen."
    dependsOn(cargoHost)
    val out = generatedKotlin.get().asFile
    workingDir = repoRoot // the generator runs `cargo metadata`
    commandLine(
        hostDebugDir.resolve("uniffi-bindgen${Host.exe}").path, "generate",
        hostDebugDir.resolve(Host.libraryFile).path,
        "--language", "kotlin", "--out-dir", out.path, "--no-format",
    )
    inputs.files(rustSources)
    outputs.dir(out)
    doFirst { out.deleteRecursively(); out.mkdirs() }
}

/** libfieldkit_ffi.so for every ABI in `fieldkit.abis` (needs cargo-ndk and ANDROID_NDK_HOME). */
val cargoNdk by tasks.registering(Exec::class) {
    group = "fieldkit"
    description = "Builds the native library for ${abis.joinToString()} with cargo-ndk, 16 KB-page aligned."
    workingDir = repoRoot
    val unknown = abis - rustTargets.keys
    require(unknown.isEmpty()) { "fieldkit.abis: unknown ABI $unknown (known: ${rustTargets.keys})" }
    abis.forEach { abi ->
        val triple = rustTargets.getValue(abi).uppercase().replace('-', '_')
        environment("CARGO_TARGET_${triple}_RUSTFLAGS", pageAlignRustflags)
    }
    doFirst {
        // Either would replace the per-target flags above, and the alignment would be lost.
        listOf("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS").forEach {
            if (!System.getenv(it).isNullOrEmpty()) throw GradleException("unset $it: it overrides the 16 KB page-size flag of the Android builds")
        }
    }
    commandLine(
        listOf("cargo", "ndk", "--platform", "$minSdkVersion", "-o", generatedJniLibs.get().asFile.path) +
            abis.flatMap { listOf("-t", it) } +
            listOf("build", "--release", "-p", "fieldkit-ffi", "--lib") + ffiFeatures,
    )
    inputs.files(rustSources)
    inputs.property("demo", demo)
    inputs.property("abis", abis)
    inputs.property("rustflags", pageAlignRustflags)
    outputs.dir(generatedJniLibs)
}

android {
    namespace = "app.fieldkit"
    compileSdk = 36
    defaultConfig {
        minSdk = minSdkVersion
        consumerProguardFiles("consumer-rules.pro")
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    sourceSets["main"].apply {
        java.srcDirs("src/main/kotlin", "src/android/kotlin", generatedKotlin)
        jniLibs.srcDir(generatedJniLibs)
    }
    sourceSets["test"].java.srcDirs("src/test/kotlin")
    testOptions.unitTests.all {
        it.useJUnitPlatform()
        it.systemProperty("jna.library.path", hostDebugDir.path)
        it.systemProperty("java.awt.headless", "true")
        // As .ci/kotlin-tests.sh: a fixed, pre-touched heap, so the leak test's RSS reading
        // does not move with heap growth.
        it.jvmArgs("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch")
        it.dependsOn(cargoHost)
    }
    publishing {
        singleVariant("release") { withSourcesJar() }
    }
}

kotlin { jvmToolchain(17) }

tasks.named("preBuild") { dependsOn(generateBindings, cargoNdk) }
// Tasks that read the generated sources but may not run after preBuild (the published
// sources jar, lint): without the dependency Gradle refuses the undeclared use of an output.
tasks.matching { (it.name.startsWith("source") && it.name.endsWith("Jar")) || it.name.startsWith("lint") }
    .configureEach { dependsOn(generateBindings) }

dependencies {
    implementation(libs.kotlinx.coroutines.android)
    // The AAR (its libjnidispatch.so per ABI); the JVM unit tests use the jar.
    implementation("${libs.jna.get()}@aar")
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}

// A library with the demo exports is for tests and the sample only: never published.
tasks.matching { it.name.startsWith("publish") }.configureEach {
    doFirst { if (demo) throw GradleException("fieldkit.demo=true builds the demo exports in: publish without it") }
}

// `./gradlew :fieldkit:publishToMavenLocal` → ~/.m2/repository/app/fieldkit/fieldkit-android/<version>
publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "app.fieldkit"
            artifactId = "fieldkit-android"
            version = project.version.toString()
            afterEvaluate { from(components["release"]) }
            pom {
                name.set("FieldKit for Android")
                description.set("The FieldKit core (Rust) for Android: Kotlin API, uniffi bindings, native libraries per ABI.")
            }
        }
    }
}
