-- Credentials and idempotency of the HTTP API (issue #3).

-- Bearer tokens: only a SHA-256 of the token is stored; scope per spec/api.md.
CREATE TABLE IF NOT EXISTS api_tokens (
    id text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    role text NOT NULL CHECK (role IN ('operator', 'committee', 'owner', 'regulator', 'bank')),
    complex_id uuid,
    member_id text,
    owner_key text,
    jurisdiction text,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- One row per (scope, Idempotency-Key): the request's hash and, once done, the
-- exact response, so a replay returns it byte for byte.
CREATE TABLE IF NOT EXISTS api_idempotency (
    scope text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    content_type text,
    body bytea,
    claimed_at timestamptz NOT NULL,
    completed_at timestamptz,
    PRIMARY KEY (scope, idempotency_key)
);
