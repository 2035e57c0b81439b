//! Every DM the bot sends goes through here. A person whose DMs are closed (Discord error
//! 50007) gets the message in their relationship's thread with a mention instead, and is
//! remembered as not reachable by DM; other failures are retried with backoff.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ChannelId, CreateMessage, Http, HttpError, UserId as SUserId};
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::engine::Engine;
use crate::metrics::Metrics;

/// Discord's JSON error code for "Cannot send messages to this user".
pub const DMS_CLOSED: isize = 50007;
const ATTEMPTS: u32 = 4;

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
fn is_temporary(e: &serenity::Error) -> bool {
    match discord_code(e) {
        Some((status, _)) => status >= 500 || status == 429,
        None => matches!(e, serenity::Error::Http(_)),
    }
}

impl Notifier {
    pub fn new(http: Arc<Http>, engine: Engine) -> Self {
        Self {
            http,
            engine,
            dm_channels: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
        }
    }

    async fn dm_channel(&self, user: UserId) -> Result<ChannelId, serenity::Error> {
        if let Some(c) = self.dm_channels.lock().await.get(&user) {
            return Ok(*c);
        }
        let channel = SUserId::new(user.0).create_dm_channel(&self.http).await?.id;
        self.dm_channels.lock().await.insert(user, channel);
        Ok(channel)
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

    /// Sends a DM; falls back to the relationship's thread when DMs are closed.
    pub async fn dm(
        &self,
        guild: GuildId,
        rel: Option<RelationshipId>,
        user: UserId,
        message: CreateMessage,
    ) -> Delivery {
        let reachable = match self.engine.profile(guild, user).await {
            Ok(Some(p)) => p.dm_reachable,
            _ => true,
        };
        if reachable {
            let sent = self
                .with_retries("dm", || async {
                    let channel = self.dm_channel(user).await?;
                    channel.send_message(&self.http, message.clone()).await
                })
                .await;
            match sent {
                Ok(_) => {
                    self.metrics.dm_sent();
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
        let message = message.content(format!("<@{}> {content}", user.0));
        match self
            .with_retries("thread", || thread.send_message(&self.http, message.clone()))
            .await
        {
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
        self.with_retries("post", || {
            ChannelId::new(channel).send_message(&self.http, message.clone())
        })
        .await?;
        Ok(())
    }

    pub fn http(&self) -> &Arc<Http> {
        &self.http
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
