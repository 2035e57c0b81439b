//! Limits on what people type, checked before anything is stored.
use std::fmt;

use chrono_tz::Tz;

/// Purpose, expectations and reflection answers.
pub const MAX_LONG_TEXT: usize = 1000;
/// Display names, roles, goal titles and other one-line fields.
pub const MAX_NAME: usize = 100;
pub const MAX_TOPICS: usize = 20;
pub const MAX_TOPIC_LEN: usize = 50;

/// An input that was refused: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: String,
    pub reason: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ValidationError {}

pub type Valid<T> = Result<T, ValidationError>;

/// Trims and checks a required text field.
pub fn required_text(field: &str, value: &str, max: usize) -> Valid<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    within(field, value, max)
}

/// Trims an optional text field; blank means absent.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Valid<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => within(field, v, max).map(Some),
    }
}

fn within(field: &str, value: &str, max: usize) -> Valid<String> {
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    Ok(value.to_string())
}

/// A list of short names (topics, goals, skills, styles): trimmed, blanks dropped,
/// duplicates (ignoring case) removed, first spelling kept.
pub fn name_list(field: &str, items: &[String]) -> Valid<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let len = item.chars().count();
        if len > MAX_TOPIC_LEN {
            return Err(ValidationError::new(
                field,
                format!("\"{item}\" is {len} characters long; each entry may have at most {MAX_TOPIC_LEN}"),
            ));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(item)) {
            out.push(item.to_string());
        }
    }
    if out.len() > MAX_TOPICS {
        return Err(ValidationError::new(
            field,
            format!("has {} entries; the limit is {MAX_TOPICS}", out.len()),
        ));
    }
    Ok(out)
}

/// Splits "rust, career; databases" into entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn timezone(field: &str, name: &str) -> Valid<Tz> {
    crate::schedule::parse_timezone(name).map_err(|e| ValidationError::new(field, e.to_string()))
}

/// A whole number in an inclusive range.
pub fn in_range<T: PartialOrd + fmt::Display + Copy>(field: &str, value: T, min: T, max: T) -> Valid<T> {
    if value < min || value > max {
        return Err(ValidationError::new(
            field,
            format!("must be between {min} and {max}, not {value}"),
        ));
    }
    Ok(value)
}
