//! Chemistry and formal criteria (issue 13) end to end through the Discord stand-in: the
//! organisers' `/program question add|list|remove|ready-made` and `/program levels`, members'
//! profession, unit and level in `/mentor profile`, answers in select menus a page at a time,
//! `/mentor seek` with a wish about the mentor's profession, a suggestion and a published
//! proposal whose reasons cite an answer, and every refusal (which changes nothing). Messages
//! stay within Discord's 2,000 characters with the longest inputs the bot accepts.
use crate::common;

use common::discord::{cmd, Harness, OWNER};
use common::fixtures::*;
use common::World;
use fake_discord::{InteractionHandle, InteractionResponse, SentMessage};
use mentorbot::domain::listing::OfferInput;
use mentorbot::domain::questions::{CriteriaInput, QuestionInput, CHOICE_MAX, MAX_QUESTIONS, QUESTION_MAX};
use mentorbot::domain::UserId;

const ORGANISER: UserId = UserId(OWNER);
const DISCORD_MAX: usize = 2000;

/// The ephemeral answer to a command, checked against Discord's length limit.
async fn say(h: &Harness, user: UserId, c: fake_discord::SlashCommand) -> String {
    let text = h.say(user, c).await;
    assert!(
        text.chars().count() <= DISCORD_MAX,
        "{} characters",
        text.chars().count()
    );
    text
}

/// A command's ephemeral answer as a message (its id, text and components).
async fn message_of(handle: &InteractionHandle) -> SentMessage {
    let r = handle.wait_response().await;
    assert!(r.is_ephemeral(), "{r:?}");
    handle.original().expect("the answer is a message")
}

async fn question_count(h: &Harness) -> usize {
    h.world.engine.questions(GUILD).await.unwrap().len()
}

fn select_ids(m: &SentMessage) -> Vec<String> {
    m.custom_ids()
        .into_iter()
        .filter(|c| c.starts_with("mb:qans:"))
        .collect()
}

/// The option labels of every select menu of a message, and which are preselected.
fn options(m: &SentMessage) -> Vec<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for row in m.components.as_array().unwrap() {
        for c in row["components"].as_array().unwrap() {
            if c["type"] == 3 {
                out.push(
                    c["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| (o["label"].as_str().unwrap().to_string(), o["default"] == true))
                        .collect(),
                );
            }
        }
    }
    out
}

fn updated(r: &InteractionResponse) -> String {
    assert_eq!(r.kind, 7, "the page changes in place: {r:?}");
    let text = r.content().unwrap().to_string();
    assert!(text.chars().count() <= DISCORD_MAX);
    text
}

async fn organisers_manage_questions_and_levels(w: World) {
    let h = Harness::start(w).await;
    let text = say(&h, ORGANISER, cmd("program question list")).await;
    assert!(text.contains("No matching questions yet"), "{text}");

    let text = say(
        &h,
        ORGANISER,
        cmd("program question add")
            .str("text", "How do you like meetings to run?")
            .str("choices", "Planned, structured; Spontaneous, open")
            .str("rule", "same"),
    )
    .await;
    assert!(text.contains("Question added"), "{text}");
    assert!(
        text.contains("Choices: Planned, structured; Spontaneous, open"),
        "{text}"
    );
    assert_eq!(question_count(&h).await, 1);

    // Refusals say what to fix and change nothing.
    let refusals = [
        (
            cmd("program question add")
                .str("text", "Q?")
                .str("choices", "only one")
                .str("rule", "same"),
            "Please fix the choices: there are 1 choice(s); give 2 to 10",
        ),
        (
            cmd("program question add")
                .str("text", "Q?")
                .str(
                    "choices",
                    &(1..=11).map(|k| format!("c{k}")).collect::<Vec<_>>().join("; "),
                )
                .str("rule", "same"),
            "there are 11 choice(s)",
        ),
        (
            cmd("program question add")
                .str("text", "Q?")
                .str("choices", "a; b")
                .str("rule", "opposite"),
            "Please fix the rule: \"opposite\" is not a rule",
        ),
        (
            cmd("program question add")
                .str("text", "Q?")
                .str("choices", "a; b")
                .str("rule", "complementary"),
            "Please fix the pairs",
        ),
        (
            cmd("program question add")
                .str("text", "Q?")
                .str("choices", "low; high")
                .str("rule", "mentor-above")
                .bool("multiple", true),
            "set multiple to False",
        ),
        (
            cmd("program question add")
                .str("text", "Q?")
                .str("choices", "a; b")
                .str("rule", "same")
                .opt("weight", fake_discord::OptionValue::Number(12.0)),
            "Please fix the weight",
        ),
        (
            cmd("program question remove").int("id", 424242),
            "there is no question #424242",
        ),
        (
            cmd("program levels").str("ladder", "clinician"),
            "Please fix the levels",
        ),
    ];
    for (c, want) in refusals {
        let text = say(&h, ORGANISER, c).await;
        assert!(text.contains(want), "{want:?} not in {text:?}");
    }
    // Someone who is neither an admin nor a coordinator is refused on our side.
    let text = say(
        &h,
        STRANGER,
        cmd("program question add")
            .str("text", "Q?")
            .str("choices", "a; b")
            .str("rule", "same"),
    )
    .await;
    assert!(
        text.contains("Only server admins and the program's coordinators"),
        "{text}"
    );
    let text = say(&h, STRANGER, cmd("program levels").str("ladder", "a < b")).await;
    assert!(text.contains("Only server admins"), "{text}");
    assert_eq!(question_count(&h).await, 1);
    assert!(h.world.engine.levels(GUILD).await.unwrap().is_empty());

    // The rule is autocompleted.
    let ac = h
        .fake
        .interaction_autocomplete(
            common::discord::here(),
            OWNER,
            cmd("program question add").focus("rule", "men"),
        )
        .wait_response()
        .await;
    assert_eq!(ac.choices()[0].0, "mentor-above");

    let text = say(
        &h,
        ORGANISER,
        cmd("program levels").str("ladder", "student < new grad < clinician < senior clinician < manager"),
    )
    .await;
    assert!(
        text.contains("Levels saved: student < new grad < clinician < senior clinician < manager"),
        "{text}"
    );
    let text = say(&h, ORGANISER, cmd("program question ready-made")).await;
    assert!(text.contains("Added 3 ready-made question(s)"), "{text}");
    assert!(text.contains("not a psychometric test"), "{text}");
    let text = say(&h, ORGANISER, cmd("program question ready-made")).await;
    assert!(text.contains("already in use"), "{text}");

    let list = say(&h, ORGANISER, cmd("program question list")).await;
    assert!(list.contains("(4 of at most 10"), "{list}");
    assert!(list.contains("What pace suits you?"), "{list}");
    assert!(list.contains("Levels: student < new grad"), "{list}");
    let first = h.world.engine.questions(GUILD).await.unwrap()[0].id;
    let one = say(&h, ORGANISER, cmd("program question list").int("id", first.0)).await;
    assert!(one.contains("same answers match"), "{one}");
    let text = say(&h, ORGANISER, cmd("program question remove").int("id", first.0)).await;
    assert!(
        text.contains("removed") && text.contains("what earlier matches and messages said stays"),
        "{text}"
    );
    assert_eq!(question_count(&h).await, 3);

    // The longest questions the bot accepts: every answer still fits one message.
    let long_choices: Vec<String> = (0..10).map(|k| format!("{k}{}", "c".repeat(CHOICE_MAX - 1))).collect();
    for k in 0..(MAX_QUESTIONS - 3) {
        let text = say(
            &h,
            ORGANISER,
            cmd("program question add")
                .str("text", &format!("{k}{}", "q".repeat(QUESTION_MAX - 1)))
                .str("choices", &long_choices.join("; "))
                .str("rule", "different")
                .bool("multiple", true)
                .opt("weight", fake_discord::OptionValue::Number(10.0)),
        )
        .await;
        assert!(text.contains("Question added"), "{text}");
    }
    let text = say(
        &h,
        ORGANISER,
        cmd("program question add")
            .str("text", "Eleventh?")
            .str("choices", "a; b")
            .str("rule", "same"),
    )
    .await;
    assert!(text.contains("the most it can have is 10"), "{text}");
    let list = say(&h, ORGANISER, cmd("program question list")).await;
    assert!(list.contains("(10 of at most 10"), "{list}");
    let last = h.world.engine.questions(GUILD).await.unwrap()[9].id;
    let one = say(&h, ORGANISER, cmd("program question list").int("id", last.0)).await;
    assert!(one.contains(&long_choices[9]), "one question is shown in full");
    h.shutdown().await;
}

async fn members_answer_with_select_menus(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_levels(GUILD, true, &[], "student < new grad < clinician")
        .await
        .unwrap();
    e.add_ready_made(GUILD, true, &[]).await.unwrap();
    let mut multi = QuestionInput {
        text: "Which topics would you like to talk about besides work?".into(),
        choices: "Books; Sport; Music".into(),
        rule: "same".into(),
        ..Default::default()
    };
    multi.multiple = true;
    let multi = e.add_question(GUILD, true, &[], &multi).await.unwrap();
    let mut longest = QuestionInput {
        text: "q".repeat(QUESTION_MAX),
        choices: (0..10)
            .map(|k| format!("{k}{}", "c".repeat(CHOICE_MAX - 1)))
            .collect::<Vec<_>>()
            .join("; "),
        rule: "same".into(),
        ..Default::default()
    };
    longest.multiple = true;
    let longest = e.add_question(GUILD, true, &[], &longest).await.unwrap();

    // Profession, unit and level in /mentor profile; a level the server has not defined is
    // refused and nothing changes.
    say(&h, MENTEE, cmd("mentor profile").str("timezone", "Europe/Berlin")).await;
    let before = format!(
        "{:?}{:?}",
        e.profile(GUILD, MENTEE).await.unwrap(),
        e.criteria(GUILD, MENTEE).await.unwrap()
    );
    let text = say(
        &h,
        MENTEE,
        cmd("mentor profile")
            .str("profession", "Nurse")
            .str("level", "wizard")
            .str("name", "Grace H"),
    )
    .await;
    assert!(
        text.contains("Please fix the level: \"wizard\" is not a level of this server"),
        "{text}"
    );
    assert_eq!(
        format!(
            "{:?}{:?}",
            e.profile(GUILD, MENTEE).await.unwrap(),
            e.criteria(GUILD, MENTEE).await.unwrap()
        ),
        before
    );
    let text = say(
        &h,
        MENTEE,
        cmd("mentor profile")
            .str("profession", "Nurse")
            .str("unit", "Cardiology")
            .str("level", "clinician"),
    )
    .await;
    assert!(
        text.contains("Matching sees your profession Nurse, unit Cardiology, level clinician"),
        "{text}"
    );
    // The level is autocompleted from the server's ladder, the profession from others'.
    let ac = h
        .fake
        .interaction_autocomplete(
            common::discord::here(),
            MENTOR.0,
            cmd("mentor profile").focus("level", "cl"),
        )
        .wait_response()
        .await;
    assert_eq!(
        ac.choices().iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
        vec!["clinician"]
    );
    let ac = h
        .fake
        .interaction_autocomplete(
            common::discord::here(),
            MENTOR.0,
            cmd("mentor profile").focus("profession", "nu"),
        )
        .wait_response()
        .await;
    assert!(ac.choices().iter().any(|c| c.0 == "Nurse"), "{:?}", ac.choices());

    let handle = h.slash(MENTEE, cmd("mentor profile"));
    let profile = message_of(&handle).await;
    assert!(
        profile
            .content
            .contains("Profession: Nurse\nUnit: Cardiology\nLevel: clinician"),
        "{}",
        profile.content
    );
    assert!(
        profile.content.contains("Matching questions: 0 of 5 answered"),
        "{}",
        profile.content
    );
    let open = profile.custom_ids()[0].clone();
    assert_eq!(open, format!("mb:qpage:{}:{}:0:1", GUILD.0, MENTEE.0));
    // Someone else cannot use Grace's button.
    let refused = h.press(profile.id, STRANGER, &open).await;
    assert!(refused.content().unwrap().contains("not for you"), "{refused:?}");

    let page = h.fake.interaction_button(profile.id, MENTEE.0, &open);
    let page = message_of(&page).await;
    assert!(page.content.contains("(page 1 of 2)"), "{}", page.content);
    assert!(page.content.contains("not a psychometric test"), "{}", page.content);
    assert!(
        page.content
            .contains("1. How do you like your meetings to run? (one answer)"),
        "{}",
        page.content
    );
    let selects = select_ids(&page);
    assert_eq!(
        selects.len(),
        4,
        "four menus and a row of page buttons: {:?}",
        page.custom_ids()
    );
    assert!(page
        .custom_ids()
        .iter()
        .any(|c| c == &format!("mb:qpage:{}:{}:1", GUILD.0, MENTEE.0)));

    // An answer is saved as it is picked, and the menu shows it.
    let r = h
        .fake
        .interaction_select(page.id, MENTEE.0, &selects[0], &["0"])
        .wait_response()
        .await;
    let text = updated(&r);
    assert!(
        text.contains("Saved your answer to \"How do you like your meetings to run?\": Planned, structured meetings."),
        "{text}"
    );
    let shown = h.fake.message(page.id).unwrap();
    assert_eq!(
        options(&shown)[0][0],
        ("Planned, structured meetings".to_string(), true)
    );
    let answers = e.my_answers(GUILD, MENTEE).await.unwrap();
    assert_eq!(answers.len(), 1);

    // Discord's client sends only the menu's own options, as many as it allows, so an answer
    // that is not one of the choices cannot come from here: the engine's tests refuse those
    // (tests/matching_criteria.rs). Someone else's use of the menu, and a removed question's
    // old menu (below), are refused here.
    let r = h
        .fake
        .interaction_select(page.id, STRANGER.0, &selects[1], &["0"])
        .wait_response()
        .await;
    assert!(r.content().unwrap().contains("not for you"), "{r:?}");
    assert_eq!(e.my_answers(GUILD, MENTEE).await.unwrap(), answers);
    assert!(e.my_answers(GUILD, STRANGER).await.unwrap().is_empty());

    // Several choices on a multiple-answer question; clearing a menu clears the answer.
    let multi_menu = selects
        .iter()
        .find(|c| c.contains(&format!(":{}:", multi.id)))
        .unwrap()
        .clone();
    let text = updated(
        &h.fake
            .interaction_select(page.id, MENTEE.0, &multi_menu, &["2", "0"])
            .wait_response()
            .await,
    );
    assert!(text.contains("Books; Music"), "{text}");
    let text = updated(
        &h.fake
            .interaction_select(page.id, MENTEE.0, &multi_menu, &[])
            .wait_response()
            .await,
    );
    assert!(text.contains("Cleared your answer"), "{text}");
    assert_eq!(e.my_answers(GUILD, MENTEE).await.unwrap().len(), 1);

    // The next page: the longest question with its ten longest choices, all ten picked.
    let next = format!("mb:qpage:{}:{}:1", GUILD.0, MENTEE.0);
    let text = updated(&h.press(page.id, MENTEE, &next).await);
    assert!(text.contains("(page 2 of 2)"), "{text}");
    let page2 = h.fake.message(page.id).unwrap();
    let menus = select_ids(&page2);
    assert_eq!(menus.len(), 1);
    assert!(menus[0].contains(&format!(":{}:", longest.id)));
    let all: Vec<String> = (0..10).map(|k| k.to_string()).collect();
    let all: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
    let text = updated(
        &h.fake
            .interaction_select(page.id, MENTEE.0, &menus[0], &all)
            .wait_response()
            .await,
    );
    assert!(text.contains("Saved your answer"), "{text}");
    assert!(options(&h.fake.message(page.id).unwrap())[0]
        .iter()
        .all(|(label, on)| *on && label.chars().count() <= 100));

    // A question the organisers removed takes no more answers from an old menu.
    e.remove_question(GUILD, true, &[], longest.id.0).await.unwrap();
    let r = h
        .fake
        .interaction_select(page.id, MENTEE.0, &menus[0], &["0"])
        .wait_response()
        .await;
    assert!(r.content().unwrap().contains("removed"), "{r:?}");
    let text = say(&h, MENTEE, cmd("mentor profile")).await;
    assert!(text.contains("Matching questions: 1 of 4 answered"), "{text}");
    h.shutdown().await;
}

async fn a_suggestion_and_a_proposal_cite_the_answers(w: World) {
    let h = Harness::start(w).await;
    let e = h.world.engine.clone();
    e.set_levels(
        GUILD,
        true,
        &[],
        "student < new grad < clinician < senior clinician < manager",
    )
    .await
    .unwrap();
    let ready = e.add_ready_made(GUILD, true, &[]).await.unwrap();
    let meetings = ready[0].id;
    let offer = OfferInput {
        purpose: "Help with rust".into(),
        topics: vec!["rust".into()],
        skills: vec![],
        kinds: vec!["classic".into()],
        capacity: 1,
        hopes_to_learn: None,
    };
    for (u, name, profession, level) in [
        (MENTOR, "Ada", "Pharmacist", "manager"),
        (PEER3, "Linus", "Nurse", "senior clinician"),
    ] {
        e.set_profile(GUILD, u, &profile(name, "Europe/Berlin")).await.unwrap();
        // Suggestions list only people who said they may be suggested.
        e.set_suggestable(GUILD, u, true).await.unwrap();
        e.set_criteria(
            GUILD,
            u,
            &CriteriaInput {
                profession: Some(profession.into()),
                unit: None,
                level: Some(level.into()),
            },
        )
        .await
        .unwrap();
        e.answer_question(GUILD, u, meetings, &["0".into()]).await.unwrap();
        e.create_offer(GUILD, u, &offer).await.unwrap();
    }
    // Grace sets herself up in Discord: profession, an answer, and a request for a mentor from
    // another profession.
    say(
        &h,
        MENTEE,
        cmd("mentor profile")
            .str("timezone", "Europe/Berlin")
            .str("availability", "tue 18:00-20:00")
            .str("profession", "nurse")
            .str("level", "clinician"),
    )
    .await;
    let handle = h.slash(MENTEE, cmd("mentor profile"));
    let profile_msg = message_of(&handle).await;
    let page = h
        .fake
        .interaction_button(profile_msg.id, MENTEE.0, &profile_msg.custom_ids()[0]);
    let page = message_of(&page).await;
    updated(
        &h.fake
            .interaction_select(page.id, MENTEE.0, &select_ids(&page)[0], &["0"])
            .wait_response()
            .await,
    );
    let text = h
        .form(
            MENTEE,
            cmd("mentor seek")
                .str("goals", "rust")
                .int("mentor_profession", 1 /* another */),
            &[("purpose", "Lead our Rust migration")],
        )
        .await;
    assert!(text.contains("is open"), "{text}");
    let wishes = e.request_wishes(GUILD).await.unwrap();
    assert_eq!(
        wishes.values().collect::<Vec<_>>(),
        vec![&mentorbot::domain::questions::Wish::Other]
    );

    let list = h.answer_deferred(MENTEE, cmd("mentor suggest")).await;
    let text = &list.content;
    assert!(text.chars().count() <= DISCORD_MAX);
    let ada = text.find(&format!("<@{}>", MENTOR.0)).expect("Ada is suggested");
    let linus = text.find(&format!("<@{}>", PEER3.0)).expect("Linus is suggested");
    assert!(ada < linus, "another profession, as asked, ranks Ada first: {text}");
    assert!(text.contains("you both prefer planned, structured meetings"), "{text}");
    assert!(
        text.contains("the mentor works in another profession (Pharmacist), as you asked"),
        "{text}"
    );
    assert!(
        text.contains("the mentor works in your profession (nurse), though you asked for another"),
        "{text}"
    );

    // The preview's CSV has the extra criteria in columns of their own, after the reasons.
    let preview = h.answer_deferred(ORGANISER, cmd("program match preview")).await;
    let csv = preview
        .attachments
        .iter()
        .find(|a| a.filename == "match-preview.csv")
        .map(|a| String::from_utf8(a.data.clone()).unwrap())
        .expect("the CSV");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "mentee,mentor,score,topic,skill,style,timezone,availability,method,kind,reasons,profession,level,questions"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(&format!("{},{},", MENTEE.0, MENTOR.0)), "{row}");
    assert!(
        row.ends_with(&format!(",1,1,q{meetings}=1 q{}=0 q{}=0", ready[1].id, ready[2].id)),
        "{row}"
    );

    // The organisers publish: both get the reasons, each from their side.
    h.answer_deferred(ORGANISER, cmd("program match publish")).await;
    let grace = h.dms(MENTEE, 1).await;
    let invite = grace
        .iter()
        .find(|m| m.content.contains("**Why:**"))
        .expect("Grace's invitation");
    assert!(
        invite.content.contains("you both prefer planned, structured meetings"),
        "{}",
        invite.content
    );
    assert!(invite
        .content
        .contains("the mentor works in another profession (Pharmacist), as you asked"));
    let ada_dm = h.dms(MENTOR, 1).await;
    let ada_invite = ada_dm
        .iter()
        .find(|m| m.content.contains("**Why:**"))
        .expect("Ada's invitation");
    assert!(
        ada_invite
            .content
            .contains("you work in another profession (Pharmacist), as they asked"),
        "{}",
        ada_invite.content
    );
    // Removing the question later changes nothing of what was said.
    say(&h, ORGANISER, cmd("program question remove").int("id", meetings.0)).await;
    assert_eq!(h.fake.message(invite.id).unwrap().content, invite.content);
    let again = h.answer_deferred(MENTOR, cmd("mentor suggest")).await;
    assert!(!again.content.contains("planned, structured"), "{}", again.content);
    h.shutdown().await;
}

on_both_backends!(
    organisers_manage_questions_and_levels,
    members_answer_with_select_menus,
    a_suggestion_and_a_proposal_cite_the_answers,
);

/// The process guide and evaluation (issue 13) through the stand-in: `/mentor guide` for every
/// phase and both roles, `/program resources` with bad input and the longest accepted, the
/// one-time welcome, the tips at each transition, the midpoint's private fit check, the rating,
/// `/program stats` from five answers, and "Find me another".
mod guide {
    use chrono::Duration;
    use mentorbot::domain::guide::{
        phase_guide, Fit, Phase, MAX_RESOURCES, RESOURCE_LINK_MAX, RESOURCE_TEXT_MAX, RESOURCE_TITLE_MAX,
    };
    use mentorbot::domain::listing::Kind;
    use mentorbot::domain::relationship::{EndReason, State};
    use mentorbot::domain::UserId;
    use mentorbot::engine::{Direction, ProgramSetup};
    use mentorbot::store::guide::EvaluationAnswer;

    use super::{say, DISCORD_MAX, ORGANISER};
    use crate::common::discord::{channel, cmd, Harness, WAIT};
    use crate::common::fixtures::*;
    use crate::common::World;

    const WELCOME: &str = "Welcome to the mentorship program";

    fn fits(text: &str) {
        assert!(
            text.chars().count() <= DISCORD_MAX,
            "{} characters",
            text.chars().count()
        );
    }

    /// Presses a button and returns the handle (its answer, and the answer as a message).
    async fn press(h: &Harness, message: u64, user: UserId, id: &str) -> fake_discord::InteractionHandle {
        let handle = h.fake.interaction_button(message, user.0, id);
        handle.wait_response().await;
        handle
    }

    fn dms_with(h: &Harness, user: UserId, needle: &str) -> Vec<String> {
        h.fake
            .dms_to(user.0)
            .into_iter()
            .map(|m| m.content)
            .filter(|c| c.contains(needle))
            .collect()
    }

    async fn the_guide_resources_and_the_welcome(w: World) {
        let h = Harness::start(w).await;
        let e = h.world.engine.clone();
        // The first command a member runs is followed by the overview, once, only to them.
        let first = h.slash(PEER3, cmd("mentor profile"));
        assert!(first.wait_response().await.is_ephemeral());
        let welcome = first.wait_followups(1, WAIT).await;
        assert!(
            welcome[0].content.contains(WELCOME) && welcome[0].is_ephemeral(),
            "{welcome:?}"
        );
        fits(&welcome[0].content);
        let second = h.slash(PEER3, cmd("mentor profile"));
        second.wait_response().await;
        // Remembered in the database: the next commands find it there.
        say(&h, PEER3, cmd("mentor guide")).await;
        assert!(second.followups().is_empty(), "{:?}", second.followups());
        assert!(!e.first_use(GUILD, PEER3).await.unwrap());

        // Organisers add resources; bad input is refused and changes nothing.
        let added = say(
            &h,
            ORGANISER,
            cmd("program resources add")
                .int("phase", 2)
                .str("title", "Agreement template")
                .str("link", "https://example.org/agreement"),
        )
        .await;
        assert!(added.contains("Added resource"), "{added}");
        for (link, why) in [("ftp://example.org/x", "http"), ("example.org", "http")] {
            let refused = say(
                &h,
                ORGANISER,
                cmd("program resources add")
                    .int("phase", 2)
                    .str("title", "x")
                    .str("link", link),
            )
            .await;
            assert!(refused.contains(why), "{refused}");
        }
        let too_long = format!("https://example.org/{}", "a".repeat(RESOURCE_LINK_MAX));
        let refused = say(
            &h,
            ORGANISER,
            cmd("program resources add")
                .int("phase", 2)
                .str("title", "x")
                .str("link", &too_long),
        )
        .await;
        assert!(refused.contains("too long"), "{refused}");
        // A member cannot, whatever their client shows.
        let refused = say(
            &h,
            MENTEE,
            cmd("program resources add")
                .int("phase", 2)
                .str("title", "x")
                .str("text", "y"),
        )
        .await;
        assert!(refused.contains("coordinators"), "{refused}");
        assert_eq!(e.list_resources(GUILD, true, &[]).await.unwrap().len(), 1);
        // The longest accepted, up to the limit; the 21st is refused.
        let title = "T".repeat(RESOURCE_TITLE_MAX);
        let link = format!("https://example.org/{}", "p".repeat(RESOURCE_LINK_MAX - 20));
        for n in 1..MAX_RESOURCES {
            let (link, text) = if n % 2 == 0 {
                (Some(link.as_str()), None)
            } else {
                (None, Some("x".repeat(RESOURCE_TEXT_MAX)))
            };
            e.add_resource(GUILD, true, &[], Phase::Scope, &title, link, text.as_deref())
                .await
                .unwrap();
        }
        let refused = say(
            &h,
            ORGANISER,
            cmd("program resources add")
                .int("phase", 4)
                .str("title", "21st")
                .str("text", "y"),
        )
        .await;
        assert!(refused.contains(&MAX_RESOURCES.to_string()), "{refused}");
        assert_eq!(e.list_resources(GUILD, true, &[]).await.unwrap().len(), MAX_RESOURCES);
        let list = h.slash(ORGANISER, cmd("program resources list"));
        let first_page = list.wait_response().await;
        fits(first_page.content().unwrap());
        for page in list.wait_followups(2, WAIT).await {
            fits(&page.content);
        }

        // Every phase, for both roles and each: what to do, the questions, the roles; the scope
        // phase with all twenty resources of the longest kind, over several messages.
        for phase in Phase::ALL {
            let g = phase_guide(phase);
            for role in [None, Some("mentor"), Some("mentee")] {
                // Discord sends a choice's index.
                let mut c = cmd("mentor guide").int("phase", phase.number() as i64 - 1);
                if let Some(r) = role {
                    c = c.int("role", i64::from(r == "mentee"));
                }
                let text = say(&h, MENTOR, c).await;
                assert!(text.contains(phase.title()) && text.contains(g.questions[0]), "{text}");
                assert_eq!(text.contains(g.mentor), role != Some("mentee"), "{text}");
                assert_eq!(text.contains(g.mentee), role != Some("mentor"), "{text}");
            }
        }
        let lines: Vec<String> = e
            .resources_for(GUILD, Phase::Scope)
            .await
            .unwrap()
            .iter()
            .map(|r| r.line())
            .collect();
        let expected =
            mentorbot::discord::limits::paginate("**Your program's resources for phase 3:**", &lines, DISCORD_MAX);
        assert!(expected.len() > 1);
        let scope = h.slash(MENTEE, cmd("mentor guide").int("phase", 2));
        scope.wait_response().await;
        let pages = scope.wait_followups(expected.len(), WAIT).await;
        assert_eq!(pages.len(), expected.len());
        let shown: String = pages.iter().map(|p| p.content.clone()).collect();
        for p in &pages {
            fits(&p.content);
        }
        assert!(shown.contains("Agreement template"));
        assert_eq!(
            shown.matches(&title).count(),
            MAX_RESOURCES - 1,
            "every resource, whole"
        );
        // The first command was the guide: no welcome after it (it is the guide), and none later.
        assert!(!pages.iter().any(|p| p.content.contains(WELCOME)));
        let overview = say(&h, STRANGER, cmd("mentor guide")).await;
        assert!(overview.contains(WELCOME), "{overview}");

        // Removing one keeps what was said; the guide no longer lists it.
        let first_id = e.list_resources(GUILD, true, &[]).await.unwrap()[0].id;
        let removed = say(&h, ORGANISER, cmd("program resources remove").int("id", first_id)).await;
        assert!(removed.contains("Removed"), "{removed}");
        assert_eq!(h.fake.message(pages[0].id).unwrap().content, pages[0].content);
        let refused = say(&h, ORGANISER, cmd("program resources remove").int("id", first_id)).await;
        assert!(refused.contains("not found"), "{refused}");
        h.shutdown().await;
    }

    async fn transitions_fit_check_rating_and_another(w: World) {
        let h = Harness::start(w).await;
        let e = h.world.engine.clone();
        e.setup_program(
            GUILD,
            true,
            &[],
            &ProgramSetup {
                channel: Some(channel()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        for phase in [Phase::Find, Phase::Scope, Phase::Implement, Phase::End] {
            e.add_resource(
                GUILD,
                true,
                &[],
                phase,
                &format!("Res-{}", phase.as_str()),
                None,
                Some("Read me"),
            )
            .await
            .unwrap();
        }
        for (who, name) in [(MENTEE, "Grace"), (MENTOR, "Ada"), (PEER3, "Linus")] {
            e.set_profile(GUILD, who, &profile(name, "Europe/Berlin"))
                .await
                .unwrap();
            e.set_suggestable(GUILD, who, true).await.unwrap();
        }
        e.create_offer(GUILD, PEER3, &offer_input(3)).await.unwrap();
        e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
        // Opened: the request's answer carries the finding phase's tips and resources.
        let opened = h
            .form(
                MENTEE,
                cmd("mentor seek").str("goals", "rust"),
                &[("purpose", "Lead our migration")],
            )
            .await;
        assert!(
            opened.contains("/mentor guide phase:find") && opened.contains("Res-find"),
            "{opened}"
        );

        // Accepted: the answer, the other's DM and the thread's first post carry the scope's.
        let rel = e
            .propose_direct(
                GUILD,
                MENTEE,
                MENTOR,
                Kind::Classic,
                Direction::Request,
                "Lead our migration",
            )
            .await
            .unwrap();
        h.bot.on_proposed(&rel).await;
        let (msg, id) = h.wait_button(MENTOR, "mb:acc:").await;
        let accepted = press(&h, msg, MENTOR, &id).await.wait_response().await;
        let text = accepted.content().unwrap();
        assert!(
            text.contains("/mentor guide phase:scope") && text.contains("Res-scope"),
            "{text}"
        );
        h.wait_dm(MENTEE, "/mentor guide phase:scope").await;
        let deadline = tokio::time::Instant::now() + WAIT;
        let thread_post = loop {
            let thread = e.thread_of(GUILD, rel.id).await.unwrap();
            let post = thread.and_then(|t| {
                h.fake
                    .messages_in(t)
                    .into_iter()
                    .find(|m| m.content.contains("Welcome to mentorship"))
            });
            if let Some(p) = post {
                break p;
            }
            assert!(tokio::time::Instant::now() < deadline, "the thread's first post");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert!(thread_post.content.contains("Res-scope"), "{}", thread_post.content);

        // Confirmed: the implementing phase's tips.
        let mut input = agreement();
        input.frequency = "weekly".into();
        input.end_date = Some("2026-03-31".into());
        let (rel, _) = e.propose_agreement(GUILD, rel.id, MENTOR, &input).await.unwrap();
        h.bot.on_agreement(&rel).await;
        let (msg, id) = h.wait_button(MENTEE, "mb:conf:").await;
        let confirmed = press(&h, msg, MENTEE, &id).await.wait_response().await;
        let text = confirmed.content().unwrap();
        assert!(
            text.contains("is active") && text.contains("/mentor guide phase:implement"),
            "{text}"
        );
        h.wait_dm(MENTOR, "Res-implement").await;
        let r = rel.id;

        // The first check-in's "Did you meet?" carries the tips; the next ones do not.
        let mut did = Vec::new();
        while did.len() < 2 {
            h.advance(Duration::days(1)).await;
            did = dms_with(&h, MENTEE, "Did you meet?");
        }
        assert!(did[0].contains("/mentor guide phase:implement"), "{}", did[0]);
        assert!(!did[1].contains("/mentor guide"), "{}", did[1]);
        for t in &did {
            fits(t);
        }

        // Halfway: each is asked privately whether it works.
        while dms_with(&h, MENTEE, "Halfway").is_empty() {
            h.advance(Duration::days(1)).await;
        }
        let halfway = dms_with(&h, MENTOR, "Halfway");
        assert!(
            halfway[0].contains("Is this mentorship working for you?"),
            "{}",
            halfway[0]
        );
        fits(&halfway[0]);
        let before_mentor = h.fake.dms_to(MENTOR.0).len();
        // The button's id ends with the job's marker (after `~`), which the bot ignores.
        let (msg, no) = h
            .wait_button(MENTEE, &format!("mb:fit:{}:{}:{}~", GUILD.0, r.0, Fit::No.code()))
            .await;
        let answered = press(&h, msg, MENTEE, &no).await;
        let reply = answered.wait_response().await;
        assert!(reply.is_ephemeral());
        let text = reply.content().unwrap();
        assert!(
            text.contains("only you see this answer") && text.contains("Find me another"),
            "{text}"
        );
        let end_button = reply
            .custom_ids()
            .into_iter()
            .find(|c| c.starts_with("mb:end:"))
            .expect("the early end is offered");
        assert_eq!(
            e.my_evaluation(GUILD, r, MENTEE).await.unwrap().unwrap().fit,
            Some(Fit::No)
        );
        h.run_jobs().await;
        assert_eq!(
            h.fake.dms_to(MENTOR.0).len(),
            before_mentor,
            "the others hear nothing of it"
        );
        assert!(e.my_evaluation(GUILD, r, MENTOR).await.unwrap().is_none());

        // "No" leads to the early end, and the end message to the rating and the way back.
        let end_msg = answered.original().expect("the answer is a message");
        // The End button asks for the reason first; "not a fit" ends it.
        let asked = h.fake.interaction_button(end_msg.id, MENTEE.0, &end_button);
        let question = asked.wait_response().await;
        let not_a_fit = format!("mb:endok:{}:{}:1", GUILD.0, r.0);
        assert!(question.custom_ids().contains(&not_a_fit), "{question:?}");
        let question = asked.original().expect("the question is a message");
        h.press(question.id, MENTEE, &not_a_fit).await;
        let ended = h.wait_dm(MENTOR, "has ended").await;
        assert!(
            ended.contains("/mentor guide phase:end") && ended.contains("Res-end"),
            "{ended}"
        );
        assert!(ended.contains("How valuable was this mentorship"), "{ended}");
        fits(&ended);
        assert_eq!(e.relationship_for(GUILD, r, MENTEE).await.unwrap().state, State::Ended);
        let (msg, _) = h.wait_button(MENTEE, &format!("mb:rate:{}:{}:", GUILD.0, r.0)).await;
        let rated = press(&h, msg, MENTEE, &format!("mb:rate:{}:{}:4", GUILD.0, r.0))
            .await
            .wait_response()
            .await;
        assert!(rated.content().unwrap().contains("4 of 5"), "{rated:?}");
        press(&h, msg, MENTEE, &format!("mb:again:{}:{}:1", GUILD.0, r.0)).await;
        let mine = e.my_evaluation(GUILD, r, MENTEE).await.unwrap().unwrap();
        assert_eq!((mine.value, mine.again), (Some(4), Some(true)));

        // Stats: nothing below five ratings, then counts only.
        let stats = h.answer_deferred(ORGANISER, cmd("program stats")).await;
        assert!(stats.content.contains("shown once at least 5"), "{}", stats.content);
        let mut rated = 1;
        for (mentee, mentor) in [(PEER4, PEER3), (STRANGER, PEER3)] {
            let rel = e
                .propose_direct(GUILD, mentee, mentor, Kind::Classic, Direction::Request, "More")
                .await
                .unwrap();
            e.accept(GUILD, rel.id, mentor).await.unwrap();
            e.end(GUILD, rel.id, mentor, EndReason::GoalsMet).await.unwrap();
            for who in [mentee, mentor] {
                e.rate(GUILD, rel.id, who, EvaluationAnswer::Value(5)).await.unwrap();
                rated += 1;
            }
        }
        assert_eq!(rated, 5);
        let stats = h.answer_deferred(ORGANISER, cmd("program stats")).await;
        assert!(
            stats.content.contains("5 answers") && stats.content.contains("4★ 1, 5★ 4"),
            "{}",
            stats.content
        );
        assert!(!stats.content.contains(&MENTEE.0.to_string()), "never per person");

        // Find me another: the purpose form, the request open again, suggestions without the
        // previous partner. It works whether the request is closed or still open.
        // The ending closed the request (issue 16, item 7): it is not matched behind their back.
        let request = e.requests_of(GUILD, MENTEE).await.unwrap()[0].id;
        assert!(!e.open_requests(GUILD).await.unwrap().iter().any(|q| q.id == request));
        let (msg, id) = h.wait_button(MENTEE, &format!("mb:another:{}:{}", GUILD.0, r.0)).await;
        let handle = h.fake.interaction_button(msg, MENTEE.0, &id);
        let form = handle.wait_response().await;
        assert!(form.is_modal());
        assert!(
            form.components().to_string().contains("Lead our migration"),
            "the purpose, editable"
        );
        let submitted = h.fake.submit_modal(&handle, &[("purpose", "Lead a platform team")]);
        assert!(submitted.wait_response().await.is_deferred());
        let answer = submitted.wait_followups(1, WAIT).await.remove(0);
        fits(&answer.content);
        assert!(answer.content.contains("open again"), "{}", answer.content);
        assert!(
            answer.content.contains(&format!("<@{}>", PEER3.0)),
            "{}",
            answer.content
        );
        assert!(
            !answer.content.contains(&format!("<@{}>", MENTOR.0)),
            "{}",
            answer.content
        );
        let q = h.world.store.request(GUILD, request).await.unwrap().unwrap();
        assert_eq!(q.purpose, "Lead a platform team");
        h.shutdown().await;
    }

    on_both_backends!(
        the_guide_resources_and_the_welcome,
        transitions_fit_check_rating_and_another
    );
}
