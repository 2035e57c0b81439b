//! The bot's counters for operators, rendered in Prometheus' text format by [`crate::http`].
//!
//! One [`Metrics`] per [`crate::app::App`] (not a process global), so two bots in one test
//! process keep apart what each did.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the command latency histogram: Discord wants an answer within 3 s.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], not cumulative (rendering adds them up).
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// What happened to a job, as the worker saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobEvent {
    Claimed,
    Done,
    Retried,
    Failed,
}

impl JobEvent {
    fn metric(self) -> &'static str {
        match self {
            JobEvent::Claimed => "mentorbot_jobs_claimed_total",
            JobEvent::Done => "mentorbot_jobs_done_total",
            JobEvent::Retried => "mentorbot_jobs_retried_total",
            JobEvent::Failed => "mentorbot_jobs_failed_total",
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    /// By command (or component action) name, then outcome ("ok" / "error").
    commands: Mutex<BTreeMap<(String, &'static str), Histogram>>,
    jobs: Mutex<BTreeMap<(JobEvent, String), u64>>,
    dms_sent: AtomicU64,
    dms_failed: AtomicU64,
    dms_to_thread: AtomicU64,
    dms_undelivered: AtomicU64,
    ratelimit_waits: AtomicU64,
    ratelimit_wait_micros: AtomicU64,
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

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    pub fn command(&self, name: &str, ok: bool, elapsed: Duration) {
        let outcome = if ok { "ok" } else { "error" };
        self.commands
            .lock()
            .expect("not poisoned")
            .entry((name.to_string(), outcome))
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    pub fn job(&self, kind: &str, event: JobEvent) {
        *self
            .jobs
            .lock()
            .expect("not poisoned")
            .entry((event, kind.to_string()))
            .or_default() += 1;
    }

    /// A DM arrived.
    pub fn dm_sent(&self) {
        self.dms_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A DM could not be sent (closed DMs or an error); the thread is tried next.
    pub fn dm_failed(&self) {
        self.dms_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The message went to the relationship's thread instead of a DM.
    pub fn dm_to_thread(&self) {
        self.dms_to_thread.fetch_add(1, Ordering::Relaxed);
    }

    /// Neither a DM nor the thread took the message.
    pub fn dm_undelivered(&self) {
        self.dms_undelivered.fetch_add(1, Ordering::Relaxed);
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
        self.ratelimit_waits.fetch_add(1, Ordering::Relaxed);
        self.ratelimit_wait_micros
            .fetch_add(wait.as_micros().min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
    }

    /// How many times `name` was handled with `outcome` so far.
    pub fn commands_handled(&self, name: &str, ok: bool) -> u64 {
        let outcome = if ok { "ok" } else { "error" };
        self.commands
            .lock()
            .expect("not poisoned")
            .get(&(name.to_string(), outcome))
            .map_or(0, |h| h.count)
    }

    /// The Prometheus text exposition of everything, with the scrape-time gauges.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        let commands = self.commands.lock().expect("not poisoned").clone();
        out += "# HELP mentorbot_commands_total Slash commands and components handled, by name and outcome.\n";
        out += "# TYPE mentorbot_commands_total counter\n";
        for ((name, outcome), h) in &commands {
            let _ = writeln!(
                out,
                "mentorbot_commands_total{{command=\"{}\",outcome=\"{outcome}\"}} {}",
                escape(name),
                h.count
            );
        }
        out += "# HELP mentorbot_command_duration_seconds Time to handle a command or component.\n";
        out += "# TYPE mentorbot_command_duration_seconds histogram\n";
        let mut by_name: BTreeMap<&str, Histogram> = BTreeMap::new();
        for ((name, _), h) in &commands {
            let all = by_name.entry(name).or_default();
            for (i, n) in h.buckets.iter().enumerate() {
                all.buckets[i] += n;
            }
            all.sum += h.sum;
            all.count += h.count;
        }
        for (name, h) in by_name {
            let name = escape(name);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                let _ = writeln!(
                    out,
                    "mentorbot_command_duration_seconds_bucket{{command=\"{name}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "mentorbot_command_duration_seconds_bucket{{command=\"{name}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "mentorbot_command_duration_seconds_sum{{command=\"{name}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "mentorbot_command_duration_seconds_count{{command=\"{name}\"}} {}",
                h.count
            );
        }

        let jobs = self.jobs.lock().expect("not poisoned").clone();
        for event in [JobEvent::Claimed, JobEvent::Done, JobEvent::Retried, JobEvent::Failed] {
            let metric = event.metric();
            let _ = writeln!(out, "# HELP {metric} Jobs by kind, counted by this process.");
            let _ = writeln!(out, "# TYPE {metric} counter");
            for ((_, kind), n) in jobs.iter().filter(|((e, _), _)| *e == event) {
                let _ = writeln!(out, "{metric}{{kind=\"{}\"}} {n}", escape(kind));
            }
        }
        out += "# HELP mentorbot_jobs Jobs in the database by state (all processes).\n";
        out += "# TYPE mentorbot_jobs gauge\n";
        for (state, n) in &snapshot.jobs_by_state {
            let _ = writeln!(out, "mentorbot_jobs{{state=\"{state}\"}} {n}");
        }
        if let Some(n) = snapshot.jobs_due {
            out +=
                "# HELP mentorbot_jobs_due Pending jobs whose time has come, waiting for a worker (all processes).\n";
            out += "# TYPE mentorbot_jobs_due gauge\n";
            let _ = writeln!(out, "mentorbot_jobs_due {n}");
        }

        for (metric, help, value) in [
            ("mentorbot_dms_sent_total", "DMs delivered.", &self.dms_sent),
            (
                "mentorbot_dms_failed_total",
                "DMs Discord refused (closed DMs or errors).",
                &self.dms_failed,
            ),
            (
                "mentorbot_dms_thread_fallback_total",
                "Messages posted in the relationship's thread instead of a DM.",
                &self.dms_to_thread,
            ),
            (
                "mentorbot_dms_undelivered_total",
                "Messages neither a DM nor a thread took.",
                &self.dms_undelivered,
            ),
            (
                "mentorbot_ratelimit_waits_total",
                "Requests that waited for Discord's rate limit.",
                &self.ratelimit_waits,
            ),
        ] {
            let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} counter");
            let _ = writeln!(out, "{metric} {}", value.load(Ordering::Relaxed));
        }
        out += "# HELP mentorbot_ratelimit_wait_seconds_total Time spent waiting for Discord's rate limit.\n";
        out += "# TYPE mentorbot_ratelimit_wait_seconds_total counter\n";
        let _ = writeln!(
            out,
            "mentorbot_ratelimit_wait_seconds_total {}",
            self.ratelimit_wait_micros.load(Ordering::Relaxed) as f64 / 1e6
        );

        out += "# HELP mentorbot_database_up Whether the database answered the scrape's ping.\n";
        out += "# TYPE mentorbot_database_up gauge\n";
        let _ = writeln!(out, "mentorbot_database_up {}", u8::from(snapshot.database_up));
        out += "# HELP mentorbot_gateway_shard_connected Whether each shard of this process is connected.\n";
        out += "# TYPE mentorbot_gateway_shard_connected gauge\n";
        for (shard, up) in &snapshot.shards {
            let _ = writeln!(
                out,
                "mentorbot_gateway_shard_connected{{shard=\"{shard}\"}} {}",
                u8::from(*up)
            );
        }
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
        assert_eq!(m.commands_handled("mentor profile", false), 1);
    }
}
