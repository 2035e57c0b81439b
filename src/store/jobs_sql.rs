// The job queue's SQL, written once for both backends. Each backend module includes this file
// (after `shared_sql.rs`) having defined `Db`, `Backend` (with its `pool`), `enqueue_stmt` with
// `ENQUEUE_CHUNK` (the one part written per backend: the enqueue's rows `v` as arrays on
// PostgreSQL, a multi-row VALUES on SQLite) and these macros: `skip_locked!()`, the locking
// clause of the claim's candidate selects, empty on SQLite (one writer at a time, and the claim
// is a single UPDATE statement) and `FOR UPDATE SKIP LOCKED` on PostgreSQL (claimers in several
// processes lock disjoint rows and never wait for each other); `id_in_json!("$N")`, the
// condition that `id` is one of the integers of the JSON array bound at `$N` (`json_each` on
// SQLite; a `BIGINT[]` on PostgreSQL, so the primary key index drives the update);
// `claim_from_jobs!()` and `described!("column")`, how the claim's RETURNING reads the job's
// description beside its state; `db_now!()` and `analyze_jobs!()`.
//
// A job is two rows with the same id (migration 0023): what it is in `jobs` (written when it
// is planned), where it is in `job_state` (what claims, acknowledgements, retries and cancels
// change), so that the queue's hot updates touch a narrow table with few indexes.
// Placeholders are `$N`, which SQLite and PostgreSQL both accept.

// The enqueue's rules after the rows to plan (`v`, with the columns of [`NewJob`]), shared by
// each backend's batched statements (`enqueue_stmt`): a new key is inserted, a cancelled one
// revived, any other left alone, and nothing is planned before the purge horizon. `{now}` is
// the placeholder of the time and `{ids}` the condition that `id` is one of a JSON array's.
//
// A job is two rows (see migration 0023): its description in `jobs`, its state in `job_state`.
// First the descriptions of new keys; then the state of every key of `v` that has a description,
// which inserts the new ones and revives the cancelled ones (the state row is the one the
// claimers lock, so on PostgreSQL two enqueues reviving one key decide on its latest version,
// and only one revives it); last, only when some key was revived, its description gets the new
// values. The horizon is read when the description is inserted and when a state is revived.
macro_rules! enqueue_new_from_v {
    () => {
        "INSERT INTO jobs (guild_id, relationship_id, kind, dedupe_key, payload, created_at) \
         SELECT v.guild_id, v.relationship_id, v.kind, v.dedupe_key, v.payload, {now} \
         FROM v WHERE NOT EXISTS (SELECT 1 FROM job_horizon WHERE purged_before > v.run_at) \
         ON CONFLICT (dedupe_key) DO NOTHING \
         RETURNING id, dedupe_key"
    };
}
macro_rules! enqueue_state_from_v {
    () => {
        "INSERT INTO job_state (id, state, run_at, attempts, updated_at) \
         SELECT j.id, 'pending', v.run_at, 0, {now} FROM v JOIN jobs AS j ON j.dedupe_key = v.dedupe_key \
         WHERE true \
         ON CONFLICT (id) DO UPDATE SET state = 'pending', run_at = excluded.run_at, attempts = 0, \
           lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = excluded.updated_at, \
           finished_at = NULL \
         WHERE job_state.state = 'cancelled' \
           AND NOT EXISTS (SELECT 1 FROM job_horizon WHERE purged_before > excluded.run_at) \
         RETURNING id"
    };
}
macro_rules! enqueue_revived_from_v {
    () => {
        "UPDATE jobs SET guild_id = v.guild_id, relationship_id = v.relationship_id, kind = v.kind, \
           payload = v.payload \
         FROM v WHERE jobs.dedupe_key = v.dedupe_key AND {ids} \
         RETURNING jobs.id, jobs.dedupe_key"
    };
}
mod jobs_impl {
    use std::collections::HashSet;
    use std::time::Duration;

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::{db, Backend};
    use crate::domain::ids::{GuildId, RelationshipId};
    use crate::store::jobs::{Job, JobCounts, JobDelivery, JobId, JobState, JobStore, NewJob};
    use crate::store::rows::{corrupt, from_json, json, ms, sf, time, time_opt, usf};
    use crate::store::StoreResult;

    /// A whole job: its description (`j`) and its state (`s`).
    macro_rules! job_columns {
        () => {
            "j.id, j.guild_id, j.relationship_id, j.kind, j.dedupe_key, j.payload, s.run_at, s.state, \
             s.attempts, s.lease_owner, s.lease_until, s.last_error, j.created_at, s.updated_at, \
             s.finished_at FROM jobs AS j JOIN job_state AS s ON s.id = j.id"
        };
    }

    /// A batch that adds this many jobs refreshes the queue's statistics (see `analyze_jobs!`);
    /// one whose keys were all planned already (a catch-up after a short stop) changes nothing.
    const ANALYZE_AFTER: usize = 10_000;

    /// Candidates are taken from two index ranges (expired leases, due pending jobs), each
    /// already in order and limited, so a claim reads about `limit` rows however long the queue.
    /// The database's clock is read in a subquery: PostgreSQL computes it once, before the scan,
    /// so it bounds the lease index range; a volatile call in the condition itself would make it
    /// a filter over every running job (and the dead entries of every job acknowledged lately).
    ///
    /// Only the narrow `job_state` changes; the description comes along for RETURNING
    /// (`claim_from_jobs!` and `described!`, per backend: a join on PostgreSQL, a lookup by key
    /// on SQLite, whose RETURNING may not name another table).
    const CLAIM: &str = concat!(
        "UPDATE job_state SET state = 'running', lease_owner = $1, lease_until = ",
        db_now!(),
        " + $2, attempts = attempts + 1, updated_at = $3 ",
        claim_from_jobs!(),
        " job_state.id IN (SELECT id FROM ( \
             SELECT id, run_at FROM (SELECT id, run_at FROM job_state \
               WHERE state = 'running' AND lease_until <= (SELECT ",
        db_now!(),
        ") ORDER BY lease_until, id LIMIT $4",
        skip_locked!(),
        ") AS expired \
             UNION ALL \
             SELECT id, run_at FROM (SELECT id, run_at FROM job_state \
               WHERE state = 'pending' AND run_at <= $3 ORDER BY run_at, id LIMIT $4",
        skip_locked!(),
        ") AS due \
           ) AS candidates ORDER BY run_at, id LIMIT $4) \
         RETURNING job_state.id, ",
        described!("guild_id"),
        ", ",
        described!("relationship_id"),
        ", ",
        described!("kind"),
        ", ",
        described!("dedupe_key"),
        ", ",
        described!("payload"),
        ", job_state.run_at, job_state.state, job_state.attempts, job_state.lease_owner, \
         job_state.lease_until, job_state.last_error, ",
        described!("created_at"),
        ", job_state.updated_at, job_state.finished_at"
    );

    #[derive(sqlx::FromRow)]
    struct JobRow {
        id: i64,
        guild_id: i64,
        relationship_id: Option<i64>,
        kind: String,
        dedupe_key: String,
        payload: String,
        run_at: i64,
        state: String,
        attempts: i64,
        lease_owner: Option<String>,
        lease_until: Option<i64>,
        last_error: Option<String>,
        created_at: i64,
        updated_at: i64,
        finished_at: Option<i64>,
    }

    impl TryFrom<JobRow> for Job {
        type Error = crate::store::StoreError;

        fn try_from(r: JobRow) -> StoreResult<Job> {
            Ok(Job {
                id: JobId(r.id),
                guild: GuildId(usf(r.guild_id)),
                relationship: r.relationship_id.map(RelationshipId),
                kind: r.kind,
                dedupe_key: r.dedupe_key,
                payload: from_json(&r.payload)?,
                run_at: time(r.run_at)?,
                state: JobState::parse(&r.state).ok_or_else(|| corrupt(format!("job state {:?}", r.state)))?,
                attempts: u32::try_from(r.attempts).map_err(|_| corrupt(format!("job attempts {}", r.attempts)))?,
                lease_owner: r.lease_owner,
                lease_until: time_opt(r.lease_until)?,
                last_error: r.last_error,
                created_at: time(r.created_at)?,
                updated_at: time(r.updated_at)?,
                finished_at: time_opt(r.finished_at)?,
            })
        }
    }

    fn jobs(rows: Vec<JobRow>) -> StoreResult<Vec<Job>> {
        rows.into_iter().map(Job::try_from).collect()
    }

    /// A lease's length in milliseconds, added to the database's clock.
    fn lease_ms(lease: Duration) -> i64 {
        i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4).min(i64::MAX / 4)
    }

    /// Error texts are kept short: they are for people reading the table, not a log.
    fn short(error: &str) -> &str {
        match error.char_indices().nth(2000) {
            Some((i, _)) => &error[..i],
            None => error,
        }
    }

    /// Plans `jobs` (distinct keys) on `conn`, inside the caller's transaction (a job is two
    /// rows); returns the id and key of each one planned.
    async fn enqueue_rows(
        conn: &mut <super::Db as sqlx::Database>::Connection,
        jobs: &[&NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut planned: Vec<(i64, String)> =
            super::enqueue_stmt(&mut *conn, enqueue_new_from_v!(), jobs, now, None).await?;
        let stated: Vec<(i64,)> = super::enqueue_stmt(&mut *conn, enqueue_state_from_v!(), jobs, now, None).await?;
        if stated.len() > planned.len() {
            let new: HashSet<i64> = planned.iter().map(|(id, _)| *id).collect();
            let revived: Vec<i64> = stated.into_iter().map(|(id,)| id).filter(|id| !new.contains(id)).collect();
            let ids = json(&revived);
            let described: Vec<(i64, String)> =
                super::enqueue_stmt(&mut *conn, enqueue_revived_from_v!(), jobs, now, Some(&ids)).await?;
            planned.extend(described);
        }
        Ok(planned)
    }

    pub(super) async fn insert(
        conn: &mut <super::Db as sqlx::Database>::Connection,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<JobId>> {
        let planned = enqueue_rows(conn, &[job], now).await?;
        Ok(planned.first().map(|(id, _)| JobId(*id)))
    }

    #[async_trait]
    impl JobStore for Backend {
        async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Option<JobId>> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            let id = insert(&mut tx, job, now).await?;
            tx.commit().await.map_err(db)?;
            Ok(id)
        }

        async fn enqueue_many(&self, jobs: &[NewJob], now: DateTime<Utc>) -> StoreResult<Vec<Option<JobId>>> {
            // The first of each key is planned; a repeat answers `None`, as one-by-one would.
            let mut seen = HashSet::with_capacity(jobs.len());
            let firsts: Vec<usize> = (0..jobs.len())
                .filter(|&i| seen.insert(jobs[i].dedupe_key.as_str()))
                .collect();
            let mut out = vec![None; jobs.len()];
            if firsts.is_empty() {
                return Ok(out);
            }
            let mut tx = self.pool.begin().await.map_err(db)?;
            for chunk in firsts.chunks(super::ENQUEUE_CHUNK) {
                let rows: Vec<&NewJob> = chunk.iter().map(|&i| &jobs[i]).collect();
                let planned: std::collections::HashMap<String, i64> =
                    enqueue_rows(&mut tx, &rows, now).await?.into_iter().map(|(id, key)| (key, id)).collect();
                for &i in chunk {
                    out[i] = planned.get(&jobs[i].dedupe_key).map(|&id| JobId(id));
                }
            }
            tx.commit().await.map_err(db)?;
            if out.iter().filter(|id| id.is_some()).count() >= ANALYZE_AFTER {
                // A bulk plan (a start's catch-up) changes the queue's shape at once, long before
                // autovacuum looks again; without fresh statistics the claim's planner takes
                // the due range for a few rows and sorts the whole of it on every claim.
                if let Some(sql) = analyze_jobs!() {
                    sqlx::query(sql).execute(&self.pool).await.map_err(db)?;
                }
            }
            Ok(out)
        }

        async fn claim(&self, owner: &str, now: DateTime<Utc>, lease: Duration, limit: u32) -> StoreResult<Vec<Job>> {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let rows: Vec<JobRow> = sqlx::query_as(CLAIM)
                .bind(owner)
                .bind(lease_ms(lease))
                .bind(ms(now))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
            let mut claimed = jobs(rows)?;
            // RETURNING promises no order.
            claimed.sort_by_key(|j| (j.run_at, j.id));
            Ok(claimed)
        }

        async fn ack(&self, id: JobId, owner: &str, now: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(concat!(
                "UPDATE job_state SET state = 'done', updated_at = $3, finished_at = $3 ",
                "WHERE id = $1 AND state = 'running' AND lease_owner = $2"
            ))
            .bind(id.0)
            .bind(owner)
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn ack_many(&self, ids: &[JobId], owner: &str, now: DateTime<Utc>) -> StoreResult<Vec<JobId>> {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // The ids travel as one JSON array, so the statement text never changes.
            let list = json(&ids.iter().map(|id| id.0).collect::<Vec<i64>>());
            let rows: Vec<(i64,)> = sqlx::query_as(concat!(
                "UPDATE job_state SET state = 'done', updated_at = $1, finished_at = $1 ",
                "WHERE state = 'running' AND lease_owner = $2 AND ",
                id_in_json!("$3"),
                " RETURNING id"
            ))
            .bind(ms(now))
            .bind(owner)
            .bind(list)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            let mut acked: Vec<JobId> = rows.into_iter().map(|(id,)| JobId(id)).collect();
            acked.sort();
            Ok(acked)
        }

        async fn retry(
            &self,
            id: JobId,
            owner: &str,
            run_at: DateTime<Utc>,
            error: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let done = sqlx::query(concat!(
                "UPDATE job_state SET state = 'pending', run_at = $3, last_error = $4, lease_until = NULL, ",
                "updated_at = $5 WHERE id = $1 AND state = 'running' AND lease_owner = $2"
            ))
            .bind(id.0)
            .bind(owner)
            .bind(ms(run_at))
            .bind(short(error))
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn fail(&self, id: JobId, owner: &str, error: &str, now: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(concat!(
                "UPDATE job_state SET state = 'failed', last_error = $3, lease_until = NULL, updated_at = $4, ",
                "finished_at = $4 WHERE id = $1 AND state = 'running' AND lease_owner = $2"
            ))
            .bind(id.0)
            .bind(owner)
            .bind(short(error))
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn extend_lease(&self, id: JobId, owner: &str, now: DateTime<Utc>, lease: Duration) -> StoreResult<bool> {
            let done = sqlx::query(concat!(
                "UPDATE job_state SET lease_until = ",
                db_now!(),
                " + $3, updated_at = $4 ",
                "WHERE id = $1 AND state = 'running' AND lease_owner = $2"
            ))
            .bind(id.0)
            .bind(owner)
            .bind(lease_ms(lease))
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn release(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE job_state SET state = 'pending', lease_until = NULL, \
                   attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $1 \
                 WHERE state = 'running' AND lease_owner = $2",
            )
            .bind(ms(now))
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn cancel_pending_for_relationship(
            &self,
            guild: GuildId,
            rel: RelationshipId,
            now: DateTime<Utc>,
        ) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE job_state SET state = 'cancelled', updated_at = $3, finished_at = $3 \
                 WHERE state = 'pending' \
                   AND id IN (SELECT id FROM jobs WHERE guild_id = $1 AND relationship_id = $2)",
            )
            .bind(sf(guild.0))
            .bind(rel.0)
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn cancel_pending_after(
            &self,
            guild: GuildId,
            rel: RelationshipId,
            kind_prefix: Option<&str>,
            after: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE job_state SET state = 'cancelled', updated_at = $3, finished_at = $3 \
                 WHERE state = 'pending' AND run_at >= $4 \
                   AND id IN (SELECT id FROM jobs WHERE guild_id = $1 AND relationship_id = $2 \
                     AND ($5 IS NULL OR substr(kind, 1, length($5)) = $5))",
            )
            .bind(sf(guild.0))
            .bind(rel.0)
            .bind(ms(now))
            .bind(ms(after))
            .bind(kind_prefix)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn cancel_pending_with_key_prefix(
            &self,
            guild: GuildId,
            rel: RelationshipId,
            key_prefix: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE job_state SET state = 'cancelled', updated_at = $3, finished_at = $3 \
                 WHERE state = 'pending' \
                   AND id IN (SELECT id FROM jobs WHERE guild_id = $1 AND relationship_id = $2 \
                     AND substr(dedupe_key, 1, length($4)) = $4)",
            )
            .bind(sf(guild.0))
            .bind(rel.0)
            .bind(ms(now))
            .bind(key_prefix)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn drop_pending(&self, key: &str) -> StoreResult<bool> {
            // The state row first: it is the one a claimer locks, so a job claimed meanwhile is
            // seen running (and kept) rather than deleted under its worker.
            let mut tx = self.pool.begin().await.map_err(db)?;
            let dropped: Option<(i64,)> = sqlx::query_as(
                "DELETE FROM job_state WHERE state = 'pending' \
                 AND id = (SELECT id FROM jobs WHERE dedupe_key = $1) RETURNING id",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some((id,)) = dropped {
                sqlx::query("DELETE FROM jobs WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(dropped.is_some())
        }

        async fn extend_leases(&self, owner: &str, now: DateTime<Utc>, lease: Duration) -> StoreResult<u64> {
            let done = sqlx::query(concat!(
                "UPDATE job_state SET lease_until = ",
                db_now!(),
                " + $2, updated_at = $3 WHERE state = 'running' AND lease_owner = $1"
            ))
            .bind(owner)
            .bind(lease_ms(lease))
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn holds(&self, id: JobId, owner: &str) -> StoreResult<bool> {
            let (n,): (i64,) = sqlx::query_as(concat!(
                "SELECT COUNT(*) FROM job_state WHERE id = $1 AND state = 'running' AND lease_owner = $2 \
                 AND lease_until > ",
                db_now!()
            ))
            .bind(id.0)
            .bind(owner)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
            Ok(n == 1)
        }

        async fn deliveries(&self, job_key: &str) -> StoreResult<Vec<JobDelivery>> {
            let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
                "SELECT recipient, channel_id, message_id, sent_at FROM job_deliveries WHERE job_key = $1 \
                 ORDER BY recipient",
            )
            .bind(job_key)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            rows.into_iter()
                .map(|(recipient, channel, message, sent_at)| {
                    Ok(JobDelivery {
                        recipient,
                        channel: usf(channel),
                        message: usf(message),
                        sent_at: time(sent_at)?,
                    })
                })
                .collect()
        }

        async fn record_delivery(
            &self,
            job_key: &str,
            recipient: &str,
            channel: u64,
            message: u64,
            now: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let done = sqlx::query(
                "INSERT INTO job_deliveries (job_key, recipient, channel_id, message_id, sent_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_key, recipient) DO NOTHING",
            )
            .bind(job_key)
            .bind(recipient)
            .bind(sf(channel))
            .bind(sf(message))
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
            Ok(done.rows_affected() == 1)
        }

        async fn last_delivered_in(&self, channel: u64) -> StoreResult<Option<u64>> {
            let (max,): (Option<i64>,) =
                sqlx::query_as("SELECT MAX(message_id) FROM job_deliveries WHERE channel_id = $1")
                    .bind(sf(channel))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
            Ok(max.map(usf))
        }

        async fn purge_finished(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
            let mut tx = self.pool.begin().await.map_err(db)?;
            // The horizon first: from now on nothing due before it can be planned, so no deleted
            // key comes back.
            sqlx::query(
                "INSERT INTO job_horizon (id, purged_before) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET purged_before = excluded.purged_before \
                 WHERE job_horizon.purged_before < excluded.purged_before",
            )
            .bind(ms(before))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let keys: Vec<(i64, String)> = sqlx::query_as(
                "SELECT j.id, j.dedupe_key FROM job_state AS s JOIN jobs AS j ON j.id = s.id \
                 WHERE s.state IN ('done', 'failed', 'cancelled') \
                 AND s.finished_at < $1 AND s.run_at < $1 ORDER BY s.finished_at LIMIT $2",
            )
            .bind(ms(before))
            .bind(i64::from(limit.max(1)))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
            for (_, key) in &keys {
                sqlx::query("DELETE FROM job_deliveries WHERE job_key = $1")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            let ids = json(&keys.iter().map(|(id, _)| *id).collect::<Vec<i64>>());
            // The states first, still finished (a key revived meanwhile stays), then their jobs.
            let gone: Vec<(i64,)> = sqlx::query_as(concat!(
                "DELETE FROM job_state WHERE state IN ('done', 'failed', 'cancelled') AND ",
                id_in_json!("$1"),
                " RETURNING id"
            ))
            .bind(ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
            let gone = json(&gone.into_iter().map(|(id,)| id).collect::<Vec<i64>>());
            let done = sqlx::query(concat!("DELETE FROM jobs WHERE ", id_in_json!("$1")))
                .bind(gone)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(done.rows_affected())
        }

        async fn count_due(&self, now: DateTime<Utc>) -> StoreResult<u64> {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM job_state WHERE state = 'pending' AND run_at <= $1")
                .bind(ms(now))
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
            Ok(n as u64)
        }

        async fn job(&self, id: JobId) -> StoreResult<Option<Job>> {
            let row: Option<JobRow> = sqlx::query_as(concat!("SELECT ", job_columns!(), " WHERE j.id = $1"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
            row.map(Job::try_from).transpose()
        }

        async fn jobs_for_relationship(&self, guild: GuildId, rel: RelationshipId) -> StoreResult<Vec<Job>> {
            let rows: Vec<JobRow> = sqlx::query_as(concat!(
                "SELECT ",
                job_columns!(),
                " WHERE j.guild_id = $1 AND j.relationship_id = $2 ORDER BY s.run_at, j.id"
            ))
            .bind(sf(guild.0))
            .bind(rel.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            jobs(rows)
        }

        async fn counts(&self, guild: Option<GuildId>) -> StoreResult<JobCounts> {
            // All servers' counts need no description, so no join.
            let rows: Vec<(String, i64)> = match guild {
                None => sqlx::query_as("SELECT state, COUNT(*) FROM job_state GROUP BY state")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?,
                Some(g) => sqlx::query_as(
                    "SELECT s.state, COUNT(*) FROM job_state AS s JOIN jobs AS j ON j.id = s.id \
                     WHERE j.guild_id = $1 GROUP BY s.state",
                )
                .bind(sf(g.0))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?,
            };
            let mut counts = JobCounts::default();
            for (state, n) in rows {
                let n = u64::try_from(n).unwrap_or(0);
                match JobState::parse(&state) {
                    Some(JobState::Pending) => counts.pending = n,
                    Some(JobState::Running) => counts.running = n,
                    Some(JobState::Done) => counts.done = n,
                    Some(JobState::Failed) => counts.failed = n,
                    Some(JobState::Cancelled) => counts.cancelled = n,
                    None => return Err(corrupt(format!("job state {state:?}"))),
                }
            }
            Ok(counts)
        }
    }
}
