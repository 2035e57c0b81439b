//! Issue 16, item 8: a mentorship's number counts from 1 within its server, is handed out as
//! it is created (never twice, never reused, also with two bot processes on one PostgreSQL),
//! and is what people read and type; the database id, which counts across servers, is never
//! shown.
use std::sync::Arc;

use crate::common;

use common::discord::{cmd, here, Harness};
use common::fixtures::*;
use common::World;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{Relationship, State};
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::{Direction, Engine, Error, ProgramRules, NOT_YOURS};

async fn pair(e: &Engine, guild: GuildId, mentee: UserId, mentor: UserId, purpose: &str) -> Relationship {
    e.propose_direct(guild, mentee, mentor, Kind::Classic, Direction::Request, purpose)
        .await
        .unwrap()
}

/// People of the test beyond the fixtures', members of both servers.
fn person(n: u64) -> UserId {
    UserId(900_000_000_000_001_000 + n)
}

async fn numbers_count_within_each_server(w: World) {
    let e = &w.engine;
    for n in 0..4 {
        w.add_member(GUILD, person(n)).await;
        w.add_member(OTHER_GUILD, person(n)).await;
    }
    w.add_member(OTHER_GUILD, MENTOR).await;
    w.add_member(OTHER_GUILD, MENTEE).await;
    // Several in the first server, then Ada's first in the second: it is #1 there.
    let mut first = Vec::new();
    for n in 0..3 {
        first.push(pair(e, GUILD, person(n), MENTOR, "Rust in the first server").await);
    }
    let elsewhere = pair(e, OTHER_GUILD, MENTEE, MENTOR, "Rust in the second server").await;
    let more = pair(e, GUILD, person(3), MENTOR, "More Rust in the first server").await;
    assert_eq!(first.iter().map(|r| r.number).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(elsewhere.number, 1, "a server's first mentorship is #1");
    assert_ne!(elsewhere.id.0, 1, "its id counts across servers");
    assert_eq!(more.number, 4, "the first server goes on where it was");
    // The stored mentorships carry the same numbers.
    let stored: Vec<i64> = w
        .store
        .relationships_in(GUILD)
        .await
        .unwrap()
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(stored, vec![1, 2, 3, 4]);
    assert_eq!(
        w.store
            .relationship(OTHER_GUILD, elsewhere.id)
            .await
            .unwrap()
            .unwrap()
            .number,
        1
    );

    // A number names a mentorship of the caller's server only.
    assert_eq!(
        e.pick_mentorship(OTHER_GUILD, MENTOR, Some(1)).await.unwrap(),
        elsewhere.id
    );
    assert_eq!(e.pick_mentorship(GUILD, MENTOR, Some(1)).await.unwrap(), first[0].id);
    assert!(matches!(
        e.pick_mentorship(OTHER_GUILD, MENTOR, Some(4)).await,
        Err(Error::NotFound("mentorship"))
    ));
    assert!(matches!(
        e.pick_mentorship(OTHER_GUILD, MENTOR, Some(elsewhere.id.0 + 100)).await,
        Err(Error::NotFound("mentorship"))
    ));
    // Number 1 of the second server is not the first server's, whoever asks.
    assert!(matches!(
        e.relationship_for(
            GUILD,
            e.pick_mentorship(OTHER_GUILD, MENTOR, Some(1)).await.unwrap(),
            MENTOR
        )
        .await,
        Err(Error::NotFound(_))
    ));
    // A declined mentorship keeps its number; the next one takes the next number.
    e.decline(GUILD, more.id, MENTOR).await.unwrap();
    w.add_member(GUILD, person(9)).await;
    let next = pair(e, GUILD, person(9), MENTOR, "After a decline").await;
    assert_eq!(next.number, 5, "numbers are not reused");
}

/// Two bot processes (two pools on one PostgreSQL schema), several creations at once in one
/// server: the numbers are 1..n, without gaps or twins.
async fn concurrent_creations_get_distinct_numbers(w: World) {
    let Some(options) = w.pg_options.clone() else {
        return; // PostgreSQL only: SQLite has one writer.
    };
    let other = mentorbot::store::postgres::PgStore::connect_with(options, 8)
        .await
        .unwrap();
    let other: Arc<dyn mentorbot::store::Store> = Arc::new(other);
    let engines = [
        w.engine.clone(),
        Engine::new(other, w.clock.clone(), ProgramRules::default()),
    ];
    const N: u64 = 16;
    for n in 0..2 * N {
        w.add_member(GUILD, person(n)).await;
    }
    let mut tasks = Vec::new();
    for n in 0..N {
        let e = engines[(n % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            pair(&e, GUILD, person(n), person(N + n), "At the same time").await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().number);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=N as i64).collect::<Vec<_>>());
    let mut stored: Vec<i64> = w
        .store
        .relationships_in(GUILD)
        .await
        .unwrap()
        .iter()
        .map(|r| r.number)
        .collect();
    stored.sort_unstable();
    assert_eq!(stored, numbers);
}

/// Through the stand-in: the list, the autocomplete and the commands use the number in the
/// server, not the id; another server's number or an id reaches nothing.
async fn people_read_and_type_the_number(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    for u in [MENTOR, MENTEE, PEER3, PEER4] {
        h.world.add_member(OTHER_GUILD, u).await;
    }
    // Mentorships in another server first, so ids and numbers differ here.
    for (mentee, mentor) in [(MENTEE, MENTOR), (PEER3, MENTOR), (PEER4, MENTEE)] {
        pair(&e, OTHER_GUILD, mentee, mentor, "Elsewhere").await;
    }
    let rel = pair(&e, GUILD, MENTEE, MENTOR, "Learn Rust for the migration").await;
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    assert_eq!((rel.state, rel.number), (State::Active, 1));
    assert!(rel.id.0 > 3, "{:?}", rel.id);

    let list = h.say(MENTEE, cmd("mentorship list")).await;
    assert!(list.contains("**#1**"), "{list}");
    assert!(!list.contains(&format!("#{}", rel.id.0)), "{list}");

    let found = h
        .fake
        .interaction_autocomplete(here(), MENTEE.0, cmd("mentorship plan list").focus("mentorship", ""))
        .wait_response()
        .await
        .choices();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.starts_with("#1 with "), "{found:?}");
    assert_eq!(found[0].1, serde_json::json!(1));

    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan add")
                .int("mentorship", 1)
                .str("goal", "Ship the service"),
        )
        .await;
    assert!(text.contains("Goal 1 added"), "{text}");
    assert_eq!(e.plan(GUILD, rel.id, MENTEE).await.unwrap().len(), 1);

    // The id, or a number only the other server has, reaches nothing here.
    for typed in [rel.id.0, 2, 3] {
        let text = h
            .say(
                MENTEE,
                cmd("mentorship plan add")
                    .int("mentorship", typed)
                    .str("goal", "Not here"),
            )
            .await;
        assert_eq!(text, NOT_YOURS, "mentorship:{typed}");
        assert!(text.contains("/mentorship list"), "{text}");
    }
    assert_eq!(e.plan(GUILD, rel.id, MENTEE).await.unwrap().len(), 1);
    h.shutdown().await;
}

/// The statements of migration 0019 after its schema changes: the backfill of an older database.
fn backfill_of(migration: &str) -> String {
    let from = migration
        .find("-- Existing mentorships get their numbers")
        .expect("the migration's backfill");
    migration[from..].to_string()
}

/// An upgraded database: migration 0019 numbers the mentorships it finds within each server, in
/// the order they were made, and new ones go on from there.
async fn the_upgrade_numbers_existing_mentorships(w: World) {
    let e = &w.engine;
    for n in 0..5 {
        w.add_member(GUILD, person(n)).await;
        w.add_member(OTHER_GUILD, person(n)).await;
    }
    w.add_member(OTHER_GUILD, MENTOR).await;
    // Interleaved across the two servers, so database ids and numbers differ.
    let mut made = Vec::new();
    for (n, guild) in [GUILD, OTHER_GUILD, GUILD, OTHER_GUILD, GUILD].into_iter().enumerate() {
        made.push((
            guild,
            pair(e, guild, person(n as u64), MENTOR, "Before the upgrade").await,
        ));
    }
    // The database as it was before 0019: no numbers, no counters, no unique index.
    w.execute(
        "DROP INDEX relationships_number; UPDATE relationships SET number = 0; DELETE FROM relationship_counters;",
    )
    .await;
    let migration = if w.pg_options.is_some() {
        include_str!("../../migrations/postgres/0019_mentorship_numbers.sql")
    } else {
        include_str!("../../migrations/sqlite/0019_mentorship_numbers.sql")
    };
    w.execute(&backfill_of(migration)).await;
    let mut got = Vec::new();
    for (guild, rel) in &made {
        got.push(w.number(*guild, rel.id).await);
    }
    assert_eq!(
        got,
        vec![1, 1, 2, 2, 3],
        "numbered within each server, in the order made"
    );
    let next = pair(e, GUILD, person(0), person(4), "After the upgrade").await;
    assert_eq!(next.number, 4, "the counter goes on from the backfill");
    let next = pair(e, OTHER_GUILD, person(1), person(4), "After the upgrade").await;
    assert_eq!(next.number, 3);
}

on_both_backends!(
    the_upgrade_numbers_existing_mentorships,
    numbers_count_within_each_server,
    concurrent_creations_get_distinct_numbers,
    people_read_and_type_the_number
);
