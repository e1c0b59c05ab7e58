// Settling a paid visit (结算) through the Kotlin layer, on a real (encrypted) device database.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.PaymentMethod
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.StepStatus
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class SettlementTest {
    @Test
    fun `a settlement is checked against the consent, a different amount needs its reason, the invoice is due in 3 days`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("settlement")
        kit.use {
            TestSupport.walkToWork(kit, id)
            // Before the work is done the close-out is not open.
            assertFailsWith<FieldKitException> { kit.settle(id, Settlement(13000L, PaymentMethod.CASH, "SJ-1", null)) }
            TestSupport.walkToSettlement(kit, id, fromStart = false)
            val queued = kit.pendingChanges()
            // Refused, typed, nothing queued: a different amount without its reason, nothing paid,
            // a blank receipt number, the step ticked without a settlement.
            val differs = assertFailsWith<FieldKitException.Validation> {
                kit.settle(id, Settlement(12000L, PaymentMethod.CASH, "SJ-1", null))
            }
            assertEquals("settlement", differs.fieldName)
            assertFailsWith<FieldKitException.Validation> { kit.settle(id, Settlement(0L, PaymentMethod.CASH, "SJ-1", null)) }
            assertFailsWith<FieldKitException.Validation> { kit.settle(id, Settlement(13000L, PaymentMethod.CARD, " ", null)) }
            assertFailsWith<FieldKitException.Validation> { kit.answerStep(id, "fee_settled", Answer.Choice("paid_on_site")) }
            assertEquals(queued, kit.pendingChanges())

            // 120.00 by QR against 130.00 agreed, with the reason; no receipt: invoice due in 3 days.
            val s = kit.settle(id, Settlement(12000L, PaymentMethod.QR, null, "10.00 off for the late arrival"))
            assertEquals(12000L, s.amount)
            assertEquals(13000L, s.consented)
            assertTrue(s.differs)
            assertEquals(PaymentMethod.QR, s.method)
            assertNull(s.receiptNo)
            assertEquals(s.atMs + 3L * 24 * 60 * 60 * 1000, s.invoiceDueMs)
            assertEquals(queued + 1, kit.pendingChanges())
            assertEquals(StepStatus.SATISFIED, kit.checklist(id).steps.first { it.id == "fee_settled" }.status)

            kit.answerStep(id, "customer_copy", Answer.Confirmed)
            kit.answerStep(id, "goodbye", Answer.Confirmed)
            kit.complete(id)
            assertEquals(JobStatus.COMPLETED, kit.job(id).status)
        }
    }
}
