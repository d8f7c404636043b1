-- The maintenance fund's read model (issue #6): fund totals, unit sub-ledgers and their
-- entries, repair projects, disbursements and the published annual statements. Every row
-- carries the generation of its copy, like the statements (0003).

-- One row per complex with a fund: its totals, and how many units are below the
-- replenishment line (A19: below 30% of their first deposit, by default).
CREATE TABLE IF NOT EXISTS mf_funds (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    fund_id TEXT NOT NULL,
    established_on TEXT NOT NULL,
    balance BIGINT NOT NULL,
    deposits BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    transfers_in BIGINT NOT NULL,
    disbursed BIGINT NOT NULL,
    units INTEGER NOT NULL,
    below_line INTEGER NOT NULL,
    latest_on TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, complex_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS mf_funds_by_fund ON mf_funds (generation, fund_id);

-- Every registered unit (its building, for the public aggregation by building) and, once
-- money moved on it, its sub-ledger: balance, first deposit, number of entries.
CREATE TABLE IF NOT EXISTS mf_units (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    building TEXT NOT NULL,
    area BIGINT NOT NULL,
    balance BIGINT NOT NULL,
    first_deposit BIGINT NOT NULL,
    first_at BIGINT,
    entries INTEGER NOT NULL,
    PRIMARY KEY (generation, complex_id, unit_id)
);

-- One row per unit per movement (a 10,000-unit disbursement is 10,000 rows, written at
-- once): the unit's own ledger, read by its primary key.
CREATE TABLE IF NOT EXISTS mf_entries (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    value_date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('first', 'additional', 'initial_transfer',
        'transfer_in', 'interest', 'disbursement', 'sale')),
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    reference TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, complex_id, unit_id, position)
);

-- Repair projects (H07–H09): the plan, its authority, acceptance, disclosure, payouts.
CREATE TABLE IF NOT EXISTS mf_projects (
    generation INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('normal', 'emergency')),
    title TEXT NOT NULL,
    items TEXT NOT NULL,
    budget BIGINT NOT NULL,
    contract_sum BIGINT NOT NULL,
    contractor TEXT NOT NULL,
    contractor_account TEXT NOT NULL,
    affected_units INTEGER NOT NULL,
    buildings TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    plan_published_on TEXT,
    resolution_id TEXT,
    emergency TEXT,
    accepted_on TEXT,
    accepted_at BIGINT,
    disclosed_on TEXT,
    disclosed_at BIGINT,
    disbursed BIGINT NOT NULL,
    refusals INTEGER NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, project_id)
);
CREATE INDEX IF NOT EXISTS mf_projects_by_complex ON mf_projects (generation, complex_id, position);

-- Each payout to a contractor, with its apportionment summed per building.
CREATE TABLE IF NOT EXISTS mf_disbursements (
    generation INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    disbursement_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    value_date TEXT NOT NULL,
    amount BIGINT NOT NULL,
    payee TEXT NOT NULL,
    reference TEXT NOT NULL,
    units INTEGER NOT NULL,
    by_building TEXT NOT NULL,
    PRIMARY KEY (generation, project_id, disbursement_id)
);
CREATE INDEX IF NOT EXISTS mf_disbursements_by_complex
    ON mf_disbursements (generation, complex_id, value_date);

-- Published annual statements (Disclosure): frozen as the ledger stood at `through`.
CREATE TABLE IF NOT EXISTS mf_statements (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    year TEXT NOT NULL,
    position BIGINT NOT NULL,
    through BIGINT NOT NULL,
    published_on TEXT NOT NULL,
    published_by TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    hash_matches INTEGER NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (generation, complex_id, year)
);
