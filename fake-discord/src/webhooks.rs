//! Interaction follow-ups and `@original`: `/webhooks/{application_id}/{token}[/messages/..]`.
//!
//! As on Discord: the token is refused before the interaction was acknowledged (404 / 10015
//! Unknown Webhook) and 15 minutes after the interaction (401 / 50027 Invalid Webhook Token, on
//! the stand-in's clock); the first follow-up after a deferral (callback type 5) edits the
//! deferred message instead of creating one, keeping its ephemeral flag.

use std::time::Duration;

use serde_json::Value;

use crate::model::MessageSource;
use crate::payloads::message_json;
use crate::rest::{unknown, Answer};
use crate::rules::{limits, refuse};
use crate::state::{SentAttachmentIn, State};

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

/// The interaction behind a webhook token, if it may be used now.
fn interaction_for(st: &State, app: &str, token: &str) -> Result<u64, Answer> {
    let iid = (parse_id(app) == Some(st.app_id))
        .then(|| st.tokens.get(token).copied())
        .flatten()
        .ok_or_else(|| unknown(10015, "Webhook"))?;
    let i = &st.interactions[&iid];
    let age = st.now().saturating_duration_since(i.created);
    if age > Duration::from_secs(limits::TOKEN_SECONDS) {
        return Err(
            Answer::error(401, 50027, "Invalid Webhook Token").with_violation(refuse(
                "interaction.token_expired",
                format!(
                    "the interaction token was used {}s after the interaction; it is valid for 15 minutes",
                    age.as_secs()
                ),
            )),
        );
    }
    if i.response.is_none() {
        return Err(unknown(10015, "Webhook").with_violation(refuse(
            "interaction.not_acknowledged",
            "a follow-up or @original before the interaction was acknowledged (callback first)",
        )));
    }
    Ok(iid)
}

/// `POST /webhooks/{app}/{token}`: a follow-up.
pub(crate) fn followup(st: &mut State, app: &str, token: &str, body: &Value, files: Vec<SentAttachmentIn>) -> Answer {
    let iid = match interaction_for(st, app, token) {
        Ok(i) => i,
        Err(a) => return a,
    };
    let (channel_id, original) = {
        let i = &st.interactions[&iid];
        (i.channel_id, i.original_message_id)
    };
    let loading = original.filter(|m| {
        st.message(*m).is_some_and(|msg| {
            !msg.deleted
                && msg.flags & 128 != 0
                && msg.source == MessageSource::InteractionResponse { interaction_id: iid }
        })
    });
    if let Some(mid) = loading {
        // Discord: "no new message will be created, and the loading message will be edited
        // instead. The ephemeral flag will be ignored".
        let mut edit = body.clone();
        if let Some(f) = edit.get("flags").and_then(Value::as_u64) {
            edit["flags"] = Value::from(f & !64);
        }
        st.edit_message(mid, &edit, files);
        if let Some(i) = st.interactions.get_mut(&iid) {
            i.followup_filled_original = true;
        }
        let m = st.message(mid).expect("exists");
        return Answer::ok(message_json(st, m));
    }
    let author = st.app_id;
    let mid = st.create_message(
        channel_id,
        author,
        body,
        files,
        MessageSource::Followup { interaction_id: iid },
        0,
    );
    let m = st.message(mid).expect("just created");
    Answer::ok(message_json(st, m))
}

/// `GET`, `PATCH`, `DELETE /webhooks/{app}/{token}/messages/{@original | id}`.
pub(crate) fn message(
    st: &mut State,
    method: &str,
    app: &str,
    token: &str,
    mid: &str,
    body: &Value,
    files: Vec<SentAttachmentIn>,
) -> Answer {
    let iid = match interaction_for(st, app, token) {
        Ok(i) => i,
        Err(a) => return a,
    };
    let target = if mid == "@original" {
        st.interactions[&iid].original_message_id
    } else {
        parse_id(mid).filter(|id| {
            st.message(*id).is_some_and(|msg| {
                matches!(msg.source, MessageSource::Followup { interaction_id } if interaction_id == iid)
                    || st.interactions[&iid].original_message_id == Some(*id)
            })
        })
    };
    let Some(target) = target.filter(|t| st.message(*t).is_some_and(|m| !m.deleted)) else {
        return unknown(10008, "Message");
    };
    match method {
        "GET" => Answer::ok(message_json(st, st.message(target).expect("exists"))),
        "PATCH" => {
            let channel = st.message(target).map(|m| m.channel_id).unwrap_or_default();
            if let Some(refused) = crate::threads::check_message_edit(st, channel) {
                return refused;
            }
            st.edit_message(target, body, files);
            Answer::ok(message_json(st, st.message(target).expect("exists")))
        }
        "DELETE" => {
            if let Some(msg) = st.message_mut(target) {
                msg.deleted = true;
            }
            Answer::no_content()
        }
        _ => Answer::error(405, 0, "405: Method Not Allowed"),
    }
}
