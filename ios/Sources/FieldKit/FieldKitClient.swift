// The Swift face of the FieldKit core: async functions that run the local calls off the
// caller's thread (never on Swift's cooperative pool, which must not block), enrolment and
// sync as async calls into Rust's client, AsyncStreams of job changes and sync progress from
// the observer callbacks, and the generated types re-exported.
import Foundation
@_exported import FieldKitBindings

/// A change to a job: which job, and the command that changed it ("arrive", "sign", …).
public struct JobChange: Sendable, Equatable {
    public let jobId: String
    public let action: String
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

/// One open FieldKit database. Released when the last reference goes.
///
/// Errors are `FieldKitError` cases (`.Validation`, `.NotFound`, `.Refused`, `.StepRefused`,
/// `.Blocked`, `.Photo`, …); `reasonText` gives the sentence to show.
public final class FieldKitClient: @unchecked Sendable {
    /// The generated binding, for calls this layer does not wrap.
    public let raw: FieldKit
    private let queue = DispatchQueue(label: "app.fieldkit.local", qos: .userInitiated, attributes: .concurrent)

    /// Opens (creating on first use) the database in `directory`. Blocking: opens SQLite.
    public init(directory: URL, config: KitConfig = KitConfig()) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        raw = try FieldKit.open(dataDir: directory.path, config: config)
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
    public func job(_ id: String) async throws -> JobDetail { try await local { try $0.job(jobId: id) } }
    public func accept(_ id: String) async throws -> JobStatus { try await local { try $0.accept(jobId: id) } }
    public func callCustomer(_ id: String, _ call: CallOutcome) async throws -> JobStatus {
        try await local { try $0.callCustomer(jobId: id, call: call) }
    }
    public func startTravel(_ id: String) async throws -> JobStatus { try await local { try $0.startTravel(jobId: id) } }
    public func notifyDelay(_ id: String, reason: String, newEta: Date) async throws -> DelayNotice {
        try await local { try $0.notifyDelay(jobId: id, reason: reason, newEtaMs: Int64(newEta.timeIntervalSince1970 * 1000)) }
    }
    public func arrive(_ id: String) async throws -> Arrival { try await local { try $0.arrive(jobId: id) } }

    // Checklist and on site
    public func checklist(_ id: String) async throws -> ChecklistView { try await local { try $0.checklist(jobId: id) } }
    @discardableResult
    public func answerStep(_ id: String, _ stepId: String, _ answer: Answer) async throws -> Int64 {
        try await local { try $0.answerStep(jobId: id, stepId: stepId, answer: answer) }
    }
    public func startWork(_ id: String) async throws -> JobStatus { try await local { try $0.startWork(jobId: id) } }
    public func recordFinding(_ id: String, _ kind: FindingKind, _ description: String) async throws -> Finding {
        try await local { try $0.recordFinding(jobId: id, kind: kind, description: description) }
    }
    public func consentToFees(_ id: String, _ schedule: FeeSchedule, items: [String], agreed: Bool) async throws -> FeeConsent {
        try await local { try $0.consentToFees(jobId: id, scheduleId: schedule.id, scheduleVersion: schedule.version, items: items, agreed: agreed) }
    }
    public func pause(_ id: String, reason: String) async throws -> JobStatus { try await local { try $0.pause(jobId: id, reason: reason) } }
    public func resume(_ id: String) async throws -> JobStatus { try await local { try $0.resume(jobId: id) } }
    public func recordPart(_ id: String, _ usage: PartUse) async throws -> PartUsage { try await local { try $0.recordPart(jobId: id, usage: usage) } }
    public func feedback(_ id: String, rating: Int32, comment: String? = nil, complaint: Bool = false) async throws -> Feedback {
        try await local { try $0.feedback(jobId: id, rating: rating, comment: comment, complaint: complaint) }
    }
    public func complete(_ id: String) async throws -> CompletionRecord { try await local { try $0.complete(jobId: id) } }

    // Evidence: the decode runs on the core's blocking pool (an async call into Rust).
    public func addPhoto(_ id: String, stepId: String?, jpeg: Data) async throws -> Attachment {
        try await raw.addPhotoAsync(jobId: id, stepId: stepId, bytes: jpeg)
    }
    public func attachmentBytes(_ sha256: String) async throws -> Data { try await local { try $0.attachmentBytes(sha256: sha256) } }

    // Signing
    public func summaryForSigning(_ id: String) async throws -> SigningSummary { try await local { try $0.summaryForSigning(jobId: id) } }
    public func sign(_ id: String, _ input: SignatureInput) async throws -> Signature { try await local { try $0.sign(jobId: id, input: input) } }
    public func verify(_ id: String) async throws -> Verification { try await local { try $0.verify(jobId: id) } }

    /// The customer's copy of a signed job as PDF bytes, made offline (the app bundles a CJK
    /// font and passes its path or bytes). `FieldKitError.Report` until the customer has
    /// signed, or when the font is unusable.
    public func customerCopy(_ id: String, _ options: CopyOptions) async throws -> Data {
        try await local { Data(try $0.customerCopy(jobId: id, options: options)) }
    }

    /// Writes the customer's copy to `url` (to share) whole or not at all: written to a
    /// temporary file and moved into place.
    @discardableResult
    public func writeCustomerCopy(_ id: String, _ options: CopyOptions, to url: URL) async throws -> URL {
        let pdf = try await customerCopy(id, options)
        try pdf.write(to: url, options: .atomic)
        return url
    }

    public func pendingChanges() async throws -> Int64 { try await local { try $0.pendingChanges() } }
    /// Call when the app goes to the background.
    public func checkpoint() async throws -> Bool { try await local { try $0.checkpoint() } }

    // Sync: async calls into the core's client (tokio); no thread blocks. Cancelling the task
    // stops the sync safely: the next one carries on where it stopped.
    private let progressLock = NSLock()
    private var progressContinuations: [UUID: AsyncStream<SyncProgress>.Continuation] = [:]

    /// Enrols this device with the dispatcher's one-time code. Throws `.Unauthorized` for a
    /// wrong, expired or used code, `.Network` when the server cannot be reached.
    public func enroll(serverUrl: String, code: String, options: SyncOptions? = nil) async throws -> ServerAccount {
        try await raw.enroll(serverUrl: serverUrl, code: code, options: options)
    }

    /// Pushes this device's changes, pulls the desk's, then uploads photos and signatures.
    /// Progress goes to `onProgress` (on the thread driving the sync: keep it quick) and to
    /// every `syncProgress()` stream. Throws `.NotEnrolled`, `.Network` (retry later; nothing
    /// is lost), `.Unauthorized` (device revoked: enrol again). Run one sync at a time.
    public func sync(options: SyncOptions? = nil, onProgress: (@Sendable (SyncProgress) -> Void)? = nil) async throws -> SyncReport {
        let observer = ProgressObserver { [weak self] p in
            self?.publish(p)
            onProgress?(p)
        }
        return try await raw.sync(progress: observer, options: options)
    }

    /// Progress of every sync run through this client, from now on. Ending the stream
    /// unsubscribes.
    public func syncProgress() -> AsyncStream<SyncProgress> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id = UUID()
            progressLock.withLock { progressContinuations[id] = continuation }
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.progressLock.withLock { _ = self.progressContinuations.removeValue(forKey: id) }
            }
        }
    }

    private func publish(_ p: SyncProgress) {
        let subscribers = progressLock.withLock { Array(progressContinuations.values) }
        for c in subscribers { c.yield(p) }
    }

    public func serverAccount() async throws -> ServerAccount? { try await local { try $0.serverAccount() } }
    /// Changes the server refused or flagged, newest first: show them; they are not retried.
    public func syncIssues() async throws -> [SyncIssue] { try await local { try $0.syncIssues() } }
    /// How many changes wait for the server.
    public func pendingOpCount() async throws -> Int64 { try await local { try $0.pendingOpCount() } }

    /// Every change to any job as it is committed. Ending the stream (the consuming task is
    /// cancelled or breaks out) cancels the observer.
    public func jobChanges() -> AsyncStream<JobChange> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let handle = raw.observeJobs(observer: StreamObserver(continuation: continuation))
            continuation.onTermination = { _ in handle.cancel() }
        }
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

public extension FieldKitError {
    /// The sentence to show the technician (never customer data).
    var reasonText: String {
        switch self {
        case let .Validation(fieldName, reason): return "invalid \(fieldName): \(reason)"
        case let .NotFound(entity, id): return "\(entity) \(id) not found"
        case let .Refused(_, _, reason), let .StepRefused(_, _, reason), let .Blocked(_, _, reason),
             let .Photo(_, reason), let .Conflict(reason), let .UpdateRequired(reason),
             let .Storage(reason), let .Network(reason), let .Internal(reason),
             let .Unauthorized(_, reason), let .Rejected(_, _, reason), let .NotEnrolled(reason):
            return reason
        }
    }
}
