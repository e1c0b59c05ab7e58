-- Technicians as people (issue 19; 004 第5章 第18条, 第4章 第16条): one profile per
-- technician — employee number (unique), phone, skills, qualifications with expiry, zones,
-- working hours — kept as a JSON record beside its employee number.
CREATE TABLE technician_profiles (
    technician_id TEXT PRIMARY KEY REFERENCES technicians(id),
    employee_number TEXT NOT NULL UNIQUE, body TEXT NOT NULL, updated_at INTEGER NOT NULL);
