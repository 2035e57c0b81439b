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
    assert_eq!(d.at_risk, vec![(s.red, Health::Red), (s.amber, Health::Amber)]);
}

on_both_backends!(
    stats_match_the_seeded_program,
    the_report_lists_each_relationship,
    the_digest_is_planned_from_the_setting,
    the_digest_counts
);
