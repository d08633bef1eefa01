-- 0004 process roles (issue 13): poll workers and deliverers sharing one database.
--
-- * feeds.lease_owner / lease_until: a poll worker's short claim on a due feed (UPDATE ... FOR UPDATE
--   SKIP LOCKED); expired leases are free again, so a killed worker's feeds come back.
-- * host_slots: per-host politeness across processes: at most N slots per host (N is the fetcher's
--   per-host limit, CASEWATCH_PER_HOST_LIMIT), each held for one fetch with an expiry.
-- * deliveries.lease_owner / lease_until: a deliverer's claim on an outbox row.
-- * rate_buckets: token buckets shared by every process (Discord's global request budget per bot).
-- * job_runs: a periodic job's period key, inserted once: the job runs once per period across processes.
-- Lease times are the server's clock (now()), so workers on machines with skewed clocks agree.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until TIMESTAMPTZ;

CREATE TABLE host_slots (
    host TEXT COLLATE "C" NOT NULL,
    slot INTEGER NOT NULL,
    owner TEXT,
    until TIMESTAMPTZ,
    PRIMARY KEY (host, slot)
);

ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until TIMESTAMPTZ;
CREATE INDEX deliveries_due_claim ON deliveries (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE rate_buckets (
    name TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    owner TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job, period)
);
