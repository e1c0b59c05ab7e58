// Benchmark (not a test): one `answer_step` call through Kotlin → FFI → core against the same
// call made in Rust (`benchAnswerStepInRust`), interleaved in one process on one database.
// Run: bash .ci/kotlin-tests.sh --bench
package app.fieldkit.bench

import app.fieldkit.TestSupport
import app.fieldkit.ffi.Answer
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
        // Warm-up: JIT (C2 compiles after ~10k calls), statement cache, WAL.
        repeat(5_000) { raw.answerStep(id, step, answer) }
        benchAnswerStepInRust(raw, id, step, answer, 5_000)
        repeat(20_000) { raw.deviceId() }

        val viaKotlin = LongArray(rounds * perRound)
        val inRust = LongArray(rounds * perRound)
        val floor = LongArray(rounds * perRound)
        var k = 0
        var r = 0
        var f = 0
        repeat(rounds) {
            // The FFI floor: a call that does no core work (one String back through a RustBuffer).
            repeat(perRound) {
                val t = System.nanoTime()
                raw.deviceId()
                floor[f++] = System.nanoTime() - t
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
        fun us(ns: Long) = "%.1f".format(ns / 1000.0)
        val k50 = percentile(viaKotlin, 0.5)
        val k99 = percentile(viaKotlin, 0.99)
        val r50 = percentile(inRust, 0.5)
        val r99 = percentile(inRust, 0.99)
        println("answer_step, ${viaKotlin.size} calls each, interleaved in rounds of $perRound")
        println("| path | p50 µs | p99 µs |")
        println("|---|---|---|")
        println("| Kotlin → FFI → core | ${us(k50)} | ${us(k99)} |")
        println("| Rust → core (anchor) | ${us(r50)} | ${us(r99)} |")
        println("| ratio | %.2f | %.2f |".format(k50.toDouble() / r50, k99.toDouble() / r99))
        println("| FFI floor: `deviceId()` from Kotlin | ${us(percentile(floor, 0.5))} | ${us(percentile(floor, 0.99))} |")
    }
}
