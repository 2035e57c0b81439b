//! The Discord edge: the only module that knows serenity and poise.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serenity::all::{ClientBuilder, FullEvent, GatewayIntents, HttpBuilder, ShardManager};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::app::App;
use crate::domain::ids::{GuildId, UserId};

pub mod bot;
pub mod commands;
pub mod ids;
pub mod interactions;
pub mod notify;
pub mod pacer;
pub mod render;
pub mod reply;

use bot::Bot;
use reply::{BotError, Data};

/// How the bot reaches Discord. Production uses the defaults; tests hand in the stand-in's client.
#[derive(Default)]
pub struct DiscordOptions {
    /// The HTTP client for Discord's REST API (the stand-in's, in tests).
    pub http_client: Option<reqwest::Client>,
    /// Run the periodic sweeps (expired proposals). Tests call them by hand with a moved clock.
    pub background_sweeps: bool,
}

impl DiscordOptions {
    pub fn production() -> Self {
        Self {
            http_client: None,
            background_sweeps: true,
        }
    }
}

/// A running bot.
pub struct BotHandle {
    bot: Arc<OnceCell<Arc<Bot>>>,
    shard_manager: Arc<ShardManager>,
    task: JoinHandle<Result<(), serenity::Error>>,
}

impl BotHandle {
    /// The bot's state, once it has connected.
    pub async fn bot(&self) -> Arc<Bot> {
        loop {
            if let Some(b) = self.bot.get() {
                return b.clone();
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn shutdown(self) {
        self.shard_manager.shutdown_all().await;
        let _ = self.task.await;
    }

    /// Waits until the client stops (production).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task
            .await
            .context("the Discord client task panicked")?
            .context("the Discord client stopped")
    }
}

async fn event_handler(
    framework: poise::FrameworkContext<'_, Data, BotError>,
    event: &FullEvent,
) -> Result<(), BotError> {
    let (ctx, data) = (framework.serenity_context, framework.user_data);
    match event {
        FullEvent::InteractionCreate { interaction } => interactions::handle(ctx, data, interaction).await,
        FullEvent::GuildMemberRemoval { guild_id, user, .. } => {
            data.on_member_left(GuildId(guild_id.get()), UserId(user.id.get()))
                .await
        }
        _ => {}
    }
    Ok(())
}

/// Connects to Discord, registers the commands and serves until shut down.
pub async fn start(app: &App, options: DiscordOptions) -> anyhow::Result<BotHandle> {
    let token = app.settings.require_token()?.expose().to_string();
    let mut http = HttpBuilder::new(&token);
    if let Some(client) = options.http_client {
        http = http.client(client);
    }
    let engine = app.engine.clone();
    // One pacer for every request the notifier sends, whatever task sends it.
    let pacer = Arc::new(pacer::Pacer::new(pacer::Limit::per_second(
        app.settings.discord.global_rate_limit,
    )));
    let pacer_for_setup = pacer.clone();
    let dev_guild = app.settings.discord.dev_guild_id;
    let cell: Arc<OnceCell<Arc<Bot>>> = Arc::new(OnceCell::new());
    let cell_for_setup = cell.clone();
    let sweeps = options.background_sweeps;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |e| Box::pin(reply::on_error(e)),
            event_handler: |framework, event| Box::pin(event_handler(framework, event)),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                if dev_guild != 0 {
                    poise::builtins::register_in_guild(
                        ctx,
                        &framework.options().commands,
                        serenity::all::GuildId::new(dev_guild),
                    )
                    .await?;
                } else {
                    poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                }
                let notifier = notify::Notifier::with_pacer(ctx.http.clone(), engine.clone(), pacer_for_setup);
                let bot = Arc::new(Bot::new(engine, notifier));
                let _ = cell_for_setup.set(bot.clone());
                if sweeps {
                    let sweeper = bot.clone();
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(Duration::from_secs(60));
                        loop {
                            tick.tick().await;
                            sweeper.sweep_expired().await;
                        }
                    });
                }
                Ok(bot)
            })
        })
        .build();
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS | GatewayIntents::DIRECT_MESSAGES;
    let mut client = ClientBuilder::new_with_http(http.build(), intents)
        .framework(framework)
        .event_handler(notify::RateLimitRelay(pacer))
        .await
        .context("cannot build the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    info!(database = app.store.backend(), "starting the Discord client");
    let task = tokio::spawn(async move {
        let result = client.start().await;
        if let Err(e) = &result {
            warn!(error = %e, "the Discord client stopped");
        }
        result
    });
    Ok(BotHandle {
        bot: cell,
        shard_manager,
        task,
    })
}

pub async fn run(app: App) -> anyhow::Result<()> {
    start(&app, DiscordOptions::production()).await?.wait().await
}
