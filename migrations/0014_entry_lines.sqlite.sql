-- An account's entries, their pages and its balance on a date are read from the statements
-- read model (issue #13, item 5), not by replaying the account's stream: each line also keeps
-- what GET /v1/accounts/{id}/entries shows and the statements do not (ledger/views.py): the
-- stream version that made it (the order and the cursor), the entry's kind, the counterparty
-- as the event keeps it (a person sealed, revealed at the HTTP edge; the public, masked form
-- stays in ``party``), and when and by whom it was recorded.
-- Lines written before this migration have none of these (version IS NULL): while the serving
-- copy holds any, entries are answered from the ledger's streams as before, until
-- `commonfund rebuild statements` makes them all (docs/operations.md).
ALTER TABLE stmt_lines ADD COLUMN version INTEGER;
ALTER TABLE stmt_lines ADD COLUMN kind TEXT;
ALTER TABLE stmt_lines ADD COLUMN counterparty TEXT;
ALTER TABLE stmt_lines ADD COLUMN recorded_at TEXT;
ALTER TABLE stmt_lines ADD COLUMN recorded_by TEXT;
-- an account's lines in recording order: a page is one range of it
CREATE INDEX IF NOT EXISTS stmt_lines_by_account ON stmt_lines (generation, account_id, version);
-- whether a copy still holds lines made before this migration: one probe, empty once rebuilt
CREATE INDEX IF NOT EXISTS stmt_lines_unversioned ON stmt_lines (generation) WHERE version IS NULL;
