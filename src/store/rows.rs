//! Rows as both backends return them, and their conversion to domain values.
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;
use crate::domain::agreement::Agreement;
use crate::domain::checkin::{Checkin, CheckinSource, CheckinStatus};
use crate::domain::ids::*;
use crate::domain::journal::JournalEntry;
use crate::domain::listing::{Kind, ListingStatus, Offer, Request};
use crate::domain::plan::{Goal, ItemStatus, Step};
use crate::domain::profile::{Profile, Window};
use crate::domain::relationship::{EndReason, Member, MemberStatus, Origin, Relationship, Role, State};
use crate::domain::retrospective::Retrospective;

pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored data cannot be read: {what}").into())
}

pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn ms_opt(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ms)
}

pub(super) fn time(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| corrupt(format!("time {v}")))
}

pub(super) fn time_opt(v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(time).transpose()
}

pub(super) fn date_opt(v: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    v.map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(corrupt))
        .transpose()
}

pub(super) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain values serialise")
}

pub(super) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(corrupt)
}

fn parse<T>(what: &str, s: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    f(s).ok_or_else(|| corrupt(format!("{what} {s:?}")))
}

/// Snowflakes fit in a signed 64-bit column until the year 2084.
pub(super) fn sf(v: u64) -> i64 {
    v as i64
}

pub(super) fn usf(v: i64) -> u64 {
    v as u64
}

#[derive(sqlx::FromRow)]
pub(super) struct ProfileRow {
    guild_id: i64,
    user_id: i64,
    display_name: String,
    timezone: String,
    availability: String,
    methods: String,
    role: Option<String>,
    experience: Option<String>,
    mentoring_styles: String,
    learning_styles: String,
    paused_until: Option<String>,
    dm_reachable: bool,
    created_at: i64,
    updated_at: i64,
}

pub(super) fn availability_json(ws: &[Window]) -> String {
    json(&ws.iter().map(|w| w.to_string()).collect::<Vec<_>>())
}

impl TryFrom<ProfileRow> for Profile {
    type Error = StoreError;
    fn try_from(r: ProfileRow) -> Result<Self, StoreError> {
        let windows: Vec<String> = from_json(&r.availability)?;
        Ok(Profile {
            guild: GuildId(usf(r.guild_id)),
            user: UserId(usf(r.user_id)),
            display_name: r.display_name,
            timezone: r.timezone.parse().map_err(corrupt)?,
            availability: windows
                .iter()
                .map(|w| w.parse().map_err(corrupt))
                .collect::<Result<_, _>>()?,
            methods: from_json(&r.methods)?,
            role: r.role,
            experience: r.experience,
            mentoring_styles: from_json(&r.mentoring_styles)?,
            learning_styles: from_json(&r.learning_styles)?,
            paused_until: date_opt(r.paused_until)?,
            dm_reachable: r.dm_reachable,
            created_at: time(r.created_at)?,
            updated_at: time(r.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OfferRow {
    id: i64,
    guild_id: i64,
    user_id: i64,
    purpose: String,
    topics: String,
    skills: String,
    kinds: String,
    capacity: i64,
    hopes_to_learn: Option<String>,
    status: String,
    created_at: i64,
    withdrawn_at: Option<i64>,
}

impl TryFrom<OfferRow> for Offer {
    type Error = StoreError;
    fn try_from(r: OfferRow) -> Result<Self, StoreError> {
        Ok(Offer {
            id: OfferId(r.id),
            guild: GuildId(usf(r.guild_id)),
            user: UserId(usf(r.user_id)),
            purpose: r.purpose,
            topics: from_json(&r.topics)?,
            skills: from_json(&r.skills)?,
            kinds: from_json::<Vec<Kind>>(&r.kinds)?,
            capacity: u8::try_from(r.capacity).map_err(corrupt)?,
            hopes_to_learn: r.hopes_to_learn,
            status: parse("listing status", &r.status, ListingStatus::parse)?,
            created_at: time(r.created_at)?,
            withdrawn_at: time_opt(r.withdrawn_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OfferLoadRow {
    #[sqlx(flatten)]
    pub offer: OfferRow,
    pub seats_taken: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct RequestRow {
    id: i64,
    guild_id: i64,
    user_id: i64,
    purpose: String,
    goals: String,
    kinds: String,
    styles: String,
    status: String,
    created_at: i64,
    withdrawn_at: Option<i64>,
}

impl TryFrom<RequestRow> for Request {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> Result<Self, StoreError> {
        Ok(Request {
            id: RequestId(r.id),
            guild: GuildId(usf(r.guild_id)),
            user: UserId(usf(r.user_id)),
            purpose: r.purpose,
            goals: from_json(&r.goals)?,
            kinds: from_json(&r.kinds)?,
            styles: from_json(&r.styles)?,
            status: parse("listing status", &r.status, ListingStatus::parse)?,
            created_at: time(r.created_at)?,
            withdrawn_at: time_opt(r.withdrawn_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RelationshipRow {
    pub id: i64,
    number: i64,
    guild_id: i64,
    kind: String,
    origin: String,
    purpose: String,
    state: String,
    proposer_id: i64,
    offer_id: Option<i64>,
    request_id: Option<i64>,
    created_at: i64,
    expires_at: i64,
    updated_at: i64,
    ended_at: Option<i64>,
    end_reason: Option<String>,
    ended_by: Option<i64>,
    revision: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    user_id: i64,
    role: String,
    status: String,
    responded_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct AgreementRow {
    version: i64,
    author_id: i64,
    terms: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct ConfirmationRow {
    version: i64,
    user_id: i64,
}

pub(super) fn relationship(
    r: RelationshipRow,
    members: Vec<MemberRow>,
    agreements: Vec<AgreementRow>,
    confirmations: Vec<ConfirmationRow>,
) -> Result<Relationship, StoreError> {
    let members = members
        .into_iter()
        .map(|m| {
            Ok(Member {
                user: UserId(usf(m.user_id)),
                role: parse("role", &m.role, Role::parse)?,
                status: parse("member status", &m.status, MemberStatus::parse)?,
                responded_at: time_opt(m.responded_at)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let agreements = agreements
        .into_iter()
        .map(|a| {
            Ok(Agreement {
                version: u32::try_from(a.version).map_err(corrupt)?,
                author: UserId(usf(a.author_id)),
                terms: from_json(&a.terms)?,
                confirmed_by: confirmations
                    .iter()
                    .filter(|c| c.version == a.version)
                    .map(|c| UserId(usf(c.user_id)))
                    .collect(),
                created_at: time(a.created_at)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Relationship {
        id: RelationshipId(r.id),
        number: r.number,
        guild: GuildId(usf(r.guild_id)),
        kind: r.kind.parse().map_err(corrupt)?,
        origin: parse("origin", &r.origin, Origin::parse)?,
        purpose: r.purpose,
        state: parse("state", &r.state, State::parse)?,
        proposer: UserId(usf(r.proposer_id)),
        members,
        offer: r.offer_id.map(OfferId),
        request: r.request_id.map(RequestId),
        created_at: time(r.created_at)?,
        expires_at: time(r.expires_at)?,
        updated_at: time(r.updated_at)?,
        ended_at: time_opt(r.ended_at)?,
        end_reason: r
            .end_reason
            .as_deref()
            .map(|s| parse("end reason", s, EndReason::parse))
            .transpose()?,
        ended_by: r.ended_by.map(|u| UserId(usf(u))),
        agreements,
        revision: r.revision,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct GoalRow {
    pub id: i64,
    guild_id: i64,
    relationship_id: i64,
    title: String,
    status: String,
    created_by: i64,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct StepRow {
    id: i64,
    goal_id: i64,
    text: String,
    owner_id: Option<i64>,
    due: Option<String>,
    status: String,
    updated_at: i64,
    created_by: Option<i64>,
}

pub(super) fn goal(r: GoalRow, steps: &[StepRow]) -> Result<Goal, StoreError> {
    Ok(Goal {
        id: GoalId(r.id),
        guild: GuildId(usf(r.guild_id)),
        relationship: RelationshipId(r.relationship_id),
        title: r.title,
        status: parse("status", &r.status, ItemStatus::parse)?,
        created_by: UserId(usf(r.created_by)),
        created_at: time(r.created_at)?,
        steps: steps
            .iter()
            .filter(|s| s.goal_id == r.id)
            .map(|s| {
                Ok(Step {
                    id: StepId(s.id),
                    goal: GoalId(s.goal_id),
                    text: s.text.clone(),
                    owner: s.owner_id.map(|u| UserId(usf(u))),
                    due: date_opt(s.due.clone())?,
                    status: parse("status", &s.status, ItemStatus::parse)?,
                    updated_at: time(s.updated_at)?,
                    created_by: s.created_by.map(|u| UserId(usf(u))),
                })
            })
            .collect::<Result<_, StoreError>>()?,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckinRow {
    id: i64,
    guild_id: i64,
    relationship_id: i64,
    scheduled_at: i64,
    status: String,
    reported_by: Option<i64>,
    reported_at: Option<i64>,
    note: Option<String>,
    source: String,
}

impl TryFrom<CheckinRow> for Checkin {
    type Error = StoreError;
    fn try_from(r: CheckinRow) -> Result<Self, StoreError> {
        Ok(Checkin {
            id: CheckinId(r.id),
            guild: GuildId(usf(r.guild_id)),
            relationship: RelationshipId(r.relationship_id),
            scheduled_at: time(r.scheduled_at)?,
            status: parse("check-in status", &r.status, CheckinStatus::parse)?,
            reported_by: r.reported_by.map(|u| UserId(usf(u))),
            reported_at: time_opt(r.reported_at)?,
            note: r.note,
            source: parse("check-in source", &r.source, CheckinSource::parse)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct JournalRow {
    id: i64,
    guild_id: i64,
    relationship_id: i64,
    author_id: i64,
    checkin_id: Option<i64>,
    answers: String,
    shared: bool,
    created_at: i64,
}

impl TryFrom<JournalRow> for JournalEntry {
    type Error = StoreError;
    fn try_from(r: JournalRow) -> Result<Self, StoreError> {
        Ok(JournalEntry {
            id: JournalEntryId(r.id),
            guild: GuildId(usf(r.guild_id)),
            relationship: RelationshipId(r.relationship_id),
            author: UserId(usf(r.author_id)),
            checkin: r.checkin_id.map(CheckinId),
            answers: from_json(&r.answers)?,
            shared: r.shared,
            created_at: time(r.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RetrospectiveRow {
    relationship_id: i64,
    guild_id: i64,
    author_id: i64,
    learned: String,
    differently: Option<String>,
    celebrate: Option<String>,
    celebrate_publicly: bool,
    created_at: i64,
}

impl TryFrom<RetrospectiveRow> for Retrospective {
    type Error = StoreError;
    fn try_from(r: RetrospectiveRow) -> Result<Self, StoreError> {
        Ok(Retrospective {
            guild: GuildId(usf(r.guild_id)),
            relationship: RelationshipId(r.relationship_id),
            author: UserId(usf(r.author_id)),
            learned: r.learned,
            differently: r.differently,
            celebrate: r.celebrate,
            celebrate_publicly: r.celebrate_publicly,
            created_at: time(r.created_at)?,
        })
    }
}
