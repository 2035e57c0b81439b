//! Two of Discord's rules the bot must keep, end to end through the stand-in: text a member typed
//! pings nobody (a celebration note with `@everyone`, `@here`, a role and a member), and a member
//! Discord will not add to a private thread is tried again by a durable job and reported to the
//! coordinators instead of being left out silently.
use crate::common;

use common::discord::{channel, cmd, Harness, COORDINATOR_ROLE, OWNER, WAIT};
use common::fixtures::*;
use common::World;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::domain::UserId;
use mentorbot::engine::Direction;

/// What a celebration note says to try to ping: everyone, and (added below) a role and a member.
const PING_BAIT: &str = "@everyone @here Our first Rust service went live in June.";

/// A retrospective whose note says `@everyone`, `@here`, a role and a member: the celebration
/// shows it as typed and pings nobody.
async fn a_celebration_that_tries_to_ping_pings_nobody(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    h.say(
        UserId(OWNER),
        cmd("program setup")
            .channel("channel", channel())
            .role("coordinator_role", COORDINATOR_ROLE),
    )
    .await;
    let rel = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    engine
        .propose_agreement(GUILD, rel.id, MENTEE, &agreement())
        .await
        .unwrap();
    engine.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let answer = h.end(MENTOR, rel.id.0, 0).await;
    assert!(answer.contains("has ended"), "{answer}");
    let bait = format!("{PING_BAIT} <@&{COORDINATOR_ROLE}> <@{}>", STRANGER.0);
    for u in [MENTOR, MENTEE] {
        let (msg, id) = h.wait_button(u, &format!("mb:retro:{}:{}", GUILD.0, rel.id.0)).await;
        let handle = h.fake.interaction_button(msg, u.0, &id);
        assert!(handle.wait_response().await.is_modal());
        let fields = [
            ("learned", "Practice"),
            ("differently", "Start sooner"),
            ("celebrate", bait.as_str()),
        ];
        h.retrospective_celebrating(&handle, u, &fields, true).await;
    }
    h.run_jobs().await;
    let post = h
        .fake
        .wait_for_message(|m| m.content.starts_with("🎉 **Celebrating**"), WAIT)
        .await
        .expect("the celebration");
    assert!(post.content.contains(&bait), "shown as typed: {}", post.content);
    assert!(post.pinged.is_nobody(), "pings nobody: {:?}", post.pinged);
    assert!(post.payload.get("allowed_mentions").is_some(), "{:?}", post.payload);
    h.shutdown().await;
}

/// Adding a member to the thread fails: a durable job tries again and, when it keeps failing,
/// tells the coordinators in their own channel (pinging their role) instead of dropping it.
async fn a_member_who_cannot_be_added_to_the_thread_is_reported(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    // The organisers' own channel, apart from the program channel every member can see.
    let organisers = GUILD.0 + 2;
    h.fake
        .add_channel(fake_discord::FakeChannel::text(organisers, GUILD.0, "organisers"));
    h.say(
        UserId(OWNER),
        cmd("program setup")
            .channel("channel", channel())
            .channel("coordinator_channel", organisers)
            .role("coordinator_role", COORDINATOR_ROLE),
    )
    .await;
    let group = engine
        .invite_peer_group(GUILD, MENTOR, &[MENTEE, PEER3, PEER4], "Interview practice")
        .await
        .unwrap();
    for u in [MENTEE, PEER3] {
        let before = engine.relationship_for(GUILD, group.id, u).await.unwrap().state;
        let rel = engine.accept(GUILD, group.id, u).await.unwrap();
        h.bot.on_answered(before, &rel, u, true).await;
    }
    let thread = engine.thread_of(GUILD, group.id).await.unwrap().expect("a thread");
    // Discord fails every attempt to add the fourth member.
    let path = format!("/channels/{thread}/thread-members/{}", PEER4.0);
    h.fake.fail_next_n(Some("PUT"), &path, 503, 50);
    let rel = engine.accept(GUILD, group.id, PEER4).await.unwrap();
    h.bot.on_answered(State::Accepted, &rel, PEER4, true).await;
    assert!(!h.fake.channel(thread).unwrap().thread_members.contains(&PEER4.0));
    let mut reported = None;
    for _ in 0..8 {
        h.advance(chrono::Duration::minutes(10)).await;
        reported = h
            .fake
            .messages_in(organisers)
            .into_iter()
            .find(|m| m.content.contains("could not add"));
        if reported.is_some() {
            break;
        }
    }
    let reported = reported.expect("the coordinators were told");
    assert!(
        reported.content.contains(&format!("<@{}>", PEER4.0)),
        "{}",
        reported.content
    );
    assert_eq!(reported.pinged.roles, vec![COORDINATOR_ROLE]);
    assert!(reported.pinged.users.is_empty());
    let attempts = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path == path)
        .count();
    assert!(attempts >= 4, "tried {attempts} times");
    // Reported once: the job is over, nothing more is sent about it.
    assert!(
        !h.fake
            .messages_in(channel())
            .iter()
            .any(|m| m.content.contains("could not add")),
        "nothing for the organisers in the program channel"
    );
    let reports = h
        .fake
        .messages_in(organisers)
        .iter()
        .filter(|m| m.content.contains("could not add"))
        .count();
    h.advance(chrono::Duration::hours(2)).await;
    assert_eq!(
        h.fake
            .messages_in(organisers)
            .iter()
            .filter(|m| m.content.contains("could not add"))
            .count(),
        reports,
        "reported once"
    );
    // The injected failures are the only refusals.
    h.fake.take_spec_violations();
    h.shutdown().await;
}

on_both_backends!(
    a_celebration_that_tries_to_ping_pings_nobody,
    a_member_who_cannot_be_added_to_the_thread_is_reported,
);
