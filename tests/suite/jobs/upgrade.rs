//! Migration 0023 splits a job into its description (`jobs`) and its state (`job_state`): an
//! upgraded database keeps every job, in every state, with its attempts, lease and error, and
//! the queue goes on with them.
use crate::common;

use std::time::Duration;

use common::fixtures::{GUILD, OTHER_GUILD};
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::RelationshipId;
use mentorbot::jobs::{JobState, NewJob};

/// The `jobs` table as migrations 0002 and 0013 left it (0022 did not touch it).
fn jobs_at_0022(backend: &str) -> String {
    let (m2, m13) = if backend == "postgres" {
        (
            include_str!("../../../migrations/postgres/0002_jobs.sql"),
            include_str!("../../../migrations/postgres/0013_job_deliveries.sql"),
        )
    } else {
        (
            include_str!("../../../migrations/sqlite/0002_jobs.sql"),
            include_str!("../../../migrations/sqlite/0013_job_deliveries.sql"),
        )
    };
    let from = m2.find("CREATE TABLE jobs (").expect("0002 creates jobs");
    let finished = m13
        .lines()
        .find(|l| l.starts_with("CREATE INDEX jobs_finished"))
        .expect("0013 indexes finished jobs");
    format!("{}\n{finished}\n", &m2[from..])
}

const REL: i64 = 42;
/// 2100-01-01: a lease that has not run out on any clock.
const FAR: i64 = 4_102_444_800_000;
/// 2026-03-02T09:00Z, the tests' start.
const T0: i64 = 1_772_442_000_000;
const HOUR: i64 = 3_600_000;

/// The jobs of the older database: (key, state, run_at, attempts, lease owner and end, last
/// error, updated_at, finished_at).
#[allow(clippy::type_complexity)]
const OLD: &[(
    &str,
    &str,
    i64,
    i64,
    Option<&str>,
    Option<i64>,
    Option<&str>,
    i64,
    Option<i64>,
)] = &[
    ("due", "pending", T0 - HOUR, 0, None, None, None, T0 - 2 * HOUR, None),
    (
        "retried",
        "pending",
        T0 + 24 * HOUR,
        2,
        Some("w1"),
        None,
        Some("429 from Discord"),
        T0 - HOUR,
        None,
    ),
    (
        "held",
        "running",
        T0 - 3 * HOUR,
        1,
        Some("alive"),
        Some(FAR),
        None,
        T0 - 3 * HOUR,
        None,
    ),
    (
        "abandoned",
        "running",
        T0 - 4 * HOUR,
        1,
        Some("gone"),
        Some(1),
        None,
        T0 - 4 * HOUR,
        None,
    ),
    (
        "sent",
        "done",
        T0 - 5 * HOUR,
        1,
        Some("w1"),
        Some(T0),
        None,
        T0 - 5 * HOUR,
        Some(T0 - 5 * HOUR),
    ),
    (
        "broken",
        "failed",
        T0 - 6 * HOUR,
        5,
        Some("w2"),
        None,
        Some("no such channel"),
        T0 - 6 * HOUR,
        Some(T0 - 6 * HOUR),
    ),
    (
        "dropped",
        "cancelled",
        T0 + 2 * HOUR,
        0,
        None,
        None,
        None,
        T0 - 7 * HOUR,
        Some(T0 - 7 * HOUR),
    ),
];

fn sql_text(v: Option<&str>) -> String {
    v.map_or("NULL".into(), |s| format!("'{s}'"))
}

fn sql_int(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |n| n.to_string())
}

async fn the_upgrade_keeps_every_job(w: World) {
    let backend = if w.pg_options.is_some() { "postgres" } else { "sqlite" };
    // The database as it was at 0022: jobs one wide table, 0023 not applied.
    let mut sql = format!(
        "DROP TABLE job_state; DROP TABLE jobs; DELETE FROM _sqlx_migrations WHERE version = 23;\n{}",
        jobs_at_0022(backend)
    );
    for (n, (key, state, run_at, attempts, owner, until, error, updated, finished)) in OLD.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO jobs (guild_id, relationship_id, kind, dedupe_key, payload, run_at, state, attempts, \
               lease_owner, lease_until, last_error, created_at, updated_at, finished_at) \
             VALUES ({}, {REL}, 'reminder', '{key}', '{{\"n\":{n}}}', {run_at}, '{state}', {attempts}, {}, {}, {}, \
               {}, {updated}, {});\n",
            GUILD.0 as i64,
            sql_text(*owner),
            sql_int(*until),
            sql_text(*error),
            T0 - 10 * HOUR + n as i64,
            sql_int(*finished),
        ));
    }
    // Another server's job without a relationship.
    sql.push_str(&format!(
        "INSERT INTO jobs (guild_id, relationship_id, kind, dedupe_key, payload, run_at, state, attempts, \
           created_at, updated_at) VALUES ({}, NULL, 'digest', 'digest:1', '{{}}', {}, 'pending', 0, {T0}, {T0});",
        OTHER_GUILD.0 as i64,
        T0 + HOUR
    ));
    w.execute(&sql).await;

    w.store.migrate().await.unwrap();

    // Every job, as it was.
    let jobs = w.jobs.jobs_for_relationship(GUILD, RelationshipId(REL)).await.unwrap();
    let mut expected: Vec<_> = OLD.iter().enumerate().collect();
    expected.sort_by_key(|(n, o)| (o.2, *n));
    assert_eq!(jobs.len(), OLD.len(), "{jobs:?}");
    for (job, (n, (key, state, run_at, attempts, owner, until, error, updated, finished))) in jobs.iter().zip(&expected)
    {
        assert_eq!(job.dedupe_key, *key);
        assert_eq!(job.state.as_str(), *state, "{key}");
        assert_eq!(job.run_at.timestamp_millis(), *run_at, "{key}");
        assert_eq!(i64::from(job.attempts), *attempts, "{key}");
        assert_eq!(job.lease_owner.as_deref(), *owner, "{key}");
        assert_eq!(job.lease_until.map(|t| t.timestamp_millis()), *until, "{key}");
        assert_eq!(job.last_error.as_deref(), *error, "{key}");
        assert_eq!(job.updated_at.timestamp_millis(), *updated, "{key}");
        assert_eq!(job.finished_at.map(|t| t.timestamp_millis()), *finished, "{key}");
        assert_eq!(job.created_at.timestamp_millis(), T0 - 10 * HOUR + *n as i64, "{key}");
        assert_eq!((job.guild, job.relationship), (GUILD, Some(RelationshipId(REL))));
        assert_eq!(
            (job.kind.as_str(), &job.payload),
            ("reminder", &serde_json::json!({ "n": n }))
        );
        assert_eq!(w.jobs.job(job.id).await.unwrap().as_ref(), Some(job), "{key}");
    }
    let all = w.jobs.counts(None).await.unwrap();
    assert_eq!(
        (all.pending, all.running, all.done, all.failed, all.cancelled),
        (3, 2, 1, 1, 1)
    );
    assert_eq!(w.jobs.counts(Some(OTHER_GUILD)).await.unwrap().pending, 1);
    let id_of = |key: &str| jobs.iter().find(|j| j.dedupe_key == key).unwrap().id;

    // The queue goes on: the abandoned lease and the due job are claimed (oldest first), the
    // held one stays with its holder, the later ones wait.
    let now = w.clock.now();
    let claimed = w.jobs.claim("after", now, Duration::from_secs(60), 10).await.unwrap();
    let keys: Vec<&str> = claimed.iter().map(|j| j.dedupe_key.as_str()).collect();
    assert_eq!(keys, vec!["abandoned", "due"]);
    assert_eq!(claimed[0].attempts, 2, "one more attempt on the abandoned job");
    assert_eq!(claimed[1].payload, serde_json::json!({ "n": 0 }));
    let ids: Vec<_> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(w.jobs.ack_many(&ids, "after", now).await.unwrap().len(), 2);
    assert!(
        !w.jobs.ack(id_of("held"), "after", now).await.unwrap(),
        "not the holder"
    );
    assert!(w.jobs.holds(id_of("held"), "alive").await.unwrap());
    assert!(w.jobs.ack(id_of("held"), "alive", now).await.unwrap());

    // A cancelled key is revived (same job), a done one is not planned again, a new one gets an
    // id of its own.
    let again = |key: &str| NewJob {
        guild: GUILD,
        relationship: Some(RelationshipId(REL)),
        kind: "reminder".into(),
        dedupe_key: key.into(),
        payload: serde_json::json!({ "again": key }),
        run_at: now,
    };
    assert_eq!(
        w.jobs.enqueue(&again("dropped"), now).await.unwrap(),
        Some(id_of("dropped"))
    );
    let revived = w.jobs.job(id_of("dropped")).await.unwrap().unwrap();
    assert_eq!((revived.state, revived.attempts), (JobState::Pending, 0));
    assert_eq!(revived.payload, serde_json::json!({ "again": "dropped" }));
    assert_eq!(w.jobs.enqueue(&again("sent"), now).await.unwrap(), None);
    let new = w.jobs.enqueue(&again("new"), now).await.unwrap().expect("a new key");
    assert!(jobs.iter().all(|j| j.id != new), "{new:?} is a new id");
    let all = w.jobs.counts(None).await.unwrap();
    assert_eq!(
        (all.pending, all.running, all.done, all.failed, all.cancelled),
        (4, 0, 4, 1, 0)
    );
}

on_both_backends!(the_upgrade_keeps_every_job);
