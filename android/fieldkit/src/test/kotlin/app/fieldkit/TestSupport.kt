// Shared by the JVM tests: a fresh database per test, the demo order and van stock, a real
// JPEG made by the JVM's own encoder.
package app.fieldkit

import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.CallConfirmations
import app.fieldkit.ffi.CallOutcome
import app.fieldkit.ffi.CompletionRecord
import app.fieldkit.ffi.FindingKind
import app.fieldkit.ffi.KitConfig
import app.fieldkit.ffi.LoanerUnit
import app.fieldkit.ffi.OldPartFate
import app.fieldkit.ffi.PartUse
import app.fieldkit.ffi.PaymentMethod
import app.fieldkit.ffi.Signature
import app.fieldkit.ffi.SignatureInput
import app.fieldkit.ffi.SignerRole
import app.fieldkit.ffi.TakeBack
import app.fieldkit.ffi.TakeBackReceipt
import app.fieldkit.ffi.Settlement
import app.fieldkit.ffi.demoFeeSchedule
import app.fieldkit.ffi.demoPhoto
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.demoSignature
import app.fieldkit.ffi.demoStockTheVan
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO

object TestSupport {
    /** The database key of the JVM tests (on a phone it comes from the Keystore). */
    val testKey: ByteArray = ByteArray(32) { (it * 7 + 1).toByte() }

    fun tempDir(prefix: String): File = Files.createTempDirectory("fieldkit-$prefix-").toFile().also { it.deleteOnExit() }

    /**
     * A device time zone in which it is mid-morning now: the demo order is promised from now
     * + 30 min, which in China late in the evening is already tomorrow, not in `todaysJobs()`.
     */
    fun morningConfig(): KitConfig {
        val now = java.time.LocalTime.now(java.time.ZoneOffset.UTC)
        var offset = 10 * 60 - (now.hour * 60 + now.minute)
        if (offset < -12 * 60) offset += 24 * 60
        return KitConfig(utcOffsetMinutes = offset)
    }

    /** A fresh database (see [morningConfig]) with the demo van stock and one repair order (assigned). */
    fun kitWithOrder(prefix: String, number: Int = 1): Pair<FieldKitClient, String> {
        val client = FieldKitClient.open(tempDir(prefix), testKey, morningConfig())
        demoStockTheVan(client.raw)
        val order = demoRepairOrder(number, false)
        client.raw.receiveWorkOrder(order)
        return client to order.id
    }

    val callReached = CallOutcome(
        reached = true,
        confirmed = CallConfirmations(address = true, phone = true, name = true, timeWindow = true, productModel = true),
        agreed = null,
        note = null,
    )

    /**
     * The paid repair of [walkRepairVisit] on site up to the anomaly's signature: the unit is
     * not intact, the anomaly described and photographed; the finding step (the customer's
     * signature naming the finding) is next.
     */
    suspend fun walkToAnomaly(kit: FieldKitClient, id: String) {
        suspend fun step(stepId: String, answer: Answer) = kit.answerStep(id, stepId, answer)
        kit.accept(id)
        kit.callCustomer(id, callReached)
        step("tools_parts_loaded", Answer.Confirmed)
        kit.startTravel(id)
        kit.arrive(id)
        step("id_badge", Answer.Confirmed)
        step("shoe_covers", Answer.Confirmed)
        step("warranty_proof", Answer.YesNo(false))
        step("product_serial", Answer.Serial("SN2024WM8000123"))
        step("unit_intact", Answer.YesNo(false))
        step("anomaly_description", Answer.Text("Scratch on the left panel"))
        kit.addPhoto(id, "anomaly_photo", jvmJpeg())
    }

    /**
     * The paid repair of [walkRepairVisit] up to work started: the fault diagnosed, an anomaly
     * recorded and signed, the fees agreed. Needs the demo van stock.
     */
    suspend fun walkToWork(kit: FieldKitClient, id: String, onSigned: (Signature) -> Unit = {}) {
        suspend fun step(stepId: String, answer: Answer) = kit.answerStep(id, stepId, answer)
        walkToAnomaly(kit, id)
        val finding = kit.recordFinding(id, FindingKind.MAN_MADE_DAMAGE, "Scratch on the left panel")
        kit.summaryForSigning(id)
        onSigned(kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "anomaly_signature", finding.id)))
        step("coverage", Answer.Choice("paid"))
        step("paid_service_explained", Answer.Confirmed)
        kit.consentToFees(id, demoFeeSchedule(), listOf("visit", "labour"), agreed = true)
        // The customer signs the paid-service acknowledgement with the fees.
        kit.summaryForSigning(id)
        onSigned(kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(1), "fee_consent_signature", null)))
        kit.startWork(id)
    }

    /**
     * The paid repair of [walkRepairVisit] up to its settlement: the work done, the customer's
     * signature on the record, the feedback given; the fee (13000 fen agreed) is next. With
     * [fromStart] false the job is already at work ([walkToWork]).
     */
    suspend fun walkToSettlement(
        kit: FieldKitClient,
        id: String,
        onSigned: (Signature) -> Unit = {},
        fromStart: Boolean = true,
    ) {
        suspend fun step(stepId: String, answer: Answer) = kit.answerStep(id, stepId, answer)
        if (fromStart) walkToWork(kit, id, onSigned)
        step("respect_home", Answer.Confirmed)
        kit.recordPart(id, PartUse("PUMP-220", 1, "P22-000981", OldPartFate.RETURNED, null))
        step("work_done", Answer.Text("Replaced the drain pump"))
        step("parts_reviewed", Answer.Confirmed)
        step("test_run_ok", Answer.YesNo(true))
        kit.addPhoto(id, "debris_removed", demoPhoto("clean floor"))
        kit.summaryForSigning(id)
        onSigned(kit.sign(id, SignatureInput("王女士", SignerRole.CUSTOMER, demoSignature(2), "service_record_signature", null)))
        kit.feedback(id, 5, "very professional") // the feedback step's evidence: no tick
    }

    /**
     * The happy path of RepairVisitTest's paid repair, without its checks along the way:
     * from "assigned" to completion, with an anomaly photo and signature, fees, a part, the
     * service record photo and the customer's signature, the fee settled in cash. Needs the
     * demo van stock. [onSigned] sees each signature as it is made.
     */
    suspend fun walkRepairVisit(
        kit: FieldKitClient,
        id: String,
        onSigned: (Signature) -> Unit = {},
    ): CompletionRecord {
        suspend fun step(stepId: String, answer: Answer) = kit.answerStep(id, stepId, answer)
        walkToSettlement(kit, id, onSigned)
        kit.settle(id, Settlement(13000L, PaymentMethod.CASH, "SJ-0001", null))
        step("customer_copy", Answer.Confirmed)
        step("goodbye", Answer.Confirmed)
        return kit.complete(id)
    }

    /** The unit goes to the workshop, with a loaner: the receipt the samples use. */
    fun sampleTakeBack(conditionPhotos: List<String> = emptyList()) =
        TakeBack("R-0001", "motor needs bench repair", "GB-1", LoanerUnit("WM-LOAN", "LN-77"), conditionPhotos)

    /**
     * Takes the unit back with its evidence: a photo of its condition, the receipt shown to the
     * customer and signed by them, then the take-back naming the photo.
     */
    suspend fun takeBackWithEvidence(kit: FieldKitClient, id: String): TakeBackReceipt {
        val photo = kit.addPhoto(id, null, demoPhoto("condition of the unit"))
        val tb = sampleTakeBack(listOf(photo.sha256))
        kit.takeBackSummary(id, tb)
        kit.signTakeBackReceipt(id, tb, "王女士", demoSignature(5))
        return kit.takeBack(id, tb)
    }

    /** A real JPEG encoded by the JVM (ImageIO), 120×80, a colour gradient. */
    fun jvmJpeg(): ByteArray {
        val img = BufferedImage(120, 80, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 80) for (x in 0 until 120) img.setRGB(x, y, (x * 2 shl 16) or (y * 3 shl 8) or (x + y))
        val out = ByteArrayOutputStream()
        check(ImageIO.write(img, "jpg", out)) { "no JPEG writer in this JVM" }
        return out.toByteArray()
    }

    fun procStatus(key: String): Long =
        File("/proc/self/status").readLines().first { it.startsWith("$key:") }
            .split(Regex("\\s+"))[1].toLong()

    fun openFds(): Int = File("/proc/self/fd").list()?.size ?: -1
}
