// XCTest mirror of ReturnsTest.kt: a return or exchange on a real (encrypted) device database —
// the returns rules (第6章 第21–24条) decide from the order's sale and what was found on site;
// the technician records that decision only, and the summary the customer signs carries it.
// Never compiled on the Linux build machine (no Swift toolchain there): run with `swift test`
// on a Mac.
import Foundation
import XCTest
@testable import FieldKit

/// A fresh database with one return job, its sale recorded or not (as ReturnsTest.kitWithReturn).
func kitWithReturn(_ prefix: String, withSale: Bool) throws -> (FieldKitClient, String) {
    let kit = try FieldKitClient(directory: tempDir(prefix), databaseKey: testKey, config: morningConfig())
    try demoStockTheVan(kit: kit.raw)
    var order = demoRepairOrder(number: 1, paid: false)
    order.kind = .returnExchange
    // Sold three days before the customer called, ¥3299.00 listed, ¥2999.00 paid.
    let sale = Sale(soldAtMs: order.reportedAtMs - 3 * 24 * 3600 * 1000, pricePaid: 299_900, listPrice: 329_900,
                    currentPrice: nil, seasonal: false, category: .appliance, customerType: .individual)
    order.sale = withSale ? sale : nil
    try kit.raw.receiveWorkOrder(order: order)
    return (kit, order.id)
}

/// The unit leaks (a product fault), the invoice shown, no report, no misuse: an exchange asked.
let leaking = ReturnFindings(request: .exchange, proofOfPurchase: true, resalable: false,
                             inspection: Inspection.none, misuse: nil, fault: FaultBy.product)

final class ReturnsTests: XCTestCase {
    func testTheRulesDecideTheReturnAndTheTechnicianRecordsThatDecisionOnly() async throws {
        let (kit, id) = try kitWithReturn("returns", withSale: true)
        let held = try await kit.job(id).order.sale
        XCTAssertEqual(held?.pricePaid, 299_900)
        try await walkToAnomaly(kit, id)
        let step = try await kit.checklist(id).steps.first { $0.id == "return_decision" }
        guard case .returnDecision = step?.kind else { return XCTFail("\(String(describing: step?.kind))") }
        let d = try await kit.returnDecision(id, leaking)
        XCTAssertEqual(d.outcome, .exchange)
        XCTAssertEqual(d.reason, .withinWindowFault)
        XCTAssertEqual(d.priceBasis, .discounted)
        XCTAssertEqual(d.amount, 299_900)
        XCTAssertEqual(d.daysSinceSale, 3)
        XCTAssertTrue(d.whyZhCn.contains("可以换货"), d.whyZhCn)
        XCTAssertTrue(d.whyZhCn.contains("第6章 第22条"), d.whyZhCn)
        XCTAssertTrue(d.whyEn.contains("Exchange allowed"), d.whyEn)
        // Another outcome, or another price basis: refused, typed, nothing queued.
        let queued = try await kit.pendingChanges()
        var refund = d
        refund.outcome = .return
        var original = d
        original.priceBasis = .original
        original.amount = 329_900
        for forged in [refund, original] {
            do { _ = try await kit.answerStep(id, "return_decision", .returnDecided(found: leaking, decision: forged)); XCTFail() } catch let FieldKitError.StepRefused(step, _, _) {
                XCTAssertEqual(step, "return_decision")
            }
        }
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)
        // A free choice is no longer an answer.
        do { _ = try await kit.answerStep(id, "return_decision", .choice(value: "refund")); XCTFail() } catch FieldKitError.StepRefused {}
        _ = try await kit.answerStep(id, "return_decision", .returnDecided(found: leaking, decision: d))
        let status = try await kit.checklist(id).steps.first { $0.id == "return_decision" }?.status
        XCTAssertEqual(status, .satisfied)
        // The summary the customer signs carries the decision and its words.
        let shown = try await kit.summaryForSigning(id).answers.first { $0.stepId == "return_decision" }?.answer
        guard case let .returnDecided(_, recorded) = shown else { return XCTFail("\(String(describing: shown))") }
        XCTAssertEqual(recorded, d)
    }

    func testWithoutASaleRecordThereIsNoDecisionAndTheStepSaysWhy() async throws {
        let (kit, id) = try kitWithReturn("returns-nosale", withSale: false)
        try await walkToAnomaly(kit, id)
        do { _ = try await kit.returnDecision(id, leaking); XCTFail() } catch let FieldKitError.Validation(_, reason) {
            XCTAssertTrue(reason.contains("没有销售记录"), reason) // zh-CN, the kit's default
        }
        let blockers = try await kit.checklist(id).blockers
        XCTAssertTrue(blockers.contains { $0.stepId == "return_decision" && $0.reason == .noSaleRecord })
    }
}
