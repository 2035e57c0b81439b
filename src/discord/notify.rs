//! Every DM the bot sends goes through here. A person whose DMs are closed (Discord error
//! 50007) gets the message in their relationship's thread with a mention instead, and is
//! remembered as not reachable by DM; other failures are retried with backoff.
//!
//! Every request here waits for a slot of the [`Pacer`], so a burst of reminders stays under
//! Discord's limits, and each person's DM channel is kept in the database, so a DM costs one
//! request (the message) and not two, also after a restart.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{
    async_trait, ChannelId, CreateMessage, EventHandler, Http, HttpError, RatelimitInfo, Route, UserId as SUserId,
};
use tracing::{info, warn};

use super::pacer::{Limit, Pacer};
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::engine::Engine;
use crate::metrics::Metrics;

/// Discord's JSON error code for "Cannot send messages to this user".
pub const DMS_CLOSED: isize = 50007;
/// "Unknown Channel": a DM channel kept from before that Discord no longer knows.
const UNKNOWN_CHANNEL: isize = 10003;
const ATTEMPTS: u32 = 4;
/// Posting in one channel: 5 per 5 s, the limit Discord is known to apply, until its headers
/// say otherwise.
const CHANNEL_MESSAGES: Limit = Limit::new(5, Duration::from_secs(5));
/// Opening a DM channel: Discord does not document it; a cautious guess until the headers of
/// the first answer tell the real one.
const OPEN_DM: Limit = Limit::new(5, Duration::from_secs(5));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Dm,
    /// Posted in the relationship's thread with a mention.
    Thread,
    /// Neither a DM nor a thread could take it.
    Undelivered,
}

/// Where a message went: its channel and Discord's id for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentMessage {
    pub channel: u64,
    pub message: u64,
}

pub struct Notifier {
    http: Arc<Http>,
    engine: Engine,
    pacer: Arc<Pacer>,
    dm_channels: Mutex<HashMap<UserId, ChannelId>>,
    metrics: Arc<Metrics>,
}

fn discord_code(e: &serenity::Error) -> Option<(u16, isize)> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => Some((r.status_code.as_u16(), r.error.code)),
        _ => None,
    }
}

/// Worth another try: server errors and failures that never reached Discord.
pub fn is_temporary(e: &serenity::Error) -> bool {
    match discord_code(e) {
        Some((status, _)) => status >= 500 || status == 429,
        None => matches!(e, serenity::Error::Http(_)),
    }
}

/// A message without a nonce gets one of its own, with `enforce_nonce`, so the retries of this
/// call (seconds apart, well within the minutes Discord keeps nonces) cannot post it twice. Job
/// messages bring their own, stable across the job's attempts.
pub fn ensure_nonce(message: CreateMessage) -> CreateMessage {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if has_enforced_nonce(&message) {
        return message;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 2_176_782_336; // 36^6
                                                                     // At most 1 + 13 + 1 + 6 = 21 characters (Discord allows 25).
    let nonce = format!("n{}.{}", base36(nanos ^ u64::from(std::process::id())), base36(n));
    message.nonce(serenity::all::Nonce::String(nonce)).enforce_nonce(true)
}

fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii digits")
}

/// The text of a message to send.
pub fn content_of(message: &CreateMessage) -> String {
    serde_json::to_value(message)
        .ok()
        .and_then(|v| v.get("content").and_then(|c| c.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// A 429: Discord refused the request without doing anything.
fn is_rate_limited(e: &serenity::Error) -> bool {
    discord_code(e).is_some_and(|(status, _)| status == 429)
}

/// Whether Discord will refuse a second copy of this message (a nonce with `enforce_nonce`).
pub fn has_enforced_nonce(message: &CreateMessage) -> bool {
    serde_json::to_value(message).is_ok_and(|v| {
        v.get("enforce_nonce").and_then(serde_json::Value::as_bool) == Some(true)
            && v.get("nonce").is_some_and(|n| !n.is_null())
    })
}

impl Notifier {
    /// A notifier with a pacer of its own at Discord's global limit of 50 requests per second.
    pub fn new(http: Arc<Http>, engine: Engine) -> Self {
        Self::with_pacer(http, engine, Arc::new(Pacer::new(Limit::per_second(50))))
    }

    /// A notifier sharing `pacer` with every other sender of the process.
    pub fn with_pacer(http: Arc<Http>, engine: Engine, pacer: Arc<Pacer>) -> Self {
        Self {
            http,
            engine,
            pacer,
            dm_channels: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
        }
    }

    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    /// Sends one request to `route` in a slot of the pacer, then tells the pacer the limit
    /// Discord's headers gave for the route (serenity keeps them per route).
    async fn paced<T, F, Fut>(&self, route: Route<'_>, default: Limit, send: F) -> Result<T, serenity::Error>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let key = bucket_key(&route);
        let asked = tokio::time::Instant::now();
        let slot = self.pacer.acquire(&key, Some(default)).await;
        let waited = asked.elapsed();
        // Waiting for our own pacing is waiting for Discord's limit, before a 429 instead of after.
        if waited > Duration::from_millis(1) {
            self.metrics.rate_limit_wait(waited);
        }
        let result = send().await;
        self.pacer.complete(&key, slot, tokio::time::Instant::now());
        self.learn(&key, &route);
        result
    }

    /// Sends a request that only Discord's global limit (and its own bucket, learned from 429s)
    /// holds: thread creation, guild reads.
    pub async fn paced_other<T, Fut>(&self, key: &str, send: Fut) -> Result<T, serenity::Error>
    where
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let slot = self.pacer.acquire(key, None).await;
        let result = send.await;
        self.pacer.complete(key, slot, tokio::time::Instant::now());
        result
    }

    fn learn(&self, key: &str, route: &Route<'_>) {
        let Some(limiter) = &self.http.ratelimiter else { return };
        let routes = limiter.routes();
        // Never wait here: serenity holds a route's lock while it sleeps before a request.
        let Ok(map) = routes.try_read() else { return };
        let Some(entry) = map.get(&route.ratelimiting_bucket()) else {
            return;
        };
        let Ok(rl) = entry.try_lock() else { return };
        // Only the answer that opened a window tells the window's length: its time left is the
        // whole window. serenity counts `remaining` down before each request it lets go, so a
        // value of one below the limit is that answer's, read before any other took its place.
        let (limit, remaining) = (rl.limit(), rl.remaining());
        if let (Ok(requests), Some(reset_after)) = (u32::try_from(limit), rl.reset_after()) {
            if remaining == limit - 1 {
                self.pacer.learn(key, requests, reset_after);
            }
        }
    }

    fn remembered(&self, user: UserId) -> Option<ChannelId> {
        self.dm_channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user)
            .copied()
    }

    fn remember(&self, user: UserId, channel: ChannelId) {
        self.dm_channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user, channel);
    }

    async fn dm_channel(&self, user: UserId) -> Result<ChannelId, serenity::Error> {
        if let Some(c) = self.remembered(user) {
            return Ok(c);
        }
        match self.engine.store().dm_channel(user).await {
            Ok(Some(c)) => {
                let channel = ChannelId::new(c);
                self.remember(user, channel);
                return Ok(channel);
            }
            Ok(None) => {}
            Err(e) => warn!(user = user.0, error = %e, "could not read the DM channel; opening one"),
        }
        let channel = self
            .paced(Route::UserMeDmChannels, OPEN_DM, || {
                SUserId::new(user.0).create_dm_channel(&self.http)
            })
            .await?
            .id;
        if let Err(e) = self.engine.store().set_dm_channel(user, channel.get()).await {
            warn!(user = user.0, error = %e, "could not keep the DM channel");
        }
        self.remember(user, channel);
        Ok(channel)
    }

    async fn forget_dm_channel(&self, user: UserId) {
        self.dm_channels.lock().unwrap_or_else(|e| e.into_inner()).remove(&user);
        if let Err(e) = self.engine.store().forget_dm_channel(user).await {
            warn!(user = user.0, error = %e, "could not forget the DM channel");
        }
    }

    async fn send(&self, channel: ChannelId, message: CreateMessage) -> Result<SentMessage, serenity::Error> {
        let sent = self
            .paced(Route::ChannelMessages { channel_id: channel }, CHANNEL_MESSAGES, || {
                channel.send_message(&self.http, message)
            })
            .await?;
        Ok(SentMessage {
            channel: sent.channel_id.get(),
            message: sent.id.get(),
        })
    }

    async fn send_dm(&self, user: UserId, message: CreateMessage) -> Result<SentMessage, serenity::Error> {
        let channel = self.dm_channel(user).await?;
        match self.send(channel, message.clone()).await {
            Err(e) if discord_code(&e).map(|c| c.1) == Some(UNKNOWN_CHANNEL) => {
                info!(user = user.0, "the kept DM channel is gone; opening a new one");
                self.forget_dm_channel(user).await;
                let channel = self.dm_channel(user).await?;
                self.send(channel, message).await
            }
            other => other,
        }
    }

    /// Tries `f` again after a temporary failure. A message without an enforced nonce (there is
    /// none: [`ensure_nonce`] gives every message one) would be tried again only after a 429
    /// (Discord did not take it): after a timeout or a 5xx it may have arrived.
    async fn with_retries<T, F, Fut>(&self, what: &str, message: &CreateMessage, mut f: F) -> Result<T, serenity::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let repeatable = has_enforced_nonce(message);
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if attempt < ATTEMPTS && is_temporary(&e) && (repeatable || is_rate_limited(&e)) => {
                    warn!(what, attempt, error = %e, "temporary Discord failure; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends a DM; falls back to the relationship's thread when DMs are closed. Every message
    /// carries a nonce (its job's, or one of its own), so retries post nothing twice. Someone whose
    /// DMs were closed before gets the thread at once (see [`Notifier::dm_always`]).
    pub async fn dm(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> Delivery {
        self.deliver(guild, rel, user, message, false).await.0
    }

    /// A DM that is tried even to someone whose DMs were closed before: what they asked for
    /// (an export, their data) and invitations, which have no thread to fall back to. A DM that
    /// gets through makes them reachable again.
    pub async fn dm_always(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> Delivery {
        self.deliver(guild, rel, user, message, true).await.0
    }

    /// [`Notifier::dm`], also saying where the message went (when it was delivered).
    pub async fn dm_sent(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> (Delivery, Option<SentMessage>) {
        self.deliver(guild, rel, user, message, false).await
    }

    /// [`Notifier::dm_always`], also saying where the message went (when it was delivered).
    pub async fn dm_always_sent(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> (Delivery, Option<SentMessage>) {
        self.deliver(guild, rel, user, message, true).await
    }

    async fn deliver(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
        always: bool,
    ) -> (Delivery, Option<SentMessage>) {
        let message = ensure_nonce(message);
        let reachable = match self.engine.profile(guild, user).await {
            Ok(Some(p)) => p.dm_reachable,
            _ => true,
        };
        if reachable || always {
            let sent = self
                .with_retries("dm", &message, || self.send_dm(user, message.clone()))
                .await;
            match sent {
                Ok(m) => {
                    self.metrics.dm_sent();
                    if !reachable {
                        info!(user = user.0, "DMs open again");
                        if let Err(e) = self.engine.mark_reachable_by_dm(guild, user).await {
                            warn!(error = %e, "could not record that DMs are open again");
                        }
                    }
                    return (Delivery::Dm, Some(m));
                }
                Err(e) if discord_code(&e).map(|c| c.1) == Some(DMS_CLOSED) => {
                    self.metrics.dm_failed();
                    info!(user = user.0, "DMs closed; using the thread instead");
                    if let Err(e) = self.engine.mark_unreachable_by_dm(guild, user).await {
                        warn!(error = %e, "could not record that DMs are closed");
                    }
                }
                Err(e) => {
                    self.metrics.dm_failed();
                    warn!(user = user.0, error = %e, "DM failed");
                }
            }
        }
        let (delivery, sent) = self.to_thread(guild, rel, user, message).await;
        self.metrics.delivery(delivery == Delivery::Thread);
        (delivery, sent)
    }

    async fn to_thread(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> (Delivery, Option<SentMessage>) {
        let Some(rel) = rel else {
            return (Delivery::Undelivered, None);
        };
        let thread = match self.engine.thread_of(guild, rel).await {
            Ok(Some(t)) => ChannelId::new(t),
            _ => return (Delivery::Undelivered, None),
        };
        let content = self.content_of(&message);
        let message = super::limits::in_thread_for(message, &content, user);
        match self
            .with_retries("thread", &message, || self.send(thread, message.clone()))
            .await
        {
            Ok(m) => (Delivery::Thread, Some(m)),
            Err(e) => {
                warn!(error = %e, "posting in the thread failed too");
                (Delivery::Undelivered, None)
            }
        }
    }

    fn content_of(&self, message: &CreateMessage) -> String {
        content_of(message)
    }

    /// The DM channel kept for `user`, without opening one (a DM never sent has none).
    pub async fn known_dm_channel(&self, user: UserId) -> Option<u64> {
        if let Some(c) = self.remembered(user) {
            return Some(c.get());
        }
        self.engine.store().dm_channel(user).await.ok().flatten()
    }

    /// Reads the channel's recent messages back (`GET /channels/{id}/messages`) and finds the one
    /// the bot posted with `marker` (see [`super::marker`]): a message that may have been sent by
    /// an attempt that crashed before it was recorded, once Discord no longer knows its nonce.
    /// A message without the marker (sent before markers existed) is recognised by `content`
    /// (or `content` after a mention, as in a thread), if newer than `after`.
    pub async fn read_back(
        &self,
        channel: u64,
        after: Option<u64>,
        marker: &str,
        content: &str,
    ) -> Result<Option<SentMessage>, serenity::Error> {
        let id = ChannelId::new(channel);
        // The newest hundred (Discord's most): a retry comes within hours, and a person's DM
        // channel or a mentorship's thread gets far fewer messages from the bot in that time.
        let query = serenity::all::GetMessages::new().limit(100);
        let recent = self
            .paced(Route::ChannelMessages { channel_id: id }, CHANNEL_MESSAGES, || {
                id.messages(&self.http, query)
            })
            .await?;
        let ours = || recent.iter().filter(|m| m.author.bot);
        let found = ours().find(|m| super::marker::carries(m, marker)).or_else(|| {
            ours()
                .filter(|m| after.is_none_or(|a| m.id.get() > a))
                .find(|m| m.content == content || (!content.is_empty() && m.content.ends_with(&format!("> {content}"))))
        });
        Ok(found.map(|m| SentMessage {
            channel,
            message: m.id.get(),
        }))
    }

    /// Posts in a channel (a thread, the program channel).
    pub async fn post(&self, channel: u64, message: CreateMessage) -> Result<(), serenity::Error> {
        self.post_sent(channel, message).await.map(|_| ())
    }

    /// [`Notifier::post`], saying where the message went.
    pub async fn post_sent(&self, channel: u64, message: CreateMessage) -> Result<SentMessage, serenity::Error> {
        let message = ensure_nonce(message);
        self.with_retries("post", &message, || self.send(ChannelId::new(channel), message.clone()))
            .await
    }

    pub fn http(&self) -> &Arc<Http> {
        &self.http
    }
}

/// The pacer's name for a route's bucket: its path, as serenity's limiter splits buckets (by
/// route and channel) and as serenity reports 429s.
fn bucket_key(route: &Route<'_>) -> String {
    route.path().into_owned()
}

/// serenity announces a wait: after a 429 it sleeps for `info.timeout`, then sends the request
/// again by itself. Nothing else goes to the bucket (to anything, after a global 429) until
/// then, and the retry's slot is taken in the pacer, so it counts against the limits as every
/// other request does. (A wait before a request whose bucket serenity thinks empty is
/// announced the same way; its slot is taken twice then, which only costs a little pace.)
pub fn pause_for(pacer: &Pacer, info: &RatelimitInfo) {
    let until = tokio::time::Instant::now() + info.timeout;
    let bucket = (!info.global).then_some(info.path.as_str());
    pacer.pause(bucket, until);
    pacer.expect_retry(bucket, until);
}

/// Tells the pacer about every wait serenity's limiter announces (a 429 above all), so the
/// other senders of that bucket, or all senders after a global 429, hold back too. For an
/// `Http` used without a serenity `Client` (a `Client` replaces this callback with its event
/// handlers; see [`RateLimitRelay`]).
pub fn relay_rate_limits(http: &mut Http, pacer: Arc<Pacer>) {
    if let Some(limiter) = http.ratelimiter.as_mut() {
        limiter.set_ratelimit_callback(Box::new(move |info| pause_for(&pacer, &info)));
    }
}

/// [`relay_rate_limits`] for the bot's `Client`, as an event handler.
pub struct RateLimitRelay(pub Arc<Pacer>);

#[async_trait]
impl EventHandler for RateLimitRelay {
    async fn ratelimit(&self, info: RatelimitInfo) {
        pause_for(&self.0, &info);
    }
}

impl Notifier {
    /// Counts what is sent in `metrics` (the app's) instead of a private set.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce_of(m: &CreateMessage) -> Option<String> {
        let v = serde_json::to_value(m).unwrap();
        v.get("nonce").and_then(|n| n.as_str()).map(str::to_string)
    }

    #[test]
    fn every_message_gets_a_short_distinct_nonce_and_keeps_its_own() {
        let a = ensure_nonce(crate::discord::limits::dm("a"));
        let b = ensure_nonce(crate::discord::limits::dm("a"));
        assert!(has_enforced_nonce(&a) && has_enforced_nonce(&b));
        let (na, nb) = (nonce_of(&a).unwrap(), nonce_of(&b).unwrap());
        assert_ne!(na, nb);
        assert!(na.len() <= 25, "{na}");
        let own = crate::discord::limits::dm("job")
            .nonce(serenity::all::Nonce::String("mbj16.x".into()))
            .enforce_nonce(true);
        assert_eq!(nonce_of(&ensure_nonce(own)).as_deref(), Some("mbj16.x"));
        assert!(!has_enforced_nonce(&crate::discord::limits::dm("none")));
    }
}
