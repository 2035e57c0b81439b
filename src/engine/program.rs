use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::program::{parse_digest, parse_lead_times, ProgramSettings};
use crate::domain::relationship::{EndReason, MemberStatus, Relationship, RelationshipError, State};
use crate::domain::validate::{self, ValidationError};
use crate::engine::schedule::kind;
use crate::store::jobs::{Job, NewJob};
use serde_json::json;

/// What an organiser changes with `/program setup`; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct ProgramSetup {
    pub channel: Option<u64>,
    pub coordinator_role: Option<u64>,
    pub reminder_leads: Option<String>,
    pub proposal_expiry_days: Option<i64>,
    /// The coordinator's digest: five cron fields on the server's time, or `off`.
    pub digest: Option<String>,
    /// The server's time zone (an IANA name such as Europe/Berlin).
    pub timezone: Option<String>,
    /// A channel only organisers read, for the digest and alerts.
    pub coordinator_channel: Option<u64>,
    /// Invitations a member may have waiting at once (1 to 50).
    pub invitation_limit: Option<i64>,
    /// Days before someone who declined may be invited again by the same member (0 to 365).
    pub decline_cooldown_days: Option<i64>,
    /// Agreement versions per mentorship in 24 hours (1 to 50).
    pub agreement_versions_per_day: Option<i64>,
}

/// A member to add to their relationship's private thread, by a job.
#[derive(Debug, Clone)]
pub struct ThreadMemberDue {
    pub rel: Relationship,
    pub thread: u64,
    pub user: UserId,
    /// Where a lasting failure is reported (never the program channel).
    pub organisers: super::organisers::Organisers,
}

impl Engine {
    /// The server's settings, or the defaults when nobody set them up.
    pub async fn program_settings(&self, guild: GuildId) -> Result<ProgramSettings> {
        Ok(self
            .store
            .program_settings(guild)
            .await?
            .unwrap_or_else(|| ProgramSettings::defaults(guild, self.rules.proposal_expiry.num_days() as u32)))
    }

    /// Whether a member may run program commands: server admins, and the coordinator role.
    pub async fn is_organiser(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<bool> {
        if is_admin {
            return Ok(true);
        }
        let settings = self.program_settings(guild).await?;
        Ok(settings.coordinator_role.is_some_and(|r| roles.contains(&r)))
    }

    /// Refuses anyone but the server's admins and the program's coordinators with `refusal`:
    /// every organisers' command checks here, on our side, whatever Discord shows.
    pub(super) async fn require_organiser(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
        refusal: &'static str,
    ) -> Result<()> {
        if self.is_organiser(guild, is_admin, roles).await? {
            Ok(())
        } else {
            Err(Error::Forbidden(refusal))
        }
    }

    /// Changes the program settings; the caller's right to do so is checked here, on our side.
    pub async fn setup_program(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
        setup: &ProgramSetup,
    ) -> Result<ProgramSettings> {
        self.require_organiser(
            guild,
            is_admin,
            roles,
            "only server admins and the program's coordinators can change the program",
        )
        .await?;
        let mut settings = self.program_settings(guild).await?;
        if let Some(leads) = &setup.reminder_leads {
            settings.reminder_leads = parse_lead_times(leads)?;
        }
        if let Some(days) = setup.proposal_expiry_days {
            settings.proposal_expiry_days = validate::in_range("proposal expiry days", days, 1, 60)? as u32;
        }
        if let Some(digest) = &setup.digest {
            settings.digest_cron = Some(parse_digest(digest)?);
        }
        if let Some(tz) = &setup.timezone {
            settings.timezone = Some(validate::timezone("time zone", tz)?);
        }
        if let Some(channel) = setup.channel {
            settings.channel = Some(channel);
        }
        if let Some(channel) = setup.coordinator_channel {
            settings.coordinator_channel = Some(channel);
        }
        if settings.coordinator_channel.is_some() && settings.coordinator_channel == settings.channel {
            return Err(ValidationError::new(
                "coordinator channel",
                "it must not be the program channel, which every participant can see; pick a channel only organisers read",
            )
            .into());
        }
        if let Some(n) = setup.invitation_limit {
            settings.limits.open_invitations = Some(validate::in_range("invitation limit", n, 1, 50)? as u32);
        }
        if let Some(n) = setup.decline_cooldown_days {
            settings.limits.decline_cooldown_days =
                Some(validate::in_range("decline cooldown days", n, 0, 365)? as u32);
        }
        if let Some(n) = setup.agreement_versions_per_day {
            settings.limits.agreement_versions_per_day =
                Some(validate::in_range("agreement versions per day", n, 1, 50)? as u32);
        }
        if let Some(role) = setup.coordinator_role {
            if !is_admin {
                return Err(ValidationError::new(
                    "coordinator role",
                    "only server admins can change the coordinator role",
                )
                .into());
            }
            settings.coordinator_role = Some(role);
        }
        self.store.save_program_settings(&settings).await?;
        // A changed setting plans its own next digest; one planned before is dropped when due.
        if let Err(e) = self.plan_digest(guild, self.now()).await {
            tracing::warn!(guild = guild.0, error = %e, "could not plan the digest; the next start does");
        }
        Ok(settings)
    }

    /// Someone left the server: a peer group that keeps two members goes on without them; their
    /// other active relationships pause (the others resume or end them), ones not yet started
    /// end, and invitations to them are declined. Returns what changed, to tell the others.
    pub async fn member_left(&self, guild: GuildId, user: UserId) -> Result<Vec<Relationship>> {
        let now = self.now();
        let mut changed = Vec::new();
        for mut rel in self.store.relationships_of(guild, user).await? {
            let outcome = match rel.state {
                _ if rel.goes_on_without(user) => rel.leave(user, now),
                State::Active => rel.pause(None, now),
                State::Accepted | State::Agreeing if rel.is_joined(user) => rel.end(None, EndReason::LeftServer, now),
                State::Proposed | State::Accepted | State::Agreeing
                    if rel.member(user).is_some_and(|m| m.status == MemberStatus::Invited) =>
                {
                    rel.decline(user, now)
                }
                _ => continue,
            };
            match outcome {
                Ok(()) => {}
                Err(RelationshipError::WrongState { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            self.save_and_replan(&mut rel).await?;
            if rel.state == State::Ended {
                self.close_request_of(&rel).await?;
            }
            changed.push(rel);
        }
        Ok(changed)
    }

    pub async fn thread_of(&self, guild: GuildId, rel: RelationshipId) -> Result<Option<u64>> {
        Ok(self.store.thread_of(guild, rel).await?)
    }

    pub async fn set_thread(&self, guild: GuildId, rel: RelationshipId, channel: u64) -> Result<()> {
        Ok(self.store.set_thread(guild, rel, channel).await?)
    }

    /// Adding `user` to the relationship's thread failed: a job tries again. Outside the
    /// relationship's schedule (a pause does not cancel it); one per member and relationship.
    pub async fn plan_thread_member(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        thread: u64,
        user: UserId,
    ) -> Result<()> {
        let now = self.now();
        let job = NewJob {
            guild,
            relationship: None,
            kind: kind::THREAD_MEMBER.to_string(),
            dedupe_key: format!("r{}:thread_member:u{}", rel.0, user.0),
            payload: json!({"relationship": rel.0, "thread": thread.to_string(), "user": user.0.to_string()}),
            run_at: now,
        };
        self.store.enqueue(&job, now).await?;
        Ok(())
    }

    /// A thread-member job, if the member should still be in the thread: the relationship is
    /// underway, the member joined and the thread is still the relationship's.
    pub async fn due_thread_member(&self, job: &Job) -> Result<Option<ThreadMemberDue>> {
        let number = |k: &str| -> Option<u64> {
            let v = job.payload.get(k)?;
            v.as_u64().or_else(|| v.as_str()?.parse().ok())
        };
        let (Some(rel), Some(thread), Some(user)) = (number("relationship"), number("thread"), number("user")) else {
            return Ok(None);
        };
        let Some(rel) = self.store.relationship(job.guild, RelationshipId(rel as i64)).await? else {
            return Ok(None);
        };
        let user = UserId(user);
        if !rel.state.is_underway() || !rel.is_joined(user) || self.thread_of(rel.guild, rel.id).await? != Some(thread)
        {
            return Ok(None);
        }
        let organisers = self.organisers(rel.guild).await?;
        Ok(Some(ThreadMemberDue {
            rel,
            thread,
            user,
            organisers,
        }))
    }

    /// A DM to this person got through: their DMs are open again.
    pub async fn mark_reachable_by_dm(&self, guild: GuildId, user: UserId) -> Result<()> {
        if let Some(mut profile) = self.store.profile(guild, user).await? {
            if !profile.dm_reachable {
                profile.dm_reachable = true;
                profile.updated_at = self.now();
                self.store.save_profile(&profile).await?;
            }
        }
        Ok(())
    }

    /// Discord refused a DM to this person: later messages go to their relationships' threads.
    pub async fn mark_unreachable_by_dm(&self, guild: GuildId, user: UserId) -> Result<()> {
        if let Some(mut profile) = self.store.profile(guild, user).await? {
            if profile.dm_reachable {
                profile.dm_reachable = false;
                profile.updated_at = self.now();
                self.store.save_profile(&profile).await?;
            }
        }
        Ok(())
    }
}
