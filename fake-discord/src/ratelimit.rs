//! Discord-like rate limits: a global limit and per-route buckets (fixed windows), answered with
//! real `X-RateLimit-*` headers and 429s.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A limit of `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Length of the window.
    pub window: Duration,
}

impl Limit {
    /// `limit` requests per `window`.
    pub const fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window }
    }
}

/// Overrides the default route limit for requests whose path (after `/api/v10`) starts with
/// `path_prefix` (or, for a rule made with [`BucketRule::route`], matches its pattern) and, if
/// set, whose method is `method`. The first matching rule wins. Buckets stay per method, route
/// and major parameter (channel, guild, webhook).
#[derive(Debug, Clone)]
pub struct BucketRule {
    /// `GET`, `POST`, ... or `None` for any.
    pub method: Option<String>,
    /// E.g. `/channels/` or `/users/@me/channels`.
    pub path_prefix: String,
    /// A route pattern whose `{...}` segments match any segment, e.g.
    /// `/channels/{channel_id}/messages`; when set, it is matched instead of the prefix.
    pub pattern: Option<String>,
    /// The bucket's limit.
    pub limit: Limit,
}

impl BucketRule {
    /// A rule for `method` (or any method with `None`) and a path prefix.
    pub fn new(method: Option<&str>, path_prefix: &str, limit: u32, window: Duration) -> Self {
        Self {
            method: method.map(str::to_ascii_uppercase),
            path_prefix: path_prefix.to_string(),
            pattern: None,
            limit: Limit::new(limit, window),
        }
    }

    /// A rule for `method` and a whole route pattern (`{...}` matches one segment).
    pub fn route(method: Option<&str>, pattern: &str, limit: u32, window: Duration) -> Self {
        Self {
            pattern: Some(pattern.to_string()),
            ..Self::new(method, "", limit, window)
        }
    }

    /// Discord's buckets closer than the default route limit: creating messages in one
    /// channel 5 per 5 s (per channel: the channel is the major parameter), and opening DM
    /// channels a bucket of its own, 10 per second (Discord does not document its value; the
    /// `dm_burst` benchmark assumes this one).
    pub fn discord_defaults() -> Vec<BucketRule> {
        vec![
            BucketRule::route(
                Some("POST"),
                "/channels/{channel_id}/messages",
                5,
                Duration::from_secs(5),
            ),
            BucketRule::route(Some("POST"), "/users/@me/channels", 10, Duration::from_secs(1)),
        ]
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if !self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method)) {
            return false;
        }
        match &self.pattern {
            None => path.starts_with(&self.path_prefix),
            Some(p) => {
                let want: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
                let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                want.len() == got.len()
                    && want
                        .iter()
                        .zip(&got)
                        .all(|(w, g)| (w.starts_with('{') && w.ends_with('}')) || w == g)
            }
        }
    }
}

#[derive(Debug)]
struct Window {
    limit: Limit,
    started: Instant,
    started_unix: f64,
    used: u32,
}

impl Window {
    fn new(limit: Limit) -> Self {
        Self {
            limit,
            started: Instant::now(),
            started_unix: unix_now(),
            used: 0,
        }
    }

    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.started) >= self.limit.window {
            self.started = now;
            self.started_unix = unix_now();
            self.used = 0;
        }
    }

    fn reset_after(&self, now: Instant) -> f64 {
        (self.limit.window.saturating_sub(now.duration_since(self.started))).as_secs_f64()
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// What a request gets from the limiter.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Allowed; the headers to add (empty for routes outside any bucket).
    Allowed(Vec<(String, String)>),
    /// Rate limited: status 429 with these headers and body.
    Limited {
        /// Headers of the 429.
        headers: Vec<(String, String)>,
        /// `{"message", "retry_after", "global", "code"}`.
        body: serde_json::Value,
        /// Whether it was the global limit.
        global: bool,
    },
}

/// The limiter's state.
#[derive(Debug)]
pub struct RateLimiter {
    global_limit: Limit,
    route_limit: Limit,
    rules: Vec<BucketRule>,
    global: Window,
    buckets: HashMap<String, Window>,
    /// 429 answers given, global ones included.
    pub count_429: u64,
    /// Global 429 answers given.
    pub count_global_429: u64,
}

fn fmt_secs(s: f64) -> String {
    format!("{:.3}", s.max(0.001))
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(global_limit: Limit, route_limit: Limit, rules: Vec<BucketRule>) -> Self {
        Self {
            global_limit,
            route_limit,
            rules,
            global: Window::new(global_limit),
            buckets: HashMap::new(),
            count_429: 0,
            count_global_429: 0,
        }
    }

    /// Checks and counts one request. `route` is the spec template (or the path when unknown),
    /// `major` the values of the major parameters (channel, guild, webhook) that split buckets.
    pub fn check(&mut self, method: &str, path: &str, route: &str, major: &str) -> Verdict {
        let now = Instant::now();
        // Interaction endpoints are not bound to the global limit.
        let exempt_global = path.starts_with("/interactions/") || path.starts_with("/webhooks/");
        if !exempt_global {
            self.global.roll(now);
            if self.global.used >= self.global_limit.limit {
                let retry = self.global.reset_after(now);
                self.count_429 += 1;
                self.count_global_429 += 1;
                return Verdict::Limited {
                    headers: vec![
                        ("Retry-After".into(), fmt_secs(retry)),
                        ("X-RateLimit-Global".into(), "true".into()),
                        ("X-RateLimit-Scope".into(), "global".into()),
                    ],
                    body: serde_json::json!({
                        "message": "You are being rate limited.",
                        "retry_after": (retry * 1000.0).ceil() / 1000.0,
                        "global": true,
                        "code": 0,
                    }),
                    global: true,
                };
            }
            self.global.used += 1;
        }
        let limit = self
            .rules
            .iter()
            .find(|r| r.matches(method, path))
            .map(|r| r.limit)
            .unwrap_or(self.route_limit);
        let bucket_hash = bucket_hash(method, route);
        let key = format!("{bucket_hash}:{major}");
        let w = self.buckets.entry(key).or_insert_with(|| Window::new(limit));
        w.limit = limit;
        w.roll(now);
        let reset_after = w.reset_after(now);
        let reset_at = w.started_unix + limit.window.as_secs_f64();
        let mut headers = vec![
            ("X-RateLimit-Limit".to_string(), limit.limit.to_string()),
            ("X-RateLimit-Reset".to_string(), format!("{reset_at:.3}")),
            ("X-RateLimit-Reset-After".to_string(), fmt_secs(reset_after)),
            ("X-RateLimit-Bucket".to_string(), bucket_hash),
        ];
        if w.used >= limit.limit {
            self.count_429 += 1;
            headers.push(("X-RateLimit-Remaining".into(), "0".into()));
            headers.push(("Retry-After".into(), fmt_secs(reset_after)));
            headers.push(("X-RateLimit-Scope".into(), "user".into()));
            return Verdict::Limited {
                headers,
                body: serde_json::json!({
                    "message": "You are being rate limited.",
                    "retry_after": (reset_after * 1000.0).ceil() / 1000.0,
                    "global": false,
                    "code": 0,
                }),
                global: false,
            };
        }
        w.used += 1;
        headers.push(("X-RateLimit-Remaining".into(), (limit.limit - w.used).to_string()));
        Verdict::Allowed(headers)
    }
}

/// A stable opaque bucket id per method and route, like Discord's hashes.
fn bucket_hash(method: &str, route: &str) -> String {
    // FNV-1a, printed as hex.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in method.bytes().chain(route.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}
