//! What the process guide and evaluation need from the database (issue 13): the organisers'
//! resources, who was welcomed, and members' private answers about their mentorships. Every
//! read and write is scoped to a guild.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::guide::{Evaluation, Fit, Resource};
use crate::domain::ids::{GuildId, RelationshipId, UserId};

/// A resource could not be added: the server already has this many in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyResources(pub usize);

/// One of a member's answers about a mentorship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluationAnswer {
    Fit(Fit),
    Value(u8),
    Again(bool),
}

#[async_trait]
pub trait GuideStore: Send + Sync {
    /// Adds a resource unless the server already has `max` in use (checked under a lock, so two
    /// organisers cannot pass the limit together). Returns its id.
    async fn insert_resource(&self, resource: &Resource, max: usize) -> StoreResult<Result<i64, TooManyResources>>;
    /// The server's resources in use, oldest first.
    async fn resources(&self, guild: GuildId) -> StoreResult<Vec<Resource>>;
    /// Marks a resource removed; false when it is not (or no longer) in use.
    async fn remove_resource(&self, guild: GuildId, id: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Records that the member was welcomed; false when they had been already.
    async fn mark_welcomed(&self, guild: GuildId, user: UserId, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Takes a welcome back (it could not be shown), so the next use shows it.
    async fn unmark_welcomed(&self, guild: GuildId, user: UserId) -> StoreResult<()>;

    /// Saves one answer of a member about a mentorship, keeping their others.
    async fn save_evaluation(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        user: UserId,
        answer: EvaluationAnswer,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// A member's own answers about a mentorship.
    async fn evaluation(&self, guild: GuildId, rel: RelationshipId, user: UserId) -> StoreResult<Option<Evaluation>>;
    /// Every answer in the server (for counts only), and the member's own ones (`/mentor my-data`).
    async fn evaluations(&self, guild: GuildId, user: Option<UserId>) -> StoreResult<Vec<Evaluation>>;

    /// Changes the purpose of a request (`offer` false) or an offer, as "Find me another" re-opens it.
    async fn set_listing_purpose(&self, guild: GuildId, offer: bool, id: i64, purpose: &str) -> StoreResult<()>;

    /// Deletes the member's answers and welcome in a server (`/mentor forget`).
    async fn forget_guide(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
}
