//! The organisers' numbers, on both backends, from a seeded program: stats, the relationships'
//! report, the digest's planning, and who may see them.
use crate::common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::fixtures::*;
use common::organisers::{now, seed, SECRET};
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{Role, State};
use mentorbot::engine::organisers::{reports_csv, Health, HealthCounts, DIGEST, WEEKS};
use mentorbot::engine::ProgramSetup;
use mentorbot::store::jobs::JobState;

async fn stats_match_the_seeded_program(w: World) {
    let s = seed(&w).await;
    let e = &w.engine;
    let stats = e.program_stats(GUILD, true, &[]).await.unwrap();
    assert_eq!(
        stats.by_phase,
        vec![(State::Proposed, 1), (State::Active, 3), (State::Ended, 1)]
    );
    assert_eq!(stats.weeks.len(), WEEKS);
    let counts: Vec<(u32, u32)> = stats.weeks.iter().map(|w| (w.held, w.missed)).collect();
    let mut expected = vec![(0, 0); WEEKS];
    expected[6] = (1, 0);
    expected[9] = (0, 2);
    expected[10] = (1, 1);
    expected[11] = (2, 0);
    assert_eq!(counts, expected);
    assert_eq!(stats.weeks[11].end, now());
    assert_eq!((stats.held, stats.reflected), (4, 2));
    assert_eq!(stats.reflection_percent(), Some(50.0));
    assert_eq!(
        stats.health,
        HealthCounts {
            green: 1,
            amber: 1,
            red: 1
        }
    );

    // Once the amber pair reports the meeting, it is green; a week later with nothing held,
    // its last two (held three days before, planned) still count one held.
    let planned = w
        .store
        .checkins(GUILD, s.amber)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.status == mentorbot::domain::checkin::CheckinStatus::Planned)
        .unwrap();
    e.report_checkin(
        GUILD,
        planned.id,
        MENTEE,
        mentorbot::domain::checkin::CheckinStatus::Held,
        None,
    )
    .await
    .unwrap();
    let stats = e.program_stats(GUILD, true, &[]).await.unwrap();
    assert_eq!(
        stats.health,
        HealthCounts {
            green: 2,
            amber: 0,
            red: 1
        }
    );
    assert_eq!(stats.weeks[11].held, 3);

    // Only organisers; another server sees nothing of this one.
    let refused = e.program_stats(GUILD, false, &[]).await.unwrap_err();
    assert!(
        refused.user_message().to_lowercase().contains("only server admins"),
        "{refused}"
    );
    assert!(e.relationship_reports(GUILD, false, &[42]).await.is_err());
    let other = e.program_stats(OTHER_GUILD, true, &[]).await.unwrap();
    assert!(other.by_phase.is_empty() && other.held == 0);
}

async fn the_report_lists_each_relationship(w: World) {
    let s = seed(&w).await;
    let reports = w.engine.relationship_reports(GUILD, true, &[]).await.unwrap();
    let ids: Vec<_> = reports.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![s.amber, s.red, s.green, s.proposed, s.ended]);
    let amber = &reports[0];
    assert_eq!(amber.kind, Kind::Classic);
    assert_eq!(amber.state, State::Active);
    assert_eq!(amber.members, vec![(MENTOR, Role::Mentor), (MENTEE, Role::Mentee)]);
    assert_eq!(amber.start, NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
    assert_eq!(amber.planned_end, NaiveDate::from_ymd_opt(2026, 9, 1));
    assert_eq!((amber.planned, amber.held, amber.missed), (4, 2, 1));
    assert_eq!(amber.health, Some(Health::Amber));
    // The last report: the held check-in three days ago, reported an hour after.
    assert_eq!(amber.last_activity, now() - Duration::days(3) + Duration::hours(1));
    let red = &reports[1];
    assert_eq!(
        (red.planned, red.held, red.missed, red.health),
        (4, 1, 2, Some(Health::Red))
    );
    assert_eq!(reports[2].health, Some(Health::Green));
    let ended = &reports[4];
    assert_eq!(ended.state, State::Ended);
    assert_eq!(ended.ended, Some(common::start_time().date_naive()));
    assert_eq!((ended.planned, ended.held, ended.health), (0, 0, None));

    let csv = reports_csv(&reports);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[1],
        format!(
            "{},classic,active,mentor:{} mentee:{},2026-03-03,2026-09-01,,4,2,1,2026-05-22T10:00:00Z,amber",
            s.amber.0, MENTOR.0, MENTEE.0
        )
    );
    assert!(!csv.contains(SECRET), "{csv}");
}

async fn the_digest_is_planned_from_the_setting(w: World) {
    let e = &w.engine;
    let jobs = &w.jobs;
    let due = |at| async move {
        jobs.claim("t", at, std::time::Duration::from_secs(60), 10)
            .await
            .unwrap()
    };
    // Bad settings are refused and nothing is saved or planned.
    for (digest, tz) in [(Some("every monday"), None), (None, Some("Mars/Olympus"))] {
        let setup = ProgramSetup {
            digest: digest.map(str::to_string),
            timezone: tz.map(str::to_string),
            ..Default::default()
        };
        let err = e.setup_program(GUILD, true, &[], &setup).await.unwrap_err();
        assert!(err.is_user_error(), "{err}");
    }
    assert!(w.store.program_settings(GUILD).await.unwrap().is_none());
    assert_eq!(jobs.counts(Some(GUILD)).await.unwrap().total(), 0);

    // The default: Monday 09:00 in the server's zone (Berlin is UTC+1 in March).
    let setup = ProgramSetup {
        timezone: Some("europe/berlin".into()),
        ..Default::default()
    };
    let s = e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    assert_eq!(s.timezone, Some(chrono_tz::Europe::Berlin));
    let first = Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).unwrap();
    assert!(due(first - Duration::minutes(1)).await.is_empty());
    // Setting it up again plans the same one once.
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    e.plan_digests().await.unwrap();
    let claimed = due(first).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, DIGEST);
    assert_eq!(claimed[0].run_at, first);

    // When it runs, the next is planned: a week on, in summer time after the clocks change.
    w.clock.set(Utc.with_ymd_and_hms(2026, 3, 30, 12, 0, 0).unwrap());
    let digest = e.due_digest(&claimed[0]).await.unwrap().expect("still wanted");
    assert!(jobs.ack(claimed[0].id, "t", w.clock.now()).await.unwrap());
    assert_eq!(digest.requests_waiting, 0);
    let next = Utc.with_ymd_and_hms(2026, 4, 6, 7, 0, 0).unwrap();
    assert!(due(next - Duration::minutes(1)).await.is_empty());
    let claimed = due(next).await;
    assert_eq!(claimed.len(), 1, "only the next one, not every week missed");

    // A changed setting plans its own; the one planned before is dropped when due.
    let setup = ProgramSetup {
        digest: Some("30 17 * * fri".into()),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    assert!(e.due_digest(&claimed[0]).await.unwrap().is_none());
    assert!(jobs.ack(claimed[0].id, "t", w.clock.now()).await.unwrap());
    let friday = Utc.with_ymd_and_hms(2026, 4, 3, 15, 30, 0).unwrap();
    let claimed = due(friday).await;
    assert_eq!(claimed.len(), 1);
    assert!(e.due_digest(&claimed[0]).await.unwrap().is_some());
    assert!(jobs.ack(claimed[0].id, "t", w.clock.now()).await.unwrap());
    // Off means no more.
    let setup = ProgramSetup {
        digest: Some("off".into()),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    let counts = jobs.counts(Some(GUILD)).await.unwrap();
    assert_eq!(
        counts.get(JobState::Pending),
        1,
        "the next Friday's, which will be dropped"
    );
    let claimed = due(friday + Duration::weeks(1)).await;
    assert!(e.due_digest(&claimed[0]).await.unwrap().is_none());
}

async fn the_digest_counts(w: World) {
    let s = seed(&w).await;
    let e = &w.engine;
    e.setup_program(GUILD, true, &[], &ProgramSetup::default())
        .await
        .unwrap();
    let claimed = w
        .jobs
        .claim("t", now() + Duration::weeks(1), std::time::Duration::from_secs(60), 10)
        .await
        .unwrap();
    let job = claimed.iter().find(|j| j.kind == DIGEST).expect("planned");
    let d = e.due_digest(job).await.unwrap().unwrap();
    assert_eq!((d.requests_waiting, d.new_requests), (2, 1));
    assert_eq!(d.unplaced, vec![PEER4]);
    assert_eq!(
        d.health,
        HealthCounts {
            green: 1,
            amber: 1,
            red: 1
        }
    );
    assert_eq!(
        d.at_risk,
        vec![
            (w.number(GUILD, s.red).await, Health::Red),
            (w.number(GUILD, s.amber).await, Health::Amber)
        ]
    );
}

on_both_backends!(
    stats_match_the_seeded_program,
    the_report_lists_each_relationship,
    the_digest_is_planned_from_the_setting,
    the_digest_counts
);

/// The process guide and evaluation (issue 13) on both backends: the organisers' resources, the
/// one-time welcome, the midpoint fit check kept private, ratings counted only from five
/// answers, and "Find me another".
mod guide {
    use chrono::Duration;
    use mentorbot::domain::guide::{Fit, Phase, MAX_RESOURCES};
    use mentorbot::domain::listing::{Kind, ListingStatus};
    use mentorbot::domain::relationship::{EndReason, State};
    use mentorbot::domain::{RelationshipId, UserId};
    use mentorbot::engine::guide::Reopened;
    use mentorbot::engine::Direction;
    use mentorbot::store::guide::EvaluationAnswer;

    use crate::common::fixtures::*;
    use crate::common::World;

    async fn active(w: &World, mentee: UserId, mentor: UserId) -> RelationshipId {
        let e = &w.engine;
        let rel = e
            .propose_direct(GUILD, mentee, mentor, Kind::Classic, Direction::Request, "Learn Rust")
            .await
            .unwrap();
        e.accept(GUILD, rel.id, mentor).await.unwrap();
        let (rel, v) = e.propose_agreement(GUILD, rel.id, mentor, &agreement()).await.unwrap();
        let rel = e.confirm_agreement(GUILD, rel.id, mentee, v).await.unwrap();
        assert_eq!(rel.state, State::Active);
        rel.id
    }

    async fn resources_per_phase_within_the_limit(w: World) {
        let e = &w.engine;
        let scope = e
            .add_resource(
                GUILD,
                true,
                &[],
                Phase::Scope,
                "Agreement template",
                Some("https://example.org/t"),
                None,
            )
            .await
            .unwrap();
        e.add_resource(
            GUILD,
            true,
            &[],
            Phase::End,
            "Closing",
            None,
            Some("Book a last coffee."),
        )
        .await
        .unwrap();
        assert_eq!(e.resources_for(GUILD, Phase::Scope).await.unwrap(), vec![scope.clone()]);
        assert!(e.resources_for(OTHER_GUILD, Phase::Scope).await.unwrap().is_empty());
        // Members may not change them, and bad input changes nothing.
        assert!(e
            .add_resource(GUILD, false, &[], Phase::Scope, "x", Some("https://example.org"), None)
            .await
            .is_err());
        for bad in ["ftp://example.org/x", "javascript:alert(1)", "not a link"] {
            let err = e
                .add_resource(GUILD, true, &[], Phase::Find, "x", Some(bad), None)
                .await
                .unwrap_err();
            assert!(err.user_message().contains("link"), "{}", err.user_message());
        }
        assert_eq!(e.list_resources(GUILD, true, &[]).await.unwrap().len(), 2);
        assert!(e.list_resources(GUILD, false, &[]).await.is_err());
        for n in 2..MAX_RESOURCES {
            e.add_resource(GUILD, true, &[], Phase::Implement, &format!("r{n}"), None, Some("t"))
                .await
                .unwrap();
        }
        let err = e
            .add_resource(GUILD, true, &[], Phase::Implement, "21st", None, Some("t"))
            .await
            .unwrap_err();
        assert!(err.user_message().contains("20"), "{}", err.user_message());
        assert_eq!(e.list_resources(GUILD, true, &[]).await.unwrap().len(), MAX_RESOURCES);
        // Removing one makes room; it leaves the guide, its row stays.
        assert!(e.remove_resource(GUILD, false, &[], scope.id).await.is_err());
        assert!(e.remove_resource(OTHER_GUILD, true, &[], scope.id).await.is_err());
        e.remove_resource(GUILD, true, &[], scope.id).await.unwrap();
        assert!(e.remove_resource(GUILD, true, &[], scope.id).await.is_err());
        assert!(e.resources_for(GUILD, Phase::Scope).await.unwrap().is_empty());
        e.add_resource(GUILD, true, &[], Phase::Scope, "Again", None, Some("t"))
            .await
            .unwrap();
    }

    async fn welcome_once_per_server(w: World) {
        let e = &w.engine;
        assert!(e.first_use(GUILD, MENTEE).await.unwrap());
        assert!(!e.first_use(GUILD, MENTEE).await.unwrap());
        assert!(e.first_use(OTHER_GUILD, MENTEE).await.unwrap());
        // A welcome that could not be shown comes next time.
        e.welcome_not_shown(GUILD, MENTEE).await.unwrap();
        assert!(e.first_use(GUILD, MENTEE).await.unwrap());
        assert!(!e.first_use(GUILD, MENTEE).await.unwrap());
        // Forgetting deletes the record: the bot would welcome them as new.
        e.forget(GUILD, MENTEE).await.unwrap();
        assert!(e.first_use(GUILD, MENTEE).await.unwrap());
    }

    async fn fit_check_and_ratings(w: World) {
        let e = &w.engine;
        let a = active(&w, MENTEE, MENTOR).await;
        e.answer_fit(GUILD, a, MENTEE, Fit::No).await.unwrap();
        e.answer_fit(GUILD, a, MENTOR, Fit::Yes).await.unwrap();
        // Nobody else answers for a member, and the answers stay apart.
        assert!(e.answer_fit(GUILD, a, STRANGER, Fit::Yes).await.is_err());
        assert_eq!(
            e.my_evaluation(GUILD, a, MENTEE).await.unwrap().unwrap().fit,
            Some(Fit::No)
        );
        assert_eq!(
            e.my_evaluation(GUILD, a, MENTOR).await.unwrap().unwrap().fit,
            Some(Fit::Yes)
        );
        // Ratings wait for the end.
        assert!(e.rate(GUILD, a, MENTEE, EvaluationAnswer::Value(4)).await.is_err());
        let b = active(&w, PEER3, MENTOR).await;
        let c = active(&w, PEER4, PEER3).await;
        e.end(GUILD, a, MENTEE, EndReason::NotAFit).await.unwrap();
        e.end(GUILD, b, MENTOR, EndReason::GoalsMet).await.unwrap();
        e.end_by_bot(GUILD, c, EndReason::PlannedEnd).await.unwrap();
        assert!(e.answer_fit(GUILD, a, MENTEE, Fit::Yes).await.is_err());
        assert!(e.rate(GUILD, a, MENTEE, EvaluationAnswer::Value(6)).await.is_err());
        assert!(e.rate(GUILD, a, STRANGER, EvaluationAnswer::Value(3)).await.is_err());
        let answers = [(a, MENTEE, 2), (a, MENTOR, 3), (b, PEER3, 5), (b, MENTOR, 4)];
        for (rel, who, v) in answers {
            e.rate(GUILD, rel, who, EvaluationAnswer::Value(v)).await.unwrap();
        }
        e.rate(GUILD, a, MENTEE, EvaluationAnswer::Again(false)).await.unwrap();
        // The fit answer stays beside the rating.
        let mine = e.my_evaluation(GUILD, a, MENTEE).await.unwrap().unwrap();
        assert_eq!(
            (mine.fit, mine.value, mine.again),
            (Some(Fit::No), Some(2), Some(false))
        );
        // Four ratings: nothing to show, not even to an admin.
        assert_eq!(e.evaluation_stats(GUILD, true, &[]).await.unwrap(), None);
        assert!(e.evaluation_stats(GUILD, false, &[]).await.is_err());
        e.rate(GUILD, c, PEER4, EvaluationAnswer::Value(5)).await.unwrap();
        e.rate(GUILD, c, PEER4, EvaluationAnswer::Again(true)).await.unwrap();
        let s = e.evaluation_stats(GUILD, true, &[]).await.unwrap().unwrap();
        assert_eq!(s.answers, 5);
        assert_eq!(s.values, [0, 1, 1, 1, 2]);
        // Two "would join again" answers: fewer than five, so not shown.
        assert_eq!(s.again, None);
        assert_eq!((s.ended, s.ended_early), (3, 2));
        assert_eq!(e.evaluation_stats(OTHER_GUILD, true, &[]).await.unwrap(), None);
        // Their own answers are in their data, and forgetting them deletes them.
        let data = e.my_data(GUILD, MENTEE).await.unwrap();
        assert_eq!(data["my_evaluations"].as_array().unwrap().len(), 1);
        e.forget(GUILD, MENTEE).await.unwrap();
        assert!(e.my_evaluation(GUILD, a, MENTEE).await.unwrap().is_none());
    }

    async fn find_another_reopens_and_never_suggests_the_last_partner(w: World) {
        let e = &w.engine;
        for (who, name) in [(MENTEE, "Grace"), (MENTOR, "Ada"), (PEER3, "Linus")] {
            e.set_profile(GUILD, who, &profile(name, "Europe/Berlin"))
                .await
                .unwrap();
            e.set_suggestable(GUILD, who, true).await.unwrap();
        }
        e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
        e.create_offer(GUILD, PEER3, &offer_input(3)).await.unwrap();
        let request = e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
        let rel = active(&w, MENTEE, MENTOR).await;
        assert!(e.another_for(GUILD, rel, MENTEE).await.is_err(), "not ended yet");
        w.clock.advance(Duration::days(1));
        e.end(GUILD, rel, MENTOR, EndReason::NotAFit).await.unwrap();
        assert!(e.another_for(GUILD, rel, STRANGER).await.is_err());
        // Still open: re-opened with the new purpose.
        let again = e.find_another(GUILD, rel, MENTEE, "Now: lead a team").await.unwrap();
        let Reopened::Request(q) = &again else {
            panic!("{again:?}")
        };
        assert_eq!(
            (q.id, q.status, q.purpose.as_str()),
            (request.id, ListingStatus::Open, "Now: lead a team")
        );
        // Closed (withdrawn): opened again.
        e.withdraw_request(GUILD, MENTEE, request.id).await.unwrap();
        e.find_another(GUILD, rel, MENTEE, "Lead a team").await.unwrap();
        let stored = w.store.request(GUILD, request.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.purpose.as_str()),
            (ListingStatus::Open, "Lead a team")
        );
        assert!(e.find_another(GUILD, rel, MENTEE, " ").await.is_err());
        let (_, list) = e.suggest(GUILD, MENTEE).await.unwrap();
        let people: Vec<UserId> = list.iter().map(|s| s.user).collect();
        assert_eq!(people, vec![PEER3], "the previous partner is never suggested again");
        // The mentor's way back is their offer.
        let Reopened::Offer(o) = e.find_another(GUILD, rel, MENTOR, "Mentor again").await.unwrap() else {
            panic!("the mentor re-opens an offer")
        };
        assert_eq!(o.purpose, "Mentor again");
    }

    on_both_backends!(
        resources_per_phase_within_the_limit,
        welcome_once_per_server,
        fit_check_and_ratings,
        find_another_reopens_and_never_suggests_the_last_partner
    );
}
