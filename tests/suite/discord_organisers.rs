//! The organisers' part through the Discord stand-in: `/program stats` (a PNG chart and the
//! numbers of the seeded program), `/program export` (the program file and the relationships'
//! CSV), the weekly digest on its schedule, who may see them, and that no member's words reach
//! an organiser.
use crate::common;

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use common::discord::{button, channel, cmd, Harness, COORDINATOR, COORDINATOR_ROLE, OWNER};
use common::fixtures::*;
use common::organisers::{now, seed, SECRET};
use common::World;
use fake_discord::{SentMessage, SlashCommand};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::State;
use mentorbot::domain::{RelationshipId, UserId};
use mentorbot::engine::Direction;

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
    assert!(
        text.contains("Server Settings > Integrations > this bot > Manage > Add Roles or Members"),
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
    // Names beside the ids, and each person's answer.
    assert_eq!(row(s.amber)["names"], "ada (mentor); grace (mentee)");
    assert_eq!(row(s.amber)["statuses"], "mentor:joined mentee:joined");
    assert_eq!(row(s.proposed)["names"], "linus (mentor); mallory (mentee)");
    assert_eq!(row(s.proposed)["statuses"], "mentor:invited mentee:joined");
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
    let (red_no, amber_no) = (h.world.number(GUILD, s.red).await, h.world.number(GUILD, s.amber).await);
    assert!(d.contains(&format!("#{red_no} (red), #{amber_no} (amber)")), "{d}");
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
    assert!(
        !text.contains("Integrations"),
        "no coordinator role, no override to make: {text}"
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

/// The command's first answer is ephemeral; a deferred one is followed by its text.
async fn said(h: &Harness, user: UserId, command: SlashCommand) -> String {
    h.say(user, command).await
}

async fn autocomplete(h: &Harness, user: u64, partial: &str) -> Vec<(String, serde_json::Value)> {
    h.fake
        .interaction_autocomplete(
            common::discord::here(),
            user,
            cmd("program mentorship view").focus("mentorship", partial),
        )
        .wait_response()
        .await
        .choices()
}

async fn state_of(h: &Harness, id: RelationshipId) -> State {
    h.world.store.relationship(GUILD, id).await.unwrap().unwrap().state
}

/// `/program mentorship view|pause|resume|end|nudge`: an organiser's hands on one mentorship,
/// found by a member's name; refusals change nothing; members are told; the log records who did
/// what and `/mentor forget` covers it.
async fn hands_on_single_mentorships(w: World) {
    let h = Harness::start(w).await;
    let owner = UserId(OWNER);
    let cora = UserId(COORDINATOR);
    h.say(
        owner,
        cmd("program setup")
            .channel("channel", channel())
            .role("coordinator_role", COORDINATOR_ROLE),
    )
    .await;
    let s = seed(&h.world).await;
    // A mentorship of another server, with the same people.
    let e = &h.world.engine;
    for u in [MENTEE, MENTOR] {
        let m = mentorbot::store::privacy::GuildMember {
            user: u,
            bot: false,
            roles: vec![],
        };
        e.record_member(OTHER_GUILD, &m).await.unwrap();
    }
    let elsewhere = e
        .propose_direct(
            OTHER_GUILD,
            MENTEE,
            MENTOR,
            Kind::Classic,
            Direction::Request,
            "Learn C",
        )
        .await
        .unwrap();
    e.accept(OTHER_GUILD, elsewhere.id, MENTOR).await.unwrap();

    // Found by a member's name, for organisers only.
    let choices = autocomplete(&h, COORDINATOR, "grace").await;
    let values: Vec<String> = choices.iter().map(|c| c.1.as_str().unwrap().to_string()).collect();
    assert!(values.contains(&s.amber.0.to_string()), "{choices:?}");
    assert!(!values.contains(&s.green.0.to_string()), "{choices:?}");
    assert!(
        choices.iter().all(|c| c.0.to_lowercase().contains("grace")),
        "{choices:?}"
    );
    assert!(autocomplete(&h, STRANGER.0, "grace").await.is_empty());

    // Refusals: not an organiser, another server's mentorship, none at all, a wrong phase.
    let before: Vec<_> = [s.amber, s.red, s.green, s.proposed, s.ended]
        .iter()
        .map(|id| (*id, id.0))
        .collect();
    for action in ["view", "pause", "resume", "end", "nudge"] {
        let path = format!("program mentorship {action}");
        let text = said(&h, STRANGER, cmd(&path).str("mentorship", &s.red.0.to_string())).await;
        assert!(text.contains("Only server admins"), "{action}: {text}");
        let text = said(&h, cora, cmd(&path).str("mentorship", &elsewhere.id.0.to_string())).await;
        assert!(
            text.contains(&format!("no mentorship #{}", elsewhere.id.0)),
            "{action}: {text}"
        );
        let text = said(&h, cora, cmd(&path).str("mentorship", "grace")).await;
        assert!(text.contains("pick a mentorship"), "{action}: {text}");
    }
    let text = said(
        &h,
        cora,
        cmd("program mentorship resume").str("mentorship", &s.amber.0.to_string()),
    )
    .await;
    assert!(text.contains("cannot resume a mentorship that is active"), "{text}");
    let text = said(
        &h,
        cora,
        cmd("program mentorship nudge").str("mentorship", &s.ended.0.to_string()),
    )
    .await;
    assert!(text.contains("nobody to nudge"), "{text}");
    let other = h
        .world
        .store
        .relationship(OTHER_GUILD, elsewhere.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.state, State::Accepted);
    for (id, _) in &before {
        let expected = if *id == s.proposed {
            State::Proposed
        } else if *id == s.ended {
            State::Ended
        } else {
            State::Active
        };
        assert_eq!(state_of(&h, *id).await, expected);
    }
    assert!(h.world.store.organiser_log(GUILD, None).await.unwrap().is_empty());
    assert!(h.fake.dms_to(MENTOR.0).is_empty() && h.fake.dms_to(PEER3.0).is_empty());

    // View: members, phase, last check-in, health; nobody's words.
    let text = said(
        &h,
        cora,
        cmd("program mentorship view").str("mentorship", &format!("#{}", h.world.number(GUILD, s.amber).await)),
    )
    .await;
    assert!(
        text.contains(&format!(
            "**Mentorship #{}** (classic, direct request): active",
            h.world.number(GUILD, s.amber).await
        )),
        "{text}"
    );
    assert!(text.contains("health 🟠 amber"), "{text}");
    assert!(text.contains(&format!("<@{}> mentor (joined)", MENTOR.0)), "{text}");
    assert!(text.contains(&format!("<@{}> mentee (joined)", MENTEE.0)), "{text}");
    assert!(
        text.contains("**Last check-in:** <t:") && text.contains("(held)"),
        "{text}"
    );
    assert!(!text.contains(SECRET) && !text.contains("Learn Rust"), "{text}");

    // Pause and resume: the members are told in plain words.
    let red = s.red.0.to_string();
    let text = said(&h, cora, cmd("program mentorship pause").str("mentorship", &red)).await;
    assert!(
        text.contains(&format!("Mentorship #{} is paused", h.world.number(GUILD, s.red).await)),
        "{text}"
    );
    assert_eq!(state_of(&h, s.red).await, State::Paused);
    for u in [MENTOR, PEER3] {
        h.wait_dm(
            u,
            &format!(
                "organisers paused your mentorship #{}",
                h.world.number(GUILD, s.red).await
            ),
        )
        .await;
    }
    let text = said(&h, cora, cmd("program mentorship pause").str("mentorship", &red)).await;
    assert!(text.contains("cannot pause a mentorship that is paused"), "{text}");
    let text = said(&h, owner, cmd("program mentorship resume").str("mentorship", &red)).await;
    assert!(text.contains("is resumed"), "{text}");
    assert_eq!(state_of(&h, s.red).await, State::Active);
    h.wait_dm(
        PEER3,
        &format!(
            "organisers resumed your mentorship #{}",
            h.world.number(GUILD, s.red).await
        ),
    )
    .await;

    // Nudges: the invitee of a proposal gets the buttons again; members underway a check-in ask.
    let text = said(
        &h,
        cora,
        cmd("program mentorship nudge").str("mentorship", &s.proposed.0.to_string()),
    )
    .await;
    assert!(text.contains(&format!("a DM went to <@{}>", PEER3.0)), "{text}");
    h.wait_dm(PEER3, "waiting for your answer").await;
    h.wait_button(PEER3, &format!("mb:acc:{}:{}", GUILD.0, s.proposed.0))
        .await;
    assert!(h
        .fake
        .dms_to(STRANGER.0)
        .iter()
        .all(|m| !m.content.contains("reminder")));
    said(
        &h,
        cora,
        cmd("program mentorship nudge").str("mentorship", &s.amber.0.to_string()),
    )
    .await;
    for u in [MENTOR, MENTEE] {
        h.wait_dm(
            u,
            &format!(
                "checking in on your mentorship #{}",
                h.world.number(GUILD, s.amber).await
            ),
        )
        .await;
    }

    // End: the usual end with the retrospective prompt, saying who ended it.
    let text = said(
        &h,
        cora,
        cmd("program mentorship end").str("mentorship", &s.green.0.to_string()),
    )
    .await;
    assert!(text.contains("is ended"), "{text}");
    assert_eq!(state_of(&h, s.green).await, State::Ended);
    let dm = h
        .wait_dm(
            PEER4,
            &format!("Mentorship #{} has ended", h.world.number(GUILD, s.green).await),
        )
        .await;
    assert!(dm.contains(&format!("by <@{COORDINATOR}>")), "{dm}");

    // The log: who did what, when, shown in the view.
    let log = h.world.store.organiser_log(GUILD, None).await.unwrap();
    let actions: Vec<(u64, &str, i64)> = log
        .iter()
        .map(|e| (e.actor.0, e.action.as_str(), e.relationship.unwrap().0))
        .collect();
    assert_eq!(
        actions,
        vec![
            (COORDINATOR, "pause", s.red.0),
            (OWNER, "resume", s.red.0),
            (COORDINATOR, "nudge", s.proposed.0),
            (COORDINATOR, "nudge", s.amber.0),
            (COORDINATOR, "end", s.green.0),
        ]
    );
    let text = said(&h, cora, cmd("program mentorship view").str("mentorship", &red)).await;
    assert!(
        text.contains(&format!("<@{COORDINATOR}> pause")) && text.contains(&format!("<@{OWNER}> resume")),
        "{text}"
    );
    // Forgetting a person reaches the log.
    h.world.engine.forget(GUILD, cora).await.unwrap();
    h.world.engine.forget(GUILD, PEER3).await.unwrap();
    for e in h.world.store.organiser_log(GUILD, None).await.unwrap() {
        assert!(![COORDINATOR, PEER3.0].contains(&e.actor.0), "{e:?}");
        assert_ne!(e.mentor, Some(PEER3));
        assert_ne!(e.mentee, Some(PEER3));
    }
    h.shutdown().await;
}

fn pair_cmd(mentee: UserId, mentor: UserId) -> SlashCommand {
    cmd("program pair").user("mentee", mentee.0).user("mentor", mentor.0)
}

async fn count(h: &Harness) -> usize {
    h.world.store.relationships_in(GUILD).await.unwrap().len()
}

/// `/program pair` proposes as a published match does, under every rule of matching, and
/// `/program unplace` withdraws a program proposal nobody finished answering.
async fn pairs_by_hand_and_withdrawn(w: World) {
    let h = Harness::start(w).await;
    let cora = UserId(COORDINATOR);
    h.say(
        UserId(OWNER),
        cmd("program setup")
            .channel("channel", channel())
            .role("coordinator_role", COORDINATOR_ROLE)
            .int("invitation_limit", 1)
            .int("proposal_expiry_days", 10),
    )
    .await;
    let s = seed(&h.world).await;
    let e = &h.world.engine;
    for (u, name) in [(PEER4, "Margaret"), (MENTOR, "Ada"), (MENTEE, "Grace")] {
        e.set_profile(GUILD, u, &profile(name, "Europe/Berlin")).await.unwrap();
    }
    e.create_offer(GUILD, PEER4, &offer_input(1)).await.unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(5)).await.unwrap();
    let n = count(&h).await;

    // Refusals change nothing: not an organiser, a pair of before, a full mentor, someone paused.
    let text = h.answer_deferred(STRANGER, pair_cmd(PEER3, PEER4)).await.content;
    assert!(text.contains("Only server admins"), "{text}");
    let text = h.answer_deferred(cora, pair_cmd(MENTEE, MENTOR)).await.content;
    assert!(text.contains("were paired before"), "{text}");
    let text = h.answer_deferred(cora, pair_cmd(MENTOR, MENTOR)).await.content;
    assert!(text.contains("two people"), "{text}");
    assert_eq!(count(&h).await, n);
    assert!(h.world.store.organiser_log(GUILD, None).await.unwrap().is_empty());

    // A pair by hand: the published match's DM, with the reasons, Accept / Decline and expiry.
    let text = h.answer_deferred(cora, pair_cmd(PEER3, PEER4)).await.content;
    assert!(
        text.contains(&format!("<@{}> mentors <@{}> (classic)", PEER4.0, PEER3.0)),
        "{text}"
    );
    assert!(text.contains("**Why:**"), "{text}");
    let rels = h.world.store.relationships_of(GUILD, PEER4).await.unwrap();
    let p1 = rels
        .iter()
        .find(|r| r.state == State::Proposed)
        .expect("proposed")
        .clone();
    assert_eq!(p1.origin, mentorbot::domain::relationship::Origin::ProgramMatch);
    assert_eq!(p1.proposer, cora);
    assert_eq!(p1.expires_at, now() + Duration::days(10));
    for u in [PEER3, PEER4] {
        let dm = h
            .wait_dm(
                u,
                &format!(
                    "The program's organisers propose a **classic** mentorship (#{})",
                    p1.number
                ),
            )
            .await;
        assert!(dm.contains("**Why:**"), "{dm}");
        h.wait_button(u, &format!("mb:acc:{}:{}", GUILD.0, p1.id.0)).await;
    }
    // Its place is promised: the mentor has no other.
    let text = h.answer_deferred(cora, pair_cmd(STRANGER, PEER4)).await.content;
    assert!(text.contains("no open offer with a free place"), "{text}");
    e.pause_profile(GUILD, STRANGER, "2026-07-01").await.unwrap();
    let text = h.answer_deferred(cora, pair_cmd(STRANGER, MENTOR)).await.content;
    assert!(text.contains("is paused"), "{text}");
    e.resume_profile(GUILD, STRANGER).await.unwrap();
    assert_eq!(count(&h).await, n + 1);
    // The organiser's invitations count against no limit: a second one while the first waits.
    let text = h.answer_deferred(cora, pair_cmd(STRANGER, MENTOR)).await.content;
    assert!(text.contains("Proposed mentorship #"), "{text}");
    assert_eq!(count(&h).await, n + 2);
    // Someone with a proposal waiting gets no second one.
    let text = h.answer_deferred(cora, pair_cmd(STRANGER, PEER4)).await.content;
    assert!(text.contains("has a proposal waiting"), "{text}");

    // Withdrawing: organisers only, program proposals only, waiting ones only.
    let id = p1.number.to_string();
    let text = h.say(STRANGER, cmd("program unplace").str("mentorship", &id)).await;
    assert!(text.contains("Only server admins"), "{text}");
    let text = h
        .say(
            cora,
            cmd("program unplace").str("mentorship", &s.proposed.0.to_string()),
        )
        .await;
    assert!(text.contains("a member's own invitation"), "{text}");
    let text = h.say(cora, cmd("program unplace").str("mentorship", "999999")).await;
    assert!(text.contains("no mentorship #999999"), "{text}");
    assert_eq!(state_of(&h, p1.id).await, State::Proposed);
    assert_eq!(state_of(&h, s.proposed).await, State::Proposed);
    let text = h.say(cora, cmd("program unplace").str("mentorship", &id)).await;
    assert!(
        text.contains(&format!("Withdrew the proposal of mentorship #{}", p1.number)),
        "{text}"
    );
    assert_eq!(state_of(&h, p1.id).await, State::Expired);
    for u in [PEER3, PEER4] {
        h.wait_dm(u, &format!("withdrew the proposal of mentorship #{}", p1.number))
            .await;
    }
    // Its buttons no longer work.
    let (msg, accept) = button(&h, PEER3, &format!("mb:acc:{}:{}", GUILD.0, p1.id.0));
    h.press(msg, PEER3, &accept).await;
    assert_eq!(state_of(&h, p1.id).await, State::Expired);
    let text = h.say(cora, cmd("program unplace").str("mentorship", &id)).await;
    assert!(text.contains("only a proposal still waiting"), "{text}");

    // Who has not answered: organisers only; the withdrawn proposal is not among them.
    let p2 = h
        .world
        .store
        .relationships_of(GUILD, STRANGER)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.state == State::Proposed && r.origin == mentorbot::domain::relationship::Origin::ProgramMatch)
        .expect("the second pair waits");
    let m = h.answer_deferred(STRANGER, cmd("program invitations")).await;
    assert!(
        m.content.contains("Only server admins") && m.attachments.is_empty(),
        "{}",
        m.content
    );
    let m = h.answer_deferred(cora, cmd("program invitations")).await;
    assert!(
        m.content
            .contains("**Program invitations:** 1 waiting for an answer; 0 declined and 0 lapsed"),
        "{}",
        m.content
    );
    assert!(
        m.content.contains(&format!(
            "#{} <@{}> (mentor), <@{}> (mentee): waiting 0 day(s), expires <t:",
            p2.number, MENTOR.0, STRANGER.0
        )),
        "{}",
        m.content
    );
    assert!(!m.content.contains(&format!("#{} ", p1.number)), "{}", m.content);
    let csv = String::from_utf8(file(&m, "invitations.csv").to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(&format!("{},classic,waiting,", p2.number)), "{csv}");

    // A declined program proposal is reported to the organisers (the coordinators' DMs here).
    let (msg, decline) = button(&h, MENTOR, &format!("mb:dec:{}:{}", GUILD.0, p2.id.0));
    h.press(msg, MENTOR, &decline).await;
    assert_eq!(state_of(&h, p2.id).await, State::Declined);
    h.run_jobs().await;
    let note = h.wait_dm(cora, &format!("The program's proposal #{}", p2.number)).await;
    assert!(note.contains(&format!("was declined by <@{}>", MENTOR.0)), "{note}");
    // The digest names who has not answered, to the organisers.
    let text = h.answer_deferred(cora, pair_cmd(STRANGER, PEER4)).await.content;
    assert!(text.contains("Proposed mentorship #"), "{text}");
    let monday = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    h.world.clock.set(monday);
    h.run_jobs().await;
    let digest = h.wait_dm(cora, "Weekly program digest").await;
    let digest = h
        .fake
        .dms_to(COORDINATOR)
        .into_iter()
        .map(|m| m.content)
        .rfind(|c| c.contains("Weekly program digest"))
        .unwrap_or(digest);
    assert!(
        digest
            .contains("**Program invitations:** 1 waiting for an answer; 1 declined and 0 lapsed in the last 4 weeks."),
        "{digest}"
    );
    assert!(
        digest.contains(&format!("**Not answered yet:** <@{}>, <@{}>.", PEER4.0, STRANGER.0)),
        "{digest}"
    );
    for u in [STRANGER, PEER4, MENTOR] {
        assert!(h
            .fake
            .dms_to(u.0)
            .iter()
            .all(|m| !m.content.contains("Weekly program digest")));
    }
    // A lapsed one too.
    h.world.clock.set(monday + Duration::days(4));
    // The seeded member's own request lapses too; only the program's proposal is reported.
    assert_eq!(h.bot.sweep_expired().await, 2);
    h.run_jobs().await;
    let note = h.wait_dm(cora, "did not answer in time").await;
    let notes = h.fake.dms_to(COORDINATOR);
    assert_eq!(
        notes
            .iter()
            .filter(|m| m.content.contains("The program's proposal #"))
            .count(),
        2,
        "{notes:#?}"
    );
    assert!(
        note.contains(&format!("lapsed: <@{}>, <@{}> did not answer", PEER4.0, STRANGER.0)),
        "{note}"
    );
    let m = h.answer_deferred(cora, cmd("program invitations")).await;
    assert!(
        m.content
            .contains("**Program invitations:** 0 waiting for an answer; 1 declined and 1 lapsed"),
        "{}",
        m.content
    );

    let log: Vec<(u64, String)> = h
        .world
        .store
        .organiser_log(GUILD, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor.0, e.action))
        .collect();
    assert_eq!(
        log,
        vec![
            (COORDINATOR, "pair".to_string()),
            (COORDINATOR, "pair".to_string()),
            (COORDINATOR, "unplace".to_string()),
            (COORDINATOR, "pair".to_string())
        ]
    );
    h.shutdown().await;
}

on_both_backends!(
    stats_exports_and_the_digest,
    digest_to_the_owner_without_a_channel,
    hands_on_single_mentorships,
    pairs_by_hand_and_withdrawn
);
