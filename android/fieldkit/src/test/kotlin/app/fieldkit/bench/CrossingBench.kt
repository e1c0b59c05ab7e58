// Benchmark (not a test): where the cost of one call from Kotlin into the library goes.
// Each row times one layer of what the generated bindings do per call, from the bare JNA
// crossing up to a whole `answerStep`, interleaved in rounds in one process.
// Run: bash .ci/kotlin-tests.sh --bench
package app.fieldkit.bench

import app.fieldkit.TestSupport
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.OpenChecklist
import app.fieldkit.ffi.demoRepairOrder
import app.fieldkit.ffi.FfiConverterString
import app.fieldkit.ffi.IntegrityCheckingUniffiLib
import app.fieldkit.ffi.JobObserver
import app.fieldkit.ffi.RustBuffer
import app.fieldkit.ffi.UniffiLib
import app.fieldkit.ffi.UniffiRustCallStatus
import app.fieldkit.ffi.benchAnswerStepInRust
import kotlinx.coroutines.runBlocking

private class Row(val name: String, val prepare: () -> Unit = {}, val body: () -> Unit) {
    val samples = ArrayList<Long>()
}

/**
 * Realistic visits for the rows that read the checklist view: reading it folds the visit's
 * answers, so a visit answered 20,000 times (as the other rows answer theirs) is nothing a
 * technician makes. Each visit here takes [perVisit] answers, then a fresh job is opened
 * (outside the timing, in [prepare]).
 */
private class FreshVisits(val raw: FieldKit, val step: String, val perVisit: Int = 40) {
    private var used = perVisit
    private var number = 100
    var id = ""
    var sheet: OpenChecklist? = null
    var at = -1

    fun prepare() {
        if (used++ < perVisit) return
        used = 1
        sheet?.close()
        val order = demoRepairOrder(number++, false)
        raw.receiveWorkOrder(order)
        raw.accept(order.id)
        raw.callCustomer(order.id, TestSupport.callReached)
        id = order.id
        val opened = raw.openChecklist(order.id)
        at = opened.view().steps.indexOfFirst { it.id == step }
        sheet = opened
    }
}

fun main(args: Array<String>) {
    val rounds = args.getOrNull(0)?.toInt() ?: 20
    val perRound = args.getOrNull(1)?.toInt() ?: 250
    val (kit, id) = TestSupport.kitWithOrder("crossing")
    kit.use {
        val raw = kit.raw
        raw.accept(id)
        raw.callCustomer(id, TestSupport.callReached)
        val step = "tools_parts_loaded"
        val answer = Answer.Confirmed
        val handle = raw.uniffiCloneHandle()
        val reused = UniffiRustCallStatus()
        val sheet = raw.openChecklist(id)
        val at = sheet.view().steps.indexOfFirst { it.id == step }
        val cancelled = raw.observeJobs(object : JobObserver {
            override fun onJobChanged(jobId: String, action: String) {}
        }).also { it.cancel() }
        val twoCalls = FreshVisits(raw, step)
        val oneCall = FreshVisits(raw, step)
        var sink = 0L
        val rows = listOf(
            // A direct-mapped JNA call: no arguments, an int back, no call status.
            Row("JNA call, no arguments (a checksum)") {
                sink += IntegrityCheckingUniffiLib.uniffi_fieldkit_ffi_checksum_method_fieldkit_device_id()
            },
            // The call status every fallible call allocates: a JNA Structure (native memory,
            // reflective field layout), written before and read after the call.
            Row("allocate a call status (JNA Structure)") {
                sink += UniffiRustCallStatus().code
            },
            // One call taking a call status: cloning the object's handle, then freeing the clone
            // (every method call clones the handle first). Two crossings, one reused status.
            Row("clone + free the handle, one status reused (2 calls; FieldKit's pooled statuses)") {
                val h = UniffiLib.uniffi_fieldkit_ffi_fn_clone_fieldkit(handle, reused)
                UniffiLib.uniffi_fieldkit_ffi_fn_free_fieldkit(h, reused)
            },
            Row("clone + free the handle, a new status each (2 calls; as uniffi 0.32 generates)") {
                val h = UniffiLib.uniffi_fieldkit_ffi_fn_clone_fieldkit(handle, UniffiRustCallStatus())
                UniffiLib.uniffi_fieldkit_ffi_fn_free_fieldkit(h, UniffiRustCallStatus())
            },
            // A String argument: a RustBuffer allocated in Rust (one call), filled, and handed
            // over; here freed again (a second call), as the callee would.
            Row("lower a String argument + free it (2 calls)") {
                val b: RustBuffer.ByValue = FfiConverterString.lower(step)
                RustBuffer.free(b)
            },
            // The cheapest method call: clone the handle, call, a Boolean back (2 calls).
            Row("ObserverHandle.isActive(): clone + call, a Boolean back (2 calls)") {
                if (cancelled.isActive()) sink++
            },
            // The floor as the app sees it: clone, call, lift the String back, free its buffer.
            Row("deviceId(): clone + call + String back + free (3 calls)") {
                sink += raw.deviceId().length
            },
            Row("answerStep(jobId, stepId, answer) from Kotlin (5 calls)") { raw.answerStep(id, step, answer) },
            Row("OpenChecklist.confirm(i) from Kotlin (2 calls)") { sheet.confirm(at) },
            // The idiomatic layer's suspend call: the same answerStep after a hop to Dispatchers.IO.
            Row("FieldKitClient.answerStep, suspend (withContext(Dispatchers.IO)) from runBlocking") {
                runBlocking { kit.answerStep(id, step, answer) }
            },
            // A screen's redraw after a tick: two calls (answer, then read the view) or one,
            // on visits of realistic length (see FreshVisits).
            Row("answerStep + checklist(jobId): two calls", twoCalls::prepare) {
                raw.answerStep(twoCalls.id, step, answer)
                sink += raw.checklist(twoCalls.id).steps.size
            },
            Row("OpenChecklist.answerAndView(i, answer): one call", oneCall::prepare) {
                sink += oneCall.sheet!!.answerAndView(oneCall.at, answer).view.steps.size
            },
        )
        // Warm-up: JIT (C2 compiles after ~10k calls), statement cache, WAL.
        repeat(10_000) { for (r in rows) { r.prepare(); r.body() } }
        benchAnswerStepInRust(raw, id, step, answer, 5_000)
        val inRust = ArrayList<Long>()
        repeat(rounds) {
            for (r in rows) {
                repeat(perRound) {
                    r.prepare()
                    val t = System.nanoTime()
                    r.body()
                    r.samples.add(System.nanoTime() - t)
                }
            }
            for (ns in benchAnswerStepInRust(raw, id, step, answer, perRound)) inRust.add(ns)
        }
        UniffiLib.uniffi_fieldkit_ffi_fn_free_fieldkit(handle, reused)
        sheet.close()
        cancelled.close()
        twoCalls.sheet?.close()
        oneCall.sheet?.close()
        fun pct(xs: List<Long>, p: Double): Long = xs.sorted()[((xs.size - 1) * p).toInt()]
        fun us(ns: Long) = "%.2f".format(ns / 1000.0)
        println("crossing, ${rounds * perRound} calls per row, interleaved in rounds of $perRound (sink $sink)")
        println("| what one call does | p50 µs | p99 µs |")
        println("|---|---:|---:|")
        for (r in rows) println("| ${r.name} | ${us(pct(r.samples, 0.5))} | ${us(pct(r.samples, 0.99))} |")
        println("| answer_step in Rust (anchor) | ${us(pct(inRust, 0.5))} | ${us(pct(inRust, 0.99))} |")
    }
}
