//! Each test owns its world: a fresh database (a temp SQLite file, or a new PostgreSQL schema),
//! a manual clock, and the real engine on top.
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mentorbot::clock::ManualClock;
use mentorbot::engine::{Engine, ProgramRules};
use mentorbot::store::jobs::JobStore;
use mentorbot::store::postgres::PgStore;
use mentorbot::store::sqlite::SqliteStore;
use mentorbot::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct World {
    pub engine: Engine,
    pub store: Arc<dyn Store>,
    /// The job queue, on the same database as `store`.
    pub jobs: Arc<dyn JobStore>,
    pub clock: Arc<ManualClock>,
    /// PostgreSQL only: options that open more pools on the same schema (another "process").
    pub pg_options: Option<PgConnectOptions>,
    /// SQLite only: the database's URL (to look at every table directly).
    pub sqlite_url: Option<String>,
    /// PostgreSQL only: the server's URL and the test's schema (for another process).
    pub pg_schema: Option<(String, String)>,
    _cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema { url: String, schema: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Schema { url, schema } = self {
            let (url, schema) = (url.clone(), schema.clone());
            // Drop runs inside the test's runtime; a thread with its own runtime can block.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// The PostgreSQL server the tests use: `MENTORBOT_TEST_POSTGRES_URL` (default [`DEFAULT_PG`])
/// when it answers, else a private server the run starts (see [`pg_server`]); `None` skips the
/// test, with a banner, when neither is possible or the run says `MENTORBOT_TEST_POSTGRES=skip`
/// (a failure instead under `MENTORBOT_TEST_POSTGRES_REQUIRED=1`).
pub fn pg_url() -> Option<String> {
    if std::env::var("MENTORBOT_TEST_POSTGRES").as_deref() == Ok("skip") {
        assert!(
            !pg_server::required(),
            "MENTORBOT_TEST_POSTGRES=skip and MENTORBOT_TEST_POSTGRES_REQUIRED=1 contradict each other"
        );
        eprintln!("SKIPPED: PostgreSQL tests disabled by MENTORBOT_TEST_POSTGRES=skip");
        return None;
    }
    let configured = std::env::var("MENTORBOT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.to_string());
    pg_server::suite_url(&configured)
}

fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// Makes a fresh schema and returns connect options whose connections use it.
pub async fn fresh_pg_schema(url: &str) -> (PgConnectOptions, String) {
    let schema = unique_name("t");
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL answered at {url} a moment ago but not now ({e})"));
    let sql = format!("CREATE SCHEMA {schema}");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    (options, schema)
}

impl World {
    /// Runs `sql` on the test's database beside the engine (one connection of its own): a fault
    /// injected there, or a database set back to an older shape.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if let Some(options) = &self.pg_options {
            let mut conn = sqlx::PgConnection::connect_with(options).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        } else {
            let url = self.sqlite_url.as_ref().expect("a SQLite or PostgreSQL world");
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
    }

    /// The number people see and type of a mentorship (its number in its server).
    pub async fn number(&self, guild: mentorbot::domain::GuildId, rel: mentorbot::domain::RelationshipId) -> i64 {
        self.store
            .relationship(guild, rel)
            .await
            .unwrap()
            .expect("the mentorship exists")
            .number
    }

    pub async fn sqlite() -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/mentorbot.db", dir.path().display());
        let store = SqliteStore::connect(&url, 4).await.unwrap();
        store.migrate().await.unwrap();
        let mut w = Self::around(Arc::new(store), None, Cleanup::Dir(dir));
        w.sqlite_url = Some(url);
        w.add_fixture_members().await;
        w
    }

    /// The fixture's people are members of the fixture's server, as the gateway's member
    /// events would have recorded.
    pub async fn add_fixture_members(&self) {
        use fixtures::*;
        for user in [MENTOR, MENTEE, PEER3, PEER4, STRANGER] {
            self.add_member(GUILD, user).await;
        }
    }

    /// Records `user` as a (human) member of `guild`.
    pub async fn add_member(&self, guild: mentorbot::domain::GuildId, user: mentorbot::domain::UserId) {
        let member = mentorbot::store::privacy::GuildMember {
            user,
            bot: false,
            roles: Vec::new(),
        };
        self.store.upsert_member(guild, &member).await.unwrap();
    }

    pub async fn postgres() -> Option<World> {
        Some(Self::postgres_at(pg_url()?).await)
    }

    /// A world on a fresh schema of the server at `url` (a private server of the test's own).
    pub async fn postgres_at(url: String) -> World {
        let (options, schema) = fresh_pg_schema(&url).await;
        let store = PgStore::connect_with(options.clone(), 4).await.unwrap();
        store.migrate().await.unwrap();
        let mut w = Self::around(
            Arc::new(store),
            Some(options),
            Cleanup::Schema {
                url: url.clone(),
                schema: schema.clone(),
            },
        );
        w.pg_schema = Some((url, schema));
        w.add_fixture_members().await;
        w
    }

    fn around<S: Store + JobStore>(store: Arc<S>, pg_options: Option<PgConnectOptions>, cleanup: Cleanup) -> World {
        let clock = Arc::new(ManualClock::new(start_time()));
        let jobs: Arc<dyn JobStore> = store.clone();
        let store: Arc<dyn Store> = store;
        let engine = Engine::new(store.clone(), clock.clone(), ProgramRules::default());
        World {
            engine,
            store,
            jobs,
            clock,
            pg_options,
            sqlite_url: None,
            pg_schema: None,
            _cleanup: cleanup,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_options.is_some()
    }

    /// Every `table.column` with a value whose text contains `needle`, in the whole database.
    pub async fn columns_containing(&self, needle: &str) -> Vec<String> {
        use sqlx::Connection;
        let pattern = format!("%{needle}%");
        let mut found = Vec::new();
        if let Some(options) = &self.pg_options {
            let mut conn = sqlx::PgConnection::connect_with(options).await.unwrap();
            let columns: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY 1, 2",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for (t, c) in columns {
                let sql = format!("SELECT COUNT(*) FROM \"{t}\" WHERE \"{c}\"::text LIKE $1");
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&pattern)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                if n > 0 {
                    found.push(format!("{t}.{c}"));
                }
            }
        } else {
            let url = self.sqlite_url.as_ref().expect("a SQLite world");
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            let columns: Vec<(String, String)> = sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' ORDER BY 1, 2",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for (t, c) in columns {
                let sql = format!("SELECT COUNT(*) FROM \"{t}\" WHERE CAST(\"{c}\" AS TEXT) LIKE $1");
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&pattern)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                if n > 0 {
                    found.push(format!("{t}.{c}"));
                }
            }
        }
        found
    }
}

/// Runs each named `async fn(World)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::World::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(world) = $crate::common::World::postgres().await {
                        super::$name(world).await
                    }
                }
            )*
        }
    };
}

pub mod discord;
pub mod faults_kit;
pub mod organisers;
pub mod pg_server;

pub mod fixtures {
    use mentorbot::domain::agreement::AgreementInput;
    use mentorbot::domain::listing::{OfferInput, RequestInput};
    use mentorbot::domain::profile::ProfileInput;
    use mentorbot::domain::{GuildId, UserId};

    pub const GUILD: GuildId = GuildId(1_000_000_000_000_001);
    pub const OTHER_GUILD: GuildId = GuildId(1_000_000_000_000_002);
    pub const MENTOR: UserId = UserId(900_000_000_000_000_001);
    pub const MENTEE: UserId = UserId(900_000_000_000_000_002);
    pub const PEER3: UserId = UserId(900_000_000_000_000_003);
    pub const PEER4: UserId = UserId(900_000_000_000_000_004);
    pub const STRANGER: UserId = UserId(900_000_000_000_000_099);

    pub fn profile(name: &str, tz: &str) -> ProfileInput {
        ProfileInput {
            display_name: name.into(),
            timezone: tz.into(),
            availability: "tue 18:00-20:00, sat 10:00-14:00".into(),
            methods: vec!["video".into(), "voice".into()],
            role: Some("backend engineer".into()),
            experience: Some("8 years of Rust and databases".into()),
            mentoring_styles: vec!["coaching".into()],
            learning_styles: vec!["hands-on".into()],
        }
    }

    pub fn offer_input(capacity: i64) -> OfferInput {
        OfferInput {
            purpose: "Help newer engineers grow into confident Rust developers".into(),
            topics: vec!["rust".into(), "career".into()],
            skills: vec!["code review".into()],
            kinds: vec!["classic".into(), "reverse".into()],
            capacity,
            hopes_to_learn: Some("How newcomers see our tooling".into()),
        }
    }

    pub fn request_input() -> RequestInput {
        RequestInput {
            purpose: "I want to lead the migration of our services to Rust within a year".into(),
            goals: vec!["rust".into(), "leadership".into()],
            kinds: vec!["classic".into()],
            styles: vec!["coaching".into()],
        }
    }

    pub fn agreement() -> AgreementInput {
        AgreementInput {
            expectations: "Come prepared with one question; I answer messages within two days.".into(),
            issue_handling: "If we miss two meetings, we talk openly about pace or end kindly.".into(),
            frequency: "every 2 weeks".into(),
            day: Some("tue".into()),
            time: "18:30".into(),
            timezone: "Europe/Berlin".into(),
            meeting_minutes: 45,
            method: "video".into(),
            place: Some("the pair's thread".into()),
            start_date: "2026-03-03".into(),
            end_date: Some("2026-09-01".into()),
            missed_before_prompt: Some(2),
        }
    }
}

/// Everything the store holds about the test's people in one guild, as text, so a refused
/// command can be shown to have changed nothing.
pub async fn snapshot(w: &World, guild: mentorbot::domain::GuildId) -> String {
    use fixtures::*;
    let s = &w.store;
    let mut out = String::new();
    let mut rels = std::collections::BTreeMap::new();
    for user in [MENTOR, MENTEE, PEER3, PEER4, STRANGER] {
        out += &format!("{:?}\n", s.profile(guild, user).await.unwrap());
        out += &format!("{:?}\n", s.offers_of(guild, user).await.unwrap());
        out += &format!("{:?}\n", s.requests_of(guild, user).await.unwrap());
        out += &format!("{:?}\n", s.journal_of(guild, user, None).await.unwrap());
        for r in s.relationships_of(guild, user).await.unwrap() {
            rels.insert(r.id, r);
        }
    }
    for (id, r) in rels {
        out += &format!("{r:?}\n");
        out += &format!("{:?}\n", s.goals(guild, id).await.unwrap());
        out += &format!("{:?}\n", s.checkins(guild, id).await.unwrap());
        out += &format!("{:?}\n", s.shared_journal(guild, id).await.unwrap());
        out += &format!("{:?}\n", s.retrospectives(guild, id).await.unwrap());
    }
    out
}
