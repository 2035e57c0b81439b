//! PostgreSQL, for big servers and for several bot processes sharing the work.
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

type Db = sqlx::Postgres;
type Backend = PgStore;
const BACKEND_NAME: &str = "postgres";

fn migrator() -> &'static Migrator {
    static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");
    &MIGRATOR
}

pub struct PgStore {
    pool: sqlx::PgPool,
}

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_with(PgConnectOptions::from_str(url)?, max_connections).await
    }

    /// Connects with options built by the caller (tests use this to give each test its own schema).
    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

// Claimers in several processes lock disjoint candidate rows and never wait for each other.
macro_rules! skip_locked {
    () => {
        " FOR UPDATE SKIP LOCKED"
    };
}

// `id` is one of the integers of a JSON array parameter: `[1,2,3]` read as the array `{1,2,3}`.
// As a set to join rather than `id = ANY(...)`: with a condition that a partial index also
// matches (an acknowledgement's `state = 'running'`), the planner scanned that index and tested
// each row against the whole list, three times the cost of joining the list (EXPLAIN ANALYZE of
// a 500-job acknowledgement: 16.7 ms against 5.4 ms).
macro_rules! id_in_json {
    ($param:literal) => {
        concat!(
            "id IN (SELECT unnest(CAST(translate(",
            $param,
            ", '[]', '{}') AS BIGINT[])))"
        )
    };
}

// `column` is one of the integers of a JSON array parameter (the index on it drives the read).
macro_rules! col_in_json {
    ($col:literal, $param:literal) => {
        concat!($col, " = ANY(CAST(translate(", $param, ", '[]', '{}') AS BIGINT[]))")
    };
}

// The database's clock in Unix milliseconds, for leases: one clock for every process.
macro_rules! db_now {
    () => {
        "CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)"
    };
}

// The statement that refreshes the job queue's planner statistics after a bulk plan, if the
// backend's planner needs it (PostgreSQL's does; SQLite picks the partial indexes anyway). The
// claim's plan rests on `job_state`'s statistics, the enqueue's on both tables'.
macro_rules! analyze_jobs {
    () => {
        Some("ANALYZE jobs, job_state")
    };
}

// The claim changes `job_state` and returns the description beside it: joined here.
macro_rules! claim_from_jobs {
    () => {
        "FROM jobs WHERE jobs.id = job_state.id AND"
    };
}
macro_rules! described {
    ($column:literal) => {
        concat!("jobs.", $column)
    };
}

include!("shared_sql.rs");
include!("jobs_sql.rs");

/// Jobs per enqueue statement. The rows travel as one array per column, so the statement text
/// is the same whatever the count (prepared once, planned once) and its size is bounded by
/// memory, not by the 65,535 parameters a statement may have.
const ENQUEUE_CHUNK: usize = 10_000;

/// Runs one of the enqueue's statements (`body`, after `v`: see `enqueue_new_from_v!`) over
/// `jobs`, with `ids` (a JSON array) for its `{ids}` condition.
async fn enqueue_stmt<T>(
    conn: &mut sqlx::PgConnection,
    body: &str,
    jobs: &[&crate::store::jobs::NewJob],
    now: DateTime<Utc>,
    ids: Option<&str>,
) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let sql = format!(
        "WITH v AS (SELECT * FROM UNNEST(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), \
           CAST($3 AS TEXT[]), CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS BIGINT[])) \
           AS v (guild_id, relationship_id, kind, dedupe_key, payload, run_at)) {}",
        body.replace("{now}", "$7")
            .replace("{ids}", "jobs.id = ANY(CAST(translate($8, '[]', '{}') AS BIGINT[]))")
    );
    let guilds: Vec<i64> = jobs.iter().map(|j| sf(j.guild.0)).collect();
    let rels: Vec<Option<i64>> = jobs.iter().map(|j| j.relationship.map(|r| r.0)).collect();
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    let keys: Vec<&str> = jobs.iter().map(|j| j.dedupe_key.as_str()).collect();
    let payloads: Vec<String> = jobs.iter().map(|j| json(&j.payload)).collect();
    let run_at: Vec<i64> = jobs.iter().map(|j| ms(j.run_at)).collect();
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(guilds)
        .bind(rels)
        .bind(kinds)
        .bind(keys)
        .bind(payloads)
        .bind(run_at)
        .bind(ms(now));
    if let Some(ids) = ids {
        q = q.bind(ids.to_owned());
    }
    q.fetch_all(conn).await.map_err(db)
}
include!("privacy_sql.rs");
include!("criteria_sql.rs");
include!("guide_sql.rs");
include!("organisers_sql.rs");
include!("imports_sql.rs");

// The database's clock in UTC milliseconds: the processes' leases are kept on it, not on theirs.
macro_rules! processes_now_ms {
    () => {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    };
}

include!("processes_sql.rs");
