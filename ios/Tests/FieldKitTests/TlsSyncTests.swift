// XCTest mirror of android/fieldkit/src/test/kotlin/app/fieldkit/TlsSyncTest.kt: HTTPS from the
// Swift layer. A fieldkit-server serving TLS with a certificate this test makes (its own CA,
// standing for a company's private CA); the device trusts it through
// SyncOptions.extraTrustAnchorsPem and enrols, pulls, pushes a whole visit and uploads its
// photos. Without the anchor the certificate is a typed `.Tls` error.
//
// The server binary comes from the environment (the test starts it itself, with TLS):
//   cargo build -p fieldkit-server
//   FIELDKIT_SERVER_BIN=$PWD/target/debug/fieldkit-server swift test --package-path ios
// Skipped without FIELDKIT_SERVER_BIN.
//
// The certificates are made with /usr/bin/openssl (LibreSSL on macOS, shipped with the system):
// the Security framework parses and evaluates certificates but has no API to issue one (that
// would mean hand-written DER), and the Kotlin test's keytool is not on a Mac without a JDK.
// Only options LibreSSL 2.8 (macOS 12) has are used: extensions from a config file, no
// `-addext`. The certificates meet Apple's rules for TLS server certificates, which the
// platform verifier applies to extra anchors too: RSA 2048, SHA-256, the name in
// subjectAltName (IP 127.0.0.1), extendedKeyUsage serverAuth, valid 2 days (≤ 825).
import Foundation
import Security
import XCTest
@testable import FieldKit

struct ToolFailed: Error, CustomStringConvertible {
    let description: String
}

/// Runs `tool` with `arguments` in `directory`; its output (stdout and stderr) when it exits 0.
@discardableResult
func runTool(_ tool: String, _ arguments: [String], in directory: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailed(description: "\(tool) \(arguments.first ?? ""): exit \(process.terminationStatus): \(text)")
    }
    return text
}

/// A CA and a server certificate it issued for 127.0.0.1, as PEM files (as TestPki in Kotlin):
/// `chain` (the server's certificate, then the CA's) and `key` (the server's RSA key, PKCS#8).
struct TestPki {
    let caPem: String
    let chain: URL
    let key: URL

    private static let config = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = FieldKit test
        [v3_ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [v3_leaf]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1,DNS:localhost
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """

    init(directory dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cnf = dir.appendingPathComponent("openssl.cnf")
        try Data(Self.config.utf8).write(to: cnf)
        func openssl(_ arguments: String...) throws { try runTool("/usr/bin/openssl", arguments, in: dir) }
        try openssl("genrsa", "-out", "ca.key", "2048")
        try openssl("req", "-new", "-x509", "-key", "ca.key", "-out", "ca.pem", "-days", "2", "-sha256",
                    "-subj", "/CN=FieldKit test company CA", "-config", cnf.path, "-extensions", "v3_ca")
        try openssl("genrsa", "-out", "leaf.key", "2048")
        try openssl("req", "-new", "-key", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1", "-config", cnf.path)
        try openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2", "-sha256",
                    "-extfile", cnf.path, "-extensions", "v3_leaf", "-out", "leaf.pem")
        // The server reads a PKCS#8 key ("BEGIN PRIVATE KEY"); genrsa may write PKCS#1.
        try openssl("pkcs8", "-topk8", "-nocrypt", "-in", "leaf.key", "-out", "key.pem")

        caPem = try String(contentsOf: dir.appendingPathComponent("ca.pem"), encoding: .utf8)
        let leafPem = try String(contentsOf: dir.appendingPathComponent("leaf.pem"), encoding: .utf8)
        chain = dir.appendingPathComponent("chain.pem")
        try Data((leafPem + caPem).utf8).write(to: chain)
        key = dir.appendingPathComponent("key.pem")
    }

    /// The CA certificate for the Security framework (the PEM's base64 body, DER).
    func caCertificate() throws -> SecCertificate {
        let body = caPem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body, options: .ignoreUnknownCharacters),
              let certificate = SecCertificateCreateWithData(nil, der as CFData)
        else { throw ToolFailed(description: "ca.pem is not a certificate") }
        return certificate
    }

    /// A URLSession trusting only this CA (the desk's HTTP client).
    func session() throws -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration, delegate: AnchorTrust(anchors: [try caCertificate()]), delegateQueue: nil)
    }
}

/// Accepts a server whose certificate chains to `anchors` (and to nothing else).
final class AnchorTrust: NSObject, URLSessionDelegate {
    private let anchors: [SecCertificate]

    init(anchors: [SecCertificate]) {
        self.anchors = anchors
    }

    func urlSession(
        _ session: URLSession, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust
        else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        SecTrustSetAnchorCertificates(trust, anchors as CFArray)
        SecTrustSetAnchorCertificatesOnly(trust, true)
        var error: CFError?
        if SecTrustEvaluateWithError(trust, &error) {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }
}

/// A fieldkit-server serving HTTPS with `pki`'s certificate, and the desk trusting its CA.
final class TlsServer {
    let pki: TestPki
    let desk: Desk
    private let process: Process

    private init(pki: TestPki, desk: Desk, process: Process) {
        self.pki = pki
        self.desk = desk
        self.process = process
    }

    static func start() async throws -> TlsServer {
        guard let bin = ProcessInfo.processInfo.environment["FIELDKIT_SERVER_BIN"],
              FileManager.default.isExecutableFile(atPath: bin)
        else { throw XCTSkip("no fieldkit-server binary (set FIELDKIT_SERVER_BIN to target/debug/fieldkit-server)") }
        let dir = tempDir("tls-server")
        let pki = try TestPki(directory: dir.appendingPathComponent("pki"))
        let session = try pki.session()
        let token = "tls-test-admin-token"
        // A random high port; another one when it is taken (the server exits at once).
        for attempt in 1...5 {
            let port = Int.random(in: 20_000...60_000)
            let log = dir.appendingPathComponent("server-\(attempt).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bin)
            process.arguments = ["--listen", "127.0.0.1:\(port)", "--data-dir", dir.appendingPathComponent("data").path,
                                 "--admin-token", token, "--tls-cert", pki.chain.path, "--tls-key", pki.key.path]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let candidate = Desk(url: "https://127.0.0.1:\(port)", adminToken: token, session: session)
            // Up once /healthz answers over TLS (bounded: 200 tries 50 ms apart).
            for _ in 0..<200 {
                if !process.isRunning { break }
                let answer = try? await candidate.call("GET", "/healthz")
                if answer?.0 == 200 {
                    return TlsServer(pki: pki, desk: candidate, process: process)
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? output.close()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            print(String(text.suffix(2000)))
        }
        throw ToolFailed(description: "fieldkit-server did not come up with TLS")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

final class TlsSyncTests: XCTestCase {
    /// One server for the class (the Kotlin test's @BeforeAll), stopped after its last test.
    private static var shared: TlsServer?

    private func server() async throws -> TlsServer {
        if let running = Self.shared { return running }
        let started = try await TlsServer.start()
        Self.shared = started
        return started
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }

    private func trusting(_ anchors: String...) -> SyncOptions {
        var options = Desk.quick
        options.extraTrustAnchorsPem = anchors
        return options
    }

    func testAVisitSyncsOverHttpsTrustingTheCompanyCa() async throws {
        let server = try await server()
        let desk = server.desk
        XCTAssertTrue(desk.url.hasPrefix("https://"))
        let tech = try await desk.createTechnician("Technician T")
        let code = try await desk.enrolmentCode(tech)
        let order = demoRepairOrder(number: 701, paid: true)
        try await desk.publishDemoCatalog()
        try await desk.dispatch(try demoDispatchJson(order: order, technicianId: tech))
        let options = trusting(server.pki.caPem)

        let kit = try FieldKitClient(directory: tempDir("tls-visit"), databaseKey: testKey, config: morningConfig())
        try demoStockTheVan(kit: kit.raw)
        let account = try await kit.enroll(serverUrl: desk.url, code: code, options: options)
        XCTAssertEqual(account.technicianId, tech)
        let first = try await kit.sync(options: options)
        XCTAssertEqual(first.pulled, 3, "\(first)")
        let jobs = try await kit.todaysJobs().map(\.id)
        XCTAssertEqual(jobs, [order.id])

        try await walkRepairVisit(kit, order.id)
        let queued = try await kit.pendingOpCount()
        let report = try await kit.sync(options: options)
        XCTAssertEqual(report.applied, queued, "\(report)")
        XCTAssertGreaterThanOrEqual(report.blobsUploaded, 4, "photos, thumbnails, signature images: \(report)")
        let left = try await kit.pendingOpCount()
        XCTAssertEqual(left, 0)
        let done = try await desk.settledCompletions(of: order.id)
        XCTAssertEqual(done.count, 1, "\(done)")
        XCTAssertEqual(done.first?["state"] as? String, "counted", "\(done)")
    }

    func testAnUntrustedCertificateIsATlsErrorAndLosesNothing() async throws {
        let server = try await server()
        let desk = server.desk
        let tech = try await desk.createTechnician("Technician U")
        let stranger = try TestPki(directory: tempDir("tls-stranger"))
        let (kit, id) = try kitWithOrder("tls-untrusted")
        _ = try await kit.accept(id)
        let queued = try await kit.pendingOpCount()
        for options in [Desk.quick, trusting(stranger.caPem)] {
            let attemptCode = try await desk.enrolmentCode(tech)
            do {
                _ = try await kit.enroll(serverUrl: desk.url, code: attemptCode, options: options)
                XCTFail("enrolled although the server's certificate is not trusted")
            } catch let e as FieldKitError {
                guard case .Tls = e else { return XCTFail("\(e)") }
                XCTAssertTrue(e.reasonText.contains("certificate"), e.reasonText)
            }
        }
        let account = try await kit.serverAccount()
        XCTAssertNil(account)

        // Enrolled with the anchor, then a sync without it: refused, the outbox kept.
        let code = try await desk.enrolmentCode(tech)
        _ = try await kit.enroll(serverUrl: desk.url, code: code, options: trusting(server.pki.caPem))
        do { _ = try await kit.sync(options: Desk.quick); XCTFail("synced without the anchor") } catch FieldKitError.Tls {}
        let kept = try await kit.pendingOpCount()
        XCTAssertEqual(kept, queued)
        // (The job was never dispatched on this server, so the server refuses its accept:
        // what counts here is that both ops went and were answered.)
        let pushed = try await kit.sync(options: trusting(server.pki.caPem)).pushed
        XCTAssertEqual(pushed, queued)
        let left = try await kit.pendingOpCount()
        XCTAssertEqual(left, 0)
        // Not a certificate at all: the app's mistake, said as a Validation error.
        do {
            _ = try await kit.sync(options: trusting("not a certificate"))
            XCTFail("a text without a certificate accepted as a trust anchor")
        } catch let FieldKitError.Validation(fieldName, _) {
            XCTAssertEqual(fieldName, "extra trust anchor")
        }
    }
}
