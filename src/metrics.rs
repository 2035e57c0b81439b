//! The bot's counters for operators, exposed by [`crate::http`] in Prometheus' text format through
//! the `prometheus-client` crate.
//!
//! One [`Metrics`] (with its own registry) per [`crate::app::App`], not a process global, so two
//! bots in one test process keep apart what each did. Every label value comes from a fixed set:
//! command names are the registered commands', buttons and forms are named by the action of
//! their custom id (anything else is `button other`), job kinds are the known ones (anything else
//! is `other`), so forged input cannot make a series per value.
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The exposition's `Content-Type`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds (seconds) of the command latency histogram: Discord wants an answer within 3 s.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The job kinds the bot plans; a kind not among them is counted as `other`.
pub const JOB_KINDS: [&str; 12] = [
    "plan",
    "reminder",
    "did_you_meet",
    "nudge",
    "issue_prompt",
    "midpoint",
    "planned_end",
    "retro_reminder",
    "celebrate",
    "digest",
    "invite_reminder",
    "agree_reminder",
];

/// What happened to a job, as the worker saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobEvent {
    Claimed,
    Done,
    Retried,
    Failed,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandOutcome {
    command: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandName {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobKind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobStateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Shard {
    shard: String,
}

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

pub struct Metrics {
    registry: Registry,
    commands: Family<CommandOutcome, Counter>,
    durations: Family<CommandName, Histogram, fn() -> Histogram>,
    jobs_claimed: Family<JobKind, Counter>,
    jobs_done: Family<JobKind, Counter>,
    jobs_retried: Family<JobKind, Counter>,
    jobs_failed: Family<JobKind, Counter>,
    jobs_by_state: Family<JobStateLabel, Gauge>,
    jobs_due: Gauge,
    dms_sent: Counter,
    dms_failed: Counter,
    dms_to_thread: Counter,
    dms_undelivered: Counter,
    ratelimit_waits: Counter,
    ratelimit_wait_seconds: Counter<f64, AtomicU64>,
    database_up: Gauge,
    shards: Family<Shard, Gauge>,
}

/// Gauges read when the metrics are scraped (the database, the gateway).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Jobs by state, from the database (shared by every process on it).
    pub jobs_by_state: Vec<(&'static str, u64)>,
    /// Pending jobs already due (waiting for a worker), from the database.
    pub jobs_due: Option<u64>,
    pub database_up: bool,
    /// (shard id, connected) for the shards this process runs.
    pub shards: Vec<(u32, bool)>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let commands = Family::<CommandOutcome, Counter>::default();
        registry.register(
            "mentorbot_commands",
            "Slash commands and components handled, by name and outcome",
            commands.clone(),
        );
        let durations = Family::<CommandName, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register(
            "mentorbot_command_duration_seconds",
            "Time to handle a command or component",
            durations.clone(),
        );
        let job_family = |registry: &mut Registry, name: &str| {
            let family = Family::<JobKind, Counter>::default();
            registry.register(name, "Jobs by kind, counted by this process", family.clone());
            family
        };
        let jobs_claimed = job_family(&mut registry, "mentorbot_jobs_claimed");
        let jobs_done = job_family(&mut registry, "mentorbot_jobs_done");
        let jobs_retried = job_family(&mut registry, "mentorbot_jobs_retried");
        let jobs_failed = job_family(&mut registry, "mentorbot_jobs_failed");
        let jobs_by_state = Family::<JobStateLabel, Gauge>::default();
        registry.register(
            "mentorbot_jobs",
            "Jobs in the database by state (all processes)",
            jobs_by_state.clone(),
        );
        let jobs_due = Gauge::default();
        registry.register(
            "mentorbot_jobs_due",
            "Pending jobs whose time has come, waiting for a worker (all processes)",
            jobs_due.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let dms_sent = counter(&mut registry, "mentorbot_dms_sent", "DMs delivered");
        let dms_failed = counter(
            &mut registry,
            "mentorbot_dms_failed",
            "DMs Discord refused (closed DMs or errors)",
        );
        let dms_to_thread = counter(
            &mut registry,
            "mentorbot_dms_thread_fallback",
            "Messages posted in the relationship's thread instead of a DM",
        );
        let dms_undelivered = counter(
            &mut registry,
            "mentorbot_dms_undelivered",
            "Messages neither a DM nor a thread took",
        );
        let ratelimit_waits = counter(
            &mut registry,
            "mentorbot_ratelimit_waits",
            "Requests that waited for Discord's rate limit",
        );
        let ratelimit_wait_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "mentorbot_ratelimit_wait_seconds",
            "Time spent waiting for Discord's rate limit",
            ratelimit_wait_seconds.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "mentorbot_database_up",
            "Whether the database answered the scrape's ping",
            database_up.clone(),
        );
        let shards = Family::<Shard, Gauge>::default();
        registry.register(
            "mentorbot_gateway_shard_connected",
            "Whether each shard of this process is connected",
            shards.clone(),
        );
        Metrics {
            registry,
            commands,
            durations,
            jobs_claimed,
            jobs_done,
            jobs_retried,
            jobs_failed,
            jobs_by_state,
            jobs_due,
            dms_sent,
            dms_failed,
            dms_to_thread,
            dms_undelivered,
            ratelimit_waits,
            ratelimit_wait_seconds,
            database_up,
            shards,
        }
    }
}

fn outcome(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "error"
    }
}

/// The label of a job kind: one of [`JOB_KINDS`], or `other`.
pub fn job_kind(kind: &str) -> &'static str {
    JOB_KINDS.iter().find(|k| **k == kind).copied().unwrap_or("other")
}

impl Metrics {
    /// A command, button or form was handled. `name` is a registered command's name or a
    /// component's fixed name (see `discord::ids::metric_label`).
    pub fn command(&self, name: &str, ok: bool, elapsed: Duration) {
        self.commands
            .get_or_create(&CommandOutcome {
                command: name.to_string(),
                outcome: outcome(ok),
            })
            .inc();
        self.durations
            .get_or_create(&CommandName {
                command: name.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn job(&self, kind: &str, event: JobEvent) {
        let family = match event {
            JobEvent::Claimed => &self.jobs_claimed,
            JobEvent::Done => &self.jobs_done,
            JobEvent::Retried => &self.jobs_retried,
            JobEvent::Failed => &self.jobs_failed,
        };
        family.get_or_create(&JobKind { kind: job_kind(kind) }).inc();
    }

    /// A DM arrived.
    pub fn dm_sent(&self) {
        self.dms_sent.inc();
    }

    /// A DM could not be sent (closed DMs or an error); the thread is tried next.
    pub fn dm_failed(&self) {
        self.dms_failed.inc();
    }

    /// The message went to the relationship's thread instead of a DM.
    pub fn dm_to_thread(&self) {
        self.dms_to_thread.inc();
    }

    /// Neither a DM nor the thread took the message.
    pub fn dm_undelivered(&self) {
        self.dms_undelivered.inc();
    }

    /// The outcome of a message that could not go by DM: posted in the thread, or not at all.
    pub fn delivery(&self, to_thread: bool) {
        if to_thread {
            self.dm_to_thread()
        } else {
            self.dm_undelivered()
        }
    }

    /// A request waited for Discord's rate limit.
    pub fn rate_limit_wait(&self, wait: Duration) {
        self.ratelimit_waits.inc();
        self.ratelimit_wait_seconds.inc_by(wait.as_secs_f64());
    }

    /// How many times `name` was handled with `outcome` so far.
    pub fn commands_handled(&self, name: &str, ok: bool) -> u64 {
        self.commands
            .get(&CommandOutcome {
                command: name.to_string(),
                outcome: outcome(ok),
            })
            .map_or(0, |c| c.get())
    }

    /// The Prometheus text exposition of everything, with the scrape-time gauges.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        for (state, n) in &snapshot.jobs_by_state {
            self.jobs_by_state
                .get_or_create(&JobStateLabel { state })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        if let Some(n) = snapshot.jobs_due {
            self.jobs_due.set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.database_up.set(i64::from(snapshot.database_up));
        for (shard, up) in &snapshot.shards {
            self.shards
                .get_or_create(&Shard {
                    shard: shard.to_string(),
                })
                .set(i64::from(*up));
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// Reads one sample from a text exposition, e.g. `sample(text, "mentorbot_jobs_done_total",
/// &[("kind", "reminder")])`; `None` when absent. For tests and tools.
pub fn sample(text: &str, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        let (name, rest) = match key.split_once('{') {
            Some((n, r)) => (n, r.strip_suffix('}')?),
            None => (key, ""),
        };
        if name != metric {
            return None;
        }
        let found: Vec<(&str, &str)> = rest
            .split("\",")
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once("=\"")?;
                Some((k, v.trim_end_matches('"')))
            })
            .collect();
        if found.len() != labels.len() || !labels.iter().all(|l| found.contains(l)) {
            return None;
        }
        value.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_samples_read_back() {
        let m = Metrics::default();
        m.command("mentor profile", true, Duration::from_millis(3));
        m.command("mentor profile", true, Duration::from_millis(300));
        m.command("mentor profile", false, Duration::from_secs(20));
        m.job("reminder", JobEvent::Claimed);
        m.job("reminder", JobEvent::Done);
        m.dm_sent();
        m.rate_limit_wait(Duration::from_millis(1500));
        let text = m.render(&Snapshot {
            database_up: true,
            shards: vec![(0, true), (1, false)],
            ..Snapshot::default()
        });
        let cmd = [("command", "mentor profile")];
        let get = |metric: &str, labels: &[(&str, &str)]| sample(&text, metric, labels);
        assert_eq!(
            get(
                "mentorbot_commands_total",
                &[("command", "mentor profile"), ("outcome", "ok")]
            ),
            Some(2.0)
        );
        assert_eq!(
            get(
                "mentorbot_command_duration_seconds_bucket",
                &[("command", "mentor profile"), ("le", "0.005")]
            ),
            Some(1.0)
        );
        assert_eq!(
            get(
                "mentorbot_command_duration_seconds_bucket",
                &[("command", "mentor profile"), ("le", "0.5")]
            ),
            Some(2.0)
        );
        assert_eq!(
            get(
                "mentorbot_command_duration_seconds_bucket",
                &[("command", "mentor profile"), ("le", "+Inf")]
            ),
            Some(3.0)
        );
        assert_eq!(get("mentorbot_command_duration_seconds_count", &cmd), Some(3.0));
        assert_eq!(get("mentorbot_jobs_done_total", &[("kind", "reminder")]), Some(1.0));
        assert_eq!(get("mentorbot_jobs_failed_total", &[("kind", "reminder")]), None);
        assert_eq!(get("mentorbot_dms_sent_total", &[]), Some(1.0));
        assert_eq!(get("mentorbot_ratelimit_wait_seconds_total", &[]), Some(1.5));
        assert_eq!(get("mentorbot_gateway_shard_connected", &[("shard", "1")]), Some(0.0));
        assert_eq!(get("mentorbot_database_up", &[]), Some(1.0));
        assert_eq!(m.commands_handled("mentor profile", false), 1);
    }

    #[test]
    fn unknown_job_kinds_share_one_label() {
        let m = Metrics::default();
        for i in 0..100 {
            m.job(&format!("forged-{i}"), JobEvent::Claimed);
        }
        let text = m.render(&Snapshot::default());
        assert_eq!(
            sample(&text, "mentorbot_jobs_claimed_total", &[("kind", "other")]),
            Some(100.0)
        );
        assert!(!text.contains("forged"), "{text}");
    }
}
