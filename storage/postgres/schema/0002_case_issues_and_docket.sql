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
