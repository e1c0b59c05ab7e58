// The idiomatic Kotlin face of the FieldKit core: suspend functions that run the local calls
// on an I/O dispatcher, enrolment and sync as suspend calls into Rust's async client, Flows
// of job changes and sync progress from the observer callbacks, AutoCloseable lifetimes. Plain JVM (no Android classes), so it is tested on a desktop JVM; the Context
// helpers live in src/android.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.Arrival
import app.fieldkit.ffi.Attachment
import app.fieldkit.ffi.CallOutcome
import app.fieldkit.ffi.ChecklistView
import app.fieldkit.ffi.CompletionRecord
import app.fieldkit.ffi.CopyOptions
import app.fieldkit.ffi.CountResult
import app.fieldkit.ffi.DelayNotice
import app.fieldkit.ffi.FeeConsent
import app.fieldkit.ffi.FeeSchedule
import app.fieldkit.ffi.Feedback
import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.Finding
import app.fieldkit.ffi.Loaner
import app.fieldkit.ffi.FindingKind
import app.fieldkit.ffi.JobDetail
import app.fieldkit.ffi.JobObserver
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.JobSummary
import app.fieldkit.ffi.KitConfig
import app.fieldkit.ffi.OpenChecklist
import app.fieldkit.ffi.Part
import app.fieldkit.ffi.PartRequest
import app.fieldkit.ffi.PartUsage
import app.fieldkit.ffi.PartUse
import app.fieldkit.ffi.Replenishment
import app.fieldkit.ffi.ReturnDecision
import app.fieldkit.ffi.ReturnFindings
import app.fieldkit.ffi.Signature
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SigningSummary
import app.fieldkit.ffi.Strokes
import app.fieldkit.ffi.ServerAccount
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.SettlementRecord
import app.fieldkit.ffi.StepContext
import app.fieldkit.ffi.StockCount
import app.fieldkit.ffi.StockLevel
import app.fieldkit.ffi.SyncIssue
import app.fieldkit.ffi.SyncObserver
import app.fieldkit.ffi.SyncOptions
import app.fieldkit.ffi.SyncPhase
import app.fieldkit.ffi.SyncReport
import app.fieldkit.ffi.TakeBack
import app.fieldkit.ffi.TechnicianCard
import app.fieldkit.ffi.TakeBackReceipt
import app.fieldkit.ffi.TimeWindow
import app.fieldkit.ffi.Verification
import java.io.File
import java.time.Instant
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext

/**
 * A change to a job: which job, and the command that changed it ("arrive", "sign", …), or
 * what a sync pulled in from the desk ([PULLED_WORK_ORDER], [PULLED_CANCELLATION],
 * [PULLED_REMOVAL]).
 */
data class JobChange(val jobId: String, val action: String) {
    /** Whether the desk made this change (a sync pulled it in), not this device. */
    val fromDesk: Boolean get() = action.startsWith("pulled_")

    companion object {
        /** A job new to this device, assigned (back) to it, or changed by the desk. */
        const val PULLED_WORK_ORDER = "pulled_work_order"
        /** The desk cancelled the job. */
        const val PULLED_CANCELLATION = "pulled_cancellation"
        /** The job was given to another technician: it leaves this device's lists. */
        const val PULLED_REMOVAL = "pulled_removal"
    }
}

/**
 * How a sync is getting on: [done] of [total] in [phase] (ops for `PUSH`, changes for `PULL`,
 * bytes for `BLOBS`; [total] is 0 when not known in advance, as for a pull).
 */
data class SyncProgress(val phase: SyncPhase, val done: Long, val total: Long) {
    /** 0.0–1.0, or null when the total is not known. */
    val fraction: Float? get() = if (total > 0) (done.toFloat() / total).coerceIn(0f, 1f) else null
}

/**
 * One open FieldKit database. Every call is local: it runs on [io] and returns in
 * milliseconds (photos: tens to hundreds). Close it (`use {}`) when done; the underlying
 * native object is released at once, not by a finalizer.
 *
 * Errors arrive as [FieldKitException] subclasses (`Validation`, `NotFound`, `Refused`,
 * `StepRefused`, `Blocked`, `Photo`, …); [reasonText] gives the sentence to show.
 */
class FieldKitClient private constructor(
    /** The generated binding, for calls this layer does not wrap. */
    val raw: FieldKit,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /**
         * Opens (creating on first use) the database in [dataDir], encrypted with [databaseKey]
         * (32 bytes; on Android `DatabaseKeyStore` keeps it under the Keystore). A plain
         * database found there is encrypted once; a key that does not open it throws
         * [FieldKitException.WrongKey] and changes nothing. Blocking: call it off the main
         * thread.
         */
        fun open(
            dataDir: File,
            databaseKey: ByteArray,
            config: KitConfig = KitConfig(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FieldKitClient {
            dataDir.mkdirs()
            return FieldKitClient(FieldKit.open(dataDir.absolutePath, config.copy(databaseKey = databaseKey)), io)
        }
    }

    val deviceId: String get() = raw.deviceId()

    /**
     * Switches the language of every error reason and blocker text (a BCP 47 tag, e.g.
     * `Locale.getDefault().toLanguageTag()` after the phone's language changed); a language
     * FieldKit does not speak gives Chinese.
     */
    fun setLocale(tag: String) = raw.setLocale(tag)

    private suspend inline fun <T> local(crossinline call: FieldKit.() -> T): T =
        withContext(io) { raw.call() }

    // Jobs
    suspend fun todaysJobs(): List<JobSummary> = local { todaysJobs() }
    suspend fun job(jobId: String): JobDetail = local { job(jobId) }
    suspend fun accept(jobId: String): JobStatus = local { accept(jobId) }
    suspend fun callCustomer(jobId: String, call: CallOutcome): JobStatus = local { callCustomer(jobId, call) }
    suspend fun reschedule(jobId: String, window: TimeWindow, reason: String): JobStatus =
        local { reschedule(jobId, window, reason) }
    suspend fun startTravel(jobId: String): JobStatus = local { startTravel(jobId) }
    suspend fun notifyDelay(jobId: String, reason: String, newEta: Instant): DelayNotice =
        local { notifyDelay(jobId, reason, newEta.toEpochMilli()) }
    suspend fun arrive(jobId: String): Arrival = local { arrive(jobId) }
    suspend fun noAccess(jobId: String, note: String): JobStatus = local { noAccess(jobId, note) }
    suspend fun cancel(jobId: String, reason: String): JobStatus = local { cancel(jobId, reason) }

    // Checklist
    suspend fun checklist(jobId: String): ChecklistView = local { checklist(jobId) }
    suspend fun answerStep(jobId: String, stepId: String, answer: Answer): Long =
        local { answerStep(jobId, stepId, answer) }
    suspend fun exceptStep(jobId: String, stepId: String, reason: String): Long =
        local { exceptStep(jobId, stepId, reason) }
    /**
     * The checklist of the job's open visit, held open by a screen (close it with `use {}` or
     * `close()` when the screen goes). Its calls name a step by its position in
     * `view().steps` and are plain (not suspend) calls: each takes microseconds, no thread hop
     * is worth its cost (BENCHMARKS.md §4). `confirm(i)` ticks a confirmation step;
     * `answerAndView(i, answer)` answers and returns the checklist to redraw, in one call.
     * `NotFound` without an open visit.
     */
    suspend fun openChecklist(jobId: String): OpenChecklist = local { openChecklist(jobId) }
    /**
     * What the returns rules (第6章 第21–24条) decide for the job's sale with [found] on site:
     * show [ReturnDecision.whyZhCn] / [ReturnDecision.whyEn], then answer the return-decision
     * step with `Answer.ReturnDecided(found, decision)`. `Validation` without a sale record.
     */
    suspend fun returnDecision(jobId: String, found: ReturnFindings): ReturnDecision =
        local { returnDecision(jobId, found) }
    /** What a step shows beside its label: at `id_badge`, the employee number (工号) to show. */
    suspend fun stepContext(jobId: String, stepId: String): StepContext = local { stepContext(jobId, stepId) }
    /** The technician's card the server sent (name, 工号, service hotline); null before enrolment. */
    suspend fun technicianCard(): TechnicianCard? = local { technicianCard() }

    // On site
    suspend fun startWork(jobId: String): JobStatus = local { startWork(jobId) }
    suspend fun recordFinding(jobId: String, kind: FindingKind, description: String): Finding =
        local { recordFinding(jobId, kind, description) }
    suspend fun setFeeSchedule(schedule: FeeSchedule) = local { setFeeSchedule(schedule) }
    suspend fun consentToFees(jobId: String, schedule: FeeSchedule, items: List<String>, agreed: Boolean): FeeConsent =
        local { consentToFees(jobId, schedule.id, schedule.version, items, agreed) }
    suspend fun pause(jobId: String, reason: String): JobStatus = local { pause(jobId, reason) }
    suspend fun resume(jobId: String): JobStatus = local { resume(jobId) }
    /**
     * Takes the unit to the workshop. Where the visit's checklist asks for the evidence
     * (templates v3 on): [TakeBack.conditionPhotos] of this visit (see [photos]) and the
     * customer's signature on this very receipt ([takeBackSummary], then [signTakeBackReceipt]).
     */
    suspend fun takeBack(jobId: String, takeBack: TakeBack): TakeBackReceipt = local { takeBack(jobId, takeBack) }
    /** The visit's summary with the take-back receipt, to show the customer (recorded as shown). */
    suspend fun takeBackSummary(jobId: String, takeBack: TakeBack): SigningSummary =
        local { takeBackSummary(jobId, takeBack) }
    /** The customer signs the take-back receipt they were shown. Survives power loss once it returns. */
    suspend fun signTakeBackReceipt(jobId: String, takeBack: TakeBack, signerName: String, strokes: Strokes): Signature =
        local { signTakeBackReceipt(jobId, takeBack, signerName, strokes) }
    /** SHA-256 of each photo of the job's current (or last) visit, oldest first. */
    suspend fun photos(jobId: String): List<String> = local { photos(jobId) }
    /** Ends the visit for want of a part (待件): the parts requested and what was found. */
    suspend fun awaitParts(jobId: String, parts: List<PartRequest>, note: String): JobStatus =
        local { awaitParts(jobId, parts, note) }
    /**
     * Settles the paid visit's fee after the work (结算): the amount (fen), the method, the
     * receipt or invoice number issued on site or none (the invoice is due 3 days on), and the
     * reason when the amount is not the consented total. Answers the `fee_settled` step.
     */
    suspend fun settle(jobId: String, settlement: Settlement): SettlementRecord =
        local { settle(jobId, settlement) }
    /** The customer will not sign: the reason, and a witness's name or a photo of this visit. */
    suspend fun refuseSignature(jobId: String, reason: String, witness: String? = null, photoSha256: String? = null): JobStatus =
        local { refuseSignature(jobId, reason, witness, photoSha256) }
    /** The customer declined the quote: their answer recorded first (consentToFees, not agreed). */
    suspend fun declineQuote(jobId: String, reason: String): JobStatus = local { declineQuote(jobId, reason) }
    /** Another visit is needed (work started): the reason; the next call plans it. */
    suspend fun needSecondVisit(jobId: String, reason: String): JobStatus = local { needSecondVisit(jobId, reason) }
    /** Goods damaged on unboxing: the customer-signed damaged-on-delivery finding, a photo taken. */
    suspend fun requestRedelivery(jobId: String, findingId: String, note: String): JobStatus =
        local { requestRedelivery(jobId, findingId, note) }
    /** The job's loaners (lent at take-backs), each with its return once recorded. */
    suspend fun loaners(jobId: String): List<Loaner> = local { loaners(jobId) }
    /** The loaner came back, recorded on site on the return visit (completion does not return it). */
    suspend fun returnLoaner(jobId: String, loanerId: String): Unit = local { returnLoaner(jobId, loanerId) }
    /** The findings of the job's current (or last) visit, each with its signature once given. */
    suspend fun findings(jobId: String): List<Finding> = local { findings(jobId) }
    suspend fun feedback(jobId: String, rating: Int, comment: String? = null, complaint: Boolean = false): Feedback =
        local { feedback(jobId, rating, comment, complaint) }
    suspend fun complete(jobId: String): CompletionRecord = local { complete(jobId) }

    // Evidence: the decode runs on the core's blocking pool (a suspend call into Rust).
    suspend fun addPhoto(jobId: String, stepId: String?, jpegOrPng: ByteArray): Attachment =
        raw.addPhotoAsync(jobId, stepId, jpegOrPng)
    suspend fun addPhotoFile(jobId: String, stepId: String?, file: File): Attachment =
        local { addPhotoFile(jobId, stepId, file.absolutePath) }
    suspend fun attachmentBytes(sha256: String): ByteArray = local { attachmentBytes(sha256) }

    // Signing
    suspend fun summaryForSigning(jobId: String): SigningSummary = local { summaryForSigning(jobId) }
    suspend fun sign(jobId: String, input: SignatureInput): Signature = local { sign(jobId, input) }
    suspend fun verify(jobId: String): Verification = local { verify(jobId) }

    // The customer's copy
    /**
     * The customer's copy of a signed job as PDF bytes, made offline: the work order, visit
     * times, checklist, parts, fees, photo thumbnails, the signature, the hash of the signed
     * content and a QR code of the server's verify page. [CopyOptions.fontPath] on Android:
     * `/system/fonts/NotoSansCJK-Regular.ttc`. `FieldKitException.Report` until the customer
     * has signed, or when the font is unusable.
     */
    suspend fun customerCopy(jobId: String, options: CopyOptions): ByteArray =
        local { customerCopy(jobId, options) }

    /**
     * Writes the customer's copy to [file] (to hand over or share): whole or not at all — a
     * temporary file beside it, synced, then renamed into place.
     */
    suspend fun writeCustomerCopy(jobId: String, options: CopyOptions, file: File): File {
        val pdf = customerCopy(jobId, options)
        return withContext(io) {
            file.absoluteFile.parentFile?.mkdirs()
            val tmp = File(file.absoluteFile.parentFile, ".${file.name}.tmp")
            java.io.FileOutputStream(tmp).use { out ->
                out.write(pdf)
                out.fd.sync()
            }
            java.nio.file.Files.move(
                tmp.toPath(),
                file.toPath(),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            )
            file
        }
    }

    // Parts
    suspend fun addCatalogPart(part: Part) = local { addCatalogPart(part) }
    suspend fun issueStock(sku: String, quantity: Long): Long = local { issueStock(sku, quantity) }
    suspend fun vanStock(): List<StockLevel> = local { vanStock() }
    suspend fun recordPart(jobId: String, usage: PartUse): PartUsage = local { recordPart(jobId, usage) }
    suspend fun partsUsed(jobId: String): List<PartUsage> = local { partsUsed(jobId) }
    /** A stock check (盘点): what was counted, with what the van's ledger held; stock unchanged. */
    suspend fun countStock(counts: List<StockCount>): List<CountResult> = local { countStock(counts) }
    /** The replenishments the desk issued to this van (pulled by [sync]), the newest first. */
    suspend fun replenishments(): List<Replenishment> = local { replenishments() }
    /** The issued replenishment is in the van: returns the part's new stock; the receipt syncs. */
    suspend fun receiveReplenishment(id: String): Long = local { receiveReplenishment(id) }

    // Housekeeping
    suspend fun pendingChanges(): Long = local { pendingChanges() }
    /** Call when the app goes to the background. */
    suspend fun checkpoint(): Boolean = local { checkpoint() }

    // Sync: suspend calls into the core's async client (tokio); the coroutine suspends, no
    // thread blocks. Cancelling the coroutine stops the sync safely: the next one carries on.
    private val syncMutex = Mutex()
    private val progress = MutableSharedFlow<SyncProgress>(
        extraBufferCapacity = 64,
        onBufferOverflow = BufferOverflow.DROP_OLDEST,
    )

    /**
     * Enrols this device with the server at [serverUrl] using the dispatcher's one-time
     * [code]. Throws [FieldKitException.Unauthorized] for a wrong, expired or used code,
     * [FieldKitException.Network] when the server cannot be reached.
     */
    suspend fun enroll(serverUrl: String, code: String, options: SyncOptions? = null): ServerAccount =
        syncMutex.withLock { raw.enroll(serverUrl, code, options) }

    /**
     * Pushes this device's changes, pulls the desk's, then uploads photos and signatures.
     * One sync at a time (a second caller waits for the first). Progress goes to [onProgress]
     * (on the thread driving the sync: keep it quick) and to [syncProgress]. Throws
     * [FieldKitException.NotEnrolled], [FieldKitException.Network] (retry later; nothing is
     * lost), [FieldKitException.Unauthorized] (device revoked: enrol again).
     */
    suspend fun sync(options: SyncOptions? = null, onProgress: ((SyncProgress) -> Unit)? = null): SyncReport =
        syncMutex.withLock {
            val report = raw.sync(
                object : SyncObserver {
                    override fun onProgress(phase: SyncPhase, done: Long, total: Long) {
                        val p = SyncProgress(phase, done, total)
                        progress.tryEmit(p)
                        onProgress?.invoke(p)
                    }
                },
                options,
            )
            purgeSyncedJobs()
            report
        }

    /**
     * Deletes from the phone the closed jobs the server holds entirely, once
     * `KitConfig.purgeAfterDays` have passed since their last change (the server keeps them);
     * returns how many went. [sync] calls it after every sync.
     */
    suspend fun purgeSyncedJobs(): Long = local { purgeSyncedJobs() }

    /** Progress of every sync run through this client, as it happens (for a progress bar). */
    fun syncProgress(): SharedFlow<SyncProgress> = progress.asSharedFlow()

    suspend fun serverAccount(): ServerAccount? = local { serverAccount() }
    /** Changes the server refused or flagged, newest first: show them; they are not retried. */
    suspend fun syncIssues(): List<SyncIssue> = local { syncIssues() }
    /** How many changes wait for the server. */
    suspend fun pendingOpCount(): Long = local { pendingOpCount() }

    /**
     * Every change to any job, as it is committed. Registration happens when collection
     * starts; cancelling the collector cancels the observer (its handle is closed).
     */
    fun jobChanges(): Flow<JobChange> = callbackFlow {
        val handle = raw.observeJobs(object : JobObserver {
            override fun onJobChanged(jobId: String, action: String) {
                trySend(JobChange(jobId, action))
            }
        })
        awaitClose {
            handle.cancel()
            handle.close()
        }
    }.buffer(Channel.UNLIMITED)

    /** Changes to one job. */
    fun jobChanges(jobId: String): Flow<JobChange> = jobChanges().filter { it.jobId == jobId }

    override fun close() = raw.close()
}

/**
 * The sentence to show the technician for a FieldKit error, in the kit's language
 * (`KitConfig.locale`, [FieldKitClient.setLocale]); never customer data.
 */
val FieldKitException.reasonText: String
    get() = when (this) {
        is FieldKitException.Validation -> reason
        is FieldKitException.NotFound -> reason
        is FieldKitException.Refused -> reason
        is FieldKitException.StepRefused -> reason
        is FieldKitException.Blocked -> reason
        is FieldKitException.Photo -> reason
        is FieldKitException.Conflict -> reason
        is FieldKitException.UpdateRequired -> reason
        is FieldKitException.WrongKey -> reason
        is FieldKitException.Storage -> reason
        is FieldKitException.Network -> reason
        is FieldKitException.Tls -> reason
        is FieldKitException.Unauthorized -> reason
        is FieldKitException.Rejected -> reason
        is FieldKitException.NotEnrolled -> reason
        is FieldKitException.Report -> reason
        is FieldKitException.Internal -> reason
    }

val TimeWindow.start: Instant get() = Instant.ofEpochMilli(startMs)
val TimeWindow.end: Instant get() = Instant.ofEpochMilli(endMs)
fun timeWindow(start: Instant, end: Instant) = TimeWindow(start.toEpochMilli(), end.toEpochMilli())
