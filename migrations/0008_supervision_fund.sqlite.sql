-- Supervision of the maintenance fund (issue #6): the facts A09, A17, A18 and A19 look back on.
-- Every row carries its generation (see 0003_projections).

-- Each fund: its complex and the day it was established (A09 counts from it).
CREATE TABLE IF NOT EXISTS sup_funds (
    generation INTEGER NOT NULL,
    fund_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    established_on TEXT NOT NULL,
    PRIMARY KEY (generation, fund_id)
);

-- The fund's annual statements: the year and the day it was published (A09).
CREATE TABLE IF NOT EXISTS sup_fund_disclosures (
    generation INTEGER NOT NULL,
    fund_id TEXT NOT NULL,
    year TEXT NOT NULL,
    published_on TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (generation, fund_id, year)
);

-- Each unit's sub-ledger: its balance and its first deposit (A19), moved in bulk per event.
CREATE TABLE IF NOT EXISTS sup_fund_units (
    generation INTEGER NOT NULL,
    fund_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    balance INTEGER NOT NULL,
    first_deposit INTEGER NOT NULL,
    PRIMARY KEY (generation, fund_id, unit_id)
);

-- Repair projects: kind, budget, contract, and when planned, accepted, disclosed (A17, A18).
CREATE TABLE IF NOT EXISTS sup_projects (
    generation INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    fund_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    budget INTEGER NOT NULL,
    contract_sum INTEGER NOT NULL,
    planned_on TEXT NOT NULL,
    accepted_on TEXT NOT NULL DEFAULT '',
    disclosed_on TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, project_id)
);
CREATE INDEX IF NOT EXISTS sup_projects_by_kind ON sup_projects (generation, kind, planned_on);
