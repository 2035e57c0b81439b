//! A private PostgreSQL server for the run: started with the machine's `initdb` and `pg_ctl` in a
//! temporary folder on a free port, when the tests' server does not answer (or when a test needs
//! one of its own, to restart it). As root the programs run as the `postgres` user on a folder it
//! owns, since `initdb` refuses root.
//!
//! A watchdog process stops the server and removes its folder when the process that started it
//! ends, even when it is killed: a test binary never runs the destructors of its statics.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// What to tell a person whose machine lacks the programs.
pub const INSTALL_HINT: &str = "install PostgreSQL's server programs (Debian/Ubuntu: `apt-get install postgresql`; \
     macOS: `brew install postgresql`) so the tests can start a private server, or point \
     MENTORBOT_TEST_POSTGRES_URL at a running one";

/// The folder holding `initdb` and `pg_ctl`: on PATH, else Debian's `/usr/lib/postgresql/<v>/bin`
/// (the newest version).
pub fn server_programs() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A free port on 127.0.0.1 (the OS's pick; the server takes it a moment later).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running private server.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PgServer {
    /// Starts a fresh server, or says why it cannot.
    pub fn start() -> Result<PgServer, String> {
        let bin = server_programs().ok_or_else(|| format!("no initdb/pg_ctl found; {INSTALL_HINT}"))?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("mentorbot-pg-")
            .tempdir()
            .map_err(|e| format!("no temporary folder: {e}"))?
            .keep();
        let server = PgServer {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        server.watch(std::process::id());
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(
                    "running as root, and the folder cannot be given to the `postgres` user (is there one?)".into(),
                );
            }
        }
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        server.start_again()?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {:?}: {e}", self.command(program)))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Starts the server (after [`PgServer::stop`]) on the same port and data; waits until it
    /// answers.
    pub fn start_again(&self) -> Result<(), String> {
        let data = self.data();
        let log = self.dir.join("server.log");
        // The socket goes into the server's own folder: the default one may not exist or be
        // writable for this user.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
            self.port,
            path_str(&self.dir)
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))
    }

    /// Stops the server at once (`-m immediate`: what a crash of the database looks like to its
    /// clients).
    pub fn stop(&self) -> Result<(), String> {
        self.run(
            "pg_ctl",
            &["-D", path_str(&self.data()), "-m", "immediate", "-w", "stop"],
        )
    }

    /// A process that waits for `pid` to end, then stops the server and removes its folder.
    fn watch(&self, pid: u32) {
        let pg_ctl = self.bin.join("pg_ctl");
        let runner = if self.as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runner}'{}' -D '{}' -m immediate stop >/dev/null 2>&1; rm -rf '{}'",
            pg_ctl.display(),
            self.data().display(),
            self.dir.display()
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Whether a PostgreSQL server answers at `url` (a real connection, within a few seconds).
pub fn answers(url: &str) -> bool {
    let url = url.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            matches!(
                tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&url)).await,
                Ok(Ok(_))
            )
        })
    })
    .join()
    .unwrap_or(false)
}

/// The PostgreSQL the run's tests use: the configured server when it answers, else a private
/// one started once for the whole test binary, else `None` (with a banner; a failure when
/// `MENTORBOT_TEST_POSTGRES_REQUIRED=1`).
pub fn suite_url(configured: &str) -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    let url = URL.get_or_init(|| {
        if answers(configured) {
            return Some(configured.to_string());
        }
        match PgServer::start() {
            Ok(server) => {
                eprintln!(
                    "PostgreSQL does not answer at {configured}; the tests use a private server at {}",
                    server.url()
                );
                let url = server.url();
                let _ = SERVER.set(server);
                Some(url)
            }
            Err(why) => {
                let banner = "!".repeat(78);
                eprintln!(
                    "{banner}\nSKIPPED: the PostgreSQL tests. No server answers at {configured}, and none could be \
                     started: {why}\n{banner}"
                );
                None
            }
        }
    });
    if url.is_none() && required() {
        panic!("MENTORBOT_TEST_POSTGRES_REQUIRED=1 and no PostgreSQL answers or can be started ({INSTALL_HINT})");
    }
    url.clone()
}

/// `.ci/run` sets `MENTORBOT_TEST_POSTGRES_REQUIRED=1`: a PostgreSQL test that would be skipped fails.
pub fn required() -> bool {
    std::env::var("MENTORBOT_TEST_POSTGRES_REQUIRED").as_deref() == Ok("1")
}
