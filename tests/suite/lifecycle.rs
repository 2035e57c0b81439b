//! The whole life cycle, from offer and request to retrospective and rematch, on both databases.
use crate::common;

use chrono::{Duration, NaiveDate, Timelike};
use common::fixtures::*;
use common::World;
use mentorbot::domain::checkin::CheckinStatus;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::plan::ItemStatus;
use mentorbot::domain::relationship::{EndReason, MemberStatus, Origin, Role, State};
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::engine::Direction;

fn answers(text: &str) -> Vec<(String, String)> {
    vec![
        ("What did you learn?".into(), text.into()),
        (
            "What will you act on before next time?".into(),
            "Write the first service skeleton".into(),
        ),
    ]
}

fn retro(learned: &str) -> RetrospectiveInput {
    RetrospectiveInput {
        learned: learned.into(),
        differently: Some("Set the agenda earlier".into()),
        celebrate: Some("The first service shipped".into()),
        celebrate_publicly: true,
    }
}

async fn classic_pair_from_offer_to_rematch(w: World) {
    let e = &w.engine;
    let mentor_profile = e
        .set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    assert_eq!(mentor_profile.timezone, chrono_tz::Europe::Berlin);
    e.set_profile(GUILD, MENTEE, &profile("Grace", "America/New_York"))
        .await
        .unwrap();
    let stored = e.profile(GUILD, MENTEE).await.unwrap().unwrap();
    assert_eq!(stored.availability.len(), 2);
    assert_eq!(stored.display_name, "Grace");

    // Phase 1: purposes stated.
    let offer = e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    let request = e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    assert_eq!(e.open_requests(GUILD).await.unwrap().len(), 1);

    // Phase 2: a direct request; the mentor's offer and the mentee's request are linked.
    let rel = e
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
    assert_eq!(rel.state, State::Proposed);
    assert_eq!(rel.origin, Origin::DirectRequest);
    assert_eq!(rel.offer, Some(offer.id));
    assert_eq!(rel.request, Some(request.id));
    assert_eq!(rel.mentor(), Some(MENTOR));
    assert_eq!(rel.mentee(), Some(MENTEE));
    assert_eq!(rel.expires_at, common::start_time() + Duration::days(7));
    let listed = e.relationships(GUILD, MENTOR).await.unwrap();
    assert_eq!(listed.len(), 1);
    let next = listed[0].next_step(MENTOR, &Default::default());
    assert!(
        next.starts_with("answer the invitation") && next.contains("/mentorship answer"),
        "{next}"
    );

    w.clock.advance(Duration::hours(3));
    let rel = e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(rel.state, State::Accepted);
    let loaded = e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(loaded, rel, "what was saved is what is read back");
    // The request is taken and the place is used while the relationship is underway.
    assert!(e.open_requests(GUILD).await.unwrap().is_empty());
    assert_eq!(e.open_offers(GUILD).await.unwrap()[0].seats_taken, 1);

    // Phase 3: agreement, confirmed by both; an edit needs confirming again.
    let (rel, v1) = e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    assert_eq!((rel.state, v1), (State::Agreeing, 1));
    assert!(rel.agreement_in_force().is_none());
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    assert_eq!(rel.state, State::Active);
    let terms = &rel.agreement_in_force().unwrap().terms;
    assert_eq!(terms.frequency.to_string(), "every 2 weeks");
    assert_eq!(terms.first_meeting().to_string(), "2026-03-03 18:30:00");
    let mut edit = agreement();
    edit.expectations = "I review one pull request of yours each fortnight.".into();
    edit.time = "19:00".into();
    let (rel, v2) = e.propose_agreement(GUILD, rel.id, MENTOR, &edit).await.unwrap();
    assert_eq!(v2, 2);
    assert_eq!(
        rel.state,
        State::Active,
        "the confirmed version stays in force during an edit"
    );
    assert_eq!(rel.agreement_in_force().unwrap().version, 1);
    let latest = rel.latest_agreement().unwrap();
    assert_eq!(
        latest.terms.expectations.len(),
        2,
        "each member's expectations are kept"
    );
    let rel = e.confirm_agreement(GUILD, rel.id, MENTEE, 2).await.unwrap();
    assert_eq!(rel.agreement_in_force().unwrap().version, 2);
    assert_eq!(rel.agreement_in_force().unwrap().terms.local_time.hour(), 19);
    let reread = e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(reread.agreements.len(), 2, "history of versions is kept");
    assert_eq!(reread.agreements[0].confirmed_by.len(), 2);

    // The action plan.
    let goal = e
        .add_goal(GUILD, rel.id, MENTEE, "Ship the first Rust service")
        .await
        .unwrap();
    let step = e
        .add_step(
            GUILD,
            rel.id,
            MENTOR,
            goal.id,
            "Pick the service",
            Some(MENTEE),
            Some(NaiveDate::from_ymd_opt(2026, 3, 20).unwrap()),
        )
        .await
        .unwrap();
    e.add_step(GUILD, rel.id, MENTEE, goal.id, "Read the async book", None, None)
        .await
        .unwrap();
    e.set_step_status(GUILD, rel.id, MENTEE, step.id, ItemStatus::Done)
        .await
        .unwrap();
    let plan = e.plan(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].steps.len(), 2);
    assert_eq!(plan[0].steps[0].status, ItemStatus::Done);
    assert_eq!(plan[0].steps[0].owner, Some(MENTEE));
    let open: Vec<_> = mentorbot::domain::plan::open_steps(&plan)
        .map(|(_, s)| s.text.clone())
        .collect();
    assert_eq!(open, vec!["Read the async book".to_string()]);

    // Phase 4: check-ins, planned and ad hoc, and reflections in private journals.
    w.clock.advance(Duration::days(1));
    let planned = e
        .plan_checkin(GUILD, rel.id, w.clock_now() + Duration::hours(2))
        .await
        .unwrap();
    let held = e
        .report_checkin(GUILD, planned.id, MENTEE, CheckinStatus::Held, Some("Good start"))
        .await
        .unwrap();
    assert_eq!(held.status, CheckinStatus::Held);
    assert_eq!(held.reported_by, Some(MENTEE));
    let missed = e.record_checkin(GUILD, rel.id, MENTOR, false, None).await.unwrap();
    assert_eq!(missed.status, CheckinStatus::Missed);
    // Besides the check-ins the schedule planned from the agreement, these two are reported.
    let reported = e.checkins(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(
        reported.iter().filter(|c| c.status != CheckinStatus::Planned).count(),
        2
    );

    let mentee_entry = e
        .write_journal(
            GUILD,
            rel.id,
            MENTEE,
            Some(planned.id),
            &answers("Ownership finally clicked"),
        )
        .await
        .unwrap();
    let mentor_entry = e
        .write_journal(
            GUILD,
            rel.id,
            MENTOR,
            Some(planned.id),
            &[("How are the pace and progress?".into(), "Fast".into())],
        )
        .await
        .unwrap();
    assert!(!mentee_entry.shared);
    let mentor_view = e.journal(GUILD, MENTOR, Some(rel.id)).await.unwrap();
    assert_eq!(
        mentor_view.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![mentor_entry.id],
        "private until shared"
    );
    e.share_journal(GUILD, mentee_entry.id, MENTEE, true).await.unwrap();
    let mentor_view = e.journal(GUILD, MENTOR, Some(rel.id)).await.unwrap();
    assert_eq!(mentor_view.len(), 2, "a shared entry is visible to the other member");
    let mentee_view = e.journal(GUILD, MENTEE, Some(rel.id)).await.unwrap();
    assert_eq!(
        mentee_view.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![mentee_entry.id]
    );
    let export = e.export_journal(GUILD, MENTEE).await.unwrap();
    assert!(export.contains("Ownership finally clicked"), "{export}");
    assert!(
        !export.contains("Fast"),
        "the export holds only the caller's own entries"
    );

    // Pause and resume.
    let rel = e.pause(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(rel.state, State::Paused);
    let rel = e.resume(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(rel.state, State::Active);

    // Phase 5: the end and retrospectives on both sides.
    w.clock.advance(Duration::days(30));
    let rel = e.end(GUILD, rel.id, MENTEE, EndReason::GoalsMet).await.unwrap();
    assert_eq!(rel.state, State::Ended);
    assert_eq!(rel.end_reason, Some(EndReason::GoalsMet));
    assert_eq!(rel.ended_by, Some(MENTEE));
    e.write_retrospective(GUILD, rel.id, MENTEE, &retro("How to plan a migration"))
        .await
        .unwrap();
    e.write_retrospective(GUILD, rel.id, MENTOR, &retro("Explaining lifetimes simply"))
        .await
        .unwrap();
    let mine = e.my_retrospective(GUILD, rel.id, MENTOR).await.unwrap().unwrap();
    assert_eq!(mine.learned, "Explaining lifetimes simply");
    assert!(mine.celebrate_publicly);
    // Reflection still allowed after the end.
    e.write_journal(GUILD, rel.id, MENTEE, None, &answers("Looking back"))
        .await
        .unwrap();

    // The ending closed the request (issue 16, item 7): it is not matched again behind the
    // mentee's back. The mentor's offer stays open with its place free.
    assert!(e.open_requests(GUILD).await.unwrap().is_empty());
    assert_eq!(e.open_offers(GUILD).await.unwrap()[0].seats_taken, 0);
    // Seeking again re-opens that request with what they type now, not a second one.
    let closed = e
        .closed_by_ending(GUILD, MENTEE)
        .await
        .unwrap()
        .expect("closed by the end");
    assert_eq!(closed.id, request.id);
    let input = mentorbot::domain::listing::RequestInput {
        purpose: "Go deeper: performance".into(),
        goals: vec!["rust".into(), "performance".into()],
        kinds: vec![],
        styles: vec![],
    };
    let reopened = e.reopen_request(GUILD, MENTEE, request.id, &input).await.unwrap();
    assert_eq!(reopened.id, request.id);
    let open = e.open_requests(GUILD).await.unwrap();
    assert_eq!(open.iter().map(|r| r.id).collect::<Vec<_>>(), vec![request.id]);
    assert_eq!(open[0].purpose, "Go deeper: performance");
    assert_eq!(open[0].goals, vec!["rust".to_string(), "performance".to_string()]);
    assert_eq!(e.requests_of(GUILD, MENTEE).await.unwrap().len(), 1, "no duplicate");
    assert!(e.closed_by_ending(GUILD, MENTEE).await.unwrap().is_none());
    let again = e
        .propose_direct(
            GUILD,
            MENTOR,
            MENTEE,
            Kind::Classic,
            Direction::Offer,
            "Round two: performance work",
        )
        .await
        .unwrap();
    assert_eq!(again.origin, Origin::DirectOffer);
    assert_eq!(again.request, Some(request.id));
    let again = e.accept(GUILD, again.id, MENTEE).await.unwrap();
    assert_eq!(again.state, State::Accepted);
    assert_eq!(e.relationships(GUILD, MENTEE).await.unwrap().len(), 2);
}

async fn reverse_pair_by_direct_offer(w: World) {
    let e = &w.engine;
    // A junior colleague offers reverse mentoring to a senior one; no offer listing needed.
    let junior = MENTOR;
    let senior = MENTEE;
    let rel = e
        .propose_direct(
            GUILD,
            junior,
            senior,
            Kind::Reverse,
            Direction::Offer,
            "Show you how our newest tools work",
        )
        .await
        .unwrap();
    assert_eq!(rel.kind, Kind::Reverse);
    assert_eq!(rel.offer, None, "informal: no listing, no capacity");
    assert_eq!(rel.mentor(), Some(junior));
    let rel = e.accept(GUILD, rel.id, senior).await.unwrap();
    let (rel, _) = e.propose_agreement(GUILD, rel.id, senior, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, junior, 1).await.unwrap();
    assert_eq!(rel.state, State::Active);
    e.record_checkin(GUILD, rel.id, junior, true, Some("Walked through the CI"))
        .await
        .unwrap();
    let rel = e.end(GUILD, rel.id, senior, EndReason::NotAFit).await.unwrap();
    assert_eq!(rel.end_reason, Some(EndReason::NotAFit));
    e.write_retrospective(GUILD, rel.id, senior, &retro("Our CI is better than I thought"))
        .await
        .unwrap();
    // A classic pair between the same two people is a different kind and may be live at once.
    e.propose_direct(GUILD, senior, junior, Kind::Classic, Direction::Offer, "Career advice")
        .await
        .unwrap();
}

async fn peer_group_forms_with_three_and_late_joiner(w: World) {
    let e = &w.engine;
    let rel = e
        .invite_peer_group(
            GUILD,
            MENTOR,
            &[MENTEE, PEER3, PEER4],
            "Prepare for staff engineer interviews together",
        )
        .await
        .unwrap();
    assert_eq!(rel.kind, Kind::Peer);
    assert_eq!(rel.members.len(), 4);
    assert!(rel.members.iter().all(|m| m.role == Role::Peer));
    let rel = e.accept(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(rel.state, State::Proposed, "two members are not a group yet");
    let rel = e.accept(GUILD, rel.id, PEER3).await.unwrap();
    assert_eq!(rel.state, State::Accepted, "three members form the group");
    let (rel, _) = e.propose_agreement(GUILD, rel.id, PEER3, &agreement()).await.unwrap();
    assert_eq!(rel.state, State::Agreeing);
    // The fourth joins before it starts and must then confirm too.
    let rel = e.accept(GUILD, rel.id, PEER4).await.unwrap();
    assert_eq!(rel.member(PEER4).unwrap().status, MemberStatus::Joined);
    let rel = e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTEE, 1).await.unwrap();
    assert_eq!(rel.state, State::Agreeing, "not everyone has confirmed");
    let rel = e.confirm_agreement(GUILD, rel.id, PEER4, 1).await.unwrap();
    assert_eq!(rel.state, State::Active);
    let entry = e
        .write_journal(GUILD, rel.id, PEER4, None, &answers("System design tips"))
        .await
        .unwrap();
    e.share_journal(GUILD, entry.id, PEER4, true).await.unwrap();
    assert_eq!(e.journal(GUILD, PEER3, Some(rel.id)).await.unwrap().len(), 1);
    // One member cannot end a group that goes on without them for everyone: they leave it.
    assert!(e.end(GUILD, rel.id, MENTOR, EndReason::PlannedEnd).await.is_err());
    let (_, leaves) = e.end_preview(GUILD, rel.id, MENTOR).await.unwrap();
    assert!(leaves);
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap().state,
        State::Active
    );
    let rel = e.end_by_bot(GUILD, rel.id, EndReason::PlannedEnd).await.unwrap();
    for member in [MENTOR, MENTEE, PEER3, PEER4] {
        e.write_retrospective(GUILD, rel.id, member, &retro("Practice beats theory"))
            .await
            .unwrap();
    }
}

async fn peer_group_declines_when_it_cannot_form(w: World) {
    let e = &w.engine;
    let rel = e
        .invite_peer_group(GUILD, MENTOR, &[MENTEE, PEER3], "Learn Go together")
        .await
        .unwrap();
    let rel = e.decline(GUILD, rel.id, PEER3).await.unwrap();
    assert_eq!(
        rel.state,
        State::Declined,
        "with one no, three members are out of reach"
    );
}

async fn program_match_needs_both_answers(w: World) {
    let e = &w.engine;
    let organiser = STRANGER;
    let offer = e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    let request = e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    let rel = e
        .propose_match(
            GUILD,
            organiser,
            MENTOR,
            MENTEE,
            Kind::Classic,
            "Matched on rust",
            Some(offer.id),
            Some(request.id),
        )
        .await
        .unwrap();
    assert_eq!(rel.origin, Origin::ProgramMatch);
    assert!(rel.members.iter().all(|m| m.status == MemberStatus::Invited));
    let rel = e.accept(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(rel.state, State::Proposed);
    let rel = e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(rel.state, State::Accepted);
}

async fn unanswered_proposals_expire(w: World) {
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Help me")
        .await
        .unwrap();
    w.clock.advance(Duration::days(7) - Duration::seconds(1));
    assert!(e.expire_due(100).await.unwrap().is_empty());
    w.clock.advance(Duration::seconds(1));
    let expired = e.expire_due(100).await.unwrap();
    assert_eq!(expired.iter().map(|r| r.id).collect::<Vec<_>>(), vec![rel.id]);
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Expired
    );
    assert!(e.expire_due(100).await.unwrap().is_empty(), "expired once");
    // An expired proposal does not block a new one.
    e.propose_direct(
        GUILD,
        MENTEE,
        MENTOR,
        Kind::Classic,
        Direction::Request,
        "Help me, again",
    )
    .await
    .unwrap();
}

async fn profile_pause_and_resume(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    let p = e.pause_profile(GUILD, MENTOR, "2026-04-01").await.unwrap();
    assert!(p.is_paused(w.clock_now()));
    assert!(e
        .profile(GUILD, MENTOR)
        .await
        .unwrap()
        .unwrap()
        .is_paused(w.clock_now()));
    // Editing the profile keeps the pause.
    let p = e
        .set_profile(GUILD, MENTOR, &profile("Ada L.", "Europe/Berlin"))
        .await
        .unwrap();
    assert_eq!(p.paused_until, NaiveDate::from_ymd_opt(2026, 4, 1));
    let p = e.resume_profile(GUILD, MENTOR).await.unwrap();
    assert!(!p.is_paused(w.clock_now()));
    assert_eq!(e.profile(GUILD, MENTOR).await.unwrap().unwrap().display_name, "Ada L.");
}

async fn withdrawing_keeps_history(w: World) {
    let e = &w.engine;
    let offer = e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
    e.withdraw_offer(GUILD, MENTOR, offer.id).await.unwrap();
    let mine = e.offers_of(GUILD, MENTOR).await.unwrap();
    assert_eq!(mine.len(), 1, "withdrawn offers stay in the history");
    assert!(mine[0].withdrawn_at.is_some());
    assert!(e.open_offers(GUILD).await.unwrap().is_empty());
    let request = e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    e.withdraw_request(GUILD, MENTEE, request.id).await.unwrap();
    assert_eq!(e.requests_of(GUILD, MENTEE).await.unwrap().len(), 1);
    assert!(e.open_requests(GUILD).await.unwrap().is_empty());
    // A mentor may hold several offers.
    e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    assert_eq!(e.open_offers(GUILD).await.unwrap().len(), 2);
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl ClockNow for World {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use mentorbot::clock::Clock;
        self.clock.now()
    }
}

on_both_backends!(
    classic_pair_from_offer_to_rematch,
    reverse_pair_by_direct_offer,
    peer_group_forms_with_three_and_late_joiner,
    peer_group_declines_when_it_cannot_form,
    program_match_needs_both_answers,
    unanswered_proposals_expire,
    profile_pause_and_resume,
    withdrawing_keeps_history,
);
