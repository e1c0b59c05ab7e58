// Sync through Kotlin → FFI → the core's async client → the real fieldkit-server on
// 127.0.0.1 (started by .ci/kotlin-tests.sh, which passes its URL and admin token as the
// system properties fieldkit.server.url and fieldkit.admin.token). The test plays the desk
// with java.net.http: a technician, an enrolment code, a job for today; the device enrols,
// pulls the job, walks the whole visit offline and pushes it with its photos and signatures.
package app.fieldkit

import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.SyncOptions
import app.fieldkit.ffi.SyncPhase
import app.fieldkit.ffi.demoDispatchJson
import app.fieldkit.ffi.demoPublications
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.Collections
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/**
 * The dispatcher's side of the server with the admin token: over plain HTTP, or over HTTPS
 * trusting [tls] (the test's CA).
 */
class Desk(val url: String, private val adminToken: String, tls: javax.net.ssl.SSLContext? = null) {
    companion object {
        /** The server started by .ci/kotlin-tests.sh; the test is skipped without one. */
        fun fromSystemProperties(): Desk {
            val url = System.getProperty("fieldkit.server.url")
            val token = System.getProperty("fieldkit.admin.token")
            assumeTrue(url != null && token != null, "no fieldkit-server (run .ci/kotlin-tests.sh)")
            return Desk(url!!, token!!)
        }

        /** Quick retries: the server is local. */
        val quick = SyncOptions(maxAttempts = 4, firstBackoffMs = 5, maxBackoffMs = 50, requestTimeoutMs = 10_000, chunkBytes = 16 * 1024)

        /** A string field of a JSON object (the answers here are flat and compact). */
        fun field(json: String, name: String): String =
            assertNotNull(Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json), "no $name in $json").groupValues[1]
    }

    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .apply { if (tls != null) sslContext(tls) }.build()

    fun call(method: String, path: String, json: String? = null): Pair<Int, String> {
        val body = json?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody()
        val req = HttpRequest.newBuilder(URI.create(url + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer $adminToken")
            .header("Content-Type", "application/json")
            .method(method, body)
            .build()
        val res = http.send(req, HttpResponse.BodyHandlers.ofString())
        return res.statusCode() to res.body()
    }

    private fun created(path: String, json: String): String {
        val (status, body) = call("POST", path, json)
        assertEquals(201, status, body)
        return body
    }

    fun createTechnician(name: String): String = field(created("/v1/admin/technicians", """{"name":"$name"}"""), "id")
    fun enrolmentCode(technicianId: String): String =
        field(created("/v1/admin/enrolment-codes", """{"technician_id":"$technicianId"}"""), "code")
    fun dispatch(orderJson: String) { created("/v1/admin/work-orders", orderJson) }

    /** Publishes the demo's fee schedule and part: the server judges consents and parts by them. */
    fun publishDemoCatalog() { demoPublications().forEach { created(it.path, it.body) } }

    /** The job's completions once its signature drawings are checked (bounded wait). */
    fun settledCompletionsOf(jobId: String): List<String> {
        repeat(500) {
            val list = completionsOf(jobId)
            if (list.none { it.contains("\"checks_pending\":true") }) return list
            Thread.sleep(20)
        }
        error("drawing checks still pending for $jobId")
    }

    /** The completions the server recorded for one job (JSON objects as text). */
    fun completionsOf(jobId: String): List<String> {
        val (status, body) = call("GET", "/v1/admin/completions")
        assertEquals(200, status, body)
        // A flat list of flat-ish objects: split at the top-level object boundaries.
        return Regex("\\{\"[^{}]*(\\{[^{}]*\\}[^{}]*)*\\}").findAll(body).map { it.value }
            .filter { it.contains("\"work_order_id\":\"$jobId\"") }.toList()
    }
}

class SyncRoundTripTest {
    @Test
    fun `a completed visit syncs to the real server exactly once`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        val tech = desk.createTechnician("Technician K")
        val code = desk.enrolmentCode(tech)
        val order = demoRepairOrder(501, true)
        desk.publishDemoCatalog()
        desk.dispatch(demoDispatchJson(order, tech))

        FieldKitClient.open(TestSupport.tempDir("sync"), TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            demoStockTheVan(kit.raw)
            val account = kit.enroll(desk.url, code, Desk.quick)
            assertEquals(tech, account.technicianId)
            assertEquals(account, kit.serverAccount())

            // The desk's job (and its fee schedule and part) reach the device (the van's stock,
            // recorded before, goes up).
            val first = kit.sync(Desk.quick)
            assertEquals(3L, first.pulled, first.toString())
            assertEquals(first.pushed, first.applied, first.toString())
            assertEquals(listOf(order.id), kit.todaysJobs().map { it.id })
            assertEquals(0L, kit.pendingOpCount())

            // The whole visit, offline.
            TestSupport.walkRepairVisit(kit, order.id)
            val queued = kit.pendingOpCount()
            assertTrue(queued > 30, "$queued ops queued")
            assertEquals(queued, kit.pendingChanges())

            val seen = Collections.synchronizedList(mutableListOf<SyncProgress>())
            val flowed = Collections.synchronizedList(mutableListOf<SyncProgress>())
            val collector = launch(Dispatchers.Unconfined) { kit.syncProgress().collect { flowed += it } }
            val report = kit.sync(Desk.quick) { seen += it }
            collector.cancel()

            assertEquals(queued, report.pushed)
            assertEquals(queued, report.applied, report.toString())
            assertEquals(Triple(0L, 0L, 0L), Triple(report.duplicates, report.rejected, report.conflicts))
            assertTrue(report.blobsUploaded >= 4, "photos, thumbnails, signature images: $report")
            assertTrue(report.blobBytesSent > 0)
            assertEquals(0L, kit.pendingOpCount())
            assertTrue(kit.syncIssues().isEmpty())

            // The observer saw the three phases in order, the push to its end, every byte.
            val phases = seen.map { it.phase }.fold(listOf<SyncPhase>()) { acc, p -> if (acc.lastOrNull() == p) acc else acc + p }
            assertEquals(listOf(SyncPhase.PUSH, SyncPhase.PULL, SyncPhase.BLOBS), phases)
            val lastPush = seen.last { it.phase == SyncPhase.PUSH }
            assertEquals(queued to queued, lastPush.done to lastPush.total)
            val lastBlobs = seen.last()
            assertEquals(SyncPhase.BLOBS, lastBlobs.phase)
            assertEquals(lastBlobs.total, lastBlobs.done)
            assertEquals(1f, lastBlobs.fraction)
            assertTrue(flowed.any { it.phase == SyncPhase.BLOBS }, "syncProgress() flow: $flowed")

            // The desk sees the completion once, applied, counted and unflagged.
            val done = desk.settledCompletionsOf(order.id)
            assertEquals(1, done.size, done.toString())
            assertTrue(done[0].contains("\"outcome\":\"applied\""), done[0])
            assertTrue(done[0].contains("\"state\":\"counted\""), done[0])
            assertTrue(done[0].contains("\"flags\":[]"), done[0])

            // Nothing left: a second sync sends nothing, receives nothing.
            val again = kit.sync(Desk.quick)
            assertEquals(Triple(0L, 0L, 0L), Triple(again.pushed, again.pulled, again.blobsUploaded))
        }
    }

    @Test
    fun `a wrong enrolment code is Unauthorized, sync before enrolment NotEnrolled`(): Unit = runBlocking {
        val desk = Desk.fromSystemProperties()
        FieldKitClient.open(TestSupport.tempDir("sync-bad-code"), TestSupport.testKey).use { kit ->
            val notYet = assertFailsWith<FieldKitException.NotEnrolled> { kit.sync() }
            assertTrue(notYet.reasonText.contains("尚未在服务器注册"), notYet.reasonText) // zh-CN, the kit's default

            val e = assertFailsWith<FieldKitException.Unauthorized> { kit.enroll(desk.url, "AAAA-BBBB-CCCC", Desk.quick) }
            assertEquals("unauthorized", e.code)
            // The server writes its refusal in the kit's language (Accept-Language: zh-CN).
            assertTrue(e.reasonText.contains("注册码"), e.reasonText)
            assertEquals(null, kit.serverAccount())

            // A code used once does not enrol a second device.
            val code = desk.enrolmentCode(desk.createTechnician("Technician L"))
            kit.enroll(desk.url, code, Desk.quick)
            FieldKitClient.open(TestSupport.tempDir("sync-reuse"), TestSupport.testKey).use { other ->
                assertFailsWith<FieldKitException.Unauthorized> { other.enroll(desk.url, code, Desk.quick) }
            }
            // Not a URL the client can use: a validation error, before any request.
            val v = assertFailsWith<FieldKitException.Validation> { kit.enroll("ftp://example", code) }
            assertEquals("server url", v.fieldName)
            // Plain http to another host than this device: refused before any request.
            val h = assertFailsWith<FieldKitException.Validation> { kit.enroll("http://192.0.2.1:8080", code) }
            assertEquals("server url", h.fieldName)

            // The same enrolment again (a retry after a lost answer): answered, nothing revoked.
            val first = kit.serverAccount()
            kit.enroll(desk.url, code, Desk.quick)
            assertEquals(first?.technicianId, kit.serverAccount()?.technicianId)
            kit.sync(Desk.quick)
        }
    }

    @Test
    fun `an unreachable server is a Network error and loses nothing`(): Unit = runBlocking {
        // A port nothing listens on: bound, then released.
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        val (kit, id) = TestSupport.kitWithOrder("sync-offline")
        kit.use { kit ->
            kit.accept(id)
            val before = kit.pendingOpCount()
            val options = Desk.quick.copy(maxAttempts = 2)
            val e = assertFailsWith<FieldKitException.Network> { kit.enroll("http://127.0.0.1:$port", "AAAA-BBBB-CCCC", options) }
            assertTrue(e.reasonText.contains("2 attempts"), e.reasonText)
            assertEquals(before, kit.pendingOpCount())
            assertFailsWith<FieldKitException.Validation> { kit.sync(Desk.quick.copy(maxAttempts = 0)) }
        }
    }
}
