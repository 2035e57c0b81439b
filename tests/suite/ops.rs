//! The operators' side: `/healthz` follows the database and the gateway, `/metrics` moves when
//! commands and jobs run, a graceful shutdown with jobs in flight loses and repeats nothing, and
//! two processes split the gateway shards on one PostgreSQL, each interaction answered once by
//! the process that owns its guild's shard and each reminder sent once.
use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use common::discord::{cmd, Harness, COORDINATOR_ROLE, OWNER, WAIT};
use common::fixtures::*;
use common::World;
use fake_discord::{BucketRule, FakeConfig, FakeDiscord, FakeGuild, FakeRole, FakeUser, Place};
use mentorbot::app::App;
use mentorbot::clock::{Clock, ManualClock};
use mentorbot::config::Settings;
use mentorbot::discord::{start, BotHandle, DiscordOptions, SHUTDOWN_GRACE};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::{GuildId, RelationshipId, UserId};
use mentorbot::engine::{Direction, ProgramSetup};
use mentorbot::jobs::JobState;
use mentorbot::metrics::sample;
use mentorbot::store::Store;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const PEOPLE: [UserId; 5] = [MENTOR, MENTEE, PEER3, PEER4, STRANGER];

/// The first check-in of the fixture agreement: Tuesday 2026-03-03 18:30 in Berlin.
fn first_checkin() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 17, 30, 0).unwrap()
}

async fn fake_with(config: FakeConfig, guilds: &[u64]) -> FakeDiscord {
    let fake = FakeDiscord::start(config).await;
    for &g in guilds {
        let mut guild = FakeGuild::new(g, "Mentors", OWNER);
        guild.roles.push(FakeRole::new(COORDINATOR_ROLE, "coordinators", 0));
        fake.add_guild(guild);
        fake.add_member(g, FakeUser::new(OWNER, "owner"));
        for (i, p) in PEOPLE.iter().enumerate() {
            fake.add_member(g, FakeUser::new(p.0, format!("person{i}")));
        }
    }
    fake
}

/// The bot on `store` with the HTTP endpoint on a free port and `tweak`ed settings.
async fn boot(
    fake: &FakeDiscord,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    job_poll: Option<StdDuration>,
    tweak: impl FnOnce(&mut Settings),
) -> (App, BotHandle) {
    let mut settings = Harness::settings(fake);
    settings.http.address = "127.0.0.1:0".into();
    tweak(&mut settings);
    settings.validate().expect("valid settings");
    let app = App::with_store(settings, store, clock);
    let handle = start(
        &app,
        DiscordOptions {
            http_client: Some(fake.http_client()),
            background_sweeps: false,
            job_poll,
        },
    )
    .await
    .expect("the bot starts");
    tokio::time::timeout(WAIT, handle.bot())
        .await
        .expect("the bot finished its setup");
    tokio::time::timeout(WAIT, handle.caught_up())
        .await
        .expect("the start's catch-up finished");
    (app, handle)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .expect("the endpoint answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Asks `/healthz` until it answers `status` (the gateway and the pool change on their own
/// time); returns the body.
async fn health_becomes(addr: SocketAddr, status: u16) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
    loop {
        let (got, body) = get(addr, "/healthz").await;
        if got == status {
            return serde_json::from_str(&body).expect("JSON health");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz stayed {got} instead of {status}: {body}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// A metric once it has reached `want` (a command is counted just after its answer goes out),
/// or its value when it does not in time.
async fn metric_reaches(addr: SocketAddr, name: &str, labels: &[(&str, &str)], want: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = metric(addr, name, labels).await;
        if got == want || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

async fn metric(addr: SocketAddr, name: &str, labels: &[(&str, &str)]) -> f64 {
    let (status, text) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    sample(&text, name, labels).unwrap_or(0.0)
}

/// Active classic pairs between every two of [`PEOPLE`] in `guild`, with the fixture agreement.
async fn pairs(world: &World, guild: GuildId) -> Vec<RelationshipId> {
    let e = &world.engine;
    let setup = ProgramSetup {
        channel: Some(guild.0 + 1),
        coordinator_role: Some(COORDINATOR_ROLE),
        ..Default::default()
    };
    e.setup_program(guild, true, &[], &setup).await.unwrap();
    // They are members of the server (as its member events would have recorded).
    for p in PEOPLE {
        world.add_member(guild, p).await;
    }
    let mut rels = Vec::new();
    for (i, mentor) in PEOPLE.iter().enumerate() {
        for mentee in PEOPLE.iter().skip(i + 1) {
            let rel = e
                .propose_direct(guild, *mentee, *mentor, Kind::Classic, Direction::Request, "Rust")
                .await
                .unwrap();
            e.accept(guild, rel.id, *mentor).await.unwrap();
            let (rel, v) = e.propose_agreement(guild, rel.id, *mentor, &agreement()).await.unwrap();
            rels.push(e.confirm_agreement(guild, rel.id, *mentee, v).await.unwrap().id);
        }
    }
    rels
}

/// The reminders `user` got, each with its buttons' custom ids (without the delivery marker):
/// numbers count within a server, so "mentorship #1" of two servers differ only there.
fn reminders(fake: &FakeDiscord, user: UserId) -> Vec<String> {
    fake.dms_to(user.0)
        .into_iter()
        .filter(|m| m.content.contains("Reminder: check-in"))
        .map(|m| {
            let ids: Vec<String> = m
                .custom_ids()
                .into_iter()
                .map(|c| c.split('~').next().unwrap_or_default().to_string())
                .collect();
            format!("{} {}", m.content, ids.join(" "))
        })
        .collect()
}

/// A TCP relay to PostgreSQL that can be cut, as a database host going away.
struct Relay {
    port: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    async fn to(host: &str, port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap().port();
        let target = format!("{host}:{port}");
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().unwrap().push(pipe);
            }
        });
        tasks.lock().unwrap().push(accept);
        Relay { port: local, tasks }
    }

    /// Stops listening and drops every connection.
    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

#[tokio::test]
async fn health_follows_the_database_and_the_gateway() {
    let Some(world) = World::postgres().await else { return };
    let options = world.pg_options.clone().unwrap();
    let relay = Relay::to(options.get_host(), options.get_port()).await;
    let store = mentorbot::store::postgres::PgStore::connect_with(options.port(relay.port), 2)
        .await
        .unwrap();
    let fake = fake_with(FakeConfig::default(), &[GUILD.0]).await;
    let (_app, bot) = boot(&fake, Arc::new(store), world.clock.clone(), None, |_| {}).await;
    let addr = bot.http_addr().expect("http.address is set");

    let up = health_becomes(addr, 200).await;
    assert_eq!(up["status"], "ok", "{up}");
    assert_eq!(up["database"], "ok", "{up}");
    assert_eq!(up["gateway"]["shards"], serde_json::json!([0]), "{up}");
    assert_eq!(up["gateway"]["connected"], 1, "{up}");
    assert_eq!(metric(addr, "mentorbot_database_up", &[]).await, 1.0);

    // Discord goes away: not healthy until the shard is back.
    fake.set_gateway_down(true);
    fake.drop_gateway();
    let down = health_becomes(addr, 503).await;
    assert_eq!(down["status"], "unavailable", "{down}");
    assert_eq!(down["database"], "ok", "{down}");
    let problems = down["problems"].to_string();
    assert!(problems.contains("gateway: shard(s) 0 not connected"), "{down}");
    assert_eq!(
        metric(addr, "mentorbot_gateway_shard_connected", &[("shard", "0")]).await,
        0.0
    );
    fake.set_gateway_down(false);
    health_becomes(addr, 200).await;

    // The database host goes away: the ping gets no answer, and the endpoint says so in time.
    relay.cut();
    let down = health_becomes(addr, 503).await;
    // Unauthenticated: the driver's error (hosts, users) goes to the log, not here.
    assert_eq!(down["database"], "unreachable", "{down}");
    assert_eq!(down["problems"], serde_json::json!(["database: unreachable"]), "{down}");
    assert_eq!(metric(addr, "mentorbot_database_up", &[]).await, 0.0);
    bot.shutdown().await;
}

#[tokio::test]
async fn metrics_move_when_commands_and_jobs_run() {
    let world = World::sqlite().await;
    // Opening DM channels is limited to one a second, so sending two reminders waits once.
    let config = FakeConfig {
        bucket_rules: vec![BucketRule::new(
            Some("POST"),
            "/users/@me/channels",
            1,
            StdDuration::from_secs(1),
        )],
        ..FakeConfig::default()
    };
    let fake = fake_with(config, &[GUILD.0]).await;
    let (_app, bot) = boot(&fake, world.store.clone(), world.clock.clone(), None, |_| {}).await;
    let addr = bot.http_addr().unwrap();
    let here = Place::Guild {
        guild_id: GUILD.0,
        channel_id: GUILD.0 + 1,
    };
    let profile_ok = [("command", "mentor profile"), ("outcome", "ok")];
    let pause_error = [("command", "mentor pause"), ("outcome", "error")];
    let (ok0, err0, count0) = (
        metric(addr, "mentorbot_commands_total", &profile_ok).await,
        metric(addr, "mentorbot_commands_total", &pause_error).await,
        metric(
            addr,
            "mentorbot_command_duration_seconds_count",
            &[("command", "mentor profile")],
        )
        .await,
    );

    fake.interaction_slash(here, MENTEE.0, cmd("mentor profile"))
        .wait_response()
        .await;
    let refused = fake
        .interaction_slash(here, MENTEE.0, cmd("mentor pause").str("until", "someday"))
        .wait_response()
        .await;
    assert!(
        refused.content().unwrap_or_default().contains("YYYY-MM-DD"),
        "{refused:?}"
    );
    assert_eq!(
        metric_reaches(addr, "mentorbot_commands_total", &profile_ok, ok0 + 1.0).await,
        ok0 + 1.0
    );
    assert_eq!(
        metric_reaches(addr, "mentorbot_commands_total", &pause_error, err0 + 1.0).await,
        err0 + 1.0
    );
    let profile = [("command", "mentor profile")];
    assert_eq!(
        metric(addr, "mentorbot_command_duration_seconds_count", &profile).await,
        count0 + 1.0
    );

    // One pair; its first reminders fall due.
    let e = &world.engine;
    e.setup_program(GUILD, true, &[], &ProgramSetup::default())
        .await
        .unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, v) = e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTEE, v).await.unwrap();
    let reminder = [("kind", "reminder")];
    let (claimed0, done0, sent0, waits0) = (
        metric(addr, "mentorbot_jobs_claimed_total", &reminder).await,
        metric(addr, "mentorbot_jobs_done_total", &reminder).await,
        metric(addr, "mentorbot_dms_sent_total", &[]).await,
        metric(addr, "mentorbot_ratelimit_waits_total", &[]).await,
    );
    let pending_before = metric(addr, "mentorbot_jobs", &[("state", "pending")]).await;
    assert!(pending_before > 0.0, "the schedule's jobs are counted");

    assert_eq!(metric(addr, "mentorbot_jobs_due", &[]).await, 0.0, "nothing due yet");
    world.clock.set(first_checkin() - Duration::hours(24));
    assert!(
        metric(addr, "mentorbot_jobs_due", &[]).await >= 1.0,
        "the first reminder is due"
    );
    let report = bot.run_jobs().await;
    assert_eq!(metric(addr, "mentorbot_jobs_due", &[]).await, 0.0, "all run");
    let due: Vec<_> = world
        .jobs
        .jobs_for_relationship(GUILD, rel.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "reminder" && j.state == JobState::Done)
        .collect();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(
        metric(addr, "mentorbot_jobs_claimed_total", &reminder).await,
        claimed0 + 1.0
    );
    assert_eq!(metric(addr, "mentorbot_jobs_done_total", &reminder).await, done0 + 1.0);
    let sent = reminders(&fake, MENTOR).len() + reminders(&fake, MENTEE).len();
    assert_eq!(sent, 2);
    assert_eq!(metric(addr, "mentorbot_dms_sent_total", &[]).await, sent0 + sent as f64);
    assert!(
        metric(addr, "mentorbot_ratelimit_waits_total", &[]).await > waits0,
        "the second DM channel waited for the rate limit"
    );
    assert_eq!(report.failed, 0, "{report:?}");
    bot.shutdown().await;
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_graceful_shutdown_with_jobs_in_flight_loses_and_repeats_nothing() {
    let world = World::sqlite().await;
    // Slow DM channel creation keeps the reminders in flight when the stop comes.
    let config = FakeConfig {
        bucket_rules: vec![BucketRule::new(
            Some("POST"),
            "/users/@me/channels",
            1,
            StdDuration::from_millis(700),
        )],
        ..FakeConfig::default()
    };
    let fake = fake_with(config, &[GUILD.0]).await;
    let rels = pairs(&world, GUILD).await;
    world.clock.set(first_checkin() - Duration::hours(24));
    let (_app, bot) = boot(
        &fake,
        world.store.clone(),
        world.clock.clone(),
        Some(StdDuration::from_millis(20)),
        |_| {},
    )
    .await;
    // The background worker has posted its first message: stop now.
    let first = fake
        .wait_for_request(|r| r.method == "POST" && r.path.ends_with("/messages"), WAIT)
        .await;
    assert!(first.is_some(), "the worker started sending");
    let running = world.jobs.counts(None).await.unwrap().running;
    assert!(running > 0, "jobs are in flight when the stop comes");
    // The jobs finish, or what is left is given back when the grace period ends; either way the
    // process is done in time (an orchestrator kills it soon after).
    let stopping = std::time::Instant::now();
    let finished = bot.shutdown_within(SHUTDOWN_GRACE).await;
    assert!(
        stopping.elapsed() < SHUTDOWN_GRACE + StdDuration::from_secs(2),
        "stopped in {:?} (finished: {finished})",
        stopping.elapsed()
    );
    let counts = world.jobs.counts(None).await.unwrap();
    assert_eq!(counts.running, 0, "every job is done or given back: {counts:?}");

    // A new process finishes whatever is left; nobody gets a reminder twice.
    let (_app, bot) = boot(&fake, world.store.clone(), world.clock.clone(), None, |_| {}).await;
    bot.run_jobs().await;
    for rel in &rels {
        for job in world.jobs.jobs_for_relationship(GUILD, *rel).await.unwrap() {
            if job.run_at <= world.clock.now() {
                assert_eq!(job.state, JobState::Done, "{job:?}");
            }
        }
    }
    for who in PEOPLE {
        let got = reminders(&fake, who);
        assert_eq!(got.len(), 4, "{who}: each of the 4 pairs once: {got:#?}");
        let distinct: std::collections::BTreeSet<_> = got.iter().collect();
        assert_eq!(distinct.len(), 4, "{who}: {got:#?}");
    }
    bot.shutdown().await;
    fake.assert_no_violations();
}

#[tokio::test]
async fn two_processes_split_the_shards_and_share_the_jobs() {
    let Some(world) = World::postgres().await else { return };
    // A second guild on the other shard of two.
    let other = (1..)
        .map(|n| GuildId(GUILD.0 + (n << 22)))
        .find(|g| FakeDiscord::shard_of(g.0, 2) != FakeDiscord::shard_of(GUILD.0, 2))
        .unwrap();
    let guilds = [GUILD, other];
    let fake = fake_with(FakeConfig::default(), &[GUILD.0, other.0]).await;
    let mut rels = Vec::new();
    for g in guilds {
        rels.extend(pairs(&world, g).await);
    }
    world.clock.set(first_checkin() - Duration::hours(24));

    // Process 0 runs shard 0 of 2, process 1 shard 1, each with its own pool on one schema.
    let second = mentorbot::store::postgres::PgStore::connect_with(world.pg_options.clone().unwrap(), 4)
        .await
        .unwrap();
    let stores: [Arc<dyn Store>; 2] = [world.store.clone(), Arc::new(second)];
    let mut processes = Vec::new();
    for (shard, store) in stores.into_iter().enumerate() {
        let (app, bot) = boot(&fake, store, world.clock.clone(), None, |s| {
            s.discord.shard_count = 2;
            s.discord.shards = shard.to_string();
        })
        .await;
        processes.push((app, bot));
    }
    assert!(
        fake.wait_gateway(WAIT, |s| s.live_shards == [0, 1]).await,
        "{:?}",
        fake.gateway_stats()
    );
    for (shard, (_, bot)) in processes.iter().enumerate() {
        let health = health_becomes(bot.http_addr().unwrap(), 200).await;
        assert_eq!(health["gateway"]["shards"], serde_json::json!([shard]), "{health}");
    }

    // One command in each guild: answered once, by the process that owns the guild's shard.
    for g in guilds {
        let place = Place::Guild {
            guild_id: g.0,
            channel_id: g.0 + 1,
        };
        let handle = fake.interaction_slash(place, MENTEE.0, cmd("mentor profile"));
        handle.wait_response().await;
        let callback = format!("/interactions/{}/{}/callback", handle.id, handle.token);
        let answers = fake.requests().iter().filter(|r| r.path == callback).count();
        assert_eq!(answers, 1, "guild {g}");
    }
    // Counted whatever the outcome (on a loaded machine an answer can miss Discord's 3 s), and
    // after the answer went out.
    let handled = |app: &App| {
        app.metrics.commands_handled("mentor profile", true) + app.metrics.commands_handled("mentor profile", false)
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while processes.iter().map(|(app, _)| handled(app)).sum::<u64>() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    for (shard, (app, _)) in processes.iter().enumerate() {
        assert_eq!(
            handled(app),
            1,
            "the process of shard {shard} handled its guild's command only"
        );
    }

    // Both run the due reminders at once: each goes out once.
    let (a, b) = tokio::join!(processes[0].1.run_jobs(), processes[1].1.run_jobs());
    assert!(a.done + b.done >= rels.len(), "{a:?} {b:?}");
    for who in PEOPLE {
        let got = reminders(&fake, who);
        // 4 pairs in each of the 2 guilds.
        assert_eq!(got.len(), 8, "{who}: {got:#?}");
        let distinct: std::collections::BTreeSet<_> = got.iter().collect();
        assert_eq!(distinct.len(), 8, "{who}: {got:#?}");
    }
    for (_, bot) in processes {
        bot.shutdown().await;
    }
    fake.assert_no_violations();
}
