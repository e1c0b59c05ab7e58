// The van's stock through Kotlin → FFI → the core → the real fieldkit-server (started by
// .ci/kotlin-tests.sh): a stock check (盘点, 004 一 第34条) that differs from the ledger is
// recorded on the phone, leaves the stock as it was and is flagged by the server; a
// replenishment the desk raises, approves and issues reaches the van through a pull, is
// received (the stock goes up, the receipt syncs and closes the desk's request), and a
// second receipt of it is refused with a typed error.
package app.fieldkit

import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.StockCount
import app.fieldkit.ffi.SyncIssueKind
import app.fieldkit.ffi.demoStockTheVan
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class StockTest {
    /** The desk's stock report, cut to one van's text (vans are listed one after another). */
    private fun vanReport(desk: Desk, tech: String): String {
        val (status, body) = desk.call("GET", "/v1/admin/stock")
        assertEquals(200, status, body)
        val start = body.indexOf("\"technician_id\":\"$tech\"")
        assertTrue(start >= 0, "no van for $tech in $body")
        val next = body.indexOf("\"technician_id\":", start + 1)
        return if (next < 0) body.substring(start) else body.substring(start, next)
    }

    /** A technician with an enrolled phone holding the demo van stock (2 pumps), synced. */
    private suspend fun enrolledVan(desk: Desk, name: String, prefix: String): Pair<String, FieldKitClient> {
        val tech = desk.createTechnician(name)
        val code = desk.enrolmentCode(tech)
        // No catalogue published: stock ops are judged by the ledger, and SyncRoundTripTest counts
        // the catalogue changes its pull brings from this shared server.
        val kit = FieldKitClient.open(TestSupport.tempDir(prefix), TestSupport.testKey, TestSupport.morningConfig())
        demoStockTheVan(kit.raw)
        kit.enroll(desk.url, code, Desk.quick)
        val first = kit.sync(Desk.quick)
        assertEquals(Triple(first.pushed, 0L, 0L), Triple(first.applied, first.rejected, first.conflicts), first.toString())
        return tech to kit
    }

    @Test
    fun `a stock check with a difference is recorded on the phone and flagged by the server`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val (tech, kit) = enrolledVan(desk, "Technician Count", "stock-count")
        kit.use { kit ->
            // Bad counts are refused before anything is recorded.
            val before = kit.pendingOpCount()
            val twice = assertFailsWith<FieldKitException.Validation> {
                kit.countStock(listOf(StockCount("PUMP-220", 1), StockCount("PUMP-220", 2)))
            }
            assertEquals("counts", twice.fieldName)
            assertFailsWith<FieldKitException.Validation> { kit.countStock(listOf(StockCount("PUMP-220", -1))) }
            assertFailsWith<FieldKitException.Validation> { kit.countStock(emptyList()) }
            assertFailsWith<FieldKitException.NotFound> { kit.countStock(listOf(StockCount("NO-SUCH-PART", 1))) }
            assertEquals(before, kit.pendingOpCount())

            // One pump found where the ledger says two: recorded, the stock unchanged.
            val counted = kit.countStock(listOf(StockCount("PUMP-220", 1)))
            assertEquals(1, counted.size)
            assertEquals(Triple("PUMP-220", 1L, 2L), Triple(counted[0].sku, counted[0].counted, counted[0].expected))
            assertEquals(2L, kit.vanStock().single { it.part.sku == "PUMP-220" }.quantity)
            assertEquals(before + 1, kit.pendingOpCount())

            // What syncs: the count, kept by the server and flagged as differing.
            val report = kit.sync(Desk.quick)
            assertEquals(1L, report.pushed, report.toString())
            assertEquals(Pair(0L, 1L), Pair(report.rejected, report.conflicts), report.toString())
            assertEquals(0L, kit.pendingOpCount())
            val issue = kit.syncIssues().single()
            assertEquals(SyncIssueKind.CONFLICT, issue.kind)
            assertEquals("count_stock", issue.op)
            assertEquals("stock_count_differs", issue.code)
            val van = vanReport(desk, tech)
            assertTrue(van.contains("\"last_count\":{\"counted\":1,\"ledger\":2,\"differs\":true"), van)
            assertTrue(van.contains("\"on_hand\":2"), van)

            // A count that matches is not flagged.
            kit.countStock(listOf(StockCount("PUMP-220", 2)))
            val again = kit.sync(Desk.quick)
            assertEquals(Triple(1L, 0L, 0L), Triple(again.applied, again.rejected, again.conflicts), again.toString())
            assertTrue(vanReport(desk, tech).contains("\"last_count\":{\"counted\":2,\"ledger\":2,\"differs\":false"))
        }
    }

    @Test
    fun `a replenishment issued by the desk is pulled, received once and closed`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val (tech, kit) = enrolledVan(desk, "Technician Replenish", "stock-replenish")
        kit.use { kit ->
            // The desk sets a minimum of 5 pumps: the van holds 2, a request for 3 is raised.
            val (s, m) = desk.call("PUT", "/v1/admin/stock/minimums", """{"technician_id":"$tech","sku":"PUMP-220","minimum":5}""")
            assertEquals(200, s, m)
            val (s2, list) = desk.call("GET", "/v1/admin/stock/replenishments?technician=$tech")
            assertEquals(200, s2, list)
            val id = Desk.field(list, "id")
            assertTrue(list.contains("\"quantity\":3") && list.contains("\"state\":\"raised\""), list)

            // Nothing reaches the van before the desk issues it.
            kit.sync(Desk.quick)
            assertTrue(kit.replenishments().isEmpty())
            assertFailsWith<FieldKitException.NotFound> { kit.receiveReplenishment(id) }
            for (step in listOf("approve", "issue")) {
                val (st, body) = desk.call("POST", "/v1/admin/stock/replenishments/$id/$step")
                assertEquals(200, st, body)
            }

            // The pull brings it; received, the pumps join the van's stock.
            val pulled = kit.sync(Desk.quick)
            assertTrue(pulled.pulled >= 1, pulled.toString())
            val waiting = kit.replenishments().single()
            assertEquals(Triple(id, "PUMP-220", 3L), Triple(waiting.id, waiting.sku, waiting.quantity))
            assertNull(waiting.receivedAtMs)
            assertTrue(waiting.issuedAtMs > 0)
            assertEquals(5L, kit.receiveReplenishment(id))
            assertEquals(5L, kit.vanStock().single { it.part.sku == "PUMP-220" }.quantity)
            assertNotNull(kit.replenishments().single().receivedAtMs)

            // A second receipt of the same replenishment is refused; nothing more is queued.
            val queued = kit.pendingOpCount()
            val twice = assertFailsWith<FieldKitException.Validation> { kit.receiveReplenishment(id) }
            assertEquals("replenishment", twice.fieldName)
            assertEquals(queued, kit.pendingOpCount())
            assertEquals(5L, kit.vanStock().single { it.part.sku == "PUMP-220" }.quantity)

            // The receipt syncs: the desk's request is closed, the server's ledger agrees.
            val pushed = kit.sync(Desk.quick)
            assertEquals(Triple(queued, 0L, 0L), Triple(pushed.applied, pushed.rejected, pushed.conflicts), pushed.toString())
            val (s3, after) = desk.call("GET", "/v1/admin/stock/replenishments?technician=$tech")
            assertEquals(200, s3, after)
            assertTrue(after.contains("\"state\":\"received\""), after)
            val van = vanReport(desk, tech)
            assertTrue(van.contains("\"received\":3") && van.contains("\"on_hand\":5"), van)
        }
    }
}
