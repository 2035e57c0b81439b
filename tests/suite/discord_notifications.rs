//! Issue 16, item 13 (the rest), through the stand-in: `/mentor notifications` mutes tips,
//! celebrations and retrospective reminders (each muted kind stays away from the person who
//! muted it, the others still come), and new reminder lead times move the reminders of the
//! check-ins already planned, durably (the `sync` job saved with the preferences), never twice.
use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::discord::{channel, cmd, Harness};
use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::guide::Transition;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{Relationship, State};
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::{Direction, ProgramSetup};
use mentorbot::jobs::JobState;

/// The fixture agreement's first meeting: 2026-03-03 18:30 in Berlin.
fn first_meeting() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 17, 30, 0).unwrap()
}

async fn active_pair(h: &Harness) -> Relationship {
    let e = &h.world.engine;
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
    let (rel, version) = e.propose_agreement(GUILD, rel.id, MENTOR, &agreement()).await.unwrap();
    let rel = e.confirm_agreement(GUILD, rel.id, MENTEE, version).await.unwrap();
    assert_eq!(rel.state, State::Active);
    rel
}

fn reminders(h: &Harness, user: UserId) -> usize {
    h.fake
        .dms_to(user.0)
        .iter()
        .filter(|m| m.content.contains("Reminder: check-in"))
        .count()
}

/// The lead times (minutes) of the pending reminders of `rel`.
async fn pending_leads(h: &Harness, rel: RelationshipId) -> Vec<u64> {
    let mut leads: Vec<u64> = h
        .world
        .jobs
        .jobs_for_relationship(GUILD, rel)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "reminder" && j.state == JobState::Pending)
        .filter_map(|j| j.payload["lead"].as_u64())
        .collect();
    leads.sort();
    leads
}

/// The mentee mutes tips, celebrations and retrospective reminders; the mentor keeps them.
async fn muted_tips_celebrations_and_retro_reminders(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h).await;
    let text = h
        .say(
            MENTEE,
            cmd("mentor notifications")
                .bool("tips", false)
                .bool("celebrations", false)
                .bool("retro_reminders", false),
        )
        .await;
    assert!(
        text.contains("tips off, celebrations off, retro_reminders off") && text.contains("reminders on"),
        "{text}"
    );

    // The end message comes to both; its tips only to the mentor.
    let tips = Transition::Ended.tips();
    let ended = h.end(MENTOR, rel.id.0, 0 /* goals met */).await;
    assert!(ended.contains("has ended"), "{ended}");
    let to_mentee = h.wait_dm(MENTEE, "has ended").await;
    let to_mentor = h.wait_dm(MENTOR, "has ended").await;
    assert!(!to_mentee.contains(&tips), "{to_mentee}");
    assert!(to_mentor.contains(&tips), "{to_mentor}");

    // The retrospective reminder, three days on: the mentor's only.
    h.advance(Duration::days(4)).await;
    h.run_jobs_until_none_held().await;
    let retro_reminders = |user: UserId| {
        h.fake
            .dms_to(user.0)
            .iter()
            .filter(|m| m.content.contains("your retrospective on mentorship"))
            .count()
    };
    assert_eq!((retro_reminders(MENTOR), retro_reminders(MENTEE)), (1, 0));

    // The mentor agrees to celebrate; the mentee is not asked, so nothing is posted.
    let (msg, retro) = h
        .wait_button(MENTOR, &format!("mb:retro:{}:{}", GUILD.0, rel.id.0))
        .await;
    let form = h.fake.interaction_button(msg, MENTOR.0, &retro);
    assert!(form.wait_response().await.is_modal());
    let answer = h
        .retrospective_celebrating(&form, MENTOR, &[("learned", "Plenty"), ("celebrate", "Shipped")], true)
        .await;
    assert!(answer.contains("you agree to celebrate"), "{answer}");
    let (msg, retro) = h
        .wait_button(MENTEE, &format!("mb:retro:{}:{}", GUILD.0, rel.id.0))
        .await;
    let form = h.fake.interaction_button(msg, MENTEE.0, &retro);
    assert!(form.wait_response().await.is_modal());
    let answer = h
        .fake
        .submit_modal(&form, &[("learned", "Plenty"), ("celebrate", "Shipped")])
        .wait_response()
        .await;
    let answer = answer.content().unwrap_or_default().to_string();
    assert!(
        answer.contains("Thank you") && !answer.contains("Celebrate it"),
        "{answer}"
    );
    // Even a yes given another way is held back while celebrations are muted.
    e.answer_celebration(GUILD, rel.id, MENTEE, true).await.unwrap();
    h.run_jobs_until_none_held().await;
    let celebrated = || {
        h.fake
            .messages_in(channel())
            .iter()
            .filter(|m| m.content.contains("Celebrating"))
            .count()
    };
    assert_eq!(celebrated(), 0);
    // Unmuted, the same answers post it: the mute was what held it back.
    h.say(MENTEE, cmd("mentor notifications").bool("celebrations", true))
        .await;
    e.answer_celebration(GUILD, rel.id, MENTEE, true).await.unwrap();
    h.run_jobs_until_none_held().await;
    assert_eq!(celebrated(), 1);
    h.shutdown().await;
}

/// New lead times move the reminders of the check-in already planned: the old ones are not
/// sent, the new ones are, once each.
async fn new_lead_times_move_planned_reminders(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h).await;
    let program: Vec<u64> = e
        .program_settings(GUILD)
        .await
        .unwrap()
        .reminder_leads
        .iter()
        .map(|&l| u64::from(l))
        .collect();
    let mut expected = program.clone();
    expected.sort();
    assert_eq!(pending_leads(&h, rel.id).await, expected, "planned at the program's");
    assert!(!program.contains(&180) && !program.contains(&120), "{program:?}");

    let text = h.say(MENTOR, cmd("mentor notifications").str("lead_times", "3h")).await;
    assert!(text.contains("check-ins already planned move"), "{text}");
    expected.push(180);
    expected.sort();
    assert_eq!(
        pending_leads(&h, rel.id).await,
        expected,
        "the mentee keeps the program's"
    );
    h.say(MENTEE, cmd("mentor notifications").str("lead_times", "2h")).await;
    assert_eq!(
        pending_leads(&h, rel.id).await,
        vec![120, 180],
        "nobody wants the program's"
    );
    // Nothing left waiting: the change did its own re-planning and dropped its job.
    let syncs = h.world.jobs.count_due(h.world.clock.now()).await.unwrap();
    assert_eq!(syncs, 0);

    let meeting = first_meeting();
    h.world.clock.set(meeting - Duration::hours(4));
    h.run_jobs_until_none_held().await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (0, 0));
    h.advance(Duration::hours(1)).await;
    h.run_jobs_until_none_held().await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (1, 0));
    h.advance(Duration::hours(1)).await;
    h.run_jobs_until_none_held().await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (1, 1));
    // A change after a reminder went out does not send it again.
    h.say(MENTOR, cmd("mentor notifications").str("lead_times", "3h, 30m"))
        .await;
    h.advance(Duration::minutes(100)).await;
    h.run_jobs_until_none_held().await;
    assert_eq!(
        (reminders(&h, MENTOR), reminders(&h, MENTEE)),
        (2, 1),
        "only the new 30m one"
    );
    h.shutdown().await;
}

/// The process dies right after the preferences are saved: the `sync` job saved with them
/// moves the reminders when the queue runs.
async fn a_crash_after_new_lead_times_leaves_the_move_to_its_job(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = active_pair(&h).await;
    let before = pending_leads(&h, rel.id).await;
    e.inject_stop_after_save(true);
    let change = mentorbot::domain::preferences::PrefsChange {
        switches: vec![],
        lead_times: Some("3h".into()),
    };
    e.set_notification_prefs(GUILD, MENTOR, &change).await.unwrap();
    e.set_notification_prefs(GUILD, MENTEE, &change).await.unwrap();
    assert_eq!(
        pending_leads(&h, rel.id).await,
        before,
        "the process died before moving anything"
    );
    e.inject_stop_after_save(false);
    h.run_jobs_until_none_held().await;
    assert_eq!(pending_leads(&h, rel.id).await, vec![180]);
    h.world.clock.set(first_meeting() - Duration::hours(3));
    h.run_jobs_until_none_held().await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (1, 1));
    h.advance(Duration::hours(3)).await;
    assert_eq!((reminders(&h, MENTOR), reminders(&h, MENTEE)), (1, 1), "once");
    h.shutdown().await;
}

on_both_backends!(
    muted_tips_celebrations_and_retro_reminders,
    new_lead_times_move_planned_reminders,
    a_crash_after_new_lead_times_leaves_the_move_to_its_job
);
