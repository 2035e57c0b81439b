// The SQL of the process guide and evaluation (issue 13), written once for both backends. Each
// backend module includes this file after `shared_sql.rs`, having defined `Db` and `Backend`
// (with its `pool`). Placeholders are `$N`, which SQLite and PostgreSQL both accept.

mod guide_impl {
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::{db, Backend};
    use crate::domain::guide::{Evaluation, Fit, Phase, Resource};
    use crate::domain::ids::{GuildId, RelationshipId, UserId};
    use crate::store::guide::{EvaluationAnswer, GuideStore, TooManyResources};
    use crate::store::rows::{corrupt, ms, sf, time, time_opt, usf};
    use crate::store::StoreResult;

    type ResourceRow = (i64, i64, String, String, String, i64, Option<i64>);
    type EvaluationRow = (i64, i64, i64, Option<String>, Option<i64>, Option<bool>, i64);

    fn resource(r: ResourceRow) -> StoreResult<Resource> {
        Ok(Resource {
            id: r.0,
            guild: GuildId(usf(r.1)),
            phase: Phase::parse(&r.2).map_err(|_| corrupt(format!("phase {}", r.2)))?,
            title: r.3,
            body: r.4,
            created_at: time(r.5)?,
            removed_at: time_opt(r.6)?,
        })
    }

    fn evaluation(r: EvaluationRow) -> StoreResult<Evaluation> {
        Ok(Evaluation {
            guild: GuildId(usf(r.0)),
            relationship: RelationshipId(r.1),
            user: UserId(usf(r.2)),
            fit: match r.3 {
                Some(f) => Some(Fit::parse(&f).ok_or_else(|| corrupt(format!("fit {f}")))?),
                None => None,
            },
            value: r.4.map(|v| u8::try_from(v).map_err(|_| corrupt(format!("value {v}")))).transpose()?,
            again: r.5,
            updated_at: time(r.6)?,
        })
    }

    macro_rules! upsert_evaluation {
        ($column:literal) => {
            concat!(
                "INSERT INTO evaluations (guild_id, relationship_id, user_id, fit, value, again, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (relationship_id, user_id) DO UPDATE SET ",
                $column,
                " = excluded.",
                $column,
                ", updated_at = excluded.updated_at"
            )
        };
    }

    #[async_trait]
    impl GuideStore for Backend {
        async fn insert_resource(&self, r: &Resource, max: usize) -> StoreResult<Result<i64, TooManyResources>> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            // The server's criteria row is the lock two organisers adding at once take in turn
            // (a row lock on PostgreSQL, the write lock on SQLite).
            sqlx::query("INSERT INTO criteria_settings (guild_id, levels) VALUES ($1, NULL) ON CONFLICT (guild_id) DO NOTHING")
                .bind(sf(r.guild.0))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("UPDATE criteria_settings SET guild_id = guild_id WHERE guild_id = $1")
                .bind(sf(r.guild.0))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM program_resources WHERE guild_id = $1 AND removed_at IS NULL")
                    .bind(sf(r.guild.0))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
            if n as usize >= max {
                return Ok(Err(TooManyResources(n as usize)));
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO program_resources (guild_id, phase, title, body, created_at, removed_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL) RETURNING id",
            )
            .bind(sf(r.guild.0))
            .bind(r.phase.as_str())
            .bind(&r.title)
            .bind(&r.body)
            .bind(ms(r.created_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(Ok(id))
        }

        async fn resources(&self, guild: GuildId) -> StoreResult<Vec<Resource>> {
            let rows: Vec<ResourceRow> = sqlx::query_as(
                "SELECT id, guild_id, phase, title, body, created_at, removed_at FROM program_resources \
                 WHERE guild_id = $1 AND removed_at IS NULL ORDER BY id",
            )
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.into_iter().map(resource).collect()
        }

        async fn remove_resource(&self, guild: GuildId, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE program_resources SET removed_at = $3 WHERE guild_id = $1 AND id = $2 AND removed_at IS NULL",
            )
            .bind(sf(guild.0))
            .bind(id)
            .bind(ms(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn mark_welcomed(&self, guild: GuildId, user: UserId, at: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(
                "INSERT INTO member_welcomes (guild_id, user_id, welcomed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (guild_id, user_id) DO NOTHING",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .bind(ms(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn unmark_welcomed(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            sqlx::query("DELETE FROM member_welcomes WHERE guild_id = $1 AND user_id = $2")
                .bind(sf(guild.0))
                .bind(sf(user.0))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn save_evaluation(
            &self,
            guild: GuildId,
            rel: RelationshipId,
            user: UserId,
            answer: EvaluationAnswer,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            let (sql, fit, value, again) = match answer {
                EvaluationAnswer::Fit(f) => (upsert_evaluation!("fit"), Some(f.as_str()), None, None),
                EvaluationAnswer::Value(v) => (upsert_evaluation!("value"), None, Some(i64::from(v)), None),
                EvaluationAnswer::Again(a) => (upsert_evaluation!("again"), None, None, Some(a)),
            };
            sqlx::query(sql)
                .bind(sf(guild.0))
                .bind(rel.0)
                .bind(sf(user.0))
                .bind(fit)
                .bind(value)
                .bind(again)
                .bind(ms(at))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn evaluation(&self, guild: GuildId, rel: RelationshipId, user: UserId) -> StoreResult<Option<Evaluation>> {
            let row: Option<EvaluationRow> = sqlx::query_as(
                "SELECT guild_id, relationship_id, user_id, fit, value, again, updated_at FROM evaluations \
                 WHERE guild_id = $1 AND relationship_id = $2 AND user_id = $3",
            )
            .bind(sf(guild.0))
            .bind(rel.0)
            .bind(sf(user.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            row.map(evaluation).transpose()
        }

        async fn evaluations(&self, guild: GuildId, user: Option<UserId>) -> StoreResult<Vec<Evaluation>> {
            let rows: Vec<EvaluationRow> = sqlx::query_as(
                "SELECT guild_id, relationship_id, user_id, fit, value, again, updated_at FROM evaluations \
                 WHERE guild_id = $1 AND ($2 = 0 OR user_id = $2) ORDER BY relationship_id, user_id",
            )
            .bind(sf(guild.0))
            .bind(user.map_or(0, |u| sf(u.0)))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.into_iter().map(evaluation).collect()
        }

        async fn set_listing_purpose(&self, guild: GuildId, offer: bool, id: i64, purpose: &str) -> StoreResult<()> {
            let sql = if offer {
                "UPDATE offers SET purpose = $3 WHERE guild_id = $1 AND id = $2"
            } else {
                "UPDATE requests SET purpose = $3 WHERE guild_id = $1 AND id = $2"
            };
            sqlx::query(sql)
                .bind(sf(guild.0))
                .bind(id)
                .bind(purpose)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn forget_guide(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            for sql in [
                "DELETE FROM evaluations WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM member_welcomes WHERE guild_id = $1 AND user_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(sf(guild.0))
                    .bind(sf(user.0))
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(())
        }
    }
}
