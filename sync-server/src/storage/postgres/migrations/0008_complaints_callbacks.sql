-- The desk's complaints (投诉: 001 第4章 4.2–4.3, 004 一 第7章 第28条, 第8章 第29–30条): the
-- record as JSON in `body`, beside it what the queue sorts and filters on; `revision` counts
-- the changes (a change names the revision it read, so two desks cannot overwrite each
-- other). A complaint taken in from a device's feedback keeps that op's id, once.
-- And the versions of the holiday calendar the desk uploaded (the shipped one lacks next
-- year until the app is updated); the newest stands.
CREATE TABLE complaints (
    id TEXT PRIMARY KEY, work_order_id TEXT REFERENCES work_orders(id),
    source_op_id TEXT UNIQUE, state TEXT NOT NULL, received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL,
    updated_at BIGINT NOT NULL);
CREATE INDEX complaints_by_due ON complaints (due_at, id);
CREATE TABLE holiday_calendars (
    version BIGINT PRIMARY KEY, body TEXT NOT NULL, created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL);
-- Callbacks (回访, 004 一 第4章 第17条, 第10章 第36条): one per job at most, the record as JSON
-- in `body` with a revision as for complaints; and the versions of the desk's rules for
-- which jobs to call back (the newest stands; none: the defaults).
CREATE TABLE callbacks (
    id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL UNIQUE REFERENCES work_orders(id),
    state TEXT NOT NULL, due_at BIGINT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL,
    updated_at BIGINT NOT NULL);
CREATE INDEX callbacks_by_due ON callbacks (due_at, id);
CREATE TABLE callback_rules (
    version BIGINT PRIMARY KEY, body TEXT NOT NULL, created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL);
