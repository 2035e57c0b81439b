//! Issue 16, the life-cycle flow, end to end through the Discord stand-in: a check-in answers
//! the planned one, ending asks first and "not a fit" is worded kindly, a request closes with
//! its mentorship and seeking again re-opens it, invitations are reminded halfway and can be
//! withdrawn, seeking without a profile says what matching needs.
use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::discord::{channel, cmd, Harness, OWNER};
use common::fixtures::*;
use common::World;
use mentorbot::domain::checkin::{CheckinSource, CheckinStatus};
use mentorbot::domain::listing::{Kind, ListingStatus};
use mentorbot::domain::relationship::{Relationship, State};
use mentorbot::domain::UserId;
use mentorbot::engine::{Direction, ProgramSetup};

/// The program's channel set up, the mentee's request open, and an active pair made of it.
async fn active_pair_from_request(h: &Harness) -> Relationship {
    let e = &h.world.engine;
    let setup = ProgramSetup {
        channel: Some(channel()),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, MENTEE, &request(&["rust"], &["classic"]))
        .await
        .unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    assert!(rel.request.is_some(), "made of the mentee's request");
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, version) = e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTEE, version).await.unwrap();
    assert_eq!(rel.state, State::Active);
    rel
}

fn request(goals: &[&str], kinds: &[&str]) -> mentorbot::domain::listing::RequestInput {
    mentorbot::domain::listing::RequestInput {
        purpose: format!("Get better at {}", goals.join(" and ")),
        goals: goals.iter().map(|g| g.to_string()).collect(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        styles: vec![],
    }
}

fn texts(h: &Harness, user: UserId, needle: &str) -> Vec<String> {
    h.fake
        .dms_to(user.0)
        .into_iter()
        .map(|m| m.content)
        .filter(|c| c.contains(needle))
        .collect()
}

/// Item 5: `/mentorship checkin` answers the planned check-in near it: no second check-in, and
/// the planned one's did-you-meet and nudge never go out. Far from any planned one it is a
/// check-in of its own.
async fn a_checkin_answers_the_planned_meeting(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair_from_request(&h).await;
    let r = rel.id;
    let first = Utc.with_ymd_and_hms(2026, 3, 3, 17, 30, 0).unwrap();
    let planned = e.checkins(GUILD, r, MENTEE).await.unwrap();
    assert!(planned
        .iter()
        .any(|c| c.scheduled_at == first && c.status == CheckinStatus::Planned));
    let before = planned.len();

    // Half an hour after the first meeting (before its did-you-meet), the mentee records it.
    h.world.clock.set(first + Duration::minutes(30));
    let text = h
        .form(
            MENTEE,
            cmd("mentorship checkin").int("mentorship", r.0).bool("met", true),
            &[("q0", "Lifetimes at last")],
        )
        .await;
    assert!(text.contains("private journal"), "{text}");
    let after = e.checkins(GUILD, r, MENTEE).await.unwrap();
    assert_eq!(after.len(), before, "no second check-in beside the planned one");
    let answered = after.iter().find(|c| c.scheduled_at == first).unwrap();
    assert_eq!(answered.status, CheckinStatus::Held);
    assert_eq!(answered.reported_by, Some(MENTEE));
    let entry = e.journal(GUILD, MENTEE, None).await.unwrap().remove(0);
    assert_eq!(entry.checkin, Some(answered.id), "the reflection is about that meeting");
    // The partner records it too: still the same meeting.
    h.form(
        MENTOR,
        cmd("mentorship checkin").int("mentorship", r.0).bool("met", true),
        &[("q0", "Good questions")],
    )
    .await;
    assert_eq!(e.checkins(GUILD, r, MENTEE).await.unwrap().len(), before);

    // Three days on: the planned meeting asked nobody "Did you meet?" and nudged nobody.
    h.advance(Duration::days(3)).await;
    for who in [MENTEE, MENTOR] {
        assert!(texts(&h, who, "Did you meet?").is_empty(), "{who:?}");
    }
    // Eight days from the next planned meeting (17 March) a missed meeting is one of its own.
    h.world.clock.set(Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap());
    let text = h
        .say(
            MENTOR,
            cmd("mentorship checkin").int("mentorship", r.0).bool("met", false),
        )
        .await;
    assert!(text.contains("no meeting this time"), "{text}");
    let all = e.checkins(GUILD, r, MENTEE).await.unwrap();
    assert_eq!(all.len(), before + 1);
    assert!(all
        .iter()
        .any(|c| c.source == CheckinSource::Manual && c.status == CheckinStatus::Missed));
    h.shutdown().await;
}

/// Items 6, 7 and 13: ending asks first (Keep it changes nothing), "not a fit" is worded kindly
/// and leads to Find me another, its retrospective asks nothing to celebrate, the request closes
/// with the mentorship and `/mentor seek` re-opens it, its purpose ready to edit.
async fn ending_asks_first_and_a_request_closes_with_it(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair_from_request(&h).await;
    let r = rel.id;
    let request = rel.request.unwrap();

    // The command asks; Keep it changes nothing.
    let handle = h.slash(
        MENTOR,
        cmd("mentorship end")
            .int("mentorship", r.0)
            .int("reason", 1 /* not a fit */),
    );
    let asked = handle.wait_response().await;
    assert!(asked.is_ephemeral());
    let text = asked.content().unwrap();
    assert!(
        text.contains("Nothing changes until") && text.contains("not a fit"),
        "{text}"
    );
    let ids = asked.custom_ids();
    let end_it = format!("mb:endok:{}:{}:1", GUILD.0, r.0);
    let keep = format!("mb:endno:{}:{}", GUILD.0, r.0);
    assert_eq!(ids, vec![end_it.clone(), keep.clone()]);
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Active);
    let question = handle.original().unwrap();
    // Nobody else can press it.
    let refused = h.press(question.id, STRANGER, &end_it).await;
    assert!(refused.content().unwrap().contains("no such mentorship"), "{refused:?}");
    let kept = h.press(question.id, MENTOR, &keep).await;
    assert!(kept.content().unwrap().contains("Nothing changed"), "{kept:?}");
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Active);
    let status = |e: mentorbot::engine::Engine| async move { e.requests_of(GUILD, MENTEE).await.unwrap()[0].status };
    assert_eq!(status(e.clone()).await, ListingStatus::Open);

    // Confirmed: it ends, kindly worded, with Find me another.
    let ended = h.end(MENTOR, r.0, 1).await;
    assert!(ended.contains("has ended"), "{ended}");
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Ended);
    let told = h.wait_dm(MENTEE, "has ended").await;
    assert!(
        told.contains("not a fit") && told.contains("nobody's fault") && told.contains("Find me another"),
        "{told}"
    );
    // The guide's tips may name both ways to mark an end; the message itself asks for no celebration.
    assert!(!told.to_lowercase().contains("what should be celebrated"), "{told}");
    let (msg, retro) = h.wait_button(MENTEE, &format!("mb:retro:{}:{}", GUILD.0, r.0)).await;
    let (_, another) = h.wait_button(MENTEE, &format!("mb:another:{}:{}", GUILD.0, r.0)).await;
    assert!(!another.is_empty());
    let form = h.fake.interaction_button(msg, MENTEE.0, &retro);
    let modal = form.wait_response().await;
    assert!(modal.is_modal());
    assert!(
        !modal.components().to_string().contains("celebrate"),
        "{:?}",
        modal.components()
    );
    let thanks = h
        .fake
        .submit_modal(&form, &[("learned", "What I need from a mentor")])
        .wait_response()
        .await;
    let thanks = thanks.content().unwrap();
    assert!(
        thanks.contains("Thank you") && !thanks.contains("Celebrate"),
        "{thanks}"
    );

    // The request closed with the mentorship: not matched behind the mentee's back.
    assert!(!e.open_requests(GUILD).await.unwrap().iter().any(|q| q.id == request));
    assert_eq!(status(e.clone()).await, ListingStatus::Withdrawn);
    // Seeking again re-opens it, the purpose ready to edit: no second request.
    let handle = h.slash(MENTEE, cmd("mentor seek").str("goals", "rust, async"));
    let form = handle.wait_response().await;
    assert!(form.is_modal());
    assert!(form.data.to_string().contains("Re-open your request #1"));
    let old_purpose = e.requests_of(GUILD, MENTEE).await.unwrap()[0].purpose.clone();
    assert!(form.components().to_string().contains(&old_purpose), "prefilled");
    let answer = h
        .fake
        .submit_modal(&handle, &[("purpose", "Async Rust for our services")])
        .wait_response()
        .await;
    let answer = answer.content().unwrap();
    assert!(answer.contains("request #1 is open again"), "{answer}");
    let mine = e.requests_of(GUILD, MENTEE).await.unwrap();
    assert_eq!(mine.len(), 1, "no duplicate");
    assert_eq!(mine[0].status, ListingStatus::Open);
    assert_eq!(mine[0].purpose, "Async Rust for our services");
    assert_eq!(mine[0].goals, vec!["rust".to_string(), "async".to_string()]);
    h.shutdown().await;
}

/// Item 13: the public celebration is asked with Yes / No buttons; No keeps it private.
async fn the_celebration_is_asked_with_buttons(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair_from_request(&h).await;
    let r = rel.id;
    let ended = h.end(MENTEE, r.0, 0 /* goals met */).await;
    assert!(ended.contains("has ended"), "{ended}");
    for (who, yes) in [(MENTEE, true), (MENTOR, false)] {
        let (msg, retro) = h.wait_button(who, &format!("mb:retro:{}:{}", GUILD.0, r.0)).await;
        let form = h.fake.interaction_button(msg, who.0, &retro);
        assert!(form.wait_response().await.is_modal());
        let answer = h
            .retrospective_celebrating(&form, who, &[("learned", "Plenty"), ("celebrate", "Shipped")], yes)
            .await;
        let expected = if yes {
            "you agree to celebrate"
        } else {
            "not celebrated in public"
        };
        assert!(answer.contains(expected), "{answer}");
        let retro = e.my_retrospective(GUILD, r, who).await.unwrap().unwrap();
        assert_eq!(retro.celebrate_publicly, yes);
    }
    h.run_jobs().await;
    assert!(!h
        .fake
        .messages_in(channel())
        .iter()
        .any(|m| m.content.contains("Celebrating")));
    h.shutdown().await;
}

/// Item 4: an invitation is reminded once, halfway to its expiry, without its purpose; the
/// sender can withdraw it and everyone invited is told; a decline leaves the request open and
/// says so.
async fn invitations_are_reminded_and_can_be_withdrawn(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let purpose = "Learn to review Rust code well";
    let text = h
        .form(
            MENTEE,
            cmd("mentor request").user("user", MENTOR.0),
            &[("purpose", purpose)],
        )
        .await;
    assert!(text.contains("Invitation sent"), "{text}");
    let rel = e.relationships(GUILD, MENTEE).await.unwrap().remove(0);
    h.wait_dm(MENTOR, "invites you").await;
    let expiry = rel.expires_at - rel.created_at;

    // Not yet halfway: no reminder.
    h.advance(expiry / 2 - Duration::hours(1)).await;
    assert!(texts(&h, MENTOR, "A reminder: the invitation").is_empty());
    // Halfway: one reminder with the buttons, without the purpose.
    h.advance(Duration::hours(2)).await;
    let reminder = h.wait_dm(MENTOR, "A reminder: the invitation").await;
    assert!(!reminder.contains(purpose), "the purpose is shown once: {reminder}");
    assert!(reminder.contains(&format!("<@{}>", MENTEE.0)), "{reminder}");
    let (_, accept) = h.wait_button(MENTOR, &format!("mb:acc:{}:{}", GUILD.0, rel.id.0)).await;
    assert!(!accept.is_empty());
    assert!(texts(&h, MENTEE, "A reminder").is_empty(), "the sender gets none");
    h.advance(Duration::days(1)).await;
    assert_eq!(texts(&h, MENTOR, "A reminder: the invitation").len(), 1, "once");

    // Only the sender withdraws it.
    let text = h
        .say(STRANGER, cmd("mentorship withdraw").int("mentorship", rel.id.0))
        .await;
    assert!(text.contains("no such mentorship"), "{text}");
    let text = h
        .say(MENTOR, cmd("mentorship withdraw").int("mentorship", rel.id.0))
        .await;
    assert!(
        text.contains("Only the person who sent") && text.contains("Decline"),
        "{text}"
    );
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Proposed
    );
    let text = h
        .say(MENTEE, cmd("mentorship withdraw").int("mentorship", rel.id.0))
        .await;
    assert!(text.contains("You withdrew"), "{text}");
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Declined
    );
    let told = h.wait_dm(MENTOR, "withdrew the invitation").await;
    assert!(told.contains(&format!("#{}", rel.id.0)), "{told}");
    // A late Accept says what happened.
    let (msg, accept) = h.wait_button(MENTOR, &format!("mb:acc:{}:{}", GUILD.0, rel.id.0)).await;
    let late = h.press(msg, MENTOR, &accept).await;
    let late = late.content().unwrap();
    assert!(late.contains("withdrew") && late.contains("/mentor suggest"), "{late}");
    // Withdrawing twice is refused with a way forward.
    let text = h
        .say(MENTEE, cmd("mentorship withdraw").int("mentorship", rel.id.0))
        .await;
    assert!(text.contains("/mentorship list"), "{text}");

    // A decline leaves the mentee's request open, and they are told so.
    e.create_request(GUILD, MENTEE, &request(&["rust"], &["classic"]))
        .await
        .unwrap();
    let again = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Once more")
        .await
        .unwrap();
    h.bot.on_proposed(&again).await;
    let (msg, decline) = h
        .wait_button(MENTOR, &format!("mb:dec:{}:{}", GUILD.0, again.id.0))
        .await;
    h.press(msg, MENTOR, &decline).await;
    let told = h.wait_dm(MENTEE, "declined the invitation").await;
    let q = again.request.unwrap();
    assert!(told.contains("request stays open"), "{told}");
    assert!(e.open_requests(GUILD).await.unwrap().iter().any(|r| r.id == q));
    h.shutdown().await;
}

/// Item 3: seeking or offering without a profile says what matching needs; a publish tells the
/// people it left out, and why.
async fn seeking_without_a_profile_says_what_matching_needs(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let text = h
        .form(
            STRANGER,
            cmd("mentor seek").str("goals", "rust"),
            &[("purpose", "Learn Rust")],
        )
        .await;
    assert!(
        text.contains("Matching needs your profile first") && text.contains("/mentor profile timezone:"),
        "{text}"
    );
    assert!(!text.contains("Organisers can now match you"), "{text}");
    let text = h
        .form(
            PEER4,
            cmd("mentor offer").str("topics", "rust").int("capacity", 1),
            &[("purpose", "Teach Rust")],
        )
        .await;
    assert!(text.contains("Matching needs your profile first"), "{text}");
    // With a profile, the usual answer.
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    let text = h
        .form(
            MENTEE,
            cmd("mentor seek").str("goals", "go"),
            &[("purpose", "Learn Go")],
        )
        .await;
    assert!(text.contains("Organisers can now match you"), "{text}");

    // The organisers publish: those left out hear why, and what helps.
    let setup = h
        .say(UserId(OWNER), cmd("program setup").channel("channel", channel()))
        .await;
    assert!(setup.contains("Program settings saved"), "{setup}");
    let published = h.answer_deferred(UserId(OWNER), cmd("program match publish")).await;
    assert!(
        published.content.contains("Nothing new to send"),
        "{}",
        published.content
    );
    let told = h.wait_dm(STRANGER, "you were not placed this time").await;
    assert!(
        told.contains("no profile") && told.contains("/mentor profile"),
        "{told}"
    );
    let told = h.wait_dm(PEER4, "your offer was left out").await;
    assert!(told.contains("/mentor profile"), "{told}");
    let told = h.wait_dm(MENTEE, "you were not placed this time").await;
    assert!(told.contains("stays open"), "{told}");
    h.shutdown().await;
}

/// Item 11: a pair that never agrees is reminded a week after accepting (once); the reminder
/// before a meeting with an empty plan names the goal command first.
async fn pairs_that_never_agree_are_reminded(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let setup = ProgramSetup {
        channel: Some(channel()),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    h.advance(Duration::days(6)).await;
    assert!(texts(&h, MENTEE, "no agreement in force yet").is_empty());
    h.advance(Duration::days(2)).await;
    for who in [MENTEE, MENTOR] {
        let told = h.wait_dm(who, "no agreement in force yet").await;
        assert!(
            told.contains(&format!("/mentorship agreement mentorship:{}", rel.id.0)),
            "{told}"
        );
    }
    h.advance(Duration::days(8)).await;
    assert_eq!(texts(&h, MENTEE, "no agreement in force yet").len(), 1, "once");

    // Agreed now: the reminder before the first meeting, with an empty plan, starts with a goal.
    let input = mentorbot::domain::agreement::AgreementInput {
        start_date: "2026-03-24".into(),
        ..agreement()
    };
    let (_, v) = e.propose_agreement(GUILD, rel.id, MENTEE, &input).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, v).await.unwrap();
    let mut reminder = Vec::new();
    for _ in 0..10 {
        h.advance(Duration::days(1)).await;
        reminder = texts(&h, MENTEE, "Reminder: check-in");
        if !reminder.is_empty() {
            break;
        }
    }
    let reminder = reminder.first().expect("the reminder before the first meeting");
    assert!(
        reminder.contains(&format!("/mentorship plan add mentorship:{}", rel.id.0)),
        "{reminder}"
    );
    assert!(
        !reminder.contains("Learn Rust"),
        "the purpose is not pasted again: {reminder}"
    );
    h.shutdown().await;
}

/// Item 13: a direct invitation shows the invitee the sender's goals, time zone and the hours a
/// week both are free (how much, not when).
async fn a_direct_invitation_tells_about_its_sender(w: World) {
    let h = Harness::start(w).await;
    for (who, tz, free) in [
        (MENTEE, "America/New_York", "tue 12:00-15:00"),
        (MENTOR, "Europe/Berlin", "tue 18:00-20:00"),
    ] {
        let text = h
            .say(who, cmd("mentor profile").str("timezone", tz).str("availability", free))
            .await;
        assert!(text.contains("Profile saved"), "{text}");
    }
    h.form(
        MENTEE,
        cmd("mentor seek").str("goals", "rust, async"),
        &[("purpose", "Lead our Rust migration")],
    )
    .await;
    let text = h
        .form(
            MENTEE,
            cmd("mentor request").user("user", MENTOR.0),
            &[("purpose", "Learn Rust for the migration")],
        )
        .await;
    assert!(text.contains("Invitation sent"), "{text}");
    let invitation = h.wait_dm(MENTOR, "invites you").await;
    let grace = format!("<@{}>", MENTEE.0);
    assert!(
        invitation.contains("Learn Rust for the migration"),
        "the purpose, once: {invitation}"
    );
    assert!(
        invitation.contains(&format!("{grace}'s goals:** rust, async")),
        "{invitation}"
    );
    assert!(
        invitation.contains(&format!("{grace}'s time zone:** America/New_York")),
        "{invitation}"
    );
    // New York 12:00-15:00 and Berlin 18:00-20:00 on a Tuesday in early March share 17:00-19:00 UTC.
    assert!(invitation.contains("both free 2 hours a week"), "{invitation}");
    assert!(
        !invitation.contains("12:00"),
        "when the sender is free stays theirs: {invitation}"
    );
    h.shutdown().await;
}

on_both_backends!(
    a_direct_invitation_tells_about_its_sender,
    pairs_that_never_agree_are_reminded,
    a_checkin_answers_the_planned_meeting,
    ending_asks_first_and_a_request_closes_with_it,
    the_celebration_is_asked_with_buttons,
    invitations_are_reminded_and_can_be_withdrawn,
    seeking_without_a_profile_says_what_matching_needs,
);
