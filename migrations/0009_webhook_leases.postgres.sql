-- Webhooks deliver to each subscription independently (issue #12): while one of its
-- deliveries is being attempted the subscription is leased (until this time, then the
-- lease expires if its worker died), so a receiver that hangs holds one sender, never
-- the others' deliveries, and gets at most one attempt at a time. NULL: none in flight.
ALTER TABLE webhook_subscriptions ADD COLUMN IF NOT EXISTS leased_until timestamptz;
