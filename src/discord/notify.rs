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

    async fn send(&self, channel: ChannelId, message: CreateMessage) -> Result<(), serenity::Error> {
        self.paced(Route::ChannelMessages { channel_id: channel }, CHANNEL_MESSAGES, || {
            channel.send_message(&self.http, message)
        })
        .await?;
        Ok(())
    }

    async fn send_dm(&self, user: UserId, message: CreateMessage) -> Result<(), serenity::Error> {
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

    async fn with_retries<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T, serenity::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if attempt < ATTEMPTS && is_temporary(&e) => {
                    warn!(what, attempt, error = %e, "temporary Discord failure; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends a DM; falls back to the relationship's thread when DMs are closed. Someone whose DMs
    /// were closed before gets the thread at once (see [`Notifier::dm_always`]).
    pub async fn dm(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> Delivery {
        self.deliver(guild, rel, user, message, false).await
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
        self.deliver(guild, rel, user, message, true).await
    }

    async fn deliver(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
        always: bool,
    ) -> Delivery {
        let reachable = match self.engine.profile(guild, user).await {
            Ok(Some(p)) => p.dm_reachable,
            _ => true,
        };
        if reachable || always {
            let sent = self.with_retries("dm", || self.send_dm(user, message.clone())).await;
            match sent {
                Ok(_) => {
                    self.metrics.dm_sent();
                    if !reachable {
                        info!(user = user.0, "DMs open again");
                        if let Err(e) = self.engine.mark_reachable_by_dm(guild, user).await {
                            warn!(error = %e, "could not record that DMs are open again");
                        }
                    }
                    return Delivery::Dm;
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
        let delivery = self.to_thread(guild, rel, user, message).await;
        self.metrics.delivery(delivery == Delivery::Thread);
        delivery
    }

    async fn to_thread(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> Delivery {
        let Some(rel) = rel else { return Delivery::Undelivered };
        let thread = match self.engine.thread_of(guild, rel).await {
            Ok(Some(t)) => ChannelId::new(t),
            _ => return Delivery::Undelivered,
        };
        let content = self.content_of(&message);
        let message = super::limits::in_thread_for(message, &content, user);
        match self.with_retries("thread", || self.send(thread, message.clone())).await {
            Ok(_) => Delivery::Thread,
            Err(e) => {
                warn!(error = %e, "posting in the thread failed too");
                Delivery::Undelivered
            }
        }
    }

    fn content_of(&self, message: &CreateMessage) -> String {
        serde_json::to_value(message)
            .ok()
            .and_then(|v| v.get("content").and_then(|c| c.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    /// Posts in a channel (a thread, the program channel).
    pub async fn post(&self, channel: u64, message: CreateMessage) -> Result<(), serenity::Error> {
        self.with_retries("post", || self.send(ChannelId::new(channel), message.clone()))
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

fn pause_for(pacer: &Pacer, info: &RatelimitInfo) {
    let until = tokio::time::Instant::now() + info.timeout;
    if info.global {
        pacer.pause(None, until);
    } else {
        pacer.pause(Some(&info.path), until);
    }
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
