-- Several instances on one database (issue 20). A drawing check is claimed by one instance
-- with a lease (claimed_by, lease_until; 0: never claimed): another instance takes it over
-- once the lease ends. A webhook delivery's claim gets an id, presented by its finish: a
-- finish by a worker whose lease ran out and was taken over records nothing (unless it
-- delivered). Rate limits counted per scope, key and fixed window, shared by every
-- instance.
ALTER TABLE drawing_checks ADD COLUMN claimed_by TEXT;
ALTER TABLE drawing_checks ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX drawing_checks_due ON drawing_checks (lease_until, created_at);
ALTER TABLE webhook_deliveries ADD COLUMN claim_id TEXT;
CREATE TABLE rate_limits (
    scope TEXT NOT NULL, key TEXT NOT NULL, window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL, PRIMARY KEY (scope, key));
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
