//! JSON bodies as Discord sends them (REST answers and gateway payloads).

use serde_json::{json, Value};

use crate::model::{permissions, ChannelKind, FakeChannel, FakeMember, FakeRole, FakeUser, SentMessage};
use crate::state::{GuildState, State};

/// RFC 3339 with microseconds and `+00:00`, as Discord writes timestamps.
pub(crate) fn now_ts() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

pub(crate) fn user_json(u: &FakeUser) -> Value {
    let mut v = json!({
        "id": u.id.to_string(),
        "username": u.name,
        "avatar": null,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": u.name,
        "primary_guild": null,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
        "collectibles": null,
        "clan": null,
    });
    if u.bot {
        v["bot"] = json!(true);
        v["global_name"] = Value::Null;
    }
    v
}

/// `GET /users/@me`: the bot with its private fields.
pub(crate) fn current_user_json(u: &FakeUser) -> Value {
    let mut v = user_json(u);
    v["mfa_enabled"] = json!(false);
    v["locale"] = json!("en-US");
    v["verified"] = json!(true);
    v["email"] = Value::Null;
    v["premium_type"] = json!(0);
    v["bot"] = json!(true);
    v
}

pub(crate) fn role_json(r: &FakeRole, position: usize) -> Value {
    json!({
        "id": r.id.to_string(),
        "name": r.name,
        "description": null,
        "permissions": r.permissions.to_string(),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "managed": false,
        "mentionable": false,
        "icon": null,
        "unicode_emoji": null,
        "flags": 0,
    })
}

/// The permission bits of a member (owner or ADMINISTRATOR: all).
pub(crate) fn member_permissions(g: &GuildState, m: &FakeMember) -> u64 {
    if g.guild.owner_id == m.user.id {
        return permissions::ALL;
    }
    let mut p = 0;
    for r in &g.guild.roles {
        if r.id == g.guild.id || m.roles.contains(&r.id) {
            p |= r.permissions;
        }
    }
    if p & permissions::ADMINISTRATOR != 0 {
        permissions::ALL
    } else {
        p
    }
}

/// A member object; `with_user` adds `user`, `with_permissions` adds `permissions` (as in
/// interactions).
pub(crate) fn member_json(g: &GuildState, m: &FakeMember, with_user: bool, with_permissions: bool) -> Value {
    let mut v = json!({
        "avatar": null,
        "banner": null,
        "communication_disabled_until": null,
        "flags": 0,
        "joined_at": g.joined_at,
        "nick": m.nick,
        "pending": false,
        "premium_since": null,
        "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "deaf": false,
        "mute": false,
    });
    if with_user {
        v["user"] = user_json(&m.user);
    }
    if with_permissions {
        v["permissions"] = json!(member_permissions(g, m).to_string());
    }
    v
}

pub(crate) fn channel_json(st: &State, c: &FakeChannel) -> Value {
    match c.kind {
        ChannelKind::Dm => {
            let recipients: Vec<Value> = c
                .recipient_id
                .map(|id| user_json(&st.user_or_placeholder(id)))
                .into_iter()
                .collect();
            json!({
                "id": c.id.to_string(),
                "type": 1,
                "flags": 0,
                "last_message_id": st.last_message_id(c.id).map(|i| i.to_string()),
                "recipients": recipients,
            })
        }
        ChannelKind::PublicThread | ChannelKind::PrivateThread => {
            let count = st
                .messages
                .iter()
                .filter(|m| m.channel_id == c.id && !m.deleted)
                .count();
            json!({
                "id": c.id.to_string(),
                "type": c.kind.code(),
                "flags": 0,
                "guild_id": c.guild_id.unwrap_or_default().to_string(),
                "name": c.name,
                "parent_id": c.parent_id.map(|p| p.to_string()),
                "owner_id": c.owner_id.unwrap_or_default().to_string(),
                "last_message_id": st.last_message_id(c.id).map(|i| i.to_string()),
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": c.archived,
                    "archive_timestamp": now_ts(),
                    "auto_archive_duration": c.auto_archive_duration.unwrap_or(crate::threads::DEFAULT_AUTO_ARCHIVE_MINUTES),
                    "locked": c.locked,
                    "create_timestamp": now_ts(),
                    "invitable": false,
                },
                "message_count": count,
                "member_count": c.thread_members.len(),
                "total_message_sent": count,
                "applied_tags": [],
            })
        }
        ChannelKind::Text | ChannelKind::Category => {
            let position = st
                .channels
                .values()
                .filter(|o| o.guild_id == c.guild_id && o.id < c.id && !o.kind.is_thread())
                .count();
            let mut v = json!({
                "id": c.id.to_string(),
                "type": c.kind.code(),
                "flags": 0,
                "guild_id": c.guild_id.unwrap_or_default().to_string(),
                "name": c.name,
                "parent_id": c.parent_id.map(|p| p.to_string()),
                "position": position,
                "permission_overwrites": [],
                "nsfw": false,
            });
            if c.kind == ChannelKind::Text {
                v["topic"] = Value::Null;
                v["last_message_id"] = json!(st.last_message_id(c.id).map(|i| i.to_string()));
                v["rate_limit_per_user"] = json!(0);
            }
            v
        }
    }
}

/// `GET /guilds/{id}` (GuildWithCountsResponse).
pub(crate) fn guild_json(g: &GuildState) -> Value {
    let roles: Vec<Value> = g.guild.roles.iter().enumerate().map(|(i, r)| role_json(r, i)).collect();
    json!({
        "id": g.guild.id.to_string(),
        "name": g.guild.name,
        "icon": null,
        "description": null,
        "home_header": null,
        "splash": null,
        "discovery_splash": null,
        "features": [],
        "banner": null,
        "owner_id": g.guild.owner_id.to_string(),
        "application_id": null,
        "region": "deprecated",
        "afk_channel_id": null,
        "afk_timeout": 300,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "roles": roles,
        "default_message_notifications": 1,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": null,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": null,
        "safety_alerts_channel_id": null,
        "public_updates_channel_id": null,
        "premium_progress_bar_enabled": false,
        "nsfw": false,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": null,
        "approximate_member_count": g.members.len(),
        "approximate_presence_count": 0,
    })
}

/// Members above which a guild is `large` (Discord's highest `large_threshold`).
pub const LARGE_THRESHOLD: usize = 250;

/// The GUILD_CREATE payload: the guild with members (unless it is large), channels, threads and
/// the rest.
pub(crate) fn guild_create_json(st: &State, g: &GuildState) -> Value {
    let mut v = guild_json(g);
    let obj = v.as_object_mut().expect("object");
    obj.remove("approximate_member_count");
    obj.remove("approximate_presence_count");
    obj.insert("joined_at".into(), json!(g.joined_at));
    // As Discord: a guild over the threshold is `large` and its GUILD_CREATE lists no members;
    // a client asks for them (Request Guild Members, op 8) or learns them from events.
    let large = g.members.len() > LARGE_THRESHOLD;
    obj.insert("large".into(), json!(large));
    obj.insert("unavailable".into(), json!(false));
    obj.insert("member_count".into(), json!(g.members.len()));
    let members = if large {
        Vec::new()
    } else {
        g.members.values().map(|m| member_json(g, m, true, false)).collect()
    };
    obj.insert("members".into(), Value::Array(members));
    let (threads, channels): (Vec<&FakeChannel>, Vec<&FakeChannel>) = st
        .channels
        .values()
        .filter(|c| c.guild_id == Some(g.guild.id))
        .partition(|c| c.kind.is_thread());
    obj.insert(
        "channels".into(),
        Value::Array(channels.iter().map(|c| channel_json(st, c)).collect()),
    );
    obj.insert(
        "threads".into(),
        Value::Array(threads.iter().map(|c| channel_json(st, c)).collect()),
    );
    for k in [
        "presences",
        "voice_states",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    ] {
        obj.insert(k.into(), json!([]));
    }
    v
}

pub(crate) fn attachment_json(m: &SentMessage, a: &crate::model::SentAttachment) -> Value {
    let mut v = json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "size": a.data.len(),
        "url": format!("https://cdn.discordapp.com/attachments/{}/{}/{}", m.channel_id, a.id, a.filename),
        "proxy_url": format!("https://media.discordapp.net/attachments/{}/{}/{}", m.channel_id, a.id, a.filename),
    });
    // Discord leaves the content type out when the upload named none.
    if let Some(t) = &a.content_type {
        v["content_type"] = json!(t);
    }
    v
}

pub(crate) fn message_json(st: &State, m: &SentMessage) -> Value {
    let author = st.user_or_placeholder(m.author_id);
    let mut v = json!({
        "type": 0,
        "content": m.content,
        "mentions": m.pinged.users.iter().map(|u| user_json(&st.user_or_placeholder(*u))).collect::<Vec<_>>(),
        "mention_roles": m.pinged.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "attachments": m.attachments.iter().map(|a| attachment_json(m, a)).collect::<Vec<_>>(),
        "embeds": m.embeds,
        "timestamp": m.timestamp,
        "edited_timestamp": if m.edited { json!(now_ts()) } else { Value::Null },
        "flags": m.flags,
        "components": m.components,
        "id": m.id.to_string(),
        "channel_id": m.channel_id.to_string(),
        "author": user_json(&author),
        "pinned": false,
        "mention_everyone": m.pinged.everyone || m.pinged.here,
        "tts": false,
    });
    if let Some(n) = &m.nonce {
        v["nonce"] = json!(n);
    }
    if let crate::model::MessageSource::InteractionResponse { .. } | crate::model::MessageSource::Followup { .. } =
        m.source
    {
        v["webhook_id"] = json!(st.app_id.to_string());
        v["application_id"] = json!(st.app_id.to_string());
    }
    v
}

/// `GET /oauth2/applications/@me`.
pub(crate) fn application_json(st: &State) -> Value {
    let bot = st.bot.clone();
    let owner = FakeUser::new(st.app_owner_id, "app-owner");
    json!({
        "id": st.app_id.to_string(),
        "name": bot.name,
        "icon": null,
        "description": "",
        "type": null,
        "bot": user_json(&bot),
        "is_monetized": false,
        "is_verified": false,
        "is_discoverable": false,
        "summary": "",
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "owner": user_json(&owner),
        "approximate_guild_count": st.guilds.len(),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": null,
        "eligible_oauth2_scopes": [],
        "bot_public": true,
        "bot_require_code_grant": false,
    })
}

/// The GUILD_MEMBERS_CHUNK events answering a Request Guild Members (op 8) `d`: the members
/// whose ids it lists (`user_ids`, with the ids not found), or whose name starts with `query`
/// (every member for an empty query and limit 0), in chunks of at most 1,000.
pub(crate) fn member_chunks(g: &GuildState, d: &Value) -> Vec<Value> {
    const CHUNK: usize = 1000;
    let id_of = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| v.as_u64());
    let (found, not_found): (Vec<&crate::model::FakeMember>, Vec<u64>) = match d.get("user_ids") {
        Some(ids) => {
            let ids: Vec<u64> = match ids {
                Value::Array(a) => a.iter().filter_map(id_of).collect(),
                v => id_of(v).into_iter().collect(),
            };
            let found = ids.iter().filter_map(|id| g.members.get(id)).collect();
            let missing = ids.iter().copied().filter(|id| !g.members.contains_key(id)).collect();
            (found, missing)
        }
        None => {
            let query = d
                .get("query")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase();
            let limit = d.get("limit").and_then(Value::as_u64).unwrap_or(0) as usize;
            let limit = if limit == 0 { usize::MAX } else { limit };
            let found = g
                .members
                .values()
                .filter(|m| m.user.name.to_lowercase().starts_with(&query))
                .take(limit)
                .collect();
            (found, Vec::new())
        }
    };
    let chunks: Vec<&[&crate::model::FakeMember]> = if found.is_empty() {
        vec![&[]]
    } else {
        found.chunks(CHUNK).collect()
    };
    let count = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, members)| {
            let mut v = json!({
                "guild_id": g.guild.id.to_string(),
                "members": members.iter().map(|m| member_json(g, m, true, false)).collect::<Vec<_>>(),
                "chunk_index": i,
                "chunk_count": count,
            });
            if i == 0 && !not_found.is_empty() {
                v["not_found"] = json!(not_found.iter().map(u64::to_string).collect::<Vec<_>>());
            }
            if let Some(nonce) = d.get("nonce") {
                v["nonce"] = nonce.clone();
            }
            v
        })
        .collect()
}
