-- Invoices the desk issued for settlements made without one on site (发票: due 3 days after
-- the settlement, 004 一 第5章 第19条(4)): one per settlement, keyed by the settle op's
-- settlement id. A settlement with an invoice due and no row here is awaiting its invoice.
CREATE TABLE invoices (
    settlement_id TEXT PRIMARY KEY, work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    number TEXT NOT NULL, issued_on TEXT NOT NULL, recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL);
CREATE INDEX invoices_by_job ON invoices (work_order_id);
