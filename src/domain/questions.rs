//! Chemistry and formal criteria (issue 13): the organisers' matching questions, the server's
//! levels, and each member's profession, organisational unit and level.
//!
//! Questions are the organisers' own ("How do you like meetings to run?"), or a ready-made set
//! on working and communication styles. They are not a psychometric test and say so: they ask
//! how people like to work together, so matching can pair people whose habits fit.
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, UserId};
use super::validate::{Valid, ValidationError};
pub use crate::matching::criteria::{Rule, Wish};

/// A server has at most this many questions in use.
pub const MAX_QUESTIONS: usize = 10;
pub const MIN_CHOICES: usize = 2;
pub const MAX_CHOICES: usize = 10;
/// A question fits a select menu's placeholder (Discord: 150) with room to spare.
pub const QUESTION_MAX: usize = 100;
/// A choice fits a select option's label (Discord: 100).
pub const CHOICE_MAX: usize = 80;
/// A question's weight, like the server's criteria weights, is 0 to 10.
pub const MAX_WEIGHT: f64 = 10.0;
pub const DEFAULT_WEIGHT: f64 = 0.1;
/// The server's levels: 2 to 10 names, each at most 40 characters.
pub const MIN_LEVELS: usize = 2;
pub const MAX_LEVELS: usize = 10;
pub const LEVEL_MAX: usize = 40;
/// A profession or unit name.
pub const TRAIT_MAX: usize = 60;

/// What the ready-made questions and the answer menus say about themselves.
pub const NOT_A_TEST: &str = "These questions are not a psychometric test: they ask how you like to work and talk, \
so matching can pair people whose habits fit. Answer what you like; you can change or clear an answer at any time.";

/// A question's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuestionId(pub i64);

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An organiser's matching question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub guild: GuildId,
    pub text: String,
    pub choices: Vec<String>,
    pub multiple: bool,
    #[serde(with = "rule_text")]
    pub rule: Rule,
    /// Complementary pairs, as choice indices (from 0).
    pub pairs: Vec<(usize, usize)>,
    pub weight: f64,
    /// How a shared answer reads in the reasons ("you both prefer {}"); ready-made ones only.
    pub phrase: Option<String>,
    /// The key of the ready-made question this is, if it is one.
    pub preset: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Removed questions keep their answers (and what earlier matches said) but count no more.
    pub removed_at: Option<DateTime<Utc>>,
}

mod rule_text {
    use super::Rule;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(r: &Rule, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(r.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
        let s = String::deserialize(d)?;
        Rule::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown rule {s}")))
    }
}

/// `/program question add` as typed.
#[derive(Debug, Clone, Default)]
pub struct QuestionInput {
    pub text: String,
    /// "Planned, structured; Spontaneous, open" (`;` or `|` between choices; `,` when no choice
    /// has one).
    pub choices: String,
    pub multiple: bool,
    pub rule: String,
    /// Complementary pairs by choice number: "1-2, 3-4".
    pub pairs: Option<String>,
    pub weight: Option<f64>,
}

fn one_line(field: &str, value: &str, max: usize) -> Valid<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if v.contains(['\n', '\r']) {
        return Err(ValidationError::new(field, "must be one line"));
    }
    let len = v.chars().count();
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    Ok(v.to_string())
}

/// Splits the choices: on `;` or `|` when either is there, else on commas.
pub fn split_choices(text: &str) -> Vec<String> {
    let parts: Vec<&str> = if text.contains([';', '|']) {
        text.split([';', '|']).collect()
    } else {
        text.split(',').collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_rule(text: &str) -> Valid<Rule> {
    Rule::parse(text).ok_or_else(|| {
        ValidationError::new(
            "rule",
            format!(
                "\"{}\" is not a rule; use same, different, mentor-above (ordinal choices) or complementary (with pairs)",
                text.trim()
            ),
        )
    })
}

fn parse_pairs(text: &str, choices: usize) -> Valid<Vec<(usize, usize)>> {
    let bad = |part: &str| {
        ValidationError::new(
            "pairs",
            format!("\"{part}\" is not a pair of choice numbers; write e.g. 1-2, 3-4 (numbers 1 to {choices})"),
        )
    };
    let mut out = Vec::new();
    for part in text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once(['-', '=']).ok_or_else(|| bad(part))?;
        let (a, b): (usize, usize) = (
            a.trim().parse().map_err(|_| bad(part))?,
            b.trim().parse().map_err(|_| bad(part))?,
        );
        if a == 0 || b == 0 || a > choices || b > choices {
            return Err(bad(part));
        }
        if a == b {
            return Err(ValidationError::new(
                "pairs",
                format!("\"{part}\": a choice cannot complement itself (that is the rule same)"),
            ));
        }
        if !out.contains(&(a - 1, b - 1)) && !out.contains(&(b - 1, a - 1)) {
            out.push((a - 1, b - 1));
        }
    }
    if out.is_empty() {
        return Err(ValidationError::new(
            "pairs",
            "the complementary rule needs its pairs, by choice number: e.g. 1-2, 3-4",
        ));
    }
    Ok(out)
}

impl Question {
    /// A checked new question; its id is given by the store.
    pub fn new(guild: GuildId, input: &QuestionInput, now: DateTime<Utc>) -> Valid<Question> {
        let text = one_line("question", &input.text, QUESTION_MAX)?;
        let choices = split_choices(&input.choices);
        if !(MIN_CHOICES..=MAX_CHOICES).contains(&choices.len()) {
            return Err(ValidationError::new(
                "choices",
                format!(
                    "there are {} choice(s); give {MIN_CHOICES} to {MAX_CHOICES}, separated by ; (e.g. Planned; Spontaneous)",
                    choices.len()
                ),
            ));
        }
        for (k, c) in choices.iter().enumerate() {
            one_line("choices", c, CHOICE_MAX)?;
            if choices[..k].iter().any(|x| x.to_lowercase() == c.to_lowercase()) {
                return Err(ValidationError::new("choices", format!("\"{c}\" is listed twice")));
            }
        }
        let rule = parse_rule(&input.rule)?;
        if rule == Rule::MentorAbove && input.multiple {
            return Err(ValidationError::new(
                "rule",
                "mentor-above compares ordinal choices (lowest first), so the question takes one answer: set multiple to False",
            ));
        }
        let pairs = match (rule, input.pairs.as_deref().map(str::trim).filter(|p| !p.is_empty())) {
            (Rule::Complementary, Some(p)) => parse_pairs(p, choices.len())?,
            (Rule::Complementary, None) => parse_pairs("", choices.len())?,
            (_, Some(_)) => {
                return Err(ValidationError::new(
                    "pairs",
                    "pairs are only for the complementary rule; leave them out or use rule complementary",
                ))
            }
            (_, None) => Vec::new(),
        };
        let weight = input.weight.unwrap_or(DEFAULT_WEIGHT);
        if !weight.is_finite() || !(0.0..=MAX_WEIGHT).contains(&weight) {
            return Err(ValidationError::new(
                "weight",
                format!("{weight} is out of range; give a number from 0 to {MAX_WEIGHT}, e.g. 0.1"),
            ));
        }
        Ok(Question {
            id: QuestionId(0),
            guild,
            text,
            choices,
            multiple: input.multiple,
            rule,
            pairs,
            weight,
            phrase: None,
            preset: None,
            created_at: now,
            removed_at: None,
        })
    }

    /// The choices picked in a select menu (their values are choice numbers from 0). Nothing
    /// picked clears the answer.
    pub fn answer(&self, values: &[String]) -> Valid<Vec<usize>> {
        let mut out: Vec<usize> = Vec::new();
        for v in values {
            let k = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&k| k < self.choices.len())
                .ok_or_else(|| {
                    ValidationError::new(
                        "answer",
                        format!(
                            "\"{}\" is not one of the choices of \"{}\"; pick one from the menu ({})",
                            v.trim(),
                            self.text,
                            self.choices.join("; ")
                        ),
                    )
                })?;
            if !out.contains(&k) {
                out.push(k);
            }
        }
        if !self.multiple && out.len() > 1 {
            return Err(ValidationError::new(
                "answer",
                format!("\"{}\" takes one answer; pick one", self.text),
            ));
        }
        out.sort_unstable();
        Ok(out)
    }

    /// How the rule reads for people.
    pub fn rule_text(&self) -> String {
        match self.rule {
            Rule::Same => "same answers match".into(),
            Rule::Different => "different answers match".into(),
            Rule::MentorAbove => "the mentor's answer above the mentee's (below for reverse mentoring)".into(),
            Rule::Complementary => {
                let pairs: Vec<String> = self
                    .pairs
                    .iter()
                    .map(|&(a, b)| format!("{} + {}", self.choices[a], self.choices[b]))
                    .collect();
                format!("complementary: {}", pairs.join(", "))
            }
        }
    }
}

/// One member's answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: QuestionId,
    pub user: UserId,
    /// Choice indices, ascending.
    pub choices: Vec<usize>,
    pub answered_at: DateTime<Utc>,
}

/// A ready-made question on working and communication styles.
pub struct Preset {
    pub key: &'static str,
    pub text: &'static str,
    pub choices: [&'static str; 2],
    pub phrase: &'static str,
}

/// The ready-made set an organiser can turn on: planned or spontaneous, direct or diplomatic,
/// pace. Same answers match.
pub const READY_MADE: [Preset; 3] = [
    Preset {
        key: "meetings",
        text: "How do you like your meetings to run?",
        choices: ["Planned, structured meetings", "Spontaneous, open meetings"],
        phrase: "you both prefer {}",
    },
    Preset {
        key: "feedback",
        text: "How do you like feedback to be given?",
        choices: ["Direct feedback, to the point", "Diplomatic feedback, gently put"],
        phrase: "you both prefer {}",
    },
    Preset {
        key: "pace",
        text: "What pace suits you?",
        choices: ["A steady pace, small regular steps", "A fast pace, ambitious goals"],
        phrase: "you both prefer {}",
    },
];

impl Preset {
    pub fn question(&self, guild: GuildId, now: DateTime<Utc>) -> Question {
        Question {
            id: QuestionId(0),
            guild,
            text: self.text.to_string(),
            choices: self.choices.iter().map(|c| c.to_string()).collect(),
            multiple: false,
            rule: Rule::Same,
            pairs: Vec::new(),
            weight: DEFAULT_WEIGHT,
            phrase: Some(self.phrase.to_string()),
            preset: Some(self.key.to_string()),
            created_at: now,
            removed_at: None,
        }
    }
}

/// The server's levels, lowest first, from "student < new grad < clinician".
pub fn parse_levels(text: &str) -> Valid<Vec<String>> {
    let names: Vec<String> = text.split('<').map(|s| s.trim().to_string()).collect();
    if names.len() < MIN_LEVELS || names.len() > MAX_LEVELS || names.iter().any(|n| n.is_empty()) {
        return Err(ValidationError::new(
            "levels",
            format!(
                "write {MIN_LEVELS} to {MAX_LEVELS} levels, lowest first, separated by <, e.g. \"student < new grad < clinician < senior clinician < manager\""
            ),
        ));
    }
    for (k, n) in names.iter().enumerate() {
        one_line("levels", n, LEVEL_MAX)?;
        if names[..k].iter().any(|x| x.to_lowercase() == n.to_lowercase()) {
            return Err(ValidationError::new("levels", format!("\"{n}\" is named twice")));
        }
    }
    Ok(names)
}

pub fn format_levels(levels: &[String]) -> String {
    levels.join(" < ")
}

/// A member's profession, organisational unit and level in one server.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemberCriteria {
    pub profession: Option<String>,
    pub unit: Option<String>,
    /// One of the server's levels, as the server spells it (kept if the ladder changes, and
    /// then not counted).
    pub level: Option<String>,
}

/// What `/mentor profile` changes: `None` keeps a field, `none` or `-` clears it.
#[derive(Debug, Clone, Default)]
pub struct CriteriaInput {
    pub profession: Option<String>,
    pub unit: Option<String>,
    pub level: Option<String>,
}

impl CriteriaInput {
    pub fn is_empty(&self) -> bool {
        self.profession.is_none() && self.unit.is_none() && self.level.is_none()
    }
}

fn cleared(v: &str) -> bool {
    let v = v.trim();
    v == "-" || v.eq_ignore_ascii_case("none")
}

impl MemberCriteria {
    /// The criteria after `input`, checked against the server's levels.
    pub fn updated(&self, input: &CriteriaInput, levels: &[String]) -> Valid<MemberCriteria> {
        let mut out = self.clone();
        if let Some(p) = &input.profession {
            out.profession = if cleared(p) {
                None
            } else {
                Some(one_line("profession", p, TRAIT_MAX)?)
            };
        }
        if let Some(u) = &input.unit {
            out.unit = if cleared(u) {
                None
            } else {
                Some(one_line("unit", u, TRAIT_MAX)?)
            };
        }
        if let Some(l) = &input.level {
            out.level = if cleared(l) {
                None
            } else if levels.is_empty() {
                return Err(ValidationError::new(
                    "level",
                    "this server has not defined its levels yet; an organiser sets them with /program levels",
                ));
            } else {
                let found = levels.iter().find(|x| x.to_lowercase() == l.trim().to_lowercase());
                Some(
                    found
                        .ok_or_else(|| {
                            ValidationError::new(
                                "level",
                                format!(
                                    "\"{}\" is not a level of this server; choose one of {}",
                                    l.trim(),
                                    levels.join(", ")
                                ),
                            )
                        })?
                        .clone(),
                )
            };
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.profession.is_none() && self.unit.is_none() && self.level.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(choices: &str, rule: &str) -> QuestionInput {
        QuestionInput {
            text: "How do you like meetings?".into(),
            choices: choices.into(),
            rule: rule.into(),
            ..Default::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_770_000_000, 0).unwrap()
    }

    #[test]
    fn questions_check_choices_rules_pairs_and_weight() {
        let g = GuildId(1);
        let q = Question::new(g, &input("Planned, structured; Spontaneous, open", "same"), now()).unwrap();
        assert_eq!(q.choices, vec!["Planned, structured", "Spontaneous, open"]);
        assert_eq!(q.weight, DEFAULT_WEIGHT);
        // commas separate when nothing else does
        assert_eq!(split_choices("a, b ,c"), vec!["a", "b", "c"]);
        let e = Question::new(g, &input("only one", "same"), now()).unwrap_err();
        assert!(e.reason.contains("1 choice(s); give 2 to 10"), "{e}");
        let eleven = (1..=11).map(|k| format!("c{k}")).collect::<Vec<_>>().join("; ");
        assert!(Question::new(g, &input(&eleven, "same"), now())
            .unwrap_err()
            .reason
            .contains("11 choice(s)"));
        let e = Question::new(g, &input("a; b", "similar"), now()).unwrap_err();
        assert_eq!(e.field, "rule");
        assert!(e.reason.contains("\"similar\" is not a rule"), "{e}");
        let mut multi = input("low; mid; high", "mentor-above");
        multi.multiple = true;
        assert!(Question::new(g, &multi, now())
            .unwrap_err()
            .reason
            .contains("one answer"));
        assert_eq!(
            Question::new(g, &input("a; b", "complementary"), now())
                .unwrap_err()
                .field,
            "pairs"
        );
        let mut comp = input("Big picture; Details; Both", "complementary");
        comp.pairs = Some("1-2, 2-1".into());
        let q = Question::new(g, &comp, now()).unwrap();
        assert_eq!(q.pairs, vec![(0, 1)]);
        assert_eq!(q.rule_text(), "complementary: Big picture + Details");
        comp.pairs = Some("1-4".into());
        assert!(Question::new(g, &comp, now())
            .unwrap_err()
            .reason
            .contains("numbers 1 to 3"));
        comp.pairs = Some("2-2".into());
        assert!(Question::new(g, &comp, now()).is_err());
        let mut same_with_pairs = input("a; b", "same");
        same_with_pairs.pairs = Some("1-2".into());
        assert_eq!(Question::new(g, &same_with_pairs, now()).unwrap_err().field, "pairs");
        let mut heavy = input("a; b", "same");
        heavy.weight = Some(11.0);
        assert_eq!(Question::new(g, &heavy, now()).unwrap_err().field, "weight");
        assert!(Question::new(g, &input("a; A ", "same"), now()).is_err());
        let long = "x".repeat(CHOICE_MAX + 1);
        assert!(Question::new(g, &input(&format!("a; {long}"), "same"), now()).is_err());
        let mut long_q = input("a; b", "same");
        long_q.text = "q".repeat(QUESTION_MAX + 1);
        assert_eq!(Question::new(g, &long_q, now()).unwrap_err().field, "question");
    }

    #[test]
    fn answers_must_be_choices() {
        let g = GuildId(1);
        let q = Question::new(g, &input("a; b; c", "same"), now()).unwrap();
        assert_eq!(q.answer(&["1".into()]).unwrap(), vec![1]);
        assert_eq!(q.answer(&[]).unwrap(), Vec::<usize>::new());
        let e = q.answer(&["3".into()]).unwrap_err();
        assert!(e.reason.contains("\"3\" is not one of the choices"), "{e}");
        assert!(q.answer(&["x".into()]).is_err());
        assert!(q
            .answer(&["0".into(), "1".into()])
            .unwrap_err()
            .reason
            .contains("one answer"));
        let mut m = input("a; b; c", "same");
        m.multiple = true;
        let q = Question::new(g, &m, now()).unwrap();
        assert_eq!(q.answer(&["2".into(), "0".into(), "2".into()]).unwrap(), vec![0, 2]);
    }

    #[test]
    fn levels_and_member_criteria() {
        let levels = parse_levels("student < new grad < clinician < senior clinician < manager").unwrap();
        assert_eq!(levels.len(), 5);
        assert_eq!(
            format_levels(&levels),
            "student < new grad < clinician < senior clinician < manager"
        );
        assert!(parse_levels("only").is_err());
        assert!(parse_levels("a < < b").is_err());
        assert!(parse_levels("a < A").is_err());
        let none = MemberCriteria::default();
        let set = none
            .updated(
                &CriteriaInput {
                    profession: Some(" Nurse ".into()),
                    unit: Some("Cardiology".into()),
                    level: Some("Senior Clinician".into()),
                },
                &levels,
            )
            .unwrap();
        assert_eq!(set.profession.as_deref(), Some("Nurse"));
        assert_eq!(set.level.as_deref(), Some("senior clinician"));
        let e = none
            .updated(
                &CriteriaInput {
                    level: Some("wizard".into()),
                    ..Default::default()
                },
                &levels,
            )
            .unwrap_err();
        assert!(
            e.reason.contains("not a level of this server; choose one of student"),
            "{e}"
        );
        let e = none
            .updated(
                &CriteriaInput {
                    level: Some("student".into()),
                    ..Default::default()
                },
                &[],
            )
            .unwrap_err();
        assert!(e.reason.contains("/program levels"));
        let cleared = set
            .updated(
                &CriteriaInput {
                    profession: Some("none".into()),
                    ..Default::default()
                },
                &levels,
            )
            .unwrap();
        assert_eq!(cleared.profession, None);
        assert_eq!(cleared.unit.as_deref(), Some("Cardiology"));
    }

    #[test]
    fn the_ready_made_set_reads_well() {
        for p in &READY_MADE {
            let q = p.question(GuildId(1), now());
            assert!(q.text.chars().count() <= QUESTION_MAX);
            assert!(q.choices.iter().all(|c| c.chars().count() <= CHOICE_MAX));
            assert!(q.phrase.as_deref().unwrap().starts_with("you both prefer "));
        }
        assert!(NOT_A_TEST.contains("not a psychometric test"));
    }
}
