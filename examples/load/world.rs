//! The world the load runs in: the database, one mentorship the engine makes, and its copies
//! written in bulk; and the reminders made due during the run.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use mentorbot::app::App;
use mentorbot::domain::agreement::AgreementInput;
use mentorbot::domain::listing::{Kind, OfferInput, RequestInput};
use mentorbot::domain::profile::ProfileInput;
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::Direction;
use sqlx::Connection;

use super::Args;

pub const GUILD: u64 = 1_000_000_000_000_001;
pub const MENTOR: u64 = 900_000_000_000_000_001;
pub const MENTEE: u64 = 900_000_000_000_000_002;
pub const OWNER: u64 = 900_000_000_000_000_050;
/// Ids of the copies: relationship `REL + g`, mentor `MENTOR_OF + g`, mentee `MENTEE_OF + g`;
/// the other profiles `EXTRA_OF + x` (the first `--open` of them hold the open listings).
pub const REL: i64 = 100_000_000;
pub const MENTOR_OF: i64 = 300_000_000_000;
pub const MENTEE_OF: i64 = 400_000_000_000;
pub const EXTRA_OF: i64 = 500_000_000_000;
/// Copy `g`'s server is `GUILD_BASE + g % servers`; its "general" channel the server's id + 1.
pub const GUILD_BASE: u64 = 2_000_000_000_000_000;

/// The database: its URL, and what drops it afterwards (a PostgreSQL schema).
pub async fn database(backend: &str) -> (String, Option<(String, String)>, Option<tempfile::TempDir>) {
    if backend == "postgres" {
        let url = std::env::var("MENTORBOT_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let schema = format!("load_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let with_schema = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        (with_schema, Some((url, schema)), None)
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/load.db", dir.path().display());
        (url, None, Some(dir))
    }
}

/// The statements that copy the template mentorship (relationship `rel`) `n` times, and the
/// profiles and open listings around them: (table, template rows, `column=expression;...`
/// over the template `t` and the copy's number `s.g`, an empty expression omitting the column,
/// copies).
fn copies(a: &Args, rel: i64) -> Vec<(String, String, String, i64)> {
    let g = |col: &str| format!("({GUILD_BASE} + s.g % {}) AS {col}", a.servers);
    let (mentor, mentee) = (MENTOR as i64, MENTEE as i64);
    let who =
        |col: &str| format!("(CASE WHEN t.{col} = {mentor} THEN {MENTOR_OF} ELSE {MENTEE_OF} END + s.g) AS {col}");
    let r = a.relationships;
    let extra = (a.profiles - 2 * r).max(0);
    let half = a.open / 2;
    // (table, template condition, overrides as "col=expr;..." , copies)
    vec![
        ("profiles".into(), format!("user_id = {mentor}"), format!("guild_id={};user_id=({MENTOR_OF} + s.g)", g("guild_id")), r),
        ("profiles".into(), format!("user_id = {mentee}"), format!("guild_id={};user_id=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("profiles".into(), format!("user_id = {mentee}"), format!("guild_id={};user_id=({EXTRA_OF} + s.g)", g("guild_id")), extra),
        ("guild_members".into(), format!("user_id = {mentor} AND guild_id = {GUILD}"), format!("guild_id={};user_id=({MENTOR_OF} + s.g)", g("guild_id")), r),
        ("guild_members".into(), format!("user_id = {mentee} AND guild_id = {GUILD}"), format!("guild_id={};user_id=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("offers".into(), format!("user_id = {mentor}"), format!("id=({REL} + s.g);guild_id={};user_id=({EXTRA_OF} + s.g)", g("guild_id")), a.open / 2),
        // A request's server is its holder's profile's (`/mentor suggest` reads both).
        ("requests".into(), format!("user_id = {mentee}"), format!("id=({REL} + s.g);guild_id=({GUILD_BASE} + ({half} + s.g) % {});user_id=({EXTRA_OF} + {half} + s.g)", a.servers), a.open - half),
        ("relationships".into(), format!("id = {rel}"), format!("id=({REL} + s.g);number=({REL} + s.g);guild_id={};proposer_id=({MENTEE_OF} + s.g);pair_low=({MENTOR_OF} + s.g);pair_high=({MENTEE_OF} + s.g);offer_id=NULL;request_id=NULL", g("guild_id")), r),
        ("relationship_members".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={};user_id=(CASE WHEN t.role = 'mentor' THEN {MENTOR_OF} ELSE {MENTEE_OF} END + s.g)", g("guild_id")), r),
        ("agreements".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={};author_id={}", g("guild_id"), who("author_id")), r),
        ("agreement_confirmations".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);user_id={}", who("user_id")), r),
        ("schedules".into(), format!("relationship_id = {rel}"), format!("relationship_id=({REL} + s.g);guild_id={}", g("guild_id")), r),
        ("goals".into(), format!("relationship_id = {rel}"), format!("id=({REL} + s.g);relationship_id=({REL} + s.g);guild_id={};created_by=({MENTEE_OF} + s.g)", g("guild_id")), r),
        ("steps".into(), format!("goal_id IN (SELECT id FROM goals WHERE relationship_id = {rel})"), format!("id=;goal_id=({REL} + s.g);guild_id={};owner_id=NULL", g("guild_id")), r),
        ("checkins".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};reported_by=NULL", g("guild_id")), r),
        ("journal_entries".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};author_id={};checkin_id=NULL", g("guild_id"), who("author_id")), r),
        ("jobs".into(), format!("relationship_id = {rel}"), format!("id=;relationship_id=({REL} + s.g);guild_id={};dedupe_key=(t.dedupe_key || ':copy' || s.g)", g("guild_id")), r),
        // A job is two rows: each copy's state is found by the copy's key.
        ("job_state".into(), format!("id IN (SELECT id FROM jobs WHERE relationship_id = {rel})"), "id=(SELECT c.id FROM jobs c WHERE c.dedupe_key = (SELECT k.dedupe_key FROM jobs k WHERE k.id = t.id) || ':copy' || s.g)".into(), r),
    ]
}

/// Copies rows as [`copies`] lists them, one INSERT ... SELECT per table.
pub async fn populate(url: &str, a: &Args, rel: i64) -> Duration {
    let started = Instant::now();
    let pg = url.starts_with("postgres");
    let series = |n: i64| {
        if pg {
            format!("generate_series(1, {n}) AS s(g)")
        } else {
            format!(
                "(WITH RECURSIVE q(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM q WHERE g < {n}) SELECT g FROM q) AS s"
            )
        }
    };
    let plan = copies(a, rel);
    macro_rules! run_all {
        ($conn:expr, $columns_sql:expr, $settle:expr) => {{
            let conn = $conn;
            for (table, template, overrides, n) in plan {
                if n <= 0 {
                    continue;
                }
                let cols: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe($columns_sql(&table)))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                let over: HashMap<&str, &str> = overrides
                    .split(';')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                let (mut names, mut values) = (Vec::new(), Vec::new());
                for (c,) in cols {
                    match over.get(c.as_str()) {
                        Some(e) if e.is_empty() => {}
                        Some(e) => {
                            names.push(c.clone());
                            values.push(e.split(" AS ").next().unwrap().to_string());
                        }
                        None => {
                            names.push(c.clone());
                            values.push(format!("t.{c}"));
                        }
                    }
                }
                let sql = format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM (SELECT * FROM {table} WHERE {template}) t, {} WHERE true",
                    names.join(", "),
                    values.join(", "),
                    series(n)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{e}: {sql}"));
            }
            sqlx::query($settle).execute(&mut *conn).await.unwrap();
        }};
    }
    if pg {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        run_all!(
            &mut conn,
            |t: &str| format!(
                "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{t}' ORDER BY ordinal_position"
            ),
            // As autovacuum leaves a database that has lived with its rows: statistics, and the
            // rows' visibility settled, so the first command to read a row of the bulk copy does
            // not pay for marking it (a read that writes).
            "VACUUM ANALYZE"
        );
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        run_all!(
            &mut conn,
            |t: &str| format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"),
            "ANALYZE"
        );
    }
    started.elapsed()
}

fn profile(name: &str) -> ProfileInput {
    ProfileInput {
        display_name: name.into(),
        timezone: "Europe/Berlin".into(),
        availability: "tue 18:00-20:00, sat 10:00-14:00".into(),
        methods: vec!["video".into()],
        role: Some("engineer".into()),
        experience: Some("8 years".into()),
        mentoring_styles: vec!["coaching".into()],
        learning_styles: vec!["hands-on".into()],
    }
}

/// The template: one mentorship as the engine makes it.
pub async fn template(app: &App) -> i64 {
    let e = &app.engine;
    let (g, mentor, mentee) = (GuildId(GUILD), UserId(MENTOR), UserId(MENTEE));
    for u in [mentor, mentee] {
        let member = mentorbot::store::privacy::GuildMember {
            user: u,
            bot: false,
            roles: Vec::new(),
        };
        app.store.upsert_member(g, &member).await.unwrap();
    }
    e.set_profile(g, mentor, &profile("Ada")).await.unwrap();
    e.set_profile(g, mentee, &profile("Grace")).await.unwrap();
    // Every copy may be suggested: `/mentor suggest` then scores the server's listings.
    for u in [mentor, mentee] {
        e.set_suggestable(g, u, true).await.unwrap();
    }
    let offer = OfferInput {
        purpose: "Help newer engineers grow into confident Rust developers".into(),
        topics: vec!["rust".into()],
        skills: vec!["code review".into()],
        kinds: vec!["classic".into()],
        capacity: 3,
        hopes_to_learn: None,
    };
    e.create_offer(g, mentor, &offer).await.unwrap();
    let request = RequestInput {
        purpose: "I want to lead our migration to Rust within a year".into(),
        goals: vec!["rust".into()],
        kinds: vec!["classic".into()],
        styles: vec!["coaching".into()],
    };
    e.create_request(g, mentee, &request).await.unwrap();
    let rel = e
        .propose_direct(g, mentee, mentor, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(g, rel.id, mentor).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let agreement = AgreementInput {
        expectations: "Come prepared with one question.".into(),
        issue_handling: "If we miss two meetings, we talk.".into(),
        frequency: "every week".into(),
        day: None,
        time: "18:30".into(),
        timezone: "Europe/Berlin".into(),
        meeting_minutes: 45,
        method: "video".into(),
        place: None,
        // Ten days ahead: the check-in recorded below is one of its own (a planned one within a
        // week would take it), and the first planned check-in keeps its reminders, which the
        // run makes due in some copies.
        start_date: (today + chrono::Duration::days(10)).to_string(),
        end_date: Some((today + chrono::Duration::days(180)).to_string()),
        missed_before_prompt: Some(2),
    };
    e.propose_agreement(g, rel.id, mentee, &agreement).await.unwrap();
    e.confirm_agreement(g, rel.id, mentor, 1).await.unwrap();
    let goal = e.add_goal(g, rel.id, mentee, "Ship a service").await.unwrap();
    e.add_step(g, rel.id, mentor, goal.id, "Pick it", None, None)
        .await
        .unwrap();
    e.record_checkin(g, rel.id, mentor, true, Some("Good start"))
        .await
        .unwrap();
    let answers = vec![("What did you learn?".to_string(), "Ownership".to_string())];
    e.write_journal(g, rel.id, mentee, None, &answers).await.unwrap();
    e.write_journal(g, rel.id, mentor, None, &answers).await.unwrap();
    rel.id.0
}

/// Makes a reminder of each of `copies` due, from `first` on, `spacing` apart: the copy of the
/// template's first pending reminder, pointed at the copy's own check-in (the copied payload
/// names the template's, and the worker would find nothing to remind of). Returns how many
/// were made due.
pub async fn make_reminders_due(
    url: &str,
    rel: i64,
    copies: std::ops::RangeInclusive<i64>,
    first: chrono::DateTime<chrono::Utc>,
    spacing: Duration,
) -> u64 {
    let (from, to) = (*copies.start(), *copies.end());
    if from > to {
        return 0;
    }
    let (t0, step) = (first.timestamp_millis(), spacing.as_millis() as i64);
    macro_rules! run {
        ($conn:expr) => {{
            let conn = $conn;
            let jobs: Vec<(String, String)> = sqlx::query_as(
                "SELECT j.dedupe_key, j.payload FROM jobs j JOIN job_state s ON s.id = j.id \
                 WHERE j.relationship_id = $1 AND j.kind = 'reminder' AND s.state = 'pending' \
                 ORDER BY s.run_at, j.id",
            )
            .bind(rel)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            let (key, payload) = jobs.into_iter().next().expect("the template has a pending reminder");
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap();
            let checkin = p["checkin"].as_i64().expect("a reminder names its check-in");
            let (at,): (i64,) = sqlx::query_as("SELECT scheduled_at FROM checkins WHERE id = $1")
                .bind(checkin)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            // The payload is serde_json's: its keys in order, "checkin" first. The copies of
            // the reminder are those whose key is the template's with the copy's number.
            let copy_ids = format!(
                "SELECT id FROM jobs WHERE relationship_id BETWEEN {} AND {} AND kind = 'reminder' \
                 AND dedupe_key = $1 || CAST(relationship_id - {REL} AS TEXT)",
                REL + from,
                REL + to
            );
            let sql = format!(
                "UPDATE jobs SET payload = REPLACE(payload, '{{\"checkin\":{checkin}', '{{\"checkin\":' || \
                 CAST((SELECT MIN(c.id) FROM checkins c WHERE c.relationship_id = jobs.relationship_id \
                 AND c.scheduled_at = {at}) AS TEXT)) \
                 WHERE id IN ({copy_ids})"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(format!("{key}:copy"))
                .execute(&mut *conn)
                .await
                .unwrap();
            let sql = format!(
                "UPDATE job_state SET run_at = {t0} + \
                 ((SELECT relationship_id FROM jobs WHERE jobs.id = job_state.id) - {}) * {step} \
                 WHERE id IN ({copy_ids})",
                REL + from
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(format!("{key}:copy"))
                .execute(&mut *conn)
                .await
                .unwrap()
                .rows_affected()
        }};
    }
    if url.starts_with("postgres") {
        run!(&mut sqlx::PgConnection::connect(url).await.unwrap())
    } else {
        run!(&mut sqlx::SqliteConnection::connect(url).await.unwrap())
    }
}
