-- Credentials and idempotency of the HTTP API (issue #3).

-- Bearer tokens: only a SHA-256 of the token is stored; scope per spec/api.md.
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('operator', 'committee', 'owner', 'regulator', 'bank')),
    complex_id TEXT,
    member_id TEXT,
    owner_key TEXT,
    jurisdiction TEXT,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

-- One row per (scope, Idempotency-Key): the request's hash and, once done, the
-- exact response, so a replay returns it byte for byte.
CREATE TABLE IF NOT EXISTS api_idempotency (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    content_type TEXT,
    body BLOB,
    claimed_at TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (scope, idempotency_key)
);
