//! What the organisers' hands need from the database (issue 17): the log of what organisers did
//! to which mentorship, and when. People are named by id only.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::ids::{GuildId, RelationshipId, UserId};

/// One thing an organiser did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub guild: GuildId,
    pub at: DateTime<Utc>,
    pub actor: UserId,
    /// pause, resume, end, nudge, pair, unplace
    pub action: String,
    pub relationship: Option<RelationshipId>,
    pub mentor: Option<UserId>,
    pub mentee: Option<UserId>,
}

#[async_trait]
pub trait OrganiserLogStore: Send + Sync {
    async fn log_organiser_action(&self, entry: &LogEntry) -> StoreResult<()>;
    /// The server's log, oldest first; only one mentorship's with `rel`.
    async fn organiser_log(&self, guild: GuildId, rel: Option<RelationshipId>) -> StoreResult<Vec<LogEntry>>;
    /// `/mentor forget`: the person's id in the log becomes 0.
    async fn forget_in_organiser_log(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
}
