//! Phase 3: the agreement. Expectations of each party, how issues will be handled, and the
//! logistics that drive the schedule. Every edit is a new version that all members confirm.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::UserId;
use super::profile::MeetingMethod;
use super::validate::{self, Valid, ValidationError, MAX_LONG_TEXT, MAX_NAME};
use crate::schedule::Frequency;

pub const MIN_MEETING_MINUTES: i64 = 10;
pub const MAX_MEETING_MINUTES: i64 = 480;
/// The longest agreement, from start to planned end.
pub const MAX_AGREEMENT_DAYS: i64 = 3 * 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub user: UserId,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementTerms {
    /// What each member expects, one entry per member who wrote theirs.
    pub expectations: Vec<Expectation>,
    /// How issues will be addressed (shown again when meetings stop happening).
    pub issue_handling: String,
    #[serde(with = "frequency_text")]
    pub frequency: Frequency,
    /// The preferred weekday; the first meeting is on the first such day from the start date.
    pub day: Option<Weekday>,
    pub local_time: NaiveTime,
    pub timezone: Tz,
    pub meeting_minutes: u16,
    pub method: MeetingMethod,
    /// A place, voice channel or link.
    pub place: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Missed check-ins in a row before both get the issue-handling prompt.
    pub missed_before_prompt: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub version: u32,
    pub author: UserId,
    pub terms: AgreementTerms,
    pub confirmed_by: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

/// The agreement as typed into the form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AgreementInput {
    /// The author's own expectations.
    pub expectations: String,
    pub issue_handling: String,
    pub frequency: String,
    pub day: Option<String>,
    /// `HH:MM`, local to `timezone`.
    pub time: String,
    pub timezone: String,
    pub meeting_minutes: i64,
    pub method: String,
    pub place: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    pub end_date: Option<String>,
    pub missed_before_prompt: Option<i64>,
}

/// What `/mentorship agreement` was given: only the parts to change (issue 16, item 9). The rest
/// comes from the agreement in force, and the time zone of a first agreement from the writer's
/// profile. "none" clears the day, place or end date.
#[derive(Debug, Clone, Default)]
pub struct AgreementChanges {
    pub frequency: Option<String>,
    pub day: Option<String>,
    pub time: Option<String>,
    pub timezone: Option<String>,
    pub start_date: Option<String>,
    pub meeting_minutes: Option<i64>,
    pub method: Option<String>,
    pub place: Option<String>,
    pub end_date: Option<String>,
    pub missed_before_prompt: Option<i64>,
}

fn cleared(v: Option<String>, previous: Option<String>) -> Option<String> {
    match v {
        Some(t) if t.trim().eq_ignore_ascii_case("none") => None,
        Some(t) => Some(t),
        None => previous,
    }
}

impl AgreementChanges {
    pub fn is_empty(&self) -> bool {
        self.frequency.is_none()
            && self.day.is_none()
            && self.time.is_none()
            && self.timezone.is_none()
            && self.start_date.is_none()
            && self.meeting_minutes.is_none()
            && self.method.is_none()
            && self.place.is_none()
            && self.end_date.is_none()
            && self.missed_before_prompt.is_none()
    }

    /// The whole input: what was typed, else the agreement in force (`previous`), else for the
    /// time zone the writer's profile. A kept start date that has passed becomes today (in the
    /// agreement's zone): a changed agreement schedules from now on. A first agreement needs
    /// frequency, time, length and method; the refusal names the ones missing.
    pub fn prefilled(
        self,
        previous: Option<&AgreementTerms>,
        profile_zone: Option<&str>,
        now: DateTime<Utc>,
    ) -> Valid<AgreementInput> {
        let p = previous;
        let timezone = self
            .timezone
            .or_else(|| p.map(|t| t.timezone.name().to_string()))
            .or_else(|| profile_zone.map(str::to_string));
        let mut missing = Vec::new();
        let frequency = self.frequency.or_else(|| p.map(|t| t.frequency.to_string()));
        let time = self
            .time
            .or_else(|| p.map(|t| t.local_time.format("%H:%M").to_string()));
        let meeting_minutes = self.meeting_minutes.or_else(|| p.map(|t| i64::from(t.meeting_minutes)));
        let method = self.method.or_else(|| p.map(|t| t.method.to_string()));
        for (name, absent) in [
            ("frequency", frequency.is_none()),
            ("time", time.is_none()),
            ("length", meeting_minutes.is_none()),
            ("method", method.is_none()),
            ("timezone (or set it in /mentor profile)", timezone.is_none()),
        ] {
            if absent {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            return Err(ValidationError::new(
                "agreement",
                format!("the first agreement needs these options too: {}", missing.join(", ")),
            ));
        }
        let timezone = timezone.unwrap_or_default();
        let start_date = match self.start_date {
            Some(d) => d,
            None => {
                let today = validate::timezone("time zone", &timezone)
                    .map(|z| now.with_timezone(&z).date_naive())
                    .unwrap_or_else(|_| now.date_naive());
                p.map(|t| t.start_date.max(today)).unwrap_or(today).to_string()
            }
        };
        Ok(AgreementInput {
            expectations: String::new(),
            issue_handling: String::new(),
            frequency: frequency.unwrap_or_default(),
            day: cleared(self.day, p.and_then(|t| t.day).map(|d| d.to_string())),
            time: time.unwrap_or_default(),
            timezone,
            meeting_minutes: meeting_minutes.unwrap_or_default(),
            method: method.unwrap_or_default(),
            place: cleared(self.place, p.and_then(|t| t.place.clone())),
            start_date,
            end_date: cleared(self.end_date, p.and_then(|t| t.end_date).map(|d| d.to_string())),
            missed_before_prompt: self
                .missed_before_prompt
                .or_else(|| p.map(|t| i64::from(t.missed_before_prompt))),
        })
    }
}

fn date(field: &str, s: &str) -> Valid<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ValidationError::new(field, format!("\"{}\" is not a date; write it as YYYY-MM-DD", s.trim())))
}

fn weekday(field: &str, s: &str) -> Valid<Weekday> {
    s.trim()
        .parse::<Weekday>()
        .map_err(|_| ValidationError::new(field, format!("\"{}\" is not a day of the week", s.trim())))
}

fn time(field: &str, s: &str) -> Valid<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        ValidationError::new(
            field,
            format!("\"{}\" is not a time; write it as HH:MM, e.g. 18:30", s.trim()),
        )
    })
}

impl AgreementTerms {
    /// Checks the form. `today` is the date in the agreement's zone; the start may not be before it.
    pub fn from_input(author: UserId, input: &AgreementInput, now: DateTime<Utc>) -> Valid<AgreementTerms> {
        let expectations = validate::required_text("expectations", &input.expectations, MAX_LONG_TEXT)?;
        let issue_handling = validate::required_text("issue handling", &input.issue_handling, MAX_LONG_TEXT)?;
        let frequency: Frequency = input
            .frequency
            .parse()
            .map_err(|e: crate::schedule::FrequencyError| ValidationError::new("frequency", e.to_string()))?;
        let timezone = validate::timezone("time zone", &input.timezone)?;
        let day = input
            .day
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| weekday("day", d))
            .transpose()?;
        let local_time = time("time", &input.time)?;
        let meeting_minutes = validate::in_range(
            "meeting length",
            input.meeting_minutes,
            MIN_MEETING_MINUTES,
            MAX_MEETING_MINUTES,
        )? as u16;
        let method = input
            .method
            .parse()
            .map_err(|e: String| ValidationError::new("method", e))?;
        let place = validate::optional_text("place", input.place.as_deref(), MAX_NAME)?;
        let start_date = date("start date", &input.start_date)?;
        let today = now.with_timezone(&timezone).date_naive();
        if start_date < today {
            return Err(ValidationError::new(
                "start date",
                format!("{start_date} is in the past; start on {today} or later"),
            ));
        }
        let end_date = input
            .end_date
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| date("end date", d))
            .transpose()?;
        if let Some(end) = end_date {
            if end <= start_date {
                return Err(ValidationError::new(
                    "end date",
                    format!("{end} is not after the start date {start_date}"),
                ));
            }
            if end - start_date > Duration::days(MAX_AGREEMENT_DAYS) {
                return Err(ValidationError::new(
                    "end date",
                    "an agreement can run for at most three years",
                ));
            }
        }
        let missed = validate::in_range(
            "missed check-ins before a prompt",
            input.missed_before_prompt.unwrap_or(2),
            1,
            10,
        )?;
        Ok(AgreementTerms {
            expectations: vec![Expectation {
                user: author,
                text: expectations,
            }],
            issue_handling,
            frequency,
            day,
            local_time,
            timezone,
            meeting_minutes,
            method,
            place,
            start_date,
            end_date,
            missed_before_prompt: missed as u8,
        })
    }

    /// Keeps the other members' expectations from the previous version: an edit by one person
    /// replaces only their own words.
    pub fn carry_over_expectations(mut self, previous: Option<&AgreementTerms>, members: &[UserId]) -> AgreementTerms {
        if let Some(prev) = previous {
            for e in &prev.expectations {
                if members.contains(&e.user) && !self.expectations.iter().any(|x| x.user == e.user) {
                    self.expectations.push(e.clone());
                }
            }
        }
        self.expectations.sort_by_key(|e| e.user);
        self
    }

    /// The local date-time of the first meeting: the start date, or the first preferred weekday
    /// on or after it, at the agreed local time.
    pub fn first_meeting(&self) -> NaiveDateTime {
        let mut d = self.start_date;
        if let Some(day) = self.day {
            while d.weekday() != day {
                d = d.succ_opt().expect("date in range");
            }
        }
        d.and_time(self.local_time)
    }
}

/// A frequency is stored as its canonical text, which parses back to the same value.
mod frequency_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::schedule::Frequency;

    pub fn serialize<S: Serializer>(f: &Frequency, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(f)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Frequency, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
