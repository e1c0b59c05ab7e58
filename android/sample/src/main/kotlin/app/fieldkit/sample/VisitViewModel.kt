// Holds the open FieldKit for the sample app and turns its calls into UI state. Jobs come
// from the server once the device is enrolled and synced; before that, from the demo helpers.
package app.fieldkit.sample

import android.app.Application
import android.graphics.Bitmap
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import app.fieldkit.FieldKitClient
import app.fieldkit.SyncProgress
import app.fieldkit.android.open
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.CallConfirmations
import app.fieldkit.ffi.CallOutcome
import app.fieldkit.ffi.ChecklistView
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.JobDetail
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.JobSummary
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SignerRole
import app.fieldkit.ffi.Strokes
import app.fieldkit.ffi.demoFeeSchedule
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import app.fieldkit.reasonText
import java.io.ByteArrayOutputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

data class UiState(
    val jobs: List<JobSummary> = emptyList(),
    val selected: JobDetail? = null,
    val checklist: ChecklistView? = null,
    val message: String? = null,
    val pendingChanges: Long = 0,
    /** Null: not enrolled yet (the sample shows the enrolment form). */
    val server: String? = null,
    /** While a sync runs. */
    val syncing: SyncProgress? = null,
)

class VisitViewModel(app: Application) : AndroidViewModel(app) {
    private val _state = MutableStateFlow(UiState())
    val state: StateFlow<UiState> = _state
    private var kit: FieldKitClient? = null

    init {
        viewModelScope.launch {
            val k = withContext(Dispatchers.IO) { FieldKitClient.open(getApplication<Application>()) }
            kit = k
            val account = k.serverAccount()
            _state.value = _state.value.copy(server = account?.serverUrl)
            if (account == null && k.todaysJobs().isEmpty()) seedDemo(k)
            refresh()
            // Every committed change (from this screen or, later, from sync) refreshes the UI.
            k.jobChanges().collect { refresh() }
        }
    }

    private suspend fun seedDemo(k: FieldKitClient) = withContext(Dispatchers.IO) {
        demoStockTheVan(k.raw)
        k.setFeeSchedule(demoFeeSchedule())
        k.raw.receiveWorkOrder(demoRepairOrder(1, false))
    }

    fun select(jobId: String?) {
        _state.value = _state.value.copy(selected = null, checklist = null)
        if (jobId != null) launchCall { refresh(jobId) }
    }

    private suspend fun refresh(jobId: String? = _state.value.selected?.order?.id) {
        val k = kit ?: return
        val jobs = k.todaysJobs()
        val detail = jobId?.let { k.job(it) }
        val checklist = detail?.visit?.let { runCatching { k.checklist(jobId) }.getOrNull() }
        _state.value = _state.value.copy(jobs = jobs, selected = detail, checklist = checklist, pendingChanges = k.pendingOpCount())
    }

    /** The next workflow action for the job's status. */
    fun advance() = withJob { k, id, status ->
        when (status) {
            JobStatus.ASSIGNED -> k.accept(id)
            JobStatus.ACCEPTED, JobStatus.NO_ACCESS -> k.callCustomer(
                id,
                CallOutcome(true, CallConfirmations(true, true, true, true, true), null, null),
            )
            JobStatus.CONFIRMED -> k.startTravel(id)
            JobStatus.EN_ROUTE -> k.arrive(id)
            JobStatus.ARRIVED -> k.startWork(id)
            JobStatus.IN_PROGRESS -> k.complete(id)
            JobStatus.PAUSED -> k.resume(id)
            else -> Unit
        }
    }

    fun answer(stepId: String, answer: Answer) = withJob { k, id, _ -> k.answerStep(id, stepId, answer) }

    fun consentToFees(agreed: Boolean) = withJob { k, id, _ ->
        val fees = demoFeeSchedule()
        k.consentToFees(id, fees, fees.items.map { it.code }, agreed)
    }

    fun photo(stepId: String, bitmap: Bitmap) = withJob { k, id, _ ->
        val jpeg = withContext(Dispatchers.Default) {
            ByteArrayOutputStream().also { bitmap.compress(Bitmap.CompressFormat.JPEG, 90, it) }.toByteArray()
        }
        k.addPhoto(id, stepId, jpeg)
    }

    fun sign(stepId: String, signer: String, strokes: Strokes) = withJob { k, id, _ ->
        k.summaryForSigning(id) // what the customer was shown, recorded
        k.sign(id, SignatureInput(signer, SignerRole.CUSTOMER, strokes, stepId, null))
    }

    /** Enrols with the dispatcher's one-time code, then syncs. */
    fun enroll(serverUrl: String, code: String) = launchCall {
        val k = kit ?: return@launchCall
        val account = k.enroll(serverUrl, code)
        _state.value = _state.value.copy(server = account.serverUrl)
        syncNow(k)
    }

    /** Push, pull, upload; the button shows the progress. */
    fun sync() = launchCall { kit?.let { syncNow(it) } }

    private suspend fun syncNow(k: FieldKitClient) {
        if (_state.value.syncing != null) return
        try {
            k.sync { p -> _state.value = _state.value.copy(syncing = p) }
            refresh()
            val issues = k.syncIssues()
            _state.value = _state.value.copy(
                message = if (issues.isEmpty()) null else "${issues.size} changes refused by the server: ${issues.first().reason}",
            )
        } catch (e: FieldKitException.Unauthorized) {
            _state.value = _state.value.copy(server = null) // revoked: show the enrolment form
            throw e
        } finally {
            _state.value = _state.value.copy(syncing = null)
        }
    }

    private fun withJob(block: suspend (FieldKitClient, String, JobStatus) -> Any?) = launchCall {
        val k = kit ?: return@launchCall
        val job = _state.value.selected ?: return@launchCall
        block(k, job.order.id, job.status)
    }

    private fun launchCall(block: suspend () -> Unit) = viewModelScope.launch {
        try {
            block()
            _state.value = _state.value.copy(message = null)
        } catch (e: FieldKitException) {
            _state.value = _state.value.copy(message = e.reasonText)
        }
    }

    override fun onCleared() {
        kit?.close()
    }
}
