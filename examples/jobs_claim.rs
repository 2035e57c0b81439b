//! The database side of the job queue: enqueue N due jobs, then claim and acknowledge them all in
//! batches, without sending anything, on SQLite (a temp file) and on PostgreSQL (a fresh schema
//! at `MENTORBOT_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped
//! afterwards; `MENTORBOT_TEST_POSTGRES=skip` skips it).
//!
//! A benchmark, not a timed test: `cargo run --release --example jobs_claim` runs 100,000 jobs in
//! batches of 500 (`MENTORBOT_BENCH_JOBS`, `MENTORBOT_BENCH_BATCH` change that), then 10,000
//! more through the worker's path, one acknowledgement per job (`MENTORBOT_BENCH_WORKER_JOBS`).
//! It is an example rather than a `[[bench]]` target so the manifest names no extra file (the
//! container build copies only `src`).
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use mentorbot::clock::ManualClock;
use mentorbot::domain::{GuildId, RelationshipId};
use mentorbot::jobs::{Job, JobHandler, JobStore, NewJob, Outcome, Worker};
use mentorbot::store::postgres::PgStore;
use mentorbot::store::sqlite::SqliteStore;
use mentorbot::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

const LEASE: Duration = Duration::from_secs(60);

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Noop;

#[async_trait]
impl JobHandler for Noop {
    async fn handle(&self, _job: &Job) -> Outcome {
        Outcome::Done
    }
}

async fn bench(backend: &str, jobs: Arc<dyn JobStore>, n: usize, batch: usize, worker_n: usize) {
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let planned: Vec<NewJob> = (0..n)
        .map(|i| NewJob {
            guild: GuildId(1_000_000_000_000_001 + (i % 7) as u64),
            relationship: Some(RelationshipId((i / 4) as i64)),
            kind: "reminder".into(),
            dedupe_key: format!("reminder:rel{}:2026-03-02T17:30Z:{}", i / 4, i % 4),
            payload: serde_json::json!({ "member": 900_000_000_000_000_001u64 + i as u64, "lead": "24h" }),
            run_at: now - chrono::Duration::milliseconds((i % 60_000) as i64),
        })
        .collect();

    let started = Instant::now();
    for chunk in planned.chunks(5_000) {
        jobs.enqueue_many(chunk, now).await.unwrap();
    }
    let enqueue_time = started.elapsed();

    let started = Instant::now();
    let (mut claimed, mut rounds) = (0usize, 0usize);
    let mut in_claim = Duration::ZERO;
    loop {
        let t = Instant::now();
        let got = jobs.claim("bench", now, LEASE, batch as u32).await.unwrap();
        in_claim += t.elapsed();
        if got.is_empty() {
            break;
        }
        let ids: Vec<_> = got.iter().map(|j| j.id).collect();
        let acked = jobs.ack_many(&ids, "bench", now).await.unwrap();
        assert_eq!(acked.len(), ids.len(), "every claimed job is acknowledged");
        claimed += got.len();
        rounds += 1;
    }
    let claim_time = started.elapsed();
    let counts = jobs.counts(None).await.unwrap();
    assert_eq!(
        (claimed, counts.done as usize),
        (n, n),
        "every job claimed and done once"
    );

    println!(
        "{backend:>8}: enqueue {n} jobs: {:>7.2} s | claim + ack in batches of {batch} ({rounds} rounds): {:>6.2} s ({:.0} jobs/s; claims {:.2} s, acks {:.2} s)",
        enqueue_time.as_secs_f64(),
        claim_time.as_secs_f64(),
        n as f64 / claim_time.as_secs_f64(),
        in_claim.as_secs_f64(),
        (claim_time - in_claim).as_secs_f64()
    );

    if worker_n > 0 {
        // The worker's path: one acknowledgement per job as soon as it is handled (no sending).
        let later = now + chrono::Duration::hours(1);
        let planned: Vec<NewJob> = planned[..worker_n]
            .iter()
            .map(|j| NewJob {
                dedupe_key: format!("{}:worker", j.dedupe_key),
                run_at: later,
                ..j.clone()
            })
            .collect();
        for chunk in planned.chunks(5_000) {
            jobs.enqueue_many(chunk, now).await.unwrap();
        }
        let clock = Arc::new(ManualClock::new(later));
        let worker = Worker::new(
            jobs.clone(),
            clock,
            "bench-worker".into(),
            LEASE,
            batch as u32,
            Arc::new(Noop),
        )
        .with_concurrency(8);
        let started = Instant::now();
        let mut done = 0;
        loop {
            let report = worker.tick().await.unwrap();
            if report.claimed == 0 {
                break;
            }
            done += report.done;
        }
        let t = started.elapsed();
        assert_eq!(done, worker_n);
        println!(
            "{backend:>8}: worker ticks, one ack per job, {worker_n} jobs: {:>6.2} s ({:.0} jobs/s)",
            t.as_secs_f64(),
            worker_n as f64 / t.as_secs_f64()
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_or("MENTORBOT_BENCH_JOBS", 100_000);
    let batch = env_or("MENTORBOT_BENCH_BATCH", 500);
    let worker_n = env_or("MENTORBOT_BENCH_WORKER_JOBS", 10_000).min(n);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let sqlite = SqliteStore::connect(&url, 4).await.unwrap();
    sqlite.migrate().await.unwrap();
    bench("sqlite", Arc::new(sqlite), n, batch, worker_n).await;

    if std::env::var("MENTORBOT_TEST_POSTGRES").as_deref() == Ok("skip") {
        println!("postgres: skipped (MENTORBOT_TEST_POSTGRES=skip)");
        return;
    }
    let url = std::env::var("MENTORBOT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let schema = format!("bench_jobs_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is needed at {url} ({e}); MENTORBOT_TEST_POSTGRES=skip skips it"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pg = PgStore::connect_with(options, 4).await.unwrap();
    pg.migrate().await.unwrap();
    bench("postgres", Arc::new(pg), n, batch, worker_n).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}
