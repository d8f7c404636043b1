-- Signed webhooks for regulators (issue #5): subscriptions and the delivery outbox.

-- A regulator's subscription: where to POST, with which secret, and for which alerts.
-- The secret is kept (not a hash) because every delivery is signed with it.
-- since_position is the ledger head at subscription: only alerts raised by a later
-- event are delivered, so a rebuild of the read model never sends older ones.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    community_prefix TEXT NOT NULL,
    severities TEXT NOT NULL,
    rules TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    since_position INTEGER NOT NULL
);

-- The outbox: one row per (subscription, alert), written in the transaction that raised
-- the alert; its id is uuid5(subscription, alert), so a replay never enqueues twice.
-- (SQLite does not enforce the foreign key here: unsubscribing deletes the rows itself.)
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    alert_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subscription
    ON webhook_deliveries (subscription_id, created_at);
