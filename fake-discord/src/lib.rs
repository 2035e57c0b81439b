#![recursion_limit = "256"]
//! A stand-in for Discord's REST API and gateway on localhost, for end-to-end tests of a bot
//! built on serenity 0.12 / poise 0.7 with serenity's production HTTP path (rate limiter on).
//!
//! ```no_run
//! # async fn demo() {
//! use fake_discord::{FakeDiscord, FakeConfig, FakeGuild, FakeUser, Place, SlashCommand};
//! let fake = FakeDiscord::start(FakeConfig::default()).await;
//! fake.add_guild(FakeGuild::new(1000, "Guild", 1));
//! fake.add_member(1000, FakeUser::new(42, "alice"));
//! // Build the bot's client with:
//! //   serenity::http::HttpBuilder::new(fake.bot_token()).client(fake.http_client()).build()
//! fake.wait_ready(std::time::Duration::from_secs(10)).await;
//! let place = Place::Guild { guild_id: 1000, channel_id: 1001 };
//! let h = fake.interaction_slash(place, 42, SlashCommand::new("mentor").subcommand("list"));
//! let answer = h.wait_response().await;
//! assert!(answer.is_ephemeral());
//! fake.assert_no_violations();
//! # }
//! ```
//!
//! * REST is served over TLS (rustls with ring) with a self-signed certificate for
//!   `discord.com`; [`FakeDiscord::http_client`] trusts only that certificate and resolves
//!   `discord.com` to the stand-in, so serenity keeps building `https://discord.com/api/v10/..`.
//! * The gateway is plain `ws://127.0.0.1:PORT`, announced by `GET /gateway`.
//! * Every request is recorded and validated against Discord's OpenAPI description, read at run
//!   time from `$DISCORD_OPENAPI_SPEC` or `shared/discord-api-spec/openapi.json` beside the
//!   repository (a loud warning is printed when it is missing, and validation is skipped).
//! * Every answer of the stand-in is validated against the response schema too (violations of
//!   kind [`ViolationKind::InvalidResponse`]).

mod cdn;
pub mod faults;
mod gateway;
mod mentions;
pub mod model;
mod payloads;
pub mod ratelimit;
pub mod record;
mod rest;
pub mod rules;
pub mod spec;
mod state;
mod threads;
pub mod twilight_judge;
mod webhooks;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

pub use cdn::CDN_HOST;
pub use faults::{FaultStats, Faults};
pub use model::{
    custom_ids, permissions, ChannelKind, FakeAttachment, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser,
    GatewayStats, InteractionResponse, MessageSource, Pinged, RecordedRequest, SentAttachment, SentMessage,
    SpecViolation, ViolationKind,
};
pub use payloads::LARGE_THRESHOLD;
pub use ratelimit::{BucketRule, Limit};
pub use state::Place;
pub use threads::DEFAULT_AUTO_ARCHIVE_MINUTES;

use payloads::{member_json, message_json, user_json};
use state::State;

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Global limit (Discord: 50 requests per second). Interaction and webhook routes are
    /// exempt, as on Discord.
    pub global_limit: Limit,
    /// Default per-route bucket (per method, route and major parameter).
    pub route_limit: Limit,
    /// Overrides of the route limit by path prefix or route pattern; the first match wins.
    /// Default: [`BucketRule::discord_defaults`] (messages to one channel 5 per 5 s, opening
    /// DM channels its own bucket); add to that list to keep them.
    pub bucket_rules: Vec<BucketRule>,
    /// The heartbeat interval announced in Hello.
    pub heartbeat_interval: Duration,
    /// Answer Resume with RESUMED (true) or with Invalid Session (false).
    pub allow_resume: bool,
    /// Send a GUILD_CREATE for each guild after READY.
    pub guild_create_on_ready: bool,
    /// How long `nonce` + `enforce_nonce` deduplicates (Discord: a few minutes).
    pub nonce_ttl: Duration,
    /// An initial interaction response later than this is refused with 10062 Unknown
    /// interaction, as Discord does after 3 s. `None` disables the check.
    pub interaction_deadline: Option<Duration>,
    /// Default timeout of the `wait_*` helpers that take none.
    pub wait_timeout: Duration,
    /// The OpenAPI file; `None`: `$DISCORD_OPENAPI_SPEC` or the default locations.
    pub spec_path: Option<std::path::PathBuf>,
    /// The bot's user id (also the application id).
    pub bot_user_id: u64,
    /// The bot's name.
    pub bot_name: String,
    /// The shard count `GET /gateway/bot` recommends (what an autosharded client starts).
    pub recommended_shards: u64,
    /// The privileged gateway intents the application has enabled in the developer portal
    /// ([`intents`]); an Identify asking for another one is closed with 4014. Default:
    /// GUILD_MEMBERS, which the README tells operators to turn on.
    pub privileged_intents: u64,
}

/// Gateway intent bits (the privileged ones: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT).
pub mod intents {
    /// GUILD_MEMBERS (privileged).
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    /// GUILD_PRESENCES (privileged).
    pub const GUILD_PRESENCES: u64 = 1 << 8;
    /// MESSAGE_CONTENT (privileged).
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
    /// The privileged intents.
    pub const PRIVILEGED: u64 = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT;
    /// Every intent Discord defines (bits 0 to 25).
    pub const ALL: u64 = (1 << 26) - 1;
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            global_limit: Limit::new(50, Duration::from_secs(1)),
            route_limit: Limit::new(10, Duration::from_secs(1)),
            bucket_rules: BucketRule::discord_defaults(),
            heartbeat_interval: Duration::from_millis(41_250),
            allow_resume: true,
            guild_create_on_ready: true,
            nonce_ttl: rest::DEFAULT_NONCE_TTL,
            interaction_deadline: Some(Duration::from_secs(3)),
            wait_timeout: Duration::from_secs(10),
            spec_path: None,
            bot_user_id: 1_250_000_000_000_000_001,
            bot_name: "mentorbot".into(),
            recommended_shards: 1,
            privileged_intents: intents::GUILD_MEMBERS,
        }
    }
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub changed: watch::Sender<u64>,
    pub config: FakeConfig,
    pub spec: Option<Arc<spec::Spec>>,
    pub token: String,
    pub gateway_url: String,
}

impl Shared {
    pub fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }
}

struct Guard {
    rest: axum_server::Handle,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.rest.shutdown();
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A running stand-in. Cheap to clone; the servers stop when the last clone is dropped.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest_addr: SocketAddr,
    gateway_addr: SocketAddr,
    cert_pem: String,
    _guard: Arc<Guard>,
}

impl std::fmt::Debug for FakeDiscord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDiscord")
            .field("rest_addr", &self.rest_addr)
            .field("gateway_addr", &self.gateway_addr)
            .finish()
    }
}

fn load_spec(config: &FakeConfig) -> Option<Arc<spec::Spec>> {
    let path = config.spec_path.clone().or_else(spec::resolve_spec_path);
    let banner = "!".repeat(78);
    match path {
        None => {
            eprintln!(
                "{banner}\nfake-discord: WARNING: Discord's OpenAPI description was not found \
                 (set {} or put it at {:?}).\nRequests are NOT validated against the spec.\n{banner}",
                spec::SPEC_ENV,
                spec::default_spec_candidates()
            );
            None
        }
        Some(p) => match spec::Spec::load_cached(&p) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "{banner}\nfake-discord: WARNING: {e}\nRequests are NOT validated against \
                     the spec.\n{banner}"
                );
                None
            }
        },
    }
}

impl FakeDiscord {
    /// Starts REST (TLS) and the gateway (plain ws) on 127.0.0.1 with random ports.
    ///
    /// # Panics
    /// If the ports cannot be bound or the certificate cannot be made.
    pub async fn start(config: FakeConfig) -> FakeDiscord {
        let spec = load_spec(&config);
        let app_id = config.bot_user_id;
        let bot = FakeUser::bot(config.bot_user_id, config.bot_name.clone());
        let limiter = ratelimit::RateLimiter::new(config.global_limit, config.route_limit, config.bucket_rules.clone());
        let gw_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let gateway_addr = gw_listener.local_addr().expect("gateway addr");
        let token = format!(
            "{}.ZmFrZQ.{}",
            base64_url(app_id.to_string().as_bytes()),
            "fakediscordtokenfakediscordtok"
        );
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(bot, app_id, limiter)),
            changed,
            config,
            spec,
            token,
            gateway_url: format!("ws://{gateway_addr}/"),
        });

        // TLS certificate for discord.com.
        // The CDN (`cdn.discordapp.com`, attachments) is served by the same server.
        let cert = rcgen::generate_simple_self_signed(vec!["discord.com".to_string(), CDN_HOST.to_string()])
            .expect("certificate");
        let cert_pem = cert.cert.pem();
        let cert_der = cert.cert.der().clone();
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
            cert.key_pair.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .expect("server certificate");
        server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(server_config));

        let rest_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind rest");
        rest_listener.set_nonblocking(true).expect("nonblocking");
        let rest_addr = rest_listener.local_addr().expect("rest addr");
        let rest_app = axum::Router::new()
            .fallback(rest::handle)
            .with_state(Arc::clone(&shared));
        let handle = axum_server::Handle::new();
        let rest_server = axum_server::from_tcp_rustls(rest_listener, tls).handle(handle.clone());
        let rest_task = tokio::spawn(async move {
            if let Err(e) = rest_server.serve(rest_app.into_make_service()).await {
                eprintln!("fake-discord: REST server stopped: {e}");
            }
        });

        let gw_app = axum::Router::new()
            .fallback(axum::routing::get(gateway::ws_handler))
            .with_state(Arc::clone(&shared));
        let gw_task = tokio::spawn(async move {
            if let Err(e) = axum::serve(gw_listener, gw_app).await {
                eprintln!("fake-discord: gateway server stopped: {e}");
            }
        });
        handle.listening().await;

        FakeDiscord {
            shared,
            rest_addr,
            gateway_addr,
            cert_pem,
            _guard: Arc::new(Guard {
                rest: handle,
                tasks: vec![rest_task, gw_task],
            }),
        }
    }

    // ----- identity and connection --------------------------------------------------------

    /// The token the bot must use (REST `Authorization: Bot ...` and Identify).
    pub fn bot_token(&self) -> String {
        self.shared.token.clone()
    }

    /// The application id (announced in READY and `GET /oauth2/applications/@me`).
    pub fn application_id(&self) -> u64 {
        self.shared.state.lock().unwrap().app_id
    }

    /// The bot's user id.
    pub fn bot_user_id(&self) -> u64 {
        self.shared.state.lock().unwrap().bot.id
    }

    /// Where REST listens (TLS; serve `discord.com` here).
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// The gateway URL, `ws://127.0.0.1:PORT/` (the trailing slash matters: serenity appends `?v=10`).
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url.clone()
    }

    /// The PEM of the test certificate for `discord.com`.
    pub fn certificate_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// A reqwest 0.12 client (the type serenity 0.12.5 uses) that reaches the stand-in for
    /// `https://discord.com` and its CDN: rustls, only the test certificate trusted,
    /// `discord.com` and `cdn.discordapp.com` resolved to the stand-in. Give it to `serenity::http::HttpBuilder::client`.
    ///
    /// # Panics
    /// If the client cannot be built.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.cert_pem.as_bytes()).expect("certificate"))
            .resolve("discord.com", self.rest_addr)
            .resolve(CDN_HOST, self.rest_addr)
            .build()
            .expect("reqwest client")
    }

    // ----- state the routes answer from ---------------------------------------------------

    /// Adds (or replaces) a guild with its roles and channels; the bot becomes a member.
    pub fn add_guild(&self, guild: FakeGuild) {
        self.shared.state.lock().unwrap().add_guild(guild);
        self.shared.bump();
    }

    /// Adds a user that belongs to no guild (e.g. for DMs).
    pub fn add_user(&self, user: FakeUser) {
        self.shared.state.lock().unwrap().users.insert(user.id, user);
    }

    /// Adds a member to a guild (without roles besides `@everyone`).
    ///
    /// # Panics
    /// If the guild is unknown.
    pub fn add_member(&self, guild_id: u64, user: FakeUser) {
        self.add_member_with_roles(guild_id, user, Vec::new());
    }

    /// Adds a member with roles.
    ///
    /// # Panics
    /// If the guild is unknown.
    pub fn add_member_with_roles(&self, guild_id: u64, user: FakeUser, roles: Vec<u64>) {
        let mut st = self.shared.state.lock().unwrap();
        st.users.insert(user.id, user.clone());
        let g = st.guilds.get_mut(&guild_id).expect("add_member: unknown guild");
        g.members.insert(
            user.id,
            FakeMember {
                user,
                roles,
                nick: None,
            },
        );
    }

    /// Removes a member from the stand-in's state (no event; see
    /// [`FakeDiscord::send_member_remove`]).
    pub fn remove_member(&self, guild_id: u64, user_id: u64) {
        let mut st = self.shared.state.lock().unwrap();
        if let Some(g) = st.guilds.get_mut(&guild_id) {
            g.members.remove(&user_id);
        }
    }

    /// Adds (or replaces) a channel.
    pub fn add_channel(&self, channel: FakeChannel) {
        self.shared.state.lock().unwrap().channels.insert(channel.id, channel);
    }

    /// A channel as the stand-in knows it now (threads the bot made included).
    pub fn channel(&self, id: u64) -> Option<FakeChannel> {
        self.shared.state.lock().unwrap().channels.get(&id).cloned()
    }

    /// Threads whose parent is `channel_id`.
    pub fn threads_in(&self, channel_id: u64) -> Vec<FakeChannel> {
        self.shared
            .state
            .lock()
            .unwrap()
            .channels
            .values()
            .filter(|c| c.kind.is_thread() && c.parent_id == Some(channel_id))
            .cloned()
            .collect()
    }

    /// The user's DM channel id, if one was opened.
    pub fn dm_channel_of(&self, user_id: u64) -> Option<u64> {
        self.shared.state.lock().unwrap().dm_by_user.get(&user_id).copied()
    }

    /// Opens the user's DM channel without a request, as if the bot had opened it in an earlier
    /// run (for a bot that keeps DM channel ids); returns its id, the one
    /// `POST /users/@me/channels` answers from then on.
    pub fn open_dm(&self, user_id: u64) -> u64 {
        let id = self.shared.state.lock().unwrap().dm_channel_for(user_id);
        self.shared.bump();
        id
    }

    /// Moves the stand-in's own clock on by `by` (no waiting): interaction deadlines and token
    /// expiry, thread archiving and the nonce window run on it. Threads idle for their
    /// `auto_archive_duration` are archived now (with a THREAD_UPDATE dispatch).
    pub fn advance(&self, by: Duration) {
        {
            let mut st = self.shared.state.lock().unwrap();
            st.clock_offset += by;
            threads::archive_idle(&mut st);
        }
        self.shared.bump();
    }

    /// How far tests have moved the stand-in's clock.
    pub fn clock_offset(&self) -> Duration {
        self.shared.state.lock().unwrap().clock_offset
    }

    /// Refusals of twilight-validate that Discord's documentation overruled
    /// ([`twilight_judge::DISAGREEMENTS`]): the request was accepted, as Discord accepts it.
    pub fn overruled(&self) -> Vec<SpecViolation> {
        self.shared.state.lock().unwrap().overruled.clone()
    }

    /// From now on, messages to this user's DM channel answer 403 with code 50007.
    pub fn set_dms_closed(&self, user_id: u64) {
        self.shared.state.lock().unwrap().dms_closed.insert(user_id);
    }

    /// Opens the user's DMs again.
    pub fn set_dms_open(&self, user_id: u64) {
        self.shared.state.lock().unwrap().dms_closed.remove(&user_id);
    }

    /// The commands registered globally (`PUT /applications/{id}/commands`).
    pub fn global_commands(&self) -> Vec<Value> {
        self.shared.state.lock().unwrap().commands_global.clone()
    }

    /// The commands registered for a guild.
    pub fn guild_commands(&self, guild_id: u64) -> Vec<Value> {
        self.shared
            .state
            .lock()
            .unwrap()
            .commands_guild
            .get(&guild_id)
            .cloned()
            .unwrap_or_default()
    }

    // ----- failures on demand -------------------------------------------------------------

    /// The next request with this method (`None`: any) whose path (after `/api/v10`) starts with
    /// `path_prefix` is answered with `status` and a Discord error body.
    pub fn fail_next(&self, method: Option<&str>, path_prefix: &str, status: u16) {
        self.fail_next_n(method, path_prefix, status, 1);
    }

    /// Like [`FakeDiscord::fail_next`] for the next `count` matching requests.
    pub fn fail_next_n(&self, method: Option<&str>, path_prefix: &str, status: u16, count: u32) {
        self.shared.state.lock().unwrap().fail_rules.push(state::FailRule {
            method: method.map(str::to_ascii_uppercase),
            path_prefix: path_prefix.to_string(),
            status,
            remaining: count,
        });
    }

    /// Turns faults on (or off, with `Faults::default()`) for the requests from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.state.lock().unwrap().faults.faults = faults;
    }

    /// What the faults did so far.
    pub fn fault_stats(&self) -> FaultStats {
        self.shared.state.lock().unwrap().faults.stats.clone()
    }

    /// Number of 429 answers given so far (global ones and injected ones included).
    pub fn rate_limited_count(&self) -> u64 {
        self.shared.state.lock().unwrap().limiter.count_429
    }

    /// Number of global 429 answers given so far.
    pub fn global_rate_limited_count(&self) -> u64 {
        self.shared.state.lock().unwrap().limiter.count_global_429
    }

    // ----- gateway ------------------------------------------------------------------------

    /// Closes every gateway connection abruptly (no close frame). The client is expected
    /// to reconnect and Resume (answered with the missed events and RESUMED, unless
    /// `allow_resume` is false).
    pub fn drop_gateway(&self) {
        {
            let mut st = self.shared.state.lock().unwrap();
            for (_, c) in std::mem::take(&mut st.gw.conns) {
                let _ = c.tx.send(state::GwOut::Drop);
            }
            st.gw.refresh_live();
        }
        self.shared.bump();
    }

    /// While `down`, new gateway connections are refused (503), as during a Discord outage;
    /// combine with [`FakeDiscord::drop_gateway`] to disconnect the client.
    pub fn set_gateway_down(&self, down: bool) {
        self.shared.state.lock().unwrap().gw.refuse = down;
    }

    /// Sends op 7 Reconnect on every connection: the client should close it, reconnect
    /// and Resume.
    pub fn request_reconnect(&self) {
        let st = self.shared.state.lock().unwrap();
        for c in st.gw.conns.values() {
            let _ = c.tx.send(state::GwOut::Text(
                json!({"op": 7, "d": null, "s": null, "t": null}).to_string(),
            ));
        }
    }

    /// The shard that receives `guild_id`'s events with `shard_count` shards, as Discord
    /// computes it: `(guild_id >> 22) % shard_count`.
    pub fn shard_of(guild_id: u64, shard_count: u64) -> u64 {
        gateway::shard_of_guild(guild_id, shard_count)
    }

    /// Gateway counters.
    pub fn gateway_stats(&self) -> GatewayStats {
        self.shared.state.lock().unwrap().gw.stats.clone()
    }

    /// Every payload the clients sent on the gateway.
    pub fn gateway_received(&self) -> Vec<Value> {
        self.shared.state.lock().unwrap().gw.received.clone()
    }

    /// Every dispatch of the current sessions (shard by shard), as sent
    /// (`{"op":0,"t":..,"s":..,"d":..}`).
    pub fn gateway_sent(&self) -> Vec<Value> {
        self.shared
            .state
            .lock()
            .unwrap()
            .gw
            .sessions
            .values()
            .flat_map(|s| s.log.iter())
            .filter_map(|(_, t)| serde_json::from_str(t).ok())
            .collect()
    }

    /// Waits until a connection is identified (or resumed) and live.
    ///
    /// # Panics
    /// On timeout.
    pub async fn wait_ready(&self, timeout: Duration) {
        let ok = self
            .wait_until(timeout, |st| st.gw.stats.live && st.gw.stats.identifies > 0)
            .await;
        assert!(ok, "fake-discord: no gateway client became ready within {timeout:?}");
    }

    /// Waits until `pred` holds for the gateway counters; false on timeout.
    pub async fn wait_gateway(&self, timeout: Duration, pred: impl Fn(&GatewayStats) -> bool) -> bool {
        self.wait_until(timeout, |st| pred(&st.gw.stats)).await
    }

    /// Sends a dispatch event (op 0) with the next sequence number. Before the first Identify
    /// it is queued and sent right after READY.
    pub fn send_dispatch(&self, event: &str, data: Value) {
        {
            let mut st = self.shared.state.lock().unwrap();
            gateway::dispatch(&mut st, event, data);
        }
        self.shared.bump();
    }

    /// Sends GUILD_CREATE for a known guild (with its members and channels).
    ///
    /// # Panics
    /// If the guild is unknown.
    pub fn send_guild_create(&self, guild_id: u64) {
        let mut st = self.shared.state.lock().unwrap();
        let d = payloads::guild_create_json(&st, st.guilds.get(&guild_id).expect("unknown guild"));
        gateway::dispatch(&mut st, "GUILD_CREATE", d);
        drop(st);
        self.shared.bump();
    }

    /// Removes the member from the guild and sends GUILD_MEMBER_REMOVE.
    pub fn send_member_remove(&self, guild_id: u64, user_id: u64) {
        let mut st = self.shared.state.lock().unwrap();
        let user = st
            .guilds
            .get_mut(&guild_id)
            .and_then(|g| g.members.remove(&user_id))
            .map(|m| m.user)
            .unwrap_or_else(|| st.user_or_placeholder(user_id));
        let d = json!({"guild_id": guild_id.to_string(), "user": user_json(&user)});
        gateway::dispatch(&mut st, "GUILD_MEMBER_REMOVE", d);
        drop(st);
        self.shared.bump();
    }

    /// Adds the member and sends GUILD_MEMBER_ADD.
    ///
    /// # Panics
    /// If the guild is unknown.
    pub fn send_member_add(&self, guild_id: u64, user: FakeUser) {
        self.add_member(guild_id, user.clone());
        let mut st = self.shared.state.lock().unwrap();
        let g = &st.guilds[&guild_id];
        let mut d = member_json(g, &g.members[&user.id], true, false);
        d["guild_id"] = json!(guild_id.to_string());
        gateway::dispatch(&mut st, "GUILD_MEMBER_ADD", d);
        drop(st);
        self.shared.bump();
    }

    // ----- interactions -------------------------------------------------------------------

    /// A slash command (type 2) from `user_id` at `place`.
    ///
    /// # Panics
    /// If the guild or channel of `place` is unknown.
    pub fn interaction_slash(&self, place: Place, user_id: u64, command: SlashCommand) -> InteractionHandle {
        let data = self.command_data(&place, &command, false);
        self.inject_interaction(place, user_id, 2, data, None)
    }

    /// An autocomplete request (type 4); the command must have a focused option
    /// ([`SlashCommand::focus`]).
    ///
    /// # Panics
    /// If the guild or channel of `place` is unknown.
    pub fn interaction_autocomplete(&self, place: Place, user_id: u64, command: SlashCommand) -> InteractionHandle {
        let data = self.command_data(&place, &command, true);
        self.inject_interaction(place, user_id, 4, data, None)
    }

    /// A button press (type 3, component type 2) on a message the bot sent (ephemeral ones
    /// included). The place follows from the message's channel.
    ///
    /// # Panics
    /// If the message is unknown.
    pub fn interaction_button(&self, message_id: u64, user_id: u64, custom_id: &str) -> InteractionHandle {
        self.interaction_component(message_id, user_id, custom_id, 2, None)
    }

    /// A select menu choice (type 3, component type 3: string select).
    ///
    /// # Panics
    /// If the message is unknown.
    pub fn interaction_select(
        &self,
        message_id: u64,
        user_id: u64,
        custom_id: &str,
        values: &[&str],
    ) -> InteractionHandle {
        self.interaction_component(message_id, user_id, custom_id, 3, Some(values))
    }

    /// A button press with a custom id the message does not carry: what a modified client could
    /// try. Discord's own client cannot send it, so [`FakeDiscord::interaction_button`] refuses
    /// to; hostile-input tests use this to show the bot refuses such a press if one ever arrives.
    ///
    /// # Panics
    /// If the message is unknown.
    pub fn interaction_button_forged(&self, message_id: u64, user_id: u64, custom_id: &str) -> InteractionHandle {
        let (place, msg) = {
            let st = self.shared.state.lock().unwrap();
            let m = st
                .message(message_id)
                .unwrap_or_else(|| panic!("interaction_button_forged: unknown message {message_id}"));
            let place = match m.guild_id {
                Some(g) => Place::Guild {
                    guild_id: g,
                    channel_id: m.channel_id,
                },
                None => Place::Dm,
            };
            (place, message_json(&st, m))
        };
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.inject_interaction(place, user_id, 3, data, Some((message_id, msg)))
    }

    fn interaction_component(
        &self,
        message_id: u64,
        user_id: u64,
        custom_id: &str,
        component_type: u8,
        values: Option<&[&str]>,
    ) -> InteractionHandle {
        let (place, msg) = {
            let st = self.shared.state.lock().unwrap();
            let m = st
                .message(message_id)
                .unwrap_or_else(|| panic!("interaction_button: unknown message {message_id}"));
            let place = match m.guild_id {
                Some(g) => Place::Guild {
                    guild_id: g,
                    channel_id: m.channel_id,
                },
                None => Place::Dm,
            };
            let problem = check_component_use(m, custom_id, component_type, values).err();
            let json = message_json(&st, m);
            drop(st);
            // Panicking after the lock is released keeps the stand-in usable for the report.
            if let Some(e) = problem {
                panic!("fake-discord: the test presses something Discord would not let a user press: {e}");
            }
            (place, json)
        };
        let mut data = json!({"custom_id": custom_id, "component_type": component_type});
        if let Some(v) = values {
            data["values"] = json!(v);
        }
        self.inject_interaction(place, user_id, 3, data, Some((message_id, msg)))
    }

    /// A modal submit (type 5) with text input values `(custom_id, value)`, one per row.
    ///
    /// # Panics
    /// If the guild or channel of `place` is unknown.
    pub fn interaction_modal_submit(
        &self,
        place: Place,
        user_id: u64,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> InteractionHandle {
        let rows: Vec<Value> = fields
            .iter()
            .enumerate()
            .map(|(i, (id, value))| {
                json!({
                    "type": 1,
                    "id": 2 * i + 1,
                    "components": [{"type": 4, "id": 2 * i + 2, "custom_id": id, "value": value}],
                })
            })
            .collect();
        let data = json!({"custom_id": custom_id, "components": rows});
        self.inject_interaction(place, user_id, 5, data, None)
    }

    /// Submits the modal an interaction was answered with, at the same place and by the same
    /// user.
    ///
    /// # Panics
    /// If the interaction was not answered with a modal.
    pub fn submit_modal(&self, answered: &InteractionHandle, fields: &[(&str, &str)]) -> InteractionHandle {
        let resp = answered
            .response()
            .expect("submit_modal: the interaction has no response yet");
        let custom_id = resp
            .modal_custom_id()
            .expect("submit_modal: the response is not a modal")
            .to_string();
        if let Err(e) = check_modal_fields(resp.components(), fields) {
            panic!("fake-discord: the test submits a form Discord's client would not send: {e}");
        }
        self.interaction_modal_submit(answered.place, answered.user_id, &custom_id, fields)
    }

    fn command_data(&self, place: &Place, command: &SlashCommand, autocomplete: bool) -> Value {
        let mut st = self.shared.state.lock().unwrap();
        let guild_id = match place {
            Place::Guild { guild_id, .. } => Some(*guild_id),
            Place::Dm => None,
        };
        let registered = guild_id
            .and_then(|g| st.commands_guild.get(&g))
            .into_iter()
            .flatten()
            .chain(st.commands_global.iter())
            .find(|c| c.get("name").and_then(Value::as_str) == Some(command.name.as_str()))
            .cloned();
        // Discord only sends what the registered commands allow: anything else is a mistake
        // of the test, not something the bot could see.
        let problem = match &registered {
            Some(c) => {
                let dm_allowed = c.get("dm_permission").and_then(Value::as_bool) != Some(false)
                    && c.get("contexts")
                        .and_then(Value::as_array)
                        .is_none_or(|ctx| ctx.iter().any(|x| x.as_u64() == Some(1)));
                match rules::commands::check_invocation(c, command, autocomplete) {
                    Err(e) => Some(format!("the test injects an interaction Discord would never send: {e}")),
                    Ok(()) if matches!(place, Place::Dm) && (!dm_allowed || c.get("guild_id").is_some()) => {
                        Some(format!(
                            "/{} is not available in DMs (a guild command, dm_permission false or contexts without 1)",
                            command.name
                        ))
                    }
                    Ok(()) => None,
                }
            }
            None if !st.commands_global.is_empty() || !st.commands_guild.is_empty() => Some(format!(
                "the test injects /{}, which the bot never registered (registered: {:?})",
                command.name,
                st.commands_global
                    .iter()
                    .chain(st.commands_guild.values().flatten())
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect::<Vec<_>>()
            )),
            None => None,
        };
        if let Some(p) = problem {
            // Panicking after the lock is released keeps the stand-in usable for the report.
            drop(st);
            panic!("fake-discord: {p}");
        }
        let (cmd_id, cmd_guild) = match &registered {
            Some(c) => (c.get("id").cloned().unwrap_or(json!("1")), c.get("guild_id").cloned()),
            None => (json!(command_id_for(&command.name).to_string()), None),
        };
        let mut resolved = BTreeMap::<&str, serde_json::Map<String, Value>>::new();
        let mut opts: Vec<Value> = Vec::new();
        for (name, value) in &command.options {
            let (t, v) = match value {
                OptionValue::String(s) => (3, json!(s)),
                OptionValue::Integer(i) => (4, json!(i)),
                OptionValue::Boolean(b) => (5, json!(b)),
                OptionValue::User(u) => {
                    let user = st.user_or_placeholder(*u);
                    resolved
                        .entry("users")
                        .or_default()
                        .insert(u.to_string(), user_json(&user));
                    if let Some(g) = guild_id.and_then(|g| st.guilds.get(&g)) {
                        if let Some(m) = g.members.get(u) {
                            resolved
                                .entry("members")
                                .or_default()
                                .insert(u.to_string(), member_json(g, m, false, true));
                        }
                    }
                    (6, json!(u.to_string()))
                }
                OptionValue::Channel(c) => {
                    if let Some(ch) = st.channels.get(c) {
                        let mut v = payloads::channel_json(&st, ch);
                        v["permissions"] = json!(permissions::ALL.to_string());
                        resolved.entry("channels").or_default().insert(c.to_string(), v);
                    }
                    (7, json!(c.to_string()))
                }
                OptionValue::Role(r) => {
                    if let Some(g) = guild_id.and_then(|g| st.guilds.get(&g)) {
                        if let Some((i, role)) = g.guild.roles.iter().enumerate().find(|(_, x)| x.id == *r) {
                            resolved
                                .entry("roles")
                                .or_default()
                                .insert(r.to_string(), payloads::role_json(role, i));
                        }
                    }
                    (8, json!(r.to_string()))
                }
                OptionValue::Number(n) => (10, json!(n)),
                OptionValue::Attachment(file) => {
                    let mut file = file.clone();
                    file.id = st.new_id();
                    file.channel_id = match place {
                        Place::Guild { channel_id, .. } => *channel_id,
                        // Files attached in a DM: not used by the bot's commands.
                        Place::Dm => 0,
                    };
                    let id = file.id;
                    resolved
                        .entry("attachments")
                        .or_default()
                        .insert(id.to_string(), cdn::attachment_json(&st, &file));
                    st.attachments.insert(id, file);
                    (11, json!(id.to_string()))
                }
            };
            let mut o = json!({"name": name, "type": t, "value": v});
            if autocomplete && command.focused.as_deref() == Some(name.as_str()) {
                o["focused"] = json!(true);
            }
            opts.push(o);
        }
        if autocomplete {
            if let (Some(f), Some(partial)) = (&command.focused, &command.focused_value) {
                if !command.options.iter().any(|(n, _)| n == f) {
                    opts.push(json!({"name": f, "type": 3, "value": partial, "focused": true}));
                }
            }
        }
        let options = match command.path.as_slice() {
            [] => opts,
            [sub] => vec![json!({"name": sub, "type": 1, "options": opts})],
            [group, sub, ..] => vec![json!({
                "name": group, "type": 2,
                "options": [{"name": sub, "type": 1, "options": opts}],
            })],
        };
        let mut data = json!({
            "id": cmd_id,
            "name": command.name,
            "type": 1,
            "options": options,
        });
        if let Some(g) = cmd_guild {
            data["guild_id"] = g;
        }
        if !resolved.is_empty() {
            data["resolved"] = Value::Object(
                resolved
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::Object(v)))
                    .collect(),
            );
        }
        data
    }

    fn inject_interaction(
        &self,
        place: Place,
        user_id: u64,
        kind: u8,
        data: Value,
        message: Option<(u64, Value)>,
    ) -> InteractionHandle {
        let mut st = self.shared.state.lock().unwrap();
        let id = st.new_id();
        let token = format!("aW50ZXJhY3Rpb246{id}OmZha2U{:x}", id.wrapping_mul(2_654_435_761));
        let user = st.user_or_placeholder(user_id);
        st.users.entry(user_id).or_insert_with(|| user.clone());
        let app_id = st.app_id;
        let mut v = json!({
            "id": id.to_string(),
            "application_id": app_id.to_string(),
            "type": kind,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10_485_760,
            "data": data,
        });
        let channel_id = match place {
            Place::Guild { guild_id, channel_id } => {
                let g = st
                    .guilds
                    .get(&guild_id)
                    .unwrap_or_else(|| panic!("interaction: unknown guild {guild_id}"));
                let member = match g.members.get(&user_id) {
                    Some(m) => m.clone(),
                    None => FakeMember {
                        user: user.clone(),
                        roles: vec![],
                        nick: None,
                    },
                };
                let ch = st
                    .channels
                    .get(&channel_id)
                    .unwrap_or_else(|| panic!("interaction: unknown channel {channel_id}"))
                    .clone();
                v["guild_id"] = json!(guild_id.to_string());
                v["guild"] = json!({"id": guild_id.to_string(), "locale": "en-US", "features": []});
                v["guild_locale"] = json!("en-US");
                v["member"] = member_json(g, &member, true, true);
                v["app_permissions"] = json!(permissions::ALL.to_string());
                v["authorizing_integration_owners"] = json!({"0": guild_id.to_string()});
                v["context"] = json!(0);
                let mut c = payloads::channel_json(&st, &ch);
                c["permissions"] = json!(payloads::member_permissions(g, &member).to_string());
                v["channel"] = c;
                channel_id
            }
            Place::Dm => {
                let channel_id = st.dm_channel_for(user_id);
                v["user"] = user_json(&user);
                v["app_permissions"] = json!(permissions::DEFAULT_EVERYONE.to_string());
                v["authorizing_integration_owners"] = json!({"0": "0"});
                v["context"] = json!(1);
                let ch = st.channels[&channel_id].clone();
                v["channel"] = payloads::channel_json(&st, &ch);
                channel_id
            }
        };
        v["channel_id"] = json!(channel_id.to_string());
        let source_message_id = message.as_ref().map(|(id, _)| *id);
        if let Some((_, m)) = message {
            v["message"] = m;
        }
        st.tokens.insert(token.clone(), id);
        let created = st.now();
        st.interactions.insert(
            id,
            state::InteractionState {
                kind,
                channel_id,
                created,
                response: None,
                responded: None,
                original_message_id: None,
                source_message_id,
                followup_filled_original: false,
            },
        );
        gateway::dispatch(&mut st, "INTERACTION_CREATE", v);
        drop(st);
        self.shared.bump();
        InteractionHandle {
            fake: self.clone(),
            id,
            token,
            place,
            user_id,
        }
    }

    // ----- what the bot did ---------------------------------------------------------------

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    /// Waits for a request (already received or future) that satisfies `pred`.
    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        let mut found = None;
        self.wait_until(timeout, |st| {
            found = st.requests.iter().find(|r| pred(r)).cloned();
            found.is_some()
        })
        .await;
        found
    }

    /// Every message that exists or existed (deleted ones flagged), in creation order.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.shared.state.lock().unwrap().messages.clone()
    }

    /// One message by id.
    pub fn message(&self, id: u64) -> Option<SentMessage> {
        self.shared.state.lock().unwrap().message(id).cloned()
    }

    /// Messages in a channel (channel messages and interaction responses there, ephemeral ones
    /// included; filter on [`SentMessage::source`] or `is_ephemeral`), not deleted.
    pub fn messages_in(&self, channel_id: u64) -> Vec<SentMessage> {
        self.shared
            .state
            .lock()
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.channel_id == channel_id && !m.deleted)
            .cloned()
            .collect()
    }

    /// Messages the bot posted in the user's DM channel with `POST /channels/{id}/messages`.
    pub fn dms_to(&self, user_id: u64) -> Vec<SentMessage> {
        let st = self.shared.state.lock().unwrap();
        let Some(ch) = st.dm_by_user.get(&user_id).copied() else {
            return Vec::new();
        };
        st.messages
            .iter()
            .filter(|m| m.channel_id == ch && !m.deleted && m.source == MessageSource::Channel)
            .cloned()
            .collect()
    }

    /// Waits for a message (already there or future) that satisfies `pred`.
    pub async fn wait_for_message(
        &self,
        pred: impl Fn(&SentMessage) -> bool,
        timeout: Duration,
    ) -> Option<SentMessage> {
        let mut found = None;
        self.wait_until(timeout, |st| {
            found = st.messages.iter().find(|m| !m.deleted && pred(m)).cloned();
            found.is_some()
        })
        .await;
        found
    }

    /// Waits until at least `count` DMs were sent to the user; returns them.
    pub async fn wait_for_dms(&self, user_id: u64, count: usize, timeout: Duration) -> Vec<SentMessage> {
        self.wait_until(timeout, |st| {
            st.dm_by_user.get(&user_id).is_some_and(|ch| {
                st.messages
                    .iter()
                    .filter(|m| m.channel_id == *ch && !m.deleted && m.source == MessageSource::Channel)
                    .count()
                    >= count
            })
        })
        .await;
        self.dms_to(user_id)
    }

    /// Posts a message as a user (e.g. to press a button on it later); no event is sent.
    pub fn add_message(&self, channel_id: u64, author_id: u64, content: &str) -> u64 {
        let mut st = self.shared.state.lock().unwrap();
        st.create_message(
            channel_id,
            author_id,
            &json!({"content": content}),
            Vec::new(),
            MessageSource::Test,
            0,
        )
    }

    /// Posts a message with a whole body (content, components, embeds...) as `author_id`, e.g.
    /// a bot message with buttons to press in a test; no event is sent, nothing is checked.
    pub fn add_message_json(&self, channel_id: u64, author_id: u64, body: Value) -> u64 {
        let mut st = self.shared.state.lock().unwrap();
        st.create_message(channel_id, author_id, &body, Vec::new(), MessageSource::Test, 0)
    }

    /// Requests that broke Discord's OpenAPI description or one of Discord's rules (and
    /// stand-in answers that broke the spec).
    pub fn spec_violations(&self) -> Vec<SpecViolation> {
        self.shared.state.lock().unwrap().violations.clone()
    }

    /// Returns the violations recorded so far and forgets them (for tests that provoke one on
    /// purpose and then go on asserting there are none).
    pub fn take_spec_violations(&self) -> Vec<SpecViolation> {
        std::mem::take(&mut self.shared.state.lock().unwrap().violations)
    }

    /// Whether requests are validated (the spec was found).
    pub fn validates(&self) -> bool {
        self.shared.spec.is_some()
    }

    /// # Panics
    /// If any request broke the spec or one of Discord's rules (by either judge); the message
    /// lists them.
    pub fn assert_no_violations(&self) {
        let v = self.spec_violations();
        assert!(
            v.is_empty(),
            "fake-discord: {} request(s) broke Discord's OpenAPI description or rules:\n{}",
            v.len(),
            v.iter().map(|x| format!("  - {x}")).collect::<Vec<_>>().join("\n")
        );
    }

    /// Waits until `pred` holds on the state (checked now and after every change).
    async fn wait_until(&self, timeout: Duration, mut pred: impl FnMut(&State) -> bool) -> bool {
        let mut rx = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let st = self.shared.state.lock().unwrap();
                if pred(&st) {
                    return true;
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    let st = self.shared.state.lock().unwrap();
                    return pred(&st);
                }
            }
        }
    }
}

/// Every component of a tree (rows, labels and their children), depth first.
fn components_in(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => {
                out.push(v);
                for k in ["components", "component", "accessory"] {
                    if let Some(c) = m.get(k) {
                        walk(c, out);
                    }
                }
            }
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// Whether a user could press this button or choose these values on the message.
fn check_component_use(m: &SentMessage, custom_id: &str, kind: u8, values: Option<&[&str]>) -> Result<(), String> {
    let all = components_in(&m.components);
    let Some(c) = all
        .iter()
        .find(|c| c.get("custom_id").and_then(Value::as_str) == Some(custom_id))
    else {
        return Err(format!(
            "message {} has no component `{custom_id}` (it has {:?})",
            m.id,
            m.custom_ids()
        ));
    };
    let t = c.get("type").and_then(Value::as_u64).unwrap_or(0);
    if t != u64::from(kind) {
        return Err(format!("`{custom_id}` is a component of type {t}, not {kind}"));
    }
    if c.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Err(format!("`{custom_id}` is disabled"));
    }
    if let (Some(values), 3) = (values, t) {
        let options: Vec<&str> = c
            .get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("value").and_then(Value::as_str))
            .collect();
        if let Some(v) = values.iter().find(|v| !options.contains(v)) {
            return Err(format!("`{custom_id}` has no option `{v}` (options: {options:?})"));
        }
        let min = c.get("min_values").and_then(Value::as_u64).unwrap_or(1) as usize;
        let max = c.get("max_values").and_then(Value::as_u64).unwrap_or(1) as usize;
        if values.len() < min || values.len() > max {
            return Err(format!(
                "`{custom_id}` takes {min} to {max} values, not {}",
                values.len()
            ));
        }
    }
    Ok(())
}

/// Whether Discord's client could submit these fields for the modal: each is one of its text
/// inputs and fits its lengths, and every required one is there.
fn check_modal_fields(modal: &Value, fields: &[(&str, &str)]) -> Result<(), String> {
    let inputs: Vec<&Value> = components_in(modal)
        .into_iter()
        .filter(|c| c.get("type").and_then(Value::as_u64) == Some(4))
        .collect();
    for (id, value) in fields {
        let Some(input) = inputs
            .iter()
            .find(|c| c.get("custom_id").and_then(Value::as_str) == Some(*id))
        else {
            return Err(format!("the form has no text input `{id}`"));
        };
        let n = value.chars().count() as u64;
        let min = input.get("min_length").and_then(Value::as_u64).unwrap_or(0);
        let max = input.get("max_length").and_then(Value::as_u64).unwrap_or(4000);
        let required = input.get("required").and_then(Value::as_bool).unwrap_or(true);
        if (n > 0 || required) && (n < min || n > max) {
            return Err(format!("`{id}` takes {min} to {max} characters; the test types {n}"));
        }
        if n == 0 && required {
            return Err(format!("`{id}` is required"));
        }
    }
    for input in &inputs {
        let id = input.get("custom_id").and_then(Value::as_str).unwrap_or_default();
        let required = input.get("required").and_then(Value::as_bool).unwrap_or(true);
        if required && !fields.iter().any(|(f, _)| *f == id) {
            return Err(format!("`{id}` is required and the test leaves it out"));
        }
    }
    Ok(())
}

/// An interaction's follow-ups: the deferred message a first follow-up filled, then the rest.
fn followups_of(st: &State, id: u64) -> Vec<&SentMessage> {
    let filled = st
        .interactions
        .get(&id)
        .filter(|i| i.followup_filled_original)
        .and_then(|i| i.original_message_id)
        .and_then(|m| st.message(m));
    filled
        .into_iter()
        .chain(
            st.messages
                .iter()
                .filter(move |m| m.source == MessageSource::Followup { interaction_id: id }),
        )
        .collect()
}

fn command_id_for(name: &str) -> u64 {
    let mut h: u64 = 1_200_000_000_000_000_000;
    for b in name.bytes() {
        h = h.wrapping_add(u64::from(b)).wrapping_mul(31) % 100_000_000_000_000_000 + 1_200_000_000_000_000_000;
    }
    h
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of a slash command option.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// STRING (3).
    String(String),
    /// INTEGER (4).
    Integer(i64),
    /// BOOLEAN (5).
    Boolean(bool),
    /// USER (6): resolved with the user and, in a guild, the member.
    User(u64),
    /// CHANNEL (7).
    Channel(u64),
    /// ROLE (8).
    Role(u64),
    /// NUMBER (10).
    Number(f64),
    /// ATTACHMENT (11): the file is put on the CDN and resolved in `data.resolved.attachments`.
    Attachment(FakeAttachment),
}

/// A slash command invocation: `/name [group] [sub] options...`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashCommand {
    /// Top-level command name.
    pub name: String,
    /// Sub-command path: `[]`, `[sub]` or `[group, sub]`.
    pub path: Vec<String>,
    /// Options of the leaf, in order.
    pub options: Vec<(String, OptionValue)>,
    /// The focused option of an autocomplete request.
    pub focused: Option<String>,
    /// The partial value typed into the focused option (if it is not among `options`).
    pub focused_value: Option<String>,
}

impl SlashCommand {
    /// `/name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            path: Vec::new(),
            options: Vec::new(),
            focused: None,
            focused_value: None,
        }
    }

    /// Adds a sub-command (or group, then sub-command) level.
    pub fn subcommand(mut self, name: &str) -> Self {
        self.path.push(name.to_string());
        self
    }

    /// Adds an option.
    pub fn opt(mut self, name: &str, value: OptionValue) -> Self {
        self.options.push((name.to_string(), value));
        self
    }

    /// A string option.
    pub fn str(self, name: &str, value: &str) -> Self {
        self.opt(name, OptionValue::String(value.to_string()))
    }

    /// An integer option.
    pub fn int(self, name: &str, value: i64) -> Self {
        self.opt(name, OptionValue::Integer(value))
    }

    /// A boolean option.
    pub fn bool(self, name: &str, value: bool) -> Self {
        self.opt(name, OptionValue::Boolean(value))
    }

    /// A user option.
    pub fn user(self, name: &str, user_id: u64) -> Self {
        self.opt(name, OptionValue::User(user_id))
    }

    /// A channel option.
    pub fn channel(self, name: &str, channel_id: u64) -> Self {
        self.opt(name, OptionValue::Channel(channel_id))
    }

    /// A role option.
    pub fn role(self, name: &str, role_id: u64) -> Self {
        self.opt(name, OptionValue::Role(role_id))
    }

    /// An attachment option: the file as a member would attach it.
    pub fn attachment(self, name: &str, file: FakeAttachment) -> Self {
        self.opt(name, OptionValue::Attachment(file))
    }

    /// For autocomplete: the string option `name` being typed, with its partial value.
    pub fn focus(mut self, name: &str, partial: &str) -> Self {
        self.focused = Some(name.to_string());
        if let Some((_, v)) = self.options.iter_mut().find(|(n, _)| n == name) {
            *v = OptionValue::String(partial.to_string());
        } else {
            self.focused_value = Some(partial.to_string());
        }
        self
    }
}

/// An injected interaction: wait for the bot's answer, follow-ups and the original message.
#[derive(Debug, Clone)]
pub struct InteractionHandle {
    fake: FakeDiscord,
    /// Interaction id.
    pub id: u64,
    /// Interaction token.
    pub token: String,
    /// Where it happened.
    pub place: Place,
    /// Who did it.
    pub user_id: u64,
}

impl InteractionHandle {
    /// The callback, if the bot answered already.
    pub fn response(&self) -> Option<InteractionResponse> {
        self.fake
            .shared
            .state
            .lock()
            .unwrap()
            .interactions
            .get(&self.id)
            .and_then(|i| i.response.clone())
    }

    /// How long after the interaction was sent the request carrying the bot's response arrived
    /// (before the stand-in's own checks of it), if the bot answered already.
    pub fn response_time(&self) -> Option<Duration> {
        let st = self.fake.shared.state.lock().unwrap();
        let i = st.interactions.get(&self.id)?;
        Some(i.responded?.saturating_duration_since(i.created))
    }

    /// Waits for the callback (the configured `wait_timeout`).
    ///
    /// # Panics
    /// On timeout, listing the requests received meanwhile.
    pub async fn wait_response(&self) -> InteractionResponse {
        let t = self.fake.shared.config.wait_timeout;
        match self.try_wait_response(t).await {
            Some(r) => r,
            None => panic!(
                "fake-discord: interaction {} got no response within {t:?}; requests: {:#?}",
                self.id,
                self.fake
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Waits for the callback; `None` on timeout.
    pub async fn try_wait_response(&self, timeout: Duration) -> Option<InteractionResponse> {
        let id = self.id;
        let mut out = None;
        self.fake
            .wait_until(timeout, |st| {
                out = st.interactions.get(&id).and_then(|i| i.response.clone());
                out.is_some()
            })
            .await;
        out
    }

    /// The message `@original` is now (after edits), if any and not deleted.
    pub fn original(&self) -> Option<SentMessage> {
        let st = self.fake.shared.state.lock().unwrap();
        st.interactions
            .get(&self.id)
            .and_then(|i| i.original_message_id)
            .and_then(|m| st.message(m))
            .filter(|m| !m.deleted)
            .cloned()
    }

    /// Follow-up messages, in order. The first follow-up after a deferral edits the deferred
    /// message (as on Discord): that message is the first follow-up then.
    pub fn followups(&self) -> Vec<SentMessage> {
        let st = self.fake.shared.state.lock().unwrap();
        followups_of(&st, self.id)
            .into_iter()
            .filter(|m| !m.deleted)
            .cloned()
            .collect()
    }

    /// Waits until there are at least `count` follow-ups; returns them (maybe fewer on timeout).
    pub async fn wait_followups(&self, count: usize, timeout: Duration) -> Vec<SentMessage> {
        let id = self.id;
        self.fake
            .wait_until(timeout, |st| followups_of(st, id).len() >= count)
            .await;
        self.followups()
    }

    /// Waits until `@original` satisfies `pred` (e.g. a deferred answer was edited).
    pub async fn wait_original(&self, pred: impl Fn(&SentMessage) -> bool, timeout: Duration) -> Option<SentMessage> {
        let id = self.id;
        let mut out = None;
        self.fake
            .wait_until(timeout, |st| {
                out = st
                    .interactions
                    .get(&id)
                    .and_then(|i| i.original_message_id)
                    .and_then(|m| st.message(m))
                    .filter(|m| !m.deleted && pred(m))
                    .cloned();
                out.is_some()
            })
            .await;
        out
    }
}
