// The signature pad's arithmetic, kept off Android so it is tested on the JVM: every point
// the pad reports becomes one the core accepts (core/src/media/signature.rs, validate()).
package app.fieldkit.sample.logic

import app.fieldkit.ffi.StrokePoint
import app.fieldkit.ffi.Strokes

/**
 * What the core accepts: a pad of 16–4096 px a side, at most 20,000 points, finite
 * positions within 10% of the pad, pressures 0–1, times ≥ 0. A finger dragged off the pad
 * keeps reporting positions outside it (and negative ones), so every point is clamped to
 * the pad's bounds as it is recorded, and the whole signature is fitted once more at the end.
 */
object SignatureGeometry {
    const val MIN_SIDE = 16
    const val MAX_SIDE = 4096
    const val MAX_POINTS = 20_000

    /** Pads without pressure report 0.5 (the core's convention). */
    const val DEFAULT_PRESSURE = 0.5f

    /** One pen sample on a [width]×[height] pad, clamped to it. [tMs]: since the signature began. */
    fun point(x: Float, y: Float, tMs: Long, pressure: Float, width: Int, height: Int): StrokePoint =
        StrokePoint(
            x = clampCoordinate(x, width),
            y = clampCoordinate(y, height),
            tMs = tMs.coerceIn(0, Int.MAX_VALUE.toLong()).toInt(),
            pressure = if (pressure.isNaN()) DEFAULT_PRESSURE else pressure.coerceIn(0f, 1f),
        )

    /**
     * The signature to hand to the core: the pad scaled down if a side exceeds [MAX_SIDE],
     * grown to [MIN_SIDE] if smaller, every point clamped to it, empty strokes dropped and
     * at most [MAX_POINTS] points kept (the first ones).
     */
    fun strokes(width: Int, height: Int, strokes: List<List<StrokePoint>>): Strokes {
        val w = width.coerceAtLeast(1)
        val h = height.coerceAtLeast(1)
        val scale = minOf(1f, MAX_SIDE.toFloat() / w, MAX_SIDE.toFloat() / h)
        val padW = (w * scale).toInt().coerceIn(MIN_SIDE, MAX_SIDE)
        val padH = (h * scale).toInt().coerceIn(MIN_SIDE, MAX_SIDE)
        var budget = MAX_POINTS
        val fitted = strokes.mapNotNull { stroke ->
            val kept = stroke.take(budget).map { p ->
                point(p.x * scale, p.y * scale, p.tMs.toLong(), p.pressure, padW, padH)
            }
            budget -= kept.size
            kept.ifEmpty { null }
        }
        return Strokes(padW, padH, fitted)
    }

    /** Whether another point may be recorded after [recorded] points. */
    fun hasRoom(recorded: Int): Boolean = recorded < MAX_POINTS

    private fun clampCoordinate(v: Float, size: Int): Float =
        if (v.isNaN()) 0f else v.coerceIn(0f, size.coerceAtLeast(0).toFloat())
}
