// The live processes' SQL, written once for both backends (see `processes.rs`). Each backend
// defines `processes_now_ms!()`, the database's clock in UTC milliseconds.

mod processes_impl {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::{db, Backend};
    use crate::store::processes::ProcessStore;
    use crate::store::StoreResult;

    #[async_trait]
    impl ProcessStore for Backend {
        async fn renew_process(&self, owner: &str, lease: Duration) -> StoreResult<u32> {
            let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
            sqlx::query(concat!(
                "INSERT INTO bot_processes (owner, lease_until) VALUES ($1, ",
                processes_now_ms!(),
                " + $2) ON CONFLICT (owner) DO UPDATE SET lease_until = excluded.lease_until"
            ))
            .bind(owner)
            .bind(lease_ms)
            .execute(&self.pool)
            .await
            .map_err(db)?;
            sqlx::query(concat!("DELETE FROM bot_processes WHERE lease_until < ", processes_now_ms!()))
                .execute(&self.pool)
                .await
                .map_err(db)?;
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bot_processes")
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
            Ok(u32::try_from(n.max(1)).unwrap_or(u32::MAX))
        }

        async fn leave_process(&self, owner: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM bot_processes WHERE owner = $1")
                .bind(owner)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(())
        }
    }
}
