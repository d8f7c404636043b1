-- Read models (issue #4). Every read-model row carries the generation of the copy it
-- belongs to: `commonfund rebuild` fills generation g+1 while g keeps serving, then
-- flips projection_state.generation in the same transaction as its last batch.

-- Which copy of each read model serves readers.
CREATE TABLE IF NOT EXISTS projection_state (
    name TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);

-- How far each copy has followed the ledger (notification id), written in the
-- same transaction as the rows of its batch: each event is applied exactly once.
CREATE TABLE IF NOT EXISTS projection_tracking (
    name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    position INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, generation)
);

-- Statements: which complex an account or stream belongs to, and each stream's chain head (H12).
CREATE TABLE IF NOT EXISTS stmt_streams (
    generation INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    complex_id TEXT,
    version INTEGER NOT NULL,
    head TEXT NOT NULL,
    PRIMARY KEY (generation, stream_id)
);

-- Proposed expenditures, kept until booked (a booking names only the proposal).
CREATE TABLE IF NOT EXISTS stmt_proposals (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    expenditure_id TEXT NOT NULL,
    proposal TEXT NOT NULL,
    PRIMARY KEY (generation, account_id, expenditure_id)
);

-- One row per money movement, public fields only (individuals already masked).
CREATE TABLE IF NOT EXISTS stmt_lines (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    value_date TEXT NOT NULL,
    section TEXT NOT NULL CHECK (section IN ('income', 'expenditure', 'reversal')),
    category TEXT NOT NULL,
    party TEXT NOT NULL,
    amount INTEGER NOT NULL,
    gross INTEGER,
    deduction INTEGER,
    collector TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    authorisation TEXT NOT NULL DEFAULT '',
    contract_ref TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    reverses TEXT NOT NULL DEFAULT '',
    reversed_by TEXT NOT NULL DEFAULT '',
    reversed_at INTEGER,
    PRIMARY KEY (generation, complex_id, entry_id)
);
CREATE INDEX IF NOT EXISTS stmt_lines_by_date
    ON stmt_lines (generation, complex_id, value_date, position);

-- Published versions (H11): frozen content, its hash, the digest it was made at, the diff.
CREATE TABLE IF NOT EXISTS stmt_versions (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    period TEXT NOT NULL,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL,
    published_on TEXT NOT NULL,
    published_by TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    hash_matches INTEGER NOT NULL,
    content TEXT NOT NULL,
    digest TEXT NOT NULL,
    diff TEXT,
    PRIMARY KEY (generation, complex_id, period, version)
);
