//! The REST API under `/api/v10`: recording, validation, rate limits, failures on demand and
//! the routes themselves.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::model::{
    ChannelKind, FakeChannel, InteractionResponse, MessageSource, RecordedRequest, SpecViolation, ViolationKind,
};
use crate::payloads::{
    application_json, channel_json, current_user_json, guild_json, member_json, message_json, role_json, user_json,
};
use crate::ratelimit::Verdict;
use crate::rules::Refusal;
use crate::state::{SentAttachmentIn, State};
use crate::Shared;

/// What a route answers.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Option<Value>,
    /// The rule of Discord's the request broke, if the answer is a refusal for one: recorded as
    /// a violation of kind [`ViolationKind::DiscordRule`].
    pub violation: Option<Refusal>,
}

impl Answer {
    pub(crate) fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Some(body),
            violation: None,
        }
    }
    pub(crate) fn status(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            violation: None,
        }
    }
    pub(crate) fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            violation: None,
        }
    }
    pub(crate) fn error(status: u16, code: u64, message: &str) -> Self {
        Self {
            status,
            body: Some(json!({"message": message, "code": code})),
            violation: None,
        }
    }
    /// The same answer, recorded as a refusal for `rule`.
    pub(crate) fn with_violation(mut self, refusal: Refusal) -> Self {
        self.violation = Some(refusal);
        self
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lenient query parsing (`?&limit=50` happens).
fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

struct ParsedBody {
    json: Option<Value>,
    files: Vec<SentAttachmentIn>,
    /// (content type used for validation, error if the body could not be read)
    content_type: &'static str,
    error: Option<String>,
}

async fn parse_body(headers: &HeaderMap, bytes: bytes::Bytes) -> ParsedBody {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if ct.starts_with("multipart/form-data") {
        let mut out = ParsedBody {
            json: None,
            files: Vec::new(),
            content_type: "application/json",
            error: None,
        };
        let boundary = match multer::parse_boundary(&ct) {
            Ok(b) => b,
            Err(e) => {
                out.error = Some(format!("bad multipart content type: {e}"));
                return out;
            }
        };
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
        let mut mp = multer::Multipart::new(stream, boundary);
        loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_string();
                    let filename = field.file_name().map(String::from);
                    let content_type = field.content_type().map(|m| m.to_string());
                    let data = match field.bytes().await {
                        Ok(d) => d,
                        Err(e) => {
                            out.error = Some(format!("bad multipart part `{name}`: {e}"));
                            return out;
                        }
                    };
                    if name == "payload_json" {
                        match serde_json::from_slice(&data) {
                            Ok(v) => out.json = Some(v),
                            Err(e) => out.error = Some(format!("payload_json is not JSON: {e}")),
                        }
                    } else if name.starts_with("files[") || filename.is_some() {
                        out.files.push(SentAttachmentIn {
                            filename: filename.unwrap_or(name),
                            content_type,
                            data: data.to_vec(),
                        });
                    } else {
                        out.error = Some(format!("unexpected multipart part `{name}`"));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(format!("bad multipart body: {e}"));
                    return out;
                }
            }
        }
        out
    } else if bytes.is_empty() {
        ParsedBody {
            json: None,
            files: Vec::new(),
            content_type: "application/json",
            error: None,
        }
    } else {
        let (json, error) = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(format!("body is not JSON: {e}"))),
        };
        let error = error.or_else(|| {
            (!ct.starts_with("application/json")).then(|| format!("JSON body sent with content type `{ct}`"))
        });
        ParsedBody {
            json,
            files: Vec::new(),
            content_type: "application/json",
            error,
        }
    }
}

/// The axum handler for every REST request.
pub(crate) async fn handle(AxState(shared): AxState<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let query = parse_query(uri.query());
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_string())
        .or_else(|| uri.host().map(str::to_string));
    if host.as_deref() == Some(crate::cdn::CDN_HOST) {
        // The CDN is no part of the API: no spec, no rate limit, no bot token.
        let st = shared.state.lock().unwrap();
        return crate::cdn::serve(&st, &method, uri.path(), &query);
    }
    let full_path = uri.path().to_string();
    let path = full_path
        .strip_prefix("/api/v10")
        .map(|p| if p.is_empty() { "/" } else { p })
        .unwrap_or(&full_path)
        .to_string();
    let under_api = full_path.starts_with("/api/v10/");
    // When the request arrived, on the stand-in's clock: an interaction's answer counts from
    // here (Discord has it), not from when its checks are done.
    let (fate, delay, arrived) = {
        let mut st = shared.state.lock().unwrap();
        (st.faults.decide(&path), st.faults.faults.delay, st.now())
    };
    if fate == crate::faults::Fate::HangBefore {
        // Held for ever: the client gives up (or waits for ever) and the request never happened.
        std::future::pending::<()>().await;
    }
    let parsed = parse_body(&headers, bytes).await;
    let file_names: Vec<String> = parsed.files.iter().map(|f| f.filename.clone()).collect();
    let mut recorded_headers = Vec::new();
    for h in ["authorization", "content-type", "user-agent", "x-audit-log-reason"] {
        if let Some(v) = headers.get(h).and_then(|v| v.to_str().ok()) {
            recorded_headers.push((h.to_string(), v.to_string()));
        }
    }

    // Validation against the spec (outside the state lock).
    let mut violations: Vec<SpecViolation> = Vec::new();
    let mut route: Option<String> = None;
    let lower = method.to_ascii_lowercase();
    let violation = |kind, route: &Option<String>, details: Vec<String>| SpecViolation {
        kind,
        method: method.clone(),
        path: path.clone(),
        route: route.clone(),
        details,
        rule: None,
    };
    let ruled = |kind, route: &Option<String>, r: Refusal| SpecViolation {
        kind,
        method: method.clone(),
        path: path.clone(),
        route: route.clone(),
        details: vec![r.detail],
        rule: Some(r.rule),
    };
    if !under_api {
        violations.push(violation(
            ViolationKind::UnknownRoute,
            &None,
            vec![format!("`{full_path}` is not under /api/v10")],
        ));
    } else if let Some(spec) = &shared.spec {
        match spec.match_path(&path) {
            None => violations.push(violation(
                ViolationKind::UnknownRoute,
                &None,
                vec!["no path of the OpenAPI description matches".into()],
            )),
            Some(m) => {
                route = Some(m.template.clone());
                if spec.operation(&m.template, &lower).is_none() {
                    violations.push(violation(
                        ViolationKind::UnknownMethod,
                        &route,
                        vec![format!("{} has no {method} operation", m.template)],
                    ));
                } else {
                    let perrs = spec.validate_parameters(&m.template, &lower, &m.params, &query);
                    if !perrs.is_empty() {
                        violations.push(violation(ViolationKind::InvalidParameter, &route, perrs));
                    }
                    let (declared, required) = spec.request_body_info(&m.template, &lower);
                    let mut berrs = Vec::new();
                    if let Some(e) = &parsed.error {
                        berrs.push(e.clone());
                    }
                    match &parsed.json {
                        Some(body) if declared => berrs.extend(spec.validate_request(
                            &m.template,
                            &lower,
                            parsed.content_type,
                            &crate::spec::apply_known_quirks(body),
                        )),
                        Some(_) => berrs.push("operation takes no request body".into()),
                        None if required && parsed.error.is_none() => berrs.push("request body is required".into()),
                        None => {}
                    }
                    if !berrs.is_empty() {
                        violations.push(violation(ViolationKind::InvalidBody, &route, berrs));
                    }
                }
            }
        }
    } else {
        route = None;
    }

    // Discord's rules the spec cannot express, by two independent judges: the stand-in's own
    // and twilight-validate. A refusal by either is answered as Discord answers it.
    let mut overruled = Vec::new();
    if let (true, Some(body), Some(kind)) = (under_api, &parsed.json, crate::rules::body_kind(&method, &path)) {
        for r in crate::rules::check(kind, body) {
            violations.push(ruled(ViolationKind::DiscordRule, &route, r));
        }
        let verdict = crate::twilight_judge::check(kind, body);
        for r in verdict.refusals {
            violations.push(ruled(ViolationKind::Twilight, &route, r));
        }
        overruled.extend(
            verdict
                .overruled
                .into_iter()
                .map(|r| ruled(ViolationKind::Twilight, &route, r)),
        );
    }
    let refused_body = violations.iter().any(|v| {
        matches!(
            v.kind,
            ViolationKind::InvalidBody | ViolationKind::DiscordRule | ViolationKind::Twilight
        )
    });
    crate::record::append(&method, &full_path, parsed.json.as_ref());

    // Rate limits, failures on demand and the route itself, under the lock.
    let (answer, extra_headers) = {
        let mut st = shared.state.lock().unwrap();
        st.overruled.extend(overruled);
        crate::threads::archive_idle(&mut st);
        let major = major_params(&path);
        let bucket_route = route.clone().unwrap_or_else(|| path.clone());
        let verdict = st.limiter.check(&method, &path, &bucket_route, &major);
        match verdict {
            Verdict::Limited { headers, body, .. } => (Answer::status(429, body), headers),
            Verdict::Allowed(rl_headers) => {
                let auth_ok = path.starts_with("/webhooks/")
                    || path.starts_with("/interactions/")
                    || headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v == format!("Bot {}", shared.token));
                let fail = st
                    .fail_rules
                    .iter_mut()
                    .find(|r| {
                        r.remaining > 0
                            && path.starts_with(&r.path_prefix)
                            && r.method.as_deref().is_none_or(|m| m == method)
                    })
                    .map(|r| {
                        r.remaining -= 1;
                        r.status
                    });
                st.fail_rules.retain(|r| r.remaining > 0);
                if let Some(status) = fail {
                    (Answer::error(status, 0, &format!("{status}: injected failure")), vec![])
                } else if fate == crate::faults::Fate::Storm {
                    st.limiter.count_429 += 1;
                    let retry = crate::faults::STORM_RETRY_AFTER;
                    let mut headers: Vec<(String, String)> = rl_headers
                        .into_iter()
                        .filter(|(k, _)| k != "X-RateLimit-Remaining" && k != "X-RateLimit-Reset-After")
                        .collect();
                    headers.push(("X-RateLimit-Remaining".into(), "0".into()));
                    headers.push(("Retry-After".into(), format!("{retry:.3}")));
                    headers.push(("X-RateLimit-Reset-After".into(), format!("{retry:.3}")));
                    headers.push(("X-RateLimit-Scope".into(), "shared".into()));
                    (
                        Answer::status(
                            429,
                            json!({"message": "You are being rate limited.", "retry_after": retry, "global": false, "code": 0}),
                        ),
                        headers,
                    )
                } else if !auth_ok {
                    (Answer::error(401, 0, "401: Unauthorized"), rl_headers)
                } else if !under_api {
                    (Answer::error(404, 0, "404: Not Found"), vec![])
                } else if refused_body {
                    // Discord refuses a body that breaks its schema or its limits with 50035
                    // "Invalid Form Body". Its real answer carries
                    // per-field `errors` with string codes, which the spec types as integers:
                    // they are left out so the body suits both serenity and the spec; the
                    // details are in the recorded violation.
                    (
                        Answer::status(400, json!({"message": "Invalid Form Body", "code": 50035})),
                        rl_headers,
                    )
                } else {
                    let a = route_request(
                        &shared,
                        &mut st,
                        &method,
                        &path,
                        &query,
                        parsed.json.as_ref(),
                        parsed.files,
                        arrived,
                    );
                    if let Some(r) = a.violation.clone() {
                        violations.push(ruled(ViolationKind::DiscordRule, &route, r));
                    }
                    if a.status == 404
                        && a.body.as_ref().and_then(|b| b.get("code")) == Some(&json!(0))
                        && route.is_some()
                        && violations.is_empty()
                    {
                        violations.push(violation(
                            ViolationKind::NotImplemented,
                            &route,
                            vec!["the stand-in does not implement this route".into()],
                        ));
                    }
                    (a, rl_headers)
                }
            }
        }
    };

    // The stand-in's own answer must be valid by the response schema.
    if let (Some(spec), Some(r)) = (&shared.spec, &route) {
        if answer.status < 500 && spec.operation(r, &lower).is_some() {
            let errs = spec.validate_response(r, &lower, answer.status, answer.body.as_ref());
            if !errs.is_empty() {
                violations.push(violation(ViolationKind::InvalidResponse, &route, errs));
            }
        }
    }
    for v in &violations {
        eprintln!("fake-discord: spec violation: {v}");
    }

    {
        let mut st = shared.state.lock().unwrap();
        let seq = st.requests.len() as u64;
        st.requests.push(RecordedRequest {
            seq,
            method: method.clone(),
            path: path.clone(),
            route: route.clone(),
            query,
            headers: recorded_headers,
            body: parsed.json,
            files: file_names,
            status: answer.status,
            response: answer.body.clone(),
        });
        st.violations.extend(violations);
    }
    shared.bump();
    if fate == crate::faults::Fate::HangAfter {
        // Discord did the work; its answer never comes back.
        std::future::pending::<()>().await;
    }
    if let Some(d) = delay.filter(|_| !faults_exempt(&path)) {
        tokio::time::sleep(d).await;
    }

    let mut resp = match &answer.body {
        Some(b) => {
            let mut r = Response::new(Body::from(serde_json::to_vec(b).unwrap_or_default()));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
        None => Response::new(Body::empty()),
    };
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    for (k, v) in extra_headers {
        if let (Ok(k), Ok(v)) = (axum::http::HeaderName::try_from(k), HeaderValue::try_from(v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Interaction answers and webhooks are not slowed: faults apply to what the global limit binds.
fn faults_exempt(path: &str) -> bool {
    path.starts_with("/interactions/") || path.starts_with("/webhooks/")
}

/// The values of the major parameters that split rate-limit buckets.
fn major_params(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["channels", id, ..] | ["guilds", id, ..] => (*id).to_string(),
        ["webhooks", id, token, ..] => format!("{id}/{token}"),
        ["interactions", id, token, ..] => format!("{id}/{token}"),
        _ => String::new(),
    }
}

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

pub(crate) fn unknown(code: u64, what: &str) -> Answer {
    Answer::error(404, code, &format!("Unknown {what}"))
}

/// Dispatches to the route implementations.
// The request's parts, as the handler split them; a struct for them would be built once, here.
#[allow(clippy::too_many_arguments)]
pub(crate) fn route_request(
    shared: &Shared,
    st: &mut State,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
    files: Vec<SentAttachmentIn>,
    arrived: std::time::Instant,
) -> Answer {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let null = Value::Null;
    let body = body.unwrap_or(&null);
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => Answer::ok(json!({ "url": shared.gateway_url })),
        ("GET", ["gateway", "bot"]) => Answer::ok(json!({
            "url": shared.gateway_url,
            "shards": shared.config.recommended_shards,
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1
            },
        })),
        ("GET", ["oauth2", "applications", "@me"]) => Answer::ok(application_json(st)),
        ("GET", ["applications", "@me"]) => Answer::ok(application_json(st)),
        ("GET", ["users", "@me"]) => Answer::ok(current_user_json(&st.bot)),
        ("GET", ["users", id]) => match parse_id(id).and_then(|i| st.users.get(&i)) {
            Some(u) => Answer::ok(user_json(u)),
            None => unknown(10013, "User"),
        },
        ("PUT", ["applications", app, "commands"]) => {
            if parse_id(app) != Some(st.app_id) {
                return unknown(10002, "Application");
            }
            let cmds = set_commands(st, None, body);
            st.commands_global = cmds.clone();
            Answer::ok(Value::Array(cmds))
        }
        ("GET", ["applications", app, "commands"]) => {
            if parse_id(app) != Some(st.app_id) {
                return unknown(10002, "Application");
            }
            Answer::ok(Value::Array(st.commands_global.clone()))
        }
        ("PUT", ["applications", app, "guilds", g, "commands"]) => {
            let Some(g) = parse_id(g).filter(|g| st.guilds.contains_key(g)) else {
                return unknown(10004, "Guild");
            };
            if parse_id(app) != Some(st.app_id) {
                return unknown(10002, "Application");
            }
            let cmds = set_commands(st, Some(g), body);
            st.commands_guild.insert(g, cmds.clone());
            Answer::ok(Value::Array(cmds))
        }
        ("GET", ["applications", app, "guilds", g, "commands"]) => {
            if parse_id(app) != Some(st.app_id) {
                return unknown(10002, "Application");
            }
            let g = parse_id(g).unwrap_or_default();
            Answer::ok(Value::Array(st.commands_guild.get(&g).cloned().unwrap_or_default()))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            interaction_callback(shared, st, id, token, body, files, arrived)
        }
        ("POST", ["webhooks", app, token]) => crate::webhooks::followup(st, app, token, body, files),
        (m, ["webhooks", app, token, "messages", mid]) => crate::webhooks::message(st, m, app, token, mid, body, files),
        ("POST", ["users", "@me", "channels"]) => {
            let Some(uid) = body
                .get("recipient_id")
                .and_then(|v| v.as_str().and_then(parse_id).or_else(|| v.as_u64()))
            else {
                return Answer::error(400, 50035, "Invalid Form Body");
            };
            let id = st.dm_channel_for(uid);
            let c = st.channels[&id].clone();
            Answer::ok(channel_json(st, &c))
        }
        ("POST", ["channels", id, "messages"]) => create_channel_message(shared, st, id, body, files),
        ("GET", ["channels", id, "messages"]) => list_channel_messages(st, id, query),
        (m, ["channels", cid, "messages", mid]) => {
            let (Some(cid), Some(mid)) = (parse_id(cid), parse_id(mid)) else {
                return unknown(10008, "Message");
            };
            if !st.channels.contains_key(&cid) {
                return unknown(10003, "Channel");
            }
            if !st
                .message(mid)
                .is_some_and(|msg| msg.channel_id == cid && !msg.deleted && !msg.is_ephemeral())
            {
                return unknown(10008, "Message");
            }
            match m {
                "GET" => Answer::ok(message_json(st, st.message(mid).expect("exists"))),
                "PATCH" => {
                    if let Some(refused) = crate::threads::check_message_edit(st, cid) {
                        return refused;
                    }
                    st.edit_message(mid, body, files);
                    Answer::ok(message_json(st, st.message(mid).expect("exists")))
                }
                "DELETE" => {
                    if let Some(msg) = st.message_mut(mid) {
                        msg.deleted = true;
                    }
                    Answer::no_content()
                }
                _ => Answer::error(405, 0, "405: Method Not Allowed"),
            }
        }
        ("GET", ["channels", id]) => match parse_id(id).and_then(|i| st.channels.get(&i)) {
            Some(c) => {
                let c = c.clone();
                Answer::ok(channel_json(st, &c))
            }
            None => unknown(10003, "Channel"),
        },
        ("PATCH", ["channels", id]) => crate::threads::modify(st, id, body),
        ("POST", ["channels", id, "threads"]) => crate::threads::create(st, id, body),
        ("PUT", ["channels", id, "thread-members", uid]) => crate::threads::add_member(st, id, uid),
        ("GET", ["guilds", g]) => match parse_id(g).and_then(|g| st.guilds.get(&g)) {
            Some(g) => Answer::ok(guild_json(g)),
            None => unknown(10004, "Guild"),
        },
        ("GET", ["guilds", g, "roles"]) => match parse_id(g).and_then(|g| st.guilds.get(&g)) {
            Some(g) => Answer::ok(Value::Array(
                g.guild.roles.iter().enumerate().map(|(i, r)| role_json(r, i)).collect(),
            )),
            None => unknown(10004, "Guild"),
        },
        ("GET", ["guilds", g, "channels"]) => match parse_id(g).filter(|g| st.guilds.contains_key(g)) {
            Some(g) => {
                let chans: Vec<FakeChannel> = st
                    .channels
                    .values()
                    .filter(|c| c.guild_id == Some(g) && !c.kind.is_thread())
                    .cloned()
                    .collect();
                Answer::ok(Value::Array(chans.iter().map(|c| channel_json(st, c)).collect()))
            }
            None => unknown(10004, "Guild"),
        },
        ("GET", ["guilds", g, "members", "search"]) => {
            let Some(g) = parse_id(g).and_then(|g| st.guilds.get(&g)) else {
                return unknown(10004, "Guild");
            };
            // Discord: members whose username or nickname starts with the query, ignoring case;
            // `limit` 1 (the default) to 1000. The spec check has refused other values already.
            let wanted = query
                .iter()
                .find(|(k, _)| k == "query")
                .map(|(_, v)| v.to_lowercase())
                .unwrap_or_default();
            let limit = query
                .iter()
                .find(|(k, _)| k == "limit")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(1);
            let found: Vec<Value> = g
                .members
                .values()
                .filter(|m| {
                    m.user.name.to_lowercase().starts_with(&wanted)
                        || m.nick.as_ref().is_some_and(|n| n.to_lowercase().starts_with(&wanted))
                })
                .take(limit)
                .map(|m| member_json(g, m, true, false))
                .collect();
            Answer::ok(Value::Array(found))
        }
        ("GET", ["guilds", g, "members", u]) => {
            let Some(g) = parse_id(g).and_then(|g| st.guilds.get(&g)) else {
                return unknown(10004, "Guild");
            };
            match parse_id(u).and_then(|u| g.members.get(&u)) {
                Some(m) => Answer::ok(member_json(g, m, true, false)),
                None => unknown(10007, "Member"),
            }
        }
        _ => Answer::error(404, 0, "404: Not Found"),
    }
}

fn set_commands(st: &mut State, guild: Option<u64>, body: &Value) -> Vec<Value> {
    let existing: Vec<Value> = match guild {
        None => st.commands_global.clone(),
        Some(g) => st.commands_guild.get(&g).cloned().unwrap_or_default(),
    };
    let mut out = Vec::new();
    for c in body.as_array().cloned().unwrap_or_default() {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
        let id = existing
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|e| e.get("id").cloned())
            .unwrap_or_else(|| json!(st.new_id().to_string()));
        let mut v = json!({
            "id": id,
            "application_id": st.app_id.to_string(),
            "version": st.new_id().to_string(),
            "default_member_permissions": c.get("default_member_permissions").cloned().unwrap_or(Value::Null),
            "type": kind,
            "name": name,
            "description": c.get("description").cloned().unwrap_or(json!("")),
            "dm_permission": c.get("dm_permission").cloned().unwrap_or(json!(true)),
            "nsfw": false,
        });
        if let Some(g) = guild {
            v["guild_id"] = json!(g.to_string());
        }
        for k in [
            "name_localizations",
            "description_localizations",
            "contexts",
            "integration_types",
        ] {
            if let Some(x) = c.get(k).filter(|x| !x.is_null()) {
                v[k] = x.clone();
            }
        }
        if let Some(opts) = c.get("options").and_then(Value::as_array) {
            v["options"] = Value::Array(opts.iter().map(option_response).collect());
        }
        out.push(v);
    }
    out
}

/// A command option as Discord returns it: only the fields of its type, no nulls or empty lists.
fn option_response(o: &Value) -> Value {
    let kind = o.get("type").and_then(Value::as_u64).unwrap_or(0);
    let mut keys = vec![
        "type",
        "name",
        "name_localizations",
        "description",
        "description_localizations",
        "required",
    ];
    match kind {
        3 => keys.extend(["autocomplete", "choices", "min_length", "max_length"]),
        4 | 10 => keys.extend(["autocomplete", "choices", "min_value", "max_value"]),
        7 => keys.push("channel_types"),
        _ => {}
    }
    let mut out = serde_json::Map::new();
    for k in keys {
        match o.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(Value::Bool(false)) if k == "required" && matches!(kind, 1 | 2) => {}
            Some(x) => {
                out.insert(k.to_string(), x.clone());
            }
        }
    }
    if matches!(kind, 1 | 2) {
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            if !sub.is_empty() {
                out.insert(
                    "options".into(),
                    Value::Array(sub.iter().map(option_response).collect()),
                );
            }
        }
    }
    Value::Object(out)
}

fn interaction_callback(
    shared: &Shared,
    st: &mut State,
    id: &str,
    token: &str,
    body: &Value,
    files: Vec<SentAttachmentIn>,
    arrived: std::time::Instant,
) -> Answer {
    let Some(iid) = parse_id(id).filter(|i| st.tokens.get(token) == Some(i)) else {
        return unknown(10062, "interaction");
    };
    let (late, answered, kind) = {
        let i = &st.interactions[&iid];
        (
            shared
                .config
                .interaction_deadline
                .is_some_and(|d| st.now().saturating_duration_since(i.created) > d),
            i.response.is_some(),
            i.kind,
        )
    };
    if answered {
        return Answer::error(400, 40060, "Interaction has already been acknowledged.");
    }
    if late {
        return unknown(10062, "interaction");
    }
    let rtype = body.get("type").and_then(Value::as_u64).unwrap_or(0) as u8;
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let allowed = match rtype {
        1 => false,
        4 | 5 => kind != 4,
        6 | 7 => kind == 3,
        8 => kind == 4,
        9 => kind == 2 || kind == 3,
        _ => false,
    };
    if !allowed {
        return Answer::error(400, 40043, "Interaction callback type not allowed for this interaction");
    }
    let (channel_id, source) = {
        let i = &st.interactions[&iid];
        (i.channel_id, i.source_message_id)
    };
    let original = match rtype {
        4 => Some(st.create_message(
            channel_id,
            st.app_id,
            &data,
            files,
            MessageSource::InteractionResponse { interaction_id: iid },
            0,
        )),
        5 => {
            let eph = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64;
            Some(st.create_message(
                channel_id,
                st.app_id,
                &json!({ "flags": eph }),
                files,
                MessageSource::InteractionResponse { interaction_id: iid },
                128,
            ))
        }
        6 => source,
        7 => {
            if let Some(s) = source {
                st.edit_message(s, &data, files);
            }
            source
        }
        _ => None,
    };
    let i = st.interactions.get_mut(&iid).expect("exists");
    i.original_message_id = original;
    i.response = Some(InteractionResponse { kind: rtype, data });
    i.responded = Some(arrived);
    Answer::no_content()
}

fn create_channel_message(
    shared: &Shared,
    st: &mut State,
    id: &str,
    body: &Value,
    files: Vec<SentAttachmentIn>,
) -> Answer {
    let Some(channel) = parse_id(id).and_then(|i| st.channels.get(&i)).cloned() else {
        return unknown(10003, "Channel");
    };
    if channel.kind == ChannelKind::Dm && channel.recipient_id.is_some_and(|u| st.dms_closed.contains(&u)) {
        return Answer::error(403, 50007, "Cannot send messages to this user");
    }
    if channel.kind == ChannelKind::Category {
        return Answer::error(400, 50008, "Cannot send messages in a non-text channel");
    }
    let empty = body
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
        && body
            .get("embeds")
            .and_then(Value::as_array)
            .is_none_or(|e| e.is_empty())
        && body
            .get("components")
            .and_then(Value::as_array)
            .is_none_or(|e| e.is_empty())
        && body
            .get("sticker_ids")
            .and_then(Value::as_array)
            .is_none_or(|e| e.is_empty())
        && body.get("poll").is_none_or(Value::is_null)
        && files.is_empty();
    if empty {
        return Answer::error(400, 50006, "Cannot send an empty message");
    }
    crate::threads::unarchive_for_message(st, channel.id);
    let author = st.bot.id;
    let nonce = body.get("nonce").and_then(|n| match n {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let enforce = body.get("enforce_nonce").and_then(Value::as_bool) == Some(true);
    let ttl = shared.config.nonce_ttl;
    let now = st.now();
    st.nonces.retain(|_, (_, at)| now.saturating_duration_since(*at) < ttl);
    if let (Some(n), true) = (&nonce, enforce) {
        if let Some((mid, _)) = st.nonces.get(&(author, n.clone())) {
            if let Some(m) = st.message(*mid) {
                return Answer::ok(message_json(st, m));
            }
        }
    }
    let mid = st.create_message(channel.id, author, body, files, MessageSource::Channel, 0);
    if let Some(n) = nonce {
        st.nonces.insert((author, n), (mid, now));
    }
    let m = st.message(mid).expect("just created");
    Answer::ok(message_json(st, m))
}

/// `GET /channels/{id}/messages`: the channel's messages, newest first, `limit` of them (default
/// 50, 1 to 100; the spec has already refused others), before or after a message id as asked.
/// `around` is not implemented (a violation says so).
fn list_channel_messages(st: &State, id: &str, query: &[(String, String)]) -> Answer {
    let Some(cid) = parse_id(id).filter(|c| st.channels.contains_key(c)) else {
        return unknown(10003, "Channel");
    };
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if param("around").is_some() {
        return Answer::error(400, 0, "the stand-in does not implement around");
    }
    let limit = param("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let before = param("before").and_then(|v| v.parse::<u64>().ok());
    let after = param("after").and_then(|v| v.parse::<u64>().ok());
    let mut found: Vec<&crate::model::SentMessage> = st
        .messages
        .iter()
        .filter(|m| m.channel_id == cid && !m.deleted && !m.is_ephemeral())
        .filter(|m| before.is_none_or(|b| m.id < b) && after.is_none_or(|a| m.id > a))
        .collect();
    found.sort_by_key(|m| std::cmp::Reverse(m.id));
    if after.is_some() {
        // Discord answers the ones just after `after`, still newest first.
        let n = found.len();
        found.drain(..n.saturating_sub(limit));
    } else {
        found.truncate(limit);
    }
    // Discord gives a message's nonce only in the answer to its creation (and the gateway's
    // MESSAGE_CREATE), never when messages are read back: a read-back cannot lean on it.
    let listed = found.into_iter().map(|m| {
        let mut v = message_json(st, m);
        if let Some(o) = v.as_object_mut() {
            o.remove("nonce");
        }
        v
    });
    Answer::ok(Value::Array(listed.collect()))
}

/// Default time a nonce is remembered.
pub const DEFAULT_NONCE_TTL: Duration = Duration::from_secs(300);
