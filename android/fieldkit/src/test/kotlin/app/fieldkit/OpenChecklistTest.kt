// The checklist a screen holds open: steps by position, the same rules as answerStep, one call
// that answers and returns the view; and the generated code's pooled call statuses (a call
// made from inside another call, an error followed by a success on the same thread).
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobObserver
import app.fieldkit.ffi.StepStatus
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class OpenChecklistTest {
    @Test
    fun `steps answered by position follow the same rules as answerStep`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("open-checklist")
        kit.use { kit ->
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            kit.openChecklist(id).use { sheet ->
                assertEquals(id, sheet.jobId())
                val view = sheet.view()
                assertEquals(kit.checklist(id), view)
                fun at(stepId: String) = view.steps.indexOfFirst { it.id == stepId }.also { assertTrue(it >= 0, stepId) }

                val before = kit.pendingChanges()
                val seq = sheet.confirm(at("tools_parts_loaded"))
                assertTrue(seq > 0)
                val ticked = kit.pendingChanges()
                assertTrue(ticked > before, "the tick is queued for the server")
                assertEquals(StepStatus.SATISFIED, kit.checklist(id).steps[at("tools_parts_loaded")].status)

                // Out of order exactly as answerStep refuses it: nothing recorded.
                val refusedByName = assertFailsWith<FieldKitException.StepRefused> { kit.answerStep(id, "respect_home", Answer.Confirmed) }
                val refusedByPosition = assertFailsWith<FieldKitException.StepRefused> { sheet.confirm(at("respect_home")) }
                assertEquals(refusedByName.reasonText, refusedByPosition.reasonText)
                assertEquals(ticked, kit.pendingChanges())

                // A position that is no step: a typed error, nothing recorded.
                assertFailsWith<FieldKitException.Validation> { sheet.confirm(-1) }
                assertFailsWith<FieldKitException.Validation> { sheet.confirm(view.steps.size) }
                assertFailsWith<FieldKitException.Validation> { sheet.answer(Int.MAX_VALUE, Answer.YesNo(true)) }
                assertEquals(ticked, kit.pendingChanges())

                // One call answers and returns the checklist as the next read sees it.
                kit.startTravel(id)
                kit.arrive(id)
                val answered = sheet.answerAndView(at("id_badge"), Answer.Confirmed)
                assertTrue(answered.seq > seq)
                assertEquals(kit.checklist(id), answered.view)
                assertEquals(StepStatus.SATISFIED, answered.view.steps[at("id_badge")].status)
                assertTrue(sheet.answer(at("shoe_covers"), Answer.Confirmed) > answered.seq)
                assertEquals(StepStatus.SATISFIED, sheet.view().steps[at("shoe_covers")].status)
            }
        }
    }

    @Test
    fun `no open visit is NotFound, a cancelled job refuses ticks and a closed checklist refuses calls`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("open-checklist-none")
        kit.use { kit ->
            kit.accept(id)
            assertFailsWith<FieldKitException.NotFound> { kit.openChecklist(id) }
            assertFailsWith<FieldKitException.Validation> { kit.openChecklist("not a job id") }
            kit.callCustomer(id, TestSupport.callReached)
            kit.openChecklist(id).use { sheet ->
                kit.cancel(id, "customer cancelled")
                val queued = kit.pendingChanges()
                assertFailsWith<FieldKitException> { sheet.confirm(0) }
                assertEquals(queued, kit.pendingChanges(), "nothing recorded on a cancelled job")
            }
        }
        val (kit2, id2) = TestSupport.kitWithOrder("open-checklist-closed")
        kit2.use { kit ->
            kit.accept(id2)
            kit.callCustomer(id2, TestSupport.callReached)
            val sheet = kit.openChecklist(id2)
            sheet.close()
            assertFailsWith<IllegalStateException> { sheet.confirm(0) }
        }
    }

    @Test
    fun `a call made inside another call, and an error, leave the pooled call statuses clean`() {
        val (kit, id) = TestSupport.kitWithOrder("status-pool")
        kit.use { kit ->
            val raw = kit.raw
            val inner = mutableListOf<String>()
            // The observer runs inside accept's call into Rust and calls back in: a failing
            // call, then a succeeding one, each on the same thread as the outer call.
            val handle = raw.observeJobs(object : JobObserver {
                override fun onJobChanged(jobId: String, action: String) {
                    val e = runCatching { raw.job("not a job id") }.exceptionOrNull()
                    inner += (e?.javaClass?.simpleName ?: "no error")
                    inner += raw.job(jobId).order.id
                }
            })
            handle.use {
                raw.accept(id)
                assertEquals(listOf("Validation", id), inner)
                // The outer call saw success although the inner one failed on a status of its own.
                assertEquals(id, raw.job(id).order.id)
                // An error, then at once a success on the same thread: the reused status was reset.
                repeat(3) {
                    assertFailsWith<FieldKitException.Validation> { raw.job("still not a job id") }
                    assertEquals(id, raw.job(id).order.id)
                }
            }
        }
    }
}
