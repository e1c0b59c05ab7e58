// XCTest mirror of TakeBackTest.kt: a take-back with its evidence on a real (encrypted) device
// database. Never compiled on the Linux build machine (no Swift toolchain there): run with
// `swift test` on a Mac.
import Foundation
import XCTest
@testable import FieldKit

/// The unit goes to the workshop, with a loaner (as TestSupport.sampleTakeBack).
func sampleTakeBack(_ conditionPhotos: [String] = []) -> TakeBack {
    TakeBack(receiptNo: "R-0001", reason: "motor needs bench repair", goodsBookRef: "GB-1",
             loaner: LoanerUnit(model: "WM-LOAN", serial: "LN-77"), conditionPhotos: conditionPhotos)
}

/// A photo of the unit's condition, the receipt shown and signed, the take-back (as
/// TestSupport.takeBackWithEvidence).
func takeBackWithEvidence(_ kit: FieldKitClient, _ id: String) async throws -> TakeBackReceipt {
    let photo = try await kit.addPhoto(id, stepId: nil, jpeg: demoPhoto(tag: "condition of the unit"))
    let tb = sampleTakeBack([photo.sha256])
    _ = try await kit.takeBackSummary(id, tb)
    _ = try await kit.signTakeBackReceipt(id, tb, signerName: "王女士", strokes: demoSignature(seed: 5))
    return try await kit.takeBack(id, tb)
}

final class TakeBackTests: XCTestCase {
    func testTheUnitGoesOnlyWithAPhotoOfItsConditionAndTheCustomersSignatureOnTheReceipt() async throws {
        let (kit, id) = try kitWithOrder("takeback")
        try await walkToWork(kit, id)
        let queued = try await kit.pendingChanges()
        // No photo, then a photo but no signature: refused, typed, nothing written.
        do { _ = try await kit.takeBack(id, sampleTakeBack()); XCTFail() } catch let FieldKitError.Validation(_, reason) {
            XCTAssertTrue(reason.contains("机器状况照片"), reason) // zh-CN, the kit's default
        }
        let unchanged = try await kit.pendingChanges()
        XCTAssertEqual(unchanged, queued)
        let photo = try await kit.addPhoto(id, stepId: nil, jpeg: demoPhoto(tag: "scratched side panel"))
        let photos = try await kit.photos(id)
        XCTAssertEqual(photos.last, photo.sha256)
        let tb = sampleTakeBack([photo.sha256])
        do { _ = try await kit.takeBack(id, tb); XCTFail() } catch let FieldKitError.Validation(_, reason) {
            XCTAssertTrue(reason.contains("尚未签署"), reason)
        }
        // Shown, the summary carries the receipt and the loaner; signed; taken back.
        let shown = try await kit.takeBackSummary(id, tb)
        let receipt = try XCTUnwrap(shown.takeBack)
        XCTAssertEqual([receipt.receiptNo, receipt.goodsBookRef, receipt.loanerModel, receipt.loanerSerial], ["R-0001", "GB-1", "WM-LOAN", "LN-77"])
        let signature = try await kit.signTakeBackReceipt(id, tb, signerName: "王女士", strokes: demoSignature(seed: 5))
        XCTAssertEqual(signature.summarySha256, shown.sha256)
        let r = try await kit.takeBack(id, tb)
        XCTAssertEqual(r.receiptNo, "R-0001")
        let status = try await kit.job(id).status
        XCTAssertEqual(status, .awaitingReturn)
    }
}
