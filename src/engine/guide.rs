//! The process guide and evaluation (issue 13): the organisers' resources, the one-time welcome,
//! the midpoint fit check, the retrospective's rating, the numbers organisers see of them, and
//! "Find me another" after an ending.
use super::{Engine, Error, Result};
use crate::domain::guide::{Evaluation, EvaluationStats, Fit, Phase, Resource, MAX_RESOURCES};
use crate::domain::ids::*;
use crate::domain::listing::{ListingStatus, Offer, Request, MAX_OPEN_LISTINGS};
use crate::domain::relationship::{EndReason, Relationship, Role, State};
use crate::domain::validate::{self, ValidationError, MAX_LONG_TEXT};
use crate::store::guide::{EvaluationAnswer, TooManyResources};

/// What "Find me another" re-opens: the member's request (as a mentee) or offer (as a mentor).
#[derive(Debug, Clone, PartialEq)]
pub enum Reopened {
    Request(Request),
    Offer(Offer),
}

impl Reopened {
    pub fn purpose(&self) -> &str {
        match self {
            Reopened::Request(r) => &r.purpose,
            Reopened::Offer(o) => &o.purpose,
        }
    }
}

impl Engine {
    async fn require_resource_organiser(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<()> {
        self.require_organiser(
            guild,
            is_admin,
            roles,
            "only server admins and the program's coordinators can change the program's resources",
        )
        .await
    }

    /// Adds a resource for a phase: a title and a web link or a short text (at most
    /// [`MAX_RESOURCES`] in use per server).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_resource(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
        phase: Phase,
        title: &str,
        link: Option<&str>,
        text: Option<&str>,
    ) -> Result<Resource> {
        self.require_resource_organiser(guild, is_admin, roles).await?;
        let mut r = Resource::new(guild, phase, title, link, text, self.now())?;
        match self.store.insert_resource(&r, MAX_RESOURCES).await? {
            Ok(id) => r.id = id,
            Err(TooManyResources(n)) => {
                return Err(ValidationError::new(
                    "resources",
                    format!(
                        "this server already has {n} resources, the most it can have is {MAX_RESOURCES}; remove one \
                         with /program resources remove first"
                    ),
                )
                .into())
            }
        }
        Ok(r)
    }

    /// Takes a resource out of the guide and future messages; what earlier messages said stays.
    pub async fn remove_resource(&self, guild: GuildId, is_admin: bool, roles: &[u64], id: i64) -> Result<()> {
        self.require_resource_organiser(guild, is_admin, roles).await?;
        if self.store.remove_resource(guild, id, self.now()).await? {
            Ok(())
        } else {
            Err(Error::NotFound("resource"))
        }
    }

    /// Every resource in use, oldest first, for the organisers' list.
    pub async fn list_resources(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<Vec<Resource>> {
        self.require_resource_organiser(guild, is_admin, roles).await?;
        Ok(self.store.resources(guild).await?)
    }

    /// The resources of one phase (members read them in the guide and messages).
    pub async fn resources_for(&self, guild: GuildId, phase: Phase) -> Result<Vec<Resource>> {
        Ok(self
            .store
            .resources(guild)
            .await?
            .into_iter()
            .filter(|r| r.phase == phase)
            .collect())
    }

    /// True the first time a member uses the bot in a server (then never again).
    pub async fn first_use(&self, guild: GuildId, user: UserId) -> Result<bool> {
        Ok(self.store.mark_welcomed(guild, user, self.now()).await?)
    }

    /// The welcome could not be shown: the next use shows it.
    pub async fn welcome_not_shown(&self, guild: GuildId, user: UserId) -> Result<()> {
        Ok(self.store.unmark_welcomed(guild, user).await?)
    }

    /// True when the check-in is the relationship's first on the calendar.
    pub async fn is_first_checkin(&self, guild: GuildId, rel: RelationshipId, checkin: CheckinId) -> Result<bool> {
        let all = self.store.checkins(guild, rel).await?;
        let Some(this) = all.iter().find(|c| c.id == checkin) else {
            return Ok(false);
        };
        Ok(!all
            .iter()
            .any(|c| c.id != checkin && (c.scheduled_at, c.id.0) < (this.scheduled_at, this.id.0)))
    }

    /// The midpoint's "Is this mentorship working for you?": the member's answer, kept for them
    /// alone (organisers never see it, the others neither).
    pub async fn answer_fit(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        user: UserId,
        fit: Fit,
    ) -> Result<Relationship> {
        let r = self.joined_relationship(guild, rel, user).await?;
        if !matches!(r.state, State::Active | State::Paused) {
            return Err(ValidationError::new("mentorship", "it is not under way any more").into());
        }
        self.store
            .save_evaluation(guild, rel, user, EvaluationAnswer::Fit(fit), self.now())
            .await?;
        Ok(r)
    }

    /// The retrospective's rating: how valuable the mentorship was (1 to 5), or whether the member
    /// would join again. Only for members of a mentorship that ended; changing one's mind is fine.
    pub async fn rate(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        user: UserId,
        answer: EvaluationAnswer,
    ) -> Result<()> {
        let r = self.joined_relationship(guild, rel, user).await?;
        if r.state != State::Ended {
            return Err(ValidationError::new("mentorship", "it has not ended yet").into());
        }
        if let EvaluationAnswer::Value(v) = answer {
            validate::in_range("rating", v, 1, 5)?;
        }
        if matches!(answer, EvaluationAnswer::Fit(_)) {
            return Err(ValidationError::new("answer", "that is the midpoint's question").into());
        }
        self.store.save_evaluation(guild, rel, user, answer, self.now()).await?;
        Ok(())
    }

    /// A member's own answers about a mentorship.
    pub async fn my_evaluation(&self, guild: GuildId, rel: RelationshipId, user: UserId) -> Result<Option<Evaluation>> {
        Ok(self.store.evaluation(guild, rel, user).await?)
    }

    /// The ratings' distribution and the share of mentorships ended early, for organisers, only
    /// when at least [`crate::domain::guide::MIN_ANSWERS`] ratings exist; never per person or pair.
    pub async fn evaluation_stats(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
    ) -> Result<Option<EvaluationStats>> {
        self.organiser_only(guild, is_admin, roles).await?;
        let evaluations = self.store.evaluations(guild, None).await?;
        let rels = self.store.relationships_in(guild).await?;
        let ended: Vec<&Relationship> = rels.iter().filter(|r| r.state == State::Ended).collect();
        let early = ended
            .iter()
            .filter(|r| r.end_reason != Some(EndReason::PlannedEnd))
            .count();
        Ok(EvaluationStats::of(&evaluations, ended.len(), early))
    }

    /// "Find me another" after an ending: the request (as the mentee) or offer (as the mentor)
    /// this mentorship came from, or the member's latest one, to re-open. Checked first, so the
    /// form opens only when there is something to re-open.
    pub async fn another_for(&self, guild: GuildId, rel: RelationshipId, user: UserId) -> Result<Reopened> {
        let r = self.joined_relationship(guild, rel, user).await?;
        if r.state != State::Ended {
            return Err(ValidationError::new(
                "mentorship",
                "it has not ended yet; end it first (/mentorship end), then look for another",
            )
            .into());
        }
        let role = r.require_joined(user)?.role;
        match role {
            Role::Mentee => {
                let mine = self.store.requests_of(guild, user).await?;
                let linked = r.request.and_then(|id| mine.iter().find(|q| q.id == id));
                let latest = mine.iter().max_by_key(|q| (q.created_at, q.id.0));
                linked
                    .or(latest)
                    .cloned()
                    .map(Reopened::Request)
                    .ok_or_else(|| nothing_to_reopen("request", "/mentor seek"))
            }
            Role::Mentor => {
                let mine = self.store.offers_of(guild, user).await?;
                let linked = r.offer.and_then(|id| mine.iter().find(|o| o.id == id));
                let latest = mine.iter().max_by_key(|o| (o.created_at, o.id.0));
                linked
                    .or(latest)
                    .cloned()
                    .map(Reopened::Offer)
                    .ok_or_else(|| nothing_to_reopen("offer", "/mentor offer"))
            }
            Role::Peer => Err(ValidationError::new(
                "mentorship",
                "a peer group has no request to re-open; start a new one with /mentor peer-group",
            )
            .into()),
        }
    }

    /// Re-opens what [`Engine::another_for`] names with the (possibly edited) purpose, whether it
    /// was closed or is still open. Matching and suggestions never pair the member with anyone
    /// they were paired with before.
    pub async fn find_another(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        user: UserId,
        purpose: &str,
    ) -> Result<Reopened> {
        let purpose = validate::required_text("purpose", purpose, MAX_LONG_TEXT)?;
        Ok(match self.another_for(guild, rel, user).await? {
            Reopened::Request(mut q) => {
                if q.status != ListingStatus::Open {
                    self.check_room_for_request(guild, user).await?;
                }
                q.status = ListingStatus::Open;
                q.withdrawn_at = None;
                q.purpose = purpose;
                self.store.update_request(&q).await?;
                self.store.set_listing_purpose(guild, false, q.id.0, &q.purpose).await?;
                Reopened::Request(q)
            }
            Reopened::Offer(mut o) => {
                if o.status != ListingStatus::Open {
                    self.check_room_for_offer(guild, user).await?;
                }
                o.status = ListingStatus::Open;
                o.withdrawn_at = None;
                o.purpose = purpose;
                self.store.update_offer(&o).await?;
                self.store.set_listing_purpose(guild, true, o.id.0, &o.purpose).await?;
                Reopened::Offer(o)
            }
        })
    }
}

fn nothing_to_reopen(what: &str, command: &str) -> Error {
    ValidationError::new(
        what,
        format!("you have no {what} in this server to re-open; open one with {command} (at most {MAX_OPEN_LISTINGS})"),
    )
    .into()
}
