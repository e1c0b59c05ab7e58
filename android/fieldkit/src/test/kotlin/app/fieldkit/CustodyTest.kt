// A take-back's loaner through the Kotlin layer: out until the technician records it back on
// site on the return visit, once.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FieldKitException
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class CustodyTest {
    @Test
    fun `a loaner is returned on site on the return visit, once`(): Unit = runBlocking {
        val (kit, id) = TestSupport.kitWithOrder("loaner")
        kit.use {
            TestSupport.walkToWork(kit, id)
            val receipt = TestSupport.takeBackWithEvidence(kit, id)
            val loanerId = assertNotNull(receipt.loanerId)
            kit.callCustomer(id, TestSupport.callReached)
            val out = kit.loaners(id).single()
            assertEquals(Triple(loanerId, "LN-77", null as Long?), Triple(out.id, out.serial, out.returnedAtMs))
            // Not on site yet: refused, typed, nothing written.
            val queued = kit.pendingChanges()
            assertFailsWith<FieldKitException.Validation> { kit.returnLoaner(id, loanerId) }
            assertFailsWith<FieldKitException.Validation> { kit.returnLoaner(id, "not an id") }
            assertEquals(queued, kit.pendingChanges())

            kit.answerStep(id, "repaired_unit_loaded", Answer.Confirmed)
            kit.startTravel(id)
            kit.arrive(id)
            kit.returnLoaner(id, loanerId)
            assertNotNull(kit.loaners(id).single().returnedAtMs)
            assertFailsWith<FieldKitException.Validation> { kit.returnLoaner(id, loanerId) }
            // Another job's loaners: that job is not on this phone.
            assertFailsWith<FieldKitException.NotFound> { kit.loaners("01a24144-cbe3-73bf-9fc6-1c9737f5d801") }
        }
    }
}
