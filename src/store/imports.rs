//! What `/program import` needs from the database (issue 17): the dry run's plan waiting for
//! the organiser's Apply (kept here so the button works after a restart), and changing an open
//! offer's or request's terms in place (its places and history stay with it).
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::listing::{Offer, Request};

/// A dry run's plan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingImport {
    pub id: i64,
    pub guild: GuildId,
    pub organiser: UserId,
    pub created_at: DateTime<Utc>,
    /// The checked rows as JSON (see `engine::import`).
    pub plan: String,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Keeps a plan; `users` are every person it names (for `/mentor forget`). Returns its id.
    async fn save_pending_import(&self, import: &PendingImport, users: &[UserId]) -> StoreResult<i64>;
    /// The plan, if it is of this server and still waiting.
    async fn pending_import(&self, guild: GuildId, id: i64) -> StoreResult<Option<PendingImport>>;
    /// Removes a plan as Apply claims it; false when it was gone already (another press took it).
    async fn delete_pending_import(&self, guild: GuildId, id: i64) -> StoreResult<bool>;
    /// Removes the server's plans made before `before` (they are stale by then).
    async fn purge_pending_imports(&self, guild: GuildId, before: DateTime<Utc>) -> StoreResult<u64>;
    /// `/mentor forget`: every plan of the server that names the person, or that they made.
    async fn forget_pending_imports(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
    /// Replaces an offer's purpose, topics, skills and capacity.
    async fn update_offer_terms(&self, offer: &Offer) -> StoreResult<()>;
    /// Replaces a request's purpose and goals.
    async fn update_request_terms(&self, request: &Request) -> StoreResult<()>;
}
