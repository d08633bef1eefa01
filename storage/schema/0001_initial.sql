-- 0001 initial: feeds, articles, detections, cases, events, guild settings, subscriptions, outbox.
-- Times are ISO-8601 UTC strings ("2026-11-29T01:02:03+00:00") so they sort as text.

CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    operator INTEGER NOT NULL DEFAULT 1,      -- 1: configured by the operator; 0: only guilds own it
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    last_fetch_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due_at TEXT,
    interval_s INTEGER NOT NULL DEFAULT 900,
    disabled_reason TEXT,
    first_poll_done INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX feeds_due ON feeds (enabled, next_due_at);

-- Which guilds added a feed from Discord (a feed is fetched once however many guilds want it).
CREATE TABLE feed_owners (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    added_by INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, guild_id)
);
CREATE INDEX feed_owners_guild ON feed_owners (guild_id);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    url TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    published TEXT,
    fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    UNIQUE (feed_id, key)
);
CREATE INDEX articles_url ON articles (url);
CREATE INDEX articles_content ON articles (content_hash);

CREATE TABLE cases (
    pk INTEGER PRIMARY KEY,                     -- stable rowid for the FTS index
    id TEXT NOT NULL UNIQUE,                    -- the public, stable case id
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    platforms TEXT NOT NULL DEFAULT '[]',       -- JSON arrays
    counterparties TEXT NOT NULL DEFAULT '[]',
    court TEXT,
    docket TEXT,
    subjects TEXT NOT NULL DEFAULT '[]',
    keywords TEXT NOT NULL DEFAULT '[]',
    opened_at TEXT,
    updated_at TEXT,
    summary TEXT NOT NULL DEFAULT '',
    article_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_updated ON cases (updated_at);

-- Platform identity keys of each case, so grouping fetches candidates by index.
CREATE TABLE case_platforms (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    platform_key TEXT NOT NULL,
    updated_at TEXT,
    PRIMARY KEY (platform_key, case_id)
);
CREATE INDEX case_platforms_recent ON case_platforms (platform_key, updated_at);
CREATE INDEX case_platforms_case ON case_platforms (case_id);

CREATE TABLE detections (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    relevant INTEGER NOT NULL,
    score REAL NOT NULL,
    platforms TEXT NOT NULL DEFAULT '[]',
    counterparties TEXT NOT NULL DEFAULT '[]',
    action TEXT,
    stage TEXT,
    court TEXT,
    docket TEXT,
    subjects TEXT NOT NULL DEFAULT '[]',
    reasons TEXT NOT NULL DEFAULT '[]',
    case_id TEXT REFERENCES cases (id) ON DELETE SET NULL
);
CREATE INDEX detections_case ON detections (case_id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    at TEXT NOT NULL,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    url TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);

CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    alert_channel_id INTEGER,
    ping_role_id INTEGER,
    min_score REAL NOT NULL DEFAULT 0,
    platforms TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    include_keywords TEXT NOT NULL DEFAULT '[]',
    exclude_keywords TEXT NOT NULL DEFAULT '[]',
    digest TEXT NOT NULL DEFAULT 'off',        -- off | daily | weekly
    admin_channel_id INTEGER,
    updated_at TEXT NOT NULL
);

-- A user (DM) or a channel follows a case or a whole platform.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,                          -- NULL for a DM follow made outside a guild
    target_kind TEXT NOT NULL CHECK (target_kind IN ('user', 'channel')),
    target_id INTEGER NOT NULL,
    case_id TEXT,                              -- no FK: follows survive a reprocess that rebuilds cases
    platform_key TEXT,
    mode TEXT NOT NULL DEFAULT 'all' CHECK (mode IN ('all', 'status')),
    created_by INTEGER,
    created_at TEXT NOT NULL,
    CHECK ((case_id IS NULL) <> (platform_key IS NULL)),
    UNIQUE (target_kind, target_id, case_id, platform_key)
);
CREATE INDEX subscriptions_case ON subscriptions (case_id);
CREATE INDEX subscriptions_platform ON subscriptions (platform_key);
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);

-- The outbox: one row per message to send, written in the transaction that caused it.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                        -- new_case | status_update | development | digest | notice
    dedupe_key TEXT NOT NULL UNIQUE,           -- what makes the same delivery the same (idempotent enqueue)
    case_id TEXT,                              -- no FK: a delivery outlives a reprocess that rebuilds cases
    event_id INTEGER,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    guild_id INTEGER,
    target_kind TEXT NOT NULL,                 -- channel | user | console
    target_id INTEGER NOT NULL,
    ping_role_id INTEGER,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending',     -- pending | sent | failed (permanent) | skipped
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    message_id INTEGER,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX deliveries_pending ON deliveries (state, next_attempt_at);

-- The message that shows a case in a channel, edited when the case changes.
CREATE TABLE case_cards (
    case_id TEXT NOT NULL,                     -- no FK: cards survive a reprocess that rebuilds cases
    channel_id INTEGER NOT NULL,
    guild_id INTEGER,
    message_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (case_id, channel_id)
);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary, content = 'articles', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, summary ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO articles_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

-- Its own copy of the text (not external content): the parties column is derived from two JSON columns.
CREATE VIRTUAL TABLE cases_fts USING fts5 (
    title, parties, subjects, summary, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER cases_ai AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (rowid, title, parties, subjects, summary)
    VALUES (new.pk, new.title, new.platforms || ' ' || new.counterparties, new.subjects, new.summary);
END;
CREATE TRIGGER cases_ad AFTER DELETE ON cases BEGIN
    DELETE FROM cases_fts WHERE rowid = old.pk;
END;
CREATE TRIGGER cases_au AFTER UPDATE OF title, platforms, counterparties, subjects, summary ON cases BEGIN
    DELETE FROM cases_fts WHERE rowid = old.pk;
    INSERT INTO cases_fts (rowid, title, parties, subjects, summary)
    VALUES (new.pk, new.title, new.platforms || ' ' || new.counterparties, new.subjects, new.summary);
END;
