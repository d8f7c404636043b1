-- The maintenance fund's annual statement keeps versions (issue #12, H11): a movement dated
-- into a published year makes the next version, with a diff naming what changed and the
-- event that caused it; earlier versions stay as they were. Rows already published are
-- version 1. SQLite cannot change a primary key in place: the table is made again.
CREATE TABLE mf_statements_versions (
    generation INTEGER NOT NULL,
    complex_id TEXT NOT NULL,
    year TEXT NOT NULL,
    position INTEGER NOT NULL,
    through INTEGER NOT NULL,
    published_on TEXT NOT NULL,
    published_by TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    hash_matches INTEGER NOT NULL,
    content TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    diff TEXT,
    PRIMARY KEY (generation, complex_id, year, version)
);
INSERT INTO mf_statements_versions (generation, complex_id, year, position, through,
    published_on, published_by, content_hash, hash_matches, content)
    SELECT generation, complex_id, year, position, through, published_on, published_by,
        content_hash, hash_matches, content FROM mf_statements;
DROP TABLE mf_statements;
ALTER TABLE mf_statements_versions RENAME TO mf_statements;
