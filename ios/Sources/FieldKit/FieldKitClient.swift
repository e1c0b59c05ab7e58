// The Swift face of the FieldKit core, call for call the Kotlin client's
// (android/fieldkit/src/main/kotlin/app/fieldkit/FieldKitClient.kt): async functions that run
// the local calls off the caller's thread (never on Swift's cooperative pool, which must not
// block), enrolment and sync as async calls into Rust's client (one at a time), AsyncStreams
// of job changes and sync progress from the observer callbacks, and the generated types
// re-exported.
import Foundation
@_exported import FieldKitBindings

/// A change to a job: which job, and the command that changed it ("arrive", "sign", …), or
/// what a sync pulled in from the desk (`pulledWorkOrder`, `pulledCancellation`,
/// `pulledRemoval`).
public struct JobChange: Sendable, Equatable {
    public let jobId: String
    public let action: String

    /// Whether the desk made this change (a sync pulled it in), not this device.
    public var fromDesk: Bool { action.hasPrefix("pulled_") }

    /// A job new to this device, assigned (back) to it, or changed by the desk.
    public static let pulledWorkOrder = "pulled_work_order"
    /// The desk cancelled the job.
    public static let pulledCancellation = "pulled_cancellation"
    /// The job was given to another technician: it leaves this device's lists.
    public static let pulledRemoval = "pulled_removal"
}

/// How a sync is getting on: `done` of `total` in `phase` (ops for `.push`, changes for
/// `.pull`, bytes for `.blobs`; `total` is 0 when not known in advance, as for a pull).
public struct SyncProgress: @unchecked Sendable, Equatable {
    public let phase: SyncPhase
    public let done: Int64
    public let total: Int64
    /// 0...1, or nil when the total is not known.
    public var fraction: Double? { total > 0 ? min(1, max(0, Double(done) / Double(total))) : nil }
}

/// One open FieldKit database: **one app-scoped client**. Open it once at launch (off the main
/// thread: it opens SQLite), keep it for the life of the process and share it (environment
/// object, dependency container); never one per screen or per task — two clients on one
/// directory would each sync, each observe only their own changes. Every local call returns in
/// milliseconds (photos: tens to hundreds); the object is released when the last reference goes.
///
/// Errors are `FieldKitError` cases (`.Validation`, `.NotFound`, `.Refused`, `.StepRefused`,
/// `.Blocked`, `.Photo`, `.Tls`, `.Report`, …); `reasonText` gives the sentence to show.
public final class FieldKitClient: @unchecked Sendable {
    /// The generated binding, for calls this layer does not wrap.
    public let raw: FieldKit
    private let queue = DispatchQueue(label: "app.fieldkit.local", qos: .userInitiated, attributes: .concurrent)
    /// Enrolment and sync, one at a time: a second caller waits for the first.
    private let syncGate = SerialGate()
    private let progressLock = NSLock()
    private var progressContinuations: [UUID: AsyncStream<SyncProgress>.Continuation] = [:]

    /// Opens (creating on first use) the database in `directory`, encrypted with
    /// `databaseKey` (32 bytes; `DatabaseKeyStore` keeps it in the Keychain). A plain database
    /// found there is encrypted once; a key that does not open it throws `.WrongKey` and
    /// changes nothing. Blocking: call it off the main thread, once per process (see the
    /// type's documentation). The default configuration speaks the phone's language
    /// (`Locale.current.identifier`; Chinese for a language FieldKit does not speak).
    public init(directory: URL, databaseKey: Data, config: KitConfig = KitConfig(locale: Locale.current.identifier)) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var keyed = config
        keyed.databaseKey = databaseKey
        raw = try FieldKit.open(dataDir: directory.path, config: keyed)
    }

    /// The app's FieldKit directory: Application Support/fieldkit, excluded from backups.
    public static func defaultDirectory() throws -> URL {
        var url = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("fieldkit", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
        return url
    }

    public var deviceId: String { raw.deviceId() }

    private func local<T>(_ call: @escaping (FieldKit) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try call(self.raw) }) }
        }
    }

    // Jobs
    public func todaysJobs() async throws -> [JobSummary] { try await local { try $0.todaysJobs() } }
    /// Switches the language of every error reason and blocker text (a BCP 47 tag or a
    /// `Locale.current.identifier`, after the phone's language changed); a language FieldKit
    /// does not speak gives Chinese.
    public func setLocale(_ tag: String) { raw.setLocale(tag: tag) }

    public func job(_ id: String) async throws -> JobDetail { try await local { try $0.job(jobId: id) } }
    public func accept(_ id: String) async throws -> JobStatus { try await local { try $0.accept(jobId: id) } }
    public func callCustomer(_ id: String, _ call: CallOutcome) async throws -> JobStatus {
        try await local { try $0.callCustomer(jobId: id, call: call) }
    }
    public func reschedule(_ id: String, window: TimeWindow, reason: String) async throws -> JobStatus {
        try await local { try $0.reschedule(jobId: id, window: window, reason: reason) }
    }
    public func startTravel(_ id: String) async throws -> JobStatus { try await local { try $0.startTravel(jobId: id) } }
    public func notifyDelay(_ id: String, reason: String, newEta: Date) async throws -> DelayNotice {
        try await local { try $0.notifyDelay(jobId: id, reason: reason, newEtaMs: epochMs(newEta)) }
    }
    public func arrive(_ id: String) async throws -> Arrival { try await local { try $0.arrive(jobId: id) } }
    public func noAccess(_ id: String, note: String) async throws -> JobStatus { try await local { try $0.noAccess(jobId: id, note: note) } }
    public func cancel(_ id: String, reason: String) async throws -> JobStatus { try await local { try $0.cancel(jobId: id, reason: reason) } }

    // Checklist
    public func checklist(_ id: String) async throws -> ChecklistView { try await local { try $0.checklist(jobId: id) } }
    /// Returns the change's outbox sequence number.
    @discardableResult
    public func answerStep(_ id: String, _ stepId: String, _ answer: Answer) async throws -> Int64 {
        try await local { try $0.answerStep(jobId: id, stepId: stepId, answer: answer) }
    }
    /// The checklist of the job's open visit, held open by a screen. Its calls name a step by
    /// its position in `view().steps` and are plain (not async) calls: each takes microseconds,
    /// no hop is worth its cost (BENCHMARKS.md §4). `confirm(step:)` ticks a confirmation step;
    /// `answerAndView(step:answer:)` answers and returns the checklist to redraw, in one call.
    /// `NotFound` without an open visit.
    public func openChecklist(_ id: String) async throws -> OpenChecklist {
        try await local { try $0.openChecklist(jobId: id) }
    }
    /// What the returns rules (第6章 第21–24条) decide for the job's sale with `found` on site:
    /// show `whyZhCn` / `whyEn`, then answer the return-decision step with
    /// `.returnDecided(found:decision:)`. `Validation` without a sale record.
    public func returnDecision(_ id: String, _ found: ReturnFindings) async throws -> ReturnDecision {
        try await local { try $0.returnDecision(jobId: id, found: found) }
    }
    /// What a step shows beside its label: at `id_badge`, the employee number (工号) to show.
    public func stepContext(_ id: String, _ stepId: String) async throws -> StepContext {
        try await local { try $0.stepContext(jobId: id, stepId: stepId) }
    }
    /// The technician's card the server sent (name, 工号, service hotline); nil before enrolment.
    public func technicianCard() async throws -> TechnicianCard? { try await local { try $0.technicianCard() } }
    /// Skips a step that allows it, with the reason (the customer refused shoe covers…).
    @discardableResult
    public func exceptStep(_ id: String, _ stepId: String, reason: String) async throws -> Int64 {
        try await local { try $0.exceptStep(jobId: id, stepId: stepId, reason: reason) }
    }

    // On site
    public func startWork(_ id: String) async throws -> JobStatus { try await local { try $0.startWork(jobId: id) } }
    public func recordFinding(_ id: String, _ kind: FindingKind, _ description: String) async throws -> Finding {
        try await local { try $0.recordFinding(jobId: id, kind: kind, description: description) }
    }
    public func setFeeSchedule(_ schedule: FeeSchedule) async throws { try await local { try $0.setFeeSchedule(schedule: schedule) } }
    public func consentToFees(_ id: String, _ schedule: FeeSchedule, items: [String], agreed: Bool) async throws -> FeeConsent {
        try await local { try $0.consentToFees(jobId: id, scheduleId: schedule.id, scheduleVersion: schedule.version, items: items, agreed: agreed) }
    }
    public func pause(_ id: String, reason: String) async throws -> JobStatus { try await local { try $0.pause(jobId: id, reason: reason) } }
    public func resume(_ id: String) async throws -> JobStatus { try await local { try $0.resume(jobId: id) } }
    /// Takes the unit to the workshop. Where the visit's checklist asks for the evidence:
    /// `conditionPhotos` of this visit and the customer's signature on this very receipt
    /// (`takeBackSummary`, then `signTakeBackReceipt`).
    public func takeBack(_ id: String, _ takeBack: TakeBack) async throws -> TakeBackReceipt {
        try await local { try $0.takeBack(jobId: id, takeBack: takeBack) }
    }
    /// The visit's summary with the take-back receipt, to show the customer (recorded as shown).
    public func takeBackSummary(_ id: String, _ takeBack: TakeBack) async throws -> SigningSummary {
        try await local { try $0.takeBackSummary(jobId: id, takeBack: takeBack) }
    }
    /// The customer signs the take-back receipt they were shown.
    public func signTakeBackReceipt(_ id: String, _ takeBack: TakeBack, signerName: String, strokes: Strokes) async throws -> Signature {
        try await local { try $0.signTakeBackReceipt(jobId: id, takeBack: takeBack, signerName: signerName, strokes: strokes) }
    }
    /// SHA-256 of each photo of the job's current (or last) visit, oldest first.
    public func photos(_ id: String) async throws -> [String] { try await local { try $0.photos(jobId: id) } }
    /// Ends the visit for want of a part (待件): the parts requested and what was found.
    public func awaitParts(_ id: String, parts: [PartRequest], note: String) async throws -> JobStatus {
        try await local { try $0.awaitParts(jobId: id, parts: parts, note: note) }
    }
    /// Settles the paid visit's fee after the work (结算): the amount (fen), the method, the
    /// receipt or invoice number issued on site or none (the invoice is due 3 days on), and the
    /// reason when the amount is not the consented total. Answers the `fee_settled` step.
    public func settle(_ id: String, _ settlement: Settlement) async throws -> SettlementRecord {
        try await local { try $0.settle(jobId: id, settlement: settlement) }
    }
    /// The customer will not sign: the reason, and a witness's name or a photo of this visit.
    public func refuseSignature(_ id: String, reason: String, witness: String? = nil, photoSha256: String? = nil) async throws -> JobStatus {
        try await local { try $0.refuseSignature(jobId: id, reason: reason, witness: witness, photoSha256: photoSha256) }
    }
    /// The customer declined the quote: their answer recorded first (consentToFees, not agreed).
    public func declineQuote(_ id: String, reason: String) async throws -> JobStatus {
        try await local { try $0.declineQuote(jobId: id, reason: reason) }
    }
    /// Another visit is needed (work started): the reason; the next call plans it.
    public func needSecondVisit(_ id: String, reason: String) async throws -> JobStatus {
        try await local { try $0.needSecondVisit(jobId: id, reason: reason) }
    }
    /// Goods damaged on unboxing: the customer-signed damaged-on-delivery finding, a photo taken.
    public func requestRedelivery(_ id: String, findingId: String, note: String) async throws -> JobStatus {
        try await local { try $0.requestRedelivery(jobId: id, findingId: findingId, note: note) }
    }
    /// The job's loaners (lent at take-backs), each with its return once recorded.
    public func loaners(_ id: String) async throws -> [Loaner] { try await local { try $0.loaners(jobId: id) } }
    /// The loaner came back, recorded on site on the return visit (completion does not return it).
    public func returnLoaner(_ id: String, loanerId: String) async throws {
        try await local { try $0.returnLoaner(jobId: id, loanerId: loanerId) }
    }
    /// The findings of the job's current (or last) visit, each with its signature once given.
    public func findings(_ id: String) async throws -> [Finding] { try await local { try $0.findings(jobId: id) } }
    public func feedback(_ id: String, rating: Int32, comment: String? = nil, complaint: Bool = false) async throws -> Feedback {
        try await local { try $0.feedback(jobId: id, rating: rating, comment: comment, complaint: complaint) }
    }
    public func complete(_ id: String) async throws -> CompletionRecord { try await local { try $0.complete(jobId: id) } }

    // Evidence: the decode runs on the core's blocking pool (an async call into Rust).
    public func addPhoto(_ id: String, stepId: String?, jpeg: Data) async throws -> Attachment {
        try await raw.addPhotoAsync(jobId: id, stepId: stepId, bytes: jpeg)
    }
    /// A photo from a file (its size is checked before it is read).
    public func addPhotoFile(_ id: String, stepId: String?, file: URL) async throws -> Attachment {
        try await local { try $0.addPhotoFile(jobId: id, stepId: stepId, path: file.path) }
    }
    public func attachmentBytes(_ sha256: String) async throws -> Data { try await local { try $0.attachmentBytes(sha256: sha256) } }

    // Signing
    public func summaryForSigning(_ id: String) async throws -> SigningSummary { try await local { try $0.summaryForSigning(jobId: id) } }
    public func sign(_ id: String, _ input: SignatureInput) async throws -> Signature { try await local { try $0.sign(jobId: id, input: input) } }
    public func verify(_ id: String) async throws -> Verification { try await local { try $0.verify(jobId: id) } }

    // The customer's copy
    /// The customer's copy of a signed job as PDF bytes, made offline: the work order, visit
    /// times, checklist, parts, fees, photo thumbnails, the signature, the hash of the signed
    /// content and a QR code of the server's verify page. The app bundles a CJK font and passes
    /// its path or bytes in `options`. `FieldKitError.Report` until the customer has signed, or
    /// when the font is unusable.
    public func customerCopy(_ id: String, _ options: CopyOptions) async throws -> Data {
        try await local { try $0.customerCopy(jobId: id, options: options) }
    }

    /// Writes the customer's copy to `url` (to hand over or share) whole or not at all: a
    /// temporary file beside it, synced to storage, then renamed into place.
    @discardableResult
    public func writeCustomerCopy(_ id: String, _ options: CopyOptions, to url: URL) async throws -> URL {
        let pdf = try await customerCopy(id, options)
        return try await local { (_: FieldKit) throws -> URL in
            let dir = url.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp")
            do {
                guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp.path])
                }
                let out = try FileHandle(forWritingTo: tmp)
                defer { try? out.close() }
                try out.write(contentsOf: pdf)
                try out.synchronize()
                guard rename(tmp.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            } catch {
                try? FileManager.default.removeItem(at: tmp)
                throw error
            }
            return url
        }
    }

    // Parts
    public func addCatalogPart(_ part: Part) async throws { try await local { try $0.addCatalogPart(part: part) } }
    /// Parts issued from the warehouse to the van; returns the new stock of that part.
    public func issueStock(sku: String, quantity: Int64) async throws -> Int64 { try await local { try $0.issueStock(sku: sku, quantity: quantity) } }
    public func vanStock() async throws -> [StockLevel] { try await local { try $0.vanStock() } }
    public func recordPart(_ id: String, _ usage: PartUse) async throws -> PartUsage { try await local { try $0.recordPart(jobId: id, usage: usage) } }
    public func partsUsed(_ id: String) async throws -> [PartUsage] { try await local { try $0.partsUsed(jobId: id) } }
    /// A stock check (盘点): what was counted, with what the van's ledger held; stock unchanged.
    public func countStock(_ counts: [StockCount]) async throws -> [CountResult] { try await local { try $0.countStock(counts: counts) } }
    /// The replenishments the desk issued to this van (pulled by `sync`), the newest first.
    public func replenishments() async throws -> [Replenishment] { try await local { try $0.replenishments() } }
    /// The issued replenishment is in the van: returns the part's new stock; the receipt syncs.
    public func receiveReplenishment(_ id: String) async throws -> Int64 { try await local { try $0.receiveReplenishment(id: id) } }

    // Housekeeping
    public func pendingChanges() async throws -> Int64 { try await local { try $0.pendingChanges() } }
    /// Call when the app goes to the background.
    @discardableResult
    public func checkpoint() async throws -> Bool { try await local { try $0.checkpoint() } }
    /// Deletes from the phone the closed jobs the server holds entirely, once
    /// `KitConfig.purgeAfterDays` have passed since their last change (the server keeps them);
    /// returns how many went. `sync` calls it after every sync.
    public func purgeSyncedJobs() async throws -> Int64 { try await local { try $0.purgeSyncedJobs() } }

    // Sync: async calls into the core's client (tokio); no thread blocks. Cancelling the task
    // stops the sync safely: the next one carries on where it stopped.

    /// Enrols this device with the server at `serverUrl` using the dispatcher's one-time
    /// `code`. Throws `.Unauthorized` for a wrong, expired or used code, `.Network` when the
    /// server cannot be reached, `.Tls` when its certificate is refused (see
    /// `SyncOptions.extraTrustAnchorsPem` for a company CA). Waits for a running sync.
    public func enroll(serverUrl: String, code: String, options: SyncOptions? = nil) async throws -> ServerAccount {
        try await syncGate.run { try await self.raw.enroll(serverUrl: serverUrl, code: code, options: options) }
    }

    /// Pushes this device's changes, pulls the desk's, then uploads photos and signatures.
    /// One sync at a time: a second caller waits for the first, then runs. Progress goes to
    /// `onProgress` (on the thread driving the sync: keep it quick) and to every
    /// `syncProgress()` stream. Throws `.NotEnrolled`, `.Network` (retry later; nothing is
    /// lost), `.Tls` (the certificate was refused: never retried), `.Unauthorized` (device
    /// revoked: enrol again).
    public func sync(options: SyncOptions? = nil, onProgress: (@Sendable (SyncProgress) -> Void)? = nil) async throws -> SyncReport {
        let observer = ProgressObserver { [weak self] p in
            self?.publish(p)
            onProgress?(p)
        }
        return try await syncGate.run {
            let report = try await self.raw.sync(progress: observer, options: options)
            _ = try await self.purgeSyncedJobs()
            return report
        }
    }

    /// Progress of every sync run through this client, from now on (for a progress bar).
    /// Ending the stream unsubscribes.
    public func syncProgress() -> AsyncStream<SyncProgress> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id = UUID()
            progressLock.locked { progressContinuations[id] = continuation }
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.progressLock.locked { _ = self.progressContinuations.removeValue(forKey: id) }
            }
        }
    }

    private func publish(_ p: SyncProgress) {
        let subscribers = progressLock.locked { Array(progressContinuations.values) }
        for c in subscribers { c.yield(p) }
    }

    public func serverAccount() async throws -> ServerAccount? { try await local { try $0.serverAccount() } }
    /// Changes the server refused or flagged, newest first: show them; they are not retried.
    public func syncIssues() async throws -> [SyncIssue] { try await local { try $0.syncIssues() } }
    /// How many changes wait for the server.
    public func pendingOpCount() async throws -> Int64 { try await local { try $0.pendingOpCount() } }

    /// Every change to any job, as it is committed. The observer is registered when the stream
    /// is made; ending the stream (the consuming task is cancelled or leaves the loop)
    /// cancels it.
    public func jobChanges() -> AsyncStream<JobChange> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let handle = raw.observeJobs(observer: StreamObserver(continuation: continuation))
            continuation.onTermination = { _ in handle.cancel() }
        }
    }

    /// Changes to one job.
    public func jobChanges(of jobId: String) -> AsyncStream<JobChange> {
        let all = jobChanges()
        return AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let pump = Task {
                for await change in all where change.jobId == jobId { continuation.yield(change) }
                continuation.finish()
            }
            continuation.onTermination = { _ in pump.cancel() }
        }
    }
}

/// Runs bodies one at a time in arrival order, across their suspension points (an actor's
/// methods alone interleave at every `await`).
private actor SerialGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }  // handed over by the previous body
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}

private final class ProgressObserver: SyncObserver, @unchecked Sendable {
    let report: @Sendable (SyncProgress) -> Void
    init(_ report: @escaping @Sendable (SyncProgress) -> Void) { self.report = report }
    func onProgress(phase: SyncPhase, done: Int64, total: Int64) throws {
        report(SyncProgress(phase: phase, done: done, total: total))
    }
}

private final class StreamObserver: JobObserver, @unchecked Sendable {
    let continuation: AsyncStream<JobChange>.Continuation
    init(continuation: AsyncStream<JobChange>.Continuation) { self.continuation = continuation }
    func onJobChanged(jobId: String, action: String) throws {
        continuation.yield(JobChange(jobId: jobId, action: action))
    }
}

extension NSLock {
    /// `withLock`, which Foundation has only from iOS 16 / macOS 13.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

private func epochMs(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

public extension FieldKitError {
    /// The sentence to show the technician, in the kit's language (`KitConfig.locale`,
    /// `setLocale`); never customer data.
    var reasonText: String {
        switch self {
        case let .Validation(_, reason), let .NotFound(_, _, reason),
             let .Refused(_, _, reason), let .StepRefused(_, _, reason), let .Blocked(_, _, reason),
             let .Photo(_, reason), let .Conflict(reason), let .UpdateRequired(reason), let .WrongKey(reason),
             let .Storage(reason), let .Network(reason), let .Tls(reason), let .Unauthorized(_, reason),
             let .Rejected(_, _, reason), let .NotEnrolled(reason), let .Report(_, reason),
             let .Internal(reason):
            return reason
        }
    }
}

public extension SyncOptions {
    /// The default options, also trusting the company's private CA certificates bundled with
    /// the app as PEM files (`Bundle.main.url(forResource: "company-ca", withExtension: "pem")`).
    init(trustingPemFiles files: [URL]) throws {
        self.init(extraTrustAnchorsPem: try files.map { try String(contentsOf: $0, encoding: .utf8) })
    }
}

public extension TimeWindow {
    var start: Date { Date(timeIntervalSince1970: Double(startMs) / 1000) }
    var end: Date { Date(timeIntervalSince1970: Double(endMs) / 1000) }
    init(start: Date, end: Date) { self.init(startMs: epochMs(start), endMs: epochMs(end)) }
}
