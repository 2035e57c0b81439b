//! Members' data rights through the Discord stand-in: `/mentor my-data`, `/mentor forget`, and
//! nobody reading another person's journal through any command or button.
use crate::common;

use common::discord::{cmd, Harness};
use common::fixtures::*;
use common::World;
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{EndReason, State};
use mentorbot::domain::RelationshipId;
use mentorbot::engine::Direction;
use mentorbot::jobs::JobState;

/// A command that answers after a deferral: the final text of its answer.
async fn say_deferred(h: &Harness, user: mentorbot::domain::UserId, command: fake_discord::SlashCommand) -> String {
    h.answer_deferred(user, command).await.content
}

/// A pair with an agreement, a plan, a check-in, journal entries on both sides (one of the
/// mentee's shared), an ended earlier mentorship with retrospectives, and open listings.
async fn rich_history(h: &Harness) -> (RelationshipId, RelationshipId) {
    let e = &h.world.engine;
    for (who, name) in [(MENTOR, "Ada"), (MENTEE, "Grace"), (PEER3, "Linus")] {
        e.set_profile(GUILD, who, &profile(name, "Europe/Berlin"))
            .await
            .unwrap();
    }
    e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    // An earlier mentorship, ended, with both retrospectives.
    let old = e
        .propose_direct(GUILD, MENTEE, PEER3, Kind::Reverse, Direction::Request, "Old times")
        .await
        .unwrap();
    e.accept(GUILD, old.id, PEER3).await.unwrap();
    e.end(GUILD, old.id, MENTEE, EndReason::GoalsMet).await.unwrap();
    for who in [MENTEE, PEER3] {
        let input = mentorbot::domain::retrospective::RetrospectiveInput {
            learned: format!("retro of {who}"),
            differently: None,
            celebrate: None,
            celebrate_publicly: false,
        };
        e.write_retrospective(GUILD, old.id, who, &input).await.unwrap();
    }
    // The current one.
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let (_, v) = e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, v).await.unwrap();
    let goal = e.add_goal(GUILD, rel.id, MENTEE, "Ship it").await.unwrap();
    e.add_step(GUILD, rel.id, MENTOR, goal.id, "Review", Some(MENTEE), None)
        .await
        .unwrap();
    e.record_checkin(GUILD, rel.id, MENTEE, true, Some("went well"))
        .await
        .unwrap();
    let private = e
        .write_journal(
            GUILD,
            rel.id,
            MENTEE,
            None,
            &[("Q".into(), "mentee private words".into())],
        )
        .await
        .unwrap();
    let shared = e
        .write_journal(
            GUILD,
            rel.id,
            MENTEE,
            None,
            &[("Q".into(), "mentee shared words".into())],
        )
        .await
        .unwrap();
    e.share_journal(GUILD, shared.id, MENTEE, true).await.unwrap();
    e.write_journal(
        GUILD,
        rel.id,
        MENTOR,
        None,
        &[("Q".into(), "mentor private words".into())],
    )
    .await
    .unwrap();
    assert!(!private.shared);
    (rel.id, old.id)
}

async fn my_data_is_everything_about_me_and_nothing_private_of_others(w: World) {
    let h = Harness::start(w).await;
    rich_history(&h).await;
    let text = say_deferred(&h, MENTEE, cmd("mentor my-data")).await;
    assert!(text.contains("in your DMs"), "{text}");
    let dm = h
        .dms(MENTEE, 1)
        .await
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .expect("a DM with the file");
    assert_eq!(dm.attachments[0].filename, "mentorbot-my-data.json");
    let data: serde_json::Value = serde_json::from_slice(&dm.attachments[0].data).unwrap();
    assert_eq!(data["user"], MENTEE.0.to_string());
    assert_eq!(data["profile"]["display_name"], "Grace");
    assert_eq!(data["requests"].as_array().unwrap().len(), 1);
    assert_eq!(data["relationships"].as_array().unwrap().len(), 2);
    let text = data.to_string();
    for mine in [
        "mentee private words",
        "mentee shared words",
        "Ship it",
        "went well",
        "retro of",
    ] {
        assert!(text.contains(mine), "{mine} missing from {text}");
    }
    assert!(
        !text.contains("mentor private words"),
        "another member's private entry leaked"
    );
    assert!(
        !text.contains(&format!("retro of {PEER3}")),
        "another member's retrospective leaked"
    );
    h.shutdown().await;
}

async fn forget_leaves_no_row_naming_the_person(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let (rel, old) = rich_history(&h).await;
    // A proposal the person sent, and one sent to them.
    let sent = e
        .invite_peer_group(GUILD, MENTEE, &[PEER3, PEER4], "Study group")
        .await
        .unwrap();
    assert!(!h.world.columns_containing(&MENTEE.0.to_string()).await.is_empty());

    let text = h.say(MENTEE, cmd("mentor forget")).await;
    assert!(text.contains("cannot be undone"), "{text}");
    // Someone else pressing the person's confirmation changes nothing.
    let original = h
        .fake
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.custom_ids().iter().any(|c| c.starts_with("mb:forget:")))
        .expect("the confirmation");
    let button = original.custom_ids()[0].clone();
    let refused = h.press(original.id, STRANGER, &button).await;
    assert!(refused.content().unwrap().contains("not for you"), "{refused:?}");
    assert!(e.profile(GUILD, MENTEE).await.unwrap().is_some());

    let done = h.press(original.id, MENTEE, &button).await;
    assert!(done.content().unwrap().contains("forgotten"), "{done:?}");
    // The others are told that a member left, nothing more.
    let told = h.dms(MENTOR, 1).await;
    assert!(
        told.iter().any(|m| m.content.contains("a member left the program")),
        "{told:#?}"
    );
    assert!(told.iter().all(|m| !m.content.contains(&MENTEE.0.to_string())));

    // No row in any table names the person.
    let left = h.world.columns_containing(&MENTEE.0.to_string()).await;
    assert!(left.is_empty(), "still naming the person: {left:?}");

    // The others keep their history, and the program its counts.
    let current = e.relationship_for(GUILD, rel, MENTOR).await.unwrap();
    assert_eq!(current.state, State::Ended);
    assert_eq!(current.members.len(), 2);
    assert!(!e.checkins(GUILD, rel, MENTOR).await.unwrap().is_empty());
    let mentor_journal = e.journal(GUILD, MENTOR, Some(rel)).await.unwrap();
    assert_eq!(
        mentor_journal.len(),
        1,
        "only the mentor's own entry is left: {mentor_journal:#?}"
    );
    let older = e.relationship_for(GUILD, old, PEER3).await.unwrap();
    assert_eq!(older.members.len(), 2);
    assert_eq!(h.world.store.retrospectives(GUILD, old).await.unwrap().len(), 1);
    assert_eq!(
        e.relationship_for(GUILD, sent.id, PEER3).await.unwrap().state,
        State::Expired
    );
    // The mentor's own agreement words stay; the person's are gone.
    let terms = &current.agreements[0].terms;
    assert!(terms.expectations.iter().all(|x| x.user != MENTEE));
    // Nothing is left to send about the ended mentorship but the retrospective reminder.
    let pending: Vec<_> = h
        .world
        .jobs
        .jobs_for_relationship(GUILD, rel)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.state == JobState::Pending)
        .map(|j| j.kind)
        .collect();
    assert_eq!(pending, vec!["retro_reminder".to_string()]);
    // Their listing shows them as a former member, not a mention.
    let text = h.say(MENTOR, cmd("mentorship list")).await;
    assert!(text.contains("a former member"), "{text}");
    h.shutdown().await;
}

/// Another person's journal cannot be read through any command or button.
async fn journals_stay_private(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    let (rel, _) = rich_history(&h).await;
    let entries = e.journal(GUILD, MENTEE, Some(rel)).await.unwrap();
    let private = entries.iter().find(|x| !x.shared && x.author == MENTEE).unwrap().id;

    // The mentor sees the mentee's shared entry, never the private one.
    let text = h
        .say(MENTOR, cmd("mentorship journal list").int("mentorship", rel.0))
        .await;
    assert!(text.contains("mentee shared words"), "{text}");
    assert!(!text.contains("mentee private words"), "{text}");
    // A stranger sees nothing of the relationship.
    let text = h
        .say(STRANGER, cmd("mentorship journal list").int("mentorship", rel.0))
        .await;
    assert!(!text.contains("words"), "{text}");
    // Nobody else can share, or un-share, someone's entry.
    // (Entry numbers count within each author's own journal: the number of the mentee's entry
    // in the mentee's journal, or one past the caller's own, names nothing of the caller's.)
    let mentee_number = e
        .my_journal_numbered(GUILD, MENTEE)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, x)| x.id == private)
        .unwrap()
        .0;
    for who in [MENTOR, STRANGER] {
        let own = e.my_journal_numbered(GUILD, who).await.unwrap().len() as i64;
        for n in [own + 1, mentee_number.max(own + 1)] {
            let text = h.say(who, cmd("mentorship journal share").int("entry", n)).await;
            assert!(text.contains("not found"), "{text}");
        }
    }
    for who in [STRANGER] {
        let text = h
            .say(who, cmd("mentorship journal share").int("entry", private.0))
            .await;
        assert!(text.contains("not found"), "{text}");
    }
    assert!(!e
        .journal(GUILD, MENTEE, Some(rel))
        .await
        .unwrap()
        .iter()
        .any(|x| x.id == private && x.shared));
    // The mentor's export holds their own entries only.
    h.say(MENTOR, cmd("mentorship journal export")).await;
    let export = h
        .dms(MENTOR, 1)
        .await
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();
    let file = String::from_utf8(export.attachments[0].data.clone()).unwrap();
    assert!(file.contains("mentor private words"));
    assert!(!file.contains("mentee private words"), "{file}");
    // A stranger's /mentor my-data holds nothing of theirs.
    say_deferred(&h, STRANGER, cmd("mentor my-data")).await;
    let mine = h
        .dms(STRANGER, 1)
        .await
        .into_iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();
    let text = String::from_utf8(mine.attachments[0].data.clone()).unwrap();
    assert!(!text.contains("words"), "{text}");
    // Forms and buttons carry a relationship; a stranger's submission is refused.
    let form =
        mentorbot::discord::ids::CustomId::new(mentorbot::discord::ids::Action::JournalForm, &[GUILD.0, rel.0 as u64])
            .encode();
    let submitted = h
        .fake
        .interaction_modal_submit(common::discord::here(), STRANGER.0, &form, &[("q0", "sneaky")])
        .wait_response()
        .await;
    assert!(
        submitted.content().unwrap().contains("no such mentorship"),
        "{submitted:?}"
    );
    assert!(e.journal(GUILD, STRANGER, None).await.unwrap().is_empty());
    h.shutdown().await;
}

on_both_backends!(
    my_data_is_everything_about_me_and_nothing_private_of_others,
    forget_leaves_no_row_naming_the_person,
    journals_stay_private,
);
