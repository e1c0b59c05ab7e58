-- Service-level limits set by an administrator (第5章 第19条 (2), (9), (11)): each PUT makes a
-- new version; old versions are kept. One row per version, zone and job kind.
CREATE TABLE sla_versions (
    version BIGINT PRIMARY KEY, set_by TEXT NOT NULL, set_at BIGINT NOT NULL,
    note TEXT NOT NULL);
CREATE TABLE sla_limits (
    version BIGINT NOT NULL REFERENCES sla_versions(version), zone TEXT NOT NULL,
    kind TEXT NOT NULL, first_contact_minutes BIGINT NOT NULL, response_hours BIGINT NOT NULL,
    repair_hours BIGINT NOT NULL, warning_percent BIGINT NOT NULL, supervisor TEXT NOT NULL,
    PRIMARY KEY (version, zone, kind));
