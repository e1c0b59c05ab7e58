// The ways a visit can end short of completion, as the sample offers them: which ones a job's
// status allows, and what each needs from the technician besides a reason.
package app.fieldkit.sample.logic

import app.fieldkit.ffi.JobStatus

/** A visit ending the technician chooses (completion is the "next" action instead). */
enum class Ending {
    /** Nobody home, no access (on the way or on site, before work). */
    NO_ACCESS,

    /** 待件: the part is not in the van (work started). */
    AWAIT_PARTS,

    /** The customer will not sign the service record (work under way); needs a witness. */
    REFUSE_SIGNATURE,

    /** The customer declined the quote (on site; their answer to the fees recorded first). */
    DECLINE_QUOTE,

    /** Another visit is needed (work started). */
    SECOND_VISIT,

    /** Goods damaged on unboxing (on site; the damage recorded, photographed and signed). */
    REDELIVERY,
    ;

    /** The refused-signature ending needs a witness's name besides the reason. */
    val needsWitness: Boolean get() = this == REFUSE_SIGNATURE

    companion object {
        /** The endings the core allows from [status], in the order the sample shows them. */
        fun allowedFrom(status: JobStatus): List<Ending> = when (status) {
            JobStatus.EN_ROUTE -> listOf(NO_ACCESS)
            JobStatus.ARRIVED -> listOf(NO_ACCESS, DECLINE_QUOTE, REDELIVERY)
            JobStatus.IN_PROGRESS -> listOf(AWAIT_PARTS, SECOND_VISIT, DECLINE_QUOTE, REDELIVERY, REFUSE_SIGNATURE)
            JobStatus.PAUSED -> listOf(AWAIT_PARTS, SECOND_VISIT)
            else -> emptyList()
        }
    }
}
