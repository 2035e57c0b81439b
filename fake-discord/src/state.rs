//! The stand-in's mutable state, shared by the REST server, the gateway and the test handle.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::model::{
    FakeChannel, FakeGuild, FakeMember, FakeUser, GatewayStats, InteractionResponse, MessageSource, RecordedRequest,
    SentAttachment, SentMessage, SpecViolation,
};
use crate::payloads::now_ts;
use crate::ratelimit::RateLimiter;

pub(crate) struct GuildState {
    pub guild: FakeGuild,
    pub members: BTreeMap<u64, FakeMember>,
    pub joined_at: String,
}

/// Where an interaction happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In a guild channel (or thread).
    Guild {
        /// The guild.
        guild_id: u64,
        /// The channel.
        channel_id: u64,
    },
    /// In the user's DM with the bot (the DM channel is created if needed).
    Dm,
}

pub(crate) struct InteractionState {
    pub kind: u8,
    pub channel_id: u64,
    /// When it happened, on the stand-in's clock.
    pub created: Instant,
    pub response: Option<InteractionResponse>,
    /// When the request carrying the response arrived, on the stand-in's clock.
    pub responded: Option<Instant>,
    /// The message `@original` refers to.
    pub original_message_id: Option<u64>,
    /// For component interactions: the message the component is on.
    pub source_message_id: Option<u64>,
    /// The first follow-up after a deferral (type 5) edited the deferred message (as Discord
    /// does): that message counts as a follow-up too.
    pub followup_filled_original: bool,
}

pub(crate) struct FailRule {
    pub method: Option<String>,
    pub path_prefix: String,
    pub status: u16,
    pub remaining: u32,
}

pub(crate) enum GwOut {
    Text(String),
    /// Drop the connection without a close frame.
    Drop,
    /// Close the connection with a close frame: Discord's close code and reason.
    Close(u16, String),
}

pub(crate) struct Conn {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<GwOut>,
    pub live: bool,
    /// The shard it identified (or resumed) as.
    pub shard: Option<u64>,
}

/// One shard's session, as Discord keeps it for Resume.
#[derive(Default)]
pub(crate) struct Session {
    pub session_id: String,
    pub seq: u64,
    /// Dispatches of the session (seq, text), for Resume.
    pub log: Vec<(u64, String)>,
}

pub(crate) struct GwState {
    /// By shard id.
    pub sessions: BTreeMap<u64, Session>,
    /// The total announced in the last Identify (`shard: [id, count]`; 1 without it).
    pub shard_count: u64,
    /// Dispatches injected before their shard's first session.
    pub pending: Vec<(String, Value)>,
    /// Open connections by id.
    pub conns: BTreeMap<u64, Conn>,
    pub next_conn_id: u64,
    /// Answer new websocket connections with 503 (the gateway is down).
    pub refuse: bool,
    pub stats: GatewayStats,
    /// Every payload received from clients.
    pub received: Vec<Value>,
}

impl Default for GwState {
    fn default() -> Self {
        Self {
            sessions: BTreeMap::new(),
            shard_count: 1,
            pending: Vec::new(),
            conns: BTreeMap::new(),
            next_conn_id: 0,
            refuse: false,
            stats: GatewayStats::default(),
            received: Vec::new(),
        }
    }
}

impl GwState {
    /// Recomputes `stats.live` and `stats.live_shards` from the connections.
    pub fn refresh_live(&mut self) {
        let mut shards: Vec<u64> = self.conns.values().filter(|c| c.live).filter_map(|c| c.shard).collect();
        shards.sort_unstable();
        shards.dedup();
        self.stats.live = !shards.is_empty();
        self.stats.live_shards = shards;
    }
}

pub(crate) struct State {
    pub bot: FakeUser,
    pub app_id: u64,
    pub app_owner_id: u64,
    pub users: HashMap<u64, FakeUser>,
    pub guilds: BTreeMap<u64, GuildState>,
    pub channels: BTreeMap<u64, FakeChannel>,
    pub dm_by_user: HashMap<u64, u64>,
    pub dms_closed: HashSet<u64>,
    pub messages: Vec<SentMessage>,
    pub nonces: HashMap<(u64, String), (u64, Instant)>,
    pub interactions: HashMap<u64, InteractionState>,
    pub tokens: HashMap<String, u64>,
    pub commands_global: Vec<Value>,
    pub commands_guild: HashMap<u64, Vec<Value>>,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<SpecViolation>,
    pub fail_rules: Vec<FailRule>,
    pub faults: crate::faults::FaultState,
    pub limiter: RateLimiter,
    pub gw: GwState,
    pub next_id: u64,
    /// How far tests moved the stand-in's clock ([`State::now`]).
    pub clock_offset: Duration,
    /// Last activity of each thread (creation, a message, unarchiving), on the stand-in's clock.
    pub thread_activity: HashMap<u64, Instant>,
    /// Refusals of twilight-validate that Discord's documentation overruled.
    pub overruled: Vec<crate::model::SpecViolation>,
    /// Files the CDN serves (attachments of injected interactions), by attachment id.
    pub attachments: HashMap<u64, crate::model::FakeAttachment>,
}

impl State {
    pub fn new(bot: FakeUser, app_id: u64, limiter: RateLimiter) -> Self {
        let mut users = HashMap::new();
        users.insert(bot.id, bot.clone());
        Self {
            app_owner_id: app_id + 7,
            bot,
            app_id,
            users,
            guilds: BTreeMap::new(),
            channels: BTreeMap::new(),
            dm_by_user: HashMap::new(),
            dms_closed: HashSet::new(),
            messages: Vec::new(),
            nonces: HashMap::new(),
            interactions: HashMap::new(),
            tokens: HashMap::new(),
            commands_global: Vec::new(),
            commands_guild: HashMap::new(),
            requests: Vec::new(),
            violations: Vec::new(),
            fail_rules: Vec::new(),
            faults: crate::faults::FaultState::default(),
            limiter,
            gw: GwState::default(),
            // Snowflakes of 2024 and later are larger than this.
            next_id: 1_300_000_000_000_000_000,
            clock_offset: Duration::ZERO,
            thread_activity: HashMap::new(),
            overruled: Vec::new(),
            attachments: HashMap::new(),
        }
    }

    /// Now on the stand-in's own clock: real time plus what tests advanced it by. Interaction
    /// deadlines and token expiry, thread archiving and the nonce window run on it.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user_or_placeholder(&self, id: u64) -> FakeUser {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| FakeUser::new(id, format!("user{id}")))
    }

    pub fn last_message_id(&self, channel_id: u64) -> Option<u64> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.channel_id == channel_id && !m.deleted)
            .map(|m| m.id)
    }

    pub fn message(&self, id: u64) -> Option<&SentMessage> {
        self.messages.iter().find(|m| m.id == id)
    }

    pub fn message_mut(&mut self, id: u64) -> Option<&mut SentMessage> {
        self.messages.iter_mut().find(|m| m.id == id)
    }

    pub fn add_guild(&mut self, mut guild: FakeGuild) {
        if !guild.roles.iter().any(|r| r.id == guild.id) {
            guild.roles.insert(
                0,
                crate::model::FakeRole::new(guild.id, "@everyone", crate::model::permissions::DEFAULT_EVERYONE),
            );
        }
        for c in &mut guild.channels {
            c.guild_id = Some(guild.id);
            self.channels.insert(c.id, c.clone());
        }
        let bot = self.bot.clone();
        let mut members = BTreeMap::new();
        members.insert(
            bot.id,
            FakeMember {
                user: bot,
                roles: vec![],
                nick: None,
            },
        );
        if let Some(g) = self.guilds.get(&guild.id) {
            members = g.members.clone();
        }
        self.guilds.insert(
            guild.id,
            GuildState {
                guild,
                members,
                joined_at: now_ts(),
            },
        );
    }

    pub fn dm_channel_for(&mut self, user_id: u64) -> u64 {
        if let Some(id) = self.dm_by_user.get(&user_id) {
            return *id;
        }
        let id = self.new_id();
        self.channels.insert(
            id,
            FakeChannel {
                id,
                kind: crate::model::ChannelKind::Dm,
                guild_id: None,
                name: String::new(),
                parent_id: None,
                recipient_id: Some(user_id),
                owner_id: None,
                thread_members: Vec::new(),
                archived: false,
                locked: false,
                auto_archive_duration: None,
            },
        );
        self.dm_by_user.insert(user_id, id);
        id
    }

    /// Gives every component (recursively) the numeric `id` Discord assigns.
    fn number_components(components: &Value) -> Value {
        fn walk(v: &mut Value, next: &mut u64) {
            match v {
                Value::Array(a) => a.iter_mut().for_each(|x| walk(x, next)),
                Value::Object(m) => {
                    // Discord fills a select menu's defaults in.
                    if m.get("type")
                        .and_then(Value::as_u64)
                        .is_some_and(|t| matches!(t, 3 | 5 | 6 | 7 | 8))
                    {
                        m.entry("min_values").or_insert_with(|| Value::from(1));
                        m.entry("max_values").or_insert_with(|| Value::from(1));
                    }
                    if m.contains_key("type") && !m.contains_key("id") {
                        m.insert("id".into(), Value::from(*next));
                        *next += 1;
                    } else if let Some(i) = m.get("id").and_then(Value::as_u64) {
                        *next = (*next).max(i + 1);
                    }
                    for k in ["components", "component", "accessory"] {
                        if let Some(c) = m.get_mut(k) {
                            walk(c, next);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut out = match components {
            Value::Array(_) => components.clone(),
            _ => Value::Array(vec![]),
        };
        let mut next = 1;
        walk(&mut out, &mut next);
        out
    }

    /// Creates a message from a create-message or webhook body.
    pub fn create_message(
        &mut self,
        channel_id: u64,
        author_id: u64,
        body: &Value,
        files: Vec<SentAttachmentIn>,
        source: MessageSource,
        extra_flags: u64,
    ) -> u64 {
        let id = self.new_id();
        let guild_id = self.channels.get(&channel_id).and_then(|c| c.guild_id);
        let flags = body.get("flags").and_then(Value::as_u64).unwrap_or(0) | extra_flags;
        let nonce = body.get("nonce").and_then(|n| match n {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let attachments = files
            .into_iter()
            .map(|f| SentAttachment {
                id: self.new_id(),
                filename: f.filename,
                content_type: f.content_type,
                data: f.data,
            })
            .collect();
        let pinged = crate::mentions::pinged(self, channel_id, body);
        if self.channels.get(&channel_id).is_some_and(|c| c.kind.is_thread()) {
            let now = self.now();
            self.thread_activity.insert(channel_id, now);
        }
        let msg = SentMessage {
            id,
            channel_id,
            guild_id,
            author_id,
            content: body
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            embeds: normalize_embeds(body.get("embeds")),
            components: Self::number_components(body.get("components").unwrap_or(&Value::Null)),
            flags,
            nonce,
            attachments,
            source,
            edited: false,
            deleted: false,
            timestamp: now_ts(),
            payload: body.clone(),
            pinged,
        };
        self.messages.push(msg);
        id
    }

    /// Applies an edit body (content, embeds, components, flags, attachments) to a message.
    pub fn edit_message(&mut self, id: u64, body: &Value, files: Vec<SentAttachmentIn>) {
        let mut new_atts = Vec::new();
        for f in files {
            new_atts.push(SentAttachment {
                id: self.new_id(),
                filename: f.filename,
                content_type: f.content_type,
                data: f.data,
            });
        }
        // Discord rebuilds the mentions when an edit sets content (with the edit's own
        // allowed_mentions, or the defaults when it has none).
        let repinged = match (body.get("content"), self.message(id)) {
            (Some(_), Some(m)) => Some(crate::mentions::pinged(self, m.channel_id, body)),
            _ => None,
        };
        let Some(m) = self.message_mut(id) else {
            return;
        };
        if let Some(p) = repinged {
            m.pinged.merge(&p);
        }
        if let Some(c) = body.get("content") {
            m.content = c.as_str().unwrap_or_default().to_string();
        }
        if let Some(e) = body.get("embeds") {
            m.embeds = normalize_embeds(Some(e));
        }
        if let Some(c) = body.get("components") {
            m.components = Self::number_components(c);
        }
        if let Some(f) = body.get("flags").and_then(Value::as_u64) {
            m.flags = (m.flags & 64) | f;
        }
        // A deferred response stops "thinking" once edited.
        m.flags &= !128;
        if let Some(keep) = body.get("attachments").and_then(Value::as_array) {
            let keep: Vec<String> = keep
                .iter()
                .filter_map(|a| a.get("id"))
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            m.attachments.retain(|a| keep.contains(&a.id.to_string()));
        }
        m.attachments.extend(new_atts);
        m.edited = true;
        m.payload = body.clone();
    }
}

/// A file part of a multipart request.
pub(crate) struct SentAttachmentIn {
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Embeds as Discord returns them: `type` defaults to `rich`, fields' `inline` to false.
fn normalize_embeds(embeds: Option<&Value>) -> Value {
    let mut out = match embeds {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    for e in &mut out {
        if let Some(obj) = e.as_object_mut() {
            obj.entry("type").or_insert_with(|| Value::from("rich"));
            obj.retain(|_, v| !v.is_null());
            if let Some(Value::Array(fields)) = obj.get_mut("fields") {
                for f in fields {
                    if let Some(fo) = f.as_object_mut() {
                        if !fo.get("inline").is_some_and(Value::is_boolean) {
                            fo.insert("inline".into(), Value::Bool(false));
                        }
                    }
                }
            }
        }
    }
    Value::Array(out)
}
