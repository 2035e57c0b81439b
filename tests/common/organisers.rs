//! A program with known numbers for the organisers' tests: three active mentorships (one
//! green, one amber, one red), one proposed, one ended; check-ins over the weeks; reflections
//! and a retrospective whose words must never reach an organiser.
use chrono::{DateTime, Duration, TimeZone, Utc};
use mentorbot::domain::checkin::{Checkin, CheckinSource, CheckinStatus};
use mentorbot::domain::ids::{CheckinId, RelationshipId, UserId};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{EndReason, State};
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::engine::Direction;

use super::fixtures::*;
use super::World;

/// Words written by members: no organiser output may contain them.
pub const SECRET: &str = "SECRET-WORDS";

/// The moment of the stats: a Monday, 12 weeks after the test's start.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 25, 9, 0, 0).unwrap()
}

pub struct Seeded {
    pub green: RelationshipId,
    pub amber: RelationshipId,
    pub red: RelationshipId,
    pub proposed: RelationshipId,
    pub ended: RelationshipId,
}

async fn active(w: &World, mentee: UserId, mentor: UserId) -> RelationshipId {
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, mentee, mentor, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, mentor).await.unwrap();
    let (rel, v) = e.propose_agreement(GUILD, rel.id, mentor, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, mentee, v).await.unwrap();
    assert_eq!(rel.state, State::Active);
    // The seeded check-ins below are the whole calendar: nothing the schedule planned.
    w.store
        .delete_planned_checkins(GUILD, rel.id, DateTime::UNIX_EPOCH)
        .await
        .unwrap();
    w.jobs
        .cancel_pending_after(GUILD, rel.id, None, DateTime::UNIX_EPOCH, w.engine.now())
        .await
        .unwrap();
    rel.id
}

async fn checkin(w: &World, rel: RelationshipId, at: DateTime<Utc>, status: CheckinStatus) -> CheckinId {
    let reported = status != CheckinStatus::Planned;
    let c = Checkin {
        id: CheckinId(0),
        guild: GUILD,
        relationship: rel,
        scheduled_at: at,
        status,
        reported_by: reported.then_some(MENTOR),
        reported_at: reported.then_some(at + Duration::hours(1)),
        note: reported.then(|| format!("{SECRET} in a check-in note")),
        source: CheckinSource::Manual,
    };
    w.store.insert_checkin(&c).await.unwrap()
}

async fn reflect(w: &World, rel: RelationshipId, who: UserId, c: Option<CheckinId>) {
    let answers = vec![("What did you learn?".to_string(), format!("{SECRET} in a journal"))];
    w.engine.write_journal(GUILD, rel, who, c, &answers).await.unwrap();
}

/// Seeds the program (the clock ends at [`now`]).
///
/// Weeks (index 0 oldest, 11 ending now): 6: 1 held; 9: 2 missed; 10: 1 held, 1 skipped;
/// 11: 2 held. Held check-ins: 4, two of them with reflections.
pub async fn seed(w: &World) -> Seeded {
    let e = &w.engine;
    let amber = active(w, MENTEE, MENTOR).await;
    let red = active(w, PEER3, MENTOR).await;
    let green = active(w, PEER4, MENTOR).await;
    let proposed = e
        .propose_direct(GUILD, STRANGER, PEER3, Kind::Classic, Direction::Request, "Learn Go")
        .await
        .unwrap()
        .id;
    let ended = e
        .propose_direct(GUILD, MENTEE, PEER4, Kind::Classic, Direction::Request, "Learn SQL")
        .await
        .unwrap()
        .id;
    e.accept(GUILD, ended, PEER4).await.unwrap();
    e.end(GUILD, ended, MENTEE, EndReason::NotAFit).await.unwrap();
    let retro = RetrospectiveInput {
        learned: format!("{SECRET} in a retrospective"),
        differently: Some(format!("{SECRET} again")),
        celebrate: None,
        celebrate_publicly: false,
    };
    e.write_retrospective(GUILD, ended, MENTEE, &retro).await.unwrap();
    e.set_profile(GUILD, STRANGER, &profile("Mallory", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, STRANGER, &request_input()).await.unwrap();

    w.clock.set(now() - Duration::days(2));
    e.set_profile(GUILD, PEER3, &profile("Linus", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, PEER3, &request_input()).await.unwrap();
    w.clock.set(now());
    w.store.replace_unplaced(GUILD, &[PEER4], now()).await.unwrap();

    let n = now();
    let day = Duration::days(1);
    let week = Duration::weeks(1);
    // Amber: held lately, but the last one nobody reported.
    checkin(w, amber, n - week * 2 - day, CheckinStatus::Missed).await;
    let a1 = checkin(w, amber, n - week - day, CheckinStatus::Held).await;
    let a2 = checkin(w, amber, n - day * 3, CheckinStatus::Held).await;
    checkin(w, amber, n - day * 2, CheckinStatus::Planned).await;
    // Red: the last two did not happen.
    checkin(w, red, n - week * 5 - day, CheckinStatus::Held).await;
    checkin(w, red, n - week * 2 - day, CheckinStatus::Missed).await;
    checkin(w, red, n - week - day, CheckinStatus::Skipped).await;
    checkin(w, red, n + day * 2, CheckinStatus::Planned).await;
    // Green: one meeting, held.
    let g1 = checkin(w, green, n - day, CheckinStatus::Held).await;
    // Reflections: two on one check-in count once, one on no check-in not at all.
    reflect(w, amber, MENTEE, Some(a2)).await;
    reflect(w, amber, MENTOR, Some(a2)).await;
    reflect(w, amber, MENTEE, None).await;
    reflect(w, green, PEER4, Some(g1)).await;
    let _ = a1;
    Seeded {
        green,
        amber,
        red,
        proposed,
        ended,
    }
}
