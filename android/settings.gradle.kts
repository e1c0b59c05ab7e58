// The FieldKit Android build: the `fieldkit` library (bindings + Kotlin layer + native libs)
// and the `sample` Compose app.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
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
