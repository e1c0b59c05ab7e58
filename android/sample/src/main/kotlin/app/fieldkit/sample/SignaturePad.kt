// A signature pad: records the pen's strokes (position, time, pressure) for the core, which
// renders and stores the image itself.
package app.fieldkit.sample

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.border
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
import androidx.compose.foundation.gestures.awaitEachGesture
import androidx.compose.foundation.gestures.awaitFirstDown
import app.fieldkit.ffi.StrokePoint
import app.fieldkit.ffi.Strokes

@Composable
fun SignaturePad(onDone: (Strokes) -> Unit) {
    val strokes = remember { mutableStateListOf<List<StrokePoint>>() }
    val current = remember { mutableStateListOf<StrokePoint>() }
    val size = remember { mutableStateOf(IntSize(600, 200)) }
    val start = remember { System.currentTimeMillis() }
    fun point(o: Offset, pressure: Float) =
        StrokePoint(o.x, o.y, (System.currentTimeMillis() - start).toInt(), pressure.coerceIn(0f, 1f))

    Column {
        Canvas(
            Modifier.fillMaxWidth().height(200.dp).border(1.dp, Color.Gray)
                .onSizeChanged { size.value = it }
                .pointerInput(Unit) {
                    awaitEachGesture {
                        val down = awaitFirstDown()
                        current.clear()
                        current += point(down.position, down.pressure)
                        while (true) {
                            val event = awaitPointerEvent()
                            val change = event.changes.first()
                            if (!change.pressed) break
                            current += point(change.position, change.pressure)
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
            OutlinedButton(onClick = { strokes.clear() }) { Text("Clear") }
            Button(
                enabled = strokes.isNotEmpty(),
                onClick = { onDone(Strokes(size.value.width, size.value.height, strokes.toList())) },
            ) { Text("Sign") }
        }
    }
}
