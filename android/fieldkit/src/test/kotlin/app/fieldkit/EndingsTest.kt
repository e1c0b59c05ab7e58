// The visit's other endings through the Kotlin layer, on a real (encrypted) device database.
package app.fieldkit

import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.PartRequest
import app.fieldkit.ffi.VisitOutcome
import app.fieldkit.ffi.VisitStatus
import app.fieldkit.ffi.demoPhoto
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class EndingsTest {
    @Test
    fun `waiting for a part ends the visit, bad requests change nothing, the follow-up is planned by a call`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("await-parts")
        kit.use {
            TestSupport.walkToWork(kit, id)
            val queued = kit.pendingChanges()
            // Bad requests are typed and change nothing.
            val none = assertFailsWith<FieldKitException.Validation> { kit.awaitParts(id, emptyList(), "pump seized") }
            assertEquals("parts", none.fieldName)
            assertFailsWith<FieldKitException.Validation> {
                kit.awaitParts(id, listOf(PartRequest("PUMP-220", 1), PartRequest("PUMP-220", 1)), "pump seized")
            }
            assertFailsWith<FieldKitException.Validation> { kit.awaitParts(id, listOf(PartRequest("PUMP-220", 1)), " ") }
            assertFailsWith<FieldKitException.NotFound> { kit.awaitParts(id, listOf(PartRequest("NO-SUCH", 1)), "pump seized") }
            assertEquals(JobStatus.IN_PROGRESS, kit.job(id).status)
            assertEquals(queued, kit.pendingChanges())

            assertEquals(
                JobStatus.AWAITING_PARTS,
                kit.awaitParts(id, listOf(PartRequest("PUMP-220", 2)), "drain pump seized, none in the van"),
            )
            assertEquals(queued + 1, kit.pendingChanges())
            val detail = kit.job(id)
            assertEquals(JobStatus.AWAITING_PARTS, detail.status)
            val lastVisit = detail.visit
            assertTrue(lastVisit == null || lastVisit.status == VisitStatus.Ended(VisitOutcome.AWAITING_PARTS), "$lastVisit")
            assertFailsWith<FieldKitException.Refused> { kit.startTravel(id) }
            // The part is in: the call plans the follow-up visit.
            assertEquals(JobStatus.CONFIRMED, kit.callCustomer(id, TestSupport.callReached))
            assertEquals(2, kit.job(id).visit!!.number)
        }
    }

    @Test
    fun `a refused signature needs a reason and a witness or a photo of the visit, then waits for the desk`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("refused-signature")
        kit.use {
            TestSupport.walkToWork(kit, id)
            val queued = kit.pendingChanges()
            val none = assertFailsWith<FieldKitException.Validation> { kit.refuseSignature(id, "disagrees with the fee") }
            assertEquals("refused signature", none.fieldName)
            assertFailsWith<FieldKitException.Validation> { kit.refuseSignature(id, " ", witness = "Li Wei") }
            val stranger = assertFailsWith<FieldKitException.Validation> {
                kit.refuseSignature(id, "disagrees with the fee", photoSha256 = "0".repeat(64))
            }
            assertEquals("photo", stranger.fieldName)
            assertEquals(JobStatus.IN_PROGRESS, kit.job(id).status)
            assertEquals(queued, kit.pendingChanges())

            // A photo not yet taken on this visit (the walk's anomaly photo was jvmJpeg()).
            val photo = kit.addPhoto(id, null, demoPhoto("the finished work"))
            assertEquals(
                JobStatus.SIGNATURE_REFUSED,
                kit.refuseSignature(id, "disagrees with the fee", witness = "Li Wei", photoSha256 = photo.sha256),
            )
            assertEquals(queued + 2, kit.pendingChanges(), "the photo and the refusal")
            assertEquals(JobStatus.SIGNATURE_REFUSED, kit.job(id).status)
            assertFailsWith<FieldKitException.Refused> { kit.complete(id) }
            // The desk sends the technician again: the next call plans visit 2.
            assertEquals(JobStatus.CONFIRMED, kit.callCustomer(id, TestSupport.callReached))
        }
    }

    @Test
    fun `a second visit ends this one with its reason, a quote cannot be declined once agreed, a redelivery needs a delivery`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("second-visit")
        kit.use {
            TestSupport.walkToWork(kit, id)
            val queued = kit.pendingChanges()
            // The walk agreed the whole quote: declining it now is refused, typed, nothing written.
            val agreed = assertFailsWith<FieldKitException.Validation> { kit.declineQuote(id, "too expensive") }
            assertEquals("quote", agreed.fieldName)
            // The walk's finding is not damage on delivery, and this is a repair.
            val finding = kit.findings(id).single()
            assertTrue(finding.acknowledgedBy != null, "the walk had the customer sign it")
            assertFailsWith<FieldKitException.Validation> { kit.requestRedelivery(id, finding.id, "dent") }
            assertFailsWith<FieldKitException.Validation> { kit.requestRedelivery(id, "not an id", "dent") }
            assertFailsWith<FieldKitException.Validation> { kit.needSecondVisit(id, " ") }
            assertEquals(queued, kit.pendingChanges())

            assertEquals(JobStatus.SECOND_VISIT_NEEDED, kit.needSecondVisit(id, "two people are needed to lift it"))
            assertEquals(queued + 1, kit.pendingChanges())
            assertFailsWith<FieldKitException.Refused> { kit.needSecondVisit(id, "again") }
            assertEquals(JobStatus.CONFIRMED, kit.callCustomer(id, TestSupport.callReached))
            assertEquals(2, kit.job(id).visit!!.number)
            assertTrue(kit.findings(id).isEmpty(), "visit 2 has no findings yet")
        }
    }
}
