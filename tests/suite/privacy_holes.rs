//! Issue 12, one test per hole, in the engine on both backends: what a person can read, who can
//! be invited how often, what forgetting removes, what an id reveals, who is suggested, what a
//! button's custom id can make the engine do, and the drafts of open forms.
use crate::common;

use std::collections::HashMap;

use chrono::Duration;
use common::fixtures::*;
use common::{snapshot, World};
use mentorbot::domain::agreement::AgreementInput;
use mentorbot::domain::checkin::CheckinStatus;
use mentorbot::domain::ids::{CheckinId, GoalId, RelationshipId, StepId};
use mentorbot::domain::listing::{Kind, OfferInput, RequestInput};
use mentorbot::domain::plan::ItemStatus;
use mentorbot::domain::questions::{CriteriaInput, QuestionInput, Wish};
use mentorbot::domain::relationship::{EndReason, Relationship, State};
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::drafts::{Draft, DRAFTS_PER_MEMBER};
use mentorbot::engine::members::Presser;
use mentorbot::engine::presses::{Press, Submit, Submitted};
use mentorbot::engine::{Direction, Engine, Error, ProgramRules, ProgramSetup, NOT_YOURS};
use mentorbot::store::privacy::GuildMember;

fn person(user: UserId) -> Presser {
    Presser::person(user)
}

fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// An active peer group of `members` (the first invites), with an agreement in force.
async fn active_group(w: &World, members: &[UserId], expectations: &str) -> Relationship {
    let e = &w.engine;
    let rel = e
        .invite_peer_group(GUILD, members[0], &members[1..], "A study group")
        .await
        .unwrap();
    for m in &members[1..] {
        e.accept(GUILD, rel.id, *m).await.unwrap();
    }
    let input = AgreementInput {
        expectations: expectations.into(),
        ..agreement()
    };
    let (mut rel, v) = e.propose_agreement(GUILD, rel.id, members[0], &input).await.unwrap();
    for m in &members[1..] {
        rel = e.confirm_agreement(GUILD, rel.id, *m, v).await.unwrap();
    }
    assert_eq!(rel.state, State::Active);
    rel
}

/// Hole 1: `/mentor my-data` gave someone who declined a peer group the group's agreement,
/// plan and check-in notes. Now only relationships the person joined carry content; the declined
/// invitation is listed as such.
async fn my_data_holds_only_what_the_person_joined(w: World) {
    let e = &w.engine;
    let rel = e
        .invite_peer_group(GUILD, MENTOR, &[MENTEE, PEER3, PEER4], "Group purpose")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTEE).await.unwrap();
    e.accept(GUILD, rel.id, PEER3).await.unwrap();
    e.decline(GUILD, rel.id, PEER4).await.unwrap();
    let input = AgreementInput {
        expectations: "EXPECTATION-OF-THE-GROUP".into(),
        issue_handling: "ISSUES-OF-THE-GROUP".into(),
        ..agreement()
    };
    let (rel, v) = e.propose_agreement(GUILD, rel.id, MENTOR, &input).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTEE, v).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, PEER3, v).await.unwrap();
    let goal = e.add_goal(GUILD, rel.id, MENTEE, "GOAL-OF-THE-GROUP").await.unwrap();
    e.add_step(GUILD, rel.id, PEER3, goal.id, "STEP-OF-THE-GROUP", None, None)
        .await
        .unwrap();
    e.record_checkin(GUILD, rel.id, MENTEE, true, Some("NOTE-OF-THE-GROUP"))
        .await
        .unwrap();

    let text = e.my_data(GUILD, PEER4).await.unwrap().to_string();
    for private in [
        "EXPECTATION-OF-THE-GROUP",
        "ISSUES-OF-THE-GROUP",
        "GOAL-OF-THE-GROUP",
        "STEP-OF-THE-GROUP",
        "NOTE-OF-THE-GROUP",
    ] {
        assert!(
            !text.contains(private),
            "{private} reached someone who declined: {text}"
        );
    }
    let data = e.my_data(GUILD, PEER4).await.unwrap();
    assert!(data["relationships"].as_array().unwrap().is_empty(), "{data}");
    let invitations = data["invitations_not_joined"].as_array().unwrap();
    assert_eq!(invitations.len(), 1, "{data}");
    assert_eq!(invitations[0]["my_answer"], "declined");
    // A member who joined gets it all.
    let joined = e.my_data(GUILD, MENTEE).await.unwrap().to_string();
    for shared in ["EXPECTATION-OF-THE-GROUP", "GOAL-OF-THE-GROUP", "NOTE-OF-THE-GROUP"] {
        assert!(joined.contains(shared), "{shared} missing for a member: {joined}");
    }
}

fn limit(e: Result<Relationship, Error>) -> String {
    match e {
        Err(Error::Limit(text)) => text,
        other => panic!("expected a limit, got {other:?}"),
    }
}

/// Hole 3: nothing limited invitations. Now: no new invitation to someone for 30 days after
/// they declined one from the same person, at most 5 waiting per member, none to someone who
/// paused (the sender is told until when), and a daily cap on agreement versions.
async fn invitations_are_limited(w: World) {
    let e = &w.engine;
    // Asked again right after a decline: refused, and nothing stored.
    let first = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Please")
        .await
        .unwrap();
    e.decline(GUILD, first.id, MENTOR).await.unwrap();
    let before = snapshot(&w, GUILD).await;
    let again = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Please!")
        .await;
    assert!(limit(again).contains("declined"));
    let again = e
        .invite_peer_group(GUILD, MENTEE, &[MENTOR, PEER3], "Or a group?")
        .await;
    assert!(limit(again).contains("declined"));
    assert_eq!(before, snapshot(&w, GUILD).await);
    // The one who declined may still ask; after 30 days the other may too.
    e.propose_direct(GUILD, MENTOR, MENTEE, Kind::Reverse, Direction::Request, "My turn")
        .await
        .unwrap();
    w.clock.advance(Duration::days(31));
    e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A month on")
        .await
        .unwrap();

    // At most five invitations waiting per member (the sixth is refused).
    let many: Vec<UserId> = (0..7).map(|i| UserId(900_000_000_000_001_000 + i)).collect();
    for u in &many {
        w.add_member(GUILD, *u).await;
    }
    let sender = PEER3;
    for u in &many[..5] {
        e.propose_direct(GUILD, sender, *u, Kind::Classic, Direction::Offer, "Hi")
            .await
            .unwrap();
    }
    let before = snapshot(&w, GUILD).await;
    let sixth = e
        .propose_direct(GUILD, sender, many[5], Kind::Classic, Direction::Offer, "Hi")
        .await;
    assert!(limit(sixth).contains("waiting"));
    assert_eq!(before, snapshot(&w, GUILD).await);
    // An answer frees a place.
    let waiting = e.relationships(GUILD, many[0]).await.unwrap().remove(0);
    e.decline(GUILD, waiting.id, many[0]).await.unwrap();
    e.propose_direct(GUILD, sender, many[5], Kind::Classic, Direction::Offer, "Hi")
        .await
        .unwrap();
    // A server may set its own limit.
    let setup = ProgramSetup {
        invitation_limit: Some(6),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    e.propose_direct(GUILD, sender, many[6], Kind::Classic, Direction::Offer, "Hi")
        .await
        .unwrap();

    // Someone away gets no invitation, and the sender learns until when.
    e.set_profile(GUILD, PEER4, &profile("Margaret", "Europe/Berlin"))
        .await
        .unwrap();
    e.pause_profile(GUILD, PEER4, "2026-06-01").await.unwrap();
    let before = snapshot(&w, GUILD).await;
    let away = e
        .propose_direct(GUILD, STRANGER, PEER4, Kind::Classic, Direction::Request, "Hello")
        .await;
    assert!(limit(away).contains("away until 2026-06-01"));
    let away = e.invite_peer_group(GUILD, STRANGER, &[MENTOR, PEER4], "Group").await;
    assert!(limit(away).contains("away until 2026-06-01"));
    // Nor from the organisers, whose invitations count against no member's limit.
    let away = e
        .propose_match(
            GUILD,
            UserId(OWNER_ID),
            PEER4,
            STRANGER,
            Kind::Classic,
            "Match",
            None,
            None,
        )
        .await;
    assert!(limit(away).contains("away until"));
    assert_eq!(before, snapshot(&w, GUILD).await);
    e.propose_match(
        GUILD,
        UserId(OWNER_ID),
        many[6],
        sender,
        Kind::Reverse,
        "Match",
        None,
        None,
    )
    .await
    .expect("a published match is not counted against the member's limit");
}

const OWNER_ID: u64 = 900_000_000_000_000_050;

/// Hole 3, agreements: each version DMs everyone, so a mentorship gets at most five a day.
async fn agreement_versions_are_capped_per_day(w: World) {
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    for _ in 0..5 {
        e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    }
    let before = snapshot(&w, GUILD).await;
    match e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await {
        Err(Error::Limit(text)) => assert!(text.contains("24 hours"), "{text}"),
        other => panic!("expected the daily cap, got {other:?}"),
    }
    assert!(e.propose_frequency(GUILD, rel.id, MENTOR, "weekly").await.is_err());
    assert_eq!(before, snapshot(&w, GUILD).await);
    w.clock.advance(Duration::hours(25));
    e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
}

/// Hole 3, buttons: a DM button stopped checking nothing once its presser left or was banned.
/// Every button now checks, from the membership the member events keep, that its presser is a
/// member of the server now.
async fn buttons_stop_working_for_people_who_left(w: World) {
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.record_member_gone(GUILD, MENTOR).await.unwrap();
    let before = snapshot(&w, GUILD).await;
    let press = Press::Accept {
        guild: GUILD,
        rel: rel.id,
    };
    assert!(matches!(e.press(person(MENTOR), press).await, Err(Error::Forbidden(_))));
    assert_eq!(before, snapshot(&w, GUILD).await);
    // Back in the server: the button works again.
    e.record_member(
        GUILD,
        &GuildMember {
            user: MENTOR,
            bot: false,
            roles: vec![],
        },
    )
    .await
    .unwrap();
    e.press(person(MENTOR), press).await.unwrap();
    // Bots press nothing.
    let bot = Presser { user: PEER3, bot: true };
    assert!(e
        .press(
            bot,
            Press::Pause {
                guild: GUILD,
                rel: rel.id
            }
        )
        .await
        .is_err());
}

/// Hole 5: forgetting left the person's own words behind and an organiser as the proposer of
/// the matches they published. The check reads the tables and columns from the database itself,
/// so tables added later are covered: no text column holds any of their words, no column their id.
async fn forget_removes_every_word_and_id(w: World) {
    let e = &w.engine;
    let me = MENTEE;
    let word = |what: &str| format!("ZQX-{what}-WORD");
    let mine = |what: &str| word(what);
    // Everything the person can write, each with a word of its own.
    let mut p = profile(&mine("name"), "Europe/Berlin");
    p.role = Some(mine("role"));
    p.experience = Some(mine("experience"));
    p.mentoring_styles = vec![mine("mstyle")];
    p.learning_styles = vec![mine("lstyle")];
    e.set_profile(GUILD, me, &p).await.unwrap();
    e.set_suggestable(GUILD, me, true).await.unwrap();
    e.create_offer(
        GUILD,
        me,
        &OfferInput {
            purpose: mine("offer-purpose"),
            topics: vec![mine("topic")],
            skills: vec![mine("skill")],
            kinds: vec!["reverse".into()],
            capacity: 1,
            hopes_to_learn: Some(mine("hopes")),
        },
    )
    .await
    .unwrap();
    e.create_request_with_wish(
        GUILD,
        me,
        &RequestInput {
            purpose: mine("request-purpose"),
            goals: vec!["rust".into(), mine("goal-topic")],
            kinds: vec!["classic".into()],
            styles: vec![mine("style")],
        },
        Wish::Other,
    )
    .await
    .unwrap();
    // Their profession, unit and level, and an answer to an organiser's question (issue 13).
    e.set_levels(GUILD, true, &[], "student < clinician").await.unwrap();
    e.set_criteria(
        GUILD,
        me,
        &CriteriaInput {
            profession: Some(mine("profession")),
            unit: Some(mine("unit")),
            level: Some("student".into()),
        },
    )
    .await
    .unwrap();
    let question = e
        .add_question(
            GUILD,
            true,
            &[],
            &QuestionInput {
                text: "How do you like meetings to run?".into(),
                choices: "Planned; Spontaneous".into(),
                rule: "same".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    e.answer_question(GUILD, me, question.id, &["0".to_string()])
        .await
        .unwrap();
    // A pair they proposed, with everything a member writes in it.
    let rel = e
        .propose_direct(GUILD, me, MENTOR, Kind::Classic, Direction::Request, &mine("purpose"))
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let input = AgreementInput {
        expectations: mine("expectations"),
        issue_handling: mine("issues"),
        place: Some(mine("place")),
        ..agreement()
    };
    let (rel, v) = e.propose_agreement(GUILD, rel.id, me, &input).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, v).await.unwrap();
    // The mentor edits the frequency: their version keeps the person's issue handling and place.
    let (rel, v) = e.propose_frequency(GUILD, rel.id, MENTOR, "weekly").await.unwrap();
    e.confirm_agreement(GUILD, rel.id, me, v).await.unwrap();
    let goal = e.add_goal(GUILD, rel.id, me, &mine("goal")).await.unwrap();
    e.add_step(GUILD, rel.id, me, goal.id, &mine("step"), Some(me), None)
        .await
        .unwrap();
    e.add_step(GUILD, rel.id, MENTOR, goal.id, "The mentor's step", Some(me), None)
        .await
        .unwrap();
    let checkin = e
        .record_checkin(GUILD, rel.id, me, true, Some(&mine("note")))
        .await
        .unwrap();
    e.write_journal(GUILD, rel.id, me, Some(checkin.id), &[("Q?".into(), mine("journal"))])
        .await
        .unwrap();
    e.write_journal(
        GUILD,
        rel.id,
        MENTOR,
        None,
        &[("Q?".into(), "The mentor's reflection".into())],
    )
    .await
    .unwrap();
    e.end(GUILD, rel.id, MENTOR, EndReason::GoalsMet).await.unwrap();
    e.write_retrospective(
        GUILD,
        rel.id,
        me,
        &RetrospectiveInput {
            learned: mine("learned"),
            differently: Some(mine("differently")),
            celebrate: Some(mine("celebrate")),
            celebrate_publicly: true,
        },
    )
    .await
    .unwrap();
    // A published match made of their request (its purpose copied), by them as an organiser of
    // another pair, and a peer group they were invited to.
    e.set_profile(GUILD, PEER3, &profile("Linus", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(
        GUILD,
        PEER3,
        &OfferInput {
            purpose: "Mentor".into(),
            topics: vec!["rust".into()],
            skills: vec![],
            kinds: vec!["classic".into()],
            capacity: 2,
            hopes_to_learn: None,
        },
    )
    .await
    .unwrap();
    // The ending closed their request; "Find me another" opens it again for matching.
    e.find_another(GUILD, rel.id, me, &mine("request-purpose"))
        .await
        .unwrap();
    let published = e.match_publish(GUILD, me, true, &[]).await.unwrap();
    assert_eq!(published.pairs.len(), 1, "{:?}", published.refused);
    assert_eq!(published.pairs[0].0.purpose, mine("request-purpose"));
    e.propose_match(GUILD, me, PEER4, STRANGER, Kind::Classic, "Matched by them", None, None)
        .await
        .unwrap();
    e.invite_peer_group(GUILD, PEER4, &[me, PEER3], "A group")
        .await
        .unwrap();
    // A form being typed, and suggestions shown to them and of them.
    e.put_draft(77, GUILD, me, &Draft::Peer { invitees: vec![PEER3] })
        .await
        .unwrap();
    e.put_draft(
        78,
        GUILD,
        PEER4,
        &Draft::Direct {
            to: me,
            kind: Kind::Classic,
            direction: Direction::Offer,
        },
    )
    .await
    .unwrap();
    e.suggest(GUILD, me).await.unwrap();

    let id = me.0.to_string();
    let words = [
        "name",
        "role",
        "experience",
        "mstyle",
        "lstyle",
        "offer-purpose",
        "topic",
        "skill",
        "hopes",
        "request-purpose",
        "goal-topic",
        "profession",
        "unit",
        "style",
        "purpose",
        "expectations",
        "issues",
        "place",
        "goal",
        "step",
        "note",
        "journal",
        "learned",
        "differently",
        "celebrate",
    ];
    // The job queue's record of a message that reached them names them too (as u<id>).
    let jobs = e.store().jobs_for_relationship(GUILD, rel.id).await.unwrap();
    let job = jobs.first().expect("the agreement in force planned its jobs");
    e.store()
        .record_delivery(
            &job.dedupe_key,
            &format!("u{}", me.0),
            1,
            2,
            crate::common::start_time(),
        )
        .await
        .unwrap();
    assert!(!w.columns_containing(&id).await.is_empty());
    e.forget(GUILD, me).await.unwrap();
    for what in words {
        let left = w.columns_containing(&word(what)).await;
        assert!(left.is_empty(), "their {what} is left in {left:?}");
    }
    let left = w.columns_containing(&id).await;
    assert!(left.is_empty(), "their id is left in {left:?}");
    // The others keep theirs.
    assert!(!w.columns_containing("The mentor's reflection").await.is_empty());
    assert!(!w.columns_containing("The mentor's step").await.is_empty());
}

/// Hole 6: "not found" for a number nobody has and "you are not a member" for someone else's
/// told anyone which mentorship numbers exist. Now every use of a number gets one answer.
async fn one_answer_for_missing_and_not_yours(w: World) {
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, v) = e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, v).await.unwrap();
    let checkin = e.store().checkins(GUILD, rel.id).await.unwrap()[0].id;
    let goal = e.add_goal(GUILD, rel.id, MENTEE, "Goal").await.unwrap();
    let missing = RelationshipId(rel.id.0 + 1000);
    let who = STRANGER;
    let before = snapshot(&w, GUILD).await;
    for r in [rel.id, missing] {
        let answers: Vec<(&str, String)> = vec![
            ("accept", msg(e.accept(GUILD, r, who).await)),
            ("decline", msg(e.decline(GUILD, r, who).await)),
            ("confirm", msg(e.confirm_agreement(GUILD, r, who, 1).await)),
            ("pause", msg(e.pause(GUILD, r, who).await)),
            ("resume", msg(e.resume(GUILD, r, who).await)),
            ("end", msg(e.end(GUILD, r, who, EndReason::Other).await)),
            ("agreement", msg(e.propose_agreement(GUILD, r, who, &agreement()).await)),
            ("frequency", msg(e.propose_frequency(GUILD, r, who, "weekly").await)),
            ("goal", msg(e.add_goal(GUILD, r, who, "x").await)),
            (
                "step",
                msg(e.add_step(GUILD, r, who, GoalId(999_999), "x", None, None).await),
            ),
            (
                "step of a goal",
                msg(e.add_step(GUILD, r, who, goal.id, "x", None, None).await),
            ),
            (
                "done",
                msg(e
                    .set_step_status(GUILD, r, who, StepId(999_999), ItemStatus::Done)
                    .await),
            ),
            ("plan", msg(e.plan(GUILD, r, who).await)),
            ("checkin", msg(e.record_checkin(GUILD, r, who, true, None).await)),
            ("checkins", msg(e.checkins(GUILD, r, who).await)),
            (
                "journal",
                msg(e
                    .write_journal(GUILD, r, who, Some(CheckinId(999_999)), &[("q".into(), "a".into())])
                    .await),
            ),
            ("read journal", msg(e.journal(GUILD, who, Some(r)).await)),
            (
                "retro",
                msg(e
                    .write_retrospective(
                        GUILD,
                        r,
                        who,
                        &RetrospectiveInput {
                            learned: "x".into(),
                            ..Default::default()
                        },
                    )
                    .await),
            ),
            ("skip", msg(e.skip_checkin(GUILD, r, checkin, who).await)),
            (
                "move",
                msg(e
                    .reschedule_checkin(GUILD, r, checkin, who, "2027-01-01", "10:00")
                    .await),
            ),
            (
                "press reflect",
                msg(e
                    .press(
                        person(who),
                        Press::Reflect {
                            guild: GUILD,
                            rel: r,
                            checkin: Some(CheckinId(999_999)),
                        },
                    )
                    .await),
            ),
            (
                "press retro",
                msg(e.press(person(who), Press::Retro { guild: GUILD, rel: r }).await),
            ),
            (
                "press frequency",
                msg(e
                    .press(person(who), Press::ChangeFrequency { guild: GUILD, rel: r })
                    .await),
            ),
            (
                "press reschedule",
                msg(e
                    .press(
                        person(who),
                        Press::Reschedule {
                            guild: GUILD,
                            rel: r,
                            checkin: CheckinId(999_999),
                        },
                    )
                    .await),
            ),
        ];
        for (what, text) in answers {
            assert_eq!(text, NOT_YOURS, "{what} on mentorship #{}", r.0);
        }
    }
    assert_eq!(before, snapshot(&w, GUILD).await);
}

fn msg<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(e) => e.user_message(),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

/// Someone seeking a mentor, with a profile and a request.
async fn seeker(w: &World, user: UserId, goals: &[&str]) {
    let e = &w.engine;
    e.set_profile(GUILD, user, &profile("Seeker", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(
        GUILD,
        user,
        &RequestInput {
            purpose: "Grow".into(),
            goals: goals.iter().map(|g| g.to_string()).collect(),
            kinds: vec!["classic".into()],
            styles: vec!["coaching".into()],
        },
    )
    .await
    .unwrap();
}

/// Holes 7 and 8: `/mentor suggest` listed any seeker, with a free time in their local clock,
/// and its button trusted its custom id. Now only people who said yes are listed, with the
/// hours both are free a week; the button works only for whom it was shown, on whom it showed.
async fn suggestions_need_consent_and_their_buttons_are_checked(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
    seeker(&w, MENTEE, &["rust"]).await;
    seeker(&w, PEER3, &["rust"]).await;
    let (_, list) = e.suggest(GUILD, MENTOR).await.unwrap();
    assert!(list.is_empty(), "nobody agreed to be suggested: {list:?}");
    assert!(e.set_suggestable(GUILD, MENTEE, true).await.unwrap());
    let (_, list) = e.suggest(GUILD, MENTOR).await.unwrap();
    assert_eq!(list.iter().map(|s| s.user).collect::<Vec<_>>(), vec![MENTEE]);
    let reasons = list[0].reasons.join("; ");
    assert!(reasons.contains("you share 6 hours a week"), "{reasons}");
    for clock in [":", "e.g.", "your time", "their time"] {
        assert!(!reasons.contains(clock), "no clock time: {reasons}");
    }

    let before = snapshot(&w, GUILD).await;
    let forged = |for_user, other, kind| Press::Suggested {
        guild: GUILD,
        for_user,
        other,
        kind,
        direction: Direction::Offer,
    };
    // Someone else's list, someone not shown, the other kind, a stranger or a bot as the other.
    for (presser, press) in [
        (person(STRANGER), forged(MENTOR, MENTEE, Kind::Classic)),
        (person(MENTOR), forged(MENTOR, PEER3, Kind::Classic)),
        (person(MENTOR), forged(MENTOR, MENTEE, Kind::Reverse)),
        (person(MENTOR), forged(MENTOR, UserId(5), Kind::Classic)),
        (
            Presser {
                user: MENTOR,
                bot: true,
            },
            forged(MENTOR, MENTEE, Kind::Classic),
        ),
        (
            person(MENTOR),
            Press::Suggested {
                guild: GUILD,
                for_user: MENTOR,
                other: MENTEE,
                kind: Kind::Classic,
                direction: Direction::Request,
            },
        ),
    ] {
        assert!(e.press(presser, press).await.is_err(), "{press:?}");
    }
    assert_eq!(before, snapshot(&w, GUILD).await);
    // Once they take it back, their name is off even an old list.
    e.set_suggestable(GUILD, MENTEE, false).await.unwrap();
    assert!(e
        .press(person(MENTOR), forged(MENTOR, MENTEE, Kind::Classic))
        .await
        .is_err());
    e.set_suggestable(GUILD, MENTEE, true).await.unwrap();
    e.press(person(MENTOR), forged(MENTOR, MENTEE, Kind::Classic))
        .await
        .unwrap();
}

/// Hole 9: another person's form with a draft's id deleted that draft, and 10,000 open forms
/// of one member wiped everyone's. Now the owner is checked before anything changes, each member
/// keeps a few, old ones expire by age, and they live in the database (a restart keeps them).
async fn drafts_are_their_owners_and_survive(w: World) {
    let e = &w.engine;
    let draft = Draft::Direct {
        to: MENTOR,
        kind: Kind::Classic,
        direction: Direction::Request,
    };
    e.put_draft(1, GUILD, MENTEE, &draft).await.unwrap();
    let submit = Submit::Draft { key: 1 };
    let purpose = fields(&[("purpose", "Learn Rust")]);
    let before = snapshot(&w, GUILD).await;
    assert!(e.submit(person(STRANGER), submit, &purpose).await.is_err());
    assert_eq!(before, snapshot(&w, GUILD).await);
    // Another member opening many forms does not push it out.
    for key in 100..(100 + 3 * u64::from(DRAFTS_PER_MEMBER)) {
        e.put_draft(
            key,
            GUILD,
            STRANGER,
            &Draft::Peer {
                invitees: vec![MENTOR, PEER3],
            },
        )
        .await
        .unwrap();
    }
    // A new engine on the same database (a restart) still has it, for its owner.
    let restarted = Engine::new(w.store.clone(), w.clock.clone(), ProgramRules::default());
    match restarted.submit(person(MENTEE), submit, &purpose).await.unwrap() {
        Submitted::Invited { to, .. } => assert_eq!(to, Some(MENTOR)),
        other => panic!("{other:?}"),
    }
    // Used once.
    assert!(restarted.submit(person(MENTEE), submit, &purpose).await.is_err());
    // The other member's: only the newest few are kept.
    let mut kept = 0;
    for key in 100..(100 + 3 * u64::from(DRAFTS_PER_MEMBER)) {
        if w.store
            .draft(key, STRANGER, chrono::DateTime::UNIX_EPOCH)
            .await
            .unwrap()
            .is_some()
        {
            kept += 1;
        }
    }
    assert_eq!(kept, DRAFTS_PER_MEMBER);
    // A day on, a draft has expired.
    e.put_draft(2, GUILD, MENTEE, &draft).await.unwrap();
    w.clock.advance(Duration::hours(25));
    assert!(e
        .submit(person(MENTEE), Submit::Draft { key: 2 }, &purpose)
        .await
        .is_err());
}

/// The engine checks everything a custom id carries: a check-in of another relationship, a
/// relationship of another server, the guild of the presser's membership.
async fn custom_ids_are_checked_again(w: World) {
    let e = &w.engine;
    let mine = active_group(&w, &[MENTEE, PEER3, PEER4], "Ours").await;
    let theirs = e
        .propose_direct(GUILD, MENTOR, STRANGER, Kind::Classic, Direction::Offer, "Theirs")
        .await
        .unwrap();
    e.accept(GUILD, theirs.id, STRANGER).await.unwrap();
    let (theirs, v) = e
        .propose_agreement(GUILD, theirs.id, MENTOR, &agreement())
        .await
        .unwrap();
    e.confirm_agreement(GUILD, theirs.id, STRANGER, v).await.unwrap();
    let their_checkin = e.store().checkins(GUILD, theirs.id).await.unwrap()[0].id;
    let before = snapshot(&w, GUILD).await;
    let other_guild = GuildId(GUILD.0 + 7);
    for press in [
        Press::Skip {
            guild: GUILD,
            rel: mine.id,
            checkin: their_checkin,
        },
        Press::Met {
            guild: GUILD,
            rel: mine.id,
            checkin: their_checkin,
        },
        Press::Reschedule {
            guild: GUILD,
            rel: mine.id,
            checkin: their_checkin,
        },
        Press::Reflect {
            guild: GUILD,
            rel: mine.id,
            checkin: Some(their_checkin),
        },
        Press::Pause {
            guild: other_guild,
            rel: mine.id,
        },
        Press::Forget {
            guild: GUILD,
            user: PEER3,
        },
    ] {
        assert!(e.press(person(MENTEE), press).await.is_err(), "{press:?}");
    }
    let journal = Submit::Reflection {
        guild: GUILD,
        rel: mine.id,
        checkin: Some(their_checkin),
    };
    assert!(e
        .submit(person(MENTEE), journal, &fields(&[("q0", "x")]))
        .await
        .is_err());
    assert_eq!(before, snapshot(&w, GUILD).await);
    assert_eq!(
        e.store().checkin(GUILD, their_checkin).await.unwrap().unwrap().status,
        CheckinStatus::Planned
    );
}

on_both_backends!(
    my_data_holds_only_what_the_person_joined,
    invitations_are_limited,
    agreement_versions_are_capped_per_day,
    buttons_stop_working_for_people_who_left,
    forget_removes_every_word_and_id,
    one_answer_for_missing_and_not_yours,
    suggestions_need_consent_and_their_buttons_are_checked,
    drafts_are_their_owners_and_survive,
    custom_ids_are_checked_again,
);
