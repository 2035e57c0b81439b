//! Issue 16, item 9, through the stand-in: the agreement's message carries a Suggest a change
//! button for every member; its form is prefilled from the proposed agreement (the next meeting
//! in the presser's own zone, named in the placeholder); submitting proposes a new version as
//! the presser, which everyone is asked to confirm. Nobody else may press it, bad input is
//! refused with nothing changed, and the longest accepted texts fit the form again.
use crate::common;

use chrono::{Datelike, Weekday};
use common::discord::{cmd, Harness};
use common::fixtures::*;
use common::{snapshot, World};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::engine::Direction;

async fn suggest_a_change_from_the_confirm_message(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_profile(GUILD, MENTEE, &profile("grace", "America/New_York"))
        .await
        .unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    h.form(
        MENTOR,
        cmd("mentorship agreement")
            .int("mentorship", rel.number)
            .str("frequency", "every 2 weeks")
            .str("day", "tue")
            .str("time", "18:30")
            .str("timezone", "Europe/Berlin")
            .int("length", 45)
            .str("method", "video")
            .str("place", "the pair's thread")
            .str("start", "2026-03-03")
            .str("end", "2026-09-01"),
        &[
            ("expectations", "One question a week"),
            ("issue_handling", "Talk it over"),
        ],
    )
    .await;
    let prefix = format!("mb:sugchg:{}:{}", GUILD.0, rel.id.0);
    let dm = h.wait_dm(MENTEE, "version 1").await;
    assert!(dm.contains("Suggest a change button"), "{dm}");
    // Every member's message has it, the author's too.
    h.wait_button(MENTOR, &prefix).await;
    let (msg, id) = h.wait_button(MENTEE, &prefix).await;

    // Nobody else may press it: refused, nothing opens.
    let refused = h.press_forged(msg, STRANGER, &id).await;
    assert!(!refused.is_modal(), "{refused:?}");
    assert!(refused.is_ephemeral(), "{refused:?}");

    // The form: prefilled, the next meeting in the mentee's own zone (18:30 Berlin is 12:30 in New York).
    let open = || h.fake.interaction_button(msg, MENTEE.0, &id);
    let handle = open();
    let form = handle.wait_response().await;
    assert!(form.is_modal(), "{:?}", form.content());
    let inputs: Vec<serde_json::Value> = form.data["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["components"][0].clone())
        .collect();
    assert_eq!(inputs.len(), 5);
    let input = |name: &str| inputs.iter().find(|i| i["custom_id"] == name).unwrap().clone();
    assert_eq!(input("next_meeting")["value"], "2026-03-03 12:30");
    assert_eq!(
        input("next_meeting")["placeholder"],
        "YYYY-MM-DD HH:MM in America/New_York"
    );
    assert_eq!(input("frequency")["value"], "every 2 weeks");
    assert_eq!(input("method")["value"], "video");
    assert_eq!(input("issue_handling")["value"], "Talk it over");
    assert!(inputs
        .iter()
        .all(|i| i["label"].as_str().unwrap().chars().count() <= 45));

    // Bad input: a short refusal that says what to fix; nothing stored changes.
    let before = snapshot(&h.world, GUILD).await;
    let good = [
        ("expectations", "Bring my questions"),
        ("issue_handling", "Talk it over"),
        ("frequency", "weekly"),
        ("next_meeting", "2026-03-05 12:00"),
        ("method", "voice"),
    ];
    for (field, bad, says) in [
        ("next_meeting", "thursday noon", "Please fix the next meeting"),
        ("next_meeting", "2026-01-05 12:00", "has already passed"),
        ("frequency", "now and then", "Please fix the frequency"),
        ("method", "pigeon", "Please fix the method"),
    ] {
        let fields: Vec<(&str, &str)> = good
            .iter()
            .map(|&(f, v)| if f == field { (f, bad) } else { (f, v) })
            .collect();
        let handle = open();
        assert!(handle.wait_response().await.is_modal());
        let answer = h.fake.submit_modal(&handle, &fields).wait_response().await;
        assert!(answer.is_ephemeral(), "{answer:?}");
        let text = answer.content().unwrap_or_default().to_string();
        assert!(text.contains(says), "{bad}: {text}");
        assert_eq!(before, snapshot(&h.world, GUILD).await, "{bad} changed something");
    }

    // A good one: version 2 by the mentee, the rest as proposed.
    let answer = h.fake.submit_modal(&handle, &good).wait_response().await;
    let text = answer.content().unwrap_or_default().to_string();
    assert!(text.contains("Version 2"), "{text}");
    let now = e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(now.state, State::Agreeing);
    let (v1, v2) = (&now.agreements[0], &now.agreements[1]);
    assert_eq!(v2.author, MENTEE);
    let t = &v2.terms;
    // 12:00 in New York on Thursday the 5th is 18:00 in Berlin.
    assert_eq!(t.frequency.to_string(), "weekly");
    assert_eq!(t.local_time.format("%H:%M").to_string(), "18:00");
    assert_eq!(
        (t.start_date.to_string(), t.day),
        ("2026-03-05".into(), Some(Weekday::Thu))
    );
    assert_eq!(t.start_date.weekday(), Weekday::Thu);
    assert_eq!(t.method.to_string(), "voice");
    assert_eq!(
        (t.timezone, t.meeting_minutes, &t.place, t.end_date),
        (
            v1.terms.timezone,
            v1.terms.meeting_minutes,
            &v1.terms.place,
            v1.terms.end_date
        )
    );
    let mine = t.expectations.iter().find(|x| x.user == MENTEE).unwrap();
    assert_eq!(mine.text, "Bring my questions");
    let theirs = t.expectations.iter().find(|x| x.user == MENTOR).unwrap();
    assert_eq!(theirs.text, "One question a week", "the others' expectations stay");
    // Everyone is asked to confirm the new version.
    h.wait_button(MENTOR, &format!("mb:conf:{}:{}:2", GUILD.0, rel.id.0))
        .await;
    h.shutdown().await;
}

/// The longest texts the form takes are accepted, and prefill the next form within its limits.
async fn the_longest_inputs_fit(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    e.set_profile(GUILD, MENTOR, &profile("ada", "America/Argentina/ComodRivadavia"))
        .await
        .unwrap();
    h.form(
        MENTOR,
        cmd("mentorship agreement")
            .int("mentorship", rel.number)
            .str("frequency", "weekly")
            .str("time", "09:00")
            .int("length", 30)
            .str("method", "in person")
            .str("start", "2026-03-10"),
        &[("expectations", "Pair weekly"), ("issue_handling", "Say so")],
    )
    .await;
    let prefix = format!("mb:sugchg:{}:{}", GUILD.0, rel.id.0);
    let (msg, id) = h.wait_button(MENTEE, &prefix).await;
    let handle = h.fake.interaction_button(msg, MENTEE.0, &id);
    assert!(handle.wait_response().await.is_modal());
    let long = "é".repeat(1000);
    let answer = h
        .fake
        .submit_modal(
            &handle,
            &[
                ("expectations", &long),
                ("issue_handling", &long),
                ("frequency", "cron: 30 18 * * 2"),
                ("next_meeting", "2026-03-17 18:30"),
                ("method", "in person"),
            ],
        )
        .wait_response()
        .await;
    let text = answer.content().unwrap_or_default().to_string();
    assert!(text.contains("Version 2"), "{text}");
    // The mentor's form now holds the 1000-character issue handling, and the zone with the
    // longest name in its placeholder: the stand-in takes it (checked at shutdown too).
    let (msg, id) = h.wait_button(MENTOR, &prefix).await;
    let form = h.fake.interaction_button(msg, MENTOR.0, &id).wait_response().await;
    assert!(form.is_modal(), "{:?}", form.content());
    let text = form.data.to_string();
    assert!(text.contains("in America/Argentina/ComodRivadavia"), "{text}");
    assert!(text.contains(&long), "prefilled whole");
    h.shutdown().await;
}

on_both_backends!(suggest_a_change_from_the_confirm_message, the_longest_inputs_fit);
