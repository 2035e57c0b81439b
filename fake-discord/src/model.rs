//! The stand-in's own data: users, guilds, channels, messages, requests and interaction answers.

use serde_json::Value;

/// Permission bits used by the stand-in.
pub mod permissions {
    /// ADMINISTRATOR.
    pub const ADMINISTRATOR: u64 = 1 << 3;
    /// MANAGE_GUILD.
    pub const MANAGE_GUILD: u64 = 1 << 5;
    /// What `@everyone` gets by default: view channels, send messages, embed links, attach
    /// files, read history, add reactions, use application commands, send in threads,
    /// create public and private threads.
    pub const DEFAULT_EVERYONE: u64 = (1 << 10)
        | (1 << 11)
        | (1 << 14)
        | (1 << 15)
        | (1 << 16)
        | (1 << 6)
        | (1 << 31)
        | (1 << 38)
        | (1 << 35)
        | (1 << 36);
    /// Every permission bit Discord defines (as of API v10).
    pub const ALL: u64 = (1 << 51) - 1;
}

/// A Discord user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    /// Snowflake.
    pub id: u64,
    /// Username (also used as global name).
    pub name: String,
    /// Whether it is a bot account.
    pub bot: bool,
}

impl FakeUser {
    /// A human user.
    pub fn new(id: u64, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            bot: false,
        }
    }

    /// A bot user.
    pub fn bot(id: u64, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            bot: true,
        }
    }
}

/// A role of a guild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRole {
    /// Snowflake (`@everyone` has the guild's id).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Permission bits.
    pub permissions: u64,
}

impl FakeRole {
    /// A role.
    pub fn new(id: u64, name: impl Into<String>, permissions: u64) -> Self {
        Self {
            id,
            name: name.into(),
            permissions,
        }
    }
}

/// Discord channel types the stand-in knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// GUILD_TEXT (0).
    Text,
    /// DM (1).
    Dm,
    /// GUILD_CATEGORY (4).
    Category,
    /// PUBLIC_THREAD (11).
    PublicThread,
    /// PRIVATE_THREAD (12).
    PrivateThread,
}

impl ChannelKind {
    /// The numeric channel type.
    pub fn code(self) -> u8 {
        match self {
            ChannelKind::Text => 0,
            ChannelKind::Dm => 1,
            ChannelKind::Category => 4,
            ChannelKind::PublicThread => 11,
            ChannelKind::PrivateThread => 12,
        }
    }

    /// Whether it is a thread.
    pub fn is_thread(self) -> bool {
        matches!(self, ChannelKind::PublicThread | ChannelKind::PrivateThread)
    }
}

/// A channel: guild text channel, category, thread or DM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeChannel {
    /// Snowflake.
    pub id: u64,
    /// Its type.
    pub kind: ChannelKind,
    /// Guild (none for a DM).
    pub guild_id: Option<u64>,
    /// Name (empty for a DM).
    pub name: String,
    /// Parent channel (category or, for a thread, the channel it lives in).
    pub parent_id: Option<u64>,
    /// The other user of a DM.
    pub recipient_id: Option<u64>,
    /// The creator of a thread.
    pub owner_id: Option<u64>,
    /// Members of a thread.
    pub thread_members: Vec<u64>,
    /// A thread is archived (by its `auto_archive_duration` of inactivity on the stand-in's
    /// clock, or by `PATCH /channels/{id}`).
    pub archived: bool,
    /// A locked thread.
    pub locked: bool,
    /// A thread's auto-archive duration in minutes (60, 1440, 4320 or 10080).
    pub auto_archive_duration: Option<u32>,
}

impl FakeChannel {
    /// A text channel in a guild.
    pub fn text(id: u64, guild_id: u64, name: impl Into<String>) -> Self {
        Self {
            id,
            kind: ChannelKind::Text,
            guild_id: Some(guild_id),
            name: name.into(),
            parent_id: None,
            recipient_id: None,
            owner_id: None,
            thread_members: Vec::new(),
            archived: false,
            locked: false,
            auto_archive_duration: None,
        }
    }
}

/// A guild member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeMember {
    /// The user.
    pub user: FakeUser,
    /// Role ids (without `@everyone`).
    pub roles: Vec<u64>,
    /// Nickname.
    pub nick: Option<String>,
}

/// A guild with its roles and channels (members are added with `FakeDiscord::add_member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeGuild {
    /// Snowflake.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Owner (has every permission).
    pub owner_id: u64,
    /// Roles; `@everyone` (id = guild id, [`permissions::DEFAULT_EVERYONE`]) is added if
    /// missing.
    pub roles: Vec<FakeRole>,
    /// Channels (their `guild_id` is set to this guild).
    pub channels: Vec<FakeChannel>,
}

impl FakeGuild {
    /// A guild with one text channel named `general` whose id is `id + 1`.
    pub fn new(id: u64, name: impl Into<String>, owner_id: u64) -> Self {
        Self {
            id,
            name: name.into(),
            owner_id,
            roles: Vec::new(),
            channels: vec![FakeChannel::text(id + 1, id, "general")],
        }
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentAttachment {
    /// Attachment id.
    pub id: u64,
    /// File name.
    pub filename: String,
    /// Content type given in the multipart part.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// How a message came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSource {
    /// `POST /channels/{id}/messages`.
    Channel,
    /// The original response to an interaction (callback types 4, 5, or a later `@original`
    /// edit).
    InteractionResponse {
        /// The interaction.
        interaction_id: u64,
    },
    /// A follow-up (`POST /webhooks/{app}/{token}`).
    Followup {
        /// The interaction.
        interaction_id: u64,
    },
    /// Made by a test (`FakeDiscord::add_message`).
    Test,
}

/// A message the bot created (or a test injected).
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    /// Snowflake.
    pub id: u64,
    /// Channel.
    pub channel_id: u64,
    /// Guild of the channel.
    pub guild_id: Option<u64>,
    /// Author (the bot for everything the bot sent).
    pub author_id: u64,
    /// Text.
    pub content: String,
    /// Embeds as sent.
    pub embeds: Value,
    /// Components with the `id`s Discord assigns.
    pub components: Value,
    /// Message flags (64 = ephemeral).
    pub flags: u64,
    /// The nonce, as a string.
    pub nonce: Option<String>,
    /// Files.
    pub attachments: Vec<SentAttachment>,
    /// How it was made.
    pub source: MessageSource,
    /// Edited at least once.
    pub edited: bool,
    /// Deleted.
    pub deleted: bool,
    /// RFC 3339 creation time.
    pub timestamp: String,
    /// The last JSON payload that created or edited it.
    pub payload: Value,
    /// Who it pinged (see [`Pinged`]).
    pub pinged: Pinged,
}

impl SentMessage {
    /// Flag 64.
    pub fn is_ephemeral(&self) -> bool {
        self.flags & 64 != 0
    }

    /// Every `custom_id` in its components, depth first.
    pub fn custom_ids(&self) -> Vec<String> {
        custom_ids(&self.components)
    }

    /// Content, embed titles, descriptions and field texts joined by newlines: handy to search.
    pub fn text(&self) -> String {
        let mut parts = vec![self.content.clone()];
        if let Some(embeds) = self.embeds.as_array() {
            for e in embeds {
                for k in ["title", "description"] {
                    if let Some(s) = e.get(k).and_then(Value::as_str) {
                        parts.push(s.to_string());
                    }
                }
                if let Some(fields) = e.get("fields").and_then(Value::as_array) {
                    for f in fields {
                        for k in ["name", "value"] {
                            if let Some(s) = f.get(k).and_then(Value::as_str) {
                                parts.push(s.to_string());
                            }
                        }
                    }
                }
            }
        }
        parts.retain(|p| !p.is_empty());
        parts.join("\n")
    }
}

/// Every `custom_id` in a components tree, depth first.
pub fn custom_ids(components: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => {
                if let Some(id) = m.get("custom_id").and_then(Value::as_str) {
                    out.push(id.to_string());
                }
                if let Some(c) = m.get("components") {
                    walk(c, out);
                }
                if let Some(c) = m.get("component") {
                    walk(c, out);
                }
            }
            _ => {}
        }
    }
    walk(components, &mut out);
    out
}

/// The answer the bot gave to an interaction (`POST /interactions/{id}/{token}/callback`).
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionResponse {
    /// Callback type: 4 message, 5 deferred message, 6 deferred update, 7 update message,
    /// 8 autocomplete result, 9 modal.
    pub kind: u8,
    /// The `data` object (null when absent).
    pub data: Value,
}

impl InteractionResponse {
    /// `data.content`.
    pub fn content(&self) -> Option<&str> {
        self.data.get("content").and_then(Value::as_str)
    }

    /// `data.flags` (0 if absent).
    pub fn flags(&self) -> u64 {
        self.data.get("flags").and_then(Value::as_u64).unwrap_or(0)
    }

    /// Flag 64.
    pub fn is_ephemeral(&self) -> bool {
        self.flags() & 64 != 0
    }

    /// Types 5 and 6.
    pub fn is_deferred(&self) -> bool {
        matches!(self.kind, 5 | 6)
    }

    /// Type 9.
    pub fn is_modal(&self) -> bool {
        self.kind == 9
    }

    /// `data.components` (null when absent).
    pub fn components(&self) -> &Value {
        self.data.get("components").unwrap_or(&Value::Null)
    }

    /// Every `custom_id` in `data.components` (buttons, or a modal's text inputs).
    pub fn custom_ids(&self) -> Vec<String> {
        custom_ids(self.components())
    }

    /// A modal's `custom_id`.
    pub fn modal_custom_id(&self) -> Option<&str> {
        if self.kind == 9 {
            self.data.get("custom_id").and_then(Value::as_str)
        } else {
            None
        }
    }

    /// Autocomplete choices as `(name, value)`.
    pub fn choices(&self) -> Vec<(String, Value)> {
        self.data
            .get("choices")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                            c.get("value").cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Order of arrival, from 0.
    pub seq: u64,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path after `/api/v10`, e.g. `/channels/123/messages`.
    pub path: String,
    /// The spec's template, if the path matched one.
    pub route: Option<String>,
    /// Query parameters (empty names dropped).
    pub query: Vec<(String, String)>,
    /// `authorization`, `content-type`, `user-agent`, `x-audit-log-reason` when present.
    pub headers: Vec<(String, String)>,
    /// The JSON body (for multipart: the `payload_json` part).
    pub body: Option<Value>,
    /// Names of files in a multipart body.
    pub files: Vec<String>,
    /// Status answered.
    pub status: u16,
    /// JSON body answered.
    pub response: Option<Value>,
}

impl RecordedRequest {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What kind of rule a request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// No path of the spec matches.
    UnknownRoute,
    /// The path exists but not with this method.
    UnknownMethod,
    /// The body is not valid by the request schema (or is not JSON).
    InvalidBody,
    /// A path or query parameter is not valid.
    InvalidParameter,
    /// The stand-in's own answer is not valid by the response schema (a bug in the stand-in).
    InvalidResponse,
    /// The route is in the spec but the stand-in does not implement it.
    NotImplemented,
    /// A rule of Discord's that the OpenAPI description cannot express (2,000 characters,
    /// components, modals, commands, interaction tokens, archived threads, gateway close
    /// codes...), refused by the stand-in's own judge; [`SpecViolation::rule`] names it.
    DiscordRule,
    /// Refused by the second, independent judge: twilight-validate (with twilight-model);
    /// [`SpecViolation::rule`] names its check.
    Twilight,
}

/// A request that broke Discord's OpenAPI description or one of Discord's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecViolation {
    /// The kind.
    pub kind: ViolationKind,
    /// Method.
    pub method: String,
    /// Path after `/api/v10`.
    pub path: String,
    /// Matched template.
    pub route: Option<String>,
    /// What was wrong.
    pub details: Vec<String>,
    /// For [`ViolationKind::DiscordRule`] and [`ViolationKind::Twilight`]: the rule that refused
    /// it, e.g. `message.content_length` or `twilight:message::content`.
    pub rule: Option<String>,
}

impl SpecViolation {
    /// Which judge refused it: `openapi`, `stand-in` or `twilight-validate`.
    pub fn judge(&self) -> &'static str {
        match self.kind {
            ViolationKind::DiscordRule => "stand-in",
            ViolationKind::Twilight => "twilight-validate",
            _ => "openapi",
        }
    }
}

impl std::fmt::Display for SpecViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} [{}", self.kind, self.judge())?;
        if let Some(r) = &self.rule {
            write!(f, " {r}")?;
        }
        write!(
            f,
            "]: {} {} ({}): {}",
            self.method,
            self.path,
            self.route.as_deref().unwrap_or("no route"),
            self.details.join("; ")
        )
    }
}

/// Who a message pinged, worked out as Discord does from its content, `allowed_mentions` and
/// `message_reference` (the replied-to author). On an edit that sets content Discord rebuilds
/// the mentions; the stand-in keeps the union of every version, so a ping that any version
/// carried is seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pinged {
    /// Users notified, in order of first mention.
    pub users: Vec<u64>,
    /// Roles notified.
    pub roles: Vec<u64>,
    /// `@everyone` notified.
    pub everyone: bool,
    /// `@here` notified.
    pub here: bool,
}

impl Pinged {
    /// Nobody was pinged.
    pub fn is_nobody(&self) -> bool {
        self.users.is_empty() && self.roles.is_empty() && !self.everyone && !self.here
    }

    /// Adds the pings of another version of the message.
    pub fn merge(&mut self, other: &Pinged) {
        for u in &other.users {
            if !self.users.contains(u) {
                self.users.push(*u);
            }
        }
        for r in &other.roles {
            if !self.roles.contains(r) {
                self.roles.push(*r);
            }
        }
        self.everyone |= other.everyone;
        self.here |= other.here;
    }
}

/// Counts of what happened on the gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayStats {
    /// Websocket connections accepted.
    pub connections: u64,
    /// Identify (op 2) received.
    pub identifies: u64,
    /// Resume (op 6) received.
    pub resumes: u64,
    /// Resumes answered with RESUMED.
    pub resumed: u64,
    /// Invalid Session (op 9) sent.
    pub invalid_sessions: u64,
    /// Heartbeats (op 1) received.
    pub heartbeats: u64,
    /// A connection is identified or resumed and receives dispatches now.
    pub live: bool,
    /// The last sequence number sent.
    pub seq: u64,
    /// Current session id (of the last Identify).
    pub session_id: Option<String>,
    /// The shards with a live connection, in order.
    pub live_shards: Vec<u64>,
}

/// A file a member attached to a slash command: Discord uploads it to its CDN and sends the
/// interaction with the attachment's metadata in `data.resolved.attachments`; the bot downloads
/// it from `url` (`https://cdn.discordapp.com/...`, served by the stand-in's TLS server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAttachment {
    /// Snowflake.
    pub id: u64,
    /// The channel the command was used in (part of the CDN path).
    pub channel_id: u64,
    /// File name as uploaded.
    pub filename: String,
    /// The MIME type Discord guessed, if any.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

impl FakeAttachment {
    /// A file of this name and content; the id and channel are set when it is attached.
    pub fn new(filename: &str, content_type: Option<&str>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            id: 0,
            channel_id: 0,
            filename: filename.to_string(),
            content_type: content_type.map(str::to_string),
            data: data.into(),
        }
    }
}
