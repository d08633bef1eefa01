-- 0002 legal issues and the court docket (the same columns as SQLite's 0009): detections.issues is a JSON
-- array of issue keys, cases.issues a JSON object (issue key -> reports), cases.docket_link the matched or
-- admin-set CourtListener docket as a JSON object, NULL when there is none.
ALTER TABLE detections ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN issues TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN docket_link TEXT;
