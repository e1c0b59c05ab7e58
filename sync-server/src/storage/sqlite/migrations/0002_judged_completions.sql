-- FieldKit server schema, version 2 (SQLite): the server as the second judge. Each device's
-- replay of each job (judging a push costs the ops in it, not the job's history), one standing
-- completion per job with its state (checking its drawings, counted, held for the desk,
-- released or rejected by the desk, or a conflict kept as a fact), and the desk's decisions.
-- Released: never edit this file; add a new migration instead.
CREATE TABLE job_replays (
    work_order_id TEXT NOT NULL, device_id TEXT NOT NULL, version INTEGER NOT NULL,
    state TEXT NOT NULL, last_seq INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (work_order_id, device_id));
CREATE TABLE completions (
    op_id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL, device_id TEXT NOT NULL,
    technician_id TEXT NOT NULL, state TEXT NOT NULL, reasons TEXT NOT NULL DEFAULT '[]',
    completed_at_device INTEGER NOT NULL, received_at INTEGER NOT NULL, counted_at INTEGER,
    decided_by TEXT, decided_at INTEGER, decision_note TEXT);
CREATE UNIQUE INDEX completions_standing ON completions (work_order_id)
    WHERE state IN ('checking', 'counted', 'held', 'released');
CREATE INDEX completions_by_job ON completions (work_order_id, received_at);
CREATE INDEX completions_counted ON completions (counted_at) WHERE counted_at IS NOT NULL;
CREATE INDEX completions_by_state ON completions (state, received_at);
CREATE TABLE desk_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, work_order_id TEXT, op_id TEXT, note TEXT);
CREATE INDEX desk_audit_by_job ON desk_audit (work_order_id, id);

-- Completions received before the server judged them. Per job, the first applied one stands:
-- held when the rules flagged it (checklist gate, timeline chain, signature), checking while
-- its drawings wait, else counted; later applied ones and conflicts are kept as conflicts.
INSERT INTO completions (op_id, work_order_id, device_id, technician_id, state, reasons,
                         completed_at_device, received_at, counted_at)
SELECT o.op_id, o.entity_id, o.device_id, o.technician_id,
       CASE
         WHEN o.outcome != 'applied' OR o.rn > 1 THEN 'conflict'
         WHEN EXISTS (SELECT 1 FROM flags f WHERE f.op_id = o.op_id
                        AND f.kind IN ('checklist_gate', 'timeline_chain', 'signature'))
           THEN 'held'
         WHEN EXISTS (SELECT 1 FROM drawing_checks d WHERE d.op_id = o.op_id) THEN 'checking'
         ELSE 'counted'
       END,
       CASE
         WHEN o.outcome = 'applied' AND o.rn > 1
           THEN '["a second completion of the job, received before completions were judged"]'
         ELSE COALESCE((SELECT json_group_array(f.detail) FROM flags f WHERE f.op_id = o.op_id
                          AND f.kind IN ('checklist_gate', 'timeline_chain', 'signature')),
                       '[]')
       END,
       o.device_time, o.received_at,
       CASE
         WHEN o.outcome = 'applied' AND o.rn = 1
              AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.op_id = o.op_id
                                AND f.kind IN ('checklist_gate', 'timeline_chain', 'signature'))
              AND NOT EXISTS (SELECT 1 FROM drawing_checks d WHERE d.op_id = o.op_id)
           THEN o.received_at
       END
  FROM (SELECT ops.*, ROW_NUMBER() OVER (PARTITION BY entity_id, outcome = 'applied'
                                         ORDER BY received_at, op_id) AS rn
          FROM ops WHERE kind = 'complete' AND entity = 'work_order'
                     AND outcome IN ('applied', 'conflict')) o;
-- A held completion does not complete its job.
UPDATE work_orders SET completed_at = NULL,
       body = json_set(body, '$.status', 'assigned')
 WHERE json_extract(body, '$.status') = 'completed'
   AND NOT EXISTS (SELECT 1 FROM completions c WHERE c.work_order_id = work_orders.id
                     AND c.state IN ('counted', 'checking'));
