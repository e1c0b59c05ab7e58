// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/PulledChangesTest.kt: the
// desk's changes reach the app's job observers. A sync that pulls a new job, a cancellation
// and a reassignment tells jobChanges() of each, after the page is committed. Needs a
// fieldkit-server (FIELDKIT_SERVER_URL, FIELDKIT_ADMIN_TOKEN: see SyncRoundTripTests.swift);
// skipped without one.
import Foundation
import XCTest
@testable import FieldKit

final class PulledChangesTests: XCTestCase {
    func testAPulledJobCancellationAndReassignmentReachJobChanges() async throws {
        let desk = try Desk.fromEnvironment()
        let tech = try await desk.createTechnician("Technician P")
        let colleague = try await desk.createTechnician("Technician Q")
        let code = try await desk.enrolmentCode(tech)
        let kept = demoRepairOrder(number: 601, paid: false)
        let cancelled = demoRepairOrder(number: 602, paid: false)
        let moved = demoRepairOrder(number: 603, paid: false)

        let kit = try FieldKitClient(directory: tempDir("pulled"), databaseKey: testKey, config: morningConfig())
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: Desk.quick)
        let changes = kit.jobChanges()  // the observer is registered now
        let pulled = Task { () -> [JobChange] in
            var heard: [JobChange] = []
            for await change in changes where change.fromDesk {
                heard.append(change)
                if heard.count == 5 { break }
            }
            return heard  // fewer than 5 when the wait below gave up
        }
        for order in [kept, cancelled, moved] {
            try await desk.dispatch(try demoDispatchJson(order: order, technicianId: tech))
        }
        let first = try await kit.sync(options: Desk.quick)
        XCTAssertGreaterThanOrEqual(first.pulled, 3, "\(first)")

        let (status, body) = try await desk.call("POST", "/v1/admin/work-orders/\(cancelled.id)/cancel", json: "{\"reason\":\"customer away\"}")
        XCTAssertEqual(status, 200, String(decoding: body, as: UTF8.self))
        let (status2, body2) = try await desk.call("POST", "/v1/admin/work-orders/\(moved.id)/assign", json: "{\"technician_id\":\"\(colleague)\"}")
        XCTAssertEqual(status2, 200, String(decoding: body2, as: UTF8.self))
        _ = try await kit.sync(options: Desk.quick)

        // Bounded wait (10 s, as the Kotlin test's withTimeout): cancelling ends the loop.
        let timeout = Task {
            try await Task.sleep(nanoseconds: 10_000_000_000)
            pulled.cancel()
        }
        let heard = await pulled.value
        timeout.cancel()
        XCTAssertEqual(heard, [
            JobChange(jobId: kept.id, action: JobChange.pulledWorkOrder),
            JobChange(jobId: cancelled.id, action: JobChange.pulledWorkOrder),
            JobChange(jobId: moved.id, action: JobChange.pulledWorkOrder),
            JobChange(jobId: cancelled.id, action: JobChange.pulledCancellation),
            JobChange(jobId: moved.id, action: JobChange.pulledRemoval),
        ])
        // What the observers heard is what the device now holds.
        let cancelledStatus = try await kit.job(cancelled.id).status
        XCTAssertEqual(cancelledStatus, .cancelled)
        let listed = try await kit.todaysJobs().map(\.id)
        XCTAssertTrue(listed.contains(kept.id) && !listed.contains(moved.id), "\(listed)")
    }
}
