// A fresh database per test, a controller over it on its own scope, and real JPEGs made by
// the JVM's encoder: the sample's logic runs against the real native library.
package app.fieldkit.sample.logic

import app.fieldkit.FieldKitClient
import app.fieldkit.ffi.KitConfig
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import java.time.LocalTime
import java.time.ZoneOffset
import javax.imageio.ImageIO
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking

class SampleFixture(kitOverride: Deferred<FieldKitClient>? = null) : AutoCloseable {
    val dir: File = Files.createTempDirectory("fieldkit-sample-").toFile()
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val client: FieldKitClient? = if (kitOverride == null) FieldKitClient.open(File(dir, "db"), testKey, morningConfig()) else null
    val kit: Deferred<FieldKitClient> = kitOverride ?: CompletableDeferred(client!!)
    val photoDir = File(dir, "cache/photos")
    val controller = VisitController(scope, kit, photoDir)

    val state get() = controller.state.value

    /** Starts the controller (demo job seeded) and waits for today's jobs. */
    fun started(): SampleFixture = also { done(controller.start()) }

    /** Waits for an action to finish; fails with the state's error if it set one. */
    fun ok(job: Job): VisitState {
        done(job)
        check(state.error == null) { "the action failed: ${state.error}" }
        return state
    }

    fun done(job: Job) = runBlocking { job.join() }

    /** Selects the (only) demo job. */
    fun selectDemoJob(): String {
        val id = state.jobs.single().id
        ok(controller.select(id))
        return id
    }

    override fun close() {
        scope.cancel()
        runCatching { client?.close() }
        dir.deleteRecursively()
    }

    companion object {
        /** The database key of the JVM tests (the app takes its own from the Keystore). */
        val testKey: ByteArray = ByteArray(32) { (it * 5 + 3).toByte() }

        /**
         * A device time zone in which it is mid-morning now: the demo order is promised from
         * now + 30 min, which late in the evening is already tomorrow, not in today's jobs.
         */
        fun morningConfig(): KitConfig {
            val now = LocalTime.now(ZoneOffset.UTC)
            var offset = 10 * 60 - (now.hour * 60 + now.minute)
            if (offset < -12 * 60) offset += 24 * 60
            return KitConfig(utcOffsetMinutes = offset)
        }

        /** A real JPEG of [width]×[height] (ImageIO), a colour gradient, written to [file]. */
        fun writeJpeg(file: File, width: Int, height: Int) {
            val img = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
            for (y in 0 until height) for (x in 0 until width) {
                img.setRGB(x, y, ((x * 255 / width) shl 16) or ((y * 255 / height) shl 8) or ((x + y) and 0xff))
            }
            file.parentFile.mkdirs()
            check(ImageIO.write(img, "jpg", file)) { "no JPEG writer in this JVM" }
        }
    }
}
