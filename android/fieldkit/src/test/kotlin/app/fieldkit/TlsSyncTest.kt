// HTTPS from the Kotlin layer: a fieldkit-server serving TLS with a certificate this test
// makes (its own CA, standing for a company's private CA, made with the JDK's keytool); the
// device trusts it through SyncOptions.extraTrustAnchorsPem and enrols, pulls, pushes a whole
// visit and uploads its photos. Without the anchor the certificate is a typed Tls error.
// The server binary comes from .ci/kotlin-tests.sh (system property fieldkit.server.bin).
package app.fieldkit

import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.demoDispatchJson
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoStockTheVan
import java.io.ByteArrayInputStream
import java.io.File
import java.net.InetAddress
import java.net.ServerSocket
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.util.Base64
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.test.assertFailsWith
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/** A CA and a server certificate it issued for 127.0.0.1, as PEM files, made with keytool. */
class TestPki(dir: File) {
    val caPem: String
    val chain = File(dir, "chain.pem")
    val key = File(dir, "key.pem")
    /** An SSL context trusting only this CA (the desk's HTTP client). */
    val sslContext: SSLContext

    init {
        dir.mkdirs()
        val pass = "fieldkit-test"
        val ca = File(dir, "ca.p12")
        val leaf = File(dir, "leaf.p12")
        val csr = File(dir, "leaf.csr")
        val leafPem = File(dir, "leaf.pem")
        val caFile = File(dir, "ca.pem")
        fun store(file: File) = arrayOf("-keystore", file.path, "-storetype", "PKCS12", "-storepass", pass)
        keytool("-genkeypair", *store(ca), "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
            "-dname", "CN=FieldKit test company CA", "-ext", "bc:c", "-validity", "2")
        keytool("-genkeypair", *store(leaf), "-alias", "leaf", "-keyalg", "RSA", "-keysize", "2048",
            "-dname", "CN=127.0.0.1", "-validity", "2")
        keytool("-certreq", *store(leaf), "-alias", "leaf", "-file", csr.path)
        keytool("-gencert", *store(ca), "-alias", "ca", "-infile", csr.path, "-outfile", leafPem.path, "-rfc",
            "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth", "-validity", "2")
        keytool("-exportcert", *store(ca), "-alias", "ca", "-rfc", "-file", caFile.path)
        caPem = caFile.readText()
        chain.writeText(leafPem.readText() + caPem)
        // keytool cannot write a private key as PEM; the keystore hands it over as PKCS#8.
        // (RSA: the JDK's PKCS#8 EC keys leave out the public key, which ring requires.)
        val ks = KeyStore.getInstance("PKCS12").apply { leaf.inputStream().use { load(it, pass.toCharArray()) } }
        val der = ks.getKey("leaf", pass.toCharArray()).encoded
        key.writeText("-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".toByteArray()).encodeToString(der) + "\n-----END PRIVATE KEY-----\n")

        val trust = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(ByteArrayInputStream(caPem.toByteArray())))
        }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(trust) }
        sslContext = SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
    }

    private fun keytool(vararg args: String) {
        val bin = File(System.getProperty("java.home"), "bin/keytool").path
        val p = ProcessBuilder(bin, "-noprompt", *args).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "keytool ${args.first()}: $out" }
    }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsSyncTest {
    private lateinit var pki: TestPki
    private lateinit var desk: Desk
    private var server: Process? = null

    @BeforeAll
    fun startServer() {
        val bin = System.getProperty("fieldkit.server.bin")
        assumeTrue(bin != null && File(bin).canExecute(), "no fieldkit-server binary (run .ci/kotlin-tests.sh)")
        val dir = TestSupport.tempDir("tls-server")
        pki = TestPki(File(dir, "pki"))
        val token = "tls-test-admin-token"
        // A free port: bound, released, then given to the server (retried if taken meanwhile).
        for (attempt in 1..3) {
            val port = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
            val log = File(dir, "server-$attempt.log")
            val p = ProcessBuilder(bin, "--listen", "127.0.0.1:$port", "--data-dir", File(dir, "data").path,
                "--admin-token", token, "--tls-cert", pki.chain.path, "--tls-key", pki.key.path)
                .redirectErrorStream(true).redirectOutput(log).start()
            val candidate = Desk("https://127.0.0.1:$port", token, pki.sslContext)
            // Up once /healthz answers over TLS (bounded: 200 tries 50 ms apart).
            for (i in 0 until 200) {
                if (!p.isAlive) break
                if (runCatching { candidate.call("GET", "/healthz").first == 200 }.getOrDefault(false)) {
                    server = p
                    desk = candidate
                    return
                }
                Thread.sleep(50)
            }
            p.destroy()
            p.waitFor(10, TimeUnit.SECONDS)
            System.err.println(log.readText().takeLast(2000))
        }
        error("fieldkit-server did not come up with TLS")
    }

    @AfterAll
    fun stopServer() {
        server?.let {
            it.destroy()
            it.waitFor(10, TimeUnit.SECONDS)
        }
    }

    private fun trusting(vararg anchors: String) = Desk.quick.copy(extraTrustAnchorsPem = anchors.toList())

    @Test
    fun `a visit syncs over HTTPS trusting the company CA`(): Unit = runBlocking {
        assertTrue(desk.url.startsWith("https://"))
        val tech = desk.createTechnician("Technician T")
        val code = desk.enrolmentCode(tech)
        val order = demoRepairOrder(701, true)
        desk.publishDemoCatalog()
        desk.dispatch(demoDispatchJson(order, tech))
        val options = trusting(pki.caPem)

        FieldKitClient.open(TestSupport.tempDir("tls-visit"), TestSupport.testKey, TestSupport.morningConfig()).use { kit ->
            demoStockTheVan(kit.raw)
            assertEquals(tech, kit.enroll(desk.url, code, options).technicianId)
            val first = kit.sync(options)
            assertEquals(3L, first.pulled, first.toString())
            assertEquals(listOf(order.id), kit.todaysJobs().map { it.id })

            TestSupport.walkRepairVisit(kit, order.id)
            val queued = kit.pendingOpCount()
            val report = kit.sync(options)
            assertEquals(queued, report.applied, report.toString())
            assertTrue(report.blobsUploaded >= 4, "photos, thumbnails, signature images: $report")
            assertEquals(0L, kit.pendingOpCount())
            val done = desk.settledCompletionsOf(order.id)
            assertEquals(1, done.size, done.toString())
            assertTrue(done[0].contains("\"state\":\"counted\""), done[0])
        }
    }

    @Test
    fun `an untrusted certificate is a Tls error and loses nothing`(): Unit = runBlocking {
        val tech = desk.createTechnician("Technician U")
        val stranger = TestPki(TestSupport.tempDir("tls-stranger"))
        val (kit, id) = TestSupport.kitWithOrder("tls-untrusted")
        kit.use {
            kit.accept(id)
            val queued = kit.pendingOpCount()
            for (options in listOf(Desk.quick, trusting(stranger.caPem))) {
                val e = assertFailsWith<FieldKitException.Tls> { kit.enroll(desk.url, desk.enrolmentCode(tech), options) }
                assertTrue(e.reasonText.contains("certificate"), e.reasonText)
            }
            assertEquals(null, kit.serverAccount())
            // Enrolled with the anchor, then a sync without it: refused, the outbox kept.
            kit.enroll(desk.url, desk.enrolmentCode(tech), trusting(pki.caPem))
            assertFailsWith<FieldKitException.Tls> { kit.sync(Desk.quick) }
            assertEquals(queued, kit.pendingOpCount())
            // (The job was never dispatched on this server, so the server refuses its accept:
            // what counts here is that both ops went and were answered.)
            assertEquals(queued, kit.sync(trusting(pki.caPem)).pushed)
            assertEquals(0L, kit.pendingOpCount())
            // Not a certificate at all: the app's mistake, said as a Validation error.
            val v = assertFailsWith<FieldKitException.Validation> { kit.sync(trusting("not a certificate")) }
            assertEquals("extra trust anchor", v.fieldName)
        }
    }
}
