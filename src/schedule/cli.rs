//! The `mentorbot schedule` subcommand: prints the occurrences of a frequency.
//!
//! ```text
//! mentorbot schedule --start 2026-03-02T18:30 --timezone Europe/Berlin \
//!     --frequency "every 2 weeks" --count 10 [--until 2026-12-31] [--json]
//! ```
//!
//! Inputs:
//! - `--start`: a local date-time in the zone, `YYYY-MM-DDTHH:MM` or
//!   `YYYY-MM-DDTHH:MM:SS`.
//! - `--timezone`: an IANA zone name (case-insensitive), e.g. `Europe/Berlin`.
//! - `--frequency`: see [`super::frequency`].
//! - `--count`: how many occurrences at most, 1 to [`MAX_COUNT`].
//! - `--until`: a date `YYYY-MM-DD`, inclusive: no occurrence whose local date
//!   is later; not before the start's date.
//!
//! Output (a contract other tools read):
//! - Plain: one line per occurrence, in increasing order: the instant in UTC as
//!   RFC 3339 with `Z`, two spaces, the same instant as local time in the zone
//!   as RFC 3339 with its numeric offset; always with seconds, never with
//!   fractions; each line ends with `\n`. No occurrence: empty output.
//!   `2026-03-02T17:30:00Z  2026-03-02T18:30:00+01:00`
//! - `--json`: one line, `{"occurrences": [{"utc": "2026-03-02T17:30:00Z",
//!   "local": "2026-03-02T18:30:00+01:00"}, ...]}` followed by `\n`, with the
//!   same strings as the plain output.
//!
//! Errors (the binary prints them and exits with status 2) say what is wrong;
//! frequency and time zone errors are the same words the agreement modal shows.

use chrono::{NaiveDate, NaiveDateTime};

use super::frequency::{parse_frequency, parse_timezone};
use super::occurrence::{occurrences, Occurrence};

/// The largest `--count`.
pub const MAX_COUNT: usize = 10_000;

/// Runs the subcommand: the text for stdout, or the error message.
pub fn run_cli(
    start: &str,
    timezone: &str,
    frequency: &str,
    count: usize,
    until: Option<&str>,
    json: bool,
) -> Result<String, String> {
    let start = parse_start(start)?;
    let tz = parse_timezone(timezone).map_err(|e| e.to_string())?;
    let freq = parse_frequency(frequency).map_err(|e| e.to_string())?;
    let until = until.map(parse_until).transpose()?;
    if let Some(u) = until {
        if u < start.date() {
            return Err(format!("The end date {u} is before the start date {}.", start.date()));
        }
    }
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(format!("The count must be from 1 to {MAX_COUNT}; {count} was given."));
    }
    let list: Vec<Occurrence> = occurrences(start, tz, &freq, until).take(count).collect();
    Ok(if json { format_json(&list) } else { format_plain(&list) })
}

/// The UTC text of an occurrence: `2026-03-02T17:30:00Z`.
pub fn utc_text(o: &Occurrence) -> String {
    o.utc.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The local text of an occurrence: `2026-03-02T18:30:00+01:00`.
pub fn local_text(o: &Occurrence) -> String {
    o.local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The plain output: one `UTC  local` line per occurrence.
pub fn format_plain(list: &[Occurrence]) -> String {
    list.iter()
        .map(|o| format!("{}  {}\n", utc_text(o), local_text(o)))
        .collect()
}

/// The `--json` output.
pub fn format_json(list: &[Occurrence]) -> String {
    // Built by hand to keep the documented spacing; the strings never need
    // escaping (digits, `-`, `:`, `T`, `Z`, `+`).
    let items: Vec<String> = list
        .iter()
        .map(|o| format!("{{\"utc\": \"{}\", \"local\": \"{}\"}}", utc_text(o), local_text(o)))
        .collect();
    format!("{{\"occurrences\": [{}]}}\n", items.join(", "))
}

/// Whether `s` has exactly the shape of `pattern`, where `9` stands for a digit
/// and any other character for itself.
fn has_shape(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// Parses `--start`: `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (local time).
pub fn parse_start(s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    let format = if has_shape(s, "9999-99-99T99:99") {
        "%Y-%m-%dT%H:%M"
    } else if has_shape(s, "9999-99-99T99:99:99") {
        "%Y-%m-%dT%H:%M:%S"
    } else {
        return Err(format!(
            "The start \"{s}\" is not a local date and time: use YYYY-MM-DDTHH:MM, \
             for example 2026-03-02T18:30."
        ));
    };
    NaiveDateTime::parse_from_str(s, format)
        .map_err(|_| format!("The start \"{s}\" is not a real date and time (check the month, day, hour and minute)."))
}

/// Parses `--until`: `YYYY-MM-DD`.
pub fn parse_until(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if !has_shape(s, "9999-99-99") {
        return Err(format!(
            "The end date \"{s}\" is not a date: use YYYY-MM-DD, for example 2026-12-31."
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("The end date \"{s}\" is not a real date (check the month and day)."))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "2026-03-02T17:30:00Z  2026-03-02T18:30:00+01:00
2026-03-16T17:30:00Z  2026-03-16T18:30:00+01:00
2026-03-30T16:30:00Z  2026-03-30T18:30:00+02:00
";

    #[test]
    fn plain_output() {
        let out = run_cli("2026-03-02T18:30", "Europe/Berlin", "every 2 weeks", 3, None, false).unwrap();
        assert_eq!(out, SAMPLE);
        let ten = run_cli("2026-03-02T18:30", "Europe/Berlin", "every 2 weeks", 10, None, false).unwrap();
        assert_eq!(ten.lines().count(), 10);
        assert_eq!(
            ten.lines().last().unwrap(),
            "2026-07-06T16:30:00Z  2026-07-06T18:30:00+02:00"
        );
        // With seconds in the start.
        let out = run_cli("2026-03-02T18:30:15", "Asia/Kolkata", "weekly", 1, None, false).unwrap();
        assert_eq!(out, "2026-03-02T13:00:15Z  2026-03-02T18:30:15+05:30\n");
        let out = run_cli("2026-03-02T18:30", "UTC", "weekly", 1, None, false).unwrap();
        assert_eq!(out, "2026-03-02T18:30:00Z  2026-03-02T18:30:00+00:00\n");
    }

    #[test]
    fn json_output() {
        let out = run_cli("2026-03-02T18:30", "Europe/Berlin", "every 2 weeks", 2, None, true).unwrap();
        assert_eq!(
            out,
            "{\"occurrences\": [{\"utc\": \"2026-03-02T17:30:00Z\", \"local\": \"2026-03-02T18:30:00+01:00\"}, \
             {\"utc\": \"2026-03-16T17:30:00Z\", \"local\": \"2026-03-16T18:30:00+01:00\"}]}\n"
        );
        let out = run_cli("2026-03-02T18:30", "Europe/Berlin", "every 2 weeks", 10, None, true).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let list = v["occurrences"].as_array().unwrap();
        assert_eq!(list.len(), 10);
        assert_eq!(list[2]["utc"], "2026-03-30T16:30:00Z");
        assert_eq!(list[2]["local"], "2026-03-30T18:30:00+02:00");
        assert_eq!(v.as_object().unwrap().len(), 1);
        assert_eq!(list[0].as_object().unwrap().len(), 2);
        // Nothing before the end date: an empty list.
        let out = run_cli(
            "2026-03-10T10:00",
            "Asia/Tokyo",
            "monthly on day 5",
            5,
            Some("2026-04-04"),
            true,
        )
        .unwrap();
        assert_eq!(out, "{\"occurrences\": []}\n");
        let out = run_cli(
            "2026-03-10T10:00",
            "Asia/Tokyo",
            "monthly on day 5",
            5,
            Some("2026-04-04"),
            false,
        )
        .unwrap();
        assert_eq!(out, "");
    }

    #[test]
    fn until_is_inclusive() {
        let out = run_cli(
            "2026-03-02T18:30",
            "Europe/Berlin",
            "every 2 weeks",
            10,
            Some("2026-03-30"),
            false,
        )
        .unwrap();
        assert_eq!(out.lines().count(), 3);
        let out = run_cli(
            "2026-03-02T18:30",
            "Europe/Berlin",
            "every 2 weeks",
            10,
            Some("2026-03-29"),
            false,
        )
        .unwrap();
        assert_eq!(out.lines().count(), 2);
        let out = run_cli(
            "2026-03-02T18:30",
            "Europe/Berlin",
            "weekly",
            10,
            Some("2026-03-02"),
            false,
        )
        .unwrap();
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |start: &str, tz: &str, freq: &str, count: usize, until: Option<&str>| {
            run_cli(start, tz, freq, count, until, false).unwrap_err()
        };
        assert_eq!(
            err("2026-03-02 18:30x", "Europe/Berlin", "weekly", 3, None),
            "The start \"2026-03-02 18:30x\" is not a local date and time: use YYYY-MM-DDTHH:MM, \
             for example 2026-03-02T18:30."
        );
        assert!(err("2026-3-2T18:30", "UTC", "weekly", 3, None).contains("use YYYY-MM-DDTHH:MM"));
        assert!(err("2026-03-02T18:30Z", "UTC", "weekly", 3, None).contains("use YYYY-MM-DDTHH:MM"));
        assert!(err("+2026-03-02T18:30", "UTC", "weekly", 3, None).contains("use YYYY-MM-DDTHH:MM"));
        assert_eq!(
            err("2026-02-30T18:30", "UTC", "weekly", 3, None),
            "The start \"2026-02-30T18:30\" is not a real date and time (check the month, day, hour and minute)."
        );
        assert!(err("2026-03-02T24:00", "UTC", "weekly", 3, None).contains("not a real date and time"));
        assert!(err("2026-03-02T18:60", "UTC", "weekly", 3, None).contains("not a real date and time"));
        assert_eq!(
            err("2026-03-02T18:30", "Europe/Berlinn", "weekly", 3, None),
            "\"Europe/Berlinn\" is not a known time zone. Use a time zone name such as \
             Europe/Berlin, America/New_York or Asia/Kolkata (a fixed offset like +01:00 does \
             not follow daylight saving)."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "every 13 weeks", 3, None),
            "\"every 13 weeks\" is not allowed: the number of weeks must be from 1 to 12."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "cron: 0 25 * * *", 3, None),
            "In the cron hour field, 25 is out of range (use 0 to 23)."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "weekly", 3, Some("2026-02-31")),
            "The end date \"2026-02-31\" is not a real date (check the month and day)."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "weekly", 3, Some("31.12.2026")),
            "The end date \"31.12.2026\" is not a date: use YYYY-MM-DD, for example 2026-12-31."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "weekly", 3, Some("2026-03-01")),
            "The end date 2026-03-01 is before the start date 2026-03-02."
        );
        assert_eq!(
            err("2026-03-02T18:30", "UTC", "weekly", 0, None),
            "The count must be from 1 to 10000; 0 was given."
        );
        assert!(err("2026-03-02T18:30", "UTC", "weekly", 10_001, None).contains("from 1 to 10000"));
    }

    #[test]
    fn count_limit_is_reachable() {
        let out = run_cli(
            "2026-03-02T18:30",
            "America/New_York",
            "cron: */5 * * * *",
            MAX_COUNT,
            None,
            false,
        )
        .unwrap();
        assert_eq!(out.lines().count(), MAX_COUNT);
    }
}
