// Benchmark (not a test): one `answer_step` call through Kotlin → FFI → core against the same
// call made in Rust (`benchAnswerStepInRust`), interleaved in one process on one database: by
// name (`answerStep(jobId, stepId, answer)`) and by position on an open checklist
// (`OpenChecklist.confirm(i)`), with two floors: `deviceId()` (a String back) and
// `ObserverHandle.isActive()` (a Boolean back: the cheapest method call there is).
// Run: bash .ci/kotlin-tests.sh --bench
package app.fieldkit.bench

import app.fieldkit.TestSupport
import app.fieldkit.ffi.Answer
import app.fieldkit.ffi.JobObserver
import app.fieldkit.ffi.benchAnswerStepInRust

private fun percentile(sorted: LongArray, p: Double): Long = sorted[((sorted.size - 1) * p).toInt()]

fun main(args: Array<String>) {
    val rounds = args.getOrNull(0)?.toInt() ?: 20
    val perRound = args.getOrNull(1)?.toInt() ?: 250
    val (kit, id) = TestSupport.kitWithOrder("bench")
    kit.use {
        val raw = kit.raw
        raw.accept(id)
        raw.callCustomer(id, TestSupport.callReached)
        val step = "tools_parts_loaded"
        val answer = Answer.Confirmed
        val sheet = raw.openChecklist(id)
        val at = sheet.view().steps.indexOfFirst { it.id == step }
        // Cancelled at once: the answers below notify no observer (the Rust anchor notifies none).
        val handle = raw.observeJobs(object : JobObserver {
            override fun onJobChanged(jobId: String, action: String) {}
        }).also { it.cancel() }
        // Warm-up: JIT (C2 compiles after ~10k calls), statement cache, WAL.
        repeat(5_000) { raw.answerStep(id, step, answer) }
        repeat(5_000) { sheet.confirm(at) }
        benchAnswerStepInRust(raw, id, step, answer, 5_000)
        repeat(20_000) { raw.deviceId(); handle.isActive() }

        val viaKotlin = LongArray(rounds * perRound)
        val inRust = LongArray(rounds * perRound)
        val floor = LongArray(rounds * perRound)
        val byPosition = LongArray(rounds * perRound)
        val cheapest = LongArray(rounds * perRound)
        var k = 0
        var r = 0
        var f = 0
        var p = 0
        var c = 0
        repeat(rounds) {
            // The FFI floor: a call that does no core work (one String back through a RustBuffer).
            repeat(perRound) {
                val t = System.nanoTime()
                raw.deviceId()
                floor[f++] = System.nanoTime() - t
            }
            repeat(perRound) {
                val t = System.nanoTime()
                handle.isActive()
                cheapest[c++] = System.nanoTime() - t
            }
            repeat(perRound) {
                val t = System.nanoTime()
                sheet.confirm(at)
                byPosition[p++] = System.nanoTime() - t
            }
            repeat(perRound) {
                val t = System.nanoTime()
                raw.answerStep(id, step, answer)
                viaKotlin[k++] = System.nanoTime() - t
            }
            for (ns in benchAnswerStepInRust(raw, id, step, answer, perRound)) inRust[r++] = ns
        }
        viaKotlin.sort()
        inRust.sort()
        floor.sort()
        byPosition.sort()
        cheapest.sort()
        handle.close()
        sheet.close()
        fun us(ns: Long) = "%.1f".format(ns / 1000.0)
        val k50 = percentile(viaKotlin, 0.5)
        val k99 = percentile(viaKotlin, 0.99)
        val r50 = percentile(inRust, 0.5)
        val r99 = percentile(inRust, 0.99)
        println("answer_step, ${viaKotlin.size} calls each, interleaved in rounds of $perRound")
        println("| path | p50 µs | p99 µs |")
        println("|---|---|---|")
        val p50 = percentile(byPosition, 0.5)
        val p99 = percentile(byPosition, 0.99)
        println("| Kotlin → FFI → core, `answerStep(jobId, stepId, answer)` | ${us(k50)} | ${us(k99)} |")
        println("| Kotlin → FFI → core, `OpenChecklist.confirm(i)` | ${us(p50)} | ${us(p99)} |")
        println("| Rust → core (anchor) | ${us(r50)} | ${us(r99)} |")
        println("| ratio, by name | %.2f | %.2f |".format(k50.toDouble() / r50, k99.toDouble() / r99))
        println("| ratio, by position | %.2f | %.2f |".format(p50.toDouble() / r50, p99.toDouble() / r99))
        println("| FFI floor: `deviceId()` from Kotlin | ${us(percentile(floor, 0.5))} | ${us(percentile(floor, 0.99))} |")
        println("| FFI floor: `ObserverHandle.isActive()` from Kotlin | ${us(percentile(cheapest, 0.5))} | ${us(percentile(cheapest, 0.99))} |")
    }
}
