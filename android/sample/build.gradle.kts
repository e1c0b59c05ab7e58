// The sample app: today's jobs, the checklist step by step, full-size camera photo, signature
// pad, enrolment and sync. Its logic (src/main/kotlin/app/fieldkit/sample/logic) is plain
// Kotlin, tested on the JVM against the real library by .ci/sample-tests.sh (and by
// `./gradlew :sample:testDebugUnitTest`).
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "app.fieldkit.sample"
    compileSdk = 36
    defaultConfig {
        applicationId = "app.fieldkit.sample"
        minSdk = 26 // the library's: java.time and java.nio.file
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin")
    sourceSets["test"].java.srcDirs("src/test/kotlin")
    buildFeatures { compose = true }
    testOptions.unitTests.all {
        it.useJUnitPlatform()
        // The host library the library's own unit tests load (built by :fieldkit:cargoHost).
        val cargoTarget = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: rootDir.parentFile.resolve("target")
        it.systemProperty("jna.library.path", cargoTarget.resolve("debug").path)
        it.dependsOn(":fieldkit:cargoHost")
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation(project(":fieldkit"))
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.activity.compose)
    implementation(libs.androidx.core)
    implementation(libs.lifecycle.viewmodel.compose)
    implementation(libs.lifecycle.runtime.compose)
    implementation(libs.kotlinx.coroutines.android)
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
