//! The durable job queue and its worker, on SQLite and on PostgreSQL, with a manual clock.
use crate::common;

mod upgrade;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use common::fixtures::{GUILD, OTHER_GUILD};
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::RelationshipId;
use mentorbot::jobs::{Job, JobHandler, JobId, JobState, JobStore, NewJob, Outcome, RetryPolicy, Worker};

const LEASE: Duration = Duration::from_secs(60);
/// A lease that runs out during a test (leases run on the database's clock, not the test's).
const SHORT: Duration = Duration::from_secs(3);
/// A lease that has run out by the next statement.
const EXPIRED: Duration = Duration::from_millis(1);

/// Claims for `owner` until something comes (a lease runs out on the database's clock).
async fn claim_when_free(w: &World, owner: &str) -> Vec<Job> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let claimed = w.jobs.claim(owner, w.clock.now(), SHORT, 10).await.unwrap();
        if !claimed.is_empty() || tokio::time::Instant::now() > deadline {
            return claimed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn new_job(key: &str, rel: Option<i64>, kind: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        guild: GUILD,
        relationship: rel.map(RelationshipId),
        kind: kind.into(),
        dedupe_key: key.into(),
        payload: serde_json::json!({ "key": key, "member": 900_000_000_000_000_001u64 }),
        run_at,
    }
}

async fn enqueue(w: &World, key: &str, run_at: DateTime<Utc>) -> JobId {
    w.jobs
        .enqueue(&new_job(key, Some(42), "reminder", run_at), w.clock.now())
        .await
        .unwrap()
        .expect("a new key")
}

async fn state(w: &World, id: JobId) -> Job {
    w.jobs.job(id).await.unwrap().expect("the job exists")
}

/// A handler that records every call and answers what `answer` says.
struct Recorder {
    calls: Mutex<Vec<(JobId, String, u32)>>,
    answer: Box<dyn Fn(&Job) -> Outcome + Send + Sync>,
}

impl Recorder {
    fn new(answer: impl Fn(&Job) -> Outcome + Send + Sync + 'static) -> Arc<Recorder> {
        Arc::new(Recorder {
            calls: Mutex::new(Vec::new()),
            answer: Box::new(answer),
        })
    }

    fn done() -> Arc<Recorder> {
        Self::new(|_| Outcome::Done)
    }

    fn ids(&self) -> Vec<JobId> {
        self.calls.lock().unwrap().iter().map(|c| c.0).collect()
    }
}

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: &Job) -> Outcome {
        self.calls.lock().unwrap().push((job.id, job.nonce(), job.attempts));
        (self.answer)(job)
    }
}

fn worker(w: &World, owner: &str, handler: Arc<dyn JobHandler>) -> Worker {
    Worker::new(w.jobs.clone(), w.clock.clone(), owner.into(), LEASE, 50, handler)
}

async fn enqueue_dedupes(w: World) {
    let now = w.clock.now();
    let key = "reminder:rel42:2026-03-02T17:30Z:24h";
    let first = w
        .jobs
        .enqueue(&new_job(key, Some(42), "reminder", now), now)
        .await
        .unwrap();
    assert!(first.is_some());
    let again = w
        .jobs
        .enqueue(&new_job(key, Some(42), "reminder", now + secs(5)), now)
        .await
        .unwrap();
    assert_eq!(again, None, "the same occurrence is planned once");

    let batch = vec![
        new_job("reminder:rel42:2026-03-02T17:30Z:1h", Some(42), "reminder", now),
        new_job(key, Some(42), "reminder", now),
        new_job("did_you_meet:rel42:2026-03-02T17:30Z", Some(42), "did_you_meet", now),
        new_job("reminder:rel42:2026-03-02T17:30Z:1h", Some(42), "reminder", now),
    ];
    let ids = w.jobs.enqueue_many(&batch, now).await.unwrap();
    assert!(ids[0].is_some() && ids[2].is_some());
    assert_eq!((ids[1], ids[3]), (None, None));
    let again = w.jobs.enqueue_many(&batch, now).await.unwrap();
    assert_eq!(again, vec![None; 4], "planning the occurrence again creates nothing");
    assert_eq!(w.jobs.counts(None).await.unwrap().pending, 3);
    let job = state(&w, first.unwrap()).await;
    assert_eq!(job.payload["key"], key);
    assert_eq!(job.payload["member"], 900_000_000_000_000_001u64);
    assert_eq!((job.state, job.attempts, job.run_at), (JobState::Pending, 0, now));

    // A cancelled job may be planned again (resumed after a pause): the same row comes back.
    assert_eq!(
        w.jobs
            .cancel_pending_for_relationship(GUILD, RelationshipId(42), now)
            .await
            .unwrap(),
        3
    );
    let revived = w
        .jobs
        .enqueue(&new_job(key, Some(42), "reminder", now + secs(60)), now)
        .await
        .unwrap();
    assert_eq!(revived, first);
    let job = state(&w, first.unwrap()).await;
    assert_eq!(
        (job.state, job.run_at, job.finished_at),
        (JobState::Pending, now + secs(60), None)
    );

    // A done job is never planned again.
    w.clock.advance(secs(60));
    let claimed = w.jobs.claim("a", w.clock.now(), LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(w.jobs.ack(claimed[0].id, "a", w.clock.now()).await.unwrap());
    let after_done = w
        .jobs
        .enqueue(&new_job(key, Some(42), "reminder", now), now)
        .await
        .unwrap();
    assert_eq!(after_done, None);
}

async fn claim_takes_only_due_jobs(w: World) {
    let now = w.clock.now();
    let later = enqueue(&w, "later", now + secs(3600)).await;
    let due_now = enqueue(&w, "now", now).await;
    let overdue = enqueue(&w, "overdue", now - secs(60)).await;

    let wall_before = Utc::now();
    let claimed = w.jobs.claim("a", now, LEASE, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![overdue, due_now],
        "oldest first"
    );
    for j in &claimed {
        assert_eq!(j.state, JobState::Running);
        assert_eq!(j.attempts, 1);
        assert_eq!(j.lease_owner.as_deref(), Some("a"));
        // On the database's clock, not the test's (2026-03-02).
        let until = j.lease_until.unwrap();
        let (lo, hi) = (wall_before + secs(59), Utc::now() + secs(61));
        assert!(lo <= until && until <= hi, "{until} within [{lo}, {hi}]");
    }
    assert!(
        w.jobs.claim("b", now, LEASE, 10).await.unwrap().is_empty(),
        "held jobs are not claimed again"
    );
    assert_eq!(state(&w, later).await.state, JobState::Pending);

    // The limit is respected, and the rest comes next time.
    for i in 0..5 {
        enqueue(&w, &format!("batch{i}"), now - secs(10 - i)).await;
    }
    assert_eq!(w.jobs.claim("b", now, LEASE, 3).await.unwrap().len(), 3);
    assert_eq!(w.jobs.claim("b", now, LEASE, 3).await.unwrap().len(), 2);
    assert!(w.jobs.claim("b", now, LEASE, 0).await.unwrap().is_empty());

    w.clock.advance(secs(3600));
    let acked = w.jobs.ack_many(&[overdue, due_now], "a", w.clock.now()).await.unwrap();
    assert_eq!(acked.len(), 2);
    // An hour later on the test's clock, `later` is due, but b's leases run on the database's
    // clock and still hold.
    let claimed = w.jobs.claim("c", w.clock.now(), LEASE, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![later]);
    let counts = w.jobs.counts(Some(GUILD)).await.unwrap();
    assert_eq!((counts.running, counts.done, counts.total()), (6, 2, 8));
}

async fn expired_lease_is_reclaimed(w: World) {
    let now = w.clock.now();
    let id = enqueue(&w, "job", now).await;
    assert_eq!(w.jobs.claim("a", now, SHORT, 10).await.unwrap().len(), 1);
    assert!(w.jobs.holds(id, "a").await.unwrap());
    assert!(!w.jobs.holds(id, "b").await.unwrap());

    // The test's clock does not expire leases: they run on the database's clock.
    w.clock.advance(secs(3600));
    assert!(
        w.jobs.claim("b", w.clock.now(), SHORT, 10).await.unwrap().is_empty(),
        "the lease still holds"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(w.jobs.extend_lease(id, "a", w.clock.now(), SHORT).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        w.jobs.claim("b", w.clock.now(), SHORT, 10).await.unwrap().is_empty(),
        "extended past the first lease"
    );
    assert!(w.jobs.holds(id, "a").await.unwrap());

    let reclaimed = claim_when_free(&w, "b").await;
    assert_eq!(reclaimed.len(), 1, "a dead holder's job is claimed again");
    assert_eq!((reclaimed[0].id, reclaimed[0].attempts), (id, 2));
    assert_eq!(reclaimed[0].lease_owner.as_deref(), Some("b"));
    assert!(!w.jobs.holds(id, "a").await.unwrap(), "a lost it");

    let t = w.clock.now();
    assert!(
        !w.jobs.ack(id, "a", t).await.unwrap(),
        "the old holder's ack is refused"
    );
    assert!(!w.jobs.retry(id, "a", t, "late", t).await.unwrap());
    assert!(!w.jobs.fail(id, "a", "late", t).await.unwrap());
    assert!(!w.jobs.extend_lease(id, "a", t, LEASE).await.unwrap());
    assert!(w.jobs.ack_many(&[id], "a", t).await.unwrap().is_empty());
    assert_eq!(w.jobs.release("a", t).await.unwrap(), 0);
    assert_eq!(state(&w, id).await.state, JobState::Running);

    assert!(w.jobs.ack(id, "b", t).await.unwrap());
    let job = state(&w, id).await;
    assert_eq!((job.state, job.finished_at), (JobState::Done, Some(t)));
}

async fn only_the_holder_acknowledges(w: World) {
    let now = w.clock.now();
    let held = enqueue(&w, "held", now).await;
    let pending = enqueue(&w, "pending", now + secs(60)).await;
    w.jobs.claim("a", now, LEASE, 10).await.unwrap();

    assert!(!w.jobs.ack(held, "b", now).await.unwrap(), "not the holder");
    assert!(!w.jobs.ack(pending, "a", now).await.unwrap(), "not claimed at all");
    assert!(!w.jobs.ack(JobId(987_654), "a", now).await.unwrap(), "no such job");
    assert!(w.jobs.ack(held, "a", now).await.unwrap());
    assert!(!w.jobs.ack(held, "a", now).await.unwrap(), "done once");
    assert!(
        !w.jobs.retry(held, "a", now, "x", now).await.unwrap(),
        "a done job stays done"
    );
    assert_eq!(state(&w, held).await.state, JobState::Done);
    assert_eq!(state(&w, pending).await.state, JobState::Pending);
}

async fn retries_with_backoff_then_fails(w: World) {
    let handler = Recorder::new(|_| Outcome::Retry {
        error: "discord: 503".into(),
    });
    let policy = RetryPolicy {
        base: Duration::from_secs(10),
        cap: Duration::from_secs(15),
        max_attempts: 3,
    };
    let wk = worker(&w, "a", handler.clone()).with_retry(policy);
    let id = enqueue(&w, "flaky", w.clock.now()).await;

    let report = wk.tick().await.unwrap();
    assert_eq!((report.claimed, report.retried), (1, 1));
    let job = state(&w, id).await;
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.run_at, w.clock.now() + secs(10), "first wait: the base");
    assert_eq!(job.last_error.as_deref(), Some("discord: 503"));

    w.clock.advance(secs(9));
    assert_eq!(wk.tick().await.unwrap().claimed, 0, "not before the backoff");
    w.clock.advance(secs(1));
    assert_eq!(wk.tick().await.unwrap().retried, 1);
    assert_eq!(
        state(&w, id).await.run_at,
        w.clock.now() + secs(15),
        "doubled, capped at 15 s"
    );

    w.clock.advance(secs(15));
    let report = wk.tick().await.unwrap();
    assert_eq!((report.claimed, report.failed), (1, 1));
    let job = state(&w, id).await;
    assert_eq!((job.state, job.attempts), (JobState::Failed, 3));
    assert!(job
        .last_error
        .unwrap()
        .contains("gave up after 3 attempts: discord: 503"));
    assert!(job.finished_at.is_some());
    assert_eq!(handler.calls.lock().unwrap().len(), 3);

    // A permanent failure fails at once; nothing more runs.
    let permanent = Recorder::new(|_| Outcome::Failed {
        error: "dms closed".into(),
    });
    let wk2 = worker(&w, "b", permanent.clone());
    let id2 = enqueue(&w, "closed", w.clock.now()).await;
    assert_eq!(wk2.tick().await.unwrap().failed, 1);
    let job = state(&w, id2).await;
    assert_eq!(
        (job.state, job.attempts, job.last_error.as_deref()),
        (JobState::Failed, 1, Some("dms closed"))
    );
    w.clock.advance(secs(3600));
    assert_eq!(wk.tick().await.unwrap().claimed + wk2.tick().await.unwrap().claimed, 0);
}

async fn abandoned_too_often_fails_without_running(w: World) {
    let id = enqueue(&w, "poison", w.clock.now()).await;
    // Three holders claim it and die.
    for owner in ["a", "b", "c"] {
        assert_eq!(claim_when_free(&w, owner).await.len(), 1);
        assert!(w.jobs.extend_lease(id, owner, w.clock.now(), EXPIRED).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let handler = Recorder::done();
    let wk = worker(&w, "d", handler.clone()).with_retry(RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    });
    assert_eq!(wk.tick().await.unwrap().failed, 1);
    assert!(handler.calls.lock().unwrap().is_empty(), "not handled a fourth time");
    let job = state(&w, id).await;
    assert_eq!((job.state, job.attempts), (JobState::Failed, 4));
    assert!(job.last_error.unwrap().contains("abandoned"));
}

async fn release_gives_back_what_an_owner_holds(w: World) {
    let now = w.clock.now();
    let a1 = enqueue(&w, "a1", now).await;
    let a2 = enqueue(&w, "a2", now).await;
    w.jobs.claim("a", now, LEASE, 2).await.unwrap();
    let b1 = enqueue(&w, "b1", now).await;
    w.jobs.claim("b", now, LEASE, 2).await.unwrap();

    assert_eq!(w.jobs.release("a", now + secs(1)).await.unwrap(), 2);
    for id in [a1, a2] {
        let job = state(&w, id).await;
        assert_eq!(
            (job.state, job.attempts, job.run_at),
            (JobState::Pending, 0, now),
            "as if never claimed"
        );
    }
    assert_eq!(state(&w, b1).await.state, JobState::Running, "other owners keep theirs");
    let claimed = w.jobs.claim("c", now + secs(1), LEASE, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![a1, a2],
        "claimable at once"
    );
}

/// A handler that asks the worker to stop after its first job.
struct StopAfterFirst {
    calls: Mutex<u32>,
    stop: tokio::sync::watch::Sender<bool>,
}

#[async_trait]
impl JobHandler for StopAfterFirst {
    async fn handle(&self, _job: &Job) -> Outcome {
        *self.calls.lock().unwrap() += 1;
        let _ = self.stop.send(true);
        Outcome::Done
    }
}

async fn shutdown_finishes_the_running_job_and_releases_the_rest(w: World) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let handler = Arc::new(StopAfterFirst {
        calls: Mutex::new(0),
        stop: tx,
    });
    for i in 0..5 {
        enqueue(&w, &format!("j{i}"), w.clock.now()).await;
    }
    let wk = worker(&w, "a", handler.clone()).with_concurrency(1);
    wk.run(rx).await;
    assert_eq!(*handler.calls.lock().unwrap(), 1);
    let counts = w.jobs.counts(None).await.unwrap();
    assert_eq!((counts.done, counts.pending, counts.running), (1, 4, 0));
    // What was given back runs later, with no attempt counted.
    let claimed = w.jobs.claim("b", w.clock.now(), LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 4);
    assert!(claimed.iter().all(|j| j.attempts == 1));
}

async fn cancelling_a_relationship(w: World) {
    let now = w.clock.now();
    let mk = |key: &str, rel: i64, kind: &str, at: i64| new_job(key, Some(rel), kind, now + secs(at));
    let planned = vec![
        mk("r42:running", 42, "reminder_1h", 0),
        mk("r42:rem24:t1", 42, "reminder_24h", 100),
        mk("r42:meet:t1", 42, "did_you_meet", 200),
        mk("r42:rem24:t2", 42, "reminder_24h", 300),
        mk("r42:meet:t2", 42, "did_you_meet", 400),
        mk("r43:rem24:t1", 43, "reminder_24h", 100),
    ];
    let ids: Vec<JobId> = w
        .jobs
        .enqueue_many(&planned, now)
        .await
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let mut elsewhere = new_job("other-guild", Some(42), "reminder_24h", now + secs(100));
    elsewhere.guild = OTHER_GUILD;
    let elsewhere = w.jobs.enqueue(&elsewhere, now).await.unwrap().unwrap();
    assert_eq!(w.jobs.claim("a", now, LEASE, 10).await.unwrap()[0].id, ids[0]);

    let listed = w.jobs.jobs_for_relationship(GUILD, RelationshipId(42)).await.unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), ids[..5].to_vec());

    // Replanning from t2 on: the reminders due from then are cancelled, nothing else.
    let n = w
        .jobs
        .cancel_pending_after(GUILD, RelationshipId(42), Some("reminder"), now + secs(300), now)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(state(&w, ids[3]).await.state, JobState::Cancelled);
    assert_eq!(state(&w, ids[4]).await.state, JobState::Pending);
    let n = w
        .jobs
        .cancel_pending_after(GUILD, RelationshipId(42), None, now + secs(150), now)
        .await
        .unwrap();
    assert_eq!(n, 2, "the did-you-meet at t1 and at t2");

    // The end: every pending job of the relationship, in this guild only; the running one finishes.
    let n = w
        .jobs
        .cancel_pending_for_relationship(GUILD, RelationshipId(42), now)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let states: Vec<JobState> = w
        .jobs
        .jobs_for_relationship(GUILD, RelationshipId(42))
        .await
        .unwrap()
        .iter()
        .map(|j| j.state)
        .collect();
    use JobState::*;
    assert_eq!(states, vec![Running, Cancelled, Cancelled, Cancelled, Cancelled]);
    assert_eq!(state(&w, ids[5]).await.state, Pending, "another relationship");
    assert_eq!(state(&w, elsewhere).await.state, Pending, "another guild");
    assert!(w.jobs.ack(ids[0], "a", now).await.unwrap());
    assert_eq!(w.jobs.counts(Some(OTHER_GUILD)).await.unwrap().pending, 1);
    let all = w.jobs.counts(None).await.unwrap();
    assert_eq!((all.pending, all.done, all.cancelled), (2, 1, 4));
}

/// Discord as documented for `enforce_nonce`: a second message with a nonce already seen (in the
/// last few minutes) returns the first one instead of posting again.
#[derive(Default)]
struct DiscordStandIn {
    posted: Mutex<HashMap<String, u32>>,
    requests: Mutex<u32>,
}

impl DiscordStandIn {
    fn send(&self, nonce: &str) {
        *self.requests.lock().unwrap() += 1;
        self.posted.lock().unwrap().entry(nonce.to_string()).or_insert(1);
    }
}

/// Sends, then the process dies before the outcome is stored (it never returns).
struct SendThenDie {
    discord: Arc<DiscordStandIn>,
    sent: Arc<tokio::sync::Notify>,
    nonces: Mutex<Vec<String>>,
}

#[async_trait]
impl JobHandler for SendThenDie {
    async fn handle(&self, job: &Job) -> Outcome {
        self.nonces.lock().unwrap().push(job.nonce());
        self.discord.send(&job.nonce());
        self.sent.notify_one();
        std::future::pending().await
    }
}

struct SendAndAck {
    discord: Arc<DiscordStandIn>,
    nonces: Mutex<Vec<String>>,
}

#[async_trait]
impl JobHandler for SendAndAck {
    async fn handle(&self, job: &Job) -> Outcome {
        self.nonces.lock().unwrap().push(job.nonce());
        self.discord.send(&job.nonce());
        Outcome::Done
    }
}

async fn crash_between_send_and_ack_sends_once(w: World) {
    let discord = Arc::new(DiscordStandIn::default());
    let sent = Arc::new(tokio::sync::Notify::new());
    let dying = Arc::new(SendThenDie {
        discord: discord.clone(),
        sent: sent.clone(),
        nonces: Mutex::new(Vec::new()),
    });
    let id = enqueue(&w, "reminder:rel42:2026-03-02T17:30Z:24h", w.clock.now()).await;

    let first = Worker::new(
        w.jobs.clone(),
        w.clock.clone(),
        "process-1".into(),
        SHORT,
        50,
        dying.clone(),
    );
    tokio::select! {
        _ = first.tick() => panic!("the handler never returns"),
        _ = sent.notified() => {}
    }
    drop(first); // the process is gone: no ack, no retry, no release
    assert_eq!(state(&w, id).await.state, JobState::Running);

    let survivor = Arc::new(SendAndAck {
        discord: discord.clone(),
        nonces: Mutex::new(Vec::new()),
    });
    let second = worker(&w, "process-2", survivor.clone());
    assert_eq!(
        second.tick().await.unwrap().claimed,
        0,
        "the dead holder's lease still runs"
    );
    // Once the dead holder's lease has run out (on the database's clock), the survivor takes it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let report = loop {
        let report = second.tick().await.unwrap();
        if report.claimed > 0 || tokio::time::Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((report.claimed, report.done), (1, 1));

    let before = dying.nonces.lock().unwrap().clone();
    let after = survivor.nonces.lock().unwrap().clone();
    assert_eq!(before.len(), 1);
    assert_eq!(before, after, "the same nonce both times");
    assert_eq!(*discord.requests.lock().unwrap(), 2, "sent twice");
    assert_eq!(discord.posted.lock().unwrap().len(), 1, "posted once");
    let job = state(&w, id).await;
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    assert_eq!(job.lease_owner.as_deref(), Some("process-2"));
}

async fn worker_tick_handles_due_jobs_in_order(w: World) {
    let now = w.clock.now();
    let c = enqueue(&w, "c", now).await;
    let a = enqueue(&w, "a", now - secs(120)).await;
    let b = enqueue(&w, "b", now - secs(60)).await;
    let future = enqueue(&w, "future", now + secs(1)).await;
    let handler = Recorder::done();
    let wk = worker(&w, "a", handler.clone()).with_concurrency(1);

    let report = wk.tick().await.unwrap();
    assert_eq!(
        (report.claimed, report.done, report.retried, report.failed, report.lost),
        (3, 3, 0, 0, 0)
    );
    assert_eq!(handler.ids(), vec![a, b, c]);
    assert!(handler
        .calls
        .lock()
        .unwrap()
        .iter()
        .all(|(_, nonce, attempts)| nonce.len() <= 25 && *attempts == 1));
    assert_eq!(wk.tick().await.unwrap(), Default::default(), "nothing more is due");

    w.clock.advance(secs(1));
    assert_eq!(wk.tick().await.unwrap().done, 1);
    assert_eq!(handler.ids(), vec![a, b, c, future]);
    assert_eq!(w.jobs.counts(None).await.unwrap().done, 4);
}

/// Several workers of one process at once (SQLite's case, and PostgreSQL's within a process).
async fn concurrent_workers_in_one_process(w: World) {
    let now = w.clock.now();
    let planned: Vec<NewJob> = (0..300).map(|i| new_job(&format!("k{i}"), None, "bulk", now)).collect();
    w.jobs.enqueue_many(&planned, now).await.unwrap();
    let handler = Recorder::done();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..4 {
        let wk = Worker::new(
            w.jobs.clone(),
            w.clock.clone(),
            format!("w{n}"),
            LEASE,
            7,
            handler.clone(),
        );
        tasks.spawn(async move { while wk.tick().await.unwrap().claimed > 0 {} });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let ids = handler.ids();
    assert_eq!(ids.len(), 300);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 300, "no job twice");
    assert_eq!(w.jobs.counts(None).await.unwrap().done, 300);
}

/// Works past its lease (on the database's clock), then checks that nobody else could claim
/// the job, nor the job waiting for its turn behind it: the worker's heartbeat kept both.
struct SlowJob {
    jobs: Arc<dyn JobStore>,
    clock: Arc<mentorbot::clock::ManualClock>,
    stolen: Mutex<Vec<usize>>,
}

#[async_trait]
impl JobHandler for SlowJob {
    async fn handle(&self, _job: &Job) -> Outcome {
        tokio::time::sleep(SHORT + Duration::from_secs(1)).await;
        let stolen = self.jobs.claim("thief", self.clock.now(), LEASE, 10).await.unwrap();
        self.stolen.lock().unwrap().push(stolen.len());
        Outcome::Done
    }
}

async fn a_long_job_keeps_its_lease(w: World) {
    enqueue(&w, "slow", w.clock.now()).await;
    enqueue(&w, "waiting", w.clock.now()).await;
    let handler = Arc::new(SlowJob {
        jobs: w.jobs.clone(),
        clock: w.clock.clone(),
        stolen: Mutex::new(Vec::new()),
    });
    let wk = Worker::new(w.jobs.clone(), w.clock.clone(), "a".into(), SHORT, 50, handler.clone()).with_concurrency(1);
    let report = wk.tick().await.unwrap();
    assert_eq!((report.claimed, report.done, report.lost), (2, 2, 0));
    assert_eq!(
        *handler.stolen.lock().unwrap(),
        vec![0, 0],
        "nobody else got either job while the round ran"
    );
}

/// A handler that never answers (a hung request) is abandoned at its time limit and its job
/// retried; the worker goes on.
struct Hangs;

#[async_trait]
impl JobHandler for Hangs {
    async fn handle(&self, _job: &Job) -> Outcome {
        std::future::pending().await
    }
}

async fn a_hung_handler_is_abandoned_and_retried(w: World) {
    let id = enqueue(&w, "hung", w.clock.now()).await;
    let wk = worker(&w, "a", Arc::new(Hangs)).with_handler_timeout(Duration::from_millis(200));
    let report = wk.tick().await.unwrap();
    assert_eq!((report.claimed, report.retried), (1, 1));
    let job = state(&w, id).await;
    assert_eq!(job.state, JobState::Pending);
    assert!(job.last_error.unwrap().contains("abandoned"));
    w.clock.advance(secs(30));
    let fixed = Recorder::done();
    assert_eq!(worker(&w, "a", fixed.clone()).tick().await.unwrap().done, 1);
    assert_eq!(fixed.ids(), vec![id]);
}

/// A handler that panics (a bug): the job is neither acknowledged nor lost; it runs again when
/// the lease runs out.
async fn a_panicking_handler_leaves_the_job_to_its_lease(w: World) {
    let id = enqueue(&w, "buggy", w.clock.now()).await;
    let wk = worker(&w, "a", Recorder::new(|_| panic!("handler bug (expected by the test)")));
    let report = wk.tick().await.unwrap();
    assert_eq!((report.claimed, report.errors), (1, 1));
    assert_eq!(state(&w, id).await.state, JobState::Running);
    assert!(w.jobs.extend_lease(id, "a", w.clock.now(), EXPIRED).await.unwrap());
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fixed = Recorder::done();
    assert_eq!(worker(&w, "b", fixed.clone()).tick().await.unwrap().done, 1);
    assert_eq!(fixed.ids(), vec![id]);
}

/// A batch larger than one statement's worth answers exactly as planning its jobs one by one:
/// new keys planned, cancelled ones revived (same row, new values), live ones and repeats left
/// alone, nothing before the purge horizon.
async fn a_large_batch_plans_as_one_by_one(w: World) {
    const N: usize = 2_500;
    let t0 = w.clock.now();
    // The horizon: nothing due before t0 may be planned any more.
    assert_eq!(w.jobs.purge_finished(t0, 1).await.unwrap(), 0);
    let later = t0 + secs(3_600);
    let key = |side: &str, i: usize| format!("{side}:{}", if i % 5 == 3 { i - 1 } else { i });
    let mut before: HashMap<String, JobId> = HashMap::new();
    for side in ["one", "many"] {
        for i in (0..N).filter(|i| i % 5 <= 1) {
            let rel = if i % 5 == 0 { 1 } else { 2 };
            let k = key(side, i);
            let id = w
                .jobs
                .enqueue(&new_job(&k, Some(rel), "reminder", later), t0)
                .await
                .unwrap()
                .unwrap();
            before.insert(k, id);
        }
    }
    w.jobs
        .cancel_pending_for_relationship(GUILD, RelationshipId(2), t0)
        .await
        .unwrap();
    let batch = |side: &str| -> Vec<NewJob> {
        (0..N)
            .map(|i| {
                let run_at = if i % 5 == 4 {
                    t0 - secs(1)
                } else {
                    later + secs(i as i64)
                };
                let mut job = new_job(&key(side, i), Some(3), "did_you_meet", run_at);
                job.payload = serde_json::json!({ "i": i });
                job
            })
            .collect()
    };
    let now = t0 + secs(5);
    let mut one = Vec::new();
    for job in batch("one") {
        one.push(w.jobs.enqueue(&job, now).await.unwrap());
    }
    let many = w.jobs.enqueue_many(&batch("many"), now).await.unwrap();
    assert_eq!(many.len(), N);
    for i in 0..N {
        let (a, b) = (one[i], many[i]);
        assert_eq!(a.is_some(), b.is_some(), "job {i}: {a:?} one by one, {b:?} in a batch");
        match i % 5 {
            1 => {
                assert_eq!(a, before.get(&key("one", i)).copied(), "revived in place");
                assert_eq!(b, before.get(&key("many", i)).copied(), "revived in place");
            }
            2 => assert!(b.is_some()),
            _ => assert_eq!(b, None, "job {i}"),
        }
        if let (Some(a), Some(b)) = (a, b) {
            let (a, b) = (state(&w, a).await, state(&w, b).await);
            assert_eq!(
                (
                    a.state,
                    a.attempts,
                    a.run_at,
                    &a.kind,
                    a.relationship,
                    &a.payload,
                    a.created_at.max(t0)
                ),
                (
                    b.state,
                    b.attempts,
                    b.run_at,
                    &b.kind,
                    b.relationship,
                    &b.payload,
                    b.created_at.max(t0)
                ),
            );
            assert_eq!((b.state, b.payload["i"].as_u64()), (JobState::Pending, Some(i as u64)));
        }
    }
    let counts = w.jobs.counts(None).await.unwrap();
    assert_eq!((counts.pending, counts.cancelled), (2 * 3 * N as u64 / 5, 0));
}

on_both_backends!(
    a_large_batch_plans_as_one_by_one,
    a_long_job_keeps_its_lease,
    a_hung_handler_is_abandoned_and_retried,
    deliveries_are_recorded_once_per_recipient,
    the_purge_deletes_old_finished_jobs_and_they_never_come_back,
    a_panicking_handler_leaves_the_job_to_its_lease,
    enqueue_dedupes,
    claim_takes_only_due_jobs,
    expired_lease_is_reclaimed,
    only_the_holder_acknowledges,
    retries_with_backoff_then_fails,
    abandoned_too_often_fails_without_running,
    release_gives_back_what_an_owner_holds,
    shutdown_finishes_the_running_job_and_releases_the_rest,
    cancelling_a_relationship,
    crash_between_send_and_ack_sends_once,
    worker_tick_handles_due_jobs_in_order,
    concurrent_workers_in_one_process,
);

/// Two processes (two pools on one schema), each with several workers, claiming 2,000 due jobs
/// at once: every job is handled exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_processes_never_run_a_job_twice() {
    let Some(w) = World::postgres().await else { return };
    let options = w.pg_options.clone().unwrap();
    let now = w.clock.now();
    let planned: Vec<NewJob> = (0..2000)
        .map(|i| new_job(&format!("k{i}"), Some(i % 50), "bulk", now - secs(i % 17)))
        .collect();
    assert!(w
        .jobs
        .enqueue_many(&planned, now)
        .await
        .unwrap()
        .iter()
        .all(Option::is_some));

    let handler = Recorder::done();
    let mut tasks = tokio::task::JoinSet::new();
    for process in 0..2 {
        let store = Arc::new(
            mentorbot::store::postgres::PgStore::connect_with(options.clone(), 4)
                .await
                .unwrap(),
        );
        for n in 0..4 {
            let wk = Worker::new(
                store.clone() as Arc<dyn JobStore>,
                w.clock.clone(),
                format!("p{process}-w{n}"),
                LEASE,
                13,
                handler.clone(),
            )
            .with_concurrency(4);
            tasks.spawn(async move {
                let mut rounds = 0;
                loop {
                    let report = wk.tick().await.unwrap();
                    assert_eq!(report.errors + report.lost, 0);
                    if report.claimed == 0 {
                        break rounds;
                    }
                    rounds += 1;
                }
            });
        }
    }
    let mut rounds = Vec::new();
    while let Some(r) = tasks.join_next().await {
        rounds.push(r.unwrap());
    }
    let ids = handler.ids();
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 2000, "none lost");
    assert_eq!(ids.len(), 2000, "none twice");
    assert_eq!(w.jobs.counts(None).await.unwrap().done, 2000);
    assert!(
        rounds.iter().filter(|&&r| r > 0).count() >= 2,
        "the work was shared: {rounds:?}"
    );
}

/// What a job delivered is kept per recipient, by the job's key: the first record stays, and
/// another job's records are apart.
async fn deliveries_are_recorded_once_per_recipient(w: World) {
    let now = w.clock.now();
    let key = "r42:c7:reminder:1440";
    assert!(w.jobs.deliveries(key).await.unwrap().is_empty());
    // Discord ids use all 64 bits.
    let (channel, message) = (u64::MAX - 5, 1_250_000_000_000_000_042);
    assert!(w
        .jobs
        .record_delivery(key, "u900000000000000001", channel, message, now)
        .await
        .unwrap());
    assert!(
        !w.jobs
            .record_delivery(key, "u900000000000000001", 1, 2, now + secs(5))
            .await
            .unwrap(),
        "recorded once"
    );
    assert!(w.jobs.record_delivery(key, "o7", 3, 4, now).await.unwrap());
    assert!(w
        .jobs
        .record_delivery("another", "u900000000000000001", 5, 6, now)
        .await
        .unwrap());
    let got = w.jobs.deliveries(key).await.unwrap();
    assert_eq!(
        got.iter()
            .map(|d| (d.recipient.as_str(), d.channel, d.message, d.sent_at))
            .collect::<Vec<_>>(),
        vec![("o7", 3, 4, now), ("u900000000000000001", channel, message, now)]
    );
}

/// The purge deletes finished jobs older than the cut (and their deliveries), keeps the rest,
/// and no deleted key can be planned again.
async fn the_purge_deletes_old_finished_jobs_and_they_never_come_back(w: World) {
    let t0 = w.clock.now();
    let old_done = enqueue(&w, "old-done", t0).await;
    let old_cancelled = enqueue(&w, "old-cancelled", t0 + secs(10)).await;
    let future_cancelled = enqueue(&w, "future-cancelled", t0 + secs(86_400 * 60)).await;
    let still_pending = enqueue(&w, "old-pending", t0 + secs(86_400 * 40)).await;
    let claimed = w.jobs.claim("a", t0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(w.jobs.ack(old_done, "a", t0).await.unwrap());
    w.jobs.record_delivery("old-done", "u1", 1, 2, t0).await.unwrap();
    w.jobs.record_delivery("kept", "u1", 1, 2, t0).await.unwrap();
    w.jobs
        .cancel_pending_with_key_prefix(GUILD, RelationshipId(42), "old-cancelled", t0)
        .await
        .unwrap();
    w.jobs
        .cancel_pending_with_key_prefix(GUILD, RelationshipId(42), "future-cancelled", t0)
        .await
        .unwrap();
    let recent = {
        w.clock.advance(secs(86_400 * 20));
        let id = enqueue(&w, "recent-done", w.clock.now()).await;
        let c = w.jobs.claim("a", w.clock.now(), LEASE, 10).await.unwrap();
        assert_eq!(c[0].id, id);
        assert!(w.jobs.ack(id, "a", w.clock.now()).await.unwrap());
        id
    };
    // 31 days after t0, with 30 days kept: the cut is one day after t0.
    w.clock.set(t0 + secs(86_400 * 31));
    let cut = w.clock.now() - secs(86_400 * 30);
    assert_eq!(w.jobs.purge_finished(cut, 1).await.unwrap(), 1, "a chunk at a time");
    assert_eq!(w.jobs.purge_finished(cut, 100).await.unwrap(), 1);
    assert_eq!(w.jobs.purge_finished(cut, 100).await.unwrap(), 0);
    for gone in [old_done, old_cancelled] {
        assert_eq!(w.jobs.job(gone).await.unwrap(), None);
    }
    for kept in [future_cancelled, still_pending, recent] {
        assert!(w.jobs.job(kept).await.unwrap().is_some(), "{kept}");
    }
    assert!(w.jobs.deliveries("old-done").await.unwrap().is_empty());
    assert_eq!(w.jobs.deliveries("kept").await.unwrap().len(), 1);

    // Planning the deleted keys again (a catch-up re-planning old occurrences) creates nothing.
    let now = w.clock.now();
    assert_eq!(
        w.jobs
            .enqueue(&new_job("old-done", Some(42), "reminder", t0), now)
            .await
            .unwrap(),
        None
    );
    let again = w
        .jobs
        .enqueue_many(
            &[
                new_job("old-cancelled", Some(42), "reminder", t0 + secs(10)),
                new_job("new", Some(42), "reminder", now),
            ],
            now,
        )
        .await
        .unwrap();
    assert!(again[0].is_none() && again[1].is_some(), "{again:?}");
    let due = w.jobs.claim("b", now, LEASE, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|j| j.dedupe_key.as_str()).collect::<Vec<_>>(),
        vec!["new"],
        "nothing old runs again"
    );
    // A later purge with an earlier cut does not move the horizon back.
    w.jobs.purge_finished(t0, 10).await.unwrap();
    assert_eq!(
        w.jobs
            .enqueue(&new_job("old-done", Some(42), "reminder", t0), now)
            .await
            .unwrap(),
        None
    );
}
