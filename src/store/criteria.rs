//! What chemistry and formal criteria need from the database (issue 13): the server's levels,
//! members' profession, unit and level, requests' wishes about the mentor's profession, the
//! organisers' questions and the members' answers. Every read and write is scoped to a guild.
use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::ids::{GuildId, RequestId, UserId};
use crate::domain::questions::{Answer, MemberCriteria, Question, QuestionId, Wish};

/// A question could not be added: the server already has this many in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyQuestions(pub usize);

#[async_trait]
pub trait CriteriaStore: Send + Sync {
    /// The server's levels, lowest first (empty when none are defined).
    async fn levels(&self, guild: GuildId) -> StoreResult<Vec<String>>;
    /// Replaces the server's levels (an empty list removes them).
    async fn set_levels(&self, guild: GuildId, levels: &[String]) -> StoreResult<()>;

    async fn member_criteria(&self, guild: GuildId, user: UserId) -> StoreResult<MemberCriteria>;
    async fn save_member_criteria(
        &self,
        guild: GuildId,
        user: UserId,
        criteria: &MemberCriteria,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Everyone's criteria in the server (people who set none are absent).
    async fn all_member_criteria(&self, guild: GuildId) -> StoreResult<HashMap<UserId, MemberCriteria>>;
    /// The professions (or units) people in the server gave, distinct, for autocompletion.
    async fn criteria_values(&self, guild: GuildId, unit: bool) -> StoreResult<Vec<String>>;

    async fn set_request_wish(&self, guild: GuildId, request: RequestId, wish: Wish) -> StoreResult<()>;
    /// The wishes of the server's requests (requests without one wish for either).
    async fn request_wishes(&self, guild: GuildId) -> StoreResult<HashMap<RequestId, Wish>>;

    /// Adds a question unless the server already has `max` in use (checked under a lock, so two
    /// organisers cannot pass the limit together). Returns its id.
    async fn insert_question(
        &self,
        question: &Question,
        max: usize,
    ) -> StoreResult<Result<QuestionId, TooManyQuestions>>;
    /// Adds several questions at once, or none when they would pass `max`.
    async fn insert_questions(
        &self,
        questions: &[Question],
        max: usize,
    ) -> StoreResult<Result<Vec<QuestionId>, TooManyQuestions>>;
    /// The server's questions in use (or all, with the removed ones), oldest first.
    async fn questions(&self, guild: GuildId, with_removed: bool) -> StoreResult<Vec<Question>>;
    async fn question(&self, guild: GuildId, id: QuestionId) -> StoreResult<Option<Question>>;
    /// Marks a question removed; false when it is not (or no longer) in use.
    async fn remove_question(&self, guild: GuildId, id: QuestionId, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Records an answer (an empty list of choices clears it).
    async fn save_answer(&self, guild: GuildId, answer: &Answer) -> StoreResult<()>;
    async fn answers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Answer>>;
    /// Every answer to the server's questions in use.
    async fn answers_in(&self, guild: GuildId) -> StoreResult<Vec<Answer>>;

    /// Deletes everything of these tables about a person in a server (`/mentor forget`).
    async fn forget_criteria(&self, guild: GuildId, user: UserId) -> StoreResult<()>;
}
