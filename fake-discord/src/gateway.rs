//! The gateway: plain websocket, JSON text frames, no compression.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxState;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::payloads::{current_user_json, guild_create_json};
use crate::state::{Conn, GwOut, Session, State};
use crate::Shared;

pub(crate) async fn ws_handler(
    AxState(shared): AxState<Arc<Shared>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if shared.state.lock().unwrap().gw.refuse {
        return axum::response::IntoResponse::into_response(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| run_conn(shared, socket)),
        Err(e) => {
            eprintln!("fake-discord: gateway upgrade refused: {e}");
            axum::response::IntoResponse::into_response(e)
        }
    }
}

async fn run_conn(shared: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn_id = {
        let mut st = shared.state.lock().unwrap();
        st.gw.next_conn_id += 1;
        let id = st.gw.next_conn_id;
        st.gw.stats.connections += 1;
        let hello = json!({
            "op": 10,
            "d": {"heartbeat_interval": shared.config.heartbeat_interval.as_millis() as u64},
            "s": null,
            "t": null,
        });
        let _ = tx.send(GwOut::Text(hello.to_string()));
        st.gw.conns.insert(
            id,
            Conn {
                id,
                tx: tx.clone(),
                live: false,
                shard: None,
            },
        );
        id
    };
    shared.bump();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(GwOut::Text(t)) => {
                    if sink.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(GwOut::Close(code, reason)) => {
                    let frame = axum::extract::ws::CloseFrame { code, reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    let _ = sink.close().await;
                    forget_conn(&shared, conn_id);
                    return;
                }
                Some(GwOut::Drop) | None => {
                    // Abrupt: no close frame, the TCP connection just goes away.
                    drop(sink);
                    drop(stream);
                    forget_conn(&shared, conn_id);
                    return;
                }
            },
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => handle_op(&shared, conn_id, t.as_str()),
                Some(Ok(Message::Binary(b))) => {
                    if let Ok(t) = std::str::from_utf8(&b) {
                        handle_op(&shared, conn_id, t);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
    }
    forget_conn(&shared, conn_id);
}

fn forget_conn(shared: &Shared, conn_id: u64) {
    {
        let mut st = shared.state.lock().unwrap();
        st.gw.conns.remove(&conn_id);
        st.gw.refresh_live();
    }
    shared.bump();
}

fn send_to(st: &State, conn_id: u64, text: String) {
    if let Some(c) = st.gw.conns.get(&conn_id) {
        let _ = c.tx.send(GwOut::Text(text));
    }
}

/// The shard that receives a guild's events, as Discord computes it.
pub(crate) fn shard_of_guild(guild_id: u64, shard_count: u64) -> u64 {
    (guild_id >> 22) % shard_count.max(1)
}

/// The shard a dispatch goes to: its guild's, or shard 0 (DMs and everything without a guild).
fn shard_of(st: &State, t: &str, d: &Value) -> u64 {
    let guild = if t == "GUILD_CREATE" {
        d.get("id")
    } else {
        d.get("guild_id")
    };
    guild
        .and_then(|g| g.as_str().and_then(|s| s.parse().ok()).or_else(|| g.as_u64()))
        .map_or(0, |g| shard_of_guild(g, st.gw.shard_count))
}

/// Sends (or queues) a dispatch with the next sequence number of the shard it belongs to.
pub(crate) fn dispatch(st: &mut State, t: &str, d: Value) {
    let shard = shard_of(st, t, &d);
    dispatch_to(st, shard, t, d);
}

fn dispatch_to(st: &mut State, shard: u64, t: &str, d: Value) {
    let Some(session) = st.gw.sessions.get_mut(&shard) else {
        st.gw.pending.push((t.to_string(), d));
        return;
    };
    session.seq += 1;
    let seq = session.seq;
    let text = json!({"op": 0, "t": t, "s": seq, "d": d}).to_string();
    session.log.push((seq, text.clone()));
    st.gw.stats.seq = seq;
    for c in st.gw.conns.values() {
        if c.live && c.shard == Some(shard) {
            let _ = c.tx.send(GwOut::Text(text.clone()));
        }
    }
}

/// The READY payload's `d` for one shard: the guilds that shard owns.
pub(crate) fn ready_json(shared: &Shared, st: &State, session_id: &str, shard: u64) -> Value {
    let count = st.gw.shard_count;
    json!({
        "v": 10,
        "user": current_user_json(&st.bot),
        "user_settings": {},
        "guilds": st
            .guilds
            .keys()
            .filter(|g| shard_of_guild(**g, count) == shard)
            .map(|g| json!({"id": g.to_string(), "unavailable": true}))
            .collect::<Vec<_>>(),
        "presences": [],
        "private_channels": [],
        "relationships": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["local"],
        "session_type": "normal",
        "session_id": session_id,
        "resume_gateway_url": shared.gateway_url,
        "shard": [shard, count],
        "application": {"id": st.app_id.to_string(), "flags": 0},
        "_trace": ["[\"fake-discord\"]"],
    })
}

/// Makes `conn_id` the live connection of `shard`; another connection of that shard is dropped,
/// as Discord does when a session is taken over.
fn take_shard(st: &mut State, conn_id: u64, shard: u64) {
    let others: Vec<u64> = st
        .gw
        .conns
        .values()
        .filter(|c| c.id != conn_id && c.shard == Some(shard))
        .map(|c| c.id)
        .collect();
    for id in others {
        if let Some(c) = st.gw.conns.remove(&id) {
            let _ = c.tx.send(GwOut::Drop);
        }
    }
    if let Some(c) = st.gw.conns.get_mut(&conn_id) {
        c.live = true;
        c.shard = Some(shard);
    }
    st.gw.refresh_live();
}

/// Closes a connection with one of Discord's close codes and records why: a client that gets
/// it broke a rule (a bad token, an intent the application may not use).
fn close_with(st: &mut State, conn_id: u64, code: u16, reason: &str, rule: &str, detail: String) {
    if let Some(c) = st.gw.conns.remove(&conn_id) {
        let _ = c.tx.send(GwOut::Close(code, reason.to_string()));
    }
    st.gw.refresh_live();
    st.violations.push(crate::model::SpecViolation {
        kind: crate::model::ViolationKind::DiscordRule,
        method: "GATEWAY".into(),
        path: format!("close {code}"),
        route: None,
        details: vec![detail],
        rule: Some(rule.into()),
    });
}

fn handle_op(shared: &Shared, conn_id: u64, text: &str) {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return;
    };
    {
        let mut st = shared.state.lock().unwrap();
        st.gw.received.push(v.clone());
        if !st.gw.conns.contains_key(&conn_id) {
            return;
        }
        match v.get("op").and_then(Value::as_u64) {
            Some(1) => {
                st.gw.stats.heartbeats += 1;
                send_to(
                    &st,
                    conn_id,
                    json!({"op": 11, "d": null, "s": null, "t": null}).to_string(),
                );
            }
            Some(2) => {
                st.gw.stats.identifies += 1;
                let token = v.pointer("/d/token").and_then(Value::as_str).unwrap_or_default();
                let shard = v.pointer("/d/shard/0").and_then(Value::as_u64).unwrap_or(0);
                let count = v.pointer("/d/shard/1").and_then(Value::as_u64).unwrap_or(1);
                let wanted = v.pointer("/d/intents").and_then(Value::as_u64).unwrap_or(0);
                let disallowed = wanted & crate::intents::PRIVILEGED & !shared.config.privileged_intents;
                if token.trim_start_matches("Bot ") != shared.token {
                    close_with(
                        &mut st,
                        conn_id,
                        4004,
                        "Authentication failed.",
                        "gateway.authentication",
                        "Identify with a token that is not the bot's".into(),
                    );
                    return;
                }
                if count == 0 || shard >= count {
                    close_with(
                        &mut st,
                        conn_id,
                        4010,
                        "Invalid shard.",
                        "gateway.shard",
                        format!("Identify as shard [{shard}, {count}]"),
                    );
                    return;
                }
                if wanted & !crate::intents::ALL != 0 {
                    close_with(
                        &mut st,
                        conn_id,
                        4013,
                        "Invalid intent(s).",
                        "gateway.intents",
                        format!("intents {wanted} hold bits Discord does not define"),
                    );
                    return;
                }
                if disallowed != 0 {
                    close_with(
                        &mut st,
                        conn_id,
                        4014,
                        "Disallowed intent(s).",
                        "gateway.disallowed_intents",
                        format!("Identify asks for privileged intents {disallowed} the application has not enabled"),
                    );
                    return;
                }
                if count != st.gw.shard_count {
                    // A new total re-deals the guilds: the old sessions are void.
                    st.gw.sessions.clear();
                    st.gw.shard_count = count;
                }
                let session = format!("fake{:016x}", st.new_id());
                st.gw.sessions.insert(
                    shard,
                    Session {
                        session_id: session.clone(),
                        ..Session::default()
                    },
                );
                st.gw.stats.session_id = Some(session.clone());
                take_shard(&mut st, conn_id, shard);
                let ready = ready_json(shared, &st, &session, shard);
                dispatch_to(&mut st, shard, "READY", ready);
                if shared.config.guild_create_on_ready {
                    let guilds: Vec<Value> = st
                        .guilds
                        .values()
                        .filter(|g| shard_of_guild(g.guild.id, count) == shard)
                        .map(|g| guild_create_json(&st, g))
                        .collect();
                    for g in guilds {
                        dispatch_to(&mut st, shard, "GUILD_CREATE", g);
                    }
                }
                let pending = std::mem::take(&mut st.gw.pending);
                for (t, d) in pending {
                    // Those of shards not connected yet go back to waiting.
                    dispatch(&mut st, &t, d);
                }
            }
            Some(6) => {
                st.gw.stats.resumes += 1;
                let session = v.pointer("/d/session_id").and_then(Value::as_str);
                let token = v.pointer("/d/token").and_then(Value::as_str).unwrap_or_default();
                let seq = v.pointer("/d/seq").and_then(Value::as_u64).unwrap_or(0);
                let shard = st
                    .gw
                    .sessions
                    .iter()
                    .find(|(_, s)| Some(s.session_id.as_str()) == session)
                    .map(|(shard, _)| *shard);
                match shard {
                    _ if token.trim_start_matches("Bot ") != shared.token => {
                        close_with(
                            &mut st,
                            conn_id,
                            4004,
                            "Authentication failed.",
                            "gateway.authentication",
                            "Resume with a token that is not the bot's".into(),
                        );
                        return;
                    }
                    Some(shard) if shared.config.allow_resume => {
                        st.gw.stats.resumed += 1;
                        take_shard(&mut st, conn_id, shard);
                        let missed: Vec<String> = st.gw.sessions[&shard]
                            .log
                            .iter()
                            .filter(|(s, _)| *s > seq)
                            .map(|(_, t)| t.clone())
                            .collect();
                        for t in missed {
                            send_to(&st, conn_id, t);
                        }
                        dispatch_to(&mut st, shard, "RESUMED", json!({"_trace": ["[\"fake-discord\"]"]}));
                    }
                    _ => {
                        st.gw.stats.invalid_sessions += 1;
                        send_to(
                            &st,
                            conn_id,
                            json!({"op": 9, "d": false, "s": null, "t": null}).to_string(),
                        );
                    }
                }
            }
            Some(8) => {
                // Request Guild Members: answered on the asking connection's shard.
                let shard = st.gw.conns.get(&conn_id).and_then(|c| c.shard);
                let guild = v
                    .pointer("/d/guild_id")
                    .and_then(|g| g.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| g.as_u64()));
                if let (Some(shard), Some(guild)) = (shard, guild) {
                    let chunks = st
                        .guilds
                        .get(&guild)
                        .map(|g| crate::payloads::member_chunks(g, &v["d"]))
                        .unwrap_or_default();
                    for chunk in chunks {
                        dispatch_to(&mut st, shard, "GUILD_MEMBERS_CHUNK", chunk);
                    }
                }
            }
            _ => {}
        }
    }
    shared.bump();
}
