// The SQL both backends run, written once. Each backend module includes this file after
// defining `Db` (the sqlx database), `Backend` (its store type with a `pool` field) and
// `BACKEND_NAME`. Placeholders are `$N`, which SQLite and PostgreSQL both accept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Pool, Transaction};

use super::rows::{self, *};
use super::{OfferLoad, ScheduleState, SeatGuard, Store, StoreError, StoreResult};
use crate::domain::checkin::Checkin;
use crate::domain::ids::*;
use crate::domain::journal::JournalEntry;
use crate::domain::listing::{Offer, Request};
use crate::domain::plan::{Goal, Step};
use crate::domain::profile::Profile;
use crate::domain::program::ProgramSettings;
use crate::domain::relationship::Relationship;
use crate::domain::retrospective::Retrospective;

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

fn is_unique(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const REL_COLUMNS: &str = "id, number, guild_id, kind, origin, purpose, state, proposer_id, offer_id, request_id, \
    created_at, expires_at, updated_at, ended_at, end_reason, ended_by, revision";

async fn hydrate(pool: &Pool<Db>, row: RelationshipRow) -> StoreResult<Relationship> {
    Ok(hydrate_all(pool, vec![row]).await?.pop().expect("one row in, one relationship out"))
}

#[derive(sqlx::FromRow)]
struct KeyedMember {
    relationship_id: i64,
    #[sqlx(flatten)]
    row: MemberRow,
}

#[derive(sqlx::FromRow)]
struct KeyedAgreement {
    relationship_id: i64,
    #[sqlx(flatten)]
    row: AgreementRow,
}

#[derive(sqlx::FromRow)]
struct KeyedConfirmation {
    relationship_id: i64,
    #[sqlx(flatten)]
    row: ConfirmationRow,
}

/// The relationships of `found`, in its order, with their members, agreements and confirmations
/// read in one statement each for all of them (a list or the catch-up's page costs four
/// statements, not three per relationship).
async fn hydrate_all(pool: &Pool<Db>, found: Vec<RelationshipRow>) -> StoreResult<Vec<Relationship>> {
    use std::collections::HashMap;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids = json(&found.iter().map(|r| r.id).collect::<Vec<i64>>());
    let members: Vec<KeyedMember> = sqlx::query_as(concat!(
        "SELECT relationship_id, user_id, role, status, responded_at FROM relationship_members WHERE ",
        col_in_json!("relationship_id", "$1"),
        " ORDER BY relationship_id, CASE role WHEN 'mentor' THEN 0 WHEN 'mentee' THEN 1 ELSE 2 END, user_id"
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let agreements: Vec<KeyedAgreement> = sqlx::query_as(concat!(
        "SELECT relationship_id, version, author_id, terms, created_at FROM agreements WHERE ",
        col_in_json!("relationship_id", "$1"),
        " ORDER BY relationship_id, version"
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let confirmations: Vec<KeyedConfirmation> = sqlx::query_as(concat!(
        "SELECT relationship_id, version, user_id FROM agreement_confirmations WHERE ",
        col_in_json!("relationship_id", "$1"),
        " ORDER BY relationship_id, confirmed_at, user_id"
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    // Each list is in the order the one-relationship reads gave; grouping keeps it.
    type Parts = (Vec<MemberRow>, Vec<AgreementRow>, Vec<ConfirmationRow>);
    let mut by_rel: HashMap<i64, Parts> = found.iter().map(|r| (r.id, Default::default())).collect();
    for m in members {
        if let Some(e) = by_rel.get_mut(&m.relationship_id) {
            e.0.push(m.row);
        }
    }
    for a in agreements {
        if let Some(e) = by_rel.get_mut(&a.relationship_id) {
            e.1.push(a.row);
        }
    }
    for c in confirmations {
        if let Some(e) = by_rel.get_mut(&c.relationship_id) {
            e.2.push(c.row);
        }
    }
    found
        .into_iter()
        .map(|row| {
            let (m, a, c) = by_rel.remove(&row.id).unwrap_or_default();
            rows::relationship(row, m, a, c)
        })
        .collect()
}

// The open offers of a guild with the places each has taken; callers add their filter and order.
macro_rules! open_offers_sql {
    () => {
        "SELECT o.*, (SELECT COUNT(*) FROM relationships r WHERE r.offer_id = o.id \
             AND r.state IN ('accepted', 'agreeing', 'active', 'paused')) AS seats_taken \
         FROM offers o WHERE o.guild_id = $1 AND o.status = 'open'"
    };
}

// The open requests of a guild not tied to a relationship underway; callers add filter and order.
macro_rules! open_requests_sql {
    () => {
        "SELECT q.* FROM requests q WHERE q.guild_id = $1 AND q.status = 'open' AND NOT EXISTS ( \
             SELECT 1 FROM relationships r WHERE r.request_id = q.id \
             AND r.state IN ('accepted', 'agreeing', 'active', 'paused'))"
    };
}

fn offer_loads(rows: Vec<OfferLoadRow>) -> StoreResult<Vec<OfferLoad>> {
    rows.into_iter()
        .map(|r| Ok(OfferLoad { seats_taken: r.seats_taken as u32, offer: Offer::try_from(r.offer)? }))
        .collect()
}

/// Takes the write lock on the offer's row first, so the count that follows cannot be
/// overtaken by another acceptance (a row lock on PostgreSQL, the database write lock on SQLite).
async fn check_seat(tx: &mut Transaction<'static, Db>, rel: &Relationship, seat: SeatGuard) -> StoreResult<()> {
    sqlx::query("UPDATE offers SET capacity = capacity WHERE id = $1 AND guild_id = $2")
        .bind(seat.offer.0)
        .bind(sf(rel.guild.0))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    let (taken,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM relationships WHERE offer_id = $1 AND id <> $2 \
         AND state IN ('accepted', 'agreeing', 'active', 'paused')",
    )
    .bind(seat.offer.0)
    .bind(rel.id.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    if taken >= i64::from(seat.capacity) {
        return Err(StoreError::CapacityFull);
    }
    Ok(())
}

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        BACKEND_NAME
    }

    async fn migrate(&self) -> StoreResult<()> {
        migrator().run(&self.pool).await.map_err(|e| StoreError::Database(Box::new(e)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db)?;
        Ok(())
    }

    async fn save_profile(&self, p: &Profile) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO profiles (guild_id, user_id, display_name, timezone, availability, methods, role, experience, \
               mentoring_styles, learning_styles, paused_until, dm_reachable, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name, \
               timezone = excluded.timezone, availability = excluded.availability, methods = excluded.methods, \
               role = excluded.role, experience = excluded.experience, mentoring_styles = excluded.mentoring_styles, \
               learning_styles = excluded.learning_styles, paused_until = excluded.paused_until, \
               dm_reachable = excluded.dm_reachable, updated_at = excluded.updated_at",
        )
        .bind(sf(p.guild.0))
        .bind(sf(p.user.0))
        .bind(&p.display_name)
        .bind(p.timezone.name())
        .bind(availability_json(&p.availability))
        .bind(json(&p.methods))
        .bind(&p.role)
        .bind(&p.experience)
        .bind(json(&p.mentoring_styles))
        .bind(json(&p.learning_styles))
        .bind(p.paused_until.map(|d| d.to_string()))
        .bind(p.dm_reachable)
        .bind(ms(p.created_at))
        .bind(ms(p.updated_at))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn profile(&self, guild: GuildId, user: UserId) -> StoreResult<Option<Profile>> {
        let row: Option<ProfileRow> = sqlx::query_as("SELECT * FROM profiles WHERE guild_id = $1 AND user_id = $2")
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Profile::try_from).transpose()
    }

    async fn insert_offer(&self, o: &Offer) -> StoreResult<OfferId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO offers (guild_id, user_id, purpose, topics, skills, kinds, capacity, hopes_to_learn, status, created_at, withdrawn_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(sf(o.guild.0))
        .bind(sf(o.user.0))
        .bind(&o.purpose)
        .bind(json(&o.topics))
        .bind(json(&o.skills))
        .bind(json(&o.kinds))
        .bind(i64::from(o.capacity))
        .bind(&o.hopes_to_learn)
        .bind(o.status.as_str())
        .bind(ms(o.created_at))
        .bind(ms_opt(o.withdrawn_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(OfferId(id))
    }

    async fn offer(&self, guild: GuildId, id: OfferId) -> StoreResult<Option<Offer>> {
        let row: Option<OfferRow> = sqlx::query_as("SELECT * FROM offers WHERE guild_id = $1 AND id = $2")
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Offer::try_from).transpose()
    }

    async fn offers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Offer>> {
        let rows: Vec<OfferRow> = sqlx::query_as("SELECT * FROM offers WHERE guild_id = $1 AND user_id = $2 ORDER BY id")
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Offer::try_from).collect()
    }

    async fn open_offers(&self, guild: GuildId) -> StoreResult<Vec<OfferLoad>> {
        let rows: Vec<OfferLoadRow> = sqlx::query_as(concat!(open_offers_sql!(), " ORDER BY o.id"))
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        offer_loads(rows)
    }

    async fn open_offers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<OfferLoad>> {
        let rows: Vec<OfferLoadRow> = sqlx::query_as(concat!(open_offers_sql!(), " AND o.user_id = $2 ORDER BY o.id"))
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        offer_loads(rows)
    }

    async fn open_offer(&self, guild: GuildId, id: OfferId) -> StoreResult<Option<OfferLoad>> {
        let rows: Vec<OfferLoadRow> = sqlx::query_as(concat!(open_offers_sql!(), " AND o.id = $2"))
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(offer_loads(rows)?.into_iter().next())
    }

    async fn update_offer(&self, o: &Offer) -> StoreResult<()> {
        sqlx::query("UPDATE offers SET status = $1, withdrawn_at = $2 WHERE guild_id = $3 AND id = $4")
            .bind(o.status.as_str())
            .bind(ms_opt(o.withdrawn_at))
            .bind(sf(o.guild.0))
            .bind(o.id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_request(&self, q: &Request) -> StoreResult<RequestId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO requests (guild_id, user_id, purpose, goals, kinds, styles, status, created_at, withdrawn_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(sf(q.guild.0))
        .bind(sf(q.user.0))
        .bind(&q.purpose)
        .bind(json(&q.goals))
        .bind(json(&q.kinds))
        .bind(json(&q.styles))
        .bind(q.status.as_str())
        .bind(ms(q.created_at))
        .bind(ms_opt(q.withdrawn_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(RequestId(id))
    }

    async fn request(&self, guild: GuildId, id: RequestId) -> StoreResult<Option<Request>> {
        let row: Option<RequestRow> = sqlx::query_as("SELECT * FROM requests WHERE guild_id = $1 AND id = $2")
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Request::try_from).transpose()
    }

    async fn requests_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Request>> {
        let rows: Vec<RequestRow> = sqlx::query_as("SELECT * FROM requests WHERE guild_id = $1 AND user_id = $2 ORDER BY id")
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Request::try_from).collect()
    }

    async fn open_requests(&self, guild: GuildId) -> StoreResult<Vec<Request>> {
        let rows: Vec<RequestRow> = sqlx::query_as(concat!(open_requests_sql!(), " ORDER BY q.id"))
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Request::try_from).collect()
    }

    async fn open_requests_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Request>> {
        let rows: Vec<RequestRow> = sqlx::query_as(concat!(open_requests_sql!(), " AND q.user_id = $2 ORDER BY q.id"))
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Request::try_from).collect()
    }

    async fn update_request(&self, q: &Request) -> StoreResult<()> {
        sqlx::query("UPDATE requests SET status = $1, withdrawn_at = $2 WHERE guild_id = $3 AND id = $4")
            .bind(q.status.as_str())
            .bind(ms_opt(q.withdrawn_at))
            .bind(sf(q.guild.0))
            .bind(q.id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_relationship(&self, rel: &Relationship) -> StoreResult<(RelationshipId, i64)> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The guild's counter row first: on PostgreSQL its row lock makes a second process
        // creating in the same server wait for this commit (or rollback) and take the next
        // number, so numbers have neither gaps nor twins.
        let (number,): (i64,) = sqlx::query_as(
            "INSERT INTO relationship_counters (guild_id, last_number) VALUES ($1, 1) \
             ON CONFLICT (guild_id) DO UPDATE SET last_number = relationship_counters.last_number + 1 \
             RETURNING last_number",
        )
        .bind(sf(rel.guild.0))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let pair = rel.pair_key();
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO relationships (guild_id, kind, origin, purpose, state, proposer_id, pair_low, pair_high, \
               offer_id, request_id, created_at, expires_at, updated_at, ended_at, end_reason, ended_by, revision, \
               number) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $17) RETURNING id",
        )
        .bind(sf(rel.guild.0))
        .bind(rel.kind.as_str())
        .bind(rel.origin.as_str())
        .bind(&rel.purpose)
        .bind(rel.state.as_str())
        .bind(sf(rel.proposer.0))
        .bind(pair.map(|p| sf(p.0 .0)))
        .bind(pair.map(|p| sf(p.1 .0)))
        .bind(rel.offer.map(|o| o.0))
        .bind(rel.request.map(|r| r.0))
        .bind(ms(rel.created_at))
        .bind(ms(rel.expires_at))
        .bind(ms(rel.updated_at))
        .bind(ms_opt(rel.ended_at))
        .bind(rel.end_reason.map(|r| r.as_str()))
        .bind(rel.ended_by.map(|u| sf(u.0)))
        .bind(number)
        .fetch_one(&mut *tx)
        .await;
        let (id,) = match inserted {
            Ok(row) => row,
            Err(e) if is_unique(&e) => return Err(StoreError::DuplicateLive),
            Err(e) => return Err(db(e)),
        };
        for m in &rel.members {
            sqlx::query(
                "INSERT INTO relationship_members (relationship_id, guild_id, user_id, role, status, responded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(sf(rel.guild.0))
            .bind(sf(m.user.0))
            .bind(m.role.as_str())
            .bind(m.status.as_str())
            .bind(ms_opt(m.responded_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok((RelationshipId(id), number))
    }

    async fn relationship_numbered(&self, guild: GuildId, number: i64) -> StoreResult<Option<Relationship>> {
        let sql = format!("SELECT {REL_COLUMNS} FROM relationships WHERE guild_id = $1 AND number = $2");
        let row: Option<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sf(guild.0))
            .bind(number)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            Some(row) => Ok(Some(hydrate(&self.pool, row).await?)),
            None => Ok(None),
        }
    }

    async fn relationship_numbers(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<(RelationshipId, i64)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.number FROM relationships r JOIN relationship_members m ON m.relationship_id = r.id \
             WHERE m.guild_id = $1 AND m.user_id = $2 AND r.guild_id = $1",
        )
        .bind(sf(guild.0))
        .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.into_iter().map(|(id, n)| (RelationshipId(id), n)).collect())
    }

    async fn relationship(&self, guild: GuildId, id: RelationshipId) -> StoreResult<Option<Relationship>> {
        let sql = format!("SELECT {REL_COLUMNS} FROM relationships WHERE guild_id = $1 AND id = $2");
        let row: Option<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            Some(row) => Ok(Some(hydrate(&self.pool, row).await?)),
            None => Ok(None),
        }
    }

    async fn relationships_by_ids(&self, ids: &[RelationshipId]) -> StoreResult<Vec<Relationship>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {REL_COLUMNS} FROM relationships WHERE {} ORDER BY id",
            col_in_json!("id", "$1")
        );
        let found: Vec<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(json(&ids.iter().map(|r| r.0).collect::<Vec<i64>>()))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        hydrate_all(&self.pool, found).await
    }

    async fn relationships_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Relationship>> {
        let sql = format!(
            "SELECT {} FROM relationships r JOIN relationship_members m ON m.relationship_id = r.id \
             WHERE m.guild_id = $1 AND m.user_id = $2 AND r.guild_id = $1 ORDER BY r.id DESC",
            REL_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ")
        );
        let found: Vec<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        hydrate_all(&self.pool, found).await
    }

    async fn save_relationship(&self, rel: &mut Relationship, seat: Option<SeatGuard>) -> StoreResult<()> {
        let now = rel.updated_at;
        self.save_relationship_and_enqueue(rel, seat, &[], now).await
    }

    async fn save_relationship_and_enqueue(
        &self,
        rel: &mut Relationship,
        seat: Option<SeatGuard>,
        jobs: &[super::jobs::NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        if let Some(seat) = seat {
            check_seat(&mut tx, rel, seat).await?;
        }
        let updated = sqlx::query(
            "UPDATE relationships SET state = $1, offer_id = $2, request_id = $3, expires_at = $4, updated_at = $5, \
               ended_at = $6, end_reason = $7, ended_by = $8, revision = revision + 1 \
             WHERE guild_id = $9 AND id = $10 AND revision = $11",
        )
        .bind(rel.state.as_str())
        .bind(rel.offer.map(|o| o.0))
        .bind(rel.request.map(|r| r.0))
        .bind(ms(rel.expires_at))
        .bind(ms(rel.updated_at))
        .bind(ms_opt(rel.ended_at))
        .bind(rel.end_reason.map(|r| r.as_str()))
        .bind(rel.ended_by.map(|u| sf(u.0)))
        .bind(sf(rel.guild.0))
        .bind(rel.id.0)
        .bind(rel.revision)
        .execute(&mut *tx)
        .await;
        match updated {
            Ok(done) if done.rows_affected() == 1 => {}
            Ok(_) => return Err(StoreError::Stale),
            Err(e) if is_unique(&e) => return Err(StoreError::DuplicateLive),
            Err(e) => return Err(db(e)),
        }
        for m in &rel.members {
            sqlx::query(
                "UPDATE relationship_members SET status = $1, responded_at = $2 WHERE relationship_id = $3 AND user_id = $4",
            )
            .bind(m.status.as_str())
            .bind(ms_opt(m.responded_at))
            .bind(rel.id.0)
            .bind(sf(m.user.0))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        let (stored,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM agreements WHERE relationship_id = $1")
                .bind(rel.id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        for a in rel.agreements.iter().filter(|a| i64::from(a.version) > stored) {
            sqlx::query(
                "INSERT INTO agreements (relationship_id, guild_id, version, author_id, terms, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(rel.id.0)
            .bind(sf(rel.guild.0))
            .bind(i64::from(a.version))
            .bind(sf(a.author.0))
            .bind(json(&a.terms))
            .bind(ms(a.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        // Only the newest version can gain confirmations.
        if let Some(latest) = rel.agreements.last() {
            for user in &latest.confirmed_by {
                sqlx::query(
                    "INSERT INTO agreement_confirmations (relationship_id, version, user_id, confirmed_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(rel.id.0)
                .bind(i64::from(latest.version))
                .bind(sf(user.0))
                .bind(ms(rel.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        for job in jobs {
            jobs_impl::insert(&mut tx, job, now).await?;
        }
        tx.commit().await.map_err(db)?;
        rel.revision += 1;
        Ok(())
    }

    async fn proposals_due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Relationship>> {
        let sql = format!(
            "SELECT {REL_COLUMNS} FROM relationships WHERE state = 'proposed' AND expires_at <= $1 \
             ORDER BY expires_at, id LIMIT $2"
        );
        let found: Vec<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        hydrate_all(&self.pool, found).await
    }

    async fn insert_goal(&self, g: &Goal) -> StoreResult<GoalId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO goals (guild_id, relationship_id, title, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(sf(g.guild.0))
        .bind(g.relationship.0)
        .bind(&g.title)
        .bind(g.status.as_str())
        .bind(sf(g.created_by.0))
        .bind(ms(g.created_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(GoalId(id))
    }

    async fn update_goal(&self, g: &Goal) -> StoreResult<()> {
        sqlx::query("UPDATE goals SET title = $1, status = $2 WHERE guild_id = $3 AND id = $4")
            .bind(&g.title)
            .bind(g.status.as_str())
            .bind(sf(g.guild.0))
            .bind(g.id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_step(&self, guild: GuildId, s: &Step) -> StoreResult<StepId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO steps (guild_id, goal_id, text, owner_id, due, status, updated_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(sf(guild.0))
        .bind(s.goal.0)
        .bind(&s.text)
        .bind(s.owner.map(|u| sf(u.0)))
        .bind(s.due.map(|d| d.to_string()))
        .bind(s.status.as_str())
        .bind(ms(s.updated_at))
        .bind(s.created_by.map(|u| sf(u.0)))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(StepId(id))
    }

    async fn update_step(&self, guild: GuildId, s: &Step) -> StoreResult<()> {
        sqlx::query("UPDATE steps SET text = $1, owner_id = $2, due = $3, status = $4, updated_at = $5 WHERE guild_id = $6 AND id = $7")
            .bind(&s.text)
            .bind(s.owner.map(|u| sf(u.0)))
            .bind(s.due.map(|d| d.to_string()))
            .bind(s.status.as_str())
            .bind(ms(s.updated_at))
            .bind(sf(guild.0))
            .bind(s.id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn goals(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Goal>> {
        let goals: Vec<GoalRow> =
            sqlx::query_as("SELECT * FROM goals WHERE guild_id = $1 AND relationship_id = $2 ORDER BY id")
                .bind(sf(guild.0))
                .bind(rel.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        let steps: Vec<StepRow> = sqlx::query_as(
            "SELECT s.id, s.goal_id, s.text, s.owner_id, s.due, s.status, s.updated_at, s.created_by FROM steps s \
             JOIN goals g ON g.id = s.goal_id WHERE g.guild_id = $1 AND g.relationship_id = $2 ORDER BY s.id",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        goals.into_iter().map(|g| rows::goal(g, &steps)).collect()
    }

    async fn insert_checkin(&self, c: &Checkin) -> StoreResult<CheckinId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO checkins (guild_id, relationship_id, scheduled_at, status, reported_by, reported_at, note, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(sf(c.guild.0))
        .bind(c.relationship.0)
        .bind(ms(c.scheduled_at))
        .bind(c.status.as_str())
        .bind(c.reported_by.map(|u| sf(u.0)))
        .bind(ms_opt(c.reported_at))
        .bind(&c.note)
        .bind(c.source.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(CheckinId(id))
    }

    async fn update_checkin(&self, c: &Checkin) -> StoreResult<()> {
        sqlx::query(
            "UPDATE checkins SET scheduled_at = $1, status = $2, reported_by = $3, reported_at = $4, note = $5 \
             WHERE guild_id = $6 AND id = $7",
        )
        .bind(ms(c.scheduled_at))
        .bind(c.status.as_str())
        .bind(c.reported_by.map(|u| sf(u.0)))
        .bind(ms_opt(c.reported_at))
        .bind(&c.note)
        .bind(sf(c.guild.0))
        .bind(c.id.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn checkin(&self, guild: GuildId, id: CheckinId) -> StoreResult<Option<Checkin>> {
        let row: Option<CheckinRow> = sqlx::query_as("SELECT * FROM checkins WHERE guild_id = $1 AND id = $2")
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Checkin::try_from).transpose()
    }

    async fn checkins(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Checkin>> {
        let rows: Vec<CheckinRow> = sqlx::query_as(
            "SELECT * FROM checkins WHERE guild_id = $1 AND relationship_id = $2 ORDER BY scheduled_at, id",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(Checkin::try_from).collect()
    }

    async fn insert_journal_entry(&self, e: &JournalEntry) -> StoreResult<JournalEntryId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO journal_entries (guild_id, relationship_id, author_id, checkin_id, answers, shared, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(sf(e.guild.0))
        .bind(e.relationship.0)
        .bind(sf(e.author.0))
        .bind(e.checkin.map(|c| c.0))
        .bind(json(&e.answers))
        .bind(e.shared)
        .bind(ms(e.created_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(JournalEntryId(id))
    }

    async fn journal_entry(&self, guild: GuildId, id: JournalEntryId) -> StoreResult<Option<JournalEntry>> {
        let row: Option<JournalRow> = sqlx::query_as("SELECT * FROM journal_entries WHERE guild_id = $1 AND id = $2")
            .bind(sf(guild.0))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(JournalEntry::try_from).transpose()
    }

    async fn update_journal_entry(&self, e: &JournalEntry) -> StoreResult<()> {
        sqlx::query("UPDATE journal_entries SET shared = $1 WHERE guild_id = $2 AND id = $3 AND author_id = $4")
            .bind(e.shared)
            .bind(sf(e.guild.0))
            .bind(e.id.0)
            .bind(sf(e.author.0))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn journal_of(&self, guild: GuildId, author: UserId, rel: Option<RelationshipId>) -> StoreResult<Vec<JournalEntry>> {
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT * FROM journal_entries WHERE guild_id = $1 AND author_id = $2 \
             AND ($3 IS NULL OR relationship_id = $3) ORDER BY created_at, id",
        )
        .bind(sf(guild.0))
        .bind(sf(author.0))
        .bind(rel.map(|r| r.0))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(JournalEntry::try_from).collect()
    }

    async fn shared_journal(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<JournalEntry>> {
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT * FROM journal_entries WHERE guild_id = $1 AND relationship_id = $2 AND shared ORDER BY created_at, id",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(JournalEntry::try_from).collect()
    }

    async fn insert_retrospective(&self, r: &Retrospective) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO retrospectives (relationship_id, guild_id, author_id, learned, differently, celebrate, celebrate_publicly, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.relationship.0)
        .bind(sf(r.guild.0))
        .bind(sf(r.author.0))
        .bind(&r.learned)
        .bind(&r.differently)
        .bind(&r.celebrate)
        .bind(r.celebrate_publicly)
        .bind(ms(r.created_at))
        .execute(&self.pool)
        .await;
        match done {
            Ok(_) => Ok(()),
            Err(e) if is_unique(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(db(e)),
        }
    }

    async fn notification_prefs(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> StoreResult<Option<crate::domain::preferences::NotificationPrefs>> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT muted, reminder_leads FROM notification_prefs WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(sf(guild.0))
        .bind(sf(user.0))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|(muted, leads)| {
            Ok(crate::domain::preferences::NotificationPrefs {
                guild,
                user,
                muted: from_json(&muted)?,
                reminder_leads: leads.map(|l| from_json(&l)).transpose()?,
            })
        })
        .transpose()
    }

    async fn notification_prefs_among(
        &self,
        guilds: &[GuildId],
        users: &[UserId],
    ) -> StoreResult<Vec<crate::domain::preferences::NotificationPrefs>> {
        if guilds.is_empty() || users.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(concat!(
            "SELECT guild_id, user_id, muted, reminder_leads FROM notification_prefs WHERE ",
            col_in_json!("guild_id", "$1"),
            " AND ",
            col_in_json!("user_id", "$2")
        ))
        .bind(json(&guilds.iter().map(|g| sf(g.0)).collect::<Vec<i64>>()))
        .bind(json(&users.iter().map(|u| sf(u.0)).collect::<Vec<i64>>()))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(guild, user, muted, leads)| {
                Ok(crate::domain::preferences::NotificationPrefs {
                    guild: GuildId(usf(guild)),
                    user: UserId(usf(user)),
                    muted: from_json(&muted)?,
                    reminder_leads: leads.map(|l| from_json(&l)).transpose()?,
                })
            })
            .collect()
    }

    async fn save_notification_prefs(
        &self,
        p: &crate::domain::preferences::NotificationPrefs,
        jobs: &[super::jobs::NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO notification_prefs (guild_id, user_id, muted, reminder_leads, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, user_id) DO UPDATE SET \
             muted = excluded.muted, reminder_leads = excluded.reminder_leads, updated_at = excluded.updated_at",
        )
        .bind(sf(p.guild.0))
        .bind(sf(p.user.0))
        .bind(json(&p.muted))
        .bind(p.reminder_leads.as_ref().map(json))
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        for job in jobs {
            jobs_impl::insert(&mut tx, job, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn reopen_request(&self, q: &Request) -> StoreResult<()> {
        sqlx::query(
            "UPDATE requests SET purpose = $1, goals = $2, kinds = $3, styles = $4, status = $5, withdrawn_at = $6 \
             WHERE guild_id = $7 AND id = $8",
        )
        .bind(&q.purpose)
        .bind(json(&q.goals))
        .bind(json(&q.kinds))
        .bind(json(&q.styles))
        .bind(q.status.as_str())
        .bind(ms_opt(q.withdrawn_at))
        .bind(sf(q.guild.0))
        .bind(q.id.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_celebrate_publicly(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        author: UserId,
        on: bool,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE retrospectives SET celebrate_publicly = $1 WHERE guild_id = $2 AND relationship_id = $3 AND author_id = $4",
        )
        .bind(on)
        .bind(sf(guild.0))
        .bind(rel.0)
        .bind(sf(author.0))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    async fn program_settings(&self, guild: GuildId) -> StoreResult<Option<ProgramSettings>> {
        type SettingsRow = (
            Option<i64>,
            Option<i64>,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let row: Option<SettingsRow> = sqlx::query_as(
            "SELECT channel_id, coordinator_role_id, reminder_leads, proposal_expiry_days, digest_cron, timezone, \
             coordinator_channel_id, invitation_limit, decline_cooldown_days, agreement_versions_per_day \
             FROM program_settings WHERE guild_id = $1",
        )
        .bind(sf(guild.0))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let limit = |v: Option<i64>| v.map(|n| u32::try_from(n).map_err(rows::corrupt)).transpose();
        row.map(|(channel, role, leads, expiry, digest_cron, timezone, coordinator_channel, invitations, cooldown, versions)| {
            Ok(ProgramSettings {
                coordinator_channel: coordinator_channel.map(usf),
                limits: crate::domain::program::Limits {
                    open_invitations: limit(invitations)?,
                    decline_cooldown_days: limit(cooldown)?,
                    agreement_versions_per_day: limit(versions)?,
                },
                guild,
                channel: channel.map(usf),
                coordinator_role: role.map(usf),
                reminder_leads: from_json(&leads)?,
                proposal_expiry_days: u32::try_from(expiry).map_err(rows::corrupt)?,
                digest_cron,
                timezone: timezone
                    .map(|t| t.parse::<chrono_tz::Tz>().map_err(rows::corrupt))
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn save_program_settings(&self, s: &ProgramSettings) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO program_settings (guild_id, channel_id, coordinator_role_id, reminder_leads, proposal_expiry_days, \
             digest_cron, timezone, coordinator_channel_id, invitation_limit, decline_cooldown_days, \
             agreement_versions_per_day) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (guild_id) DO UPDATE SET \
             channel_id = excluded.channel_id, \
             coordinator_role_id = excluded.coordinator_role_id, reminder_leads = excluded.reminder_leads, \
             proposal_expiry_days = excluded.proposal_expiry_days, digest_cron = excluded.digest_cron, \
             timezone = excluded.timezone, coordinator_channel_id = excluded.coordinator_channel_id, \
             invitation_limit = excluded.invitation_limit, decline_cooldown_days = excluded.decline_cooldown_days, \
             agreement_versions_per_day = excluded.agreement_versions_per_day",
        )
        .bind(sf(s.guild.0))
        .bind(s.channel.map(sf))
        .bind(s.coordinator_role.map(sf))
        .bind(json(&s.reminder_leads))
        .bind(i64::from(s.proposal_expiry_days))
        .bind(s.digest_cron.as_deref())
        .bind(s.timezone.map(|t| t.name().to_string()))
        .bind(s.coordinator_channel.map(sf))
        .bind(s.limits.open_invitations.map(i64::from))
        .bind(s.limits.decline_cooldown_days.map(i64::from))
        .bind(s.limits.agreement_versions_per_day.map(i64::from))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn thread_of(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Option<u64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT channel_id FROM relationship_threads WHERE guild_id = $1 AND relationship_id = $2")
                .bind(sf(guild.0))
                .bind(rel.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(row.map(|(c,)| usf(c)))
    }

    async fn set_thread(&self, guild: GuildId, rel: RelationshipId, channel: u64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO relationship_threads (relationship_id, guild_id, channel_id) VALUES ($1, $2, $3) \
             ON CONFLICT (relationship_id) DO UPDATE SET channel_id = excluded.channel_id",
        )
        .bind(rel.0)
        .bind(sf(guild.0))
        .bind(sf(channel))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn retrospectives(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Retrospective>> {
        let rows: Vec<RetrospectiveRow> = sqlx::query_as(
            "SELECT * FROM retrospectives WHERE guild_id = $1 AND relationship_id = $2 ORDER BY created_at, author_id",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(Retrospective::try_from).collect()
    }

    async fn insert_scheduled_checkin(&self, c: &Checkin) -> StoreResult<CheckinId> {
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO checkins (guild_id, relationship_id, scheduled_at, status, source) \
             VALUES ($1, $2, $3, 'planned', 'schedule') \
             ON CONFLICT (relationship_id, scheduled_at) WHERE source = 'schedule' DO NOTHING RETURNING id",
        )
        .bind(sf(c.guild.0))
        .bind(c.relationship.0)
        .bind(ms(c.scheduled_at))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        if let Some((id,)) = inserted {
            return Ok(CheckinId(id));
        }
        let (id,): (i64,) = sqlx::query_as(
            "SELECT id FROM checkins WHERE guild_id = $1 AND relationship_id = $2 AND scheduled_at = $3 \
             AND source = 'schedule'",
        )
        .bind(sf(c.guild.0))
        .bind(c.relationship.0)
        .bind(ms(c.scheduled_at))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(CheckinId(id))
    }

    async fn delete_planned_checkins(&self, guild: GuildId, rel: RelationshipId, from: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM checkins WHERE guild_id = $1 AND relationship_id = $2 AND status = 'planned' \
             AND source <> 'manual' AND scheduled_at >= $3 \
             AND NOT EXISTS (SELECT 1 FROM journal_entries j WHERE j.checkin_id = checkins.id)",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .bind(ms(from))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn schedule_state(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Option<ScheduleState>> {
        let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT agreement_version, planned_from, planned_until FROM schedules \
             WHERE guild_id = $1 AND relationship_id = $2",
        )
        .bind(sf(guild.0))
        .bind(rel.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|(version, from, until)| {
            Ok(ScheduleState {
                guild,
                relationship: rel,
                agreement_version: version as u32,
                planned_from: rows::time(from)?,
                planned_until: rows::time_opt(until)?,
            })
        })
        .transpose()
    }

    async fn schedule_states(&self, rels: &[RelationshipId]) -> StoreResult<Vec<ScheduleState>> {
        if rels.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(concat!(
            "SELECT guild_id, relationship_id, agreement_version, planned_from, planned_until FROM schedules WHERE ",
            col_in_json!("relationship_id", "$1")
        ))
        .bind(json(&rels.iter().map(|r| r.0).collect::<Vec<i64>>()))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(guild, rel, version, from, until)| {
                Ok(ScheduleState {
                    guild: GuildId(usf(guild)),
                    relationship: RelationshipId(rel),
                    agreement_version: version as u32,
                    planned_from: rows::time(from)?,
                    planned_until: rows::time_opt(until)?,
                })
            })
            .collect()
    }

    async fn save_schedule_state(&self, st: &ScheduleState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO schedules (relationship_id, guild_id, agreement_version, planned_from, planned_until) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (relationship_id) DO UPDATE SET \
             agreement_version = excluded.agreement_version, planned_from = excluded.planned_from, \
             planned_until = excluded.planned_until",
        )
        .bind(st.relationship.0)
        .bind(sf(st.guild.0))
        .bind(i64::from(st.agreement_version))
        .bind(ms(st.planned_from))
        .bind(ms_opt(st.planned_until))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_schedule_state(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<()> {
        sqlx::query("DELETE FROM schedules WHERE guild_id = $1 AND relationship_id = $2")
            .bind(sf(guild.0))
            .bind(rel.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn active_relationships(&self) -> StoreResult<Vec<(GuildId, RelationshipId)>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT guild_id, id FROM relationships WHERE state = 'active' ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        Ok(rows.into_iter().map(|(g, r)| (GuildId(usf(g)), RelationshipId(r))).collect())
    }

    async fn relationship_links(&self, guild: GuildId) -> StoreResult<Vec<super::RelationshipLink>> {
        use crate::domain::relationship::{MemberStatus, State};
        let rels: Vec<(i64, i64, String, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT id, number, kind, state, offer_id, request_id FROM relationships WHERE guild_id = $1 ORDER BY id",
        )
        .bind(sf(guild.0))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let members: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT relationship_id, user_id, status FROM relationship_members WHERE guild_id = $1 \
             ORDER BY relationship_id, user_id",
        )
        .bind(sf(guild.0))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut by_rel: std::collections::HashMap<i64, Vec<(UserId, MemberStatus)>> = std::collections::HashMap::new();
        for (rel, user, status) in members {
            let status = MemberStatus::parse(&status).ok_or_else(|| rows::corrupt(format!("member status {status}")))?;
            by_rel.entry(rel).or_default().push((UserId(usf(user)), status));
        }
        rels.into_iter()
            .map(|(id, number, kind, state, offer, request)| {
                Ok(super::RelationshipLink {
                    id: RelationshipId(id),
                    number,
                    kind: kind.parse().map_err(rows::corrupt)?,
                    state: State::parse(&state).ok_or_else(|| rows::corrupt(format!("state {state}")))?,
                    offer: offer.map(OfferId),
                    request: request.map(RequestId),
                    members: by_rel.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn matching_weights(&self, guild: GuildId) -> StoreResult<Option<String>> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT weights FROM matching_settings WHERE guild_id = $1")
            .bind(sf(guild.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(row.and_then(|(w,)| w))
    }

    async fn set_matching_weights(&self, guild: GuildId, weights: Option<&str>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO matching_settings (guild_id, weights) VALUES ($1, $2) \
             ON CONFLICT (guild_id) DO UPDATE SET weights = excluded.weights",
        )
        .bind(sf(guild.0))
        .bind(weights)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn matching_bonus(&self, guild: GuildId) -> StoreResult<Option<f64>> {
        let row: Option<(f64,)> = sqlx::query_as("SELECT unplaced_bonus FROM matching_settings WHERE guild_id = $1")
            .bind(sf(guild.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(row.map(|(b,)| b))
    }

    async fn set_matching_bonus(&self, guild: GuildId, bonus: f64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO matching_settings (guild_id, unplaced_bonus) VALUES ($1, $2) \
             ON CONFLICT (guild_id) DO UPDATE SET unplaced_bonus = excluded.unplaced_bonus",
        )
        .bind(sf(guild.0))
        .bind(bonus)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn unplaced(&self, guild: GuildId) -> StoreResult<Vec<UserId>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM matching_unplaced WHERE guild_id = $1 ORDER BY user_id")
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.into_iter().map(|(u,)| UserId(usf(u))).collect())
    }

    async fn replace_unplaced(&self, guild: GuildId, users: &[UserId], at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM matching_unplaced WHERE guild_id = $1")
            .bind(sf(guild.0))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for user in users {
            sqlx::query(
                "INSERT INTO matching_unplaced (guild_id, user_id, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (guild_id, user_id) DO NOTHING",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .bind(ms(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn relationships_in(&self, guild: GuildId) -> StoreResult<Vec<Relationship>> {
        let sql = format!("SELECT {REL_COLUMNS} FROM relationships WHERE guild_id = $1 ORDER BY id");
        let found: Vec<RelationshipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        hydrate_all(&self.pool, found).await
    }

    async fn guild_checkins(&self, guild: GuildId) -> StoreResult<Vec<Checkin>> {
        let rows: Vec<CheckinRow> =
            sqlx::query_as("SELECT * FROM checkins WHERE guild_id = $1 ORDER BY relationship_id, scheduled_at, id")
                .bind(sf(guild.0))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter().map(Checkin::try_from).collect()
    }

    async fn reflected_checkins(&self, guild: GuildId) -> StoreResult<Vec<CheckinId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT checkin_id FROM journal_entries WHERE guild_id = $1 AND checkin_id IS NOT NULL \
             ORDER BY checkin_id",
        )
        .bind(sf(guild.0))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows.into_iter().map(|(c,)| CheckinId(c)).collect())
    }

    async fn program_guilds(&self) -> StoreResult<Vec<GuildId>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT guild_id FROM program_settings ORDER BY guild_id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(rows.into_iter().map(|(g,)| GuildId(usf(g))).collect())
    }

    async fn dm_channel(&self, user: UserId) -> StoreResult<Option<u64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT channel_id FROM dm_channels WHERE user_id = $1")
            .bind(sf(user.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(row.map(|(c,)| usf(c)))
    }

    async fn set_dm_channel(&self, user: UserId, channel: u64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO dm_channels (user_id, channel_id) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id",
        )
        .bind(sf(user.0))
        .bind(sf(channel))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn forget_dm_channel(&self, user: UserId) -> StoreResult<()> {
        sqlx::query("DELETE FROM dm_channels WHERE user_id = $1")
            .bind(sf(user.0))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
