//! End to end through the Discord stand-in: the real bot, real serenity client and rate
//! limiter, every request checked against Discord's OpenAPI description.
use crate::common;

use common::discord::{channel, cmd, Harness, OWNER, WAIT};
use common::fixtures::*;
use common::World;
use mentorbot::domain::relationship::State;
use mentorbot::domain::RelationshipId;

async fn classic_pair_through_discord(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();

    let text = h
        .say(
            mentorbot::domain::UserId(OWNER),
            cmd("program setup").channel("channel", channel()),
        )
        .await;
    assert!(text.contains("Program settings saved"), "{text}");

    let text = h
        .say(
            MENTEE,
            cmd("mentor profile")
                .str("timezone", "America/New_York")
                .str("availability", "tue 12:00-15:00"),
        )
        .await;
    assert!(
        text.contains("Profile saved") && text.contains("America/New_York"),
        "{text}"
    );
    let text = h.say(MENTEE, cmd("mentor profile")).await;
    assert!(text.contains("tue 12:00-15:00"), "{text}");

    let text = h
        .form(
            MENTOR,
            cmd("mentor offer").str("topics", "rust, career").int("capacity", 1),
            &[("purpose", "Grow Rust developers")],
        )
        .await;
    assert!(text.contains("offer #"), "{text}");
    let text = h
        .form(
            MENTEE,
            cmd("mentor seek").str("goals", "rust"),
            &[("purpose", "Lead our Rust migration")],
        )
        .await;
    assert!(text.contains("request #"), "{text}");

    let text = h
        .form(
            MENTEE,
            cmd("mentor request").user("user", MENTOR.0),
            &[("purpose", "Learn Rust for the migration")],
        )
        .await;
    assert!(text.contains("Invitation sent"), "{text}");
    let rel = engine.relationships(GUILD, MENTEE).await.unwrap().remove(0);
    assert_eq!(rel.state, State::Proposed);
    h.fake.wait_for_dms(MENTOR.0, 1, WAIT).await;
    let (invite, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    assert!(
        h.fake
            .message(invite)
            .unwrap()
            .content
            .contains("Learn Rust for the migration"),
        "the purpose is shown"
    );

    // A stranger pressing someone else's button changes nothing.
    let answer = h.press(invite, STRANGER, &accept).await;
    assert!(answer.is_ephemeral());
    assert!(
        answer.content().unwrap().to_lowercase().contains("no such mentorship"),
        "{:?}",
        answer.content()
    );
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Proposed
    );
    // Nor can the sender accept their own request.
    let answer = h.press(invite, MENTEE, &accept).await;
    assert!(
        answer.content().unwrap().contains("already answered"),
        "{:?}",
        answer.content()
    );

    let answer = h.press(invite, MENTOR, &accept).await;
    assert!(
        answer.is_ephemeral() && answer.content().unwrap().contains("You accepted"),
        "{:?}",
        answer.content()
    );
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Accepted
    );
    let dms = h.fake.wait_for_dms(MENTEE.0, 1, WAIT).await;
    assert!(dms.iter().any(|m| m.content.contains("accepted")), "{dms:#?}");
    // A private thread for the pair, with the agreement form.
    let form = h
        .fake
        .wait_for_message(|m| m.content.contains("/mentorship agreement"), WAIT)
        .await
        .expect("the agreement form");
    let thread = engine
        .thread_of(GUILD, rel.id)
        .await
        .unwrap()
        .expect("a thread was opened");
    assert_eq!(form.channel_id, thread, "the form is posted in the pair's thread");
    assert_eq!(h.fake.threads_in(channel()).len(), 1);

    let agreement = cmd("mentorship agreement")
        .int("mentorship", rel.id.0)
        .str("frequency", "every 2 weeks")
        .str("time", "18:30")
        .str("timezone", "Europe/Berlin")
        .str("start", "2026-03-03")
        .int("length", 45)
        .str("method", "video")
        .str("day", "tue")
        .str("end", "2026-09-01");
    let text = h
        .form(
            MENTEE,
            agreement,
            &[
                ("expectations", "One question per meeting"),
                ("issue_handling", "Talk openly"),
            ],
        )
        .await;
    assert!(text.contains("Version 1"), "{text}");
    h.fake.wait_for_dms(MENTOR.0, 2, WAIT).await;
    let (msg, confirm) = h.wait_button(MENTOR, "mb:conf:").await;
    assert!(h
        .fake
        .message(msg)
        .unwrap()
        .content
        .contains("One question per meeting"));
    let answer = h.press(msg, STRANGER, &confirm).await;
    assert!(answer.is_ephemeral());
    let answer = h.press(msg, MENTOR, &confirm).await;
    assert!(
        answer.content().unwrap().contains("is active"),
        "{:?}",
        answer.content()
    );
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Active
    );

    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan add")
                .int("mentorship", rel.id.0)
                .str("goal", "Ship a service"),
        )
        .await;
    assert!(text.contains("Goal #"), "{text}");
    let goal = engine.plan(GUILD, rel.id, MENTEE).await.unwrap()[0].id;
    let text = h
        .say(
            MENTOR,
            cmd("mentorship plan step")
                .int("mentorship", rel.id.0)
                .int("goal", goal.0)
                .str("step", "Pick it")
                .user("owner", MENTEE.0),
        )
        .await;
    assert!(text.contains("Step #"), "{text}");
    let step = engine.plan(GUILD, rel.id, MENTEE).await.unwrap()[0].steps[0].id;
    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan done")
                .int("mentorship", rel.id.0)
                .int("step", step.0),
        )
        .await;
    assert!(text.contains("Done"), "{text}");
    let text = h
        .say(MENTOR, cmd("mentorship plan list").int("mentorship", rel.id.0))
        .await;
    assert!(
        text.contains("Ship a service") && text.contains("Pick it") && text.contains("done"),
        "{text}"
    );

    let text = h
        .form(
            MENTEE,
            cmd("mentorship checkin").int("mentorship", rel.id.0).bool("met", true),
            &[("q0", "Ownership clicked"), ("q1", "Write a CLI")],
        )
        .await;
    assert!(text.contains("private journal"), "{text}");
    let entry = engine.journal(GUILD, MENTEE, None).await.unwrap().remove(0);
    assert!(entry.checkin.is_some(), "the reflection belongs to the check-in");
    let text = h
        .say(MENTOR, cmd("mentorship journal list").int("mentorship", rel.id.0))
        .await;
    assert!(!text.contains("Ownership clicked"), "private until shared: {text}");
    let text = h
        .say(MENTEE, cmd("mentorship journal share").int("entry", entry.id.0))
        .await;
    assert!(text.contains("shared"), "{text}");
    let text = h
        .say(MENTOR, cmd("mentorship journal list").int("mentorship", rel.id.0))
        .await;
    assert!(text.contains("Ownership clicked"), "{text}");
    let text = h.say(MENTEE, cmd("mentorship journal export")).await;
    assert!(text.contains("DMs"), "{text}");
    let export = h
        .fake
        .wait_for_message(|m| !m.attachments.is_empty(), WAIT)
        .await
        .expect("the journal file");
    assert_eq!(export.attachments[0].filename, "mentorship-journal.md");

    let text = h
        .say(
            MENTEE,
            cmd("mentorship end")
                .int("mentorship", rel.id.0)
                .int("reason", 0 /* goals met */),
        )
        .await;
    assert!(text.contains("has ended"), "{text}");
    for member in [MENTEE, MENTOR] {
        let (msg, retro) = h.wait_button(member, "mb:retro:").await;
        let handle = h.fake.interaction_button(msg, member.0, &retro);
        assert!(handle.wait_response().await.is_modal());
        let answer = h
            .fake
            .submit_modal(
                &handle,
                &[
                    ("learned", "A lot"),
                    ("differently", "Start earlier"),
                    ("celebrate", "Shipped"),
                    ("public", "yes"),
                ],
            )
            .wait_response()
            .await;
        assert!(
            answer.content().unwrap().contains("Thank you"),
            "{:?}",
            answer.content()
        );
        assert!(engine.my_retrospective(GUILD, rel.id, member).await.unwrap().is_some());
    }
    let text = h.say(MENTEE, cmd("mentorship list")).await;
    assert!(text.contains("ended"), "{text}");
    assert_eq!(
        engine
            .relationship_for(GUILD, RelationshipId(rel.id.0), MENTOR)
            .await
            .unwrap()
            .state,
        State::Ended
    );
    h.shutdown().await;
}

on_both_backends!(classic_pair_through_discord);
