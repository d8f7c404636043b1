-- Signed webhooks for regulators (issue #5): subscriptions and the delivery outbox.

-- A regulator's subscription: where to POST, with which secret, and for which alerts.
-- The secret is kept (not a hash) because every delivery is signed with it.
-- since_position is the ledger head at subscription: only alerts raised by a later
-- event are delivered, so a rebuild of the read model never sends older ones.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    id text PRIMARY KEY,
    url text NOT NULL,
    secret text NOT NULL,
    jurisdiction text NOT NULL,
    community_prefix text NOT NULL,
    severities text NOT NULL,
    rules text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    since_position bigint NOT NULL
);

-- The outbox: one row per (subscription, alert), written in the transaction that raised
-- the alert; its id is uuid5(subscription, alert), so a replay never enqueues twice.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id text PRIMARY KEY,
    subscription_id text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    alert_id text NOT NULL,
    position bigint NOT NULL,
    body text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status_code integer,
    last_error text,
    delivered_at timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subscription
    ON webhook_deliveries (subscription_id, created_at);
