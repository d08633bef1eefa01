-- 0002 legal issues and the court docket (the same columns as SQLite's 0009): detections.issues is a JSON
-- array of issue keys, cases.issues a JSON object (issue key -> reports), cases.docket_link the matched or
-- admin-set CourtListener docket as a JSON object, NULL when there is none.
ALTER TABLE detections ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN issues TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN docket_link TEXT;
-- When casewatch last asked CourtListener about the case: it asks again only after new reports.
ALTER TABLE cases ADD COLUMN docket_checked_at TEXT;
-- A guild's alert filter on legal issues (a JSON array of issue keys; empty: every issue).
ALTER TABLE guild_settings ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
-- The legal-issue filter's index (as SQLite's 0009): one row per (case, issue), kept by a trigger from
-- cases.issues, carrying the case's updated_at for a newest-first walk.
CREATE TABLE case_issues (
    case_pk BIGINT NOT NULL REFERENCES cases (pk) ON DELETE CASCADE,
    issue TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C",
    PRIMARY KEY (case_pk, issue)
);
CREATE INDEX case_issues_walk ON case_issues (issue, updated_at DESC NULLS LAST, case_pk DESC);
CREATE FUNCTION casewatch_case_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM case_issues WHERE case_pk = NEW.pk;
    END IF;
    INSERT INTO case_issues (case_pk, issue, updated_at)
        SELECT NEW.pk, k, NEW.updated_at FROM jsonb_object_keys(NEW.issues::jsonb) AS k;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_issues AFTER INSERT OR UPDATE OF issues, updated_at ON cases
    FOR EACH ROW EXECUTE FUNCTION casewatch_case_issues();
INSERT INTO case_issues (case_pk, issue, updated_at)
    SELECT c.pk, k, c.updated_at FROM cases c, jsonb_object_keys(c.issues::jsonb) AS k;
