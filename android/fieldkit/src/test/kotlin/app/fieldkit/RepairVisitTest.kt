// A full paid repair visit through Kotlin → FFI → core: from "assigned" to a verified
// customer signature and completion (checklist, photos from bytes, strokes, fees, parts).
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.AttachmentKind
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.FindingKind
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.OldPartFate
import app.fieldkit.ffi.PartUse
import app.fieldkit.ffi.PaymentMethod
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SignerRole
import app.fieldkit.ffi.StepKind
import app.fieldkit.ffi.StepStatus
import app.fieldkit.ffi.VisitOutcome
import app.fieldkit.ffi.VisitStatus
import app.fieldkit.ffi.demoFeeSchedule
import app.fieldkit.ffi.demoPhoto
import app.fieldkit.ffi.demoSignature
import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class RepairVisitTest {
    @Test
    fun `a paid repair visit from assigned to a verified signature and completion`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("visit")
        kit.use { kit ->
            suspend fun step(stepId: String, answer: Answer) = kit.answerStep(id, stepId, answer)

            assertEquals(listOf(id), kit.todaysJobs().map { it.id })
            assertEquals(JobStatus.ASSIGNED, kit.job(id).status)
            assertEquals(JobStatus.ACCEPTED, kit.accept(id))
            assertEquals(JobStatus.CONFIRMED, kit.callCustomer(id, TestSupport.callReached))

            val planned = kit.checklist(id)
            assertEquals("repair", planned.templateId)
            assertEquals("tools_parts_loaded", planned.next)
            assertTrue(planned.steps.first { it.id == "coverage" }.kind is StepKind.Choice)
            assertTrue(planned.blockers.isNotEmpty())

            step("tools_parts_loaded", Answer.Confirmed)
            assertEquals(JobStatus.EN_ROUTE, kit.startTravel(id))
            val eta = kit.job(id).order.promised.start.plus(Duration.ofMinutes(20))
            assertTrue(kit.notifyDelay(id, "traffic on the ring road", eta).inTime)
            assertFalse(kit.arrive(id).late)

            step("id_badge", Answer.Confirmed)
            step("shoe_covers", Answer.Confirmed)
            step("warranty_proof", Answer.YesNo(false))
            step("product_serial", Answer.Serial("SN2024WM8000123"))
            step("unit_intact", Answer.YesNo(false))
            step("anomaly_description", Answer.Text("Scratch on the left panel"))
            val finding = kit.recordFinding(id, FindingKind.MAN_MADE_DAMAGE, "Scratch on the left panel")
            val anomalyPhoto = kit.addPhoto(id, "anomaly_photo", TestSupport.jvmJpeg())
            assertEquals(AttachmentKind.PHOTO, anomalyPhoto.kind)
            assertEquals(120, anomalyPhoto.width)
            val stored = kit.attachmentBytes(anomalyPhoto.sha256)
            assertEquals(anomalyPhoto.size, stored.size.toLong())
            assertTrue(stored[0] == 0xFF.toByte() && stored[1] == 0xD8.toByte(), "stored photo is a JPEG")

            kit.summaryForSigning(id)
            kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "anomaly_signature", finding.id))

            step("coverage", Answer.Choice("paid"))
            step("paid_service_explained", Answer.Confirmed)
            // No paid work before the customer agrees the fees.
            assertFailsWith<FieldKitException.Blocked> { kit.startWork(id) }
            val fees = demoFeeSchedule()
            val consent = kit.consentToFees(id, fees, listOf("visit", "labour"), agreed = true)
            assertEquals(fees.items.sumOf { it.amount }, consent.total)
            // Agreed is not enough: the customer signs the acknowledgement with the fees.
            val unsigned = assertFailsWith<FieldKitException.Blocked> { kit.startWork(id) }
            assertTrue(unsigned.blockers.any { it.stepId == "fee_consent_signature" }, unsigned.reasonText)
            assertEquals(13000L, kit.summaryForSigning(id).fees?.total)
            kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "fee_consent_signature", null))
            assertEquals(JobStatus.IN_PROGRESS, kit.startWork(id))

            step("respect_home", Answer.Confirmed)
            val part = kit.recordPart(id, PartUse("PUMP-220", 1, "P22-000981", OldPartFate.RETURNED, null))
            assertFalse(part.stockShort)
            assertEquals(JobStatus.PAUSED, kit.pause(id, "customer's lunch"))
            assertFailsWith<FieldKitException.Validation> { step("work_done", Answer.Text("Replaced the drain pump")) }
            assertEquals(JobStatus.IN_PROGRESS, kit.resume(id))
            step("work_done", Answer.Text("Replaced the drain pump"))
            step("parts_reviewed", Answer.Confirmed)
            step("test_run_ok", Answer.YesNo(true))
            kit.addPhoto(id, "debris_removed", demoPhoto("clean floor"))

            // Completion is refused until the customer has signed the record.
            val blocked = assertFailsWith<FieldKitException.Blocked> { kit.complete(id) }
            assertTrue(blocked.blockers.any { it.stepId == "service_record_signature" }, blocked.reasonText)

            val summary = kit.summaryForSigning(id)
            assertEquals(1L, summary.parts.single().quantity)
            assertEquals(13000L, summary.fees?.total)
            assertEquals(2, summary.photoCount)
            val signature = kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "service_record_signature", null))
            assertEquals(summary.sha256, signature.summarySha256)
            assertTrue(kit.attachmentBytes(signature.imageSha256).size > 100, "signature PNG stored")

            // The rating satisfies the feedback step; a tick is refused.
            assertFailsWith<FieldKitException.StepRefused> { step("feedback", Answer.Confirmed) }
            kit.feedback(id, 5, "很专业 / very professional")
            assertEquals(StepStatus.SATISFIED, kit.checklist(id).steps.first { it.id == "feedback" }.status)
            kit.settle(id, Settlement(13000L, PaymentMethod.CASH, "SJ-0001", null))
            step("customer_copy", Answer.Confirmed)
            step("goodbye", Answer.Confirmed)

            val beforeComplete = kit.checklist(id)
            assertTrue(beforeComplete.blockers.isEmpty(), beforeComplete.blockers.joinToString { it.text })
            assertEquals(beforeComplete.progress.applicableRequired, beforeComplete.progress.satisfied)
            assertEquals(StepStatus.SATISFIED, beforeComplete.steps.first { it.id == "service_record_signature" }.status)

            val verification = kit.verify(id)
            assertTrue(verification.ok, verification.toString())
            assertEquals(3, verification.signatures.size)

            val record = kit.complete(id)
            assertEquals(id, record.jobId)
            assertEquals(listOf("PUMP-220"), record.parts.map { it.sku })
            assertEquals(3, record.signatureIds.size)
            assertEquals(5, record.feedback?.rating)
            assertEquals(13000L, record.feeConsent?.total)

            val done = kit.job(id)
            assertEquals(JobStatus.COMPLETED, done.status)
            assertEquals(VisitStatus.Ended(VisitOutcome.COMPLETED), assertNotNull(done.visit).status)
            assertTrue(kit.verify(id).ok)
            assertEquals(1L, kit.vanStock().single { it.part.sku == "PUMP-220" }.quantity)
            assertTrue(kit.pendingChanges() > 20, "every change is queued for the server")
            // A completed job refuses further work.
            assertFailsWith<FieldKitException.Refused> { kit.startTravel(id) }
        }
    }
}
