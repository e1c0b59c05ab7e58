// XCTest mirror of FactStepsTest.kt: the checklist ticks tied to facts (templates v3) on a real
// (encrypted) device database (`walkToWork` and `walkToAnomaly` are in SyncRoundTripTests.swift).
// Never compiled on the Linux build machine (no Swift toolchain there): run with `swift test`
// on a Mac.
import Foundation
import XCTest
@testable import FieldKit

final class FactStepsTests: XCTestCase {
    private func status(_ kit: FieldKitClient, _ id: String, _ step: String) async throws -> StepStatus? {
        try await kit.checklist(id).steps.first { $0.id == step }?.status
    }

    func testTheFindingPartsReviewAndCustomerCopyStepsHoldOnlyWithTheirFacts() async throws {
        let (kit, id) = try kitWithOrder("facts")
        // The anomaly: signed by the customer on the step, naming the finding (walkToWork).
        try await walkToWork(kit, id)
        let anomaly = try await kit.checklist(id).steps.first { $0.id == "anomaly_signature" }
        guard case .finding = anomaly?.kind else { return XCTFail("\(String(describing: anomaly?.kind))") }
        XCTAssertEqual(anomaly?.status, .satisfied)

        // The parts review: a list that is not the parts recorded is refused, nothing queued.
        _ = try await kit.answerStep(id, "respect_home", .confirmed)
        let pump = PartUse(sku: "PUMP-220", quantity: 1, newSerial: "P22-000981", oldPart: .returned, oldSerial: nil)
        let first = try await kit.recordPart(id, pump)
        _ = try await kit.answerStep(id, "work_done", .text(value: "Replaced the drain pump"))
        let queued = try await kit.pendingChanges()
        do { _ = try await kit.answerStep(id, "parts_reviewed", .partsReviewed(parts: ["not-a-recorded-part"])); XCTFail() } catch let FieldKitError.StepRefused(step, _, _) {
            XCTAssertEqual(step, "parts_reviewed")
        }
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)
        _ = try await kit.answerStep(id, "parts_reviewed", .confirmed) // the parts as recorded now
        let reviewed = try await status(kit, id, "parts_reviewed")
        XCTAssertEqual(reviewed, .satisfied)
        // Another part reopens the review until it is confirmed again, by the parts' ids.
        let second = try await kit.recordPart(id, PartUse(sku: "PUMP-220", quantity: 1, newSerial: "P22-000982", oldPart: .returned, oldSerial: nil))
        let reopened = try await status(kit, id, "parts_reviewed")
        XCTAssertEqual(reopened, .pending)
        let blockers = try await kit.checklist(id).blockers
        XCTAssertTrue(blockers.contains { if case .partsChanged = $0.reason { return true } else { return false } })
        _ = try await kit.answerStep(id, "parts_reviewed", .partsReviewed(parts: [second.id, first.id]))
        let again = try await status(kit, id, "parts_reviewed")
        XCTAssertEqual(again, .satisfied)

        _ = try await kit.answerStep(id, "test_run_ok", .yesNo(value: true))
        _ = try await kit.addPhoto(id, stepId: "debris_removed", jpeg: demoPhoto(tag: "clean floor"))
        _ = try await kit.summaryForSigning(id)
        let record = try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 2), stepId: "service_record_signature", findingId: nil))
        _ = try await kit.feedback(id, rating: 5, comment: "very professional")
        _ = try await kit.settle(id, Settlement(amount: 13000, method: .cash, receiptNo: "SJ-0001", reason: nil))

        // The copy: only the hash of the customer's latest signature.
        do { _ = try await kit.answerStep(id, "customer_copy", .copyHanded(sha256: String(repeating: "0", count: 64))); XCTFail() } catch FieldKitError.StepRefused {}
        _ = try await kit.answerStep(id, "customer_copy", .copyHanded(sha256: try XCTUnwrap(record.summarySha256)))
        let copy = try await status(kit, id, "customer_copy")
        XCTAssertEqual(copy, .satisfied)
        _ = try await kit.answerStep(id, "goodbye", .confirmed)
        _ = try await kit.complete(id)
        let done = try await kit.job(id).status
        XCTAssertEqual(done, .completed)
    }

    func testASignatureOnTheFindingStepThatNamesNoFindingIsRefused() async throws {
        let (kit, id) = try kitWithOrder("finding")
        try await walkToAnomaly(kit, id)
        _ = try await kit.summaryForSigning(id)
        do {
            _ = try await kit.sign(id, SignatureInput(signerName: "王女士", role: .customer, strokes: demoSignature(seed: 1), stepId: "anomaly_signature", findingId: nil))
            XCTFail()
        } catch let FieldKitError.StepRefused(step, _, _) {
            XCTAssertEqual(step, "anomaly_signature")
        }
        let blockers = try await kit.checklist(id).blockers
        XCTAssertTrue(blockers.contains { if case .needsFinding = $0.reason { return true } else { return false } })
    }
}
