//! Discord's rules over time and state, on the stand-in's own clock (moved with
//! `FakeDiscord::advance`, never slept through): interaction acknowledgement and token expiry,
//! follow-ups after a deferral, private threads archiving, the nonce window, Discord's
//! per-channel bucket, and the gateway's close codes for a bad token and a missing intent.

use std::time::Duration;

use crate::common::*;
use fake_discord::{intents, FakeConfig, FakeDiscord, Place, SlashCommand, ViolationKind};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const IN_GUILD: Place = Place::Guild {
    guild_id: GUILD,
    channel_id: TEXT,
};

fn one_violation(fake: &FakeDiscord, rule: &str) {
    let v = fake.take_spec_violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].kind, ViolationKind::DiscordRule);
    assert_eq!(v[0].rule.as_deref(), Some(rule), "{v:#?}");
}

async fn registered(fake: &FakeDiscord, api: &Api) {
    let cmds = json!([{"name": "mentor", "description": "Mentorship", "type": 1,
        "options": [{"type": 1, "name": "list", "description": "List"}]}]);
    let r = api
        .call(
            "PUT",
            &format!("/applications/{}/commands", fake.application_id()),
            Some(cmds),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn follow_ups_and_original_before_the_acknowledgement_are_refused() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    registered(&fake, &api).await;
    let h = fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("list"));
    let hook = format!("/webhooks/{}/{}", fake.application_id(), h.token);
    let r = api.call("POST", &hook, Some(json!({"content": "too soon"}))).await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10015)));
    assert_eq!(r.json()["message"], "Unknown Webhook");
    one_violation(&fake, "interaction.not_acknowledged");
    let r = api
        .call(
            "PATCH",
            &format!("{hook}/messages/@original"),
            Some(json!({"content": "too soon"})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10015)));
    one_violation(&fake, "interaction.not_acknowledged");
    assert!(h.followups().is_empty());
    // Once acknowledged, both work.
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 4, "data": {"content": "hi"}})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        api.call("POST", &hook, Some(json!({"content": "more"}))).await.status,
        200
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn interaction_tokens_expire_15_minutes_after_the_interaction_on_the_stand_ins_clock() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    registered(&fake, &api).await;
    let list = || SlashCommand::new("mentor").subcommand("list");
    // The 3-second deadline of the first answer runs on the same clock.
    let late = fake.interaction_slash(IN_GUILD, ALICE, list());
    fake.advance(Duration::from_secs(4));
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", late.id, late.token),
            Some(json!({"type": 5})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10062)));

    let h = fake.interaction_slash(IN_GUILD, ALICE, list());
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 5, "data": {"flags": 64}})),
        )
        .await;
    assert_eq!(r.status, 204);
    let hook = format!("/webhooks/{}/{}", fake.application_id(), h.token);
    fake.advance(Duration::from_secs(14 * 60 + 50));
    assert_eq!(
        api.call(
            "PATCH",
            &format!("{hook}/messages/@original"),
            Some(json!({"content": "done"}))
        )
        .await
        .status,
        200
    );
    fake.advance(Duration::from_secs(11));
    let r = api.call("POST", &hook, Some(json!({"content": "later"}))).await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (401, Some(50027)));
    assert_eq!(r.json()["message"], "Invalid Webhook Token");
    one_violation(&fake, "interaction.token_expired");
    let r = api.call("GET", &format!("{hook}/messages/@original"), None).await;
    assert_eq!(r.status, 401);
    one_violation(&fake, "interaction.token_expired");
    assert!(fake.clock_offset() >= Duration::from_secs(15 * 60));
    fake.assert_no_violations();
}

#[tokio::test]
async fn after_a_deferral_the_first_follow_up_edits_the_deferred_message() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    registered(&fake, &api).await;
    let h = fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("list"));
    api.call(
        "POST",
        &format!("/interactions/{}/{}/callback", h.id, h.token),
        Some(json!({"type": 5, "data": {"flags": 64}})),
    )
    .await;
    let deferred = h.original().expect("the loading message");
    assert_eq!(deferred.flags & 128, 128, "loading");
    let hook = format!("/webhooks/{}/{}", fake.application_id(), h.token);
    // Not ephemeral by its flags: Discord ignores them and keeps the deferral's.
    let first = api.call("POST", &hook, Some(json!({"content": "your list"}))).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        id_of(first.json()),
        deferred.id,
        "no new message: the loading one is edited"
    );
    let original = h.original().unwrap();
    assert_eq!(original.content, "your list");
    assert!(original.is_ephemeral());
    assert_eq!(original.flags & 128, 0, "no longer loading");
    // The next follow-up is a message of its own.
    let second = api
        .call("POST", &hook, Some(json!({"content": "and more", "flags": 64})))
        .await;
    assert_ne!(id_of(second.json()), deferred.id);
    let followups = h.followups();
    assert_eq!(followups.len(), 2);
    assert_eq!(followups[0].id, deferred.id);
    assert_eq!(followups[1].content, "and more");

    // After a deferral already filled by an edit of @original, a follow-up is a new message.
    let h = fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("list"));
    api.call(
        "POST",
        &format!("/interactions/{}/{}/callback", h.id, h.token),
        Some(json!({"type": 5})),
    )
    .await;
    let hook = format!("/webhooks/{}/{}", fake.application_id(), h.token);
    api.call(
        "PATCH",
        &format!("{hook}/messages/@original"),
        Some(json!({"content": "edited"})),
    )
    .await;
    let f = api.call("POST", &hook, Some(json!({"content": "follow-up"}))).await;
    assert_ne!(Some(id_of(f.json())), h.original().map(|m| m.id));
    assert_eq!(h.original().unwrap().content, "edited");
    fake.assert_no_violations();
}

fn archived(v: &Value) -> bool {
    v["thread_metadata"]["archived"].as_bool().unwrap()
}

#[tokio::test]
async fn private_threads_archive_after_their_inactivity_and_refuse_members_until_unarchived() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let r = api
        .call(
            "POST",
            &format!("/channels/{TEXT}/threads"),
            Some(json!({"name": "mentorship-1", "type": 12, "auto_archive_duration": 60})),
        )
        .await;
    assert_eq!(r.status, 201);
    let thread = id_of(r.json());
    assert_eq!(r.json()["thread_metadata"]["auto_archive_duration"], 60);
    let api = &api;
    let member = |u: u64| async move {
        api.call("PUT", &format!("/channels/{thread}/thread-members/{u}"), None)
            .await
    };
    assert_eq!(member(ALICE).await.status, 204);

    // A message is activity: the hour starts again.
    fake.advance(Duration::from_secs(59 * 60));
    assert!(!fake.channel(thread).unwrap().archived);
    let posted = api
        .call(
            "POST",
            &format!("/channels/{thread}/messages"),
            Some(json!({"content": "hello"})),
        )
        .await;
    fake.advance(Duration::from_secs(59 * 60));
    assert!(!fake.channel(thread).unwrap().archived);
    fake.advance(Duration::from_secs(61));
    assert!(fake.channel(thread).unwrap().archived, "an hour without activity");
    let r = api.call("GET", &format!("/channels/{thread}"), None).await;
    assert!(archived(r.json()));

    // Archived: adding a member, editing a message in it and editing the thread are refused.
    let r = member(BOB).await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(50083)));
    assert_eq!(r.json()["message"], "Thread is archived");
    one_violation(&fake, "thread.archived");
    assert!(!fake.channel(thread).unwrap().thread_members.contains(&BOB));
    let r = api
        .call(
            "PATCH",
            &format!("/channels/{thread}/messages/{}", id_of(posted.json())),
            Some(json!({"content": "edited"})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(50083)));
    one_violation(&fake, "thread.archived");
    let r = api
        .call(
            "PATCH",
            &format!("/channels/{thread}"),
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(50083)));
    one_violation(&fake, "thread.archived");

    // Unarchived with PATCH {"archived": false}: members can be added again.
    let r = api
        .call(
            "PATCH",
            &format!("/channels/{thread}"),
            Some(json!({"archived": false})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(!archived(r.json()));
    assert_eq!(member(BOB).await.status, 204);
    assert!(fake.channel(thread).unwrap().thread_members.contains(&BOB));

    // Discord unarchives a thread a message is sent in.
    fake.advance(Duration::from_secs(61 * 60));
    assert!(fake.channel(thread).unwrap().archived);
    let r = api
        .call(
            "POST",
            &format!("/channels/{thread}/messages"),
            Some(json!({"content": "back"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(!fake.channel(thread).unwrap().archived);

    // Without a duration, a thread archives after a day.
    let r = api
        .call(
            "POST",
            &format!("/channels/{TEXT}/threads"),
            Some(json!({"name": "t2", "type": 12})),
        )
        .await;
    let t2 = id_of(r.json());
    assert_eq!(r.json()["thread_metadata"]["auto_archive_duration"], 1440);
    fake.advance(Duration::from_secs(23 * 3600));
    assert!(!fake.channel(t2).unwrap().archived);
    fake.advance(Duration::from_secs(3600));
    assert!(fake.channel(t2).unwrap().archived);
    fake.assert_no_violations();
}

#[tokio::test]
async fn the_nonce_window_runs_on_the_stand_ins_clock() {
    let fake = setup(FakeConfig {
        nonce_ttl: Duration::from_secs(300),
        ..roomy()
    })
    .await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let body = json!({"content": "reminder", "nonce": "job-1", "enforce_nonce": true});
    let a = id_of(api.call("POST", &path, Some(body.clone())).await.json());
    fake.advance(Duration::from_secs(299));
    let b = id_of(api.call("POST", &path, Some(body.clone())).await.json());
    assert_eq!(a, b, "within the window: the first message");
    fake.advance(Duration::from_secs(2));
    let c = id_of(api.call("POST", &path, Some(body)).await.json());
    assert_ne!(a, c, "after the window: a duplicate");
    let same: Vec<_> = fake
        .messages_in(TEXT)
        .into_iter()
        .filter(|m| m.nonce.as_deref() == Some("job-1"))
        .collect();
    assert_eq!(same.len(), 2, "the resend is visible as a duplicate");
    fake.assert_no_violations();
}

/// Reading a channel's messages back (what a sender does to find a message it may have sent
/// before the nonce window closed): newest first, `limit` of them, before or after an id; the
/// request and the answer are checked against the OpenAPI file.
#[tokio::test]
async fn a_channels_messages_are_read_back_newest_first() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let mut ids = Vec::new();
    for i in 0..4 {
        let body = json!({"content": format!("m{i}")});
        ids.push(id_of(api.call("POST", &path, Some(body)).await.json()));
    }
    let contents = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_string())
            .collect()
    };
    let all = api.call("GET", &path, None).await.json().clone();
    assert_eq!(contents(&all), ["m3", "m2", "m1", "m0"]);
    let two = api.call("GET", &format!("{path}?limit=2"), None).await.json().clone();
    assert_eq!(contents(&two), ["m3", "m2"]);
    let before = api
        .call("GET", &format!("{path}?limit=2&before={}", ids[2]), None)
        .await
        .json()
        .clone();
    assert_eq!(contents(&before), ["m1", "m0"]);
    let after = api
        .call("GET", &format!("{path}?limit=2&after={}", ids[0]), None)
        .await
        .json()
        .clone();
    assert_eq!(contents(&after), ["m2", "m1"]);
    fake.assert_no_violations();
    // A limit Discord refuses is a violation.
    api.call("GET", &format!("{path}?limit=101"), None).await;
    assert!(!fake.take_spec_violations().is_empty());
}

#[tokio::test]
async fn messages_to_one_channel_are_limited_to_5_per_5_seconds_and_dm_opening_has_its_own_bucket() {
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let mut replies = Vec::new();
    for i in 0..6 {
        replies.push(api.call("POST", &path, Some(json!({"content": format!("m{i}")}))).await);
    }
    assert!(replies[..5].iter().all(|r| r.status == 200));
    assert_eq!(replies[0].header("x-ratelimit-limit"), Some("5"));
    let reset: f64 = replies[0].header("x-ratelimit-reset-after").unwrap().parse().unwrap();
    assert!(reset > 4.0 && reset <= 5.0, "{reset}");
    assert_eq!(replies[5].status, 429);
    assert_eq!(replies[5].header("x-ratelimit-scope"), Some("user"));
    assert_eq!(fake.messages_in(TEXT).len(), 5);
    // Another channel has its own bucket; opening a DM its own too.
    let dm = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await;
    assert_eq!(dm.status, 200);
    assert_eq!(dm.header("x-ratelimit-limit"), Some("10"));
    assert_ne!(dm.header("x-ratelimit-bucket"), replies[0].header("x-ratelimit-bucket"));
    let r = api
        .call(
            "POST",
            &format!("/channels/{}/messages", id_of(dm.json())),
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("4"));
    assert_eq!(
        FakeConfig::default().global_limit.limit,
        50,
        "the global 50/s over the token"
    );
    fake.assert_no_violations();
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Identifies with `token` and `intents`; returns the close code the gateway answers with, or
/// `None` if it answers READY.
async fn identify(fake: &FakeDiscord, token: &str, intents: u64) -> Option<u16> {
    let (mut ws, _): (Ws, _) = tokio_tungstenite::connect_async(format!("{}?v=10", fake.gateway_url()))
        .await
        .unwrap();
    let identify = json!({"op": 2, "d": {"token": token, "intents": intents,
        "properties": {"os": "linux", "browser": "t", "device": "t"}}});
    ws.send(Message::Text(identify.to_string())).await.unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer within 5 s");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return Some(u16::from(frame.code)),
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["t"] == "READY" {
                    return None;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_gateway_closes_with_4004_for_a_bad_token_and_4014_for_a_privileged_intent_not_enabled() {
    let fake = setup(FakeConfig::default()).await;
    let token = fake.bot_token();
    let guilds = 1;
    assert_eq!(identify(&fake, "not-the-token", guilds).await, Some(4004));
    one_violation(&fake, "gateway.authentication");
    // GUILD_MEMBERS is enabled by default (the README has operators turn it on); presences not.
    assert_eq!(identify(&fake, &token, guilds | intents::GUILD_MEMBERS).await, None);
    assert_eq!(
        identify(&fake, &token, guilds | intents::GUILD_PRESENCES).await,
        Some(4014)
    );
    one_violation(&fake, "gateway.disallowed_intents");
    assert_eq!(
        identify(&fake, &token, guilds | intents::MESSAGE_CONTENT).await,
        Some(4014)
    );
    one_violation(&fake, "gateway.disallowed_intents");

    let strict = setup(FakeConfig {
        privileged_intents: 0,
        ..FakeConfig::default()
    })
    .await;
    assert_eq!(
        identify(&strict, &strict.bot_token(), guilds | intents::GUILD_MEMBERS).await,
        Some(4014)
    );
    one_violation(&strict, "gateway.disallowed_intents");
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_stops_on_4014_instead_of_retrying() {
    use serenity::all::GatewayIntents;
    let fake = setup(FakeConfig {
        privileged_intents: 0,
        ..FakeConfig::default()
    })
    .await;
    let http = serenity::http::HttpBuilder::new(fake.bot_token())
        .client(fake.http_client())
        .build();
    let mut client =
        serenity::client::ClientBuilder::new_with_http(http, GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS)
            .await
            .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(20), client.start()).await;
    let result = ended.expect("serenity gives up on 4014");
    let err = result.expect_err("start fails");
    assert!(err.to_string().to_lowercase().contains("intent"), "{err}");
    assert_eq!(fake.gateway_stats().identifies, 1, "no retry");
    one_violation(&fake, "gateway.disallowed_intents");
}

#[tokio::test]
async fn an_answers_time_runs_from_the_interaction_to_the_arrival_of_its_callback_on_the_stand_ins_clock() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    registered(&fake, &api).await;
    let h = fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("list"));
    assert_eq!(h.response_time(), None, "not answered yet");
    fake.advance(Duration::from_millis(1_500));
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 4, "data": {"content": "hi"}})),
        )
        .await;
    assert_eq!(r.status, 204);
    let took = h.response_time().expect("answered");
    // The clock moved 1.5 s; the request itself took real time on top, well under the deadline.
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A refused answer (a second one) changes nothing.
    let again = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 4, "data": {"content": "again"}})),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(h.response_time(), Some(took));
}
