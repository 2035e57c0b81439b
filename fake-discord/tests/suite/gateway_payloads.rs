//! Every gateway payload the stand-in can send parses into serenity's types and is never
//! `Event::Unknown` (serenity drops those silently).

use std::time::Duration;

use crate::common::*;
use fake_discord::{FakeConfig, FakeDiscord, FakeUser, OptionValue, Place, SlashCommand};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serenity::model::application::Interaction;
use serenity::model::event::{Event, GatewayEvent};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(fake: &FakeDiscord) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}?v=10", fake.gateway_url()))
        .await
        .expect("connect to the gateway");
    ws
}

async fn recv(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a gateway payload within 5 s")
            .expect("connection open")
            .expect("websocket ok");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("JSON payload");
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string())).await.unwrap();
}

/// Parses with the specific serenity type to show why a payload would be `Unknown`.
fn diagnose(t: &str, d: &Value) -> String {
    use serenity::model::event as ev;
    let r = match t {
        "READY" => serde_json::from_value::<serenity::model::gateway::Ready>(d.clone()).err(),
        "GUILD_CREATE" => serde_json::from_value::<serenity::model::guild::Guild>(d.clone()).err(),
        "GUILD_MEMBER_REMOVE" => serde_json::from_value::<ev::GuildMemberRemoveEvent>(d.clone()).err(),
        "GUILD_MEMBER_ADD" => serde_json::from_value::<ev::GuildMemberAddEvent>(d.clone()).err(),
        "INTERACTION_CREATE" => serde_json::from_value::<Interaction>(d.clone()).err(),
        "RESUMED" => serde_json::from_value::<ev::ResumedEvent>(d.clone()).err(),
        "THREAD_UPDATE" => serde_json::from_value::<serenity::model::channel::GuildChannel>(d.clone()).err(),
        _ => None,
    };
    r.map(|e| e.to_string()).unwrap_or_else(|| "no specific error".into())
}

/// A dispatch: checks `op`, `s` and that serenity knows the event.
fn parse_dispatch(v: &Value, last_seq: &mut u64) -> Event {
    let t = v["t"].as_str().unwrap_or_default().to_string();
    match serde_json::from_value::<GatewayEvent>(v.clone()) {
        Ok(GatewayEvent::Dispatch(seq, event)) => {
            assert!(seq > *last_seq, "sequence must increase: {seq} after {last_seq}");
            *last_seq = seq;
            if let Event::Unknown(_) = event {
                panic!(
                    "serenity parses {t} as Event::Unknown: {}\npayload: {v:#}",
                    diagnose(&t, &v["d"])
                );
            }
            event
        }
        Ok(other) => panic!("expected a dispatch, got {other:?}"),
        Err(e) => panic!("serenity cannot parse {t}: {e}\npayload: {v:#}"),
    }
}

async fn next_event(ws: &mut Ws, last_seq: &mut u64) -> Event {
    let v = recv(ws).await;
    parse_dispatch(&v, last_seq)
}

fn interaction(e: Event) -> Interaction {
    match e {
        Event::InteractionCreate(i) => i.interaction,
        other => panic!("expected INTERACTION_CREATE, got {other:?}"),
    }
}

async fn identify(ws: &mut Ws, fake: &FakeDiscord) {
    let hello = recv(ws).await;
    assert!(matches!(
        serde_json::from_value::<GatewayEvent>(hello.clone()).unwrap(),
        GatewayEvent::Hello(_)
    ));
    send(
        ws,
        json!({"op": 2, "d": {
            "token": fake.bot_token(),
            "intents": 1 | 2 | 4096,
            "properties": {"os": "linux", "browser": "serenity", "device": "serenity"},
            "compress": true,
            "large_threshold": 250,
            "shard": [0, 1],
        }}),
    )
    .await;
}

#[tokio::test]
async fn every_gateway_payload_parses_into_serenity_events() {
    let fake = setup(FakeConfig::default()).await;
    let mut ws = connect(&fake).await;
    identify(&mut ws, &fake).await;
    let mut seq = 0;

    // READY, then GUILD_CREATE for the guild.
    match next_event(&mut ws, &mut seq).await {
        Event::Ready(r) => {
            assert_eq!(r.ready.application.id.get(), fake.application_id());
            assert_eq!(r.ready.user.id.get(), fake.bot_user_id());
            assert!(r.ready.user.bot);
            assert!(!r.ready.session_id.is_empty());
            assert_eq!(r.ready.guilds.len(), 1);
        }
        other => panic!("expected READY, got {other:?}"),
    }
    match next_event(&mut ws, &mut seq).await {
        Event::GuildCreate(g) => {
            assert_eq!(g.guild.id.get(), GUILD);
            assert_eq!(g.guild.members.len(), 5, "bot, owner, alice, bob, carol");
            assert!(g.guild.channels.contains_key(&TEXT.into()));
            assert_eq!(g.guild.roles.len(), 2);
        }
        other => panic!("expected GUILD_CREATE, got {other:?}"),
    }

    // Heartbeat -> ACK.
    send(&mut ws, json!({"op": 1, "d": seq})).await;
    let ack = recv(&mut ws).await;
    assert!(matches!(
        serde_json::from_value::<GatewayEvent>(ack).unwrap(),
        GatewayEvent::HeartbeatAck
    ));

    let in_guild = Place::Guild {
        guild_id: GUILD,
        channel_id: TEXT,
    };

    // Slash command with a sub-command, a user option (resolved) and a string, in a guild.
    let h = fake.interaction_slash(
        in_guild,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("request")
            .user("user", BOB)
            .str("purpose", "learn Rust"),
    );
    match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => {
            assert_eq!(c.id.get(), h.id);
            assert_eq!(c.token, h.token);
            assert_eq!(c.data.name, "mentor");
            assert_eq!(c.guild_id.map(|g| g.get()), Some(GUILD));
            assert_eq!(c.user.id.get(), ALICE, "serenity fills `user` from `member`");
            let member = c.member.as_ref().expect("member in a guild");
            assert!(member.permissions.is_some());
            assert!(c.data.resolved.users.contains_key(&BOB.into()));
            assert!(c.data.resolved.members.contains_key(&BOB.into()));
            let opts = c.data.options();
            assert_eq!(opts.len(), 1);
            assert_eq!(opts[0].name, "request");
            match &opts[0].value {
                serenity::model::application::ResolvedValue::SubCommand(inner) => {
                    assert_eq!(inner.len(), 2);
                    match &inner[0].value {
                        serenity::model::application::ResolvedValue::User(u, m) => {
                            assert_eq!(u.id.get(), BOB);
                            assert!(m.is_some());
                        }
                        other => panic!("user option resolved as {other:?}"),
                    }
                }
                other => panic!("sub-command resolved as {other:?}"),
            }
        }
        other => panic!("expected a command, got {other:?}"),
    }

    // Slash command with a sub-command group and every other option type, in a DM.
    fake.interaction_slash(
        Place::Dm,
        ALICE,
        SlashCommand::new("mentorship")
            .subcommand("plan")
            .subcommand("add")
            .str("goal", "ship it")
            .int("weeks", 3)
            .bool("public", false)
            .channel("where", TEXT)
            .opt("hours", OptionValue::Number(1.5)),
    );
    match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => {
            assert_eq!(c.guild_id, None);
            assert!(c.member.is_none());
            assert_eq!(c.user.id.get(), ALICE);
            let opts = c.data.options();
            match &opts[0].value {
                serenity::model::application::ResolvedValue::SubCommandGroup(g) => {
                    assert_eq!(g[0].name, "add");
                }
                other => panic!("group resolved as {other:?}"),
            }
        }
        other => panic!("expected a command, got {other:?}"),
    }

    // Role option in a guild.
    fake.interaction_slash(
        in_guild,
        OWNER,
        SlashCommand::new("program")
            .subcommand("setup")
            .channel("channel", TEXT)
            .role("coordinator", COORDINATOR_ROLE),
    );
    match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => {
            assert!(c.data.resolved.roles.contains_key(&COORDINATOR_ROLE.into()));
            assert!(c
                .member
                .as_ref()
                .and_then(|m| m.permissions)
                .is_some_and(|p| p.administrator()));
        }
        other => panic!("expected a command, got {other:?}"),
    }

    // Autocomplete in a guild and in a DM.
    for place in [in_guild, Place::Dm] {
        fake.interaction_autocomplete(
            place,
            ALICE,
            SlashCommand::new("mentor")
                .subcommand("profile")
                .focus("timezone", "Europe/Be"),
        );
        match interaction(next_event(&mut ws, &mut seq).await) {
            Interaction::Autocomplete(a) => {
                let focused = a.data.autocomplete().expect("a focused option");
                assert_eq!(focused.name, "timezone");
                assert_eq!(focused.value, "Europe/Be");
            }
            other => panic!("expected autocomplete, got {other:?}"),
        }
    }

    // Buttons and a select menu, on a guild message and on a DM message.
    let with_components = |text: &str| {
        json!({"content": text, "components": [
            {"type": 1, "components": [{"type": 2, "style": 3, "custom_id": "proposal:accept:7", "label": "Accept"}]},
            {"type": 1, "components": [{"type": 3, "custom_id": "pick", "min_values": 1, "max_values": 2, "options": [
                {"label": "A", "value": "a"}, {"label": "B", "value": "b"}, {"label": "C", "value": "c"}
            ]}]}
        ]})
    };
    let guild_msg = fake.add_message_json(TEXT, fake.bot_user_id(), with_components("in the guild"));
    let dm = fake
        .dm_channel_of(ALICE)
        .expect("the DM interaction opened a DM channel");
    let dm_msg = fake.add_message_json(dm, fake.bot_user_id(), with_components("in a DM"));
    for (msg, guild) in [(guild_msg, true), (dm_msg, false)] {
        fake.interaction_button(msg, ALICE, "proposal:accept:7");
        match interaction(next_event(&mut ws, &mut seq).await) {
            Interaction::Component(c) => {
                assert_eq!(c.data.custom_id, "proposal:accept:7");
                assert_eq!(c.message.id.get(), msg);
                assert_eq!(c.guild_id.is_some(), guild);
                assert_eq!(c.user.id.get(), ALICE);
            }
            other => panic!("expected a component, got {other:?}"),
        }
        fake.interaction_select(msg, ALICE, "pick", &["a", "b"]);
        match interaction(next_event(&mut ws, &mut seq).await) {
            Interaction::Component(c) => match c.data.kind {
                serenity::model::application::ComponentInteractionDataKind::StringSelect { values } => {
                    assert_eq!(values, vec!["a", "b"])
                }
                other => panic!("select resolved as {other:?}"),
            },
            other => panic!("expected a component, got {other:?}"),
        }
    }

    // Modal submits, in a guild and in a DM.
    for place in [in_guild, Place::Dm] {
        fake.interaction_modal_submit(
            place,
            BOB,
            "offer:purpose",
            &[("purpose", "help newcomers"), ("learn", "teaching")],
        );
        match interaction(next_event(&mut ws, &mut seq).await) {
            Interaction::Modal(m) => {
                assert_eq!(m.data.custom_id, "offer:purpose");
                assert_eq!(m.data.components.len(), 2);
                match &m.data.components[1].components[0] {
                    serenity::model::application::ActionRowComponent::InputText(t) => {
                        assert_eq!(t.custom_id, "learn");
                        assert_eq!(t.value.as_deref(), Some("teaching"));
                    }
                    other => panic!("text input resolved as {other:?}"),
                }
                assert_eq!(m.user.id.get(), BOB);
            }
            other => panic!("expected a modal submit, got {other:?}"),
        }
    }

    // Member events and a later GUILD_CREATE.
    fake.send_member_add(GUILD, FakeUser::new(CAROL + 1, "dave"));
    match next_event(&mut ws, &mut seq).await {
        Event::GuildMemberAdd(e) => assert_eq!(e.member.user.id.get(), CAROL + 1),
        other => panic!("expected GUILD_MEMBER_ADD, got {other:?}"),
    }
    fake.send_member_remove(GUILD, CAROL);
    match next_event(&mut ws, &mut seq).await {
        Event::GuildMemberRemove(e) => {
            assert_eq!(e.guild_id.get(), GUILD);
            assert_eq!(e.user.id.get(), CAROL);
        }
        other => panic!("expected GUILD_MEMBER_REMOVE, got {other:?}"),
    }
    fake.send_guild_create(GUILD);
    match next_event(&mut ws, &mut seq).await {
        Event::GuildCreate(g) => assert_eq!(g.guild.members.len(), 5, "carol left, dave joined"),
        other => panic!("expected GUILD_CREATE, got {other:?}"),
    }

    // A thread archived by the stand-in's clock, then unarchived: THREAD_UPDATE each time.
    let api = Api::new(&fake);
    let thread = id_of(
        api.call(
            "POST",
            &format!("/channels/{TEXT}/threads"),
            Some(json!({"name": "t", "type": 12, "auto_archive_duration": 60})),
        )
        .await
        .json(),
    );
    fake.advance(Duration::from_secs(3601));
    for archived in [true, false] {
        if !archived {
            api.call(
                "PATCH",
                &format!("/channels/{thread}"),
                Some(json!({"archived": false})),
            )
            .await;
        }
        match next_event(&mut ws, &mut seq).await {
            Event::ThreadUpdate(t) => {
                assert_eq!(t.thread.id.get(), thread);
                assert_eq!(t.thread.thread_metadata.unwrap().archived, archived);
            }
            other => panic!("expected THREAD_UPDATE, got {other:?}"),
        }
    }

    // Drop the connection; an interaction made meanwhile is replayed on Resume, then RESUMED.
    let session = fake.gateway_stats().session_id.unwrap();
    fake.drop_gateway();
    // The old socket ends without a close frame.
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap();
    assert!(
        !matches!(end, Some(Ok(Message::Close(Some(_))))),
        "no close frame: {end:?}"
    );
    let missed = fake.interaction_slash(in_guild, ALICE, SlashCommand::new("mentorship").subcommand("list"));
    let mut ws = connect(&fake).await;
    let hello = recv(&mut ws).await;
    assert_eq!(hello["op"], 10);
    send(
        &mut ws,
        json!({"op": 6, "d": {"token": fake.bot_token(), "session_id": session, "seq": seq}}),
    )
    .await;
    match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => assert_eq!(c.id.get(), missed.id),
        other => panic!("expected the missed command, got {other:?}"),
    }
    match next_event(&mut ws, &mut seq).await {
        Event::Resumed(_) => {}
        other => panic!("expected RESUMED, got {other:?}"),
    }
    let stats = fake.gateway_stats();
    assert_eq!((stats.identifies, stats.resumes, stats.resumed), (1, 1, 1));
    assert!(stats.live);

    // Reconnect on demand (op 7).
    fake.request_reconnect();
    let v = recv(&mut ws).await;
    assert!(matches!(
        serde_json::from_value::<GatewayEvent>(v).unwrap(),
        GatewayEvent::Reconnect
    ));
}

#[tokio::test]
async fn resume_refused_gets_invalid_session() {
    let fake = setup(FakeConfig {
        allow_resume: false,
        ..FakeConfig::default()
    })
    .await;
    let mut ws = connect(&fake).await;
    identify(&mut ws, &fake).await;
    let mut seq = 0;
    assert!(matches!(next_event(&mut ws, &mut seq).await, Event::Ready(_)));
    let session = fake.gateway_stats().session_id.unwrap();
    fake.drop_gateway();
    let mut ws = connect(&fake).await;
    recv(&mut ws).await;
    send(
        &mut ws,
        json!({"op": 6, "d": {"token": fake.bot_token(), "session_id": session, "seq": seq}}),
    )
    .await;
    let v = recv(&mut ws).await;
    assert!(matches!(
        serde_json::from_value::<GatewayEvent>(v).unwrap(),
        GatewayEvent::InvalidateSession(false)
    ));
    // Re-identify: a new session with READY at s=1.
    send(
        &mut ws,
        json!({"op": 2, "d": {"token": fake.bot_token(), "intents": 1,
            "properties": {"os": "linux", "browser": "t", "device": "t"}}}),
    )
    .await;
    let mut seq = 0;
    assert!(matches!(next_event(&mut ws, &mut seq).await, Event::Ready(_)));
    assert_eq!(seq, 1);
    assert_ne!(fake.gateway_stats().session_id.unwrap(), session);
}

#[tokio::test]
async fn events_before_the_first_identify_are_sent_after_ready() {
    let fake = setup(FakeConfig {
        guild_create_on_ready: false,
        ..FakeConfig::default()
    })
    .await;
    let early = fake.interaction_slash(
        Place::Guild {
            guild_id: GUILD,
            channel_id: TEXT,
        },
        ALICE,
        SlashCommand::new("mentor").subcommand("seek"),
    );
    let mut ws = connect(&fake).await;
    identify(&mut ws, &fake).await;
    let mut seq = 0;
    assert!(matches!(next_event(&mut ws, &mut seq).await, Event::Ready(_)));
    match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => assert_eq!(c.id.get(), early.id),
        other => panic!("expected the early command, got {other:?}"),
    }
}

/// An attachment option arrives in `data.resolved.attachments` as serenity reads it; its signed
/// link is served by the CDN route (`cdn.discordapp.com` on the stand-in's TLS server), and a
/// link that was not handed out (or tampered with) is not. Member search answers by name.
#[tokio::test]
async fn attachments_are_resolved_and_served_by_the_cdn() {
    let fake = setup(FakeConfig::default()).await;
    let mut ws = connect(&fake).await;
    identify(&mut ws, &fake).await;
    let mut seq = 0;
    next_event(&mut ws, &mut seq).await;
    next_event(&mut ws, &mut seq).await;
    let data = b"user,role\nalice,mentee\n".to_vec();
    fake.interaction_slash(
        Place::Guild {
            guild_id: GUILD,
            channel_id: TEXT,
        },
        OWNER,
        SlashCommand::new("program").subcommand("import").attachment(
            "file",
            fake_discord::FakeAttachment::new("people.csv", Some("text/csv"), data.clone()),
        ),
    );
    let url = match interaction(next_event(&mut ws, &mut seq).await) {
        Interaction::Command(c) => {
            let opts = c.data.options();
            let serenity::model::application::ResolvedValue::SubCommand(inner) = &opts[0].value else {
                panic!("sub-command resolved as {:?}", opts[0].value);
            };
            match &inner[0].value {
                serenity::model::application::ResolvedValue::Attachment(a) => {
                    assert_eq!(a.filename, "people.csv");
                    assert_eq!(a.size as usize, data.len());
                    assert_eq!(a.content_type.as_deref(), Some("text/csv"));
                    assert!(
                        a.url.starts_with("https://cdn.discordapp.com/attachments/"),
                        "{}",
                        a.url
                    );
                    a.url.clone()
                }
                other => panic!("attachment resolved as {other:?}"),
            }
        }
        other => panic!("expected a command, got {other:?}"),
    };
    let client = fake.http_client();
    let got = client.get(&url).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), data);
    let unsigned = url.split('?').next().unwrap().to_string();
    let tampered = url.replace("&hm=", "&hm=0");
    for bad in [unsigned, tampered] {
        let r = client.get(&bad).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{bad}");
        assert_eq!(r.text().await.unwrap(), "This content is no longer available.");
    }

    let api = Api::new(&fake);
    let r = api
        .call(
            "GET",
            &format!("/guilds/{GUILD}/members/search?query=AL&limit=10"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let names: Vec<&str> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice"]);
    assert!(fake.take_spec_violations().is_empty());
    // Discord requires `query` and keeps `limit` within 1 to 1000.
    api.call("GET", &format!("/guilds/{GUILD}/members/search?limit=1001"), None)
        .await;
    let v = fake.take_spec_violations();
    assert!(
        v.iter()
            .any(|v| v.kind == fake_discord::ViolationKind::InvalidParameter),
        "{v:?}"
    );
}
