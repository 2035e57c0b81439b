use chrono::NaiveDate;

use super::{Engine, Error, Result};
use crate::domain::checkin::{Checkin, CheckinSource, CheckinStatus};
use crate::domain::ids::*;
use crate::domain::plan::{Goal, ItemStatus, Step};

/// How far from a planned check-in `/mentorship checkin` still counts as its answer, either way:
/// a meeting held a few days early or late is that meeting.
pub const ATTACH_WINDOW_DAYS: i64 = 7;

impl Engine {
    pub async fn add_goal(&self, guild: GuildId, rel: RelationshipId, actor: UserId, title: &str) -> Result<Goal> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let existing = self.store.goals(guild, rel).await?.len();
        let mut goal = Goal::new(&relationship, existing, actor, title, self.now())?;
        goal.id = self.store.insert_goal(&goal).await?;
        Ok(goal)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_step(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        goal: GoalId,
        text: &str,
        owner: Option<UserId>,
        due: Option<NaiveDate>,
    ) -> Result<Step> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let goals = self.store.goals(guild, rel).await?;
        let goal = goals.iter().find(|g| g.id == goal).ok_or(Error::NotFound("goal"))?;
        let mut step = goal.new_step(&relationship, actor, text, owner, due, self.now())?;
        step.id = self.store.insert_step(guild, &step).await?;
        Ok(step)
    }

    pub async fn set_step_status(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        step: StepId,
        status: ItemStatus,
    ) -> Result<Step> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let mut step = self.step_of(guild, rel, step).await?;
        step.set_status(&relationship, actor, status, self.now())?;
        self.store.update_step(guild, &step).await?;
        Ok(step)
    }

    pub async fn set_goal_status(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        goal: GoalId,
        status: ItemStatus,
    ) -> Result<Goal> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let mut goal = self.goal_of(guild, rel, goal).await?;
        goal.set_status(&relationship, actor, status)?;
        self.store.update_goal(&goal).await?;
        Ok(goal)
    }

    /// New words for a goal (issue 16, item 12).
    pub async fn rename_goal(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        goal: GoalId,
        title: &str,
    ) -> Result<Goal> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let mut goal = self.goal_of(guild, rel, goal).await?;
        goal.rename(&relationship, actor, title)?;
        self.store.update_goal(&goal).await?;
        Ok(goal)
    }

    /// New words for a step (issue 16, item 12).
    pub async fn rename_step(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        step: StepId,
        text: &str,
    ) -> Result<Step> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let mut step = self.step_of(guild, rel, step).await?;
        step.rename(&relationship, actor, text, self.now())?;
        self.store.update_step(guild, &step).await?;
        Ok(step)
    }

    async fn goal_of(&self, guild: GuildId, rel: RelationshipId, goal: GoalId) -> Result<Goal> {
        self.store
            .goals(guild, rel)
            .await?
            .into_iter()
            .find(|g| g.id == goal)
            .ok_or(Error::NotFound("goal"))
    }

    async fn step_of(&self, guild: GuildId, rel: RelationshipId, step: StepId) -> Result<Step> {
        self.store
            .goals(guild, rel)
            .await?
            .into_iter()
            .flat_map(|g| g.steps)
            .find(|s| s.id == step)
            .ok_or(Error::NotFound("step"))
    }

    /// The action plan, for members only.
    pub async fn plan(&self, guild: GuildId, rel: RelationshipId, viewer: UserId) -> Result<Vec<Goal>> {
        let relationship = self.relationship_for(guild, rel, viewer).await?;
        relationship.require_joined(viewer)?;
        Ok(self.store.goals(guild, rel).await?)
    }

    /// A member records a meeting that happened (or did not). It is the answer to the nearest
    /// planned check-in within [`ATTACH_WINDOW_DAYS`] days when there is one (issue 16, item 5):
    /// that check-in's reminders, did-you-meet and nudge stop, instead of a second check-in
    /// beside it that still asks and turns the pair amber. Otherwise it is a check-in of its own.
    pub async fn record_checkin(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        held: bool,
        note: Option<&str>,
    ) -> Result<Checkin> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let now = self.now();
        // Checked first: a refusal (not joined, not active) is the same with or without a plan.
        let mut checkin = Checkin::record(&relationship, actor, held, note, now)?;
        let window = chrono::Duration::days(ATTACH_WINDOW_DAYS);
        let nearest = self
            .store
            .checkins(guild, rel)
            .await?
            .into_iter()
            // A planned one the partner already answered "We met" to is the same meeting too.
            .filter(|c| {
                c.status == CheckinStatus::Planned
                    || (held && c.status == CheckinStatus::Held && c.source != CheckinSource::Manual)
            })
            .filter(|c| (c.scheduled_at - now).abs() <= window)
            .min_by_key(|c| (c.scheduled_at - now).abs());
        if let Some(mut planned) = nearest {
            if planned.status == CheckinStatus::Held {
                return Ok(planned);
            }
            let status = if held {
                CheckinStatus::Held
            } else {
                CheckinStatus::Missed
            };
            planned.report(&relationship, actor, status, note, now)?;
            self.store.update_checkin(&planned).await?;
            self.cancel_checkin_jobs(guild, rel, planned.id).await?;
            self.after_report(&relationship, &planned).await?;
            return Ok(planned);
        }
        checkin.id = self.store.insert_checkin(&checkin).await?;
        self.after_report(&relationship, &checkin).await?;
        Ok(checkin)
    }

    /// The schedule plans a meeting.
    pub async fn plan_checkin(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Checkin> {
        let relationship = self.load(guild, rel).await?;
        let mut checkin = Checkin::planned(&relationship, at)?;
        checkin.id = self.store.insert_checkin(&checkin).await?;
        Ok(checkin)
    }

    /// A member says how a planned meeting went.
    pub async fn report_checkin(
        &self,
        guild: GuildId,
        id: CheckinId,
        actor: UserId,
        status: CheckinStatus,
        note: Option<&str>,
    ) -> Result<Checkin> {
        let mut checkin = self
            .store
            .checkin(guild, id)
            .await?
            .ok_or(Error::NotFound("check-in"))?;
        let relationship = self.relationship_for(guild, checkin.relationship, actor).await?;
        checkin.report(&relationship, actor, status, note, self.now())?;
        self.store.update_checkin(&checkin).await?;
        self.after_report(&relationship, &checkin).await?;
        Ok(checkin)
    }

    pub async fn checkins(&self, guild: GuildId, rel: RelationshipId, viewer: UserId) -> Result<Vec<Checkin>> {
        let relationship = self.relationship_for(guild, rel, viewer).await?;
        relationship.require_joined(viewer)?;
        Ok(self.store.checkins(guild, rel).await?)
    }
}
