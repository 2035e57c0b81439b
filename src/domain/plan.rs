//! The action plan: goals, each with steps that have an owner, a due date and a status.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GoalId, GuildId, RelationshipId, StepId, UserId};
use super::relationship::{string_enum, Relationship, RelationshipError};
use super::validate::{self, ValidationError, MAX_NAME};

pub const MAX_GOALS: usize = 20;
pub const MAX_STEPS_PER_GOAL: usize = 30;

string_enum!(
    ItemStatus {
        Open => "open",
        Done => "done",
        Dropped => "dropped",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub id: GoalId,
    pub guild: GuildId,
    pub relationship: RelationshipId,
    pub title: String,
    pub status: ItemStatus,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: StepId,
    pub goal: GoalId,
    pub text: String,
    pub owner: Option<UserId>,
    pub due: Option<NaiveDate>,
    pub status: ItemStatus,
    pub updated_at: DateTime<Utc>,
    /// Who wrote it (unknown for steps older than the record of it).
    #[serde(default)]
    pub created_by: Option<UserId>,
}

/// The plan can be worked on from acceptance until the end.
fn require_plannable(rel: &Relationship, actor: UserId) -> Result<(), RelationshipError> {
    rel.require_joined(actor)?;
    if !rel.state.is_underway() {
        return Err(RelationshipError::WrongState {
            action: "change the plan of",
            state: rel.state,
        });
    }
    Ok(())
}

impl Goal {
    pub fn new(
        rel: &Relationship,
        existing_goals: usize,
        actor: UserId,
        title: &str,
        now: DateTime<Utc>,
    ) -> Result<Goal, RelationshipError> {
        require_plannable(rel, actor)?;
        let title = validate::required_text("goal", title, MAX_NAME)?;
        if existing_goals >= MAX_GOALS {
            return Err(ValidationError::new("goal", format!("a plan can hold at most {MAX_GOALS} goals")).into());
        }
        Ok(Goal {
            id: GoalId(0),
            guild: rel.guild,
            relationship: rel.id,
            title,
            status: ItemStatus::Open,
            created_by: actor,
            created_at: now,
            steps: Vec::new(),
        })
    }

    pub fn set_status(
        &mut self,
        rel: &Relationship,
        actor: UserId,
        status: ItemStatus,
    ) -> Result<(), RelationshipError> {
        require_plannable(rel, actor)?;
        self.status = status;
        Ok(())
    }

    /// A new title, checked as a new goal's is.
    pub fn rename(&mut self, rel: &Relationship, actor: UserId, title: &str) -> Result<(), RelationshipError> {
        require_plannable(rel, actor)?;
        self.title = validate::required_text("goal", title, MAX_NAME)?;
        Ok(())
    }

    /// A new step under this goal; the owner, when named, must be a member.
    pub fn new_step(
        &self,
        rel: &Relationship,
        actor: UserId,
        text: &str,
        owner: Option<UserId>,
        due: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Step, RelationshipError> {
        require_plannable(rel, actor)?;
        let text = validate::required_text("step", text, MAX_NAME)?;
        if self.steps.len() >= MAX_STEPS_PER_GOAL {
            return Err(
                ValidationError::new("step", format!("a goal can hold at most {MAX_STEPS_PER_GOAL} steps")).into(),
            );
        }
        if let Some(owner) = owner {
            if !rel.is_joined(owner) {
                return Err(
                    ValidationError::new("owner", "the owner of a step must be a member of the mentorship").into(),
                );
            }
        }
        if let Some(due) = due {
            if due < now.date_naive() - chrono::Duration::days(1) {
                return Err(ValidationError::new("due", format!("{due} is in the past")).into());
            }
        }
        Ok(Step {
            id: StepId(0),
            goal: self.id,
            text,
            owner,
            due,
            status: ItemStatus::Open,
            updated_at: now,
            created_by: Some(actor),
        })
    }
}

impl Step {
    pub fn set_status(
        &mut self,
        rel: &Relationship,
        actor: UserId,
        status: ItemStatus,
        now: DateTime<Utc>,
    ) -> Result<(), RelationshipError> {
        require_plannable(rel, actor)?;
        self.status = status;
        self.updated_at = now;
        Ok(())
    }

    /// New words, checked as a new step's are.
    pub fn rename(
        &mut self,
        rel: &Relationship,
        actor: UserId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RelationshipError> {
        require_plannable(rel, actor)?;
        self.text = validate::required_text("step", text, MAX_NAME)?;
        self.updated_at = now;
        Ok(())
    }
}

/// Open steps, for agendas.
pub fn open_steps(goals: &[Goal]) -> impl Iterator<Item = (&Goal, &Step)> {
    goals.iter().filter(|g| g.status == ItemStatus::Open).flat_map(|g| {
        g.steps
            .iter()
            .filter(|s| s.status == ItemStatus::Open)
            .map(move |s| (g, s))
    })
}
