// A return or exchange through the Kotlin layer, on a real (encrypted) device database: the
// returns rules (第6章 第21–24条) decide from the order's sale and what was found on site; the
// technician records that decision (no other), and the summary the customer signs carries it.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.BlockReason
import app.fieldkit.ffi.CustomerType
import app.fieldkit.ffi.FaultBy
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.GoodsCategory
import app.fieldkit.ffi.Inspection
import app.fieldkit.ffi.JobKind
import app.fieldkit.ffi.PriceBasis
import app.fieldkit.ffi.ReturnFindings
import app.fieldkit.ffi.ReturnOutcome
import app.fieldkit.ffi.ReturnReason
import app.fieldkit.ffi.ReturnRequest
import app.fieldkit.ffi.Sale
import app.fieldkit.ffi.StepKind
import app.fieldkit.ffi.StepStatus
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class ReturnsTest {
    private val threeDays = 3L * 24 * 3600 * 1000

    /** A fresh database with one return job, its sale recorded or not. */
    private fun kitWithReturn(prefix: String, withSale: Boolean): Pair<FieldKitClient, String> {
        val client = FieldKitClient.open(TestSupport.tempDir(prefix), TestSupport.testKey, TestSupport.morningConfig())
        demoStockTheVan(client.raw)
        val demo = demoRepairOrder(1, false)
        // Sold three days before the customer called, ¥3299.00 listed, ¥2999.00 paid.
        val sale = Sale(demo.reportedAtMs - threeDays, 299_900, 329_900, null, false, GoodsCategory.APPLIANCE, CustomerType.INDIVIDUAL)
        val order = demo.copy(kind = JobKind.RETURN_EXCHANGE, sale = if (withSale) sale else null)
        client.raw.receiveWorkOrder(order)
        return client to order.id
    }

    /** The unit leaks (a product fault), the invoice shown, no report, no misuse: an exchange asked. */
    private val leaking = ReturnFindings(ReturnRequest.EXCHANGE, true, false, Inspection.NONE, null, FaultBy.PRODUCT)

    @Test
    fun `the rules decide the return and the technician records that decision only`(): Unit = runBlocking {
        val (kit, id) = kitWithReturn("returns", withSale = true)
        kit.use {
            assertEquals(299_900, kit.job(id).order.sale?.pricePaid)
            TestSupport.walkToAnomaly(kit, id)
            assertIs<StepKind.ReturnDecision>(kit.checklist(id).steps.first { it.id == "return_decision" }.kind)
            val d = kit.returnDecision(id, leaking)
            assertEquals(ReturnOutcome.EXCHANGE, d.outcome)
            assertEquals(ReturnReason.WITHIN_WINDOW_FAULT, d.reason)
            assertEquals(PriceBasis.DISCOUNTED, d.priceBasis)
            assertEquals(299_900L, d.amount)
            assertEquals(3L, d.daysSinceSale)
            assertContains(d.whyZhCn, "可以换货")
            assertContains(d.whyZhCn, "第6章 第22条")
            assertContains(d.whyEn, "Exchange allowed")
            // Another outcome, or another price basis: refused, typed, nothing queued.
            val queued = kit.pendingChanges()
            for (forged in listOf(d.copy(outcome = ReturnOutcome.RETURN), d.copy(priceBasis = PriceBasis.ORIGINAL, amount = 329_900))) {
                val e = assertFailsWith<FieldKitException.StepRefused> {
                    kit.answerStep(id, "return_decision", Answer.ReturnDecided(leaking, forged))
                }
                assertEquals("return_decision", e.step)
            }
            assertEquals(queued, kit.pendingChanges())
            // A free choice is no longer an answer.
            assertFailsWith<FieldKitException.StepRefused> { kit.answerStep(id, "return_decision", Answer.Choice("refund")) }
            kit.answerStep(id, "return_decision", Answer.ReturnDecided(leaking, d))
            assertEquals(StepStatus.SATISFIED, kit.checklist(id).steps.first { it.id == "return_decision" }.status)
            // The summary the customer signs carries the decision and its words.
            val shown = kit.summaryForSigning(id).answers.first { it.stepId == "return_decision" }.answer
            val recorded = assertIs<Answer.ReturnDecided>(shown)
            assertEquals(d, recorded.decision)
        }
    }

    @Test
    fun `without a sale record there is no decision and the step says why`(): Unit = runBlocking {
        val (kit, id) = kitWithReturn("returns-nosale", withSale = false)
        kit.use {
            TestSupport.walkToAnomaly(kit, id)
            val e = assertFailsWith<FieldKitException.Validation> { kit.returnDecision(id, leaking) }
            assertContains(e.reason, "没有销售记录") // zh-CN, the kit's default
            assertTrue(kit.checklist(id).blockers.any { it.stepId == "return_decision" && it.reason is BlockReason.NoSaleRecord })
        }
    }
}
