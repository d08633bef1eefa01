-- 0010 forum channel mode (issue 14 item 1). An alert channel can be a forum: each case is then one forum
-- post (a thread whose first message is the case card). ``forum_posts`` remembers that post per (case,
-- forum) so a restart finds it again: ``thread_id`` / ``message_id`` are NULL while the post is being
-- created (``creating_since`` says when the bot asked Discord; a restart in that window looks for the post
-- before creating another), ``archived`` mirrors what the bot last set. ``guild_settings.alert_forum``
-- says the alert channel is a forum, so the router also sends it every development of a case.
CREATE TABLE forum_posts (
    case_id TEXT NOT NULL,                     -- no FK: posts survive a reprocess that rebuilds cases
    forum_id INTEGER NOT NULL,
    guild_id INTEGER,
    thread_id INTEGER,
    message_id INTEGER,
    archived INTEGER NOT NULL DEFAULT 0,
    creating_since TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (case_id, forum_id)
);
CREATE INDEX forum_posts_forum ON forum_posts (forum_id, updated_at);

ALTER TABLE guild_settings ADD COLUMN alert_forum INTEGER NOT NULL DEFAULT 0;

-- A merge moves the absorbed case's post to the kept case unless that one has a post in the forum already
-- (the kept case's post wins, as for case_cards in 0006).
CREATE TRIGGER forum_posts_merge AFTER INSERT ON case_merges BEGIN
    UPDATE OR IGNORE forum_posts SET case_id = new.kept_id WHERE case_id = new.gone_id;
    DELETE FROM forum_posts WHERE case_id = new.gone_id;
END;
