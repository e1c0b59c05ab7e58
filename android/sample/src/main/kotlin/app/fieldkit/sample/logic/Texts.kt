// The sample's words, Chinese first: zh-CN is the default, English the alternative. Plain
// Kotlin (shared by the JVM-tested logic and the Compose screens); never customer data.
package app.fieldkit.sample.logic

import app.fieldkit.SyncProgress
import app.fieldkit.ffi.JobStatus
import app.fieldkit.ffi.LocalizedText
import app.fieldkit.ffi.ReturnDecision
import app.fieldkit.ffi.SyncPhase
import app.fieldkit.ffi.Zone

/** Every sentence and label the sample shows. [of] picks the language for a locale tag. */
sealed class Texts {
    abstract val jobs: String
    abstract val enrol: String
    abstract val server: String
    abstract val code: String
    abstract val done: String
    abstract val yes: String
    abstract val no: String
    abstract val save: String
    abstract val customerSigns: String
    abstract val sign: String
    abstract val clear: String
    abstract val feesAgreed: String
    abstract val feesRefused: String
    abstract val byPhoneCall: String
    abstract val customer: String
    abstract val dismiss: String
    abstract fun takePhoto(minCount: Int): String
    abstract fun unsupported(kind: String): String
    abstract fun checklist(satisfied: Int, required: Int): String
    abstract fun next(status: JobStatus): String
    abstract fun syncButton(pending: Long, progress: SyncProgress?): String
    abstract fun refusedByServer(count: Int, firstReason: String): String
    /** An error the sample did not expect: its kind only (a message may carry anything). */
    abstract fun unexpected(e: Throwable): String
    abstract fun photoSaved(width: Int?, height: Int?): String
    abstract fun label(text: LocalizedText): String
    /** The button that ends the visit so. */
    abstract fun ending(e: Ending): String
    abstract val reason: String
    abstract val witness: String
    abstract val confirmEnding: String
    /** A redelivery needs the damage recorded, photographed and signed by the customer first. */
    abstract val noSignedDamage: String
    /** The finding step: what the anomaly is (written on the finding the customer signs). */
    abstract val findingNote: String
    /** Confirms the parts recorded on the visit, [count] of them. */
    abstract fun confirmParts(count: Int): String
    /** The customer's copy of what they signed last was handed over. */
    abstract val copyHanded: String
    /** Takes every loaner still out back, then answers the loaner step from the records. */
    abstract val loanersBack: String
    /** The response-promise zone of a job's address (市区 / 郊区 / 农村). */
    abstract fun zone(z: Zone): String
    /** The findings a return-decision step offers in the sample. */
    abstract val returnFaulty: String
    abstract val returnMisused: String
    /** The returns rules' decision, with its articles. */
    abstract fun decision(d: ReturnDecision): String

    data object ZhCn : Texts() {
        override val jobs = "今日工单"
        override val enrol = "注册设备"
        override val server = "服务器"
        override val code = "注册码"
        override val done = "完成"
        override val yes = "是"
        override val no = "否"
        override val save = "保存"
        override val customerSigns = "客户签字"
        override val sign = "确认签字"
        override val clear = "清除"
        override val feesAgreed = "客户同意收费"
        override val feesRefused = "客户拒绝"
        override val byPhoneCall = "致电客户后完成（点“下一步”）。"
        override val customer = "客户"
        override val dismiss = "知道了"
        override fun takePhoto(minCount: Int) = "拍照（至少 $minCount 张）"
        override fun unsupported(kind: String) = "示例暂不支持此步骤：$kind"
        override fun checklist(satisfied: Int, required: Int) = "检查清单 $satisfied/$required"
        override fun next(status: JobStatus) = "下一步：" + when (status) {
            JobStatus.ASSIGNED -> "接单"
            JobStatus.ACCEPTED, JobStatus.NO_ACCESS, JobStatus.AWAITING_PARTS, JobStatus.SIGNATURE_REFUSED,
            JobStatus.SECOND_VISIT_NEEDED -> "已致电客户"
            JobStatus.CONFIRMED -> "出发"
            JobStatus.EN_ROUTE -> "到达"
            JobStatus.ARRIVED -> "开始施工"
            JobStatus.IN_PROGRESS -> "完工"
            JobStatus.PAUSED -> "继续"
            else -> "无"
        }
        override fun syncButton(pending: Long, progress: SyncProgress?) = when (progress) {
            null -> "同步（$pending）"
            else -> "同步中：" + when (progress.phase) {
                SyncPhase.PUSH -> "上传更改"
                SyncPhase.PULL -> "下载更改"
                SyncPhase.BLOBS -> "上传照片"
            } + " " + percent(progress)
        }
        override fun refusedByServer(count: Int, firstReason: String) = "服务器拒绝了 $count 项更改：$firstReason"
        override fun unexpected(e: Throwable) = "意外错误（${e::class.simpleName}），请重试；如果一再出现，请联系支持。"
        override fun photoSaved(width: Int?, height: Int?) = "照片已保存（${width ?: "?"}×${height ?: "?"}）"
        override fun label(text: LocalizedText) = text.zhCn
        override fun ending(e: Ending) = when (e) {
            Ending.NO_ACCESS -> "无法入户"
            Ending.AWAIT_PARTS -> "待件"
            Ending.REFUSE_SIGNATURE -> "客户拒签"
            Ending.DECLINE_QUOTE -> "客户不接受报价"
            Ending.SECOND_VISIT -> "需二次上门"
            Ending.REDELIVERY -> "开箱残次，重新送货"
        }
        override val reason = "原因"
        override val witness = "见证人姓名"
        override val confirmEnding = "结束本次上门"
        override val noSignedDamage = "请先记录开箱损坏、拍照并请客户签字确认。"
        override val findingNote = "异常情况说明"
        override fun confirmParts(count: Int) = "已与客户核对配件（$count 项）"
        override val copyHanded = "已交付客户留存联"
        override val loanersBack = "收回替补品并登记"
        override fun zone(z: Zone) = when (z) {
            Zone.URBAN -> "市区"
            Zone.SUBURBAN -> "郊区"
            Zone.RURAL -> "农村"
        }
        override val returnFaulty = "有质量问题，已出示发票：换货"
        override val returnMisused = "洗涤不当"
        override fun decision(d: ReturnDecision) = d.whyZhCn
    }

    data object En : Texts() {
        override val jobs = "Jobs"
        override val enrol = "Enrol"
        override val server = "Server"
        override val code = "Code"
        override val done = "Done"
        override val yes = "Yes"
        override val no = "No"
        override val save = "Save"
        override val customerSigns = "Customer signs"
        override val sign = "Sign"
        override val clear = "Clear"
        override val feesAgreed = "Customer agrees to the fees"
        override val feesRefused = "Refuses"
        override val byPhoneCall = "Done by calling the customer (Next)."
        override val customer = "Customer"
        override val dismiss = "OK"
        override fun takePhoto(minCount: Int) = "Take photo ($minCount needed)"
        override fun unsupported(kind: String) = "Not supported by this sample: $kind"
        override fun checklist(satisfied: Int, required: Int) = "Checklist $satisfied/$required"
        override fun next(status: JobStatus) = "Next: " + when (status) {
            JobStatus.ASSIGNED -> "accept"
            JobStatus.ACCEPTED, JobStatus.NO_ACCESS, JobStatus.AWAITING_PARTS, JobStatus.SIGNATURE_REFUSED,
            JobStatus.SECOND_VISIT_NEEDED -> "customer called"
            JobStatus.CONFIRMED -> "leave"
            JobStatus.EN_ROUTE -> "arrive"
            JobStatus.ARRIVED -> "start work"
            JobStatus.IN_PROGRESS -> "complete"
            JobStatus.PAUSED -> "resume"
            else -> "none"
        }
        override fun syncButton(pending: Long, progress: SyncProgress?) = when (progress) {
            null -> "Sync ($pending)"
            else -> "Sync: ${progress.phase.name.lowercase()} " + percent(progress)
        }
        override fun refusedByServer(count: Int, firstReason: String) = "$count changes refused by the server: $firstReason"
        override fun unexpected(e: Throwable) = "Unexpected error (${e::class.simpleName}): try again; if it keeps happening, contact support."
        override fun photoSaved(width: Int?, height: Int?) = "Photo saved (${width ?: "?"}×${height ?: "?"})"
        override fun label(text: LocalizedText) = text.en
        override fun ending(e: Ending) = when (e) {
            Ending.NO_ACCESS -> "No access"
            Ending.AWAIT_PARTS -> "Wait for parts"
            Ending.REFUSE_SIGNATURE -> "Customer refuses to sign"
            Ending.DECLINE_QUOTE -> "Customer declines the quote"
            Ending.SECOND_VISIT -> "Second visit needed"
            Ending.REDELIVERY -> "Damaged on unboxing: redeliver"
        }
        override val reason = "Reason"
        override val witness = "Witness's name"
        override val confirmEnding = "End this visit"
        override val noSignedDamage = "Record the damage on unboxing, photograph it and have the customer sign it first."
        override val findingNote = "What the anomaly is"
        override fun confirmParts(count: Int) = "Parts checked with the customer ($count)"
        override val copyHanded = "Customer's copy handed over"
        override val loanersBack = "Take the loaners back and record it"
        override fun zone(z: Zone) = when (z) {
            Zone.URBAN -> "Urban"
            Zone.SUBURBAN -> "Suburban"
            Zone.RURAL -> "Rural"
        }
        override val returnFaulty = "Faulty, invoice shown: exchange"
        override val returnMisused = "Misused (washing)"
        override fun decision(d: ReturnDecision) = d.whyEn
    }

    companion object {
        /** English for an "en…" locale tag, Chinese for everything else. */
        fun of(languageTag: String): Texts = if (languageTag.lowercase().startsWith("en")) En else ZhCn

        private fun percent(p: SyncProgress) = p.fraction?.let { "${(it * 100).toInt()}%" } ?: "${p.done}"
    }
}
