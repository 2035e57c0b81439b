//! What privacy and safety need from the database (issue 12): who is a member of each server
//! now (from the gateway's member events), the drafts of open forms, who may be suggested and
//! who was, and forgetting a person.
use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::ids::{GuildId, UserId};

/// A member of a server as the gateway last described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildMember {
    pub user: UserId,
    pub bot: bool,
    /// Their role ids.
    pub roles: Vec<u64>,
}

/// A draft as stored: its server, its owner and the options as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDraft {
    pub guild: GuildId,
    pub user: UserId,
    pub draft: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Records (or updates) a current member of a server.
    async fn upsert_member(&self, guild: GuildId, member: &GuildMember) -> StoreResult<()>;
    /// The person left the server or was banned.
    async fn remove_member(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
    /// A complete list of a server's members: everyone not in it has left.
    async fn replace_members(&self, guild: GuildId, members: &[GuildMember]) -> StoreResult<()>;
    /// The member, if the person is in the server now.
    async fn guild_member(&self, guild: GuildId, user: UserId) -> StoreResult<Option<GuildMember>>;
    /// The server's current members who have the role.
    async fn members_with_role(&self, guild: GuildId, role: u64) -> StoreResult<Vec<UserId>>;

    /// Keeps a draft under `key` (the id of the command interaction that opened its form). Drafts
    /// created before `expired_before` go, and the owner's oldest beyond `cap` go.
    async fn put_draft(
        &self,
        key: u64,
        draft: &StoredDraft,
        cap: u32,
        expired_before: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The draft under `key` if `user` owns it and it was created at `created_after` or later;
    /// anyone else's (or an expired one) is `None`. Reading changes nothing.
    async fn draft(&self, key: u64, user: UserId, created_after: DateTime<Utc>) -> StoreResult<Option<StoredDraft>>;
    /// Removes the owner's draft after its form was used.
    async fn delete_draft(&self, key: u64, user: UserId) -> StoreResult<()>;

    /// Turns the person's "may be suggested" setting on or off; false when they have no profile.
    async fn set_suggestable(&self, guild: GuildId, user: UserId, on: bool) -> StoreResult<bool>;
    /// Everyone in the server who said they may be suggested.
    async fn suggestable(&self, guild: GuildId) -> StoreResult<HashSet<UserId>>;
    /// Whether this one person said they may be suggested (false without a profile).
    async fn is_suggestable(&self, guild: GuildId, user: UserId) -> StoreResult<bool>;
    /// Replaces what `/mentor suggest` last showed the person: each other person, and for what.
    async fn replace_suggestions(
        &self,
        guild: GuildId,
        user: UserId,
        shown: &[(UserId, String)],
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whether `/mentor suggest` showed `other` to the person at `since` or later, for `what`
    /// (the direction and kind of the button, e.g. `request:classic`).
    async fn was_suggested(
        &self,
        guild: GuildId,
        user: UserId,
        other: UserId,
        what: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Removes a person from a server's data (`/mentor forget`): their profile, offers,
    /// requests, journal, retrospectives, drafts, suggestions and membership record are deleted;
    /// every text they wrote elsewhere (check-in notes, the purposes they typed and the copies
    /// made of them, goals and steps, their agreement versions' expectations, issue handling and
    /// place) is removed; in the relationships they were part of they become an anonymous
    /// member (an id below [`super::ANONYMOUS_BELOW`]), and as the proposer of matches they
    /// published, id 0, so the others' history and the program's counts remain. End their live
    /// relationships first.
    async fn forget_user(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
}

/// What replaces a text whose author asked to be forgotten.
pub const REMOVED: &str = "[removed at a former member's request]";
