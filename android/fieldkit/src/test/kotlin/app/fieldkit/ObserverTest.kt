// Job observers: a callback fires after each committed change and stops once its handle is
// cancelled; a throwing observer cannot fail a command; the Flow wrapper delivers in order.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobObserver
import java.util.Collections
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Test

class ObserverTest {
    private class Recorder : JobObserver {
        val seen: MutableList<Pair<String, String>> = Collections.synchronizedList(mutableListOf())
        override fun onJobChanged(jobId: String, action: String) {
            seen += jobId to action
        }
    }

    @Test
    fun `an observer fires after each change and stops after its handle is closed`() {
        val (kit, id) = TestSupport.kitWithOrder("observer")
        kit.use {
            val recorder = Recorder()
            val handle = kit.raw.observeJobs(recorder)
            kit.raw.accept(id)
            kit.raw.callCustomer(id, TestSupport.callReached)
            kit.raw.answerStep(id, "tools_parts_loaded", Answer.Confirmed)
            assertEquals(
                listOf(id to "accept", id to "call_customer", id to "answer_step"),
                recorder.seen.toList(),
            )
            // A refused command changed nothing: no notification.
            assertFailsWith<FieldKitException.Refused> { kit.raw.accept(id) }
            assertEquals(3, recorder.seen.size)

            assertTrue(handle.isActive())
            handle.use { it.cancel() }
            kit.raw.startTravel(id)
            kit.raw.arrive(id)
            assertEquals(3, recorder.seen.size, "no notification after the handle was closed")
        }
    }

    @Test
    fun `releasing the handle without cancel also stops the observer`() {
        val (kit, id) = TestSupport.kitWithOrder("observer-drop")
        kit.use {
            val recorder = Recorder()
            kit.raw.observeJobs(recorder).close()
            kit.raw.accept(id)
            assertTrue(recorder.seen.isEmpty())
        }
    }

    @Test
    fun `a throwing observer does not fail the command nor silence the others`() {
        val (kit, id) = TestSupport.kitWithOrder("observer-throws")
        kit.use {
            val thrower = kit.raw.observeJobs(object : JobObserver {
                override fun onJobChanged(jobId: String, action: String) = throw IllegalStateException("app bug")
            })
            val recorder = Recorder()
            val handle = kit.raw.observeJobs(recorder)
            kit.raw.accept(id)
            assertEquals(listOf(id to "accept"), recorder.seen.toList())
            thrower.close()
            handle.close()
        }
    }

    @Test
    fun `the Flow of job changes delivers in commit order and unregisters when cancelled`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("flow")
        kit.use {
            val changes = async(start = CoroutineStart.UNDISPATCHED) { kit.jobChanges(id).take(3).toList() }
            yield() // lets the flow's producer register its observer before the first change
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            kit.answerStep(id, "tools_parts_loaded", Answer.Confirmed)
            assertEquals(listOf("accept", "call_customer", "answer_step"), changes.await().map { it.action })
            assertFalse(changes.isActive)
        }
    }
}
