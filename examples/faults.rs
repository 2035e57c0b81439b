//! The fault-injection scenarios of issue 11 at full size: 2,000 due messages to 500 people
//! (each in four pairs, DM channels open and known), 100 kills; prints the table the README
//! shows. The scenarios are `tests/common/faults_kit.rs`, the same `tests/suite/faults.rs` runs
//! at CI size. Needs PostgreSQL (`MENTORBOT_TEST_POSTGRES_URL`, or a private server it starts
//! with `initdb`/`pg_ctl`) and `DISCORD_OPENAPI_SPEC`.
//!
//! ```text
//! cargo run --example faults                 # full size
//! cargo run --example faults -- 50 10        # people, kills
//! MENTORBOT_FAULTS_ONLY=kill,storm cargo run --example faults   # some scenarios only
//! ```
#[allow(unused_macros, unused_imports)]
#[path = "../tests/common/mod.rs"]
mod common;

use common::faults_kit::{self as kit, Row, Size};
use common::pg_server::PgServer;
use common::World;

#[tokio::main]
async fn main() {
    // A bot process this example started: run the bot and nothing else.
    if std::env::var_os(kit::CHILD).is_some() {
        kit::run_child().await;
        return;
    }
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.replace([',', '_'], "").parse().expect("numbers: people, kills"))
        .collect();
    let size = Size {
        people: args.first().copied().unwrap_or(500),
        kills: args.get(1).copied().unwrap_or(100) as u32,
        child_args: &[],
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "faults at {} on {} ({cpus} CPUs): {} messages to {} people, {} kills",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::env::consts::OS,
        size.messages(),
        size.people,
        size.kills
    );
    println!("| scenario | messages | lost | duplicates | 429s | time |");
    println!("|---|---|---|---|---|---|");
    let mut rows: Vec<Row> = Vec::new();
    let world = || async {
        World::postgres()
            .await
            .expect("PostgreSQL (see MENTORBOT_TEST_POSTGRES_URL)")
    };
    // MENTORBOT_FAULTS_ONLY=kill,two,hung,slow,restart,storm runs only those scenarios.
    let only = std::env::var("MENTORBOT_FAULTS_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o.split(',').any(|w| w.trim() == name));
    if wanted("kill") {
        rows.push(kit::kill_9(&world().await, size).await);
    }
    if wanted("two") {
        rows.push(kit::two_processes(&world().await, size).await);
    }
    if wanted("hung") {
        rows.push(kit::hung_discord(&world().await, size).await);
    }
    if wanted("slow") {
        rows.push(kit::slow_discord_two_processes(&world().await, size).await);
    }
    if wanted("restart") {
        match PgServer::start() {
            Ok(server) => rows.push(kit::postgres_restart(&server, size).await),
            Err(why) => println!("| PostgreSQL restart mid-burst | skipped: {why} |"),
        }
    }
    if wanted("storm") {
        rows.push(kit::storm_and_gateway_drop(world().await, size).await);
        rows.push(kit::storm_and_gateway_drop(World::sqlite().await, size).await);
    }
    let bad: Vec<&Row> = rows
        .iter()
        .filter(|r| r.count.lost > 0 || r.count.duplicates > 0 || r.count.messages != size.messages())
        .collect();
    if !bad.is_empty() {
        eprintln!("FAILED: {bad:?}");
        std::process::exit(1);
    }
}
