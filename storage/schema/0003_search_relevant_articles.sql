-- 0003 search relevant articles only: articles_fts indexed every stored article, though nine in ten are
-- ordinary news nobody searches; indexing them was a large share of the cost of storing a first poll.
-- The index now holds only the articles detection marks relevant, keyed by article id. It keeps its own
-- copy of the text (not external content) so a row can be removed by rowid alone, whatever happened to
-- the article row, and so it can never disagree with a content table it does not mirror in full.
DROP TRIGGER articles_ai;
DROP TRIGGER articles_ad;
DROP TRIGGER articles_au;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (rowid, title, summary)
SELECT a.id, a.title, a.summary FROM articles a JOIN detections d ON d.article_id = a.id WHERE d.relevant = 1;

-- An article enters the index when its detection says relevant (insert, or an upsert that flips it).
CREATE TRIGGER detections_fts_ai AFTER INSERT ON detections WHEN new.relevant = 1 BEGIN
    INSERT INTO articles_fts (rowid, title, summary)
    SELECT id, title, summary FROM articles WHERE id = new.article_id;
END;
CREATE TRIGGER detections_fts_au AFTER UPDATE OF relevant, article_id ON detections
WHEN new.relevant IS NOT old.relevant OR new.article_id IS NOT old.article_id BEGIN
    DELETE FROM articles_fts WHERE rowid = old.article_id;
    INSERT INTO articles_fts (rowid, title, summary)
    SELECT id, title, summary FROM articles WHERE id = new.article_id AND new.relevant = 1;
END;
CREATE TRIGGER detections_fts_ad AFTER DELETE ON detections WHEN old.relevant = 1 BEGIN
    DELETE FROM articles_fts WHERE rowid = old.article_id;
END;
-- The article side: its row going away (with or without the foreign-key cascade) or its text changing.
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
END;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, summary ON articles
WHEN EXISTS (SELECT 1 FROM detections WHERE article_id = new.id AND relevant = 1) BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
    INSERT INTO articles_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
