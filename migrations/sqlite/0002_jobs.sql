-- The durable job queue: every message the bot will send later is a row here, not a timer in
-- memory. A job is claimed with a lease (lease_owner, lease_until), acknowledged only by the
-- holder of that lease, and reclaimed by anyone once the lease has run out. Times are UTC
-- milliseconds since the Unix epoch; payload is JSON text.
--
-- dedupe_key names one relationship, occurrence and kind of message, so planning the jobs of an
-- occurrence twice creates them once. A cancelled job's key may be planned again (it is revived);
-- a pending, running, done or failed one may not.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    relationship_id  INTEGER,
    kind             TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL UNIQUE,
    payload          TEXT    NOT NULL,
    run_at           INTEGER NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);
-- Claiming: due pending jobs in run_at order, and running jobs whose lease ran out. Partial
-- indexes on the state stay small (finished jobs are not in them), and a job moving on to done
-- adds no entry to either.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (lease_until, id) WHERE state = 'running';
-- Cancelling and listing the jobs of one relationship.
CREATE INDEX jobs_by_relationship ON jobs (guild_id, relationship_id, run_at);
