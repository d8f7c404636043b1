-- One-time owner codes (issue #16): the committee or operator issues one per owner identity for
-- a ballot's scope; the platform delivers each; a code is exchanged once for an owner token.
-- Only a SHA-256 of the code is stored, like a token's.
CREATE TABLE IF NOT EXISTS owner_codes (
    code_hash text PRIMARY KEY,
    complex_id uuid NOT NULL,
    owner_key text NOT NULL,
    ballot_id text,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    token_id text
);
