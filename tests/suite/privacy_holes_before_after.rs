//! Issue 12's holes once more, written only with what the API offered before the fix, so the same
//! file compiles on the code before it: each of these fails there (checked when the fix was made:
//! all 23 failed by their assertion) and passes now.
use crate::common;

use common::discord::{channel, cmd, here, Harness, COORDINATOR_ROLE};
use common::fixtures::*;
use common::World;
use mentorbot::domain::agreement::AgreementInput;
use mentorbot::domain::ids::RelationshipId;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{EndReason, State};
use mentorbot::engine::{Direction, ProgramSetup};

async fn hole1_my_data(w: World) {
    let e = &w.engine;
    let rel = e
        .invite_peer_group(GUILD, MENTOR, &[MENTEE, PEER3, PEER4], "Group")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTEE).await.unwrap();
    e.accept(GUILD, rel.id, PEER3).await.unwrap();
    e.decline(GUILD, rel.id, PEER4).await.unwrap();
    let input = AgreementInput {
        expectations: "SECRET-EXP".into(),
        ..agreement()
    };
    e.propose_agreement(GUILD, rel.id, MENTOR, &input).await.unwrap();
    let text = e.my_data(GUILD, PEER4).await.unwrap().to_string();
    assert!(!text.contains("SECRET-EXP"), "hole 1: {text}");
}

async fn hole3_reinvite_after_decline(w: World) {
    let e = &w.engine;
    let r = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A")
        .await
        .unwrap();
    e.decline(GUILD, r.id, MENTOR).await.unwrap();
    let again = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "B")
        .await;
    assert!(again.is_err(), "hole 3: asked again right after a decline");
}

async fn hole3_paused_gets_no_invitation(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.pause_profile(GUILD, MENTOR, "2026-06-01").await.unwrap();
    let r = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A")
        .await;
    assert!(r.is_err(), "hole 3: a paused person was invited");
}

async fn hole5_forget_words(w: World) {
    let e = &w.engine;
    let r = e
        .propose_direct(
            GUILD,
            MENTEE,
            MENTOR,
            Kind::Classic,
            Direction::Request,
            "PURPOSE-WORDS",
        )
        .await
        .unwrap();
    e.accept(GUILD, r.id, MENTOR).await.unwrap();
    let (r, v) = e.propose_agreement(GUILD, r.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, r.id, MENTOR, v).await.unwrap();
    e.record_checkin(GUILD, r.id, MENTEE, true, Some("NOTE-WORDS"))
        .await
        .unwrap();
    e.add_goal(GUILD, r.id, MENTEE, "GOAL-WORDS").await.unwrap();
    e.forget(GUILD, MENTEE).await.unwrap();
    for words in ["PURPOSE-WORDS", "NOTE-WORDS", "GOAL-WORDS"] {
        let left = w.columns_containing(words).await;
        assert!(left.is_empty(), "hole 5: {words} left in {left:?}");
    }
}

async fn hole6_one_answer(w: World) {
    let e = &w.engine;
    let r = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A")
        .await
        .unwrap();
    let a = e.add_goal(GUILD, r.id, STRANGER, "x").await.unwrap_err().user_message();
    let b = e
        .add_goal(GUILD, RelationshipId(r.id.0 + 100), STRANGER, "x")
        .await
        .unwrap_err()
        .user_message();
    assert_eq!(a, b, "hole 6");
    let a = e
        .end(GUILD, r.id, STRANGER, EndReason::Other)
        .await
        .unwrap_err()
        .user_message();
    let b = e
        .end(GUILD, RelationshipId(r.id.0 + 100), STRANGER, EndReason::Other)
        .await
        .unwrap_err()
        .user_message();
    assert_eq!(a, b, "hole 6");
}

async fn hole7_suggest_needs_consent(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    let (_, list) = e.suggest(GUILD, MENTOR).await.unwrap();
    assert!(list.is_empty(), "hole 7: listed without consent: {list:?}");
}

async fn hole8_suggestion_not_shown(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    // Never suggested to anyone: the button's custom id is forged.
    let r = e
        .propose_suggested(GUILD, MENTOR, PEER4, Kind::Classic, Direction::Offer)
        .await;
    assert!(r.is_err(), "hole 8: a forged suggestion was sent");
}

async fn hole2_digest_not_in_program_channel(w: World) {
    let h = Harness::start(w).await;
    let setup = ProgramSetup {
        channel: Some(channel()),
        coordinator_role: Some(COORDINATOR_ROLE),
        ..Default::default()
    };
    h.world.engine.setup_program(GUILD, true, &[], &setup).await.unwrap();
    h.world
        .clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 9, 9, 0, 0).unwrap());
    h.run_jobs().await;
    let posted: Vec<String> = h
        .fake
        .messages_in(channel())
        .into_iter()
        .filter(|m| m.flags & 64 == 0)
        .map(|m| m.content)
        .collect();
    assert!(posted.is_empty(), "hole 2: {posted:?}");
    h.shutdown().await;
}

async fn hole3_button_after_leaving(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let r = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "A")
        .await
        .unwrap();
    e.accept(GUILD, r.id, MENTOR).await.unwrap();
    let (r, v) = e.propose_agreement(GUILD, r.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, r.id, MENTOR, v).await.unwrap();
    h.fake.send_member_remove(GUILD.0, MENTOR.0);
    let deadline = tokio::time::Instant::now() + common::discord::WAIT;
    while e.relationship_for(GUILD, r.id, MENTEE).await.unwrap().state != State::Paused {
        assert!(tokio::time::Instant::now() < deadline, "leaving paused the mentorship");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let dm = h.fake.open_dm(MENTOR.0);
    let msg = h.fake.add_message(dm, h.fake.bot_user_id(), "x");
    for id in [
        format!("mb:end:{}:{}", GUILD.0, r.id.0),
        format!("mb:endok:{}:{}:3", GUILD.0, r.id.0),
    ] {
        h.press_forged(msg, MENTOR, &id).await;
    }
    assert_ne!(
        e.relationship_for(GUILD, r.id, MENTEE).await.unwrap().state,
        State::Ended,
        "hole 3: a button worked after leaving"
    );
    h.shutdown().await;
}

async fn hole9_someone_elses_form(w: World) {
    let h = Harness::start(w).await;
    let handle = h.slash(MENTEE, cmd("mentor request").user("user", MENTOR.0));
    let response = handle.wait_response().await;
    let custom_id = response.modal_custom_id().unwrap().to_string();
    h.fake
        .interaction_modal_submit(here(), STRANGER.0, &custom_id, &[("purpose", "x")])
        .wait_response()
        .await;
    let answer = h
        .fake
        .submit_modal(&handle, &[("purpose", "Learn Rust")])
        .wait_response()
        .await;
    assert!(
        answer.content().unwrap().contains("Invitation sent"),
        "hole 9: {:?}",
        answer.content()
    );
    h.shutdown().await;
}

async fn hole10_metric_labels(w: World) {
    let h = Harness::start(w).await;
    let dm = h.fake.open_dm(MENTEE.0);
    let msg = h.fake.add_message(dm, h.fake.bot_user_id(), "x");
    for i in 0..5 {
        h.press_forged(msg, MENTEE, &format!("evil{i}:x")).await;
    }
    // Counted just after each answer: wait until all five are.
    let deadline = tokio::time::Instant::now() + common::discord::WAIT;
    let text = loop {
        let text = h.app.metrics.render(&Default::default());
        let counted: f64 = text
            .lines()
            .filter(|l| l.starts_with("mentorbot_commands_total{") && l.contains("button"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if counted >= 5.0 {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(!text.contains("evil"), "hole 10: {text}");
    h.shutdown().await;
}

on_both_backends!(
    hole1_my_data,
    hole2_digest_not_in_program_channel,
    hole3_reinvite_after_decline,
    hole3_paused_gets_no_invitation,
    hole3_button_after_leaving,
    hole5_forget_words,
    hole6_one_answer,
    hole7_suggest_needs_consent,
    hole8_suggestion_not_shown,
    hole9_someone_elses_form,
    hole10_metric_labels,
);

#[test]
fn hole4_check_config() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorbot"))
        .arg("check-config")
        .env("MENTORBOT__DATABASE__URL", "postgres://bot:hunter2@db/x")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"), "hole 4");
}
