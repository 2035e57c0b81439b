//! The Discord edge: the only module that knows serenity and poise.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use serenity::all::{
    ClientBuilder, ConnectionStage, FullEvent, GatewayIntents, HttpBuilder, HttpError, RatelimitInfo, ShardId,
    ShardManager,
};
use tokio::sync::{watch, OnceCell};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::app::App;
use crate::clock::Clock;
use crate::config::ShardPlan;
use crate::domain::ids::{GuildId, UserId};
use crate::http::{GatewayStatus, HttpServer, Probes};
use crate::jobs::{default_owner, Job, JobHandler, JobStore, Outcome, TickReport, Worker};
use crate::metrics::{JobEvent, Metrics};

pub mod agreement_change;
pub mod bot;
pub mod commands;
pub mod guide;
pub mod ids;
pub mod interactions;
pub mod limits;
pub mod marker;
pub mod members;
pub mod notify;
pub mod pacer;
pub mod pages;
pub mod render;
pub mod reply;
pub mod schedule;
pub mod share;

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

/// How long a claimed job is held before another process may take it over, by default (the
/// setting `jobs.lease_seconds`). Discord keeps nonces for a few minutes, so a job re-run after a
/// lost lease is still caught by its nonce.
pub const JOB_LEASE: Duration = Duration::from_secs(60);

/// How long a graceful shutdown may take before what is left is abandoned (orchestrators send
/// SIGKILL soon after SIGTERM; Kubernetes waits 30 s, Docker 10 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A running bot.
pub struct BotHandle {
    bot: Arc<OnceCell<Arc<Bot>>>,
    worker: Arc<OnceCell<Arc<Worker>>>,
    worker_task: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
    stop_worker: watch::Sender<bool>,
    /// True once the start's catch-up (re-planning every active mentorship) is done.
    caught_up: watch::Receiver<bool>,
    shard_manager: Arc<ShardManager>,
    task: JoinHandle<Result<(), serenity::Error>>,
    http: Option<HttpServer>,
    /// The worker's owner name, its store and clock: what a shutdown that ran out of time gives back.
    owner: String,
    job_store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    /// This process's share of the global rate limit, and the task renewing it.
    share: (Arc<share::RateShare>, JoinHandle<()>),
}

impl BotHandle {
    /// Runs every job that is due by the bot's clock, until none is left (tests).
    pub async fn run_jobs(&self) -> TickReport {
        self.bot().await;
        self.caught_up().await;
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
        // A dead process renews nothing: its share comes back to the others when its lease ends.
        self.share.1.abort();
        let task = self.worker_task.lock().expect("not poisoned").take();
        if let Some(t) = task {
            t.abort();
        }
        self.shard_manager.shutdown_all().await;
        self.task.abort();
        if let Some(http) = self.http {
            http.stop().await;
        }
    }

    /// Where `/healthz` and `/metrics` are served, when `http.address` is set.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(HttpServer::local_addr)
    }

    /// [`BotHandle::shutdown`] within `grace`: the jobs get all but the last two seconds, which
    /// are kept for closing the gateway. Jobs still running then are abandoned and everything
    /// held is given back (a job whose message went out already is caught by its nonce when it
    /// runs again). True when everything stopped in time.
    pub async fn shutdown_within(mut self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        self.share.1.abort();
        let jobs_deadline = deadline - grace.min(Duration::from_secs(2));
        let mut in_time = true;
        let _ = self.stop_worker.send(true);
        let task = self.worker_task.lock().expect("not poisoned").take();
        if let Some(mut t) = task {
            if tokio::time::timeout_at(jobs_deadline, &mut t).await.is_err() {
                t.abort();
                in_time = false;
                match self.job_store.release(&self.owner, self.clock.now()).await {
                    Ok(n) => warn!(
                        released = n,
                        "the running jobs did not finish in time; the held ones were given back"
                    ),
                    Err(e) => warn!(error = %e, "giving back the held jobs failed (their leases will run out)"),
                }
            }
        }
        let manager = self.shard_manager.clone();
        let closed = tokio::time::timeout_at(deadline, async {
            manager.shutdown_all().await;
            let _ = (&mut self.task).await;
        })
        .await;
        if closed.is_err() {
            self.task.abort();
            in_time = false;
        }
        if let Some(http) = self.http.take() {
            in_time &= tokio::time::timeout_at(deadline, http.stop()).await.is_ok();
        }
        in_time &= tokio::time::timeout_at(deadline, self.share.0.leave()).await.is_ok();
        in_time
    }

    /// The bot's state, once it has connected.
    /// Waits until the start's catch-up is done (the bot answers commands before that).
    pub async fn caught_up(&self) {
        let mut rx = self.caught_up.clone();
        let _ = rx.wait_for(|done| *done).await;
    }

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
        self.share.1.abort();
        let _ = self.stop_worker.send(true);
        let task = self.worker_task.lock().expect("not poisoned").take();
        if let Some(t) = task {
            let _ = t.await;
        }
        self.shard_manager.shutdown_all().await;
        let _ = self.task.await;
        if let Some(http) = self.http {
            http.stop().await;
        }
        self.share.0.leave().await;
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
        FullEvent::InteractionCreate { interaction } => {
            let started = Instant::now();
            let ok = interactions::handle(ctx, data, interaction).await;
            if let Some(name) = interactions::metric_name(interaction) {
                data.notifier.metrics().command(&name, ok, started.elapsed());
            }
        }
        FullEvent::GuildMemberRemoval { guild_id, user, .. } => {
            data.on_member_left(GuildId(guild_id.get()), UserId(user.id.get()))
                .await
        }
        FullEvent::GuildBanAddition { guild_id, banned_user } => {
            data.on_member_left(GuildId(guild_id.get()), UserId(banned_user.id.get()))
                .await
        }
        FullEvent::GuildMemberAddition { new_member } => members::seen(data, new_member.guild_id, new_member).await,
        FullEvent::GuildMemberUpdate { event, .. } => members::updated(data, event).await,
        FullEvent::GuildMembersChunk { chunk } => members::chunk(data, chunk).await,
        FullEvent::GuildCreate { guild, .. } => members::guild_created(ctx, data, guild).await,
        _ => {}
    }
    Ok(())
}

/// What is kept of one command's run: when it started, and whether it answered with a form
/// (then nothing else may answer it: see `commands::guide::welcome`).
pub struct Invocation {
    pub started: Instant,
    pub form: std::sync::atomic::AtomicBool,
}

async fn command_started(ctx: poise::Context<'_, Data, BotError>) {
    ctx.set_invocation_data(Invocation {
        started: Instant::now(),
        form: false.into(),
    })
    .await;
    if let poise::Context::Application(app) = ctx {
        // A command made in the server proves its author is a member now (recorded before the
        // command runs: poise calls the event handler only after it).
        let i = app.interaction;
        interactions::seen_in_guild(ctx.data(), i.guild_id, i.member.as_deref()).await;
    }
}

async fn command_finished(ctx: poise::Context<'_, Data, BotError>, ok: bool) {
    let elapsed = ctx
        .invocation_data::<Invocation>()
        .await
        .map_or(Duration::ZERO, |t| t.started.elapsed());
    ctx.data()
        .notifier
        .metrics()
        .command(&ctx.command().qualified_name, ok, elapsed);
}

/// Counts the waits serenity's rate limiter imposes (it reports them to event handlers only).
struct RateLimits(Arc<Metrics>);

#[async_trait]
impl serenity::all::EventHandler for RateLimits {
    async fn ratelimit(&self, info: RatelimitInfo) {
        self.0.rate_limit_wait(info.timeout);
    }
}

/// The shards' connection stages as serenity's shard manager keeps them.
struct Shards {
    manager: Arc<ShardManager>,
    /// The shards this process must run; `None`: whichever serenity started (autosharding).
    expected: Option<Vec<u32>>,
}

#[async_trait]
impl GatewayStatus for Shards {
    async fn shards(&self) -> Vec<(u32, bool)> {
        let runners = self.manager.runners.lock().await;
        let ids = match &self.expected {
            Some(ids) => ids.clone(),
            None => {
                let mut ids: Vec<u32> = runners.keys().map(|id| id.0).collect();
                ids.sort_unstable();
                ids
            }
        };
        ids.into_iter()
            .map(|id| {
                let up = runners
                    .get(&ShardId(id))
                    .is_some_and(|r| r.stage == ConnectionStage::Connected);
                (id, up)
            })
            .collect()
    }
}

/// Counts each job's claim and outcome, by kind.
struct MeteredJobs {
    inner: Arc<dyn JobHandler>,
    metrics: Arc<Metrics>,
}

#[async_trait]
impl JobHandler for MeteredJobs {
    async fn handle(&self, job: &Job) -> Outcome {
        self.metrics.job(&job.kind, JobEvent::Claimed);
        let outcome = self.inner.handle(job).await;
        let event = match &outcome {
            Outcome::Done => JobEvent::Done,
            Outcome::Retry { .. } => JobEvent::Retried,
            Outcome::Failed { .. } => JobEvent::Failed,
        };
        self.metrics.job(&job.kind, event);
        outcome
    }
}

/// Connects to Discord, registers the commands and serves until shut down.
pub async fn start(app: &App, options: DiscordOptions) -> anyhow::Result<BotHandle> {
    let token = app.settings.require_token()?.expose().to_string();
    let shard_plan = app.settings.discord.shard_plan()?;
    let http_addr = app.settings.http.socket_addr()?;
    let metrics = app.metrics.clone();
    // Every request has a connect and a total timeout (the stand-in's client in tests has its own).
    let client = options
        .http_client
        .unwrap_or_else(|| app.settings.discord.http_client());
    let http = HttpBuilder::new(&token).client(client.clone()).build();
    let files = client;
    let owner = default_owner();
    // One pacer for every request the bot sends (but interaction answers, which Discord's
    // global limit leaves out), whatever task sends it, at this process's share of the limit.
    let pacer = Arc::new(pacer::Pacer::new(pacer::Limit::per_second(
        app.settings.discord.global_rate_limit,
    )));
    let share = Arc::new(share::RateShare {
        store: app.store.clone(),
        pacer: pacer.clone(),
        owner: owner.clone(),
        total: app.settings.discord.global_rate_limit,
        lease: app.settings.discord.rate_share_lease(),
    });
    let share_task = share.clone().start();
    pacer.acquire("/users/@me", None).await;
    // A token Discord refuses would otherwise surface only at the gateway, or never: without a
    // gateway address serenity retries a default one for ever.
    if let Err(e) = http.get_current_user().await {
        return Err(match refusal(&e) {
            Some(refused) => refused.into(),
            None => anyhow::Error::new(e).context("cannot reach Discord"),
        });
    }
    let engine = app.engine.clone();
    let pacer_for_setup = pacer.clone();
    let dev_guild = app.settings.discord.dev_guild_id;
    let cell: Arc<OnceCell<Arc<Bot>>> = Arc::new(OnceCell::new());
    let cell_for_setup = cell.clone();
    let sweeps = options.background_sweeps;
    let job_poll = options.job_poll;
    let job_store: Arc<dyn JobStore> = app.store.clone();
    let clock = app.clock.clone();
    let job_settings = app.settings.jobs.clone();
    let (owner_setup, metrics_setup) = (owner.clone(), metrics.clone());
    let worker_cell: Arc<OnceCell<Arc<Worker>>> = Arc::new(OnceCell::new());
    let worker = worker_cell.clone();
    let worker_task: Arc<std::sync::Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let worker_task_setup = worker_task.clone();
    let (stop_worker, stop_rx) = watch::channel(false);
    let (caught_up_tx, caught_up) = watch::channel(false);
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            pre_command: |ctx| Box::pin(command_started(ctx)),
            post_command: |ctx| {
                Box::pin(async move {
                    // The welcome first: a command counts as finished (metrics, and the tests
                    // that wait on them) only once everything it writes is written.
                    if let poise::Context::Application(app) = ctx {
                        let form = ctx
                            .invocation_data::<Invocation>()
                            .await
                            .is_some_and(|i| i.form.load(std::sync::atomic::Ordering::SeqCst));
                        commands::guide::welcome(app, form).await;
                    }
                    command_finished(ctx, true).await;
                })
            },
            on_error: |e| {
                Box::pin(async move {
                    if let poise::FrameworkError::Command { ctx, .. } = &e {
                        command_finished(*ctx, false).await;
                    }
                    reply::on_error(e).await
                })
            },
            event_handler: |framework, event| Box::pin(event_handler(framework, event)),
            // Answers ping nobody, whatever they quote (poise's default lets every user mention ping).
            allowed_mentions: Some(limits::Pings::nobody().allowed()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                // Registering the commands runs beside the catch-up, not before the setup returns:
                // poise holds every interaction until the setup is done, and the commands a
                // restarted bot registered last time are already in the members' clients, so a
                // command sent as the gateway comes up would otherwise wait for this round trip
                // (seconds on a busy machine) and miss Discord's 3 s.
                let register = {
                    let (ctx, pacer) = (ctx.clone(), pacer_for_setup.clone());
                    let commands = poise::builtins::create_application_commands(&framework.options().commands);
                    async move {
                        pacer.acquire("/applications/commands", None).await;
                        let done = if dev_guild != 0 {
                            serenity::all::GuildId::new(dev_guild)
                                .set_commands(&ctx.http, commands)
                                .await
                        } else {
                            serenity::all::Command::set_global_commands(&ctx.http, commands).await
                        };
                        match done {
                            Ok(c) => info!(commands = c.len(), "commands registered"),
                            Err(e) => {
                                warn!(error = %e, "registering the commands failed; the ones registered before stay")
                            }
                        }
                    }
                };
                let notifier = notify::Notifier::with_pacer(ctx.http.clone(), engine.clone(), pacer_for_setup)
                    .with_metrics(metrics_setup.clone());
                let bot = Arc::new(Bot::new(engine.clone(), notifier).with_files(files));
                let worker = Arc::new(
                    Worker::new(
                        job_store,
                        clock,
                        owner_setup,
                        job_settings.lease(),
                        50,
                        Arc::new(MeteredJobs {
                            inner: Arc::new(schedule::ScheduleJobs { bot: bot.clone() }),
                            metrics: metrics_setup,
                        }),
                    )
                    .with_concurrency(16)
                    .with_handler_timeout(job_settings.handler_timeout())
                    .with_poll_interval(job_poll.unwrap_or(Duration::from_secs(1))),
                );
                let _ = worker_cell.set(worker.clone());
                // Ready now: commands are answered while the catch-up re-plans, in the
                // background, the work missed while the bot was down (a large database takes a
                // while), and the job worker starts only after it, so nothing runs on a stale plan.
                let caught_up = caught_up_tx.clone();
                let background = async move {
                    let catch_up = async {
                        match engine.catch_up().await {
                            Ok(n) => info!(relationships = n, "schedules caught up"),
                            Err(e) => warn!(error = %e, "catching up the schedules failed"),
                        }
                    };
                    // "Caught up" includes the registration: tests and the walkthrough read the
                    // registered commands once it is signalled.
                    tokio::join!(register, catch_up);
                    if let Err(e) = engine.plan_digests().await {
                        warn!(error = %e, "planning the coordinators' digests failed");
                    }
                    // The first purge a day after the start (then daily): a start is busy enough.
                    if let Err(e) = engine.plan_purge(engine.now() + chrono::Duration::days(1)).await {
                        warn!(error = %e, "planning the purge of finished jobs failed");
                    }
                    let _ = caught_up.send(true);
                    if job_poll.is_some() {
                        worker.run(stop_rx).await;
                    }
                };
                let task = tokio::spawn(background);
                *worker_task_setup.lock().expect("not poisoned") = Some(task);
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
    let mut client = ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .event_handler(notify::RateLimitRelay(pacer))
        .event_handler(RateLimits(metrics.clone()))
        .await
        .context("cannot build the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    let http = match http_addr {
        Some(addr) => {
            let probes = Probes {
                store: app.store.clone(),
                clock: app.clock.clone(),
                metrics: metrics.clone(),
                gateway: Arc::new(Shards {
                    manager: shard_manager.clone(),
                    expected: match shard_plan {
                        ShardPlan::Auto => None,
                        ShardPlan::Range { first, last, .. } => Some((first..=last).collect()),
                    },
                }),
            };
            Some(crate::http::serve(addr, probes).await?)
        }
        None => None,
    };
    info!(database = app.store.backend(), shards = ?shard_plan, "starting the Discord client");
    let task = tokio::spawn(async move {
        let result = match shard_plan {
            ShardPlan::Auto => client.start_autosharded().await,
            // serenity's range end is inclusive (it starts `end - start + 1` shards).
            #[allow(clippy::range_plus_one)]
            ShardPlan::Range { first, last, total } => client.start_shard_range(first..last, total).await,
        };
        if let Err(e) = &result {
            // A refusal is said once, by whoever started the bot (see `Refused`).
            if refusal(e).is_none() {
                warn!(error = %e, "the Discord client stopped");
            }
        }
        result
    });
    Ok(BotHandle {
        bot: cell,
        worker,
        worker_task,
        stop_worker,
        caught_up,
        shard_manager,
        task,
        http,
        owner,
        job_store: app.store.clone(),
        clock: app.clock.clone(),
        share: (share, share_task),
    })
}

/// A process that only runs the schedule's jobs, without a gateway connection: a second bot
/// process sharing the work (tests of two processes on one PostgreSQL).
pub fn job_worker(app: &App, http_client: Option<reqwest::Client>, owner: String) -> anyhow::Result<Worker> {
    let token = app.settings.require_token()?.expose().to_string();
    let client = http_client.unwrap_or_else(|| app.settings.discord.http_client());
    let mut http = HttpBuilder::new(&token).client(client).build();
    let pacer = Arc::new(pacer::Pacer::new(pacer::Limit::per_second(
        app.settings.discord.global_rate_limit,
    )));
    if let Some(limiter) = &mut http.ratelimiter {
        let (metrics, pacer) = (app.metrics.clone(), pacer.clone());
        limiter.set_ratelimit_callback(Box::new(move |info| {
            metrics.rate_limit_wait(info.timeout);
            notify::pause_for(&pacer, &info);
        }));
    }
    // This process takes its share of the bot's global limit too; the renewal lives as long as
    // the runtime.
    Arc::new(share::RateShare {
        store: app.store.clone(),
        pacer: pacer.clone(),
        owner: owner.clone(),
        total: app.settings.discord.global_rate_limit,
        lease: app.settings.discord.rate_share_lease(),
    })
    .start();
    let notifier =
        notify::Notifier::with_pacer(Arc::new(http), app.engine.clone(), pacer).with_metrics(app.metrics.clone());
    let bot = Arc::new(Bot::new(app.engine.clone(), notifier));
    let job_store: Arc<dyn JobStore> = app.store.clone();
    Ok(Worker::new(
        job_store,
        app.clock.clone(),
        owner,
        app.settings.jobs.lease(),
        50,
        Arc::new(MeteredJobs {
            inner: Arc::new(schedule::ScheduleJobs { bot }),
            metrics: app.metrics.clone(),
        }),
    )
    .with_concurrency(16)
    .with_handler_timeout(app.settings.jobs.handler_timeout()))
}

/// Discord refused to let the bot in, for a reason that starting again will not fix: the one
/// line says what to do. `mentorbot run` prints it alone and exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

const PORTAL: &str = "https://discord.com/developers/applications";

/// What a refusal at start means for the operator, if it is one (a bad token, an intent the
/// application may not use).
pub fn refusal(e: &serenity::Error) -> Option<Refused> {
    use serenity::all::GatewayError;
    let token = || {
        Refused(format!(
            "Discord refused the bot token (gateway close 4004 / HTTP 401): copy the token from the Bot page of your \
             application in the developer portal ({PORTAL}) into MENTORBOT__DISCORD__TOKEN, then start again."
        ))
    };
    match e {
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => Some(token()),
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => Some(Refused(format!(
            "Discord refused the bot's privileged intent (gateway close 4014): turn on \"Server Members Intent\" \
             under Bot > Privileged Gateway Intents in the developer portal ({PORTAL}), then start again."
        ))),
        serenity::Error::Gateway(GatewayError::InvalidGatewayIntents) => Some(Refused(
            "Discord refused the bot's gateway intents as invalid (gateway close 4013): this build asks for \
             GUILDS, GUILD_MEMBERS and DIRECT_MESSAGES; report it as a bug."
                .into(),
        )),
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 401 => Some(token()),
        _ => None,
    }
}

/// Runs until the client stops or the process is told to stop (SIGTERM, Ctrl-C); then shuts
/// down gracefully within [`SHUTDOWN_GRACE`].
pub async fn run(app: App) -> anyhow::Result<()> {
    run_with(app, DiscordOptions::production()).await
}

/// [`run`] with options of the caller's: the stand-in's client in tests of the start.
pub async fn run_with(app: App, options: DiscordOptions) -> anyhow::Result<()> {
    let mut handle = start(&app, options).await?;
    tokio::select! {
        stopped = &mut handle.task => {
            let _ = handle.stop_worker.send(true);
            if let Some(http) = handle.http.take() {
                http.stop().await;
            }
            return match stopped.context("the Discord client task panicked")? {
                Ok(()) => Ok(()),
                Err(e) => match refusal(&e) {
                    Some(refused) => Err(refused.into()),
                    None => Err(anyhow::Error::new(e).context("the Discord client stopped")),
                },
            };
        }
        signal = stop_signal() => info!(signal, "stopping: no new jobs, giving back held ones, closing the gateway"),
    }
    if handle.shutdown_within(SHUTDOWN_GRACE).await {
        info!("stopped");
    } else {
        warn!(grace = ?SHUTDOWN_GRACE, "stopped after the grace period; unfinished work was abandoned");
    }
    Ok(())
}

/// Waits for SIGTERM (what orchestrators send) or Ctrl-C; names which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = tokio::signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
