// The sample's visit endings against the real library: which ones each status offers, a
// refused ending shown as an error with nothing changed, and endings that go through.
package app.fieldkit.sample.logic

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.Zone
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class EndingsTest {
    @Test
    fun `each status offers only the endings the core allows from it`() {
        assertEquals(emptyList(), Ending.allowedFrom(JobStatus.ASSIGNED))
        assertEquals(listOf(Ending.NO_ACCESS), Ending.allowedFrom(JobStatus.EN_ROUTE))
        assertTrue(Ending.REFUSE_SIGNATURE in Ending.allowedFrom(JobStatus.IN_PROGRESS))
        assertTrue(Ending.REFUSE_SIGNATURE !in Ending.allowedFrom(JobStatus.PAUSED), "resume first")
        assertTrue(Ending.entries.all { Texts.ZhCn.ending(it).isNotBlank() && Texts.En.ending(it).isNotBlank() })
        assertTrue(Ending.entries.map { Texts.ZhCn.ending(it) }.toSet().size == Ending.entries.size)
    }

    @Test
    fun `every zone, rural included, has its own word in both languages`() {
        assertEquals(listOf("市区", "郊区", "农村"), Zone.entries.map { Texts.ZhCn.zone(it) })
        assertEquals(listOf("Urban", "Suburban", "Rural"), Zone.entries.map { Texts.En.zone(it) })
    }

    @Test
    fun `on site, a redelivery without signed damage and a quote never given are refused, no access ends the visit`() =
        SampleFixture().started().use { f ->
            f.selectDemoJob()
            val c = f.controller
            f.ok(c.advance())
            f.ok(c.advance())
            f.ok(c.answer("tools_parts_loaded", Answer.Confirmed))
            f.ok(c.advance())
            f.ok(c.advance())
            assertEquals(JobStatus.ARRIVED, f.state.selected?.status)
            val pending = f.state.pendingChanges

            f.done(c.end(Ending.REDELIVERY, "箱体凹陷"))
            assertEquals(Texts.ZhCn.noSignedDamage, f.state.error)
            f.done(c.end(Ending.DECLINE_QUOTE, "太贵"))
            assertNotNull(f.state.error, "no quote was answered on this warranty job")
            assertEquals(JobStatus.ARRIVED, f.state.selected?.status)
            assertEquals(pending, f.state.pendingChanges, "nothing written")

            val s = f.ok(c.end(Ending.NO_ACCESS, "客户临时外出"))
            assertEquals(JobStatus.NO_ACCESS, s.selected?.status)
            assertEquals(pending + 1, s.pendingChanges)
            assertEquals(JobStatus.CONFIRMED, f.ok(c.advance()).selected?.status, "the next call plans visit 2")
        }
}
