// XCTest mirror of the Kotlin JVM suite (android/fieldkit/src/test): a full paid repair visit,
// typed errors, observers, 10,000 open/close cycles (sync: SyncRoundTripTests.swift,
// PulledChangesTests.swift, TlsSyncTests.swift). Never compiled on the Linux build machine (no
// Swift toolchain there): run with `swift test` on a Mac.
import CoreGraphics
import Foundation
import ImageIO
import XCTest
@testable import FieldKit

/// The database key of the tests (the app takes its own from the Keychain: DatabaseKeyStore).
let testKey = Data((0..<32).map { UInt8(($0 * 7 + 1) & 0xff) })

func tempDir(_ prefix: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("fieldkit-\(prefix)-\(UUID().uuidString)", isDirectory: true)
}

/// A device time zone in which it is mid-morning now (as TestSupport.morningConfig): the demo
/// order is promised from now + 30 min, which in China late in the evening is already
/// tomorrow, not in `todaysJobs()`.
func morningConfig() -> KitConfig {
    let utcMinuteOfDay = Int(Date().timeIntervalSince1970 / 60) % (24 * 60)
    var offset = 10 * 60 - utcMinuteOfDay
    if offset < -12 * 60 { offset += 24 * 60 }
    return KitConfig(utcOffsetMinutes: Int32(offset))
}

/// A fresh database (see `morningConfig`) with the demo van stock and one repair order (assigned).
func kitWithOrder(_ prefix: String) throws -> (FieldKitClient, String) {
    let kit = try FieldKitClient(directory: tempDir(prefix), databaseKey: testKey, config: morningConfig())
    try demoStockTheVan(kit: kit.raw)
    let order = demoRepairOrder(number: 1, paid: false)
    try kit.raw.receiveWorkOrder(order: order)
    return (kit, order.id)
}

let callReached = CallOutcome(
    reached: true,
    confirmed: CallConfirmations(address: true, phone: true, name: true, timeWindow: true, productModel: true),
    agreed: nil, note: nil
)

struct JpegEncodingFailed: Error {}

/// A real JPEG encoded by the platform (ImageIO), 120×80, a colour gradient: the Swift side of
/// TestSupport.jvmJpeg (the JVM's ImageIO).
func platformJpeg() throws -> Data {
    let width = 120, height = 80
    var rgbx = [UInt8](repeating: 255, count: width * height * 4)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 4
            rgbx[i] = UInt8(x * 2)
            rgbx[i + 1] = UInt8(y * 3)
            rgbx[i + 2] = UInt8(x + y)
        }
    }
    let out = NSMutableData()
    guard let provider = CGDataProvider(data: Data(rgbx) as CFData),
          let image = CGImage(
              width: width, height: height, bitsPerComponent: 8, bitsPerPixel: 32, bytesPerRow: width * 4,
              space: CGColorSpaceCreateDeviceRGB(), bitmapInfo: CGBitmapInfo(rawValue: CGImageAlphaInfo.noneSkipLast.rawValue),
              provider: provider, decode: nil, shouldInterpolate: false, intent: .defaultIntent
          ),
          let destination = CGImageDestinationCreateWithData(out as CFMutableData, "public.jpeg" as CFString, 1, nil)
    else { throw JpegEncodingFailed() }
    CGImageDestinationAddImage(destination, image, nil)
    guard CGImageDestinationFinalize(destination) else { throw JpegEncodingFailed() }
    return out as Data
}

private func residentBytes() -> UInt64 {
    var info = mach_task_basic_info()
    var count = mach_msg_type_number_t(MemoryLayout<mach_task_basic_info>.size) / 4
    let kr = withUnsafeMutablePointer(to: &info) {
        $0.withMemoryRebound(to: integer_t.self, capacity: Int(count)) {
            task_info(mach_task_self_, task_flavor_t(MACH_TASK_BASIC_INFO), $0, &count)
        }
    }
    return kr == KERN_SUCCESS ? info.resident_size : 0
}

final class RepairVisitTests: XCTestCase {
    func testPaidRepairVisitFromAssignedToVerifiedSignatureAndCompletion() async throws {
        let (kit, id) = try kitWithOrder("visit")
        func step(_ s: String, _ a: Answer) async throws { try await kit.answerStep(id, s, a) }

        let got1 = try await kit.todaysJobs().map(\.id)
        XCTAssertEqual(got1, [id])
        let assigned = try await kit.job(id).status
        XCTAssertEqual(assigned, .assigned)
        let got2 = try await kit.accept(id)
        XCTAssertEqual(got2, .accepted)
        let got3 = try await kit.callCustomer(id, callReached)
        XCTAssertEqual(got3, .confirmed)

        let planned = try await kit.checklist(id)
        XCTAssertEqual(planned.templateId, "repair")
        XCTAssertEqual(planned.next, "tools_parts_loaded")
        let coverage = try XCTUnwrap(planned.steps.first { $0.id == "coverage" })
        switch coverage.kind {
        case .choice: break
        default: XCTFail("coverage is a choice: \(coverage.kind)")
        }
        XCTAssertFalse(planned.blockers.isEmpty)

        try await step("tools_parts_loaded", .confirmed)
        let got5 = try await kit.startTravel(id)
        XCTAssertEqual(got5, .enRoute)
        let promisedStart = try await kit.job(id).order.promised.startMs
        let eta = Date(timeIntervalSince1970: Double(promisedStart) / 1000 + 20 * 60)
        let got6 = try await kit.notifyDelay(id, reason: "traffic on the ring road", newEta: eta).inTime
        XCTAssertTrue(got6)
        let got7 = try await kit.arrive(id).late
        XCTAssertFalse(got7)

        try await step("id_badge", .confirmed)
        try await step("shoe_covers", .confirmed)
        try await step("warranty_proof", .yesNo(value: false))
        try await step("product_serial", .serial(value: "SN2024WM8000123"))
        try await step("unit_intact", .yesNo(value: false))
        try await step("anomaly_description", .text(value: "Scratch on the left panel"))
        let finding = try await kit.recordFinding(id, .manMadeDamage, "Scratch on the left panel")
        let photo = try await kit.addPhoto(id, stepId: "anomaly_photo", jpeg: try platformJpeg())
        XCTAssertEqual(photo.kind, .photo)
        XCTAssertEqual(photo.width, 120)
        let stored = try await kit.attachmentBytes(photo.sha256)
        XCTAssertEqual(photo.size, Int64(stored.count))
        XCTAssertEqual(Array(stored.prefix(2)), [0xFF, 0xD8], "stored photo is a JPEG")

        _ = try await kit.summaryForSigning(id)
        _ = try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "anomaly_signature", findingId: finding.id))

        try await step("coverage", .choice(value: "paid"))
        try await step("paid_service_explained", .confirmed)
        // No paid work before the customer agrees the fees.
        do { _ = try await kit.startWork(id); XCTFail("paid work started without consent") } catch FieldKitError.Blocked {}
        let fees = demoFeeSchedule()
        let got8 = try await kit.consentToFees(id, fees, items: ["visit", "labour"], agreed: true).total
        XCTAssertEqual(got8, fees.items.map(\.amount).reduce(0, +))
        // Agreed is not enough: the customer signs the acknowledgement with the fees.
        do { _ = try await kit.startWork(id); XCTFail("paid work started before the customer signed") } catch FieldKitError.Blocked {}
        let feeTotal = try await kit.summaryForSigning(id).fees?.total
        XCTAssertEqual(feeTotal, 13000)
        _ = try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "fee_consent_signature", findingId: nil))
        let got9 = try await kit.startWork(id)
        XCTAssertEqual(got9, .inProgress)

        try await step("respect_home", .confirmed)
        let part = try await kit.recordPart(id, PartUse(sku: "PUMP-220", quantity: 1, newSerial: "P22-000981", oldPart: .returned, oldSerial: nil))
        XCTAssertFalse(part.stockShort)
        let got10 = try await kit.pause(id, reason: "customer's lunch")
        XCTAssertEqual(got10, .paused)
        do {
            try await step("work_done", .text(value: "Replaced the drain pump"))
            XCTFail("answered while paused")
        } catch FieldKitError.Validation {}
        let got11 = try await kit.resume(id)
        XCTAssertEqual(got11, .inProgress)
        try await step("work_done", .text(value: "Replaced the drain pump"))
        try await step("parts_reviewed", .confirmed)
        try await step("test_run_ok", .yesNo(value: true))
        _ = try await kit.addPhoto(id, stepId: "debris_removed", jpeg: demoPhoto(tag: "clean floor"))

        // Completion is refused until the customer has signed the record.
        do {
            _ = try await kit.complete(id)
            XCTFail("completed before the customer signed")
        } catch let e as FieldKitError {
            guard case let .Blocked(_, blockers, _) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(blockers.contains { $0.stepId == "service_record_signature" }, e.reasonText)
        }

        let summary = try await kit.summaryForSigning(id)
        XCTAssertEqual(summary.parts.map(\.quantity), [1])
        XCTAssertEqual(summary.fees?.total, 13000)
        XCTAssertEqual(summary.photoCount, 2)
        let signature = try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "service_record_signature", findingId: nil))
        XCTAssertEqual(signature.summarySha256, summary.sha256)
        let signatureImage = try await kit.attachmentBytes(signature.imageSha256)
        XCTAssertGreaterThan(signatureImage.count, 100, "signature PNG stored")

        _ = try await kit.feedback(id, rating: 5, comment: "很专业 / very professional")
        try await step("feedback", .confirmed)
        _ = try await kit.settle(id, Settlement(amount: 13000, method: .cash, receiptNo: "SJ-0001", reason: nil))
        try await step("customer_copy", .confirmed)
        try await step("goodbye", .confirmed)

        let beforeComplete = try await kit.checklist(id)
        XCTAssertTrue(beforeComplete.blockers.isEmpty, beforeComplete.blockers.map(\.text).joined(separator: ", "))
        XCTAssertEqual(beforeComplete.progress.applicableRequired, beforeComplete.progress.satisfied)
        XCTAssertEqual(beforeComplete.steps.first { $0.id == "service_record_signature" }?.status, .satisfied)

        let verification = try await kit.verify(id)
        XCTAssertTrue(verification.ok, "\(verification)")
        XCTAssertEqual(verification.signatures.count, 3)

        let record = try await kit.complete(id)
        XCTAssertEqual(record.jobId, id)
        XCTAssertEqual(record.parts.map(\.sku), ["PUMP-220"])
        XCTAssertEqual(record.signatureIds.count, 3)
        XCTAssertEqual(record.feedback?.rating, 5)
        XCTAssertEqual(record.feeConsent?.total, 13000)

        let done = try await kit.job(id)
        XCTAssertEqual(done.status, .completed)
        let visit = try XCTUnwrap(done.visit)
        XCTAssertEqual(visit.status, .ended(outcome: .completed))
        let got15 = try await kit.verify(id).ok
        XCTAssertTrue(got15)
        let pumps = try await kit.vanStock().filter { $0.part.sku == "PUMP-220" }
        XCTAssertEqual(pumps.map(\.quantity), [1])
        let pending = try await kit.pendingChanges()
        XCTAssertGreaterThan(pending, 20, "every change is queued for the server")
        // A completed job refuses further work.
        do { _ = try await kit.startTravel(id); XCTFail("travel started on a completed job") } catch FieldKitError.Refused {}
    }
}

final class ErrorsTests: XCTestCase {
    private let customer = demoRepairOrder(number: 1, paid: false)

    /// No reason text may carry the customer's name, phone or address.
    private func assertNoPersonalData(_ e: FieldKitError, file: StaticString = #filePath, line: UInt = #line) {
        for t in [e.reasonText, e.localizedDescription] {
            for pd in [customer.customerName, customer.customerPhone, customer.address] {
                XCTAssertFalse(t.contains(pd), "personal data in error text: \(t)", file: file, line: line)
            }
        }
    }

    func testAnsweringOutOfOrderNamesTheStepsToDoFirst() async throws {
        let (kit, id) = try kitWithOrder("order")
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
        try await kit.answerStep(id, "tools_parts_loaded", .confirmed)
        _ = try await kit.startTravel(id)
        _ = try await kit.arrive(id)
        try await kit.answerStep(id, "id_badge", .confirmed)
        try await kit.answerStep(id, "shoe_covers", .confirmed)
        // Coverage is decided after the warranty proof has been asked for.
        do {
            try await kit.answerStep(id, "coverage", .choice(value: "paid"))
            XCTFail("answered out of order")
        } catch let e as FieldKitError {
            guard case let .StepRefused(step, missing, reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(step, "coverage")
            XCTAssertEqual(missing, ["warranty_proof"])
            XCTAssertTrue(reason.contains("warranty_proof"), reason)
            XCTAssertEqual(e.reasonText, reason)
            assertNoPersonalData(e)
        }
        // Once it is answered, the same answer is accepted.
        try await kit.answerStep(id, "warranty_proof", .yesNo(value: true))
        try await kit.answerStep(id, "coverage", .choice(value: "warranty"))
        // A phase that is not open yet is refused too, naming the step.
        do { try await kit.answerStep(id, "goodbye", .confirmed); XCTFail("goodbye too early") }
        catch let FieldKitError.StepRefused(step, _, _) { XCTAssertEqual(step, "goodbye") }
    }

    func testUnknownJobIsNotFoundAndMalformedIdIsValidation() async throws {
        let (kit, _) = try kitWithOrder("unknown")
        let unknown = "01936b2e-0000-7000-8000-000000000000"
        do { _ = try await kit.accept(unknown); XCTFail() } catch let FieldKitError.NotFound(entity, id, _) {
            XCTAssertEqual(entity, "work order")
            XCTAssertEqual(id, unknown)
        }
        do { _ = try await kit.job("not-an-id"); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "job id")
        }
    }

    func testStateRefusalsGatesAndBadPhotosAreTyped() async throws {
        let (kit, id) = try kitWithOrder("refusals")
        do { _ = try await kit.arrive(id); XCTFail() } catch let e as FieldKitError {
            guard case let .Refused(action, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(action, "arrive")
            assertNoPersonalData(e)
        }
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
        do { _ = try await kit.startTravel(id); XCTFail() } catch let e as FieldKitError {
            guard case let .Blocked(action, blockers, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(action, "start travel")
            XCTAssertEqual(blockers.map(\.stepId), ["tools_parts_loaded"])
            XCTAssertEqual(blockers.first?.reason, .unanswered)
            assertNoPersonalData(e)
        }
        do { _ = try await kit.addPhoto(id, stepId: nil, jpeg: Data("not a picture".utf8)); XCTFail() } catch let FieldKitError.Photo(problem, _) {
            XCTAssertEqual(problem, .unknownFormat)
        }
        do { _ = try await kit.feedback(id, rating: 500); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "rating")
        }
    }

    func testAnInvalidConfigurationIsRefusedBeforeAnythingIsOpened() throws {
        XCTAssertThrowsError(try FieldKit.open(dataDir: tempDir("config").path, config: KitConfig(photoLongEdge: 1))) { error in
            guard case let FieldKitError.Validation(fieldName, _)? = error as? FieldKitError else { return XCTFail("\(error)") }
            XCTAssertEqual(fieldName, "photo long edge")
        }
    }
}

final class ObserverTests: XCTestCase {
    final class Recorder: JobObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var _seen: [String] = []
        var seen: [String] { lock.locked { _seen } }
        func onJobChanged(jobId: String, action: String) throws { lock.locked { _seen.append(action) } }
    }

    struct AppBug: Error {}

    final class Thrower: JobObserver, @unchecked Sendable {
        func onJobChanged(jobId: String, action: String) throws { throw AppBug() }
    }

    func testAnObserverFiresAfterEachChangeAndStopsAfterItsHandleIsCancelled() throws {
        let (kit, id) = try kitWithOrder("observer")
        let recorder = Recorder()
        let handle = kit.raw.observeJobs(observer: recorder)
        _ = try kit.raw.accept(jobId: id)
        _ = try kit.raw.callCustomer(jobId: id, call: callReached)
        _ = try kit.raw.answerStep(jobId: id, stepId: "tools_parts_loaded", answer: .confirmed)
        XCTAssertEqual(recorder.seen, ["accept", "call_customer", "answer_step"])
        // A refused command changed nothing: no notification.
        XCTAssertThrowsError(try kit.raw.accept(jobId: id))
        XCTAssertEqual(recorder.seen.count, 3)

        XCTAssertTrue(handle.isActive())
        handle.cancel()
        XCTAssertFalse(handle.isActive())
        _ = try kit.raw.startTravel(jobId: id)
        _ = try kit.raw.arrive(jobId: id)
        XCTAssertEqual(recorder.seen.count, 3, "no notification after the handle was cancelled")
    }

    func testReleasingTheHandleWithoutCancelAlsoStopsTheObserver() throws {
        let (kit, id) = try kitWithOrder("observer-drop")
        let recorder = Recorder()
        _ = kit.raw.observeJobs(observer: recorder)  // released at once
        _ = try kit.raw.accept(jobId: id)
        XCTAssertTrue(recorder.seen.isEmpty)
    }

    func testAThrowingObserverDoesNotFailTheCommandNorSilenceTheOthers() throws {
        let (kit, id) = try kitWithOrder("observer-throws")
        let thrower = kit.raw.observeJobs(observer: Thrower())
        let recorder = Recorder()
        let handle = kit.raw.observeJobs(observer: recorder)
        _ = try kit.raw.accept(jobId: id)
        XCTAssertEqual(recorder.seen, ["accept"])
        thrower.cancel()
        handle.cancel()
    }

    func testTheStreamOfJobChangesDeliversInCommitOrderAndUnregistersWhenDone() async throws {
        let (kit, id) = try kitWithOrder("stream")
        let stream = kit.jobChanges(of: id)  // registered now
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
        try await kit.answerStep(id, "tools_parts_loaded", .confirmed)
        var actions: [String] = []
        for await change in stream {
            actions.append(change.action)
            if actions.count == 3 { break }
        }
        XCTAssertEqual(actions, ["accept", "call_customer", "answer_step"])
    }
}

final class LifecycleTests: XCTestCase {
    func testTenThousandOpenCloseCyclesDoNotLeak() throws {
        let dir = tempDir("cycles")
        var deviceId = ""
        func cycle() throws {
            let kit = try FieldKit.open(dataDir: dir.path, config: KitConfig(databaseKey: testKey))
            let id = kit.deviceId()
            if deviceId.isEmpty { deviceId = id }
            XCTAssertEqual(id, deviceId, "the same database reopens as the same device")
            kit.observeJobs(observer: ObserverTests.Recorder()).cancel()
        }
        for _ in 0..<500 { try cycle() }
        let before = residentBytes()
        for _ in 0..<10_000 { try autoreleasepool { try cycle() } }
        let growth = Int64(residentBytes()) - Int64(before)
        XCTAssertLessThan(growth, 64 * 1024 * 1024, "resident memory grew by \(growth) bytes")
    }
}
