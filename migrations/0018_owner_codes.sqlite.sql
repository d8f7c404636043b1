-- One-time owner codes (issue #16): the committee or operator issues one per owner identity for
-- a ballot's scope; the platform delivers each; a code is exchanged once for an owner token.
-- Only a SHA-256 of the code is stored, like a token's.
CREATE TABLE IF NOT EXISTS owner_codes (
    code_hash TEXT PRIMARY KEY,
    complex_id TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    ballot_id TEXT,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    token_id TEXT
);
