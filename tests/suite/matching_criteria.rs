//! Chemistry and formal criteria (issue 13) in the engine, on both backends: levels, members'
//! profession, unit and level, the organisers' questions and their limit, answers, the program
//! file that carries them, suggestions and publishing with reasons that cite them, removing a
//! question, and forgetting a person.
use crate::common;

use common::fixtures::*;
use common::World;
use mentorbot::discord::ids::{Action, CustomId};
use mentorbot::domain::listing::{OfferInput, RequestInput};
use mentorbot::domain::questions::{CriteriaInput, QuestionId, QuestionInput, Wish, MAX_QUESTIONS};
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::members::Presser;
use mentorbot::engine::presses::{Pressed, Selected};
use mentorbot::engine::{Engine, Error};
use mentorbot::matching;

const LADDER: &str = "student < new grad < clinician < senior clinician < manager";

fn request(goals: &[&str]) -> RequestInput {
    RequestInput {
        purpose: format!("Grow in {}", goals.join(" and ")),
        goals: goals.iter().map(|g| g.to_string()).collect(),
        kinds: vec!["classic".into()],
        styles: vec![],
    }
}

fn offer(topics: &[&str]) -> OfferInput {
    OfferInput {
        purpose: format!("Help with {}", topics.join(" and ")),
        topics: topics.iter().map(|g| g.to_string()).collect(),
        skills: vec![],
        kinds: vec!["classic".into(), "reverse".into()],
        capacity: 2,
        hopes_to_learn: None,
    }
}

fn question(text: &str, choices: &str, rule: &str) -> QuestionInput {
    QuestionInput {
        text: text.into(),
        choices: choices.into(),
        rule: rule.into(),
        ..Default::default()
    }
}

fn criteria(profession: Option<&str>, unit: Option<&str>, level: Option<&str>) -> CriteriaInput {
    CriteriaInput {
        profession: profession.map(str::to_string),
        unit: unit.map(str::to_string),
        level: level.map(str::to_string),
    }
}

#[track_caller]
fn invalid(r: Result<impl std::fmt::Debug, Error>, field: &str) -> String {
    match r {
        Err(Error::Invalid(v)) => {
            assert_eq!(v.field, field, "{v:?}");
            v.reason
        }
        other => panic!("expected a refusal of the {field}, got {other:?}"),
    }
}

/// What the criteria tables hold for the test's server, as text.
async fn criteria_snapshot(e: &Engine) -> String {
    let mut out = format!(
        "{:?}\n{:?}\n",
        e.levels(GUILD).await.unwrap(),
        e.questions(GUILD).await.unwrap()
    );
    for u in [MENTOR, MENTEE, PEER3, PEER4, STRANGER] {
        out += &format!(
            "{:?} {:?}\n",
            e.criteria(GUILD, u).await.unwrap(),
            e.my_answers(GUILD, u).await.unwrap()
        );
    }
    out + &format!("{:?}", e.request_wishes(GUILD).await.unwrap())
}

async fn levels_and_member_criteria(w: World) {
    let e = &w.engine;
    let before = criteria_snapshot(e).await;
    // Only organisers set the levels; bad ladders are refused; nothing changes either way.
    assert!(matches!(
        e.set_levels(GUILD, false, &[], LADDER).await,
        Err(Error::Forbidden(_))
    ));
    for bad in ["clinician", "a < b < a", "a <  < b", &"x < ".repeat(11)] {
        invalid(e.set_levels(GUILD, true, &[], bad).await, "levels");
    }
    // A level the server has not defined: there are none yet.
    let why = invalid(
        e.set_criteria(GUILD, MENTEE, &criteria(Some("Nurse"), None, Some("clinician")))
            .await,
        "level",
    );
    assert!(why.contains("/program levels"), "{why}");
    assert_eq!(criteria_snapshot(e).await, before, "refusals change nothing");

    let levels = e.set_levels(GUILD, true, &[], LADDER).await.unwrap();
    assert_eq!(levels.len(), 5);
    let c = e
        .set_criteria(
            GUILD,
            MENTEE,
            &criteria(Some(" Nurse "), Some("Cardiology"), Some("Clinician")),
        )
        .await
        .unwrap();
    assert_eq!(
        (c.profession.as_deref(), c.unit.as_deref(), c.level.as_deref()),
        (Some("Nurse"), Some("Cardiology"), Some("clinician"))
    );
    let before = criteria_snapshot(e).await;
    let why = invalid(
        e.set_criteria(GUILD, MENTEE, &criteria(Some("Pharmacist"), None, Some("wizard")))
            .await,
        "level",
    );
    assert!(
        why.contains("\"wizard\" is not a level of this server; choose one of student"),
        "{why}"
    );
    invalid(
        e.set_criteria(GUILD, MENTEE, &criteria(Some(&"p".repeat(61)), None, None))
            .await,
        "profession",
    );
    assert_eq!(
        criteria_snapshot(e).await,
        before,
        "the profession was not changed either"
    );
    // Clearing one field keeps the others; another server sees none of it.
    let c = e
        .set_criteria(GUILD, MENTEE, &criteria(None, Some("none"), None))
        .await
        .unwrap();
    assert_eq!((c.profession.as_deref(), c.unit), (Some("Nurse"), None));
    assert!(e.criteria(OTHER_GUILD, MENTEE).await.unwrap().is_empty());
    assert!(e.levels(OTHER_GUILD).await.unwrap().is_empty());
    assert_eq!(
        e.criteria_values(GUILD, false).await.unwrap(),
        vec!["Nurse".to_string()]
    );
}

async fn questions_their_limit_and_refusals(w: World) {
    let e = &w.engine;
    let before = criteria_snapshot(e).await;
    let refusals = [
        (question("Meetings?", "only one", "same"), "choices"),
        (
            question(
                "Meetings?",
                &(1..=11).map(|k| format!("c{k}")).collect::<Vec<_>>().join("; "),
                "same",
            ),
            "choices",
        ),
        (question("Meetings?", "a; b", "opposite"), "rule"),
        (question("Meetings?", "a; b", "complementary"), "pairs"),
        (question(&"q".repeat(101), "a; b", "same"), "question"),
    ];
    for (input, field) in &refusals {
        invalid(e.add_question(GUILD, true, &[], input).await, field);
    }
    assert!(matches!(
        e.add_question(GUILD, false, &[], &question("Meetings?", "a; b", "same"))
            .await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(criteria_snapshot(e).await, before, "refusals change nothing");

    let mut complementary = question("Big picture or details?", "Big picture; Details; Both", "complementary");
    complementary.pairs = Some("1-2".into());
    let q = e.add_question(GUILD, true, &[], &complementary).await.unwrap();
    assert_eq!(q.pairs, vec![(0, 1)]);
    for k in 0..(MAX_QUESTIONS - 4) {
        e.add_question(GUILD, true, &[], &question(&format!("Question {k}?"), "a; b", "same"))
            .await
            .unwrap();
    }
    // The ready-made set adds three: ten in all, the most a server may have.
    let ready = e.add_ready_made(GUILD, true, &[]).await.unwrap();
    assert_eq!(ready.len(), 3);
    assert!(ready.iter().all(|q| q.preset.is_some()));
    assert_eq!(e.questions(GUILD).await.unwrap().len(), MAX_QUESTIONS);
    let before = criteria_snapshot(e).await;
    let why = invalid(
        e.add_question(GUILD, true, &[], &question("One more?", "a; b", "same"))
            .await,
        "questions",
    );
    assert!(why.contains("the most it can have is 10"), "{why}");
    invalid(e.add_ready_made(GUILD, true, &[]).await, "questions");
    invalid(e.remove_question(GUILD, true, &[], 999_999).await, "question");
    // Another server's question is not this server's to remove.
    let elsewhere = e
        .add_question(OTHER_GUILD, true, &[], &question("Elsewhere?", "a; b", "same"))
        .await
        .unwrap();
    invalid(e.remove_question(GUILD, true, &[], elsewhere.id.0).await, "question");
    assert_eq!(criteria_snapshot(e).await, before);

    // Removing one makes room; removing it twice is refused.
    let gone = e.remove_question(GUILD, true, &[], q.id.0).await.unwrap();
    assert_eq!(gone.id, q.id);
    invalid(e.remove_question(GUILD, true, &[], q.id.0).await, "question");
    assert_eq!(e.questions(GUILD).await.unwrap().len(), MAX_QUESTIONS - 1);
    e.add_question(GUILD, true, &[], &question("One more?", "a; b", "same"))
        .await
        .unwrap();
    // All three ready-made ones are in use: turning the set on again adds nothing.
    let why = invalid(e.add_ready_made(GUILD, true, &[]).await, "questions");
    assert!(why.contains("already in use"), "{why}");
}

/// Two organisers adding the tenth question at the same moment: only one gets it.
async fn the_limit_holds_under_concurrency(w: World) {
    let e = &w.engine;
    for k in 0..(MAX_QUESTIONS - 1) {
        e.add_question(GUILD, true, &[], &question(&format!("Q{k}?"), "a; b", "same"))
            .await
            .unwrap();
    }
    let (qa, qb) = (question("A?", "a; b", "same"), question("B?", "a; b", "same"));
    let (a, b) = tokio::join!(
        e.add_question(GUILD, true, &[], &qa),
        e.add_question(GUILD, true, &[], &qb),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert_eq!(e.questions(GUILD).await.unwrap().len(), MAX_QUESTIONS);
}

async fn answers_are_checked(w: World) {
    let e = &w.engine;
    let mut multi = question("Which topics?", "a; b; c", "same");
    multi.multiple = true;
    let single = e
        .add_question(GUILD, true, &[], &question("Meetings?", "Planned; Spontaneous", "same"))
        .await
        .unwrap();
    let multi = e.add_question(GUILD, true, &[], &multi).await.unwrap();
    let (_, picked) = e
        .answer_question(GUILD, MENTEE, single.id, &["1".into()])
        .await
        .unwrap();
    assert_eq!(picked, vec![1]);
    e.answer_question(GUILD, MENTEE, multi.id, &["2".into(), "0".into()])
        .await
        .unwrap();
    let before = criteria_snapshot(e).await;
    let why = invalid(
        e.answer_question(GUILD, MENTEE, single.id, &["2".into()]).await,
        "answer",
    );
    assert!(
        why.contains("\"2\" is not one of the choices of \"Meetings?\""),
        "{why}"
    );
    invalid(
        e.answer_question(GUILD, MENTEE, single.id, &["0".into(), "1".into()])
            .await,
        "answer",
    );
    invalid(
        e.answer_question(GUILD, MENTEE, multi.id, &["planned".into()]).await,
        "answer",
    );
    // A question of another server, or none at all
    invalid(
        e.answer_question(OTHER_GUILD, MENTEE, single.id, &["0".into()]).await,
        "answer",
    );
    invalid(
        e.answer_question(GUILD, MENTEE, QuestionId(987_654), &["0".into()])
            .await,
        "answer",
    );
    assert_eq!(criteria_snapshot(e).await, before, "refusals change nothing");
    // An empty pick clears the answer.
    e.answer_question(GUILD, MENTEE, multi.id, &[]).await.unwrap();
    let mine = e.my_answers(GUILD, MENTEE).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].question, mine[0].choices.clone()), (single.id, vec![1]));
    // A removed question takes no more answers, and keeps the ones it had.
    e.remove_question(GUILD, true, &[], single.id.0).await.unwrap();
    let why = invalid(
        e.answer_question(GUILD, MENTEE, single.id, &["0".into()]).await,
        "answer",
    );
    assert!(why.contains("removed"), "{why}");
    assert_eq!(e.my_answers(GUILD, MENTEE).await.unwrap(), mine);
}

/// The questions' page buttons and select menus go through the engine's press model: the
/// presser must be a person who is a member of the server now, and the member the questions
/// were shown to; whatever else the custom id says is read strictly. A refusal changes nothing.
async fn question_menus_are_checked_by_the_engine(w: World) {
    let e = &w.engine;
    let q = e
        .add_question(GUILD, true, &[], &question("Meetings?", "Planned; Spontaneous", "same"))
        .await
        .unwrap();
    let menu = |guild: GuildId, for_user: UserId, question: u64, page: u64| {
        CustomId::new(Action::AnswerQuestion, &[guild.0, for_user.0, question, page])
            .select()
            .expect("a menu's custom id")
    };
    let pick = |v: &str| vec![v.to_string()];
    // Grace picks on her own menu: saved, and the page shows it.
    let Selected::Answered(page) = e
        .select(
            Presser::person(MENTEE),
            menu(GUILD, MENTEE, q.id.0 as u64, 0),
            &pick("1"),
        )
        .await
        .unwrap();
    assert_eq!((page.user, page.page, page.open), (MENTEE, 0, false));
    assert_eq!(page.answers.len(), 1);
    assert!(page.note.unwrap().contains("Spontaneous"));
    let before = criteria_snapshot(e).await;
    let refusals = [
        // Someone else on Grace's menu, as Grace's menu in their name, a bot, a non-member.
        (Presser::person(STRANGER), menu(GUILD, MENTEE, q.id.0 as u64, 0)),
        (
            Presser {
                user: MENTEE,
                bot: true,
            },
            menu(GUILD, MENTEE, q.id.0 as u64, 0),
        ),
        (
            Presser::person(UserId(4242)),
            menu(GUILD, UserId(4242), q.id.0 as u64, 0),
        ),
        // A server Grace is not a member of.
        (Presser::person(MENTEE), menu(OTHER_GUILD, MENTEE, q.id.0 as u64, 0)),
    ];
    for (presser, select) in refusals {
        match e.select(presser, select, &pick("0")).await {
            Err(Error::Forbidden(why)) => assert!(why.contains("not for you"), "{why}"),
            other => panic!("{presser:?} {select:?}: {other:?}"),
        }
    }
    // A question that does not exist.
    invalid(
        e.select(Presser::person(MENTEE), menu(GUILD, MENTEE, 987_654, 0), &pick("0"))
            .await,
        "answer",
    );
    assert_eq!(criteria_snapshot(e).await, before, "refusals change nothing");
    // Custom ids with numbers out of range or of the wrong count are not menus of ours.
    for numbers in [
        vec![GUILD.0, MENTEE.0, u64::MAX, 0],
        vec![GUILD.0, MENTEE.0, 1, u64::MAX],
        vec![GUILD.0, MENTEE.0, 1],
        vec![GUILD.0, MENTEE.0, 1, 0, 0],
    ] {
        assert_eq!(
            CustomId::new(Action::AnswerQuestion, &numbers).select(),
            None,
            "{numbers:?}"
        );
    }
    // The page buttons: only for Grace, and only while she is a member.
    let open = CustomId::new(Action::QuestionsPage, &[GUILD.0, MENTEE.0, 0, 1])
        .press()
        .unwrap();
    match e.press(Presser::person(MENTEE), open).await.unwrap() {
        Pressed::Questions(p) => {
            assert!(p.open);
            assert_eq!(p.questions.len(), 1);
            assert_eq!(p.answers.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        e.press(Presser::person(STRANGER), open).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(
        CustomId::new(Action::QuestionsPage, &[GUILD.0, MENTEE.0, 0, 2]).press(),
        None
    );
    e.record_member_gone(GUILD, MENTEE).await.unwrap();
    assert!(matches!(
        e.press(Presser::person(MENTEE), open).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        e.select(
            Presser::person(MENTEE),
            menu(GUILD, MENTEE, q.id.0 as u64, 0),
            &pick("0")
        )
        .await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(e.my_answers(GUILD, MENTEE).await.unwrap()[0].choices, vec![1]);
}

/// Ada (pharmacist, manager) and Linus (nurse, new grad) offer the same topic; Grace (nurse,
/// clinician) asks for a mentor from another profession. Both mentors answered the ready-made
/// question on meetings like Grace; Ada is the better fit, and the reasons say why.
async fn setup_people(w: &World) -> (QuestionId, Vec<QuestionId>) {
    let e = &w.engine;
    for (u, name) in [(MENTOR, "Ada"), (MENTEE, "Grace"), (PEER3, "Linus")] {
        e.set_profile(GUILD, u, &profile(name, "Europe/Berlin")).await.unwrap();
        // Suggestions list only people who said they may be suggested.
        e.set_suggestable(GUILD, u, true).await.unwrap();
    }
    e.set_levels(GUILD, true, &[], LADDER).await.unwrap();
    e.set_criteria(
        GUILD,
        MENTOR,
        &criteria(Some("Pharmacist"), Some("Pharmacy"), Some("manager")),
    )
    .await
    .unwrap();
    e.set_criteria(
        GUILD,
        PEER3,
        &criteria(Some("nurse"), Some("Cardiology"), Some("new grad")),
    )
    .await
    .unwrap();
    e.set_criteria(
        GUILD,
        MENTEE,
        &criteria(Some("Nurse"), Some("Cardiology"), Some("clinician")),
    )
    .await
    .unwrap();
    let ready = e.add_ready_made(GUILD, true, &[]).await.unwrap();
    let meetings = ready.iter().find(|q| q.preset.as_deref() == Some("meetings")).unwrap();
    for u in [MENTOR, MENTEE, PEER3] {
        e.answer_question(GUILD, u, meetings.id, &["0".into()]).await.unwrap();
    }
    e.create_offer(GUILD, MENTOR, &offer(&["rust"])).await.unwrap();
    e.create_offer(GUILD, PEER3, &offer(&["rust"])).await.unwrap();
    e.create_request_with_wish(GUILD, MENTEE, &request(&["rust"]), Wish::Other)
        .await
        .unwrap();
    (meetings.id, ready.iter().map(|q| q.id).collect())
}

async fn the_program_file_suggestions_and_publish_include_them(w: World) {
    let e = &w.engine;
    // A server that uses none of it gets the file it always got.
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "Europe/Berlin"))
        .await
        .unwrap();
    e.set_suggestable(GUILD, MENTOR, true).await.unwrap();
    e.create_offer(GUILD, MENTOR, &offer(&["rust"])).await.unwrap();
    e.create_request(GUILD, MENTEE, &request(&["rust"])).await.unwrap();
    let plain = e.program_file(GUILD, false).await.unwrap().json;
    for key in ["questions", "levels"] {
        assert!(plain.get(key).is_none(), "{plain}");
    }
    let weights: Vec<&String> = plain["weights"].as_object().unwrap().keys().collect();
    assert_eq!(weights.len(), 7, "{weights:?}");
    assert!(plain["mentees"][0].get("answers").is_none());
    let plain_score = e.suggest(GUILD, MENTEE).await.unwrap().1[0].score;
    let program = matching::parse_program(&plain.to_string()).unwrap();
    assert!(!program.extras.on);
    assert_eq!(plain_score, matching::score_pair(&program, 0, 0).score);

    // Now the same server gains criteria (the plain request and offer go first).
    e.withdraw_request(GUILD, MENTEE, e.requests_of(GUILD, MENTEE).await.unwrap()[0].id)
        .await
        .unwrap();
    e.withdraw_offer(GUILD, MENTOR, e.offers_of(GUILD, MENTOR).await.unwrap()[0].id)
        .await
        .unwrap();
    let (meetings, _) = setup_people(&w).await;
    let file = e.program_file(GUILD, false).await.unwrap().json;
    assert_eq!(file["levels"][4], "manager");
    assert_eq!(file["questions"].as_array().unwrap().len(), 3);
    assert_eq!(file["weights"]["profession"], 0.15);
    let grace = file["mentees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"].as_str() == Some(MENTEE.0.to_string().as_str()))
        .unwrap();
    assert_eq!(grace["profession_wish"], "other");
    assert_eq!(grace["level"], "clinician");
    assert_eq!(
        grace["answers"][format!("q{meetings}")],
        serde_json::json!(["Planned, structured meetings"])
    );
    // The file is a valid program file: `mentorbot match` reads it as the bot does.
    let program = matching::parse_program(&file.to_string()).unwrap();
    assert!(program.extras.on);

    let (_, list) = e.suggest(GUILD, MENTEE).await.unwrap();
    assert_eq!(list[0].user, MENTOR, "{list:?}");
    let why = &list[0].reasons;
    for want in [
        "the mentor works in another profession (Pharmacist), as you asked",
        "the mentor is at a higher level (manager) than yours (clinician)",
        "you both prefer planned, structured meetings",
    ] {
        assert!(why.iter().any(|r| r == want), "{want:?} not in {why:#?}");
    }
    let linus = list.iter().find(|s| s.user == PEER3).unwrap();
    assert!(linus
        .reasons
        .contains(&"the mentor works in your profession (Nurse), though you asked for another".to_string()));
    assert!(list[0].score > linus.score);
    // Ada's own suggestions read the other way round.
    let (_, for_ada) = e.suggest(GUILD, MENTOR).await.unwrap();
    assert!(
        for_ada[0]
            .reasons
            .contains(&"you work in another profession (Pharmacist), as they asked".to_string()),
        "{:?}",
        for_ada[0].reasons
    );

    // The preview and the publish carry them too; the reasons are text from then on.
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    let pair = &run.result.pairs[0];
    assert_eq!(pair.mentor, MENTOR.0.to_string());
    assert!(pair.extra_criteria.is_some());
    let published = e.match_publish(GUILD, UserId(OWNER_ID), true, &[]).await.unwrap();
    let (rel, reasons) = &published.pairs[0];
    assert!(reasons.contains(&"you both prefer planned, structured meetings".to_string()));
    // Removing the question changes nothing of what was proposed, and counts no more after.
    e.remove_question(GUILD, true, &[], meetings.0).await.unwrap();
    let kept = e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap();
    assert_eq!(kept.purpose, rel.purpose);
    let file = e.program_file(GUILD, false).await.unwrap().json;
    assert!(!file.to_string().contains(&format!("q{meetings}")), "{file}");
    let data = e.my_data(GUILD, MENTEE).await.unwrap();
    let answers = &data["matching_criteria"]["answers"];
    assert_eq!(answers[0]["question_removed"], true, "{data}");
    assert_eq!(answers[0]["answer"][0], "Planned, structured meetings");
    assert_eq!(data["matching_criteria"]["profession"], "Nurse");
}

const OWNER_ID: u64 = 900_000_000_000_000_050;

async fn weights_of_profession_and_level(w: World) {
    let e = &w.engine;
    setup_people(&w).await;
    e.set_matching_weights(GUILD, true, &[], "profession=0.9, level=0")
        .await
        .unwrap();
    assert_eq!(e.matching_extra_weights(GUILD).await.unwrap(), [0.9, 0.0]);
    let file = e.program_file(GUILD, false).await.unwrap().json;
    assert_eq!(file["weights"]["profession"], 0.9);
    invalid(
        e.set_matching_weights(GUILD, true, &[], "profession=11").await,
        "weights",
    );
    assert_eq!(e.matching_extra_weights(GUILD).await.unwrap(), [0.9, 0.0]);
    // The table's seven at 0 is refused unless profession or level is named above 0.
    let zero = "topic=0, skill=0, style=0, timezone=0, availability=0, method=0, kind=0";
    invalid(e.set_matching_weights(GUILD, true, &[], zero).await, "weights");
    e.set_matching_weights(GUILD, true, &[], &format!("{zero}, profession=1"))
        .await
        .unwrap();
    e.set_matching_weights(GUILD, true, &[], "default").await.unwrap();
    assert_eq!(
        e.matching_extra_weights(GUILD).await.unwrap(),
        matching::DEFAULT_EXTRA_WEIGHTS
    );
}

async fn forget_takes_the_criteria_too(w: World) {
    let e = &w.engine;
    setup_people(&w).await;
    assert!(!w.columns_containing(&MENTEE.0.to_string()).await.is_empty());
    e.forget(GUILD, MENTEE).await.unwrap();
    let left = w.columns_containing(&MENTEE.0.to_string()).await;
    assert!(left.is_empty(), "still naming the person: {left:?}");
    assert!(e.criteria(GUILD, MENTEE).await.unwrap().is_empty());
    assert!(e.request_wishes(GUILD).await.unwrap().is_empty());
    // The others keep theirs.
    assert_eq!(
        e.criteria(GUILD, MENTOR).await.unwrap().profession.as_deref(),
        Some("Pharmacist")
    );
    assert_eq!(e.my_answers(GUILD, MENTOR).await.unwrap().len(), 1);
}

on_both_backends!(
    levels_and_member_criteria,
    questions_their_limit_and_refusals,
    the_limit_holds_under_concurrency,
    answers_are_checked,
    question_menus_are_checked_by_the_engine,
    the_program_file_suggestions_and_publish_include_them,
    weights_of_profession_and_level,
    forget_takes_the_criteria_too,
);
