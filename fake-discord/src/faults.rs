//! Faults on demand, for the bot's fault-injection suite: a Discord that holds requests without
//! answering, answers late, or answers 429 to a share of them. (Dropping the gateway is
//! [`crate::FakeDiscord::drop_gateway`].) They apply to the requests Discord's global limit
//! binds, not to interaction answers and webhooks.
use std::time::Duration;

/// Which faults are on. Set with [`crate::FakeDiscord::set_faults`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Hold one request in this many without ever answering (the 1st of each run of this many
    /// is answered; the last is held).
    pub hang_every: Option<u32>,
    /// A held request was handled first (Discord did the work, the answer never came back), or
    /// never reached the routes.
    pub hang_after_handling: bool,
    /// Answer every request after this long.
    pub delay: Option<Duration>,
    /// Answer 429 (`global: false`, a short `retry_after`) to one request in this many, before
    /// handling it.
    pub storm_every: Option<u32>,
}

/// What the faults did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests the faults applied to.
    pub seen: u64,
    /// Requests held without an answer.
    pub hung: u64,
    /// Requests answered with an injected 429.
    pub stormed: u64,
    /// Requests answered late.
    pub delayed: u64,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Normal,
    HangBefore,
    HangAfter,
    Storm,
}

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub faults: Faults,
    pub stats: FaultStats,
}

/// The retry_after of an injected 429, seconds.
pub(crate) const STORM_RETRY_AFTER: f64 = 0.2;

impl FaultState {
    /// Decides the fate of the next request to `path` (after `/api/v10`).
    pub fn decide(&mut self, path: &str) -> Fate {
        if path.starts_with("/interactions/") || path.starts_with("/webhooks/") {
            return Fate::Normal;
        }
        let f = &self.faults;
        if f.hang_every.is_none() && f.storm_every.is_none() && f.delay.is_none() {
            return Fate::Normal;
        }
        self.stats.seen += 1;
        let n = self.stats.seen;
        if f.delay.is_some() {
            self.stats.delayed += 1;
        }
        if f.hang_every.is_some_and(|k| k > 0 && n.is_multiple_of(u64::from(k))) {
            self.stats.hung += 1;
            return if f.hang_after_handling {
                Fate::HangAfter
            } else {
                Fate::HangBefore
            };
        }
        if f.storm_every.is_some_and(|k| k > 0 && n.is_multiple_of(u64::from(k))) {
            self.stats.stormed += 1;
            return Fate::Storm;
        }
        Fate::Normal
    }
}
