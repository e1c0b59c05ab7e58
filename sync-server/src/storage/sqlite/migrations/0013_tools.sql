-- Registered tools per technician (004 二 备品配件管理制度 第14条): a tool issued to a
-- technician, kept by them, returned, or lost with a report (one JSON record each, the
-- queried columns beside it). At most one issued tool per asset number. 0013 at the merge
-- (after 0012_desk_language).
CREATE TABLE tools (
    id TEXT PRIMARY KEY, technician_id TEXT NOT NULL, asset_number TEXT NOT NULL,
    state TEXT NOT NULL, issued_at INTEGER NOT NULL, body TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE UNIQUE INDEX tools_issued_asset ON tools (asset_number) WHERE state = 'issued';
CREATE INDEX tools_by_technician ON tools (technician_id, issued_at);
