# The judge's problems as a server stores them (core/src/sync/replay: `Said` values): a held
# completion's reasons, a refused op's reason, a signature's problems. Ids and step names
# only, never customer data. The English is what the core's string API has always said.

refused-word = { $reason }
op-unknown-entity = the op's entity `{ $entity }` is not known
op-unknown-kind = `{ $kind }` is not an op this server knows: update the server, the op is kept
op-unsupported-version = version { $version } of `{ $kind }` is newer than this server knows ({ $supported }): update the server, the op is kept
op-bad-payload = the payload of `{ $kind }` is not valid
check-chain-breaks = { $count } event(s) of the job's timeline do not follow its hash chain: changed, removed or inserted
check-other-visit = the completion names another visit
sig-not-listed = the completion does not list the visit's signatures
sig-of = signature { $signature }: { $problem }
sig-not-bound = signature { $signature } is not bound to a summary
sig-strokes-differ = the strokes do not draw the signature image
sig-work-order-changed = the work order's details changed since signing
sig-other-visit = it was given on another visit
sig-changed = { $item } changed since signing
sig-removed = { $item } was removed after signing
sig-unsigned = { $item } { $why ->
    [before] was recorded before the signature but not signed
    [after_sign_off] was recorded after the customer signed off the record
   *[untimed] is not in the job's timeline
}
sig-fees-changed = the fees agreed changed since signing
sig-fee-consent-removed = the fee consent was removed after signing
sig-take-back-changed = the take-back receipt changed since signing
sig-item-finding = finding { $id }
sig-item-answer = the answer to step { $step }
sig-item-part = part record { $id }
sig-item-photo = photo { $id }
sig-item-fee-consent = a fee consent

## The judge's fixed reasons for refusing an op (`Refused::new`'s words, shown through `word`
## with the `invalid-` prefix by `refused-word`).
refused-gate = cannot { $action }: { $list }
refused-text-empty = the { $field } is empty
refused-text-too-long = the { $field } is longer than { $max } characters
invalid-a-finding-is-acknowledged-by-the-customer-s-signature-not-when-written = a finding is acknowledged by the customer's signature, not when written
invalid-a-take-back-receipt-is-signed-by-the-customer-alone-on-no-step = a take-back receipt is signed by the customer alone, on no step
invalid-an-agreed-item-is-not-on-the-schedule = an agreed item is not on the schedule
invalid-feedback-is-given-on-site-before-completion = feedback is given on site, before completion
invalid-no-checklist-is-published-for-this-job = no checklist is published for this job
invalid-no-fee-item-was-agreed = no fee item was agreed
invalid-no-loaner-of-this-job-has-that-id = no loaner of this job has that id
invalid-not-a-job-op = not a job op
invalid-not-a-photo-named-by-its-sha-256 = not a photo named by its SHA-256
invalid-the-agreed-window-ends-before-it-starts = the agreed window ends before it starts
invalid-the-call-does-not-name-the-planned-visit = the call does not name the planned visit
invalid-the-call-names-another-job = the call names another job
invalid-the-call-that-plans-a-visit-names-none = the call that plans a visit names none
invalid-the-customer-was-not-shown-the-summary-they-signed = the customer was not shown the summary they signed
invalid-the-event-carries-no-timeline-hash = the event carries no timeline hash
invalid-the-fee-is-settled-while-the-work-is-under-way-in-close-out = the fee is settled while the work is under way, in close-out
invalid-the-fee-schedule-named-was-never-published = the fee schedule named was never published
invalid-the-finding-is-not-on-this-visit = the finding is not on this visit
invalid-the-image-is-not-named-by-its-sha-256 = the image is not named by its SHA-256
invalid-the-loaner-is-not-the-receipt-s = the loaner is not the receipt's
invalid-the-loaner-was-already-returned = the loaner was already returned
invalid-the-new-eta-is-not-in-the-future = the new ETA is not in the future
invalid-the-op-does-not-name-the-visit-under-way = the op does not name the visit under way
invalid-the-part-is-not-in-the-catalog = the part is not in the catalog
invalid-the-photo-is-not-one-of-this-visit-s = the photo is not one of this visit's
invalid-the-planned-visit-needs-a-new-visit-id = the planned visit needs a new visit id
invalid-the-quantity-is-not-between-1-and-10000 = the quantity is not between 1 and 10000
invalid-the-rating-is-not-between-1-and-5 = the rating is not between 1 and 5
invalid-the-receipt-names-a-loaner-not-given = the receipt names a loaner not given
invalid-the-receipt-names-another-job = the receipt names another job
invalid-the-record-names-another-visit-than-the-op = the record names another visit than the op
invalid-the-signature-carries-no-strokes = the signature carries no strokes
invalid-the-signature-is-not-bound-to-the-timeline-as-it-stood = the signature is not bound to the timeline as it stood
invalid-the-signature-is-not-over-the-visit-s-records-as-they-stand = the signature is not over the visit's records as they stand
invalid-the-signature-names-another-device-than-the-one-that-sent-it = the signature names another device than the one that sent it
invalid-the-signature-record-does-not-match-its-seal = the signature record does not match its seal
invalid-the-signature-s-time-is-not-the-time-it-was-recorded = the signature's time is not the time it was recorded
invalid-the-summary-carried-does-not-hash-to-the-one-signed = the summary carried does not hash to the one signed
invalid-the-summary-shown-is-not-the-visit-s-records-as-they-stand = the summary shown is not the visit's records as they stand
invalid-the-total-is-not-the-sum-of-the-agreed-items-on-the-published-schedule = the total is not the sum of the agreed items on the published schedule
invalid-the-window-ends-before-it-starts = the window ends before it starts
invalid-this-finding-was-already-recorded = this finding was already recorded
invalid-this-photo-is-already-on-the-visit = this photo is already on the visit
invalid-without-a-receipt-the-invoice-is-due-3-days-after-the-settlement = without a receipt the invoice is due 3 days after the settlement
refused-chain-mismatch = `{ $kind }` does not follow the job's timeline: an event was changed, removed or inserted
refused-template-unpublished = checklist { $template } v{ $version } is not published
invalid-the-packed-strokes-are-longer-than-any-signature = the packed strokes are longer than any signature
invalid-the-packed-strokes-are-not-base64 = the packed strokes are not base64
invalid-the-packed-strokes-are-of-an-unknown-version = the packed strokes are of an unknown version
invalid-the-packed-strokes-end-early = the packed strokes end early
invalid-the-packed-strokes-hold-a-number-out-of-range = the packed strokes hold a number out of range
invalid-the-packed-strokes-have-bytes-after-their-last-point = the packed strokes have bytes after their last point
invalid-the-packed-strokes-hold-more-points-than-a-signature-may = the packed strokes hold more points than a signature may
invalid-the-signature-carries-its-strokes-both-packed-and-as-points = the signature carries its strokes both packed and as points
