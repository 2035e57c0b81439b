//! The start's catch-up plans many mentorships' jobs in batches: the same check-ins and jobs as
//! bringing each schedule in line one at a time, on both databases.
use crate::common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::preferences::PrefsChange;
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::Direction;

const PAIRS: u64 = 14;

async fn another(w: &World) -> World {
    if w.is_postgres() {
        World::postgres().await.expect("the first world was on PostgreSQL")
    } else {
        World::sqlite().await
    }
}

/// Mentorships with varied schedules (frequency, time, zone, end), some paused, some still
/// without an agreement; the same in every world it is run in.
async fn populate(w: &World) -> Vec<RelationshipId> {
    let e = &w.engine;
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Sydney",
        "UTC",
    ];
    let frequencies = [
        "weekly",
        "every 2 weeks",
        "monthly",
        "monthly on day 31",
        "every 3 weeks",
    ];
    let mut rels = Vec::new();
    for k in 0..PAIRS {
        let mentor = UserId(800_000_000_000_000_000 + 2 * k);
        let mentee = UserId(800_000_000_000_000_001 + 2 * k);
        for (user, name) in [(mentor, "Mentor"), (mentee, "Mentee")] {
            w.add_member(GUILD, user).await;
            e.set_profile(GUILD, user, &profile(name, zones[(k as usize + 1) % zones.len()]))
                .await
                .unwrap();
        }
        let rel = e
            .propose_direct(GUILD, mentee, mentor, Kind::Classic, Direction::Request, "Rust")
            .await
            .unwrap();
        e.accept(GUILD, rel.id, mentor).await.unwrap();
        rels.push(rel.id);
        if k % 7 == 6 {
            continue; // accepted, no agreement yet
        }
        let mut terms = agreement();
        terms.frequency = frequencies[k as usize % frequencies.len()].into();
        terms.timezone = zones[k as usize % zones.len()].into();
        terms.time = format!("{:02}:{:02}", 7 + k % 12, (k * 15) % 60);
        terms.day = Some(["mon", "tue", "wed", "thu", "fri", "sat", "sun"][k as usize % 7].into());
        terms.end_date = match k % 3 {
            0 => None,
            1 => Some("2026-04-10".into()),
            _ => Some("2026-09-01".into()),
        };
        terms.meeting_minutes = 30 + 15 * (k % 3) as i64;
        let (rel, v) = e.propose_agreement(GUILD, rel.id, mentor, &terms).await.unwrap();
        e.confirm_agreement(GUILD, rel.id, mentee, v).await.unwrap();
        // Own lead times (the catch-up reads a page's preferences at once): one member's, or
        // both members' different ones.
        let own = |leads: &str| PrefsChange {
            switches: Vec::new(),
            lead_times: Some(leads.into()),
        };
        match k % 4 {
            1 => {
                e.set_notification_prefs(GUILD, mentee, &own("3h, 30m")).await.unwrap();
            }
            2 => {
                e.set_notification_prefs(GUILD, mentee, &own("2d")).await.unwrap();
                e.set_notification_prefs(GUILD, mentor, &own("90m, 3h")).await.unwrap();
            }
            _ => {}
        }
        if k % 5 == 3 {
            e.pause(GUILD, rel.id, mentee).await.unwrap();
        }
    }
    rels
}

/// Each mentorship's check-ins and jobs, with check-in ids (which depend on the order rows were
/// written) replaced by the check-in's time.
async fn planned(w: &World, rels: &[RelationshipId]) -> BTreeMap<i64, (Vec<String>, Vec<String>)> {
    let mut out = BTreeMap::new();
    for &rel in rels {
        let checkins = w.store.checkins(GUILD, rel).await.unwrap();
        let at = |id: i64| {
            checkins
                .iter()
                .find(|c| c.id.0 == id)
                .map(|c| c.scheduled_at.to_rfc3339())
                .unwrap_or_else(|| format!("unknown check-in {id}"))
        };
        let mut cs: Vec<String> = checkins
            .iter()
            .map(|c| format!("{} {:?} {:?}", c.scheduled_at.to_rfc3339(), c.status, c.source))
            .collect();
        cs.sort();
        let mut js: Vec<String> = w
            .jobs
            .jobs_for_relationship(GUILD, rel)
            .await
            .unwrap()
            .into_iter()
            .map(|j| {
                let mut key = j.dedupe_key.clone();
                let mut payload = j.payload.clone();
                if let Some(id) = j.payload.get("checkin").and_then(|v| v.as_i64()) {
                    key = key.replace(&format!(":c{id}:"), &format!(":c@{}:", at(id)));
                    payload["checkin"] = serde_json::Value::String(at(id));
                }
                format!("{} {key} {} {payload} {}", j.kind, j.run_at.to_rfc3339(), j.state)
            })
            .collect();
        js.sort();
        out.insert(rel.0, (cs, js));
    }
    out
}

async fn batched_catch_up_plans_what_one_at_a_time_does(w: World) {
    let one = another(&w).await;
    let rels = populate(&w).await;
    assert_eq!(populate(&one).await, rels, "both worlds hold the same mentorships");
    // Down for three weeks: every schedule has occurrences to plan and reminders gone past.
    for world in [&w, &one] {
        world.clock.set(world.clock.now() + Duration::days(23));
    }
    let active = w.store.active_relationships().await.unwrap();
    assert!(active.len() >= 8, "{active:?}");
    assert_eq!(w.engine.catch_up().await.unwrap(), active.len());
    for (guild, id) in one.store.active_relationships().await.unwrap() {
        one.engine.sync_schedule(guild, id).await.unwrap();
    }
    let (batched, alone) = (planned(&w, &rels).await, planned(&one, &rels).await);
    assert!(
        batched.values().map(|(cs, js)| cs.len() + js.len()).sum::<usize>() > 100,
        "{batched:#?}"
    );
    for rel in &rels {
        assert_eq!(batched[&rel.0], alone[&rel.0], "mentorship {}", rel.0);
    }

    // Again, a moment later: nothing new, and nothing planned twice.
    assert_eq!(w.engine.catch_up().await.unwrap(), active.len());
    assert_eq!(planned(&w, &rels).await, batched);
}

on_both_backends!(batched_catch_up_plans_what_one_at_a_time_does);
