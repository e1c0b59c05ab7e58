// The checklist ticks tied to facts (templates v3) through the Kotlin layer, on a real
// (encrypted) device database: the anomaly is a finding the customer signed, the parts review
// records the parts it confirmed, the customer's copy the hash of the latest signature.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.BlockReason
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.OldPartFate
import app.fieldkit.ffi.PartUse
import app.fieldkit.ffi.PaymentMethod
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SignerRole
import app.fieldkit.ffi.StepKind
import app.fieldkit.ffi.StepStatus
import app.fieldkit.ffi.demoPhoto
import app.fieldkit.ffi.demoSignature
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class FactStepsTest {
    private suspend fun status(kit: FieldKitClient, id: String, step: String): StepStatus =
        kit.checklist(id).steps.first { it.id == step }.status

    @Test
    fun `the finding, parts review and customer copy steps hold only with their facts`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("facts")
        kit.use {
            // The anomaly: signed by the customer on the step, naming the finding (walkToWork).
            val signatures = mutableListOf<app.fieldkit.ffi.Signature>()
            TestSupport.walkToWork(kit, id) { signatures += it }
            val anomaly = kit.checklist(id).steps.first { it.id == "anomaly_signature" }
            assertTrue(anomaly.kind is StepKind.Finding, "${anomaly.kind}")
            assertEquals(StepStatus.SATISFIED, anomaly.status)

            // The parts review: a list that is not the parts recorded is refused, nothing queued.
            kit.answerStep(id, "respect_home", Answer.Confirmed)
            val pump = PartUse("PUMP-220", 1, "P22-000981", OldPartFate.RETURNED, null)
            val first = kit.recordPart(id, pump)
            kit.answerStep(id, "work_done", Answer.Text("Replaced the drain pump"))
            assertTrue(kit.checklist(id).steps.first { it.id == "parts_reviewed" }.kind is StepKind.PartsReview)
            val queued = kit.pendingChanges()
            val refused = assertFailsWith<FieldKitException.StepRefused> {
                kit.answerStep(id, "parts_reviewed", Answer.PartsReviewed(listOf("not-a-recorded-part")))
            }
            assertEquals("parts_reviewed", refused.step)
            assertEquals(queued, kit.pendingChanges())
            kit.answerStep(id, "parts_reviewed", Answer.Confirmed) // the parts as recorded now
            assertEquals(StepStatus.SATISFIED, status(kit, id, "parts_reviewed"))
            // Another part reopens the review until it is confirmed again, by the parts' ids.
            val second = kit.recordPart(id, pump.copy(newSerial = "P22-000982"))
            assertEquals(StepStatus.PENDING, status(kit, id, "parts_reviewed"))
            assertTrue(kit.checklist(id).blockers.any { it.reason is BlockReason.PartsChanged })
            kit.answerStep(id, "parts_reviewed", Answer.PartsReviewed(listOf(second.id, first.id)))
            assertEquals(StepStatus.SATISFIED, status(kit, id, "parts_reviewed"))

            kit.answerStep(id, "test_run_ok", Answer.YesNo(true))
            kit.addPhoto(id, "debris_removed", demoPhoto("clean floor"))
            kit.summaryForSigning(id)
            val record = kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(2), "service_record_signature", null))
            kit.feedback(id, 5, "very professional")
            kit.settle(id, Settlement(13000L, PaymentMethod.CASH, "SJ-0001", null))

            // The copy: only the hash of the customer's latest signature.
            assertFailsWith<FieldKitException.StepRefused> {
                kit.answerStep(id, "customer_copy", Answer.CopyHanded("0".repeat(64)))
            }
            kit.answerStep(id, "customer_copy", Answer.CopyHanded(record.summarySha256!!))
            assertEquals(StepStatus.SATISFIED, status(kit, id, "customer_copy"))
            kit.answerStep(id, "goodbye", Answer.Confirmed)
            kit.complete(id)
            assertEquals(JobStatus.COMPLETED, kit.job(id).status)
        }
    }

    @Test
    fun `a signature on the finding step that names no finding is refused`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("finding")
        kit.use {
            TestSupport.walkToAnomaly(kit, id)
            kit.summaryForSigning(id)
            val e = assertFailsWith<FieldKitException.StepRefused> {
                kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "anomaly_signature", null))
            }
            assertEquals("anomaly_signature", e.step)
            assertTrue(kit.checklist(id).blockers.any { it.reason is BlockReason.NeedsFinding })
        }
    }
}
