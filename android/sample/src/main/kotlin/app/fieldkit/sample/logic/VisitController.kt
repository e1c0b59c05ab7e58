// The sample's logic: today's jobs, one job's next action and checklist, photos, signatures,
// enrolment and sync, turned into one observable state. Plain Kotlin (coroutines and the
// app.fieldkit API, no Android types), so it runs in JVM tests against the real library; the
// androidx ViewModel only wraps it.
package app.fieldkit.sample.logic

import app.fieldkit.FieldKitClient
import app.fieldkit.SyncProgress
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.Attachment
import app.fieldkit.ffi.CallConfirmations
import app.fieldkit.ffi.CallOutcome
import app.fieldkit.ffi.ChecklistView
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.FindingKind
import app.fieldkit.ffi.JobDetail
import app.fieldkit.ffi.JobKind
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.JobSummary
import app.fieldkit.ffi.PartRequest
import app.fieldkit.ffi.PaymentMethod
import app.fieldkit.ffi.ReturnDecision
import app.fieldkit.ffi.ReturnFindings
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SignerRole
import app.fieldkit.ffi.Strokes
import app.fieldkit.ffi.SyncOptions
import app.fieldkit.ffi.VisitStatus
import app.fieldkit.ffi.demoFeeSchedule
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import app.fieldkit.reasonText
import java.io.File
import java.util.UUID
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** What the screens show. */
data class VisitState(
    /** True until the database is open and today's jobs are read. */
    val loading: Boolean = true,
    val jobs: List<JobSummary> = emptyList(),
    val selected: JobDetail? = null,
    /** The selected job's checklist, once it has one. */
    val checklist: ChecklistView? = null,
    /** Parts recorded on the selected job's visit (what its parts review confirms). */
    val partsUsed: Int = 0,
    /** The sentence to show for the last failed action; null when the last one succeeded. */
    val error: String? = null,
    /** The last photo stored (its size shows the full image was used). */
    val lastPhoto: Attachment? = null,
    val pendingChanges: Long = 0,
    /** Null: not enrolled yet (the sample shows the enrolment form). */
    val server: String? = null,
    /** While a sync runs. */
    val syncing: SyncProgress? = null,
    /** The returns rules' last decision on the selected job (shown with its words). */
    val returnDecision: ReturnDecision? = null,
)

/**
 * Runs the sample's actions on [scope] against the app's one [kit] (opened once per process,
 * see SampleApp) and publishes the result as [state]. Every action returns its [Job] (the UI
 * ignores it; tests join it). An action that fails leaves the state as it was, with [VisitState.error]
 * set: a [FieldKitException] by its [reasonText], anything else by [Texts.unexpected] — never
 * a crash. Cancellation is not an error: it propagates.
 *
 * @param photoDir where the camera writes full-size photos before the core takes them
 *   (the app's cache; each file is deleted once stored or abandoned).
 * @param syncOptions per-call sync options, e.g. the company CA in `extraTrustAnchorsPem`.
 */
class VisitController(
    private val scope: CoroutineScope,
    private val kit: Deferred<FieldKitClient>,
    private val photoDir: File,
    private val texts: Texts = Texts.ZhCn,
    private val syncOptions: SyncOptions? = null,
) {
    private val _state = MutableStateFlow(VisitState())
    private val refreshLock = Mutex()
    val state: StateFlow<VisitState> = _state.asStateFlow()

    /**
     * Opens the database (awaits [kit]), puts the demo job on an un-enrolled, empty device if
     * [seedDemo], reads today's jobs, then keeps the state fresh on every committed change.
     */
    fun start(seedDemo: Boolean = true): Job = launchAction {
        val k = kit.await()
        val account = k.serverAccount()
        _state.update { it.copy(server = account?.serverUrl) }
        if (seedDemo && account == null && k.todaysJobs().isEmpty()) seedDemo(k)
        refresh(k)
        _state.update { it.copy(loading = false) }
        scope.launch { guarded { k.jobChanges().collect { refresh(k) } } }
    }

    private suspend fun seedDemo(k: FieldKitClient) {
        demoStockTheVan(k.raw)
        k.setFeeSchedule(demoFeeSchedule())
        k.raw.receiveWorkOrder(demoRepairOrder(1, false))
    }

    /** Shows one job (its detail and checklist), or the list again for null. */
    fun select(jobId: String?): Job {
        _state.update { it.copy(selected = null, checklist = null) }
        return launchAction { if (jobId != null) refresh(kit.await(), jobId) }
    }

    /** The next workflow action for the selected job's status. */
    fun advance(): Job = withJob { k, id, status ->
        when (status) {
            JobStatus.ASSIGNED -> k.accept(id)
            JobStatus.ACCEPTED, JobStatus.NO_ACCESS, JobStatus.AWAITING_PARTS, JobStatus.SIGNATURE_REFUSED,
            JobStatus.SECOND_VISIT_NEEDED ->
                k.callCustomer(id, CALL_CONFIRMED)
            JobStatus.CONFIRMED -> k.startTravel(id)
            JobStatus.EN_ROUTE -> k.arrive(id)
            JobStatus.ARRIVED -> k.startWork(id)
            JobStatus.IN_PROGRESS -> k.complete(id)
            JobStatus.PAUSED -> k.resume(id)
            else -> Unit
        }
    }

    fun answer(stepId: String, answer: Answer): Job = withJob { k, id, _ -> k.answerStep(id, stepId, answer) }

    /** The customer's rating (1–5): the feedback step's evidence (the step cannot be ticked). */
    fun feedback(rating: Int): Job = withJob { k, id, _ -> k.feedback(id, rating) }

    /**
     * Ends the selected job's visit short of completion with [reason] (and, for a refused
     * signature, the [witness]'s name). Waiting for parts requests the demo van's pump (a real
     * app lets the technician pick the parts); a redelivery names the latest damaged-on-delivery
     * finding the customer signed, or shows [Texts.noSignedDamage] when there is none.
     */
    fun end(ending: Ending, reason: String, witness: String? = null): Job = withJob { k, id, _ ->
        when (ending) {
            Ending.NO_ACCESS -> k.noAccess(id, reason)
            Ending.AWAIT_PARTS -> k.awaitParts(id, listOf(PartRequest(DEMO_PART, 1)), reason)
            Ending.REFUSE_SIGNATURE -> k.refuseSignature(id, reason, witness = witness)
            Ending.DECLINE_QUOTE -> k.declineQuote(id, reason)
            Ending.SECOND_VISIT -> k.needSecondVisit(id, reason)
            Ending.REDELIVERY -> {
                val damage = k.findings(id).lastOrNull {
                    it.kind == FindingKind.DAMAGED_ON_DELIVERY && it.acknowledgedBy != null
                } ?: throw Shown(texts.noSignedDamage)
                k.requestRedelivery(id, damage.id, reason)
            }
        }
    }

    /** The customer's answer to the demo fee schedule (all its items). */
    fun consentToFees(agreed: Boolean): Job = withJob { k, id, _ ->
        val fees = demoFeeSchedule()
        k.consentToFees(id, fees, fees.items.map { it.code }, agreed)
    }

    /**
     * Settles the fee (结算): the demo's consented total (all its items) in cash, with a receipt
     * issued on site when [receiptIssued], else the invoice follows (due in 3 days).
     */
    fun settle(receiptIssued: Boolean): Job = withJob { k, id, _ ->
        val total = demoFeeSchedule().items.sumOf { it.amount }
        k.settle(id, Settlement(total, PaymentMethod.CASH, if (receiptIssued) "SJ-${id.take(8)}" else null, null))
    }

    /** A new file for the camera to write a full-size photo to (hand it to [photoTaken]). */
    fun newPhotoFile(): File {
        photoDir.mkdirs()
        return File(photoDir, "photo-${UUID.randomUUID()}.jpg")
    }

    /**
     * The camera finished with [file] (from [newPhotoFile]): when [saved], the full-size
     * photo is stored for [stepId]. The file is deleted either way.
     */
    fun photoTaken(stepId: String, file: File, saved: Boolean): Job = launchAction {
        try {
            if (saved) {
                val (k, id) = selectedJob() ?: return@launchAction
                val photo = k.addPhotoFile(id, stepId, file)
                _state.update { it.copy(lastPhoto = photo) }
                refresh(k)
            }
        } finally {
            file.delete()
        }
    }

    /** Records the customer's signature for [stepId] after recording what they were shown. */
    fun sign(stepId: String, signer: String, strokes: Strokes): Job = withJob { k, id, _ ->
        k.summaryForSigning(id)
        k.sign(id, SignatureInput(signer, SignerRole.CUSTOMER, strokes, stepId, null))
    }

    /**
     * A finding step ([StepKind.Finding]): the anomaly [note] is recorded as a finding (or the
     * visit's latest one the customer has not signed yet is reused, after a refused signature)
     * and the customer signs it on [stepId], after seeing the summary. Damage found on a
     * delivery is of kind damaged-on-delivery, anything else man-made damage.
     */
    fun signFinding(stepId: String, note: String, signer: String, strokes: Strokes): Job = withJob { k, id, _ ->
        val finding = k.findings(id).lastOrNull { it.acknowledgedBy == null } ?: run {
            val kind = if (k.job(id).order.kind == JobKind.DELIVERY) FindingKind.DAMAGED_ON_DELIVERY else FindingKind.MAN_MADE_DAMAGE
            k.recordFinding(id, kind, note)
        }
        k.summaryForSigning(id)
        k.sign(id, SignatureInput(signer, SignerRole.CUSTOMER, strokes, stepId, finding.id))
    }

    /**
     * A loaner step ([StepKind.Loaners]): every loaner of the job still with the customer is
     * taken back, then the step is answered as the records now say (collected, or none lent).
     */
    fun loanersBack(stepId: String): Job = withJob { k, id, _ ->
        val loaners = k.loaners(id)
        loaners.filter { it.returnedAtMs == null }.forEach { k.returnLoaner(id, it.id) }
        k.answerStep(id, stepId, Answer.Choice(if (loaners.isEmpty()) "none_lent" else "collected"))
    }

    /**
     * A return-decision step ([StepKind.ReturnDecision]): the rules decide from the job's sale
     * and [found]; the decision is shown ([VisitState.returnDecision]) and recorded — never an
     * outcome picked by hand.
     */
    fun decideReturn(stepId: String, found: ReturnFindings): Job = withJob { k, id, _ ->
        val decision = k.returnDecision(id, found)
        _state.update { it.copy(returnDecision = decision) }
        k.answerStep(id, stepId, Answer.ReturnDecided(found, decision))
    }

    /** Enrols with the dispatcher's one-time code, then syncs. */
    fun enroll(serverUrl: String, code: String): Job = launchAction {
        val k = kit.await()
        val account = k.enroll(serverUrl, code, syncOptions)
        _state.update { it.copy(server = account.serverUrl) }
        syncNow(k)
    }

    /** Push, pull, upload; [VisitState.syncing] shows the progress. */
    fun sync(): Job = launchAction { syncNow(kit.await()) }

    fun dismissError() = _state.update { it.copy(error = null) }

    private suspend fun syncNow(k: FieldKitClient) {
        if (_state.value.syncing != null) return
        try {
            k.sync(syncOptions) { p -> _state.update { it.copy(syncing = p) } }
            refresh(k)
            val issues = k.syncIssues()
            if (issues.isNotEmpty()) throw RefusedByServer(texts.refusedByServer(issues.size, issues.first().reason))
        } catch (e: FieldKitException.Unauthorized) {
            _state.update { it.copy(server = null) } // revoked or unknown: show the enrolment form
            throw e
        } finally {
            _state.update { it.copy(syncing = null) }
        }
    }

    /**
     * Reads today's jobs and [jobId] (default: the selected job) and publishes them. One at a
     * time, each reading after the last one published: a refresh the change observer started
     * earlier can never publish an older snapshot over a newer one.
     */
    private suspend fun refresh(k: FieldKitClient, jobId: String? = null) = refreshLock.withLock {
        val id = jobId ?: _state.value.selected?.order?.id
        val jobs = k.todaysJobs()
        val detail = id?.let { k.job(it) }
        // A visit that ended (no access, waiting for parts…) has no checklist to run.
        val open = detail?.visit?.let { it.status !is VisitStatus.Ended } ?: false
        val checklist = if (id != null && open) k.checklist(id) else null
        val parts = if (id != null && open) k.partsUsed(id).size else 0
        val pending = k.pendingOpCount()
        _state.update {
            it.copy(jobs = jobs, selected = detail, checklist = checklist, partsUsed = parts, pendingChanges = pending)
        }
    }

    private suspend fun selectedJob(): Pair<FieldKitClient, String>? {
        val job = _state.value.selected ?: return null
        return kit.await() to job.order.id
    }

    private fun withJob(block: suspend (FieldKitClient, String, JobStatus) -> Any?): Job = launchAction {
        val job = _state.value.selected ?: return@launchAction
        val k = kit.await()
        block(k, job.order.id, job.status)
        refresh(k)
    }

    /** Runs [block]; on success clears the error, on failure shows it. */
    private fun launchAction(block: suspend () -> Unit): Job = scope.launch {
        guarded {
            block()
            _state.update { it.copy(error = null) }
        }
    }

    /**
     * Every failure becomes [VisitState.error]; only cancellation (the scope is going away)
     * and the JVM's own failures (out of memory) pass through.
     */
    private suspend fun guarded(block: suspend () -> Unit) {
        try {
            block()
        } catch (e: CancellationException) {
            throw e
        } catch (e: VirtualMachineError) {
            throw e
        } catch (e: Throwable) {
            val message = when (e) {
                is FieldKitException -> e.reasonText
                is RefusedByServer -> e.message
                is Shown -> e.message
                else -> texts.unexpected(e)
            }
            _state.update { it.copy(error = message, loading = false) }
        }
    }

    /** The server refused some changes: shown, not retried (they stay in syncIssues()). */
    private class RefusedByServer(override val message: String) : Exception(message)

    /** An action the sample itself cannot take, in the technician's words. */
    private class Shown(override val message: String) : Exception(message)

    private companion object {
        /** The part the demo van carries. */
        const val DEMO_PART = "PUMP-220"

        /** The sample confirms everything on the call; a real app asks the technician. */
        val CALL_CONFIRMED = CallOutcome(
            reached = true,
            confirmed = CallConfirmations(address = true, phone = true, name = true, timeWindow = true, productModel = true),
            agreed = null,
            note = null,
        )
    }
}
