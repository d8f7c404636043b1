-- The maintenance fund's annual statement keeps versions (issue #12, H11): a movement dated
-- into a published year makes the next version, with a diff naming what changed and the
-- event that caused it; earlier versions stay as they were. Rows already published are
-- version 1.
ALTER TABLE mf_statements ADD COLUMN IF NOT EXISTS version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE mf_statements ADD COLUMN IF NOT EXISTS diff TEXT;
ALTER TABLE mf_statements DROP CONSTRAINT IF EXISTS mf_statements_pkey;
ALTER TABLE mf_statements ADD PRIMARY KEY (generation, complex_id, year, version);
