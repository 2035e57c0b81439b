//! Check-ins: one planned or held meeting each.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{CheckinId, GuildId, RelationshipId, UserId};
use super::relationship::{string_enum, Relationship, RelationshipError, State};
use super::validate::{self, MAX_LONG_TEXT};

string_enum!(
    CheckinStatus {
        Planned => "planned",
        Held => "held",
        Rescheduled => "rescheduled",
        Skipped => "skipped",
        Missed => "missed",
    }
);

string_enum!(
    /// Who put the check-in on the calendar: a member recording a meeting, the schedule from
    /// the agreement, or a member moving a planned one.
    CheckinSource {
        Manual => "manual",
        Schedule => "schedule",
        Moved => "moved",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkin {
    pub id: CheckinId,
    pub guild: GuildId,
    pub relationship: RelationshipId,
    pub scheduled_at: DateTime<Utc>,
    pub status: CheckinStatus,
    pub reported_by: Option<UserId>,
    pub reported_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub source: CheckinSource,
}

fn require_active(rel: &Relationship, action: &'static str) -> Result<(), RelationshipError> {
    if rel.state != State::Active {
        return Err(RelationshipError::WrongState {
            action,
            state: rel.state,
        });
    }
    Ok(())
}

impl Checkin {
    /// A meeting the schedule plans.
    pub fn planned(rel: &Relationship, at: DateTime<Utc>) -> Result<Checkin, RelationshipError> {
        Self::planned_from(rel, at, CheckinSource::Schedule)
    }

    /// A planned meeting, from the schedule or moved there by a member.
    pub fn planned_from(
        rel: &Relationship,
        at: DateTime<Utc>,
        source: CheckinSource,
    ) -> Result<Checkin, RelationshipError> {
        require_active(rel, "plan a check-in for")?;
        Ok(Checkin {
            id: CheckinId(0),
            guild: rel.guild,
            relationship: rel.id,
            scheduled_at: at,
            status: CheckinStatus::Planned,
            reported_by: None,
            reported_at: None,
            note: None,
            source,
        })
    }

    /// A member records a meeting that was not planned by the bot: it happened, or it did not.
    pub fn record(
        rel: &Relationship,
        actor: UserId,
        held: bool,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Checkin, RelationshipError> {
        rel.require_joined(actor)?;
        require_active(rel, "record a check-in for")?;
        Ok(Checkin {
            id: CheckinId(0),
            guild: rel.guild,
            relationship: rel.id,
            scheduled_at: now,
            status: if held {
                CheckinStatus::Held
            } else {
                CheckinStatus::Missed
            },
            reported_by: Some(actor),
            reported_at: Some(now),
            note: validate::optional_text("note", note, MAX_LONG_TEXT)?,
            source: CheckinSource::Manual,
        })
    }

    /// A member reports how a planned meeting went. Only a planned meeting can be reported.
    pub fn report(
        &mut self,
        rel: &Relationship,
        actor: UserId,
        status: CheckinStatus,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), RelationshipError> {
        rel.require_joined(actor)?;
        require_active(rel, "report a check-in of")?;
        if self.status != CheckinStatus::Planned {
            return Err(RelationshipError::Invalid(validate::ValidationError::new(
                "check-in",
                format!("this check-in was already reported as {}", self.status),
            )));
        }
        if status == CheckinStatus::Planned {
            return Err(RelationshipError::Invalid(validate::ValidationError::new(
                "status",
                "say whether you met, rescheduled, skipped or missed it",
            )));
        }
        self.note = validate::optional_text("note", note, MAX_LONG_TEXT)?;
        self.status = status;
        self.reported_by = Some(actor);
        self.reported_at = Some(now);
        Ok(())
    }
}
