// XCTest mirror of EndingsTest.kt: the visit's other endings on a real (encrypted) device
// database (`walkToWork` is in SyncRoundTripTests.swift). Never compiled on the Linux build
// machine (no Swift toolchain there): run with `swift test` on a Mac.
import Foundation
import XCTest
@testable import FieldKit

final class EndingsTests: XCTestCase {
    func testWaitingForAPartEndsTheVisitBadRequestsChangeNothingTheFollowUpIsPlannedByACall() async throws {
        let (kit, id) = try kitWithOrder("await-parts")
        try await walkToWork(kit, id)
        let queued = try await kit.pendingChanges()
        // Bad requests are typed and change nothing.
        do { _ = try await kit.awaitParts(id, parts: [], note: "pump seized"); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "parts")
        }
        let twice = [PartRequest(sku: "PUMP-220", quantity: 1), PartRequest(sku: "PUMP-220", quantity: 1)]
        do { _ = try await kit.awaitParts(id, parts: twice, note: "pump seized"); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.awaitParts(id, parts: [PartRequest(sku: "PUMP-220", quantity: 1)], note: " "); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.awaitParts(id, parts: [PartRequest(sku: "NO-SUCH", quantity: 1)], note: "pump seized"); XCTFail() } catch FieldKitError.NotFound {}
        let still = try await kit.job(id).status
        XCTAssertEqual(still, .inProgress)
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)

        let status = try await kit.awaitParts(id, parts: [PartRequest(sku: "PUMP-220", quantity: 2)], note: "drain pump seized, none in the van")
        XCTAssertEqual(status, .awaitingParts)
        let after = try await kit.pendingChanges()
        XCTAssertEqual(after, queued + 1)
        let detail = try await kit.job(id)
        XCTAssertEqual(detail.status, .awaitingParts)
        if let visit = detail.visit {
            XCTAssertEqual(visit.status, .ended(outcome: .awaitingParts))
        }
        do { _ = try await kit.startTravel(id); XCTFail("the follow-up visit is agreed first") } catch FieldKitError.Refused {}
        // The part is in: the call plans the follow-up visit.
        let planned = try await kit.callCustomer(id, callReached)
        XCTAssertEqual(planned, .confirmed)
        let number = try await kit.job(id).visit?.number
        XCTAssertEqual(number, 2)
    }

    func testARefusedSignatureNeedsAReasonAndAWitnessOrAPhotoOfTheVisitThenWaitsForTheDesk() async throws {
        let (kit, id) = try kitWithOrder("refused-signature")
        try await walkToWork(kit, id)
        let queued = try await kit.pendingChanges()
        do { _ = try await kit.refuseSignature(id, reason: "disagrees with the fee"); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "refused signature")
        }
        do { _ = try await kit.refuseSignature(id, reason: " ", witness: "Li Wei"); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.refuseSignature(id, reason: "disagrees with the fee", photoSha256: String(repeating: "0", count: 64)); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "photo")
        }
        let still = try await kit.job(id).status
        XCTAssertEqual(still, .inProgress)
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)

        let photo = try await kit.addPhoto(id, stepId: nil, jpeg: try platformJpeg())
        let status = try await kit.refuseSignature(id, reason: "disagrees with the fee", witness: "Li Wei", photoSha256: photo.sha256)
        XCTAssertEqual(status, .signatureRefused)
        let after = try await kit.pendingChanges()
        XCTAssertEqual(after, queued + 2, "the photo and the refusal")
        do { _ = try await kit.complete(id); XCTFail() } catch FieldKitError.Refused {}
        let planned = try await kit.callCustomer(id, callReached)
        XCTAssertEqual(planned, .confirmed)
    }

    func testASecondVisitEndsThisOneWithItsReasonAQuoteCannotBeDeclinedOnceAgreedARedeliveryNeedsADelivery() async throws {
        let (kit, id) = try kitWithOrder("second-visit")
        try await walkToWork(kit, id)
        let queued = try await kit.pendingChanges()
        // The walk agreed the whole quote: declining it now is refused, typed, nothing written.
        do { _ = try await kit.declineQuote(id, reason: "too expensive"); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "quote")
        }
        // The walk's finding is not damage on delivery, and this is a repair.
        let findings = try await kit.findings(id)
        XCTAssertEqual(findings.count, 1)
        XCTAssertNotNil(findings[0].acknowledgedBy, "the walk had the customer sign it")
        do { _ = try await kit.requestRedelivery(id, findingId: findings[0].id, note: "dent"); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.requestRedelivery(id, findingId: "not an id", note: "dent"); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.needSecondVisit(id, reason: " "); XCTFail() } catch FieldKitError.Validation {}
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)

        let status = try await kit.needSecondVisit(id, reason: "two people are needed to lift it")
        XCTAssertEqual(status, .secondVisitNeeded)
        let after = try await kit.pendingChanges()
        XCTAssertEqual(after, queued + 1)
        do { _ = try await kit.needSecondVisit(id, reason: "again"); XCTFail() } catch FieldKitError.Refused {}
        let planned = try await kit.callCustomer(id, callReached)
        XCTAssertEqual(planned, .confirmed)
        let number = try await kit.job(id).visit?.number
        XCTAssertEqual(number, 2)
        let none = try await kit.findings(id)
        XCTAssertTrue(none.isEmpty, "visit 2 has no findings yet")
    }
}

/// Mirrors CustodyTest.kt: a take-back's loaner is returned on site on the return visit, once.
final class CustodyTests: XCTestCase {
    func testALoanerIsReturnedOnSiteOnTheReturnVisitOnce() async throws {
        let (kit, id) = try kitWithOrder("loaner")
        try await walkToWork(kit, id)
        let receipt = try await takeBackWithEvidence(kit, id)
        let loanerId = try XCTUnwrap(receipt.loanerId)
        _ = try await kit.callCustomer(id, callReached)
        let out = try await kit.loaners(id)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].id, loanerId)
        XCTAssertNil(out[0].returnedAtMs)
        let queued = try await kit.pendingChanges()
        do { try await kit.returnLoaner(id, loanerId: loanerId); XCTFail("not on site yet") } catch FieldKitError.Validation {}
        do { try await kit.returnLoaner(id, loanerId: "not an id"); XCTFail() } catch FieldKitError.Validation {}
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)

        _ = try await kit.answerStep(id, "repaired_unit_loaded", .confirmed)
        _ = try await kit.startTravel(id)
        _ = try await kit.arrive(id)
        try await kit.returnLoaner(id, loanerId: loanerId)
        let back = try await kit.loaners(id)
        XCTAssertNotNil(back[0].returnedAtMs)
        do { try await kit.returnLoaner(id, loanerId: loanerId); XCTFail("returned once") } catch FieldKitError.Validation {}
        do { _ = try await kit.loaners("01a24144-cbe3-73bf-9fc6-1c9737f5d801"); XCTFail() } catch FieldKitError.NotFound {}
    }
}
