-- Every change to a committee's stream is announced when it commits (issue #12): serving
-- processes hear it (LISTEN commonfund_committees) and read that committee fresh again, so
-- the member-in-office check (H15) and H02 need no round trip while nothing has changed.
-- The WHEN clause is evaluated without calling the function, so other events pay nothing;
-- it matches the class, not the module, so a moved module keeps its notices.
CREATE OR REPLACE FUNCTION commonfund_committee_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('commonfund_committees', NEW.originator_id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_events_committee_changed ON ledger_events;
CREATE TRIGGER ledger_events_committee_changed
    AFTER INSERT ON ledger_events
    FOR EACH ROW WHEN (NEW.topic LIKE '%:Committee.%')
    EXECUTE FUNCTION commonfund_committee_changed();
