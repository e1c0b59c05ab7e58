// Core errors arrive as typed Kotlin exceptions carrying what the app needs to act, and their
// messages never carry the customer's personal data.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.BlockReason
import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.KitConfig
import app.fieldkit.ffi.PhotoProblem
import app.fieldkit.ffi.demoRepairOrder
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class ErrorsTest {
    private val customer = demoRepairOrder(1, false)

    /** No reason text may carry the customer's name, phone or address. */
    private fun assertNoPersonalData(e: FieldKitException) {
        val texts = listOf(e.reasonText, e.message ?: "")
        for (t in texts) {
            for (pd in listOf(customer.customerName, customer.customerPhone, customer.address)) {
                assertFalse(t.contains(pd), "personal data in error text: $t")
            }
        }
    }

    @Test
    fun `answering out of order names the steps to do first`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("order")
        kit.use {
            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            kit.answerStep(id, "tools_parts_loaded", Answer.Confirmed)
            kit.startTravel(id)
            kit.arrive(id)
            kit.answerStep(id, "id_badge", Answer.Confirmed)
            kit.answerStep(id, "shoe_covers", Answer.Confirmed)
            // Coverage is decided after the warranty proof has been asked for.
            val e = assertFailsWith<FieldKitException.StepRefused> {
                kit.answerStep(id, "coverage", Answer.Choice("paid"))
            }
            assertEquals("coverage", e.step)
            assertEquals(listOf("warranty_proof"), e.missing)
            assertTrue(e.reason.contains("warranty_proof"), e.reason)
            // Once it is answered, the same answer is accepted.
            kit.answerStep(id, "warranty_proof", Answer.YesNo(true))
            kit.answerStep(id, "coverage", Answer.Choice("warranty"))
            assertEquals(e.reason, e.reasonText)
            assertNoPersonalData(e)
            // A phase that is not open yet is refused too, naming the step.
            val early = assertFailsWith<FieldKitException.StepRefused> {
                kit.answerStep(id, "goodbye", Answer.Confirmed)
            }
            assertEquals("goodbye", early.step)
        }
    }

    @Test
    fun `an unknown job is NotFound and a malformed id is a Validation error`(): Unit = runBlocking {
        val (kit, _) = TestSupport.kitWithOrder("unknown")
        kit.use {
            val unknown = "01936b2e-0000-7000-8000-000000000000"
            val nf = assertFailsWith<FieldKitException.NotFound> { kit.accept(unknown) }
            assertEquals("work order", nf.entity)
            assertEquals(unknown, nf.id)
            val bad = assertFailsWith<FieldKitException.Validation> { kit.job("not-an-id") }
            assertEquals("job id", bad.fieldName)
        }
    }

    @Test
    fun `state refusals, gates and bad photos are typed`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("refusals")
        kit.use {
            val refused = assertFailsWith<FieldKitException.Refused> { kit.arrive(id) }
            assertEquals("arrive", refused.action)
            assertNoPersonalData(refused)

            kit.accept(id)
            kit.callCustomer(id, TestSupport.callReached)
            val blocked = assertFailsWith<FieldKitException.Blocked> { kit.startTravel(id) }
            assertEquals("start travel", blocked.action)
            val blocker = blocked.blockers.single()
            assertEquals("tools_parts_loaded", blocker.stepId)
            assertEquals(BlockReason.Unanswered, blocker.reason)
            assertNoPersonalData(blocked)

            val photo = assertFailsWith<FieldKitException.Photo> {
                kit.addPhoto(id, null, "not a picture".toByteArray())
            }
            assertEquals(PhotoProblem.UNKNOWN_FORMAT, photo.problem)

            val rating = assertFailsWith<FieldKitException.Validation> { kit.feedback(id, 500) }
            assertEquals("rating", rating.fieldName)
        }
    }

    @Test
    fun `an invalid configuration is refused before anything is opened`() {
        val e = assertFailsWith<FieldKitException.Validation> {
            FieldKit.open(TestSupport.tempDir("config").absolutePath, KitConfig(photoLongEdge = 1))
        }
        assertEquals("photo long edge", e.fieldName)
    }
}
