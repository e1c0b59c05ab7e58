-- FieldKit server schema, version 3 (PostgreSQL): desk accounts. Each account has a role
-- (accounts made before roles stay administrators: they could do everything) and may be
-- disabled; a session knows when it was last used (the idle timeout); the audit log of every
-- desk action; and the failed logins counted per login name (the per-account backoff).
-- Released: never edit this file; add a new migration instead.
ALTER TABLE dispatchers ADD COLUMN role TEXT NOT NULL DEFAULT 'administrator'
    CHECK (role IN ('administrator', 'dispatcher'));
ALTER TABLE dispatchers ALTER COLUMN role DROP DEFAULT;
ALTER TABLE dispatchers ADD COLUMN disabled_at BIGINT;
ALTER TABLE dashboard_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE dashboard_sessions SET last_seen_at = created_at;
ALTER TABLE dashboard_sessions ALTER COLUMN last_seen_at DROP DEFAULT;
CREATE INDEX dashboard_sessions_by_dispatcher ON dashboard_sessions (dispatcher_id);
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, actor_id TEXT,
    actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT,
    from_addr TEXT NOT NULL);
CREATE INDEX audit_log_by_time ON audit_log (at, id);
CREATE TABLE login_failures (
    login TEXT PRIMARY KEY, failures BIGINT NOT NULL, last_failure_at BIGINT NOT NULL);
CREATE INDEX login_failures_by_time ON login_failures (last_failure_at);
