//! Threads as Discord keeps them: created with an `auto_archive_duration`, archived after that
//! much inactivity on the stand-in's clock (activity: creation, a message, unarchiving),
//! unarchived with `PATCH /channels/{id}` `{"archived": false}` or by a new message in them.
//! While archived, adding a member, editing the thread or editing a message in it is refused
//! with 400 / 50083 "Thread is archived".

use std::time::Duration;

use serde_json::{json, Value};

use crate::model::{ChannelKind, FakeChannel};
use crate::payloads::channel_json;
use crate::rest::{unknown, Answer};
use crate::rules::refuse;
use crate::state::State;

/// A thread created without `auto_archive_duration` archives after a day, the duration Discord
/// gives threads of a channel that sets no default.
pub const DEFAULT_AUTO_ARCHIVE_MINUTES: u32 = 1440;

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn archived_answer(what: &str) -> Answer {
    Answer::error(400, 50083, "Thread is archived").with_violation(refuse(
        "thread.archived",
        format!("{what} in an archived thread; unarchive it first (PATCH /channels/{{id}} {{\"archived\": false}})"),
    ))
}

/// Sends THREAD_UPDATE for a thread (as Discord does on every change of it).
fn announce(st: &mut State, id: u64) {
    if let Some(c) = st.channels.get(&id).cloned() {
        let v = channel_json(st, &c);
        crate::gateway::dispatch(st, "THREAD_UPDATE", v);
    }
}

/// Archives the threads idle for their `auto_archive_duration` on the stand-in's clock.
pub(crate) fn archive_idle(st: &mut State) {
    let now = st.now();
    let due: Vec<u64> = st
        .channels
        .values()
        .filter(|c| c.kind.is_thread() && !c.archived)
        .filter(|c| {
            let minutes = u64::from(c.auto_archive_duration.unwrap_or(DEFAULT_AUTO_ARCHIVE_MINUTES));
            st.thread_activity
                .get(&c.id)
                .is_some_and(|at| now.saturating_duration_since(*at) >= Duration::from_secs(minutes * 60))
        })
        .map(|c| c.id)
        .collect();
    for id in due {
        if let Some(c) = st.channels.get_mut(&id) {
            c.archived = true;
        }
        announce(st, id);
    }
}

/// `POST /channels/{id}/threads` (without a message).
pub(crate) fn create(st: &mut State, parent: &str, body: &Value) -> Answer {
    let Some(parent) = parse_id(parent).and_then(|i| st.channels.get(&i)).cloned() else {
        return unknown(10003, "Channel");
    };
    if parent.kind != ChannelKind::Text {
        return Answer::error(400, 50024, "Cannot execute action on this channel type");
    }
    let kind = match body.get("type").and_then(Value::as_u64) {
        Some(11) => ChannelKind::PublicThread,
        _ => ChannelKind::PrivateThread,
    };
    let tid = st.new_id();
    let thread = FakeChannel {
        id: tid,
        kind,
        guild_id: parent.guild_id,
        name: body.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        parent_id: Some(parent.id),
        recipient_id: None,
        owner_id: Some(st.bot.id),
        thread_members: vec![st.bot.id],
        archived: false,
        locked: false,
        auto_archive_duration: Some(
            body.get("auto_archive_duration")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_AUTO_ARCHIVE_MINUTES, |m| m as u32),
        ),
    };
    st.channels.insert(tid, thread.clone());
    let now = st.now();
    st.thread_activity.insert(tid, now);
    let mut v = channel_json(st, &thread);
    v["member"] = json!({
        "id": tid.to_string(),
        "user_id": st.bot.id.to_string(),
        "join_timestamp": crate::payloads::now_ts(),
        "flags": 1,
    });
    Answer::status(201, v)
}

/// `PUT /channels/{id}/thread-members/{user}`.
pub(crate) fn add_member(st: &mut State, id: &str, uid: &str) -> Answer {
    let uid = if uid == "@me" { Some(st.bot.id) } else { parse_id(uid) };
    let Some(cid) = parse_id(id).filter(|c| st.channels.contains_key(c)) else {
        return unknown(10003, "Channel");
    };
    let Some(uid) = uid else {
        return unknown(10013, "User");
    };
    let guild_id = st.channels[&cid].guild_id;
    if !st.channels[&cid].kind.is_thread() {
        return Answer::error(400, 50024, "Cannot execute action on this channel type");
    }
    if !guild_id
        .and_then(|g| st.guilds.get(&g))
        .is_some_and(|g| g.members.contains_key(&uid))
    {
        return unknown(10007, "Member");
    }
    if st.channels[&cid].archived {
        return archived_answer("adding a member");
    }
    let c = st.channels.get_mut(&cid).expect("exists");
    if !c.thread_members.contains(&uid) {
        c.thread_members.push(uid);
    }
    Answer::no_content()
}

/// `PATCH /channels/{id}`: a thread's `archived`, `locked`, `auto_archive_duration`, `name`;
/// another channel's `name`.
pub(crate) fn modify(st: &mut State, id: &str, body: &Value) -> Answer {
    let Some(cid) = parse_id(id).filter(|c| st.channels.contains_key(c)) else {
        return unknown(10003, "Channel");
    };
    let is_thread = st.channels[&cid].kind.is_thread();
    let archived = body.get("archived").and_then(Value::as_bool);
    if is_thread && st.channels[&cid].archived && archived != Some(false) {
        return archived_answer("editing the thread");
    }
    let now = st.now();
    let c = st.channels.get_mut(&cid).expect("exists");
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        c.name = n.to_string();
    }
    if is_thread {
        if let Some(l) = body.get("locked").and_then(Value::as_bool) {
            c.locked = l;
        }
        if let Some(m) = body.get("auto_archive_duration").and_then(Value::as_u64) {
            c.auto_archive_duration = Some(m as u32);
        }
        if let Some(a) = archived {
            c.archived = a;
        }
        // Unarchiving and changing the duration count as activity.
        if archived == Some(false) || body.get("auto_archive_duration").is_some() {
            st.thread_activity.insert(cid, now);
        }
        announce(st, cid);
    }
    let c = st.channels[&cid].clone();
    Answer::ok(channel_json(st, &c))
}

/// Before a message is posted: Discord unarchives an archived thread when a message is sent in
/// it (the author may send there; the bot has every permission here).
pub(crate) fn unarchive_for_message(st: &mut State, channel_id: u64) {
    if st
        .channels
        .get(&channel_id)
        .is_some_and(|c| c.kind.is_thread() && c.archived)
    {
        if let Some(c) = st.channels.get_mut(&channel_id) {
            c.archived = false;
        }
        announce(st, channel_id);
    }
}

/// Before a message in `channel_id` is edited: refused while the thread is archived.
pub(crate) fn check_message_edit(st: &State, channel_id: u64) -> Option<Answer> {
    st.channels
        .get(&channel_id)
        .filter(|c| c.kind.is_thread() && c.archived)
        .map(|_| archived_answer("editing a message"))
}
