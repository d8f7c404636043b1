-- Supervision (issue #5): the alerts read model and the facts its rules look back on.
-- Like the statements, every row carries its generation (see 0003_projections).

-- Where each complex sits (district, street) and which complex each stream belongs to.
CREATE TABLE IF NOT EXISTS sup_places (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    community TEXT NOT NULL,
    PRIMARY KEY (generation, complex_id)
);
CREATE TABLE IF NOT EXISTS sup_streams (
    generation INTEGER NOT NULL,
    stream_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    committee_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (generation, stream_id)
);

-- Committee members (A05 compares payees with them).
CREATE TABLE IF NOT EXISTS sup_members (
    generation INTEGER NOT NULL,
    committee_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    identity_key TEXT NOT NULL,
    PRIMARY KEY (generation, committee_id, member_id)
);

-- Proposed expenditures until booked; booked payments (A02–A06, A16 look back on them).
CREATE TABLE IF NOT EXISTS sup_proposals (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    expenditure_id TEXT NOT NULL,
    proposal TEXT NOT NULL,
    PRIMARY KEY (generation, account_id, expenditure_id)
);
CREATE TABLE IF NOT EXISTS sup_payments (
    generation INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    value_date TEXT NOT NULL,
    payee_key TEXT NOT NULL,
    payee_name TEXT NOT NULL,
    amount BIGINT NOT NULL,
    method TEXT NOT NULL,
    contract_ref TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, account_id, entry_id)
);
CREATE INDEX IF NOT EXISTS sup_payments_by_payee
    ON sup_payments (generation, account_id, payee_key, value_date);

-- Snoozes (a rule for one subject, until a date).
CREATE TABLE IF NOT EXISTS sup_snoozes (
    generation INTEGER NOT NULL,
    snooze_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    until TEXT NOT NULL,
    PRIMARY KEY (generation, rule, subject_id),
    UNIQUE (generation, snooze_id)
);

-- Alerts: a stable id from rule + subject + trigger, so a replay raises each once.
CREATE TABLE IF NOT EXISTS alerts (
    generation INTEGER NOT NULL,
    alert_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    rule_version INTEGER NOT NULL,
    severity TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    community TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    evidence TEXT NOT NULL,
    explanation_zh TEXT NOT NULL,
    explanation_en TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    position BIGINT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    PRIMARY KEY (generation, alert_id)
);
CREATE INDEX IF NOT EXISTS alerts_by_place ON alerts (generation, community, raised_on);
CREATE INDEX IF NOT EXISTS alerts_by_complex ON alerts (generation, complex_id, raised_on);

-- Each lifecycle step of an alert: who, what and why (from the AlertCase events).
CREATE TABLE IF NOT EXISTS alert_steps (
    generation INTEGER NOT NULL,
    alert_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    step TEXT NOT NULL,
    principal TEXT NOT NULL,
    detail TEXT NOT NULL,
    step_on TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, alert_id, version)
);
