-- The job queue's hot state apart from the job's description. A claim (pending -> running) and
-- an acknowledgement (running -> done) change `state`, which the partial indexes' conditions
-- name, so neither can be a HOT update: every one wrote a new entry into each index of the
-- table, the text dedupe_key and the per-relationship one included. `jobs` keeps what is
-- written once when a job is planned (and again only when a cancelled key is revived);
-- `job_state`, narrow and indexed only for claiming and purging, holds what the queue changes.
-- `jobs` keeps its name so that what reads a job's server, relationship, kind or key (the
-- privacy erasure, triggers in tests) reads it where it was; what reads a state now fails
-- loudly instead of reading a column that no longer moves.

-- A state row has the id of its job's row in `jobs`; the store writes and deletes the two
-- together, in one transaction. No foreign key: its check, a lookup per planned job, tripled
-- the time of inserting the states of a large plan on PostgreSQL.
CREATE TABLE job_state (
    id           BIGINT PRIMARY KEY,
    state        TEXT   NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  BIGINT,
    last_error   TEXT,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);

INSERT INTO job_state (id, state, run_at, attempts, lease_owner, lease_until, last_error, updated_at, finished_at)
SELECT id, state, run_at, attempts, lease_owner, lease_until, last_error, updated_at, finished_at FROM jobs;

DROP INDEX jobs_due;
DROP INDEX jobs_leased;
DROP INDEX jobs_finished;
DROP INDEX jobs_by_relationship;
-- The table's CHECK on state and lease goes with its columns.
ALTER TABLE jobs
    DROP COLUMN state,
    DROP COLUMN run_at,
    DROP COLUMN attempts,
    DROP COLUMN lease_owner,
    DROP COLUMN lease_until,
    DROP COLUMN last_error,
    DROP COLUMN updated_at,
    DROP COLUMN finished_at;

-- Claiming: due pending jobs in run_at order, and running jobs whose lease ran out.
CREATE INDEX job_state_due ON job_state (run_at, id) WHERE state = 'pending';
CREATE INDEX job_state_leased ON job_state (lease_until, id) WHERE state = 'running';
-- The purge reads finished jobs by age.
CREATE INDEX job_state_finished ON job_state (finished_at) WHERE state IN ('done', 'failed', 'cancelled');
-- Cancelling and listing the jobs of one relationship: its few rows here, their state by key.
CREATE INDEX jobs_by_relationship ON jobs (guild_id, relationship_id);
