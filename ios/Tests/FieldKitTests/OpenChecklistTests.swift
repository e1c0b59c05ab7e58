// XCTest mirror of OpenChecklistTest.kt: the checklist a screen holds open — steps by
// position, the same rules as answerStep, one call that answers and returns the view; a call
// made from inside another call and an error followed by a success on the same thread.
// Never compiled on the Linux build machine (no Swift toolchain there): run with `swift test`
// on a Mac.
import Foundation
import XCTest
@testable import FieldKit

/// Records the outcome of calls made from inside the library's own call (an observer).
final class CallingBackObserver: JobObserver, @unchecked Sendable {
    let raw: FieldKit
    var inner: [String] = []
    init(raw: FieldKit) { self.raw = raw }
    func onJobChanged(jobId: String, action: String) throws {
        do { _ = try raw.job(jobId: "not a job id"); inner.append("no error") } catch FieldKitError.Validation { inner.append("Validation") } catch { inner.append("\(error)") }
        inner.append((try? raw.job(jobId: jobId).order.id) ?? "failed")
    }
}

final class OpenChecklistTests: XCTestCase {
    func testStepsAnsweredByPositionFollowTheSameRulesAsAnswerStep() async throws {
        let (kit, id) = try kitWithOrder("open-checklist")
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
        let sheet = try await kit.openChecklist(id)
        XCTAssertEqual(sheet.jobId(), id)
        let view = try sheet.view()
        let fresh = try await kit.checklist(id)
        XCTAssertEqual(fresh, view)
        func at(_ stepId: String) -> Int32 { Int32(view.steps.firstIndex { $0.id == stepId } ?? -1) }

        let before = try await kit.pendingChanges()
        let seq = try sheet.confirm(step: at("tools_parts_loaded"))
        XCTAssertGreaterThan(seq, 0)
        let ticked = try await kit.pendingChanges()
        XCTAssertGreaterThan(ticked, before)
        let afterTick = try await kit.checklist(id)
        XCTAssertEqual(afterTick.steps[Int(at("tools_parts_loaded"))].status, .satisfied)

        // Out of order exactly as answerStep refuses it: nothing recorded.
        var byName = ""
        do { _ = try await kit.answerStep(id, "respect_home", .confirmed); XCTFail() } catch let FieldKitError.StepRefused(_, _, reason) { byName = reason }
        do { _ = try sheet.confirm(step: at("respect_home")); XCTFail() } catch let FieldKitError.StepRefused(_, _, reason) {
            XCTAssertEqual(reason, byName)
        }
        // A position that is no step: a typed error, nothing recorded.
        do { _ = try sheet.confirm(step: -1); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try sheet.confirm(step: Int32(view.steps.count)); XCTFail() } catch FieldKitError.Validation {}
        do { _ = try sheet.answer(step: Int32.max, answer: .yesNo(value: true)); XCTFail() } catch FieldKitError.Validation {}
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, ticked)

        // One call answers and returns the checklist as the next read sees it.
        _ = try await kit.startTravel(id)
        _ = try await kit.arrive(id)
        let answered = try sheet.answerAndView(step: at("id_badge"), answer: .confirmed)
        XCTAssertGreaterThan(answered.seq, seq)
        let reread = try await kit.checklist(id)
        XCTAssertEqual(answered.view, reread)
        XCTAssertEqual(answered.view.steps[Int(at("id_badge"))].status, .satisfied)
        XCTAssertGreaterThan(try sheet.answer(step: at("shoe_covers"), answer: .confirmed), answered.seq)
        XCTAssertEqual(try sheet.view().steps[Int(at("shoe_covers"))].status, .satisfied)
    }

    func testNoOpenVisitIsNotFoundAndACancelledJobRefusesTicks() async throws {
        let (kit, id) = try kitWithOrder("open-checklist-none")
        _ = try await kit.accept(id)
        do { _ = try await kit.openChecklist(id); XCTFail() } catch FieldKitError.NotFound {}
        do { _ = try await kit.openChecklist("not a job id"); XCTFail() } catch FieldKitError.Validation {}
        _ = try await kit.callCustomer(id, callReached)
        let sheet = try await kit.openChecklist(id)
        _ = try await kit.cancel(id, reason: "customer cancelled")
        let queued = try await kit.pendingChanges()
        do { _ = try sheet.confirm(step: 0); XCTFail() } catch is FieldKitError {}
        let after = try await kit.pendingChanges()
        XCTAssertEqual(after, queued)
    }

    func testACallMadeInsideAnotherCallAndAnErrorLeaveTheNextCallsClean() async throws {
        let (kit, id) = try kitWithOrder("status-pool")
        let observer = CallingBackObserver(raw: kit.raw)
        let handle = kit.raw.observeJobs(observer: observer)
        _ = try kit.raw.accept(jobId: id)
        XCTAssertEqual(observer.inner, ["Validation", id])
        XCTAssertEqual(try kit.raw.job(jobId: id).order.id, id)
        for _ in 0..<3 {
            do { _ = try kit.raw.job(jobId: "still not a job id"); XCTFail() } catch FieldKitError.Validation {}
            XCTAssertEqual(try kit.raw.job(jobId: id).order.id, id)
        }
        handle.cancel()
    }
}
