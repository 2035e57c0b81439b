//! The file of `/program import` (issue 17): a CSV with a documented header, UTF-8, comma or
//! semicolon separated, one person a row. Reading it checks every row with the same rules as
//! `/mentor profile`, `/mentor offer` and `/mentor seek`; a row that breaks one is reported with
//! its line number and why, and the file as a whole is refused only when it is not such a CSV.
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, UserId};
use super::listing::{Offer, OfferInput, Request, RequestInput};
use super::profile::{Profile, ProfileInput};

/// The columns, in the order the README documents (any order is read).
pub const HEADER: [&str; 8] = [
    "user",
    "role",
    "topics",
    "skills",
    "capacity",
    "timezone",
    "availability",
    "purpose",
];
/// Rows one file may have.
pub const MAX_ROWS: usize = 1000;
/// Discord usernames have at most 32 characters.
const MAX_USERNAME: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportRole {
    Mentor,
    Mentee,
    Both,
}

impl ImportRole {
    pub fn mentors(self) -> bool {
        matches!(self, Self::Mentor | Self::Both)
    }

    pub fn seeks(self) -> bool {
        matches!(self, Self::Mentee | Self::Both)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mentor => "mentor",
            Self::Mentee => "mentee",
            Self::Both => "both",
        }
    }
}

impl fmt::Display for ImportRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a row is about, as written: a Discord user id or a username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    Id(u64),
    Name(String),
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::Id(id) => write!(f, "{id}"),
            Who::Name(n) => write!(f, "{n}"),
        }
    }
}

/// A row's values once checked: what the import sets for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportFields {
    pub role: ImportRole,
    pub topics: Vec<String>,
    pub skills: Vec<String>,
    /// For mentors: how many mentees at once.
    pub capacity: Option<i64>,
    pub timezone: String,
    pub availability: String,
    pub purpose: String,
}

impl ImportFields {
    /// The profile's part, keeping the person's own name and meeting methods.
    pub fn profile_input(&self, existing: Option<&Profile>, name: &str) -> ProfileInput {
        let mut input = match existing {
            Some(p) => ProfileInput {
                display_name: p.display_name.clone(),
                timezone: p.timezone.name().to_string(),
                availability: join_windows(p),
                methods: p.methods.iter().map(|m| m.to_string()).collect(),
                role: p.role.clone(),
                experience: p.experience.clone(),
                mentoring_styles: p.mentoring_styles.clone(),
                learning_styles: p.learning_styles.clone(),
            },
            None => ProfileInput {
                display_name: name.to_string(),
                ..Default::default()
            },
        };
        input.timezone = self.timezone.clone();
        // A blank availability keeps what the person said.
        if !self.availability.trim().is_empty() || existing.is_none() {
            input.availability = self.availability.clone();
        }
        input
    }

    pub fn offer_input(&self) -> Option<OfferInput> {
        self.role.mentors().then(|| OfferInput {
            purpose: self.purpose.clone(),
            topics: self.topics.clone(),
            skills: self.skills.clone(),
            kinds: Vec::new(),
            capacity: self.capacity.unwrap_or(1),
            hopes_to_learn: None,
        })
    }

    pub fn request_input(&self) -> Option<RequestInput> {
        self.role.seeks().then(|| RequestInput {
            purpose: self.purpose.clone(),
            goals: self.topics.clone(),
            kinds: Vec::new(),
            styles: Vec::new(),
        })
    }

    /// Checks the values with the rules of the profile, offer and request they become.
    fn check(&self) -> Result<(), String> {
        let (g, u, now) = (GuildId(1), UserId(1), DateTime::<Utc>::UNIX_EPOCH);
        Profile::from_input(g, u, &self.profile_input(None, "check"), now).map_err(|e| e.to_string())?;
        if let Some(o) = self.offer_input() {
            Offer::new(g, u, &o, now).map_err(|e| e.to_string())?;
        }
        if let Some(r) = self.request_input() {
            Request::new(g, u, &r, now).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn join_windows(p: &Profile) -> String {
    p.availability
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row that reads well; `who` is still to be found in the server.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub line: u64,
    pub who: Who,
    pub fields: ImportFields,
}

/// A row that does not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportFile {
    pub rows: Vec<FileRow>,
    pub bad: Vec<BadRow>,
}

/// A cell quoted in a reason: long ones cut, so a row's reason stays one short line.
fn cut(cell: &str) -> String {
    const MAX: usize = 40;
    if cell.chars().count() <= MAX {
        cell.to_string()
    } else {
        cell.chars().take(MAX - 1).chain(['…']).collect()
    }
}

fn header_help() -> String {
    format!(
        "the first line must be the header {} (comma or semicolon separated; the README has an example)",
        HEADER.join(",")
    )
}

/// Topics and skills: separated by `|` (which needs no quoting in a CSV), commas or semicolons.
fn list(cell: &str) -> Vec<String> {
    cell.split(['|', ',', ';', '\n'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn who(cell: &str) -> Result<Who, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Err("user: empty; give a Discord user id or username".into());
    }
    if cell.chars().all(|c| c.is_ascii_digit()) {
        return match cell.parse::<u64>() {
            Ok(id) if (17..=20).contains(&cell.len()) => Ok(Who::Id(id)),
            _ => Err(format!("user: \"{cell}\" is not a Discord user id (17 to 20 digits)")),
        };
    }
    let name = cell.trim_start_matches('@');
    if name.is_empty() || name.chars().count() > MAX_USERNAME {
        return Err(format!(
            "user: \"{}\" is not a Discord username (at most {MAX_USERNAME} characters)",
            cut(cell)
        ));
    }
    Ok(Who::Name(name.to_string()))
}

fn role(cell: &str) -> Result<ImportRole, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "mentor" => Ok(ImportRole::Mentor),
        "mentee" => Ok(ImportRole::Mentee),
        "both" => Ok(ImportRole::Both),
        other => Err(format!(
            "role: \"{}\" is not a role; write mentor, mentee or both",
            cut(other)
        )),
    }
}

fn capacity(cell: &str, role: ImportRole) -> Result<Option<i64>, String> {
    let cell = cell.trim();
    if !role.mentors() {
        // A mentee's capacity means nothing; left as written.
        return Ok(None);
    }
    if cell.is_empty() {
        return Err("capacity: give how many mentees this mentor takes at once (1 to 10)".into());
    }
    cell.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("capacity: \"{}\" is not a whole number (1 to 10)", cut(cell)))
}

fn row(cells: &[&str; 8]) -> Result<(Who, ImportFields), String> {
    let [user, role_cell, topics, skills, cap, timezone, availability, purpose] = cells;
    let who = who(user)?;
    let role = role(role_cell)?;
    let fields = ImportFields {
        role,
        topics: list(topics),
        skills: list(skills),
        capacity: capacity(cap, role)?,
        timezone: timezone.trim().to_string(),
        availability: availability.replace('|', ","),
        purpose: purpose.trim().to_string(),
    };
    fields.check()?;
    Ok((who, fields))
}

/// Reads the file. `Err` refuses the whole file (not UTF-8, not the import's header, too many
/// rows), with what to fix; otherwise every row is either read or reported.
pub fn read(bytes: &[u8]) -> Result<ImportFile, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the file is not UTF-8 text; save it as \"CSV UTF-8\" and attach it again".to_string())?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => return Err(format!("the file is empty; {}", header_help())),
    };
    // Where each documented column is in this file.
    let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let mut at = [0usize; 8];
    for (i, column) in HEADER.iter().enumerate() {
        let found: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n == column)
            .map(|(j, _)| j)
            .collect();
        match found.as_slice() {
            [j] => at[i] = *j,
            _ => return Err(format!("this is not the import's CSV: {}", header_help())),
        }
    }
    if names.len() != HEADER.len() {
        return Err(format!("this is not the import's CSV: {}", header_help()));
    }
    let mut file = ImportFile::default();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                file.bad.push(BadRow {
                    line,
                    reason: "cannot be read as CSV".into(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if file.rows.len() + file.bad.len() >= MAX_ROWS {
            return Err(format!(
                "the file has more than {MAX_ROWS} rows; split it into several imports"
            ));
        }
        if record.len() != HEADER.len() {
            file.bad.push(BadRow {
                line,
                reason: format!("has {} columns; the header has {}", record.len(), HEADER.len()),
            });
            continue;
        }
        let cells: [&str; 8] = std::array::from_fn(|i| record.get(at[i]).unwrap_or_default());
        match row(&cells) {
            Ok((who, fields)) => file.rows.push(FileRow { line, who, fields }),
            Err(reason) => file.bad.push(BadRow { line, reason }),
        }
    }
    if file.rows.is_empty() && file.bad.is_empty() {
        return Err("the file has a header and no rows; add one row per person".into());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "user,role,topics,skills,capacity,timezone,availability,purpose\n";

    #[test]
    fn reads_good_and_bad_rows_with_their_lines() {
        let text = format!(
            "{HEAD}900000000000000001,mentor,rust|career,code review,2,Europe/Berlin,tue 18:00-20:00,Help people grow\n\
             ada,mentee,rust,,,UTC,,\"Learn Rust, properly\"\n\
             grace,boss,rust,,,UTC,,Learn\n\
             grace,mentee,rust,,,Mars/Base,,Learn\n\
             grace,mentor,rust,,eleven,UTC,,Teach\n\
             grace,mentor,rust,,11,UTC,,Teach\n\
             grace,mentee\n"
        );
        let f = read(text.as_bytes()).unwrap();
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].who, Who::Id(900_000_000_000_000_001));
        assert_eq!(f.rows[0].fields.topics, vec!["rust", "career"]);
        assert_eq!(f.rows[1].who, Who::Name("ada".into()));
        assert_eq!(f.rows[1].fields.purpose, "Learn Rust, properly");
        let lines: Vec<u64> = f.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7, 8], "{:?}", f.bad);
        assert!(f.bad[0].reason.starts_with("role"), "{:?}", f.bad[0]);
        assert!(f.bad[1].reason.contains("time zone"), "{:?}", f.bad[1]);
        assert!(f.bad[2].reason.contains("not a whole number"), "{:?}", f.bad[2]);
        assert!(f.bad[3].reason.contains("capacity"), "{:?}", f.bad[3]);
        assert!(f.bad[4].reason.contains("2 columns"), "{:?}", f.bad[4]);
    }

    #[test]
    fn semicolons_and_a_byte_order_mark() {
        let text = "\u{feff}user;role;topics;skills;capacity;timezone;availability;purpose\nada;mentee;rust, go;;;UTC;;Learn\n";
        let f = read(text.as_bytes()).unwrap();
        assert_eq!(f.rows.len(), 1, "{:?}", f.bad);
        assert_eq!(f.rows[0].fields.topics, vec!["rust", "go"]);
    }

    #[test]
    fn files_that_are_not_the_import_are_refused() {
        assert!(read(b"").unwrap_err().contains("header"));
        assert!(read(b"name,email\nada,a@b.c\n").unwrap_err().contains("header"));
        assert!(read(&[0xff, 0xfe, 0x00, 0x41]).unwrap_err().contains("UTF-8"));
        assert!(read(HEAD.as_bytes()).unwrap_err().contains("no rows"));
        let many = format!("{HEAD}{}", "ada,mentee,rust,,,UTC,,Learn\n".repeat(MAX_ROWS + 1));
        assert!(read(many.as_bytes()).unwrap_err().contains("more than"));
    }
}
