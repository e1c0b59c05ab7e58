-- Spare parts on the server (第9章 第31–34条; 二、备品配件管理制度 第3、11条): the desk's
-- minimum levels per van (technician) and part, and the replenishment requests raised from
-- usage (one JSON record each; at most one open per van and part). The van stock is folded
-- from the stored ops, read by technician.
CREATE TABLE stock_minimums (
    technician_id TEXT NOT NULL, sku TEXT NOT NULL, minimum INTEGER NOT NULL,
    set_by TEXT NOT NULL, set_at INTEGER NOT NULL, PRIMARY KEY (technician_id, sku));
CREATE TABLE replenishments (
    id TEXT PRIMARY KEY, technician_id TEXT NOT NULL, sku TEXT NOT NULL, state TEXT NOT NULL,
    raised_at INTEGER NOT NULL, body TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE UNIQUE INDEX replenishments_open ON replenishments (technician_id, sku)
    WHERE state <> 'received';
CREATE INDEX ops_by_technician ON ops (technician_id, entity, kind);
