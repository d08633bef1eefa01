-- 0006 deliverers at Discord's full rate (issue 13): a request budget that counts requests in flight,
-- and claims of whole targets.
--
-- * request_slots: Discord's global limit (50 requests in any second per bot) as N slots per bot. A
--   request takes a free slot before it goes out (until = now + a long hold, in case the process dies
--   with it) and gives it back once its answer came (until = now + 1 s): a slot is busy over every
--   instant at which Discord can still count its request in a sliding second, so at most N requests
--   ever fall in one second, however late or bunched they arrive. ``ticket`` tells a give-back from a
--   stale one (a slot whose hold ran out and that someone else took since). ``blocked_until``: a global
--   429's retry_after, written into every slot of the bot, so every deliverer pauses.
-- * deliverers: who is delivering now (renewed with each claim and heartbeat, dropped on exit), so a
--   deliverer takes its share of the targets with work and leaves the rest to the others.
-- * deliveries_pending_target: pending rows by target, for the claim's per-target checks.
-- * rate_buckets (0004's token bucket) is replaced by request_slots.
CREATE TABLE request_slots (
    name TEXT COLLATE "C" NOT NULL,
    slot INTEGER NOT NULL,
    ticket BIGINT NOT NULL DEFAULT 0,
    until TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    blocked_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (name, slot)
);

CREATE TABLE deliverers (
    owner TEXT PRIMARY KEY,
    until TIMESTAMPTZ NOT NULL
);

CREATE INDEX deliveries_pending_target ON deliveries (target_kind, target_id, id) WHERE state = 'pending';

DROP TABLE rate_buckets;
