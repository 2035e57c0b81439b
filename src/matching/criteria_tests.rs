//! Tests of the extra criteria (issue 13): each rule by hand, profession and level, the file's
//! validation, the reasons and their mentor's reading, and property tests against a
//! brute-force optimum on small programs with questions.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::criteria::{mentor_view, question_value, Rule, Wish};
use super::score::Prepared;
use super::solve::solve_with_options;
use super::tests::{all_options, brute_force, check_rules, parse, program_strategy};
use super::*;

/// One mentor, one mentee, both in UTC with nothing else: the table scores 0.35 (style,
/// method and kind say "no preference", timezone is equal), so what the extras add shows.
fn pair(questions: Value, mentee: Value, mentor: Value) -> Value {
    let mut e = json!({"id": "e", "timezone": "UTC"});
    let mut m = json!({"id": "m", "capacity": 1, "timezone": "UTC"});
    for (k, v) in mentee.as_object().unwrap() {
        e[k] = v.clone();
    }
    for (k, v) in mentor.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({
        "at": "2026-01-15T12:00:00Z",
        "levels": ["student", "new grad", "clinician", "senior clinician", "manager"],
        "questions": questions,
        "mentors": [m],
        "mentees": [e]
    })
}

fn err(v: &Value) -> String {
    parse_program(&v.to_string()).expect_err("must be refused").to_string()
}

const TABLE: f64 = 0.35; // style 0.10 + timezone 0.10 + method 0.05 + kind 0.10

fn q(id: &str, rule: &str, choices: &[&str], multiple: bool, weight: f64) -> Value {
    json!({"id": id, "text": format!("Question {id}?"), "choices": choices, "multiple": multiple,
           "rule": rule, "weight": weight})
}

fn score(v: &Value) -> f64 {
    score_pair(&parse(v), 0, 0).score
}

/// Equal up to the rounding of a few additions.
#[track_caller]
fn near(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} vs {b}");
}

#[test]
fn same_rule_counts_shared_answers_over_all_given() {
    let qs = json!([q("a", "same", &["x", "y", "z"], true, 0.3)]);
    let v = pair(
        qs.clone(),
        json!({"answers": {"a": ["x", "y"]}}),
        json!({"answers": {"a": ["Y ", "z"]}}),
    );
    let p = parse(&v);
    assert_eq!(question_value(&p.extras.questions[0], 0b011, 0b110, 0), 1.0 / 3.0);
    near(score(&v), TABLE + 0.3 * (1.0 / 3.0));
    let r = solve(&p);
    let x = r.pairs[0].extra_criteria.as_ref().unwrap();
    assert_eq!(x.questions.0, vec![("a".to_string(), 1.0 / 3.0)]);
    // nobody answered: worth nothing, and no reason
    let v = pair(qs, json!({}), json!({"answers": {"a": "x"}}));
    near(score(&v), TABLE);
    assert!(!solve(&parse(&v)).pairs[0]
        .reasons
        .iter()
        .any(|r| r.contains("Question")));
}

#[test]
fn different_rule_is_one_minus_same() {
    let qs = json!([q("d", "different", &["x", "y"], false, 0.5)]);
    near(
        score(&pair(
            qs.clone(),
            json!({"answers": {"d": "x"}}),
            json!({"answers": {"d": "y"}}),
        )),
        TABLE + 0.5,
    );
    near(
        score(&pair(
            qs,
            json!({"answers": {"d": "x"}}),
            json!({"answers": {"d": "x"}}),
        )),
        TABLE,
    );
}

#[test]
fn mentor_above_follows_the_kind() {
    let qs = json!([q("o", "mentor-above", &["low", "mid", "high"], false, 1.0)]);
    let at = |kind: &str, mentee: &str, mentor: &str| {
        score(&pair(
            qs.clone(),
            json!({"kind": kind, "answers": {"o": mentee}}),
            json!({"answers": {"o": mentor}}),
        )) - TABLE
    };
    near(at("classic", "low", "high"), 1.0);
    near(at("classic", "mid", "mid"), 0.5);
    near(at("classic", "high", "low"), 0.0);
    // reverse mentoring expects the mentor lower
    near(at("reverse", "high", "low"), 1.0);
    near(at("reverse", "mid", "mid"), 0.5);
    near(at("reverse", "low", "high"), 0.0);
    // peers: level
    near(at("peer", "mid", "mid"), 1.0);
    near(at("peer", "low", "mid"), 0.0);
}

#[test]
fn complementary_pairs_work_both_ways() {
    let qs = json!([{"id": "c", "text": "Big picture or details?", "choices": ["Big picture", "Details", "Both"],
                     "rule": "complementary", "pairs": [["Big picture", "Details"]], "weight": 0.2}]);
    let at = |a: &str, b: &str| {
        score(&pair(
            qs.clone(),
            json!({"answers": {"c": a}}),
            json!({"answers": {"c": b}}),
        )) - TABLE
    };
    near(at("Big picture", "Details"), 0.2);
    near(at("details", "big picture"), 0.2);
    near(at("Big picture", "Big picture"), 0.0);
    near(at("Both", "Details"), 0.0);
    let r = solve(&parse(&pair(
        qs,
        json!({"answers": {"c": "Details"}}),
        json!({"answers": {"c": "Big picture"}}),
    )));
    assert!(
        r.pairs[0].reasons.contains(
            &"your answers to \"Big picture or details?\" complement each other (\"Details\" and \"Big picture\")"
                .to_string()
        ),
        "{:?}",
        r.pairs[0].reasons
    );
}

#[test]
fn profession_wish_inside_or_outside() {
    let at = |wish: Option<&str>, e: Option<&str>, m: Option<&str>| {
        let mut mentee = json!({});
        if let Some(w) = wish {
            mentee["profession_wish"] = json!(w);
        }
        if let Some(p) = e {
            mentee["profession"] = json!(p);
        }
        let mentor = match m {
            Some(p) => json!({"profession": p}),
            None => json!({}),
        };
        let v = pair(json!([]), mentee, mentor);
        let p = parse(&v);
        (score(&v) - TABLE, solve(&p).pairs[0].reasons.clone())
    };
    let (s, why) = at(Some("other"), Some("Nurse"), Some("Pharmacist"));
    near(s, 0.15);
    assert!(why.contains(&"the mentor works in another profession (Pharmacist), as you asked".to_string()));
    let (s, why) = at(Some("same"), Some("Nurse"), Some(" nurse "));
    near(s, 0.15);
    assert!(why.contains(&"the mentor works in your profession (Nurse), as you asked".to_string()));
    let (s, why) = at(Some("same"), Some("Nurse"), Some("Pharmacist"));
    near(s, 0.0);
    assert!(
        why.contains(&"the mentor works in another profession (Pharmacist), though you asked for your own".to_string())
    );
    near(at(Some("other"), Some("Nurse"), Some("nurse")).0, 0.0);
    // no wish, or a profession unknown: nothing to judge
    near(at(Some("either"), Some("Nurse"), Some("Pharmacist")).0, 0.0);
    near(at(None, Some("Nurse"), Some("Pharmacist")).0, 0.0);
    near(at(Some("other"), None, Some("Pharmacist")).0, 0.0);
    near(at(Some("same"), Some("Nurse"), None).0, 0.0);
}

#[test]
fn levels_follow_the_kind() {
    let at = |kind: &str, e: &str, m: &str| {
        let v = pair(json!([]), json!({"kind": kind, "level": e}), json!({"level": m}));
        (score(&v) - TABLE, solve(&parse(&v)).pairs[0].reasons.clone())
    };
    let (s, why) = at("classic", "clinician", "Senior Clinician");
    near(s, 0.1);
    assert!(why.contains(&"the mentor is at a higher level (senior clinician) than yours (clinician)".to_string()));
    let (s, why) = at("reverse", "manager", "new grad");
    near(s, 0.1);
    assert!(why.contains(
        &"the mentor is at a lower level (new grad) than yours (manager), as reverse mentoring expects".to_string()
    ));
    let (s, why) = at("reverse", "student", "manager");
    near(s, 0.0);
    assert!(why
        .iter()
        .any(|r| r.ends_with("though reverse mentoring expects a lower one")));
    near(at("classic", "clinician", "clinician").0, 0.05);
    near(at("classic", "manager", "student").0, 0.0);
}

#[test]
fn weights_of_profession_and_level_and_the_sum_order() {
    let qs = json!([
        q("a", "same", &["x", "y"], false, 0.25),
        q("b", "different", &["x", "y"], false, 0.5)
    ]);
    let mut v = pair(
        qs,
        json!({"profession": "nurse", "profession_wish": "same", "level": "student",
               "answers": {"a": "x", "b": "x"}}),
        json!({"profession": "Nurse", "level": "manager", "answers": {"a": "x", "b": "y"}}),
    );
    v["weights"] = json!({"profession": 0.7, "level": 0.3});
    let p = parse(&v);
    let table = combine_table(&p);
    let mut expected = table;
    expected += 0.7 * 1.0;
    expected += 0.3 * 1.0;
    expected += 0.25 * 1.0;
    expected += 0.5 * 1.0;
    assert_eq!(score_pair(&p, 0, 0).score.to_bits(), expected.to_bits());
    assert_eq!(p.max_score(), 1.0 + 0.7 + 0.3 + 0.25 + 0.5);
    // the bitset path gives the same bits
    let prep = Prepared::new(&p);
    let mut row = vec![0.0; 1];
    prep.score_row(&p, 0, &mut row);
    assert_eq!(row[0].to_bits(), expected.to_bits());
    assert_eq!(prep.score(&p, 0, 0), score_pair(&p, 0, 0));
}

fn combine_table(p: &Program) -> f64 {
    let e = &p.mentees[0];
    let m = &p.mentors[0];
    score::combine(&p.weights, &score::raw_pair(e, m)).score
}

#[test]
fn a_file_without_them_scores_and_reads_as_before() {
    let plain = json!({
        "at": "2026-01-15T12:00:00Z",
        "mentors": [{"id": "m", "capacity": 1, "timezone": "UTC", "topics": ["rust"]}],
        "mentees": [{"id": "e", "timezone": "UTC", "goals": ["rust"]}]
    });
    let before = serde_json::to_string(&solve(&parse(&plain))).unwrap();
    assert!(!before.contains("extra_criteria"));
    // empty sections and level lists nobody uses change nothing either
    let mut same = plain.clone();
    same["questions"] = json!([]);
    same["levels"] = json!(["a", "b"]);
    same["weights"] = json!({"profession": 3.0, "level": 2.0});
    let p = parse(&same);
    assert!(!p.extras.on);
    assert_eq!(serde_json::to_string(&solve(&p)).unwrap(), before);
    // a file with a question has the extra criteria in its output
    let mut with = plain;
    with["questions"] = json!([q("a", "same", &["x", "y"], false, 0.1)]);
    let out = serde_json::to_value(solve(&parse(&with))).unwrap();
    assert_eq!(
        out["pairs"][0]["extra_criteria"],
        json!({"profession": 0.0, "level": 0.0, "questions": {"a": 0.0}})
    );
}

#[test]
fn reasons_cite_answers_and_read_the_other_way_for_the_mentor() {
    let qs = json!([
        {"id": "meet", "text": "How do you like meetings to run?", "choices": ["Planned, structured meetings",
         "Spontaneous, open meetings"], "rule": "same", "phrase": "you both prefer {}"},
        q("feed", "same", &["Direct", "Diplomatic"], false, 0.1),
        q("exp", "mentor-above", &["junior", "mid", "senior"], false, 0.1),
        q("diff", "different", &["x", "y"], false, 0.1),
    ]);
    let v = pair(
        qs,
        json!({"profession": "Nurse", "profession_wish": "other", "unit": "Cardiology", "level": "clinician",
               "answers": {"meet": "planned, structured meetings", "feed": "Direct", "exp": "junior", "diff": "x"}}),
        json!({"profession": "Pharmacist", "unit": "Pharmacy", "level": "manager",
               "answers": {"meet": "Planned, structured meetings", "feed": "direct", "exp": "senior", "diff": "y"}}),
    );
    let r = solve(&parse(&v));
    let why = &r.pairs[0].reasons;
    let want = [
        (
            "the mentor works in another profession (Pharmacist), as you asked",
            "you work in another profession (Pharmacist), as they asked",
        ),
        (
            "the mentor works in another unit (Pharmacy)",
            "you work in another unit (Pharmacy)",
        ),
        (
            "the mentor is at a higher level (manager) than yours (clinician)",
            "you are at a higher level (manager) than theirs (clinician)",
        ),
        (
            "you both prefer planned, structured meetings",
            "you both prefer planned, structured meetings",
        ),
        (
            "you both answered \"Direct\" to \"Question feed?\"",
            "you both answered \"Direct\" to \"Question feed?\"",
        ),
        (
            "the mentor is further along on \"Question exp?\" (\"senior\" to your \"junior\")",
            "you are further along on \"Question exp?\" (\"senior\" to their \"junior\")",
        ),
        (
            "your answers to \"Question diff?\" differ (\"x\" and \"y\"), as the program wants",
            "your answers to \"Question diff?\" differ (\"x\" and \"y\"), as the program wants",
        ),
    ];
    for (mentee, mentor) in want {
        assert!(why.contains(&mentee.to_string()), "{mentee:?} not in {why:#?}");
        assert_eq!(mentor_view(mentee).as_deref(), Some(mentor));
    }
    // the table's reasons come first, as before; the new ones follow the topics and skills
    assert!(why.last().unwrap().starts_with("the mentor "), "{why:?}");
    assert_eq!(mentor_view("same time zone"), None);
    assert_eq!(
        mentor_view("the mentor works in your profession (Nurse), though you asked for another").as_deref(),
        Some("you work in their profession (Nurse), though they asked for another")
    );
}

#[test]
fn malformed_questions_and_answers_are_refused_with_the_field() {
    let one = json!([q("a", "same", &["x"], false, 0.1)]);
    assert!(err(&pair(one, json!({}), json!({}))).contains("2 to 10 choices, got 1"));
    let many: Vec<String> = (0..11).map(|k| format!("c{k}")).collect();
    let many: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
    assert!(err(&pair(json!([q("a", "same", &many, false, 0.1)]), json!({}), json!({}))).contains("got 11"));
    let e = err(&pair(
        json!([q("a", "similar", &["x", "y"], false, 0.1)]),
        json!({}),
        json!({}),
    ));
    assert!(
        e.contains("unknown rule \"similar\"") && e.contains("mentor-above"),
        "{e}"
    );
    assert!(err(&pair(
        json!([q("a", "mentor-above", &["x", "y"], true, 0.1)]),
        json!({}),
        json!({})
    ))
    .contains("single choice"));
    assert!(err(&pair(
        json!([q("a", "complementary", &["x", "y"], false, 0.1)]),
        json!({}),
        json!({})
    ))
    .contains("pairs"));
    let bad_pair =
        json!([{"id": "a", "text": "t", "choices": ["x", "y"], "rule": "complementary", "pairs": [["x", "w"]]}]);
    assert!(err(&pair(bad_pair, json!({}), json!({}))).contains("\"w\" is not one of the choices"));
    assert!(err(&pair(
        json!([q("a", "same", &["x", "X "], false, 0.1)]),
        json!({}),
        json!({})
    ))
    .contains("twice"));
    let qs = json!([q("a", "same", &["x", "y"], false, 0.1)]);
    let e = err(&pair(qs.clone(), json!({"answers": {"a": "z"}}), json!({})));
    assert!(
        e.contains("mentees[0] (id \"e\").answers.a: \"z\" is not one of the choices (x, y)"),
        "{e}"
    );
    assert!(err(&pair(qs.clone(), json!({"answers": {"a": ["x", "y"]}}), json!({}))).contains("takes one choice"));
    assert!(err(&pair(qs.clone(), json!({}), json!({"answers": {"b": "x"}}))).contains("not a question of the file"));
    assert!(err(&pair(qs.clone(), json!({"level": "wizard"}), json!({}))).contains("not one of the levels"));
    assert!(err(&pair(qs.clone(), json!({"profession_wish": "nearby"}), json!({}))).contains("same, other or either"));
    let mut v = pair(qs.clone(), json!({}), json!({}));
    v["levels"] = json!(null);
    v["mentees"][0]["level"] = json!("student");
    assert!(err(&v).contains("the file has no levels"));
    let mut v = pair(qs.clone(), json!({}), json!({}));
    v["weights"] = json!({"chemistry": 1});
    assert!(err(&v).contains("profession, level"));
    let mut v = pair(qs, json!({}), json!({}));
    v["questions"][0]["phrase"] = json!("you both like it");
    assert!(err(&v).contains("{}"));
}

#[test]
fn rules_and_wishes_parse() {
    assert_eq!(Rule::parse(" Mentor above"), Some(Rule::MentorAbove));
    assert_eq!(Rule::parse("mentor_above"), Some(Rule::MentorAbove));
    assert_eq!(Rule::parse("opposite"), None);
    assert_eq!(Wish::parse("another"), Some(Wish::Other));
    assert_eq!(Wish::parse("Same"), Some(Wish::Same));
}

// ------------------------------------------------------------- property tests

const PROFESSIONS: [&str; 3] = ["nurse", "pharmacist", "physician"];
const WISHES: [&str; 3] = ["same", "other", "either"];
const LEVELS: [&str; 4] = ["student", "new grad", "clinician", "manager"];
const CHOICES: [&str; 4] = ["a", "b", "c", "d"];

/// A question: rule, number of choices, multiple, weight.
fn question() -> impl Strategy<Value = Value> {
    (0usize..4, 2usize..5, any::<bool>(), 0.0f64..0.6).prop_map(|(rule, n, multiple, w)| {
        let rule = ["same", "different", "mentor-above", "complementary"][rule];
        let multiple = multiple && rule != "mentor-above";
        let mut v = json!({"text": "?", "choices": &CHOICES[..n], "multiple": multiple, "rule": rule,
                           "weight": w});
        if rule == "complementary" {
            v["pairs"] = json!([["a", "b"], [CHOICES[n - 1], "a"]]);
        }
        v
    })
}

/// Traits for one person: profession, level, wish, and an answer mask per question slot.
fn traits() -> impl Strategy<Value = (Option<usize>, Option<usize>, usize, Vec<u8>)> {
    (
        proptest::option::of(0usize..3),
        proptest::option::of(0usize..4),
        0usize..3,
        proptest::collection::vec(0u8..16, 3),
    )
}

/// Random small programs (as the table's tests make them) with 0 to 3 questions, levels,
/// professions, wishes and answers on top.
fn program_with_extras(max_mentees: usize, max_mentors: usize) -> impl Strategy<Value = Value> {
    (
        program_strategy(max_mentees, max_mentors),
        proptest::collection::vec(question(), 0..=3),
        proptest::collection::vec(traits(), 16),
        proptest::option::of((0.0f64..0.5, 0.0f64..0.5)),
    )
        .prop_map(|(mut v, mut qs, ts, weights)| {
            for (k, q) in qs.iter_mut().enumerate() {
                q["id"] = json!(format!("q{k}"));
            }
            let answer = |q: &Value, mask: u8| -> Value {
                let n = q["choices"].as_array().unwrap().len();
                let multiple = q["multiple"].as_bool().unwrap();
                let picked: Vec<&str> = (0..n).filter(|c| mask & (1 << c) != 0).map(|c| CHOICES[c]).collect();
                if multiple {
                    json!(picked)
                } else {
                    json!(picked.first().copied())
                }
            };
            let mut slot = 0;
            for side in ["mentees", "mentors"] {
                for person in v[side].as_array_mut().unwrap() {
                    let (prof, level, wish, masks) = &ts[slot % ts.len()];
                    slot += 1;
                    if let Some(p) = prof {
                        person["profession"] = json!(PROFESSIONS[*p]);
                    }
                    if let Some(l) = level {
                        person["level"] = json!(LEVELS[*l]);
                    }
                    if side == "mentees" {
                        person["profession_wish"] = json!(WISHES[*wish]);
                    }
                    let mut answers = serde_json::Map::new();
                    for (k, q) in qs.iter().enumerate() {
                        answers.insert(format!("q{k}"), answer(q, masks[k]));
                    }
                    person["answers"] = Value::Object(answers);
                }
            }
            v["questions"] = json!(qs);
            v["levels"] = json!(LEVELS);
            if let Some((a, b)) = weights {
                v["weights"] = json!({"profession": a, "level": b});
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

    /// With questions, professions and levels, the solver still reaches the brute-force
    /// optimum (placed, then total), with the full and with tiny candidate lists, and keeps
    /// every hard rule.
    #[test]
    fn solve_with_questions_matches_brute_force(v in program_with_extras(6, 4)) {
        let p = parse(&v);
        let (placed, total) = brute_force(&p);
        for opts in all_options() {
            let r = solve_with_options(&p, &|_| 0.0, opts);
            check_rules(&p, &r);
            prop_assert_eq!(r.pairs.len(), placed, "{:?}", opts);
            prop_assert!((r.total_score - total).abs() <= 1e-9 * total.max(1.0),
                "{:?}: {} vs {}", opts, r.total_score, total);
            prop_assert!(r.optimal, "{:?}", opts);
        }
    }

    /// The bitset path and the direct path agree bit for bit with the extra criteria, and a
    /// pair's score is the table's plus exactly its extra criteria.
    #[test]
    fn extras_agree_on_every_path(v in program_with_extras(8, 8)) {
        let p = parse(&v);
        let prep = Prepared::new(&p);
        let mut row = vec![0.0; p.mentors.len()];
        for i in 0..p.mentees.len() {
            prep.score_row(&p, i, &mut row);
            for (j, &s) in row.iter().enumerate() {
                let direct = score_pair(&p, i, j);
                prop_assert_eq!(prep.score(&p, i, j), direct);
                prop_assert_eq!(s.to_bits(), direct.score.to_bits());
                if let Some(x) = criteria::extra_criteria(&p, i, j) {
                    let table = score::combine(&p.weights, &score::raw_pair(&p.mentees[i], &p.mentors[j])).score;
                    let mut want = table;
                    want += p.extras.weights[0] * x.profession;
                    want += p.extras.weights[1] * x.level;
                    for (k, (_, val)) in x.questions.0.iter().enumerate() {
                        want += p.extras.questions[k].weight * val;
                    }
                    prop_assert_eq!(want.to_bits(), direct.score.to_bits());
                    prop_assert!(direct.score <= p.max_score() + 1e-12);
                }
            }
        }
    }

    /// Taking a question out of the file takes exactly its term out of every score.
    #[test]
    fn removing_a_question_removes_only_its_term(v in program_with_extras(5, 5)) {
        let p = parse(&v);
        prop_assume!(!p.extras.questions.is_empty());
        let mut w = v.clone();
        w["questions"].as_array_mut().unwrap().remove(0);
        for side in ["mentees", "mentors"] {
            for person in w[side].as_array_mut().unwrap() {
                person["answers"].as_object_mut().unwrap().remove("q0");
            }
        }
        let p2 = parse(&w);
        prop_assume!(p2.extras.on);
        for i in 0..p.mentees.len() {
            for j in 0..p.mentors.len() {
                let with = criteria::extra_criteria(&p, i, j).unwrap();
                let without = criteria::extra_criteria(&p2, i, j).unwrap();
                prop_assert_eq!(&with.questions.0[1..], &without.questions.0[..]);
                prop_assert_eq!(with.profession, without.profession);
            }
        }
    }
}
