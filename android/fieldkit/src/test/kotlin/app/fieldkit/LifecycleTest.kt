// Object lifetimes across the FFI: 10,000 open/close cycles of the FieldKit object release
// everything (memory, file descriptors, threads).
package app.fieldkit

import app.fieldkit.ffi.FieldKit
import app.fieldkit.ffi.KitConfig
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

class LifecycleTest {
    @Test
    fun `10,000 create-close cycles do not leak memory, files or threads`() {
        // Memory, descriptors and threads are read from Linux's /proc (CI runs on Linux; under
        // Gradle on macOS or Windows the test is skipped, not failed).
        assumeTrue(java.io.File("/proc/self/status").exists(), "needs Linux /proc")
        val dir = TestSupport.tempDir("cycles").absolutePath
        val config = KitConfig(databaseKey = TestSupport.testKey)
        var deviceId = ""
        fun cycle() = FieldKit.open(dir, config).use { kit ->
            val id = kit.deviceId()
            if (deviceId.isEmpty()) deviceId = id
            assertEquals(deviceId, id, "the same database reopens as the same device")
            kit.observeJobs(object : app.fieldkit.ffi.JobObserver {
                override fun onJobChanged(jobId: String, action: String) {}
            }).close()
        }
        repeat(500) { cycle() } // warm-up: allocator pools, JIT, SQLite statics
        System.gc()
        val rssBefore = TestSupport.procStatus("VmRSS")
        val fdsBefore = TestSupport.openFds()
        val threadsBefore = TestSupport.procStatus("Threads")

        repeat(10_000) { cycle() }
        System.gc()
        val rssGrowthKb = TestSupport.procStatus("VmRSS") - rssBefore
        val fdGrowth = TestSupport.openFds() - fdsBefore
        val threadGrowth = TestSupport.procStatus("Threads") - threadsBefore
        println("10,000 cycles: RSS +$rssGrowthKb kB, fds +$fdGrowth, threads +$threadGrowth")
        // One leaked database handle holds ≥ 2 fds and its page cache; 10,000 of them would
        // blow every bound below. JVM heap noise stays far under 64 MB.
        assertTrue(rssGrowthKb < 64 * 1024, "RSS grew by $rssGrowthKb kB")
        assertTrue(fdGrowth <= 4, "open file descriptors grew by $fdGrowth")
        assertTrue(threadGrowth <= 4, "threads grew by $threadGrowth")
    }
}
