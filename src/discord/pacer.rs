//! Paces the bot's own requests to Discord, per bucket and in all, so a burst of reminders is
//! spread under the limits instead of drawing 429s. serenity's limiter alone lets a burst of
//! concurrent requests through before it knows a bucket's limit, and a global 429 there pauses
//! only the route that got it.
//!
//! Every sender asks for a slot; the pacer hands out slots so that no bucket ever has more than
//! its limit in any span of its window (plus a margin for the time a request takes to reach
//! Discord), and the global slots are also spread evenly. Plain Rust: the decisions take the
//! current instant as an argument, so the tests drive them with instants of their own.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// At most `requests` requests in any span of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub requests: u32,
    pub per: Duration,
}

impl Limit {
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// `requests` per second.
    pub const fn per_second(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(1))
    }

    /// Requests a few ms apart at the bot can arrive closer together at Discord, whose windows
    /// start at the arrival of their first request; the margin keeps the next window's first
    /// request out of the current one. A 25th of the window costs 4% of the throughput.
    fn margin(&self) -> Duration {
        (self.per / 25).max(Duration::from_millis(20))
    }

    fn spacing(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

/// The sends of one bucket (or of all, for the global one).
#[derive(Debug)]
struct Window {
    /// `None`: not known yet, and no default; only the global limit applies.
    limit: Option<Limit>,
    /// The limit came from Discord's headers rather than from a default.
    learned: bool,
    /// Spread slots evenly rather than letting a whole window's worth go at once.
    spaced: bool,
    /// Slots handed out, ascending; only the last `limit.requests` matter.
    sent: VecDeque<Instant>,
    /// The slots of retries serenity sends by itself after a 429, which may lie ahead of
    /// later slots (see [`Pacer::expect_retry`]).
    retries: Vec<Instant>,
    paused_until: Option<Instant>,
}

/// Every channel the bot posts in is a bucket; past this many, the idle ones are forgotten (with
/// what was learned of them: a channel's limit is the same default for all).
const PRUNE_AT: usize = 4096;

/// How many slots to remember while a bucket's limit is unknown, so a limit learned later
/// applies to the recent past too.
const KEEP_UNKNOWN: usize = 64;

impl Window {
    fn new(limit: Option<Limit>, spaced: bool) -> Self {
        Self {
            limit,
            learned: false,
            spaced,
            sent: VecDeque::new(),
            retries: Vec::new(),
            paused_until: None,
        }
    }

    /// The earliest instant at or after `now` at which one more request fits.
    fn earliest(&self, now: Instant) -> Instant {
        let mut t = now;
        if let Some(p) = self.paused_until {
            t = t.max(p);
        }
        let Some(limit) = self.limit else { return t };
        let n = limit.requests.max(1) as usize;
        if self.sent.len() >= n {
            // Completions can come back out of order: the n-th latest, not the n-th last.
            let mut recent: Vec<Instant> = self.sent.iter().copied().collect();
            recent.sort_unstable();
            t = t.max(recent[recent.len() - n] + limit.per + limit.margin());
        }
        if self.spaced {
            if let Some(&latest) = self.sent.iter().max() {
                t = t.max(latest + limit.spacing());
            }
        }
        self.around_retries(t, limit)
    }

    /// `t`, moved on until it also leaves room for the retries serenity will send by itself
    /// (see [`Pacer::expect_retry`]), which may lie ahead of it: no window of the limit's length
    /// that holds it is full (counting every slot within a window's length either side), and,
    /// spaced, it is a spacing away from each retry.
    fn around_retries(&self, mut t: Instant, limit: Limit) -> Instant {
        if self.retries.is_empty() {
            return t;
        }
        let n = limit.requests.max(1) as usize;
        let window = limit.per + limit.margin();
        let mut slots: Vec<Instant> = self.sent.iter().chain(&self.retries).copied().collect();
        slots.sort_unstable();
        loop {
            let from = t;
            let near: Vec<Instant> = slots
                .iter()
                .copied()
                .filter(|s| *s + window > t && *s < t + window)
                .collect();
            if near.len() >= n {
                t = t.max(near[near.len() - n] + window);
            }
            if self.spaced {
                for &r in &self.retries {
                    if r + limit.spacing() > t && r < t + limit.spacing() {
                        t = r + limit.spacing();
                    }
                }
            }
            if t == from {
                return t;
            }
        }
    }

    fn commit(&mut self, at: Instant) {
        self.sent.push_back(at);
        let keep = self.limit.map_or(KEEP_UNKNOWN, |l| l.requests.max(1) as usize);
        while self.sent.len() > keep {
            self.sent.pop_front();
        }
        self.forget_retries(at);
    }

    /// Retries a window's length before `now` can hold nothing back any more.
    fn forget_retries(&mut self, now: Instant) {
        let window = self.limit.map_or(Duration::ZERO, |l| l.per + l.margin());
        self.retries.retain(|r| *r + window > now);
    }

    /// A request sent in the slot at `slot` was answered at `at`. Discord opened its window
    /// when the request arrived, which is no later than the answer, but may be well after the
    /// slot on a busy machine; counting the window from the answer keeps the next window's first
    /// request out of it.
    fn complete(&mut self, slot: Instant, at: Instant) {
        if let Some(entry) = self.sent.iter_mut().rev().find(|e| **e == slot) {
            *entry = (*entry).max(at);
        }
    }

    /// Nothing it remembers can hold back a request any more.
    fn idle(&self, now: Instant) -> bool {
        let per = self.limit.map_or(Duration::ZERO, |l| l.per + l.margin());
        self.paused_until.is_none_or(|p| p <= now)
            && self.sent.back().is_none_or(|&last| last + per <= now)
            && self.retries.iter().all(|&r| r + per <= now)
    }

    fn paused_past(&self, at: Instant) -> bool {
        self.paused_until.is_some_and(|p| p > at)
    }
}

#[derive(Debug)]
struct State {
    global: Window,
    buckets: HashMap<String, Window>,
    /// Forget idle buckets when there are this many.
    prune_at: usize,
    /// Nothing goes before then (the process's share of the global limit is not settled yet).
    hold_until: Option<Instant>,
}

/// What a sender gets when it asks for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The slot is taken: send at this instant.
    Slot(Instant),
    /// The bucket is full (or paused) until then: ask again at that instant.
    Retry(Instant),
}

/// Shared by every sender of the process.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// Wakes the senders waiting on a bucket when its limit changes, since they computed their
    /// wait from the old one.
    changed: Notify,
}

impl Pacer {
    /// A pacer with this global limit (Discord's: 50 requests per second).
    pub fn new(global: Limit) -> Self {
        Self {
            state: Mutex::new(State {
                global: Window::new(Some(global), true),
                buckets: HashMap::new(),
                prune_at: PRUNE_AT,
                hold_until: None,
            }),
            changed: Notify::new(),
        }
    }

    pub fn global_limit(&self) -> Limit {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.global.limit.expect("the global limit is always set")
    }

    /// Changes the global limit (this process's share of the bot's, see `discord::share`).
    pub fn set_global_limit(&self, limit: Limit) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let changed = st.global.limit != Some(limit);
        st.global.limit = Some(limit);
        drop(st);
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// Nothing is sent before `until` (`None`: the hold ends now).
    pub fn hold(&self, until: Option<Instant>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.hold_until = until;
        drop(st);
        self.changed.notify_waiters();
    }

    /// Takes a slot in `bucket` (whose limit is `default` until Discord tells another) and in
    /// the global limit, if the bucket has room at `now`.
    pub fn reserve(&self, bucket: &str, default: Option<Limit>, now: Instant) -> Reservation {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hold) = st.hold_until.filter(|h| *h > now) {
            return Reservation::Retry(hold);
        }
        let State {
            global,
            buckets,
            prune_at,
            ..
        } = &mut *st;
        if buckets.len() >= *prune_at && !buckets.contains_key(bucket) {
            buckets.retain(|_, w| !w.idle(now));
            // A burst to many channels keeps them all busy; scan again only when twice as many.
            *prune_at = PRUNE_AT.max(2 * buckets.len());
        }
        let b = buckets
            .entry(bucket.to_string())
            .or_insert_with(|| Window::new(default, false));
        let ready = b.earliest(now);
        if ready > now {
            return Reservation::Retry(ready);
        }
        // Global slots are taken in order, so the bucket's own slots stay in order too.
        let slot = global.earliest(now);
        global.commit(slot);
        b.commit(slot);
        Reservation::Slot(slot)
    }

    /// Whether a pause that came in after the slot at `at` was handed out covers it.
    pub fn paused_past(&self, bucket: &str, at: Instant) -> bool {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.global.paused_past(at) || st.buckets.get(bucket).is_some_and(|b| b.paused_past(at))
    }

    /// The request sent in the slot at `slot` was answered at `at` (see [`Window::complete`]).
    pub fn complete(&self, bucket: &str, slot: Instant, at: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.global.complete(slot, at);
        if let Some(b) = st.buckets.get_mut(bucket) {
            b.complete(slot, at);
        }
    }

    /// Waits for a slot and returns when the request may go, with the slot's instant for
    /// [`Pacer::complete`].
    pub async fn acquire(&self, bucket: &str, default: Option<Limit>) -> Instant {
        loop {
            let changed = self.changed.notified();
            match self.reserve(bucket, default, Instant::now()) {
                Reservation::Retry(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
                Reservation::Slot(at) => {
                    tokio::time::sleep_until(at).await;
                    if !self.paused_past(bucket, at) {
                        return at;
                    }
                }
            }
        }
    }

    /// Discord answered 429: nothing more goes to `bucket` (to anything, for `None`) until
    /// `until`.
    pub fn pause(&self, bucket: Option<&str>, until: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let w = match bucket {
            None => &mut st.global,
            Some(b) => st
                .buckets
                .entry(b.to_string())
                .or_insert_with(|| Window::new(None, false)),
        };
        w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
    }

    /// serenity sends a request Discord answered 429 again by itself, at `at`, outside the
    /// pacer: its slot is taken here, in `bucket` (none for a global 429) and in the global
    /// limit, so the requests around it leave room for it and the bot as a whole stays under
    /// the global limit.
    pub fn expect_retry(&self, bucket: Option<&str>, at: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        st.global.forget_retries(now);
        st.global.retries.push(at);
        if let Some(b) = bucket.and_then(|b| st.buckets.get_mut(b)) {
            b.forget_retries(now);
            b.retries.push(at);
        }
        drop(st);
        self.changed.notify_waiters();
    }

    /// What Discord's headers said about a bucket: `requests` per window, with `reset_after`
    /// left of the current window. The time left is at most the window, and equals it when the
    /// request opened the window, so the largest one seen is the best guess of the window.
    pub fn learn(&self, bucket: &str, requests: u32, reset_after: Duration) {
        if requests == 0 || reset_after.is_zero() {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let b = st
            .buckets
            .entry(bucket.to_string())
            .or_insert_with(|| Window::new(None, false));
        let per = match (b.learned, b.limit) {
            (true, Some(l)) => l.per.max(reset_after),
            _ => reset_after,
        };
        let limit = Some(Limit::new(requests, per));
        let changed = b.limit != limit;
        b.limit = limit;
        b.learned = true;
        drop(st);
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// The limit the pacer applies to a bucket now.
    pub fn bucket_limit(&self, bucket: &str) -> Option<Limit> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.buckets.get(bucket).and_then(|b| b.limit)
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::*;

    const CHANNEL: &str = "/channels/1/messages";

    /// Runs senders that each ask for one slot at their start instant and ask again when told
    /// to, in the order their instants come; returns each sender's slot. No sleeping: the
    /// instants are the test's.
    fn simulate(p: &Pacer, senders: &[(&str, Option<Limit>, Instant)]) -> Vec<Instant> {
        let mut slots = vec![None; senders.len()];
        let mut queue: BinaryHeap<Reverse<(Instant, usize)>> =
            senders.iter().enumerate().map(|(i, s)| Reverse((s.2, i))).collect();
        while let Some(Reverse((now, i))) = queue.pop() {
            match p.reserve(senders[i].0, senders[i].1, now) {
                Reservation::Slot(at) => {
                    assert!(at >= now, "a slot is never in the past");
                    slots[i] = Some(at);
                }
                Reservation::Retry(at) => {
                    assert!(at > now, "a retry is later than now");
                    queue.push(Reverse((at, i)));
                }
            }
        }
        slots.into_iter().map(|s| s.expect("every sender got a slot")).collect()
    }

    /// The most slots that fall in any span of `per` (a window that starts at a slot).
    fn most_in_any_window(slots: &[Instant], per: Duration) -> usize {
        let mut s = slots.to_vec();
        s.sort();
        (0..s.len())
            .map(|i| s[i..].iter().take_while(|t| **t < s[i] + per).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_burst_is_spread_under_the_global_limit_and_close_to_it() {
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        let senders: Vec<_> = (0..500)
            .map(|i| (format!("/channels/{i}/messages"), t0))
            .collect::<Vec<_>>();
        let senders: Vec<_> = senders.iter().map(|(b, t)| (b.as_str(), None, *t)).collect();
        let slots = simulate(&p, &senders);
        assert_eq!(most_in_any_window(&slots, Duration::from_secs(1)), 50);
        // Even a window that starts a little late does not hold a 51st.
        assert_eq!(most_in_any_window(&slots, Duration::from_millis(1030)), 50);
        let last = *slots.iter().max().unwrap() - t0;
        let allowed = Duration::from_secs(500 / 50);
        assert!(
            last <= allowed.mul_f64(1.1),
            "took {last:?} for what the limit allows in {allowed:?}"
        );
        assert!(last >= allowed - Duration::from_secs(1), "{last:?}");
        // Spread evenly: never two at the same instant.
        let mut sorted = slots.clone();
        sorted.sort();
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(20)));
    }

    #[test]
    fn a_retry_serenity_sends_by_itself_takes_its_slot_in_the_global_limit() {
        // A 429 half a second into a burst: serenity will send that request again 300 ms later,
        // outside the pacer. The burst's own slots leave room for it.
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        let buckets: Vec<String> = (0..200).map(|i| format!("/channels/{i}/messages")).collect();
        let first: Vec<_> = buckets[..25].iter().map(|b| (b.as_str(), None, t0)).collect();
        let mut slots = simulate(&p, &first);
        let retry = t0 + Duration::from_millis(800);
        p.pause(Some(buckets[3].as_str()), retry);
        p.expect_retry(Some(buckets[3].as_str()), retry);
        let rest: Vec<_> = buckets[25..].iter().map(|b| (b.as_str(), None, t0)).collect();
        slots.extend(simulate(&p, &rest));
        let mut all = slots.clone();
        all.push(retry);
        assert_eq!(most_in_any_window(&all, Duration::from_secs(1)), 50);
        assert_eq!(most_in_any_window(&all, Duration::from_millis(1030)), 50);
        // Nothing within the spacing of the retry, and the burst goes on past it at full pace.
        assert!(slots
            .iter()
            .all(|s| s.max(&retry).duration_since(*s.min(&retry)) >= Duration::from_millis(20)));
        let last = *slots.iter().max().unwrap() - t0;
        assert!(last <= Duration::from_millis(4300), "{last:?}");
    }

    #[test]
    fn twenty_to_one_bucket_of_five_per_second_take_about_four_seconds() {
        // The case serenity alone answers with 30 429s and 30.6 s.
        let p = Pacer::new(Limit::per_second(50));
        let five = Some(Limit::per_second(5));
        let t0 = Instant::now();
        let senders = vec![(CHANNEL, five, t0); 20];
        let slots = simulate(&p, &senders);
        assert_eq!(most_in_any_window(&slots, Duration::from_secs(1)), 5);
        assert_eq!(most_in_any_window(&slots, Duration::from_millis(1030)), 5);
        let last = *slots.iter().max().unwrap() - t0;
        // Windows open at 0, 1.04, 2.08 and 3.12 s.
        assert!(last < Duration::from_millis(3300), "{last:?}");
        assert!(last >= Duration::from_secs(3), "{last:?}");
    }

    #[test]
    fn buckets_are_paced_apart_but_share_the_global_limit() {
        let p = Pacer::new(Limit::per_second(10));
        let five = Some(Limit::per_second(5));
        let t0 = Instant::now();
        let mut senders = vec![("/channels/1/messages", five, t0); 10];
        senders.extend(vec![("/channels/2/messages", five, t0); 10]);
        let slots = simulate(&p, &senders);
        assert_eq!(most_in_any_window(&slots[..10], Duration::from_secs(1)), 5);
        assert_eq!(most_in_any_window(&slots[10..], Duration::from_secs(1)), 5);
        assert_eq!(most_in_any_window(&slots, Duration::from_secs(1)), 10);
    }

    #[test]
    fn a_pause_holds_its_bucket_and_a_global_pause_holds_everything() {
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        p.pause(Some("/channels/1/messages"), t0 + Duration::from_secs(2));
        let slots = simulate(
            &p,
            &[("/channels/1/messages", None, t0), ("/channels/2/messages", None, t0)],
        );
        assert_eq!(slots[0], t0 + Duration::from_secs(2));
        assert!(slots[1] < t0 + Duration::from_millis(100), "another bucket goes on");

        let t1 = t0 + Duration::from_secs(10);
        p.pause(None, t1 + Duration::from_secs(3));
        let slots = simulate(
            &p,
            &[("/channels/3/messages", None, t1), ("/users/@me/channels", None, t1)],
        );
        assert!(slots.iter().all(|s| *s >= t1 + Duration::from_secs(3)), "{slots:?}");
    }

    #[test]
    fn a_slot_handed_out_before_a_pause_is_covered_by_it() {
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        let Reservation::Slot(at) = p.reserve(CHANNEL, None, t0) else {
            panic!("an empty pacer has room")
        };
        assert!(!p.paused_past(CHANNEL, at));
        p.pause(None, at + Duration::from_secs(1));
        assert!(p.paused_past(CHANNEL, at));
        assert!(p.paused_past("/channels/9/messages", at));
    }

    #[test]
    fn a_bucket_window_counts_from_the_answer_of_its_first_request() {
        let p = Pacer::new(Limit::per_second(50));
        let two = Some(Limit::per_second(2));
        let t0 = Instant::now();
        let Reservation::Slot(first) = p.reserve(CHANNEL, two, t0) else {
            panic!("room")
        };
        let Reservation::Slot(second) = p.reserve(CHANNEL, two, t0) else {
            panic!("room")
        };
        // Both requests reached Discord late (a busy machine) and were answered at 0.5 s.
        p.complete(CHANNEL, first, t0 + Duration::from_millis(500));
        p.complete(CHANNEL, second, t0 + Duration::from_millis(510));
        assert_eq!(
            p.reserve(CHANNEL, two, t0 + Duration::from_millis(1100)),
            Reservation::Retry(t0 + Duration::from_millis(1540))
        );
    }

    #[test]
    fn a_limit_learned_from_discord_replaces_the_default() {
        let p = Pacer::new(Limit::per_second(50));
        let default = Some(Limit::new(5, Duration::from_secs(5)));
        let t0 = Instant::now();
        let before = simulate(&p, &vec![("/users/@me/channels", default, t0); 10]);
        let took = *before.iter().max().unwrap() - t0;
        assert!(
            took >= Duration::from_secs(5),
            "the default holds until learned: {took:?}"
        );

        p.learn("/users/@me/channels", 10, Duration::from_secs(1));
        assert_eq!(
            p.bucket_limit("/users/@me/channels"),
            Some(Limit::new(10, Duration::from_secs(1)))
        );
        // A later answer in the middle of a window does not shrink the window.
        p.learn("/users/@me/channels", 10, Duration::from_millis(300));
        assert_eq!(
            p.bucket_limit("/users/@me/channels"),
            Some(Limit::new(10, Duration::from_secs(1)))
        );
        let t1 = t0 + Duration::from_secs(60);
        let after = simulate(&p, &vec![("/users/@me/channels", default, t1); 30]);
        let took = *after.iter().max().unwrap() - t1;
        assert!(took < Duration::from_millis(2400), "{took:?}");
        assert_eq!(most_in_any_window(&after, Duration::from_secs(1)), 10);
    }

    #[test]
    fn idle_buckets_are_forgotten_and_busy_ones_kept() {
        const BUSY: &str = "/channels/busy/messages";
        let p = Pacer::new(Limit::new(100_000, Duration::from_secs(1)));
        let five = Some(Limit::per_second(5));
        let t0 = Instant::now();
        let busy: Vec<_> = (0..5).map(|_| p.reserve(BUSY, five, t0)).collect();
        assert!(matches!(busy[4], Reservation::Slot(_)));
        for i in 1..PRUNE_AT {
            let r = p.reserve(&format!("/channels/{i}/messages"), five, t0);
            assert!(matches!(r, Reservation::Slot(_)));
        }
        let later = t0 + Duration::from_millis(1500);
        assert!(matches!(p.reserve(BUSY, five, later), Reservation::Slot(_)));
        // A new bucket past the threshold makes room; BUSY's slot at 1.5 s is still recent.
        assert!(matches!(
            p.reserve("/channels/new/messages", five, later),
            Reservation::Slot(_)
        ));
        let st = p.state.lock().unwrap();
        assert_eq!(st.buckets.len(), 2);
        assert!(st.buckets.contains_key(BUSY));
    }

    #[test]
    fn a_smaller_share_of_the_global_limit_and_a_hold_apply_at_once() {
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        p.hold(Some(t0 + Duration::from_millis(500)));
        assert_eq!(
            p.reserve(CHANNEL, None, t0),
            Reservation::Retry(t0 + Duration::from_millis(500))
        );
        p.hold(None);
        p.set_global_limit(Limit::per_second(25));
        assert_eq!(p.global_limit(), Limit::per_second(25));
        let senders: Vec<String> = (0..100).map(|i| format!("/channels/{i}/messages")).collect();
        let senders: Vec<_> = senders.iter().map(|b| (b.as_str(), None, t0)).collect();
        let slots = simulate(&p, &senders);
        assert_eq!(most_in_any_window(&slots, Duration::from_secs(1)), 25);
    }

    #[test]
    fn an_unknown_bucket_is_only_paced_globally() {
        let p = Pacer::new(Limit::per_second(50));
        let t0 = Instant::now();
        let slots = simulate(&p, &vec![(CHANNEL, None, t0); 50]);
        let last = *slots.iter().max().unwrap() - t0;
        assert!(last < Duration::from_secs(1), "{last:?}");
        p.learn(CHANNEL, 0, Duration::from_secs(1));
        assert_eq!(p.bucket_limit(CHANNEL), None, "a limit of 0 means none was sent");
    }
}
