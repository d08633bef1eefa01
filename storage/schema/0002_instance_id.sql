-- 0002 instance id: a random id per database, part of every Discord nonce, so a wiped or replaced
-- database (whose outbox ids start again at 1) never reuses a nonce Discord still remembers.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('instance_id', lower(hex(randomblob(3))));
