// The SQL of `/program import` (issue 17), written once for both backends. Each backend module
// includes this file after `shared_sql.rs`, having defined `Db` and `Backend` (with its `pool`).

mod imports_impl {
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::{db, Backend};
    use crate::domain::ids::{GuildId, UserId};
    use crate::domain::listing::{Offer, Request};
    use crate::store::imports::{ImportStore, PendingImport};
    use crate::store::rows::{json, ms, sf, time, usf};
    use crate::store::StoreResult;

    #[async_trait]
    impl ImportStore for Backend {
        async fn save_pending_import(&self, p: &PendingImport, users: &[UserId]) -> StoreResult<i64> {
            let mut named = String::from(" ");
            for u in users.iter().chain([&p.organiser]) {
                named += &format!("{} ", u.0);
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO pending_imports (guild_id, organiser_id, created_at, plan, users) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(sf(p.guild.0))
            .bind(sf(p.organiser.0))
            .bind(ms(p.created_at))
            .bind(&p.plan)
            .bind(named)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
            Ok(id)
        }

        async fn pending_import(&self, guild: GuildId, id: i64) -> StoreResult<Option<PendingImport>> {
            let row: Option<(i64, i64, i64, i64, String)> = sqlx::query_as(
                "SELECT id, guild_id, organiser_id, created_at, plan FROM pending_imports \
                 WHERE guild_id = $1 AND id = $2",
            )
            .bind(sf(guild.0))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            row.map(|(id, g, o, at, plan)| {
                Ok(PendingImport {
                    id,
                    guild: GuildId(usf(g)),
                    organiser: UserId(usf(o)),
                    created_at: time(at)?,
                    plan,
                })
            })
            .transpose()
        }

        async fn delete_pending_import(&self, guild: GuildId, id: i64) -> StoreResult<bool> {
            let done = sqlx::query("DELETE FROM pending_imports WHERE guild_id = $1 AND id = $2")
                .bind(sf(guild.0))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(done.rows_affected() > 0)
        }

        async fn purge_pending_imports(&self, guild: GuildId, before: DateTime<Utc>) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM pending_imports WHERE guild_id = $1 AND created_at < $2")
                .bind(sf(guild.0))
                .bind(ms(before))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn forget_pending_imports(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            sqlx::query("DELETE FROM pending_imports WHERE guild_id = $1 AND users LIKE $2")
                .bind(sf(guild.0))
                .bind(format!("% {} %", user.0))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn update_offer_terms(&self, o: &Offer) -> StoreResult<()> {
            sqlx::query(
                "UPDATE offers SET purpose = $1, topics = $2, skills = $3, capacity = $4 \
                 WHERE guild_id = $5 AND id = $6",
            )
            .bind(&o.purpose)
            .bind(json(&o.topics))
            .bind(json(&o.skills))
            .bind(i64::from(o.capacity))
            .bind(sf(o.guild.0))
            .bind(o.id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn update_request_terms(&self, q: &Request) -> StoreResult<()> {
            sqlx::query("UPDATE requests SET purpose = $1, goals = $2 WHERE guild_id = $3 AND id = $4")
                .bind(&q.purpose)
                .bind(json(&q.goals))
                .bind(sf(q.guild.0))
                .bind(q.id.0)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }
    }
}
