-- Resolutions under challenge in court (issue #16, SPC interpretation art. 12; rule V06): one
-- row per resolution while a suit a court accepted is pending, deleted when it is dismissed,
-- withdrawn or the resolution revoked. A repair project keeps the resolution it cites, so its
-- payouts can be judged against it; projects planned before this read '' until a rebuild.
CREATE TABLE IF NOT EXISTS sup_challenges (
    generation INTEGER NOT NULL,
    resolution_id TEXT NOT NULL,
    complex_id TEXT NOT NULL,
    court TEXT NOT NULL,
    case_number TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (generation, resolution_id)
);
ALTER TABLE sup_projects ADD COLUMN resolution_id TEXT NOT NULL DEFAULT '';
