//! The program file (the `match --input` format): parsing and validation.
//!
//! The reading follows the table and the section "Semantics the scripts fix" of the
//! matching benchmark's README: names are trimmed, lower-cased sets; `exclude` pairs are
//! unordered; windows may cross midnight or end at 24:00; missing lists are empty; a missing
//! mentee kind is `classic`; missing weights take the default table's values.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::criteria::{self, Extras, Reading, Traits, EXTRA_CRITERIA};

/// The criteria, in the fixed order in which a score is summed.
pub const CRITERIA: [&str; 7] = ["topic", "skill", "style", "timezone", "availability", "method", "kind"];

/// The default weights, in the order of [`CRITERIA`].
pub const DEFAULT_WEIGHTS: [f64; 7] = [0.30, 0.15, 0.10, 0.10, 0.20, 0.05, 0.10];

/// Largest weight accepted (keeps every score and total far from overflow).
pub const MAX_WEIGHT: f64 = 1e6;

/// Mentoring kinds.
pub const KINDS: [&str; 3] = ["classic", "reverse", "peer"];

/// Seconds in a week.
pub const WEEK_S: i64 = 7 * 86_400;

const DAY_NAMES: [(&str, i64); 14] = [
    ("mon", 0),
    ("tue", 1),
    ("wed", 2),
    ("thu", 3),
    ("fri", 4),
    ("sat", 5),
    ("sun", 6),
    ("monday", 0),
    ("tuesday", 1),
    ("wednesday", 2),
    ("thursday", 3),
    ("friday", 4),
    ("saturday", 5),
    ("sunday", 6),
];

/// A malformed program file. The message names the entry and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError {
    pub message: String,
}

impl ProgramError {
    fn new(message: impl Into<String>) -> Self {
        ProgramError {
            message: message.into(),
        }
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProgramError {}

/// One person's side of a program (mentor or mentee), normalised.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    /// Mentee goals or mentor topics: normalised names, sorted, distinct.
    pub topics: Vec<String>,
    /// Mentor skills (empty for mentees): normalised, sorted, distinct.
    pub skills: Vec<String>,
    pub styles: Vec<String>,
    pub methods: Vec<String>,
    /// Mentee: the first spelling (trimmed) of each goal, in input order, for the reasons.
    pub goal_spellings: Vec<(String, String)>,
    /// Mentee: its kind (index into [`KINDS`]). Mentor: unused.
    pub kind: usize,
    /// Mentor: the kinds offered (all three when the list is empty). Mentee: unused.
    pub kinds: [bool; 3],
    /// Mentor capacity (0 for mentees).
    pub capacity: u64,
    pub timezone: Tz,
    /// UTC offset in seconds at the program's instant `at`.
    pub offset_s: i64,
    /// Local windows as (start, end) seconds from Monday 00:00 local (end may pass the week).
    pub windows: Vec<(i64, i64)>,
    /// The union of the windows in UTC seconds of the week, sorted, disjoint, wrapped.
    pub utc: Vec<(i64, i64)>,
    /// Profession, unit, level, wish and answers (issue 13); all unsaid in older files.
    pub traits: Traits,
}

/// A parsed, validated program.
#[derive(Debug, Clone)]
pub struct Program {
    pub at: DateTime<Utc>,
    /// Weights in the order of [`CRITERIA`].
    pub weights: [f64; 7],
    pub min_score: Option<f64>,
    pub mentors: Vec<Person>,
    pub mentees: Vec<Person>,
    /// Forbidden (mentee index, mentor index) pairs from `exclude` and self pairs, sorted.
    pub forbidden: Vec<(usize, usize)>,
    /// Only the `exclude` part of `forbidden` (for the reasons), sorted.
    pub excluded: Vec<(usize, usize)>,
    /// Profession, level and the organisers' questions (off for a file without them).
    pub extras: Extras,
}

impl Program {
    /// The highest score a pair can reach: the sum of the weights in use.
    pub fn max_score(&self) -> f64 {
        let base: f64 = self.weights.iter().sum();
        if self.extras.on {
            base + self.extras.max()
        } else {
            base
        }
    }

    /// Whether (mentee, mentor) is a self pair or listed in `exclude` (either order).
    pub fn is_forbidden(&self, mentee: usize, mentor: usize) -> bool {
        self.forbidden.binary_search(&(mentee, mentor)).is_ok()
    }

    /// Index of the mentee with this id (a linear search).
    pub fn mentee_index(&self, id: &str) -> Option<usize> {
        self.mentees.iter().position(|p| p.id == id)
    }

    /// Index of the mentor with this id (a linear search).
    pub fn mentor_index(&self, id: &str) -> Option<usize> {
        self.mentors.iter().position(|p| p.id == id)
    }
}

/// Names compare trimmed and case-insensitively.
pub fn norm(name: &str) -> String {
    name.trim().to_lowercase()
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn value_desc(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}...", &s[..s.char_indices().nth(57).map(|c| c.0).unwrap_or(s.len())])
    } else {
        s
    }
}

/// Parses `at`, as Python's `datetime.fromisoformat` would (a naive instant is UTC).
fn parse_at(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let t2 = if t.ends_with('Z') || t.ends_with('z') {
        format!("{}+00:00", &t[..t.len() - 1])
    } else {
        t.to_string()
    };
    for sep in ["T", " "] {
        for secs in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H"] {
            for off in ["%:z", "%z", ""] {
                let fmt = format!("%Y-%m-%d{sep}{secs}{off}");
                if off.is_empty() {
                    if let Ok(n) = NaiveDateTime::parse_from_str(&t2, &fmt) {
                        return Some(Utc.from_utc_datetime(&n));
                    }
                } else if let Ok(d) = DateTime::parse_from_str(&t2, &fmt) {
                    return Some(d.with_timezone(&Utc));
                }
            }
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(&t2, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    None
}

/// Parses one window, `<day> HH:MM-HH:MM`, into (start, end) seconds of the local week.
pub fn parse_window(text: &str) -> Result<(i64, i64), String> {
    const FORMAT: &str = "expected '<day> HH:MM-HH:MM', e.g. 'tue 18:00-20:00'";
    let t = text.trim();
    let b = t.as_bytes();
    let mut k = 0;
    while k < b.len() && b[k].is_ascii_alphabetic() {
        k += 1;
    }
    let day_name = t[..k].to_ascii_lowercase();
    let day = DAY_NAMES
        .iter()
        .find(|(n, _)| *n == day_name)
        .map(|(_, d)| *d)
        .ok_or_else(|| FORMAT.to_string())?;
    let rest = &t[k..];
    let rest_trim = rest.trim_start();
    if rest_trim.len() == rest.len() {
        return Err(FORMAT.to_string());
    }
    let (h1, m1, rest) = parse_hhmm(rest_trim).ok_or_else(|| FORMAT.to_string())?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('-').ok_or_else(|| FORMAT.to_string())?;
    let (h2, m2, rest) = parse_hhmm(rest.trim_start()).ok_or_else(|| FORMAT.to_string())?;
    if !rest.trim().is_empty() {
        return Err(FORMAT.to_string());
    }
    if m1 > 59 || m2 > 59 || h1 > 23 || h2 > 24 || (h2 == 24 && m2 != 0) {
        return Err("time out of range".to_string());
    }
    let start = h1 * 60 + m1;
    let mut end = h2 * 60 + m2;
    if end == start {
        return Err("empty window".to_string());
    }
    if end < start {
        end += 24 * 60; // crosses midnight into the next day
    }
    Ok(((day * 1440 + start) * 60, (day * 1440 + end) * 60))
}

/// `H:MM` or `HH:MM` at the start of `s`; returns hours, minutes and the rest.
fn parse_hhmm(s: &str) -> Option<(i64, i64, &str)> {
    let b = s.as_bytes();
    let mut k = 0;
    while k < b.len() && k < 3 && b[k].is_ascii_digit() {
        k += 1;
    }
    if k == 0 || k > 2 || b.get(k) != Some(&b':') {
        return None;
    }
    let h: i64 = s[..k].parse().ok()?;
    let m_digits = &b[k + 1..];
    if m_digits.len() < 2 || !m_digits[0].is_ascii_digit() || !m_digits[1].is_ascii_digit() {
        return None;
    }
    if m_digits.len() > 2 && m_digits[2].is_ascii_digit() {
        return None;
    }
    let m: i64 = s[k + 1..k + 3].parse().ok()?;
    Some((h, m, &s[k + 3..]))
}

/// Local windows -> the union of their UTC intervals in seconds of the week, wrapped.
pub fn utc_union(windows: &[(i64, i64)], offset_s: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(windows.len() + 1);
    for &(s, e) in windows {
        let len = e - s;
        let s = (s - offset_s).rem_euclid(WEEK_S);
        if s + len <= WEEK_S {
            out.push((s, s + len));
        } else {
            out.push((s, WEEK_S));
            out.push((0, s + len - WEEK_S));
        }
    }
    out.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.len());
    for (s, e) in out {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

struct Ctx {
    at: DateTime<Utc>,
    zones: HashMap<String, (Tz, i64)>,
    reading: Reading,
}

fn str_list<'a>(desc: &str, obj: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a str>, ProgramError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| ProgramError::new(format!("{desc}.{key}: expected a list of strings")))
            })
            .collect(),
        Some(_) => Err(ProgramError::new(format!("{desc}.{key}: expected a list of strings"))),
    }
}

fn name_set(desc: &str, obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, ProgramError> {
    let mut v: Vec<String> = str_list(desc, obj, key)?
        .into_iter()
        .map(norm)
        .filter(|n| !n.is_empty())
        .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

fn parse_person(ctx: &mut Ctx, desc: &str, obj: &Map<String, Value>, mentor: bool) -> Result<Person, ProgramError> {
    let id = obj["id"].as_str().unwrap_or_default().to_string();
    // time zone
    let tzname = match obj.get("timezone") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(ProgramError::new(format!(
                "{desc}.timezone: expected an IANA time zone name, e.g. \"Europe/Berlin\""
            )))
        }
    };
    let (timezone, offset_s) = match ctx.zones.get(tzname) {
        Some(z) => *z,
        None => {
            let tz: Tz = tzname
                .parse()
                .map_err(|_| ProgramError::new(format!("{desc}.timezone: unknown time zone {}", quote(tzname))))?;
            let off = i64::from(tz.offset_from_utc_datetime(&ctx.at.naive_utc()).fix().local_minus_utc());
            ctx.zones.insert(tzname.to_string(), (tz, off));
            (tz, off)
        }
    };
    // windows
    let mut windows = Vec::new();
    for (k, text) in str_list(desc, obj, "availability")?.into_iter().enumerate() {
        let w = parse_window(text)
            .map_err(|e| ProgramError::new(format!("{desc}.availability[{k}]: bad window {} ({e})", quote(text))))?;
        windows.push(w);
    }
    let utc = utc_union(&windows, offset_s);
    let styles = name_set(desc, obj, "styles")?;
    let methods = name_set(desc, obj, "methods")?;
    let traits = criteria::parse_traits(&mut ctx.reading, desc, obj, mentor)?;
    let mut person = Person {
        id,
        topics: Vec::new(),
        skills: Vec::new(),
        styles,
        methods,
        goal_spellings: Vec::new(),
        kind: 0,
        kinds: [true; 3],
        capacity: 0,
        timezone,
        offset_s,
        windows,
        utc,
        traits,
    };
    if mentor {
        let cap = obj.get("capacity");
        let c = match cap {
            Some(Value::Number(n)) if n.is_u64() => n.as_u64().unwrap_or(0),
            Some(Value::Number(n)) if n.is_i64() => {
                return Err(ProgramError::new(format!(
                    "{desc}.capacity: must be an integer of 0 or more, got {n}"
                )))
            }
            None => {
                return Err(ProgramError::new(format!(
                    "{desc}.capacity: missing (an integer of 0 or more)"
                )))
            }
            Some(v) => {
                return Err(ProgramError::new(format!(
                    "{desc}.capacity: must be an integer of 0 or more, got {}",
                    value_desc(v)
                )))
            }
        };
        person.capacity = c;
        person.topics = name_set(desc, obj, "topics")?;
        person.skills = name_set(desc, obj, "skills")?;
        let kinds = str_list(desc, obj, "kinds")?;
        if !kinds.is_empty() {
            person.kinds = [false; 3];
            for k in kinds {
                let n = norm(k);
                match KINDS.iter().position(|x| *x == n) {
                    Some(p) => person.kinds[p] = true,
                    None => {
                        return Err(ProgramError::new(format!(
                            "{desc}.kinds: unknown kind {} (expected classic, reverse or peer)",
                            quote(k)
                        )))
                    }
                }
            }
        }
    } else {
        let goals = str_list(desc, obj, "goals")?;
        let mut seen: Vec<(String, String)> = Vec::new();
        for g in goals {
            let n = norm(g);
            if !n.is_empty() && !seen.iter().any(|(x, _)| *x == n) {
                seen.push((n, g.trim().to_string()));
            }
        }
        let mut topics: Vec<String> = seen.iter().map(|(n, _)| n.clone()).collect();
        topics.sort();
        person.topics = topics;
        person.goal_spellings = seen;
        person.kind = match obj.get("kind") {
            None => 0,
            Some(Value::String(s)) if KINDS.contains(&norm(s).as_str()) => {
                KINDS.iter().position(|x| *x == norm(s)).unwrap_or(0)
            }
            Some(v) => {
                return Err(ProgramError::new(format!(
                    "{desc}.kind: expected one of classic, reverse, peer, got {}",
                    value_desc(v)
                )))
            }
        };
    }
    Ok(person)
}

fn people<'a>(d: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a Map<String, Value>>, ProgramError> {
    let list = match d.get(key) {
        Some(Value::Array(a)) => a,
        _ => return Err(ProgramError::new(format!("{key}: expected a list"))),
    };
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    let mut out = Vec::with_capacity(list.len());
    for (k, p) in list.iter().enumerate() {
        let obj = p
            .as_object()
            .ok_or_else(|| ProgramError::new(format!("{key}[{k}]: expected an object")))?;
        let id = match obj.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => return Err(ProgramError::new(format!("{key}[{k}].id: expected a non-empty string"))),
        };
        if let Some(first) = seen.insert(id, k) {
            return Err(ProgramError::new(format!(
                "{key}[{k}] (id {}).id: duplicate of {key}[{first}]",
                quote(id)
            )));
        }
        out.push(obj);
    }
    Ok(out)
}

/// Parses and validates a program file.
pub fn parse_program(json: &str) -> Result<Program, ProgramError> {
    let v: Value = serde_json::from_str(json).map_err(|e| ProgramError::new(format!("bad JSON: {e}")))?;
    let d = v
        .as_object()
        .ok_or_else(|| ProgramError::new("top level: expected a JSON object"))?;
    let at = match d.get("at") {
        None | Some(Value::Null) => Utc::now(),
        Some(Value::String(s)) => {
            parse_at(s).ok_or_else(|| ProgramError::new(format!("at: bad instant {}", quote(s))))?
        }
        Some(other) => return Err(ProgramError::new(format!("at: bad instant {}", value_desc(other)))),
    };
    let mut weights = DEFAULT_WEIGHTS;
    let mut extras = Extras::default();
    match d.get("weights") {
        None | Some(Value::Null) => {}
        Some(Value::Object(w)) => {
            for (k, val) in w {
                let slot = match CRITERIA.iter().position(|c| c == k) {
                    Some(pos) => &mut weights[pos],
                    None => match EXTRA_CRITERIA.iter().position(|c| c == k) {
                        Some(pos) => &mut extras.weights[pos],
                        None => {
                            return Err(ProgramError::new(format!(
                                "weights: unknown criterion {} (expected one of {}, {})",
                                quote(k),
                                CRITERIA.join(", "),
                                EXTRA_CRITERIA.join(", ")
                            )))
                        }
                    },
                };
                match val.as_f64() {
                    Some(x) if (0.0..=MAX_WEIGHT).contains(&x) => *slot = x,
                    _ => {
                        return Err(ProgramError::new(format!(
                            "weights.{k}: expected a number between 0 and {MAX_WEIGHT}, got {}",
                            value_desc(val)
                        )))
                    }
                }
            }
        }
        Some(_) => return Err(ProgramError::new("weights: expected an object")),
    }
    let min_score = match d.get("min_score") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| ProgramError::new("min_score: expected a number"))?,
        ),
        Some(other) => {
            return Err(ProgramError::new(format!(
                "min_score: expected a number, got {}",
                value_desc(other)
            )))
        }
    };
    let mentor_objs = people(d, "mentors")?;
    let mentee_objs = people(d, "mentees")?;
    extras.levels = criteria::parse_levels(d)?;
    extras.questions = criteria::parse_questions(d)?;
    let mut ctx = Ctx {
        at,
        zones: HashMap::new(),
        reading: Reading {
            levels: extras.levels.clone(),
            question_index: extras
                .questions
                .iter()
                .enumerate()
                .map(|(k, q)| (q.id.clone(), k))
                .collect(),
            questions: extras.questions.clone(),
            ..Reading::default()
        },
    };
    let mut mentors = Vec::with_capacity(mentor_objs.len());
    for (j, obj) in mentor_objs.iter().enumerate() {
        let desc = format!("mentors[{j}] (id {})", quote(obj["id"].as_str().unwrap_or("")));
        mentors.push(parse_person(&mut ctx, &desc, obj, true)?);
    }
    let mut mentees = Vec::with_capacity(mentee_objs.len());
    for (i, obj) in mentee_objs.iter().enumerate() {
        let desc = format!("mentees[{i}] (id {})", quote(obj["id"].as_str().unwrap_or("")));
        mentees.push(parse_person(&mut ctx, &desc, obj, false)?);
    }
    let mentee_index: HashMap<&str, usize> = mentees.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let mentor_index: HashMap<&str, usize> = mentors.iter().enumerate().map(|(j, p)| (p.id.as_str(), j)).collect();
    let mut excluded = Vec::new();
    match d.get("exclude") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (k, pair) in list.iter().enumerate() {
                let ids: Option<Vec<&str>> = pair
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .and_then(|a| a.iter().map(|x| x.as_str()).collect());
                let ids = ids.ok_or_else(|| ProgramError::new(format!("exclude[{k}]: expected a pair of two ids")))?;
                let (a, b) = (ids[0], ids[1]);
                if let (Some(&i), Some(&j)) = (mentee_index.get(a), mentor_index.get(b)) {
                    excluded.push((i, j));
                }
                if let (Some(&i), Some(&j)) = (mentee_index.get(b), mentor_index.get(a)) {
                    excluded.push((i, j));
                }
            }
        }
        Some(_) => return Err(ProgramError::new("exclude: expected a list of [mentee, mentor] pairs")),
    }
    excluded.sort_unstable();
    excluded.dedup();
    let mut forbidden = excluded.clone();
    for (j, m) in mentors.iter().enumerate() {
        if let Some(&i) = mentee_index.get(m.id.as_str()) {
            forbidden.push((i, j));
        }
    }
    forbidden.sort_unstable();
    forbidden.dedup();
    let mut program = Program {
        at,
        weights,
        min_score,
        mentors,
        mentees,
        forbidden,
        excluded,
        extras,
    };
    program.extras.on = criteria::in_use(&program);
    Ok(program)
}
