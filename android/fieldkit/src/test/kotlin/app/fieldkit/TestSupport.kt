// Shared by the JVM tests: a fresh database per test, the demo order and van stock, a real
// JPEG made by the JVM's own encoder.
package app.fieldkit

import app.fieldkit.ffi.CallConfirmations
import app.fieldkit.ffi.CallOutcome
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO

object TestSupport {
    fun tempDir(prefix: String): File = Files.createTempDirectory("fieldkit-$prefix-").toFile().also { it.deleteOnExit() }

    /** A fresh database with the demo van stock and one repair order (assigned). */
    fun kitWithOrder(prefix: String, number: Int = 1): Pair<FieldKitClient, String> {
        val client = FieldKitClient.open(tempDir(prefix))
        demoStockTheVan(client.raw)
        val order = demoRepairOrder(number, false)
        client.raw.receiveWorkOrder(order)
        return client to order.id
    }

    val callReached = CallOutcome(
        reached = true,
        confirmed = CallConfirmations(address = true, phone = true, name = true, timeWindow = true, productModel = true),
        agreed = null,
        note = null,
    )

    /** A real JPEG encoded by the JVM (ImageIO), 120×80, a colour gradient. */
    fun jvmJpeg(): ByteArray {
        val img = BufferedImage(120, 80, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 80) for (x in 0 until 120) img.setRGB(x, y, (x * 2 shl 16) or (y * 3 shl 8) or (x + y))
        val out = ByteArrayOutputStream()
        check(ImageIO.write(img, "jpg", out)) { "no JPEG writer in this JVM" }
        return out.toByteArray()
    }

    fun procStatus(key: String): Long =
        File("/proc/self/status").readLines().first { it.startsWith("$key:") }
            .split(Regex("\\s+"))[1].toLong()

    fun openFds(): Int = File("/proc/self/fd").list()?.size ?: -1
}
