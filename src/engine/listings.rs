use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::listing::{ListingStatus, Offer, OfferInput, Request, RequestInput, MAX_OPEN_LISTINGS};
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
