//! The Discord edge: the only module that knows serenity and poise.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serenity::all::{ClientBuilder, FullEvent, GatewayIntents, HttpBuilder, ShardManager};
use tokio::sync::{watch, OnceCell};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::app::App;
use crate::domain::ids::{GuildId, UserId};
use crate::jobs::{default_owner, JobStore, TickReport, Worker};

pub mod bot;
pub mod commands;
pub mod ids;
pub mod interactions;
pub mod notify;
pub mod pacer;
pub mod render;
pub mod reply;
pub mod schedule;

use bot::Bot;
use reply::{BotError, Data};

/// How the bot reaches Discord. Production uses the defaults; tests hand in the stand-in's client.
#[derive(Default)]
pub struct DiscordOptions {
    /// The HTTP client for Discord's REST API (the stand-in's, in tests).
    pub http_client: Option<reqwest::Client>,
    /// Run the periodic sweeps (expired proposals). Tests call them by hand with a moved clock.
    pub background_sweeps: bool,
    /// Run the job worker in the background, polling at this interval. `None`: jobs run only
    /// when [`BotHandle::run_jobs`] is called (tests, with a moved clock).
    pub job_poll: Option<Duration>,
}

impl DiscordOptions {
    pub fn production() -> Self {
        Self {
            http_client: None,
            background_sweeps: true,
            job_poll: Some(Duration::from_secs(1)),
        }
    }
}

/// How long a claimed job is held before another process may take it over. Discord keeps
/// nonces for a few minutes, so a job re-run after a lost lease is still caught by its nonce.
pub const JOB_LEASE: Duration = Duration::from_secs(60);

/// A running bot.
pub struct BotHandle {
    bot: Arc<OnceCell<Arc<Bot>>>,
    worker: Arc<OnceCell<Arc<Worker>>>,
    worker_task: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
    stop_worker: watch::Sender<bool>,
    shard_manager: Arc<ShardManager>,
    task: JoinHandle<Result<(), serenity::Error>>,
}

impl BotHandle {
    /// Runs every job that is due by the bot's clock, until none is left (tests).
    pub async fn run_jobs(&self) -> TickReport {
        self.bot().await;
        let worker = self.worker.get().expect("set with the bot").clone();
        let mut total = TickReport::default();
        loop {
            let r = worker.tick().await.expect("claiming jobs");
            total.claimed += r.claimed;
            total.done += r.done;
            total.retried += r.retried;
            total.failed += r.failed;
            total.lost += r.lost;
            total.errors += r.errors;
            if r.claimed == 0 {
                return total;
            }
        }
    }

    /// Stops at once, as a crash would: jobs in flight keep their leases and nothing is given
    /// back (tests).
    pub async fn kill(self) {
        let task = self.worker_task.lock().expect("not poisoned").take();
        if let Some(t) = task {
            t.abort();
        }
        self.shard_manager.shutdown_all().await;
        self.task.abort();
    }

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

    /// Stops taking jobs, gives back the ones held, then closes the gateway.
    pub async fn shutdown(self) {
        let _ = self.stop_worker.send(true);
        let task = self.worker_task.lock().expect("not poisoned").take();
        if let Some(t) = task {
            let _ = t.await;
        }
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
    let job_poll = options.job_poll;
    let job_store: Arc<dyn JobStore> = app.store.clone();
    let clock = app.clock.clone();
    let worker_cell: Arc<OnceCell<Arc<Worker>>> = Arc::new(OnceCell::new());
    let worker = worker_cell.clone();
    let worker_task: Arc<std::sync::Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let worker_task_setup = worker_task.clone();
    let (stop_worker, stop_rx) = watch::channel(false);
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
                let bot = Arc::new(Bot::new(engine.clone(), notifier));
                // Work missed while the bot was down is planned before anything else runs.
                match engine.catch_up().await {
                    Ok(n) => info!(relationships = n, "schedules caught up"),
                    Err(e) => warn!(error = %e, "catching up the schedules failed"),
                }
                if let Err(e) = engine.plan_digests().await {
                    warn!(error = %e, "planning the coordinators' digests failed");
                }
                let worker = Arc::new(
                    Worker::new(
                        job_store,
                        clock,
                        default_owner(),
                        JOB_LEASE,
                        50,
                        Arc::new(schedule::ScheduleJobs { bot: bot.clone() }),
                    )
                    .with_concurrency(16)
                    .with_poll_interval(job_poll.unwrap_or(Duration::from_secs(1))),
                );
                let _ = worker_cell.set(worker.clone());
                if job_poll.is_some() {
                    let task = tokio::spawn(async move { worker.run(stop_rx).await });
                    *worker_task_setup.lock().expect("not poisoned") = Some(task);
                }
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
        worker,
        worker_task,
        stop_worker,
        shard_manager,
        task,
    })
}

/// A process that only runs the schedule's jobs, without a gateway connection: a second bot
/// process sharing the work (tests of two processes on one PostgreSQL).
pub fn job_worker(app: &App, http_client: Option<reqwest::Client>, owner: String) -> anyhow::Result<Worker> {
    let token = app.settings.require_token()?.expose().to_string();
    let mut http = HttpBuilder::new(&token);
    if let Some(client) = http_client {
        http = http.client(client);
    }
    let http = Arc::new(http.build());
    let notifier = notify::Notifier::new(http, app.engine.clone());
    let bot = Arc::new(Bot::new(app.engine.clone(), notifier));
    let job_store: Arc<dyn JobStore> = app.store.clone();
    Ok(Worker::new(
        job_store,
        app.clock.clone(),
        owner,
        JOB_LEASE,
        50,
        Arc::new(schedule::ScheduleJobs { bot }),
    )
    .with_concurrency(16))
}

pub async fn run(app: App) -> anyhow::Result<()> {
    start(&app, DiscordOptions::production()).await?.wait().await
}
