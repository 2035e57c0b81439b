//! A participant's profile in one server: who they are, when and how they can meet.
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, UserId};
use super::validate::{self, Valid, ValidationError, MAX_LONG_TEXT, MAX_NAME};

pub const MAX_WINDOWS: usize = 28;

/// A weekly window in the person's local time, e.g. `tue 18:00-20:00`.
/// The end may be `24:00`; an end before the start runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub day: Weekday,
    /// Minutes after local midnight, 0..1440.
    pub start: u16,
    /// Minutes after local midnight, 1..=1440.
    pub end: u16,
}

impl Window {
    /// Length in minutes, counting a window that runs past midnight.
    pub fn minutes(&self) -> u32 {
        if self.end > self.start {
            u32::from(self.end - self.start)
        } else {
            u32::from(1440 - self.start + self.end)
        }
    }
}

fn day_from(s: &str) -> Option<Weekday> {
    let s = s.to_ascii_lowercase();
    let d = match s.get(..3)? {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    };
    // Accept "tue", "tues", "tuesday" but not "tuxedo".
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][d.num_days_from_monday() as usize];
    (full.starts_with(&s) || s == "tues" || s == "thur" || s == "thurs").then_some(d)
}

fn clock(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

const WINDOW_HELP: &str = "write a window as a day and two times, e.g. \"tue 18:00-20:00\" or \"sat 22:00-01:00\"";

impl FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{}\" is not a window: {WINDOW_HELP}", s.trim());
        let mut parts = s.split_whitespace();
        let (Some(day), Some(range), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let day = day_from(day).ok_or_else(bad)?;
        let (a, b) = range.split_once('-').ok_or_else(bad)?;
        let start = clock(a).ok_or_else(bad)?;
        let end = clock(b).ok_or_else(bad)?;
        if start == 1440 {
            return Err(format!("\"{}\": a window cannot start at 24:00", s.trim()));
        }
        if start == end || end == 0 && start == 0 {
            return Err(format!("\"{}\": the window is empty", s.trim()));
        }
        Ok(Window { day, start, end })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.day.num_days_from_monday() as usize];
        write!(
            f,
            "{day} {:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Parses "tue 18:00-20:00, sat 10:00-14:00".
pub fn parse_availability(field: &str, text: &str) -> Valid<Vec<Window>> {
    let mut windows = Vec::new();
    for part in text.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let w = part.parse::<Window>().map_err(|e| ValidationError::new(field, e))?;
        if !windows.contains(&w) {
            windows.push(w);
        }
    }
    if windows.len() > MAX_WINDOWS {
        return Err(ValidationError::new(
            field,
            format!("has {} windows; the limit is {MAX_WINDOWS}", windows.len()),
        ));
    }
    Ok(windows)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingMethod {
    Voice,
    Video,
    Text,
    InPerson,
}

impl MeetingMethod {
    pub const ALL: [MeetingMethod; 4] = [Self::Voice, Self::Video, Self::Text, Self::InPerson];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Text => "text",
            Self::InPerson => "in_person",
        }
    }
}

impl fmt::Display for MeetingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MeetingMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "voice" => Ok(Self::Voice),
            "video" => Ok(Self::Video),
            "text" | "chat" => Ok(Self::Text),
            "in_person" | "inperson" => Ok(Self::InPerson),
            other => Err(format!(
                "\"{other}\" is not a meeting method; choose voice, video, text or in person"
            )),
        }
    }
}

pub fn parse_methods(field: &str, items: &[String]) -> Valid<Vec<MeetingMethod>> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let m = item.parse().map_err(|e: String| ValidationError::new(field, e))?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// What a person tells the program about themselves in one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub guild: GuildId,
    pub user: UserId,
    pub display_name: String,
    pub timezone: Tz,
    pub availability: Vec<Window>,
    pub methods: Vec<MeetingMethod>,
    /// Profession or role, e.g. "backend engineer".
    pub role: Option<String>,
    pub experience: Option<String>,
    /// The leadership or coaching style the person offers as a mentor.
    pub mentoring_styles: Vec<String>,
    /// The learning style the person wants as a mentee.
    pub learning_styles: Vec<String>,
    pub paused_until: Option<NaiveDate>,
    /// False once Discord refused a DM to this person; messages then go to the pair's thread.
    pub dm_reachable: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A profile as typed: every field unchecked.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub display_name: String,
    pub timezone: String,
    pub availability: String,
    pub methods: Vec<String>,
    pub role: Option<String>,
    pub experience: Option<String>,
    pub mentoring_styles: Vec<String>,
    pub learning_styles: Vec<String>,
}

impl Profile {
    /// Checks every field; on success the profile is ready to store.
    pub fn from_input(guild: GuildId, user: UserId, input: &ProfileInput, now: DateTime<Utc>) -> Valid<Profile> {
        Ok(Profile {
            guild,
            user,
            display_name: validate::required_text("display name", &input.display_name, MAX_NAME)?,
            timezone: validate::timezone("time zone", &input.timezone)?,
            availability: parse_availability("availability", &input.availability)?,
            methods: parse_methods("meeting methods", &input.methods)?,
            role: validate::optional_text("role", input.role.as_deref(), MAX_NAME)?,
            experience: validate::optional_text("experience", input.experience.as_deref(), MAX_LONG_TEXT)?,
            mentoring_styles: validate::name_list("mentoring styles", &input.mentoring_styles)?,
            learning_styles: validate::name_list("learning styles", &input.learning_styles)?,
            paused_until: None,
            dm_reachable: true,
            created_at: now,
            updated_at: now,
        })
    }

    /// Replaces the editable fields, keeping what the person did not type (pause, reachability).
    pub fn update(&mut self, input: &ProfileInput, now: DateTime<Utc>) -> Valid<()> {
        let fresh = Profile::from_input(self.guild, self.user, input, now)?;
        *self = Profile {
            paused_until: self.paused_until,
            dm_reachable: self.dm_reachable,
            created_at: self.created_at,
            ..fresh
        };
        Ok(())
    }

    /// Pauses the person's participation (no new matches) until a date that must be ahead.
    pub fn pause_until(&mut self, until: NaiveDate, now: DateTime<Utc>) -> Valid<()> {
        let today = now.with_timezone(&self.timezone).date_naive();
        if until <= today {
            return Err(ValidationError::new(
                "until",
                format!("{until} is not in the future; pick a date after {today}"),
            ));
        }
        if until > today + chrono::Duration::days(366) {
            return Err(ValidationError::new("until", "a pause can last at most a year"));
        }
        self.paused_until = Some(until);
        self.updated_at = now;
        Ok(())
    }

    pub fn resume(&mut self, now: DateTime<Utc>) {
        self.paused_until = None;
        self.updated_at = now;
    }

    pub fn is_paused(&self, now: DateTime<Utc>) -> bool {
        let today = now.with_timezone(&self.timezone).date_naive();
        self.paused_until.is_some_and(|d| d > today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_print() {
        let w: Window = "Tue 18:00-20:00".parse().unwrap();
        assert_eq!(
            w,
            Window {
                day: Weekday::Tue,
                start: 1080,
                end: 1200
            }
        );
        assert_eq!(w.to_string(), "tue 18:00-20:00");
        assert_eq!(w.minutes(), 120);
        let late: Window = "saturday 22:00-01:00".parse().unwrap();
        assert_eq!(late.minutes(), 180);
        let to_midnight: Window = "sun 20:00-24:00".parse().unwrap();
        assert_eq!(to_midnight.minutes(), 240);
    }

    #[test]
    fn malformed_windows_are_refused() {
        for bad in [
            "tue",
            "tue 18-20",
            "tue 18:00",
            "xyz 18:00-20:00",
            "tue 25:00-26:00",
            "tue 18:60-19:00",
            "tue 18:00-18:00",
            "tue 24:00-01:00",
            "tue 18:00 - 20:00",
            "tuxedo 18:00-20:00",
            "",
        ] {
            assert!(bad.parse::<Window>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn availability_lists() {
        let ws = parse_availability("availability", "tue 18:00-20:00, sat 10:00-14:00; tue 18:00-20:00").unwrap();
        assert_eq!(ws.len(), 2);
        let err = parse_availability("availability", "tue 18:00-20:00, whenever").unwrap_err();
        assert_eq!(err.field, "availability");
        assert!(err.reason.contains("whenever"), "{err}");
    }

    #[test]
    fn methods_parse() {
        assert_eq!("In person".parse::<MeetingMethod>().unwrap(), MeetingMethod::InPerson);
        assert!("carrier pigeon".parse::<MeetingMethod>().is_err());
    }
}
