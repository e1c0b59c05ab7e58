// The sample's Application: opens the app's one FieldKitClient as the process starts. One
// client per process (one SQLite writer, one sync at a time); it lives as long as the
// process, so nothing closes it.
package app.fieldkit.sample

import android.app.Application
import app.fieldkit.FieldKitClient
import app.fieldkit.android.open
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async

class SampleApp : Application() {
    /** Scope of work that outlives a screen (the open below). */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The app's FieldKit, opening off the main thread; screens `await()` it. */
    lateinit var kit: Deferred<FieldKitClient>
        private set

    override fun onCreate() {
        super.onCreate()
        kit = appScope.async(Dispatchers.IO) { FieldKitClient.open(this@SampleApp) }
    }
}
