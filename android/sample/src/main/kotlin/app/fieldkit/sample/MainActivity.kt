// The sample's screens: today's jobs; one job with its next action, the checklist step by
// step (answers, full-size camera photo, signature pad), enrolment and a sync button with
// progress. Only drawing and Android plumbing here: the logic is logic/VisitController.
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
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.ChecklistView
import app.fieldkit.ffi.FaultBy
import app.fieldkit.ffi.Inspection
import app.fieldkit.ffi.Misuse
import app.fieldkit.ffi.ReturnFindings
import app.fieldkit.ffi.ReturnRequest
import app.fieldkit.ffi.StepKind
import app.fieldkit.ffi.StepState
import app.fieldkit.ffi.StepStatus
import app.fieldkit.sample.logic.Ending
import app.fieldkit.sample.logic.Texts
import app.fieldkit.sample.logic.VisitController
import app.fieldkit.sample.logic.VisitState
import java.io.File

class MainActivity : ComponentActivity() {
    private val vm: VisitViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val c = vm.controller
        val t = vm.texts
        setContent {
            MaterialTheme {
                val state by c.state.collectAsStateWithLifecycle()
                Scaffold { padding ->
                    Column(Modifier.padding(padding).padding(16.dp).fillMaxSize()) {
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            if (state.selected != null) OutlinedButton(onClick = { c.select(null) }) { Text(t.jobs) }
                            Button(onClick = { c.sync() }, enabled = state.server != null && state.syncing == null) {
                                Text(t.syncButton(state.pendingChanges, state.syncing))
                            }
                        }
                        state.syncing?.fraction?.let { LinearProgressIndicator(progress = { it }, modifier = Modifier.fillMaxWidth()) }
                        if (state.loading) LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
                        if (state.server == null && !state.loading) Enrolment(t) { url, code -> c.enroll(url, code) }
                        state.error?.let { error ->
                            Row {
                                Text(error, Modifier.weight(1f), color = MaterialTheme.colorScheme.error)
                                TextButton(onClick = c::dismissError) { Text(t.dismiss) }
                            }
                        }
                        val job = state.selected
                        if (job == null) {
                            JobList(state, t) { c.select(it) }
                        } else {
                            Text("${job.order.number} · ${job.order.productModel}", style = MaterialTheme.typography.titleMedium)
                            Text(job.order.reportedFault)
                            Button(onClick = { c.advance() }) { Text(t.next(job.status)) }
                            Endings(Ending.allowedFrom(job.status), t) { e, reason, witness -> c.end(e, reason, witness) }
                            state.returnDecision?.let { Text(t.decision(it)) }
                            state.checklist?.let { Checklist(it, c, t) }
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun JobList(state: VisitState, t: Texts, onSelect: (String) -> Unit) {
    LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        items(state.jobs, key = { it.id }) { job ->
            Card(Modifier.fillMaxWidth().clickable { onSelect(job.id) }) {
                Column(Modifier.padding(12.dp)) {
                    Text("${job.number} · ${job.kind.name.lowercase()} · ${job.status.name.lowercase()} · ${t.zone(job.zone)}")
                    Text("${job.customerName} — ${job.address}")
                    Text(job.productModel)
                }
            }
        }
    }
}

/** The dispatcher gives the technician a server address and a one-time code. */
@Composable
private fun Enrolment(t: Texts, onEnroll: (String, String) -> Unit) {
    var url by remember { mutableStateOf("https://") }
    var code by remember { mutableStateOf("") }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(url, { url = it }, Modifier.weight(1f), label = { Text(t.server) })
        OutlinedTextField(code, { code = it }, Modifier.weight(1f), label = { Text(t.code) })
        Button(onClick = { onEnroll(url.trim(), code.trim()) }, enabled = code.isNotBlank()) { Text(t.enrol) }
    }
}

/** The visit's other endings: pick one, give the reason (and a witness where needed), confirm. */
@Composable
private fun Endings(allowed: List<Ending>, t: Texts, onEnd: (Ending, String, String?) -> Unit) {
    var chosen by remember(allowed) { mutableStateOf<Ending?>(null) }
    var reason by remember(chosen) { mutableStateOf("") }
    var witness by remember(chosen) { mutableStateOf("") }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        allowed.forEach { e -> OutlinedButton(onClick = { chosen = e }) { Text(t.ending(e)) } }
    }
    val e = chosen ?: return
    Column {
        Text(t.ending(e), style = MaterialTheme.typography.titleSmall)
        OutlinedTextField(reason, { reason = it }, Modifier.fillMaxWidth(), label = { Text(t.reason) })
        if (e.needsWitness) OutlinedTextField(witness, { witness = it }, Modifier.fillMaxWidth(), label = { Text(t.witness) })
        Button(onClick = { onEnd(e, reason, witness.takeIf { e.needsWitness }); chosen = null }, enabled = reason.isNotBlank()) {
            Text(t.confirmEnding)
        }
    }
}

@Composable
private fun Checklist(view: ChecklistView, c: VisitController, t: Texts) {
    Text(t.checklist(view.progress.satisfied, view.progress.applicableRequired))
    LazyColumn(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        items(view.steps.filter { it.applicable }, key = { it.id }) { step ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(10.dp)) {
                    val mark = if (step.status == StepStatus.SATISFIED || step.status == StepStatus.EXCEPTED) "✓ " else ""
                    Text(mark + t.label(step.label))
                    if (step.id == view.next) StepInput(step, c, t)
                }
            }
        }
    }
}

@Composable
private fun StepInput(step: StepState, c: VisitController, t: Texts) {
    var text by remember(step.id) { mutableStateOf("") }
    var signing by remember(step.id) { mutableStateOf(false) }
    // The camera writes the full-size photo into a cache file shared through the FileProvider;
    // the path survives the activity being recreated while the camera app is in front.
    val context = LocalContext.current
    var photoPath by rememberSaveable(step.id) { mutableStateOf<String?>(null) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        photoPath?.let { c.photoTaken(step.id, File(it), saved) }
        photoPath = null
    }
    when (val kind = step.kind) {
        is StepKind.Confirm -> Button(onClick = { c.answer(step.id, Answer.Confirmed) }) { Text(t.done) }
        is StepKind.YesNo -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { c.answer(step.id, Answer.YesNo(true)) }) { Text(t.yes) }
            OutlinedButton(onClick = { c.answer(step.id, Answer.YesNo(false)) }) { Text(t.no) }
        }
        is StepKind.Choice -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            kind.options.forEach { o ->
                // The fee is settled, not ticked: the choice says whether a receipt was issued.
                val onClick = if (step.id == "fee_settled") {
                    { c.settle(o.value == "paid_on_site") }
                } else {
                    { c.answer(step.id, Answer.Choice(o.value)) }
                }
                OutlinedButton(onClick = { onClick() }) { Text(t.label(o.label)) }
            }
        }
        is StepKind.Text, is StepKind.Serial, is StepKind.Numeric -> Row {
            OutlinedTextField(text, { text = it }, Modifier.weight(1f))
            TextButton(onClick = {
                val answer = when (kind) {
                    is StepKind.Serial -> Answer.Serial(text)
                    is StepKind.Numeric -> Answer.Numeric(text.toDoubleOrNull() ?: Double.NaN)
                    else -> Answer.Text(text)
                }
                c.answer(step.id, answer)
            }) { Text(t.save) }
        }
        is StepKind.Photo -> Button(onClick = {
            val file = c.newPhotoFile()
            photoPath = file.path
            camera.launch(FileProvider.getUriForFile(context, "${context.packageName}.photos", file))
        }) { Text(t.takePhoto(kind.minCount)) }
        is StepKind.Signature -> if (signing) {
            SignaturePad(t, onDone = { strokes -> signing = false; c.sign(step.id, t.customer, strokes) })
        } else {
            Button(onClick = { signing = true }) { Text(t.customerSigns) }
        }
        is StepKind.FeeConsent -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { c.consentToFees(true) }) { Text(t.feesAgreed) }
            OutlinedButton(onClick = { c.consentToFees(false) }) { Text(t.feesRefused) }
        }
        is StepKind.PreVisitCall -> Text(t.byPhoneCall)
        is StepKind.Feedback -> Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
            (1..5).forEach { r -> OutlinedButton(onClick = { c.feedback(r) }) { Text("$r★") } }
        }
        is StepKind.Finding -> if (signing) {
            SignaturePad(t, onDone = { strokes -> signing = false; c.signFinding(step.id, text, t.customer, strokes) })
        } else {
            Row {
                OutlinedTextField(text, { text = it }, Modifier.weight(1f), label = { Text(t.findingNote) })
                Button(onClick = { signing = true }, enabled = text.isNotBlank()) { Text(t.customerSigns) }
            }
        }
        // A tick on these confirms the fact as it stands: the parts recorded, the copy signed.
        is StepKind.PartsReview -> Button(onClick = { c.answer(step.id, Answer.Confirmed) }) {
            Text(t.confirmParts(c.state.value.partsUsed))
        }
        is StepKind.CustomerCopy -> Button(onClick = { c.answer(step.id, Answer.Confirmed) }) { Text(t.copyHanded) }
        is StepKind.Loaners -> Button(onClick = { c.loanersBack(step.id) }) { Text(t.loanersBack) }
        // The findings, then the rules' decision: one button per common finding in this sample.
        is StepKind.ReturnDecision -> Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { c.decideReturn(step.id, ReturnFindings(ReturnRequest.EXCHANGE, true, false, Inspection.NONE, null, FaultBy.PRODUCT)) }) {
                Text(t.returnFaulty)
            }
            Button(onClick = { c.decideReturn(step.id, ReturnFindings(ReturnRequest.RETURN, true, false, Inspection.NONE, Misuse.WASHING, FaultBy.CUSTOMER)) }) {
                Text(t.returnMisused)
            }
        }
        is StepKind.Other -> Text(t.unsupported(kind.name))
    }
}
