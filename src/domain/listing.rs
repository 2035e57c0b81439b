//! Offers to mentor and requests to be mentored: phase 1, each with its stated purpose.
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, OfferId, RequestId, UserId};
use super::validate::{self, Valid, ValidationError, MAX_LONG_TEXT};

pub const MAX_CAPACITY: u8 = 10;
/// The most open offers (and, apart, open requests) one member may have at once.
pub const MAX_OPEN_LISTINGS: usize = 12;

/// The kind of mentoring relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A more experienced person mentors a less experienced one.
    Classic,
    /// A more junior person mentors a more experienced colleague.
    Reverse,
    /// Three to eight people with common interests mentor each other.
    Peer,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Classic, Kind::Reverse, Kind::Peer];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Classic => "classic",
            Kind::Reverse => "reverse",
            Kind::Peer => "peer",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "classic" => Ok(Kind::Classic),
            "reverse" => Ok(Kind::Reverse),
            "peer" => Ok(Kind::Peer),
            other => Err(format!(
                "\"{other}\" is not a kind of mentoring; choose classic, reverse or peer"
            )),
        }
    }
}

/// Parses a list of kinds; an empty list means every kind.
pub fn parse_kinds(field: &str, items: &[String]) -> Valid<Vec<Kind>> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let k = item.parse().map_err(|e: String| ValidationError::new(field, e))?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        out = Kind::ALL.to_vec();
    }
    out.sort();
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Open,
    /// Withdrawn by its owner; kept for history, never matched again.
    Withdrawn,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// An offer to mentor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: OfferId,
    pub guild: GuildId,
    pub user: UserId,
    pub purpose: String,
    pub topics: Vec<String>,
    pub skills: Vec<String>,
    pub kinds: Vec<Kind>,
    /// How many mentees at once.
    pub capacity: u8,
    /// What the mentor hopes to learn in return.
    pub hopes_to_learn: Option<String>,
    pub status: ListingStatus,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A request to be mentored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub guild: GuildId,
    pub user: UserId,
    pub purpose: String,
    pub goals: Vec<String>,
    pub kinds: Vec<Kind>,
    /// Mentoring styles the person would like.
    pub styles: Vec<String>,
    pub status: ListingStatus,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OfferInput {
    pub purpose: String,
    pub topics: Vec<String>,
    pub skills: Vec<String>,
    pub kinds: Vec<String>,
    pub capacity: i64,
    pub hopes_to_learn: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestInput {
    pub purpose: String,
    pub goals: Vec<String>,
    pub kinds: Vec<String>,
    pub styles: Vec<String>,
}

impl Offer {
    /// A checked new offer; its id is given by the store.
    pub fn new(guild: GuildId, user: UserId, input: &OfferInput, now: DateTime<Utc>) -> Valid<Offer> {
        let capacity = validate::in_range("capacity", input.capacity, 1, i64::from(MAX_CAPACITY))?;
        Ok(Offer {
            id: OfferId(0),
            guild,
            user,
            purpose: validate::required_text("purpose", &input.purpose, MAX_LONG_TEXT)?,
            topics: validate::name_list("topics", &input.topics)?,
            skills: validate::name_list("skills", &input.skills)?,
            kinds: parse_kinds("kinds", &input.kinds)?,
            capacity: capacity as u8,
            hopes_to_learn: validate::optional_text("hopes to learn", input.hopes_to_learn.as_deref(), MAX_LONG_TEXT)?,
            status: ListingStatus::Open,
            created_at: now,
            withdrawn_at: None,
        })
    }

    pub fn withdraw(&mut self, actor: UserId, now: DateTime<Utc>) -> Result<(), ListingError> {
        withdraw(self.user, actor, &mut self.status, &mut self.withdrawn_at, now)
    }
}

impl Request {
    pub fn new(guild: GuildId, user: UserId, input: &RequestInput, now: DateTime<Utc>) -> Valid<Request> {
        let goals = validate::name_list("goals", &input.goals)?;
        if goals.is_empty() {
            return Err(ValidationError::new("goals", "name at least one goal or topic"));
        }
        Ok(Request {
            id: RequestId(0),
            guild,
            user,
            purpose: validate::required_text("purpose", &input.purpose, MAX_LONG_TEXT)?,
            goals,
            kinds: parse_kinds("kinds", &input.kinds)?,
            styles: validate::name_list("styles", &input.styles)?,
            status: ListingStatus::Open,
            created_at: now,
            withdrawn_at: None,
        })
    }

    pub fn withdraw(&mut self, actor: UserId, now: DateTime<Utc>) -> Result<(), ListingError> {
        withdraw(self.user, actor, &mut self.status, &mut self.withdrawn_at, now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("only its owner can withdraw it")]
    NotOwner,
    #[error("it was already withdrawn")]
    AlreadyWithdrawn,
}

fn withdraw(
    owner: UserId,
    actor: UserId,
    status: &mut ListingStatus,
    at: &mut Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ListingError> {
    if owner != actor {
        return Err(ListingError::NotOwner);
    }
    if *status == ListingStatus::Withdrawn {
        return Err(ListingError::AlreadyWithdrawn);
    }
    *status = ListingStatus::Withdrawn;
    *at = Some(now);
    Ok(())
}
