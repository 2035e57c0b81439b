//! The command line: `run` (default), `migrate`, `check-config`.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::app::{redact_url, App};
use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(name = "mentorbot", version, about = "A Discord bot that runs mentorship programs")]
pub struct Cli {
    /// A TOML file whose settings override config/default.toml.
    #[arg(long, global = true, env = "MENTORBOT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (the default).
    Run,
    /// Apply the database migrations and exit.
    Migrate,
    /// Load and print the effective configuration, secrets redacted.
    CheckConfig,
    /// Pair a whole program offline: a program file in, the optimal assignment out.
    Match {
        /// The program file (JSON).
        #[arg(long)]
        input: PathBuf,
        /// Where to write the result (standard output if absent).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print the check-in times a frequency gives, in UTC and in local time.
    Schedule {
        /// The first meeting's local date-time, YYYY-MM-DDTHH:MM.
        #[arg(long)]
        start: String,
        /// An IANA time zone name, e.g. Europe/Berlin.
        #[arg(long)]
        timezone: String,
        /// weekly, every N weeks, monthly, monthly on day D, or cron: <five fields>.
        #[arg(long)]
        frequency: String,
        /// How many occurrences to print.
        #[arg(long, default_value_t = 10)]
        count: usize,
        /// The last date (inclusive, local), YYYY-MM-DD.
        #[arg(long)]
        until: Option<String>,
        /// Print JSON: {"occurrences": [{"utc": ..., "local": ...}]}.
        #[arg(long)]
        json: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Offline tools need no settings.
    if let Some(Command::Match { input, output }) = &cli.command {
        return ExitCode::from(crate::matching::run_cli(input, output.as_deref()) as u8);
    }
    if let Some(Command::Schedule {
        start,
        timezone,
        frequency,
        count,
        until,
        json,
    }) = &cli.command
    {
        return match crate::schedule::run_cli(start, timezone, frequency, *count, until.as_deref(), *json) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        };
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    match cli.command.unwrap_or(Command::Run) {
        Command::Schedule { .. } | Command::Match { .. } => unreachable!("handled before the settings are loaded"),
        Command::CheckConfig => {
            print!("{}", settings.to_redacted_toml());
            ExitCode::SUCCESS
        }
        Command::Migrate => block_on(async {
            let url = redact_url(&settings.database.url);
            let app = App::build(settings).await?;
            println!("migrations applied to {} ({url})", app.store.backend());
            Ok(())
        }),
        Command::Run => {
            if let Err(e) = settings.require_token() {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
            block_on(async { App::build(settings).await?.run().await })
        }
    }
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn block_on(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(fut);
    // Tasks left after a graceful stop (sweeps, pools) must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure(&e),
    }
}

/// How a failed run ends: Discord's refusal at start (a bad token, an intent to turn on) as one
/// line and status 2, like bad settings; anything else logged, with status 1.
pub fn failure(e: &anyhow::Error) -> ExitCode {
    if let Some(refused) = e.downcast_ref::<crate::discord::Refused>() {
        eprintln!("{refused}");
        return ExitCode::from(2);
    }
    tracing::error!("{e:#}");
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}
