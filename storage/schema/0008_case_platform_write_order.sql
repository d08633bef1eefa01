-- 0008 write order in the platform index: on equal updated_at the shortlist puts the later-written
-- platform row first (rowid DESC). An index cannot hold the rowid as a sort column, so SQLite sorted
-- every run of ties on the side, which was more than half of each walk's cost (0.16 -> 0.07 ms for 200
-- rows). ``seq`` is the row's rowid, written with the row (a trigger covers any other writer), and the
-- walk is now a plain backwards scan of one covering index.
ALTER TABLE case_platforms ADD COLUMN seq INTEGER;
UPDATE case_platforms SET seq = rowid;

DROP INDEX case_platforms_walk;
CREATE INDEX case_platforms_walk ON case_platforms (platform_key, updated_at, seq, case_id, version);

CREATE TRIGGER case_platforms_seq_ai AFTER INSERT ON case_platforms WHEN new.seq IS NOT new.rowid BEGIN
    UPDATE case_platforms SET seq = new.rowid WHERE rowid = new.rowid;
END;
