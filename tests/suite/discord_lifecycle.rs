//! End to end through the Discord stand-in: the real bot, real serenity client and rate
//! limiter, every request checked against Discord's OpenAPI description.
use crate::common;

use common::discord::{channel, cmd, Harness, OWNER, WAIT};
use common::fixtures::*;
use common::World;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::domain::RelationshipId;
use mentorbot::engine::Direction;

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
        .wait_for_message(
            |m| m.content.contains("Welcome to mentorship") && m.content.contains("/mentorship agreement"),
            WAIT,
        )
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
    assert!(text.contains("Goal 1 added"), "{text}");
    let text = h
        .say(
            MENTOR,
            cmd("mentorship plan step")
                .int("mentorship", rel.id.0)
                .int("goal", 1 /* the first goal of this mentorship */)
                .str("step", "Pick it")
                .user("owner", MENTEE.0),
        )
        .await;
    assert!(text.contains("Step 1 added to goal 1"), "{text}");
    let text = h
        .say(
            MENTEE,
            cmd("mentorship plan done").int("mentorship", rel.id.0).int("step", 1),
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
        .say(
            MENTEE,
            cmd("mentorship journal share").int("entry", 1 /* the mentee's first entry */),
        )
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

    let text = h.end(MENTEE, rel.id.0, 0 /* goals met */).await;
    assert!(text.contains("has ended"), "{text}");
    for member in [MENTEE, MENTOR] {
        let (msg, retro) = h.wait_button(member, "mb:retro:").await;
        let handle = h.fake.interaction_button(msg, member.0, &retro);
        assert!(handle.wait_response().await.is_modal());
        let answer = h
            .retrospective_celebrating(
                &handle,
                member,
                &[
                    ("learned", "A lot"),
                    ("differently", "Start earlier"),
                    ("celebrate", "Shipped"),
                ],
                true,
            )
            .await;
        assert!(answer.contains("you agree to celebrate"), "{answer}");
        let retro = engine.my_retrospective(GUILD, rel.id, member).await.unwrap();
        assert!(retro.is_some_and(|r| r.celebrate_publicly));
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

/// An active pair, set up through the engine (the agreement's way through Discord is above).
async fn active_pair(h: &Harness) -> mentorbot::domain::relationship::Relationship {
    let engine = &h.world.engine;
    let rel = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    engine
        .propose_agreement(GUILD, rel.id, MENTEE, &agreement())
        .await
        .unwrap();
    engine.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap()
}

/// Issue 16, item 1: pause and resume by command and by button, the list's hint names the
/// command, and a member leaving a peer group leaves it to the others.
async fn pause_resume_and_leaving_a_group(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    let rel = active_pair(&h).await;
    let r = rel.id.0;
    let state = |who| {
        let engine = engine.clone();
        async move { engine.relationship_for(GUILD, rel.id, who).await.unwrap().state }
    };

    // Pausing by command: the answer carries a Resume button, the partner hears it with one.
    let handle = h.slash(MENTEE, cmd("mentorship pause").int("mentorship", r));
    let answer = handle.wait_response().await;
    assert!(answer.is_ephemeral(), "{answer:?}");
    assert!(
        answer.content().unwrap().contains("is paused") && answer.content().unwrap().contains("/mentorship resume"),
        "{answer:?}"
    );
    let resume_id = format!("mb:resume:{}:{r}", GUILD.0);
    assert_eq!(answer.custom_ids(), vec![resume_id.clone()]);
    assert_eq!(state(MENTEE).await, State::Paused);
    let (notice, pressed) = h.wait_button(MENTOR, "mb:resume:").await;
    assert_eq!(pressed, resume_id);
    assert!(
        h.fake.message(notice).unwrap().content.contains("paused mentorship"),
        "{:?}",
        h.fake.message(notice)
    );
    // The list names the command that resumes.
    let text = h.say(MENTOR, cmd("mentorship list")).await;
    assert!(text.contains("paused") && text.contains("/mentorship resume"), "{text}");

    // Someone else's Resume button changes nothing.
    let refused = h.press(notice, STRANGER, &resume_id).await;
    assert!(refused.is_ephemeral() && !refused.content().unwrap().contains("active again"));
    assert_eq!(state(MENTEE).await, State::Paused);

    // The partner resumes with the button of the notice; the one who paused is told.
    let answer = h.press(notice, MENTOR, &resume_id).await;
    assert!(answer.content().unwrap().contains("active again"), "{answer:?}");
    assert_eq!(state(MENTEE).await, State::Active);
    h.wait_dm(MENTEE, "resumed mentorship").await;

    // Resuming what is not paused is refused and changes nothing.
    let text = h.say(MENTEE, cmd("mentorship resume").int("mentorship", r)).await;
    assert!(
        !text.contains("active again") && text.contains("/mentorship pause"),
        "the refusal names the way forward: {text}"
    );
    // The help lists the commands by phase, pause and resume among them.
    let text = h.say(MENTEE, cmd("mentor help")).await;
    assert!(
        text.contains("/mentorship resume") && text.contains("/mentor profile") && text.contains("/mentorship end"),
        "{text}"
    );
    assert_eq!(state(MENTEE).await, State::Active);

    // Pause and resume by command; the Resume button on one's own pause answer works too.
    let handle = h.slash(MENTOR, cmd("mentorship pause").int("mentorship", r));
    handle.wait_response().await;
    let own = handle.original().expect("the pause answer is a message");
    let answer = h.press(own.id, MENTOR, &resume_id).await;
    assert!(answer.content().unwrap().contains("active again"), "{answer:?}");
    h.say(MENTEE, cmd("mentorship pause").int("mentorship", r)).await;
    let text = h.say(MENTOR, cmd("mentorship resume").int("mentorship", r)).await;
    assert!(text.contains("active again"), "{text}");
    assert_eq!(state(MENTEE).await, State::Active);

    // A peer group of four: one leaving the server leaves the group to the other three, who
    // keep it active and are told.
    let group = engine
        .invite_peer_group(GUILD, MENTEE, &[MENTOR, PEER3, PEER4], "Study together")
        .await
        .unwrap();
    for p in [MENTOR, PEER3, PEER4] {
        engine.accept(GUILD, group.id, p).await.unwrap();
    }
    engine
        .propose_agreement(GUILD, group.id, MENTEE, &agreement())
        .await
        .unwrap();
    for p in [MENTOR, PEER3] {
        engine.confirm_agreement(GUILD, group.id, p, 1).await.unwrap();
    }
    // PEER4 has not confirmed: once they leave, the agreement is in force for the others.
    h.fake.send_member_remove(GUILD.0, PEER4.0);
    let told = h.wait_dm(PEER3, "goes on without them").await;
    assert!(told.contains(&format!("#{}", group.id.0)), "{told}");
    let after = engine.relationship_for(GUILD, group.id, MENTEE).await.unwrap();
    assert_eq!(after.state, State::Active, "the group goes on");
    assert!(!after.is_joined(PEER4));
    assert_eq!(after.joined().count(), 3);
    // The pair of MENTEE and MENTOR is untouched by someone else leaving.
    assert_eq!(state(MENTEE).await, State::Active);
    h.shutdown().await;
}

/// Issue 16, item 3: an undelivered invitation is reported to its sender, the invitee can
/// answer it by command, an explicit command tries the DM again, and a DM that gets through
/// makes the person reachable again.
async fn closed_dms_are_no_dead_end(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    engine
        .set_profile(GUILD, PEER3, &profile("Linus", "Europe/Berlin"))
        .await
        .unwrap();
    let reachable = || async {
        engine
            .profile(GUILD, PEER3)
            .await
            .unwrap()
            .expect("a profile")
            .dm_reachable
    };
    h.fake.set_dms_closed(PEER3.0);
    let text = h
        .form(
            MENTEE,
            cmd("mentor request").user("user", PEER3.0),
            &[("purpose", "Learn Go")],
        )
        .await;
    assert!(text.contains("Invitation sent"), "{text}");
    let rel = engine.relationships(GUILD, MENTEE).await.unwrap().remove(0);
    let told = h.wait_dm(MENTEE, "could not deliver").await;
    assert!(
        told.contains(&format!("<@{}>", PEER3.0)) && told.contains("/mentorship answer"),
        "{told}"
    );
    assert!(!reachable().await);

    // The invitee sees the way to answer in the list.
    let text = h.say(PEER3, cmd("mentorship list")).await;
    assert!(text.contains("/mentorship answer"), "{text}");

    // They open their DMs: an export they ask for is tried by DM and gets through, and from
    // then on they are reachable again.
    h.fake.set_dms_open(PEER3.0);
    let text = h.say(PEER3, cmd("mentorship journal export")).await;
    assert!(text.contains("in your DMs"), "{text}");
    assert!(reachable().await, "a DM that got through makes them reachable again");

    // They answer by command; the sender hears it.
    let text = h
        .say(
            PEER3,
            cmd("mentorship answer").int("mentorship", rel.id.0).int("answer", 0),
        )
        .await;
    assert!(text.contains("You accepted"), "{text}");
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Accepted
    );
    h.wait_dm(MENTEE, "accepted the invitation").await;
    // Answering twice is refused with a way forward.
    let text = h
        .say(
            PEER3,
            cmd("mentorship answer").int("mentorship", rel.id.0).int("answer", 1),
        )
        .await;
    assert!(
        text.contains("answered already") && text.contains("/mentorship list"),
        "{text}"
    );
    h.shutdown().await;
}

/// Issue 16, item 4 (in part): everyone invited hears when an invitation is declined or lapses,
/// and a late Accept says what happened and what to do.
async fn invitations_do_not_die_silently(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    // A group of three: one declining leaves too few; the other invitee is told.
    let group = engine
        .invite_peer_group(GUILD, MENTEE, &[MENTOR, PEER3], "Study together")
        .await
        .unwrap();
    h.bot.on_proposed(&group).await;
    let (msg, decline) = h.wait_button(PEER3, "mb:dec:").await;
    let answer = h.press(msg, PEER3, &decline).await;
    assert!(answer.content().unwrap().contains("You declined"), "{answer:?}");
    let told = h.wait_dm(MENTOR, "will not go ahead").await;
    assert!(told.contains(&format!("<@{}> declined", PEER3.0)), "{told}");
    h.wait_dm(MENTEE, "declined the invitation").await;
    let (msg, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    let late = h.press(msg, MENTOR, &accept).await;
    let late = late.content().unwrap();
    assert!(late.contains("declined it") && late.contains("/mentor seek"), "{late}");

    // A pair nobody answered: the sender and the invitee hear it lapsed.
    let pair = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    h.bot.on_proposed(&pair).await;
    let (msg, accept) = {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let found = h.fake.dms_to(MENTOR.0).into_iter().find_map(|m| {
                let id = m
                    .custom_ids()
                    .into_iter()
                    .find(|c| *c == format!("mb:acc:{}:{}", GUILD.0, pair.id.0))?;
                Some((m.id, id))
            });
            if let Some(f) = found {
                break f;
            }
            assert!(tokio::time::Instant::now() < deadline, "the invitation DM");
            h.fake
                .wait_for_dms(MENTOR.0, h.fake.dms_to(MENTOR.0).len() + 1, WAIT)
                .await;
        }
    };
    h.world.clock.advance(chrono::Duration::days(8));
    assert_eq!(h.bot.sweep_expired().await, 1);
    h.wait_dm(MENTEE, "in time, so it has lapsed").await;
    h.wait_dm(MENTOR, "has lapsed").await;
    let late = h.press(msg, MENTOR, &accept).await;
    let late = late.content().unwrap();
    assert!(late.contains("lapsed") && late.contains("/mentor request"), "{late}");
    h.shutdown().await;
}

on_both_backends!(
    invitations_do_not_die_silently,
    classic_pair_through_discord,
    pause_resume_and_leaving_a_group,
    closed_dms_are_no_dead_end
);
