-- What each job delivered, per recipient: a retry sends only to those not reached yet, also
-- after Discord has forgotten the nonce. Keyed by the job's dedupe key (the same key is never
-- planned twice), so the record outlives a revived or re-planned row.
CREATE TABLE job_deliveries (
    job_key     TEXT   NOT NULL,
    recipient   TEXT   NOT NULL,
    channel_id  BIGINT NOT NULL,
    message_id  BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (job_key, recipient)
);
-- Finished jobs are deleted after the retention period; a key planned again after its row was
-- deleted must not run again. Every deleted job was due before `purged_before`, so planning a
-- job due before it is refused. One row.
CREATE TABLE job_horizon (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    purged_before  BIGINT NOT NULL
);
-- The purge reads finished jobs by age.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'failed', 'cancelled');
