-- The job queue's hot state apart from the job's description (see the PostgreSQL migration of
-- the same number for why). `jobs` keeps what is written once when a job is planned; `job_state`
-- holds what the queue changes. SQLite cannot drop columns named by a CHECK, so `jobs` is
-- rebuilt: the old table is renamed aside (nothing refers to it), its indexes dropped so their
-- names are free, and every row copied with its id.

ALTER TABLE jobs RENAME TO jobs_before_0023;
DROP INDEX jobs_due;
DROP INDEX jobs_leased;
DROP INDEX jobs_finished;
DROP INDEX jobs_by_relationship;

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    relationship_id  INTEGER,
    kind             TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL UNIQUE,
    payload          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);

-- A state row has the id of its job's row in `jobs`; the store writes and deletes the two
-- together, in one transaction. No foreign key: its check, a lookup per planned job, tripled
-- the time of inserting the states of a large plan on PostgreSQL.
CREATE TABLE job_state (
    id           INTEGER PRIMARY KEY,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);

INSERT INTO jobs (id, guild_id, relationship_id, kind, dedupe_key, payload, created_at)
SELECT id, guild_id, relationship_id, kind, dedupe_key, payload, created_at FROM jobs_before_0023;
INSERT INTO job_state (id, state, run_at, attempts, lease_owner, lease_until, last_error, updated_at, finished_at)
SELECT id, state, run_at, attempts, lease_owner, lease_until, last_error, updated_at, finished_at FROM jobs_before_0023;
DROP TABLE jobs_before_0023;

-- Claiming: due pending jobs in run_at order, and running jobs whose lease ran out.
CREATE INDEX job_state_due ON job_state (run_at, id) WHERE state = 'pending';
CREATE INDEX job_state_leased ON job_state (lease_until, id) WHERE state = 'running';
-- The purge reads finished jobs by age.
CREATE INDEX job_state_finished ON job_state (finished_at) WHERE state IN ('done', 'failed', 'cancelled');
-- Cancelling and listing the jobs of one relationship.
CREATE INDEX jobs_by_relationship ON jobs (guild_id, relationship_id);
