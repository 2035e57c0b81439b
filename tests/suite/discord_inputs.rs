//! Issue 16, items 8 to 10 and 12, through the stand-in: autocomplete offers only the caller's
//! own mentorships, goals, steps and journal entries, by people and words; the only mentorship
//! is picked when left out; numbers count within a mentorship (goals, steps) or an author's
//! journal; the plan can be edited; the agreement command changes only what is typed, takes
//! the zone from the profile, and its message names the way to suggest a change; times are
//! Discord timestamps; Reschedule takes the time in the person's own zone.
use crate::common;

use common::discord::{cmd, here, Harness};
use common::fixtures::*;
use common::{snapshot, World};
use fake_discord::SlashCommand;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::plan::ItemStatus;
use mentorbot::domain::relationship::{Relationship, State};
use mentorbot::domain::UserId;
use mentorbot::engine::Direction;

async fn active_pair(h: &Harness) -> Relationship {
    let engine = &h.world.engine;
    let rel = engine
        .propose_direct(
            GUILD,
            MENTEE,
            MENTOR,
            Kind::Classic,
            Direction::Request,
            "Learn Rust for the migration",
        )
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    engine
        .propose_agreement(GUILD, rel.id, MENTEE, &agreement())
        .await
        .unwrap();
    let rel = engine.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    assert_eq!(rel.state, State::Active);
    rel
}

/// The choices the bot offers `user` while they type `partial` into `option`.
async fn choices(
    h: &Harness,
    user: UserId,
    command: SlashCommand,
    option: &str,
    partial: &str,
) -> Vec<(String, serde_json::Value)> {
    h.fake
        .interaction_autocomplete(here(), user.0, command.focus(option, partial))
        .wait_response()
        .await
        .choices()
}

async fn autocomplete_and_numbers(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    // Someone else's mentorship, made first so that global numbers would not start at 1.
    let theirs = e
        .propose_direct(
            GUILD,
            PEER3,
            PEER4,
            Kind::Classic,
            Direction::Request,
            "Secret plans of linus",
        )
        .await
        .unwrap();
    e.accept(GUILD, theirs.id, PEER4).await.unwrap();
    e.add_goal(GUILD, theirs.id, PEER3, "Their goal").await.unwrap();
    e.write_journal(
        GUILD,
        theirs.id,
        PEER3,
        None,
        &[("What did you learn?".into(), "linus words".into())],
    )
    .await
    .unwrap();
    let rel = active_pair(&h).await;

    // Only the caller's own mentorship, by the other person's name and the purpose.
    let found = choices(&h, MENTEE, cmd("mentorship plan list"), "mentorship", "").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0.contains("with ada") && found[0].0.contains("Learn Rust"),
        "{found:?}"
    );
    assert_eq!(found[0].1, serde_json::json!(rel.number));
    assert_eq!(
        choices(&h, MENTEE, cmd("mentorship plan list"), "mentorship", "ADA")
            .await
            .len(),
        1,
        "typing part of a name finds it"
    );
    assert!(choices(&h, MENTEE, cmd("mentorship plan list"), "mentorship", "linus")
        .await
        .is_empty());
    assert!(
        choices(&h, STRANGER, cmd("mentorship pause"), "mentorship", "")
            .await
            .is_empty(),
        "a stranger gets nothing"
    );

    // The only mentorship is meant when the option is left out; goals count from 1 within it.
    let text = h
        .say(MENTEE, cmd("mentorship plan add").str("goal", "Ship the service"))
        .await;
    assert!(text.contains("Goal 1 added"), "{text}");
    let text = h
        .say(MENTOR, cmd("mentorship plan add").str("goal", "Write the docs"))
        .await;
    assert!(text.contains("Goal 2 added"), "{text}");
    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan step")
                .int("goal", 2)
                .str("step", "Outline the guide"),
        )
        .await;
    assert!(text.contains("Step 1 added to goal 2"), "{text}");
    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan step").int("goal", 1).str("step", "Pick a crate"),
        )
        .await;
    assert!(text.contains("Step 2 added to goal 1"), "{text}");

    let goals = choices(&h, MENTEE, cmd("mentorship plan step"), "goal", "").await;
    let labels: Vec<&str> = goals.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["1: Ship the service (open)", "2: Write the docs (open)"]);
    assert_eq!(goals[1].1, serde_json::json!(2));
    let steps = choices(&h, MENTEE, cmd("mentorship plan done"), "step", "crate").await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].0.starts_with("2: Pick a crate"), "{steps:?}");
    assert!(
        choices(
            &h,
            STRANGER,
            cmd("mentorship plan done").int("mentorship", rel.id.0),
            "step",
            ""
        )
        .await
        .is_empty(),
        "no one else's plan"
    );

    // Editing the plan: done, undo, drop, rename; each by its number.
    let text = h.say(MENTEE, cmd("mentorship plan done").int("step", 2)).await;
    assert!(text.contains("Done: step 2, Pick a crate"), "{text}");
    let text = h.say(MENTOR, cmd("mentorship plan undo").int("step", 2)).await;
    assert!(text.contains("Open again: step 2"), "{text}");
    let text = h.say(MENTEE, cmd("mentorship plan done").int("goal", 2)).await;
    assert!(text.contains("Done: goal 2, Write the docs"), "{text}");
    let text = h.say(MENTEE, cmd("mentorship plan drop").int("goal", 1)).await;
    assert!(text.contains("Dropped: goal 1"), "{text}");
    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan rename")
                .str("text", "Outline the user guide")
                .int("step", 1),
        )
        .await;
    assert!(text.contains("Step 1 is now: Outline the user guide"), "{text}");
    let text = h
        .say(
            MENTOR,
            cmd("mentorship plan rename").str("text", "Ship it").int("goal", 1),
        )
        .await;
    assert!(text.contains("Goal 1 is now: Ship it"), "{text}");
    let plan = e.plan(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(
        (plan[0].title.as_str(), plan[0].status),
        ("Ship it", ItemStatus::Dropped)
    );
    assert_eq!(plan[1].status, ItemStatus::Done);
    assert_eq!(plan[1].steps[0].text, "Outline the user guide");
    assert_eq!(plan[0].steps[0].status, ItemStatus::Open);
    let text = h.say(MENTOR, cmd("mentorship plan list")).await;
    assert!(
        text.contains("**Goal 1** Ship it (dropped)")
            && text.contains("- step 2: Pick a crate (open)")
            && text.contains("- step 1: Outline the user guide (open)"),
        "{text}"
    );

    // Bad input: a clear answer, nothing changed.
    let before = snapshot(&h.world, GUILD).await;
    // The longest goal is accepted; one character more is refused.
    let long = "x".repeat(mentorbot::domain::validate::MAX_NAME + 1);
    for (user, command, expected) in [
        (MENTEE, cmd("mentorship plan done"), "either a `step` or a `goal`"),
        (
            MENTEE,
            cmd("mentorship plan drop").int("step", 1).int("goal", 1),
            "either a `step` or a `goal`",
        ),
        (MENTEE, cmd("mentorship plan done").int("step", 9), "step not found"),
        (MENTEE, cmd("mentorship plan undo").int("goal", 0), "goal not found"),
        (
            MENTEE,
            cmd("mentorship plan step").int("goal", 3).str("step", "x"),
            "goal not found",
        ),
        (
            MENTEE,
            cmd("mentorship plan rename").str("text", "  ").int("step", 1),
            "please fix the step",
        ),
        (
            MENTEE,
            cmd("mentorship plan rename").str("text", &long).int("goal", 1),
            "please fix the goal",
        ),
        (
            STRANGER,
            cmd("mentorship plan done").int("step", 1),
            "no mentorship in progress",
        ),
        (
            STRANGER,
            cmd("mentorship plan done").int("mentorship", rel.id.0).int("step", 1),
            "no such mentorship",
        ),
        (
            MENTEE,
            cmd("mentorship plan list").int("mentorship", -4),
            "no such mentorship",
        ),
    ] {
        let text = h.say(user, command.clone()).await;
        assert!(
            text.to_lowercase().contains(&expected.to_lowercase()),
            "{command:?}: {text}"
        );
    }
    assert_eq!(before, snapshot(&h.world, GUILD).await, "refusals change nothing");

    // Journal entries count within their author's journal: the mentee's first is 1.
    for words in ["first words", "second words"] {
        e.write_journal(
            GUILD,
            rel.id,
            MENTEE,
            None,
            &[("What did you learn?".into(), words.into())],
        )
        .await
        .unwrap();
    }
    let entries = choices(&h, MENTEE, cmd("mentorship journal share"), "entry", "").await;
    assert_eq!(entries.len(), 2, "only the mentee's own: {entries:?}");
    assert!(
        entries[0].0.starts_with("2: ") && entries[0].0.contains("second words"),
        "newest first: {entries:?}"
    );
    assert!(entries.iter().all(|(l, _)| !l.contains("linus")), "{entries:?}");
    let text = h.say(MENTEE, cmd("mentorship journal share").int("entry", 1)).await;
    assert!(text.contains("Entry 1 is now shared"), "{text}");
    let mine = e.my_journal_numbered(GUILD, MENTEE).await.unwrap();
    assert!(mine[0].1.shared && !mine[1].1.shared, "{mine:?}");
    let text = h.say(MENTEE, cmd("mentorship journal list")).await;
    assert!(
        text.contains("**Entry 1** by you") && text.contains("**Entry 2** by you"),
        "{text}"
    );
    // Dates as Discord timestamps, in each reader's own zone.
    assert!(
        text.contains(&format!("<t:{}:D>", mine[0].1.created_at.timestamp())),
        "{text}"
    );
    let text = h
        .say(MENTOR, cmd("mentorship journal list").int("mentorship", rel.id.0))
        .await;
    assert!(
        text.contains("**Shared entry** by <@") && text.contains("first words"),
        "{text}"
    );
    assert!(!text.contains("second words"), "{text}");

    // With two mentorships in progress, leaving the option out asks which.
    e.propose_direct(GUILD, MENTEE, PEER3, Kind::Classic, Direction::Request, "Another one")
        .await
        .unwrap();
    let before = snapshot(&h.world, GUILD).await;
    let text = h.say(MENTEE, cmd("mentorship plan add").str("goal", "Which?")).await;
    assert!(text.contains("2 mentorships in progress"), "{text}");
    assert_eq!(before, snapshot(&h.world, GUILD).await);
    let found = choices(&h, MENTEE, cmd("mentorship plan add"), "mentorship", "").await;
    assert_eq!(found.len(), 2, "{found:?}");
    h.shutdown().await;
}

async fn agreement_prefilled_and_in_your_zone(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h).await;

    // Change only the time: everything else comes from the agreement in force.
    let text = h
        .form(
            MENTOR,
            cmd("mentorship agreement").str("time", "19:15"),
            &[
                ("expectations", "Bring one question"),
                ("issue_handling", "Talk it over"),
            ],
        )
        .await;
    assert!(text.to_lowercase().contains("version 2"), "{text}");
    let now = e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap();
    let (old, new) = (&now.agreements[0].terms, &now.agreements[1].terms);
    assert_eq!(new.local_time.format("%H:%M").to_string(), "19:15");
    assert_eq!(
        (
            new.frequency.to_string(),
            new.timezone,
            new.meeting_minutes,
            new.method,
            new.day,
            &new.place
        ),
        (
            old.frequency.to_string(),
            old.timezone,
            old.meeting_minutes,
            old.method,
            old.day,
            &old.place
        )
    );
    assert_eq!(new.end_date, old.end_date);
    // Its message: the first meeting as a timestamp, and how any member suggests a change.
    let dm = h.wait_dm(MENTEE, "version 2").await;
    assert!(dm.contains("**First meeting:** <t:") && dm.contains(":R>)"), "{dm}");
    assert!(dm.contains("Suggest a change: /mentorship agreement"), "{dm}");

    // "none" clears an optional part.
    h.form(
        MENTEE,
        cmd("mentorship agreement").str("place", "none").str("end", "none"),
        &[("expectations", "Read ahead"), ("issue_handling", "Talk it over")],
    )
    .await;
    let now = e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap();
    let v3 = &now.agreements[2].terms;
    assert_eq!((v3.place.as_deref(), v3.end_date), (None, None));
    assert_eq!(v3.local_time.format("%H:%M").to_string(), "19:15");

    // Time-zone autocomplete over the zone names.
    let zones = choices(&h, MENTEE, cmd("mentorship agreement"), "timezone", "comodriv").await;
    assert_eq!(zones[0].0, "America/Argentina/ComodRivadavia", "{zones:?}");

    // A first agreement takes the zone from the writer's profile; without one it says what
    // is missing and changes nothing.
    let pair = e
        .propose_direct(GUILD, PEER3, PEER4, Kind::Classic, Direction::Request, "Peers")
        .await
        .unwrap();
    e.accept(GUILD, pair.id, PEER4).await.unwrap();
    let before = snapshot(&h.world, GUILD).await;
    let text = h
        .say(PEER4, cmd("mentorship agreement").str("frequency", "weekly"))
        .await;
    assert!(
        text.contains("the first agreement needs these options too: time, length, method, timezone"),
        "{text}"
    );
    assert_eq!(before, snapshot(&h.world, GUILD).await);
    e.set_profile(GUILD, PEER3, &profile("linus", "Asia/Tokyo"))
        .await
        .unwrap();
    h.form(
        PEER3,
        cmd("mentorship agreement")
            .str("frequency", "weekly")
            .str("time", "09:00")
            .int("length", 30)
            .str("method", "voice")
            .str("start", "2026-03-10"),
        &[("expectations", "Pair weekly"), ("issue_handling", "Say so")],
    )
    .await;
    let peers = e.relationship_for(GUILD, pair.id, PEER3).await.unwrap();
    assert_eq!(peers.agreements[0].terms.timezone.name(), "Asia/Tokyo");
    h.shutdown().await;
}

/// Item 13: a person mutes reminders, another sets their own lead time; the reminders follow.
async fn notification_preferences(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let program = e.program_settings(GUILD).await.unwrap().reminder_leads;
    assert!(!program.contains(&180), "{program:?}");
    let text = h.say(MENTEE, cmd("mentor notifications")).await;
    assert!(
        text.contains("reminders on, nudges on, midpoint on") && text.contains("the program's"),
        "{text}"
    );
    let text = h
        .say(MENTEE, cmd("mentor notifications").bool("reminders", false))
        .await;
    assert!(text.contains("reminders off, nudges on"), "{text}");
    let text = h.say(MENTOR, cmd("mentor notifications").str("lead_times", "3h")).await;
    assert!(text.contains("3h (your own"), "{text}");
    // Bad lead times: a clear answer, nothing changed.
    for bad in ["soon", "0h", "15d", " "] {
        let text = h
            .say(
                MENTOR,
                cmd("mentor notifications").str("lead_times", bad).bool("nudges", false),
            )
            .await;
        assert!(text.contains("Please fix the reminder lead times"), "{bad}: {text}");
    }
    let mentor = e.notification_prefs(GUILD, MENTOR).await.unwrap();
    assert_eq!(
        (mentor.reminder_leads.clone(), mentor.muted.len()),
        (Some(vec![180]), 0)
    );

    // The fixture's first meeting: 2026-03-03 18:30 in Berlin, 17:30 UTC.
    let rel = active_pair(&h).await;
    let meeting = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 3, 17, 30, 0).unwrap();
    let reminders = |user: UserId| {
        h.fake
            .dms_to(user.0)
            .into_iter()
            .filter(|m| m.content.starts_with("**Reminder: check-in of mentorship"))
            .count()
    };
    let now = e.now();
    h.advance(meeting - now - chrono::Duration::hours(4)).await;
    assert_eq!(
        (reminders(MENTOR), reminders(MENTEE)),
        (0, 0),
        "the program's leads reach neither"
    );
    h.advance(chrono::Duration::hours(3)).await;
    h.run_jobs_until_none_held().await;
    assert_eq!(reminders(MENTOR), 1, "the mentor's own 3h reminder");
    assert_eq!(reminders(MENTEE), 0, "the mentee muted reminders");
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Active
    );
    // The preferences are the person's data: in my-data, gone after forget.
    let data = e.my_data(GUILD, MENTOR).await.unwrap();
    assert_eq!(
        data["notification_preferences"]["reminder_leads"],
        serde_json::json!([180])
    );
    e.forget(GUILD, MENTOR).await.unwrap();
    assert!(h.world.store.notification_prefs(GUILD, MENTOR).await.unwrap().is_none());
    assert!(h.world.store.notification_prefs(GUILD, MENTEE).await.unwrap().is_some());
    h.shutdown().await;
}

/// Item 10: the Reschedule form asks for the time in the presser's own zone and says which.
async fn reschedule_in_your_own_zone(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_profile(GUILD, MENTEE, &profile("grace", "America/New_York"))
        .await
        .unwrap();
    active_pair(&h).await;
    // The first meeting: 2026-03-03 18:30 in Berlin (the agreement's zone), 12:30 in New York.
    let meeting = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 3, 17, 30, 0).unwrap();
    h.world.clock.set(meeting - chrono::Duration::hours(24));
    h.run_jobs().await;
    let (msg, id) = h.wait_button(MENTEE, "mb:resch:").await;
    let handle = h.fake.interaction_button(msg, MENTEE.0, &id);
    let form = handle.wait_response().await;
    assert!(form.is_modal(), "{:?}", form.content());
    let title = form.data["title"].as_str().unwrap_or_default().to_string();
    assert!(
        title.contains("America/New_York") && title.chars().count() <= 45,
        "{title}"
    );
    let time = &form.data["components"][1]["components"][0];
    assert_eq!(time["value"], "12:30", "{time}");
    assert_eq!(time["placeholder"], "HH:MM in America/New_York", "{time}");
    let answer = h
        .fake
        .submit_modal(&handle, &[("date", "2026-03-04"), ("time", "10:00")])
        .wait_response()
        .await;
    // 10:00 in New York is 15:00 UTC.
    let moved_to = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 4, 15, 0, 0).unwrap();
    let text = answer.content().unwrap_or_default().to_string();
    assert!(text.contains(&format!("<t:{}:F>", moved_to.timestamp())), "{text}");
    h.shutdown().await;
}

on_both_backends!(
    reschedule_in_your_own_zone,
    autocomplete_and_numbers,
    agreement_prefilled_and_in_your_zone,
    notification_preferences
);
