-- Supervision (issue #5, second part): the facts the remaining rules look back on, and the
-- clock ticks applied. Every row carries its generation (see 0003_projections).

-- Every money movement of an account, signed (A10–A15 look back on them by value date).
CREATE TABLE IF NOT EXISTS sup_entries (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    value_date TEXT NOT NULL,
    amount BIGINT NOT NULL,
    contract_ref TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    counterparty_key TEXT NOT NULL,
    authorisation TEXT NOT NULL,
    reversed_by TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, entry_id)
);
CREATE INDEX IF NOT EXISTS sup_entries_by_date ON sup_entries (generation, account_id, value_date);

-- Accounts and their life (A08: which periods need a statement; A13 looks at open ones).
CREATE TABLE IF NOT EXISTS sup_accounts (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    committee_id TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    closed_on TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, account_id)
);

-- Committees: term, seats, how their time in office ended, the handover (A07, A21, A25).
CREATE TABLE IF NOT EXISTS sup_committees (
    generation INTEGER NOT NULL,
    committee_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    election_resolution_id TEXT NOT NULL,
    elected_on TEXT NOT NULL,
    term_end TEXT NOT NULL,
    seats INTEGER NOT NULL,
    status TEXT NOT NULL,
    ended_on TEXT NOT NULL DEFAULT '',
    handed_over_on TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, committee_id)
);

-- Resolutions of the owners' assembly (A07: re-election; A20: the committee's yearly budget).
CREATE TABLE IF NOT EXISTS sup_resolutions (
    generation INTEGER NOT NULL,
    resolution_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    matter INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    amount_cap BIGINT,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    closed_on TEXT NOT NULL,
    passed INTEGER NOT NULL,
    whole_assembly INTEGER NOT NULL,
    PRIMARY KEY (generation, resolution_id)
);
CREATE INDEX IF NOT EXISTS sup_resolutions_by_complex ON sup_resolutions (generation, complex_id);

-- Statement publications per complex and period (A08).
CREATE TABLE IF NOT EXISTS sup_publications (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    period TEXT NOT NULL,
    published_on TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, complex_id, period)
);

-- Clock ticks applied: the date and the log position whose alerts they raised.
CREATE TABLE IF NOT EXISTS sup_ticks (
    generation INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    position BIGINT NOT NULL,
    alerts INTEGER NOT NULL,
    PRIMARY KEY (generation, as_of)
);
