// The sample's logic against the real library: jobs load, a visit walks, failures of every
// kind become a visible error (never a crash), cancellation stays cancellation, and the
// evidence photo is the camera's full-size file.
package app.fieldkit.sample.logic

import app.fieldkit.FieldKitClient
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FaultBy
import app.fieldkit.ffi.Inspection
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.ReturnFindings
import app.fieldkit.ffi.ReturnRequest
import app.fieldkit.ffi.StepStatus
import java.io.File
import java.nio.file.Files
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.isActive
import org.junit.jupiter.api.Test

class VisitControllerTest {
    @Test
    fun `today's jobs load with the demo job on a new device`() = SampleFixture().use { f ->
        f.started()
        val s = f.state
        assertFalse(s.loading)
        assertNull(s.error)
        assertNull(s.server, "not enrolled: the enrolment form shows")
        val job = s.jobs.single()
        assertEquals(JobStatus.ASSIGNED, job.status)
        assertTrue(s.pendingChanges > 0, "the demo job's receipt waits for the server")
    }

    @Test
    fun `a job walks from assigned to its first checklist step`() = SampleFixture().started().use { f ->
        f.selectDemoJob()
        assertEquals(JobStatus.ASSIGNED, f.state.selected?.status)
        assertEquals(JobStatus.ACCEPTED, f.ok(f.controller.advance()).selected?.status)
        assertEquals(JobStatus.CONFIRMED, f.ok(f.controller.advance()).selected?.status)

        val s = f.ok(f.controller.answer("tools_parts_loaded", Answer.Confirmed))
        val step = assertNotNull(s.checklist).steps.single { it.id == "tools_parts_loaded" }
        assertEquals(StepStatus.SATISFIED, step.status)
        assertEquals(JobStatus.EN_ROUTE, f.ok(f.controller.advance()).selected?.status)
        assertEquals(JobStatus.ARRIVED, f.ok(f.controller.advance()).selected?.status)
        assertEquals(JobStatus.ARRIVED, f.state.jobs.single().status, "the list follows")
    }

    @Test
    fun `a refusal by the core becomes the error state and the next success clears it`() =
        SampleFixture().started().use { f ->
            f.selectDemoJob()
            f.done(f.controller.answer("product_serial", Answer.Serial("SN1"))) // before arrival
            val error = assertNotNull(f.state.error, "refused before arrival")
            assertTrue(error.isNotBlank())
            assertTrue(f.scope.isActive, "the scope survives")
            assertEquals(JobStatus.ASSIGNED, f.state.selected?.status, "nothing changed")

            f.ok(f.controller.advance())
            assertNull(f.state.error)
        }

    @Test
    fun `a return decision on a job without a sale record is an error, never a decision`() =
        SampleFixture().started().use { f ->
            f.selectDemoJob()
            val found = ReturnFindings(ReturnRequest.EXCHANGE, true, false, Inspection.NONE, null, FaultBy.PRODUCT)
            f.done(f.controller.decideReturn("return_decision", found))
            assertNotNull(f.state.error, "the demo repair has no sale record")
            assertNull(f.state.returnDecision)
            assertTrue(f.scope.isActive)
        }

    @Test
    fun `an exception that is not a FieldKitException becomes the error state`() {
        // The database could not be opened (e.g. the disk is full): start() shows it.
        val failed = CompletableDeferred<FieldKitClient>().apply { completeExceptionally(IllegalStateException("disk")) }
        SampleFixture(failed).use { f ->
            f.done(f.controller.start())
            assertEquals(Texts.ZhCn.unexpected(IllegalStateException()), f.state.error)
            assertFalse(f.state.loading)
            assertTrue(f.scope.isActive)
        }
        // A real one from the bindings: a call on a closed client throws IllegalStateException.
        // The client is closed before any call is in flight: uniffi defers the close of an
        // object while a call runs, so closing under the controller's own observer would race.
        val dir = Files.createTempDirectory("fieldkit-closed-").toFile()
        try {
            val closed = FieldKitClient.open(File(dir, "db"), SampleFixture.testKey, SampleFixture.morningConfig()).apply { close() }
            SampleFixture(CompletableDeferred(closed)).use { f ->
                f.done(f.controller.start())
                assertContains(assertNotNull(f.state.error), "IllegalStateException")
                assertFalse(f.state.loading)
                assertTrue(f.scope.isActive)
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun `cancellation propagates and is not shown as an error`() {
        val never = CompletableDeferred<FieldKitClient>() // an open that never finishes
        SampleFixture(never).use { f ->
            val start = f.controller.start()
            f.scope.cancel()
            f.done(start)
            assertTrue(start.isCancelled)
            assertNull(f.state.error)
        }
    }

    @Test
    fun `the evidence photo is the full-size file, which is deleted once stored`() =
        SampleFixture().started().use { f ->
            f.selectDemoJob()
            walkToAnomalyPhoto(f)
            val file = f.controller.newPhotoFile()
            assertTrue(file.startsWith(f.photoDir), "in the cache directory the FileProvider shares")
            SampleFixture.writeJpeg(file, 2400, 1800) // what TakePicture writes (a preview is ~200 px)

            val s = f.ok(f.controller.photoTaken("anomaly_photo", file, saved = true))
            val photo = assertNotNull(s.lastPhoto)
            assertEquals(2048, photo.width, "stored at the core's full size, not a thumbnail's")
            assertEquals(1536, photo.height)
            assertEquals("anomaly_photo", photo.stepId)
            assertFalse(file.exists(), "the camera's file is removed once stored")
            val step = assertNotNull(s.checklist).steps.single { it.id == "anomaly_photo" }
            assertEquals(StepStatus.SATISFIED, step.status)
        }

    @Test
    fun `a cancelled camera leaves nothing behind`() = SampleFixture().started().use { f ->
        f.selectDemoJob()
        val file = f.controller.newPhotoFile()
        file.writeBytes(ByteArray(0)) // the camera app created it, then the user backed out
        val s = f.ok(f.controller.photoTaken("anomaly_photo", file, saved = false))
        assertNull(s.lastPhoto)
        assertFalse(file.exists())
    }

    @Test
    fun `the pad's clamped points are signed by the core, unclamped ones are refused`() =
        SampleFixture().started().use { f ->
            f.selectDemoJob()
            walkToAnomalyPhoto(f)
            val file = f.controller.newPhotoFile()
            SampleFixture.writeJpeg(file, 640, 480)
            f.ok(f.controller.photoTaken("anomaly_photo", file, saved = true))

            // A finger that left the 600×200 pad: far left and below it, as a pad reports it.
            val raw = listOf(Triple(-150f, 50f, 0L), Triple(100f, 120f, 16L), Triple(700f, 260f, 32L), Triple(300f, -90f, 48L))
            val unclamped = app.fieldkit.ffi.Strokes(
                600, 200, listOf(raw.map { (x, y, t) -> app.fieldkit.ffi.StrokePoint(x, y, t.toInt(), 0.5f) }),
            )
            f.done(f.controller.signFinding("anomaly_signature", "左侧面板有划痕", "王女士", unclamped))
            assertContains(assertNotNull(f.state.error, "the core refuses points off the pad"), "on the pad")

            val clamped = SignatureGeometry.strokes(
                600, 200, listOf(raw.map { (x, y, t) -> SignatureGeometry.point(x, y, t, 0.5f, 600, 200) }),
            )
            val s = f.ok(f.controller.signFinding("anomaly_signature", "左侧面板有划痕", "王女士", clamped))
            val step = assertNotNull(s.checklist).steps.single { it.id == "anomaly_signature" }
            assertEquals(StepStatus.SATISFIED, step.status)
            // The refused signature's finding was reused, not recorded twice: one, signed.
            val found = runBlocking { f.kit.await().findings(assertNotNull(s.selected).order.id) }
            assertEquals(1, found.size)
            assertNotNull(found.single().acknowledgedBy)
            // A plain signature on the finding step, naming no finding, is refused.
            f.done(f.controller.sign("anomaly_signature", "王女士", clamped))
            assertContains(assertNotNull(f.state.error), "anomaly_signature")
        }

    /** Accept, call, leave, arrive, and the arrival steps up to the damage photo. */
    private fun walkToAnomalyPhoto(f: SampleFixture) {
        val c = f.controller
        f.ok(c.advance())
        f.ok(c.advance())
        f.ok(c.answer("tools_parts_loaded", Answer.Confirmed))
        f.ok(c.advance())
        f.ok(c.advance())
        f.ok(c.answer("id_badge", Answer.Confirmed))
        f.ok(c.answer("shoe_covers", Answer.Confirmed))
        f.ok(c.answer("warranty_proof", Answer.YesNo(false)))
        f.ok(c.answer("product_serial", Answer.Serial("SN2024WM8000123")))
        f.ok(c.answer("unit_intact", Answer.YesNo(false)))
        f.ok(c.answer("anomaly_description", Answer.Text("左侧面板有划痕")))
    }
}
