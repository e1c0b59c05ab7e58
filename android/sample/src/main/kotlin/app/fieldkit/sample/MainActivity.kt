// The sample's screens: today's jobs; one job with its next action, the checklist step by
// step (answers, camera photo, signature pad), enrolment and a sync button with progress.
package app.fieldkit.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.ChecklistView
import app.fieldkit.ffi.StepKind
import app.fieldkit.ffi.StepState
import app.fieldkit.ffi.StepStatus

class MainActivity : ComponentActivity() {
    private val vm: VisitViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                val state by vm.state.collectAsStateWithLifecycle()
                Scaffold { padding ->
                    Column(Modifier.padding(padding).padding(16.dp).fillMaxSize()) {
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            if (state.selected != null) OutlinedButton(onClick = { vm.select(null) }) { Text("Jobs") }
                            val syncing = state.syncing
                            Button(onClick = vm::sync, enabled = state.server != null && syncing == null) {
                                Text(
                                    when {
                                        syncing != null -> "Sync: ${syncing.phase.name.lowercase()} " +
                                            (syncing.fraction?.let { "${(it * 100).toInt()}%" } ?: "${syncing.done}")
                                        else -> "Sync (${state.pendingChanges})"
                                    },
                                )
                            }
                        }
                        state.syncing?.fraction?.let { LinearProgressIndicator(progress = { it }, modifier = Modifier.fillMaxWidth()) }
                        if (state.server == null) Enrolment(vm::enroll)
                        state.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                        val job = state.selected
                        if (job == null) {
                            JobList(state, vm::select)
                        } else {
                            Text("${job.order.number} · ${job.order.productModel}", style = MaterialTheme.typography.titleMedium)
                            Text(job.order.reportedFault)
                            Button(onClick = vm::advance) { Text("Next: ${job.status.name.lowercase()}") }
                            state.checklist?.let { Checklist(it, vm) }
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun JobList(state: UiState, onSelect: (String) -> Unit) {
    LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        items(state.jobs, key = { it.id }) { job ->
            Card(Modifier.fillMaxWidth().clickable { onSelect(job.id) }) {
                Column(Modifier.padding(12.dp)) {
                    Text("${job.number} · ${job.kind.name.lowercase()} · ${job.status.name.lowercase()}")
                    Text("${job.customerName} — ${job.address}")
                    Text(job.productModel)
                }
            }
        }
    }
}

/** The dispatcher gives the technician a server address and a one-time code. */
@Composable
private fun Enrolment(onEnroll: (String, String) -> Unit) {
    var url by remember { mutableStateOf("https://") }
    var code by remember { mutableStateOf("") }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(url, { url = it }, Modifier.weight(1f), label = { Text("Server") })
        OutlinedTextField(code, { code = it }, Modifier.weight(1f), label = { Text("Code") })
        Button(onClick = { onEnroll(url.trim(), code.trim()) }, enabled = code.isNotBlank()) { Text("Enrol") }
    }
}

@Composable
private fun Checklist(view: ChecklistView, vm: VisitViewModel) {
    Text("Checklist ${view.progress.satisfied}/${view.progress.applicableRequired}")
    LazyColumn(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        items(view.steps.filter { it.applicable }, key = { it.id }) { step ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(10.dp)) {
                    val mark = if (step.status == StepStatus.SATISFIED || step.status == StepStatus.EXCEPTED) "✓ " else ""
                    Text(mark + step.label.zhCn + " / " + step.label.en)
                    if (step.id == view.next) StepInput(step, vm)
                }
            }
        }
    }
}

@Composable
private fun StepInput(step: StepState, vm: VisitViewModel) {
    var text by remember(step.id) { mutableStateOf("") }
    var signing by remember(step.id) { mutableStateOf(false) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicturePreview()) { bitmap ->
        if (bitmap != null) vm.photo(step.id, bitmap)
    }
    when (val kind = step.kind) {
        is StepKind.Confirm -> Button(onClick = { vm.answer(step.id, Answer.Confirmed) }) { Text("Done") }
        is StepKind.YesNo -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { vm.answer(step.id, Answer.YesNo(true)) }) { Text("Yes") }
            OutlinedButton(onClick = { vm.answer(step.id, Answer.YesNo(false)) }) { Text("No") }
        }
        is StepKind.Choice -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            kind.options.forEach { o -> OutlinedButton(onClick = { vm.answer(step.id, Answer.Choice(o.value)) }) { Text(o.label.en) } }
        }
        is StepKind.Text, is StepKind.Serial, is StepKind.Numeric -> Row {
            OutlinedTextField(text, { text = it }, Modifier.weight(1f))
            TextButton(onClick = {
                val answer = when (kind) {
                    is StepKind.Serial -> Answer.Serial(text)
                    is StepKind.Numeric -> Answer.Numeric(text.toDoubleOrNull() ?: Double.NaN)
                    else -> Answer.Text(text)
                }
                vm.answer(step.id, answer)
            }) { Text("Save") }
        }
        is StepKind.Photo -> Button(onClick = { camera.launch(null) }) { Text("Take photo (${kind.minCount} needed)") }
        is StepKind.Signature -> if (signing) {
            SignaturePad(onDone = { strokes -> signing = false; vm.sign(step.id, "Customer", strokes) })
        } else {
            Button(onClick = { signing = true }) { Text("Customer signs") }
        }
        is StepKind.FeeConsent -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { vm.consentToFees(true) }) { Text("Customer agrees to the fees") }
            OutlinedButton(onClick = { vm.consentToFees(false) }) { Text("Refuses") }
        }
        is StepKind.PreVisitCall -> Text("Done by calling the customer (Next).")
        is StepKind.Other -> Text("Not supported by this sample: ${kind.name}")
    }
}
