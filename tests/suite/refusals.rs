//! Every refused transition and every invalid input: a typed error, and nothing stored.
use crate::common;

use chrono::Duration;
use common::fixtures::*;
use common::{snapshot, World};
use mentorbot::domain::checkin::CheckinStatus;
use mentorbot::domain::listing::{Kind, ListingError};
use mentorbot::domain::relationship::{EndReason, Relationship, RelationshipError as RE, State};
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::engine::{Direction, Error};

/// Runs a call that must be refused, checks the error, and checks the store did not change.
macro_rules! refused {
    ($w:expr, $call:expr, $pat:pat) => {{
        let before = snapshot(&$w, GUILD).await;
        let result = $call.await;
        match &result {
            Err($pat) => {}
            other => panic!(
                "expected {} from {}, got {:?}",
                stringify!($pat),
                stringify!($call),
                other
            ),
        }
        assert_eq!(
            before,
            snapshot(&$w, GUILD).await,
            "{} changed stored data",
            stringify!($call)
        );
        result.unwrap_err()
    }};
}

fn invalid_field(e: &Error) -> String {
    match e {
        Error::Invalid(v) | Error::Relationship(RE::Invalid(v)) => v.field.clone(),
        other => panic!("not a validation error: {other:?}"),
    }
}

async fn proposed(w: &World) -> Relationship {
    w.engine
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap()
}

async fn active(w: &World) -> Relationship {
    let e = &w.engine;
    let rel = proposed(w).await;
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap()
}

async fn invitation_answers_only_by_the_invited(w: World) {
    let e = &w.engine;
    let rel = proposed(&w).await;
    refused!(
        w,
        e.accept(GUILD, rel.id, MENTEE),
        Error::Relationship(RE::AlreadyAnswered)
    );
    refused!(w, e.accept(GUILD, rel.id, STRANGER), Error::NotFound("mentorship"));
    refused!(w, e.decline(GUILD, rel.id, STRANGER), Error::NotFound("mentorship"));
    refused!(
        w,
        e.decline(GUILD, rel.id, MENTEE),
        Error::Relationship(RE::AlreadyAnswered)
    );
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    refused!(
        w,
        e.accept(GUILD, rel.id, MENTOR),
        Error::Relationship(RE::WrongState {
            state: State::Accepted,
            ..
        })
    );
    refused!(
        w,
        e.decline(GUILD, rel.id, MENTOR),
        Error::Relationship(RE::WrongState { .. })
    );
}

async fn late_answers_are_refused(w: World) {
    let e = &w.engine;
    let rel = proposed(&w).await;
    w.clock.advance(Duration::days(8));
    refused!(
        w,
        e.accept(GUILD, rel.id, MENTOR),
        Error::Relationship(RE::WrongState {
            state: State::Expired,
            ..
        })
    );
    e.expire_due(10).await.unwrap();
    refused!(
        w,
        e.accept(GUILD, rel.id, MENTOR),
        Error::Relationship(RE::WrongState {
            state: State::Expired,
            ..
        })
    );
    let declined = proposed(&w).await;
    e.decline(GUILD, declined.id, MENTOR).await.unwrap();
    refused!(
        w,
        e.accept(GUILD, declined.id, MENTOR),
        Error::Relationship(RE::WrongState {
            state: State::Declined,
            ..
        })
    );
    refused!(
        w,
        e.propose_agreement(GUILD, declined.id, MENTEE, &agreement()),
        Error::Relationship(RE::WrongState { .. })
    );
}

async fn pairing_rules(w: World) {
    let e = &w.engine;
    refused!(
        w,
        e.propose_direct(GUILD, MENTEE, MENTEE, Kind::Classic, Direction::Request, "Me"),
        Error::Relationship(RE::SelfPairing)
    );
    proposed(&w).await;
    refused!(
        w,
        e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Again"),
        Error::Relationship(RE::AlreadyLive { kind: Kind::Classic })
    );
    // The other direction is the same two people.
    refused!(
        w,
        e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Offer, "Swap"),
        Error::Relationship(RE::AlreadyLive { .. })
    );
    refused!(
        w,
        e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Peer, Direction::Request, "Peer pair"),
        Error::Relationship(RE::PairShape(Kind::Peer))
    );
    refused!(
        w,
        e.invite_peer_group(GUILD, MENTOR, &[MENTEE], "Too small"),
        Error::Relationship(RE::GroupSize { got: 2, .. })
    );
    let nine: Vec<_> = (1..=8).map(|i| mentorbot::domain::UserId(5000 + i)).collect();
    refused!(
        w,
        e.invite_peer_group(GUILD, MENTOR, &nine, "Too big"),
        Error::Relationship(RE::GroupSize { got: 9, .. })
    );
    refused!(
        w,
        e.invite_peer_group(GUILD, MENTOR, &[MENTEE, MENTEE], "Twice"),
        Error::Relationship(RE::DuplicateMember)
    );
    refused!(
        w,
        e.invite_peer_group(GUILD, MENTOR, &[MENTOR, MENTEE, PEER3], "Self"),
        Error::Relationship(RE::DuplicateMember)
    );
    e.invite_peer_group(GUILD, MENTOR, &[MENTEE, PEER3], "Group")
        .await
        .unwrap();
    refused!(
        w,
        e.invite_peer_group(GUILD, PEER4, &[MENTEE, PEER3], "Overlapping group"),
        Error::Relationship(RE::AlreadyLive { kind: Kind::Peer })
    );
}

async fn the_schema_enforces_one_live_pair(w: World) {
    // Even a caller that skips the domain's check cannot store two live pairs.
    let rel = proposed(&w).await;
    let mut copy = rel.clone();
    copy.purpose = "sneaky duplicate".into();
    let err = w.store.insert_relationship(&copy).await.unwrap_err();
    assert!(matches!(err, mentorbot::store::StoreError::DuplicateLive), "{err:?}");
}

async fn capacity_is_checked_when_accepting(w: World) {
    let e = &w.engine;
    e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    let first = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "One")
        .await
        .unwrap();
    let second = e
        .propose_direct(GUILD, PEER3, MENTOR, Kind::Classic, Direction::Request, "Two")
        .await
        .unwrap();
    e.accept(GUILD, first.id, MENTOR).await.unwrap();
    refused!(
        w,
        e.accept(GUILD, second.id, MENTOR),
        Error::Relationship(RE::CapacityFull)
    );
    // New proposals to a full mentor are refused up front.
    refused!(
        w,
        e.propose_direct(GUILD, PEER4, MENTOR, Kind::Classic, Direction::Request, "Three"),
        Error::Relationship(RE::CapacityFull)
    );
    // Ending the first frees the place.
    let first = e.relationship_for(GUILD, first.id, MENTOR).await.unwrap();
    assert_eq!(first.state, State::Accepted);
    e.end(GUILD, first.id, MENTOR, EndReason::Other).await.unwrap();
    assert_eq!(e.accept(GUILD, second.id, MENTOR).await.unwrap().state, State::Accepted);
}

async fn the_store_guards_the_last_place(w: World) {
    // Two acceptances computed from the same free place: the store lets only one through.
    let e = &w.engine;
    let offer = e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    let a = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A")
        .await
        .unwrap();
    let b = e
        .propose_direct(GUILD, PEER3, MENTOR, Kind::Classic, Direction::Request, "B")
        .await
        .unwrap();
    let guard = mentorbot::store::SeatGuard {
        offer: offer.id,
        capacity: 1,
    };
    let now = common::start_time();
    let mut a = w.store.relationship(GUILD, a.id).await.unwrap().unwrap();
    let mut b = w.store.relationship(GUILD, b.id).await.unwrap().unwrap();
    a.accept(MENTOR, mentorbot::domain::relationship::Seats::Free, now)
        .unwrap();
    b.accept(MENTOR, mentorbot::domain::relationship::Seats::Free, now)
        .unwrap();
    w.store.save_relationship(&mut a, Some(guard)).await.unwrap();
    let err = w.store.save_relationship(&mut b, Some(guard)).await.unwrap_err();
    assert!(matches!(err, mentorbot::store::StoreError::CapacityFull), "{err:?}");
    assert_eq!(
        w.store.relationship(GUILD, b.id).await.unwrap().unwrap().state,
        State::Proposed
    );
}

async fn a_stale_copy_cannot_overwrite(w: World) {
    let rel = proposed(&w).await;
    let mut first = w.store.relationship(GUILD, rel.id).await.unwrap().unwrap();
    let mut second = first.clone();
    first.decline(MENTOR, common::start_time()).unwrap();
    second
        .accept(
            MENTOR,
            mentorbot::domain::relationship::Seats::Unlimited,
            common::start_time(),
        )
        .unwrap();
    w.store.save_relationship(&mut first, None).await.unwrap();
    let err = w.store.save_relationship(&mut second, None).await.unwrap_err();
    assert!(matches!(err, mentorbot::store::StoreError::Stale), "{err:?}");
    assert_eq!(
        w.store.relationship(GUILD, rel.id).await.unwrap().unwrap().state,
        State::Declined
    );
}

async fn agreement_rules(w: World) {
    let e = &w.engine;
    let rel = proposed(&w).await;
    refused!(
        w,
        e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()),
        Error::Relationship(RE::WrongState {
            state: State::Proposed,
            ..
        })
    );
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    refused!(
        w,
        e.confirm_agreement(GUILD, rel.id, MENTOR, 1),
        Error::Relationship(RE::WrongState {
            state: State::Accepted,
            ..
        })
    );
    refused!(
        w,
        e.propose_agreement(GUILD, rel.id, STRANGER, &agreement()),
        Error::NotFound("mentorship")
    );
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    refused!(
        w,
        e.confirm_agreement(GUILD, rel.id, STRANGER, 1),
        Error::NotFound("mentorship")
    );
    refused!(
        w,
        e.confirm_agreement(GUILD, rel.id, MENTEE, 1),
        Error::Relationship(RE::AlreadyConfirmed(1))
    );
    e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
    refused!(
        w,
        e.confirm_agreement(GUILD, rel.id, MENTEE, 1),
        Error::Relationship(RE::StaleAgreement { given: 1, latest: 2 })
    );
    assert_eq!(
        e.confirm_agreement(GUILD, rel.id, MENTEE, 2).await.unwrap().state,
        State::Active
    );
}

async fn state_changes_only_when_allowed(w: World) {
    let e = &w.engine;
    let rel = proposed(&w).await;
    refused!(
        w,
        e.pause(GUILD, rel.id, MENTEE),
        Error::Relationship(RE::WrongState { .. })
    );
    refused!(
        w,
        e.end(GUILD, rel.id, MENTEE, EndReason::NotAFit),
        Error::Relationship(RE::WrongState { .. })
    );
    e.decline(GUILD, rel.id, MENTOR).await.unwrap();
    // The mentee asks again at once, which the server's decline cooldown allows only when off.
    let no_cooldown = mentorbot::engine::ProgramSetup {
        decline_cooldown_days: Some(0),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &no_cooldown).await.unwrap();
    let rel = active(&w).await;
    refused!(
        w,
        e.resume(GUILD, rel.id, MENTEE),
        Error::Relationship(RE::WrongState {
            state: State::Active,
            ..
        })
    );
    refused!(w, e.pause(GUILD, rel.id, STRANGER), Error::NotFound("mentorship"));
    refused!(
        w,
        e.end(GUILD, rel.id, STRANGER, EndReason::NotAFit),
        Error::NotFound("mentorship")
    );
    e.end(GUILD, rel.id, MENTOR, EndReason::NotAFit).await.unwrap();
    refused!(
        w,
        e.end(GUILD, rel.id, MENTOR, EndReason::NotAFit),
        Error::Relationship(RE::WrongState {
            state: State::Ended,
            ..
        })
    );
    refused!(
        w,
        e.pause(GUILD, rel.id, MENTOR),
        Error::Relationship(RE::WrongState { .. })
    );
    refused!(
        w,
        e.record_checkin(GUILD, rel.id, MENTOR, true, None),
        Error::Relationship(RE::WrongState { .. })
    );
}

async fn only_members_act(w: World) {
    let e = &w.engine;
    let rel = active(&w).await;
    let goal = e.add_goal(GUILD, rel.id, MENTEE, "Goal").await.unwrap();
    let step = e
        .add_step(GUILD, rel.id, MENTEE, goal.id, "Step", None, None)
        .await
        .unwrap();
    refused!(
        w,
        e.add_goal(GUILD, rel.id, STRANGER, "Mine now"),
        Error::NotFound("mentorship")
    );
    refused!(
        w,
        e.add_step(GUILD, rel.id, STRANGER, goal.id, "x", None, None),
        Error::NotFound("mentorship")
    );
    refused!(
        w,
        e.set_step_status(
            GUILD,
            rel.id,
            STRANGER,
            step.id,
            mentorbot::domain::plan::ItemStatus::Done
        ),
        Error::NotFound("mentorship")
    );
    refused!(w, e.plan(GUILD, rel.id, STRANGER), Error::NotFound(_));
    let e2 = refused!(
        w,
        e.add_step(
            GUILD,
            rel.id,
            MENTEE,
            goal.id,
            "Owned by a stranger",
            Some(STRANGER),
            None
        ),
        Error::Relationship(RE::Invalid(_))
    );
    assert_eq!(invalid_field(&e2), "owner");
    refused!(
        w,
        e.record_checkin(GUILD, rel.id, STRANGER, true, None),
        Error::NotFound("mentorship")
    );
    refused!(w, e.checkins(GUILD, rel.id, STRANGER), Error::NotFound(_));
    let planned = e
        .plan_checkin(GUILD, rel.id, common::start_time() + Duration::days(1))
        .await
        .unwrap();
    refused!(
        w,
        e.report_checkin(GUILD, planned.id, STRANGER, CheckinStatus::Held, None),
        Error::NotFound(_)
    );
    e.report_checkin(GUILD, planned.id, MENTOR, CheckinStatus::Skipped, None)
        .await
        .unwrap();
    refused!(
        w,
        e.report_checkin(GUILD, planned.id, MENTEE, CheckinStatus::Held, None),
        Error::Relationship(RE::Invalid(_))
    );
    let answers = vec![("Q?".to_string(), "A".to_string())];
    refused!(
        w,
        e.write_journal(GUILD, rel.id, STRANGER, None, &answers),
        Error::NotFound("mentorship")
    );
    let entry = e.write_journal(GUILD, rel.id, MENTEE, None, &answers).await.unwrap();
    refused!(w, e.share_journal(GUILD, entry.id, MENTOR, true), Error::NotFound(_));
    refused!(w, e.share_journal(GUILD, entry.id, STRANGER, true), Error::NotFound(_));
    refused!(w, e.journal(GUILD, STRANGER, Some(rel.id)), Error::NotFound(_));
    assert!(
        e.journal(GUILD, MENTOR, Some(rel.id)).await.unwrap().is_empty(),
        "unshared entries stay private"
    );
    assert!(e.journal(GUILD, STRANGER, None).await.unwrap().is_empty());
    let retro = RetrospectiveInput {
        learned: "x".into(),
        ..Default::default()
    };
    refused!(
        w,
        e.write_retrospective(GUILD, rel.id, MENTEE, &retro),
        Error::Relationship(RE::WrongState {
            state: State::Active,
            ..
        })
    );
    e.end(GUILD, rel.id, MENTEE, EndReason::GoalsMet).await.unwrap();
    refused!(
        w,
        e.write_retrospective(GUILD, rel.id, STRANGER, &retro),
        Error::NotFound("mentorship")
    );
    refused!(w, e.my_retrospective(GUILD, rel.id, STRANGER), Error::NotFound(_));
    e.write_retrospective(GUILD, rel.id, MENTEE, &retro).await.unwrap();
    refused!(
        w,
        e.write_retrospective(GUILD, rel.id, MENTEE, &retro),
        Error::Relationship(RE::Invalid(_))
    );
    // Someone else's offer or request cannot be withdrawn.
    let offer = e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    refused!(w, e.withdraw_offer(GUILD, STRANGER, offer.id), Error::NotFound(_));
    e.withdraw_offer(GUILD, MENTOR, offer.id).await.unwrap();
    refused!(
        w,
        e.withdraw_offer(GUILD, MENTOR, offer.id),
        Error::Listing(ListingError::AlreadyWithdrawn)
    );
    let request = e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    refused!(w, e.withdraw_request(GUILD, STRANGER, request.id), Error::NotFound(_));
}

async fn invalid_inputs_store_nothing(w: World) {
    let e = &w.engine;
    let field = |err: Error| invalid_field(&err);

    let mut p = profile("Ada", "Mars/Olympus_Mons");
    assert_eq!(
        field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
        "time zone"
    );
    p.timezone = "Europe/Berlin".into();
    for bad in ["tue 18-20", "someday 10:00-11:00", "tue 19:00-19:00", "tue 25:00-26:00"] {
        p.availability = bad.into();
        assert_eq!(
            field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
            "availability"
        );
    }
    p.availability = "tue 18:00-20:00".into();
    p.display_name = "x".repeat(101);
    assert_eq!(
        field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
        "display name"
    );
    p.display_name = "   ".into();
    assert_eq!(
        field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
        "display name"
    );
    p.display_name = "Ada".into();
    p.methods = vec!["carrier pigeon".into()];
    assert_eq!(
        field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
        "meeting methods"
    );
    p.methods = vec![];
    p.mentoring_styles = (0..21).map(|i| format!("style {i}")).collect();
    assert_eq!(
        field(refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_))),
        "mentoring styles"
    );
    p.mentoring_styles = vec![];
    e.set_profile(GUILD, MENTOR, &p).await.unwrap();
    // An edit that fails keeps the stored profile as it was.
    p.timezone = "Nowhere".into();
    refused!(w, e.set_profile(GUILD, MENTOR, &p), Error::Invalid(_));
    assert_eq!(
        field(refused!(
            w,
            e.pause_profile(GUILD, MENTOR, "2026-02-30"),
            Error::Invalid(_)
        )),
        "until"
    );
    assert_eq!(
        field(refused!(
            w,
            e.pause_profile(GUILD, MENTOR, "2026-03-01"),
            Error::Invalid(_)
        )),
        "until"
    );
    assert_eq!(
        field(refused!(
            w,
            e.pause_profile(GUILD, MENTEE, "2026-04-01"),
            Error::Invalid(_)
        )),
        "profile"
    );

    let mut o = offer_input(0);
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "capacity"
    );
    o.capacity = 11;
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "capacity"
    );
    o.capacity = -1;
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "capacity"
    );
    o.capacity = 2;
    o.purpose = "p".repeat(1001);
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "purpose"
    );
    o.purpose = "".into();
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "purpose"
    );
    o.purpose = "p".repeat(1000);
    o.topics = (0..21).map(|i| format!("topic {i}")).collect();
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "topics"
    );
    o.topics = vec!["t".repeat(51)];
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "topics"
    );
    o.topics = vec!["rust".into()];
    o.kinds = vec!["sideways".into()];
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "kinds"
    );
    o.kinds = vec![];
    o.hopes_to_learn = Some("h".repeat(1001));
    assert_eq!(
        field(refused!(w, e.create_offer(GUILD, MENTOR, &o), Error::Invalid(_))),
        "hopes to learn"
    );
    o.hopes_to_learn = None;
    let ok = e.create_offer(GUILD, MENTOR, &o).await.unwrap();
    assert_eq!(ok.purpose.chars().count(), 1000, "the limit itself is allowed");
    assert_eq!(ok.kinds, Kind::ALL.to_vec(), "no kinds named means all kinds");

    let mut q = request_input();
    q.goals = vec![];
    assert_eq!(
        field(refused!(w, e.create_request(GUILD, MENTEE, &q), Error::Invalid(_))),
        "goals"
    );
    q.goals = vec!["rust".into()];
    q.purpose = " ".into();
    assert_eq!(
        field(refused!(w, e.create_request(GUILD, MENTEE, &q), Error::Invalid(_))),
        "purpose"
    );

    assert_eq!(
        field(refused!(
            w,
            e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, ""),
            Error::Relationship(_)
        )),
        "purpose"
    );

    let rel = proposed(&w).await;
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    type Change = Box<dyn Fn(&mut mentorbot::domain::agreement::AgreementInput)>;
    let cases: Vec<(&str, Change)> = vec![
        ("frequency", Box::new(|a| a.frequency = "fortnightly-ish".into())),
        ("frequency", Box::new(|a| a.frequency = "every 13 weeks".into())),
        ("frequency", Box::new(|a| a.frequency = "monthly on day 32".into())),
        ("frequency", Box::new(|a| a.frequency = "cron: * * *".into())),
        ("time zone", Box::new(|a| a.timezone = "CET+1".into())),
        ("time", Box::new(|a| a.time = "25:00".into())),
        ("day", Box::new(|a| a.day = Some("funday".into()))),
        ("start date", Box::new(|a| a.start_date = "2026-02-01".into())),
        ("start date", Box::new(|a| a.start_date = "March 3rd".into())),
        ("end date", Box::new(|a| a.end_date = Some("2026-03-01".into()))),
        ("end date", Box::new(|a| a.end_date = Some("2030-01-01".into()))),
        ("meeting length", Box::new(|a| a.meeting_minutes = 5)),
        ("meeting length", Box::new(|a| a.meeting_minutes = 600)),
        ("method", Box::new(|a| a.method = "telepathy".into())),
        ("expectations", Box::new(|a| a.expectations = "e".repeat(1001))),
        ("issue handling", Box::new(|a| a.issue_handling = "".into())),
        (
            "missed check-ins before a prompt",
            Box::new(|a| a.missed_before_prompt = Some(0)),
        ),
    ];
    for (expected, change) in cases {
        let mut input = agreement();
        change(&mut input);
        let err = refused!(w, e.propose_agreement(GUILD, rel.id, MENTEE, &input), Error::Invalid(_));
        assert_eq!(invalid_field(&err), expected, "{input:?}");
        assert!(err.is_user_error());
        assert!(
            err.user_message().starts_with("Please fix the"),
            "{}",
            err.user_message()
        );
    }
    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();

    let long = vec![("What did you learn?".to_string(), "a".repeat(1001))];
    assert_eq!(
        field(refused!(
            w,
            e.write_journal(GUILD, rel.id, MENTEE, None, &long),
            Error::Relationship(_)
        )),
        "answer 1"
    );
    let empty = vec![("What did you learn?".to_string(), "  ".to_string())];
    assert_eq!(
        field(refused!(
            w,
            e.write_journal(GUILD, rel.id, MENTEE, None, &empty),
            Error::Relationship(_)
        )),
        "answers"
    );
    refused!(
        w,
        e.write_journal(
            GUILD,
            rel.id,
            MENTEE,
            Some(mentorbot::domain::CheckinId(999_999)),
            &long
        ),
        Error::NotFound(_)
    );
    let goal_err = refused!(
        w,
        e.add_goal(GUILD, rel.id, MENTEE, &"g".repeat(101)),
        Error::Relationship(_)
    );
    assert_eq!(invalid_field(&goal_err), "goal");
    e.end(GUILD, rel.id, MENTEE, EndReason::GoalsMet).await.unwrap();
    let retro = RetrospectiveInput {
        learned: "".into(),
        ..Default::default()
    };
    assert_eq!(
        field(refused!(
            w,
            e.write_retrospective(GUILD, rel.id, MENTEE, &retro),
            Error::Relationship(_)
        )),
        "what did you learn"
    );
}

on_both_backends!(
    invitation_answers_only_by_the_invited,
    late_answers_are_refused,
    pairing_rules,
    the_schema_enforces_one_live_pair,
    capacity_is_checked_when_accepting,
    the_store_guards_the_last_place,
    a_stale_copy_cannot_overwrite,
    agreement_rules,
    state_changes_only_when_allowed,
    only_members_act,
    invalid_inputs_store_nothing,
);
