//! Running the durable jobs of [`crate::store::jobs`]: a [`Worker`] claims due jobs with a lease,
//! hands each to a [`JobHandler`], and records the outcome (done, retried later with backoff, or
//! failed for good) only while it still holds the lease.
//!
//! Tests drive [`Worker::tick`] with a manual clock (one claim-and-handle round, no sleeping);
//! production runs [`Worker::run`] until shutdown.
mod worker;

pub use crate::store::jobs::{Job, JobCounts, JobDelivery, JobId, JobState, JobStore, NewJob};
pub use worker::{default_owner, JobHandler, Outcome, RetryPolicy, TickReport, Worker, DEFAULT_HANDLER_TIMEOUT};
