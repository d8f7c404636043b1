-- One statement appends a command's events, with its request's stored answer when it has one
-- (issue #15, commonfund/recorders.py). The events table's EXCLUSIVE lock (commit order =
-- notification order, so no follower misses an event) is taken inside the statement and let
-- go at its commit, which an autocommit session makes as the statement ends: the lock is held
-- for the server's work only, never across a round trip to a client process. The answer's row
-- is inserted before the lock is asked for, so a statement holding the lock never waits for
-- a key; a key already taken fails the statement whole (unique violation on api_idempotency).
CREATE OR REPLACE FUNCTION commonfund_append_events(
    events stored_event_uuid[],
    answer_scope text,
    answer_key text,
    answer_hash text,
    answer_status integer,
    answer_type text,
    answer_body bytea,
    answer_at timestamptz
) RETURNS SETOF bigint
LANGUAGE plpgsql
AS $$
BEGIN
    IF answer_scope IS NOT NULL THEN
        INSERT INTO api_idempotency (
            scope, idempotency_key, request_hash, status_code, content_type, body,
            claimed_at, completed_at
        ) VALUES (
            answer_scope, answer_key, answer_hash, answer_status, answer_type, answer_body,
            answer_at, answer_at
        );
    END IF;
    LOCK TABLE ledger_events IN EXCLUSIVE MODE;
    NOTIFY ledger_events;
    RETURN QUERY
        INSERT INTO ledger_events AS t (originator_id, originator_version, topic, state)
        SELECT e.originator_id, e.originator_version, e.topic, e.state FROM unnest(events) AS e
        RETURNING t.notification_id;
END;
$$;
