//! The bot's live processes, for sharing Discord's global rate limit: each renews a row with a
//! lease on the database's clock (not its own), and a process whose lease ran out is gone.
use std::time::Duration;

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait ProcessStore: Send + Sync {
    /// Registers or renews `owner` until `lease` from now (the database's now), forgets the
    /// processes whose lease ran out, and returns how many are live, this one included.
    async fn renew_process(&self, owner: &str, lease: Duration) -> StoreResult<u32>;
    /// `owner` stops: the others may take its share at once.
    async fn leave_process(&self, owner: &str) -> StoreResult<()>;
}
