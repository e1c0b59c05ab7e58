// A take-back with its evidence through the Kotlin layer, on a real (encrypted) device database:
// photos of the unit's condition and the customer's signature on the receipt they were shown;
// the receipt and loaner in the signed summary.
package app.fieldkit

import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.demoPhoto
import app.fieldkit.ffi.demoSignature
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class TakeBackTest {
    @Test
    fun `the unit goes only with a photo of its condition and the customer's signature on the receipt`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("takeback")
        kit.use {
            TestSupport.walkToWork(kit, id)
            val queued = kit.pendingChanges()
            // No photo, then a photo but no signature: refused, typed, nothing written.
            val noPhoto = assertFailsWith<FieldKitException.Validation> { kit.takeBack(id, TestSupport.sampleTakeBack()) }
            assertContains(noPhoto.reason, "机器状况照片") // zh-CN, the kit's default
            assertEquals(queued, kit.pendingChanges())
            val photo = kit.addPhoto(id, null, demoPhoto("scratched side panel"))
            assertEquals(listOf(photo.sha256), kit.photos(id).takeLast(1))
            val tb = TestSupport.sampleTakeBack(listOf(photo.sha256))
            val unsigned = assertFailsWith<FieldKitException.Validation> { kit.takeBack(id, tb) }
            assertContains(unsigned.reason, "尚未签署")
            // Shown, the summary carries the receipt and the loaner; signed; taken back.
            val shown = kit.takeBackSummary(id, tb)
            val receipt = assertNotNull(shown.takeBack)
            assertEquals(listOf("R-0001", "GB-1", "WM-LOAN", "LN-77"), listOf(receipt.receiptNo, receipt.goodsBookRef, receipt.loanerModel, receipt.loanerSerial))
            val signature = kit.signTakeBackReceipt(id, tb, "王女士", demoSignature(5))
            assertEquals(shown.sha256, signature.summarySha256)
            val r = kit.takeBack(id, tb)
            assertEquals("R-0001", r.receiptNo)
            assertEquals(JobStatus.AWAITING_RETURN, kit.job(id).status)
        }
    }
}
