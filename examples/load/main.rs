//! The load harness: the real bot (`App::build`, poise, serenity, the notifier and the job worker
//! in the background, as `mentorbot run` starts them) in a process of its own, against the
//! Discord stand-in, on a database populated in bulk, driven by a fixed rate of interactions.
//!
//! ```text
//! cargo run --release --example load                               # small: SQLite, CI-sized
//! cargo run --release --example load -- --backend postgres --servers 1000 --profiles 1000000 \
//!     --open 50000 --relationships 100000 --rate 100 --duration 60 --json
//! ```
//!
//! First the bot runs idle on an empty SQLite database (its RSS then is the "idle" figure).
//!
//! Populating: the engine makes one real mentorship (profiles, offer, request, agreement, plan,
//! check-ins, journal entries and the jobs its schedule implies); SQL then copies its rows
//! `--relationships` times with new ids, spread over `--servers` servers, plus profiles up to
//! `--profiles` and open offers and requests up to `--open` (one statement per table, so a
//! million profiles take seconds). PostgreSQL is a fresh schema at `MENTORBOT_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards.
//!
//! Measured: the start (until the bot is ready, and until the catch-up that re-plans every
//! active mentorship in the background is done; `/mentorship list` sent as the gateway comes up
//! and every 250 ms until the catch-up is done, which must all be answered: the harness fails
//! otherwise), then for `--duration` seconds `--rate` interactions per second from the members
//! of the copies, in turn: `/mentorship list`, `/mentor profile`, `/mentorship plan list`,
//! `/mentorship journal list`, `/mentorship journal write` (its form), `/mentorship checkin`,
//! `/mentor suggest` (by holders of open requests), `/mentor request` (its form, then the form
//! submitted, then the invited member pressing Accept on the invitation's DM) and Reschedule
//! pressed on a check-in reminder the bot sent (the custom id as found in the DM, `~marker`
//! and all). Reminders fall due meanwhile: some once the catch-up is done, then one a second. For each
//! kind: the time from the stand-in sending the interaction to the bot's first response (a
//! deferral counts) and to its final answer, errors, answers over 3 s; the bot process's RSS
//! when idle and at peak, and its CPU time.
use std::time::{Duration, Instant};

use fake_discord::{FakeConfig, FakeDiscord, FakeGuild, FakeUser, Place, SlashCommand};
use mentorbot::app::App;
use mentorbot::config::{Secret, Settings};
use serde_json::{json, Value};
use sqlx::Connection;

mod bot;
mod child;
mod mix;
mod world;

use child::BotProcess;
use mix::{Reminders, Sample};
use world::{EXTRA_OF, GUILD, GUILD_BASE, MENTEE_OF, MENTOR_OF, OWNER, REL};

/// Members the stand-in knows per kind of caller are capped: the interactions come from these.
const ACTIVE_MAX: i64 = 2_000;
/// Reminders made due once the catch-up is done; then one a second during the run.
const REMINDERS_AT_START: i64 = 40;

pub struct Args {
    backend: String,
    servers: i64,
    profiles: i64,
    open: i64,
    relationships: i64,
    rate: u32,
    duration: u64,
    json: bool,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        servers: 10,
        profiles: 2_000,
        open: 200,
        relationships: 500,
        rate: 20,
        duration: 10,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--json" {
            a.json = true;
            continue;
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let n = || value.replace(['_', ','], "").parse::<i64>().expect("a number");
        match flag.as_str() {
            "--backend" => a.backend = value.clone(),
            "--servers" => a.servers = n().max(1),
            "--profiles" => a.profiles = n(),
            "--open" => a.open = n(),
            "--relationships" => a.relationships = n().max(1),
            "--rate" => a.rate = n().max(1) as u32,
            "--duration" => a.duration = n().max(1) as u64,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn guild_place(guild: u64) -> Place {
    // The stand-in's "general" channel of a server: the server's id plus one.
    Place::Guild {
        guild_id: guild,
        channel_id: guild + 1,
    }
}

fn main() {
    if bot::run_if_child() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ok = runtime.block_on(harness(args()));
    if !ok {
        std::process::exit(1);
    }
}

/// The bot idle on an empty SQLite database: its start, RSS and threads.
async fn idle_on_empty(fake: &FakeDiscord) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/empty.db", dir.path().display());
    let spawned = Instant::now();
    let bot = BotProcess::spawn(fake, &url);
    let ready = bot.wait_for("ready", Duration::from_secs(120)).await;
    bot.wait_for("caught_up", Duration::from_secs(120)).await;
    // Idle: the start's work is over and nothing is due.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let u = bot.usage();
    bot.stop().await;
    json!({
        "ready_s": (ready - spawned).as_secs_f64(),
        "rss_kb": u.rss_kb, "rss_anon_kb": u.anon_kb, "rss_file_kb": u.file_kb,
        "high_water_kb": u.hwm_kb, "threads": u.threads, "cpu_s": u.cpu_s,
    })
}

async fn harness(a: Args) -> bool {
    let loadavg = || {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let loadavg_at_start = loadavg();
    let fake = FakeDiscord::start(FakeConfig::default()).await;
    fake.add_guild(FakeGuild::new(GUILD, "template", OWNER));
    let idle_empty = idle_on_empty(&fake).await;

    // Populate: the template through the engine, then the copies in bulk.
    let (url, schema, _dir) = world::database(&a.backend).await;
    let mut settings = Settings::defaults();
    settings.database.url = url.clone();
    settings.discord.token = Secret::new(fake.bot_token());
    let populate_started = Instant::now();
    let rel = {
        let app = App::build(settings.clone()).await.expect("the database");
        let rel = world::template(&app).await;
        drop(app);
        world::populate(&url, &a, rel).await;
        rel
    };
    let populate_s = populate_started.elapsed().as_secs_f64();

    // The stand-in's servers and the members the interactions come from.
    let s = a.servers;
    let active = a.relationships.min(ACTIVE_MAX);
    for i in 0..s as u64 {
        fake.add_guild(FakeGuild::new(GUILD_BASE + i, format!("server {i}"), OWNER));
    }
    let guild_of = move |x: i64| GUILD_BASE + (x % s) as u64;
    let member = |x: i64, user: i64, name: String| fake.add_member(guild_of(x), FakeUser::new(user as u64, name));
    for g in 1..=active {
        member(g, MENTOR_OF + g, format!("mentor{g}"));
        member(g, MENTEE_OF + g, format!("mentee{g}"));
    }
    // `/mentor suggest` comes from holders of open requests (user EXTRA_OF + half + k).
    let half = a.open / 2;
    let suggesters: Vec<(u64, i64)> = (1..=(a.open - half).min(ACTIVE_MAX))
        .map(|k| (guild_of(half + k), EXTRA_OF + half + k))
        .collect();
    for &(_, u) in &suggesters {
        member(u - EXTRA_OF, u, format!("seeker{}", u - EXTRA_OF));
    }
    // `/mentor request` pairs: profiles past the listings' holders, `pairs` apart (a multiple of
    // the servers, so both are in one server), each pair used once while there are enough.
    let total = u64::from(a.rate) * a.duration;
    let extra = (a.profiles - 2 * a.relationships).max(0);
    let wanted = (total / 9 + 1) as i64;
    let room = (extra - a.open).max(0) / 2 / s * s;
    let pairs = ((wanted + s - 1) / s * s).min(room);
    for j in 0..pairs.min(wanted) {
        let x = a.open + 1 + j;
        member(x, EXTRA_OF + x, format!("asker{x}"));
        member(x + pairs, EXTRA_OF + x + pairs, format!("asked{x}"));
    }

    // Reminders: some due once the catch-up is done, then one a second.
    let reminder_copies = active.min(REMINDERS_AT_START + a.duration as i64);
    let at_start = reminder_copies.min(REMINDERS_AT_START);
    let reminders = Reminders::default();
    let recipients = (1..=reminder_copies)
        .flat_map(|g| [(MENTOR_OF + g) as u64, (MENTEE_OF + g) as u64])
        .collect();
    let collector = reminders.collect(fake.clone(), recipients);

    // The start, with commands sent from the moment the gateway identifies until the catch-up
    // is done.
    let identified = fake.gateway_stats().identifies;
    let spawned = Instant::now();
    let bot = BotProcess::spawn(&fake, &url);
    fake.wait_gateway(Duration::from_secs(600), |g| g.identifies > identified)
        .await;
    let during_start = {
        let fake = fake.clone();
        let (tx, mut stop) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut sent = tokio::task::JoinSet::new();
            let mut g = 0;
            loop {
                g = g % active + 1;
                sent.spawn(mix::slash(
                    fake.clone(),
                    "during the start: mentorship list",
                    guild_place(guild_of(g)),
                    (MENTEE_OF + g) as u64,
                    SlashCommand::new("mentorship").subcommand("list"),
                ));
                if tokio::time::timeout(Duration::from_millis(250), stop.changed())
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            sent.join_all().await
        });
        (tx, task)
    };
    let ready_s = (bot.wait_for("ready", Duration::from_secs(600)).await - spawned).as_secs_f64();
    let caught_up_s = (bot.wait_for("caught_up", Duration::from_secs(3600)).await - spawned).as_secs_f64();
    let _ = during_start.0.send(true);
    let start_samples = during_start.1.await.unwrap();
    let at_caught_up = bot.usage();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = bot.usage();
    let mut reminders_due =
        world::make_reminders_due(&url, rel, 1..=at_start, chrono::Utc::now(), Duration::from_millis(10)).await;
    // The first reminders before the drive: there must be one to press.
    let waited = Instant::now();
    while reminders.count() == 0 && waited.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first_reminder_s = waited.elapsed().as_secs_f64();

    // The mix, at a fixed rate, with a reminder falling due every second.
    reminders_due += world::make_reminders_due(
        &url,
        rel,
        at_start + 1..=reminder_copies,
        chrono::Utc::now() + chrono::Duration::seconds(1),
        Duration::from_secs(1),
    )
    .await;
    let period = Duration::from_secs_f64(1.0 / f64::from(a.rate));
    let mut tasks = tokio::task::JoinSet::new();
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    bot.reset_peak();
    let before_drive = bot.usage();
    let harness_before = child::usage(std::process::id());
    let drive_started = Instant::now();
    let (mut requests, mut presses) = (0i64, 0usize);
    for i in 0..total {
        ticker.tick().await;
        let g = 1 + (i as i64 * 7919) % active;
        let place = guild_place(guild_of(g));
        let (user, rel) = (if i % 2 == 0 { MENTEE_OF + g } else { MENTOR_OF + g } as u64, REL + g);
        let f = fake.clone();
        let cmd = |path: &[&str]| {
            path.iter()
                .fold(SlashCommand::new("mentorship"), |c, p| c.subcommand(p))
                .int("mentorship", rel)
        };
        match i % 9 {
            0 => tasks.spawn(async move {
                let c = SlashCommand::new("mentorship").subcommand("list");
                vec![mix::slash(f, "mentorship list", place, user, c).await]
            }),
            1 => tasks.spawn(async move {
                let c = SlashCommand::new("mentor").subcommand("profile");
                vec![mix::slash(f, "mentor profile", place, user, c).await]
            }),
            2 => {
                let c = cmd(&["plan", "list"]);
                tasks.spawn(async move { vec![mix::slash(f, "mentorship plan list", place, user, c).await] })
            }
            3 => {
                let c = cmd(&["journal", "list"]);
                tasks.spawn(async move { vec![mix::slash(f, "mentorship journal list", place, user, c).await] })
            }
            4 => {
                let c = cmd(&["journal", "write"]);
                tasks.spawn(async move { vec![mix::slash(f, "mentorship journal write (form)", place, user, c).await] })
            }
            5 => {
                let c = cmd(&["checkin"]).opt("met", fake_discord::OptionValue::Boolean(true));
                tasks.spawn(async move { vec![mix::slash(f, "mentorship checkin", place, user, c).await] })
            }
            6 => {
                let (guild, user) = match suggesters.get(i as usize / 9 % suggesters.len().max(1)) {
                    Some(&(guild, u)) => (guild, u as u64),
                    None => (guild_of(g), user),
                };
                tasks.spawn(async move {
                    let c = SlashCommand::new("mentor").subcommand("suggest");
                    vec![mix::slash(f, "mentor suggest", guild_place(guild), user, c).await]
                })
            }
            7 if pairs > 0 => {
                let x = a.open + 1 + requests % pairs;
                requests += 1;
                let (asker, asked) = ((EXTRA_OF + x) as u64, (EXTRA_OF + x + pairs) as u64);
                tasks.spawn(mix::request_and_accept(f, guild_place(guild_of(x)), asker, asked))
            }
            7 => tasks.spawn(async move {
                let c = SlashCommand::new("mentorship").subcommand("list");
                vec![mix::slash(f, "mentorship list", place, user, c).await]
            }),
            _ => {
                presses += 1;
                let r = reminders.clone();
                tasks.spawn(async move { vec![mix::press_reminder(f, r, presses).await] })
            }
        };
    }
    let mut samples: Vec<Sample> = Vec::new();
    while let Some(s) = tasks.join_next().await {
        samples.extend(s.unwrap());
    }
    let drive_s = drive_started.elapsed().as_secs_f64();
    let after_drive = bot.usage();
    let harness_cpu_s = child::usage(std::process::id()).cpu_s - harness_before.cpu_s;
    let peak_kb = bot.sampled_peak_kb();
    collector.abort();
    bot.stop().await;
    let harness_kb = child::usage(std::process::id()).hwm_kb;

    let interactions: Vec<&Sample> = samples
        .iter()
        .filter(|s| !s.kind.starts_with("invitation DM"))
        .collect();
    let errors = interactions.iter().filter(|s| s.error.is_some()).count();
    let over_3s = interactions.iter().filter(|s| s.final_ms > 3000.0).count();
    let start_errors: Vec<&str> = start_samples.iter().filter_map(|s| s.error.as_deref()).collect();
    let start_worst = start_samples.iter().map(|s| s.final_ms).fold(0.0, f64::max);
    let result = json!({
        "date": chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        // The machine is shared: how busy it was (1, 5 and 15 minutes).
        "loadavg_at_start": loadavg_at_start,
        "loadavg_at_end": loadavg(),
        "backend": a.backend,
        "sizes": {
            "servers": a.servers, "profiles": a.profiles.max(2 * a.relationships), "open_listings": a.open,
            "relationships": a.relationships,
        },
        "populate_s": populate_s,
        "idle_on_empty_sqlite": idle_empty,
        "bot_executable": child::bot_executable().file_name().map(|n| n.to_string_lossy().into_owned()),
        "start": {
            "ready_s": ready_s,
            "caught_up_s": caught_up_s,
            "commands_during_start": mix::summary(start_samples.iter().map(|s| s.final_ms).collect()),
            "commands_during_start_errors": start_errors,
            "cpu_s": at_caught_up.cpu_s,
        },
        "drive": {
            "rate_per_s": a.rate, "duration_s": a.duration, "sent": total, "took_s": drive_s,
            "first_response": mix::summary(interactions.iter().map(|s| s.first_ms).collect()),
            "first_response_seen_by_harness": mix::summary(interactions.iter().map(|s| s.first_seen_ms).collect()),
            "final_answer": mix::summary(interactions.iter().map(|s| s.final_ms).collect()),
            "errors": errors,
            "answers_over_3s": over_3s,
            "by_kind": mix::by_kind(&samples),
            "reminders_made_due": reminders_due,
            "reminders_found": reminders.count(),
            "first_reminder_after_catch_up_s": first_reminder_s,
            "cpu_s": after_drive.cpu_s - before_drive.cpu_s,
            // The stand-in (which checks every request against Discord's OpenAPI file) and the
            // harness, on the same cores: what the bot competed with.
            "harness_and_stand_in_cpu_s": harness_cpu_s,
        },
        "bot_process_memory_kb": {
            "idle_after_start": idle.rss_kb,
            "idle_after_start_anon": idle.anon_kb,
            "idle_after_start_file": idle.file_kb,
            "after_run_anon": after_drive.anon_kb,
            "peak_under_load_sampled": peak_kb,
            "high_water_whole_run": after_drive.hwm_kb,
            "threads": after_drive.threads,
        },
        "harness_and_stand_in_high_water_kb": harness_kb,
        // Requests the stand-in found against Discord's OpenAPI description or its rules.
        "stand_in_violations": fake.spec_violations().len(),
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result).unwrap());
    } else {
        print_text(&a, &result);
    }
    if let Some((url, schema)) = schema {
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    // The start's promise: commands are answered while the bot comes up.
    if !start_errors.is_empty() || start_worst > 3000.0 {
        eprintln!(
            "FAILED: a command sent during the start was not answered in time ({} errors, slowest {start_worst:.0} ms): {start_errors:?}",
            start_errors.len()
        );
        return false;
    }
    true
}

fn print_text(a: &Args, r: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    let e = &r["idle_on_empty_sqlite"];
    println!(
        "idle on an empty SQLite database: ready in {:.2} s, RSS {:.1} MB ({:.1} MB its own memory, {:.1} MB mapped \
         from the executable and libraries), {} threads; the bot ran as {}",
        f(&e["ready_s"]),
        mb(e["rss_kb"].as_u64().unwrap_or(0)),
        mb(e["rss_anon_kb"].as_u64().unwrap_or(0)),
        mb(e["rss_file_kb"].as_u64().unwrap_or(0)),
        e["threads"],
        r["bot_executable"].as_str().unwrap_or("?")
    );
    println!(
        "load on {}: {} servers, {} profiles, {} open listings, {} relationships (populated in {:.1} s)",
        a.backend,
        a.servers,
        r["sizes"]["profiles"],
        a.open,
        a.relationships,
        f(&r["populate_s"])
    );
    let st = &r["start"];
    println!(
        "  start: ready in {:.2} s, catch-up done at {:.2} s; {} commands sent meanwhile, slowest answer {:.0} ms, {} errors",
        f(&st["ready_s"]),
        f(&st["caught_up_s"]),
        st["commands_during_start"]["count"],
        f(&st["commands_during_start"]["max_ms"]),
        st["commands_during_start_errors"].as_array().map_or(0, Vec::len)
    );
    let d = &r["drive"];
    let line = |name: &str, s: &Value| {
        println!(
            "  {name:>40}: p50 {:7.1}  p95 {:7.1}  p99 {:7.1}  max {:7.1} ms  (n {})",
            f(&s["p50_ms"]),
            f(&s["p95_ms"]),
            f(&s["p99_ms"]),
            f(&s["max_ms"]),
            s["count"]
        );
    };
    println!("  all interactions ({}/s for {} s):", a.rate, a.duration);
    line("first response", &d["first_response"]);
    line(
        "first response as the harness saw it",
        &d["first_response_seen_by_harness"],
    );
    line("final answer", &d["final_answer"]);
    if let Some(kinds) = d["by_kind"].as_object() {
        for (k, v) in kinds {
            line(&format!("{k}, final"), &v["final_answer"]);
            if v["errors"].as_u64().unwrap_or(0) > 0 {
                println!("  {:>40}  {} errors, e.g. {}", "", v["errors"], v["error_examples"]);
            }
        }
    }
    println!(
        "  errors {}, answers over 3 s {}; reminders made due {}, pressed among {}",
        d["errors"], d["answers_over_3s"], d["reminders_made_due"], d["reminders_found"]
    );
    let m = &r["bot_process_memory_kb"];
    println!(
        "  bot process: RSS idle {:.1} MB ({:.1} MB its own), peak under load {:.1} MB (high water {:.1} MB), {} threads; CPU {:.1} s in the run (harness and stand-in: {:.1} s)",
        mb(m["idle_after_start"].as_u64().unwrap_or(0)),
        mb(m["idle_after_start_anon"].as_u64().unwrap_or(0)),
        mb(m["peak_under_load_sampled"].as_u64().unwrap_or(0)),
        mb(m["high_water_whole_run"].as_u64().unwrap_or(0)),
        m["threads"],
        f(&d["cpu_s"]),
        f(&d["harness_and_stand_in_cpu_s"])
    );
}
