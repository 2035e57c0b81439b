//! Matching end to end through the Discord stand-in: suggestions with their buttons, the
//! organisers' preview, publish and export, answers to program matches, peer groups, and
//! the server-side check of who may run them.
use crate::common;

use common::discord::{channel, cmd, Harness, COORDINATOR, COORDINATOR_ROLE, OWNER};
use common::fixtures::*;
use common::World;
use fake_discord::{OptionValue, SentMessage, SlashCommand};
use mentorbot::domain::listing::{OfferInput, RequestInput};
use mentorbot::domain::relationship::{Origin, State};
use mentorbot::domain::UserId;
use mentorbot::matching;

fn request(goals: &[&str], kinds: &[&str]) -> RequestInput {
    RequestInput {
        purpose: format!("Get better at {}", goals.join(" and ")),
        goals: goals.iter().map(|g| g.to_string()).collect(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        styles: vec![],
    }
}

fn offer(topics: &[&str], capacity: i64) -> OfferInput {
    OfferInput {
        purpose: format!("Help with {}", topics.join(" and ")),
        topics: topics.iter().map(|g| g.to_string()).collect(),
        skills: vec![],
        kinds: vec!["classic".into(), "reverse".into()],
        capacity,
        hopes_to_learn: None,
    }
}

/// Runs a command; returns its ephemeral answer, which comes after a deferral.
async fn answer(h: &Harness, user: UserId, command: SlashCommand) -> SentMessage {
    h.answer_deferred(user, command).await
}

fn attachment(m: &SentMessage, name: &str) -> String {
    let a = m
        .attachments
        .iter()
        .find(|a| a.filename == name)
        .unwrap_or_else(|| panic!("no {name} attached: {m:#?}"));
    String::from_utf8(a.data.clone()).unwrap()
}

/// The CSV's rows as maps from column to value (quoted fields are unquoted).
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let parse = |line: &str| {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        out.push(cur);
        out
    };
    let mut lines = text.lines();
    let header = parse(lines.next().unwrap());
    lines.map(|l| header.iter().cloned().zip(parse(l)).collect()).collect()
}

async fn suggestions_with_their_buttons(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer(&["rust", "career"], 2))
        .await
        .unwrap();
    e.set_profile(GUILD, PEER3, &profile("Linus", "Europe/Helsinki"))
        .await
        .unwrap();
    e.create_offer(GUILD, PEER3, &offer(&["go"], 1)).await.unwrap();
    // Only people who said they may be suggested are.
    for who in [MENTOR, PEER3] {
        assert!(e.set_suggestable(GUILD, who, true).await.unwrap());
    }

    let text = answer(&h, MENTEE, cmd("mentor suggest")).await.content;
    assert!(text.contains("no profile"), "{text}");
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    let text = answer(&h, MENTEE, cmd("mentor suggest")).await.content;
    assert!(text.contains("no open request or offer"), "{text}");
    let asked = e
        .create_request(GUILD, MENTEE, &request(&["Rust"], &["classic"]))
        .await
        .unwrap();

    let list = answer(&h, MENTEE, cmd("mentor suggest")).await;
    let text = &list.content;
    let ada = text.find(&format!("<@{}>", MENTOR.0)).expect("Ada is suggested");
    let linus = text.find(&format!("<@{}>", PEER3.0)).expect("Linus is suggested");
    assert!(ada < linus, "the better fit first: {text}");
    assert!(text.contains("you both want to work on Rust"), "{text}");
    // How much time both have, never when the other is free.
    assert!(text.contains("you share 6 hours a week"), "{text}");
    assert!(!text.contains("18:00") && !text.contains("your time"), "{text}");
    let buttons = list.custom_ids();
    assert_eq!(
        buttons[0],
        format!("mb:sugr:{}:{}:{}:0", GUILD.0, MENTEE.0, MENTOR.0),
        "{buttons:?}"
    );

    // Someone else pressing Grace's button is refused and nothing is sent.
    let refused = h.press(list.id, STRANGER, &buttons[0]).await;
    assert!(
        refused.is_ephemeral() && refused.content().unwrap().contains("not for you"),
        "{refused:?}"
    );
    assert!(e.relationships(GUILD, MENTOR).await.unwrap().is_empty());

    let sent = h.press(list.id, MENTEE, &buttons[0]).await;
    assert!(sent.content().unwrap().contains("Invitation sent"), "{sent:?}");
    let rel = e.relationships(GUILD, MENTOR).await.unwrap().remove(0);
    assert_eq!(rel.origin, Origin::DirectRequest);
    assert_eq!((rel.mentor(), rel.mentee()), (Some(MENTOR), Some(MENTEE)));
    assert_eq!(rel.purpose, asked.purpose, "the purpose of Grace's request");
    assert_eq!(rel.request, Some(asked.id));
    let (msg, accept) = h.wait_button(MENTOR, "mb:acc:").await;
    assert!(h.fake.message(msg).unwrap().content.contains(&asked.purpose));
    let accepted = h.press(msg, MENTOR, &accept).await;
    assert!(accepted.content().unwrap().contains("You accepted"), "{accepted:?}");

    // A mentor with an open offer gets mentees, with an Offer button; Grace is taken now.
    e.set_profile(GUILD, STRANGER, &profile("Mallory", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, STRANGER, &request(&["career"], &["reverse"]))
        .await
        .unwrap();
    assert!(e.set_suggestable(GUILD, STRANGER, true).await.unwrap());
    let list = answer(&h, MENTOR, cmd("mentor suggest")).await;
    assert!(!list.content.contains(&format!("<@{}>", MENTEE.0)), "{}", list.content);
    assert!(
        list.content.contains("you both want to work on career"),
        "{}",
        list.content
    );
    assert!(list.content.contains("you share"), "{}", list.content);
    assert!(!list.content.contains("their time"), "{}", list.content);
    let buttons = list.custom_ids();
    assert_eq!(
        buttons,
        vec![format!("mb:sugo:{}:{}:{}:1", GUILD.0, MENTOR.0, STRANGER.0)]
    );
    let sent = h.press(list.id, MENTOR, &buttons[0]).await;
    assert!(sent.content().unwrap().contains("Invitation sent"), "{sent:?}");
    let (msg, _) = h.wait_button(STRANGER, "mb:acc:").await;
    assert!(h
        .fake
        .message(msg)
        .unwrap()
        .content
        .contains("Help with rust and career"));
    let rel = e.relationships(GUILD, STRANGER).await.unwrap().remove(0);
    assert_eq!((rel.origin, rel.kind.as_str()), (Origin::DirectOffer, "reverse"));
    h.shutdown().await;
}

async fn preview_publish_answers_and_export(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let owner = UserId(OWNER);
    h.say(owner, cmd("program setup").channel("channel", channel())).await;
    // The bonus for people left unplaced is a program setting, checked on our side.
    let bonus = |v: f64| cmd("program setup").opt("unplaced_bonus", OptionValue::Number(v));
    let text = h.say(owner, bonus(1.5).str("reminder_lead_times", "2h")).await;
    assert!(
        text.contains("unplaced bonus") && text.contains("from 0 to 1"),
        "{text}"
    );
    let text = h.say(STRANGER, bonus(0.5)).await;
    assert!(text.to_lowercase().contains("only server admins"), "{text}");
    let settings = e.program_settings(GUILD).await.unwrap();
    assert_eq!(settings.reminder_leads, vec![1440, 60], "nothing saved");
    assert_eq!(e.unplaced_bonus(GUILD).await.unwrap(), 0.1, "the default");
    let text = h.say(owner, bonus(0.5).str("reminder_lead_times", "whenever")).await;
    assert!(text.contains("reminder lead times"), "{text}");
    assert_eq!(e.unplaced_bonus(GUILD).await.unwrap(), 0.1, "nothing saved");
    let text = h.say(owner, bonus(0.25)).await;
    assert!(text.contains("Priority bonus for people left unplaced: 0.25"), "{text}");
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, MENTOR, &offer(&["rust"], 1)).await.unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, MENTEE, &request(&["rust"], &["classic"]))
        .await
        .unwrap();
    e.set_profile(GUILD, STRANGER, &profile("Mallory", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, STRANGER, &request(&["rust", "go"], &["classic"]))
        .await
        .unwrap();
    e.create_request(GUILD, PEER4, &request(&["rust"], &["classic"]))
        .await
        .unwrap();

    // Members who are not organisers are refused on our side, whatever Discord shows them.
    for path in ["program match preview", "program match publish", "program export"] {
        let m = answer(&h, STRANGER, cmd(path)).await;
        assert!(
            m.content.to_lowercase().contains("only server admins"),
            "{path}: {}",
            m.content
        );
        assert!(m.attachments.is_empty(), "{path}");
        let m = answer(&h, UserId(COORDINATOR), cmd(path)).await;
        assert!(
            m.content.to_lowercase().contains("only server admins"),
            "{path}: {}",
            m.content
        );
    }
    assert!(e.relationships(GUILD, MENTEE).await.unwrap().is_empty());
    assert!(h.fake.dms_to(MENTEE.0).is_empty());
    h.say(owner, cmd("program setup").role("coordinator_role", COORDINATOR_ROLE))
        .await;

    // The preview: one place for two mentees, one without a profile.
    let m = answer(&h, UserId(COORDINATOR), cmd("program match preview")).await;
    let text = &m.content;
    assert!(
        text.contains("Placed: 1 (1 in pairs, 0 in 0 peer group(s)). Unplaced: 2."),
        "{text}"
    );
    assert!(text.contains("Capacity use: 1 of 1 free places"), "{text}");
    assert!(
        text.contains("Never paired before: 1 of 1 placed mentees (100%)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("- no mentor with capacity left: 1 (<@{}>)", STRANGER.0)),
        "{text}"
    );
    assert!(
        text.contains(&format!("- no profile yet (time zone unknown): 1 (<@{}>)", PEER4.0)),
        "{text}"
    );
    let rows = csv_rows(&attachment(&m, "match-preview.csv"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    let pair = &rows[0];
    assert_eq!(pair["mentee"], MENTEE.0.to_string());
    assert_eq!(pair["mentor"], MENTOR.0.to_string());
    // Same zone and windows, the one topic shared, no skills, coaching offered but hands-on
    // wanted, methods shared, kind offered: 0.30 + 0 + 0 + 0.10 + 0.20 + 0.05 + 0.10.
    assert_eq!(pair["topic"], "1");
    assert_eq!(pair["skill"], "0");
    assert_eq!(pair["style"], "0");
    assert_eq!(pair["availability"], "1");
    assert!((pair["score"].parse::<f64>().unwrap() - 0.75).abs() < 1e-12, "{pair:?}");
    assert!(pair["reasons"].contains("you both want to work on rust"), "{pair:?}");
    assert_eq!(rows[1]["mentee"], STRANGER.0.to_string());
    assert!(
        rows[1]["reasons"].starts_with("unplaced: no mentor with capacity left"),
        "{rows:?}"
    );
    assert_eq!(rows[2]["mentee"], PEER4.0.to_string());
    assert!(
        e.relationships(GUILD, MENTEE).await.unwrap().is_empty(),
        "a preview changes nothing"
    );

    // The export is the match command's input, and solves to what the preview showed.
    let m = answer(&h, owner, cmd("program export")).await;
    let exported = attachment(&m, "program.json");
    let program = matching::parse_program(&exported).expect("the export parses");
    let solved = matching::solve(&program);
    assert_eq!(solved.pairs.len(), 1);
    assert_eq!(solved.pairs[0].mentee, MENTEE.0.to_string());
    assert_eq!(solved.pairs[0].score.to_string(), pair["score"]);
    assert_eq!(solved.unmatched[0].mentee, STRANGER.0.to_string());
    // And `mentorbot match` itself reads it the same way.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("program.json");
    std::fs::write(&input, &exported).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mentorbot"))
        .args(["match", "--input"])
        .arg(&input)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let offline: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(offline["optimal"], serde_json::json!(true));
    assert_eq!(offline["pairs"].as_array().unwrap().len(), 1);
    assert_eq!(offline["pairs"][0]["mentee"], serde_json::json!(MENTEE.0.to_string()));
    assert_eq!(offline["pairs"][0]["mentor"], serde_json::json!(MENTOR.0.to_string()));
    assert_eq!(
        offline["pairs"][0]["score"].as_f64().unwrap().to_string(),
        pair["score"]
    );
    assert_eq!(
        offline["unmatched"][0]["mentee"],
        serde_json::json!(STRANGER.0.to_string())
    );

    // Publish: both people get the proposal with the reasons and the buttons.
    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(
        m.content.contains("Sent 1 pair proposal(s) and 0 peer group"),
        "{}",
        m.content
    );
    assert_eq!(h.world.store.unplaced(GUILD).await.unwrap(), vec![STRANGER]);
    let mut invites = Vec::new();
    for who in [MENTOR, MENTEE] {
        let (msg, accept) = h.wait_button(who, "mb:acc:").await;
        let dm = h.fake.message(msg).unwrap();
        assert!(dm.content.contains("organisers propose"), "{}", dm.content);
        assert!(
            dm.content.contains("**Why:** you both want to work on rust"),
            "{}",
            dm.content
        );
        assert!(
            dm.content.contains("Get better at rust"),
            "the request's purpose: {}",
            dm.content
        );
        assert!(dm.custom_ids().iter().any(|c| c.starts_with("mb:dec:")));
        invites.push((who, msg, accept));
    }
    let mentor_dm = h.fake.message(invites[0].1).unwrap().content;
    assert!(
        mentor_dm.contains("their time"),
        "the mentor reads it their way: {mentor_dm}"
    );
    // A second publish sends nothing new.
    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(m.content.contains("Nothing new to send"), "{}", m.content);
    assert_eq!(e.relationships(GUILD, MENTEE).await.unwrap().len(), 1);
    assert_eq!(h.fake.dms_to(MENTEE.0).len(), 1);

    for (who, msg, accept) in &invites {
        let a = h.press(*msg, *who, accept).await;
        assert!(a.content().unwrap().contains("You accepted"), "{a:?}");
    }
    let rel = e.relationships(GUILD, MENTEE).await.unwrap().remove(0);
    assert_eq!((rel.state, rel.origin), (State::Accepted, Origin::ProgramMatch));

    // A second mentor; Mallory, left unplaced, has the bonus now. She declines.
    e.set_profile(GUILD, PEER3, &profile("Linus", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_offer(GUILD, PEER3, &offer(&["go"], 1)).await.unwrap();
    let m = answer(&h, owner, cmd("program match preview")).await;
    assert!(
        m.content
            .contains("Priority bonus 0.25 for 1 person(s) left unplaced last time"),
        "{}",
        m.content
    );
    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(m.content.contains("Sent 1 pair proposal(s)"), "{}", m.content);
    assert!(
        h.world.store.unplaced(GUILD).await.unwrap().is_empty(),
        "placed: cleared"
    );
    let (msg, _) = h.wait_button(STRANGER, "mb:acc:").await;
    let decline = h
        .fake
        .message(msg)
        .unwrap()
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("mb:dec:"))
        .unwrap();
    let a = h.press(msg, STRANGER, &decline).await;
    assert!(a.content().unwrap().contains("You declined"), "{a:?}");
    let rel = e.relationships(GUILD, STRANGER).await.unwrap().remove(0);
    assert_eq!((rel.state, rel.mentor()), (State::Declined, Some(PEER3)));

    // Both are free again, and that pair is not made again.
    let m = answer(&h, owner, cmd("program match preview")).await;
    assert!(m.content.contains("Capacity use: 0 of 1 free places"), "{}", m.content);
    let rows = csv_rows(&attachment(&m, "match-preview.csv"));
    let mallory = rows.iter().find(|r| r["mentee"] == STRANGER.0.to_string()).unwrap();
    assert!(mallory["reasons"].contains("excluded"), "{mallory:?}");
    let m = answer(&h, owner, cmd("program export")).await;
    let exported: serde_json::Value = serde_json::from_str(&attachment(&m, "program.json")).unwrap();
    assert!(exported["exclude"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!([PEER3.0.to_string(), STRANGER.0.to_string()])));
    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(m.content.contains("Nothing new to send"), "{}", m.content);
    assert_eq!(e.relationships(GUILD, STRANGER).await.unwrap().len(), 1);
    h.shutdown().await;
}

async fn peer_groups_formed_explained_and_invited(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let owner = UserId(OWNER);
    e.create_request(GUILD, MENTEE, &request(&["rust", "wasm"], &["peer"]))
        .await
        .unwrap();
    e.create_request(GUILD, PEER3, &request(&["Rust", "WASM"], &["peer"]))
        .await
        .unwrap();
    e.create_request(GUILD, PEER4, &request(&["rust"], &["peer"]))
        .await
        .unwrap();
    e.create_request(GUILD, STRANGER, &request(&["painting"], &["peer"]))
        .await
        .unwrap();

    let m = answer(&h, owner, cmd("program match preview")).await;
    let group = format!("<@{}>, <@{}>, <@{}>", MENTEE.0, PEER3.0, PEER4.0);
    assert!(
        m.content.contains(&format!("- {group}: you all want to work on rust")),
        "{}",
        m.content
    );
    assert!(
        m.content
            .contains("Placed: 3 (0 in pairs, 3 in 1 peer group(s)). Unplaced: 1."),
        "{}",
        m.content
    );
    assert!(m.content.contains("no peer group"), "{}", m.content);
    let rows = csv_rows(&attachment(&m, "match-preview.csv"));
    assert_eq!(
        rows.iter().filter(|r| r["mentor"] == "peer group 1").count(),
        3,
        "{rows:?}"
    );

    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(
        m.content.contains("0 pair proposal(s) and 1 peer group"),
        "{}",
        m.content
    );
    let mut invites = Vec::new();
    for who in [MENTEE, PEER3, PEER4] {
        let (msg, accept) = h.wait_button(who, "mb:acc:").await;
        let dm = h.fake.message(msg).unwrap().content;
        assert!(dm.contains("**peer** mentorship"), "{dm}");
        assert!(dm.contains("**Why:** you all want to work on rust"), "{dm}");
        invites.push((who, msg, accept));
    }
    assert!(h.fake.dms_to(STRANGER.0).is_empty());
    let rel = e.relationships(GUILD, PEER4).await.unwrap().remove(0);
    assert_eq!(
        (rel.proposer, rel.origin, rel.members.len()),
        (owner, Origin::ProgramMatch, 3)
    );
    let m = answer(&h, owner, cmd("program match publish")).await;
    assert!(m.content.contains("Nothing new to send"), "{}", m.content);
    for (who, msg, accept) in &invites {
        h.press(*msg, *who, accept).await;
    }
    let rel = e.relationships(GUILD, PEER4).await.unwrap().remove(0);
    assert_eq!(rel.state, State::Accepted);
    assert_eq!(rel.joined().count(), 3);
    h.shutdown().await;
}

on_both_backends!(
    suggestions_with_their_buttons,
    preview_publish_answers_and_export,
    peer_groups_formed_explained_and_invited
);
