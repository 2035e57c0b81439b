//! Members' data rights: everything the bot holds about a person, and forgetting them.
use serde_json::{json, Value};

use super::{Engine, Result};
use crate::domain::ids::*;
use crate::domain::relationship::{MemberStatus, Relationship, State};

impl Engine {
    /// Everything this server's data holds about the person, as JSON: their profile (with
    /// whether they may be suggested), offers, requests, the relationships they joined (with
    /// agreements, plan and check-ins), their own journal entries and retrospectives. An
    /// invitation they did not join (declined, lapsed or still open) appears as such, with no
    /// one else's words. Other members' private entries are not theirs and are not included.
    pub async fn my_data(&self, guild: GuildId, user: UserId) -> Result<Value> {
        let profile = self.store.profile(guild, user).await?;
        let suggestable = self.store.is_suggestable(guild, user).await?;
        let offers = self.store.offers_of(guild, user).await?;
        let requests = self.store.requests_of(guild, user).await?;
        let mut relationships = Vec::new();
        let mut invitations = Vec::new();
        for rel in self.store.relationships_of(guild, user).await? {
            let Some(me) = rel.member(user) else { continue };
            if me.status != MemberStatus::Joined {
                invitations.push(json!({
                    "relationship": rel.id,
                    "number": rel.number,
                    "kind": rel.kind,
                    "role": me.role,
                    "my_answer": me.status,
                    "answered_at": me.responded_at,
                    "invited_at": rel.created_at,
                    "state": rel.state,
                }));
                continue;
            }
            let plan = self.store.goals(guild, rel.id).await?;
            let checkins = self.store.checkins(guild, rel.id).await?;
            let retrospective: Vec<_> = self
                .store
                .retrospectives(guild, rel.id)
                .await?
                .into_iter()
                .filter(|r| r.author == user)
                .collect();
            relationships.push(json!({
                "relationship": rel,
                "plan": plan,
                "checkins": checkins,
                "my_retrospective": retrospective.first(),
            }));
        }
        let journal = self.store.journal_of(guild, user, None).await?;
        let matching_criteria = self.my_criteria_data(guild, user).await?;
        // The fit checks and ratings they gave: theirs alone.
        let evaluations = self.store.evaluations(guild, Some(user)).await?;
        let notifications = self.store.notification_prefs(guild, user).await?;
        Ok(json!({
            "guild": guild.0.to_string(),
            "user": user.0.to_string(),
            "exported_at": self.now(),
            "profile": profile,
            "may_be_suggested": suggestable,
            "offers": offers,
            "requests": requests,
            "relationships": relationships,
            "invitations_not_joined": invitations,
            "journal": journal,
            "matching_criteria": matching_criteria,
            "my_evaluations": evaluations,
            "notification_preferences": notifications,
        }))
    }

    /// Forgets a person in this server. Their live relationships end first (returned, so the
    /// others can be told), invitations to them are declined and proposals they sent lapse;
    /// then everything naming them goes (see `Store::forget_user`).
    pub async fn forget(&self, guild: GuildId, user: UserId) -> Result<Vec<Relationship>> {
        let now = self.now();
        let mut ended = Vec::new();
        for mut rel in self.store.relationships_of(guild, user).await? {
            let Some(member) = rel.member(user).cloned() else {
                continue;
            };
            let outcome = match rel.state {
                s if State::HOLDS_SEAT.contains(&s) && member.status == MemberStatus::Joined => {
                    rel.end(None, crate::domain::relationship::EndReason::Other, now)
                }
                State::Proposed | State::Accepted | State::Agreeing if member.status == MemberStatus::Invited => {
                    rel.decline(user, now)
                }
                State::Proposed => {
                    rel.state = State::Expired;
                    rel.updated_at = now;
                    Ok(())
                }
                _ => continue,
            };
            if outcome.is_err() {
                continue;
            }
            self.save_and_replan(&mut rel).await?;
            ended.push(rel);
        }
        // Profession, unit, level, answers and wishes first: a crash in between leaves the rest
        // for the person's next /mentor forget, which runs it all again.
        self.store.forget_criteria(guild, user).await?;
        self.store.forget_guide(guild, user).await?;
        self.store.forget_in_organiser_log(guild, user).await?;
        self.store.forget_pending_imports(guild, user).await?;
        self.store.forget_user(guild, user).await?;
        Ok(ended)
    }
}
