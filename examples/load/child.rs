//! The bot's process seen from the harness: started, watched (what it says, its RSS and CPU
//! from /proc) and stopped. `bot.rs` is what runs inside it.
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::FakeDiscord;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::watch;

use crate::bot::CHILD;

/// The bot's executable: `load_bot` beside the harness, unless it is missing or older than the
/// harness (built from other code), then the harness itself. The second maps the stand-in's and
/// the harness's code too, which adds about 2 MB to the RSS measured.
pub fn bot_executable() -> PathBuf {
    static CHOSEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CHOSEN.get_or_init(choose_executable).clone()
}

fn choose_executable() -> PathBuf {
    let me = std::env::current_exe().expect("the harness's path");
    let small = me.with_file_name("load_bot");
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&small), modified(&me)) {
        (Some(bot), Some(harness)) if bot >= harness => small,
        _ => {
            eprintln!(
                "note: no load_bot as new as this harness beside it; the bot runs in the harness's binary \
                 (`cargo build --release --example load_bot` builds it)"
            );
            me
        }
    }
}

/// The bot's process, seen from the harness.
pub struct BotProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub pid: u32,
    said: watch::Receiver<Vec<(String, Instant)>>,
    peak_kb: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl BotProcess {
    pub fn spawn(fake: &FakeDiscord, url: &str) -> BotProcess {
        let spec = json!({
            "url": url, "token": fake.bot_token(), "cert": fake.certificate_pem(),
            "rest": fake.rest_addr().to_string(),
        });
        let mut child = tokio::process::Command::new(bot_executable())
            .env(CHILD, spec.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // MENTORBOT_LOAD_VERBOSE=1 shows the bot's log.
            .stderr(if std::env::var_os("MENTORBOT_LOAD_VERBOSE").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .expect("the bot process starts");
        let pid = child.id().expect("a pid");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, said) = watch::channel(Vec::new());
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                tx.send_modify(|v| v.push((line, Instant::now())));
            }
        });
        // RSS sampled every 100 ms: VmHWM alone would count the start's peak (migrations, the
        // catch-up) as the load's.
        let peak_kb = Arc::new(AtomicU64::new(0));
        let peak = peak_kb.clone();
        let sampler = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                peak.fetch_max(usage(pid).rss_kb, Ordering::Relaxed);
            }
        });
        BotProcess {
            child,
            stdin,
            pid,
            said,
            peak_kb,
            sampler,
        }
    }

    /// Waits until the bot says `what`; when it said it.
    pub async fn wait_for(&self, what: &str, timeout: Duration) -> Instant {
        let mut rx = self.said.clone();
        let found = tokio::time::timeout(timeout, rx.wait_for(|v| v.iter().any(|(l, _)| l == what)))
            .await
            .unwrap_or_else(|_| panic!("the bot process did not say {what:?} within {timeout:?}"))
            .expect("the bot process's output");
        found.iter().find(|(l, _)| l == what).unwrap().1
    }

    /// The highest RSS sampled since the last reset (kB).
    pub fn sampled_peak_kb(&self) -> u64 {
        self.peak_kb.load(Ordering::Relaxed)
    }

    pub fn reset_peak(&self) {
        self.peak_kb.store(0, Ordering::Relaxed);
    }

    pub fn usage(&self) -> Usage {
        usage(self.pid)
    }

    /// Closes its stdin: a graceful stop; waits for it to exit.
    pub async fn stop(mut self) {
        self.sampler.abort();
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub rss_kb: u64,
    /// The part of RSS that is the process's own memory (heap, stacks)...
    pub anon_kb: u64,
    /// ...and the part that is the executable's and libraries' pages mapped from files (shared
    /// with any process running the same file; the harness's binary holds the stand-in too).
    pub file_kb: u64,
    pub hwm_kb: u64,
    pub cpu_s: f64,
    pub threads: u64,
}

/// RSS now and at its peak, CPU time used (user + system) and threads of a process, from /proc.
pub fn usage(pid: u32) -> Usage {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name; the
    // clock ticks 100 times a second on Linux (USER_HZ).
    Usage {
        rss_kb: field("VmRSS:"),
        anon_kb: field("RssAnon:"),
        file_kb: field("RssFile:"),
        hwm_kb: field("VmHWM:"),
        cpu_s: (ticks(11) + ticks(12)) / 100.0,
        threads: field("Threads:"),
    }
}
