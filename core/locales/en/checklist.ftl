# The checklist's blockers and refusals (core/src/checklist/engine/report.rs). `{ $name }` is
# the step's label in the reader's language; `{ $step }` a step id.

block-unanswered = Not done yet: { $name }.
block-needs-photos = { $name }: { $more } more { $more ->
    [one] photo
   *[other] photos
} needed ({ $have } of { $need }).
block-needs-signature = { $name }: waiting for the { $role ->
    [customer] customer's
   *[technician] technician's
} signature.
block-consent-refused = { $name }: the customer did not agree to the fees, so paid work cannot go ahead.
block-call-not-reached = { $name }: the customer has not been reached by phone yet.
block-finding-not-acknowledged = { $count } noted { $count ->
    [one] anomaly has
   *[other] anomalies have
} not been signed for by the customer yet.
block-needs-finding = { $name }: record the finding and have the customer sign it.
block-parts-changed = { $name }: the parts recorded changed since they were confirmed; review them again.
block-copy-not-handed = { $name }: hand over the copy of what the customer signed last.
block-loaner-out = { $name }: { $count } { $count ->
    [one] loaner
   *[other] loaners
} not returned yet.
block-no-sale-record = { $name }: the job has no sale record, so the returns rules cannot decide; ask the service desk to add it.
block-decision-changed = { $name }: the sale record changed since the decision; decide again.
block-signature-mismatch = { $name }: the customer's signature no longer matches the record ({ $problem }); show the summary again and ask the customer to sign again.

step-unknown = step `{ $step }` is not in this checklist
step-not-applicable = step `{ $step }` does not apply to this visit
step-phase-not-open = step `{ $step }` belongs to the { $phase } phase, which is not open while the visit is { $stage }
step-out-of-order = step `{ $step }` cannot be done yet: first complete { $missing }
step-wrong-kind = step `{ $step }` expects { $expected }
step-needs-evidence = step `{ $step }` is completed by evidence (photos, a signature or the pre-visit call), not by an answer
step-out-of-range = step `{ $step }`: { $value } { $unit } is outside the allowed range { $min }–{ $max } { $unit }
step-not-an-option = `{ $value }` is not one of the options of step `{ $step }`
step-too-short = step `{ $step }` needs at least { $min } characters
step-bad-serial = step `{ $step }` needs a serial number: 1 to { $max } characters, no spaces or control characters
step-bad-ids = step `{ $step }` needs at most { $max } part ids, each without spaces
step-bad-hash = step `{ $step }` needs a SHA-256 hash: 64 lower-case hex digits
step-not-a-number = step `{ $step }` needs a finite number
step-exception-not-allowed = step `{ $step }` cannot be skipped with an exception
step-empty-reason = an exception on step `{ $step }` needs a reason
step-wrong-signer = step `{ $step }` needs the { $role ->
    [customer] Customer
   *[technician] Technician
} to sign
step-parts-mismatch = step `{ $step }`: the parts confirmed are not the parts recorded on this visit
step-not-the-signed-copy = step `{ $step }`: the copy is not the one of the customer's latest signature
step-nothing-signed = step `{ $step }`: the customer has not signed yet, so there is no copy to hand over
step-loaners-differ = step `{ $step }`: `{ $value }` does not match the job's loaner records
step-finding-not-named = step `{ $step }`: the customer's signature must name a finding of this visit
step-no-sale-record = step `{ $step }`: the job has no sale record, so the returns rules cannot decide
step-bad-return-facts = step `{ $step }`: the return facts do not hold together: { $error }
step-not-the-return-decision = step `{ $step }`: the decision recorded (outcome, reason, price basis or amount) is not the one the returns rules give on the order's sale ({ $decided })

phase-before-leaving = before-leaving
phase-arrival = arrival
phase-assessment = assessment
phase-work = work
phase-close-out = close-out
stage-planned = planned
stage-en-route = en route
stage-on-site = on site
stage-working = working

expects-a-confirmation = a confirmation
expects-a-yes-no-answer = a yes/no answer
expects-one-of-its-options = one of its options
expects-a-text = a text
expects-a-number = a number
expects-photos = photos
expects-a-signature = a signature
expects-a-serial-number = a serial number
expects-the-customer-s-fee-consent = the customer's fee consent
expects-the-pre-visit-call = the pre-visit call
expects-the-customer-s-feedback-a-rating = the customer's feedback (a rating)
expects-the-customer-s-signature-on-a-finding = the customer's signature on a finding
expects-the-parts-recorded-confirmed = the parts recorded, confirmed
expects-the-hash-of-the-signed-copy-handed-over = the hash of the signed copy handed over
expects-the-loaner-status-the-loaner-records-show = the loaner status the loaner records show
expects-the-findings-with-the-returns-rules-decision = the findings with the returns rules' decision

outcome-return = Return
outcome-exchange = Exchange
outcome-repaironly = RepairOnly
outcome-refused = Refused
