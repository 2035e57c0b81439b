//! The load harness: the real bot (`App::build`, poise, serenity, the notifier and the job worker
//! in the background, as `mentorbot run` starts them) against the Discord stand-in, on a database
//! populated in bulk, driven by a fixed rate of interactions.
//!
//! ```text
//! cargo run --release --example load                               # small: SQLite, CI-sized
//! cargo run --release --example load -- --backend postgres --servers 1000 --profiles 1000000 \
//!     --open 50000 --relationships 100000 --rate 100 --duration 60 --json
//! ```
//!
//! Populating: the engine makes one real mentorship (profiles, offer, request, agreement, plan,
//! check-ins, journal entries and the jobs its schedule implies); SQL then copies its rows
//! `--relationships` times with new ids, spread over `--servers` servers, plus profiles up to
//! `--profiles` and open offers and requests up to `--open` (one statement per table, so a
//! million profiles take seconds). PostgreSQL is a fresh schema at `MENTORBOT_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards.
//!
//! Measured: the start (until the bot is ready, and until the catch-up that re-plans every
//! active mentorship in the background is done; a command sent as the gateway comes up), then for `--duration` seconds `--rate`
//! interactions per second from the members of the copies (a mix of `/mentorship list`,
//! `/mentor profile`, `/mentorship plan list`, `/mentorship journal list`, `/mentorship
//! journal write` (its form) and `/mentorship checkin`), with the job worker running what falls
//! due: the time from the stand-in sending each interaction to the bot's first response (a
//! deferral counts) and to its final answer, errors, answers over 3 s, RSS idle and at peak
//! (of the whole process: bot and stand-in), and CPU time.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use fake_discord::{FakeConfig, FakeDiscord, FakeGuild, FakeUser, Place, SlashCommand};
use mentorbot::app::App;
use mentorbot::config::{Secret, Settings};
use mentorbot::discord::{start, DiscordOptions};
use mentorbot::domain::agreement::AgreementInput;
use mentorbot::domain::listing::{Kind, OfferInput, RequestInput};
use mentorbot::domain::profile::ProfileInput;
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::Direction;
use serde_json::{json, Value};
use sqlx::Connection;

const GUILD: u64 = 1_000_000_000_000_001;
const MENTOR: u64 = 900_000_000_000_000_001;
const MENTEE: u64 = 900_000_000_000_000_002;
const OWNER: u64 = 900_000_000_000_000_050;
/// Ids of the copies: relationship `REL + g`, mentor `MENTOR_OF + g`, mentee `MENTEE_OF + g`.
const REL: i64 = 100_000_000;
const MENTOR_OF: i64 = 300_000_000_000;
const MENTEE_OF: i64 = 400_000_000_000;
const EXTRA_OF: i64 = 500_000_000_000;
/// Members the stand-in knows per copy are capped: the interactions come from these.
const ACTIVE_MAX: i64 = 2_000;

struct Args {
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

/// Resident set size now and at its peak (kB), and CPU time used (s), of this process.
fn usage() -> (u64, u64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    (kb("VmRSS:"), kb("VmHWM:"), cpu)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "count": ms.len(),
        "p50_ms": percentile(&ms, 0.50),
        "p95_ms": percentile(&ms, 0.95),
        "p99_ms": percentile(&ms, 0.99),
        "max_ms": ms.last().copied().unwrap_or(0.0),
    })
}

/// The database: its URL, and what drops it afterwards (a PostgreSQL schema).
async fn database(backend: &str) -> (String, Option<(String, String)>, Option<tempfile::TempDir>) {
    if backend == "postgres" {
        let url = std::env::var("MENTORBOT_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let schema = format!("load_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let with_schema = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        (with_schema, Some((url, schema)), None)
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/load.db", dir.path().display());
        (url, None, Some(dir))
    }
}

/// The statements that copy the template mentorship (relationship `rel`) `n` times, and the
/// profiles and open listings around them: (table, template rows, `column=expression;...`
/// over the template `t` and the copy's number `s.g`, an empty expression omitting the column,
/// copies).
fn copies(a: &Args, rel: i64) -> Vec<(String, String, String, i64)> {
    let g = |col: &str| format!("({GUILD_BASE} + s.g % {}) AS {col}", a.servers);
    let (mentor, mentee) = (MENTOR as i64, MENTEE as i64);
    let who =
        |col: &str| format!("(CASE WHEN t.{col} = {mentor} THEN {MENTOR_OF} ELSE {MENTEE_OF} END + s.g) AS {col}");
    let r = a.relationships;
    let extra = (a.profiles - 2 * r).max(0);
    // (table, template condition, overrides as "col=expr;..." , copies)
    vec![
        ("profiles".into(), format!("user_id = {mentor}"), format!("guild_id={};user_id=({MENTOR_OF} + s.g)", g("guild_id")), r),
        ("profiles".into(), format!("user_id = {mentee}"), format!("guild_id={};user_id=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("profiles".into(), format!("user_id = {mentee}"), format!("guild_id={};user_id=({EXTRA_OF} + s.g)", g("guild_id")), extra),
        ("guild_members".into(), format!("user_id = {mentor} AND guild_id = {GUILD}"), format!("guild_id={};user_id=({MENTOR_OF} + s.g)", g("guild_id")), r),
        ("guild_members".into(), format!("user_id = {mentee} AND guild_id = {GUILD}"), format!("guild_id={};user_id=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("offers".into(), format!("user_id = {mentor}"), format!("id=({REL} + s.g);guild_id={};user_id=({EXTRA_OF} + s.g)", g("guild_id")), a.open / 2),
        ("requests".into(), format!("user_id = {mentee}"), format!("id=({REL} + s.g);guild_id={};user_id=({EXTRA_OF} + {} + s.g)", g("guild_id"), a.open / 2), a.open - a.open / 2),
        ("relationships".into(), format!("id = {rel}"), format!("id=({REL} + s.g);number=({REL} + s.g);guild_id={};proposer_id=({MENTEE_OF} + s.g);pair_low=({MENTOR_OF} + s.g);pair_high=({MENTEE_OF} + s.g);offer_id=NULL;request_id=NULL", g("guild_id")), r),
        ("relationship_members".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={};user_id=(CASE WHEN t.role = 'mentor' THEN {MENTOR_OF} ELSE {MENTEE_OF} END + s.g)", g("guild_id")), r),
        ("agreements".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={};author_id={}", g("guild_id"), who("author_id")), r),
        ("agreement_confirmations".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);user_id={}", who("user_id")), r),
        ("schedules".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={}", g("guild_id")), r),
        ("goals".into(), format!("relationship_id = {rel}"), format!("id=({REL} + s.g);relationship_id=({REL} + s.g);guild_id={};created_by=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("steps".into(), format!("goal_id IN (SELECT id FROM goals WHERE relationship_id = {rel})"), format!("id=;goal_id=({REL} + s.g);guild_id={};owner_id=NULL", g("guild_id")), r),
        ("checkins".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};reported_by=NULL", g("guild_id")), r),
        ("journal_entries".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};author_id={};checkin_id=NULL", g("guild_id"), who("author_id")), r),
        ("jobs".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};dedupe_key=(t.dedupe_key || ':copy' || s.g)", g("guild_id")), r),
    ]
}

const GUILD_BASE: u64 = 2_000_000_000_000_000;

/// Copies rows as [`copies`] lists them, one INSERT ... SELECT per table.
async fn populate(url: &str, a: &Args, rel: i64) -> Duration {
    let started = Instant::now();
    let pg = url.starts_with("postgres");
    let series = |n: i64| {
        if pg {
            format!("generate_series(1, {n}) AS s(g)")
        } else {
            format!(
                "(WITH RECURSIVE q(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM q WHERE g < {n}) SELECT g FROM q) AS s"
            )
        }
    };
    let plan = copies(a, rel);
    macro_rules! run_all {
        ($conn:expr, $columns_sql:expr) => {{
            let conn = $conn;
            for (table, template, overrides, n) in plan {
                if n <= 0 {
                    continue;
                }
                let cols: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe($columns_sql(&table)))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                let over: HashMap<&str, &str> = overrides
                    .split(';')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                let (mut names, mut values) = (Vec::new(), Vec::new());
                for (c,) in cols {
                    match over.get(c.as_str()) {
                        Some(e) if e.is_empty() => {}
                        Some(e) => {
                            names.push(c.clone());
                            values.push(e.split(" AS ").next().unwrap().to_string());
                        }
                        None => {
                            names.push(c.clone());
                            values.push(format!("t.{c}"));
                        }
                    }
                }
                let sql = format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM (SELECT * FROM {table} WHERE {template}) t, {} WHERE true",
                    names.join(", "),
                    values.join(", "),
                    series(n)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{e}: {sql}"));
            }
            sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
        }};
    }
    if pg {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        run_all!(&mut conn, |t: &str| format!(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{t}' ORDER BY ordinal_position"
        ));
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        run_all!(&mut conn, |t: &str| format!(
            "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
        ));
    }
    started.elapsed()
}

fn profile(name: &str) -> ProfileInput {
    ProfileInput {
        display_name: name.into(),
        timezone: "Europe/Berlin".into(),
        availability: "tue 18:00-20:00, sat 10:00-14:00".into(),
        methods: vec!["video".into()],
        role: Some("engineer".into()),
        experience: Some("8 years".into()),
        mentoring_styles: vec!["coaching".into()],
        learning_styles: vec!["hands-on".into()],
    }
}

/// The template: one mentorship as the engine makes it.
async fn template(app: &App) -> i64 {
    let e = &app.engine;
    let (g, mentor, mentee) = (GuildId(GUILD), UserId(MENTOR), UserId(MENTEE));
    for u in [mentor, mentee] {
        let member = mentorbot::store::privacy::GuildMember {
            user: u,
            bot: false,
            roles: Vec::new(),
        };
        app.store.upsert_member(g, &member).await.unwrap();
    }
    e.set_profile(g, mentor, &profile("Ada")).await.unwrap();
    e.set_profile(g, mentee, &profile("Grace")).await.unwrap();
    let offer = OfferInput {
        purpose: "Help newer engineers grow into confident Rust developers".into(),
        topics: vec!["rust".into()],
        skills: vec!["code review".into()],
        kinds: vec!["classic".into()],
        capacity: 3,
        hopes_to_learn: None,
    };
    e.create_offer(g, mentor, &offer).await.unwrap();
    let request = RequestInput {
        purpose: "I want to lead our migration to Rust within a year".into(),
        goals: vec!["rust".into()],
        kinds: vec!["classic".into()],
        styles: vec!["coaching".into()],
    };
    e.create_request(g, mentee, &request).await.unwrap();
    let rel = e
        .propose_direct(g, mentee, mentor, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(g, rel.id, mentor).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let agreement = AgreementInput {
        expectations: "Come prepared with one question.".into(),
        issue_handling: "If we miss two meetings, we talk.".into(),
        frequency: "every week".into(),
        day: None,
        time: "18:30".into(),
        timezone: "Europe/Berlin".into(),
        meeting_minutes: 45,
        method: "video".into(),
        place: None,
        start_date: (today + chrono::Duration::days(1)).to_string(),
        end_date: Some((today + chrono::Duration::days(180)).to_string()),
        missed_before_prompt: Some(2),
    };
    e.propose_agreement(g, rel.id, mentee, &agreement).await.unwrap();
    e.confirm_agreement(g, rel.id, mentor, 1).await.unwrap();
    let goal = e.add_goal(g, rel.id, mentee, "Ship a service").await.unwrap();
    e.add_step(g, rel.id, mentor, goal.id, "Pick it", None, None)
        .await
        .unwrap();
    e.record_checkin(g, rel.id, mentor, true, Some("Good start"))
        .await
        .unwrap();
    let answers = vec![("What did you learn?".to_string(), "Ownership".to_string())];
    e.write_journal(g, rel.id, mentee, None, &answers).await.unwrap();
    e.write_journal(g, rel.id, mentor, None, &answers).await.unwrap();
    rel.id.0
}

struct Sample {
    first_ms: f64,
    final_ms: f64,
    error: bool,
}

/// One interaction: the time to the first response and to the final answer.
async fn interact(fake: FakeDiscord, place: Place, user: u64, command: SlashCommand) -> Sample {
    let sent = Instant::now();
    let handle = fake.interaction_slash(place, user, command);
    let Some(first) = handle.try_wait_response(Duration::from_secs(10)).await else {
        return Sample {
            first_ms: 10_000.0,
            final_ms: 10_000.0,
            error: true,
        };
    };
    let first_ms = sent.elapsed().as_secs_f64() * 1000.0;
    let (final_ms, text) = if first.kind == 5 {
        let done = handle
            .wait_original(
                |m| !m.content.is_empty() || m.embeds.as_array().is_some_and(|e| !e.is_empty()),
                Duration::from_secs(10),
            )
            .await;
        (sent.elapsed().as_secs_f64() * 1000.0, done.map(|m| m.content))
    } else {
        (first_ms, Some(first.content().unwrap_or("form").to_string()))
    };
    let error = text.is_none_or(|t| t.contains("went wrong"));
    Sample {
        first_ms,
        final_ms,
        error,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let (url, schema, _dir) = database(&a.backend).await;
    let fake = FakeDiscord::start(FakeConfig::default()).await;
    let mut settings = Settings::defaults();
    settings.database.url = url.clone();
    settings.discord.token = Secret::new(fake.bot_token());

    // Populate: the template through the engine, then the copies in bulk.
    let populate_started = Instant::now();
    {
        let app = App::build(settings.clone()).await.expect("the database");
        let rel = template(&app).await;
        drop(app);
        populate(&url, &a, rel).await;
    }
    let populate_s = populate_started.elapsed().as_secs_f64();

    // The stand-in's servers and the members the interactions come from.
    let active = a.relationships.min(ACTIVE_MAX);
    let mut guilds: HashMap<u64, FakeGuild> = HashMap::new();
    guilds.insert(GUILD, FakeGuild::new(GUILD, "template", OWNER));
    for s in 0..a.servers as u64 {
        let id = GUILD_BASE + s;
        guilds.insert(id, FakeGuild::new(id, format!("server {s}"), OWNER));
    }
    for (_, g) in guilds.drain() {
        fake.add_guild(g);
    }
    let guild_of = |g: i64| GUILD_BASE + (g % a.servers) as u64;
    for g in 1..=active {
        fake.add_member(guild_of(g), FakeUser::new((MENTOR_OF + g) as u64, format!("mentor{g}")));
        fake.add_member(guild_of(g), FakeUser::new((MENTEE_OF + g) as u64, format!("mentee{g}")));
    }
    // Each server's "general" channel (the stand-in's id: the server's plus one).
    let channels: HashMap<u64, u64> = (0..a.servers as u64)
        .map(|s| (GUILD_BASE + s, GUILD_BASE + s + 1))
        .collect();

    let (rss_before_kb, _, cpu_before) = usage();
    let start_at = Instant::now();
    let app = App::build(settings).await.expect("the bot's app");
    let handle = start(
        &app,
        DiscordOptions {
            http_client: Some(fake.http_client()),
            ..DiscordOptions::production()
        },
    )
    .await
    .expect("the bot starts");
    // A command sent as soon as the gateway is up: answered during the catch-up?
    fake.wait_gateway(Duration::from_secs(600), |s| s.live).await;
    let early = tokio::spawn(interact(
        fake.clone(),
        Place::Guild {
            guild_id: guild_of(1),
            channel_id: channels[&guild_of(1)],
        },
        (MENTEE_OF + 1) as u64,
        SlashCommand::new("mentorship").subcommand("list"),
    ));
    handle.bot().await;
    let ready_s = start_at.elapsed().as_secs_f64();
    handle.caught_up().await;
    let caught_up_s = start_at.elapsed().as_secs_f64();
    let early = early.await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_idle_kb, _, _) = usage();

    // The mix, at a fixed rate.
    let period = Duration::from_secs_f64(1.0 / f64::from(a.rate));
    let total = a.rate as u64 * a.duration;
    let mut tasks = tokio::task::JoinSet::new();
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let drive_started = Instant::now();
    let mut peak_rss = rss_idle_kb;
    for i in 0..total {
        ticker.tick().await;
        let g = 1 + (i as i64 * 7919) % active;
        let guild = guild_of(g);
        let place = Place::Guild {
            guild_id: guild,
            channel_id: channels[&guild],
        };
        let (user, rel) = (if i % 2 == 0 { MENTEE_OF + g } else { MENTOR_OF + g } as u64, REL + g);
        let command = match i % 6 {
            0 => SlashCommand::new("mentorship").subcommand("list"),
            1 => SlashCommand::new("mentor").subcommand("profile"),
            2 => SlashCommand::new("mentorship")
                .subcommand("plan")
                .subcommand("list")
                .int("mentorship", rel),
            3 => SlashCommand::new("mentorship")
                .subcommand("journal")
                .subcommand("list")
                .int("mentorship", rel),
            4 => SlashCommand::new("mentorship")
                .subcommand("journal")
                .subcommand("write")
                .int("mentorship", rel),
            _ => SlashCommand::new("mentorship")
                .subcommand("checkin")
                .int("mentorship", rel)
                .opt("met", fake_discord::OptionValue::Boolean(true)),
        };
        tasks.spawn(interact(fake.clone(), place, user, command));
        if i % u64::from(a.rate) == 0 {
            peak_rss = peak_rss.max(usage().0);
        }
    }
    let mut samples = Vec::new();
    while let Some(s) = tasks.join_next().await {
        samples.push(s.unwrap());
    }
    let drive_s = drive_started.elapsed().as_secs_f64();
    let (_, hwm_kb, cpu_after) = usage();
    handle.shutdown().await;

    let errors = samples.iter().filter(|s| s.error).count();
    let over_3s = samples.iter().filter(|s| s.final_ms > 3000.0).count();
    let result = json!({
        "date": chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        "backend": a.backend,
        "sizes": {
            "servers": a.servers, "profiles": a.profiles.max(2 * a.relationships), "open_listings": a.open,
            "relationships": a.relationships,
        },
        "populate_s": populate_s,
        "start": {
            "ready_s": ready_s,
            "caught_up_s": caught_up_s,
            "command_during_start_first_ms": early.first_ms,
            "command_during_start_final_ms": early.final_ms,
            "command_during_start_error": early.error,
        },
        "drive": {
            "rate_per_s": a.rate, "duration_s": a.duration, "sent": total, "took_s": drive_s,
            "first_response": summary(samples.iter().map(|s| s.first_ms).collect()),
            "final_answer": summary(samples.iter().map(|s| s.final_ms).collect()),
            "errors": errors,
            "answers_over_3s": over_3s,
        },
        "memory_kb": {
            "before_start": rss_before_kb, "idle": rss_idle_kb, "peak_sampled": peak_rss, "high_water": hwm_kb,
            "note": "the whole process: bot, stand-in and harness",
        },
        "cpu_s": cpu_after - cpu_before,
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result).unwrap());
    } else {
        let d = &result["drive"];
        println!(
            "load on {}: {} servers, {} profiles, {} open listings, {} relationships (populated in {:.1} s)",
            a.backend, a.servers, result["sizes"]["profiles"], a.open, a.relationships, populate_s
        );
        println!(
            "  start: ready in {ready_s:.2} s, catch-up done at {caught_up_s:.2} s; a command sent as the gateway came up: first {:.0} ms, final {:.0} ms{}",
            early.first_ms,
            early.final_ms,
            if early.error { " (ERROR)" } else { "" }
        );
        for k in ["first_response", "final_answer"] {
            let s = &d[k];
            println!(
                "  {k:>14}: p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} at {}/s for {} s)",
                s["p50_ms"].as_f64().unwrap(),
                s["p95_ms"].as_f64().unwrap(),
                s["p99_ms"].as_f64().unwrap(),
                s["max_ms"].as_f64().unwrap(),
                s["count"],
                a.rate,
                a.duration
            );
        }
        println!("  errors {errors}, answers over 3 s {over_3s}");
        println!(
            "  RSS idle {:.1} MB, peak {:.1} MB (whole process); CPU {:.1} s",
            rss_idle_kb as f64 / 1024.0,
            hwm_kb as f64 / 1024.0,
            cpu_after - cpu_before
        );
    }
    if let Some((url, schema)) = schema {
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
