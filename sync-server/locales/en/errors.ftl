# Errors of the JSON API (ErrorBody.message): requests, authentication, the phone's
# enrolment, push, pull and blobs, and what any route may answer (not found, too many
# requests, busy, internal). Whole sentences; `code` names and field names stay as they are.
# Arguments: ids, numbers, field and header names; never personal data.

err-auth-device-on-dispatcher-route = device tokens cannot use dispatcher routes
err-auth-device-revoked = this device's access was revoked
err-auth-header-malformed = malformed authorization header
err-auth-not-device-token = not a device token
err-auth-not-dispatcher-token = not the dispatcher's token
err-auth-token-malformed = malformed bearer token
err-auth-token-required = a bearer token is required
err-auth-unknown-device-token = unknown device token

err-blob-chunk = a chunk is at most { $limit } bytes here (the blob's remaining length or the chunk limit)
err-blob-hash-mismatch = the bytes received do not have this SHA-256: the upload was discarded, send it again from 0
err-blob-name = a blob is named by its lower-case hex SHA-256
err-blob-offset-past-end = the offset is past the blob's end
err-blob-resume = the server holds { $offset } bytes: resume from there
err-blob-size = a blob is 1 to { $max } bytes
err-blob-upload-cut = the upload was cut: resume from the server's offset

err-body-too-large = the request body is too large
err-body-unreadable = the request body could not be read (cut off, or badly compressed)

err-busy = the server is busy: try again in { $seconds } s

err-cursor-negative = cursor is not negative

err-device-no-key = this device has no key: enrol it again with a new code
err-device-other-technician = this device is enrolled for another technician
err-device-time = { $header } is ms since the epoch

err-enrol-race = this device enrolled at the same moment with another code

err-enrolment-code-invalid = the enrolment code is unknown, expired or already used
err-enrolment-code-other-key = this enrolment code was used with another device key
err-enrolment-proof = the enrolment proof does not match the key

err-hash-not-sha256 = hash { $index } is not a lower-case hex SHA-256

err-header-byte-count = the { $header } header (a byte count) is required

err-internal = internal error

err-json-content-type = Expected request with `Content-Type: application/json`
err-json-data = the request body does not fit: a field is missing, unknown or of the wrong type (see detail)
err-json-syntax = the request body is not valid JSON (see detail)

err-limit-range = limit is 1 to { $max }

err-not-found-account = account not found
err-not-found-blob = blob not found
err-not-found-cache = cache not found
err-not-found-callback = callback not found
err-not-found-complaint = complaint not found
err-not-found-completion = completion not found
err-not-found-device = device not found
err-not-found-enrolment-code = enrolment code not found
err-not-found-replenishment = replenishment not found
err-not-found-settlement = settlement not found
err-not-found-technician = technician not found
err-not-found-technician-profile = technician profile not found
err-not-found-webhook = webhook not found
err-not-found-work-order = work order not found

err-nul = text must not contain NUL (U+0000) characters

err-op-field-length = op { $op }: { $field } is at most { $max } characters

err-ops-order = ops must be in increasing seq order

err-path = the path parameters are malformed (see detail)

err-proof = proof is 128 lowercase hex digits

err-public-key = public_key is 64 lowercase hex digits

err-push-signature-mismatch = the push signature does not match the device key
err-push-signature-missing = a push needs the device's signature (fieldkit-signature)
err-push-too-many-ops = at most { $max } ops per push

err-query = the query parameters are malformed or unknown (see detail)

err-status-bad-request = Bad Request
err-status-conflict = Conflict
err-status-forbidden = Forbidden
err-status-method-not-allowed = Method Not Allowed
err-status-not-found = Not Found
err-status-other = request failed (HTTP { $status })
err-status-payload-too-large = Payload Too Large
err-status-unauthorized = Unauthorized
err-status-unavailable = Service Unavailable
err-status-unprocessable = Unprocessable Entity
err-status-unsupported-media-type = Unsupported Media Type

err-throttled = too many requests: try again in { $seconds } s

err-too-many-hashes = at most { $max } hashes per question
err-too-many-requests = too many requests: try again later

err-upload-length-zero = the { $header } header is 1 or more
