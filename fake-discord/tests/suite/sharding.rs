//! Sharded gateway connections: each Identify names its shard of a total, READY and
//! GUILD_CREATE list only that shard's guilds, and a guild's events (interactions included)
//! go to the shard that owns it, `(guild_id >> 22) % shard_count`, as on Discord.

use std::time::Duration;

use crate::common::*;
use fake_discord::{FakeConfig, FakeDiscord, FakeGuild, FakeUser, Place, SlashCommand};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

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

/// Connects and identifies as `shard` of `count`; returns the socket after READY's payload.
async fn identify(fake: &FakeDiscord, shard: u64, count: u64) -> (Ws, Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}?v=10", fake.gateway_url()))
        .await
        .expect("connect to the gateway");
    assert_eq!(recv(&mut ws).await["op"], 10, "Hello first");
    let identify = json!({"op": 2, "d": {
        "token": fake.bot_token(),
        "intents": 1 | 2 | 4096,
        "properties": {"os": "linux", "browser": "serenity", "device": "serenity"},
        "shard": [shard, count],
    }});
    ws.send(Message::Text(identify.to_string())).await.unwrap();
    let ready = recv(&mut ws).await;
    assert_eq!(ready["t"], "READY", "{ready}");
    (ws, ready["d"].clone())
}

/// The next dispatch's type and guild id.
async fn next(ws: &mut Ws) -> (String, String) {
    let v = recv(ws).await;
    let d = &v["d"];
    let guild = d["guild_id"].as_str().or(d["id"].as_str()).unwrap_or_default();
    (v["t"].as_str().unwrap_or_default().to_string(), guild.to_string())
}

#[tokio::test]
async fn each_shard_gets_only_its_guilds_events() {
    let fake = setup(FakeConfig {
        recommended_shards: 2,
        ..FakeConfig::default()
    })
    .await;
    // A second guild on the other shard of two.
    let other = (1..)
        .map(|n| GUILD + (n << 22))
        .find(|g| FakeDiscord::shard_of(*g, 2) != FakeDiscord::shard_of(GUILD, 2))
        .unwrap();
    fake.add_guild(FakeGuild::new(other, "Elsewhere", OWNER));
    fake.add_member(other, FakeUser::new(ALICE, "alice"));
    let by_shard = |s: u64| {
        if FakeDiscord::shard_of(GUILD, 2) == s {
            GUILD
        } else {
            other
        }
    };

    // GET /gateway/bot recommends the configured count.
    let url = "https://discord.com/api/v10/gateway/bot";
    let bot_gateway: Value = fake
        .http_client()
        .get(url)
        .header("Authorization", format!("Bot {}", fake.bot_token()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bot_gateway["shards"], 2, "{bot_gateway}");

    let (mut ws0, ready0) = identify(&fake, 0, 2).await;
    let (mut ws1, ready1) = identify(&fake, 1, 2).await;
    for (ready, shard) in [(&ready0, 0u64), (&ready1, 1)] {
        assert_eq!(ready["shard"], json!([shard, 2]));
        let guilds: Vec<&str> = ready["guilds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(guilds, [by_shard(shard).to_string()], "shard {shard}");
    }
    assert_ne!(ready0["session_id"], ready1["session_id"]);
    assert_eq!(next(&mut ws0).await, ("GUILD_CREATE".into(), by_shard(0).to_string()));
    assert_eq!(next(&mut ws1).await, ("GUILD_CREATE".into(), by_shard(1).to_string()));
    assert!(
        fake.wait_gateway(Duration::from_secs(5), |s| s.live_shards == [0, 1])
            .await
    );

    // An interaction in shard 1's guild, then one in shard 0's: each connection's next
    // dispatch is its own guild's, so neither saw the other's.
    let place = |g: u64| Place::Guild {
        guild_id: g,
        channel_id: g + 1,
    };
    fake.interaction_slash(place(by_shard(1)), ALICE, SlashCommand::new("ping"));
    fake.interaction_slash(place(by_shard(0)), ALICE, SlashCommand::new("ping"));
    assert_eq!(
        next(&mut ws1).await,
        ("INTERACTION_CREATE".into(), by_shard(1).to_string())
    );
    assert_eq!(
        next(&mut ws0).await,
        ("INTERACTION_CREATE".into(), by_shard(0).to_string())
    );
    // Member events follow the guild too; sequence numbers are per shard.
    fake.send_member_add(by_shard(0), FakeUser::new(CAROL + 100, "dave"));
    let v = recv(&mut ws0).await;
    assert_eq!((v["t"].as_str(), v["s"].as_u64()), (Some("GUILD_MEMBER_ADD"), Some(4)));
    fake.assert_no_violations();
}
