// The SQL of the organisers' log (issue 17), written once for both backends. Each backend module
// includes this file after `shared_sql.rs`, having defined `Db` and `Backend` (with its `pool`).

mod organisers_impl {
    use async_trait::async_trait;

    use super::{db, Backend};
    use crate::domain::ids::{GuildId, RelationshipId, UserId};
    use crate::store::organisers::{LogEntry, OrganiserLogStore};
    use crate::store::rows::{ms, sf, time, usf};
    use crate::store::StoreResult;

    type Row = (i64, i64, i64, String, Option<i64>, Option<i64>, Option<i64>);

    #[async_trait]
    impl OrganiserLogStore for Backend {
        async fn log_organiser_action(&self, e: &LogEntry) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO organiser_log (guild_id, at, actor_id, action, relationship_id, mentor_id, mentee_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(sf(e.guild.0))
            .bind(ms(e.at))
            .bind(sf(e.actor.0))
            .bind(&e.action)
            .bind(e.relationship.map(|r| r.0))
            .bind(e.mentor.map(|u| sf(u.0)))
            .bind(e.mentee.map(|u| sf(u.0)))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn organiser_log(&self, guild: GuildId, rel: Option<RelationshipId>) -> StoreResult<Vec<LogEntry>> {
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT guild_id, at, actor_id, action, relationship_id, mentor_id, mentee_id FROM organiser_log \
                 WHERE guild_id = $1 AND ($2 IS NULL OR relationship_id = $2) ORDER BY at, id",
            )
            .bind(sf(guild.0))
            .bind(rel.map(|r| r.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.into_iter()
                .map(|(g, at, actor, action, r, mentor, mentee)| {
                    Ok(LogEntry {
                        guild: GuildId(usf(g)),
                        at: time(at)?,
                        actor: UserId(usf(actor)),
                        action,
                        relationship: r.map(RelationshipId),
                        mentor: mentor.map(|u| UserId(usf(u))),
                        mentee: mentee.map(|u| UserId(usf(u))),
                    })
                })
                .collect()
        }

        async fn forget_in_organiser_log(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            for sql in [
                "UPDATE organiser_log SET actor_id = 0 WHERE guild_id = $1 AND actor_id = $2",
                "UPDATE organiser_log SET mentor_id = 0 WHERE guild_id = $1 AND mentor_id = $2",
                "UPDATE organiser_log SET mentee_id = 0 WHERE guild_id = $1 AND mentee_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(sf(guild.0))
                    .bind(sf(user.0))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
            }
            Ok(())
        }
    }
}
