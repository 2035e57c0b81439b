// The privacy store's SQL (see `privacy.rs`), written once for both backends. Each backend module
// includes this file after `shared_sql.rs`, having defined `Db` and `Backend` (with its `pool`).
// Placeholders are `$N`, which SQLite and PostgreSQL both accept.

mod privacy_impl {
    use std::collections::HashSet;

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::{db, Backend};
    use crate::domain::ids::{GuildId, UserId};
        use crate::store::privacy::{GuildMember, PrivacyStore, StoredDraft, REMOVED};
    use crate::store::rows::{corrupt, from_json, json, ms, sf, time, usf};
    use crate::store::{StoreError, StoreResult, ANONYMOUS_BELOW};

    #[async_trait]
    impl PrivacyStore for Backend {
        async fn upsert_member(&self, guild: GuildId, m: &GuildMember) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO guild_members (guild_id, user_id, is_bot, roles) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (guild_id, user_id) DO UPDATE SET is_bot = excluded.is_bot, roles = excluded.roles",
            )
            .bind(sf(guild.0))
            .bind(sf(m.user.0))
            .bind(m.bot)
            .bind(json(&m.roles))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn remove_member(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            sqlx::query("DELETE FROM guild_members WHERE guild_id = $1 AND user_id = $2")
                .bind(sf(guild.0))
                .bind(sf(user.0))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn replace_members(&self, guild: GuildId, members: &[GuildMember]) -> StoreResult<()> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            sqlx::query("DELETE FROM guild_members WHERE guild_id = $1")
                .bind(sf(guild.0))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            for m in members {
                sqlx::query(
                    "INSERT INTO guild_members (guild_id, user_id, is_bot, roles) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (guild_id, user_id) DO NOTHING",
                )
                .bind(sf(guild.0))
                .bind(sf(m.user.0))
                .bind(m.bot)
                .bind(json(&m.roles))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(())
        }

        async fn guild_member(&self, guild: GuildId, user: UserId) -> StoreResult<Option<GuildMember>> {
            let row: Option<(bool, String)> =
                sqlx::query_as("SELECT is_bot, roles FROM guild_members WHERE guild_id = $1 AND user_id = $2")
                    .bind(sf(guild.0))
                    .bind(sf(user.0))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
            row.map(|(bot, roles)| {
                Ok(GuildMember {
                    user,
                    bot,
                    roles: from_json(&roles)?,
                })
            })
            .transpose()
        }

        async fn members_with_role(&self, guild: GuildId, role: u64) -> StoreResult<Vec<UserId>> {
            let rows: Vec<(i64, bool, String)> = sqlx::query_as(
                "SELECT user_id, is_bot, roles FROM guild_members WHERE guild_id = $1 AND roles <> '[]' ORDER BY user_id",
            )
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            let mut out = Vec::new();
            for (user, bot, roles) in rows {
                let roles: Vec<u64> = from_json(&roles)?;
                if !bot && roles.contains(&role) {
                    out.push(UserId(usf(user)));
                }
            }
            Ok(out)
        }

        async fn put_draft(
            &self,
            key: u64,
            d: &StoredDraft,
            cap: u32,
            expired_before: DateTime<Utc>,
        ) -> StoreResult<()> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            sqlx::query("DELETE FROM drafts WHERE created_at < $1")
                .bind(ms(expired_before))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "INSERT INTO drafts (id, guild_id, user_id, draft, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(sf(key))
            .bind(sf(d.guild.0))
            .bind(sf(d.user.0))
            .bind(&d.draft)
            .bind(ms(d.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query(
                "DELETE FROM drafts WHERE user_id = $1 AND id NOT IN ( \
                     SELECT id FROM drafts WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)",
            )
            .bind(sf(d.user.0))
            .bind(i64::from(cap))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(())
        }

        async fn draft(&self, key: u64, user: UserId, created_after: DateTime<Utc>) -> StoreResult<Option<StoredDraft>> {
            let row: Option<(i64, String, i64)> = sqlx::query_as(
                "SELECT guild_id, draft, created_at FROM drafts WHERE id = $1 AND user_id = $2 AND created_at >= $3",
            )
            .bind(sf(key))
            .bind(sf(user.0))
            .bind(ms(created_after))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            row.map(|(guild, draft, at)| {
                Ok(StoredDraft {
                    guild: GuildId(usf(guild)),
                    user,
                    draft,
                    created_at: time(at)?,
                })
            })
            .transpose()
        }

        async fn delete_draft(&self, key: u64, user: UserId) -> StoreResult<()> {
            sqlx::query("DELETE FROM drafts WHERE id = $1 AND user_id = $2")
                .bind(sf(key))
                .bind(sf(user.0))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }

        async fn set_suggestable(&self, guild: GuildId, user: UserId, on: bool) -> StoreResult<bool> {
            let done = sqlx::query("UPDATE profiles SET suggestable = $3 WHERE guild_id = $1 AND user_id = $2")
                .bind(sf(guild.0))
                .bind(sf(user.0))
                .bind(on)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(done.rows_affected() > 0)
        }

        async fn suggestable(&self, guild: GuildId) -> StoreResult<HashSet<UserId>> {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM profiles WHERE guild_id = $1 AND suggestable = $2")
                .bind(sf(guild.0))
                .bind(true)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
            Ok(rows.into_iter().map(|(u,)| UserId(usf(u))).collect())
        }

        async fn is_suggestable(&self, guild: GuildId, user: UserId) -> StoreResult<bool> {
            let row: Option<(bool,)> =
                sqlx::query_as("SELECT suggestable FROM profiles WHERE guild_id = $1 AND user_id = $2")
                    .bind(sf(guild.0))
                    .bind(sf(user.0))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
            Ok(row.is_some_and(|(on,)| on))
        }

        async fn replace_suggestions(
            &self,
            guild: GuildId,
            user: UserId,
            shown: &[(UserId, String)],
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            sqlx::query("DELETE FROM suggestions WHERE guild_id = $1 AND user_id = $2")
                .bind(sf(guild.0))
                .bind(sf(user.0))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            for (other, what) in shown {
                sqlx::query(
                    "INSERT INTO suggestions (guild_id, user_id, other_id, kind, shown_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(sf(guild.0))
                .bind(sf(user.0))
                .bind(sf(other.0))
                .bind(what)
                .bind(ms(at))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(())
        }

        async fn was_suggested(
            &self,
            guild: GuildId,
            user: UserId,
            other: UserId,
            what: &str,
            since: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM suggestions WHERE guild_id = $1 AND user_id = $2 AND other_id = $3 \
                 AND kind = $4 AND shown_at >= $5",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .bind(sf(other.0))
            .bind(what)
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
            Ok(n > 0)
        }

        async fn forget_user(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            let (g, u) = (sf(guild.0), sf(user.0));
            let mut tx = self.pool.begin().await.map_err(db)?;
            // Their words first, while they are still named as the authors.
            for sql in [
                "DELETE FROM journal_entries WHERE guild_id = $1 AND author_id = $2",
                "DELETE FROM retrospectives WHERE guild_id = $1 AND author_id = $2",
                "UPDATE checkins SET note = NULL WHERE guild_id = $1 AND reported_by = $2",
                "UPDATE goals SET title = $3 WHERE guild_id = $1 AND created_by = $2",
                "UPDATE steps SET text = $3 WHERE guild_id = $1 AND created_by = $2",
                // The purpose they typed: in the proposals they sent, and the copy of their
                // request's purpose a published match made.
                "UPDATE relationships SET purpose = $3 WHERE guild_id = $1 AND ( \
                     (origin <> 'program_match' AND proposer_id = $2) \
                     OR (origin = 'program_match' AND kind <> 'peer' AND id IN ( \
                         SELECT relationship_id FROM relationship_members \
                         WHERE guild_id = $1 AND user_id = $2 AND role = 'mentee')))",
            ] {
                sqlx::query(sql)
                    .bind(g)
                    .bind(u)
                    .bind(REMOVED)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            // The job queue's delivery records name recipients as u<id> (members) or o<id>
            // (organisers); the jobs they belong to are this server's.
            sqlx::query(
                "DELETE FROM job_deliveries WHERE recipient IN ($2, $3) \
                 AND job_key IN (SELECT dedupe_key FROM jobs WHERE guild_id = $1)",
            )
            .bind(g)
            .bind(format!("u{}", user.0))
            .bind(format!("o{}", user.0))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let rels: Vec<(i64,)> =
                sqlx::query_as("SELECT relationship_id FROM relationship_members WHERE guild_id = $1 AND user_id = $2")
                    .bind(g)
                    .bind(u)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?;
            for (rel,) in rels {
                // Within the relationship the person becomes "member N": a number no Discord user
                // can have, so the others' history and the program's counts stay whole.
                let (anon,): (i64,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(user_id), 0) + 1 FROM relationship_members \
                     WHERE relationship_id = $1 AND user_id < $2",
                )
                .bind(rel)
                .bind(ANONYMOUS_BELOW)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                forget_agreement_words(&mut tx, rel, user).await?;
                sqlx::query(
                    "INSERT INTO relationship_members (relationship_id, guild_id, user_id, role, status, responded_at) \
                     SELECT relationship_id, guild_id, $3, role, status, responded_at FROM relationship_members \
                     WHERE relationship_id = $1 AND user_id = $2",
                )
                .bind(rel)
                .bind(u)
                .bind(anon)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                for sql in [
                    "UPDATE agreement_confirmations SET user_id = $3 WHERE relationship_id = $1 AND user_id = $2",
                    "UPDATE agreements SET author_id = $3 WHERE relationship_id = $1 AND author_id = $2",
                    "UPDATE relationships SET proposer_id = $3 WHERE id = $1 AND proposer_id = $2",
                    "UPDATE relationships SET ended_by = $3 WHERE id = $1 AND ended_by = $2",
                    "UPDATE relationships SET pair_low = $3 WHERE id = $1 AND pair_low = $2",
                    // The other may be "member N" already (both of a pair forgotten): the pair
                    // stays ordered, lowest first.
                    "UPDATE relationships SET pair_high = CASE WHEN pair_low < $3 THEN $3 ELSE pair_low END, \
                     pair_low = CASE WHEN pair_low < $3 THEN pair_low ELSE $3 END WHERE id = $1 AND pair_high = $2",
                    "UPDATE goals SET created_by = $3 WHERE relationship_id = $1 AND created_by = $2",
                    "UPDATE steps SET owner_id = $3 WHERE owner_id = $2 \
                     AND goal_id IN (SELECT id FROM goals WHERE relationship_id = $1)",
                    "UPDATE steps SET created_by = $3 WHERE created_by = $2 \
                     AND goal_id IN (SELECT id FROM goals WHERE relationship_id = $1)",
                    "UPDATE checkins SET reported_by = $3 WHERE relationship_id = $1 AND reported_by = $2",
                    "DELETE FROM relationship_members WHERE relationship_id = $1 AND user_id = $2",
                ] {
                    sqlx::query(sql)
                        .bind(rel)
                        .bind(u)
                        .bind(anon)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
            }
            for sql in [
                // An organiser who published matches and is not in them.
                "UPDATE relationships SET proposer_id = 0 WHERE guild_id = $1 AND proposer_id = $2",
                "UPDATE relationships SET ended_by = 0 WHERE guild_id = $1 AND ended_by = $2",
                "UPDATE relationships SET offer_id = NULL WHERE guild_id = $1 \
                 AND offer_id IN (SELECT id FROM offers WHERE guild_id = $1 AND user_id = $2)",
                "UPDATE relationships SET request_id = NULL WHERE guild_id = $1 \
                 AND request_id IN (SELECT id FROM requests WHERE guild_id = $1 AND user_id = $2)",
                "DELETE FROM offers WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM requests WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM profiles WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM notification_prefs WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM matching_unplaced WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM guild_members WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM suggestions WHERE guild_id = $1 AND (user_id = $2 OR other_id = $2)",
                "DELETE FROM drafts WHERE guild_id = $1 AND user_id = $2",
            ] {
                sqlx::query(sql).bind(g).bind(u).execute(&mut *tx).await.map_err(db)?;
            }
            // Others' drafts that name them (an invitation being typed).
            sqlx::query("DELETE FROM drafts WHERE guild_id = $1 AND draft LIKE $2")
                .bind(g)
                .bind(format!("%{}%", user.0))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            // The DM channel id is the same in every server: only a cache, reopened on the next DM.
            sqlx::query("DELETE FROM dm_channels WHERE user_id = $1")
                .bind(u)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(())
        }
    }

    /// In one relationship's agreement versions: the person's expectations go, and in the versions
    /// they wrote, the issue handling and the place (also where a later version kept them as
    /// they were).
    async fn forget_agreement_words(
        tx: &mut sqlx::Transaction<'static, super::Db>,
        rel: i64,
        user: UserId,
    ) -> StoreResult<()> {
        let versions: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT version, author_id, terms FROM agreements WHERE relationship_id = $1 ORDER BY version")
                .bind(rel)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?;
        let mut theirs: HashSet<String> = HashSet::new();
        for (_, author, text) in &versions {
            if usf(*author) == user.0 {
                let value: serde_json::Value = serde_json::from_str(text).map_err(corrupt)?;
                for key in ["issue_handling", "place"] {
                    if let Some(s) = value.get(key).and_then(|v| v.as_str()) {
                        theirs.insert(s.to_string());
                    }
                }
            }
        }
        for (version, _, text) in versions {
            let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| StoreError::Database(Box::new(e)))?;
            if let Some(list) = value.get_mut("expectations").and_then(|v| v.as_array_mut()) {
                list.retain(|e| e.get("user").and_then(|v| v.as_u64()) != Some(user.0));
            }
            if let Some(v) = value.get_mut("issue_handling") {
                if v.as_str().is_some_and(|s| theirs.contains(s)) {
                    *v = serde_json::Value::String(REMOVED.to_string());
                }
            }
            if let Some(v) = value.get_mut("place") {
                if v.as_str().is_some_and(|s| theirs.contains(s)) {
                    *v = serde_json::Value::Null;
                }
            }
            sqlx::query("UPDATE agreements SET terms = $3 WHERE relationship_id = $1 AND version = $2")
                .bind(rel)
                .bind(version)
                .bind(value.to_string())
                .execute(&mut **tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }
}
