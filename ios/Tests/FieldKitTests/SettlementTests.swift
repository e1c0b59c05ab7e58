// XCTest mirror of SettlementTest.kt: settling a paid visit (结算) on a real (encrypted) device
// database (`walkToWork` and `walkToSettlement` are in SyncRoundTripTests.swift). Never
// compiled on the Linux build machine (no Swift toolchain there): run with `swift test` on a Mac.
import Foundation
import XCTest
@testable import FieldKit

final class SettlementTests: XCTestCase {
    func testASettlementIsCheckedAgainstTheConsentADifferentAmountNeedsItsReasonTheInvoiceIsDueIn3Days() async throws {
        let (kit, id) = try kitWithOrder("settlement")
        try await walkToWork(kit, id)
        // Before the work is done the close-out is not open.
        do { _ = try await kit.settle(id, Settlement(amount: 13000, method: .cash, receiptNo: "SJ-1", reason: nil)); XCTFail() } catch {}
        try await walkToSettlement(kit, id, fromStart: false)
        let queued = try await kit.pendingChanges()
        // Refused, typed, nothing queued: a different amount without its reason, nothing paid,
        // a blank receipt number, the step ticked without a settlement.
        do { _ = try await kit.settle(id, Settlement(amount: 12000, method: .cash, receiptNo: "SJ-1", reason: nil)); XCTFail() } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "settlement")
        }
        do { _ = try await kit.settle(id, Settlement(amount: 0, method: .cash, receiptNo: "SJ-1", reason: nil)); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.settle(id, Settlement(amount: 13000, method: .card, receiptNo: " ", reason: nil)); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.answerStep(id, "fee_settled", .choice(value: "paid_on_site")); XCTFail() } catch FieldKitError.Validation {}
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)

        // 120.00 by QR against 130.00 agreed, with the reason; no receipt: invoice due in 3 days.
        let s = try await kit.settle(id, Settlement(amount: 12000, method: .qr, receiptNo: nil, reason: "10.00 off for the late arrival"))
        XCTAssertEqual(s.amount, 12000)
        XCTAssertEqual(s.consented, 13000)
        XCTAssertTrue(s.differs)
        XCTAssertEqual(s.method, .qr)
        XCTAssertNil(s.receiptNo)
        XCTAssertEqual(s.invoiceDueMs, s.atMs + 3 * 24 * 60 * 60 * 1000)
        let after = try await kit.pendingChanges()
        XCTAssertEqual(after, queued + 1)
        let settled = try await kit.checklist(id).steps.first { $0.id == "fee_settled" }?.status
        XCTAssertEqual(settled, .satisfied)

        _ = try await kit.answerStep(id, "customer_copy", .confirmed)
        _ = try await kit.answerStep(id, "goodbye", .confirmed)
        _ = try await kit.complete(id)
        let status = try await kit.job(id).status
        XCTAssertEqual(status, .completed)
    }
}
