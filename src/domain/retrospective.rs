//! Phase 5: each member looks back once the relationship has ended.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, RelationshipId, UserId};
use super::relationship::{Relationship, RelationshipError, State};
use super::validate::{self, ValidationError, MAX_LONG_TEXT};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retrospective {
    pub guild: GuildId,
    pub relationship: RelationshipId,
    pub author: UserId,
    pub learned: String,
    pub differently: Option<String>,
    pub celebrate: Option<String>,
    /// The author agrees to a celebration post in the program channel.
    pub celebrate_publicly: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct RetrospectiveInput {
    pub learned: String,
    pub differently: Option<String>,
    pub celebrate: Option<String>,
    pub celebrate_publicly: bool,
}

impl Retrospective {
    pub fn write(
        rel: &Relationship,
        actor: UserId,
        already_written: bool,
        input: &RetrospectiveInput,
        now: DateTime<Utc>,
    ) -> Result<Retrospective, RelationshipError> {
        rel.require_joined(actor)?;
        if rel.state != State::Ended {
            return Err(RelationshipError::WrongState {
                action: "write a retrospective for",
                state: rel.state,
            });
        }
        if already_written {
            return Err(ValidationError::new(
                "retrospective",
                "you already wrote your retrospective for this mentorship",
            )
            .into());
        }
        Ok(Retrospective {
            guild: rel.guild,
            relationship: rel.id,
            author: actor,
            learned: validate::required_text("what did you learn", &input.learned, MAX_LONG_TEXT)?,
            differently: validate::optional_text(
                "what would you do differently",
                input.differently.as_deref(),
                MAX_LONG_TEXT,
            )?,
            celebrate: validate::optional_text("what to celebrate", input.celebrate.as_deref(), MAX_LONG_TEXT)?,
            celebrate_publicly: input.celebrate_publicly,
            created_at: now,
        })
    }
}
