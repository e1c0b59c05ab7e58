// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/StockTest.kt: the van's stock
// against a real fieldkit-server (FIELDKIT_SERVER_URL, FIELDKIT_ADMIN_TOKEN: see
// SyncRoundTripTests.swift; skipped without one). A stock check (盘点, 004 一 第34条) that
// differs from the ledger is recorded on the phone, leaves the stock as it was and is flagged
// by the server; a replenishment the desk raises, approves and issues reaches the van through
// a pull, is received (the stock goes up, the receipt syncs and closes the desk's request),
// and a second receipt of it is refused with a typed error.
import Foundation
import XCTest
@testable import FieldKit

final class StockTests: XCTestCase {
    /// The desk's stock report, cut to one van's text (vans are listed one after another).
    private func vanReport(_ desk: Desk, _ tech: String) async throws -> String {
        let (status, data) = try await desk.call("GET", "/v1/admin/stock")
        let body = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(status, 200, body)
        guard let start = body.range(of: "\"technician_id\":\"\(tech)\"") else {
            XCTFail("no van for \(tech) in \(body)")
            return ""
        }
        let rest = body[start.upperBound...]
        if let next = rest.range(of: "\"technician_id\":") {
            return String(body[start.lowerBound..<next.lowerBound])
        }
        return String(body[start.lowerBound...])
    }

    /// A technician with an enrolled phone holding the demo van stock (2 pumps), synced.
    private func enrolledVan(_ desk: Desk, _ name: String, _ prefix: String) async throws -> (String, FieldKitClient) {
        let tech = try await desk.createTechnician(name)
        let code = try await desk.enrolmentCode(tech)
        // No catalogue published: stock ops are judged by the ledger, and SyncRoundTripTests counts
        // the catalogue changes its pull brings from this shared server.
        let kit = try FieldKitClient(directory: tempDir(prefix), databaseKey: testKey, config: morningConfig())
        try demoStockTheVan(kit: kit.raw)
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        let first = try await kit.sync(options: Desk.quick)
        XCTAssertEqual([first.applied, first.rejected, first.conflicts], [first.pushed, 0, 0], "\(first)")
        return (tech, kit)
    }

    private func pumps(_ kit: FieldKitClient) async throws -> Int64? {
        try await kit.vanStock().first { $0.part.sku == "PUMP-220" }?.quantity
    }

    func testAStockCheckWithADifferenceIsRecordedOnThePhoneAndFlaggedByTheServer() async throws {
        let desk = try Desk.fromEnvironment()
        let (tech, kit) = try await enrolledVan(desk, "Technician Count", "stock-count")
        // Bad counts are refused before anything is recorded.
        let before = try await kit.pendingOpCount()
        do {
            _ = try await kit.countStock([StockCount(sku: "PUMP-220", counted: 1), StockCount(sku: "PUMP-220", counted: 2)])
            XCTFail("a part counted twice")
        } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "counts")
        }
        do { _ = try await kit.countStock([StockCount(sku: "PUMP-220", counted: -1)]); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.countStock([]); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try await kit.countStock([StockCount(sku: "NO-SUCH-PART", counted: 1)]); XCTFail() } catch FieldKitError.NotFound {}
        let unchanged = try await kit.pendingOpCount()
        XCTAssertEqual(unchanged, before)

        // One pump found where the ledger says two: recorded, the stock unchanged.
        let counted = try await kit.countStock([StockCount(sku: "PUMP-220", counted: 1)])
        XCTAssertEqual(counted, [CountResult(sku: "PUMP-220", counted: 1, expected: 2)])
        let held = try await pumps(kit)
        XCTAssertEqual(held, 2)
        let queued = try await kit.pendingOpCount()
        XCTAssertEqual(queued, before + 1)

        // What syncs: the count, kept by the server and flagged as differing.
        let report = try await kit.sync(options: Desk.quick)
        XCTAssertEqual([report.pushed, report.rejected, report.conflicts], [1, 0, 1], "\(report)")
        let left = try await kit.pendingOpCount()
        XCTAssertEqual(left, 0)
        let issues = try await kit.syncIssues()
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(issues.first?.kind, .conflict)
        XCTAssertEqual(issues.first?.op, "count_stock")
        XCTAssertEqual(issues.first?.code, "stock_count_differs")
        let van = try await vanReport(desk, tech)
        XCTAssertTrue(van.contains("\"last_count\":{\"counted\":1,\"ledger\":2,\"differs\":true"), van)
        XCTAssertTrue(van.contains("\"on_hand\":2"), van)

        // A count that matches is not flagged.
        _ = try await kit.countStock([StockCount(sku: "PUMP-220", counted: 2)])
        let again = try await kit.sync(options: Desk.quick)
        XCTAssertEqual([again.applied, again.rejected, again.conflicts], [1, 0, 0], "\(again)")
        let matched = try await vanReport(desk, tech)
        XCTAssertTrue(matched.contains("\"last_count\":{\"counted\":2,\"ledger\":2,\"differs\":false"), matched)
    }

    func testAReplenishmentIssuedByTheDeskIsPulledReceivedOnceAndClosed() async throws {
        let desk = try Desk.fromEnvironment()
        let (tech, kit) = try await enrolledVan(desk, "Technician Replenish", "stock-replenish")
        // The desk sets a minimum of 5 pumps: the van holds 2, a request for 3 is raised.
        let (s, m) = try await desk.call("PUT", "/v1/admin/stock/minimums", json: "{\"technician_id\":\"\(tech)\",\"sku\":\"PUMP-220\",\"minimum\":5}")
        XCTAssertEqual(s, 200, String(decoding: m, as: UTF8.self))
        let (s2, listData) = try await desk.call("GET", "/v1/admin/stock/replenishments?technician=\(tech)")
        XCTAssertEqual(s2, 200)
        let list = try JSONSerialization.jsonObject(with: listData) as! [String: Any]
        let raised = try XCTUnwrap((list["replenishments"] as? [[String: Any]])?.first)
        let id = try XCTUnwrap(raised["id"] as? String)
        XCTAssertEqual(raised["quantity"] as? Int, 3)
        XCTAssertEqual(raised["state"] as? String, "raised")

        // Nothing reaches the van before the desk issues it.
        _ = try await kit.sync(options: Desk.quick)
        let none = try await kit.replenishments()
        XCTAssertTrue(none.isEmpty)
        do { _ = try await kit.receiveReplenishment(id); XCTFail("received before it was issued") } catch FieldKitError.NotFound {}
        for step in ["approve", "issue"] {
            let (st, body) = try await desk.call("POST", "/v1/admin/stock/replenishments/\(id)/\(step)")
            XCTAssertEqual(st, 200, String(decoding: body, as: UTF8.self))
        }

        // The pull brings it; received, the pumps join the van's stock.
        let pulled = try await kit.sync(options: Desk.quick)
        XCTAssertGreaterThanOrEqual(pulled.pulled, 1, "\(pulled)")
        let waiting = try await kit.replenishments()
        XCTAssertEqual(waiting.count, 1)
        XCTAssertEqual(waiting.first?.id, id)
        XCTAssertEqual(waiting.first?.sku, "PUMP-220")
        XCTAssertEqual(waiting.first?.quantity, 3)
        XCTAssertNil(waiting.first?.receivedAtMs)
        XCTAssertGreaterThan(waiting.first?.issuedAtMs ?? 0, 0)
        let now = try await kit.receiveReplenishment(id)
        XCTAssertEqual(now, 5)
        let held = try await pumps(kit)
        XCTAssertEqual(held, 5)
        let received = try await kit.replenishments()
        XCTAssertNotNil(received.first?.receivedAtMs)

        // A second receipt of the same replenishment is refused; nothing more is queued.
        let queued = try await kit.pendingOpCount()
        do {
            _ = try await kit.receiveReplenishment(id)
            XCTFail("received twice")
        } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "replenishment")
        }
        let stillQueued = try await kit.pendingOpCount()
        XCTAssertEqual(stillQueued, queued)
        let stillHeld = try await pumps(kit)
        XCTAssertEqual(stillHeld, 5)

        // The receipt syncs: the desk's request is closed, the server's ledger agrees.
        let pushed = try await kit.sync(options: Desk.quick)
        XCTAssertEqual([pushed.applied, pushed.rejected, pushed.conflicts], [queued, 0, 0], "\(pushed)")
        let (s3, after) = try await desk.call("GET", "/v1/admin/stock/replenishments?technician=\(tech)")
        XCTAssertEqual(s3, 200)
        XCTAssertTrue(String(decoding: after, as: UTF8.self).contains("\"state\":\"received\""))
        let van = try await vanReport(desk, tech)
        XCTAssertTrue(van.contains("\"received\":3") && van.contains("\"on_hand\":5"), van)
    }
}
