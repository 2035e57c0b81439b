use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::listing::{ListingStatus, Offer, OfferInput, Request, RequestInput, MAX_OPEN_LISTINGS};
use crate::domain::relationship::{Relationship, State};
use crate::domain::validate::ValidationError;
use crate::store::OfferLoad;

impl Engine {
    pub async fn create_offer(&self, guild: GuildId, user: UserId, input: &OfferInput) -> Result<Offer> {
        let mut offer = Offer::new(guild, user, input, self.now())?;
        self.check_room_for_offer(guild, user).await?;
        offer.id = self.store.insert_offer(&offer).await?;
        Ok(offer)
    }

    pub async fn create_request(&self, guild: GuildId, user: UserId, input: &RequestInput) -> Result<Request> {
        let mut request = Request::new(guild, user, input, self.now())?;
        self.check_room_for_request(guild, user).await?;
        request.id = self.store.insert_request(&request).await?;
        Ok(request)
    }

    /// Refuses a new offer when the member has [`MAX_OPEN_LISTINGS`] open ones already.
    pub async fn check_room_for_offer(&self, guild: GuildId, user: UserId) -> Result<()> {
        let open = self
            .store
            .offers_of(guild, user)
            .await?
            .iter()
            .filter(|o| o.status == ListingStatus::Open)
            .count();
        room("offers", open)
    }

    /// Refuses a new request when the member has [`MAX_OPEN_LISTINGS`] open ones already.
    pub async fn check_room_for_request(&self, guild: GuildId, user: UserId) -> Result<()> {
        let open = self
            .store
            .requests_of(guild, user)
            .await?
            .iter()
            .filter(|r| r.status == ListingStatus::Open)
            .count();
        room("requests", open)
    }

    /// Withdraws an offer; its history and past relationships stay.
    pub async fn withdraw_offer(&self, guild: GuildId, user: UserId, id: OfferId) -> Result<Offer> {
        let mut offer = self.store.offer(guild, id).await?.ok_or(Error::NotFound("offer"))?;
        if offer.user != user {
            // Someone else's offer is not revealed.
            return Err(Error::NotFound("offer"));
        }
        offer.withdraw(user, self.now())?;
        self.store.update_offer(&offer).await?;
        Ok(offer)
    }

    pub async fn withdraw_request(&self, guild: GuildId, user: UserId, id: RequestId) -> Result<Request> {
        let mut request = self.store.request(guild, id).await?.ok_or(Error::NotFound("request"))?;
        if request.user != user {
            return Err(Error::NotFound("request"));
        }
        request.withdraw(user, self.now())?;
        self.store.update_request(&request).await?;
        Ok(request)
    }

    /// A request is closed when its mentorship ends (issue 16, item 7), so it is not matched
    /// again behind the mentee's back; an offer stays open with its place freed (the mentor chose
    /// a capacity). Closed means withdrawn at the moment of the ending, which is how
    /// [`Engine::closed_by_ending`] tells it from one its owner withdrew.
    pub(super) async fn close_request_of(&self, rel: &Relationship) -> Result<()> {
        let (Some(id), Some(ended_at)) = (rel.request, rel.ended_at) else {
            return Ok(());
        };
        let Some(mut q) = self.store.request(rel.guild, id).await? else {
            return Ok(());
        };
        if q.status == ListingStatus::Open {
            q.status = ListingStatus::Withdrawn;
            q.withdrawn_at = Some(ended_at);
            self.store.update_request(&q).await?;
        }
        Ok(())
    }

    /// The member's newest request that an ending closed, while they have none open: seeking
    /// again re-opens it instead of making a second one.
    pub async fn closed_by_ending(&self, guild: GuildId, user: UserId) -> Result<Option<Request>> {
        let requests = self.store.requests_of(guild, user).await?;
        if requests.iter().any(|q| q.status == ListingStatus::Open) {
            return Ok(None);
        }
        let rels = self.store.relationships_of(guild, user).await?;
        Ok(requests
            .into_iter()
            .filter(|q| {
                q.status == ListingStatus::Withdrawn
                    && rels
                        .iter()
                        .any(|r| r.request == Some(q.id) && r.state == State::Ended && r.ended_at == q.withdrawn_at)
            })
            .max_by_key(|q| (q.created_at, q.id.0)))
    }

    /// Re-opens a request an ending closed, with what the member typed now (issue 16, item 7).
    pub async fn reopen_request(
        &self,
        guild: GuildId,
        user: UserId,
        id: RequestId,
        input: &RequestInput,
    ) -> Result<Request> {
        let Some(old) = self.closed_by_ending(guild, user).await?.filter(|q| q.id == id) else {
            // Opened or withdrawn meanwhile: a new request, as /mentor seek makes one.
            return self.create_request(guild, user, input).await;
        };
        let fresh = Request::new(guild, user, input, self.now())?;
        let q = Request {
            purpose: fresh.purpose,
            goals: fresh.goals,
            kinds: fresh.kinds,
            styles: fresh.styles,
            status: ListingStatus::Open,
            withdrawn_at: None,
            ..old
        };
        self.store.reopen_request(&q).await?;
        Ok(q)
    }

    pub async fn offers_of(&self, guild: GuildId, user: UserId) -> Result<Vec<Offer>> {
        Ok(self.store.offers_of(guild, user).await?)
    }

    pub async fn requests_of(&self, guild: GuildId, user: UserId) -> Result<Vec<Request>> {
        Ok(self.store.requests_of(guild, user).await?)
    }

    /// Offers open for matching, with the places each has taken.
    pub async fn open_offers(&self, guild: GuildId) -> Result<Vec<OfferLoad>> {
        Ok(self.store.open_offers(guild).await?)
    }

    /// Requests open for matching: not withdrawn and not in a relationship underway.
    pub async fn open_requests(&self, guild: GuildId) -> Result<Vec<Request>> {
        Ok(self.store.open_requests(guild).await?)
    }
}

fn room(what: &str, open: usize) -> Result<()> {
    if open >= MAX_OPEN_LISTINGS {
        return Err(ValidationError::new(
            what,
            format!("you have {open} open {what}, the most the bot keeps; withdraw one with /mentor withdraw first"),
        )
        .into());
    }
    Ok(())
}
