//! The fault-injection suite at CI size (issue 11): a burst of due reminders (200 messages to 50
//! people whose DM channels are open already, each in four pairs) sent under faults, then
//! counted per recipient and message from what the stand-in received. Any lost or duplicate
//! message fails. `examples/faults.rs` is meant to run the same at full size (not built yet).
//!
//! - **kill -9**: the bot runs in a separate process (this test binary run again as
//!   [`child_bot`], the same `App` on the test's schema, with a clock the test sets and the
//!   stand-in's certificate), killed with SIGKILL at seeded random moments (seed printed;
//!   `MENTORBOT_FAULTS_SEED` replays one) and restarted, some restarts after the stand-in's
//!   nonce window has passed.
//! - **two processes** on one PostgreSQL, one killed and restarted: also never a global 429.
//! - **PostgreSQL restart** mid-burst, on a private server of the test's own (`initdb`/`pg_ctl`).
//! - **429 storm and gateway drop**: the stand-in answers 429 to one request in five and drops
//!   the gateway mid-burst; the client resumes.
mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use common::discord::Harness;
use common::fixtures::*;
use common::pg_server::PgServer;
use common::World;
use fake_discord::{FakeConfig, FakeDiscord, FakeUser, Faults};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::Direction;

const PEOPLE: u64 = 50;
const FIRST_PERSON: u64 = 910_000_000_000_000_000;
const KILLS: u32 = 10;
/// How much later each restarted process's clock is than the previous one's.
const RESTART_STEP: chrono::Duration = chrono::Duration::seconds(65);

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// When the first check-in's reminders fall due (the agreement's first meeting is 2026-03-03
/// 18:30 Berlin; reminders go 24 hours before).
fn due_at() -> DateTime<Utc> {
    utc(2026, 3, 3, 17, 30) - chrono::Duration::hours(24)
}

/// The burst: 50 people, each in four pairs with an agreement in force (100 pairs), their DM
/// channels open and known. Returns what each person must receive: one reminder per pair.
async fn populate(w: &World, fake: &FakeDiscord) -> BTreeMap<u64, Vec<RelationshipId>> {
    let people: Vec<u64> = (0..PEOPLE).map(|i| FIRST_PERSON + i).collect();
    for id in &people {
        fake.add_member(GUILD.0, FakeUser::new(*id, &format!("member{}", id - FIRST_PERSON)));
        w.add_member(GUILD, UserId(*id)).await;
        let channel = fake.open_dm(*id);
        w.store.set_dm_channel(UserId(*id), channel).await.unwrap();
    }
    let e = &w.engine;
    let mut expected: BTreeMap<u64, Vec<RelationshipId>> = BTreeMap::new();
    for (i, mentor) in people.iter().enumerate() {
        for step in [1, 2] {
            let mentee = people[(i + step) % people.len()];
            let rel = e
                .propose_direct(
                    GUILD,
                    UserId(mentee),
                    UserId(*mentor),
                    Kind::Classic,
                    Direction::Request,
                    "Rust",
                )
                .await
                .unwrap();
            e.accept(GUILD, rel.id, UserId(*mentor)).await.unwrap();
            let (rel, v) = e
                .propose_agreement(GUILD, rel.id, UserId(*mentor), &agreement())
                .await
                .unwrap();
            let rel = e.confirm_agreement(GUILD, rel.id, UserId(mentee), v).await.unwrap();
            expected.entry(*mentor).or_default().push(rel.id);
            expected.entry(mentee).or_default().push(rel.id);
        }
    }
    assert!(expected.values().all(|r| r.len() == 4));
    expected
}

/// What the stand-in received, per recipient and message.
struct Count {
    messages: usize,
    lost: usize,
    duplicates: usize,
}

fn count(fake: &FakeDiscord, expected: &BTreeMap<u64, Vec<RelationshipId>>) -> Count {
    let (mut lost, mut duplicates, mut messages) = (0, 0, 0);
    for (person, rels) in expected {
        let channel = fake.dm_channel_of(*person).expect("open");
        let mut got: HashMap<i64, usize> = HashMap::new();
        for m in fake.messages_in(channel) {
            if let Some(rel) = reminder_of(&m.content) {
                *got.entry(rel).or_default() += 1;
            }
        }
        let wanted: HashSet<i64> = rels.iter().map(|r| r.0).collect();
        for rel in &wanted {
            match got.get(rel).copied().unwrap_or(0) {
                0 => lost += 1,
                n => duplicates += n - 1,
            }
        }
        // A reminder nobody planned for this person counts as a duplicate too.
        duplicates += got
            .iter()
            .filter(|(r, _)| !wanted.contains(r))
            .map(|(_, n)| *n)
            .sum::<usize>();
        messages += wanted.len();
    }
    Count {
        messages,
        lost,
        duplicates,
    }
}

/// The mentorship a reminder is about.
fn reminder_of(content: &str) -> Option<i64> {
    let rest = content.split("Reminder: check-in of mentorship #").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

fn row(scenario: &str, c: &Count, limited: u64, took: Duration) {
    println!(
        "| {scenario} | {} | {} | {} | {limited} | {:.1} s |",
        c.messages,
        c.lost,
        c.duplicates,
        took.as_secs_f64()
    );
}

/// A small seeded generator (xorshift64*): the kill moments are reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = (hi - lo).as_millis() as u64;
        lo + Duration::from_millis(self.next() % span.max(1))
    }
}

fn seed() -> u64 {
    std::env::var("MENTORBOT_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

// ----- the bot in a process of its own -------------------------------------------------------

const CHILD: &str = "MENTORBOT_FAULTS_CHILD";

/// Not a test: the bot process the kill -9 scenario starts (this binary, run again with
/// `--exact child_bot --ignored` and the settings in the environment). Does nothing otherwise.
#[tokio::test]
#[ignore = "the bot process of the kill -9 scenario, started by it"]
async fn child_bot() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    if std::env::var_os("MENTORBOT_FAULTS_VERBOSE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_string();
    let options = sqlx::postgres::PgConnectOptions::from_str(&s("url"))
        .unwrap()
        .options([("search_path", s("schema").as_str())]);
    let store = mentorbot::store::postgres::PgStore::connect_with(options, 5)
        .await
        .unwrap();
    let now: DateTime<Utc> = s("now").parse().unwrap();
    let clock = Arc::new(mentorbot::clock::ManualClock::new(now));
    let mut settings = mentorbot::config::Settings::defaults();
    settings.discord.token = mentorbot::config::Secret::new(s("token"));
    settings.discord.rate_share_lease_ms = 2000;
    // Jobs held by a killed process come back within seconds (leases on the database's clock).
    settings.jobs.lease_seconds = common::discord::LEASE_SECONDS;
    let app = mentorbot::app::App::with_store(settings, Arc::new(store), clock);
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(s("cert").as_bytes()).unwrap())
        .resolve("discord.com", s("rest").parse().unwrap())
        .build()
        .unwrap();
    let handle = mentorbot::discord::start(
        &app,
        mentorbot::discord::DiscordOptions {
            http_client: Some(client),
            background_sweeps: false,
            job_poll: Some(Duration::from_millis(100)),
        },
    )
    .await
    .expect("the bot starts");
    let _ = handle.wait().await;
}

struct Child(std::process::Child);

impl Child {
    fn spawn(w: &World, fake: &FakeDiscord, now: DateTime<Utc>) -> Child {
        let (url, schema) = w.pg_schema.clone().expect("postgres");
        let spec = serde_json::json!({
            "url": url, "schema": schema, "now": now.to_rfc3339(), "token": fake.bot_token(),
            "cert": fake.certificate_pem(), "rest": fake.rest_addr().to_string(),
        });
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_bot", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD, spec.to_string())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            // MENTORBOT_FAULTS_VERBOSE=1 shows the bot processes' logs.
            .stderr(if std::env::var_os("MENTORBOT_FAULTS_VERBOSE").is_some() {
                std::process::Stdio::inherit()
            } else {
                std::process::Stdio::null()
            })
            .spawn()
            .expect("the bot process starts");
        Child(child)
    }

    /// SIGKILL: no shutdown, no release, nothing flushed.
    fn kill9(mut self) {
        self.kill9_ref();
    }

    fn kill9_ref(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Jobs due by `now` not finished yet (the pairs' later jobs stay pending, not due).
async fn jobs_left(w: &World, now: DateTime<Utc>) -> u64 {
    let running = w
        .jobs
        .counts(None)
        .await
        .unwrap()
        .get(mentorbot::jobs::JobState::Running);
    w.jobs.count_due(now).await.unwrap() + running
}

/// A stand-in and the burst on `w`, for the scenarios whose bot runs in processes of its own.
async fn burst_world(w: &World) -> (FakeDiscord, FakeConfig, BTreeMap<u64, Vec<RelationshipId>>) {
    let config = FakeConfig {
        interaction_deadline: None,
        ..FakeConfig::default()
    };
    let fake = FakeDiscord::start(config.clone()).await;
    fake.add_guild(fake_discord::FakeGuild::new(GUILD.0, "Mentors", common::discord::OWNER));
    let expected = populate(w, &fake).await;
    (fake, config, expected)
}

/// Waits (on the real clock, for real processes) until every job due by `now` is done and
/// every message arrived, or fails after two minutes.
async fn finish(
    w: &World,
    fake: &FakeDiscord,
    expected: &BTreeMap<u64, Vec<RelationshipId>>,
    now: DateTime<Utc>,
    seed: u64,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while jobs_left(w, now).await > 0 || count(fake, expected).lost > 0 {
        assert!(
            Instant::now() < deadline,
            "the burst did not finish (seed {seed}): {} jobs left, {} messages lost",
            jobs_left(w, now).await,
            count(fake, expected).lost
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each restart's clock is a minute later than the last (the reminders are still ahead of their
/// check-ins); the stand-in's nonce window is moved on separately.
fn restart_clock(k: u32) -> DateTime<Utc> {
    due_at() + RESTART_STEP * k as i32
}

/// kill -9 at seeded random moments across the burst, restarts each time (every third one after
/// the stand-in's nonce window has passed), then one last process finishes: 0 lost, 0
/// duplicates.
#[tokio::test]
async fn kill_9_mid_burst_loses_nothing_and_sends_nothing_twice() {
    let Some(w) = World::postgres().await else { return };
    let (fake, config, expected) = burst_world(&w).await;
    let seed = seed();
    println!("kill -9: seed {seed} (MENTORBOT_FAULTS_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut killed_at = Vec::new();
    for k in 0..KILLS {
        if k % 3 == 2 {
            fake.advance(config.nonce_ttl + Duration::from_secs(1));
        }
        let child = Child::spawn(&w, &fake, restart_clock(k));
        tokio::time::sleep(rng.between(Duration::from_millis(300), Duration::from_millis(3500))).await;
        let before = count(&fake, &expected).lost;
        child.kill9();
        killed_at.push(200 - before);
    }
    println!("kill -9: messages delivered at each kill: {killed_at:?}");
    let last = Child::spawn(&w, &fake, restart_clock(KILLS));
    finish(&w, &fake, &expected, restart_clock(KILLS), seed).await;
    drop(last);
    let c = count(&fake, &expected);
    row(
        "kill -9 (10 kills, seeded)",
        &c,
        fake.rate_limited_count(),
        started.elapsed(),
    );
    assert_eq!(c.messages, 200);
    assert_eq!((c.lost, c.duplicates), (0, 0), "lost, duplicates (seed {seed})");
}

/// Two processes on one PostgreSQL, one of them killed and restarted at seeded random moments:
/// 0 lost, 0 duplicates, and together never past the global limit (no global 429).
#[tokio::test]
async fn two_processes_one_killed_share_the_burst_and_the_global_limit() {
    let Some(w) = World::postgres().await else { return };
    let (fake, _, expected) = burst_world(&w).await;
    let seed = seed();
    println!("two processes: seed {seed} (MENTORBOT_FAULTS_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let steady = Child::spawn(&w, &fake, restart_clock(0));
    for k in 0..KILLS / 2 {
        let child = Child::spawn(&w, &fake, restart_clock(k + 1));
        tokio::time::sleep(rng.between(Duration::from_millis(300), Duration::from_millis(2500))).await;
        child.kill9();
    }
    let last = Child::spawn(&w, &fake, restart_clock(KILLS / 2 + 1));
    finish(&w, &fake, &expected, restart_clock(KILLS / 2 + 1), seed).await;
    drop((steady, last));
    let c = count(&fake, &expected);
    row(
        "two processes, one killed 5 times",
        &c,
        fake.rate_limited_count(),
        started.elapsed(),
    );
    assert_eq!(c.messages, 200);
    assert_eq!((c.lost, c.duplicates), (0, 0), "lost, duplicates (seed {seed})");
    assert_eq!(fake.global_rate_limited_count(), 0, "global 429s");
}

/// PostgreSQL (a private server of the test's own) restarts in the middle of the burst: the
/// bot reconnects and finishes, 0 lost, 0 duplicates, no crash.
#[tokio::test]
async fn postgres_restart_mid_burst() {
    let server = match PgServer::start() {
        Ok(s) => s,
        Err(why) => {
            assert!(!common::pg_server::required(), "no private PostgreSQL: {why}");
            eprintln!("SKIPPED: PostgreSQL restart scenario: {why}");
            return;
        }
    };
    let w = World::postgres_at(server.url()).await;
    let (fake, _, expected) = burst_world(&w).await;
    let seed = seed();
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut bot = Child::spawn(&w, &fake, restart_clock(0));
    // Mid-burst: once some messages went out.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.messages().len() < 20 {
        assert!(Instant::now() < deadline, "the burst started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().unwrap();
    tokio::time::sleep(rng.between(Duration::from_millis(500), Duration::from_millis(2000))).await;
    server.start_again().unwrap();
    finish(&w, &fake, &expected, restart_clock(0), seed).await;
    assert!(bot.0.try_wait().unwrap().is_none(), "the bot process is still running");
    bot.kill9_ref();
    let c = count(&fake, &expected);
    row(
        "PostgreSQL restart mid-burst",
        &c,
        fake.rate_limited_count(),
        started.elapsed(),
    );
    assert_eq!(c.messages, 200);
    assert_eq!((c.lost, c.duplicates), (0, 0), "lost, duplicates");
}

/// A 429 storm (one request in five) and the gateway dropped mid-burst: the client resumes,
/// every reminder arrives once.
async fn storm_and_gateway_drop(w: World) {
    let h = Harness::start(w).await;
    let expected = populate(&h.world, &h.fake).await;
    h.world.clock.set(due_at());
    let started = Instant::now();
    let (limited_before, resumed_before) = (h.fake.rate_limited_count(), h.fake.gateway_stats().resumed);
    h.fake.set_faults(Faults {
        storm_every: Some(5),
        ..Faults::default()
    });
    let fake = h.fake.clone();
    let dropper = tokio::spawn(async move {
        // Mid-burst: once a quarter of the messages went out.
        while fake.messages().len() < 50 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        fake.drop_gateway();
    });
    h.run_jobs().await;
    dropper.await.unwrap();
    h.fake.set_faults(Faults::default());
    assert!(
        h.fake
            .wait_gateway(Duration::from_secs(30), |s| s.live && s.resumed > resumed_before)
            .await,
        "the client resumed"
    );
    assert!(h.fake.fault_stats().stormed > 0);
    let c = count(&h.fake, &expected);
    row(
        &format!(
            "429 storm and gateway drop ({})",
            if h.world.is_postgres() { "PostgreSQL" } else { "SQLite" }
        ),
        &c,
        h.fake.rate_limited_count() - limited_before,
        started.elapsed(),
    );
    assert_eq!(c.messages, 200);
    assert_eq!((c.lost, c.duplicates), (0, 0), "lost, duplicates");
    h.shutdown().await;
}

on_both_backends!(storm_and_gateway_drop);
