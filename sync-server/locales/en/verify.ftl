# The public verify page behind the QR code on the customer's copy (the customer reads it).
verify-title = Verify
verify-job = Job id
verify-completed = Completed (China time)
verify-matches = Matches
verify-mismatch = Does not match
verify-unknown = Unknown
verify-matches-text = This copy matches the server's record.
verify-mismatch-text = This copy does NOT match the server's record: please call the service desk.
verify-unknown-text = The server has no signed record for this job.
