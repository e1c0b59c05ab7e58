// XCTest mirror of CustomerCopyTest.kt: the customer's copy is refused before signing with a
// typed error, then made offline and written whole; it has the job, the part and the hash of
// what the customer signed. On a Mac the font is the system's PingFang (a .ttc); the text is
// checked through PDFKit.
import Foundation
import PDFKit
import XCTest
@testable import FieldKit

final class CustomerCopyTests: XCTestCase {
    private let font = "/System/Library/Fonts/PingFang.ttc"

    private func options(fontPath: String? = nil) -> CopyOptions {
        CopyOptions(
            fontPath: fontPath ?? font, fontBytes: nil, fontIndex: 0,
            verifyBaseUrl: "https://sync.example.com", company: "示例家电售后服务", utcOffsetMinutes: 480
        )
    }

    func testTheCustomersCopyIsRefusedBeforeSigningThenMadeOfflineAndWrittenWhole() async throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: font), "no CJK font at \(font)")
        let (kit, id) = try kitWithOrder("copy")
        do {
            _ = try await kit.customerCopy(id, options())
            XCTFail("a copy before the customer signed")
        } catch let FieldKitError.Report(problem, _) {
            XCTAssertEqual(problem, .notSigned)
        }

        var signatures: [Signature] = []
        try await walkRepairVisit(kit, id) { signatures.append($0) }
        let signedSha256 = try XCTUnwrap(signatures.last?.summarySha256)

        do {
            _ = try await kit.customerCopy(id, options(fontPath: "/nonexistent/font.ttc"))
            XCTFail("a copy without a font")
        } catch let FieldKitError.Report(problem, _) {
            XCTAssertEqual(problem, .font)
        }

        let url = tempDir("copy-out").appendingPathComponent("copy.pdf")
        try await kit.writeCustomerCopy(id, options(), to: url)
        let bytes = try Data(contentsOf: url)
        XCTAssertGreaterThan(bytes.count, 1000)
        XCTAssertEqual(String(decoding: bytes.prefix(5), as: UTF8.self), "%PDF-")
        let left = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        XCTAssertFalse(left.contains { $0.hasSuffix(".tmp") }, "no temporary file left")
        let again = try await kit.customerCopy(id, options())
        XCTAssertEqual(again, bytes, "the same content gives the same bytes")

        let text = try XCTUnwrap(PDFDocument(url: url)?.string).replacingOccurrences(of: "\n", with: "")
        let number = try await kit.job(id).order.number
        XCTAssertTrue(text.contains(number), text)
        XCTAssertTrue(text.contains("PUMP-220"), text)
        XCTAssertTrue(text.contains(signedSha256), text)
    }
}
