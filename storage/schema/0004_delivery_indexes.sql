-- 0004 delivery indexes: a case merge re-points the outbox rows of the absorbed case and an article
-- deletion nulls the outbox rows that named it; without these indexes both scanned the whole outbox,
-- which only grows (sent rows are kept as the record that an alert went out).
CREATE INDEX IF NOT EXISTS deliveries_case ON deliveries (case_id);
CREATE INDEX IF NOT EXISTS deliveries_article ON deliveries (article_id);
