//! Shared set-up for the stand-in's own tests.
#![allow(dead_code)]

use fake_discord::{permissions, FakeConfig, FakeDiscord, FakeGuild, FakeRole, FakeUser};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const GUILD: u64 = 900_000_000_000_000_000;
pub const TEXT: u64 = GUILD + 1;
pub const COORDINATOR_ROLE: u64 = GUILD + 10;
pub const OWNER: u64 = 800_000_000_000_000_001;
pub const ALICE: u64 = 800_000_000_000_000_042;
pub const BOB: u64 = 800_000_000_000_000_043;
pub const CAROL: u64 = 800_000_000_000_000_044;

/// A stand-in with one guild (`TEXT` channel), its owner, alice, bob (coordinator) and carol.
pub async fn setup(config: FakeConfig) -> FakeDiscord {
    let fake = FakeDiscord::start(config).await;
    let mut guild = FakeGuild::new(GUILD, "Mentors", OWNER);
    guild.roles.push(FakeRole::new(
        COORDINATOR_ROLE,
        "coordinator",
        permissions::MANAGE_GUILD,
    ));
    fake.add_guild(guild);
    fake.add_member(GUILD, FakeUser::new(OWNER, "owner"));
    fake.add_member(GUILD, FakeUser::new(ALICE, "alice"));
    fake.add_member_with_roles(GUILD, FakeUser::new(BOB, "bob"), vec![COORDINATOR_ROLE]);
    fake.add_member(GUILD, FakeUser::new(CAROL, "carol"));
    assert!(
        fake.validates(),
        "these tests need Discord's OpenAPI description (set DISCORD_OPENAPI_SPEC)"
    );
    fake
}

/// Raw REST calls to the stand-in, as the bot's HTTP client makes them.
pub struct Api {
    pub fake: FakeDiscord,
    pub client: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Option<Value>,
}

impl Reply {
    pub fn json(&self) -> &Value {
        self.body.as_ref().expect("a JSON body")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub fn new(fake: &FakeDiscord) -> Self {
        Self {
            fake: fake.clone(),
            client: fake.http_client(),
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let url = format!("https://discord.com/api/v10{path}");
        let mut req = self
            .client
            .request(method.parse().unwrap(), url)
            .header("Authorization", format!("Bot {}", self.fake.bot_token()));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request reaches the stand-in");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).expect("JSON body"));
        Reply { status, headers, body }
    }
}

pub fn id_of(v: &Value) -> u64 {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// A stand-in whose route buckets do not get in the way of tests that fire many requests at
/// one route on purpose (the global limit stays Discord's).
pub fn roomy() -> FakeConfig {
    FakeConfig {
        route_limit: fake_discord::Limit::new(1000, std::time::Duration::from_secs(1)),
        bucket_rules: Vec::new(),
        ..FakeConfig::default()
    }
}
