use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::listing::{Offer, OfferInput, Request, RequestInput};
use crate::store::OfferLoad;

impl Engine {
    pub async fn create_offer(&self, guild: GuildId, user: UserId, input: &OfferInput) -> Result<Offer> {
        let mut offer = Offer::new(guild, user, input, self.now())?;
        offer.id = self.store.insert_offer(&offer).await?;
        Ok(offer)
    }

    pub async fn create_request(&self, guild: GuildId, user: UserId, input: &RequestInput) -> Result<Request> {
        let mut request = Request::new(guild, user, input, self.now())?;
        request.id = self.store.insert_request(&request).await?;
        Ok(request)
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
