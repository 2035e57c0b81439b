//! The fault-injection scenarios (issue 11), at any size: `tests/suite/faults.rs` runs them at
//! CI size (200 messages to 50 people, 10 kills), `examples/faults.rs` at full size (2,000
//! messages to 500 people, 100 kills) and prints the README's table. A burst of due reminders
//! (each person in four pairs with an agreement in force; DM channels open and known) is sent
//! under faults, then counted per recipient and message from what the stand-in received.
//!
//! - **kill -9**: the bot runs in a separate process (the test binary or the example run again
//!   with its settings in the environment: [`run_child`], the same `App` on the test's schema,
//!   with a clock the test sets and the stand-in's certificate), killed with SIGKILL at seeded
//!   random moments (seed printed; `MENTORBOT_FAULTS_SEED` replays one) and restarted, every
//!   third restart after the stand-in's nonce window has passed.
//! - **two processes** on one PostgreSQL, one killed and restarted: also never a global 429.
//! - **PostgreSQL restart** mid-burst, on a private server of the test's own (`initdb`/`pg_ctl`).
//! - **429 storm and gateway drop**: the stand-in answers 429 to one request in five and drops
//!   the gateway mid-burst; the client resumes.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::discord::Harness;
use super::fixtures::*;
use super::pg_server::PgServer;
use super::World;
use chrono::{DateTime, TimeZone, Utc};
use fake_discord::{FakeConfig, FakeDiscord, FakeUser, Faults};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::UserId;
use mentorbot::engine::Direction;

const FIRST_PERSON: u64 = 910_000_000_000_000_000;

/// How big a run is: each person gets four reminders.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub people: u64,
    pub kills: u32,
    /// How the bot process is started: the arguments to this executable.
    pub child_args: &'static [&'static str],
}

impl Size {
    pub fn messages(&self) -> usize {
        4 * self.people as usize
    }
}
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

/// The burst: `size.people`, each in four pairs with an agreement in force, their DM
/// channels open and known. Returns what each person must receive: one reminder per pair.
async fn populate(w: &World, fake: &FakeDiscord, size: Size) -> BTreeMap<u64, Vec<i64>> {
    let people: Vec<u64> = (0..size.people).map(|i| FIRST_PERSON + i).collect();
    for id in &people {
        fake.add_member(GUILD.0, FakeUser::new(*id, format!("member{}", id - FIRST_PERSON)));
        w.add_member(GUILD, UserId(*id)).await;
        let channel = fake.open_dm(*id);
        w.store.set_dm_channel(UserId(*id), channel).await.unwrap();
    }
    let e = &w.engine;
    let mut expected: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
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
            // Reminders name the mentorship by its number in the (one) server.
            expected.entry(*mentor).or_default().push(rel.number);
            expected.entry(mentee).or_default().push(rel.number);
        }
    }
    assert!(expected.values().all(|r| r.len() == 4));
    expected
}

/// What the stand-in received, per recipient and message.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    pub messages: usize,
    pub lost: usize,
    pub duplicates: usize,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub count: Count,
    pub limited: u64,
    pub global_limited: u64,
    pub took: Duration,
}

impl Row {
    pub fn print(&self) {
        println!(
            "| {} | {} | {} | {} | {} ({} global) | {:.1} s |",
            self.scenario,
            self.count.messages,
            self.count.lost,
            self.count.duplicates,
            self.limited,
            self.global_limited,
            self.took.as_secs_f64()
        );
    }

    fn new(scenario: &str, count: Count, fake: &FakeDiscord, took: Duration) -> Row {
        let row = Row {
            scenario: scenario.to_string(),
            count,
            limited: fake.rate_limited_count(),
            global_limited: fake.global_rate_limited_count(),
            took,
        };
        row.print();
        row
    }
}

fn count(fake: &FakeDiscord, expected: &BTreeMap<u64, Vec<i64>>) -> Count {
    let (mut lost, mut duplicates, mut messages) = (0, 0, 0);
    for (person, rels) in expected {
        let channel = fake.dm_channel_of(*person).expect("open");
        let mut got: HashMap<i64, usize> = HashMap::new();
        for m in fake.messages_in(channel) {
            if let Some(rel) = reminder_of(&m.content) {
                *got.entry(rel).or_default() += 1;
            }
        }
        let wanted: HashSet<i64> = rels.iter().copied().collect();
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

/// The number of the mentorship a reminder is about.
fn reminder_of(content: &str) -> Option<i64> {
    let rest = content.split("Reminder: check-in of mentorship #").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
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

pub fn seed() -> u64 {
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

/// A clock that starts where the test says and runs with the wall clock.
struct RunningClock {
    start: DateTime<Utc>,
    since: Instant,
}

impl mentorbot::clock::Clock for RunningClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.since.elapsed()).unwrap_or_default()
    }
}

fn settings_timeout(v: &serde_json::Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(30)
}

pub const CHILD: &str = "MENTORBOT_FAULTS_CHILD";

/// The bot process the scenarios start (this executable run again with [`Size::child_args`]
/// and its settings in the environment); returns at once in any other process.
pub async fn run_child() {
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
    // The test sets where the bot's clock starts; from there it runs with the wall clock, as a
    // real one does (a retry's backoff falls due).
    let clock = Arc::new(RunningClock {
        start: now,
        since: Instant::now(),
    });
    let mut settings = mentorbot::config::Settings::defaults();
    settings.discord.token = mentorbot::config::Secret::new(s("token"));
    settings.discord.rate_share_lease_ms = 2000;
    // Jobs held by a killed process come back within seconds (leases on the database's clock).
    settings.jobs.lease_seconds = super::discord::LEASE_SECONDS;
    let app = mentorbot::app::App::with_store(settings, Arc::new(store), clock);
    // The stand-in's client with the timeouts production's has (`discord.*_timeout_seconds`).
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(settings_timeout(&v, "connect_timeout")))
        .timeout(Duration::from_secs(settings_timeout(&v, "request_timeout")))
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
    fn spawn(w: &World, fake: &FakeDiscord, now: DateTime<Utc>, size: Size) -> Child {
        Self::spawn_with(w, fake, now, size, 30)
    }

    /// A bot process whose REST requests are given up after `request_timeout` seconds.
    fn spawn_with(w: &World, fake: &FakeDiscord, now: DateTime<Utc>, size: Size, request_timeout: u64) -> Child {
        let (url, schema) = w.pg_schema.clone().expect("postgres");
        let spec = serde_json::json!({
            "url": url, "schema": schema, "now": now.to_rfc3339(), "token": fake.bot_token(),
            "cert": fake.certificate_pem(), "rest": fake.rest_addr().to_string(),
            "connect_timeout": 5, "request_timeout": request_timeout,
        });
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(size.child_args)
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
async fn burst_world(w: &World, size: Size) -> (FakeDiscord, FakeConfig, BTreeMap<u64, Vec<i64>>) {
    let config = FakeConfig {
        interaction_deadline: None,
        ..FakeConfig::default()
    };
    let fake = FakeDiscord::start(config.clone()).await;
    fake.add_guild(fake_discord::FakeGuild::new(GUILD.0, "Mentors", super::discord::OWNER));
    let expected = populate(w, &fake, size).await;
    (fake, config, expected)
}

/// Waits (on the real clock, for real processes) until every job due by `now` is done and
/// every message arrived (a retry's backoff included), or fails after a few minutes.
async fn finish(w: &World, fake: &FakeDiscord, expected: &BTreeMap<u64, Vec<i64>>, now: DateTime<Utc>, seed: u64) {
    let deadline = Instant::now() + Duration::from_secs(180 + expected.len() as u64 / 2);
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

/// How many of the expected messages the stand-in has received.
fn delivered(fake: &FakeDiscord, expected: &BTreeMap<u64, Vec<i64>>) -> usize {
    let c = count(fake, expected);
    c.messages - c.lost
}

/// kill -9 at seeded random moments across the burst, restarts each time (every third one after
/// the stand-in's nonce window has passed), then one last process finishes: 0 lost, 0
/// duplicates.
///
/// A kill's moment is set by the burst's progress, not by the time since the start (a process
/// starts in seconds on a loaded machine, and the burst may take less): the k-th of n kills
/// comes once a random number of messages in the k-th n-th of the burst arrived, then a random
/// few hundred milliseconds more, so kills land mid-request too.
pub async fn kill_9(w: &World, size: Size) -> Row {
    let (fake, config, expected) = burst_world(w, size).await;
    let seed = seed();
    println!("kill -9: seed {seed} (MENTORBOT_FAULTS_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut killed_at = Vec::new();
    let share = (size.messages() / size.kills.max(1) as usize).max(1);
    for k in 0..size.kills {
        if k % 3 == 2 {
            fake.advance(config.nonce_ttl + Duration::from_secs(1));
        }
        let target = k as usize * share + (rng.next() as usize % share);
        let child = Child::spawn(w, &fake, restart_clock(k), size);
        // A process that sends nothing for this long is killed anyway (and the next one goes on).
        let give_up = Instant::now() + Duration::from_secs(60);
        while delivered(&fake, &expected) < target && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(rng.between(Duration::ZERO, Duration::from_millis(400))).await;
        child.kill9();
        killed_at.push(delivered(&fake, &expected));
    }
    println!("kill -9: messages delivered at each kill: {killed_at:?}");
    let last = Child::spawn(w, &fake, restart_clock(size.kills), size);
    finish(w, &fake, &expected, restart_clock(size.kills), seed).await;
    drop(last);
    Row::new(
        &format!("kill -9 ({} kills, seed {seed})", size.kills),
        count(&fake, &expected),
        &fake,
        started.elapsed(),
    )
}

/// Two processes on one PostgreSQL, one of them killed and restarted at seeded random moments:
/// 0 lost, 0 duplicates, and together never past the global limit (no global 429).
pub async fn two_processes(w: &World, size: Size) -> Row {
    let (fake, _, expected) = burst_world(w, size).await;
    let seed = seed();
    println!("two processes: seed {seed} (MENTORBOT_FAULTS_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let steady = Child::spawn(w, &fake, restart_clock(0), size);
    for k in 0..size.kills / 2 {
        let child = Child::spawn(w, &fake, restart_clock(k + 1), size);
        tokio::time::sleep(rng.between(Duration::from_millis(300), Duration::from_millis(2500))).await;
        child.kill9();
    }
    let last = Child::spawn(w, &fake, restart_clock(size.kills / 2 + 1), size);
    finish(w, &fake, &expected, restart_clock(size.kills / 2 + 1), seed).await;
    drop((steady, last));
    Row::new(
        &format!("two processes, one killed {} times (seed {seed})", size.kills / 2),
        count(&fake, &expected),
        &fake,
        started.elapsed(),
    )
}

/// PostgreSQL (a private server of the test's own) restarts in the middle of the burst: the
/// bot reconnects and finishes, 0 lost, 0 duplicates, no crash.
pub async fn postgres_restart(server: &PgServer, size: Size) -> Row {
    let w = World::postgres_at(server.url()).await;
    let w = &w;
    let (fake, _, expected) = burst_world(w, size).await;
    let seed = seed();
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut bot = Child::spawn(w, &fake, restart_clock(0), size);
    // Mid-burst: once some messages went out.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.messages().len() < size.messages() / 10 {
        assert!(Instant::now() < deadline, "the burst started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().unwrap();
    tokio::time::sleep(rng.between(Duration::from_millis(500), Duration::from_millis(2000))).await;
    server.start_again().unwrap();
    finish(w, &fake, &expected, restart_clock(0), seed).await;
    assert!(bot.0.try_wait().unwrap().is_none(), "the bot process is still running");
    bot.kill9_ref();
    Row::new(
        "PostgreSQL restart mid-burst",
        count(&fake, &expected),
        &fake,
        started.elapsed(),
    )
}

/// A hung Discord: the stand-in holds one request in seven without answering, after handling it
/// (the message exists, its answer never comes). The bot times them out, retries, and delivers
/// everything once (the retry carries the same nonce).
pub async fn hung_discord(w: &World, size: Size) -> Row {
    let (fake, _, expected) = burst_world(w, size).await;
    fake.set_faults(Faults {
        hang_every: Some(7),
        hang_after_handling: true,
        ..Faults::default()
    });
    let started = Instant::now();
    let bot = Child::spawn_with(w, &fake, restart_clock(0), size, 3);
    finish(w, &fake, &expected, restart_clock(0), 0).await;
    drop(bot);
    assert!(fake.fault_stats().hung > 0);
    Row::new(
        &format!("hung Discord (1 request in 7 held; {} held)", fake.fault_stats().hung),
        count(&fake, &expected),
        &fake,
        started.elapsed(),
    )
}

/// A slow Discord: every answer takes 2 s; two processes share the burst.
pub async fn slow_discord_two_processes(w: &World, size: Size) -> Row {
    let (fake, _, expected) = burst_world(w, size).await;
    fake.set_faults(Faults {
        delay: Some(Duration::from_secs(2)),
        ..Faults::default()
    });
    let started = Instant::now();
    let a = Child::spawn_with(w, &fake, restart_clock(0), size, 10);
    let b = Child::spawn_with(w, &fake, restart_clock(0), size, 10);
    finish(w, &fake, &expected, restart_clock(0), 0).await;
    drop((a, b));
    Row::new(
        "slow Discord (2 s per answer), two processes",
        count(&fake, &expected),
        &fake,
        started.elapsed(),
    )
}

/// A 429 storm (one request in five) and the gateway dropped mid-burst: the client resumes,
/// every reminder arrives once.
pub async fn storm_and_gateway_drop(w: World, size: Size) -> Row {
    let h = Harness::start(w).await;
    let expected = populate(&h.world, &h.fake, size).await;
    h.world.clock.set(due_at());
    let started = Instant::now();
    let resumed_before = h.fake.gateway_stats().resumed;
    h.fake.set_faults(Faults {
        storm_every: Some(5),
        ..Faults::default()
    });
    let fake = h.fake.clone();
    let dropper = tokio::spawn(async move {
        // Mid-burst: once a quarter of the messages went out.
        while fake.messages().len() < size.messages() / 4 {
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
    let backend = if h.world.is_postgres() { "PostgreSQL" } else { "SQLite" };
    let row = Row::new(
        &format!("429 storm and gateway drop ({backend})"),
        count(&h.fake, &expected),
        &h.fake,
        started.elapsed(),
    );
    h.shutdown().await;
    row
}
