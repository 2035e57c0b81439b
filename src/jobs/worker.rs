use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::clock::Clock;
use crate::store::jobs::{Job, JobStore};
use crate::store::StoreResult;

/// What a handler made of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled (or deliberately dropped, e.g. a reminder whose meeting has passed).
    Done,
    /// A temporary failure (Discord unavailable, rate limited): try again later, with backoff.
    Retry { error: String },
    /// A permanent failure (the member left, DMs closed): never try again.
    Failed { error: String },
}

/// Does the work of one job. A handler may be called again for a job it already handled, when
/// its process died before the acknowledgement was stored: what it sends must carry
/// [`Job::nonce`] (Discord's `enforce_nonce`) so the second call posts nothing new.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn handle(&self, job: &Job) -> Outcome;
}

/// When to try again after a temporary failure, and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first attempt; doubled after each further one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// After this many attempts a job fails instead of being retried. A job claimed more often
    /// than this (its holders kept dying) fails without being handled again.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(60 * 60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after attempt number `attempt` (1 for the first) failed:
    /// `base × 2^(attempt − 1)`, at most `cap`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(40);
        self.base.saturating_mul(1u32 << doublings.min(31)).min(self.cap)
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Jobs claimed this round.
    pub claimed: usize,
    pub done: usize,
    /// Back to pending, due after the backoff.
    pub retried: usize,
    /// Failed for good (a permanent error, or too many attempts).
    pub failed: usize,
    /// Handled, but the lease had been lost before the outcome could be stored: another owner
    /// holds the job now.
    pub lost: usize,
    /// Claimed but not started because of shutdown, and given back.
    pub released: usize,
    /// The outcome could not be stored (database error) or the handler panicked; the job stays
    /// held until its lease runs out, then is claimed again.
    pub errors: usize,
}

/// Stops the heartbeat when the round ends, also when the round itself is dropped (a killed
/// worker must not keep its leases alive).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Finished {
    Done,
    Retried,
    Failed,
    Lost,
    Error,
}

/// A unique owner name for this process: its pid and a part that differs between starts.
pub fn default_owner() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("mentorbot-{}-{:x}", std::process::id(), nanos & 0xFFFF_FFFF_FFFF)
}

struct Inner {
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    owner: String,
    lease: Duration,
    handler: Arc<dyn JobHandler>,
    retry: RetryPolicy,
    heartbeat: Duration,
    handler_timeout: Duration,
}

/// How long a handler may run before it is abandoned and its job retried (a request that never
/// answers must not hold a job, or a worker, for ever).
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(120);

/// Claims and handles jobs for one owner.
pub struct Worker {
    inner: Arc<Inner>,
    batch: u32,
    concurrency: usize,
    poll_interval: Duration,
}

impl Worker {
    /// `owner` must be unique per process (see [`default_owner`]); `lease` must be well within the
    /// few minutes Discord keeps nonces; `batch` is how many jobs one round claims.
    pub fn new(
        store: Arc<dyn JobStore>,
        clock: Arc<dyn Clock>,
        owner: String,
        lease: Duration,
        batch: u32,
        handler: Arc<dyn JobHandler>,
    ) -> Worker {
        Worker {
            inner: Arc::new(Inner {
                store,
                clock,
                owner,
                lease,
                handler,
                retry: RetryPolicy::default(),
                heartbeat: (lease / 3).max(Duration::from_millis(10)),
                handler_timeout: DEFAULT_HANDLER_TIMEOUT,
            }),
            batch: batch.max(1),
            concurrency: 8,
            poll_interval: Duration::from_secs(1),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Worker {
        Arc::get_mut(&mut self.inner).expect("configured before use").retry = retry;
        self
    }

    /// How often the leases of the jobs this worker holds (running or waiting for their turn in
    /// the round) are extended (default: a third of the lease).
    pub fn with_heartbeat(mut self, every: Duration) -> Worker {
        Arc::get_mut(&mut self.inner).expect("configured before use").heartbeat = every.max(Duration::from_millis(1));
        self
    }

    /// How long a handler may run before it is abandoned and its job retried with backoff
    /// (default [`DEFAULT_HANDLER_TIMEOUT`]).
    pub fn with_handler_timeout(mut self, limit: Duration) -> Worker {
        Arc::get_mut(&mut self.inner)
            .expect("configured before use")
            .handler_timeout = limit.max(Duration::from_millis(1));
        self
    }

    /// How many jobs of a round are handled at the same time (default 8).
    pub fn with_concurrency(mut self, concurrency: usize) -> Worker {
        self.concurrency = concurrency.max(1);
        self
    }

    /// How long [`Worker::run`] waits when a round found less than a full batch (default 1 s).
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Worker {
        self.poll_interval = poll_interval;
        self
    }

    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// One round: claims up to `batch` due jobs at the clock's time, handles them, stores each
    /// outcome, and returns what happened.
    pub async fn tick(&self) -> StoreResult<TickReport> {
        self.round(None).await
    }

    /// Runs rounds until `shutdown` turns true (or its sender is dropped): a new round at once
    /// after a full batch, otherwise after the poll interval. On shutdown it starts no new job,
    /// lets the running ones finish, and gives back what it holds.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let owner = self.inner.owner.clone();
        tracing::info!(%owner, "job worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let full = match self.round(Some(&shutdown)).await {
                Ok(report) => report.claimed >= self.batch as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming jobs failed; trying again after the poll interval");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll_interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        match self.inner.store.release(&owner, self.inner.clock.now()).await {
            Ok(n) => tracing::info!(%owner, released = n, "job worker stopped"),
            Err(e) => {
                tracing::warn!(%owner, error = %e, "job worker stopped; giving back its jobs failed (their leases will run out)")
            }
        }
    }

    async fn round(&self, shutdown: Option<&watch::Receiver<bool>>) -> StoreResult<TickReport> {
        let inner = &self.inner;
        let jobs = inner
            .store
            .claim(&inner.owner, inner.clock.now(), inner.lease, self.batch)
            .await?;
        let mut report = TickReport {
            claimed: jobs.len(),
            ..TickReport::default()
        };
        if jobs.is_empty() {
            return Ok(report);
        }
        // Every job of the round keeps its lease while the round lasts, also the ones waiting
        // for a free slot: otherwise another process would take them over and both would send.
        let heartbeat = {
            let inner = inner.clone();
            AbortOnDrop(tokio::spawn(async move {
                let mut beat = tokio::time::interval(inner.heartbeat);
                beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                beat.tick().await; // the first tick is immediate
                loop {
                    beat.tick().await;
                    if let Err(e) = inner
                        .store
                        .extend_leases(&inner.owner, inner.clock.now(), inner.lease)
                        .await
                    {
                        tracing::warn!(error = %e, "extending the leases failed");
                    }
                }
            }))
        };
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        let mut unstarted = 0;
        for job in jobs {
            let permit = permits
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            if shutdown.is_some_and(|s| *s.borrow()) {
                unstarted += 1;
                continue;
            }
            let span =
                tracing::info_span!("job", id = %job.id, kind = %job.kind, guild = %job.guild, attempt = job.attempts);
            let inner = inner.clone();
            running.spawn(
                async move {
                    let _permit = permit;
                    inner.process(job).await
                }
                .instrument(span),
            );
        }
        while let Some(finished) = running.join_next().await {
            match finished {
                Ok(Finished::Done) => report.done += 1,
                Ok(Finished::Retried) => report.retried += 1,
                Ok(Finished::Failed) => report.failed += 1,
                Ok(Finished::Lost) => report.lost += 1,
                Ok(Finished::Error) => report.errors += 1,
                Err(e) => {
                    tracing::error!(error = %e, "a job handler panicked; the job runs again when its lease runs out");
                    report.errors += 1;
                }
            }
        }
        drop(heartbeat);
        if unstarted > 0 {
            // Everything still held now was never started (the finished ones are recorded).
            report.released = inner.store.release(&inner.owner, inner.clock.now()).await? as usize;
        }
        Ok(report)
    }
}

impl Inner {
    async fn process(&self, job: Job) -> Finished {
        if job.attempts > self.retry.max_attempts {
            let error = format!(
                "abandoned: claimed {} times without an outcome (its holders stopped)",
                job.attempts
            );
            tracing::warn!(%error, "giving up on the job");
            return self.store_outcome(&job, Outcome::Failed { error }).await;
        }
        let outcome = self.handle_holding_lease(&job).await;
        let outcome = match outcome {
            Outcome::Retry { error } if job.attempts >= self.retry.max_attempts => Outcome::Failed {
                error: format!("gave up after {} attempts: {error}", job.attempts),
            },
            other => other,
        };
        self.store_outcome(&job, outcome).await
    }

    /// Runs the handler for at most the handler timeout; one that runs longer is abandoned (its
    /// future dropped, so it sends nothing more) and the job retried.
    async fn handle_holding_lease(&self, job: &Job) -> Outcome {
        match tokio::time::timeout(self.handler_timeout, self.handler.handle(job)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::warn!(limit = ?self.handler_timeout, "the job ran past its time limit; abandoned");
                Outcome::Retry {
                    error: format!("abandoned after {} s", self.handler_timeout.as_secs_f64()),
                }
            }
        }
    }

    async fn store_outcome(&self, job: &Job, outcome: Outcome) -> Finished {
        let now = self.clock.now();
        let (stored, finished) = match &outcome {
            Outcome::Done => (self.store.ack(job.id, &self.owner, now).await, Finished::Done),
            Outcome::Retry { error } => {
                let delay = self.retry.delay(job.attempts);
                let run_at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                tracing::info!(%error, %run_at, "temporary failure; trying again later");
                (
                    self.store.retry(job.id, &self.owner, run_at, error, now).await,
                    Finished::Retried,
                )
            }
            Outcome::Failed { error } => {
                tracing::warn!(%error, "the job failed");
                (self.store.fail(job.id, &self.owner, error, now).await, Finished::Failed)
            }
        };
        match stored {
            Ok(true) => {
                tracing::debug!(?outcome, "job finished");
                finished
            }
            Ok(false) => {
                tracing::warn!(
                    ?outcome,
                    "the lease was lost before the outcome was stored; another owner holds the job"
                );
                Finished::Lost
            }
            Err(e) => {
                tracing::error!(error = %e, ?outcome, "storing the outcome failed; the job runs again when its lease runs out");
                Finished::Error
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(100),
            max_attempts: 5,
        };
        let delays: Vec<u64> = (1..=6).map(|a| p.delay(a).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 100, 100]);
        assert_eq!(p.delay(0).as_secs(), 10);
        assert_eq!(p.delay(u32::MAX).as_secs(), 100);
    }
}
