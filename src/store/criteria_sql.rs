// The SQL of chemistry and formal criteria (issue 13), written once for both backends. Each
// backend module includes this file after `shared_sql.rs`, having defined `Db` and `Backend`
// (with its `pool`). Placeholders are `$N`, which SQLite and PostgreSQL both accept.

mod criteria_impl {
    use std::collections::HashMap;

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use sqlx::Transaction;

    use super::{db, Backend, Db};
    use crate::domain::ids::{GuildId, RequestId, UserId};
    use crate::domain::questions::{Answer, MemberCriteria, Question, QuestionId, Rule, Wish};
    use crate::store::criteria::{CriteriaStore, TooManyQuestions};
    use crate::store::rows::{corrupt, from_json, json, ms, sf, time, time_opt, usf};
    use crate::store::StoreResult;

    #[derive(sqlx::FromRow)]
    struct QuestionRow {
        id: i64,
        guild_id: i64,
        text: String,
        choices: String,
        multiple: bool,
        rule: String,
        pairs: String,
        weight: f64,
        phrase: Option<String>,
        preset: Option<String>,
        created_at: i64,
        removed_at: Option<i64>,
    }

    impl QuestionRow {
        fn question(self) -> StoreResult<Question> {
            Ok(Question {
                id: QuestionId(self.id),
                guild: GuildId(usf(self.guild_id)),
                text: self.text,
                choices: from_json(&self.choices)?,
                multiple: self.multiple,
                rule: Rule::parse(&self.rule).ok_or_else(|| corrupt(format!("rule {}", self.rule)))?,
                pairs: from_json(&self.pairs)?,
                weight: self.weight,
                phrase: self.phrase,
                preset: self.preset,
                created_at: time(self.created_at)?,
                removed_at: time_opt(self.removed_at)?,
            })
        }
    }

    const QUESTION_COLUMNS: &str =
        "id, guild_id, text, choices, multiple, rule, pairs, weight, phrase, preset, created_at, removed_at";

    fn answer(question: i64, user: i64, choices: &str, at: i64) -> StoreResult<Answer> {
        Ok(Answer {
            question: QuestionId(question),
            user: UserId(usf(user)),
            choices: from_json(choices)?,
            answered_at: time(at)?,
        })
    }

    /// Takes the server's criteria row for writing, so that counting the questions in use and
    /// adding one cannot interleave with another organiser's (a row lock on PostgreSQL, the
    /// database write lock on SQLite). Returns how many are in use.
    async fn lock_and_count(tx: &mut Transaction<'static, Db>, guild: GuildId) -> StoreResult<usize> {
        sqlx::query("INSERT INTO criteria_settings (guild_id, levels) VALUES ($1, NULL) ON CONFLICT (guild_id) DO NOTHING")
            .bind(sf(guild.0))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE criteria_settings SET guild_id = guild_id WHERE guild_id = $1")
            .bind(sf(guild.0))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM matching_questions WHERE guild_id = $1 AND removed_at IS NULL")
                .bind(sf(guild.0))
                .fetch_one(&mut **tx)
                .await
                .map_err(db)?;
        Ok(n as usize)
    }

    async fn insert_one(tx: &mut Transaction<'static, Db>, q: &Question) -> StoreResult<QuestionId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO matching_questions (guild_id, text, choices, multiple, rule, pairs, weight, phrase, preset, \
               created_at, removed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) RETURNING id",
        )
        .bind(sf(q.guild.0))
        .bind(&q.text)
        .bind(json(&q.choices))
        .bind(q.multiple)
        .bind(q.rule.as_str())
        .bind(json(&q.pairs))
        .bind(q.weight)
        .bind(&q.phrase)
        .bind(&q.preset)
        .bind(ms(q.created_at))
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
        Ok(QuestionId(id))
    }

    #[async_trait]
    impl CriteriaStore for Backend {
        async fn levels(&self, guild: GuildId) -> StoreResult<Vec<String>> {
            let row: Option<(Option<String>,)> =
                sqlx::query_as("SELECT levels FROM criteria_settings WHERE guild_id = $1")
                    .bind(sf(guild.0))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
            match row.and_then(|(l,)| l) {
                Some(text) => from_json(&text),
                None => Ok(Vec::new()),
            }
        }

        async fn set_levels(&self, guild: GuildId, levels: &[String]) -> StoreResult<()> {
            let value = (!levels.is_empty()).then(|| json(&levels));
            sqlx::query(
                "INSERT INTO criteria_settings (guild_id, levels) VALUES ($1, $2) \
                 ON CONFLICT (guild_id) DO UPDATE SET levels = excluded.levels",
            )
            .bind(sf(guild.0))
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn member_criteria(&self, guild: GuildId, user: UserId) -> StoreResult<MemberCriteria> {
            let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT profession, unit, level FROM member_criteria WHERE guild_id = $1 AND user_id = $2",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            Ok(row
                .map(|(profession, unit, level)| MemberCriteria { profession, unit, level })
                .unwrap_or_default())
        }

        async fn save_member_criteria(
            &self,
            guild: GuildId,
            user: UserId,
            c: &MemberCriteria,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            if c.is_empty() {
                sqlx::query("DELETE FROM member_criteria WHERE guild_id = $1 AND user_id = $2")
                    .bind(sf(guild.0))
                    .bind(sf(user.0))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO member_criteria (guild_id, user_id, profession, unit, level, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (guild_id, user_id) DO UPDATE SET profession = excluded.profession, \
                   unit = excluded.unit, level = excluded.level, updated_at = excluded.updated_at",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .bind(&c.profession)
            .bind(&c.unit)
            .bind(&c.level)
            .bind(ms(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn all_member_criteria(&self, guild: GuildId) -> StoreResult<HashMap<UserId, MemberCriteria>> {
            let rows: Vec<(i64, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT user_id, profession, unit, level FROM member_criteria WHERE guild_id = $1",
            )
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            Ok(rows
                .into_iter()
                .map(|(u, profession, unit, level)| (UserId(usf(u)), MemberCriteria { profession, unit, level }))
                .collect())
        }

        async fn criteria_values(&self, guild: GuildId, unit: bool) -> StoreResult<Vec<String>> {
            let sql = if unit {
                "SELECT DISTINCT unit FROM member_criteria WHERE guild_id = $1 AND unit IS NOT NULL ORDER BY 1"
            } else {
                "SELECT DISTINCT profession FROM member_criteria WHERE guild_id = $1 AND profession IS NOT NULL ORDER BY 1"
            };
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(sf(guild.0))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
            Ok(rows.into_iter().map(|(v,)| v).collect())
        }

        async fn set_request_wish(&self, guild: GuildId, request: RequestId, wish: Wish) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO request_criteria (request_id, guild_id, profession_wish) VALUES ($1, $2, $3) \
                 ON CONFLICT (request_id) DO UPDATE SET profession_wish = excluded.profession_wish",
            )
            .bind(request.0)
            .bind(sf(guild.0))
            .bind(wish.as_str())
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn request_wishes(&self, guild: GuildId) -> StoreResult<HashMap<RequestId, Wish>> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT request_id, profession_wish FROM request_criteria WHERE guild_id = $1")
                    .bind(sf(guild.0))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
            rows.into_iter()
                .map(|(r, w)| {
                    Ok((
                        RequestId(r),
                        Wish::parse(&w).ok_or_else(|| corrupt(format!("profession wish {w}")))?,
                    ))
                })
                .collect()
        }

        async fn insert_question(
            &self,
            question: &Question,
            max: usize,
        ) -> StoreResult<Result<QuestionId, TooManyQuestions>> {
            Ok(self
                .insert_questions(std::slice::from_ref(question), max)
                .await?
                .map(|ids| ids[0]))
        }

        async fn insert_questions(
            &self,
            questions: &[Question],
            max: usize,
        ) -> StoreResult<Result<Vec<QuestionId>, TooManyQuestions>> {
            let Some(first) = questions.first() else {
                return Ok(Ok(Vec::new()));
            };
            let mut tx = self.pool.begin().await.map_err(db)?;
            let in_use = lock_and_count(&mut tx, first.guild).await?;
            if in_use + questions.len() > max {
                // Now, not when the connection next goes back to the pool: the lock goes with it.
                tx.rollback().await.map_err(db)?;
                return Ok(Err(TooManyQuestions(in_use)));
            }
            let mut ids = Vec::with_capacity(questions.len());
            for q in questions {
                ids.push(insert_one(&mut tx, q).await?);
            }
            tx.commit().await.map_err(db)?;
            Ok(Ok(ids))
        }

        async fn questions(&self, guild: GuildId, with_removed: bool) -> StoreResult<Vec<Question>> {
            let filter = if with_removed { "" } else { " AND removed_at IS NULL" };
            let sql = format!("SELECT {QUESTION_COLUMNS} FROM matching_questions WHERE guild_id = $1{filter} ORDER BY id");
            let rows: Vec<QuestionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(sf(guild.0))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
            rows.into_iter().map(QuestionRow::question).collect()
        }

        async fn question(&self, guild: GuildId, id: QuestionId) -> StoreResult<Option<Question>> {
            let sql = format!("SELECT {QUESTION_COLUMNS} FROM matching_questions WHERE guild_id = $1 AND id = $2");
            let row: Option<QuestionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(sf(guild.0))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
            row.map(QuestionRow::question).transpose()
        }

        async fn remove_question(&self, guild: GuildId, id: QuestionId, at: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE matching_questions SET removed_at = $3 WHERE guild_id = $1 AND id = $2 AND removed_at IS NULL",
            )
            .bind(sf(guild.0))
            .bind(id.0)
            .bind(ms(at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn save_answer(&self, guild: GuildId, a: &Answer) -> StoreResult<()> {
            if a.choices.is_empty() {
                sqlx::query("DELETE FROM question_answers WHERE guild_id = $1 AND question_id = $2 AND user_id = $3")
                    .bind(sf(guild.0))
                    .bind(a.question.0)
                    .bind(sf(a.user.0))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO question_answers (question_id, guild_id, user_id, choices, answered_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (question_id, user_id) DO UPDATE SET choices = excluded.choices, \
                   answered_at = excluded.answered_at",
            )
            .bind(a.question.0)
            .bind(sf(guild.0))
            .bind(sf(a.user.0))
            .bind(json(&a.choices))
            .bind(ms(a.answered_at))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(())
        }

        async fn answers_of(&self, guild: GuildId, user: UserId) -> StoreResult<Vec<Answer>> {
            let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                "SELECT question_id, user_id, choices, answered_at FROM question_answers \
                 WHERE guild_id = $1 AND user_id = $2 ORDER BY question_id",
            )
            .bind(sf(guild.0))
            .bind(sf(user.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.iter().map(|(q, u, c, at)| answer(*q, *u, c, *at)).collect()
        }

        async fn answers_in(&self, guild: GuildId) -> StoreResult<Vec<Answer>> {
            let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                "SELECT a.question_id, a.user_id, a.choices, a.answered_at FROM question_answers a \
                 JOIN matching_questions q ON q.id = a.question_id AND q.guild_id = a.guild_id \
                 WHERE a.guild_id = $1 AND q.removed_at IS NULL ORDER BY a.question_id, a.user_id",
            )
            .bind(sf(guild.0))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.iter().map(|(q, u, c, at)| answer(*q, *u, c, *at)).collect()
        }

        async fn forget_criteria(&self, guild: GuildId, user: UserId) -> StoreResult<()> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            for sql in [
                "DELETE FROM question_answers WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM member_criteria WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM request_criteria WHERE guild_id = $1 AND request_id IN \
                   (SELECT id FROM requests WHERE guild_id = $1 AND user_id = $2)",
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
