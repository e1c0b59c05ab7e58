-- Devices are bound to an Ed25519 key at enrolment (pushes are signed with it) and remember
-- the code they enrolled with (a repeat of that enrolment is answered, not re-applied).
-- Enrolment codes get an id the desk can revoke them by. The server's own secrets (the key
-- that derives device tokens) live in server_keys.
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN enrol_code_hash TEXT;
ALTER TABLE enrolment_codes ADD COLUMN id TEXT;
ALTER TABLE enrolment_codes ADD COLUMN revoked_at INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS enrolment_codes_by_id ON enrolment_codes (id);
CREATE TABLE IF NOT EXISTS server_keys (name TEXT PRIMARY KEY, value BLOB NOT NULL);
