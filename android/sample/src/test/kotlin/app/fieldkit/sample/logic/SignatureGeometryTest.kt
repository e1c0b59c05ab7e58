// The pad's arithmetic: every point it reports lands where the core accepts it.
package app.fieldkit.sample.logic

import app.fieldkit.ffi.StrokePoint
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class SignatureGeometryTest {
    @Test
    fun `points off the pad are clamped to its edges`() {
        val p = SignatureGeometry.point(-40f, 250f, 10, 0.7f, 600, 200)
        assertEquals(StrokePoint(0f, 200f, 10, 0.7f), p)
        assertEquals(StrokePoint(600f, 0f, 0, 0.5f), SignatureGeometry.point(1e6f, -3f, -5, Float.NaN, 600, 200))
        assertEquals(StrokePoint(0f, 0f, Int.MAX_VALUE, 1f), SignatureGeometry.point(Float.NaN, Float.NEGATIVE_INFINITY, Long.MAX_VALUE, 4f, 600, 200))
        assertEquals(StrokePoint(300f, 100f, 5, 0f), SignatureGeometry.point(300f, 100f, 5, -1f, 600, 200), "inside: unchanged")
    }

    @Test
    fun `a pad larger than the core takes is scaled, a tiny one grown`() {
        val big = SignatureGeometry.strokes(8192, 2048, listOf(listOf(StrokePoint(8192f, 2048f, 0, 0.5f), StrokePoint(4096f, 1024f, 1, 0.5f))))
        assertEquals(4096, big.width)
        assertEquals(1024, big.height)
        assertEquals(listOf(StrokePoint(4096f, 1024f, 0, 0.5f), StrokePoint(2048f, 512f, 1, 0.5f)), big.strokes.single())

        val tiny = SignatureGeometry.strokes(10, 0, listOf(listOf(StrokePoint(5f, 3f, 0, 0.5f))))
        assertEquals(16 to 16, tiny.width to tiny.height)
    }

    @Test
    fun `empty strokes are dropped and at most 20,000 points kept`() {
        val stroke = List(15_000) { StrokePoint(it % 600f, 10f, it, 0.5f) }
        val s = SignatureGeometry.strokes(600, 200, listOf(emptyList(), stroke, stroke, stroke))
        assertEquals(listOf(15_000, 5_000), s.strokes.map { it.size })
        assertTrue(SignatureGeometry.hasRoom(19_999))
        assertTrue(!SignatureGeometry.hasRoom(20_000))
    }

    @Test
    fun `every fitted point is within the pad`() {
        val r = java.util.Random(7)
        repeat(200) {
            val w = 1 + r.nextInt(6000)
            val h = 1 + r.nextInt(6000)
            val pts = List(20) { StrokePoint(r.nextFloat() * 3 * w - w, r.nextFloat() * 3 * h - h, r.nextInt(), r.nextFloat() * 3 - 1) }
            val s = SignatureGeometry.strokes(w, h, listOf(pts))
            assertTrue(s.width in 16..4096 && s.height in 16..4096)
            s.strokes.flatten().forEach {
                assertTrue(it.x in 0f..s.width.toFloat() && it.y in 0f..s.height.toFloat(), "$it on ${s.width}×${s.height}")
                assertTrue(it.pressure in 0f..1f && it.tMs >= 0)
            }
        }
    }
}
