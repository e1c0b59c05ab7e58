// XCTest mirror of LocaleTest.kt: every kind of FieldKitError a phone meets without a server,
// triggered for real, has a Chinese reason in zh-CN and an English one (no Chinese) in en;
// switching the kit's language at run time switches the reasons and the blockers' texts.
// (Tls, Unauthorized, Rejected, Conflict, Storage and Internal need a server or a failing disk:
// bindings/src/error/tests.rs checks them through the same mapping.) Never compiled on the
// Linux build machine (no Swift toolchain there): run with `swift test` on a Mac.
import Foundation
import XCTest
@testable import FieldKit

final class LocaleTests: XCTestCase {
    private func chinese(_ s: String) -> Bool {
        s.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3000...0x303F).contains($0.value) }
    }

    private typealias Trigger = (FieldKitClient, String, String) async throws -> Void

    /// Runs `trigger` with a fresh kit in `tag`; returns the error it must throw.
    private func failure(_ tag: String, _ trigger: Trigger) async throws -> FieldKitError {
        let (kit, id) = try kitWithOrder("locale")
        kit.setLocale(tag)
        do {
            try await trigger(kit, id, tag)
        } catch let e as FieldKitError {
            return e
        }
        XCTFail("no FieldKitError")
        return FieldKitError.Internal(reason: "no error was thrown")
    }

    private let offline = SyncOptions(maxAttempts: 2, firstBackoffMs: 5, maxBackoffMs: 50, requestTimeoutMs: 2_000, chunkBytes: 16 * 1024)

    private let copyOptions = CopyOptions(
        fontPath: "/nonexistent/font.ttc", fontBytes: nil, fontIndex: 0,
        verifyBaseUrl: "https://sync.example.com", company: "示例家电售后服务", utcOffsetMinutes: 480
    )

    /// A database written by a newer app: a plain one whose user_version is raised.
    private func tooNewDatabase() throws -> URL {
        let dir = tempDir("locale-too-new")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        _ = try FieldKit.open(dataDir: dir.path, config: KitConfig()).deviceId()
        let handle = try FileHandle(forUpdating: dir.appendingPathComponent("fieldkit.db"))
        defer { try? handle.close() }
        try handle.seek(toOffset: 60) // SQLite header: user_version, 4 bytes big-endian
        var version = UInt32(999_999).bigEndian
        handle.write(Data(bytes: &version, count: 4))
        return dir
    }

    private func walkToTravel(_ kit: FieldKitClient, _ id: String) async throws {
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
    }

    /// Each kind a phone meets offline, and how to meet it.
    private var triggers: [(String, Trigger)] {
        [
            ("Validation", { kit, _, _ in _ = try await kit.job("not-an-id") }),
            ("NotFound", { kit, _, _ in _ = try await kit.accept("01936b2e-0000-7000-8000-000000000000") }),
            ("Refused", { kit, id, _ in _ = try await kit.arrive(id) }),
            ("StepRefused", { kit, id, _ in
                try await self.walkToTravel(kit, id)
                _ = try await kit.answerStep(id, "tools_parts_loaded", .confirmed)
                _ = try await kit.startTravel(id)
                _ = try await kit.arrive(id)
                _ = try await kit.answerStep(id, "coverage", .choice(value: "paid"))
            }),
            ("Blocked", { kit, id, _ in
                try await self.walkToTravel(kit, id)
                _ = try await kit.startTravel(id)
            }),
            ("Photo", { kit, id, _ in _ = try await kit.addPhoto(id, stepId: nil, jpeg: Data("not a picture".utf8)) }),
            ("Report", { kit, id, _ in _ = try await kit.customerCopy(id, self.copyOptions) }),
            ("NotEnrolled", { kit, _, _ in _ = try await kit.sync() }),
            ("Network", { kit, _, _ in
                // Port 9 (discard) on the loopback: nothing listens there.
                _ = try await kit.enroll(serverUrl: "http://127.0.0.1:9", code: "AAAA-BBBB-CCCC", options: self.offline)
            }),
            ("WrongKey", { _, _, tag in
                let dir = tempDir("locale-wrong-key")
                _ = try FieldKitClient(directory: dir, databaseKey: testKey)
                _ = try FieldKitClient(directory: dir, databaseKey: Data(repeating: 0x11, count: 32), config: KitConfig(locale: tag))
            }),
            ("UpdateRequired", { _, _, tag in
                _ = try FieldKit.open(dataDir: try self.tooNewDatabase().path, config: KitConfig(locale: tag))
            }),
        ]
    }

    private func kind(_ e: FieldKitError) -> String {
        switch e {
        case .Validation: return "Validation"
        case .NotFound: return "NotFound"
        case .Refused: return "Refused"
        case .StepRefused: return "StepRefused"
        case .Blocked: return "Blocked"
        case .Photo: return "Photo"
        case .Conflict: return "Conflict"
        case .UpdateRequired: return "UpdateRequired"
        case .WrongKey: return "WrongKey"
        case .Storage: return "Storage"
        case .Network: return "Network"
        case .Tls: return "Tls"
        case .Unauthorized: return "Unauthorized"
        case .Rejected: return "Rejected"
        case .NotEnrolled: return "NotEnrolled"
        case .Report: return "Report"
        case .Internal: return "Internal"
        }
    }

    func testEveryKindAPhoneMeetsOfflineHasAChineseAndAnEnglishReason() async throws {
        var kinds = Set<String>()
        for (name, trigger) in triggers {
            let zh = try await failure("zh-CN", trigger)
            let en = try await failure("en_US", trigger)
            XCTAssertEqual(kind(zh), name)
            XCTAssertEqual(kind(en), name)
            XCTAssertTrue(chinese(zh.reasonText), "\(name) zh-CN: \(zh.reasonText)")
            XCTAssertFalse(chinese(en.reasonText), "\(name) en: \(en.reasonText)")
            XCTAssertFalse(en.reasonText.isEmpty)
            kinds.insert(name)
        }
        XCTAssertEqual(kinds.count, 11, "\(kinds)")
    }

    func testStepRefusalsAndBlockersNameTheStepByItsLabelInTheKitsLanguage() async throws {
        let refused = try await failure("zh-CN", triggers.first { $0.0 == "StepRefused" }!.1)
        XCTAssertTrue(refused.reasonText.contains("warranty_proof"), refused.reasonText)
        let blocked = try await failure("zh-CN", triggers.first { $0.0 == "Blocked" }!.1)
        guard case let .Blocked(_, blockers, reason) = blocked, let label = blockers.first?.label else {
            return XCTFail("\(blocked)")
        }
        XCTAssertTrue(reason.contains(label.zhCn), reason)
        let text = blockers.first?.text ?? ""
        XCTAssertTrue(text.contains(label.zhCn), text)
        let en = try await failure("en", triggers.first { $0.0 == "Blocked" }!.1)
        guard case let .Blocked(_, enBlockers, enReason) = en, let enLabel = enBlockers.first?.label else {
            return XCTFail("\(en)")
        }
        XCTAssertTrue(enReason.contains(enLabel.en), enReason)
    }

    func testSwitchingTheLanguageAtRunTimeSwitchesTheReasons() async throws {
        let (kit, id) = try kitWithOrder("locale-switch")
        XCTAssertEqual(kit.raw.locale(), "zh-CN")
        var zhAction = ""
        do { _ = try await kit.arrive(id); XCTFail() } catch let FieldKitError.Refused(action, _, reason) {
            XCTAssertTrue(chinese(reason), reason)
            zhAction = action
        }
        kit.setLocale("en-GB")
        XCTAssertEqual(kit.raw.locale(), "en")
        do { _ = try await kit.arrive(id); XCTFail() } catch let FieldKitError.Refused(action, _, reason) {
            XCTAssertFalse(chinese(reason), reason)
            XCTAssertEqual(action, zhAction, "the kind and its fields do not change, only the words")
        }
        _ = try await kit.accept(id)
        _ = try await kit.callCustomer(id, callReached)
        let enText = try await kit.checklist(id).blockers.first?.text ?? ""
        XCTAssertFalse(chinese(enText), enText)
        // A language FieldKit does not speak is Chinese, not an error.
        kit.setLocale("fr_FR")
        XCTAssertEqual(kit.raw.locale(), "zh-CN")
        let zhText = try await kit.checklist(id).blockers.first?.text ?? ""
        XCTAssertTrue(chinese(zhText), zhText)
        do { _ = try await kit.arrive(id); XCTFail() } catch let FieldKitError.Refused(_, _, reason) {
            XCTAssertTrue(chinese(reason), reason)
        }
    }
}
