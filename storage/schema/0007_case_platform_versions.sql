-- 0007 case versions in the platform index: grouping walks the ~200 newest cases of a platform for every
-- new article. The walk used to read each case_platforms row from the table (for case_id) and then look
-- its version up in cases_version: two scattered page reads per candidate, about 400 pages per walk, far
-- more than SQLite's page cache keeps across the platforms of a busy feed day. With the version copied
-- here, the walk reads a few contiguous pages of one covering index.
--
-- The copy is kept equal to cases.version by triggers, so no writer (repositories, tools, raw SQL) can
-- leave it stale: the decoded-case cache trusts (id, version) pairs read from this index.
ALTER TABLE case_platforms ADD COLUMN version INTEGER;
UPDATE case_platforms SET version = (SELECT version FROM cases WHERE cases.id = case_platforms.case_id);

DROP INDEX case_platforms_recent;
-- Newest first; on equal updated_at the later row (rowid) first, as before: SQLite walks the index for
-- updated_at and sorts only each run of ties by rowid ("RIGHT PART OF ORDER BY").
CREATE INDEX case_platforms_walk ON case_platforms (platform_key, updated_at, case_id, version);

-- A new platform row takes its case's version (the repository already writes it; this covers any other
-- writer, and costs one indexed comparison when the value is already right).
CREATE TRIGGER case_platforms_version_ai AFTER INSERT ON case_platforms
WHEN new.version IS NOT (SELECT version FROM cases WHERE id = new.case_id) BEGIN
    UPDATE case_platforms SET version = (SELECT version FROM cases WHERE id = new.case_id)
    WHERE rowid = new.rowid;
END;
-- Every new version of a case (set by the 0005 triggers on any write of its row) reaches its platform rows.
CREATE TRIGGER cases_version_to_platforms AFTER UPDATE OF version ON cases BEGIN
    UPDATE case_platforms SET version = new.version WHERE case_id = new.id;
END;
