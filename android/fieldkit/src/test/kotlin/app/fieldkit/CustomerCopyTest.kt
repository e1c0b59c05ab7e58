// The customer's copy through Kotlin → FFI → core, offline: refused with a typed error before
// the customer signs, then a PDF whose text (read back by poppler's pdftotext) has the job,
// the part and the hash of what the customer signed; written to a file whole.
package app.fieldkit

import app.fieldkit.ffi.CopyOptions
import app.fieldkit.ffi.FieldKitException
import app.fieldkit.ffi.ReportProblem
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class CustomerCopyTest {
    // Installed by .ci/pdf-tools.sh (Debian fonts-wqy-microhei); Android passes its system CJK font.
    private val font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

    private fun options(fontPath: String = font) = CopyOptions(
        fontPath = fontPath,
        fontBytes = null,
        fontIndex = 0,
        verifyBaseUrl = "https://sync.example.com",
        company = "示例家电售后服务",
        utcOffsetMinutes = 480,
    )

    private fun pdfToText(pdf: File): String {
        val p = ProcessBuilder("pdftotext", pdf.absolutePath, "-").redirectErrorStream(false).start()
        val text = p.inputStream.bufferedReader().readText()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "pdftotext failed (run .ci/pdf-tools.sh)")
        return text
    }

    @Test
    fun `the customer's copy is refused before signing, then made offline and written whole`(): Unit = runBlocking {
        assertTrue(File(font).isFile, "no CJK font at $font: run `bash .ci/pdf-tools.sh`")
        val (kit, id) = TestSupport.kitWithOrder("copy")
        kit.use { kit ->
            val early = assertFailsWith<FieldKitException.Report> { kit.customerCopy(id, options()) }
            assertEquals(ReportProblem.NOT_SIGNED, early.problem)

            val signatures = mutableListOf<app.fieldkit.ffi.Signature>()
            TestSupport.walkRepairVisit(kit, id) { signatures += it }
            val signedSha256 = checkNotNull(signatures.last().summarySha256)

            val broken = assertFailsWith<FieldKitException.Report> {
                kit.customerCopy(id, options(fontPath = "/nonexistent/font.ttc"))
            }
            assertEquals(ReportProblem.FONT, broken.problem)

            val file = File(TestSupport.tempDir("copy-out"), "copy.pdf")
            kit.writeCustomerCopy(id, options(), file)
            val bytes = file.readBytes()
            assertTrue(bytes.size > 1000 && String(bytes, 0, 5, Charsets.ISO_8859_1) == "%PDF-", "a PDF")
            assertTrue(file.parentFile.listFiles()!!.none { it.name.endsWith(".tmp") }, "no temporary file left")
            // The same content gives the same bytes.
            assertTrue(bytes.contentEquals(kit.customerCopy(id, options())))

            val text = pdfToText(file)
            val order = kit.job(id).order
            assertTrue(text.contains(order.number), text)
            assertTrue(text.contains("PUMP-220"), text)
            assertTrue(text.contains("示例家电售后服务"), text)
            // The hash of the content signed for the service record (the last signature).
            assertTrue(text.replace("\n", "").contains(signedSha256), text)
        }
    }
}
