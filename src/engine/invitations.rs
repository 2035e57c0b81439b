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
                rel.id
            )));
        }
        Ok(())
    }
}
