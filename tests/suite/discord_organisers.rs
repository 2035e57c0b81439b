//! The organisers' part through the Discord stand-in: `/program stats` (a PNG chart and the
//! numbers of the seeded program), `/program export` (the program file and the relationships'
//! CSV), the weekly digest on its schedule, who may see them, and that no member's words reach
//! an organiser.
use crate::common;

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use common::discord::{channel, cmd, Harness, COORDINATOR, COORDINATOR_ROLE, OWNER};
use common::fixtures::*;
use common::organisers::{now, seed, SECRET};
use common::World;
use fake_discord::{SentMessage, SlashCommand};
use mentorbot::domain::UserId;

/// Runs a command; returns its ephemeral answer, which comes after a deferral.
async fn answer(h: &Harness, user: UserId, command: SlashCommand) -> SentMessage {
    h.answer_deferred(user, command).await
}

fn file<'a>(m: &'a SentMessage, name: &str) -> &'a [u8] {
    &m.attachments
        .iter()
        .find(|a| a.filename == name)
        .unwrap_or_else(|| panic!("no {name} attached: {m:#?}"))
        .data
}

/// CSV rows by their first column (no field in this CSV is quoted).
fn rows(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let row: HashMap<String, String> = header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(str::to_string))
                .collect();
            (row["relationship"].clone(), row)
        })
        .collect()
}

/// The organisers' own channel (only they read it).
fn organisers_channel() -> u64 {
    GUILD.0 + 2
}

fn digests(h: &Harness) -> Vec<String> {
    h.fake
        .messages_in(organisers_channel())
        .into_iter()
        .map(|m| m.content)
        .filter(|c| c.contains("Weekly program digest"))
        .collect()
}

async fn stats_exports_and_the_digest(w: World) {
    let h = Harness::start(w).await;
    h.fake.add_channel(fake_discord::FakeChannel::text(
        organisers_channel(),
        GUILD.0,
        "organisers",
    ));
    let owner = UserId(OWNER);
    // A bad time zone is refused and nothing is saved.
    let text = h.say(owner, cmd("program setup").str("timezone", "Mars/Olympus")).await;
    assert!(text.contains("time zone"), "{text}");
    assert!(h.world.store.program_settings(GUILD).await.unwrap().is_none());
    let text = h
        .say(
            owner,
            cmd("program setup")
                .channel("channel", channel())
                .channel("coordinator_channel", organisers_channel())
                .role("coordinator_role", COORDINATOR_ROLE)
                .str("timezone", "Europe/Berlin"),
        )
        .await;
    assert!(
        text.contains("Digest to the coordinator: Mondays 09:00 (Europe/Berlin)"),
        "{text}"
    );
    let s = seed(&h.world).await;

    // Members who are not organisers are refused on our side, whatever Discord shows them.
    for path in ["program stats", "program export"] {
        let m = answer(&h, STRANGER, cmd(path)).await;
        assert!(
            m.content.to_lowercase().contains("only server admins"),
            "{path}: {}",
            m.content
        );
        assert!(m.attachments.is_empty(), "{path}");
    }

    // The coordinator's stats: the chart and the numbers of the seeded program.
    let m = answer(&h, UserId(COORDINATOR), cmd("program stats")).await;
    let text = &m.content;
    assert!(
        text.contains("**Mentorships by phase:** proposed 1, active 3, ended 1"),
        "{text}"
    );
    assert!(
        text.contains("**Check-ins, last 12 weeks:** 4 held, 3 missed"),
        "{text}"
    );
    assert!(text.contains("This week: 2 held, 0 missed."), "{text}");
    assert!(
        text.contains("2 of 4 held check-ins (50%) have a journal entry"),
        "{text}"
    );
    assert!(text.contains("🟢 1 green, 🟠 1 amber, 🔴 1 red"), "{text}");
    let png = file(&m, "program-stats.png");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("it decodes");
    assert_eq!(
        (info.width, info.height),
        (mentorbot::charts::WIDTH, mentorbot::charts::HEIGHT)
    );
    assert!(!text.contains(SECRET), "{text}");

    // The export: the program file as before, and one CSV row per relationship.
    let m = answer(&h, owner, cmd("program export")).await;
    let program = String::from_utf8(file(&m, "program.json").to_vec()).unwrap();
    mentorbot::matching::parse_program(&program).expect("the program file parses");
    let csv = String::from_utf8(file(&m, "relationships.csv").to_vec()).unwrap();
    let by_id = rows(&csv);
    assert_eq!(by_id.len(), 5, "{csv}");
    let row = |id: mentorbot::domain::RelationshipId| &by_id[&id.0.to_string()];
    let expect = [
        (s.amber, "active", "4", "2", "1", "amber"),
        (s.red, "active", "4", "1", "2", "red"),
        (s.green, "active", "1", "1", "0", "green"),
        (s.proposed, "proposed", "0", "0", "0", ""),
        (s.ended, "ended", "0", "0", "0", ""),
    ];
    for (id, phase, planned, held, missed, health) in expect {
        let r = row(id);
        assert_eq!(
            (
                r["phase"].as_str(),
                r["checkins_planned"].as_str(),
                r["checkins_held"].as_str(),
                r["checkins_missed"].as_str(),
                r["health"].as_str()
            ),
            (phase, planned, held, missed, health),
            "{csv}"
        );
    }
    assert_eq!(
        row(s.amber)["members"],
        format!("mentor:{} mentee:{}", MENTOR.0, MENTEE.0)
    );
    assert_eq!(row(s.amber)["start"], "2026-03-03");
    assert_eq!(row(s.ended)["ended"], common::start_time().date_naive().to_string());
    assert!(!csv.contains(SECRET) && !program.contains(SECRET), "{csv}");

    // The digest planned at setup (Monday 2026-03-09 09:00 Berlin) is overdue by the seeded
    // clock: it runs once, with today's numbers, in the organisers' channel.
    assert!(digests(&h).is_empty());
    h.run_jobs().await;
    let posted = digests(&h);
    assert_eq!(posted.len(), 1, "{posted:?}");
    let d = &posted[0];
    assert!(d.contains(&format!("<@&{COORDINATOR_ROLE}>")), "{d}");
    assert!(
        d.contains("**Requests waiting for a match:** 2 (1 new this week)"),
        "{d}"
    );
    assert!(
        d.contains(&format!("**Unplaced by the last matching run:** 1 (<@{}>)", PEER4.0)),
        "{d}"
    );
    assert!(d.contains("🟢 1 green, 🟠 1 amber, 🔴 1 red"), "{d}");
    assert!(d.contains(&format!("#{} (red), #{} (amber)", s.red, s.amber)), "{d}");
    assert!(!d.contains(SECRET), "{d}");
    let sent = h
        .fake
        .messages_in(organisers_channel())
        .into_iter()
        .find(|m| m.content.contains("Weekly program digest"))
        .unwrap();
    assert!(sent.nonce.is_some(), "sent with its job's nonce");
    // Running again sends nothing new.
    h.run_jobs().await;
    assert_eq!(digests(&h).len(), 1);

    // The next one: Monday 2026-06-01 09:00 in Berlin, which is 07:00 UTC in summer.
    let next = Utc.with_ymd_and_hms(2026, 6, 1, 7, 0, 0).unwrap();
    assert!(next > now());
    h.world.clock.set(next - Duration::minutes(1));
    h.run_jobs().await;
    assert_eq!(digests(&h).len(), 1, "not before its time");
    h.world.clock.set(next);
    h.run_jobs().await;
    assert_eq!(digests(&h).len(), 2, "the next week's");
    h.run_jobs().await;
    assert_eq!(digests(&h).len(), 2);

    // Nothing any organiser saw holds a member's words, and the program channel, which every
    // participant sees, got nothing at all.
    for m in h.fake.messages_in(organisers_channel()) {
        assert!(!m.content.contains(SECRET), "{}", m.content);
    }
    let posted: Vec<String> = h
        .fake
        .messages_in(channel())
        .into_iter()
        .filter(|m| !m.is_ephemeral())
        .map(|m| m.content)
        .collect();
    assert!(posted.is_empty(), "{posted:?}");
    h.shutdown().await;
}

/// Without a program channel the digest goes to the server owner by DM.
async fn digest_to_the_owner_without_a_channel(w: World) {
    let h = Harness::start(w).await;
    let text = h
        .say(UserId(OWNER), cmd("program setup").str("digest", "0 18 * * fri"))
        .await;
    assert!(
        text.contains("Digest to the coordinator: cron 0 18 * * fri (UTC)"),
        "{text}"
    );
    let text = h
        .say(UserId(OWNER), cmd("program setup").str("digest", "sometimes"))
        .await;
    assert!(text.contains("digest"), "{text}");
    // The first Friday 18:00 UTC after the start (Monday 2026-03-02).
    h.world.clock.set(Utc.with_ymd_and_hms(2026, 3, 6, 18, 0, 0).unwrap());
    h.run_jobs().await;
    let dms: Vec<String> = h
        .fake
        .dms_to(OWNER)
        .into_iter()
        .map(|m| m.content)
        .filter(|c| c.contains("Weekly program digest"))
        .collect();
    assert_eq!(dms.len(), 1, "{dms:?}");
    assert!(dms[0].contains("**Requests waiting for a match:** 0"), "{}", dms[0]);
    h.shutdown().await;
}

on_both_backends!(stats_exports_and_the_digest, digest_to_the_owner_without_a_channel);
