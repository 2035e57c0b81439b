//! Issue 16, item 10, through the stand-in: every time a person reads is a Discord timestamp
//! (which Discord shows in the reader's own zone) or in the reader's own zone: the agreement's
//! meeting time, the next digest in `/program setup`, a journal entry's day in its autocomplete.
use crate::common;

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use common::discord::{channel, cmd, here, Harness, OWNER};
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::engine::Direction;

async fn agreement_and_digest_carry_timestamps(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    assert_eq!(rel.state, State::Active);

    // A new version through Discord: its DM shows the meeting time as a timestamp.
    h.form(
        MENTOR,
        cmd("mentorship agreement").str("time", "19:15"),
        &[
            ("expectations", "Bring one question"),
            ("issue_handling", "Talk it over"),
        ],
    )
    .await;
    let dm = h.wait_dm(MENTEE, "version 2").await;
    let terms = e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().agreements[1]
        .terms
        .clone();
    let first = mentorbot::discord::render::first_meeting_utc(&terms).unwrap();
    assert_eq!((first.hour(), first.minute()), (18, 15), "19:15 in Berlin, in winter");
    assert!(
        dm.contains(&format!(
            "**Meetings:** every 2 weeks at <t:{}:t> your time (agreed as Tue 19:15 Europe/Berlin)",
            first.timestamp()
        )),
        "{dm}"
    );
    assert!(!dm.contains("19:15 (Europe/Berlin)"), "{dm}");

    // The next digest, as a timestamp: Monday 09:00 in Berlin.
    let text = h
        .say(
            mentorbot::domain::UserId(OWNER),
            cmd("program setup")
                .channel("channel", channel())
                .str("timezone", "Europe/Berlin"),
        )
        .await;
    let now = h.world.clock.now();
    let berlin = chrono_tz::Europe::Berlin;
    let next_monday = (0..=7)
        .map(|d| now.with_timezone(&berlin).date_naive() + Duration::days(d))
        .map(|d| berlin.from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap()).unwrap())
        .find(|t| t.weekday() == Weekday::Mon && t.with_timezone(&Utc) > now)
        .unwrap();
    assert!(
        text.contains(&format!("next <t:{}:F>", next_monday.timestamp())),
        "{text}"
    );
    h.shutdown().await;
}

/// A journal entry's day in its autocomplete choice is the author's own day, not UTC's.
async fn journal_choices_show_your_own_day(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_profile(GUILD, MENTEE, &profile("grace", "Asia/Tokyo"))
        .await
        .unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    // 23:30 UTC on the 5th is 08:30 on the 6th in Tokyo.
    h.world.clock.set(Utc.with_ymd_and_hms(2026, 3, 5, 23, 30, 0).unwrap());
    e.write_journal(
        GUILD,
        rel.id,
        MENTEE,
        None,
        &[("What did you learn?".into(), "words".into())],
    )
    .await
    .unwrap();
    let choices = h
        .fake
        .interaction_autocomplete(here(), MENTEE.0, cmd("mentorship journal share").focus("entry", ""))
        .wait_response()
        .await
        .choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert!(choices[0].0.contains("2026-03-06"), "{choices:?}");
    h.shutdown().await;
}

on_both_backends!(agreement_and_digest_carry_timestamps, journal_choices_show_your_own_day);
