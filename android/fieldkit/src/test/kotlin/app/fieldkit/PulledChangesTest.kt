// The desk's changes reach the app's job observers: a sync that pulls a new job, a
// cancellation and a reassignment tells jobChanges() of each, after the page is committed.
package app.fieldkit

import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.demoDispatchJson
import app.fieldkit.ffi.demoRepairOrder
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Test

class PulledChangesTest {
    @Test
    fun `a pulled job, cancellation and reassignment reach jobChanges`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val tech = desk.createTechnician("Technician P")
        val colleague = desk.createTechnician("Technician Q")
        val code = desk.enrolmentCode(tech)
        val kept = demoRepairOrder(601, false)
        val cancelled = demoRepairOrder(602, false)
        val moved = demoRepairOrder(603, false)

        FieldKitClient.open(TestSupport.tempDir("pulled"), TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            kit.enroll(desk.url, code, Desk.quick)
            val pulled = async(start = CoroutineStart.UNDISPATCHED) {
                kit.jobChanges().filter { it.fromDesk }.take(5).toList()
            }
            yield() // the flow's producer registers its observer
            listOf(kept, cancelled, moved).forEach { desk.dispatch(demoDispatchJson(it, tech)) }
            val first = kit.sync(Desk.quick)
            assertTrue(first.pulled >= 3, first.toString())

            val (status, body) = desk.call("POST", "/v1/admin/work-orders/${cancelled.id}/cancel", """{"reason":"customer away"}""")
            assertEquals(200, status, body)
            val (status2, body2) = desk.call("POST", "/v1/admin/work-orders/${moved.id}/assign", """{"technician_id":"$colleague"}""")
            assertEquals(200, status2, body2)
            kit.sync(Desk.quick)

            val heard = withTimeout(10_000) { pulled.await() }
            assertEquals(
                listOf(
                    JobChange(kept.id, JobChange.PULLED_WORK_ORDER),
                    JobChange(cancelled.id, JobChange.PULLED_WORK_ORDER),
                    JobChange(moved.id, JobChange.PULLED_WORK_ORDER),
                    JobChange(cancelled.id, JobChange.PULLED_CANCELLATION),
                    JobChange(moved.id, JobChange.PULLED_REMOVAL),
                ),
                heard,
            )
            // What the observers heard is what the device now holds.
            assertEquals(JobStatus.CANCELLED, kit.job(cancelled.id).status)
            val listed = kit.todaysJobs().map { it.id }
            assertTrue(kept.id in listed && moved.id !in listed, listed.toString())
        }
    }
}
