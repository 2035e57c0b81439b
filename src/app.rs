//! Wiring: `App::build(settings)` connects the store, applies migrations and builds the engine.
//! The binary and the tests both start here.
use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::engine::{Engine, ProgramRules};
use crate::metrics::Metrics;
use crate::store::{self, Store};

pub struct App {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub engine: Engine,
    /// What this process did, for `/metrics`.
    pub metrics: Arc<Metrics>,
}

impl App {
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Like [`App::build`] with a clock of the caller's (tests move it by hand).
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let store = store::connect(&settings.database.url, settings.database.max_connections)
            .await
            .with_context(|| format!("cannot open the database ({})", redact_url(&settings.database.url)))?;
        store.migrate().await.context("cannot apply the database migrations")?;
        Ok(Self::with_store(settings, store, clock))
    }

    /// Wires an app around a store that is already open and migrated.
    pub fn with_store(settings: Settings, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> App {
        let rules = ProgramRules {
            proposal_expiry: Duration::days(i64::from(settings.program.proposal_expiry_days)),
            job_retention: Duration::days(i64::from(settings.jobs.retention_days)),
        };
        let engine = Engine::new(store.clone(), clock.clone(), rules);
        App {
            settings,
            store,
            clock,
            engine,
            metrics: Arc::default(),
        }
    }

    /// Runs the bot until it is stopped.
    pub async fn run(self) -> anyhow::Result<()> {
        crate::discord::run(self).await
    }
}

/// A database URL without its secrets, fit for logs and error messages.
pub use crate::config::redact_url;
