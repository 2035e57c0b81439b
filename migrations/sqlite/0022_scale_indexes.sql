-- Indexes for queries that a command or job runs and that read a growing table by another
-- column than its key (found by tests/suite/index_plans.rs on tables of about 50,000 rows).

-- The newest message a job delivered into a channel (the read-back of a retried job).
CREATE INDEX job_deliveries_by_channel ON job_deliveries (channel_id, message_id);
