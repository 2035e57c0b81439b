//! Parsing and validating an agreement's check-in frequency and time zone.
//!
//! Accepted frequencies (words are case-insensitive, surrounding and repeated
//! spaces are ignored):
//!
//! | text                         | meaning                                                        |
//! |------------------------------|----------------------------------------------------------------|
//! | `weekly`, `every week`       | every week, on the start's weekday at the start's local time   |
//! | `every N weeks` (N 1..=12)   | every N weeks (`every 1 week` is `weekly`)                     |
//! | `monthly`                    | the start's ordinal weekday (2nd Tuesday); fifth week = last   |
//! | `monthly on day D` (1..=31)  | day D, or the month's last day where the month is shorter      |
//! | `cron: m h dom mon dow`      | standard five-field (Vixie) cron on local wall-clock times     |
//!
//! Cron follows Vixie cron: lists (`1,15`), ranges (`1-5`), steps (`*/15`,
//! `9-17/2`, and `5/15` meaning `5-59/15`), month names `jan`..`dec`, day names
//! `sun`..`sat`, day-of-week 0..=7 where 0 and 7 are both Sunday. When both day
//! fields are restricted (neither starts with `*`), a day matches if EITHER
//! matches; otherwise both must match (so `*/2` counts as unrestricted, as in
//! Vixie cron). Macros such as `@daily` and Quartz extensions (`?`, `L`, `W`,
//! `#`) are refused.
//!
//! The error messages ([`FrequencyError`], [`TimezoneError`]) are written for
//! end users: the agreement modal shows the same words as the CLI.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

/// Largest N accepted in `every N weeks`.
pub const MAX_EVERY_WEEKS: u32 = 12;

/// What every frequency message ends with: the list of accepted forms.
const ACCEPTED: &str = "Use weekly, every N weeks (N from 1 to 12), monthly, \
monthly on day D (D from 1 to 31), or cron: followed by five fields \
(minute hour day-of-month month day-of-week), for example cron: 30 18 * * mon.";

/// How often check-ins happen. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequency {
    /// Every `every_weeks` weeks (1..=12) on the start's weekday and local time.
    Weekly { every_weeks: u32 },
    /// Every month on the start's ordinal weekday (e.g. 2nd Tuesday); a start on
    /// day 29 or later (the month's fifth week) means the last such weekday.
    MonthlyOrdinalWeekday,
    /// Every month on this day (1..=31), or the month's last day when shorter.
    MonthlyOnDay(u32),
    /// A standard five-field cron expression on local wall-clock times.
    Cron(CronSpec),
}

impl Frequency {
    /// `weekly`.
    pub fn weekly() -> Self {
        Frequency::Weekly { every_weeks: 1 }
    }
}

impl fmt::Display for Frequency {
    /// The canonical text, which parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frequency::Weekly { every_weeks: 1 } => f.write_str("weekly"),
            Frequency::Weekly { every_weeks } => write!(f, "every {every_weeks} weeks"),
            Frequency::MonthlyOrdinalWeekday => f.write_str("monthly"),
            Frequency::MonthlyOnDay(d) => write!(f, "monthly on day {d}"),
            Frequency::Cron(spec) => write!(f, "cron: {spec}"),
        }
    }
}

impl FromStr for Frequency {
    type Err = FrequencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_frequency(s)
    }
}

/// What is wrong with a frequency text. `Display` is a short sentence for end
/// users saying what is wrong and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrequencyError {
    /// Nothing was entered.
    Empty,
    /// Not one of the accepted forms.
    Unrecognized(String),
    /// `every N weeks` with N outside 1..=12 (the text of N as entered).
    WeeksOutOfRange(String),
    /// `monthly on day D` with D outside 1..=31 (the text of D as entered).
    DayOutOfRange(String),
    /// `cron:` with a problem in the expression.
    Cron(CronError),
}

impl fmt::Display for FrequencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrequencyError::Empty => write!(f, "The frequency is empty. {ACCEPTED}"),
            FrequencyError::Unrecognized(s) => {
                write!(f, "\"{s}\" is not a frequency the bot understands. ")?;
                let lower = s.to_ascii_lowercase();
                if ["biweekly", "bi-weekly", "fortnightly"].contains(&lower.as_str()) {
                    f.write_str("For every two weeks, write every 2 weeks. ")?;
                } else if lower.starts_with("cron ") {
                    f.write_str("Write cron: with a colon before the five fields. ")?;
                }
                f.write_str(ACCEPTED)
            }
            FrequencyError::WeeksOutOfRange(n) => write!(
                f,
                "\"every {n} weeks\" is not allowed: the number of weeks must be from 1 to {MAX_EVERY_WEEKS}."
            ),
            FrequencyError::DayOutOfRange(d) => write!(
                f,
                "\"monthly on day {d}\" is not allowed: the day must be from 1 to 31 \
                 (in shorter months the last day is used)."
            ),
            FrequencyError::Cron(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FrequencyError {}

/// Parses a frequency text. See the module documentation for what is accepted.
pub fn parse_frequency(s: &str) -> Result<Frequency, FrequencyError> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(FrequencyError::Empty);
    }
    let lower = trimmed.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("cron:") {
        return CronSpec::parse(rest).map(Frequency::Cron).map_err(FrequencyError::Cron);
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    let unrecognized = || FrequencyError::Unrecognized(trimmed.split_whitespace().collect::<Vec<_>>().join(" "));
    match words.as_slice() {
        ["weekly"] | ["every", "week"] => Ok(Frequency::weekly()),
        ["every", n, "week" | "weeks"] => {
            let n = parse_small_number(n).ok_or_else(unrecognized)?;
            match n {
                Some(n) if (1..=MAX_EVERY_WEEKS).contains(&n) => Ok(Frequency::Weekly { every_weeks: n }),
                _ => Err(FrequencyError::WeeksOutOfRange(words[1].to_string())),
            }
        }
        ["monthly"] => Ok(Frequency::MonthlyOrdinalWeekday),
        ["monthly", "on", "day", d] => {
            let d = parse_small_number(d).ok_or_else(unrecognized)?;
            match d {
                Some(d) if (1..=31).contains(&d) => Ok(Frequency::MonthlyOnDay(d)),
                _ => Err(FrequencyError::DayOutOfRange(words[3].to_string())),
            }
        }
        _ => Err(unrecognized()),
    }
}

/// `None` when `s` is not made of digits (optionally with a leading `-`);
/// `Some(None)` when it is a number too large or negative; `Some(Some(n))` otherwise.
fn parse_small_number(s: &str) -> Option<Option<u32>> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.starts_with('-') {
        return Some(None);
    }
    Some(s.parse::<u32>().ok())
}

// ---------------------------------------------------------------------------
// Time zones

/// An unknown time zone name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimezoneError {
    /// The text as entered (trimmed).
    pub input: String,
    /// A known zone whose name looks like the input, if any.
    pub suggestion: Option<String>,
}

impl fmt::Display for TimezoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.input.is_empty() {
            return f.write_str(
                "The time zone is empty. Use a time zone name such as Europe/Berlin, \
                 America/New_York or Asia/Kolkata.",
            );
        }
        write!(f, "\"{}\" is not a known time zone.", self.input)?;
        match &self.suggestion {
            Some(s) => write!(f, " Did you mean {s}?"),
            None => f.write_str(
                " Use a time zone name such as Europe/Berlin, America/New_York or \
                 Asia/Kolkata (a fixed offset like +01:00 does not follow daylight saving).",
            ),
        }
    }
}

impl std::error::Error for TimezoneError {}

/// Parses an IANA time zone name such as `Europe/Berlin` (case-insensitive).
pub fn parse_timezone(s: &str) -> Result<Tz, TimezoneError> {
    let input = s.trim();
    if let Ok(tz) = input.parse::<Tz>() {
        return Ok(tz);
    }
    let lower = input.to_ascii_lowercase();
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(input))
    {
        return Ok(*tz);
    }
    // A suggestion: a zone whose last part matches what was typed, e.g.
    // "Berlin" or "new york" -> Europe/Berlin, America/New_York.
    let wanted = lower.replace(' ', "_");
    let suggestion = if wanted.len() >= 3 {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .find(|name| {
                name.rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(&wanted))
            })
            .map(str::to_string)
    } else {
        None
    };
    Err(TimezoneError {
        input: input.to_string(),
        suggestion,
    })
}

// ---------------------------------------------------------------------------
// Cron

/// A parsed five-field cron expression (standard Vixie semantics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSpec {
    /// The five fields, lower-cased and separated by single spaces.
    text: String,
    minutes: u64,
    hours: u32,
    /// Bits 1..=31.
    days_of_month: u32,
    /// Bits 1..=12.
    months: u16,
    /// Bits 0..=6, Sunday = 0 (a 7 in the text is folded into 0).
    days_of_week: u8,
    /// The day-of-month field starts with `*`.
    dom_star: bool,
    /// The day-of-week field starts with `*`.
    dow_star: bool,
}

/// What is wrong with a cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronError {
    /// Not five fields (the number found).
    FieldCount(usize),
    /// A value, name or syntax in a field is invalid.
    Field { field: &'static str, message: String },
    /// The expression can never match (e.g. 30 February).
    NeverMatches,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CronError::FieldCount(n) => write!(
                f,
                "A cron frequency needs exactly five fields (minute hour day-of-month month \
                 day-of-week), for example cron: 30 18 * * mon; this one has {n}."
            ),
            CronError::Field { field, message } => {
                write!(f, "In the cron {field} field, {message}.")
            }
            CronError::NeverMatches => f.write_str(
                "This cron frequency never matches a real date (for example 30 February); \
                 check the day-of-month and month fields.",
            ),
        }
    }
}

impl std::error::Error for CronError {}

struct FieldDef {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Describes the accepted values for messages.
    accepted: &'static str,
}

const MONTH_NAMES: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DOW_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [FieldDef; 5] = [
    FieldDef {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        accepted: "0 to 59",
    },
    FieldDef {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        accepted: "0 to 23",
    },
    FieldDef {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        accepted: "1 to 31",
    },
    FieldDef {
        name: "month",
        min: 1,
        max: 12,
        names: MONTH_NAMES,
        accepted: "1 to 12 or jan to dec",
    },
    FieldDef {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: DOW_NAMES,
        accepted: "0 to 7 (0 and 7 are Sunday) or sun to sat",
    },
];

impl FieldDef {
    fn err(&self, message: String) -> CronError {
        CronError::Field {
            field: self.name,
            message,
        }
    }

    fn value(&self, s: &str) -> Result<u32, CronError> {
        if s.is_empty() {
            return Err(self.err(format!("a number is missing (use {})", self.accepted)));
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.parse::<u32>() {
                Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
                _ => Err(self.err(format!("{s} is out of range (use {})", self.accepted))),
            };
        }
        if let Some(i) = self.names.iter().position(|n| *n == s) {
            // Month names start at 1, day names at 0 (Sunday).
            return Ok(i as u32 + self.min);
        }
        Err(self.err(format!("\"{s}\" is not valid (use {})", self.accepted)))
    }

    /// Parses one field into a bit set (bit i = value i).
    fn parse(&self, field: &str) -> Result<u64, CronError> {
        let mut bits = 0u64;
        for item in field.split(',') {
            if item.is_empty() {
                return Err(self.err("there is an empty item in a list".to_string()));
            }
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => {
                    let step = match s.parse::<u32>() {
                        Ok(v) if v >= 1 => v,
                        _ => return Err(self.err(format!("the step \"/{s}\" must be a whole number of at least 1"))),
                    };
                    (r, Some(step))
                }
                None => (item, None),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (lo, hi) = (self.value(a)?, self.value(b)?);
                if lo > hi {
                    return Err(self.err(format!(
                        "the range {range} goes backwards (write the smaller value first, \
                         or use a list)"
                    )));
                }
                (lo, hi)
            } else {
                let v = self.value(range)?;
                // `5/15` means from 5 to the end in steps of 15 (as cronie does).
                (v, if step.is_some() { self.max } else { v })
            };
            let step = step.unwrap_or(1);
            let mut v = lo;
            while v <= hi {
                bits |= 1 << v;
                v += step;
            }
        }
        Ok(bits)
    }
}

impl CronSpec {
    /// Parses the five fields after `cron:`.
    pub fn parse(s: &str) -> Result<CronSpec, CronError> {
        let lower = s.trim().to_ascii_lowercase();
        let fields: Vec<&str> = lower.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError::FieldCount(fields.len()));
        }
        let mut bits = [0u64; 5];
        for (i, (def, field)) in FIELDS.iter().zip(&fields).enumerate() {
            bits[i] = def.parse(field)?;
        }
        let mut dow = bits[4];
        if dow & (1 << 7) != 0 {
            dow = (dow | 1) & 0x7f;
        }
        let spec = CronSpec {
            text: fields.join(" "),
            minutes: bits[0],
            hours: bits[1] as u32,
            days_of_month: bits[2] as u32,
            months: bits[3] as u16,
            days_of_week: dow as u8,
            dom_star: fields[2].starts_with('*'),
            dow_star: fields[4].starts_with('*'),
        };
        if !spec.can_match() {
            return Err(CronError::NeverMatches);
        }
        Ok(spec)
    }

    /// Whether some date matches. With OR semantics any month has every weekday;
    /// with AND semantics a (month, day) pair must exist, and every existing
    /// pair (even 29 February) falls on every weekday in some year.
    fn can_match(&self) -> bool {
        if !self.dom_star && !self.dow_star {
            return true;
        }
        const MAX_DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12u32).any(|m| {
            self.months & (1 << m) != 0 && (1..=MAX_DAYS[m as usize - 1]).any(|d| self.days_of_month & (1 << d) != 0)
        })
    }

    /// Whether the month of `date` is in the month field.
    pub fn month_matches(&self, month: u32) -> bool {
        self.months & (1 << month) != 0
    }

    /// Whether a local date matches the month and day fields (Vixie rules).
    pub fn date_matches(&self, date: NaiveDate) -> bool {
        if !self.month_matches(date.month()) {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The matching (hour, minute) pairs of a day, in increasing order.
    pub fn times(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..24u32)
            .filter(|h| self.hours & (1 << h) != 0)
            .flat_map(move |h| (0..60u32).filter(|m| self.minutes & (1 << m) != 0).map(move |m| (h, m)))
    }

    /// Whether a local wall-clock minute matches (seconds are ignored).
    pub fn matches(&self, date: NaiveDate, hour: u32, minute: u32) -> bool {
        self.date_matches(date) && self.hours & (1 << hour) != 0 && self.minutes & (1 << minute) != 0
    }
}

impl fmt::Display for CronSpec {
    /// The five fields, lower-cased, separated by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for CronSpec {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CronSpec::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Frequency {
        parse_frequency(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
    fn err(s: &str) -> String {
        parse_frequency(s).unwrap_err().to_string()
    }
    fn cron(s: &str) -> CronSpec {
        match p(&format!("cron: {s}")) {
            Frequency::Cron(c) => c,
            other => panic!("{other:?}"),
        }
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn accepted_words() {
        assert_eq!(p("weekly"), Frequency::Weekly { every_weeks: 1 });
        assert_eq!(p("  WeekLy "), Frequency::Weekly { every_weeks: 1 });
        assert_eq!(p("every week"), Frequency::Weekly { every_weeks: 1 });
        assert_eq!(p("every 1 week"), Frequency::Weekly { every_weeks: 1 });
        assert_eq!(p("every 1 weeks"), Frequency::Weekly { every_weeks: 1 });
        assert_eq!(p("Every  2   Weeks"), Frequency::Weekly { every_weeks: 2 });
        assert_eq!(p("every 12 weeks"), Frequency::Weekly { every_weeks: 12 });
        assert_eq!(p("MONTHLY"), Frequency::MonthlyOrdinalWeekday);
        assert_eq!(p("monthly on day 1"), Frequency::MonthlyOnDay(1));
        assert_eq!(p(" Monthly On Day 31 "), Frequency::MonthlyOnDay(31));
        assert!(matches!(p("cron: 30 18 * * MON"), Frequency::Cron(_)));
        assert!(matches!(p("CRON:0 9 1 * *"), Frequency::Cron(_)));
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for (input, canonical) in [
            ("weekly", "weekly"),
            ("every 1 week", "weekly"),
            ("every 3 WEEKS", "every 3 weeks"),
            ("monthly", "monthly"),
            ("monthly on day 7", "monthly on day 7"),
            ("Cron:  */15  9-17 * * Mon-Fri ", "cron: */15 9-17 * * mon-fri"),
        ] {
            let f = p(input);
            assert_eq!(f.to_string(), canonical);
            assert_eq!(p(&f.to_string()), f);
            assert_eq!(f.to_string().parse::<Frequency>().unwrap(), f);
        }
    }

    #[test]
    fn invalid_frequencies_say_what_is_wrong() {
        assert_eq!(
            err("   "),
            "The frequency is empty. Use weekly, every N weeks (N from 1 to 12), monthly, \
             monthly on day D (D from 1 to 31), or cron: followed by five fields \
             (minute hour day-of-month month day-of-week), for example cron: 30 18 * * mon."
        );
        assert_eq!(
            err("Daily"),
            "\"Daily\" is not a frequency the bot understands. Use weekly, every N weeks \
             (N from 1 to 12), monthly, monthly on day D (D from 1 to 31), or cron: followed \
             by five fields (minute hour day-of-month month day-of-week), for example \
             cron: 30 18 * * mon."
        );
        let e = err(" Fortnightly ");
        assert!(
            e.starts_with(
                "\"Fortnightly\" is not a frequency the bot understands. For every two weeks, \
                 write every 2 weeks. Use weekly"
            ),
            "{e}"
        );
        assert_eq!(
            err("every 13 weeks"),
            "\"every 13 weeks\" is not allowed: the number of weeks must be from 1 to 12."
        );
        assert_eq!(
            err("every 0 weeks"),
            "\"every 0 weeks\" is not allowed: the number of weeks must be from 1 to 12."
        );
        assert!(err("every -2 weeks").contains("must be from 1 to 12"));
        assert!(err("every 99999999999 weeks").contains("must be from 1 to 12"));
        assert!(err("every two weeks").contains("is not a frequency"));
        assert!(err("every 2 days").contains("is not a frequency"));
        assert_eq!(
            err("monthly on day 32"),
            "\"monthly on day 32\" is not allowed: the day must be from 1 to 31 \
             (in shorter months the last day is used)."
        );
        assert!(err("monthly on day 0").contains("from 1 to 31"));
        assert!(err("monthly on day first").contains("is not a frequency"));
        assert!(err("monthly on day").contains("is not a frequency"));
        assert!(err("cron 0 9 * * *").contains("understands. Write cron: with a colon before"));
        assert!(err("weekly!").contains("is not a frequency"));
    }

    #[test]
    fn cron_errors() {
        assert_eq!(
            err("cron: 0 9 * *"),
            "A cron frequency needs exactly five fields (minute hour day-of-month month \
             day-of-week), for example cron: 30 18 * * mon; this one has 4."
        );
        assert!(err("cron: 0 0 9 * * *").contains("this one has 6"));
        assert!(err("cron:").contains("this one has 0"));
        assert_eq!(
            err("cron: 60 9 * * *"),
            "In the cron minute field, 60 is out of range (use 0 to 59)."
        );
        assert_eq!(
            err("cron: 0 24 * * *"),
            "In the cron hour field, 24 is out of range (use 0 to 23)."
        );
        assert!(err("cron: 0 9 0 * *").contains("day-of-month field, 0 is out of range (use 1 to 31)"));
        assert!(err("cron: 0 9 * 13 *").contains("month field, 13 is out of range"));
        assert_eq!(
            err("cron: 0 9 * * 8"),
            "In the cron day-of-week field, 8 is out of range (use 0 to 7 (0 and 7 are Sunday) or sun to sat)."
        );
        assert!(err("cron: 0 9 * * funday").contains("\"funday\" is not valid"));
        assert!(err("cron: 0 9 * * ?").contains("\"?\" is not valid"));
        assert!(err("cron: 0 9 L * *").contains("\"l\" is not valid"));
        assert!(err("cron: */0 9 * * *").contains("the step \"/0\" must be a whole number of at least 1"));
        assert!(err("cron: 0 17-9 * * *").contains("the range 17-9 goes backwards"));
        assert!(err("cron: 0 9 * * sat-sun").contains("the range sat-sun goes backwards"));
        assert!(err("cron: 0 9,,10 * * *").contains("empty item"));
        assert!(err("cron: 0 9- * * *").contains("a number is missing"));
        assert_eq!(
            err("cron: 0 9 30 feb *"),
            "This cron frequency never matches a real date (for example 30 February); \
             check the day-of-month and month fields."
        );
        assert!(err("cron: 0 9 31 4,6,9,11 *").contains("never matches"));
        // 30 February with a restricted weekday: OR semantics, so it matches Mondays.
        assert!(parse_frequency("cron: 0 9 30 2 1").is_ok());
        // 29 February exists in leap years.
        assert!(parse_frequency("cron: 0 9 29 2 *").is_ok());
    }

    #[test]
    fn cron_fields() {
        let c = cron("*/15 9-17/4 * * *");
        let times: Vec<_> = c.times().collect();
        assert_eq!(times.len(), 3 * 4);
        assert_eq!(times[0], (9, 0));
        assert_eq!(times[1], (9, 15));
        assert_eq!(times[4], (13, 0));
        assert_eq!(times[11], (17, 45));
        let c = cron("5/20,1 0 * * *");
        assert_eq!(c.times().map(|t| t.1).collect::<Vec<_>>(), vec![1, 5, 25, 45]);
        let c = cron("0 0 * jan,MAR-may/2 *");
        let months: Vec<u32> = (1..=12).filter(|m| c.month_matches(*m)).collect();
        assert_eq!(months, vec![1, 3, 5]);
    }

    #[test]
    fn cron_day_of_week_seven_and_zero_are_sunday() {
        // 2026-03-01 is a Sunday (checked with Python's datetime).
        let sunday = d(2026, 3, 1);
        for dow in ["0", "7", "sun", "SUN", "5-7", "0-0", "6,7", "*/7"] {
            let c = cron(&format!("0 9 * * {dow}"));
            assert!(c.date_matches(sunday), "{dow}");
        }
        let c = cron("0 9 * * 1-5");
        assert!(!c.date_matches(sunday));
        assert!(c.date_matches(d(2026, 3, 2)));
        assert!(c.date_matches(d(2026, 3, 6)));
        assert!(!c.date_matches(d(2026, 3, 7)));
        let c = cron("0 9 * * 7");
        assert!((2..=7).all(|day| !c.date_matches(d(2026, 3, day))));
    }

    #[test]
    fn cron_both_day_fields_restricted_means_either() {
        // The 1st and 15th, plus every Friday.
        let c = cron("0 9 1,15 * fri");
        assert!(c.date_matches(d(2026, 3, 1))); // Sunday the 1st
        assert!(c.date_matches(d(2026, 3, 15))); // Sunday the 15th
        assert!(c.date_matches(d(2026, 3, 6))); // a Friday
        assert!(c.date_matches(d(2026, 3, 13))); // Friday the 13th
        assert!(!c.date_matches(d(2026, 3, 2)));
        // Day of month restricted, day of week `*`: only the day of month.
        let c = cron("0 9 13 * *");
        assert!(c.date_matches(d(2026, 3, 13)));
        assert!(!c.date_matches(d(2026, 3, 6)));
        // Day of week restricted, day of month `*`: only the weekday.
        let c = cron("0 9 * * fri");
        assert!(c.date_matches(d(2026, 3, 6)));
        assert!(!c.date_matches(d(2026, 3, 1)));
        // A field starting with `*` counts as unrestricted (Vixie): both must match,
        // so this is the odd days that are Mondays.
        let c = cron("0 9 */2 * mon");
        assert!(c.date_matches(d(2026, 3, 9))); // Monday the 9th
        assert!(!c.date_matches(d(2026, 3, 2))); // Monday the 2nd
        assert!(!c.date_matches(d(2026, 3, 3))); // Tuesday the 3rd
                                                 // Month still restricts either way.
        let c = cron("0 9 1 jun fri");
        assert!(!c.date_matches(d(2026, 3, 6)));
        assert!(c.date_matches(d(2026, 6, 5)));
    }

    /// One field of a random cron expression: 1 to 3 items, each `*`, `*/s`,
    /// `a`, `a-b`, `a-b/s` or `a/s`, with values written by `show`.
    /// (`a/s` only with numbers: the `cron` crate refuses it with names.)
    fn field(
        min: u32,
        max: u32,
        show: fn(u32) -> String,
        single_step: bool,
    ) -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let kinds = if single_step { 6 } else { 5 };
        let item = (0u32..kinds, min..=max, min..=max, 1u32..8).prop_map(move |(kind, a, b, s)| {
            let (lo, hi) = (a.min(b), a.max(b));
            match kind {
                0 => "*".to_string(),
                1 => format!("*/{s}"),
                2 => show(a),
                3 => format!("{}-{}", show(lo), show(hi)),
                4 => format!("{}-{}/{s}", show(lo), show(hi)),
                _ => format!("{}/{s}", show(a)),
            }
        });
        prop::collection::vec(item, 1..=3).prop_map(|items| items.join(","))
    }

    fn number(v: u32) -> String {
        v.to_string()
    }
    fn month_name(v: u32) -> String {
        MONTH_NAMES[v as usize - 1].to_string()
    }
    fn day_name(v: u32) -> String {
        DOW_NAMES[v as usize].to_string()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..Default::default()
        })]

        /// Where both agree on the meaning (the day fields are not both
        /// restricted, weekdays written as names), matching agrees with the
        /// `cron` crate (which adds a seconds field).
        #[test]
        fn matching_agrees_with_the_cron_crate(
            minute in field(0, 59, number, true),
            hour in field(0, 23, number, true),
            dom in field(1, 31, number, true),
            month in proptest::prop_oneof![field(1, 12, number, true), field(1, 12, month_name, false)],
            dow in field(0, 6, day_name, false),
            star_dom in proptest::bool::ANY,
            instants in proptest::collection::vec(0i64..(40 * 366 * 24 * 60), 300),
        ) {
            use proptest::prelude::*;
            let (dom, dow) = if star_dom { ("*".to_string(), dow) } else { (dom, "*".to_string()) };
            let ours = match CronSpec::parse(&format!("{minute} {hour} {dom} {month} {dow}")) {
                Ok(spec) => spec,
                Err(CronError::NeverMatches) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            let theirs = cron::Schedule::from_str(&format!("0 {minute} {hour} {dom} {month} {dow}"))
                .map_err(|e| TestCaseError::fail(format!("cron crate: {e}")))?;
            let base = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
            // Random minutes, and every minute of the day of the first one.
            let first_day = (base + chrono::Duration::minutes(instants[0])).date();
            let whole_day = (0..24 * 60).map(|m| first_day.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(m));
            for t in instants.iter().map(|m| base + chrono::Duration::minutes(*m)).chain(whole_day) {
                use chrono::Timelike;
                let a = ours.matches(t.date(), t.hour(), t.minute());
                let b = theirs.includes(t.and_utc());
                prop_assert_eq!(a, b, "{} at {}", ours, t);
            }
        }
    }

    /// A day-of-week field in standard numbers (0..=7, Sunday 0 and 7) and the
    /// same days in the `cron` crate's numbers (1..=7 from Sunday).
    fn standard_dow() -> impl proptest::strategy::Strategy<Value = (String, String)> {
        use proptest::prelude::*;
        let item = (0u32..3, 0u32..=7, 0u32..=6, 0u32..=6, 1u32..4).prop_map(|(kind, n, a, b, s)| {
            let (lo, hi) = (a.min(b), a.max(b));
            match kind {
                0 => (n.to_string(), (n % 7 + 1).to_string()),
                1 => (format!("{lo}-{hi}"), format!("{}-{}", lo + 1, hi + 1)),
                _ => (format!("{lo}-{hi}/{s}"), format!("{}-{}/{s}", lo + 1, hi + 1)),
            }
        });
        prop::collection::vec(item, 1..=3).prop_map(|items| {
            let ours: Vec<_> = items.iter().map(|i| i.0.clone()).collect();
            let theirs: Vec<_> = items.iter().map(|i| i.1.clone()).collect();
            (ours.join(","), theirs.join(","))
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..Default::default()
        })]

        /// With both day fields restricted a day matches if either does, and
        /// 0 and 7 are Sunday: checked against the `cron` crate asked about
        /// each day field alone.
        #[test]
        fn both_day_fields_restricted_is_either(
            dom in field(1, 31, number, true),
            month in field(1, 12, number, true),
            (dow, their_dow) in standard_dow(),
            days in proptest::collection::vec(0i64..(40 * 366), 200),
        ) {
            use proptest::prelude::*;
            let dom = if dom.starts_with('*') { format!("1,{dom}") } else { dom };
            let ours = match CronSpec::parse(&format!("0 12 {dom} {month} {dow}")) {
                Ok(spec) => spec,
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            let by_dom = cron::Schedule::from_str(&format!("0 0 12 {dom} {month} *")).unwrap();
            let by_dow = cron::Schedule::from_str(&format!("0 0 12 * {month} {their_dow}")).unwrap();
            let base = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
            for d in days.iter().map(|n| base + chrono::Duration::days(*n)) {
                let t = d.and_hms_opt(12, 0, 0).unwrap().and_utc();
                let want = by_dom.includes(t) || by_dow.includes(t);
                prop_assert_eq!(ours.date_matches(d), want, "{} on {}", ours, d);
            }
        }
    }

    #[test]
    fn timezones() {
        assert_eq!(parse_timezone("Europe/Berlin").unwrap(), Tz::Europe__Berlin);
        assert_eq!(parse_timezone(" europe/berlin ").unwrap(), Tz::Europe__Berlin);
        assert_eq!(parse_timezone("UTC").unwrap(), Tz::UTC);
        assert_eq!(parse_timezone("Australia/Lord_Howe").unwrap(), Tz::Australia__Lord_Howe);
        assert_eq!(
            parse_timezone("Berlin").unwrap_err().to_string(),
            "\"Berlin\" is not a known time zone. Did you mean Europe/Berlin?"
        );
        assert_eq!(
            parse_timezone("new york").unwrap_err().to_string(),
            "\"new york\" is not a known time zone. Did you mean America/New_York?"
        );
        assert_eq!(
            parse_timezone("Mars/Olympus").unwrap_err().to_string(),
            "\"Mars/Olympus\" is not a known time zone. Use a time zone name such as \
             Europe/Berlin, America/New_York or Asia/Kolkata (a fixed offset like +01:00 \
             does not follow daylight saving)."
        );
        assert!(parse_timezone("+01:00")
            .unwrap_err()
            .to_string()
            .contains("fixed offset"));
        assert!(parse_timezone("")
            .unwrap_err()
            .to_string()
            .starts_with("The time zone is empty."));
    }
}
