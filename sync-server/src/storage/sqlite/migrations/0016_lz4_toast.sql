-- PostgreSQL's 0016 compresses its large text values with lz4 (TOAST); SQLite has no TOAST
-- and stores them as they are. Kept so both backends share version numbers and names.
SELECT 1;
