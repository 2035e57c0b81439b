//! Every query a command or a job runs uses an index, on PostgreSQL with tables the size of a
//! large community: about 50,000 rows in each table that grows with members, relationships,
//! check-ins, journal entries or jobs (bulk-copied from a real mentorship the engine made), then
//! ANALYZE. The commands run through the real engine on a pool whose sessions load
//! `auto_explain`, which sends the plan of every statement they run back as a notice; the test
//! reads those plans and refuses a sequential scan of a growing table, and a per-person command
//! that reads hundreds of rows (a whole server's) to find one. The queries that read a whole
//! server by nature (catch-up, stats, export, matching) are listed by name and not run here.
use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::Kind;
use mentorbot::engine::{Direction, Engine, ProgramRules};
use mentorbot::jobs::{JobStore, NewJob};
use mentorbot::store::postgres::PgStore;
use mentorbot::store::Store;
use serde_json::Value;
use sqlx::Connection;
use tracing_subscriber::layer::SubscriberExt;

/// Rows copied per growing table (some tables get a few per copy).
const N: i64 = 50_000;

/// The tables that grow with members, relationships, check-ins, journal entries or jobs: none
/// of them may be read by a sequential scan.
const GROWING: &[&str] = &[
    "profiles",
    "offers",
    "requests",
    "relationships",
    "relationship_members",
    "agreements",
    "agreement_confirmations",
    "goals",
    "steps",
    "checkins",
    "journal_entries",
    "jobs",
    "job_state",
    "job_deliveries",
    "schedules",
    "relationship_threads",
    "guild_members",
    "dm_channels",
    "organiser_log",
    "drafts",
    "suggestions",
];

/// The store's queries that read a whole server (or every server) by nature, by name, with the
/// text that marks them: the catch-up (`active_relationships`), the organisers' stats and export
/// (`relationships_in`), matching and suggestions (`open_offers`, `open_requests`, `suggestable`). No command
/// below may run them: the per-person commands that used to (/mentor request, Accept) read
/// only the person's rows now.
const WHOLE_SERVER: &[(&str, &str)] = &[
    (
        "active_relationships",
        "FROM relationships WHERE state = 'active' ORDER BY id",
    ),
    ("relationships_in", "FROM relationships WHERE guild_id = $1 ORDER BY id"),
    ("open_offers", "o.status = 'open' ORDER BY o.id"),
    ("suggestable", "FROM profiles WHERE guild_id = $1 AND suggestable = $2"),
    (
        "open_requests",
        "r.state IN ('accepted', 'agreeing', 'active', 'paused')) ORDER BY q.id",
    ),
];

/// The most rows one statement of a per-person command may return or touch: the fixture's
/// person has a handful; the server around them has thousands.
const PER_PERSON_ROWS: f64 = 200.0;

#[derive(Default)]
struct Plans(Mutex<Vec<String>>);

struct Capture(Arc<Plans>);

struct Message<'a>(&'a mut Option<String>);

impl tracing::field::Visit for Message<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            *self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && self.0.is_none() {
            *self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::postgres::notice" {
            return;
        }
        let mut message = None;
        event.record(&mut Message(&mut message));
        if let Some(m) = message {
            self.0 .0.lock().unwrap().push(m);
        }
    }
}

/// A plan node that reads a table: (node type, table, rows it returned).
fn scans(node: &Value, out: &mut Vec<(String, String, f64)>) {
    if let Some(rel) = node.get("Relation Name").and_then(Value::as_str) {
        let kind = node["Node Type"].as_str().unwrap_or("?").to_string();
        let rows = node.get("Actual Rows").and_then(Value::as_f64).unwrap_or(0.0)
            * node.get("Actual Loops").and_then(Value::as_f64).unwrap_or(1.0);
        out.push((kind, rel.to_string(), rows));
    }
    for child in node.get("Plans").and_then(Value::as_array).into_iter().flatten() {
        scans(child, out);
    }
}

/// What one command ran: each statement's text and plan.
struct Ran {
    command: &'static str,
    /// A batch over the whole queue (the purge): only the scan rule applies.
    batch: bool,
    statements: Vec<(String, Value)>,
}

impl Ran {
    fn from(command: &'static str, notices: Vec<String>) -> Ran {
        let statements = notices
            .iter()
            .filter_map(|n| {
                let plan: Value = serde_json::from_str(&n[n.find('{')?..]).ok()?;
                let text = plan["Query Text"].as_str().unwrap_or_default().to_string();
                Some((text, plan["Plan"].clone()))
            })
            .collect();
        Ran {
            command,
            batch: command.starts_with("job purge"),
            statements,
        }
    }

    /// Sequential scans of growing tables, and statements reading more rows than one person has.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (text, plan) in &self.statements {
            let flat = squash(text);
            for (name, marker) in WHOLE_SERVER {
                if flat.contains(marker) {
                    out.push(format!("{}: runs the whole-server query {name}", self.command));
                }
            }
            let mut found = Vec::new();
            scans(plan, &mut found);
            for (kind, table, rows) in found {
                if kind == "Seq Scan" && GROWING.contains(&table.as_str()) {
                    out.push(format!("{}: Seq Scan on {table} in `{}`", self.command, squash(text)));
                }
                if !self.batch && rows > PER_PERSON_ROWS && GROWING.contains(&table.as_str()) {
                    out.push(format!(
                        "{}: {rows} rows of {table} read in `{}`",
                        self.command,
                        squash(text)
                    ));
                }
            }
        }
        out
    }
}

fn squash(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Copies the rows of `table` matching `template` `n` times, with `overrides` (column, SQL
/// expression over the template's columns and `g`, the copy's number from 1; an empty
/// expression leaves the column to its default).
async fn copy_rows(conn: &mut sqlx::PgConnection, table: &str, template: &str, n: i64, overrides: &[(&str, &str)]) {
    let columns: Vec<(String,)> = sqlx::query_as(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let (mut names, mut values) = (Vec::new(), Vec::new());
    for (c,) in columns {
        match overrides.iter().find(|(o, _)| *o == c) {
            Some((_, "")) => {}
            Some((_, expr)) => {
                names.push(c.clone());
                values.push(expr.to_string());
            }
            None => {
                names.push(c.clone());
                values.push(format!("t.{c}"));
            }
        }
    }
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM (SELECT * FROM {table} WHERE {template}) t, generate_series(1, {n}) g",
        names.join(", "),
        values.join(", ")
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    assert!(done.rows_affected() > 0, "no template row for {table}: {sql}");
}

/// One copy in ten lives in the fixture's server (so a command that reads the whole server
/// reads thousands of rows); the rest are spread over a thousand others.
const G: &str = "(CASE WHEN g % 10 = 0 THEN t.guild_id ELSE 2000 + g % 997 END)";
const REL: &str = "(100000000 + g)";
const MENTOR_OF: &str = "(500000000 + g)";
const MENTEE_OF: &str = "(600000000 + g)";

async fn bulk_load(conn: &mut sqlx::PgConnection, rel: i64) {
    let guild = common::fixtures::GUILD.0 as i64;
    let mentor = MENTOR.0 as i64;
    let is_rel = format!("relationship_id = {rel}");
    let user_map = |col: &str| format!("(CASE WHEN t.{col} = {mentor} THEN {MENTOR_OF} ELSE {MENTEE_OF} END)");
    copy_rows(
        conn,
        "offers",
        &format!("user_id = {mentor}"),
        N,
        &[("id", REL), ("guild_id", G), ("user_id", MENTOR_OF)],
    )
    .await;
    copy_rows(
        conn,
        "requests",
        &format!("user_id = {}", MENTEE.0),
        N,
        &[("id", REL), ("guild_id", G), ("user_id", MENTEE_OF)],
    )
    .await;
    for (who, user) in [(mentor, MENTOR_OF), (MENTEE.0 as i64, MENTEE_OF)] {
        let one = format!("guild_id = {guild} AND user_id = {who}");
        copy_rows(conn, "profiles", &one, N, &[("guild_id", G), ("user_id", user)]).await;
        copy_rows(conn, "guild_members", &one, N, &[("guild_id", G), ("user_id", user)]).await;
    }
    copy_rows(
        conn,
        "relationships",
        &format!("id = {rel}"),
        N,
        &[
            ("id", REL),
            // Each copy its own number: numbers are unique within a server.
            ("number", REL),
            ("guild_id", G),
            ("proposer_id", MENTEE_OF),
            ("pair_low", MENTOR_OF),
            ("pair_high", MENTEE_OF),
            ("offer_id", REL),
            ("request_id", REL),
        ],
    )
    .await;
    let members = format!("(CASE WHEN t.role = 'mentor' THEN {MENTOR_OF} ELSE {MENTEE_OF} END)");
    copy_rows(
        conn,
        "relationship_members",
        &is_rel,
        N,
        &[("relationship_id", REL), ("guild_id", G), ("user_id", &members)],
    )
    .await;
    copy_rows(
        conn,
        "agreements",
        &is_rel,
        N,
        &[
            ("relationship_id", REL),
            ("guild_id", G),
            ("author_id", &user_map("author_id")),
        ],
    )
    .await;
    copy_rows(
        conn,
        "agreement_confirmations",
        &is_rel,
        N,
        &[("relationship_id", REL), ("user_id", &user_map("user_id"))],
    )
    .await;
    for table in ["schedules", "relationship_threads"] {
        copy_rows(conn, table, &is_rel, N, &[("relationship_id", REL), ("guild_id", G)]).await;
    }
    copy_rows(
        conn,
        "goals",
        &is_rel,
        N,
        &[
            ("id", REL),
            ("relationship_id", REL),
            ("guild_id", G),
            ("created_by", MENTEE_OF),
        ],
    )
    .await;
    copy_rows(
        conn,
        "steps",
        &format!("goal_id IN (SELECT id FROM goals WHERE {is_rel})"),
        N / 2,
        &[("id", ""), ("goal_id", REL), ("guild_id", G), ("owner_id", "NULL")],
    )
    .await;
    // The copies of a relationship's check-ins, journal entries and jobs: a few each.
    let (checkins,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM checkins WHERE {is_rel}"
    )))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    copy_rows(
        conn,
        "checkins",
        &is_rel,
        N / checkins.max(1),
        &[
            ("id", ""),
            ("relationship_id", REL),
            ("guild_id", G),
            ("reported_by", "NULL"),
        ],
    )
    .await;
    copy_rows(
        conn,
        "journal_entries",
        &is_rel,
        N / 2,
        &[
            ("id", ""),
            ("relationship_id", REL),
            ("guild_id", G),
            ("author_id", &user_map("author_id")),
            ("checkin_id", "NULL"),
        ],
    )
    .await;
    let (jobs,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM jobs WHERE {is_rel}")))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    copy_rows(
        conn,
        "jobs",
        &is_rel,
        N / jobs.max(1),
        &[
            ("id", ""),
            ("relationship_id", REL),
            ("guild_id", G),
            ("dedupe_key", "t.dedupe_key || ':copy' || g"),
        ],
    )
    .await;
    // Each copy's state, found by the copy's key.
    copy_rows(
        conn,
        "job_state",
        &format!("id IN (SELECT id FROM jobs WHERE {is_rel})"),
        N / jobs.max(1),
        &[
            (
                "id",
                "(SELECT c.id FROM jobs c WHERE c.dedupe_key = \
                 (SELECT k.dedupe_key FROM jobs k WHERE k.id = t.id) || ':copy' || g)",
            ),
            // Most of a long-lived queue is finished work.
            ("state", "(CASE WHEN g % 5 = 0 THEN t.state ELSE 'done' END)"),
            (
                "finished_at",
                "(CASE WHEN g % 5 = 0 THEN t.finished_at ELSE t.run_at END)",
            ),
        ],
    )
    .await;
    for sql in [
        format!(
            "INSERT INTO job_deliveries (job_key, recipient, channel_id, message_id, sent_at) \
             SELECT 'reminder:copy' || g, 'u' || g, 700000000 + g / 4, 800000000 + g, 1772442000000 \
             FROM generate_series(1, {N}) g"
        ),
        format!(
            "INSERT INTO dm_channels (user_id, channel_id) SELECT {MENTOR_OF}, 700000000 + g FROM generate_series(1, {N}) g"
        ),
        format!(
            "INSERT INTO organiser_log (guild_id, at, actor_id, action, relationship_id, mentor_id, mentee_id) \
             SELECT 2000 + g % 997, 1772442000000 + g, 1, 'nudge', {REL}, {MENTOR_OF}, {MENTEE_OF} FROM generate_series(1, {N}) g"
        ),
        format!(
            "INSERT INTO drafts (id, guild_id, user_id, draft, created_at) \
             SELECT 900000000 + g, 2000 + g % 997, {MENTEE_OF}, '{{}}', 1772442000000 + g FROM generate_series(1, {N}) g"
        ),
        format!(
            "INSERT INTO suggestions (guild_id, user_id, other_id, kind, shown_at) \
             SELECT 2000 + g % 997, {MENTEE_OF}, {MENTOR_OF}, 'classic', 1772442000000 FROM generate_series(1, {N}) g"
        ),
        // Everyone may be suggested: a per-person read of that setting must not read them all.
        "UPDATE profiles SET suggestable = TRUE".to_string(),
        "ANALYZE".to_string(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
}

fn answers(text: &str) -> Vec<(String, String)> {
    vec![("What did you learn?".into(), text.into())]
}

/// Runs `$body` and keeps the plans of what it ran under `$name`.
macro_rules! command {
    ($ran:ident, $plans:ident, $name:literal, $body:expr) => {{
        $plans.0.lock().unwrap().clear();
        let out = $body;
        let notices = std::mem::take(&mut *$plans.0.lock().unwrap());
        assert!(!notices.is_empty(), "{}: no plan came back", $name);
        $ran.push(Ran::from($name, notices));
        out
    }};
}

#[tokio::test(flavor = "current_thread")]
async fn every_command_query_uses_an_index_on_postgres() {
    let Some(url) = common::pg_url() else { return };
    let w = World::postgres_at(url).await;
    let e = &w.engine;

    // A real mentorship, made by the engine: the template of the copies.
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "America/New_York"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let goal = e.add_goal(GUILD, rel.id, MENTEE, "Ship a service").await.unwrap();
    e.add_step(GUILD, rel.id, MENTOR, goal.id, "Pick it", None, None)
        .await
        .unwrap();
    e.add_step(GUILD, rel.id, MENTEE, goal.id, "Read the book", None, None)
        .await
        .unwrap();
    w.clock.advance(Duration::days(1));
    e.record_checkin(GUILD, rel.id, MENTOR, true, Some("Good start"))
        .await
        .unwrap();
    e.write_journal(GUILD, rel.id, MENTEE, None, &answers("Ownership"))
        .await
        .unwrap();
    e.write_journal(GUILD, rel.id, MENTOR, None, &answers("Pace"))
        .await
        .unwrap();
    w.store.set_thread(GUILD, rel.id, 777).await.unwrap();

    let options = w.pg_options.clone().unwrap();
    let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
    bulk_load(&mut conn, rel.id.0).await;
    for table in GROWING {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(n >= N / 2, "{table} has {n} rows; the test needs it big");
    }

    // The same database through sessions that explain every statement they run.
    let explaining = options.options([
        ("session_preload_libraries", "auto_explain"),
        ("auto_explain.log_min_duration", "0"),
        ("auto_explain.log_analyze", "on"),
        ("auto_explain.log_level", "notice"),
        ("auto_explain.log_format", "json"),
    ]);
    let store = Arc::new(PgStore::connect_with(explaining, 2).await.unwrap());
    let jobs: Arc<dyn JobStore> = store.clone();
    let store: Arc<dyn Store> = store;
    let e = Engine::new(store.clone(), w.clock.clone(), ProgramRules::default());
    let plans = Arc::new(Plans::default());
    let subscriber = tracing_subscriber::registry().with(Capture(plans.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut ran = Vec::new();
    let now = w.clock.now();
    command!(
        ran,
        plans,
        "/mentor profile (view)",
        // What the command reads: the profile, whether they may be suggested (in a server
        // where thousands may be), their criteria, the server's levels and questions, their
        // answers.
        (
            e.profile(GUILD, MENTOR).await.unwrap(),
            e.is_suggestable(GUILD, MENTOR).await.unwrap(),
            e.criteria(GUILD, MENTOR).await.unwrap(),
            e.levels(GUILD).await.unwrap(),
            e.questions(GUILD).await.unwrap(),
            e.my_answers(GUILD, MENTOR).await.unwrap(),
        )
    );
    command!(
        ran,
        plans,
        "/mentor profile (save)",
        e.set_profile(GUILD, PEER3, &profile("Lin", "Asia/Tokyo"))
            .await
            .unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship list",
        e.relationships(GUILD, MENTOR).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship view",
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship plan",
        e.plan(GUILD, rel.id, MENTOR).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship checkins",
        e.checkins(GUILD, rel.id, MENTOR).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship checkin",
        e.record_checkin(GUILD, rel.id, MENTEE, true, Some("Paired on it"))
            .await
            .unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship journal write",
        e.write_journal(GUILD, rel.id, MENTEE, None, &answers("Lifetimes"))
            .await
            .unwrap()
    );
    command!(
        ran,
        plans,
        "/mentorship journal read",
        e.journal(GUILD, MENTEE, Some(rel.id)).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentor offer",
        e.create_offer(GUILD, PEER3, &offer_input(2)).await.unwrap()
    );
    command!(
        ran,
        plans,
        "/mentor seek",
        e.create_request(GUILD, PEER4, &request_input()).await.unwrap()
    );
    let proposal = command!(
        ran,
        plans,
        "/mentor request",
        e.propose_direct(GUILD, PEER4, PEER3, Kind::Classic, Direction::Request, "Async Rust")
            .await
            .unwrap()
    );
    command!(ran, plans, "Accept", e.accept(GUILD, proposal.id, PEER3).await.unwrap());
    command!(
        ran,
        plans,
        "schedule job (re-plan)",
        e.sync_schedule(GUILD, rel.id).await.unwrap()
    );
    let job = NewJob {
        guild: GUILD,
        relationship: Some(rel.id),
        kind: "reminder".into(),
        dedupe_key: "plans:reminder".into(),
        payload: serde_json::json!({}),
        run_at: now,
    };
    command!(ran, plans, "job enqueue", jobs.enqueue_many(&[job], now).await.unwrap());
    let claimed = command!(
        ran,
        plans,
        "job claim",
        jobs.claim("plans", now, std::time::Duration::from_secs(60), 50)
            .await
            .unwrap()
    );
    assert!(!claimed.is_empty());
    command!(
        ran,
        plans,
        "job deliveries",
        jobs.deliveries(&claimed[0].dedupe_key).await.unwrap()
    );
    command!(
        ran,
        plans,
        "job last delivered",
        jobs.last_delivered_in(700_000_100).await.unwrap()
    );
    command!(
        ran,
        plans,
        "job record delivery",
        jobs.record_delivery(&claimed[0].dedupe_key, "u", 1, 2, now)
            .await
            .unwrap()
    );
    let ids: Vec<_> = claimed.iter().map(|j| j.id).collect();
    command!(ran, plans, "job ack", jobs.ack_many(&ids, "plans", now).await.unwrap());
    command!(ran, plans, "job ack one", jobs.ack(ids[0], "plans", now).await.unwrap());
    command!(
        ran,
        plans,
        "job cancel (pause)",
        jobs.cancel_pending_for_relationship(GUILD, rel.id, now).await.unwrap()
    );
    command!(
        ran,
        plans,
        "job purge",
        jobs.purge_finished(now - Duration::days(30), 500).await.unwrap()
    );
    drop(_guard);

    let problems: BTreeSet<String> = ran.iter().flat_map(Ran::problems).collect();
    let statements: usize = ran.iter().map(|r| r.statements.len()).sum();
    assert!(statements > 50, "only {statements} statements were explained");
    assert!(
        problems.is_empty(),
        "{} problems in {statements} statements:\n{}",
        problems.len(),
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}
