//! The embedded default: one SQLite file in WAL mode with foreign keys on.
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

type Db = sqlx::Sqlite;
type Backend = SqliteStore;
const BACKEND_NAME: &str = "sqlite";

fn migrator() -> &'static Migrator {
    static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
    &MIGRATOR
}

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let file = options.get_filename();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() && file != Path::new(":memory:") {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create the database folder {}: {e}", dir.display()))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

// One writer at a time: the claim is a single UPDATE, so it needs no row locks.
macro_rules! skip_locked {
    () => {
        ""
    };
}

// `id` is one of the integers of a JSON array parameter.
macro_rules! id_in_json {
    ($param:literal) => {
        concat!("id IN (SELECT value FROM json_each(", $param, "))")
    };
}

// `column` is one of the integers of a JSON array parameter.
macro_rules! col_in_json {
    ($col:literal, $param:literal) => {
        concat!($col, " IN (SELECT value FROM json_each(", $param, "))")
    };
}

// The database's clock in Unix milliseconds, for leases. SQLite runs inside the one process that
// uses it, so this is that process's clock.
macro_rules! db_now {
    () => {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    };
}

// The statement that refreshes the job queue's planner statistics after a bulk plan, if the
// backend's planner needs it (PostgreSQL's does; SQLite picks the partial indexes anyway).
macro_rules! analyze_jobs {
    () => {
        None::<&str>
    };
}

// The claim changes `job_state` and returns the description beside it: SQLite's RETURNING may
// name only the table it changes, so each column is looked up by key.
macro_rules! claim_from_jobs {
    () => {
        "WHERE"
    };
}
macro_rules! described {
    ($column:literal) => {
        concat!(
            "(SELECT ",
            $column,
            " FROM jobs WHERE jobs.id = job_state.id) AS ",
            $column
        )
    };
}

include!("shared_sql.rs");
include!("jobs_sql.rs");

/// Jobs per enqueue statement: six parameters a row stays under SQLite's 32,766 per statement.
const ENQUEUE_CHUNK: usize = 5_000;

/// One of the enqueue's statements over `rows` jobs: six anonymous `?` per job, then the rest
/// of `body` (after `v`: see `enqueue_new_from_v!`). Anonymous, because finding a numbered
/// placeholder by its number is a linear search in SQLite, which makes a statement of
/// thousands of them quadratic; the time and the ids come after the rows, in that order.
fn enqueue_batch_sql(rows: usize, body: &str) -> String {
    let mut sql = String::with_capacity(400 + rows * 20);
    sql.push_str("WITH v (guild_id, relationship_id, kind, dedupe_key, payload, run_at) AS (VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 {
            "(?, ?, ?, ?, ?, ?)"
        } else {
            ", (?, ?, ?, ?, ?, ?)"
        });
    }
    sql.push_str(") ");
    sql.push_str(
        &body
            .replace("{now}", "?")
            .replace("{ids}", "jobs.id IN (SELECT value FROM json_each(?))"),
    );
    sql
}

/// Runs one of the enqueue's statements (`body`) over `jobs`, with `ids` (a JSON array) for
/// its `{ids}` condition.
async fn enqueue_stmt<T>(
    conn: &mut sqlx::SqliteConnection,
    body: &str,
    jobs: &[&crate::store::jobs::NewJob],
    now: DateTime<Utc>,
    ids: Option<&str>,
) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(enqueue_batch_sql(jobs.len(), body)));
    for job in jobs {
        q = q
            .bind(sf(job.guild.0))
            .bind(job.relationship.map(|r| r.0))
            .bind(&job.kind)
            .bind(&job.dedupe_key)
            .bind(json(&job.payload))
            .bind(ms(job.run_at));
    }
    for _ in 0..body.matches("{now}").count() {
        q = q.bind(ms(now));
    }
    if let Some(ids) = ids {
        q = q.bind(ids.to_owned());
    }
    // Only full chunks and single jobs share a statement text worth keeping prepared.
    q.persistent(jobs.len() == ENQUEUE_CHUNK || jobs.len() == 1)
        .fetch_all(conn)
        .await
        .map_err(db)
}
include!("privacy_sql.rs");
include!("criteria_sql.rs");
include!("guide_sql.rs");
include!("organisers_sql.rs");
include!("imports_sql.rs");

// The database's clock in UTC milliseconds: the processes' leases are kept on it, not on theirs.
macro_rules! processes_now_ms {
    () => {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    };
}

include!("processes_sql.rs");
