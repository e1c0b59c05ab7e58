// Linked jobs (关联工单) through Kotlin → FFI → the core's sync client → the real
// fieldkit-server (started by .ci/kotlin-tests.sh; skipped without one): the desk makes a
// callback's repair from a job the phone holds, in one call; the phone pulls the child with
// its parent link (number and kind), and the parent keeps none.
package app.fieldkit

import app.fieldkit.ffi.JobKind
import app.fieldkit.ffi.LinkKind
import app.fieldkit.ffi.ParentLink
import app.fieldkit.ffi.demoDispatchJson
import app.fieldkit.ffi.demoRepairOrder
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class LinkedJobTest {
    @Test
    fun `a child job the desk made from a parent reaches the phone with its parent link`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val tech = desk.createTechnician("Technician Linked")
        val code = desk.enrolmentCode(tech)
        val order = demoRepairOrder(701, false)
        desk.dispatch(demoDispatchJson(order, tech))

        FieldKitClient.open(TestSupport.tempDir("linked"), TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            kit.enroll(desk.url, code, Desk.quick)
            kit.sync(Desk.quick)
            assertNull(kit.job(order.id).order.parent, "a job made on its own has no parent")

            // Promised in the parent's window (today), so it is on today's list too.
            val window = """{"start":"${Instant.ofEpochMilli(order.promised.startMs)}","end":"${Instant.ofEpochMilli(order.promised.endMs)}"}"""
            val (status, body) = desk.call(
                "POST", "/v1/admin/work-orders/${order.id}/children",
                """{"kind":"callback_repair","assign_to":"$tech","promised":$window}""",
            )
            assertEquals(201, status, body)
            // The answer's first id is the child's own (the order comes first).
            val childId = Desk.field(body, "id")
            assertTrue(childId != order.id, body)

            val report = kit.sync(Desk.quick)
            assertTrue(report.pulled >= 1L, report.toString())
            val child = kit.job(childId).order
            assertEquals(ParentLink(order.id, order.number, LinkKind.CALLBACK_REPAIR), child.parent)
            assertEquals(JobKind.REPAIR, child.kind)
            assertEquals(order.customerName, child.customerName)
            assertEquals(order.address, child.address)
            assertEquals(order.productModel, child.productModel)
            assertEquals("${order.number}-1", child.number)
            assertEquals(order.promised, child.promised)
            // Today's list says which job the child was made from; the parent's line says none.
            val today = kit.todaysJobs()
            assertEquals(LinkKind.CALLBACK_REPAIR, today.first { it.id == childId }.parent?.kind)
            assertEquals(order.number, today.first { it.id == childId }.parent?.number)
            assertNull(today.first { it.id == order.id }.parent)
        }
    }
}
