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

        // Promised in the parent's window (today, as the desk holds it), so it is on today's
        // list too.
        let (got, held) = try await desk.call("GET", "/v1/admin/work-orders/\(order.id)")
        XCTAssertEqual(got, 200)
        let parentJob = try JSONSerialization.jsonObject(with: held) as! [String: Any]
        let promised = (parentJob["order"] as! [String: Any])["promised"]!
        let body: [String: Any] = ["kind": "callback_repair", "assign_to": tech, "promised": promised]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let (status, data) = try await desk.call(
            "POST", "/v1/admin/work-orders/\(order.id)/children", json: json)
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
        XCTAssertEqual(child.promised, order.promised)
        // Today's list says which job the child was made from; the parent's line says none.
        let today = try await kit.todaysJobs()
        XCTAssertEqual(today.first { $0.id == childId }?.parent?.kind, .callbackRepair)
        XCTAssertEqual(today.first { $0.id == childId }?.parent?.number, order.number)
        XCTAssertNil(today.first { $0.id == order.id }?.parent)
    }
}
