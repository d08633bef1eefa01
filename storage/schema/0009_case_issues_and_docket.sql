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
