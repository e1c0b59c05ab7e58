-- The large text values (op bodies: a signature's strokes, a signed summary; each job's replayed
-- state, rewritten by every push that touches the job) compressed with lz4 rather than pglz:
-- under a burst of pushes pglz was 7 % of the database's CPU, and lz4 compresses several times
-- faster. Values already stored keep their compression. A server built without lz4 refuses
-- SET COMPRESSION; it then keeps pglz.
DO $$
BEGIN
    ALTER TABLE ops ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE job_replays ALTER COLUMN state SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: TOAST compression stays pglz';
END
$$;
