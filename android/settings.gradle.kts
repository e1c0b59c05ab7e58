// The FieldKit Android build: the `fieldkit` library (bindings + Kotlin layer + native libs,
// published as app.fieldkit:fieldkit-android) and the `sample` Compose app.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
plugins {
    // Downloads the JDK 17 that `jvmToolchain(17)` asks for when the machine has none.
    id("org.gradle.toolchains.foojay-resolver-convention") version "1.0.0"
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "fieldkit-android"
include(":fieldkit", ":sample")
