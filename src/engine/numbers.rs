//! The numbers people type and see (issue 16, item 8): mentorships count within their server
//! (the store hands out the next number as it inserts one), goals and steps within their
//! mentorship and journal entries within their author's journal in the server, from 1, in the
//! order they were written. Nothing is ever deleted one by one (a dropped goal keeps its
//! place), so a number keeps meaning the same item. A mentorship left out of a command is the
//! caller's only one in progress.
use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::journal::JournalEntry;
use crate::domain::plan::{Goal, Step};
use crate::domain::relationship::Relationship;

/// Steps of a plan with their numbers within the mentorship: creation order across goals, so
/// a step added to the first goal later does not renumber the others.
pub fn numbered_steps(goals: &[Goal]) -> Vec<(i64, &Goal, &Step)> {
    let mut steps: Vec<(&Goal, &Step)> = goals.iter().flat_map(|g| g.steps.iter().map(move |s| (g, s))).collect();
    steps.sort_by_key(|(_, s)| s.id);
    steps.into_iter().zip(1..).map(|((g, s), n)| (n, g, s)).collect()
}

/// The number of a goal within its plan (1 for the first).
pub fn goal_number(goals: &[Goal], id: GoalId) -> Option<i64> {
    goals.iter().position(|g| g.id == id).map(|i| i as i64 + 1)
}

/// The number of a step within its plan.
pub fn step_number(goals: &[Goal], id: StepId) -> Option<i64> {
    numbered_steps(goals)
        .into_iter()
        .find(|(_, _, s)| s.id == id)
        .map(|(n, _, _)| n)
}

/// The live mentorships a person is in (invited or joined): the ones a command may mean.
pub fn in_progress(rels: &[Relationship], me: UserId) -> Vec<&Relationship> {
    rels.iter()
        .filter(|r| r.state.is_live() && r.member(me).is_some())
        .collect()
}

impl Engine {
    /// The zone a person reads and types times in: their profile's, else `fallback` (the
    /// agreement's).
    pub async fn own_zone(&self, guild: GuildId, user: UserId, fallback: chrono_tz::Tz) -> Result<chrono_tz::Tz> {
        Ok(self
            .store
            .profile(guild, user)
            .await?
            .map(|p| p.timezone)
            .unwrap_or(fallback))
    }

    /// The mentorship a command means: the one whose number in this server is given, or the
    /// caller's only one in progress. A number names a mentorship of this server only; one the
    /// caller is not in gets the same "not found" as one that does not exist (checked where it
    /// is loaded).
    pub async fn pick_mentorship(&self, guild: GuildId, me: UserId, given: Option<i64>) -> Result<RelationshipId> {
        if let Some(n) = given {
            return self
                .store
                .relationship_numbered(guild, n)
                .await?
                .map(|r| r.id)
                .ok_or(Error::NotFound("mentorship"));
        }
        let rels = self.relationships(guild, me).await?;
        let live = in_progress(&rels, me);
        match live.as_slice() {
            [only] => Ok(only.id),
            [] => Err(Error::Limit(
                "You have no mentorship in progress. /mentorship list shows yours (with their numbers); \
                 /mentor seek or /mentor offer starts one"
                    .into(),
            )),
            several => Err(Error::Limit(format!(
                "You have {} mentorships in progress: please pick one in the `mentorship` option \
                 (type part of a name to search)",
                several.len()
            ))),
        }
    }

    /// Goal `n` (1 for the first) of a mentorship's plan, for its members.
    pub async fn goal_numbered(&self, guild: GuildId, rel: RelationshipId, me: UserId, n: i64) -> Result<Goal> {
        let goals = self.plan(guild, rel, me).await?;
        usize::try_from(n.saturating_sub(1))
            .ok()
            .and_then(|i| goals.get(i).cloned())
            .ok_or_else(|| not_numbered("goal"))
    }

    /// Step `n` of a mentorship's plan, for its members.
    pub async fn step_numbered(&self, guild: GuildId, rel: RelationshipId, me: UserId, n: i64) -> Result<Step> {
        let goals = self.plan(guild, rel, me).await?;
        let steps = numbered_steps(&goals);
        steps
            .into_iter()
            .find(|(m, _, _)| *m == n)
            .map(|(_, _, s)| s.clone())
            .ok_or_else(|| not_numbered("step"))
    }

    /// The number people see of one mentorship of this server.
    pub async fn mentorship_number(&self, guild: GuildId, id: RelationshipId) -> Result<i64> {
        Ok(self.load(guild, id).await?.number)
    }

    /// The numbers of a person's mentorships in this server, by database id (for things of
    /// theirs that point at a mentorship by id, such as journal entries). Only theirs: a
    /// journal list must not read a whole server.
    pub async fn mentorship_numbers(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> Result<std::collections::HashMap<RelationshipId, i64>> {
        Ok(self
            .store
            .relationship_numbers(guild, user)
            .await?
            .into_iter()
            .collect())
    }

    /// The caller's own journal entries in this server, numbered from 1 (their first).
    pub async fn my_journal_numbered(&self, guild: GuildId, me: UserId) -> Result<Vec<(i64, JournalEntry)>> {
        let entries = self.store.journal_of(guild, me, None).await?;
        Ok((1..).zip(entries).collect())
    }

    /// The caller's own journal entry number `n`.
    pub async fn my_journal_entry(&self, guild: GuildId, me: UserId, n: i64) -> Result<JournalEntry> {
        let mine = self.my_journal_numbered(guild, me).await?;
        mine.into_iter()
            .find(|(m, _)| *m == n)
            .map(|(_, e)| e)
            .ok_or_else(|| not_numbered("journal entry"))
    }
}

/// Offers and requests count within their author's in the server, from 1, in the order they
/// were made (none is deleted one by one: a withdrawn one keeps its number).
impl Engine {
    /// The number of one of a person's offers (what `/mentor withdraw` takes).
    pub async fn offer_number(&self, guild: GuildId, user: UserId, id: OfferId) -> Result<i64> {
        let mine = self.offers_of(guild, user).await?;
        position_of(mine.iter().map(|o| o.id), id, "offer")
    }

    /// The number of one of a person's requests.
    pub async fn request_number(&self, guild: GuildId, user: UserId, id: RequestId) -> Result<i64> {
        let mine = self.requests_of(guild, user).await?;
        position_of(mine.iter().map(|q| q.id), id, "request")
    }

    /// The caller's offer number `n`.
    pub async fn offer_numbered(&self, guild: GuildId, me: UserId, n: i64) -> Result<OfferId> {
        let mine = self.offers_of(guild, me).await?;
        nth(mine.iter().map(|o| o.id), n, "offer")
    }

    /// The caller's request number `n`.
    pub async fn request_numbered(&self, guild: GuildId, me: UserId, n: i64) -> Result<RequestId> {
        let mine = self.requests_of(guild, me).await?;
        nth(mine.iter().map(|q| q.id), n, "request")
    }
}

fn position_of<T: PartialEq>(ids: impl Iterator<Item = T>, id: T, what: &'static str) -> Result<i64> {
    (1..)
        .zip(ids)
        .find(|(_, i)| *i == id)
        .map(|(n, _)| n)
        .ok_or_else(|| not_numbered(what))
}

fn nth<T>(mut ids: impl Iterator<Item = T>, n: i64, what: &'static str) -> Result<T> {
    usize::try_from(n.saturating_sub(1))
        .ok()
        .and_then(|i| ids.nth(i))
        .ok_or_else(|| not_numbered(what))
}

/// One answer for a number that names nothing of the caller's (the way forward names the
/// listing with the numbers).
fn not_numbered(what: &'static str) -> Error {
    Error::NotFound(what)
}

/// Notification preferences (issue 16, item 13).
impl Engine {
    /// A person's preferences (the defaults when they never set any).
    pub async fn notification_prefs(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> Result<crate::domain::preferences::NotificationPrefs> {
        Ok(self
            .store
            .notification_prefs(guild, user)
            .await?
            .unwrap_or_else(|| crate::domain::preferences::NotificationPrefs::default_for(guild, user)))
    }

    /// Changes a person's preferences. New lead times apply to the check-ins already planned
    /// too: with the preferences, one `sync` job per active mentorship of theirs is saved in the
    /// same transaction (an outbox, as `save_and_replan`), then done at once and dropped; a crash
    /// or an error leaves the job, which moves the reminders later.
    pub async fn set_notification_prefs(
        &self,
        guild: GuildId,
        user: UserId,
        change: &crate::domain::preferences::PrefsChange,
    ) -> Result<crate::domain::preferences::NotificationPrefs> {
        let before = self.notification_prefs(guild, user).await?;
        let next = before.apply(change)?;
        let now = self.now();
        let (mut rels, mut jobs) = (Vec::new(), Vec::new());
        if next.reminder_leads != before.reminder_leads {
            for rel in self.store.relationships_of(guild, user).await? {
                if rel.state == crate::domain::relationship::State::Active && rel.is_joined(user) {
                    jobs.push(super::schedule::reminders_sync_job(&rel, user, now));
                    rels.push(rel.id);
                }
            }
        }
        self.store.save_notification_prefs(&next, &jobs, now).await?;
        if self.stopped_after_save() {
            return Ok(next);
        }
        for (job, &rel) in jobs.iter().zip(&rels) {
            match self.replan_reminders(guild, rel).await {
                Ok(()) => {
                    if let Err(e) = self.store.drop_pending(&job.dedupe_key).await {
                        tracing::debug!(rel = rel.0, error = %e, "the done sync job stays and runs again");
                    }
                }
                Err(e) => tracing::warn!(rel = rel.0, error = %e, "could not move the reminders now; their job will"),
            }
        }
        Ok(next)
    }

    /// The joined members who want a message of this kind.
    pub async fn wanting(&self, rel: &Relationship, kind: crate::domain::preferences::Muted) -> Result<Vec<UserId>> {
        let mut out = Vec::new();
        for m in rel.joined() {
            if self.notification_prefs(rel.guild, m.user).await?.wants(kind) {
                out.push(m.user);
            }
        }
        Ok(out)
    }

    /// The joined members to remind `lead` minutes before a check-in: those who did not mute
    /// reminders and whose lead times (their own, else the program's) hold `lead`.
    pub async fn reminded_at(&self, rel: &Relationship, lead: u32) -> Result<Vec<UserId>> {
        let program = self.program_settings(rel.guild).await?.reminder_leads;
        let mut prefs = Vec::new();
        for m in rel.joined() {
            prefs.push(self.notification_prefs(rel.guild, m.user).await?);
        }
        // A reminder planned at lead times the program had then still reaches those who keep
        // the program's, unless it exists for someone's own lead time.
        let someones_own = prefs
            .iter()
            .any(|p| p.reminder_leads.as_ref().is_some_and(|own| own.contains(&lead)));
        Ok(prefs
            .into_iter()
            .filter(|p| p.wants(crate::domain::preferences::Muted::Reminders))
            .filter(|p| match &p.reminder_leads {
                Some(own) => own.contains(&lead),
                None => program.contains(&lead) || !someones_own,
            })
            .map(|p| p.user)
            .collect())
    }

    /// Every lead time some member of `rel` is reminded at: the program's and the members' own.
    pub async fn all_leads(&self, rel: &Relationship, program: &[u32]) -> Result<Vec<u32>> {
        let mut prefs = Vec::new();
        for m in rel.joined() {
            prefs.push(self.notification_prefs(rel.guild, m.user).await?);
        }
        Ok(crate::domain::preferences::all_leads(&prefs, program))
    }
}
