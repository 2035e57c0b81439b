//! Issue 11, what a change plans and what a job's messages carry, under injected faults:
//! re-planning after a change is planned in the change's own transaction (a process that dies
//! right after the save loses nothing; a database that refuses the job refuses the change
//! too), a digest rebuilt after a crash is recognised by its marker when read back, and the
//! organisers' DMs from jobs reach someone marked unreachable by DM.
use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::discord::{channel, cmd, Harness, COORDINATOR_ROLE, OWNER};
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::{Direction, ProgramSetup};
use mentorbot::jobs::JobState;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Runs `pg` or `sqlite` on the test's database, beside the bot (a fault injected there).
async fn on_the_database(w: &World, pg: &'static str, sqlite: &'static str) {
    use sqlx::Connection;
    if let Some(options) = &w.pg_options {
        let mut conn = sqlx::PgConnection::connect_with(options).await.unwrap();
        sqlx::raw_sql(pg).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(w.sqlite_url.as_ref().unwrap())
            .await
            .unwrap();
        sqlx::raw_sql(sqlite).execute(&mut conn).await.unwrap();
    }
}

/// A classic pair with the fixture agreement proposed, waiting for the mentee's confirmation.
async fn agreeing_pair(h: &Harness) -> (RelationshipId, u32) {
    let e = &h.world.engine;
    let setup = ProgramSetup {
        channel: Some(channel()),
        coordinator_role: Some(COORDINATOR_ROLE),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, version) = e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
    (rel.id, version)
}

async fn kinds(h: &Harness, rel: RelationshipId, state: JobState) -> Vec<String> {
    let jobs = h.world.jobs.jobs_for_relationship(GUILD, rel).await.unwrap();
    jobs.into_iter().filter(|j| j.state == state).map(|j| j.kind).collect()
}

fn reminders(h: &Harness, user: UserId) -> usize {
    h.fake
        .dms_to(user.0)
        .iter()
        .filter(|m| m.content.contains("Reminder: check-in"))
        .count()
}

/// The process dies right after the agreement's confirmation is saved (nothing that follows
/// the save at once runs): the `sync` job planned in the same transaction plans the schedule,
/// and the reminders come, once. The same after ending: the end's own job cancels the rest and
/// plans the retrospective reminder.
async fn a_crash_after_a_change_leaves_the_replanning_to_its_job(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let (rel, version) = agreeing_pair(&h).await;
    // What was planned before the change (an invitation's or agreement's reminder, say).
    let before = kinds(&h, rel, JobState::Pending).await;
    e.inject_stop_after_save(true);
    let active = e.confirm_agreement(GUILD, rel, MENTEE, version).await.unwrap();
    assert_eq!(active.state, State::Active);
    assert_eq!(
        kinds(&h, rel, JobState::Pending).await,
        before,
        "the process died before planning anything"
    );
    assert!(
        h.world.jobs.count_due(h.world.clock.now()).await.unwrap() >= 1,
        "the sync job waits"
    );
    // Another process (or this one, restarted) runs the queue.
    e.inject_stop_after_save(false);
    h.run_jobs().await;
    let pending = kinds(&h, rel, JobState::Pending).await;
    assert!(pending.iter().any(|k| k == "reminder"), "{pending:?}");
    h.world.clock.set(utc(2026, 3, 2, 17, 30));
    h.run_jobs().await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (1, 1));

    e.inject_stop_after_save(true);
    e.end(GUILD, rel, MENTOR, mentorbot::domain::relationship::EndReason::GoalsMet)
        .await
        .unwrap();
    assert!(
        kinds(&h, rel, JobState::Pending).await.iter().any(|k| k == "reminder"),
        "not cancelled yet: the process died"
    );
    e.inject_stop_after_save(false);
    h.run_jobs().await;
    assert_eq!(
        kinds(&h, rel, JobState::Pending).await,
        vec!["retro_reminder".to_string()]
    );
    h.advance(Duration::days(20)).await;
    assert_eq!(
        (reminders(&h, MENTOR), reminders(&h, MENTEE)),
        (1, 1),
        "no reminder after the end"
    );
    h.shutdown().await;
}

/// The database refuses the `sync` job: the confirmation is refused with it (one transaction),
/// so no mentorship is active without its re-planning on the way; once the database takes
/// jobs again, the confirmation goes through and the schedule follows.
async fn a_change_whose_replanning_cannot_be_planned_does_not_happen(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let (rel, version) = agreeing_pair(&h).await;
    on_the_database(
        &h.world,
        "CREATE FUNCTION no_sync() RETURNS trigger AS $$ BEGIN \
           IF NEW.kind = 'sync' THEN RAISE EXCEPTION 'the database failed'; END IF; RETURN NEW; END $$ \
           LANGUAGE plpgsql; \
         CREATE TRIGGER no_sync BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION no_sync();",
        "CREATE TRIGGER no_sync BEFORE INSERT ON jobs WHEN NEW.kind = 'sync' \
         BEGIN SELECT RAISE(ABORT, 'the database failed'); END;",
    )
    .await;
    assert!(e.confirm_agreement(GUILD, rel, MENTEE, version).await.is_err());
    let now = h.world.store.relationship(GUILD, rel).await.unwrap().unwrap();
    assert_eq!(now.state, State::Agreeing, "the change was rolled back with its job");
    on_the_database(&h.world, "DROP TRIGGER no_sync ON jobs;", "DROP TRIGGER no_sync;").await;
    let active = e.confirm_agreement(GUILD, rel, MENTEE, version).await.unwrap();
    assert_eq!(active.state, State::Active);
    let pending = kinds(&h, rel, JobState::Pending).await;
    assert!(pending.iter().any(|k| k == "reminder"), "{pending:?}");
    h.shutdown().await;
}

/// Digest to the owner by DM (no program channel), on Fridays 18:00 UTC.
async fn digest_to_the_owner(h: &Harness) -> DateTime<Utc> {
    let text = h
        .say(UserId(OWNER), cmd("program setup").str("digest", "0 18 * * fri"))
        .await;
    assert!(text.contains("Digest to the coordinator"), "{text}");
    utc(2026, 3, 6, 18, 0)
}

fn digests(h: &Harness) -> Vec<fake_discord::SentMessage> {
    h.fake
        .dms_to(OWNER)
        .into_iter()
        .filter(|m| m.content.contains("Weekly program digest"))
        .collect()
}

/// Discord takes the digest, the bot dies before recording it, and by the retry Discord has
/// forgotten the nonce and the digest's numbers have changed (its text is rebuilt on each
/// attempt): the retry finds the earlier copy by its marker, records it, and sends nothing again.
async fn a_rebuilt_digest_sent_but_not_recorded_is_found_by_its_marker(w: World) {
    let h = Harness::start(w).await;
    let friday = digest_to_the_owner(&h).await;
    h.world.clock.set(friday);
    on_the_database(
        &h.world,
        "CREATE FUNCTION die() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the process died'; END $$ \
           LANGUAGE plpgsql; \
         CREATE TRIGGER crash_before_record BEFORE INSERT ON job_deliveries FOR EACH ROW EXECUTE FUNCTION die();",
        "CREATE TRIGGER crash_before_record BEFORE INSERT ON job_deliveries \
         BEGIN SELECT RAISE(ABORT, 'the process died'); END;",
    )
    .await;
    h.run_jobs().await;
    let first = digests(&h);
    assert_eq!(first.len(), 1, "Discord took it; the record failed");
    assert!(first[0]
        .content
        .contains("**Unplaced by the last matching run:** nobody."));
    on_the_database(
        &h.world,
        "DROP TRIGGER crash_before_record ON job_deliveries;",
        "DROP TRIGGER crash_before_record;",
    )
    .await;
    // The numbers change: the retry's text is not the text Discord has.
    h.world.store.replace_unplaced(GUILD, &[PEER4], friday).await.unwrap();
    h.fake.advance(std::time::Duration::from_secs(15 * 60));
    h.advance(Duration::minutes(10)).await;
    let all = digests(&h);
    assert_eq!(all.len(), 1, "sent once: {all:#?}");
    assert!(
        !all[0].content.contains(&format!("<@{}>", PEER4.0)),
        "the copy Discord has is the earlier text"
    );
    let reads = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/messages"))
        .count();
    assert!(reads >= 1, "the retry read the channel back");
    h.fake.assert_no_violations();
    h.shutdown().await;
}

/// An organiser marked unreachable by DM still gets the organisers' DMs jobs send (they have
/// nowhere else to go), and a DM that arrives marks them reachable again.
async fn organiser_dms_from_jobs_reach_someone_marked_unreachable(w: World) {
    let h = Harness::start(w).await;
    let friday = digest_to_the_owner(&h).await;
    let e = &h.world.engine;
    e.set_profile(GUILD, UserId(OWNER), &profile("Owner", "Europe/Berlin"))
        .await
        .unwrap();
    e.mark_unreachable_by_dm(GUILD, UserId(OWNER)).await.unwrap();
    let reachable = || async { e.profile(GUILD, UserId(OWNER)).await.unwrap().unwrap().dm_reachable };
    assert!(!reachable().await);
    h.world.clock.set(friday);
    h.run_jobs().await;
    assert_eq!(digests(&h).len(), 1, "the DM was tried and arrived");
    assert!(reachable().await, "reachable again");
    h.shutdown().await;
}

on_both_backends!(
    a_crash_after_a_change_leaves_the_replanning_to_its_job,
    a_change_whose_replanning_cannot_be_planned_does_not_happen,
    a_rebuilt_digest_sent_but_not_recorded_is_found_by_its_marker,
    organiser_dms_from_jobs_reach_someone_marked_unreachable,
);
