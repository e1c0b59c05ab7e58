// A signature pad: records the pen's strokes (position, time, pressure) for the core, which
// renders and stores the image itself. Every point is clamped to the pad as it is recorded
// (a finger dragged off the pad keeps reporting positions outside it, which the core refuses):
// the arithmetic is logic/SignatureGeometry, tested on the JVM.
package app.fieldkit.sample

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.border
import androidx.compose.foundation.gestures.awaitEachGesture
import androidx.compose.foundation.gestures.awaitFirstDown
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.StrokeCap
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.layout.onSizeChanged
import androidx.compose.ui.unit.IntSize
import androidx.compose.ui.unit.dp
import app.fieldkit.ffi.StrokePoint
import app.fieldkit.ffi.Strokes
import app.fieldkit.sample.logic.SignatureGeometry
import app.fieldkit.sample.logic.Texts

@Composable
fun SignaturePad(t: Texts, onDone: (Strokes) -> Unit) {
    val strokes = remember { mutableStateListOf<List<StrokePoint>>() }
    val current = remember { mutableStateListOf<StrokePoint>() }
    val size = remember { mutableStateOf(IntSize(600, 200)) }
    val start = remember { System.currentTimeMillis() }
    fun record(o: Offset, pressure: Float) {
        if (!SignatureGeometry.hasRoom(strokes.sumOf { it.size } + current.size)) return
        current += SignatureGeometry.point(o.x, o.y, System.currentTimeMillis() - start, pressure, size.value.width, size.value.height)
    }

    Column {
        Canvas(
            Modifier.fillMaxWidth().height(200.dp).border(1.dp, Color.Gray)
                .onSizeChanged { size.value = it }
                .pointerInput(Unit) {
                    awaitEachGesture {
                        val down = awaitFirstDown()
                        current.clear()
                        record(down.position, down.pressure)
                        while (true) {
                            val event = awaitPointerEvent()
                            val change = event.changes.first()
                            if (!change.pressed) break
                            record(change.position, change.pressure)
                            change.consume()
                        }
                        strokes += current.toList()
                        current.clear()
                    }
                },
        ) {
            (strokes + listOf(current.toList())).forEach { s ->
                s.zipWithNext { a, b -> drawLine(Color.Black, Offset(a.x, a.y), Offset(b.x, b.y), 4f, StrokeCap.Round) }
            }
        }
        Row {
            OutlinedButton(onClick = { strokes.clear() }) { Text(t.clear) }
            Button(
                enabled = strokes.isNotEmpty(),
                onClick = { onDone(SignatureGeometry.strokes(size.value.width, size.value.height, strokes.toList())) },
            ) { Text(t.sign) }
        }
    }
}
