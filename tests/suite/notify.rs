//! The notifier through the Discord stand-in: each person's DM channel is kept in the database,
//! so a DM after a restart costs one request; a burst of DMs and posts is paced under the
//! global and per-channel limits and every message arrives exactly once.
use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::discord::*;
use common::fixtures::*;
use common::World;
use fake_discord::{BucketRule, FakeConfig, FakeUser, Limit};
use mentorbot::discord::notify::Delivery;
use mentorbot::domain::UserId;
use serenity::all::{CreateMessage, Nonce};

async fn dm_channels_are_kept_per_person(w: World) {
    let s = &w.store;
    assert_eq!(s.dm_channel(MENTOR).await.unwrap(), None);
    // Discord ids use all 63 bits.
    let big = 1_250_000_000_000_000_042;
    s.set_dm_channel(MENTOR, big).await.unwrap();
    s.set_dm_channel(MENTEE, 43).await.unwrap();
    assert_eq!(s.dm_channel(MENTOR).await.unwrap(), Some(big));
    assert_eq!(s.dm_channel(MENTEE).await.unwrap(), Some(43));
    s.set_dm_channel(MENTOR, 44).await.unwrap();
    assert_eq!(
        s.dm_channel(MENTOR).await.unwrap(),
        Some(44),
        "a new channel replaces the old one"
    );
    s.forget_dm_channel(MENTOR).await.unwrap();
    assert_eq!(s.dm_channel(MENTOR).await.unwrap(), None);
    assert_eq!(
        s.dm_channel(MENTEE).await.unwrap(),
        Some(43),
        "forgetting one forgets no other"
    );
}

fn opened_dms(h: &Harness) -> usize {
    h.fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/users/@me/channels")
        .count()
}

fn text(t: &str) -> CreateMessage {
    CreateMessage::new().content(t)
}

async fn a_dm_after_a_restart_opens_no_channel(w: World) {
    let mut h = Harness::start(w).await;
    let n = &h.bot.notifier;
    assert_eq!(n.dm(GUILD, None, MENTEE, text("first")).await, Delivery::Dm);
    assert_eq!(opened_dms(&h), 1);
    assert_eq!(n.dm(GUILD, None, MENTEE, text("again")).await, Delivery::Dm);
    assert_eq!(opened_dms(&h), 1, "the channel is remembered");
    assert_eq!(
        h.world.store.dm_channel(MENTEE).await.unwrap(),
        h.fake.dm_channel_of(MENTEE.0),
        "and kept in the database"
    );

    h.restart(false).await;
    assert_eq!(
        h.bot.notifier.dm(GUILD, None, MENTEE, text("after the restart")).await,
        Delivery::Dm
    );
    assert_eq!(opened_dms(&h), 1, "the restarted bot used the kept channel");
    let contents: Vec<String> = h.fake.dms_to(MENTEE.0).iter().map(|m| m.content.clone()).collect();
    assert_eq!(contents, ["first", "again", "after the restart"]);

    // A kept channel Discord no longer knows (10003) is replaced by a new one, once.
    h.world.store.set_dm_channel(MENTOR, 4242).await.unwrap();
    h.restart(false).await;
    assert_eq!(
        h.bot.notifier.dm(GUILD, None, MENTOR, text("hello")).await,
        Delivery::Dm
    );
    assert_eq!(opened_dms(&h), 2);
    assert_eq!(h.fake.dms_to(MENTOR.0).len(), 1);
    assert_eq!(
        h.world.store.dm_channel(MENTOR).await.unwrap(),
        h.fake.dm_channel_of(MENTOR.0)
    );
    h.shutdown().await;
}

const PEOPLE: u64 = 100;
const POSTS: usize = 15;

async fn a_burst_is_paced_under_the_limits_and_arrives_once(w: World) {
    // A small global limit and Discord's 5 messages per channel, here per second so the test is
    // short; the bot is set to the same global limit and learns the channel limit from the
    // stand-in's headers. Without the pacer, most of these requests draw 429s; with it, a rare
    // one comes from requests that reach the stand-in closer together than they left the bot (a
    // busy machine), hence the 1% allowance of the target rather than none.
    let config = FakeConfig {
        global_limit: Limit::new(20, Duration::from_secs(1)),
        bucket_rules: vec![BucketRule::new(Some("POST"), "/channels/", 5, Duration::from_secs(1))],
        ..FakeConfig::default()
    };
    let h = Harness::start_with(w, config).await;
    let people: Vec<u64> = (1..=PEOPLE).map(|i| 700_000_000_000_000_000 + i).collect();
    for (i, p) in people.iter().enumerate() {
        h.fake.add_user(FakeUser::new(*p, format!("member{i}")));
    }
    let (requests_before, limited_before) = (h.fake.requests().len(), h.fake.rate_limited_count());

    let mut dms = tokio::task::JoinSet::new();
    for (i, p) in people.iter().copied().enumerate() {
        let bot = Arc::clone(&h.bot);
        dms.spawn(async move {
            let message = text(&format!("reminder {i}"))
                .nonce(Nonce::String(format!("r{i}")))
                .enforce_nonce(true);
            bot.notifier.dm(GUILD, None, UserId(p), message).await
        });
    }
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..POSTS {
        let bot = Arc::clone(&h.bot);
        posts.spawn(async move { bot.notifier.post(channel(), text(&format!("post {i}"))).await });
    }
    while let Some(d) = dms.join_next().await {
        assert_eq!(d.unwrap(), Delivery::Dm);
    }
    while let Some(p) = posts.join_next().await {
        p.unwrap().expect("posted");
    }

    for (i, p) in people.iter().enumerate() {
        let got: Vec<String> = h.fake.dms_to(*p).iter().map(|m| m.content.clone()).collect();
        assert_eq!(
            got,
            [format!("reminder {i}")],
            "member {i} got the reminder exactly once"
        );
    }
    let mut posted: Vec<String> = h
        .fake
        .messages_in(channel())
        .iter()
        .map(|m| m.content.clone())
        .filter(|c| c.starts_with("post "))
        .collect();
    posted.sort();
    posted.dedup();
    assert_eq!(posted.len(), POSTS);
    assert_eq!(h.fake.messages_in(channel()).len(), POSTS, "no post twice");

    let requests = h.fake.requests()[requests_before..].to_vec();
    let limited = h.fake.rate_limited_count() - limited_before;
    let answered = requests.iter().filter(|r| r.status < 300).count();
    assert_eq!(
        answered,
        2 * PEOPLE as usize + POSTS,
        "one channel opened and one message per person, and the posts"
    );
    assert!(
        limited * 100 <= requests.len() as u64,
        "{limited} answers of 429 in {} requests: {:#?}",
        requests.len(),
        requests
            .iter()
            .filter(|r| r.status == 429)
            .map(|r| (r.seq, &r.method, &r.path, &r.response))
            .collect::<Vec<_>>()
    );
    h.shutdown().await;
}

on_both_backends!(
    dm_channels_are_kept_per_person,
    a_dm_after_a_restart_opens_no_channel,
    a_burst_is_paced_under_the_limits_and_arrives_once
);
