-- 0009 legal issues and the court docket. A detection keeps the legal questions it read (a JSON array of
-- issue keys, bot/data/legal_issues.tsv); a case keeps how many of its reports raised each one (a JSON
-- object, key -> reports), which the cards, /alerts filters and /case search read. ``docket_link`` is the
-- CourtListener docket a case was matched to (or that an admin set): a JSON object with the court, number,
-- filed date, link and the reason it was accepted; NULL when there is none.
ALTER TABLE detections ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN issues TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN docket_link TEXT;
-- When casewatch last asked CourtListener about the case: it asks again only after new reports.
ALTER TABLE cases ADD COLUMN docket_checked_at TEXT;
-- A guild's alert filter on legal issues (a JSON array of issue keys; empty: every issue).
ALTER TABLE guild_settings ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
-- The legal-issue filter's index: one row per (case, issue) its reports raise, kept by triggers from
-- cases.issues and carrying the case's updated_at, so "newest cases about encryption" walks this index
-- instead of reading every case (a rare issue read all 100k rows: 159 ms p50 on the web list).
CREATE TABLE case_issues (
    case_pk INTEGER NOT NULL REFERENCES cases (pk) ON DELETE CASCADE,
    issue TEXT NOT NULL,
    updated_at TEXT,
    PRIMARY KEY (case_pk, issue)
) WITHOUT ROWID;
CREATE INDEX case_issues_walk ON case_issues (issue, updated_at, case_pk);
CREATE TRIGGER case_issues_ai AFTER INSERT ON cases BEGIN
    INSERT INTO case_issues (case_pk, issue, updated_at)
        SELECT new.pk, j.key, new.updated_at FROM json_each(new.issues) j;
END;
CREATE TRIGGER case_issues_au AFTER UPDATE OF issues, updated_at ON cases BEGIN
    DELETE FROM case_issues WHERE case_pk = new.pk;
    INSERT INTO case_issues (case_pk, issue, updated_at)
        SELECT new.pk, j.key, new.updated_at FROM json_each(new.issues) j;
END;
INSERT INTO case_issues (case_pk, issue, updated_at)
    SELECT c.pk, j.key, c.updated_at FROM cases c, json_each(c.issues) j;
