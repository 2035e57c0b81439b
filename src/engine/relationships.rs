use chrono::{DateTime, Utc};

use super::{Engine, Error, Result};
use crate::domain::agreement::{AgreementInput, AgreementTerms};
use crate::domain::ids::*;
use crate::domain::listing::Kind;
use crate::domain::relationship::{
    EndReason, NextContext, Origin, Proposal, Relationship, RelationshipError, Role, Seats, State,
};
use crate::store::{SeatGuard, StoreError};

/// Who asks whom in a direct, person-to-person proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    /// The caller asks the other person to mentor them.
    Request,
    /// The caller offers to mentor the other person.
    Offer,
}

impl Engine {
    /// A direct request or offer to one person, with its purpose. The mentor's open offer of
    /// that kind with a free place is linked (its capacity then counts), and so is the mentee's
    /// open request of that kind.
    pub async fn propose_direct(
        &self,
        guild: GuildId,
        from: UserId,
        to: UserId,
        kind: Kind,
        direction: Direction,
        purpose: &str,
    ) -> Result<Relationship> {
        if kind == Kind::Peer {
            return Err(RelationshipError::PairShape(kind).into());
        }
        let (mentor, mentee, origin) = match direction {
            Direction::Request => (to, from, Origin::DirectRequest),
            Direction::Offer => (from, to, Origin::DirectOffer),
        };
        let offer = self.free_offer_of(guild, mentor, kind).await?;
        let request = self
            .store
            .open_requests_of(guild, mentee)
            .await?
            .into_iter()
            .find(|r| r.kinds.contains(&kind))
            .map(|r| r.id);
        let proposal = Proposal {
            guild,
            proposer: from,
            kind,
            origin,
            purpose: purpose.to_string(),
            members: vec![(mentor, Role::Mentor), (mentee, Role::Mentee)],
            offer,
            request,
        };
        self.insert_proposal(proposal).await
    }

    /// The organiser's match of a mentor and a mentee: both are invited and both must accept.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_match(
        &self,
        guild: GuildId,
        organiser: UserId,
        mentor: UserId,
        mentee: UserId,
        kind: Kind,
        purpose: &str,
        offer: Option<OfferId>,
        request: Option<RequestId>,
    ) -> Result<Relationship> {
        let proposal = Proposal {
            guild,
            proposer: organiser,
            kind,
            origin: Origin::ProgramMatch,
            purpose: purpose.to_string(),
            members: vec![(mentor, Role::Mentor), (mentee, Role::Mentee)],
            offer,
            request,
        };
        self.insert_proposal(proposal).await
    }

    /// Invites people into a peer group with a shared purpose.
    pub async fn invite_peer_group(
        &self,
        guild: GuildId,
        from: UserId,
        invitees: &[UserId],
        purpose: &str,
    ) -> Result<Relationship> {
        let mut members = vec![(from, Role::Peer)];
        members.extend(invitees.iter().map(|&u| (u, Role::Peer)));
        let proposal = Proposal {
            guild,
            proposer: from,
            kind: Kind::Peer,
            origin: Origin::PeerInvite,
            purpose: purpose.to_string(),
            members,
            offer: None,
            request: None,
        };
        self.insert_proposal(proposal).await
    }

    /// The mentor's open offer of this kind that still has a place. Having offers but no place
    /// left refuses the proposal; having no offer at all is informal mentoring, unbounded.
    async fn free_offer_of(&self, guild: GuildId, mentor: UserId, kind: Kind) -> Result<Option<OfferId>> {
        let offers: Vec<_> = self
            .store
            .open_offers_of(guild, mentor)
            .await?
            .into_iter()
            .filter(|l| l.offer.kinds.contains(&kind))
            .collect();
        if offers.is_empty() {
            return Ok(None);
        }
        offers
            .iter()
            .find(|l| l.seats_taken < u32::from(l.offer.capacity))
            .map(|l| Some(l.offer.id))
            .ok_or(Error::Relationship(RelationshipError::CapacityFull))
    }

    pub(super) async fn insert_proposal(&self, proposal: Proposal) -> Result<Relationship> {
        let settings = self.program_settings(proposal.guild).await?;
        let expiry = settings.proposal_expiry_days;
        let mut rel = Relationship::propose(proposal, self.now(), chrono::Duration::days(i64::from(expiry)))?;
        let mut existing = std::collections::HashMap::new();
        for member in rel.members.clone() {
            let theirs = self.store.relationships_of(rel.guild, member.user).await?;
            rel.check_not_duplicate(&theirs)?;
            rel.check_room_for(member.user, &theirs)?;
            existing.insert(member.user, theirs);
        }
        self.check_invitation(&rel, &settings, &existing).await?;
        (rel.id, rel.number) = self
            .store
            .insert_relationship(&rel)
            .await
            .map_err(|e| duplicate(e, rel.kind))?;
        // The invitation stands; its reminder is a nicety, and a failure to plan it is only logged.
        if let Err(e) = self.plan_invite_reminder(&rel).await {
            tracing::warn!(rel = rel.id.0, error = %e, "could not plan the invitation's reminder");
        }
        Ok(rel)
    }

    /// The invited person accepts. The mentor's capacity is checked again inside the save.
    pub async fn accept(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        let mut rel = self.relationship_for(guild, id, actor).await?;
        let (seats, guard) = self.seats_for(&rel).await?;
        let was = rel.state;
        rel.accept(actor, seats, self.now())?;
        let guard = guard.filter(|_| was == State::Proposed && rel.state == State::Accepted);
        self.store
            .save_relationship(&mut rel, guard)
            .await
            .map_err(|e| duplicate(e, rel.kind))?;
        if was == State::Proposed && rel.state == State::Accepted {
            if let Err(e) = self.plan_agree_reminder(&rel).await {
                tracing::warn!(rel = rel.id.0, error = %e, "could not plan the agreement's reminder");
            }
        }
        Ok(rel)
    }

    async fn seats_for(&self, rel: &Relationship) -> Result<(Seats, Option<SeatGuard>)> {
        let Some(offer_id) = rel.offer else {
            return Ok((Seats::Unlimited, None));
        };
        let Some(load) = self.store.open_offer(rel.guild, offer_id).await? else {
            // A withdrawn offer keeps the places it has but takes no one new.
            return Ok((Seats::Full, None));
        };
        let seats = if load.seats_taken < u32::from(load.offer.capacity) {
            Seats::Free
        } else {
            Seats::Full
        };
        Ok((
            seats,
            Some(SeatGuard {
                offer: offer_id,
                capacity: load.offer.capacity,
            }),
        ))
    }

    pub async fn decline(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        let mut rel = self.relationship_for(guild, id, actor).await?;
        let now = self.now();
        rel.decline(actor, now)?;
        let note: Vec<_> = self.program_answer_job(&rel).into_iter().collect();
        self.store
            .save_relationship_and_enqueue(&mut rel, None, &note, now)
            .await?;
        Ok(rel)
    }

    /// The sender withdraws an invitation still waiting for answers.
    pub async fn withdraw_invitation(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| rel.withdraw(actor, now))
            .await
    }

    /// Lapses every proposal whose time is up; returns them so their senders can be told.
    pub async fn expire_due(&self, limit: u32) -> Result<Vec<Relationship>> {
        let now = self.now();
        let mut expired = Vec::new();
        for mut rel in self.store.proposals_due(now, limit).await? {
            rel.expire(now)?;
            let note: Vec<_> = self.program_answer_job(&rel).into_iter().collect();
            match self
                .store
                .save_relationship_and_enqueue(&mut rel, None, &note, now)
                .await
            {
                Ok(()) => expired.push(rel),
                // Answered in the meantime: not expired after all.
                Err(StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(expired)
    }

    /// A member proposes the agreement or an edit of it; returns the new version number.
    pub async fn propose_agreement(
        &self,
        guild: GuildId,
        id: RelationshipId,
        actor: UserId,
        input: &AgreementInput,
    ) -> Result<(Relationship, u32)> {
        let mut rel = self.relationship_for(guild, id, actor).await?;
        rel.require_agreement_writable(actor)?;
        self.check_agreement_versions(&rel).await?;
        let now = self.now();
        let terms = AgreementTerms::from_input(actor, input, now)?;
        let version = rel.propose_agreement(actor, terms, now)?;
        self.store.save_relationship(&mut rel, None).await?;
        Ok((rel, version))
    }

    pub async fn confirm_agreement(
        &self,
        guild: GuildId,
        id: RelationshipId,
        actor: UserId,
        version: u32,
    ) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| {
            rel.confirm_agreement(actor, version, now)
        })
        .await
    }

    pub async fn pause(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| rel.pause(Some(actor), now))
            .await
    }

    pub async fn resume(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| rel.resume(actor, now))
            .await
    }

    /// What `/mentorship end` and the End button would do, checked before anything changes:
    /// `true` when the actor would leave a peer group that goes on without them (issue 16,
    /// item 6), `false` when it would end. Refuses what could not end (not joined, not started).
    pub async fn end_preview(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<(Relationship, bool)> {
        let rel = self.relationship_for(guild, id, actor).await?;
        if rel.goes_on_without(actor) {
            return Ok((rel, true));
        }
        let mut probe = rel.clone();
        probe.end(Some(actor), EndReason::Other, self.now())?;
        Ok((rel, false))
    }

    /// A member leaves a peer group that goes on without them; the others keep it.
    pub async fn leave_group(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| rel.leave(actor, now))
            .await
    }

    /// Ends a relationship; the mentee's request and the mentor's place are free to match again.
    /// One member of a peer group that goes on without them leaves it instead (see
    /// [`Engine::leave_group`]): one person does not end a group for everyone.
    pub async fn end(
        &self,
        guild: GuildId,
        id: RelationshipId,
        actor: UserId,
        reason: EndReason,
    ) -> Result<Relationship> {
        self.change(guild, id, Some(actor), |rel, now| {
            if rel.goes_on_without(actor) {
                return Err(RelationshipError::Invalid(crate::domain::validate::ValidationError::new(
                    "mentorship",
                    "the group goes on without you, so you leave it rather than end it for everyone; press Leave the \
                     group (/mentorship end shows it)",
                )));
            }
            rel.end(Some(actor), reason, now)
        })
        .await
    }

    /// The bot ends a relationship itself, e.g. on its planned end date.
    pub async fn end_by_bot(&self, guild: GuildId, id: RelationshipId, reason: EndReason) -> Result<Relationship> {
        self.change(guild, id, None, |rel, now| rel.end(None, reason, now))
            .await
    }

    /// Loads, changes and saves a relationship; with an actor, one who is not a member of it
    /// gets the answer for a relationship that does not exist.
    async fn change(
        &self,
        guild: GuildId,
        id: RelationshipId,
        actor: Option<UserId>,
        f: impl FnOnce(&mut Relationship, DateTime<Utc>) -> std::result::Result<(), RelationshipError>,
    ) -> Result<Relationship> {
        let mut rel = match actor {
            Some(actor) => self.relationship_for(guild, id, actor).await?,
            None => self.load(guild, id).await?,
        };
        let before = rel.state;
        f(&mut rel, self.now())?;
        // A change of state or of the agreement in force changes the schedule.
        if before != rel.state || rel.state == State::Active {
            self.save_and_replan(&mut rel).await?;
        } else {
            self.store.save_relationship(&mut rel, None).await?;
        }
        if before != State::Ended && rel.state == State::Ended {
            self.close_request_of(&rel).await?;
        }
        Ok(rel)
    }

    /// What `/mentorship list` needs beyond the relationship for the viewer's next step.
    pub async fn next_context(&self, rel: &Relationship, viewer: UserId) -> Result<NextContext> {
        let mut ctx = NextContext::default();
        if !rel.is_joined(viewer) {
            return Ok(ctx);
        }
        match rel.state {
            State::Ended => {
                ctx.retro_written = self
                    .store
                    .retrospectives(rel.guild, rel.id)
                    .await?
                    .iter()
                    .any(|r| r.author == viewer);
            }
            State::Active | State::Paused => {
                ctx.has_goals = !self.store.goals(rel.guild, rel.id).await?.is_empty();
                let now = self.now();
                let checkins = self.store.checkins(rel.guild, rel.id).await?;
                ctx.met_once = checkins
                    .iter()
                    .any(|c| c.status == crate::domain::checkin::CheckinStatus::Held);
                ctx.next_meeting = checkins
                    .iter()
                    .filter(|c| c.status == crate::domain::checkin::CheckinStatus::Planned && c.scheduled_at >= now)
                    .map(|c| c.scheduled_at)
                    .min();
            }
            _ => {}
        }
        Ok(ctx)
    }

    /// The caller's relationships, newest first; the agreements only of those they joined.
    pub async fn relationships(&self, guild: GuildId, user: UserId) -> Result<Vec<Relationship>> {
        Ok(self
            .store
            .relationships_of(guild, user)
            .await?
            .into_iter()
            .map(|r| r.seen_by(user))
            .collect())
    }
}

fn duplicate(e: StoreError, kind: Kind) -> Error {
    match e {
        StoreError::DuplicateLive => Error::Relationship(RelationshipError::AlreadyLive { kind }),
        other => other.into(),
    }
}
