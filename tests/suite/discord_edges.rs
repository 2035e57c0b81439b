//! Through the Discord stand-in: the other kinds of relationship, every bad input, permissions,
//! closed DMs, members leaving, lapsed invitations and a dropped gateway connection.
use crate::common;

use chrono::Duration;
use common::discord::{channel, cmd, Harness, A_BOT, COORDINATOR, OWNER, WAIT};
use common::fixtures::*;
use common::{snapshot, World};
use mentorbot::domain::listing::{Kind, ListingStatus};
use mentorbot::domain::relationship::{MemberStatus, State};
use mentorbot::domain::UserId;
use mentorbot::engine::{Direction, ProgramSetup};

async fn with_program_channel(h: &Harness) {
    let setup = ProgramSetup {
        channel: Some(channel()),
        ..Default::default()
    };
    h.world.engine.setup_program(GUILD, true, &[], &setup).await.unwrap();
}

async fn reverse_pair_and_peer_group(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    with_program_channel(&h).await;

    // Reverse: the junior colleague offers; the senior accepts by button.
    let text = h
        .form(
            MENTOR,
            cmd("mentor offer-to")
                .user("user", MENTEE.0)
                .int("kind", 1 /* reverse */),
            &[("purpose", "Our new CI tooling")],
        )
        .await;
    assert!(text.contains("Invitation sent"), "{text}");
    let rel = engine.relationships(GUILD, MENTOR).await.unwrap().remove(0);
    assert_eq!((rel.kind, rel.mentor()), (Kind::Reverse, Some(MENTOR)));
    h.dms(MENTEE, 1).await;
    let (msg, accept) = h.wait_button(MENTEE, "mb:acc:").await;
    assert!(h
        .press(msg, MENTEE, &accept)
        .await
        .content()
        .unwrap()
        .contains("You accepted"));
    let agreement = cmd("mentorship agreement")
        .int("mentorship", rel.id.0)
        .str("frequency", "weekly")
        .str("time", "09:00")
        .str("timezone", "America/New_York")
        .str("start", "2026-03-04")
        .int("length", 30)
        .str("method", "voice");
    h.form(
        MENTOR,
        agreement,
        &[("expectations", "Show me the tools"), ("issue_handling", "Say so")],
    )
    .await;
    h.dms(MENTEE, 2).await;
    let (msg, confirm) = h.wait_button(MENTEE, "mb:conf:").await;
    assert!(h
        .press(msg, MENTEE, &confirm)
        .await
        .content()
        .unwrap()
        .contains("is active"));
    let text = h.end(MENTOR, rel.id.0, 1 /* not a fit */).await;
    assert!(text.contains("has ended"), "{text}");
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTOR).await.unwrap().state,
        State::Ended
    );
    h.retrospective(MENTOR, rel.id).await;
    h.retrospective(MENTEE, rel.id).await;

    // A peer group of three forms when two accept; the fourth may still join.
    let peers = cmd("mentor peer-group")
        .user("user1", MENTEE.0)
        .user("user2", PEER3.0)
        .user("user3", PEER4.0);
    let text = h.form(MENTOR, peers, &[("purpose", "Staff engineer interviews")]).await;
    assert!(text.contains("peer group"), "{text}");
    let group = engine.relationships(GUILD, PEER3).await.unwrap().remove(0);
    assert_eq!(group.kind, Kind::Peer);
    for (i, peer) in [MENTEE, PEER3].into_iter().enumerate() {
        h.dms(peer, if peer == MENTEE { 4 } else { 1 }).await;
        let (msg, accept) = h.wait_button(peer, "mb:acc:").await;
        let answer = h.press(msg, peer, &accept).await;
        let expected = if i == 0 {
            "waiting for the others"
        } else {
            "Next: agree"
        };
        assert!(answer.content().unwrap().contains(expected), "{:?}", answer.content());
    }
    let group = engine.relationship_for(GUILD, group.id, MENTOR).await.unwrap();
    assert_eq!(group.state, State::Accepted);
    h.fake
        .wait_for_message(
            |m| m.content.contains(&format!("mentorship #{}", group.number)) && m.content.contains("Welcome"),
            WAIT,
        )
        .await;
    let (msg, accept) = h.wait_button(PEER4, "mb:acc:").await;
    h.press(msg, PEER4, &accept).await;
    let group = engine.relationship_for(GUILD, group.id, MENTOR).await.unwrap();
    assert_eq!(group.member(PEER4).unwrap().status, MemberStatus::Joined);
    assert_eq!(group.state, State::Accepted);

    // The group agrees, meets, reflects and ends, all through Discord.
    let agreement = cmd("mentorship agreement")
        .int("mentorship", group.id.0)
        .str("frequency", "monthly")
        .str("time", "17:00")
        .str("timezone", "Europe/London")
        .str("start", "2026-03-10")
        .int("length", 60)
        .str("method", "video");
    h.form(
        PEER3,
        agreement,
        &[("expectations", "Mock interviews"), ("issue_handling", "Rotate hosts")],
    )
    .await;
    for peer in [MENTOR, MENTEE, PEER4] {
        let (msg, confirm) = h
            .wait_button(peer, &format!("mb:conf:{}:{}:1", GUILD.0, group.id.0))
            .await;
        h.press(msg, peer, &confirm).await;
    }
    assert_eq!(
        engine.relationship_for(GUILD, group.id, MENTOR).await.unwrap().state,
        State::Active
    );
    let text = h
        .form(
            PEER4,
            cmd("mentorship checkin")
                .int("mentorship", group.id.0)
                .bool("met", true),
            &[("q0", "STAR answers")],
        )
        .await;
    assert!(text.contains("private journal"), "{text}");
    assert_eq!(
        engine.journal(GUILD, PEER4, None).await.unwrap()[0].answers[0].question,
        "What did you learn?"
    );
    // One member ending a group of four leaves it; the others keep it (issue 16, item 6).
    let text = h.end(MENTOR, group.id.0, 2 /* planned end */).await;
    assert!(text.contains("You left peer group"), "{text}");
    h.wait_dm(PEER3, "left peer group").await;
    let after = engine.relationship_for(GUILD, group.id, MENTEE).await.unwrap();
    assert_eq!((after.state, after.joined().count()), (State::Active, 3));
    let text = h.end(MENTEE, group.id.0, 2).await;
    assert!(text.contains("You left peer group"), "{text}");
    // Two left: ending no longer leaves anyone alone in it, so it ends for both.
    let text = h.end(PEER3, group.id.0, 2).await;
    assert!(text.contains("has ended"), "{text}");
    assert_eq!(
        engine.relationship_for(GUILD, group.id, PEER4).await.unwrap().state,
        State::Ended
    );
    for peer in [PEER3, PEER4] {
        h.retrospective(peer, group.id).await;
    }
    h.shutdown().await;
}

async fn bad_inputs_get_a_clear_answer_and_change_nothing(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    let rel = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let before = snapshot(&h.world, GUILD).await;

    let cases: Vec<(UserId, fake_discord::SlashCommand, &str)> = vec![
        (
            MENTEE,
            cmd("mentor profile").str("timezone", "Mars/Olympus"),
            "time zone",
        ),
        (
            MENTEE,
            cmd("mentor profile")
                .str("timezone", "Europe/Berlin")
                .str("availability", "tuesdays"),
            "availability",
        ),
        (
            MENTEE,
            cmd("mentor profile")
                .str("timezone", "Europe/Berlin")
                .str("name", &"n".repeat(101)),
            "display name",
        ),
        (
            MENTEE,
            cmd("mentor profile")
                .str("timezone", "Europe/Berlin")
                .str("methods", "smoke signals"),
            "meeting method",
        ),
        (MENTEE, cmd("mentor pause").str("until", "someday"), "YYYY-MM-DD"),
        (MENTEE, cmd("mentor request").user("user", A_BOT), "is a bot"),
        (MENTEE, cmd("mentor request").user("user", MENTEE.0), "yourself"),
        (
            MENTOR,
            cmd("mentor offer").str("topics", "rust").int("capacity", 11),
            "capacity",
        ),
        (
            MENTOR,
            cmd("mentor offer").str("topics", &"t".repeat(51)).int("capacity", 1),
            "topics",
        ),
        (MENTEE, cmd("mentor seek").str("goals", " , "), "goals"),
        (
            MENTOR,
            cmd("mentor peer-group").user("user1", MENTEE.0).user("user2", MENTEE.0),
            "twice",
        ),
        (
            STRANGER,
            cmd("mentorship plan add")
                .int("mentorship", rel.id.0)
                .str("goal", "mine"),
            "no such mentorship",
        ),
        (
            STRANGER,
            cmd("mentorship journal write").int("mentorship", rel.id.0),
            "no such mentorship",
        ),
        (
            STRANGER,
            cmd("mentorship end").int("mentorship", rel.id.0).int("reason", 3),
            "no such mentorship",
        ),
        (
            MENTEE,
            cmd("mentorship plan list").int("mentorship", 999_999),
            "no such mentorship",
        ),
        (
            MENTEE,
            cmd("mentorship journal share").int("entry", 999_999),
            "not found",
        ),
        (
            MENTEE,
            cmd("mentorship checkin").int("mentorship", rel.id.0).bool("met", true),
            "cannot record a check-in",
        ),
        (
            MENTEE,
            cmd("mentorship agreement")
                .int("mentorship", rel.id.0)
                .str("frequency", "fortnightly-ish")
                .str("time", "18:30")
                .str("timezone", "Europe/Berlin")
                .str("start", "2026-03-03")
                .int("length", 45)
                .str("method", "video"),
            "frequency",
        ),
        (
            MENTEE,
            cmd("mentorship agreement")
                .int("mentorship", rel.id.0)
                .str("frequency", "weekly")
                .str("time", "25:00")
                .str("timezone", "Europe/Berlin")
                .str("start", "2026-03-03")
                .int("length", 45)
                .str("method", "video"),
            "time",
        ),
        (
            MENTEE,
            cmd("mentorship plan step")
                .int("mentorship", rel.id.0)
                .int("goal", 1)
                .str("step", "x")
                .str("due", "soon"),
            "due date",
        ),
    ];
    for (user, command, expected) in cases {
        let text = h.say(user, command.clone()).await;
        assert!(
            text.to_lowercase().contains(&expected.to_lowercase()),
            "{command:?}: {text}"
        );
        assert!(text.len() < 400, "short: {text}");
        assert!(!text.contains("Sorry, something went wrong"), "{command:?}: {text}");
    }
    // Text over the limit cannot be typed into the form: it declares the bot's limit, so
    // Discord's client stops at 1,000 characters (and the stand-in refuses to submit more).
    let form = h.slash(MENTEE, cmd("mentor seek").str("goals", "rust"));
    let response = form.wait_response().await;
    assert!(response.is_modal(), "{response:?}");
    let purpose = response.components()[0]["components"][0].clone();
    assert_eq!(
        (purpose["custom_id"].as_str(), purpose["max_length"].as_u64()),
        (Some("purpose"), Some(1000))
    );
    let over = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.fake.submit_modal(&form, &[("purpose", &"p".repeat(1001))])
    }));
    assert!(over.is_err(), "Discord's client does not send 1,001 characters");
    // A form Discord lets through (its client enforces the lengths) that the bot still refuses.
    let text = h
        .form(MENTEE, cmd("mentor seek").str("goals", "rust"), &[("purpose", "   ")])
        .await;
    assert!(text.contains("purpose") && text.contains("empty"), "{text}");
    assert_eq!(before, snapshot(&h.world, GUILD).await, "nothing changed");
    h.shutdown().await;
}

async fn only_organisers_set_up_the_program(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    let registered = h.fake.global_commands();
    let program = registered.iter().find(|c| c["name"] == "program").expect("registered");
    assert_eq!(
        program["default_member_permissions"].as_str(),
        Some("32"),
        "hidden from members without Manage Server"
    );

    let text = h
        .say(STRANGER, cmd("program setup").channel("channel", channel()))
        .await;
    assert!(text.to_lowercase().contains("only server admins"), "{text}");
    assert_eq!(
        h.world.store.program_settings(GUILD).await.unwrap(),
        None,
        "nothing saved"
    );
    // The owner names a coordinator role; its members may then change the program too.
    let text = h
        .say(
            UserId(OWNER),
            cmd("program setup")
                .role("coordinator_role", common::discord::COORDINATOR_ROLE)
                .str("reminder_lead_times", "48h, 2h"),
        )
        .await;
    assert!(text.contains("48h, 2h"), "{text}");
    let text = h
        .say(UserId(COORDINATOR), cmd("program setup").int("proposal_expiry_days", 3))
        .await;
    assert!(text.contains("3 days"), "{text}");
    let text = h
        .say(
            UserId(COORDINATOR),
            cmd("program setup").role("coordinator_role", GUILD.0),
        )
        .await;
    assert!(text.to_lowercase().contains("only server admins"), "{text}");
    let text = h
        .say(
            UserId(OWNER),
            cmd("program setup").str("reminder_lead_times", "whenever"),
        )
        .await;
    assert!(text.contains("reminder lead times"), "{text}");
    let s = engine.program_settings(GUILD).await.unwrap();
    assert_eq!((s.reminder_leads, s.proposal_expiry_days), (vec![2880, 120], 3));
    assert_eq!(s.coordinator_role, Some(common::discord::COORDINATOR_ROLE));
    h.shutdown().await;
}

async fn closed_dms_fall_back_to_the_thread(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    with_program_channel(&h).await;
    engine
        .set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    h.form(
        MENTEE,
        cmd("mentor request").user("user", MENTOR.0),
        &[("purpose", "Rust")],
    )
    .await;
    h.dms(MENTOR, 1).await;
    let (msg, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    h.press(msg, MENTOR, &accept).await;
    let rel = engine.relationships(GUILD, MENTEE).await.unwrap().remove(0);
    h.fake
        .wait_for_message(|m| m.content.contains("Welcome to mentorship"), WAIT)
        .await
        .expect("thread opened");
    let thread = engine.thread_of(GUILD, rel.id).await.unwrap().unwrap();

    h.fake.set_dms_closed(MENTOR.0);
    let agreement = cmd("mentorship agreement")
        .int("mentorship", rel.id.0)
        .str("frequency", "weekly")
        .str("time", "18:30")
        .str("timezone", "Europe/Berlin")
        .str("start", "2026-03-03")
        .int("length", 45)
        .str("method", "video");
    h.form(
        MENTEE,
        agreement,
        &[("expectations", "Be on time"), ("issue_handling", "Talk")],
    )
    .await;
    let fallback = h
        .fake
        .wait_for_message(
            |m| m.channel_id == thread && m.content.starts_with(&format!("<@{}>", MENTOR.0)),
            WAIT,
        )
        .await
        .expect("the agreement reached the mentor in the thread");
    assert!(fallback.content.contains("Be on time"));
    assert!(
        fallback.custom_ids().iter().any(|c| c.starts_with("mb:conf:")),
        "with its Confirm button"
    );
    assert!(
        !engine.profile(GUILD, MENTOR).await.unwrap().unwrap().dm_reachable,
        "remembered as not reachable by DM"
    );
    let refused = h.fake.requests().iter().filter(|r| r.status == 403).count();
    // Later messages go straight to the thread, without trying the closed DMs again.
    let (msg, confirm) = {
        let m = h
            .fake
            .messages_in(thread)
            .into_iter()
            .rev()
            .find(|m| !m.custom_ids().is_empty())
            .unwrap();
        (m.id, m.custom_ids()[0].clone())
    };
    h.press(msg, MENTOR, &confirm).await;
    h.fake
        .wait_for_message(
            |m| m.channel_id == thread && m.content.contains("Everyone confirmed"),
            WAIT,
        )
        .await;
    assert_eq!(h.fake.requests().iter().filter(|r| r.status == 403).count(), refused);
    h.shutdown().await;
}

async fn a_member_leaving_pauses_and_tells_the_others(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    let rel = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    engine
        .propose_agreement(GUILD, rel.id, MENTEE, &agreement())
        .await
        .unwrap();
    engine.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let pending = engine
        .propose_direct(GUILD, PEER3, MENTEE, Kind::Classic, Direction::Offer, "Go")
        .await
        .unwrap();

    h.fake.send_member_remove(GUILD.0, MENTEE.0);
    let dms = h.dms(MENTOR, 1).await;
    assert!(
        dms.iter()
            .any(|m| m.content.contains("left the server") && m.content.contains("paused")),
        "{dms:#?}"
    );
    assert_eq!(
        engine.relationship_for(GUILD, rel.id, MENTOR).await.unwrap().state,
        State::Paused
    );
    let pending = engine.relationship_for(GUILD, pending.id, PEER3).await.unwrap();
    assert_eq!(
        pending.state,
        State::Declined,
        "an invitation to someone who left is declined"
    );
    h.shutdown().await;
}

async fn unanswered_invitations_lapse_and_the_sender_is_told(w: World) {
    let h = Harness::start(w).await;
    h.form(
        MENTEE,
        cmd("mentor request").user("user", MENTOR.0),
        &[("purpose", "Rust")],
    )
    .await;
    h.world.clock.advance(Duration::days(6));
    assert_eq!(h.bot.sweep_expired().await, 0);
    h.world.clock.advance(Duration::days(1));
    assert_eq!(h.bot.sweep_expired().await, 1);
    let dms = h.dms(MENTEE, 1).await;
    assert!(dms.iter().any(|m| m.content.contains("lapsed")), "{dms:#?}");
    // Pressing Accept afterwards changes nothing.
    let (msg, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    let answer = h.press(msg, MENTOR, &accept).await;
    assert!(answer.content().unwrap().contains("expired"), "{:?}", answer.content());
    h.shutdown().await;
}

async fn a_dropped_connection_mid_conversation_is_resumed(w: World) {
    let h = Harness::start(w).await;
    let opened = h.slash(MENTEE, cmd("mentor seek").str("goals", "rust"));
    assert!(opened.wait_response().await.is_modal());
    h.fake.drop_gateway();
    assert!(
        h.fake.wait_gateway(WAIT, |s| s.resumed >= 1 && s.live).await,
        "the bot resumed"
    );
    let answer = h
        .fake
        .submit_modal(&opened, &[("purpose", "Lead the migration")])
        .wait_response()
        .await;
    assert!(
        answer.content().unwrap().contains("request #"),
        "{:?}",
        answer.content()
    );
    assert_eq!(h.fake.gateway_stats().identifies, 1, "resumed, not a new session");
    assert_eq!(h.world.engine.open_requests(GUILD).await.unwrap().len(), 1);
    h.shutdown().await;
}

async fn the_smaller_commands(w: World) {
    let h = Harness::start(w).await;
    let engine = h.world.engine.clone();
    // Time zones are completed as people type.
    let choices = h
        .fake
        .interaction_autocomplete(
            common::discord::here(),
            MENTEE.0,
            cmd("mentor profile").focus("timezone", "berl"),
        )
        .wait_response()
        .await
        .choices();
    assert_eq!(
        choices.first().map(|c| c.0.as_str()),
        Some("Europe/Berlin"),
        "{choices:?}"
    );

    h.say(MENTEE, cmd("mentor profile").str("timezone", "Europe/Berlin"))
        .await;
    let text = h.say(MENTEE, cmd("mentor pause").str("until", "2026-04-01")).await;
    assert!(text.contains("Paused until 2026-04-01"), "{text}");
    assert!(engine
        .profile(GUILD, MENTEE)
        .await
        .unwrap()
        .unwrap()
        .paused_until
        .is_some());
    let text = h.say(MENTEE, cmd("mentor resume")).await;
    assert!(text.contains("Welcome back"), "{text}");
    assert!(engine
        .profile(GUILD, MENTEE)
        .await
        .unwrap()
        .unwrap()
        .paused_until
        .is_none());

    // The stranger's offer comes first, so the mentor's has the higher database id.
    h.form(
        STRANGER,
        cmd("mentor offer").str("topics", "go").int("capacity", 1),
        &[("purpose", "Help with Go")],
    )
    .await;
    h.form(
        MENTOR,
        cmd("mentor offer").str("topics", "rust").int("capacity", 2),
        &[("purpose", "Help")],
    )
    .await;
    let text = h.say(MENTOR, cmd("mentor withdraw").int("what", 0 /* offer */)).await;
    assert!(text.contains("(open)") && text.contains("rust"), "{text}");
    // Offers count within their author's: the mentor's first is #1, whatever its database id
    // (the stranger's offer made first takes a lower one).
    assert!(text.contains("**#1** (open)"), "{text}");
    let offer = engine.offers_of(GUILD, MENTOR).await.unwrap()[0].id;
    let text = h
        .say(STRANGER, cmd("mentor withdraw").int("what", 0).int("id", 2))
        .await;
    assert!(text.contains("not found"), "the stranger has one offer: {text}");
    let text = h
        .say(MENTOR, cmd("mentor withdraw").int("what", 0).int("id", offer.0 + 100))
        .await;
    assert!(text.contains("not found"), "a database id is not a number: {text}");
    let text = h.say(MENTOR, cmd("mentor withdraw").int("what", 0).int("id", 1)).await;
    assert!(text.contains("Offer #1 withdrawn"), "{text}");
    assert_eq!(
        engine.offers_of(GUILD, MENTOR).await.unwrap()[0].status,
        ListingStatus::Withdrawn
    );
    assert_eq!(
        engine.offers_of(GUILD, STRANGER).await.unwrap()[0].status,
        ListingStatus::Open,
        "the stranger's offer #1 is untouched"
    );
    let text = h
        .say(STRANGER, cmd("mentor withdraw").int("what", 0).int("id", 1))
        .await;
    assert!(text.contains("Offer #1 withdrawn"), "the stranger's own #1: {text}");
    assert!(engine.open_offers(GUILD).await.unwrap().is_empty());

    let rel = engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    engine.accept(GUILD, rel.id, MENTOR).await.unwrap();
    engine
        .propose_agreement(GUILD, rel.id, MENTEE, &agreement())
        .await
        .unwrap();
    engine.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let text = h
        .say(
            MENTOR,
            cmd("mentorship checkin").int("mentorship", rel.id.0).bool("met", false),
        )
        .await;
    assert!(text.contains("no meeting"), "{text}");
    let text = h
        .form(
            MENTOR,
            cmd("mentorship journal write").int("mentorship", rel.id.0),
            &[("q0", "Steady"), ("q1", "Lifetimes")],
        )
        .await;
    assert!(text.contains("private journal"), "{text}");
    let entries = engine.journal(GUILD, MENTOR, None).await.unwrap();
    assert_eq!(
        entries[0].answers[0].question, "How are the pace and progress?",
        "the mentor's questions"
    );
    assert_eq!(entries[0].answers[0].answer, "Steady");
    let text = h.say(MENTOR, cmd("mentorship list")).await;
    assert!(
        text.contains(&format!("#{}", rel.number)) && text.contains("active"),
        "{text}"
    );
    h.shutdown().await;
}

async fn failed_dms_are_retried(w: World) {
    let h = Harness::start(w).await;
    h.fake.fail_next_n(Some("POST"), "/channels/", 502, 2);
    h.form(
        MENTEE,
        cmd("mentor request").user("user", MENTOR.0),
        &[("purpose", "Rust")],
    )
    .await;
    let dms = h.dms(MENTOR, 1).await;
    assert_eq!(dms.len(), 1, "delivered once after the failures");
    let failed = h.fake.requests().iter().filter(|r| r.status == 502).count();
    assert_eq!(failed, 2);
    h.shutdown().await;
}

on_both_backends!(
    the_smaller_commands,
    failed_dms_are_retried,
    reverse_pair_and_peer_group,
    bad_inputs_get_a_clear_answer_and_change_nothing,
    only_organisers_set_up_the_program,
    closed_dms_fall_back_to_the_thread,
    a_member_leaving_pauses_and_tells_the_others,
    unanswered_invitations_lapse_and_the_sender_is_told,
    a_dropped_connection_mid_conversation_is_resumed,
);
