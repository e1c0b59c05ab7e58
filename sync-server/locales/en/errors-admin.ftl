# Errors of the JSON API's admin routes (the desk): work orders, links, accounts, cash,
# invoices, complaints, callbacks, holiday calendar, measures, SLA, technicians' profiles,
# spare parts, webhooks, templates. Field names stay as they are, in backticks in Chinese.
# Arguments: ids, numbers, field names, dates of the calendar; never personal data.

err-account-disable-self = you cannot disable your own account
err-account-role-self = you cannot change your own role

err-admin-only = only an administrator may do this

err-after-negative = after is not negative

err-calendar-backward-range = holiday calendar: holiday { $from }..{ $to } ends before it starts
err-calendar-bad-date = holiday calendar: an entry is not a date (YYYY-MM-DD)
err-calendar-date-outside-year = holiday calendar: { $date } is listed under year { $year }
err-calendar-date-twice = holiday calendar: { $date } is listed twice
err-calendar-holiday-and-working = holiday calendar: { $date } is both a holiday and a working day
err-calendar-malformed = holiday calendar: not the expected JSON
err-calendar-no-source = holiday calendar: year { $year } has no source_url
err-calendar-no-years = holiday calendar: no year listed
err-calendar-working-day-weekday = holiday calendar: working day { $date } is not a Saturday or Sunday
err-calendar-year-not-covered = holiday calendar: year { $year } not covered
err-calendar-year-range = holiday calendar: year { $year } is out of range ({ $min }–{ $max })
err-calendar-year-twice = holiday calendar: year { $year } is listed twice

err-callback-complaint-note = a complaint needs what the customer said in the note
err-callback-finished = the callback is finished
err-callback-rating = a reached customer gives a rating of 1 to 5; an unreached one gives neither a rating nor a problem
err-callback-revision = the callback was changed meanwhile: revision { $revision }
err-callback-rules-days = within_days: 1–30
err-callback-rules-percent = sample_percent: 0–100
err-callback-stale = the callback was changed meanwhile

err-cash-amount = amount is 1 to 100000000 fen
err-cash-note = the note is at most 500 characters

err-complaint-already-handled = the complaint is handled; report the result first
err-complaint-channel = channel: phone, letter, visit or online (device and callback complaints are taken in by the server)
err-complaint-closed = the complaint is closed
err-complaint-not-assessed = assess the complaint first: validity, cause, responsible party
err-complaint-not-handled = the complaint is not handled yet: there is no result to report
err-complaint-not-later = an extension must move the due time later
err-complaint-revision = the complaint was changed meanwhile: revision { $revision }
err-complaint-stale = the complaint was changed meanwhile
err-complaint-technician-naming = name the technician when, and only when, a technician was responsible
err-complaint-too-late = the due time has passed: it can no longer be extended; handle it

err-completion-state = state is one of checking, counted, held, released, rejected, conflict

err-date-out-of-range = date is out of range

err-employee-number = employee_number must be 1 to 32 letters, digits or dashes
err-employee-number-taken = the employee number is already another technician's

err-fee-schedule = a fee schedule has items with amounts of 0 or more

err-field-date = { $field } must be a date (YYYY-MM-DD)
err-field-instant = { $field } must be an RFC 3339 time or a date (YYYY-MM-DD)
err-field-length = { $field } must be 1 to { $max } characters
err-field-out-of-range = { $field } is out of range

err-from-before-to = from must be before to

err-hours-backwards = { $at } must end after it starts
err-hours-format = { $at }: start and end are HH:MM
err-hours-weekday = { $at }.weekday must be 1 (Monday) to 7 (Sunday)

err-invoice-issued-on = issued_on is between the settlement's day and today
err-invoice-no-settlement = the job has no settlement with an invoice to follow
err-invoice-number = number must be 1 to 64 characters
err-invoice-recorded = the invoice of this settlement is already recorded
err-invoice-which-settlement = settlement_id: the job has more than one settlement awaiting an invoice: name one

err-job-already-cancelled = the job is already cancelled
err-job-cancelled = the job is cancelled
err-job-cancelled-no-child = the job is cancelled: make a new job instead of a linked one
err-job-closed = the job is closed

err-last-event-id = Last-Event-ID is a number from this stream

err-link-kind = a { $job_kind } job cannot be a { $link }
err-link-no-next-day = promised: the parent's window has no next day; give one
err-link-number-too-long = number: the parent's is too long to number a child after it; give one

err-login-taken = that login is taken

err-minimum-range = minimum is 0 to { $max }

err-no-held-completion = the job has no held completion

err-note-length = note is 1 to 500 characters

err-password-length = a dispatcher's password is 12 to 256 characters

err-period-length = the period is at most { $days } days

err-phone = phone must be 5 to 20 digits, spaces or dashes (an optional + first)

err-received-at = received_at: not in the future, at most { $days } days back

err-replenishment-not-approved = only an approved request can be issued
err-replenishment-not-raised = only a raised request can be approved
err-replenishment-stale = the request changed meanwhile: reload it

err-sale-after-request = sale: the request is before the sale
err-sale-misuse = sale: misuse was found but the fault is put on the product or the company
err-sale-negative-price = sale: { $field } is negative
err-sale-paid-above-list = sale: the price paid is more than the original price

err-sla-note = note: at most 200 characters, no control characters
err-sla-range = { $at }.{ $field }: between 1 and { $max }
err-sla-row-missing = { $at }: missing: every zone and job kind needs one row
err-sla-row-twice = { $at }: given twice
err-sla-supervisor = { $at }.supervisor: 1 to 64 characters, no control characters
err-sla-version-race = another SLA version was just saved: try again

err-template-invalid = the checklist template is not valid (see detail)

err-text-length = { $field }: 1 to { $max } characters

err-too-many-hours = at most { $max } working-hour rows
err-too-many-products = { $at }: at most { $max } products
err-too-many-qualifications = at most { $max } qualifications
err-too-many-skills = at most { $max } skills

err-until-day = until: a day, YYYY-MM-DD

err-valid-minutes = valid_minutes is 1 to 10080

err-verify-hash = h must be a SHA-256: 64 hexadecimal characters
err-verify-job-id = not a job id

err-webhook-events = events is a list of known event types: { $known }
err-webhook-exists = the webhook id exists
err-webhook-secret = secret is 16 to 256 characters
err-webhook-url = url is an http or https URL of at most 2000 characters
err-webhook-url-https = url must be https (plain http only to the server's allowed addresses)
err-webhook-url-internal = url is an internal address (not allowed on this server)
err-webhook-url-invalid = url is not a URL

err-window = a promised window ends after it starts, within 31 days
err-window-backwards = the window ends before it starts

err-work-order-exists = a work order with this id exists

# Registered tools (004 二 第14条)
err-not-found-tool = tool not found
err-tool-technician-id = technician_id is required (at most 64 characters)
err-tool-name = name is required (at most 100 characters, no control characters)
err-tool-asset-number = asset_number is required (at most 64 characters, no control characters)
err-tool-loss-report = a lost tool needs a report of what happened
err-tool-report-too-long = the report is at most 2000 characters
err-tool-happened-at = happened_at is between the tool's issue and now
err-tool-asset-out = a tool with this asset number is issued and not returned
err-tool-not-issued = the tool was already returned or reported lost
