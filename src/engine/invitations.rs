//! Limits on what members send each other, per server (`/program setup`): how many invitations
//! a member may have waiting at once, no new invitation to someone who declined one from the same
//! person for a while, none at all to someone who paused, and how many agreement versions (each
//! one DMs everyone) a mentorship may get in a day. Invitations organisers send (published
//! matches) count against no member's limit, but paused people get none of those either.
use std::collections::HashMap;

use chrono::Duration;

use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::program::ProgramSettings;
use crate::domain::relationship::{MemberStatus, Origin, Relationship, State};

impl Engine {
    /// Checks a new proposal against the server's limits; `existing` holds every member's
    /// relationships.
    pub(super) async fn check_invitation(
        &self,
        rel: &Relationship,
        settings: &ProgramSettings,
        existing: &HashMap<UserId, Vec<Relationship>>,
    ) -> Result<()> {
        let now = self.now();
        let invitees: Vec<UserId> = rel
            .members
            .iter()
            .filter(|m| m.status == MemberStatus::Invited)
            .map(|m| m.user)
            .collect();
        let from_member = rel.origin != Origin::ProgramMatch;
        if from_member {
            for &u in &invitees {
                self.require_invitable(rel.guild, u).await?;
            }
        }
        for &u in &invitees {
            if let Some(p) = self.store.profile(rel.guild, u).await? {
                if p.is_paused(now) {
                    let until = p.paused_until.map(|d| d.to_string()).unwrap_or_default();
                    return Err(Error::Limit(format!(
                        "<@{}> is away until {until} and takes no new invitations before then",
                        u.0
                    )));
                }
            }
        }
        if !from_member {
            return Ok(());
        }
        let limits = settings.limits;
        let sender = rel.proposer;
        let waiting = existing
            .get(&sender)
            .map(|rels| {
                rels.iter()
                    .filter(|r| r.proposer == sender && r.state == State::Proposed && r.origin != Origin::ProgramMatch)
                    .count()
            })
            .unwrap_or(0);
        let limit = limits.open_invitations();
        if waiting >= limit as usize {
            return Err(Error::Limit(format!(
                "you have {waiting} invitation(s) waiting for an answer, the most this server allows at once ({limit}); \
                 wait for the answers (or for them to lapse) before inviting more people"
            )));
        }
        let cooldown = Duration::days(i64::from(limits.decline_cooldown_days()));
        for &u in &invitees {
            let declined = existing.get(&u).into_iter().flatten().filter_map(|r| {
                let m = r.member(u)?;
                let at = m.responded_at?;
                (m.status == MemberStatus::Declined && r.member(sender).is_some() && at + cooldown > now).then_some(at)
            });
            if let Some(at) = declined.max() {
                return Err(Error::Limit(format!(
                    "<@{}> declined an invitation with you on {}; you can invite them again from {}",
                    u.0,
                    at.date_naive(),
                    (at + cooldown).date_naive()
                )));
            }
        }
        Ok(())
    }

    /// Each agreement version DMs every member: a mentorship gets a limited number a day.
    pub(super) async fn check_agreement_versions(&self, rel: &Relationship) -> Result<()> {
        let limit = self
            .program_settings(rel.guild)
            .await?
            .limits
            .agreement_versions_per_day();
        let since = self.now() - Duration::days(1);
        let recent = rel.agreements.iter().filter(|a| a.created_at > since).count();
        if recent >= limit as usize {
            return Err(Error::Limit(format!(
                "mentorship #{} already got {recent} agreement version(s) in the last 24 hours, the most this server \
                 allows ({limit}); confirm the latest one, or propose a change tomorrow",
                rel.number
            )));
        }
        Ok(())
    }
}

/// What the invitee of a member's invitation reads about its sender (issue 16, item 13): their
/// goals or topics, their time zone, and how many hours a week both are free by their profiles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AboutSender {
    /// The sender's open request's goals (they ask to be mentored) or offer's topics.
    pub goals: Vec<String>,
    pub timezone: Option<chrono_tz::Tz>,
    /// Minutes a week both are free; `None` unless both have a profile.
    pub shared_minutes: Option<i64>,
}

impl Engine {
    pub async fn about_sender(&self, rel: &Relationship, invitee: UserId) -> Result<AboutSender> {
        let mut about = AboutSender::default();
        if rel.origin == Origin::ProgramMatch {
            return Ok(about);
        }
        let sender = rel.proposer;
        if rel.mentee() == Some(sender) {
            if let Some(id) = rel.request {
                if let Some(q) = self.store.request(rel.guild, id).await? {
                    about.goals = q.goals;
                }
            }
        } else if rel.mentor() == Some(sender) {
            if let Some(id) = rel.offer {
                if let Some(o) = self.store.offer(rel.guild, id).await? {
                    about.goals = o.topics;
                }
            }
        }
        let Some(theirs) = self.store.profile(rel.guild, sender).await? else {
            return Ok(about);
        };
        about.timezone = Some(theirs.timezone);
        if let Some(mine) = self.store.profile(rel.guild, invitee).await? {
            let now = self.now();
            let week = |p: &crate::domain::profile::Profile| {
                use chrono::Offset;
                use chrono::TimeZone;
                let offset = i64::from(
                    p.timezone
                        .offset_from_utc_datetime(&now.naive_utc())
                        .fix()
                        .local_minus_utc(),
                );
                let windows: Vec<(i64, i64)> = p
                    .availability
                    .iter()
                    .filter_map(|w| crate::matching::program::parse_window(&w.to_string()).ok())
                    .collect();
                crate::matching::program::utc_union(&windows, offset)
            };
            about.shared_minutes = Some(crate::matching::score::shared_seconds(&week(&theirs), &week(&mine)) / 60);
        }
        Ok(about)
    }
}
