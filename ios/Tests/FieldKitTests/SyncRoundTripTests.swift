// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/SyncRoundTripTest.kt: sync
// through Swift → FFI → the core's async client → a real fieldkit-server. Start one and pass
// it in the environment (the Kotlin suite's script does the same with -D properties):
//   fieldkit-server --listen 127.0.0.1:8080 --data-dir /tmp/fk --admin-token T &
//   FIELDKIT_SERVER_URL=http://127.0.0.1:8080 FIELDKIT_ADMIN_TOKEN=T swift test
// Without them the server tests are skipped. Never compiled on the Linux build machine.
import Foundation
import XCTest
@testable import FieldKit

/// The dispatcher's side of the server, over URLSession with the admin token: plain HTTP, or
/// HTTPS through a `session` trusting the test's CA (TlsSyncTests).
struct Desk {
    let url: String
    let adminToken: String
    let session: URLSession

    init(url: String, adminToken: String, session: URLSession = .shared) {
        self.url = url
        self.adminToken = adminToken
        self.session = session
    }

    static func fromEnvironment() throws -> Desk {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["FIELDKIT_SERVER_URL"], let token = env["FIELDKIT_ADMIN_TOKEN"] else {
            throw XCTSkip("no fieldkit-server (set FIELDKIT_SERVER_URL and FIELDKIT_ADMIN_TOKEN)")
        }
        return Desk(url: url, adminToken: token)
    }

    /// Quick retries: the server is local.
    static let quick = SyncOptions(maxAttempts: 4, firstBackoffMs: 5, maxBackoffMs: 50, requestTimeoutMs: 10_000, chunkBytes: 16 * 1024)

    func call(_ method: String, _ path: String, json: String? = nil) async throws -> (Int, Data) {
        var req = URLRequest(url: URL(string: url + path)!)
        req.httpMethod = method
        req.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.httpBody = json.map { Data($0.utf8) }
        let (data, res) = try await session.data(for: req)
        return ((res as! HTTPURLResponse).statusCode, data)
    }

    private func created(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let (status, data) = try await call("POST", path, json: json)
        XCTAssertEqual(status, 201, String(decoding: data, as: UTF8.self))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func createTechnician(_ name: String) async throws -> String {
        try await created("/v1/admin/technicians", ["name": name])["id"] as! String
    }

    func enrolmentCode(_ technicianId: String) async throws -> String {
        try await created("/v1/admin/enrolment-codes", ["technician_id": technicianId])["code"] as! String
    }

    func dispatch(_ orderJson: String) async throws {
        let (status, data) = try await call("POST", "/v1/admin/work-orders", json: orderJson)
        XCTAssertEqual(status, 201, String(decoding: data, as: UTF8.self))
    }

    /// Publishes the demo's fee schedule and part: the server judges consents and parts by them.
    func publishDemoCatalog() async throws {
        for p in demoPublications() {
            let (status, data) = try await call("POST", p.path, json: p.body)
            XCTAssertEqual(status, 201, String(decoding: data, as: UTF8.self))
        }
    }

    /// The job's completions once its signature drawings are checked (bounded wait).
    func settledCompletions(of jobId: String) async throws -> [[String: Any]] {
        for _ in 0..<500 {
            let list = try await completions(of: jobId)
            if !list.contains(where: { $0["checks_pending"] as? Bool == true }) { return list }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("drawing checks still pending for \(jobId)")
        return []
    }

    func completions(of jobId: String) async throws -> [[String: Any]] {
        let (status, data) = try await call("GET", "/v1/admin/completions")
        XCTAssertEqual(status, 200)
        let all = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return all.filter { $0["work_order_id"] as? String == jobId }
    }
}

/// The paid repair of `walkRepairVisit` up to work started (as TestSupport.walkToWork): the
/// fault diagnosed, an anomaly recorded and signed, the fees agreed.
func walkToWork(
    _ kit: FieldKitClient, _ id: String, onSigned: (Signature) -> Void = { _ in }
) async throws {
    func step(_ s: String, _ a: Answer) async throws { try await kit.answerStep(id, s, a) }
    try await walkToAnomaly(kit, id)
    let finding = try await kit.recordFinding(id, .manMadeDamage, "Scratch on the left panel")
    _ = try await kit.summaryForSigning(id)
    onSigned(try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "anomaly_signature", findingId: finding.id)))
    try await step("coverage", .choice(value: "paid"))
    try await step("paid_service_explained", .confirmed)
    _ = try await kit.consentToFees(id, demoFeeSchedule(), items: ["visit", "labour"], agreed: true)
    // The customer signs the paid-service acknowledgement with the fees.
    _ = try await kit.summaryForSigning(id)
    onSigned(try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "fee_consent_signature", findingId: nil)))
    _ = try await kit.startWork(id)
}

/// The paid repair on site up to the anomaly's signature (as TestSupport.walkToAnomaly): the
/// unit is not intact, the anomaly described and photographed; the finding step is next.
func walkToAnomaly(_ kit: FieldKitClient, _ id: String) async throws {
    func step(_ s: String, _ a: Answer) async throws { try await kit.answerStep(id, s, a) }
    _ = try await kit.accept(id)
    _ = try await kit.callCustomer(id, callReached)
    try await step("tools_parts_loaded", .confirmed)
    _ = try await kit.startTravel(id)
    _ = try await kit.arrive(id)
    try await step("id_badge", .confirmed)
    try await step("shoe_covers", .confirmed)
    try await step("warranty_proof", .yesNo(value: false))
    try await step("product_serial", .serial(value: "SN2024WM8000123"))
    try await step("unit_intact", .yesNo(value: false))
    try await step("anomaly_description", .text(value: "Scratch on the left panel"))
    _ = try await kit.addPhoto(id, stepId: "anomaly_photo", jpeg: demoPhoto(tag: "scratch"))
}

/// The paid repair of `walkRepairVisit` up to its settlement (as TestSupport.walkToSettlement):
/// the work done, the customer's signature on the record, the feedback given; the fee (13000
/// fen agreed) is next. With `fromStart` false the job is already at work (`walkToWork`).
func walkToSettlement(
    _ kit: FieldKitClient, _ id: String, onSigned: (Signature) -> Void = { _ in }, fromStart: Bool = true
) async throws {
    func step(_ s: String, _ a: Answer) async throws { try await kit.answerStep(id, s, a) }
    if fromStart { try await walkToWork(kit, id, onSigned: onSigned) }
    try await step("respect_home", .confirmed)
    _ = try await kit.recordPart(id, PartUse(sku: "PUMP-220", quantity: 1, newSerial: "P22-000981", oldPart: .returned, oldSerial: nil))
    try await step("work_done", .text(value: "Replaced the drain pump"))
    try await step("parts_reviewed", .confirmed)
    try await step("test_run_ok", .yesNo(value: true))
    _ = try await kit.addPhoto(id, stepId: "debris_removed", jpeg: demoPhoto(tag: "clean floor"))
    _ = try await kit.summaryForSigning(id)
    onSigned(try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 2), stepId: "service_record_signature", findingId: nil)))
    _ = try await kit.feedback(id, rating: 5, comment: "very professional") // the feedback step's evidence: no tick
}

/// RepairVisitTests' paid repair without its checks along the way (as TestSupport.walkRepairVisit);
/// `onSigned` sees each signature as it is made.
@discardableResult
func walkRepairVisit(
    _ kit: FieldKitClient, _ id: String, onSigned: (Signature) -> Void = { _ in }
) async throws -> CompletionRecord {
    func step(_ s: String, _ a: Answer) async throws { try await kit.answerStep(id, s, a) }
    try await walkToSettlement(kit, id, onSigned: onSigned)
    _ = try await kit.settle(id, Settlement(amount: 13000, method: .cash, receiptNo: "SJ-0001", reason: nil))
    try await step("customer_copy", .confirmed)
    try await step("goodbye", .confirmed)
    return try await kit.complete(id)
}

private final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SyncProgress] = []
    func add(_ p: SyncProgress) { lock.locked { items.append(p) } }
    var all: [SyncProgress] { lock.locked { items } }
}

final class SyncRoundTripTests: XCTestCase {
    func testCompletedVisitSyncsToTheRealServerExactlyOnce() async throws {
        let desk = try Desk.fromEnvironment()
        let tech = try await desk.createTechnician("Technician K")
        let code = try await desk.enrolmentCode(tech)
        let order = demoRepairOrder(number: 501, paid: true)
        try await desk.publishDemoCatalog()
        try await desk.dispatch(try demoDispatchJson(order: order, technicianId: tech))

        let kit = try FieldKitClient(directory: tempDir("sync"), databaseKey: testKey, config: morningConfig())
        try demoStockTheVan(kit: kit.raw)
        let account = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        XCTAssertEqual(account.technicianId, tech)
        let got1 = try await kit.serverAccount()
        XCTAssertEqual(got1, account)

        // The job, and the fee schedule and part the desk published.
        let first = try await kit.sync(options: Desk.quick)
        XCTAssertEqual(first.pulled, 3)
        XCTAssertEqual(first.applied, first.pushed)
        let got2 = try await kit.todaysJobs().map(\.id)
        XCTAssertEqual(got2, [order.id])

        try await walkRepairVisit(kit, order.id)
        let queued = try await kit.pendingOpCount()
        XCTAssertGreaterThan(queued, 30)
        let changes = try await kit.pendingChanges()
        XCTAssertEqual(changes, queued)

        let seen = Seen()
        let stream = kit.syncProgress()
        let flowed = Task { () -> Bool in
            for await p in stream where p.phase == .blobs { return true }
            return false
        }
        let report = try await kit.sync(options: Desk.quick) { seen.add($0) }
        XCTAssertEqual(report.pushed, queued)
        XCTAssertEqual(report.applied, queued)
        XCTAssertEqual([report.duplicates, report.rejected, report.conflicts], [0, 0, 0])
        XCTAssertGreaterThanOrEqual(report.blobsUploaded, 4)
        XCTAssertGreaterThan(report.blobBytesSent, 0)
        let got3 = try await kit.pendingOpCount()
        XCTAssertEqual(got3, 0)
        let got4 = try await kit.syncIssues().isEmpty
        XCTAssertTrue(got4)

        var phases: [SyncPhase] = []
        for p in seen.all where phases.last != p.phase { phases.append(p.phase) }
        XCTAssertEqual(phases, [.push, .pull, .blobs])
        let lastPush = seen.all.last { $0.phase == .push }!
        XCTAssertEqual([lastPush.done, lastPush.total], [queued, queued])
        XCTAssertEqual(seen.all.last?.fraction, 1)
        let sawBlobs = await flowed.value
        XCTAssertTrue(sawBlobs, "syncProgress() stream")

        let done = try await desk.settledCompletions(of: order.id)
        XCTAssertEqual(done.count, 1)
        XCTAssertEqual(done.first?["outcome"] as? String, "applied")
        XCTAssertEqual(done.first?["state"] as? String, "counted")
        XCTAssertEqual((done.first?["flags"] as? [Any])?.count, 0)

        let again = try await kit.sync(options: Desk.quick)
        XCTAssertEqual([again.pushed, again.pulled, again.blobsUploaded], [0, 0, 0])
    }

    func testWrongEnrolmentCodeIsUnauthorizedAndSyncBeforeEnrolmentNotEnrolled() async throws {
        let desk = try Desk.fromEnvironment()
        let kit = try FieldKitClient(directory: tempDir("sync-bad-code"), databaseKey: testKey)
        do { _ = try await kit.sync(); XCTFail("synced before enrolment") } catch FieldKitError.NotEnrolled {}
        do {
            _ = try await kit.enroll(serverUrl: desk.url, code: "AAAA-BBBB-CCCC", options: Desk.quick)
            XCTFail("enrolled with a wrong code")
        } catch let FieldKitError.Unauthorized(code, reason) {
            XCTAssertEqual(code, "unauthorized")
            XCTAssertTrue(reason.contains("注册码"), reason) // the server answers in the kit's language
        }
        let got5 = try await kit.serverAccount()
        XCTAssertNil(got5)

        let code = try await desk.enrolmentCode(try await desk.createTechnician("Technician L"))
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        let other = try FieldKitClient(directory: tempDir("sync-reuse"), databaseKey: testKey)
        do { _ = try await other.enroll(serverUrl: desk.url, code: code, options: Desk.quick); XCTFail("code used twice") }
        catch FieldKitError.Unauthorized {}
        do { _ = try await kit.enroll(serverUrl: "ftp://example", code: code); XCTFail("ftp accepted") }
        catch let FieldKitError.Validation(fieldName, _) { XCTAssertEqual(fieldName, "server url") }
        // Plain http to another host than this device: refused before any request.
        do { _ = try await kit.enroll(serverUrl: "http://192.0.2.1:8080", code: code); XCTFail("http accepted") }
        catch let FieldKitError.Validation(fieldName, _) { XCTAssertEqual(fieldName, "server url") }

        // The same enrolment again (a retry after a lost answer): answered, nothing revoked.
        let first = try await kit.serverAccount()
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        let again = try await kit.serverAccount()
        XCTAssertEqual(first?.technicianId, again?.technicianId)
        _ = try await kit.sync(options: Desk.quick)
    }

    func testUnreachableServerIsANetworkErrorAndLosesNothing() async throws {
        let (kit, id) = try kitWithOrder("sync-offline")
        _ = try await kit.accept(id)
        let before = try await kit.pendingOpCount()
        var options = Desk.quick
        options.maxAttempts = 2
        // Port 9 (discard) on the loopback: nothing listens there.
        do {
            _ = try await kit.enroll(serverUrl: "http://127.0.0.1:9", code: "AAAA-BBBB-CCCC", options: options)
            XCTFail("enrolled with no server")
        } catch let FieldKitError.Network(reason) {
            XCTAssertTrue(reason.contains("2 attempts"), reason)
        }
        let got6 = try await kit.pendingOpCount()
        XCTAssertEqual(got6, before)
        options.maxAttempts = 0
        do { _ = try await kit.sync(options: options); XCTFail("0 attempts accepted") } catch FieldKitError.Validation {}
    }
}
