//! The operators' HTTP endpoint (off unless `http.address` is set): `/healthz` for load
//! balancers and orchestrators, `/metrics` for Prometheus.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::jobs::{JobState, JobStore};
use crate::metrics::{Metrics, Snapshot};
use crate::store::Store;

/// A probe is never allowed to hang the endpoint (a stuck pool would otherwise stall it).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The gateway as the Discord layer sees it.
#[async_trait]
pub trait GatewayStatus: Send + Sync {
    /// (shard id, connected) for every shard this process should run.
    async fn shards(&self) -> Vec<(u32, bool)>;
}

/// What the endpoint reads.
#[derive(Clone)]
pub struct Probes {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub gateway: Arc<dyn GatewayStatus>,
    /// The app's clock, for which jobs are due.
    pub clock: Arc<dyn crate::clock::Clock>,
}

/// The running server.
pub struct HttpServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl HttpServer {
    /// The bound address (the real port when the setting asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for requests in progress.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves until [`HttpServer::stop`].
pub async fn serve(addr: SocketAddr, probes: Probes) -> anyhow::Result<HttpServer> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (http.address)"))?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(probes);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "the HTTP endpoint stopped");
        }
    });
    tracing::info!(%addr, "serving /healthz and /metrics");
    Ok(HttpServer { addr, stop, task })
}

/// Whether the database answers; why not goes to the log only (the endpoint has no
/// authentication, and a driver's error can name hosts, users and more).
async fn ping(store: &dyn Store) -> Result<(), &'static str> {
    match tokio::time::timeout(PROBE_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the database did not answer the ping");
            Err("unreachable")
        }
        Err(_) => {
            tracing::warn!(timeout = ?PROBE_TIMEOUT, "health check: the database did not answer the ping in time");
            Err("unreachable")
        }
    }
}

async fn healthz(State(p): State<Probes>) -> Response {
    let database = ping(p.store.as_ref()).await;
    let shards = p.gateway.shards().await;
    let connected = shards.iter().filter(|(_, up)| *up).count();
    let mut problems = Vec::new();
    if let Err(e) = &database {
        problems.push(format!("database: {e}"));
    }
    if shards.is_empty() {
        problems.push("gateway: not started".to_string());
    } else if connected < shards.len() {
        let down: Vec<String> = shards
            .iter()
            .filter(|(_, up)| !*up)
            .map(|(id, _)| id.to_string())
            .collect();
        problems.push(format!("gateway: shard(s) {} not connected", down.join(", ")));
    }
    let body = json!({
        "status": if problems.is_empty() { "ok" } else { "unavailable" },
        "database": database.err().unwrap_or("ok"),
        "gateway": {
            "shards": shards.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "connected": connected,
        },
        "problems": problems,
    });
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(p): State<Probes>) -> Response {
    let jobs: Arc<dyn JobStore> = p.store.clone();
    let database_up = ping(p.store.as_ref()).await.is_ok();
    let jobs_by_state = match tokio::time::timeout(PROBE_TIMEOUT, jobs.counts(None)).await {
        Ok(Ok(counts)) => JobState::ALL.iter().map(|s| (s.as_str(), counts.get(*s))).collect(),
        _ => Vec::new(),
    };
    let jobs_due = match tokio::time::timeout(PROBE_TIMEOUT, jobs.count_due(p.clock.now())).await {
        Ok(Ok(n)) => Some(n),
        _ => None,
    };
    let snapshot = Snapshot {
        jobs_by_state,
        jobs_due,
        database_up,
        shards: p.gateway.shards().await,
    };
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        p.metrics.render(&snapshot),
    )
        .into_response()
}
