//! Chemistry and formal criteria (issue 13): a person's profession, organisational unit and
//! level, a mentee's wish for a mentor from their own profession or another, and the
//! organisers' questions with their rules.
//!
//! They only ever add to the score of the table: a program file without any of them
//! (no `questions`, no `answers`, no `profession`, `unit`, `level` or `profession_wish`) has
//! `Extras::on == false` and scores, solves and reads exactly as before. With them, a pair's
//! score is the table's sum, then `+ w_profession * profession`, then `+ w_level * level`, then
//! `+ weight * value` for each question in the file's order (always summed in that order, so
//! every path gets the same float). A criterion with nothing to judge (someone did not answer,
//! no profession given, no wish) is worth 0, never a penalty beyond the missing bonus.

use std::collections::HashMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::program::{norm, Program, ProgramError, MAX_WEIGHT};

/// The extra criteria of the `weights` object, after the table's seven.
pub const EXTRA_CRITERIA: [&str; 2] = ["profession", "level"];
/// Their default weights.
pub const DEFAULT_EXTRA_WEIGHTS: [f64; 2] = [0.15, 0.10];
/// A question's weight when the file gives none.
pub const DEFAULT_QUESTION_WEIGHT: f64 = 0.1;
/// A question has 2 to 10 choices.
pub const MIN_CHOICES: usize = 2;
pub const MAX_CHOICES: usize = 10;
/// Questions a program file may hold (a server holds at most 10).
pub const MAX_FILE_QUESTIONS: usize = 32;
/// Levels a program file may name.
pub const MAX_LEVELS: usize = 32;

/// What a mentee asks of their mentor's profession.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wish {
    #[default]
    Either,
    /// From the mentee's own profession.
    Same,
    /// From another profession.
    Other,
}

impl Wish {
    pub fn as_str(self) -> &'static str {
        match self {
            Wish::Either => "either",
            Wish::Same => "same",
            Wish::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Wish> {
        match norm(s).as_str() {
            "either" | "any" => Some(Wish::Either),
            "same" => Some(Wish::Same),
            "other" | "another" | "different" => Some(Wish::Other),
            _ => None,
        }
    }
}

/// How two answers to a question count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The more the answers share, the better (shared choices over all choices given).
    Same,
    /// The less they share, the better (one minus the above).
    Different,
    /// Ordinal choices (the first is the lowest): the mentor's answer above the mentee's, or
    /// below it for reverse mentoring, equal for peers; equal answers count half otherwise.
    MentorAbove,
    /// A table of complementary pairs of choices: 1 when an answer of the mentee and one of
    /// the mentor form a pair, else 0.
    Complementary,
}

impl Rule {
    pub const NAMES: [&'static str; 4] = ["same", "different", "mentor-above", "complementary"];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Same => "same",
            Rule::Different => "different",
            Rule::MentorAbove => "mentor-above",
            Rule::Complementary => "complementary",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        match norm(s).replace(['_', ' '], "-").as_str() {
            "same" => Some(Rule::Same),
            "different" => Some(Rule::Different),
            "mentor-above" => Some(Rule::MentorAbove),
            "complementary" => Some(Rule::Complementary),
            _ => None,
        }
    }
}

/// One question of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub text: String,
    /// The choices as spelled (trimmed), distinct ignoring case; the first is the lowest for
    /// `mentor-above`.
    pub choices: Vec<String>,
    pub multiple: bool,
    pub rule: Rule,
    pub weight: f64,
    /// How a shared answer reads in the reasons, with `{}` for the answer ("you both prefer {}").
    pub phrase: Option<String>,
    /// Complementary pairs as choice indices (each pair once, as given).
    pub pairs: Vec<(usize, usize)>,
    /// For each choice, the mask of the choices it complements (symmetric).
    pub partners: Vec<u16>,
}

impl Question {
    /// The choice index of a label (trimmed, ignoring case).
    pub fn choice_index(&self, label: &str) -> Option<usize> {
        let n = norm(label);
        self.choices.iter().position(|c| norm(c) == n)
    }

    fn labels(&self, mask: u16) -> Vec<&str> {
        (0..self.choices.len())
            .filter(|&c| mask & (1 << c) != 0)
            .map(|c| self.choices[c].as_str())
            .collect()
    }
}

/// Profession, unit, level, wish and answers of one person. Everything defaults to "not said".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traits {
    /// Profession: (interned normalised name, spelling as given).
    pub profession: Option<(u32, String)>,
    pub unit: Option<(u32, String)>,
    /// Index into the program's levels.
    pub level: Option<usize>,
    /// Mentees only.
    pub wish: Wish,
    /// One mask of choices per question of the file (0: not answered).
    pub answers: Vec<u16>,
}

impl Traits {
    fn is_empty(&self) -> bool {
        self.profession.is_none()
            && self.unit.is_none()
            && self.level.is_none()
            && self.wish == Wish::Either
            && self.answers.iter().all(|&a| a == 0)
    }
}

/// The program's extra criteria.
#[derive(Debug, Clone, PartialEq)]
pub struct Extras {
    /// False for a file without any of them: the score is the table's alone.
    pub on: bool,
    /// In the order of [`EXTRA_CRITERIA`].
    pub weights: [f64; 2],
    pub levels: Vec<String>,
    pub questions: Vec<Question>,
}

impl Default for Extras {
    fn default() -> Self {
        Extras {
            on: false,
            weights: DEFAULT_EXTRA_WEIGHTS,
            levels: Vec::new(),
            questions: Vec::new(),
        }
    }
}

impl Extras {
    /// The most the extra criteria can add to a score.
    pub fn max(&self) -> f64 {
        if !self.on {
            return 0.0;
        }
        let mut s = self.weights[0] + self.weights[1];
        for q in &self.questions {
            s += q.weight;
        }
        s
    }
}

/// What the mentee's kind expects of the mentor's place on an ordinal scale, given both
/// places: classic expects the mentor above, reverse below, peer level.
fn direction_value(kind: usize, mentee: usize, mentor: usize) -> f64 {
    use std::cmp::Ordering::*;
    match (kind, mentor.cmp(&mentee)) {
        (0, Greater) | (1, Less) | (2, Equal) => 1.0,
        (0 | 1, Equal) => 0.5,
        _ => 0.0,
    }
}

fn jaccard(a: u16, b: u16) -> f64 {
    (a & b).count_ones() as f64 / (a | b).count_ones() as f64
}

/// A question's value for a pair of answers (0 when either did not answer).
pub fn question_value(q: &Question, mentee: u16, mentor: u16, kind: usize) -> f64 {
    if mentee == 0 || mentor == 0 {
        return 0.0;
    }
    match q.rule {
        Rule::Same => jaccard(mentee, mentor),
        Rule::Different => 1.0 - jaccard(mentee, mentor),
        Rule::MentorAbove => direction_value(kind, mentee.trailing_zeros() as usize, mentor.trailing_zeros() as usize),
        Rule::Complementary => {
            let hit = (0..q.choices.len()).any(|c| mentee & (1 << c) != 0 && q.partners[c] & mentor != 0);
            if hit {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// 1 when the mentee's wish about the mentor's profession holds, else 0 (also when either
/// profession is unknown or there is no wish).
pub fn profession_value(mentee: &Traits, mentor: &Traits) -> f64 {
    let (Some((a, _)), Some((b, _))) = (&mentee.profession, &mentor.profession) else {
        return 0.0;
    };
    match (mentee.wish, a == b) {
        (Wish::Same, true) | (Wish::Other, false) => 1.0,
        _ => 0.0,
    }
}

/// How the mentor's level fits what the kind expects (0 when either level is unknown).
pub fn level_value(mentee: &Traits, mentor: &Traits, kind: usize) -> f64 {
    match (mentee.level, mentor.level) {
        (Some(a), Some(b)) => direction_value(kind, a, b),
        _ => 0.0,
    }
}

/// The table's score of a pair plus the extra criteria, summed in the fixed order.
#[inline]
pub fn add_extras(p: &Program, i: usize, j: usize, base: f64) -> f64 {
    let x = &p.extras;
    if !x.on {
        return base;
    }
    let e = &p.mentees[i].traits;
    let m = &p.mentors[j].traits;
    let kind = p.mentees[i].kind;
    let mut s = base;
    s += x.weights[0] * profession_value(e, m);
    s += x.weights[1] * level_value(e, m, kind);
    for (k, q) in x.questions.iter().enumerate() {
        s += q.weight * question_value(q, e.answers[k], m.answers[k], kind);
    }
    s
}

/// The extra criteria of a pair, in the result (`extra_criteria`); questions by id, in the
/// file's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtraCriteria {
    pub profession: f64,
    pub level: f64,
    pub questions: QuestionValues,
}

/// Question id to value, serialised as a JSON object in the file's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuestionValues(pub Vec<(String, f64)>);

impl Serialize for QuestionValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The extra criteria of (mentee i, mentor j); None for a file without them.
pub fn extra_criteria(p: &Program, i: usize, j: usize) -> Option<ExtraCriteria> {
    let x = &p.extras;
    if !x.on {
        return None;
    }
    let e = &p.mentees[i].traits;
    let m = &p.mentors[j].traits;
    let kind = p.mentees[i].kind;
    Some(ExtraCriteria {
        profession: profession_value(e, m),
        level: level_value(e, m, kind),
        questions: QuestionValues(
            x.questions
                .iter()
                .enumerate()
                .map(|(k, q)| (q.id.clone(), question_value(q, e.answers[k], m.answers[k], kind)))
                .collect(),
        ),
    })
}

fn quoted(labels: &[&str]) -> String {
    let q: Vec<String> = labels.iter().map(|l| format!("\"{l}\"")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} and {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

/// "Planned, structured meetings" reads "planned, structured meetings" inside a sentence.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if c.clone().next().is_some_and(|n| !n.is_uppercase()) => f.to_lowercase().chain(c).collect(),
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

/// Plain-words reasons from the extra criteria, written to the mentee (see [`mentor_view`]).
pub fn extra_reasons(p: &Program, i: usize, j: usize) -> Vec<String> {
    let x = &p.extras;
    let mut out = Vec::new();
    if !x.on {
        return out;
    }
    let e = &p.mentees[i].traits;
    let m = &p.mentors[j].traits;
    let kind = p.mentees[i].kind;
    if let (Some((a, ea)), Some((b, mb))) = (&e.profession, &m.profession) {
        match (e.wish, a == b) {
            (Wish::Same, true) => out.push(format!("the mentor works in your profession ({ea}), as you asked")),
            (Wish::Same, false) => out.push(format!(
                "the mentor works in another profession ({mb}), though you asked for your own"
            )),
            (Wish::Other, false) => out.push(format!("the mentor works in another profession ({mb}), as you asked")),
            (Wish::Other, true) => out.push(format!(
                "the mentor works in your profession ({ea}), though you asked for another"
            )),
            (Wish::Either, _) => {}
        }
    }
    if let (Some((a, ea)), Some((b, mb))) = (&e.unit, &m.unit) {
        if a == b {
            out.push(format!("the mentor works in your unit ({ea})"));
        } else {
            out.push(format!("the mentor works in another unit ({mb})"));
        }
    }
    if let (Some(a), Some(b)) = (e.level, m.level) {
        let (el, ml) = (&x.levels[a], &x.levels[b]);
        let reverse = kind == 1;
        if b > a {
            let tail = if reverse {
                ", though reverse mentoring expects a lower one"
            } else {
                ""
            };
            out.push(format!(
                "the mentor is at a higher level ({ml}) than yours ({el}){tail}"
            ));
        } else if b < a {
            let tail = if reverse { ", as reverse mentoring expects" } else { "" };
            out.push(format!("the mentor is at a lower level ({ml}) than yours ({el}){tail}"));
        } else {
            out.push(format!("you are both at the same level ({el})"));
        }
    }
    for (k, q) in x.questions.iter().enumerate() {
        let (a, b) = (e.answers[k], m.answers[k]);
        if a == 0 || b == 0 {
            continue;
        }
        let shared = |mask: u16| match &q.phrase {
            Some(phrase) => {
                let words: Vec<String> = q.labels(mask).iter().map(|l| lower_first(l)).collect();
                let words = match words.len() {
                    1 => words[0].clone(),
                    n => format!("{} and {}", words[..n - 1].join(", "), words[n - 1]),
                };
                phrase.replacen("{}", &words, 1)
            }
            None => format!("you both answered {} to \"{}\"", quoted(&q.labels(mask)), q.text),
        };
        match q.rule {
            Rule::Same if a & b != 0 => out.push(shared(a & b)),
            Rule::Different if a != b => out.push(format!(
                "your answers to \"{}\" differ ({} and {}), as the program wants",
                q.text,
                quoted(&q.labels(a)),
                quoted(&q.labels(b))
            )),
            Rule::MentorAbove => {
                let (ea, mb) = (a.trailing_zeros(), b.trailing_zeros());
                let pair = format!(
                    "(\"{}\" to your \"{}\")",
                    q.choices[mb as usize], q.choices[ea as usize]
                );
                if ea == mb {
                    out.push(shared(a));
                } else if question_value(q, a, b, kind) == 1.0 {
                    if mb > ea {
                        out.push(format!("the mentor is further along on \"{}\" {pair}", q.text));
                    } else {
                        out.push(format!(
                            "the mentor is less far along on \"{}\" {pair}, as reverse mentoring expects",
                            q.text
                        ));
                    }
                }
            }
            Rule::Complementary => {
                let hit = (0..q.choices.len()).filter(|&c| a & (1 << c) != 0).find_map(|c| {
                    let d = q.partners[c] & b;
                    (d != 0).then(|| (c, d.trailing_zeros() as usize))
                });
                if let Some((c, d)) = hit {
                    out.push(format!(
                        "your answers to \"{}\" complement each other (\"{}\" and \"{}\")",
                        q.text, q.choices[c], q.choices[d]
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// The mentor's reading of a reason [`extra_reasons`] wrote to the mentee; None for reasons it
/// did not write. Only the fixed words around the names change, never the names themselves.
pub fn mentor_view(reason: &str) -> Option<String> {
    const SAME_FOR_BOTH: [&str; 4] = [
        "you both answered \"",
        "you both prefer ",
        "your answers to \"",
        "you are both at the same level (",
    ];
    if SAME_FOR_BOTH.iter().any(|p| reason.starts_with(p)) {
        return Some(reason.to_string());
    }
    const SUFFIXES: [(&str, &str); 3] = [
        (", as you asked", ", as they asked"),
        (", though you asked for your own", ", though they asked for their own"),
        (", though you asked for another", ", though they asked for another"),
    ];
    if let Some(rest) = reason.strip_prefix("the mentor works in ") {
        let mut rest = match rest.strip_prefix("your ") {
            Some(r) => format!("their {r}"),
            None => rest.to_string(),
        };
        for (from, to) in SUFFIXES {
            if let Some(head) = rest.strip_suffix(from) {
                rest = format!("{head}{to}");
                break;
            }
        }
        return Some(format!("you work in {rest}"));
    }
    if let Some(rest) = reason.strip_prefix("the mentor is ") {
        let swap = |text: &str, from: &str, to: &str| match text.rfind(from) {
            Some(k) => format!("{}{to}{}", &text[..k], &text[k + from.len()..]),
            None => text.to_string(),
        };
        let rest = if rest.starts_with("at ") {
            swap(rest, ") than yours (", ") than theirs (")
        } else {
            swap(rest, "\" to your \"", "\" to their \"")
        };
        return Some(format!("you are {rest}"));
    }
    None
}

// ------------------------------------------------------------------ reading the file

/// Interns names (trimmed, lower-cased) into small integers.
#[derive(Default)]
pub(crate) struct Names(HashMap<String, u32>);

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(norm(name)).or_insert(n)
    }
}

/// What reading the people needs: the levels, the questions and the interned names.
#[derive(Default)]
pub(crate) struct Reading {
    pub levels: Vec<String>,
    pub questions: Vec<Question>,
    pub question_index: HashMap<String, usize>,
    pub professions: Names,
    pub units: Names,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn err(m: impl Into<String>) -> ProgramError {
    ProgramError { message: m.into() }
}

/// A non-empty trimmed string, or None for a missing, null or blank one.
fn opt_text(desc: &str, obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ProgramError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(err(format!("{desc}.{key}: expected a string"))),
    }
}

/// `levels`: the ordinal the server defines, lowest first.
pub(crate) fn parse_levels(d: &Map<String, Value>) -> Result<Vec<String>, ProgramError> {
    let list = match d.get("levels") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err("levels: expected a list of level names, lowest first")),
    };
    if list.len() > MAX_LEVELS {
        return Err(err(format!("levels: at most {MAX_LEVELS} levels, got {}", list.len())));
    }
    let mut out: Vec<String> = Vec::new();
    for (k, v) in list.iter().enumerate() {
        let name = v
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err(format!("levels[{k}]: expected a non-empty string")))?;
        if out.iter().any(|x| norm(x) == norm(name)) {
            return Err(err(format!("levels[{k}]: {} is named twice", quote(name))));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// `questions`: the organisers' questions.
pub(crate) fn parse_questions(d: &Map<String, Value>) -> Result<Vec<Question>, ProgramError> {
    let list = match d.get("questions") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err("questions: expected a list")),
    };
    if list.len() > MAX_FILE_QUESTIONS {
        return Err(err(format!(
            "questions: at most {MAX_FILE_QUESTIONS} questions, got {}",
            list.len()
        )));
    }
    let mut out: Vec<Question> = Vec::new();
    for (k, v) in list.iter().enumerate() {
        let obj = v
            .as_object()
            .ok_or_else(|| err(format!("questions[{k}]: expected an object")))?;
        let id = match obj.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(err(format!("questions[{k}].id: expected a non-empty string"))),
        };
        let desc = format!("questions[{k}] (id {})", quote(&id));
        if out.iter().any(|q| q.id == id) {
            return Err(err(format!("{desc}.id: duplicate")));
        }
        let text = opt_text(&desc, obj, "text")?.ok_or_else(|| err(format!("{desc}.text: expected the question")))?;
        let choices: Vec<String> = match obj.get("choices") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|c| {
                    c.as_str()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| err(format!("{desc}.choices: expected non-empty strings")))
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(err(format!(
                    "{desc}.choices: expected a list of {MIN_CHOICES} to {MAX_CHOICES} choices"
                )))
            }
        };
        if !(MIN_CHOICES..=MAX_CHOICES).contains(&choices.len()) {
            return Err(err(format!(
                "{desc}.choices: a question has {MIN_CHOICES} to {MAX_CHOICES} choices, got {}",
                choices.len()
            )));
        }
        for (a, c) in choices.iter().enumerate() {
            if choices[..a].iter().any(|x| norm(x) == norm(c)) {
                return Err(err(format!("{desc}.choices: {} is listed twice", quote(c))));
            }
        }
        let multiple = match obj.get("multiple") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err(format!("{desc}.multiple: expected true or false"))),
        };
        let rule = match obj.get("rule") {
            Some(Value::String(s)) => Rule::parse(s).ok_or_else(|| {
                err(format!(
                    "{desc}.rule: unknown rule {} (expected one of {})",
                    quote(s),
                    Rule::NAMES.join(", ")
                ))
            })?,
            _ => return Err(err(format!("{desc}.rule: expected one of {}", Rule::NAMES.join(", ")))),
        };
        if rule == Rule::MentorAbove && multiple {
            return Err(err(format!(
                "{desc}.rule: mentor-above needs a single choice (ordinal choices), not multiple"
            )));
        }
        let weight = match obj.get("weight") {
            None | Some(Value::Null) => DEFAULT_QUESTION_WEIGHT,
            Some(w) => match w.as_f64() {
                Some(x) if (0.0..=MAX_WEIGHT).contains(&x) => x,
                _ => {
                    return Err(err(format!(
                        "{desc}.weight: expected a number between 0 and {MAX_WEIGHT}"
                    )))
                }
            },
        };
        let phrase = opt_text(&desc, obj, "phrase")?;
        if phrase.as_deref().is_some_and(|p| !p.contains("{}")) {
            return Err(err(format!(
                "{desc}.phrase: must contain {{}} where the shared answer goes"
            )));
        }
        let mut q = Question {
            id,
            text,
            choices,
            multiple,
            rule,
            weight,
            phrase,
            pairs: Vec::new(),
            partners: Vec::new(),
        };
        match (rule, obj.get("pairs")) {
            (Rule::Complementary, Some(Value::Array(pairs))) if !pairs.is_empty() => {
                q.partners = vec![0; q.choices.len()];
                for (n, pair) in pairs.iter().enumerate() {
                    let labels: Option<Vec<&str>> = pair
                        .as_array()
                        .filter(|a| a.len() == 2)
                        .and_then(|a| a.iter().map(|x| x.as_str()).collect());
                    let labels =
                        labels.ok_or_else(|| err(format!("{desc}.pairs[{n}]: expected a pair of two choices")))?;
                    let mut ends = [0usize; 2];
                    for (e, l) in labels.iter().enumerate() {
                        ends[e] = q
                            .choice_index(l)
                            .ok_or_else(|| err(format!("{desc}.pairs[{n}]: {} is not one of the choices", quote(l))))?;
                    }
                    q.partners[ends[0]] |= 1 << ends[1];
                    q.partners[ends[1]] |= 1 << ends[0];
                    q.pairs.push((ends[0], ends[1]));
                }
            }
            (Rule::Complementary, _) => {
                return Err(err(format!(
                    "{desc}.pairs: rule complementary needs a list of pairs of choices, e.g. [[\"a\", \"b\"]]"
                )))
            }
            (_, None | Some(Value::Null)) => {}
            (_, Some(_)) => return Err(err(format!("{desc}.pairs: only rule complementary takes pairs"))),
        }
        out.push(q);
    }
    Ok(out)
}

/// A person's profession, unit, level, wish (mentees) and answers.
pub(crate) fn parse_traits(
    r: &mut Reading,
    desc: &str,
    obj: &Map<String, Value>,
    mentor: bool,
) -> Result<Traits, ProgramError> {
    let mut t = Traits {
        answers: vec![0; r.questions.len()],
        ..Traits::default()
    };
    if let Some(p) = opt_text(desc, obj, "profession")? {
        t.profession = Some((r.professions.id(&p), p));
    }
    if let Some(u) = opt_text(desc, obj, "unit")? {
        t.unit = Some((r.units.id(&u), u));
    }
    if let Some(l) = opt_text(desc, obj, "level")? {
        let k = r.levels.iter().position(|x| norm(x) == norm(&l)).ok_or_else(|| {
            if r.levels.is_empty() {
                err(format!(
                    "{desc}.level: the file has no levels (a top-level list, lowest first)"
                ))
            } else {
                err(format!(
                    "{desc}.level: {} is not one of the levels ({})",
                    quote(&l),
                    r.levels.join(", ")
                ))
            }
        })?;
        t.level = Some(k);
    }
    if !mentor {
        t.wish = match obj.get("profession_wish") {
            None | Some(Value::Null) => Wish::Either,
            Some(Value::String(s)) => Wish::parse(s).ok_or_else(|| {
                err(format!(
                    "{desc}.profession_wish: expected same, other or either, got {}",
                    quote(s)
                ))
            })?,
            Some(_) => return Err(err(format!("{desc}.profession_wish: expected same, other or either"))),
        };
    }
    match obj.get("answers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(answers)) => {
            for (qid, v) in answers {
                let k = *r
                    .question_index
                    .get(qid)
                    .ok_or_else(|| err(format!("{desc}.answers: {} is not a question of the file", quote(qid))))?;
                let q = &r.questions[k];
                let labels: Vec<&str> = match v {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .ok_or_else(|| err(format!("{desc}.answers.{qid}: expected choices as strings")))
                        })
                        .collect::<Result<_, _>>()?,
                    Value::Null => Vec::new(),
                    _ => {
                        return Err(err(format!(
                            "{desc}.answers.{qid}: expected a choice or a list of choices"
                        )))
                    }
                };
                let mut mask = 0u16;
                for l in labels {
                    let c = q.choice_index(l).ok_or_else(|| {
                        err(format!(
                            "{desc}.answers.{qid}: {} is not one of the choices ({})",
                            quote(l),
                            q.choices.join(", ")
                        ))
                    })?;
                    mask |= 1 << c;
                }
                if !q.multiple && mask.count_ones() > 1 {
                    return Err(err(format!(
                        "{desc}.answers.{qid}: the question takes one choice, got {}",
                        mask.count_ones()
                    )));
                }
                t.answers[k] = mask;
            }
        }
        Some(_) => {
            return Err(err(format!(
                "{desc}.answers: expected an object of question id to choices"
            )))
        }
    }
    Ok(t)
}

/// Whether anything in the program uses the extra criteria.
pub(crate) fn in_use(p: &Program) -> bool {
    !p.extras.questions.is_empty() || p.mentees.iter().chain(&p.mentors).any(|x| !x.traits.is_empty())
}
