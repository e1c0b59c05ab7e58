-- Sentences stored as a stable code with typed arguments (JSON, src/stored.rs), shown in the
-- reader's language: a flag's detail, a completion's hold reasons, a refused op's reason, an
-- audit line's detail. The word columns stay: rows written before 0015 show them as stored
-- (NULL code), newer rows keep their Chinese words there (what an older server shows).
ALTER TABLE flags ADD COLUMN said TEXT;
ALTER TABLE completions ADD COLUMN reason_codes TEXT;
ALTER TABLE ops ADD COLUMN reason_said TEXT;
ALTER TABLE audit_log ADD COLUMN detail_said TEXT;
