//! Storage: one trait for what the domain needs, two backends (SQLite, PostgreSQL) that share
//! their SQL text and differ only in how they connect and lock.
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::checkin::Checkin;
use crate::domain::ids::*;
use crate::domain::journal::JournalEntry;
use crate::domain::listing::Kind;
use crate::domain::listing::{Offer, Request};
use crate::domain::plan::{Goal, Step};
use crate::domain::profile::Profile;
use crate::domain::program::ProgramSettings;
use crate::domain::relationship::{MemberStatus, Relationship, State};
use crate::domain::retrospective::Retrospective;

pub mod criteria;
pub mod guide;
pub mod imports;
pub mod jobs;
pub mod organisers;
pub mod postgres;
pub mod privacy;
pub mod processes;
mod rows;
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone saved the record since it was read; read it again and retry.
    #[error("the record was changed at the same time by someone else")]
    Stale,
    /// A live relationship between the same people and of the same kind already exists.
    #[error("a live relationship of this kind already exists between these people")]
    DuplicateLive,
    /// The offer linked to the relationship has no free place left.
    #[error("the mentor has no free place left")]
    CapacityFull,
    /// A unique record (a retrospective, say) already exists.
    #[error("it already exists")]
    AlreadyExists,
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An open offer with the places it has taken.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferLoad {
    pub offer: Offer,
    pub seats_taken: u32,
}

/// A relationship as matching sees it: its kind, state, links and members' answers.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipLink {
    pub id: RelationshipId,
    /// The number people see (see [`Relationship::number`]).
    pub number: i64,
    pub kind: Kind,
    pub state: State,
    pub offer: Option<OfferId>,
    pub request: Option<RequestId>,
    pub members: Vec<(UserId, MemberStatus)>,
}

/// Checked inside the save's transaction, so two acceptances cannot both take the last place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatGuard {
    pub offer: OfferId,
    pub capacity: u8,
}

/// What the schedule of a relationship was planned from (see `engine::schedule`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleState {
    pub guild: GuildId,
    pub relationship: RelationshipId,
    /// The agreement version in force when it was planned.
    pub agreement_version: u32,
    /// When planning (re)started: the confirmation, the resume, the edit.
    pub planned_from: DateTime<Utc>,
    /// The last occurrence planned so far.
    pub planned_until: Option<DateTime<Utc>>,
}

/// What the program needs from a database. Every read and write is scoped to one guild.
/// The job queue lives in the same database, so a store is a job store too.
#[async_trait]
pub trait Store:
    jobs::JobStore
    + privacy::PrivacyStore
    + criteria::CriteriaStore
    + guide::GuideStore
    + organisers::OrganiserLogStore
    + imports::ImportStore
    + processes::ProcessStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;

    async fn save_profile(&self, profile: &Profile) -> StoreResult<()>;
    async fn profile(&self, guild: GuildId, user: UserId) -> StoreResult<Option<Profile>>;
    /// A person's notification preferences; `None` when they never set any.
    async fn notification_prefs(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> StoreResult<Option<crate::domain::preferences::NotificationPrefs>>;
    /// The preferences set by any of `users` in any of `guilds` (the catch-up reads a page's
    /// members at once; the caller keeps the pairs it wants).
    async fn notification_prefs_among(
        &self,
        guilds: &[GuildId],
        users: &[UserId],
    ) -> StoreResult<Vec<crate::domain::preferences::NotificationPrefs>>;
    /// Saves a person's preferences and, in the same transaction, `jobs` (the `sync` jobs that
    /// move their planned reminders to new lead times): a crash between the two loses neither.
    async fn save_notification_prefs(
        &self,
        prefs: &crate::domain::preferences::NotificationPrefs,
        jobs: &[jobs::NewJob],
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()>;

    async fn insert_offer(&self, offer: &Offer) -> StoreResult<OfferId>;
    async fn offer(&self, guild: GuildId, id: OfferId) -> StoreResult<Option<Offer>>;
    async fn offers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Offer>>;
    /// Open offers with the places each has taken.
    async fn open_offers(&self, guild: GuildId) -> StoreResult<Vec<OfferLoad>>;
    /// [`Store::open_offers`] of one person (a command about one mentor reads only theirs).
    async fn open_offers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<OfferLoad>>;
    /// One offer with its places taken, if it is open.
    async fn open_offer(&self, guild: GuildId, id: OfferId) -> StoreResult<Option<OfferLoad>>;
    async fn update_offer(&self, offer: &Offer) -> StoreResult<()>;

    async fn insert_request(&self, request: &Request) -> StoreResult<RequestId>;
    async fn request(&self, guild: GuildId, id: RequestId) -> StoreResult<Option<Request>>;
    async fn requests_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Request>>;
    /// Open requests not tied to a relationship underway: the ones that can be matched.
    async fn open_requests(&self, guild: GuildId) -> StoreResult<Vec<Request>>;
    /// [`Store::open_requests`] of one person.
    async fn open_requests_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Request>>;
    async fn update_request(&self, request: &Request) -> StoreResult<()>;

    /// Inserts a new relationship with its members; returns its id and its number in the
    /// server (the next one, handed out in the same transaction: never twice, never reused).
    async fn insert_relationship(&self, rel: &Relationship) -> StoreResult<(RelationshipId, i64)>;
    async fn relationship(&self, guild: GuildId, id: RelationshipId) -> StoreResult<Option<Relationship>>;
    /// The relationships with these ids, whatever their server, in id order (the catch-up's
    /// page; the caller checks each one's server).
    async fn relationships_by_ids(&self, ids: &[RelationshipId]) -> StoreResult<Vec<Relationship>>;
    /// The server's mentorship with this number (the one people see and type).
    async fn relationship_numbered(&self, guild: GuildId, number: i64) -> StoreResult<Option<Relationship>>;
    /// The id and number of every mentorship of the server the user is a member of.
    async fn relationship_numbers(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<(RelationshipId, i64)>>;
    /// Every relationship the user is a member of (invited, joined or declined), newest first.
    async fn relationships_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Relationship>>;
    /// Saves state, members, new agreement versions and confirmations in one transaction, if
    /// nobody saved since `rel.revision` was read; bumps `rel.revision`.
    async fn save_relationship(&self, rel: &mut Relationship, seat: Option<SeatGuard>) -> StoreResult<()>;
    /// [`Store::save_relationship`], with `jobs` planned in the same transaction (an outbox):
    /// the work a change calls for (re-planning its schedule, a note to the organisers) cannot
    /// be lost to a crash or an error after the save. Planned as [`jobs::JobStore::enqueue`] does.
    async fn save_relationship_and_enqueue(
        &self,
        rel: &mut Relationship,
        seat: Option<SeatGuard>,
        jobs: &[jobs::NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Proposals whose answer time is over, oldest first (for the expiry sweep, in any guild).
    async fn proposals_due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Relationship>>;

    async fn insert_goal(&self, goal: &Goal) -> StoreResult<GoalId>;
    async fn update_goal(&self, goal: &Goal) -> StoreResult<()>;
    async fn insert_step(&self, guild: GuildId, step: &Step) -> StoreResult<StepId>;
    async fn update_step(&self, guild: GuildId, step: &Step) -> StoreResult<()>;
    /// The plan of a relationship: goals in creation order, each with its steps.
    async fn goals(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Goal>>;

    async fn insert_checkin(&self, checkin: &Checkin) -> StoreResult<CheckinId>;
    async fn update_checkin(&self, checkin: &Checkin) -> StoreResult<()>;
    async fn checkin(&self, guild: GuildId, id: CheckinId) -> StoreResult<Option<Checkin>>;
    async fn checkins(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Checkin>>;

    async fn insert_journal_entry(&self, entry: &JournalEntry) -> StoreResult<JournalEntryId>;
    async fn journal_entry(&self, guild: GuildId, id: JournalEntryId) -> StoreResult<Option<JournalEntry>>;
    async fn update_journal_entry(&self, entry: &JournalEntry) -> StoreResult<()>;
    /// Entries of one author, oldest first, optionally of one relationship.
    async fn journal_of(
        &self,
        guild: GuildId,
        author: UserId,
        rel: Option<RelationshipId>,
    ) -> StoreResult<Vec<JournalEntry>>;
    /// Shared entries of one relationship, oldest first.
    async fn shared_journal(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<JournalEntry>>;

    async fn insert_retrospective(&self, retro: &Retrospective) -> StoreResult<()>;
    /// Opens a closed request again with new terms (purpose, goals, kinds, styles).
    async fn reopen_request(&self, q: &Request) -> StoreResult<()>;
    /// The author's answer to the celebration question (its Yes and No buttons); false when
    /// they have written no retrospective of that relationship.
    async fn set_celebrate_publicly(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        author: UserId,
        on: bool,
    ) -> StoreResult<bool>;
    /// The server's program settings, if an admin set them up.
    async fn program_settings(&self, guild: GuildId) -> StoreResult<Option<ProgramSettings>>;
    async fn save_program_settings(&self, settings: &ProgramSettings) -> StoreResult<()>;
    /// The private thread of a relationship (a Discord channel id).
    async fn thread_of(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Option<u64>>;
    async fn set_thread(&self, guild: GuildId, rel: RelationshipId, channel: u64) -> StoreResult<()>;
    async fn retrospectives(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Retrospective>>;

    /// Plans a check-in of the schedule; the same relationship and instant twice keep one row.
    async fn insert_scheduled_checkin(&self, checkin: &Checkin) -> StoreResult<CheckinId>;
    /// Removes the planned, unreported check-ins the bot put on the calendar (not ones members
    /// recorded) from `from` on, when the plan changes. Returns how many.
    async fn delete_planned_checkins(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        from: DateTime<Utc>,
    ) -> StoreResult<u64>;
    async fn schedule_state(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Option<ScheduleState>>;
    /// The schedule states of those of `rels` that have one.
    async fn schedule_states(&self, rels: &[RelationshipId]) -> StoreResult<Vec<ScheduleState>>;
    async fn save_schedule_state(&self, state: &ScheduleState) -> StoreResult<()>;
    async fn delete_schedule_state(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<()>;
    /// Every active relationship in every guild (the catch-up on start).
    async fn active_relationships(&self) -> StoreResult<Vec<(GuildId, RelationshipId)>>;

    // Forgetting a person: see `privacy::PrivacyStore::forget_user`.

    // Program-wide matching (issue 4).
    /// Every relationship of the guild in any state, oldest first, as matching needs it: who
    /// was paired with whom, and what is still waiting for an answer. Two queries in all.
    async fn relationship_links(&self, guild: GuildId) -> StoreResult<Vec<RelationshipLink>>;
    /// The priority bonus for people the last publish left unplaced, if an organiser set it.
    async fn matching_bonus(&self, guild: GuildId) -> StoreResult<Option<f64>>;
    async fn set_matching_bonus(&self, guild: GuildId, bonus: f64) -> StoreResult<()>;
    /// The server's matching weights as an organiser wrote them, if they set any.
    async fn matching_weights(&self, guild: GuildId) -> StoreResult<Option<String>>;
    async fn set_matching_weights(&self, guild: GuildId, weights: Option<&str>) -> StoreResult<()>;
    /// Who the last publish left unplaced, by user id.
    async fn unplaced(&self, guild: GuildId) -> StoreResult<Vec<UserId>>;
    /// Replaces who is left unplaced with the people a publish just left unplaced.
    async fn replace_unplaced(&self, guild: GuildId, users: &[UserId], at: DateTime<Utc>) -> StoreResult<()>;

    // The organisers' view (issue 6): counts and dates, never journal or retrospective text.
    /// Every relationship of the guild in any state, oldest first.
    async fn relationships_in(&self, guild: GuildId) -> StoreResult<Vec<Relationship>>;
    /// Every check-in of the guild, by relationship and time.
    async fn guild_checkins(&self, guild: GuildId) -> StoreResult<Vec<Checkin>>;
    /// The check-ins of the guild that have a journal entry linked (a reflection): ids only.
    async fn reflected_checkins(&self, guild: GuildId) -> StoreResult<Vec<CheckinId>>;
    /// The guilds that set up a program (the digest's catch-up on start).
    async fn program_guilds(&self) -> StoreResult<Vec<GuildId>>;

    // A person's DM channel with the bot is the same in every server, so these are not scoped to
    // a guild; they hold a Discord channel id and nothing the person wrote.
    /// The DM channel opened with the user before, if any.
    async fn dm_channel(&self, user: UserId) -> StoreResult<Option<u64>>;
    async fn set_dm_channel(&self, user: UserId, channel: u64) -> StoreResult<()>;
    /// Forgets a DM channel Discord no longer knows (Unknown Channel), so the next DM opens a new one.
    async fn forget_dm_channel(&self, user: UserId) -> StoreResult<()>;
}

/// Ids below this stand for people who asked to be forgotten. Discord ids are snowflakes far
/// above it (a timestamp shifted by 22 bits).
pub const ANONYMOUS_BELOW: i64 = 1 << 22;

/// Opens the database a URL names (`sqlite:` or `postgres:`), creating a SQLite file and its
/// folder when missing. Migrations are not applied here: call [`Store::migrate`].
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url, max_connections).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::connect(url, max_connections).await?))
    } else {
        anyhow::bail!("database.url must start with sqlite: or postgres:")
    }
}

/// Like [`connect`], and the job queue on the same pool.
pub async fn connect_with_jobs(
    url: &str,
    max_connections: u32,
) -> anyhow::Result<(Arc<dyn Store>, Arc<dyn jobs::JobStore>)> {
    if url.starts_with("sqlite:") {
        let store = Arc::new(sqlite::SqliteStore::connect(url, max_connections).await?);
        Ok((store.clone(), store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = Arc::new(postgres::PgStore::connect(url, max_connections).await?);
        Ok((store.clone(), store))
    } else {
        anyhow::bail!("database.url must start with sqlite: or postgres:")
    }
}
