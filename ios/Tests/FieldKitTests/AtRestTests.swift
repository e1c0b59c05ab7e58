// XCTest mirror of AtRestTest.kt: with the key the client always passes, no file under the
// data dir holds the customer's name, phone or address; a wrong key is `.WrongKey` and
// changes no file; a key that is not 32 bytes is refused; a plain database is encrypted once,
// keeping its jobs. (DatabaseKeyStore needs a Keychain: exercised by the sample app.)
import Foundation
import XCTest
@testable import FieldKit

final class AtRestTests: XCTestCase {
    private let customer = demoRepairOrder(number: 1, paid: false)

    private func files(_ dir: URL) -> [URL] {
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath }.sorted { $0.path < $1.path }
    }

    private func contents(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in files(dir) { out[f.path] = try Data(contentsOf: f) }
        return out
    }

    /// The files under `dir` whose raw bytes contain the customer's name, phone or address.
    private func grep(_ dir: URL) throws -> [String] {
        let needles = [customer.customerName, customer.customerPhone, customer.address].map { Data($0.utf8) }
        return try files(dir).filter { f in
            let bytes = try Data(contentsOf: f)
            return needles.contains { bytes.range(of: $0) != nil }
        }.map { $0.lastPathComponent }
    }

    func testWithTheKeyNoFileHoldsTheCustomersNamePhoneOrAddress() async throws {
        let dir = tempDir("at-rest")
        let kit = try FieldKitClient(directory: dir, databaseKey: testKey, config: morningConfig())
        try demoStockTheVan(kit: kit.raw)
        let order = demoRepairOrder(number: 1, paid: false)
        try kit.raw.receiveWorkOrder(order: order)
        _ = try await walkRepairVisit(kit, order.id)
        XCTAssertEqual(try grep(dir), [])
        let detail = try await kit.job(order.id)
        XCTAssertEqual(detail.order.customerName, customer.customerName)
        // The same check finds them in a plain database: it could fail.
        let plain = tempDir("at-rest-plain")
        let raw = try FieldKit.open(dataDir: plain.path, config: morningConfig())
        try raw.receiveWorkOrder(order: demoRepairOrder(number: 1, paid: false))
        XCTAssertFalse(try grep(plain).isEmpty, "the plain database holds the customer's data")
    }

    func testAWrongKeyIsWrongKeyAndChangesNoFile() throws {
        let dir = tempDir("wrong-key")
        let id: String = try {
            let kit = try FieldKitClient(directory: dir, databaseKey: testKey)
            let order = demoRepairOrder(number: 1, paid: false)
            try kit.raw.receiveWorkOrder(order: order)
            return order.id
        }()
        let before = try contents(dir)
        let wrong = Data(repeating: 0x11, count: 32)
        XCTAssertThrowsError(try FieldKitClient(directory: dir, databaseKey: wrong)) { error in
            guard case let FieldKitError.WrongKey(reason)? = error as? FieldKitError else { return XCTFail("\(error)") }
            XCTAssertFalse(reason.isEmpty)
            XCTAssertFalse(reason.contains(self.customer.customerName))
        }
        XCTAssertEqual(try contents(dir), before, "a wrong key changed files")
        let kit = try FieldKitClient(directory: dir, databaseKey: testKey)
        XCTAssertEqual(try kit.raw.job(jobId: id).order.customerPhone, customer.customerPhone)
    }

    func testAKeyThatIsNot32BytesIsRefused() throws {
        XCTAssertThrowsError(try FieldKitClient(directory: tempDir("short-key"), databaseKey: Data(count: 16))) { error in
            guard case let FieldKitError.Validation(fieldName, _)? = error as? FieldKitError else { return XCTFail("\(error)") }
            XCTAssertEqual(fieldName, "database key")
        }
    }

    func testAPlainDatabaseIsEncryptedOnceWhenTheClientOpensIt() throws {
        let dir = tempDir("plain-to-encrypted")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let order = demoRepairOrder(number: 1, paid: false)
        let device: String = try {
            let kit = try FieldKit.open(dataDir: dir.path, config: KitConfig())
            try kit.receiveWorkOrder(order: order)
            return kit.deviceId()
        }()
        let header = Data("SQLite format 3".utf8)
        let db = dir.appendingPathComponent("fieldkit.db")
        XCTAssertEqual(try Data(contentsOf: db).prefix(header.count), header)
        let kit = try FieldKitClient(directory: dir, databaseKey: testKey)
        XCTAssertEqual(kit.deviceId, device, "the same device, encrypted")
        XCTAssertEqual(try kit.raw.job(jobId: order.id).order.customerName, order.customerName)
        XCTAssertNotEqual(try Data(contentsOf: db).prefix(header.count), header, "no longer plain")
        XCTAssertEqual(try grep(dir), [])
    }
}
