// The sample speaks Chinese first: with the kit in zh-CN (the default a Chinese phone gives),
// a refusal by the core and the checklist's blockers reach the screen in Chinese, and the
// same kit switched to English shows them in English.
package app.fieldkit.sample.logic

import app.fieldkit.ffi.Answer
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class ChineseFirstTest {
    private fun chinese(s: String) = s.any { Character.UnicodeScript.of(it.code) == Character.UnicodeScript.HAN }

    @Test
    fun `a refusal and the blockers are shown in Chinese, and in English once switched`() =
        SampleFixture().started().use { f ->
            f.client!!.setLocale("zh-CN")
            f.selectDemoJob()
            f.done(f.controller.answer("product_serial", Answer.Serial("SN1"))) // before arrival
            val refusal = assertNotNull(f.state.error, "refused before arrival")
            assertTrue(chinese(refusal), refusal)

            f.ok(f.controller.advance()) // accepted
            f.ok(f.controller.advance()) // the call agreed the visit: a checklist, with blockers
            val blockers = assertNotNull(f.state.checklist, "a checklist").blockers
            assertTrue(blockers.isNotEmpty(), "blockers before leaving")
            for (b in blockers) assertTrue(chinese(b.text), b.text)
            f.done(f.controller.advance()) // leaving with the checklist unticked: blocked
            val blocked = assertNotNull(f.state.error, "blocked before leaving")
            assertTrue(chinese(blocked), blocked)

            f.client.setLocale("en")
            f.done(f.controller.answer("product_serial", Answer.Serial("SN1")))
            val english = assertNotNull(f.state.error, "still refused")
            assertFalse(chinese(english), english)
        }
}
