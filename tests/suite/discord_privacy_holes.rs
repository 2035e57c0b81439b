//! Issue 12 through the Discord stand-in, one test per hole the Discord side had: organisers'
//! information in the program channel, DM buttons of people who left, metric labels made of
//! forged custom ids, and the database password in `check-config`.
use crate::common;

use std::process::Command;

use chrono::{TimeZone, Utc};
use common::discord::{channel, cmd, here, Harness, COORDINATOR, COORDINATOR_ROLE};
use common::fixtures::*;
use common::World;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::engine::{Direction, ProgramSetup};
use mentorbot::metrics::{sample, Snapshot};

/// What the bot posted in a channel (not the ephemeral answers only their reader sees).
fn posted(h: &Harness, channel: u64) -> Vec<String> {
    h.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| !m.is_ephemeral())
        .map(|m| m.content)
        .collect()
}

/// Hole 2: the digest (unplaced people, mentorships at risk) and the missed-check-ins alert
/// went to the program channel, which every participant sees. Without an organisers' channel
/// they now go by DM to the coordinators, and the program channel gets nothing.
async fn organisers_information_stays_with_organisers(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let setup = ProgramSetup {
        channel: Some(channel()),
        coordinator_role: Some(COORDINATOR_ROLE),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (rel, v) = e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, v).await.unwrap();
    for _ in 0..2 {
        e.record_checkin(GUILD, rel.id, MENTOR, false, None).await.unwrap();
    }
    // The alert, then the first digest (Monday 2026-03-09 09:00 UTC).
    h.run_jobs().await;
    h.world.clock.set(Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap());
    h.run_jobs().await;
    let told: Vec<String> = h
        .fake
        .wait_for_dms(COORDINATOR, 2, common::discord::WAIT)
        .await
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert!(told.iter().any(|t| t.contains("missed 2 check-ins")), "{told:?}");
    assert!(told.iter().any(|t| t.contains("Weekly program digest")), "{told:?}");
    assert!(posted(&h, channel()).is_empty(), "{:?}", posted(&h, channel()));
    // Nobody else got them.
    for who in [MENTOR, MENTEE, STRANGER] {
        assert!(
            !h.fake
                .dms_to(who.0)
                .iter()
                .any(|m| m.content.contains("Weekly program digest")),
            "{who}"
        );
    }
    h.shutdown().await;
}

/// Hole 3: a DM button kept working after its presser left the server or was banned. The
/// member events now keep who is a member, and every button checks it.
async fn dm_buttons_stop_when_the_presser_leaves(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    h.bot.on_proposed(&rel).await;
    let (msg, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    h.fake.send_member_remove(GUILD.0, MENTOR.0);
    // Leaving declines the invitation (and the others are told).
    h.wait_dm(MENTEE, "left the server").await;
    assert!(e.guild_member(GUILD, MENTOR).await.unwrap().is_none());
    let refused = h.press(msg, MENTOR, &accept).await;
    assert!(refused.content().unwrap().contains("not for you"), "{refused:?}");
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Declined,
        "the button did not undo the decline"
    );

    // A ban works the same for someone still invited.
    let rel = e
        .propose_direct(GUILD, MENTEE, PEER3, Kind::Classic, Direction::Request, "Go")
        .await
        .unwrap();
    h.bot.on_proposed(&rel).await;
    let (msg, accept) = h.wait_button(PEER3, "mb:acc:").await;
    h.fake.send_dispatch(
        "GUILD_BAN_ADD",
        serde_json::json!({
            "guild_id": GUILD.0.to_string(),
            "user": {"id": PEER3.0.to_string(), "username": "linus", "discriminator": "0", "global_name": null, "avatar": null},
        }),
    );
    let deadline = tokio::time::Instant::now() + common::discord::WAIT;
    while e.guild_member(GUILD, PEER3).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the ban was recorded");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let refused = h.press(msg, PEER3, &accept).await;
    assert!(refused.content().unwrap().contains("not for you"), "{refused:?}");
    assert_ne!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Accepted
    );
    h.shutdown().await;
}

/// Hole 10: the metrics named a button by the first parts of its custom id, so forged ids made
/// new label values without bound. Labels now come from a fixed set.
async fn forged_custom_ids_add_no_metric_labels(w: World) {
    let h = Harness::start(w).await;
    let text = h.say(MENTEE, cmd("mentor forget")).await;
    assert!(text.contains("cannot be undone"), "{text}");
    let original = h
        .fake
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.custom_ids().iter().any(|c| c.starts_with("mb:forget:")))
        .expect("the confirmation");
    for i in 0..20 {
        let forged = format!("evil{i}:x:{i}");
        let answer = h.press_forged(original.id, MENTEE, &forged).await;
        assert!(answer.content().unwrap().contains("no longer valid"), "{answer:?}");
    }
    let forged_form = h
        .fake
        .interaction_modal_submit(here(), MENTEE.0, "mb:fdraft:1:2:3", &[("purpose", "x")])
        .wait_response()
        .await;
    assert!(forged_form.content().unwrap().contains("no longer valid"));
    let deadline = tokio::time::Instant::now() + common::discord::WAIT;
    let text = loop {
        let text = h.app.metrics.render(&Snapshot::default());
        let form = [("command", "form mb:fdraft"), ("outcome", "error")];
        if sample(&text, "mentorbot_commands_total", &form).is_some()
            && sample(
                &text,
                "mentorbot_commands_total",
                &[("command", "button other"), ("outcome", "error")],
            ) == Some(20.0)
        {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(!text.contains("evil"), "{text}");
    assert!(
        sample(
            &text,
            "mentorbot_commands_total",
            &[("command", "form mb:fdraft"), ("outcome", "error")]
        )
        .is_some(),
        "{text}"
    );
    h.shutdown().await;
}

on_both_backends!(
    organisers_information_stays_with_organisers,
    dm_buttons_stop_when_the_presser_leaves,
    forged_custom_ids_add_no_metric_labels,
);

/// Hole 4: `check-config` printed the database URL with its password, and a bad URL was echoed
/// whole in the error.
#[test]
fn check_config_and_a_bad_url_hide_the_database_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mentorbot"));
        for (k, _) in std::env::vars() {
            if k.starts_with("MENTORBOT") {
                c.env_remove(k);
            }
        }
        c.current_dir(dir.path())
            .arg("check-config")
            .env("MENTORBOT__DATABASE__URL", url)
            .output()
            .expect("runs")
    };
    let out = run("postgres://mentorbot:hunter2@db:5432/mentorbot?sslmode=require&password=hunter2");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        printed.contains("postgres://mentorbot:[redacted]@db:5432/mentorbot"),
        "{printed}"
    );
    assert!(!printed.contains("hunter2"), "{printed}");
    let out = run("mysql://root:hunter2@db/mentorbot");
    let error = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(error.contains("database.url") && !error.contains("hunter2"), "{error}");
}
