// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/CardTest.kt: the technician's
// card against a real fieldkit-server started with --service-hotline 400-820-8820
// (FIELDKIT_SERVER_URL, FIELDKIT_ADMIN_TOKEN: see SyncRoundTripTests.swift; skipped without
// one). The enrolment brings the name, the employee number (工号) and the hotline; the id_badge
// step shows the number (004 一 第5章 第19条 (3)); a sync brings the desk's change of number;
// the customer's copy prints all three (004 一 第8章 第29条), read back through PDFKit.
import Foundation
import PDFKit
import XCTest
@testable import FieldKit

final class CardTests: XCTestCase {
    private let font = "/System/Library/Fonts/PingFang.ttc"
    private let hotline = "400-820-8820"

    private func setNumber(_ desk: Desk, _ tech: String, _ number: String) async throws {
        let (status, body) = try await desk.call("PUT", "/v1/admin/technicians/\(tech)/profile", json: "{\"employee_number\":\"\(number)\"}")
        XCTAssertEqual(status, 200, String(decoding: body, as: UTF8.self))
    }

    func testTheTechniciansCardReachesThePhoneTheIdBadgeStepAndTheCustomersCopy() async throws {
        let desk = try Desk.fromEnvironment()
        let tech = try await desk.createTechnician("张师傅")
        let number = "GH-\(UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000)"
        try await setNumber(desk, tech, number)
        let code = try await desk.enrolmentCode(tech)
        let order = demoRepairOrder(number: 811, paid: true)
        let other = demoRepairOrder(number: 812, paid: false)
        // No catalogue published (SyncRoundTripTests counts what its pull brings): nothing is pushed.
        try await desk.dispatch(try demoDispatchJson(order: order, technicianId: tech))
        try await desk.dispatch(try demoDispatchJson(order: other, technicianId: tech))

        let kit = try FieldKitClient(directory: tempDir("card"), databaseKey: testKey, config: morningConfig())
        try demoStockTheVan(kit: kit.raw)
        let before = try await kit.technicianCard()
        XCTAssertNil(before, "no card before enrolment")
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        let got = try await kit.technicianCard()
        let card = try XCTUnwrap(got)
        XCTAssertEqual(card.technicianId, tech)
        XCTAssertEqual(card.name, "张师傅")
        XCTAssertEqual(card.employeeNumber, number)
        XCTAssertEqual(card.serviceHotline, hotline)

        // The desk changes the number: the next sync brings it.
        let renumbered = "\(number)-B"
        try await setNumber(desk, tech, renumbered)
        _ = try await kit.sync(options: Desk.quick)
        let after = try await kit.technicianCard()
        XCTAssertEqual(after?.employeeNumber, renumbered)

        // The id_badge step shows the number; other steps show nothing; unknown steps are typed.
        _ = try await kit.accept(other.id)
        _ = try await kit.callCustomer(other.id, callReached)
        let badge = try await kit.stepContext(other.id, "id_badge")
        XCTAssertEqual(badge.card?.employeeNumber, renumbered)
        let prompt = try XCTUnwrap(badge.prompt)
        XCTAssertTrue(prompt.zhCn.contains("工号 \(renumbered)") && prompt.zhCn.contains("张师傅"), prompt.zhCn)
        XCTAssertTrue(prompt.en.contains("employee no. \(renumbered)"), prompt.en)
        let shoes = try await kit.stepContext(other.id, "shoe_covers")
        XCTAssertNil(shoes.card)
        XCTAssertNil(shoes.prompt)
        do {
            _ = try await kit.stepContext(other.id, "no_such_step")
            XCTFail("an unknown step")
        } catch let FieldKitError.NotFound(entity, _, _) {
            XCTAssertEqual(entity, "step")
        }

        // The customer's copy prints the technician's name, number and the hotline.
        try XCTSkipUnless(FileManager.default.fileExists(atPath: font), "no CJK font at \(font)")
        try await walkRepairVisit(kit, order.id)
        let options = CopyOptions(
            fontPath: font, fontBytes: nil, fontIndex: 0,
            verifyBaseUrl: "https://sync.example.com", company: "示例家电售后服务", utcOffsetMinutes: 480
        )
        let pdf = try await kit.customerCopy(order.id, options)
        let text = try XCTUnwrap(PDFDocument(data: pdf)?.string).replacingOccurrences(of: "\n", with: "")
        XCTAssertTrue(text.contains("张师傅"), text)
        XCTAssertTrue(text.contains(renumbered), text)
        XCTAssertTrue(text.contains(hotline), text)
    }
}

