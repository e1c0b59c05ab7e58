-- FieldKit server schema, version 1 (PostgreSQL): the schema of the releases before versioned
-- migrations, consolidated unchanged (core tables, quality measures, completions feed and
-- webhooks, dashboard). Released: never edit this file; add a new migration instead.
-- `IF NOT EXISTS` because this migration also brings a database made by an earlier release
-- (no version table) to version 1, whichever of these tables it already has.
CREATE TABLE IF NOT EXISTS technicians (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS enrolment_codes (
    code_hash TEXT PRIMARY KEY, technician_id TEXT NOT NULL REFERENCES technicians(id),
    expires_at BIGINT NOT NULL, used_by TEXT, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, technician_id TEXT NOT NULL REFERENCES technicians(id),
    token_hash TEXT NOT NULL UNIQUE, enrolled_at BIGINT NOT NULL, revoked_at BIGINT,
    last_seq BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS work_orders (
    id TEXT PRIMARY KEY, technician_id TEXT REFERENCES technicians(id), body TEXT NOT NULL,
    cancel_reason TEXT, completed_at BIGINT, created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS work_orders_by_tech ON work_orders (technician_id);
CREATE TABLE IF NOT EXISTS job_scope (
    work_order_id TEXT NOT NULL, technician_id TEXT NOT NULL,
    PRIMARY KEY (work_order_id, technician_id));
CREATE TABLE IF NOT EXISTS changes (
    seq BIGSERIAL PRIMARY KEY, technician_id TEXT, body TEXT NOT NULL,
    created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_by_tech ON changes (technician_id, seq);
CREATE TABLE IF NOT EXISTS templates (
    id TEXT NOT NULL, version BIGINT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS ops (
    op_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, technician_id TEXT NOT NULL,
    seq BIGINT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
    body TEXT NOT NULL, body_hash TEXT NOT NULL, outcome TEXT NOT NULL, code TEXT,
    reason TEXT, device_time BIGINT NOT NULL, received_at BIGINT NOT NULL,
    UNIQUE (device_id, seq));
CREATE INDEX IF NOT EXISTS ops_by_job ON ops (entity_id, device_id, seq);
CREATE INDEX IF NOT EXISTS ops_completions ON ops (kind, received_at);
CREATE TABLE IF NOT EXISTS flags (
    id BIGSERIAL PRIMARY KEY, work_order_id TEXT, op_id TEXT, device_id TEXT NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS flags_by_op ON flags (op_id);
CREATE TABLE IF NOT EXISTS drawing_checks (
    op_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, work_order_id TEXT NOT NULL,
    created_at BIGINT NOT NULL);

-- Quality measures.
CREATE TABLE IF NOT EXISTS complaint_handling (
    work_order_id TEXT PRIMARY KEY REFERENCES work_orders(id), handled_at BIGINT NOT NULL);

-- Completions feed and webhooks.
CREATE TABLE IF NOT EXISTS completion_feed (
    seq BIGSERIAL PRIMARY KEY, op_id TEXT NOT NULL UNIQUE,
    received_at BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS completion_feed_received ON completion_feed (received_at);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
    start_seq BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    subscription_id TEXT NOT NULL, op_id TEXT NOT NULL, feed_seq BIGINT NOT NULL,
    status TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL, last_error TEXT, delivered_at BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, op_id));
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- Dashboard.
CREATE TABLE IF NOT EXISTS dispatchers (
    id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    token_hash TEXT PRIMARY KEY, dispatcher_id TEXT NOT NULL REFERENCES dispatchers(id),
    csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS dashboard_sessions_expiry ON dashboard_sessions (expires_at);
CREATE INDEX IF NOT EXISTS ops_rejected ON ops (received_at) WHERE outcome = 'rejected';
CREATE INDEX IF NOT EXISTS flags_by_job ON flags (work_order_id);
