// The phone's data at rest through the Kotlin layer: with the key the client always passes,
// no file under the data dir holds the customer's name, phone or address; a wrong key is the
// typed WrongKey exception and changes no file; a plain database is encrypted once, keeping
// its jobs. (The Android Keystore provider itself needs a device: src/android.)
package app.fieldkit

import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.KitConfig
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import java.io.File
import java.security.MessageDigest
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class AtRestTest {
    private val customer = demoRepairOrder(1, false)

    private fun files(dir: File): List<File> = dir.walkTopDown().filter { it.isFile }.sortedBy { it.path }.toList()

    private fun hashes(dir: File): Map<String, String> = files(dir).associate { f ->
        f.path to MessageDigest.getInstance("SHA-256").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
    }

    /** The files under [dir] whose raw bytes contain the customer's name, phone or address. */
    private fun grep(dir: File): List<String> {
        val needles = listOf(customer.customerName, customer.customerPhone, customer.address).map { it.toByteArray() }
        return files(dir).filter { f ->
            val bytes = f.readBytes()
            needles.any { n -> (0..bytes.size - n.size).any { i -> (n.indices).all { bytes[i + it] == n[it] } } }
        }.map { it.name }
    }

    @Test
    fun `with the key no file holds the customer's name, phone or address`(): Unit = runBlocking {
        val dir = TestSupport.tempDir("at-rest")
        FieldKitClient.open(dir, TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            demoStockTheVan(kit.raw)
            val order = demoRepairOrder(1, false)
            kit.raw.receiveWorkOrder(order)
            TestSupport.walkRepairVisit(kit, order.id)
            assertTrue(File(dir, "fieldkit.db-wal").exists(), "the log is checked too")
            assertEquals(emptyList(), grep(dir))
            assertEquals(customer.customerName, kit.job(order.id).order.customerName)
        }
        assertEquals(emptyList(), grep(dir))
        // The same check finds them in a plain database: it could fail.
        val plain = TestSupport.tempDir("at-rest-plain")
        FieldKit.open(plain.absolutePath, TestSupport.morningConfig()).use { it.receiveWorkOrder(demoRepairOrder(1, false)) }
        assertTrue(grep(plain).isNotEmpty(), "the plain database holds the customer's data")
    }

    @Test
    fun `a wrong key is WrongKey and changes no file`() {
        val dir = TestSupport.tempDir("wrong-key")
        val id = FieldKitClient.open(dir, TestSupport.testKey).use { kit ->
            demoRepairOrder(1, false).also { kit.raw.receiveWorkOrder(it) }.id
        }
        val before = hashes(dir)
        val wrong = ByteArray(32) { 0x11 }
        val e = assertFailsWith<FieldKitException.WrongKey> { FieldKitClient.open(dir, wrong) }
        assertFalse(e.reasonText.contains(customer.customerName))
        assertTrue(e.reasonText.isNotBlank())
        assertEquals(before, hashes(dir), "a wrong key changed files")
        FieldKitClient.open(dir, TestSupport.testKey).use { kit ->
            assertEquals(customer.customerPhone, kit.raw.job(id).order.customerPhone)
        }
    }

    @Test
    fun `a key that is not 32 bytes is refused`() {
        val e = assertFailsWith<FieldKitException.Validation> {
            FieldKitClient.open(TestSupport.tempDir("short-key"), ByteArray(16))
        }
        assertEquals("database key", e.fieldName)
    }

    @Test
    fun `a plain database is encrypted once when the client opens it`() {
        val dir = TestSupport.tempDir("plain-to-encrypted")
        val order = demoRepairOrder(1, false)
        val device = FieldKit.open(dir.absolutePath, KitConfig()).use { kit ->
            kit.receiveWorkOrder(order)
            kit.deviceId()
        }
        val header = "SQLite format 3".toByteArray()
        assertContentEquals(header, File(dir, "fieldkit.db").readBytes().copyOf(header.size))
        FieldKitClient.open(dir, TestSupport.testKey).use { kit ->
            assertEquals(device, kit.deviceId, "the same device, encrypted")
            assertEquals(order.customerName, kit.raw.job(order.id).order.customerName)
        }
        assertFalse(File(dir, "fieldkit.db").readBytes().copyOf(header.size).contentEquals(header), "no longer plain")
        assertEquals(emptyList(), grep(dir))
    }
}
