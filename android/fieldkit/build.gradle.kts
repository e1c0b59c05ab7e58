// The `fieldkit` Android library: generated uniffi bindings (made at build time from the host
// library by the pinned uniffi-bindgen), the idiomatic Kotlin layer (src/main, plain JVM),
// Android-only helpers (src/android), and libfieldkit_ffi.so per ABI built by cargo-ndk.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repoRoot: File = rootDir.parentFile
val cargoTarget: String = System.getenv("CARGO_TARGET_DIR") ?: repoRoot.resolve("target").path
val generatedKotlin = layout.buildDirectory.dir("generated/uniffi/kotlin")
val generatedJniLibs = layout.buildDirectory.dir("generated/jniLibs")
val abis = providers.gradleProperty("fieldkit.abis").get().split(",").map(String::trim)
val rustSources = listOf("bindings/src", "bindings/Cargo.toml", "bindings/uniffi.toml", "core/src", "core/Cargo.toml", "Cargo.lock")
    .map(repoRoot::resolve)

/** Kotlin bindings, the same command CI uses (also writes the Swift ones). */
val generateBindings by tasks.registering(Exec::class) {
    group = "fieldkit"
    description = "Generates the Kotlin bindings with the workspace's pinned uniffi-bindgen."
    workingDir = repoRoot
    commandLine("bash", ".ci/kotlin-tests.sh", "--generate-only")
    inputs.files(rustSources)
    outputs.dir(generatedKotlin)
}

/** libfieldkit_ffi.so for every ABI (needs cargo-ndk and ANDROID_NDK_HOME). */
val cargoNdk by tasks.registering(Exec::class) {
    group = "fieldkit"
    description = "Builds the native library for ${abis.joinToString()} with cargo-ndk."
    workingDir = repoRoot
    commandLine(
        listOf("cargo", "ndk", "--platform", "24", "-o", generatedJniLibs.get().asFile.path) +
            abis.flatMap { listOf("-t", it) } +
            listOf("build", "--release", "-p", "fieldkit-ffi", "--lib"),
    )
    inputs.files(rustSources)
    outputs.dir(generatedJniLibs)
}

/** The host library for the JVM unit tests. */
val cargoHost by tasks.registering(Exec::class) {
    group = "fieldkit"
    workingDir = repoRoot
    commandLine("cargo", "build", "-p", "fieldkit-ffi", "--lib")
    inputs.files(rustSources)
    outputs.file("$cargoTarget/debug/libfieldkit_ffi.so")
}

android {
    namespace = "app.fieldkit"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
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
        it.systemProperty("jna.library.path", "$cargoTarget/debug")
        it.dependsOn(cargoHost)
    }
}

kotlin { jvmToolchain(17) }

tasks.named("preBuild") { dependsOn(generateBindings, cargoNdk) }

dependencies {
    implementation(libs.kotlinx.coroutines.android)
    implementation("${libs.jna.get()}@aar")
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
