-- Linked jobs (关联工单): which job the desk made from which, one row per child, written in
-- the same transaction as the child job. The parent is not a foreign key: a link outlives a
-- parent the server no longer holds (the child's body keeps the parent's number). Existing
-- children are backfilled from the parent link their bodies carry.
CREATE TABLE job_links (
    child_id TEXT PRIMARY KEY REFERENCES work_orders(id), parent_id TEXT NOT NULL,
    kind TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX job_links_by_parent ON job_links (parent_id, created_at);
INSERT INTO job_links (child_id, parent_id, kind, created_at)
SELECT id, body::json -> 'parent' ->> 'id', body::json -> 'parent' ->> 'kind', created_at
  FROM work_orders
 WHERE body::json -> 'parent' ->> 'id' IS NOT NULL
   AND body::json -> 'parent' ->> 'kind' IS NOT NULL;
