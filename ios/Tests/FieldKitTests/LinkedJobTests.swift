// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/LinkedJobTest.kt: the desk
// makes a callback's repair from a job the phone holds, in one call; the phone pulls the child
// with its parent link (number and kind), and the parent keeps none. Needs a fieldkit-server
// (see SyncRoundTripTests); never compiled on the Linux build machine.
import Foundation
import XCTest
@testable import FieldKit

final class LinkedJobTests: XCTestCase {
    func testAChildJobTheDeskMadeReachesThePhoneWithItsParentLink() async throws {
        let desk = try Desk.fromEnvironment()
        let tech = try await desk.createTechnician("Technician Linked")
        let code = try await desk.enrolmentCode(tech)
        let order = demoRepairOrder(number: 701, paid: false)
        try await desk.dispatch(try demoDispatchJson(order: order, technicianId: tech))

        let kit = try FieldKitClient(directory: tempDir("linked"), databaseKey: testKey, config: morningConfig())
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        _ = try await kit.sync(options: Desk.quick)
        let parent = try await kit.job(order.id)
        XCTAssertNil(parent.order.parent, "a job made on its own has no parent")

        let (status, data) = try await desk.call(
            "POST", "/v1/admin/work-orders/\(order.id)/children",
            json: "{\"kind\":\"callback_repair\",\"assign_to\":\"\(tech)\"}")
        XCTAssertEqual(status, 201, String(decoding: data, as: UTF8.self))
        let made = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let childId = (made["order"] as! [String: Any])["id"] as! String
        XCTAssertNotEqual(childId, order.id)

        let report = try await kit.sync(options: Desk.quick)
        XCTAssertGreaterThanOrEqual(report.pulled, 1)
        let child = try await kit.job(childId).order
        XCTAssertEqual(child.parent, ParentLink(id: order.id, number: order.number, kind: .callbackRepair))
        XCTAssertEqual(child.kind, .repair)
        XCTAssertEqual(child.customerName, order.customerName)
        XCTAssertEqual(child.address, order.address)
        XCTAssertEqual(child.productModel, order.productModel)
        XCTAssertEqual(child.number, "\(order.number)-1")
    }
}
