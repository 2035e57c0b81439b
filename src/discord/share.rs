//! Discord's global rate limit holds for the bot, not for each process: every live process
//! takes an equal share of it. A process renews a row with a lease in the database (not a write
//! per request: one every third of the lease) and reads how many are live; the share is
//! recomputed at each renewal, so it follows processes that come, stop or die (their lease runs
//! out). A newcomer sends nothing until the others have had a renewal to see it, so the shares
//! never add up to more than the limit.
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{info, warn};

use super::pacer::{Limit, Pacer};
use crate::store::Store;

/// A process's share of `total` requests per second when `processes` are live (at least one).
pub fn share_of(total: u32, processes: u32) -> u32 {
    (total / processes.max(1)).max(1)
}

/// Keeps this process's row alive and its pacer at its share.
pub struct RateShare {
    pub store: Arc<dyn Store>,
    pub pacer: Arc<Pacer>,
    pub owner: String,
    /// The bot's limit, requests per second, over all processes.
    pub total: u32,
    pub lease: Duration,
}

impl RateShare {
    fn interval(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(100))
    }

    /// Holds the pacer until the first renewal, then renews for ever (abort the task to stop;
    /// [`RateShare::leave`] gives the share back at once).
    pub fn start(self: Arc<Self>) -> JoinHandle<()> {
        self.pacer.hold(Some(Instant::now() + self.lease));
        tokio::spawn(async move { self.run().await })
    }

    async fn run(&self) {
        let interval = self.interval();
        let mut first = true;
        let mut last_ok = Instant::now();
        loop {
            match self.store.renew_process(&self.owner, self.lease).await {
                Ok(n) => {
                    let share = share_of(self.total, n);
                    if self.pacer.global_limit().requests != share {
                        info!(processes = n, share, "share of Discord's global rate limit");
                    }
                    self.pacer.set_global_limit(Limit::per_second(share));
                    // The others learn of a newcomer at their next renewal, within an interval.
                    self.pacer.hold((first && n > 1).then(|| Instant::now() + interval));
                    first = false;
                    last_ok = Instant::now();
                }
                Err(e) => {
                    warn!(error = %e, "could not renew this process's share of the rate limit");
                    // Past the lease the others count this process out and take its share.
                    if last_ok.elapsed() + interval >= self.lease {
                        self.pacer.hold(Some(Instant::now() + interval));
                    }
                }
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// This process stops sending: the others may take its share.
    pub async fn leave(&self) {
        if let Err(e) = self.store.leave_process(&self.owner).await {
            warn!(error = %e, "could not give back this process's share of the rate limit");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::share_of;

    #[test]
    fn shares_never_add_up_to_more_than_the_limit() {
        for total in [1, 7, 50] {
            for n in 1..=60 {
                let s = share_of(total, n);
                assert!(s >= 1);
                assert!(s * n <= total || s == 1, "{total} over {n}: {s} each");
            }
        }
        assert_eq!(share_of(50, 1), 50);
        assert_eq!(share_of(50, 2), 25);
        assert_eq!(share_of(50, 3), 16);
        assert_eq!(share_of(50, 0), 50);
    }
}
