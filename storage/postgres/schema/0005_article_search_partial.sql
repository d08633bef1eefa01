-- 0005 the article search index holds searchable articles only. Irrelevant articles (most of every
-- first poll) are stored without a search vector since the poll workers (issue 13), yet a GIN index
-- still files a NULL placeholder for each of them. A partial index skips them; search's
-- "search @@ query" implies "search IS NOT NULL" (the operator is strict), so it still uses the index.
DROP INDEX articles_search;
CREATE INDEX articles_search ON articles USING GIN (search) WHERE search IS NOT NULL;
