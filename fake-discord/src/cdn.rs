//! Discord's CDN for attachments, `https://cdn.discordapp.com/attachments/{channel}/{id}/{name}`,
//! served by the stand-in's TLS server (its certificate names the host too). As on Discord the
//! links are signed and expire (`ex`, `is`, `hm`): a link the bot did not get from the
//! interaction, or one past its expiry, is answered 404 "This content is no longer available.".
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::model::FakeAttachment;
use crate::state::State;

/// The CDN's host name.
pub const CDN_HOST: &str = "cdn.discordapp.com";
/// How long a signed link works (Discord: 24 hours).
const LINK_LIFE: Duration = Duration::from_secs(24 * 3600);

fn unix_now(st: &State) -> u64 {
    (SystemTime::now() + st.clock_offset)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn signature(id: u64, ex: u64, is: u64) -> String {
    // FNV-1a over the link's parts and a word only the stand-in knows.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{id}:{ex}:{is}:fake-discord-cdn").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The attachment object of `data.resolved.attachments`, with a freshly signed link.
pub(crate) fn attachment_json(st: &State, file: &FakeAttachment) -> Value {
    let is = unix_now(st);
    let ex = is + LINK_LIFE.as_secs();
    let query = format!("?ex={ex:x}&is={is:x}&hm={}&", signature(file.id, ex, is));
    let path = format!("attachments/{}/{}/{}", file.channel_id, file.id, file.filename);
    let mut v = json!({
        "id": file.id.to_string(),
        "filename": file.filename,
        "size": file.data.len(),
        "url": format!("https://{CDN_HOST}/{path}{query}"),
        "proxy_url": format!("https://media.discordapp.net/{path}{query}"),
        "ephemeral": true,
    });
    if let Some(t) = &file.content_type {
        v["content_type"] = json!(t);
    }
    v
}

fn gone() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("content-type", "text/plain")
        .body(Body::from("This content is no longer available."))
        .expect("response")
}

/// Answers a request to the CDN host.
pub(crate) fn serve(st: &State, method: &str, path: &str, query: &[(String, String)]) -> Response {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let ["attachments", channel, id, name] = segs.as_slice() else {
        return gone();
    };
    if method != "GET" && method != "HEAD" {
        return Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .body(Body::empty())
            .expect("response");
    }
    let hex = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| u64::from_str_radix(v, 16).ok())
    };
    let hm = query.iter().find(|(n, _)| n == "hm").map(|(_, v)| v.as_str());
    let Some(file) = id.parse::<u64>().ok().and_then(|id| st.attachments.get(&id)) else {
        return gone();
    };
    let signed = match (hex("ex"), hex("is"), hm) {
        (Some(ex), Some(is), Some(hm)) => hm == signature(file.id, ex, is) && ex > unix_now(st),
        _ => false,
    };
    if !signed || channel.parse::<u64>().ok() != Some(file.channel_id) || *name != file.filename {
        return gone();
    }
    let body = if method == "HEAD" {
        Body::empty()
    } else {
        Body::from(file.data.clone())
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(
            "content-type",
            file.content_type.as_deref().unwrap_or("application/octet-stream"),
        )
        .header("content-length", file.data.len())
        .body(body)
        .expect("response")
}
