-- 0006 case merges: when grouping finds that two cases are one dispute, the younger case is folded into
-- the older one. Each merge is recorded here so an absorbed id keeps resolving to the case that carries
-- its reports (the Follow button on a card posted before the merge, an id pasted into /case show), and the
-- trigger moves everything of the absorbed case in the same statement: one write per merge instead of
-- nine round trips from Python. Redirects stay flat: when a survivor is itself absorbed later, the rows
-- that pointed at it are re-pointed at the new survivor.
CREATE TABLE case_merges (
    gone_id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    merged_at TEXT NOT NULL
);
CREATE INDEX case_merges_kept ON case_merges (kept_id);

CREATE TRIGGER case_merges_ai AFTER INSERT ON case_merges BEGIN
    UPDATE case_merges SET kept_id = new.kept_id WHERE kept_id = new.gone_id;
    UPDATE detections SET case_id = new.kept_id WHERE case_id = new.gone_id;
    -- UNIQUE does not catch these duplicates (platform_key is NULL), so drop them explicitly.
    DELETE FROM subscriptions WHERE case_id = new.gone_id AND EXISTS (
        SELECT 1 FROM subscriptions k WHERE k.case_id = new.kept_id
        AND k.target_kind = subscriptions.target_kind AND k.target_id = subscriptions.target_id
    );
    UPDATE subscriptions SET case_id = new.kept_id WHERE case_id = new.gone_id;
    -- A card the kept case already has in that channel wins; the absorbed case's duplicate goes.
    UPDATE OR IGNORE case_cards SET case_id = new.kept_id WHERE case_id = new.gone_id;
    DELETE FROM case_cards WHERE case_id = new.gone_id;
    UPDATE deliveries SET case_id = new.kept_id WHERE case_id = new.gone_id;
    DELETE FROM case_events WHERE case_id = new.gone_id;
    DELETE FROM case_platforms WHERE case_id = new.gone_id;
    DELETE FROM cases WHERE id = new.gone_id;
END;

-- A live case is never a redirect (ids are derived from the first report's URL, so reprocessing can
-- re-create an id that was once absorbed).
CREATE TRIGGER cases_live_not_merged AFTER INSERT ON cases BEGIN
    DELETE FROM case_merges WHERE gone_id = new.id;
END;
