// The phone speaks Chinese first: every kind of FieldKitException a phone can meet without a
// server is triggered for real, in zh-CN (the reason has Chinese) and in en (none), and
// switching the kit's language at run time switches the reasons and the blockers' texts.
// (Tls, Unauthorized, Rejected, Conflict, Storage and Internal need a server or a failing
// disk: bindings/src/error/tests.rs checks them through the same mapping.)
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.CopyOptions
import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.KitConfig
import app.fieldkit.ffi.SyncOptions
import java.io.File
import java.io.RandomAccessFile
import java.net.ServerSocket
import kotlin.reflect.KClass
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class LocaleTest {
    private fun chinese(s: String) = s.any { Character.UnicodeScript.of(it.code) == Character.UnicodeScript.HAN }

    /** Runs [trigger] with a fresh kit in [tag]; returns the exception it must throw. */
    private fun failure(tag: String, trigger: suspend (FieldKitClient, String, String) -> Unit): FieldKitException = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("locale")
        kit.use {
            kit.raw.setLocale(tag)
            try {
                trigger(kit, id, tag)
                throw AssertionError("no FieldKitException")
            } catch (e: FieldKitException) {
                e
            }
        }
    }

    private val offline = SyncOptions(maxAttempts = 2, firstBackoffMs = 5, maxBackoffMs = 50, requestTimeoutMs = 2_000, chunkBytes = 16 * 1024)

    private val copyOptions = CopyOptions(
        fontPath = "/nonexistent/font.ttc",
        fontBytes = null,
        fontIndex = 0,
        verifyBaseUrl = "https://sync.example.com",
        company = "示例家电售后服务",
        utcOffsetMinutes = 480,
    )

    /** A database written by a newer app: a plain one whose user_version is raised. */
    private fun tooNewDatabase(): File {
        val dir = TestSupport.tempDir("locale-too-new")
        FieldKit.open(dir.absolutePath, KitConfig()).use { it.deviceId() }
        RandomAccessFile(File(dir, "fieldkit.db"), "rw").use { f ->
            f.seek(60) // SQLite header: user_version, 4 bytes big-endian
            f.writeInt(999_999)
        }
        return dir
    }

    /** Each kind a phone meets offline, and how to meet it. */
    private val triggers: List<Pair<KClass<out FieldKitException>, suspend (FieldKitClient, String, String) -> Unit>> = listOf(
        FieldKitException.Validation::class to { kit, _, _ -> kit.job("not-an-id") },
        FieldKitException.NotFound::class to { kit, _, _ -> kit.accept("01936b2e-0000-7000-8000-000000000000") },
        FieldKitException.Refused::class to { kit, id, _ -> kit.arrive(id) },
        FieldKitException.StepRefused::class to { kit, id, _ ->
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            kit.answerStep(id, "tools_parts_loaded", Answer.Confirmed)
            kit.startTravel(id)
            kit.arrive(id)
            kit.answerStep(id, "coverage", Answer.Choice("paid"))
        },
        FieldKitException.Blocked::class to { kit, id, _ ->
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            kit.startTravel(id)
        },
        FieldKitException.Photo::class to { kit, id, _ -> kit.addPhoto(id, null, "not a picture".toByteArray()) },
        FieldKitException.Report::class to { kit, id, _ -> kit.customerCopy(id, copyOptions) },
        FieldKitException.NotEnrolled::class to { kit, _, _ -> kit.sync() },
        FieldKitException.Network::class to { kit, _, _ ->
            val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
            kit.enroll("http://127.0.0.1:$port", "AAAA-BBBB-CCCC", offline)
        },
        FieldKitException.WrongKey::class to { _, _, tag ->
            val dir = TestSupport.tempDir("locale-wrong-key")
            FieldKitClient.open(dir, TestSupport.testKey).use { }
            FieldKitClient.open(dir, ByteArray(32) { 0x11 }, KitConfig(locale = tag)).close()
        },
        FieldKitException.UpdateRequired::class to { _, _, tag ->
            FieldKit.open(tooNewDatabase().absolutePath, KitConfig(locale = tag)).close()
        },
    )

    @Test
    fun `every kind a phone meets offline has a Chinese and an English reason`() {
        val kinds = mutableSetOf<String>()
        for ((kind, trigger) in triggers) {
            val zh = failure("zh-CN", trigger)
            val en = failure("en-US", trigger)
            for (e in listOf(zh, en)) assertTrue(kind.isInstance(e), "${kind.simpleName}: got $e")
            assertTrue(chinese(zh.reasonText), "${kind.simpleName} zh-CN: ${zh.reasonText}")
            assertFalse(chinese(en.reasonText), "${kind.simpleName} en: ${en.reasonText}")
            assertTrue(en.reasonText.isNotBlank())
            kinds += kind.simpleName!!
        }
        assertEquals(11, kinds.size, kinds.toString())
    }

    @Test
    fun `step refusals and blockers name the step, by its label in the kit's language`() {
        val refused = failure("zh-CN", triggers.first { it.first == FieldKitException.StepRefused::class }.second)
        assertContains(refused.reasonText, "warranty_proof")
        val blocked = failure("zh-CN", triggers.first { it.first == FieldKitException.Blocked::class }.second)
            as FieldKitException.Blocked
        val blocker = blocked.blockers.single()
        assertContains(blocked.reasonText, blocker.label!!.zhCn)
        assertContains(blocker.text, blocker.label!!.zhCn)
        val en = failure("en", triggers.first { it.first == FieldKitException.Blocked::class }.second)
            as FieldKitException.Blocked
        assertContains(en.reasonText, en.blockers.single().label!!.en)
    }

    @Test
    fun `switching the language at run time switches the reasons`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("locale-switch")
        kit.use {
            assertEquals("zh-CN", kit.raw.locale())
            val zh = assertFailsWith<FieldKitException.Refused> { kit.arrive(id) }
            assertTrue(chinese(zh.reasonText), zh.reasonText)

            kit.raw.setLocale("en-GB")
            assertEquals("en", kit.raw.locale())
            val en = assertFailsWith<FieldKitException.Refused> { kit.arrive(id) }
            assertFalse(chinese(en.reasonText), en.reasonText)
            assertEquals(zh.action, en.action, "the kind and its fields do not change, only the words")
            assertEquals(zh.state, en.state)

            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            val enText = kit.checklist(id).blockers.first().text
            assertFalse(chinese(enText), enText)

            // A language FieldKit does not speak is Chinese, not an error.
            kit.raw.setLocale("fr-FR")
            assertEquals("zh-CN", kit.raw.locale())
            val zhText = kit.checklist(id).blockers.first().text
            assertTrue(chinese(zhText), zhText)
            val back = assertFailsWith<FieldKitException.Refused> { kit.arrive(id) }
            assertTrue(chinese(back.reasonText), back.reasonText)
        }
    }
}
