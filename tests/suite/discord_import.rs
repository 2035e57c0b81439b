//! `/program import` through the Discord stand-in (issue 17): a 300-row file with 20 bad rows of
//! different kinds; the dry run lists exactly those with their line numbers and saves nothing;
//! Apply (after a restart) creates the rest and each person gets one DM; the same file again
//! changes nothing; a changed row updates; refusals (not an organiser, too large, not a CSV)
//! change nothing; `/mentor forget` removes a pending import naming the person.
use crate::common;

use std::collections::BTreeMap;

use common::discord::{cmd, Harness, OWNER, WAIT};
use common::fixtures::*;
use common::World;
use fake_discord::{FakeAttachment, FakeUser, SentMessage};
use mentorbot::domain::listing::ListingStatus;
use mentorbot::domain::UserId;

/// The people of the file: members of the server added for it.
const PEOPLE: u64 = 285;
const FIRST: u64 = 910_000_000_000_000_000;
const BOT_MEMBER: u64 = 910_000_000_000_099_999;

fn person(i: u64) -> UserId {
    UserId(FIRST + i)
}

fn username(i: u64) -> String {
    format!("person{i:03}")
}

fn role_of(i: u64) -> &'static str {
    ["mentor", "mentee", "both"][(i % 3) as usize]
}

/// A good row for person `i`: some by username, the rest by id; some with the longest purpose
/// the bot takes; purposes with commas and quotes (quoted as CSV does).
fn good_row(i: u64, capacity: u32) -> String {
    let who = if i.is_multiple_of(25) {
        username(i)
    } else {
        person(i).0.to_string()
    };
    let purpose = if i.is_multiple_of(40) {
        "p".repeat(1000)
    } else {
        format!("Grow, with \"\"care\"\", in area {i}")
    };
    let cap = if role_of(i) == "mentee" {
        String::new()
    } else {
        capacity.to_string()
    };
    format!(
        "{who},{},rust|career,code review,{cap},Europe/Berlin,tue 18:00-20:00|sat 10:00-12:00,\"{purpose}\"",
        role_of(i)
    )
}

/// The 20 bad rows, each with a word its reason must contain.
fn bad_rows() -> Vec<(String, &'static str)> {
    let good = |i: u64| good_row(i, 2);
    vec![
        ("910000000000099998,mentor,rust,,2,UTC,,Teach".to_string(), "no member"),
        ("nobody_here,mentee,rust,,,UTC,,Learn".to_string(), "no member"),
        (format!("{},boss,rust,,2,UTC,,Teach", person(280).0), "role"),
        (format!("{},,rust,,2,UTC,,Teach", person(281).0), "role"),
        (
            format!("{},mentee,rust,,,Mars/Olympus,,Learn", person(282).0),
            "time zone",
        ),
        (format!("{},mentee,rust,,,+25:00,,Learn", person(283).0), "time zone"),
        (format!("{},mentor,rust,,eleven,UTC,,Teach", person(284).0), "capacity"),
        (format!("{},mentor,rust,,0,UTC,,Teach", person(280).0), "capacity"),
        (format!("{},both,rust,,11,UTC,,Teach", person(281).0), "capacity"),
        (
            format!("{},mentee,rust,,,UTC,,{}", person(282).0, "x".repeat(1001)),
            "purpose",
        ),
        (
            format!("{},mentor,rust,,1,UTC,,{}", person(283).0, "é".repeat(1500)),
            "purpose",
        ),
        (good(3), "same person"),
        (good(25), "same person"),
        (format!("{},mentee,rust,,,UTC,Learn", person(284).0), "columns"),
        (format!("{},mentee,rust,,,UTC,,Learn,extra", person(284).0), "columns"),
        (format!("{BOT_MEMBER},mentee,rust,,,UTC,,Learn"), "bot"),
        (
            format!("{},mentee,rust,,,UTC,whenever,Learn", person(280).0),
            "availability",
        ),
        (",mentee,rust,,,UTC,,Learn".to_string(), "user"),
        (format!("{},mentee,,,,UTC,,Learn", person(281).0), "goal"),
        ("12345,mentee,rust,,,UTC,,Learn".to_string(), "user id"),
    ]
}

const HEADER: &str = "user,role,topics,skills,capacity,timezone,availability,purpose";

/// The file: 280 good rows and the 20 bad ones spread among them. Returns it and the bad rows'
/// line numbers with the word each reason must contain.
fn file(capacity_of_6: u32) -> (String, BTreeMap<u64, &'static str>) {
    let mut lines = vec![HEADER.to_string()];
    let mut bad = BTreeMap::new();
    let mut bads = bad_rows().into_iter();
    for i in 0..280 {
        lines.push(good_row(i, if i == 6 { capacity_of_6 } else { 2 }));
        if i % 14 == 13 {
            let (row, why) = bads.next().expect("20 bad rows");
            lines.push(row);
            bad.insert(lines.len() as u64, why);
        }
    }
    assert_eq!(bads.next(), None);
    assert_eq!(lines.len(), 301, "300 rows and the header");
    (lines.join("\n") + "\n", bad)
}

fn csv(text: &str) -> FakeAttachment {
    FakeAttachment::new("people.csv", Some("text/csv; charset=utf-8"), text.as_bytes().to_vec())
}

fn attached(m: &SentMessage, name: &str) -> String {
    let a = m
        .attachments
        .iter()
        .find(|a| a.filename == name)
        .unwrap_or_else(|| panic!("no {name} attached: {m:#?}"));
    String::from_utf8(a.data.clone()).unwrap()
}

/// The check file's rows: line -> (result, detail).
fn check_rows(m: &SentMessage) -> BTreeMap<u64, (String, String)> {
    let text = attached(m, "import-check.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), (r[3].to_string(), r[4].to_string()))
        })
        .collect()
}

async fn profiles(h: &Harness) -> usize {
    let mut n = 0;
    for i in 0..PEOPLE {
        if h.world.store.profile(GUILD, person(i)).await.unwrap().is_some() {
            n += 1;
        }
    }
    n
}

/// Everything the import may touch, as text.
async fn state(h: &Harness) -> String {
    let s = &h.world.store;
    let mut out = String::new();
    for i in 0..PEOPLE {
        out += &format!("{:?}\n", s.profile(GUILD, person(i)).await.unwrap());
        out += &format!("{:?}\n", s.offers_of(GUILD, person(i)).await.unwrap());
        out += &format!("{:?}\n", s.requests_of(GUILD, person(i)).await.unwrap());
    }
    out
}

async fn dry_run(h: &Harness, text: &str) -> SentMessage {
    let answer = h
        .answer_deferred(UserId(OWNER), cmd("program import").attachment("file", csv(text)))
        .await;
    assert!(answer.content.chars().count() <= 2000);
    answer
}

/// Presses Apply on a dry run's answer; returns the follow-up's text.
async fn apply(h: &Harness, answer: &SentMessage) -> String {
    let id = answer
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("mb:impapply:"))
        .unwrap_or_else(|| panic!("no Apply button: {answer:#?}"));
    let press = h.fake.interaction_button(answer.id, OWNER, &id);
    assert!(press.wait_response().await.is_deferred());
    press.wait_followups(1, WAIT).await.remove(0).content
}

async fn import_a_program(w: World) {
    let mut h = Harness::start(w).await;
    for i in 0..PEOPLE {
        h.fake.add_member(GUILD.0, FakeUser::new(person(i).0, username(i)));
        // Their DM channels are known (as after earlier DMs): the welcomes cost one request each.
        let dm = h.fake.open_dm(person(i).0);
        h.world.store.set_dm_channel(person(i), dm).await.unwrap();
    }
    h.fake.add_member(GUILD.0, FakeUser::bot(BOT_MEMBER, "helperbot"));
    // The gateway tells the bot of its new members, as Discord does when they join.
    h.fake.send_guild_create(GUILD.0);
    let deadline = tokio::time::Instant::now() + WAIT;
    while h
        .world
        .store
        .guild_member(GUILD, person(PEOPLE - 1))
        .await
        .unwrap()
        .is_none()
    {
        assert!(tokio::time::Instant::now() < deadline, "the members were recorded");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (text, bad) = file(2);
    let before = state(&h).await;

    // Not an organiser: refused before the file is read; nothing changes.
    let refused = h
        .say(STRANGER, cmd("program import").attachment("file", csv(&text)))
        .await;
    assert!(refused.contains("Only server admins"), "{refused}");
    // Over the size limit, not a CSV, not the import's header, not UTF-8: refused clearly.
    let big = format!("{HEADER}\n{}", "x".repeat(1024 * 1024));
    let refusals = [
        (csv(&big), "at most 1024 KB"),
        (
            FakeAttachment::new("people.png", Some("image/png"), vec![0x89, b'P', b'N', b'G']),
            "not a CSV file",
        ),
        (
            csv("name,email\nada,ada@example.com\n"),
            "the first line must be the header",
        ),
        (
            FakeAttachment::new("people.csv", Some("text/csv"), vec![0xff, 0xfe, b'u', 0x00]),
            "not UTF-8",
        ),
    ];
    for (file, why) in refusals {
        let said = h
            .say(UserId(OWNER), cmd("program import").attachment("file", file))
            .await;
        assert!(said.contains(why), "{why}: {said}");
    }
    assert_eq!(state(&h).await, before, "a refused file changes nothing");

    // The dry run: exactly the 20 bad rows, by line, and nothing saved.
    let answer = dry_run(&h, &text).await;
    assert!(
        answer
            .content
            .contains("300 rows: 280 new people, 0 updated, 0 unchanged, 20 bad"),
        "{}",
        answer.content
    );
    let rows = check_rows(&answer);
    assert_eq!(rows.len(), 300);
    let listed: BTreeMap<u64, String> = rows
        .iter()
        .filter(|(_, (result, _))| result == "bad")
        .map(|(line, (_, why))| (*line, why.clone()))
        .collect();
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        bad.keys().collect::<Vec<_>>(),
        "{listed:#?}"
    );
    for (line, word) in &bad {
        assert!(
            listed[line].contains(word),
            "line {line}: {} lacks {word}",
            listed[line]
        );
    }
    // The first bad rows are in the message itself, with their line numbers.
    let (first, _) = bad.iter().next().unwrap();
    assert!(
        answer.content.contains(&format!("line {first}: ")),
        "{}",
        answer.content
    );
    assert_eq!(state(&h).await, before, "the dry run saves nothing");

    // Apply works after a restart: the dry run waits in the database.
    h.restart(true).await;
    let applied = apply(&h, &answer).await;
    assert!(applied.contains("280 people enrolled, 0 updated"), "{applied}");
    assert_eq!(profiles(&h).await, 280);
    for i in [0u64, 1, 2, 25, 40] {
        let offers = h.world.store.offers_of(GUILD, person(i)).await.unwrap();
        let requests = h.world.store.requests_of(GUILD, person(i)).await.unwrap();
        let role = role_of(i);
        assert_eq!(offers.len(), usize::from(role != "mentee"), "{i}");
        assert_eq!(requests.len(), usize::from(role != "mentor"), "{i}");
        if let Some(o) = offers.first() {
            assert_eq!((o.capacity, o.status), (2, ListingStatus::Open));
            assert_eq!(o.topics, vec!["rust", "career"]);
        }
        let p = h.world.store.profile(GUILD, person(i)).await.unwrap().unwrap();
        assert_eq!(p.availability.len(), 2);
        assert_eq!(p.display_name, username(i));
    }
    // Pressing Apply again does nothing more.
    let again = apply(&h, &answer).await;
    assert!(again.contains("applied already"), "{again}");

    // One DM each, saying who enrolled them, with the question about suggestions.
    h.run_jobs().await;
    for i in 0..280 {
        let dms = h.fake.dms_to(person(i).0);
        assert_eq!(dms.len(), 1, "person {i}: {dms:#?}");
        assert!(dms[0]
            .content
            .contains(&format!("<@{OWNER}> (an organiser) enrolled you")));
        assert!(dms[0].content.contains("/mentor forget"));
    }
    let welcome = &h.fake.dms_to(person(0).0)[0];
    let yes = welcome
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("mb:impsug:") && c.split('~').next().is_some_and(|id| id.ends_with(":1")))
        .unwrap();
    // Only the person answers for themselves.
    let other = h.fake.interaction_button_forged(welcome.id, person(1).0, &yes);
    assert!(other
        .wait_response()
        .await
        .content()
        .unwrap_or_default()
        .contains("not for you"));
    assert!(!h.bot.engine.is_suggestable(GUILD, person(1)).await.unwrap());
    let own = h.fake.interaction_button(welcome.id, person(0).0, &yes);
    assert!(own
        .wait_response()
        .await
        .content()
        .unwrap_or_default()
        .contains("may now see you"));
    assert!(h.bot.engine.is_suggestable(GUILD, person(0)).await.unwrap());

    // The same file again changes nothing: no Apply button, no DM.
    let after = state(&h).await;
    let again = dry_run(&h, &text).await;
    assert!(
        again.content.contains("0 new people, 0 updated, 280 unchanged, 20 bad"),
        "{}",
        again.content
    );
    assert!(!again.custom_ids().iter().any(|c| c.starts_with("mb:impapply:")));
    assert_eq!(state(&h).await, after);

    // One row changed: that person's offer is updated in place and they are told once.
    let (changed, _) = file(5);
    let dry = dry_run(&h, &changed).await;
    assert!(
        dry.content.contains("0 new people, 1 updated, 279 unchanged"),
        "{}",
        dry.content
    );
    let done = apply(&h, &dry).await;
    assert!(done.contains("0 people enrolled, 1 updated"), "{done}");
    let offers = h.world.store.offers_of(GUILD, person(6)).await.unwrap();
    assert_eq!(offers.iter().map(|o| o.capacity).collect::<Vec<_>>(), vec![5]);
    h.run_jobs().await;
    let dms = h.fake.dms_to(person(6).0);
    assert_eq!(dms.len(), 2);
    assert!(dms[1].content.contains("updated your enrolment"), "{}", dms[1].content);

    // The organisers' log names who imported.
    let log = h.world.store.organiser_log(GUILD, None).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "import" && e.actor == UserId(OWNER))
            .count(),
        2
    );

    // A pending import naming a person goes when they ask to be forgotten.
    let (back, _) = file(3);
    let pending = dry_run(&h, &back).await;
    let id: i64 = pending
        .custom_ids()
        .into_iter()
        .find_map(|c| c.strip_prefix("mb:impapply:").map(str::to_string))
        .and_then(|c| c.rsplit(':').next().unwrap().parse().ok())
        .unwrap();
    assert!(h.world.store.pending_import(GUILD, id).await.unwrap().is_some());
    h.bot.engine.forget(GUILD, person(6)).await.unwrap();
    assert!(h.world.store.pending_import(GUILD, id).await.unwrap().is_none());
    let gone = apply(&h, &pending).await;
    assert!(gone.contains("applied already"), "{gone}");
    h.shutdown().await;
}

/// Two presses of Apply at once (two processes, say) apply the dry run once: one offer or
/// request per person and one welcome each.
async fn two_applies_at_once_apply_once(w: World) {
    use mentorbot::engine::hands::Organiser;
    use mentorbot::engine::import::ImportRow;
    let text = format!(
        "{HEADER}\n{},mentor,rust,,2,UTC,,Teach\n{},mentee,rust,,,UTC,,Learn\n",
        MENTOR.0, MENTEE.0
    );
    let file = mentorbot::domain::import::read(text.as_bytes()).unwrap();
    let rows: Vec<ImportRow> = file
        .rows
        .into_iter()
        .map(|r| ImportRow {
            line: r.line,
            user: match r.who {
                mentorbot::domain::import::Who::Id(id) => UserId(id),
                other => panic!("{other}"),
            },
            name: "someone".into(),
            fields: r.fields,
        })
        .collect();
    let roles = Vec::new();
    let who = Organiser {
        user: UserId(OWNER),
        is_admin: true,
        roles: &roles,
    };
    let plan = w.engine.plan_import(GUILD, who, rows, Vec::new()).await.unwrap();
    let id = plan.id.expect("two people to enrol");
    let (a, b) = tokio::join!(
        w.engine.apply_import(GUILD, who, id),
        w.engine.apply_import(GUILD, who, id)
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    assert_eq!(w.store.offers_of(GUILD, MENTOR).await.unwrap().len(), 1);
    assert_eq!(w.store.requests_of(GUILD, MENTEE).await.unwrap().len(), 1);
    assert_eq!(w.jobs.counts(Some(GUILD)).await.unwrap().pending, 2);
}

on_both_backends!(import_a_program, two_applies_at_once_apply_once);
