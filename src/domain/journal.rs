//! Phase 4: private reflections. An entry is its author's alone unless the author shares it
//! with the other members of the relationship.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{CheckinId, GuildId, JournalEntryId, RelationshipId, UserId};
use super::relationship::{Relationship, RelationshipError, Role, State};
use super::validate::{self, ValidationError, MAX_LONG_TEXT};

pub const MAX_ANSWERS: usize = 10;
const MAX_QUESTION: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: JournalEntryId,
    pub guild: GuildId,
    pub relationship: RelationshipId,
    pub author: UserId,
    pub checkin: Option<CheckinId>,
    pub answers: Vec<Answer>,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
}

/// The reflection questions for a member's role, from the guide.
pub fn reflection_questions(role: Role) -> &'static [&'static str] {
    match role {
        Role::Mentee => &[
            "What did you learn?",
            "What will you act on before next time?",
            "Successes and challenges since last time?",
            "What new questions do you have?",
            "How is the relationship evolving?",
        ],
        Role::Mentor => &[
            "How are the pace and progress?",
            "What challenged or surprised you?",
            "What should you review next time?",
            "How is the relationship evolving?",
        ],
        Role::Peer => &[
            "What did you learn?",
            "What will you act on before next time?",
            "What challenged or surprised you?",
            "How is the group evolving?",
        ],
    }
}

impl JournalEntry {
    pub fn write(
        rel: &Relationship,
        actor: UserId,
        checkin: Option<CheckinId>,
        answers: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<JournalEntry, RelationshipError> {
        rel.require_joined(actor)?;
        if !rel.state.is_underway() && rel.state != State::Ended {
            return Err(RelationshipError::WrongState {
                action: "write a journal entry for",
                state: rel.state,
            });
        }
        if answers.len() > MAX_ANSWERS {
            return Err(ValidationError::new("answers", format!("at most {MAX_ANSWERS} answers per entry")).into());
        }
        let mut out = Vec::new();
        for (i, (q, a)) in answers.iter().enumerate() {
            let question = validate::required_text(&format!("question {}", i + 1), q, MAX_QUESTION)?;
            if let Some(answer) = validate::optional_text(&format!("answer {}", i + 1), Some(a), MAX_LONG_TEXT)? {
                out.push(Answer { question, answer });
            }
        }
        if out.is_empty() {
            return Err(ValidationError::new("answers", "write at least one answer").into());
        }
        Ok(JournalEntry {
            id: JournalEntryId(0),
            guild: rel.guild,
            relationship: rel.id,
            author: actor,
            checkin,
            answers: out,
            shared: false,
            created_at: now,
        })
    }

    /// Only the author may share (or unshare) an entry.
    pub fn set_shared(&mut self, actor: UserId, shared: bool) -> Result<(), RelationshipError> {
        if actor != self.author {
            return Err(RelationshipError::NotMember);
        }
        self.shared = shared;
        Ok(())
    }

    /// The author sees it; the relationship's members see it once shared; nobody else ever.
    pub fn visible_to(&self, viewer: UserId, rel: &Relationship) -> bool {
        viewer == self.author || (self.shared && rel.id == self.relationship && rel.is_joined(viewer))
    }
}
