//! Issue 16, item 11, the proof: for every relationship state and every role, `/mentorship
//! list` shows a "Next:" step naming a command or button; the test performs that very step
//! through the Discord stand-in and checks the relationship got where the step said.
use crate::common;

use common::discord::{cmd, Harness, WAIT};
use common::fixtures::*;
use common::World;
use fake_discord::SlashCommand;
use mentorbot::domain::listing::{Kind, ListingStatus, RequestInput};
use mentorbot::domain::relationship::{EndReason, MemberStatus, Relationship, State};
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::domain::UserId;
use mentorbot::engine::{Direction, Engine};

/// Where a row starts.
#[derive(Debug, Clone, Copy)]
enum Start {
    Proposed,
    PeerProposed,
    Accepted,
    Agreeing,
    ActiveNoGoals,
    ActiveWithGoals,
    PeerActive,
    Paused,
    EndedNoRetro,
    EndedRetro,
    Declined,
    Expired,
}

/// The step the list names, as the test performs it.
enum Step {
    /// A command with its answer.
    Say(SlashCommand),
    /// A command that opens a form, with what is typed in.
    Form(SlashCommand, Vec<(&'static str, &'static str)>),
    /// A button of the viewer's DMs (custom id prefix), maybe opening a form.
    Button(String, Vec<(&'static str, &'static str)>),
}

struct Row {
    start: Start,
    viewer: UserId,
    /// What the "Next:" says (a command or a button's label).
    names: &'static str,
    step: fn(i64) -> Step,
    /// Where the step leads, checked on the relationship (and the world).
    reached: &'static str,
}

fn agreement_cmd(r: i64) -> SlashCommand {
    cmd("mentorship agreement")
        .int("mentorship", r)
        .str("frequency", "weekly")
        .str("time", "18:30")
        .str("timezone", "Europe/Berlin")
        .str("start", "2026-03-10")
        .int("length", 45)
        .str("method", "video")
}

const AGREEMENT_FIELDS: [(&str, &str); 2] = [("expectations", "Questions first"), ("issue_handling", "Talk")];

fn rows() -> Vec<Row> {
    vec![
        Row {
            start: Start::Proposed,
            viewer: MENTOR,
            names: "/mentorship answer",
            step: |r| Step::Say(cmd("mentorship answer").int("mentorship", r).int("answer", 0)),
            reached: "accepted",
        },
        Row {
            start: Start::Proposed,
            viewer: MENTEE,
            names: "/mentorship withdraw",
            step: |r| Step::Say(cmd("mentorship withdraw").int("mentorship", r)),
            reached: "declined",
        },
        Row {
            start: Start::PeerProposed,
            viewer: PEER3,
            names: "/mentorship answer",
            step: |r| Step::Say(cmd("mentorship answer").int("mentorship", r).int("answer", 0)),
            reached: "peer joined",
        },
        Row {
            start: Start::PeerProposed,
            viewer: MENTEE,
            names: "/mentorship withdraw",
            step: |r| Step::Say(cmd("mentorship withdraw").int("mentorship", r)),
            reached: "declined",
        },
        Row {
            start: Start::Accepted,
            viewer: MENTOR,
            names: "/mentorship agreement",
            step: |r| Step::Form(agreement_cmd(r), AGREEMENT_FIELDS.to_vec()),
            reached: "agreeing",
        },
        Row {
            start: Start::Accepted,
            viewer: MENTEE,
            names: "/mentorship agreement",
            step: |r| Step::Form(agreement_cmd(r), AGREEMENT_FIELDS.to_vec()),
            reached: "agreeing",
        },
        Row {
            start: Start::Agreeing,
            viewer: MENTOR,
            names: "Confirm button",
            step: |_| Step::Button("mb:conf:".into(), Vec::new()),
            reached: "active",
        },
        Row {
            start: Start::Agreeing,
            viewer: MENTEE,
            names: "wait for the others to confirm version 1 (yours is recorded); /mentorship agreement",
            step: |r| Step::Form(agreement_cmd(r), AGREEMENT_FIELDS.to_vec()),
            reached: "version 2",
        },
        Row {
            start: Start::ActiveNoGoals,
            viewer: MENTEE,
            names: "/mentorship plan add",
            step: |r| Step::Say(cmd("mentorship plan add").int("mentorship", r).str("goal", "Ship it")),
            reached: "a goal",
        },
        Row {
            start: Start::ActiveNoGoals,
            viewer: MENTOR,
            names: "/mentorship plan add",
            step: |r| Step::Say(cmd("mentorship plan add").int("mentorship", r).str("goal", "Ship it")),
            reached: "a goal",
        },
        Row {
            start: Start::ActiveWithGoals,
            viewer: MENTOR,
            names: "/mentorship checkin",
            step: |r| Step::Say(cmd("mentorship checkin").int("mentorship", r).bool("met", false)),
            reached: "a check-in",
        },
        Row {
            start: Start::ActiveWithGoals,
            viewer: MENTEE,
            names: "/mentorship checkin",
            step: |r| Step::Say(cmd("mentorship checkin").int("mentorship", r).bool("met", false)),
            reached: "a check-in",
        },
        Row {
            start: Start::PeerActive,
            viewer: PEER4,
            names: "/mentorship plan add",
            step: |r| Step::Say(cmd("mentorship plan add").int("mentorship", r).str("goal", "Study")),
            reached: "a goal",
        },
        Row {
            start: Start::Paused,
            viewer: MENTOR,
            names: "/mentorship resume",
            step: |r| Step::Say(cmd("mentorship resume").int("mentorship", r)),
            reached: "active",
        },
        Row {
            start: Start::Paused,
            viewer: MENTEE,
            names: "/mentorship resume",
            step: |r| Step::Say(cmd("mentorship resume").int("mentorship", r)),
            reached: "active",
        },
        Row {
            start: Start::EndedNoRetro,
            viewer: MENTOR,
            names: "Write my retrospective",
            step: |_| Step::Button("mb:retro:".into(), vec![("learned", "Patience")]),
            reached: "retrospective",
        },
        Row {
            start: Start::EndedNoRetro,
            viewer: MENTEE,
            names: "Write my retrospective",
            step: |_| Step::Button("mb:retro:".into(), vec![("learned", "Patience")]),
            reached: "retrospective",
        },
        Row {
            start: Start::EndedRetro,
            viewer: MENTEE,
            names: "Find me another",
            step: |_| Step::Button("mb:another:".into(), vec![("purpose", "Next steps in Rust")]),
            reached: "request open",
        },
        Row {
            start: Start::Declined,
            viewer: MENTEE,
            names: "/mentor request",
            step: |_| {
                Step::Form(
                    cmd("mentor request").user("user", PEER3.0),
                    vec![("purpose", "Learn Go")],
                )
            },
            reached: "new invitation",
        },
        Row {
            start: Start::Expired,
            viewer: MENTOR,
            names: "/mentor request",
            step: |_| {
                Step::Form(
                    cmd("mentor request").user("user", PEER3.0),
                    vec![("purpose", "Learn Go")],
                )
            },
            reached: "new invitation",
        },
    ]
}

fn request_input() -> RequestInput {
    RequestInput {
        purpose: "Grow as an engineer".into(),
        goals: vec!["rust".into()],
        kinds: vec!["classic".into()],
        styles: vec![],
    }
}

/// Brings a fresh relationship of MENTEE (and MENTOR, or a peer group) to `start`, with the
/// bot's DMs (invitation, agreement, end) sent as they would be.
async fn set_up(h: &Harness, start: Start) -> Relationship {
    let e = &h.world.engine;
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    let peers = matches!(start, Start::PeerProposed | Start::PeerActive);
    let rel = if peers {
        e.invite_peer_group(GUILD, MENTEE, &[PEER3, PEER4], "Study together")
            .await
            .unwrap()
    } else {
        e.propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
            .await
            .unwrap()
    };
    h.bot.on_proposed(&rel).await;
    let r = rel.id;
    match start {
        Start::Proposed | Start::PeerProposed => return rel,
        Start::Declined => return e.decline(GUILD, r, MENTOR).await.unwrap(),
        Start::Expired => {
            h.world.clock.advance(chrono::Duration::days(8));
            assert_eq!(h.bot.sweep_expired().await, 1);
            return e.relationship_for(GUILD, r, MENTOR).await.unwrap();
        }
        _ => {}
    }
    let joiners: &[UserId] = if peers { &[PEER3, PEER4] } else { &[MENTOR] };
    let mut rel = rel;
    for &u in joiners {
        rel = e.accept(GUILD, r, u).await.unwrap();
    }
    if let Start::Accepted = start {
        return rel;
    }
    let (rel, v) = e.propose_agreement(GUILD, r, MENTEE, &agreement()).await.unwrap();
    h.bot.on_agreement(&rel).await;
    if let Start::Agreeing = start {
        return rel;
    }
    for &u in joiners {
        e.confirm_agreement(GUILD, r, u, v).await.unwrap();
    }
    match start {
        Start::ActiveNoGoals | Start::PeerActive => {}
        Start::ActiveWithGoals => {
            e.add_goal(GUILD, r, MENTEE, "Ship a service").await.unwrap();
        }
        Start::Paused => {
            e.pause(GUILD, r, MENTEE).await.unwrap();
        }
        Start::EndedNoRetro | Start::EndedRetro => {
            let rel = e.end(GUILD, r, MENTOR, EndReason::GoalsMet).await.unwrap();
            h.bot.on_ended(&rel).await;
            if let Start::EndedRetro = start {
                let input = RetrospectiveInput {
                    learned: "Ownership".into(),
                    ..Default::default()
                };
                e.write_retrospective(GUILD, r, MENTEE, &input).await.unwrap();
            }
        }
        _ => unreachable!(),
    }
    e.relationship_for(GUILD, r, MENTEE).await.unwrap()
}

/// The relationship got where the row's step leads.
async fn check_reached(e: &Engine, row: &Row, before: &Relationship) {
    let r = before.id;
    let now = e.relationship_for(GUILD, r, row.viewer).await.unwrap();
    let ok = match row.reached {
        "accepted" => now.state == State::Accepted,
        "declined" => now.state == State::Declined,
        "agreeing" => now.state == State::Agreeing,
        "active" => now.state == State::Active,
        "version 2" => now.state == State::Agreeing && now.latest_agreement().unwrap().version == 2,
        "peer joined" => now.member(row.viewer).unwrap().status == MemberStatus::Joined,
        "a goal" => !e.plan(GUILD, r, row.viewer).await.unwrap().is_empty(),
        "a check-in" => e
            .checkins(GUILD, r, row.viewer)
            .await
            .unwrap()
            .iter()
            .any(|c| c.reported_by == Some(row.viewer)),
        "retrospective" => e.my_retrospective(GUILD, r, row.viewer).await.unwrap().is_some(),
        "request open" => e.requests_of(GUILD, row.viewer).await.unwrap()[0].status == ListingStatus::Open,
        "new invitation" => e
            .relationships(GUILD, row.viewer)
            .await
            .unwrap()
            .iter()
            .any(|x| x.id != r && x.state == State::Proposed),
        other => panic!("no such end: {other}"),
    };
    assert!(
        ok,
        "{:?} as {:?}: expected {}, got {:?}",
        row.start, row.viewer, row.reached, now.state
    );
}

/// Performs the step through the stand-in, as the viewer would.
async fn perform(h: &Harness, row: &Row, r: i64) {
    match (row.step)(r) {
        Step::Say(c) => {
            let text = h.say(row.viewer, c).await;
            assert!(!text.contains("cannot") && !text.contains("no such"), "{text}");
        }
        Step::Form(c, fields) => {
            let text = h.form(row.viewer, c, &fields).await;
            assert!(!text.contains("cannot"), "{text}");
        }
        Step::Button(prefix, fields) => {
            let (msg, id) = h.wait_button(row.viewer, &format!("{prefix}{}:{r}", GUILD.0)).await;
            let handle = h.fake.interaction_button(msg, row.viewer.0, &id);
            let response = handle.wait_response().await;
            if response.is_modal() {
                let submitted = h.fake.submit_modal(&handle, &fields);
                let answer = submitted.wait_response().await;
                if answer.is_deferred() {
                    submitted.wait_followups(1, WAIT).await;
                }
            }
        }
    }
}

async fn every_state_and_role_has_a_next_step(
    new_world: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<World>>>>,
) {
    for row in rows() {
        let Some(w) = new_world().await else { return };
        let h = Harness::start(w).await;
        let rel = set_up(&h, row.start).await;
        let r = rel.id.0;
        let list = h.say(row.viewer, cmd("mentorship list")).await;
        let line = list
            .lines()
            .find(|l| l.contains(&format!("**#{r}**")))
            .unwrap_or_else(|| panic!("{:?}: the list shows #{r}: {list}", row.start));
        let next = line
            .split_once("Next: ")
            .map(|x| x.1)
            .unwrap_or_else(|| panic!("{line}"));
        assert!(next.contains(row.names), "{:?} as {:?}: {line}", row.start, row.viewer);
        // The phase is said once: no hint in brackets repeating the next step.
        assert!(
            !line.contains("(write the agreement)") && !line.contains("(confirm the agreement)"),
            "{line}"
        );
        if matches!(row.start, Start::ActiveNoGoals | Start::ActiveWithGoals) {
            assert!(
                line.contains("First meeting: <t:"),
                "the first meeting is shown: {line}"
            );
        }
        perform(&h, &row, r).await;
        check_reached(&h.world.engine, &row, &rel).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn every_state_and_role_has_a_next_step_on_sqlite() {
    every_state_and_role_has_a_next_step(|| Box::pin(async { Some(World::sqlite().await) })).await
}

#[tokio::test]
async fn every_state_and_role_has_a_next_step_on_postgres() {
    every_state_and_role_has_a_next_step(|| Box::pin(World::postgres())).await
}
