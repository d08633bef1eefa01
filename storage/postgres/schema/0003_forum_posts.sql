-- 0003 forum channel mode (the same table, column and merge rule as SQLite's 0010): one forum post per
-- (case, forum); thread_id / message_id are NULL while the post is being created (creating_since says
-- since when); guild_settings.alert_forum says the alert channel is a forum.
CREATE TABLE forum_posts (
    case_id TEXT COLLATE "C" NOT NULL,         -- no FK: posts survive a reprocess that rebuilds cases
    forum_id BIGINT NOT NULL,
    guild_id BIGINT,
    thread_id BIGINT,
    message_id BIGINT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    creating_since TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, forum_id)
);
CREATE INDEX forum_posts_forum ON forum_posts (forum_id, updated_at);

ALTER TABLE guild_settings ADD COLUMN alert_forum BOOLEAN NOT NULL DEFAULT FALSE;

CREATE FUNCTION casewatch_forum_posts_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE forum_posts g SET case_id = NEW.kept_id WHERE g.case_id = NEW.gone_id AND NOT EXISTS (
        SELECT 1 FROM forum_posts k WHERE k.case_id = NEW.kept_id AND k.forum_id = g.forum_id
    );
    DELETE FROM forum_posts WHERE case_id = NEW.gone_id;
    RETURN NULL;
END $$;
CREATE TRIGGER forum_posts_merge AFTER INSERT ON case_merges
    FOR EACH ROW EXECUTE FUNCTION casewatch_forum_posts_merge();
