//! The durable job queue: work the bot does later (reminders, prompts) is rows in the database,
//! not timers in memory, so a crash or a restart loses none of it and does none of it twice.
//!
//! A job is *claimed* with a lease by one owner (a process), and only the holder of the lease may
//! acknowledge it, retry it or fail it. A lease that runs out (its holder died or hung) makes the
//! job claimable again by anyone. On PostgreSQL several processes claim from the same table and
//! never get the same job (`FOR UPDATE SKIP LOCKED`); SQLite serves one process.
//!
//! What a lost lease means for the sender: the job may run again after the lease runs out, so the
//! sender passes [`Job::nonce`] (or [`Job::nonce_for`]) to Discord with `enforce_nonce`, and
//! Discord returns the first message instead of posting a second. Discord keeps nonces for a few
//! minutes only, so leases must be much shorter than that (the worker uses one minute by default
//! and extends it while a job runs).
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreResult;
use crate::domain::ids::{GuildId, RelationshipId};

/// A job's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its `run_at`.
    Pending,
    /// Claimed by `lease_owner` until `lease_until`.
    Running,
    /// Handled and acknowledged.
    Done,
    /// Given up: a permanent error, or too many attempts.
    Failed,
    /// No longer wanted (the relationship ended, the schedule changed).
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Done, failed and cancelled jobs never run again.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Cancelled)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub guild: GuildId,
    /// The relationship the job belongs to, so it can be cancelled with it.
    pub relationship: Option<RelationshipId>,
    /// What the handler does, e.g. `reminder`, `did_you_meet`, `retrospective`.
    pub kind: String,
    /// One per relationship, occurrence and kind of message, e.g.
    /// `reminder:rel42:2026-03-02T17:30Z:24h`. Planning the same key twice creates one job.
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub guild: GuildId,
    pub relationship: Option<RelationshipId>,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub state: JobState,
    /// How many times it was claimed (this claim included, for a running job).
    pub attempts: u32,
    /// The owner holding it (running), or the last one that held it.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// The nonce the sender passes to Discord with `enforce_nonce`: the same for every attempt of
    /// this job (it depends on the id only), at most 25 characters as Discord requires.
    pub fn nonce(&self) -> String {
        format!("mbj{}", base36(self.id.0 as u64))
    }

    /// A nonce for one of several messages the job sends (one per recipient, say): stable across
    /// attempts, distinct per `part`, at most 25 characters.
    pub fn nonce_for(&self, part: u64) -> String {
        format!(
            "mbj{}.{}",
            base36(self.id.0 as u64),
            base36(fnv1a(part) & 0xFF_FFFF_FFFF)
        )
    }
}

fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii digits")
}

/// FNV-1a: a hash that stays the same across Rust releases, unlike `DefaultHasher`.
fn fnv1a(v: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One message a job delivered: to whom (the sender's name for the recipient, e.g. `u<user id>`),
/// where, and Discord's id of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDelivery {
    pub recipient: String,
    pub channel: u64,
    pub message: u64,
    pub sent_at: DateTime<Utc>,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl JobCounts {
    pub fn get(&self, state: JobState) -> u64 {
        match state {
            JobState::Pending => self.pending,
            JobState::Running => self.running,
            JobState::Done => self.done,
            JobState::Failed => self.failed,
            JobState::Cancelled => self.cancelled,
        }
    }

    pub fn total(&self) -> u64 {
        self.pending + self.running + self.done + self.failed + self.cancelled
    }
}

/// The job queue. Implemented by both backends with the same SQL (`jobs_sql.rs`).
///
/// Every change to a claimed job names its `owner` and happens only while that owner still holds
/// the job (state running, `lease_owner = owner`); otherwise it returns `false` and changes
/// nothing: the lease was lost and someone else may have the job now. Owners must be unique per
/// process (the worker adds the process id and a random part).
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Plans a job. `None` when a job with the same dedupe key exists already (pending, running,
    /// done or failed); a cancelled one with that key is revived with the new values. Also
    /// `None` for a job due before the purge horizon (see [`JobStore::purge_finished`]).
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Option<JobId>>;

    /// Plans several jobs in one transaction; one answer per job, in order. A key given twice in
    /// the same call is planned once (the first).
    async fn enqueue_many(&self, jobs: &[NewJob], now: DateTime<Utc>) -> StoreResult<Vec<Option<JobId>>>;

    /// Claims up to `limit` jobs for `owner`: pending jobs due at `now` and running jobs whose lease
    /// ran out, earliest `run_at` first. Each becomes running, held by `owner` for `lease`, with
    /// one more attempt. Two claimers never get the same job.
    ///
    /// Due times are on `now` (the injected clock); leases are set and checked on the database's
    /// clock (PostgreSQL's `clock_timestamp()`, the SQLite process's clock), so processes with
    /// different clocks agree on them, and a test moving its clock ahead makes jobs due without
    /// expiring the leases of running ones.
    async fn claim(&self, owner: &str, now: DateTime<Utc>, lease: Duration, limit: u32) -> StoreResult<Vec<Job>>;

    /// Marks the job done if `owner` still holds it.
    async fn ack(&self, id: JobId, owner: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// [`JobStore::ack`] for many jobs in one statement per chunk; returns the ids acknowledged.
    async fn ack_many(&self, ids: &[JobId], owner: &str, now: DateTime<Utc>) -> StoreResult<Vec<JobId>>;

    /// Back to pending, due at `run_at`, after a temporary failure, if `owner` still holds it.
    async fn retry(
        &self,
        id: JobId,
        owner: &str,
        run_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Failed for good, if `owner` still holds it.
    async fn fail(&self, id: JobId, owner: &str, error: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Holds the job until the database's clock plus `lease`, if `owner` still holds it.
    async fn extend_lease(&self, id: JobId, owner: &str, now: DateTime<Utc>, lease: Duration) -> StoreResult<bool>;

    /// Holds every job `owner` holds until the database's clock plus `lease` (the worker's
    /// heartbeat: the jobs of a round still waiting for their turn keep their leases too).
    /// Returns how many.
    async fn extend_leases(&self, owner: &str, now: DateTime<Utc>, lease: Duration) -> StoreResult<u64>;

    /// Whether `owner` still holds the job with a lease that has not run out by the database's
    /// clock. A sender asks before each message, so a worker that lost its lease stops.
    async fn holds(&self, id: JobId, owner: &str) -> StoreResult<bool>;

    /// What the job with this dedupe key delivered so far, by recipient.
    async fn deliveries(&self, job_key: &str) -> StoreResult<Vec<JobDelivery>>;

    /// Records that the job with this key reached `recipient` (message `message` in `channel`).
    /// `false` when it was recorded before (the first record stays).
    async fn record_delivery(
        &self,
        job_key: &str,
        recipient: &str,
        channel: u64,
        message: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The newest message recorded as delivered in `channel` by any job: a read-back looks only
    /// at messages after it.
    async fn last_delivered_in(&self, channel: u64) -> StoreResult<Option<u64>>;

    /// Deletes up to `limit` finished (done, failed, cancelled) jobs that finished and were due
    /// before `before`, with their delivery records, and from then on refuses to plan jobs due
    /// before `before`, so no deleted key is planned and run again. Returns how many.
    async fn purge_finished(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;

    /// Gives back every job `owner` holds (graceful shutdown): pending again, due as before, with
    /// the attempt that never ran taken back. Returns how many.
    async fn release(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Cancels the pending jobs of a relationship (it ended). Running jobs finish. Returns how many.
    async fn cancel_pending_for_relationship(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Cancels the pending jobs of a relationship due at or after `after`, optionally only the
    /// kinds starting with `kind_prefix` (replanning after a schedule change). Returns how many.
    async fn cancel_pending_after(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        kind_prefix: Option<&str>,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Cancels the pending jobs of a relationship whose dedupe key starts with `key_prefix` (the
    /// jobs of one check-in, say). Returns how many.
    async fn cancel_pending_with_key_prefix(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        key_prefix: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Deletes the pending job with this key, which is no longer needed (an outbox's job whose
    /// work was done at once); `false` when there is none pending (a worker took it: it runs).
    async fn drop_pending(&self, key: &str) -> StoreResult<bool>;

    async fn job(&self, id: JobId) -> StoreResult<Option<Job>>;

    /// Every job of a relationship, by `run_at` then id.
    async fn jobs_for_relationship(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Job>>;

    /// Jobs by state, in one guild or in all.
    async fn counts(&self, guild: Option<GuildId>) -> StoreResult<JobCounts>;

    /// Pending jobs whose time has come at `now` (waiting for a worker), in all guilds.
    async fn count_due(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64) -> Job {
        let t = DateTime::from_timestamp_millis(0).unwrap();
        Job {
            id: JobId(id),
            guild: GuildId(1),
            relationship: None,
            kind: "k".into(),
            dedupe_key: "k".into(),
            payload: serde_json::Value::Null,
            run_at: t,
            state: JobState::Pending,
            attempts: 0,
            lease_owner: None,
            lease_until: None,
            last_error: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
        }
    }

    #[test]
    fn nonces_are_short_stable_and_distinct() {
        let big = job(i64::MAX);
        assert!(big.nonce().len() <= 25, "{}", big.nonce());
        assert!(big.nonce_for(u64::MAX).len() <= 25, "{}", big.nonce_for(u64::MAX));
        assert_eq!(job(42).nonce(), "mbj16");
        assert_eq!(job(42).nonce(), job(42).nonce());
        assert_ne!(job(42).nonce(), job(43).nonce());
        assert_eq!(job(42).nonce_for(7), job(42).nonce_for(7));
        assert_ne!(job(42).nonce_for(7), job(42).nonce_for(8));
        assert_ne!(job(42).nonce_for(7), job(43).nonce_for(7));
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("nope"), None);
    }
}
