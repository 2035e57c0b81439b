//! A large server (over 250 members) as Discord sends it: its GUILD_CREATE lists no members, so
//! the bot asks for them (Request Guild Members, answered in chunks of 1,000) and learns the
//! rest from events; a member the bot has not seen yet can still use its commands.
use crate::common;

use std::time::Duration;

use common::discord::{cmd, config, Harness, CROWD, WAIT};
use common::fixtures::*;
use common::World;
use fake_discord::{FakeUser, LARGE_THRESHOLD};
use mentorbot::domain::UserId;

async fn recorded(h: &Harness, user: u64) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if h.world.store.guild_member(GUILD, UserId(user)).await.unwrap().is_some() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_large_server_is_learned_from_member_chunks_and_events() {
    // Over 1,000 members: the answer comes in two chunks.
    let crowd = LARGE_THRESHOLD as u64 + 1_000;
    let h = Harness::start_with_crowd(World::sqlite().await, config(), crowd).await;

    let asked: Vec<_> = h.fake.gateway_received().into_iter().filter(|v| v["op"] == 8).collect();
    assert_eq!(asked.len(), 1, "the bot asks once for the members of the large server");
    assert_eq!(asked[0]["d"]["guild_id"], GUILD.0.to_string());
    assert_eq!(
        (asked[0]["d"]["query"].as_str(), asked[0]["d"]["limit"].as_u64()),
        (Some(""), Some(0))
    );
    // The boot waited for the owner, whom only the chunks name; the last of the second chunk too.
    assert!(
        recorded(&h, CROWD + crowd - 1).await,
        "the second chunk's members are recorded"
    );
    for i in [0, 500, 999, 1_000, crowd - 2] {
        assert!(recorded(&h, CROWD + i).await, "member {i} is recorded");
    }

    // Someone who joins later is learned from the event.
    let late = CROWD + crowd + 7;
    h.fake.send_member_add(GUILD.0, FakeUser::new(late, "latecomer"));
    assert!(recorded(&h, late).await, "a member who joins is recorded");

    // A command needs no member cache: the interaction carries its member.
    let answer = h.say(UserId(CROWD + 3), cmd("mentor profile")).await;
    assert!(answer.contains("You have no profile yet"), "{answer}");
    assert!(!answer.to_lowercase().contains("went wrong"), "{answer}");
    h.shutdown().await;
}
