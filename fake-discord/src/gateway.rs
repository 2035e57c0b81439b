//! The gateway: plain websocket, JSON text frames, no compression.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxState;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::payloads::{current_user_json, guild_create_json};
use crate::state::{Conn, GwOut, State};
use crate::Shared;

pub(crate) async fn ws_handler(
    AxState(shared): AxState<Arc<Shared>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
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
        if let Some(old) = st.gw.conn.take() {
            let _ = old.tx.send(GwOut::Drop);
        }
        st.gw.stats.connections += 1;
        st.gw.stats.live = false;
        let hello = json!({
            "op": 10,
            "d": {"heartbeat_interval": shared.config.heartbeat_interval.as_millis() as u64},
            "s": null,
            "t": null,
        });
        let _ = tx.send(GwOut::Text(hello.to_string()));
        st.gw.conn = Some(Conn {
            id,
            tx: tx.clone(),
            live: false,
        });
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
        if st.gw.conn.as_ref().is_some_and(|c| c.id == conn_id) {
            st.gw.conn = None;
            st.gw.stats.live = false;
        }
    }
    shared.bump();
}

fn send(st: &State, text: String) {
    if let Some(c) = &st.gw.conn {
        let _ = c.tx.send(GwOut::Text(text));
    }
}

/// Sends (or queues) a dispatch with the next sequence number.
pub(crate) fn dispatch(st: &mut State, t: &str, d: Value) {
    if st.gw.session_id.is_none() {
        st.gw.pending.push((t.to_string(), d));
        return;
    }
    st.gw.seq += 1;
    let seq = st.gw.seq;
    st.gw.stats.seq = seq;
    let text = json!({"op": 0, "t": t, "s": seq, "d": d}).to_string();
    st.gw.log.push((seq, text.clone()));
    if st.gw.conn.as_ref().is_some_and(|c| c.live) {
        send(st, text);
    }
}

/// The READY payload's `d`.
pub(crate) fn ready_json(shared: &Shared, st: &State, session_id: &str) -> Value {
    json!({
        "v": 10,
        "user": current_user_json(&st.bot),
        "user_settings": {},
        "guilds": st.guilds.keys().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "presences": [],
        "private_channels": [],
        "relationships": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["local"],
        "session_type": "normal",
        "session_id": session_id,
        "resume_gateway_url": shared.gateway_url,
        "shard": [0, 1],
        "application": {"id": st.app_id.to_string(), "flags": 0},
        "_trace": ["[\"fake-discord\"]"],
    })
}

fn handle_op(shared: &Shared, conn_id: u64, text: &str) {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return;
    };
    {
        let mut st = shared.state.lock().unwrap();
        st.gw.received.push(v.clone());
        if st.gw.conn.as_ref().is_none_or(|c| c.id != conn_id) {
            return;
        }
        match v.get("op").and_then(Value::as_u64) {
            Some(1) => {
                st.gw.stats.heartbeats += 1;
                send(&st, json!({"op": 11, "d": null, "s": null, "t": null}).to_string());
            }
            Some(2) => {
                st.gw.stats.identifies += 1;
                let token = v.pointer("/d/token").and_then(Value::as_str).unwrap_or_default();
                if token.trim_start_matches("Bot ") != shared.token {
                    // 4004 Authentication failed: drop the connection.
                    if let Some(c) = st.gw.conn.take() {
                        let _ = c.tx.send(GwOut::Drop);
                    }
                    return;
                }
                let session = format!("fake{:016x}", st.new_id());
                st.gw.session_id = Some(session.clone());
                st.gw.stats.session_id = Some(session.clone());
                st.gw.seq = 0;
                st.gw.log.clear();
                if let Some(c) = st.gw.conn.as_mut() {
                    c.live = true;
                }
                st.gw.stats.live = true;
                let ready = ready_json(shared, &st, &session);
                dispatch(&mut st, "READY", ready);
                if shared.config.guild_create_on_ready {
                    let guilds: Vec<Value> = st.guilds.values().map(|g| guild_create_json(&st, g)).collect();
                    for g in guilds {
                        dispatch(&mut st, "GUILD_CREATE", g);
                    }
                }
                let pending = std::mem::take(&mut st.gw.pending);
                for (t, d) in pending {
                    dispatch(&mut st, &t, d);
                }
            }
            Some(6) => {
                st.gw.stats.resumes += 1;
                let session = v.pointer("/d/session_id").and_then(Value::as_str);
                let token = v.pointer("/d/token").and_then(Value::as_str).unwrap_or_default();
                let seq = v.pointer("/d/seq").and_then(Value::as_u64).unwrap_or(0);
                let ok = shared.config.allow_resume
                    && token.trim_start_matches("Bot ") == shared.token
                    && session.is_some()
                    && session == st.gw.session_id.as_deref();
                if ok {
                    st.gw.stats.resumed += 1;
                    if let Some(c) = st.gw.conn.as_mut() {
                        c.live = true;
                    }
                    st.gw.stats.live = true;
                    let missed: Vec<String> = st
                        .gw
                        .log
                        .iter()
                        .filter(|(s, _)| *s > seq)
                        .map(|(_, t)| t.clone())
                        .collect();
                    for t in missed {
                        send(&st, t);
                    }
                    dispatch(&mut st, "RESUMED", json!({"_trace": ["[\"fake-discord\"]"]}));
                } else {
                    st.gw.stats.invalid_sessions += 1;
                    send(&st, json!({"op": 9, "d": false, "s": null, "t": null}).to_string());
                }
            }
            _ => {}
        }
    }
    shared.bump();
}
