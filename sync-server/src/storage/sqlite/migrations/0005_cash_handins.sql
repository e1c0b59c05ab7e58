-- Cash a technician handed in to the desk for one local day (现金上交): the daily cash
-- reconciliation compares it with that day's cash settlements. Amounts in fen.
CREATE TABLE IF NOT EXISTS cash_handins (
    id TEXT PRIMARY KEY, technician_id TEXT NOT NULL REFERENCES technicians(id),
    day TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0), note TEXT NOT NULL,
    recorded_by TEXT NOT NULL, recorded_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cash_handins_by_day ON cash_handins (day, technician_id);
