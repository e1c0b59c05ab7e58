// The technician's card through Kotlin → FFI → the core → the real fieldkit-server (started
// by .ci/kotlin-tests.sh with --service-hotline 400-820-8820): the enrolment brings the
// technician's name, employee number (工号, from the profile the desk saved) and the service
// hotline; the id_badge step shows the number (004 一 第5章 第19条 (3)); a sync brings the
// desk's change of number; the customer's copy prints the name, the number and the hotline
// (004 一 第8章 第29条), read back with poppler's pdftotext.
package app.fieldkit

import app.fieldkit.ffi.CopyOptions
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.demoDispatchJson
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class CardTest {
    private val font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    private val hotline = "400-820-8820"

    private fun setNumber(desk: Desk, tech: String, number: String) {
        val (status, body) = desk.call("PUT", "/v1/admin/technicians/$tech/profile", """{"employee_number":"$number"}""")
        assertEquals(200, status, body)
    }

    private fun pdfToText(pdf: ByteArray): String {
        val file = File(TestSupport.tempDir("card-copy"), "copy.pdf").also { it.writeBytes(pdf) }
        val p = ProcessBuilder("pdftotext", file.absolutePath, "-").start()
        val text = p.inputStream.bufferedReader().readText()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "pdftotext failed (run .ci/pdf-tools.sh)")
        return text
    }

    @Test
    fun `the technician's card reaches the phone, the id badge step and the customer's copy`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val tech = desk.createTechnician("张师傅")
        val number = "GH-${System.nanoTime() % 1_000_000}"
        setNumber(desk, tech, number)
        val code = desk.enrolmentCode(tech)
        val order = demoRepairOrder(811, true)
        val other = demoRepairOrder(812, false)
        // No catalogue published (SyncRoundTripTest counts what its pull brings): nothing is pushed.
        desk.dispatch(demoDispatchJson(order, tech))
        desk.dispatch(demoDispatchJson(other, tech))

        FieldKitClient.open(TestSupport.tempDir("card"), TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            demoStockTheVan(kit.raw)
            assertNull(kit.technicianCard(), "no card before enrolment")
            kit.enroll(desk.url, code, Desk.quick)
            val card = assertNotNull(kit.technicianCard())
            assertEquals(tech, card.technicianId)
            assertEquals("张师傅", card.name)
            assertEquals(number, card.employeeNumber)
            assertEquals(hotline, card.serviceHotline)

            // The desk changes the number: the next sync brings it.
            val renumbered = "$number-B"
            setNumber(desk, tech, renumbered)
            kit.sync(Desk.quick)
            assertEquals(renumbered, kit.technicianCard()?.employeeNumber)

            // The id_badge step shows the number; other steps show nothing; unknown steps are typed.
            val id = other.id
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            val badge = kit.stepContext(id, "id_badge")
            assertEquals(renumbered, badge.card?.employeeNumber)
            val prompt = assertNotNull(badge.prompt)
            assertTrue(prompt.zhCn.contains("工号 $renumbered") && prompt.zhCn.contains("张师傅"), prompt.zhCn)
            assertTrue(prompt.en.contains("employee no. $renumbered"), prompt.en)
            val shoes = kit.stepContext(id, "shoe_covers")
            assertNull(shoes.card)
            assertNull(shoes.prompt)
            val nf = assertFailsWith<FieldKitException.NotFound> { kit.stepContext(id, "no_such_step") }
            assertEquals("step", nf.entity)

            // The customer's copy prints the technician's name, number and the hotline.
            TestSupport.walkRepairVisit(kit, order.id)
            val options = CopyOptions(font, null, 0, "https://sync.example.com", "示例家电售后服务", 480)
            val text = pdfToText(kit.customerCopy(order.id, options))
            assertTrue(text.contains("张师傅"), text)
            assertTrue(text.contains(renumbered), text)
            assertTrue(text.contains(hotline), text)
        }
    }
}
