//! Reminders for a big server falling due in the same minute: N DMs to N different people, all
//! due at once, sent by many concurrent senders through the bot's real `Notifier` and serenity's
//! real `Http` client to the Discord stand-in, which enforces Discord's global limit of 50
//! requests per second and its per-route buckets with real headers and 429s.
//!
//! A benchmark, not a timed test:
//!
//! ```text
//! cargo run --release --example dm_burst            # 10,000 DMs (about 3.5 minutes)
//! cargo run --release --example dm_burst -- 1000    # a quick run
//! cargo run --release --example dm_burst -- 1000 100 # and 100 to people never DMed before
//! ```
//!
//! Two runs, each on a fresh stand-in and a fresh SQLite file:
//! - **known channels** (N, default 10,000): every person's DM channel id is in the database, as
//!   it is in production after the bot's first DM to them, so a DM is one request. The limit
//!   allows N / 50 s.
//! - **first contact** (M, default N / 20): no channel is known, so each DM first opens the DM
//!   channel (`POST /users/@me/channels`), two requests per DM. That route has a bucket of its
//!   own (10 per second on the stand-in; Discord does not document its value), so the limit
//!   allows max(2M / 50, M / 10) s.
//!
//! Each reports the time against the time the limits allow, duplicates and lost messages
//! (counted from what the stand-in recorded: must be 0) and the 429 answers as a share of all
//! requests. `MENTORBOT_BENCH_SENDERS` sets how many DMs are in flight at once (default: all).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fake_discord::{FakeConfig, FakeDiscord};
use mentorbot::clock::SystemClock;
use mentorbot::discord::notify::{relay_rate_limits, Delivery, Notifier};
use mentorbot::discord::pacer::{Limit, Pacer};
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::{Engine, ProgramRules};
use mentorbot::store::sqlite::SqliteStore;
use mentorbot::store::Store;
use serenity::all::{CreateMessage, HttpBuilder, Nonce};
use tokio::sync::Semaphore;

const GUILD: GuildId = GuildId(1_000_000_000_000_001);
const FIRST_PERSON: u64 = 700_000_000_000_000_000;

struct Outcome {
    people: usize,
    took: Duration,
    allowed: Duration,
    requests: usize,
    limited: u64,
    global_limited: u64,
    duplicates: usize,
    lost: usize,
}

async fn run(people: usize, channels_known: bool, senders: usize) -> Outcome {
    let config = FakeConfig::default();
    let (global, route) = (config.global_limit, config.route_limit);
    let fake = FakeDiscord::start(config).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = Arc::new(SqliteStore::connect(&url, 5).await.expect("sqlite"));
    store.migrate().await.expect("migrations");
    let store: Arc<dyn Store> = store;
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), ProgramRules::default());

    let ids: Vec<u64> = (0..people as u64).map(|i| FIRST_PERSON + i).collect();
    if channels_known {
        for id in &ids {
            let channel = fake.open_dm(*id);
            store.set_dm_channel(UserId(*id), channel).await.expect("seed");
        }
    }

    let per_second = (f64::from(global.limit) / global.window.as_secs_f64()) as u32;
    let pacer = Arc::new(Pacer::new(Limit::per_second(per_second)));
    let mut http = HttpBuilder::new(fake.bot_token()).client(fake.http_client()).build();
    relay_rate_limits(&mut http, pacer.clone());
    let notifier = Arc::new(Notifier::with_pacer(Arc::new(http), engine, pacer));

    let (requests_before, limited_before, global_before) = (
        fake.requests().len(),
        fake.rate_limited_count(),
        fake.global_rate_limited_count(),
    );
    let gate = Arc::new(Semaphore::new(senders.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let (notifier, gate) = (notifier.clone(), gate.clone());
        tasks.spawn(async move {
            let _turn = gate.acquire_owned().await.expect("open");
            let message = CreateMessage::new()
                .content(format!("Reminder {i}: your check-in is in 1 hour."))
                .nonce(Nonce::String(format!("bench-{i}")))
                .enforce_nonce(true);
            notifier.dm(GUILD, None, UserId(id), message).await
        });
    }
    let mut undelivered = 0;
    while let Some(d) = tasks.join_next().await {
        if d.expect("sender") != Delivery::Dm {
            undelivered += 1;
        }
    }
    let took = started.elapsed();

    let requests = fake.requests().len() - requests_before;
    let limited = fake.rate_limited_count() - limited_before;
    let global_limited = fake.global_rate_limited_count() - global_before;
    let mut per_channel: HashMap<u64, usize> = HashMap::new();
    for m in fake.messages() {
        *per_channel.entry(m.channel_id).or_default() += 1;
    }
    let (mut duplicates, mut lost) = (0, 0);
    for id in &ids {
        match fake.dm_channel_of(*id).and_then(|c| per_channel.get(&c)) {
            Some(n) => duplicates += n - 1,
            None => lost += 1,
        }
    }
    if undelivered > 0 {
        eprintln!("{undelivered} DMs reported as not delivered");
    }
    let by_global = f64::from(if channels_known { 1 } else { 2 }) * people as f64 / f64::from(per_second);
    let by_open_dm = if channels_known {
        0.0
    } else {
        people as f64 / f64::from(route.limit) * route.window.as_secs_f64()
    };
    Outcome {
        people,
        took,
        allowed: Duration::from_secs_f64(by_global.max(by_open_dm)),
        requests,
        limited,
        global_limited,
        duplicates,
        lost: lost.max(undelivered),
    }
}

fn report(title: &str, o: &Outcome) {
    println!("{title}: {} DMs to {} people", o.people, o.people);
    println!(
        "  time          {:.1} s; the limits allow {:.1} s; ratio {:.3} (target at most 1.1)",
        o.took.as_secs_f64(),
        o.allowed.as_secs_f64(),
        o.took.as_secs_f64() / o.allowed.as_secs_f64()
    );
    println!(
        "  requests      {} ({:.1} per second)",
        o.requests,
        o.requests as f64 / o.took.as_secs_f64()
    );
    println!(
        "  429 answers   {} ({} global) = {:.3}% of requests (target under 1%)",
        o.limited,
        o.global_limited,
        o.limited as f64 * 100.0 / o.requests.max(1) as f64
    );
    println!("  duplicates    {} (must be 0)", o.duplicates);
    println!("  lost          {} (must be 0)", o.lost);
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.replace([',', '_'], "").parse().expect("numbers of DMs"))
        .collect();
    let known = args.first().copied().unwrap_or(10_000);
    let first_contact = args.get(1).copied().unwrap_or(known / 20);
    let senders: usize = std::env::var("MENTORBOT_BENCH_SENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(known.max(first_contact));
    println!(
        "dm_burst at {}: the stand-in allows 50 requests per second in all and 10 per second to open DM \
         channels; {senders} senders at once",
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let o = run(known, true, senders).await;
    report("known channels (ids kept in the database)", &o);
    if first_contact > 0 {
        let o = run(first_contact, false, senders).await;
        report("first contact (each DM opens its channel first)", &o);
    }
}
