//! Layered settings: the built-in `config/default.toml`, an optional file, then
//! `MENTORBOT__SECTION__KEY` environment variables.
use std::fmt;
use std::path::Path;

use figment::error::Kind;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The defaults, compiled in so the binary runs from any folder.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
pub const ENV_PREFIX: &str = "MENTORBOT__";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub discord: DiscordSettings,
    pub database: DatabaseSettings,
    pub program: ProgramSettings,
    #[serde(default)]
    pub http: HttpSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub jobs: JobSettings,
}

/// The job queue: leases, time limits, retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobSettings {
    /// How long a claimed job is held (on the database's clock) before another worker may take
    /// it over; the holder renews it every third of it.
    pub lease_seconds: u64,
    /// How long one job may run before it is abandoned and retried.
    pub handler_timeout_seconds: u64,
    /// Days finished jobs are kept before they are deleted.
    pub retention_days: u32,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            lease_seconds: 60,
            handler_timeout_seconds: 120,
            retention_days: 30,
        }
    }
}

impl JobSettings {
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_seconds)
    }

    pub fn handler_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.handler_timeout_seconds)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    pub token: Secret,
    pub dev_guild_id: u64,
    /// Requests per second the bot allows itself towards Discord in all (Discord's global limit).
    pub global_rate_limit: u32,
    /// How long a process's claim to its share of the global limit lasts without renewal
    /// (renewed every third of it); a process that dies gives its share back after it.
    #[serde(default = "default_rate_share_lease_ms")]
    pub rate_share_lease_ms: u64,
    /// The shards this process runs, e.g. "0-3" (see [`DiscordSettings::shard_plan`]).
    #[serde(default, deserialize_with = "text_or_number")]
    pub shards: String,
    /// The total number of shards over all processes; 0: as many as Discord recommends, all here.
    #[serde(default)]
    pub shard_count: u32,
    /// Seconds to open a connection to Discord's REST API before giving up.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// Seconds one REST request may take in all before it is abandoned (and retried).
    #[serde(default = "default_request_timeout")]
    pub request_timeout_seconds: u64,
}

fn default_connect_timeout() -> u64 {
    10
}

fn default_request_timeout() -> u64 {
    30
}

impl DiscordSettings {
    /// The production HTTP client for Discord's REST API, with the connect and total timeouts.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(self.connect_timeout_seconds))
            .timeout(std::time::Duration::from_secs(self.request_timeout_seconds))
            .build()
            .expect("a TLS backend is compiled in")
    }
}

fn default_rate_share_lease_ms() -> u64 {
    15_000
}

impl DiscordSettings {
    pub fn rate_share_lease(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.rate_share_lease_ms.max(300))
    }
}

/// Which gateway shards this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardPlan {
    /// Every shard, as many as Discord recommends.
    Auto,
    /// Shards `first..=last` of `total`.
    Range { first: u32, last: u32, total: u32 },
}

impl DiscordSettings {
    pub fn shard_plan(&self) -> Result<ShardPlan, ConfigError> {
        let spec = self.shards.trim();
        if self.shard_count == 0 {
            if spec.is_empty() {
                return Ok(ShardPlan::Auto);
            }
            return Err(ConfigError(format!(
                "config error: discord.shards: \"{spec}\" needs discord.shard_count, the total over all processes; set shard_count (e.g. 8) or leave shards empty"
            )));
        }
        let total = self.shard_count;
        if spec.is_empty() {
            return Ok(ShardPlan::Range {
                first: 0,
                last: total - 1,
                total,
            });
        }
        let parsed = match spec.split_once('-') {
            Some((a, b)) => a.trim().parse::<u32>().ok().zip(b.trim().parse::<u32>().ok()),
            None => spec.parse::<u32>().ok().map(|n| (n, n)),
        };
        match parsed {
            Some((first, last)) if first <= last && last < total => Ok(ShardPlan::Range { first, last, total }),
            _ => Err(ConfigError(format!(
                "config error: discord.shards: \"{spec}\" is not a range within 0-{} (discord.shard_count = {total}); use e.g. \"0-{}\" or \"{}\"",
                total - 1,
                (total / 2).max(1) - 1,
                total - 1
            ))),
        }
    }
}

/// The HTTP endpoint for operators: `/healthz` and `/metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// host:port to listen on; empty: off.
    #[serde(default)]
    pub address: String,
}

impl HttpSettings {
    /// The address to serve on, when the endpoint is enabled.
    pub fn socket_addr(&self) -> Result<Option<std::net::SocketAddr>, ConfigError> {
        let address = self.address.trim();
        if address.is_empty() {
            return Ok(None);
        }
        address.parse().map(Some).map_err(|_| {
            ConfigError(format!(
                "config error: http.address: \"{address}\" is not host:port; use e.g. 127.0.0.1:9090 or 0.0.0.0:9090, or leave it empty to turn the endpoint off"
            ))
        })
    }
}

/// Environment values that look like numbers (`MENTORBOT__DISCORD__SHARDS=3`) arrive as numbers.
fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        UInt(u64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Text(s) => s,
        Raw::Int(i) => i.to_string(),
        Raw::UInt(u) => u.to_string(),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password: printed and logged only through [`redact_url`].
    #[serde(serialize_with = "redacted_url")]
    pub url: String,
    pub max_connections: u32,
}

fn redacted_url<S: Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url))
}

/// Query parameters whose values are secrets (matched case-insensitively, as parts of the name):
/// `password`, `sslpassword`, `token`, `secret`, `sslkey`, `api_key`...
const SECRET_PARAMS: [&str; 5] = ["pass", "pwd", "secret", "token", "key"];

/// A URL fit for logs and error messages: the password of its user info, and the value of every
/// query parameter that names a secret (`?password=`, `sslpassword=`, `token=`...), are replaced
/// by `[redacted]`. Works on text that is not a valid URL too (it never echoes what follows a
/// `user:` before the last `@` of the authority).
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.find("://") {
        Some(scheme_end) => {
            let rest = &head[scheme_end + 3..];
            // The authority ends at the first '/' after the last '@' (a password may hold '/').
            let authority_end = rest
                .rfind('@')
                .map(|at| at + rest[at..].find('/').unwrap_or(rest.len() - at))
                .unwrap_or_else(|| rest.find('/').unwrap_or(rest.len()));
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:[redacted]@{host}"),
                    None => format!("{userinfo}@{host}"),
                },
                None => authority.to_string(),
            };
            format!("{}{authority}{path}", &head[..scheme_end + 3])
        }
        // No scheme: "user:password@host" still hides its password.
        None => match head.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:[redacted]@{host}"),
                None => head.to_string(),
            },
            None => head.to_string(),
        },
    };
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((name, _)) if SECRET_PARAMS.iter().any(|s| name.to_ascii_lowercase().contains(s)) => {
                    format!("{name}=[redacted]")
                }
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSettings {
    pub proposal_expiry_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
}

/// A secret string that never prints: Debug, Display and serialisation all redact it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_set(&self) -> bool {
        !self.0.trim().is_empty()
    }

    fn shown(&self) -> &'static str {
        if self.is_set() {
            "[redacted]"
        } else {
            "[not set]"
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.shown())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Environment values that look like numbers arrive as numbers.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            UInt(u64),
        }
        Ok(Secret(match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Int(i) => i.to_string(),
            Raw::UInt(u) => u.to_string(),
        }))
    }
}

/// A setting that stops start-up: one line naming the key and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// The built-in defaults alone (tests start from these).
    pub fn defaults() -> Settings {
        Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .expect("the built-in defaults are valid")
    }

    /// Loads the layers. `file` must exist when given.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config error: config file {}: not found; give the path of an existing TOML file to --config or MENTORBOT_CONFIG",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        let settings: Settings = figment.extract().map_err(|e| ConfigError(describe(&e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Err(ConfigError(format!(
                "config error: database.url: \"{}\" is neither sqlite: nor postgres:; use sqlite://data/mentorbot.db or postgres://user@host/database",
                redact_url(url)
            )));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError(
                "config error: database.max_connections: must be at least 1".into(),
            ));
        }
        if self.discord.global_rate_limit == 0 {
            return Err(ConfigError(
                "config error: discord.global_rate_limit: must be at least 1; Discord allows a bot 50 requests per second"
                    .into(),
            ));
        }
        if !(1..=60).contains(&self.program.proposal_expiry_days) {
            return Err(ConfigError(format!(
                "config error: program.proposal_expiry_days: {} is out of range; use a number of days from 1 to 60",
                self.program.proposal_expiry_days
            )));
        }
        if self.discord.connect_timeout_seconds == 0 || self.discord.request_timeout_seconds == 0 {
            return Err(ConfigError(
                "config error: discord.connect_timeout_seconds and discord.request_timeout_seconds: must be at least 1"
                    .into(),
            ));
        }
        if self.jobs.lease_seconds < 2 || self.jobs.lease_seconds > 120 {
            return Err(ConfigError(format!(
                "config error: jobs.lease_seconds: {} is out of range; use 2 to 120 (well within the few minutes Discord keeps nonces)",
                self.jobs.lease_seconds
            )));
        }
        if self.jobs.handler_timeout_seconds == 0 {
            return Err(ConfigError(
                "config error: jobs.handler_timeout_seconds: must be at least 1".into(),
            ));
        }
        if self.jobs.retention_days == 0 {
            return Err(ConfigError(
                "config error: jobs.retention_days: must be at least 1".into(),
            ));
        }
        self.discord.shard_plan()?;
        self.http.socket_addr()?;
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(ConfigError(format!(
                "config error: log.level: \"{}\" is not a log filter; use e.g. info, debug or mentorbot=debug,info",
                self.log.level
            )));
        }
        Ok(())
    }

    /// The token, or how to give one.
    pub fn require_token(&self) -> Result<&Secret, ConfigError> {
        if self.discord.token.is_set() {
            Ok(&self.discord.token)
        } else {
            Err(ConfigError(
                "discord.token: not set; give the bot token from the Discord developer portal as the environment \
                 variable MENTORBOT__DISCORD__TOKEN=<token> (or token = \"<token>\" under [discord] in a --config file)"
                    .into(),
            ))
        }
    }

    /// The effective settings as TOML, with secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).expect("settings serialise")
    }
}

/// Rust type names in serde's messages, in words.
fn plain(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "a boolean" | "bool" => "true or false".into(),
        other => other.into(),
    }
}

/// Turns figment's error into one line: the key, what is wrong, where it came from, the fix.
fn describe(e: &figment::Error) -> String {
    let mut key = e.path.join(".");
    let (what, fix) = match &e.kind {
        Kind::UnknownField(field, expected) => {
            if e.path.last() != Some(field) {
                key = if key.is_empty() {
                    field.clone()
                } else {
                    format!("{key}.{field}")
                };
            }
            (
                "unknown setting".to_string(),
                format!("remove it or fix its spelling (known here: {})", expected.join(", ")),
            )
        }
        Kind::InvalidType(actual, expected) => (
            format!("wrong type: found {actual}"),
            format!("give {}", plain(expected)),
        ),
        Kind::InvalidValue(actual, expected) => (format!("invalid value {actual}"), format!("give {expected}")),
        Kind::MissingField(field) => {
            key = if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            };
            (
                "missing".to_string(),
                "add it (config/default.toml lists every setting)".to_string(),
            )
        }
        other => (
            other.to_string(),
            "check config/default.toml for the expected form".to_string(),
        ),
    };
    let source = match &e.metadata {
        Some(md) if md.name.contains("environment") => {
            let mut parts: Vec<&str> = key.split('.').collect();
            if parts.first() == Some(&"default") {
                parts.remove(0);
            }
            format!(
                " (from environment variable {ENV_PREFIX}{})",
                parts.join("__").to_uppercase()
            )
        }
        Some(md) => match &md.source {
            Some(figment::Source::File(path)) => format!(" (in {})", path.display()),
            _ => String::new(),
        },
        None => String::new(),
    };
    let key = key.strip_prefix("default.").unwrap_or(&key).to_string();
    format!("config error: {key}: {what}{source}; {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("abc.def.ghi");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"[redacted]\"");
        assert_eq!(Secret::default().to_string(), "[not set]");
    }

    #[test]
    fn defaults_parse_and_validate() {
        let settings: Settings = Figment::from(Toml::string(DEFAULT_TOML)).extract().unwrap();
        settings.validate().unwrap();
        assert_eq!(settings.database.url, "sqlite://data/mentorbot.db");
        assert!(settings.require_token().is_err());
        assert_eq!(settings.discord.shard_plan(), Ok(ShardPlan::Auto));
        assert_eq!(settings.http.socket_addr(), Ok(None));
        assert!(
            !settings.to_redacted_toml().contains("token = \"\"\n"),
            "{}",
            settings.to_redacted_toml()
        );
    }

    #[test]
    fn shard_ranges_are_checked_against_the_total() {
        let mut d = Settings::defaults().discord;
        d.shard_count = 8;
        assert_eq!(
            d.shard_plan(),
            Ok(ShardPlan::Range {
                first: 0,
                last: 7,
                total: 8
            })
        );
        d.shards = "4-7".into();
        assert_eq!(
            d.shard_plan(),
            Ok(ShardPlan::Range {
                first: 4,
                last: 7,
                total: 8
            })
        );
        d.shards = "3".into();
        assert_eq!(
            d.shard_plan(),
            Ok(ShardPlan::Range {
                first: 3,
                last: 3,
                total: 8
            })
        );
        for bad in ["4-8", "5-2", "x", "-1"] {
            d.shards = bad.into();
            let e = d.shard_plan().unwrap_err().0;
            assert!(
                e.starts_with("config error: discord.shards:") && !e.contains('\n'),
                "{e}"
            );
        }
        d.shard_count = 0;
        d.shards = "0-3".into();
        assert!(d.shard_plan().unwrap_err().0.contains("shard_count"));
    }

    #[test]
    fn every_secret_in_a_url_is_redacted() {
        for (url, shown) in [
            ("postgres://bot:hunter2@db/x", "postgres://bot:[redacted]@db/x"),
            ("postgres://bot@db/x", "postgres://bot@db/x"),
            ("sqlite://data/m.db", "sqlite://data/m.db"),
            (
                "postgres://bot:pa@ss/w@rd@db:5432/x",
                "postgres://bot:[redacted]@db:5432/x",
            ),
            (
                "postgres://db/x?user=bot&password=hunter2&sslmode=require",
                "postgres://db/x?user=bot&password=[redacted]&sslmode=require",
            ),
            (
                "postgresql://u:hunter2@h/x?sslpassword=hunter2&sslkey=/k",
                "postgresql://u:[redacted]@h/x?sslpassword=[redacted]&sslkey=[redacted]",
            ),
            ("mysql://root:hunter2@db/x", "mysql://root:[redacted]@db/x"),
            ("root:hunter2@db", "root:[redacted]@db"),
        ] {
            assert_eq!(redact_url(url), shown);
            assert!(!redact_url(url).contains("hunter2"));
        }
    }

    #[test]
    fn check_config_and_errors_never_show_the_database_password() {
        let mut settings = Settings::defaults();
        settings.database.url = "postgres://mentorbot:hunter2@db:5432/mentorbot?password=hunter2".into();
        let printed = settings.to_redacted_toml();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("postgres://mentorbot:[redacted]@db:5432/mentorbot"),
            "{printed}"
        );
        settings.database.url = "mysql://root:hunter2@db/x".into();
        let e = settings.validate().unwrap_err().0;
        assert!(!e.contains("hunter2") && e.contains("database.url"), "{e}");
    }

    #[test]
    fn http_address_is_host_and_port() {
        let mut h = HttpSettings {
            address: "127.0.0.1:9090".into(),
        };
        assert_eq!(h.socket_addr().unwrap().unwrap().port(), 9090);
        h.address = "localhost".into();
        assert!(h
            .socket_addr()
            .unwrap_err()
            .0
            .starts_with("config error: http.address:"));
    }
}
