-- The bank feed (issue #14): the bank read model (bank_*) and the facts B01–B07 look back on
-- (sup_bank_*). Every row carries its generation (see 0003_projections). Money in fen.
-- Counterparties are kept in their public form only (a person masked, ``public_name``), and
-- a person's remittance text is not kept at all: nothing sealed is stored in these tables.

-- The places of the complexes (the city overview counts unreconciled accounts by them).
CREATE TABLE IF NOT EXISTS bank_places (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    community TEXT NOT NULL,
    PRIMARY KEY (generation, complex_id)
);

-- Every account: its bank code and its life, opened to closed.
CREATE TABLE IF NOT EXISTS bank_accounts (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    closed_on TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, account_id)
);

-- Each feed (one per account): the stream id of its events and the account it belongs to.
CREATE TABLE IF NOT EXISTS bank_feeds (
    generation INTEGER NOT NULL,
    feed_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (generation, feed_id)
);
CREATE INDEX IF NOT EXISTS bank_feeds_by_account ON bank_feeds (generation, account_id);

-- Each statement recorded, with its continuity breaks (JSON) and who recorded it when.
CREATE TABLE IF NOT EXISTS bank_statements (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    statement_key TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    format TEXT NOT NULL,
    sequence BIGINT,
    from_on TEXT,
    to_on TEXT,
    opening BIGINT,
    closing BIGINT,
    closing_on TEXT,
    lines INTEGER NOT NULL,
    new_lines INTEGER NOT NULL,
    breaks TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, statement_key)
);

-- Each bank transaction once, by its key, with the match that holds it (NULL: unmatched).
CREATE TABLE IF NOT EXISTS bank_lines (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    line_key TEXT NOT NULL,
    reference TEXT NOT NULL,
    direction TEXT NOT NULL,
    amount BIGINT NOT NULL,
    booked_on TEXT NOT NULL,
    value_on TEXT NOT NULL,
    reversal INTEGER NOT NULL,
    counterparty TEXT NOT NULL,
    remittance TEXT NOT NULL,
    transaction_code TEXT NOT NULL,
    statement_key TEXT NOT NULL,
    match_id TEXT,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, line_key)
);
CREATE INDEX IF NOT EXISTS bank_lines_by_match ON bank_lines (generation, account_id, match_id);

-- The ledger's entries of every account, signed, by value date, with the match holding them.
CREATE TABLE IF NOT EXISTS bank_entries (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    value_on TEXT NOT NULL,
    reverses TEXT NOT NULL DEFAULT '',
    match_id TEXT,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, entry_id)
);
CREATE INDEX IF NOT EXISTS bank_entries_by_date ON bank_entries (generation, account_id, value_on);

-- The matches in force, automatic or by hand: how, the lines and entries (JSON), who and why.
CREATE TABLE IF NOT EXISTS bank_matches (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    match_id TEXT NOT NULL,
    how TEXT NOT NULL,
    bank_keys TEXT NOT NULL,
    entry_ids TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, match_id)
);

-- Each account's status as of its latest statement (the city overview's counts).
CREATE TABLE IF NOT EXISTS bank_status (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    bank_balance BIGINT,
    bank_balance_on TEXT,
    ledger_balance BIGINT NOT NULL,
    difference BIGINT,
    unmatched_bank INTEGER NOT NULL,
    unmatched_ledger INTEGER NOT NULL,
    reconciled_through TEXT,
    statements INTEGER NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id)
);

-- Supervision's facts for B01–B07: accounts' bank codes, feeds, statements, lines, links.
CREATE TABLE IF NOT EXISTS sup_bank_accounts (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    PRIMARY KEY (generation, account_id)
);

CREATE TABLE IF NOT EXISTS sup_bank_feeds (
    generation INTEGER NOT NULL,
    feed_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    PRIMARY KEY (generation, feed_id)
);
CREATE INDEX IF NOT EXISTS sup_bank_feeds_by_account ON sup_bank_feeds (generation, account_id);

CREATE TABLE IF NOT EXISTS sup_bank_statements (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    statement_key TEXT NOT NULL,
    from_on TEXT,
    ends_on TEXT NOT NULL,
    sequence BIGINT,
    closing BIGINT,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, statement_key)
);

CREATE TABLE IF NOT EXISTS sup_bank_lines (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    line_key TEXT NOT NULL,
    direction TEXT NOT NULL,
    amount BIGINT NOT NULL,
    value_on TEXT NOT NULL,
    statement_key TEXT NOT NULL,
    match_id TEXT,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, line_key)
);
CREATE INDEX IF NOT EXISTS sup_bank_lines_by_match ON sup_bank_lines (generation, account_id, match_id);

-- Which entries a match holds (the lines keep theirs in sup_bank_lines.match_id).
CREATE TABLE IF NOT EXISTS sup_bank_links (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    match_id TEXT NOT NULL,
    PRIMARY KEY (generation, account_id, entry_id)
);
CREATE INDEX IF NOT EXISTS sup_bank_links_by_match ON sup_bank_links (generation, account_id, match_id);
