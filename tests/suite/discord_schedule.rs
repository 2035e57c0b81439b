//! The schedule through the Discord stand-in, with the test's clock: reminders before each
//! check-in, did-you-meet after it, reflections to the journal, reschedule and skip, missed
//! meetings and the issue-handling prompt, the midpoint, the planned end with retrospectives and
//! the celebration, pause and resume, catch-up after downtime, a crash in the middle of a burst,
//! and two processes sharing the jobs on one PostgreSQL.
use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::discord::{channel, Harness, COORDINATOR, COORDINATOR_ROLE};
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::agreement::AgreementInput;
use mentorbot::domain::checkin::{CheckinSource, CheckinStatus};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{Relationship, State};
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::{Direction, ProgramSetup};
use mentorbot::jobs::JobState;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn stamp(t: DateTime<Utc>) -> String {
    format!("<t:{}:F>", t.timestamp())
}

/// A classic pair with the fixture agreement (every 2 weeks, Tuesday 18:30 Europe/Berlin, 45
/// minutes, 2026-03-03 to 2026-09-01) confirmed by both, and a program channel and coordinator.
async fn active_pair(h: &Harness, input: AgreementInput) -> Relationship {
    let e = &h.world.engine;
    let setup = ProgramSetup {
        channel: Some(channel()),
        coordinator_role: Some(COORDINATOR_ROLE),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, version) = e.propose_agreement(GUILD, rel.id, MENTOR, &input).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTEE, version).await.unwrap();
    assert_eq!(rel.state, State::Active);
    rel
}

fn texts(h: &Harness, user: UserId, needle: &str) -> Vec<String> {
    h.fake
        .dms_to(user.0)
        .into_iter()
        .map(|m| m.content)
        .filter(|c| c.contains(needle))
        .collect()
}

/// Waits until `user` has `count` DMs containing `needle` (the others are told after the answer).
async fn wait_texts(h: &Harness, user: UserId, needle: &str, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + common::discord::WAIT;
    loop {
        let found = texts(h, user, needle);
        if found.len() >= count || tokio::time::Instant::now() > deadline {
            return found;
        }
        let seen = h.fake.dms_to(user.0).len();
        h.fake
            .wait_for_dms(user.0, seen + 1, deadline - tokio::time::Instant::now())
            .await;
    }
}

/// Presses a button of the last DM with it and fills in the form it opens.
async fn press_and_fill(h: &Harness, user: UserId, prefix: &str, fields: &[(&str, &str)]) -> String {
    let (msg, id) = h.wait_button(user, prefix).await;
    let handle = h.fake.interaction_button(msg, user.0, &id);
    let response = handle.wait_response().await;
    assert!(response.is_modal(), "{prefix} opens a form: {:?}", response.content());
    let answer = h.fake.submit_modal(&handle, fields).wait_response().await;
    assert!(answer.is_ephemeral());
    answer.content().unwrap_or_default().to_string()
}

/// Writes a retrospective and says yes to the celebration with its button.
async fn retro_celebrating(h: &Harness, user: UserId, prefix: &str, fields: &[(&str, &str)]) -> String {
    let (msg, id) = h.wait_button(user, prefix).await;
    let handle = h.fake.interaction_button(msg, user.0, &id);
    assert!(handle.wait_response().await.is_modal());
    h.retrospective_celebrating(&handle, user, fields, true).await
}

async fn press(h: &Harness, user: UserId, prefix: &str) -> String {
    let (msg, id) = h.wait_button(user, prefix).await;
    let answer = h.press(msg, user, &id).await;
    answer.content().unwrap_or_default().to_string()
}

async fn a_pair_keeps_its_rhythm(w: World) {
    let mut h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h, agreement()).await;
    let r = rel.id;
    let goal = e.add_goal(GUILD, r, MENTEE, "Ship a CLI").await.unwrap();
    e.add_step(GUILD, r, MENTEE, goal.id, "Read the clap docs", Some(MENTEE), None)
        .await
        .unwrap();

    // Planned at confirmation: Tuesday 2026-03-03 18:30 in Berlin is 17:30 UTC.
    let first = utc(2026, 3, 3, 17, 30);
    let checkins = e.checkins(GUILD, r, MENTOR).await.unwrap();
    assert_eq!(checkins.len(), 1, "{checkins:?}");
    assert_eq!(
        (checkins[0].scheduled_at, checkins[0].source),
        (first, CheckinSource::Schedule)
    );
    // Confirming again plans nothing new (the same occurrence, the same jobs).
    let jobs_before = h.world.jobs.jobs_for_relationship(GUILD, r).await.unwrap().len();
    e.sync_schedule(GUILD, r).await.unwrap();
    assert_eq!(
        h.world.jobs.jobs_for_relationship(GUILD, r).await.unwrap().len(),
        jobs_before
    );

    // Nothing before its time.
    assert_eq!(h.run_jobs().await.done, 0);
    assert!(texts(&h, MENTEE, "Reminder").is_empty());

    // 24 h before: both get the reminder with when, how and the agenda.
    h.world.clock.set(first - Duration::hours(24));
    h.run_jobs().await;
    for who in [MENTOR, MENTEE] {
        h.dms(who, 1).await;
        let reminders = texts(&h, who, "Reminder: check-in");
        assert_eq!(reminders.len(), 1, "{reminders:?}");
        assert!(reminders[0].contains(&stamp(first)), "{}", reminders[0]);
        assert!(reminders[0].contains("video, the pair's thread"), "{}", reminders[0]);
        assert!(
            reminders[0].contains("Read the clap docs (Ship a CLI)"),
            "{}",
            reminders[0]
        );
    }
    // Running again sends nothing twice.
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTEE, "Reminder: check-in").len(), 1);

    // 1 h before: the second reminder.
    h.world.clock.set(first - Duration::hours(1));
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTOR, "Reminder: check-in").len(), 2);

    // After the meeting (45 minutes): did you meet? Both say yes and reflect.
    h.world.clock.set(first + Duration::minutes(45));
    h.run_jobs().await;
    let c1 = checkins[0].id;
    for (who, answer) in [(MENTEE, "Lifetimes at last"), (MENTOR, "Good pace")] {
        let prefix = format!("mb:met:{}:{}:{}", GUILD.0, r.0, c1.0);
        let (_, _) = h.wait_button(who, &prefix).await;
        assert_eq!(texts(&h, who, "Did you meet?").len(), 1);
        let saved = press_and_fill(&h, who, &prefix, &[("q0", answer)]).await;
        assert!(saved.contains("private journal"), "{saved}");
        let journal = e.journal(GUILD, who, Some(r)).await.unwrap();
        let entry = journal.last().unwrap();
        assert_eq!((entry.checkin, entry.answers[0].answer.as_str()), (Some(c1), answer));
    }
    assert_eq!(
        e.checkins(GUILD, r, MENTOR).await.unwrap()[0].status,
        CheckinStatus::Held
    );
    // The mentor's questions are the mentor's, the mentee's the mentee's.
    assert_eq!(
        e.journal(GUILD, MENTOR, Some(r)).await.unwrap()[0].answers[0].question,
        "How are the pace and progress?"
    );
    // A stranger cannot answer for them.
    let (msg, id) = h.wait_button(MENTEE, "mb:met:").await;
    let refused = h.press(msg, STRANGER, &id).await;
    assert!(
        refused.content().unwrap().contains("no such mentorship"),
        "{:?}",
        refused.content()
    );

    // The second check-in, two weeks on, is moved by the mentor from its reminder.
    let second = utc(2026, 3, 17, 17, 30);
    h.world.clock.set(second - Duration::hours(24));
    h.run_jobs().await;
    let prefix = "mb:resch:";
    let reminders = texts(&h, MENTOR, "Reminder: check-in");
    assert!(reminders.last().unwrap().contains(&stamp(second)), "{reminders:?}");
    // A time in the past is refused with the reason, and nothing moves.
    let refused = press_and_fill(&h, MENTOR, prefix, &[("date", "2026-03-01"), ("time", "19:00")]).await;
    assert!(refused.contains("already passed"), "{refused}");
    let refused = press_and_fill(&h, MENTOR, prefix, &[("date", "2026-03-19"), ("time", "7pm")]).await;
    assert!(refused.contains("Please fix the time"), "{refused}");
    let moved = press_and_fill(&h, MENTOR, prefix, &[("date", "2026-03-19"), ("time", "19:00")]).await;
    let moved_to = utc(2026, 3, 19, 18, 0);
    assert!(moved.contains(&stamp(moved_to)), "{moved}");
    assert_eq!(wait_texts(&h, MENTEE, "moved the check-in", 1).await.len(), 1);
    // The 1 h reminder of the old time never goes out; the new time gets its own.
    h.world.clock.set(second - Duration::hours(1));
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTEE, "Reminder: check-in").len(), 3);
    h.world.clock.set(moved_to - Duration::hours(24));
    h.run_jobs().await;
    let reminders = texts(&h, MENTEE, "Reminder: check-in");
    assert_eq!(reminders.len(), 4);
    assert!(reminders[3].contains(&stamp(moved_to)), "{reminders:?}");

    // The mentee skips the moved one: no more reminders or questions about it.
    let skipped = press(&h, MENTEE, "mb:skip:").await;
    assert!(skipped.contains("Skipped"), "{skipped}");
    assert_eq!(wait_texts(&h, MENTOR, "skipped the check-in", 1).await.len(), 1);
    h.world.clock.set(moved_to + Duration::hours(2));
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTEE, "Reminder: check-in").len(), 4);
    assert_eq!(texts(&h, MENTEE, "Did you meet?").len(), 1);

    // After the change to summer time, 18:30 in Berlin is 16:30 UTC.
    let third = utc(2026, 3, 31, 16, 30);
    h.world.clock.set(third - Duration::hours(24));
    h.run_jobs().await;
    assert!(texts(&h, MENTEE, "Reminder: check-in")
        .last()
        .unwrap()
        .contains(&stamp(third)));
    // Nobody answers the did-you-meet: one nudge 48 h later, not two.
    h.world.clock.set(third + Duration::minutes(45));
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTEE, "Did you meet?").len(), 2);
    h.advance(Duration::hours(47)).await;
    assert!(texts(&h, MENTEE, "gentle nudge").is_empty());
    h.advance(Duration::hours(1)).await;
    assert_eq!(texts(&h, MENTEE, "gentle nudge").len(), 1);
    assert_eq!(texts(&h, MENTOR, "gentle nudge").len(), 1);
    h.advance(Duration::hours(72)).await;
    assert_eq!(texts(&h, MENTEE, "gentle nudge").len(), 1);
    let noted = press(&h, MENTOR, "mb:notmet:").await;
    assert!(noted.contains("did not meet"), "{noted}");
    assert!(texts(&h, MENTEE, "in a row").is_empty(), "one miss is not yet an issue");

    // The restart in between loses nothing: the next check-in is still planned.
    h.restart(false).await;
    let fourth = utc(2026, 4, 14, 16, 30);
    h.world.clock.set(fourth + Duration::minutes(45));
    h.run_jobs().await;
    let noted = press(&h, MENTEE, &format!("mb:notmet:{}:{}", GUILD.0, r.0)).await;
    assert!(noted.contains("did not meet"), "{noted}");
    h.run_jobs().await;
    // Two misses in a row: both get what they agreed about issues, the coordinator is told.
    for who in [MENTOR, MENTEE] {
        let prompts = texts(&h, who, "2 check-ins in a row did not happen");
        assert_eq!(prompts.len(), 1, "{prompts:?}");
        assert!(prompts[0].contains("we talk openly about pace"), "{}", prompts[0]);
    }
    // The coordinators hear it by DM (the server set no organisers' channel), counts only; the
    // program channel, which every participant sees, gets nothing.
    let told = wait_texts(&h, UserId(COORDINATOR), "missed 2 check-ins", 1).await;
    assert!(told.iter().all(|t| !t.contains("pace")), "{told:?}");
    assert!(
        !h.fake
            .messages_in(channel())
            .iter()
            .any(|m| m.content.contains("missed 2 check-ins")),
        "nothing in the program channel"
    );

    // From the prompt, the mentee proposes meeting weekly; once confirmed, future check-ins follow it.
    let proposed = press_and_fill(
        &h,
        MENTEE,
        &format!("mb:freq:{}:{}", GUILD.0, r.0),
        &[("frequency", "every 3 days")],
    )
    .await;
    assert!(proposed.contains("Please fix the frequency"), "{proposed}");
    let proposed = press_and_fill(
        &h,
        MENTEE,
        &format!("mb:freq:{}:{}", GUILD.0, r.0),
        &[("frequency", "weekly")],
    )
    .await;
    assert!(proposed.contains("Version 2"), "{proposed}");
    let now = h.world.clock.now();
    let (msg, confirm) = h.wait_button(MENTOR, &format!("mb:conf:{}:{}:2", GUILD.0, r.0)).await;
    h.press(msg, MENTOR, &confirm).await;
    let all = e.checkins(GUILD, r, MENTOR).await.unwrap();
    let past: Vec<_> = all.iter().filter(|c| c.scheduled_at < now).collect();
    let future: Vec<_> = all.iter().filter(|c| c.scheduled_at > now).collect();
    assert_eq!(past.len(), 5, "past check-ins are kept as they were: {all:#?}");
    assert!(!future.is_empty());
    assert!(future.iter().all(|c| c.status == CheckinStatus::Planned));
    // Weekly from today, still Tuesdays at 18:30 in Berlin.
    assert_eq!(future[0].scheduled_at, utc(2026, 4, 21, 16, 30));
    h.shutdown().await;
}

async fn midpoint_end_retrospectives_and_celebration(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let mut input = agreement();
    input.frequency = "weekly".into();
    input.end_date = Some("2026-03-31".into());
    let rel = active_pair(&h, input).await;
    let r = rel.id;
    // Start Tue 2026-03-03 17:30 UTC; end at the end of 2026-03-31 in Berlin (22:00 UTC) plus 45
    // minutes; halfway is between them.
    let start = utc(2026, 3, 3, 17, 30);
    let end = utc(2026, 3, 31, 22, 45);
    let midpoint = start + (end - start) / 2;
    // Day by day, as a running bot would see it.
    while h.world.clock.now() + Duration::days(1) < midpoint {
        h.advance(Duration::days(1)).await;
    }
    h.world.clock.set(midpoint - Duration::minutes(1));
    h.run_jobs().await;
    assert!(texts(&h, MENTEE, "Halfway").is_empty());
    h.advance(Duration::minutes(1)).await;
    assert_eq!(texts(&h, MENTEE, "Halfway").len(), 1);
    assert_eq!(texts(&h, MENTOR, "Halfway").len(), 1);
    // No check-in is planned after the end date.
    while h.world.clock.now() + Duration::days(1) < end {
        h.advance(Duration::days(1)).await;
    }
    h.world.clock.set(end - Duration::minutes(1));
    h.run_jobs().await;
    let all = e.checkins(GUILD, r, MENTOR).await.unwrap();
    assert_eq!(all.last().unwrap().scheduled_at, utc(2026, 3, 31, 16, 30), "{all:#?}");
    assert_eq!(all.len(), 5);
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Active);

    // The planned end: both get the retrospective prompt.
    h.advance(Duration::minutes(1)).await;
    let ended = e.relationship_for(GUILD, r, MENTOR).await.unwrap();
    assert_eq!(ended.state, State::Ended);
    for who in [MENTOR, MENTEE] {
        assert_eq!(texts(&h, who, "has ended (planned end, by the bot)").len(), 1);
    }
    // The mentor answers and agrees to celebrate; the mentee does not answer.
    let thanks = retro_celebrating(
        &h,
        MENTOR,
        &format!("mb:retro:{}:{}", GUILD.0, r.0),
        &[("learned", "Patience"), ("celebrate", "A CLI in production")],
    )
    .await;
    assert!(thanks.contains("you agree to celebrate"), "{thanks}");
    h.run_jobs().await;
    assert!(!h
        .fake
        .messages_in(channel())
        .iter()
        .any(|m| m.content.contains("Celebrating")));
    // Three days on: a reminder to the mentee only.
    h.advance(Duration::days(3)).await;
    assert_eq!(texts(&h, MENTEE, "retrospective on mentorship").len(), 1);
    assert!(texts(&h, MENTOR, "retrospective on mentorship").is_empty());
    // The mentee writes it and agrees too: one celebration post in the program channel.
    retro_celebrating(
        &h,
        MENTEE,
        &format!("mb:retro:{}:{}", GUILD.0, r.0),
        &[("learned", "Ownership")],
    )
    .await;
    h.run_jobs().await;
    h.run_jobs().await;
    let posts: Vec<_> = h
        .fake
        .messages_in(channel())
        .into_iter()
        .filter(|m| m.content.contains("Celebrating"))
        .collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert!(posts[0].content.contains("A CLI in production"));
    // It names the people (they agreed), not the mentorship's number, which would tie them to
    // anything else said about it.
    assert!(!posts[0].content.contains(&format!("#{}", r.0)), "{}", posts[0].content);
    assert!(
        !posts[0].content.contains("Patience"),
        "only what they chose to celebrate"
    );
    let jobs = h.world.jobs.jobs_for_relationship(GUILD, r).await.unwrap();
    assert!(jobs.iter().all(|j| j.state != JobState::Pending), "{jobs:#?}");
    h.shutdown().await;
}

async fn pause_resume_end_and_catch_up_after_downtime(w: World) {
    let mut h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let mut input = agreement();
    input.frequency = "weekly".into();
    let rel = active_pair(&h, input).await;
    let r = rel.id;
    // Paused: nothing goes out.
    e.pause(GUILD, r, MENTEE).await.unwrap();
    assert!(e.checkins(GUILD, r, MENTOR).await.unwrap().is_empty());
    h.world.clock.set(utc(2026, 3, 20, 12, 0));
    h.run_jobs().await;
    assert!(texts(&h, MENTEE, "Reminder").is_empty());
    assert!(texts(&h, MENTEE, "Did you meet").is_empty());
    // Resumed on Friday 2026-03-20: planned from then, the next Tuesday.
    e.resume(GUILD, r, MENTOR).await.unwrap();
    let next = utc(2026, 3, 24, 17, 30);
    assert_eq!(e.checkins(GUILD, r, MENTOR).await.unwrap()[0].scheduled_at, next);

    // The bot is down from before the 24 h reminder until 90 minutes before the meeting: the
    // 24 h reminder goes out late (the meeting is still ahead), once.
    h.restart(true).await;
    h.world.clock.set(next - Duration::minutes(90));
    h.restart(false).await;
    h.run_jobs().await;
    assert_eq!(texts(&h, MENTEE, "Reminder: check-in").len(), 1);
    // Down again over the next meeting: its reminders are dropped, its did-you-meet is sent
    // late, and the one after is planned.
    let after = utc(2026, 3, 31, 16, 30);
    h.world.clock.set(after + Duration::hours(3));
    h.restart(false).await;
    h.run_jobs().await;
    assert_eq!(
        texts(&h, MENTEE, "Reminder: check-in").len(),
        1,
        "no reminder for a past meeting"
    );
    let asked = texts(&h, MENTEE, "Did you meet?");
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked.iter().any(|a| a.contains(&stamp(after))), "{asked:?}");
    assert!(asked.iter().any(|a| a.contains(&stamp(next))), "{asked:?}");
    let planned = e.checkins(GUILD, r, MENTOR).await.unwrap();
    assert!(
        planned.iter().any(|c| c.scheduled_at == utc(2026, 4, 7, 16, 30)),
        "{planned:#?}"
    );

    // Ending cancels everything pending but the retrospective reminder.
    e.end(GUILD, r, MENTOR, mentorbot::domain::relationship::EndReason::GoalsMet)
        .await
        .unwrap();
    let pending: Vec<_> = h
        .world
        .jobs
        .jobs_for_relationship(GUILD, r)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.state == JobState::Pending)
        .map(|j| j.kind)
        .collect();
    assert_eq!(pending, vec!["retro_reminder".to_string()]);
    h.advance(Duration::days(30)).await;
    assert_eq!(texts(&h, MENTEE, "Reminder: check-in").len(), 1);
    h.shutdown().await;
}

/// Many pairs' reminders fall due at once; the bot dies in the middle of sending them and a new
/// one takes over on the same database: everyone gets each reminder exactly once.
async fn a_crash_mid_burst_sends_nothing_twice(w: World) {
    let mut h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let pairs = [(MENTOR, MENTEE), (PEER3, PEER4), (STRANGER, MENTEE), (PEER3, MENTOR)];
    let mut rels = Vec::new();
    for (mentor, mentee) in pairs {
        let rel = e
            .propose_direct(GUILD, mentee, mentor, Kind::Classic, Direction::Request, "Rust")
            .await
            .unwrap();
        e.accept(GUILD, rel.id, mentor).await.unwrap();
        let (rel, v) = e.propose_agreement(GUILD, rel.id, mentor, &agreement()).await.unwrap();
        rels.push(e.confirm_agreement(GUILD, rel.id, mentee, v).await.unwrap().id);
    }
    let first = utc(2026, 3, 3, 17, 30);
    h.world.clock.set(first - Duration::hours(24));
    // A worker of the doomed process takes the whole burst and dies after a few messages, while
    // the first sends (answered 502) wait to be tried again.
    h.fake.fail_next_n(Some("POST"), "/channels/", 502, 3);
    let doomed = mentorbot::discord::job_worker(&h.app, Some(h.fake.http_client()), "doomed".into()).unwrap();
    let run = tokio::spawn(async move { doomed.tick().await });
    h.fake
        .wait_for_message(|m| m.content.contains("Reminder: check-in"), common::discord::WAIT)
        .await;
    run.abort();
    h.restart(true).await;
    let running = h.world.jobs.counts(Some(GUILD)).await.unwrap().running;
    assert!(running > 0, "the crash left jobs held by the dead process");
    // The new process waits for the dead one's leases to run out (on the database's clock), then
    // finishes the burst; the answers of 502 are retried after their backoff.
    h.advance(Duration::minutes(2)).await;
    h.run_jobs_until_none_held().await;
    h.advance(Duration::minutes(2)).await;
    let mut expected = std::collections::HashMap::<u64, usize>::new();
    for (mentor, mentee) in pairs {
        *expected.entry(mentor.0).or_default() += 1;
        *expected.entry(mentee.0).or_default() += 1;
    }
    for (user, count) in &expected {
        let got = texts(&h, UserId(*user), "Reminder: check-in");
        assert_eq!(
            got.len(),
            *count,
            "user {user}: {got:#?} (jobs held by the dead one: {running})"
        );
    }
    for r in rels {
        let jobs = h.world.jobs.jobs_for_relationship(GUILD, r).await.unwrap();
        let reminder = jobs.iter().find(|j| j.kind == "reminder").unwrap();
        assert_eq!(reminder.state, JobState::Done, "{reminder:?}");
    }
    h.shutdown().await;
}

/// The issue-handling prompt's Pause and End buttons, after misses recorded by hand.
async fn the_issue_prompt_pauses_and_ends(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h, agreement()).await;
    let r = rel.id;
    for _ in 0..2 {
        e.record_checkin(GUILD, r, MENTOR, false, None).await.unwrap();
    }
    h.run_jobs().await;
    assert_eq!(wait_texts(&h, MENTEE, "2 check-ins in a row", 1).await.len(), 1);
    // A stranger cannot use the buttons.
    let (msg, id) = h.wait_button(MENTEE, &format!("mb:pause:{}:{}", GUILD.0, r.0)).await;
    let refused = h.press(msg, STRANGER, &id).await;
    assert!(refused.content().unwrap().contains("no such mentorship"), "{refused:?}");
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Active);
    let paused = press(&h, MENTEE, &format!("mb:pause:{}:{}", GUILD.0, r.0)).await;
    assert!(paused.contains("is paused"), "{paused}");
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Paused);
    assert_eq!(wait_texts(&h, MENTOR, "paused mentorship", 1).await.len(), 1);
    // Paused: the first meeting's reminders never go out.
    h.world.clock.set(utc(2026, 3, 3, 17, 0));
    h.run_jobs().await;
    assert!(texts(&h, MENTEE, "Reminder").is_empty());
    e.resume(GUILD, r, MENTOR).await.unwrap();
    for _ in 0..2 {
        e.record_checkin(GUILD, r, MENTEE, false, None).await.unwrap();
    }
    h.run_jobs().await;
    assert_eq!(wait_texts(&h, MENTOR, "4 check-ins in a row", 1).await.len(), 1);
    // The End button asks first (issue 16, item 6): nothing ends until a reason is confirmed.
    let (msg, id) = h.wait_button(MENTOR, &format!("mb:end:{}:{}", GUILD.0, r.0)).await;
    let handle = h.fake.interaction_button(msg, MENTOR.0, &id);
    let asked = handle.wait_response().await;
    assert!(
        asked.content().unwrap_or_default().contains("Nothing changes until"),
        "{asked:?}"
    );
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Active);
    let confirm = format!("mb:endok:{}:{}:3", GUILD.0, r.0);
    assert!(asked.custom_ids().contains(&confirm), "{asked:?}");
    let own = handle.original().expect("the question is a message");
    let ended = h.press(own.id, MENTOR, &confirm).await;
    let ended = ended.content().unwrap_or_default().to_string();
    assert!(ended.contains("has ended"), "{ended}");
    assert_eq!(e.relationship_for(GUILD, r, MENTOR).await.unwrap().state, State::Ended);
    assert_eq!(wait_texts(&h, MENTEE, "Take a moment to look back", 1).await.len(), 1);
    h.shutdown().await;
}

on_both_backends!(
    the_issue_prompt_pauses_and_ends,
    a_pair_keeps_its_rhythm,
    midpoint_end_retrospectives_and_celebration,
    pause_resume_end_and_catch_up_after_downtime,
    a_crash_mid_burst_sends_nothing_twice,
    partial_delivery_is_retried_for_the_unreached_only,
    a_conflict_at_the_planned_end_is_retried,
    purged_jobs_are_never_sent_again,
    a_message_sent_but_not_recorded_is_found_by_reading_back,
);

/// Two bot processes on one PostgreSQL share the due jobs: each reminder is sent once.
#[tokio::test]
async fn two_processes_on_one_postgres_send_each_reminder_once() {
    let Some(w) = World::postgres().await else { return };
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let mut rels: Vec<RelationshipId> = Vec::new();
    let people = [MENTOR, MENTEE, PEER3, PEER4, STRANGER];
    for (i, mentor) in people.iter().enumerate() {
        for mentee in people.iter().skip(i + 1) {
            let rel = e
                .propose_direct(GUILD, *mentee, *mentor, Kind::Classic, Direction::Request, "Rust")
                .await
                .unwrap();
            e.accept(GUILD, rel.id, *mentor).await.unwrap();
            let (rel, v) = e.propose_agreement(GUILD, rel.id, *mentor, &agreement()).await.unwrap();
            rels.push(e.confirm_agreement(GUILD, rel.id, *mentee, v).await.unwrap().id);
        }
    }
    h.world.clock.set(utc(2026, 3, 3, 17, 30) - Duration::hours(24));
    // A second process: its own pool on the same database, its own worker.
    let options = h.world.pg_options.clone().expect("postgres");
    let other = mentorbot::store::postgres::PgStore::connect_with(options, 4)
        .await
        .unwrap();
    let other_app = mentorbot::app::App::with_store(
        Harness::settings(&h.fake),
        std::sync::Arc::new(other),
        h.world.clock.clone(),
    );
    let a = mentorbot::discord::job_worker(&h.app, Some(h.fake.http_client()), "process-a".into()).unwrap();
    let b = mentorbot::discord::job_worker(&other_app, Some(h.fake.http_client()), "process-b".into()).unwrap();
    let (ra, rb) = tokio::join!(
        async {
            let mut n = 0;
            while let Ok(r) = a.tick().await {
                n += r.done;
                if r.claimed == 0 {
                    break;
                }
            }
            n
        },
        async {
            let mut n = 0;
            while let Ok(r) = b.tick().await {
                n += r.done;
                if r.claimed == 0 {
                    break;
                }
            }
            n
        }
    );
    assert_eq!(ra + rb, rels.len(), "each pair's reminder, once: {ra} + {rb}");
    for who in people {
        // Everyone is in 4 pairs.
        assert_eq!(texts(&h, who, "Reminder: check-in").len(), 4, "{who}");
    }
    h.shutdown().await;
}

/// Discord's global limit is the bot's, not each process's: three processes on one PostgreSQL
/// (the bot and two job workers) each take a share of it through the database, and the
/// stand-in, which answers a global 429 past its limit as Discord does, never has to.
#[tokio::test]
async fn processes_share_the_global_limit_through_the_database() {
    let Some(w) = World::postgres().await else { return };
    // A low limit, so that two processes at the full limit each would break it at once.
    let config = fake_discord::FakeConfig {
        global_limit: fake_discord::Limit::new(6, std::time::Duration::from_secs(1)),
        ..common::discord::config()
    };
    let h = Harness::start_with(w, config).await;
    assert_eq!(h.app.settings.discord.global_rate_limit, 6);
    let e = h.world.engine.clone();
    let people = [MENTOR, MENTEE, PEER3, PEER4, STRANGER];
    let mut pairs = 0;
    for (i, mentor) in people.iter().enumerate() {
        for mentee in people.iter().skip(i + 1) {
            let rel = e
                .propose_direct(GUILD, *mentee, *mentor, Kind::Classic, Direction::Request, "Rust")
                .await
                .unwrap();
            e.accept(GUILD, rel.id, *mentor).await.unwrap();
            let (rel, v) = e.propose_agreement(GUILD, rel.id, *mentor, &agreement()).await.unwrap();
            e.confirm_agreement(GUILD, rel.id, *mentee, v).await.unwrap();
            pairs += 1;
        }
    }
    let before = h.fake.requests().len();
    h.world.clock.set(utc(2026, 3, 3, 17, 30) - Duration::hours(24));
    let options = h.world.pg_options.clone().expect("postgres");
    let other = mentorbot::store::postgres::PgStore::connect_with(options, 4)
        .await
        .unwrap();
    let mut settings = Harness::settings(&h.fake);
    settings.discord.global_rate_limit = 6;
    let other_app = mentorbot::app::App::with_store(settings, std::sync::Arc::new(other), h.world.clock.clone());
    let a = mentorbot::discord::job_worker(&h.app, Some(h.fake.http_client()), "share-a".into()).unwrap();
    let b = mentorbot::discord::job_worker(&other_app, Some(h.fake.http_client()), "share-b".into()).unwrap();
    let drain = |w: mentorbot::jobs::Worker| async move {
        let mut n = 0;
        while let Ok(r) = w.tick().await {
            n += r.done;
            if r.claimed == 0 {
                break;
            }
        }
        n
    };
    let (ra, rb) = tokio::join!(drain(a), drain(b));
    assert_eq!(ra + rb, pairs, "each pair's reminder, once: {ra} + {rb}");
    for who in people {
        assert_eq!(texts(&h, who, "Reminder: check-in").len(), 4, "{who}");
    }
    let sent = h.fake.requests().len() - before;
    assert!(sent >= 2 * pairs, "a burst of {sent} requests");
    assert_eq!(
        h.fake.global_rate_limited_count(),
        0,
        "the processes together stayed under the bot's global limit"
    );
    h.shutdown().await;
}

/// The job of `kind` of a relationship.
async fn job_of(h: &Harness, r: RelationshipId, kind: &str) -> mentorbot::jobs::Job {
    let jobs = h.world.jobs.jobs_for_relationship(GUILD, r).await.unwrap();
    jobs.into_iter()
        .find(|j| j.kind == kind)
        .unwrap_or_else(|| panic!("a {kind} job"))
}

/// One member's DMs are closed and the pair has no thread: the reminder reaches the other once,
/// and the retries (each after the stand-in's nonce window has passed) reach nobody twice.
async fn partial_delivery_is_retried_for_the_unreached_only(w: World) {
    let h = Harness::start(w).await;
    let rel = active_pair(&h, agreement()).await;
    h.fake.set_dms_closed(MENTEE.0);
    let first = utc(2026, 3, 3, 17, 30);
    h.world.clock.set(first - Duration::hours(24));
    let report = h.run_jobs().await;
    assert!(report.retried >= 1, "{report:?}");
    let reminder = job_of(&h, rel.id, "reminder").await;
    assert_eq!(reminder.state, JobState::Pending, "retried: {reminder:?}");
    for _ in 0..4 {
        // Past the few minutes Discord keeps a nonce, and past the backoff.
        h.fake.advance(std::time::Duration::from_secs(15 * 60));
        h.advance(Duration::minutes(10)).await;
    }
    let reminder = job_of(&h, rel.id, "reminder").await;
    assert!(reminder.attempts >= 5, "{reminder:?}");
    assert_eq!(texts(&h, MENTOR, "Reminder: check-in").len(), 1, "the mentor once");
    assert!(texts(&h, MENTEE, "Reminder: check-in").is_empty());
    let delivered = h.world.jobs.deliveries(&reminder.dedupe_key).await.unwrap();
    assert_eq!(
        delivered.iter().map(|d| d.recipient.clone()).collect::<Vec<_>>(),
        vec![format!("u{}", MENTOR.0)]
    );
    assert_eq!(Some(delivered[0].channel), h.fake.dm_channel_of(MENTOR.0));
    let posted = h
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST"
                && Some(r.path.clone())
                    == h.fake
                        .dm_channel_of(MENTOR.0)
                        .map(|c| format!("/channels/{c}/messages"))
        })
        .count();
    assert_eq!(posted, 1, "no request to send it again");
    h.shutdown().await;
}

/// Makes the database skip (or stop skipping) any update that ends a relationship, as a change
/// by someone else at the same moment would: the bot's save finds the row changed (a conflict).
async fn conflict_on_ending(w: &World, on: bool) {
    let sql = match (w.pg_options.is_some(), on) {
        (true, true) => {
            "CREATE OR REPLACE FUNCTION skip_end() RETURNS trigger AS $$ BEGIN \
               IF NEW.state = 'ended' THEN RETURN NULL; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER conflict_on_ending BEFORE UPDATE ON relationships FOR EACH ROW EXECUTE FUNCTION skip_end();"
        }
        (true, false) => "DROP TRIGGER conflict_on_ending ON relationships;",
        (false, true) => {
            "CREATE TRIGGER conflict_on_ending BEFORE UPDATE ON relationships WHEN NEW.state = 'ended' \
             BEGIN SELECT RAISE(IGNORE); END;"
        }
        (false, false) => "DROP TRIGGER conflict_on_ending;",
    };
    w.execute(sql).await;
}

/// Runs `pg` or `sqlite` on the test's database, beside the bot (a fault injected there).
async fn on_the_database(w: &World, pg: &'static str, sqlite: &'static str) {
    w.execute(if w.pg_options.is_some() { pg } else { sqlite }).await;
}

/// Discord accepts a reminder, then the bot fails before recording it (as a crash would: the
/// database refuses the record), and the retry comes after Discord has forgotten the nonce: the
/// retry reads the DM channel back, finds its message, records it and sends nothing again.
async fn a_message_sent_but_not_recorded_is_found_by_reading_back(w: World) {
    let h = Harness::start(w).await;
    let rel = active_pair(&h, agreement()).await;
    let first = utc(2026, 3, 3, 17, 30);
    h.world.clock.set(first - Duration::hours(24));
    on_the_database(
        &h.world,
        "CREATE FUNCTION die() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the process died'; END $$ \
           LANGUAGE plpgsql; \
         CREATE TRIGGER crash_before_record BEFORE INSERT ON job_deliveries FOR EACH ROW EXECUTE FUNCTION die();",
        "CREATE TRIGGER crash_before_record BEFORE INSERT ON job_deliveries \
         BEGIN SELECT RAISE(ABORT, 'the process died'); END;",
    )
    .await;
    h.run_jobs().await;
    let reminder = job_of(&h, rel.id, "reminder").await;
    assert_eq!(reminder.state, JobState::Pending, "{reminder:?}");
    let sent = texts(&h, MENTOR, "Reminder: check-in").len() + texts(&h, MENTEE, "Reminder: check-in").len();
    assert_eq!(
        sent, 1,
        "Discord took the first message; the record failed, so the job stopped"
    );
    assert!(h.world.jobs.deliveries(&reminder.dedupe_key).await.unwrap().is_empty());
    on_the_database(
        &h.world,
        "DROP TRIGGER crash_before_record ON job_deliveries;",
        "DROP TRIGGER crash_before_record;",
    )
    .await;
    h.fake.advance(std::time::Duration::from_secs(15 * 60));
    h.advance(Duration::minutes(10)).await;
    assert_eq!(job_of(&h, rel.id, "reminder").await.state, JobState::Done);
    for who in [MENTOR, MENTEE] {
        assert_eq!(texts(&h, who, "Reminder: check-in").len(), 1, "{who} once");
    }
    let delivered = h.world.jobs.deliveries(&reminder.dedupe_key).await.unwrap();
    assert_eq!(delivered.len(), 2);
    for d in &delivered {
        let m = h.fake.message(d.message).expect("the recorded message exists");
        assert!(m.content.contains("Reminder: check-in"));
    }
    let reads = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/messages"))
        .count();
    assert!(reads >= 1, "the retry read the channel back");
    h.fake.assert_no_violations();
    h.shutdown().await;
}

/// The planned end meets a save conflict: the job is retried, not marked done, and the end still
/// happens, with everyone's retrospective prompt, once.
async fn a_conflict_at_the_planned_end_is_retried(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let mut input = agreement();
    input.frequency = "weekly".into();
    input.end_date = Some("2026-03-10".into());
    let rel = active_pair(&h, input).await;
    let end = job_of(&h, rel.id, "planned_end").await;
    h.world.clock.set(end.run_at - Duration::minutes(1));
    h.run_jobs().await;
    conflict_on_ending(&h.world, true).await;
    h.advance(Duration::minutes(1)).await;
    let job = job_of(&h, rel.id, "planned_end").await;
    assert_eq!(job.state, JobState::Pending, "retried, not done: {job:?}");
    assert!(
        job.last_error.as_deref().unwrap_or("").contains("same moment"),
        "{job:?}"
    );
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap().state,
        State::Active
    );
    assert!(texts(&h, MENTEE, "has ended").is_empty());

    conflict_on_ending(&h.world, false).await;
    h.advance(Duration::minutes(5)).await;
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTOR).await.unwrap().state,
        State::Ended
    );
    for who in [MENTOR, MENTEE] {
        assert_eq!(texts(&h, who, "has ended (planned end, by the bot)").len(), 1, "{who}");
    }
    assert_eq!(job_of(&h, rel.id, "planned_end").await.state, JobState::Done);
    h.shutdown().await;
}

/// The daily purge deletes a sent reminder's job after the retention period; planning that job
/// again (as a re-plan of the old occurrence would) sends nothing a second time.
async fn purged_jobs_are_never_sent_again(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h, agreement()).await;
    let first = utc(2026, 3, 3, 17, 30);
    h.world.clock.set(first - Duration::hours(24));
    h.run_jobs().await;
    let reminder = job_of(&h, rel.id, "reminder").await;
    assert_eq!(reminder.state, JobState::Done);
    let sent = stamp(first).replace(":F>", "");
    let count = |who: UserId| {
        texts(&h, who, "Reminder: check-in")
            .iter()
            .filter(|t| t.contains(&sent))
            .count()
    };
    assert_eq!((count(MENTOR), count(MENTEE)), (1, 1));
    // Paused for a while: nothing else is planned; the purge runs daily on its own.
    e.pause(GUILD, rel.id, MENTOR).await.unwrap();
    h.advance(Duration::days(31)).await;
    h.advance(Duration::days(1)).await;
    assert_eq!(h.world.jobs.job(reminder.id).await.unwrap(), None, "purged");
    let again = mentorbot::jobs::NewJob {
        guild: reminder.guild,
        relationship: reminder.relationship,
        kind: reminder.kind.clone(),
        dedupe_key: reminder.dedupe_key.clone(),
        payload: reminder.payload.clone(),
        run_at: reminder.run_at,
    };
    assert_eq!(h.world.jobs.enqueue(&again, h.world.clock.now()).await.unwrap(), None);
    e.resume(GUILD, rel.id, MENTOR).await.unwrap();
    h.run_jobs().await;
    assert_eq!((count(MENTOR), count(MENTEE)), (1, 1), "nothing twice");
    h.shutdown().await;
}
