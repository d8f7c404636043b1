-- Personal data (issue #12, item 10): one data key per person, outside the events, so that
-- destroying it erases that person's sealed names everywhere (ledger/personal.py).
-- A key is stored wrapped (AES-GCM) under a key derived from the deployment secret, so a copy
-- of the database alone opens nothing; `commonfund erase-person` sets wrapped_key to NULL.
CREATE TABLE IF NOT EXISTS personal_keys (
    person TEXT PRIMARY KEY,
    wrapped_key BLOB,
    created_at TEXT NOT NULL,
    erased_at TEXT
);

-- Who erased whom, when, and what could not be erased; it holds no personal data itself.
CREATE TABLE IF NOT EXISTS personal_erasures (
    id INTEGER PRIMARY KEY,
    person TEXT NOT NULL,
    erased_at TEXT NOT NULL,
    erased_by TEXT NOT NULL,
    report TEXT NOT NULL
);

-- A05 compares members by keyed hashes; the read model keeps only the public form of a name
-- (rows written before this migration are masked here; `commonfund rebuild supervision` then
-- makes them as the view does now).
ALTER TABLE sup_members RENAME COLUMN name TO public_name;
ALTER TABLE sup_members ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE sup_members SET public_name = substr(public_name, 1, 1) || '*';

-- The statements view masks every registered unit id in public text (issue #12, item 12):
-- each complex's register as the log has it, per generation like every statements table.
CREATE TABLE IF NOT EXISTS stmt_units (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    building TEXT NOT NULL,
    PRIMARY KEY (generation, complex_id, unit_id)
);
