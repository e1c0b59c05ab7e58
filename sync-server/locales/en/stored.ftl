# What the server stores as a code with arguments (src/stored.rs): flags, a completion's hold
# reasons, a refused op's reason, the audit log's details. Ids and numbers only, never
# customer data. Id: `stored-` and the code with dashes.

## Flags raised while judging a push.
stored-clock-skew = the device's clock is { $seconds } s { $direction ->
    [ahead] ahead of
   *[behind] behind
} the server's
stored-fact-after-cancellation = `{ $kind }` recorded after the desk cancelled the job
stored-fact-after-reassignment = `{ $kind }` recorded after the job was reassigned
stored-signature-refused = the customer refused to sign the service record
stored-redelivery-requested = the goods were damaged on unboxing: create the redelivery job
stored-settlement-differs = settled { $settled } against a consented total of { $consented } (fen)
stored-second-completion = a second completion of a job that already has one: kept as a fact, not counted
stored-completed-after-cancellation = completed on the device after the desk cancelled the job
stored-completed-after-reassignment = completed on the device after the job was reassigned
stored-stock-short-on-job = used { $quantity } of { $sku }; the server's ledger holds { $held }
stored-stock-short = { $quantity } of { $sku } taken out; the server's ledger holds { $held }
stored-stock-count-differs = counted { $counted } of { $sku }; the server's ledger holds { $held }

## Why an op was refused or kept as a conflict.
stored-unknown-job = no such job among this technician's jobs
stored-unknown-entity = the op's entity is not known
stored-stock-bad-entity = a stock op names a part's SKU
stored-stock-entity-mismatch = the op's part is not the envelope's
stored-not-a-stock-op = not a stock op
stored-stock-quantity-range = the quantity is not between 1 and 10000
stored-unknown-replenishment = no replenishment of this part and quantity was issued to this van
stored-job-cancelled-fact = the desk cancelled this job; the fact is kept and flagged
stored-job-reassigned-fact = this job was reassigned to another technician; the fact is kept and flagged
stored-already-completed = this job already has a completion; this one is kept as a fact and not counted
stored-completion-kept-cancelled = completed on the device after the desk cancelled the job; the completion is kept and flagged
stored-completion-kept-reassigned = completed on the device after the job was reassigned; the completion is kept and flagged
stored-completion-held = held for the service desk: { $count ->
    [one] one problem
   *[other] { $count } problems
} (see the completion's reasons)

## The audit log's details.
stored-audit-technician = technician { $technician }
stored-audit-technician-misfit = technician { $technician }; does not fit: { $codes }
stored-audit-code-valid = valid { $minutes } min
stored-audit-codes-unused = { $count } unused
stored-audit-role = role: { $role }
stored-audit-account-disabled = account disabled
stored-audit-failures-in-a-row = { $count } in a row
stored-audit-wrong-password = wrong current password
stored-audit-child-of = { $kind } of { $parent }{ $technician ->
    [none] {""}
   *[other] , technician { $technician }
}
stored-audit-callback-rules = installations={ $installations } complaints={ $complaints } sample={ $sample }% within={ $within }d seed={ $seed }
stored-audit-callback-call = { $outcome ->
    [not_reached] not reached
    [answered_repair] answered, repair
    [answered_complaint] answered, complaint
   *[answered] answered
}
stored-audit-complaint-channel = channel: { $channel }
stored-audit-complaint-change = { $change }
stored-audit-calendar-years = years { $years }
stored-audit-sla-version = sla version { $version }
stored-audit-cash-hand-in = { $day } { $amount } fen
stored-audit-employee-number = employee number { $number }
stored-audit-spares-minimum = { $sku } minimum { $minimum }
stored-audit-spares-quantity = { $sku } × { $quantity }
stored-audit-tool = { $tool } { $asset }
stored-audit-invoice = settlement { $settlement }, invoice { $number } of { $issued_on }
stored-audit-published = { $what ->
    [checklist_template] checklist template
    [fee_schedule] fee schedule
    [catalog_part] catalog part
   *[other] reference data
}
