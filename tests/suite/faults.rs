//! The fault-injection scenarios at CI size (issue 11): 200 due messages to 50 people whose DM
//! channels are open already, 10 kills, 2-second leases. The scenarios themselves are in
//! `tests/common/faults_kit.rs` (shared with `examples/faults.rs`, which runs them at full
//! size); any lost or duplicate message fails.
use crate::common;

use common::faults_kit::{self as kit, Row, Size};
use common::pg_server::PgServer;
use common::World;

const CI: Size = Size {
    people: 50,
    kills: 10,
    child_args: &[
        "--exact",
        "faults::child_bot",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ],
};

fn nothing_lost_nothing_twice(row: &Row) {
    assert_eq!(row.count.messages, CI.messages());
    assert_eq!(
        (row.count.lost, row.count.duplicates),
        (0, 0),
        "lost, duplicates: {row:?}"
    );
}

/// Not a test: the bot process the scenarios start (this binary, run again with `--exact
/// faults::child_bot --ignored` and its settings in the environment). Does nothing otherwise.
#[tokio::test]
#[ignore = "the bot process of the fault scenarios, started by them"]
async fn child_bot() {
    kit::run_child().await;
}

#[tokio::test]
async fn kill_9_mid_burst_loses_nothing_and_sends_nothing_twice() {
    let Some(w) = World::postgres().await else { return };
    nothing_lost_nothing_twice(&kit::kill_9(&w, CI).await);
}

#[tokio::test]
async fn two_processes_one_killed_share_the_burst_and_the_global_limit() {
    let Some(w) = World::postgres().await else { return };
    let row = kit::two_processes(&w, CI).await;
    nothing_lost_nothing_twice(&row);
    assert_eq!(row.global_limited, 0, "global 429s");
}

#[tokio::test]
async fn postgres_restart_mid_burst() {
    let server = match PgServer::start() {
        Ok(s) => s,
        Err(why) => {
            assert!(!common::pg_server::required(), "no private PostgreSQL: {why}");
            eprintln!("SKIPPED: the PostgreSQL restart scenario: {why}");
            return;
        }
    };
    nothing_lost_nothing_twice(&kit::postgres_restart(&server, CI).await);
}

#[tokio::test]
async fn hung_discord_times_out_retries_and_sends_once() {
    let Some(w) = World::postgres().await else { return };
    nothing_lost_nothing_twice(&kit::hung_discord(&w, CI).await);
}

#[tokio::test]
async fn slow_discord_with_two_processes_sends_once() {
    let Some(w) = World::postgres().await else { return };
    nothing_lost_nothing_twice(&kit::slow_discord_two_processes(&w, CI).await);
}

async fn storm_and_gateway_drop(w: World) {
    let row = kit::storm_and_gateway_drop(w, CI).await;
    nothing_lost_nothing_twice(&row);
    // serenity sends a 429'd request again by itself; its slot is taken in the pacer, so the
    // retries never push the bot past the global limit.
    assert_eq!(row.global_limited, 0, "global 429s");
}

on_both_backends!(storm_and_gateway_drop);
