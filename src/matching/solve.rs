//! The program-wide assignment: most mentees placed first, then the highest total score.
//!
//! 1. Scan: every mentee is scored against every mentor once (bitsets, all cores), keeping
//!    each mentee's top [`K_MENTEE`] mentors and each mentor's top [`K_MENTOR`] mentees: the
//!    pruned candidate graph. Each mentee's best scores are also kept as bytes, upper bounds
//!    `ceil(score * 255 / sum of weights)`, for the proof: at most `qcache::KEEP` per row
//!    with a byte bounding the rest of the row (a byte for every pair would be 200 MB at
//!    20,000 x 10,000), so a row is rescored only when that bound does not prove it.
//! 2. Solve: min-cost flow on the candidate graph by successive shortest paths (Dijkstra with
//!    mentor prices as potentials, early exit, integer costs so that every comparison is exact).
//!    A pair's value is `BIG + round(score * scale)` (`scale` a power of two, about 2^41 at
//!    20,000 mentees), with `BIG` above any total score, so one more placed mentee always beats
//!    any loss of score; a "stay unplaced" option of value 0 is always there, so the flow is
//!    feasible however tight capacity is. Starting prices come from an epsilon-scaling auction
//!    (only a warm start: seats it priced are held by "phantoms" that real mentees push out).
//! 3. Prove: the prices (mentors) and profits (mentees) are a dual solution of the assignment
//!    LP. Complementary slackness is checked on the candidate graph, and dual feasibility on
//!    ALL allowed pairs: the bytes kept for a row, against the prices, pick the few pairs
//!    that could violate, which are then scored exactly (the whole row when its rest-of-row
//!    bound does not hold). Violating pairs (and a
//!    few nearly tight ones) are added to the graph and the flow is solved again (warm when
//!    few mentees are concerned, prices only rising, so rows already proven stay proven while
//!    their profit does not fall), until the proof holds: only then `optimal: true`.
//!
//! Ties are broken by index (mentor order in the heap, mentee order of the augmentations),
//! and threads only split independent rows, so the same input gives the same output.
//! `MATCH_DEBUG=1` prints the phases to stderr; `MATCH_THREADS=n` sets the number of threads.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use super::criteria::{extra_criteria, ExtraCriteria};
use super::program::Program;
use super::qcache::{QCache, QCACHE_MAX_MENTORS};
use super::reasons::{pair_reasons, unmatched_reason};
use super::score::{score_pair, Criteria, Prepared};

/// Candidate mentors kept per mentee.
pub const K_MENTEE: usize = 16;
/// Candidate mentees kept per mentor.
pub const K_MENTOR: usize = 32;
/// A row whose left-out bound fails is rescored whole unless at most 1/CHEAP_SHARE of the
/// mentors are priced low enough to matter (those pairs are then scored one by one).
const CHEAP_SHARE: usize = 8;
/// Violating pairs added per mentee and round when the proof fails.
const K_ADD: usize = 16;
/// Nearly tight pairs added with them for each rescanned row.
const K_NEAR: usize = 4;
/// Rounds of (solve, prove) before giving up the proof.
const MAX_ROUNDS: usize = 12;
/// A pair is below `min_score` when `score < min_score - MIN_SCORE_EPS`.
pub const MIN_SCORE_EPS: f64 = 1e-9;

const FREE: u32 = u32::MAX;
const UNPLACED: u32 = u32::MAX - 1;
const INF: i64 = i64::MAX / 4;

/// One pair of the result.
#[derive(Debug, Clone, Serialize)]
pub struct PairOut {
    pub mentee: String,
    pub mentor: String,
    pub score: f64,
    pub criteria: Criteria,
    /// Profession, level and questions (issue 13), only for a file that has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_criteria: Option<ExtraCriteria>,
    pub reasons: Vec<String>,
}

/// A mentee left unplaced, with why.
#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedOut {
    pub mentee: String,
    pub reason: String,
}

/// Counters of a run (not part of the JSON).
#[derive(Debug, Clone, Default)]
pub struct SolveStats {
    pub rounds: usize,
    pub candidate_edges: usize,
    pub rescanned_rows: usize,
    pub added_edges: usize,
    pub flagged_pairs: usize,
    /// Rows of the quantised table rescored whole (their left-out bound did not hold).
    pub rescored_rows: usize,
    /// Rows checked on their entries and on the mentors priced low enough to matter.
    pub cheap_rows: usize,
}

/// The result of [`solve`], serialised as the output format.
#[derive(Debug, Clone, Serialize)]
pub struct MatchResult {
    pub pairs: Vec<PairOut>,
    pub unmatched: Vec<UnmatchedOut>,
    pub total_score: f64,
    pub optimal: bool,
    #[serde(skip)]
    pub stats: SolveStats,
    /// Mentor index of each mentee (None when unplaced), in the program's order.
    #[serde(skip)]
    pub assignment: Vec<Option<usize>>,
}

/// The optimum over the whole program, as the table scores it.
pub fn solve(program: &Program) -> MatchResult {
    solve_with_bonus(program, &|_| 0.0)
}

/// Like [`solve`], but mentee `i`'s pairs count `score + bonus(i)` in the objective (a
/// priority for people left unplaced last time). The reported scores stay the table's.
pub fn solve_with_bonus(program: &Program, bonus: &dyn Fn(usize) -> f64) -> MatchResult {
    solve_with_options(program, bonus, Options::default())
}

/// How a solve from scratch starts its prices: an auction (from zero prices, or from the
/// last round's), or zero prices.
enum Start {
    Auction(Option<Vec<i64>>),
    Zero,
}

/// Tuning knobs (tests use tiny lists to exercise the pruning and the proof).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub k_mentee: usize,
    pub k_mentor: usize,
    /// Keep the quantised score table for the proof (else rows are rescored).
    pub cache: bool,
    /// Entries kept per row of that table.
    pub keep: usize,
    /// A row whose left-out bound fails is scored on its low-priced mentors when they are at
    /// most 1/cheap_share of all (1: always), else rescored whole.
    pub cheap_share: usize,
    /// Start from auction prices.
    pub auction: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            k_mentee: K_MENTEE,
            k_mentor: K_MENTOR,
            cache: true,
            keep: super::qcache::KEEP,
            cheap_share: CHEAP_SHARE,
            auction: true,
        }
    }
}

pub(crate) fn solve_with_options(program: &Program, bonus: &dyn Fn(usize) -> f64, opts: Options) -> MatchResult {
    let n = program.mentees.len();
    let bonus_f: Vec<f64> = (0..n)
        .map(|i| {
            let b = bonus(i);
            // a bonus is a few score points at most; keep the integer values far from overflow
            if b.is_finite() {
                b.clamp(-1e6, 1e6)
            } else {
                0.0
            }
        })
        .collect();
    let debug = std::env::var_os("MATCH_DEBUG").is_some();
    let t0 = std::time::Instant::now();
    let prep = Prepared::new(program);
    let vals = Values::new(program, &bonus_f);
    let (mut scan, cache) = scan_all(program, &prep, &opts);
    if debug {
        eprintln!("match: scan {:.3}s {}", t0.elapsed().as_secs_f64(), prep.describe());
    }
    let cap: Vec<u32> = program
        .mentors
        .iter()
        .map(|x| x.capacity.min(n as u64) as u32)
        .collect();
    let mut stats = SolveStats::default();
    let mut optimal = false;
    // rho[i]: after a rescan of row i, the best `rank(score) - price` of its pairs still left
    // out; valid while prices only rise (warm starts), reset by a fresh solve
    let mut rho: Vec<Option<i64>> = vec![None; n];
    // a solve from scratch: starting prices from an auction, or plain zero prices
    let fresh = |scan: &Scan, stats: &mut SolveStats, start: Start| {
        let graph = Graph::build(&scan.cands, &vals);
        stats.candidate_edges = graph.mentor.len();
        let ta = std::time::Instant::now();
        let mut flow = match start {
            Start::Auction(init) => {
                let prices = auction_prices(&graph, &cap, vals.scale, 20 * n + 1000, init.as_deref());
                Flow::with_prices(graph, &cap, &prices)
            }
            Start::Zero => Flow::new(graph, &cap),
        };
        let tb = std::time::Instant::now();
        for i in 0..n {
            flow.augment(i);
        }
        if debug {
            eprintln!(
                "match: fresh solve: prices {:.3}s, paths {:.3}s",
                (tb - ta).as_secs_f64(),
                tb.elapsed().as_secs_f64()
            );
        }
        flow
    };
    let mut flow = fresh(
        &scan,
        &mut stats,
        if opts.auction {
            Start::Auction(None)
        } else {
            Start::Zero
        },
    );
    let mut with_auction = opts.auction;
    // rows to verify next (None: all); valid because a warm start only raises prices, so a
    // row verified before stays verified while its profit does not fall
    let mut rows: Option<Vec<usize>> = None;
    let mut last_profit: Vec<i64> = vec![i64::MIN; n];
    loop {
        stats.rounds += 1;
        if debug {
            eprintln!(
                "match: round {} solved at {:.3}s ({} edges)",
                stats.rounds,
                t0.elapsed().as_secs_f64(),
                stats.candidate_edges
            );
        }
        if !flow.slackness_holds() {
            // phantoms left (prices from an auction or a warm start that the real problem
            // does not support): solve again from zero prices, which always ends consistent
            if !with_auction && rows.is_none() {
                break; // cannot happen; leave optimal false rather than loop
            }
            flow = fresh(&scan, &mut stats, Start::Zero);
            with_auction = false;
            rows = None;
            rho.iter_mut().for_each(|r| *r = None);
            continue;
        }
        let (adds, out) = match &cache {
            Some(c) => {
                let list: Vec<usize> = match &rows {
                    None => (0..n).collect(),
                    Some(r) => r.clone(),
                };
                verify_cached(program, &prep, &scan, &vals, &flow, c, &opts, &list, &mut stats)
            }
            None => verify_all(program, &prep, &scan, &vals, &flow, &mut rho, &mut stats),
        };
        if debug {
            eprintln!(
                "match: round {} verified at {:.3}s (cpu {:.2}s) ({} rows checked, {} rescored, {} by price, {} pairs flagged, {} edges added, {} to place again)",
                stats.rounds,
                t0.elapsed().as_secs_f64(),
                cpu_seconds(),
                stats.rescanned_rows,
                stats.rescored_rows,
                stats.cheap_rows,
                stats.flagged_pairs,
                stats.added_edges,
                out.len()
            );
        }
        for (i, list) in adds {
            for (j, s) in list {
                scan.cands[i].push((j, s));
                stats.added_edges += 1;
            }
        }
        if out.is_empty() {
            optimal = true;
            break;
        }
        if stats.rounds >= MAX_ROUNDS {
            break;
        }
        if out.len() > 64 {
            // many mentees to place again: cheaper from scratch
            let start = if with_auction {
                Start::Auction(Some(flow.price.clone()))
            } else {
                Start::Zero
            };
            flow = fresh(&scan, &mut stats, start);
            rows = None;
            rho.iter_mut().for_each(|r| *r = None);
            continue;
        }
        for (i, lp) in last_profit.iter_mut().enumerate() {
            *lp = flow.profit(i);
        }
        let graph = Graph::build(&scan.cands, &vals);
        stats.candidate_edges = graph.mentor.len();
        flow.replace(graph, &out);
        let mut next: Vec<usize> = (0..n).filter(|&i| flow.profit(i) < last_profit[i]).collect();
        next.extend_from_slice(&out);
        next.sort_unstable();
        next.dedup();
        rows = Some(next);
    }
    let assignment: Vec<Option<usize>> = flow.assign[..n]
        .iter()
        .map(|&a| {
            if a == FREE || a == UNPLACED {
                None
            } else {
                Some(a as usize)
            }
        })
        .collect();
    if debug {
        eprintln!("match: loop done at {:.3}s", t0.elapsed().as_secs_f64());
    }
    drop(flow);
    drop(cache);
    if debug {
        eprintln!("match: freed at {:.3}s", t0.elapsed().as_secs_f64());
    }
    let r = build_result(program, &scan, assignment, optimal, stats);
    if debug {
        eprintln!("match: result built at {:.3}s", t0.elapsed().as_secs_f64());
    }
    r
}

fn build_result(
    program: &Program,
    scan: &Scan,
    assignment: Vec<Option<usize>>,
    optimal: bool,
    stats: SolveStats,
) -> MatchResult {
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    let mut total = Neumaier::default();
    for (i, a) in assignment.iter().enumerate() {
        match *a {
            Some(j) => {
                let ps = score_pair(program, i, j);
                total.add(ps.score);
                pairs.push(PairOut {
                    mentee: program.mentees[i].id.clone(),
                    mentor: program.mentors[j].id.clone(),
                    score: ps.score,
                    criteria: ps.criteria,
                    extra_criteria: extra_criteria(program, i, j),
                    reasons: pair_reasons(program, i, j, &ps),
                });
            }
            None => unmatched.push(UnmatchedOut {
                mentee: program.mentees[i].id.clone(),
                reason: unmatched_reason(program, i, scan.n_allowed[i], scan.n_below[i]),
            }),
        }
    }
    MatchResult {
        pairs,
        unmatched,
        total_score: total.sum(),
        optimal,
        stats,
        assignment,
    }
}

/// Compensated summation.
#[derive(Default)]
struct Neumaier {
    sum: f64,
    c: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }
    fn sum(&self) -> f64 {
        self.sum + self.c
    }
}

/// Integer pair values: `big + round(score * scale) + round(bonus * scale)`.
struct Values {
    big: i64,
    scale: f64,
    bonus: Vec<i64>,
}

impl Values {
    fn new(p: &Program, bonus: &[f64]) -> Values {
        let n = p.mentees.len().max(1) as f64;
        let wsum: f64 = p.max_score();
        let maxb = bonus.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let per = wsum + 2.0 * maxb + 1.0;
        // the largest power of two keeping big (about n * per * scale) below 2^56
        let mut scale = 2f64.powi(40);
        while scale > 1e-300 && n * per * scale > 2f64.powi(56) {
            scale /= 2.0;
        }
        let big = (n * per * scale).ceil() as i64 + 4 * p.mentees.len() as i64 + 4;
        Values {
            big,
            scale,
            bonus: bonus.iter().map(|b| (b * scale).round() as i64).collect(),
        }
    }

    #[inline]
    fn rank(&self, s: f64) -> i64 {
        (s * self.scale).round() as i64
    }

    #[inline]
    fn value(&self, i: usize, s: f64) -> i64 {
        self.big + self.rank(s) + self.bonus[i]
    }
}

/// The pruned candidate graph and the bounds on what it left out.
struct Scan {
    /// Candidate mentors of each mentee, with the pair's score.
    cands: Vec<Vec<(u32, f64)>>,
    /// Every allowed pair (i, j) left out of mentee i's own top list scores at most theta[i]
    /// (NEG_INFINITY: the list holds every allowed mentor).
    theta: Vec<f64>,
    /// The same bound for the pairs left out of mentor j's top list.
    mentor_theta: Vec<f64>,
    n_allowed: Vec<u32>,
    n_below: Vec<u32>,
}

/// A top-k list ordered by (score descending, index ascending): a binary heap whose root is
/// the worst item kept.
#[derive(Clone)]
struct TopK {
    k: usize,
    items: Vec<(f64, u32)>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK { k, items: Vec::new() }
    }

    #[inline]
    fn better(a: (f64, u32), b: (f64, u32)) -> bool {
        a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
    }

    /// Every item that a full list has left out scores at most this.
    #[inline]
    fn threshold(&self) -> f64 {
        if self.k == 0 {
            f64::INFINITY
        } else if self.items.len() < self.k {
            f64::NEG_INFINITY
        } else {
            self.items[0].0
        }
    }

    #[inline(always)]
    fn push(&mut self, s: f64, idx: u32) {
        if self.k == 0 {
            return;
        }
        let x = (s, idx);
        if self.items.len() < self.k {
            // sift up: parents are worse than (or equal to) children
            self.items.push(x);
            let mut c = self.items.len() - 1;
            while c > 0 {
                let p = (c - 1) / 2;
                if Self::better(self.items[p], self.items[c]) {
                    self.items.swap(p, c);
                    c = p;
                } else {
                    break;
                }
            }
            return;
        }
        if !Self::better(x, self.items[0]) {
            return;
        }
        // replace the worst and sift down
        let n = self.items.len();
        let mut c = 0;
        self.items[0] = x;
        loop {
            let l = 2 * c + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let w = if r < n && Self::better(self.items[l], self.items[r]) {
                r
            } else {
                l
            };
            if Self::better(self.items[c], self.items[w]) {
                self.items.swap(c, w);
                c = w;
            } else {
                break;
            }
        }
    }
}

/// CPU seconds used by the process so far (Linux; for the MATCH_DEBUG trace only).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// One thread's top lists of every mentor, as append buffers compacted to the best `k` when
/// full: an append touches one cache line, where a heap per mentor would touch several.
/// Rows come in increasing mentee order within a thread, so an equal score ranks lower.
struct MentorBufs {
    k: usize,
    cap: usize,
    items: Vec<(f64, u32)>,
    len: Vec<u32>,
    /// Whatever was dropped from mentor j's buffer scores at most thr[j].
    thr: Vec<f64>,
}

impl MentorBufs {
    fn new(k: usize, m: usize) -> MentorBufs {
        let cap = k.max(1) + 8;
        MentorBufs {
            k,
            cap,
            items: vec![(0.0, 0); if k == 0 { 0 } else { m * cap }],
            len: vec![0; m],
            thr: vec![if k == 0 { f64::INFINITY } else { f64::NEG_INFINITY }; m],
        }
    }

    #[inline(always)]
    fn offer(&mut self, j: usize, s: f64, i: u32) {
        if s > self.thr[j] {
            let l = self.len[j] as usize;
            self.items[j * self.cap + l] = (s, i);
            self.len[j] += 1;
            if l + 1 == self.cap {
                self.compact(j);
            }
        }
    }

    fn order(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
        b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
    }

    #[inline(never)]
    fn compact(&mut self, j: usize) {
        let l = self.len[j] as usize;
        let k = self.k;
        let buf = &mut self.items[j * self.cap..j * self.cap + l];
        buf.select_nth_unstable_by(k - 1, Self::order);
        self.thr[j] = buf[k - 1].0;
        self.len[j] = k as u32;
    }

    fn into_lists(self) -> Vec<Vec<(f64, u32)>> {
        if self.k == 0 {
            return vec![Vec::new(); self.len.len()];
        }
        (0..self.len.len())
            .map(|j| {
                let l = self.len[j] as usize;
                let mut v = self.items[j * self.cap..j * self.cap + l].to_vec();
                if v.len() > self.k {
                    v.select_nth_unstable_by(self.k - 1, Self::order);
                    v.truncate(self.k);
                }
                v
            })
            .collect()
    }
}

fn threads() -> usize {
    if let Some(t) = std::env::var("MATCH_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        return t.clamp(1, 64);
    }
    std::thread::available_parallelism()
        .map(|x| x.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

/// Row i's scores against every mentor, with not-allowed pairs set to NEG_INFINITY
/// (forbidden pairs and zero-capacity mentors). Returns the number of pairs below min_score
/// (set to NEG_INFINITY as well).
fn row_scores(p: &Program, prep: &Prepared, i: usize, out: &mut [f64]) -> u32 {
    prep.score_row(p, i, out);
    mark_not_allowed(p, prep, i, out);
    let mut below = 0;
    if let Some(ms) = p.min_score {
        let thr = ms - MIN_SCORE_EPS;
        for o in out.iter_mut() {
            if *o != f64::NEG_INFINITY && *o < thr {
                *o = f64::NEG_INFINITY;
                below += 1;
            }
        }
    }
    below
}

/// Sets the scores of forbidden pairs and zero-capacity mentors to NEG_INFINITY.
fn mark_not_allowed(p: &Program, prep: &Prepared, i: usize, out: &mut [f64]) {
    let lo = p.forbidden.partition_point(|&(a, _)| a < i);
    for &(a, j) in &p.forbidden[lo..] {
        if a != i {
            break;
        }
        out[j] = f64::NEG_INFINITY;
    }
    for &j in &prep.zero_capacity {
        out[j] = f64::NEG_INFINITY;
    }
}

fn scan_all(p: &Program, prep: &Prepared, opts: &Options) -> (Scan, Option<QCache>) {
    let n = p.mentees.len();
    let m = p.mentors.len();
    let wsum: f64 = p.max_score();
    let qscale = if wsum > 0.0 { 255.0 / wsum } else { 0.0 };
    let use_cache = opts.cache && m < QCACHE_MAX_MENTORS && n > 0 && m > 0;
    const CHUNK: usize = 16;
    let next = AtomicUsize::new(0);
    // scores below this are below min_score (NEG_INFINITY, not allowed, is below it too)
    let min_thr = p.min_score.map(|ms| ms - MIN_SCORE_EPS).unwrap_or(f64::MIN);
    type RowOut = (usize, Vec<(u32, f64)>, f64, u32, u32, Option<(Box<[u32]>, u8)>);
    type MentorLists = Vec<Vec<(f64, u32)>>;
    let results: Mutex<Vec<(Vec<RowOut>, MentorLists)>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..threads() {
            sc.spawn(|| {
                let mut row = vec![0.0; m];
                let mut qrow = if use_cache { vec![0u8; m] } else { Vec::new() };
                let mut mtop = MentorBufs::new(opts.k_mentor, m);
                let mut rows: Vec<RowOut> = Vec::new();
                loop {
                    let c0 = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if c0 >= n {
                        break;
                    }
                    for i in c0..(c0 + CHUNK).min(n) {
                        prep.score_row(p, i, &mut row);
                        mark_not_allowed(p, prep, i, &mut row);
                        let mut top = TopK::new(opts.k_mentee);
                        let mut thr = f64::NEG_INFINITY;
                        let mut allowed = 0u32;
                        let mut below = 0u32;
                        let cached = use_cache.then(|| QCache::row(qscale, min_thr, opts.keep, &row, &mut qrow));
                        // min_score and both top lists
                        for (j, &s) in row.iter().enumerate() {
                            if s < min_thr {
                                below += (s != f64::NEG_INFINITY) as u32;
                                continue;
                            }
                            allowed += 1;
                            // strict: an equal score comes with a larger index, which ranks lower
                            if s > thr {
                                top.push(s, j as u32);
                                thr = top.threshold();
                            }
                            mtop.offer(j, s, i as u32);
                        }
                        let theta = top.threshold();
                        let cands = top.items.iter().map(|&(s, j)| (j, s)).collect();
                        rows.push((i, cands, theta, allowed, below, cached));
                    }
                }
                results.lock().unwrap().push((rows, mtop.into_lists()));
            });
        }
    });
    let mut cands = vec![Vec::new(); n];
    let mut theta = vec![f64::NEG_INFINITY; n];
    let mut n_allowed = vec![0; n];
    let mut n_below = vec![0; n];
    let mut qrows: Vec<Box<[u32]>> = Vec::new();
    let mut qrest: Vec<u8> = Vec::new();
    if use_cache {
        qrows = vec![Box::default(); n];
        qrest = vec![0; n];
    }
    let mut merged = vec![TopK::new(opts.k_mentor); m];
    for (rows, mtop) in results.into_inner().unwrap() {
        for (i, c, t, a, b, q) in rows {
            cands[i] = c;
            theta[i] = t;
            n_allowed[i] = a;
            n_below[i] = b;
            if let Some((entries, rest)) = q {
                qrows[i] = entries;
                qrest[i] = rest;
            }
        }
        for (j, t) in mtop.into_iter().enumerate() {
            for (s, i) in t {
                merged[j].push(s, i);
            }
        }
    }
    let mut mentor_theta = vec![f64::NEG_INFINITY; m];
    for (j, t) in merged.iter().enumerate() {
        // the merged list is the true top list of j, so whatever it left out scores at most
        // its worst (when full)
        mentor_theta[j] = t.threshold();
        for &(s, i) in &t.items {
            let list: &mut Vec<(u32, f64)> = &mut cands[i as usize];
            if !list.iter().any(|&(jj, _)| jj == j as u32) {
                list.push((j as u32, s));
            }
        }
    }
    for list in cands.iter_mut() {
        list.sort_by_key(|a| a.0);
    }
    let cache = use_cache.then_some(QCache {
        qscale,
        rows: qrows,
        rest: qrest,
    });
    (
        Scan {
            cands,
            theta,
            mentor_theta,
            n_allowed,
            n_below,
        },
        cache,
    )
}

/// Bounds on the pairs left out of the candidate graph: the lowest price of a mentor with
/// capacity (i64::MAX when none), and `phi`, above `rank(score) - price` of every pair left
/// out of its mentor's top list (i64::MIN when every list is whole).
fn left_out_bounds(p: &Program, scan: &Scan, vals: &Values, flow: &Flow) -> (i64, i64) {
    let mut p_min = i64::MAX;
    let mut phi = i64::MIN;
    for j in 0..p.mentors.len() {
        if p.mentors[j].capacity == 0 {
            continue;
        }
        p_min = p_min.min(flow.price[j]);
        if scan.mentor_theta[j] != f64::NEG_INFINITY {
            phi = phi.max(vals.rank(scan.mentor_theta[j]).saturating_sub(flow.price[j]));
        }
    }
    (p_min, phi)
}

/// The proof over all pairs from the quantised table: a row whose left-out byte bound holds
/// checks only its kept entries, scoring exactly those whose byte does not prove them; any
/// other row is rescored whole. Same return values as [`verify_all`].
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn verify_cached(
    p: &Program,
    prep: &Prepared,
    scan: &Scan,
    vals: &Values,
    flow: &Flow,
    cache: &QCache,
    opts: &Options,
    rows: &[usize],
    stats: &mut SolveStats,
) -> (Vec<(usize, Vec<(u32, f64)>)>, Vec<usize>) {
    let n = rows.len();
    let m = p.mentors.len();
    let table = cache.rank_table(vals.scale);
    let (p_min, phi) = left_out_bounds(p, scan, vals, flow);
    let next = AtomicUsize::new(0);
    let rescored = AtomicUsize::new(0);
    let cheap_share = opts.cheap_share.max(1);
    let cheap_rows = AtomicUsize::new(0);
    // mentors with capacity by price, for the rows whose left-out bound fails
    let mut by_price: Vec<(i64, u32)> = (0..m)
        .filter(|&j| p.mentors[j].capacity > 0)
        .map(|j| (flow.price[j], j as u32))
        .collect();
    by_price.sort_unstable();
    const CHUNK: usize = 64;
    type RowOut = (usize, Vec<(u32, f64)>, bool, usize);
    let out: Mutex<Vec<RowOut>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..threads() {
            sc.spawn(|| {
                let mut mark = vec![false; m];
                let mut stored = vec![false; m];
                let mut row: Vec<f64> = Vec::new();
                let mut local = Vec::new();
                let mut found: Vec<(i64, u32, f64)> = Vec::new();
                loop {
                    let c0 = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if c0 >= n {
                        break;
                    }
                    for &i in &rows[c0..(c0 + CHUNK).min(n)] {
                        let pi = flow.profit(i) - vals.big - vals.bonus[i]; // rank units
                        let mut flagged = 0usize;
                        found.clear();
                        for &(jj, _) in &scan.cands[i] {
                            mark[jj as usize] = true;
                        }
                        // every allowed pair left out of the row's entries
                        let top = table[cache.rest[i] as usize];
                        // a pair left out of the row's entries violates only when its mentor's
                        // price is below top - pi: when those mentors are few, score just them
                        let cheap = if top.saturating_sub(p_min).min(phi) <= pi {
                            0
                        } else {
                            by_price.partition_point(|&(pr, _)| pr < top - pi)
                        };
                        if cheap <= m / cheap_share {
                            for &e in cache.rows[i].iter() {
                                let j = (e & 0x00ff_ffff) as usize;
                                let q = (e >> 24) as usize;
                                if cheap > 0 && !mark[j] {
                                    stored[j] = true;
                                }
                                if table[q] - flow.price[j] <= pi || mark[j] || !pair_allowed(p, i, j) {
                                    continue;
                                }
                                flagged += 1;
                                let s = prep.score(p, i, j).score;
                                if p.min_score.is_some_and(|ms| s < ms - MIN_SCORE_EPS) {
                                    continue;
                                }
                                found.push((vals.rank(s) - flow.price[j], j as u32, s));
                            }
                            for &(pr, j) in &by_price[..cheap] {
                                let j = j as usize;
                                if mark[j] || stored[j] || !pair_allowed(p, i, j) {
                                    continue;
                                }
                                flagged += 1;
                                let s = prep.score(p, i, j).score;
                                if p.min_score.is_some_and(|ms| s < ms - MIN_SCORE_EPS) {
                                    continue;
                                }
                                let q = QCache::quantise(cache.qscale, s) as usize;
                                if table[q] - pr > pi {
                                    found.push((vals.rank(s) - pr, j as u32, s));
                                }
                            }
                            if cheap > 0 {
                                cheap_rows.fetch_add(1, Ordering::Relaxed);
                                for &e in cache.rows[i].iter() {
                                    stored[(e & 0x00ff_ffff) as usize] = false;
                                }
                            }
                        } else {
                            rescored.fetch_add(1, Ordering::Relaxed);
                            row.resize(m, 0.0);
                            row_scores(p, prep, i, &mut row);
                            for (j, &s) in row.iter().enumerate() {
                                if s == f64::NEG_INFINITY || mark[j] {
                                    continue;
                                }
                                let q = QCache::quantise(cache.qscale, s) as usize;
                                if table[q] - flow.price[j] <= pi {
                                    continue;
                                }
                                flagged += 1;
                                found.push((vals.rank(s) - flow.price[j], j as u32, s));
                            }
                        }
                        for &(jj, _) in &scan.cands[i] {
                            mark[jj as usize] = false;
                        }
                        if found.is_empty() {
                            if flagged > 0 {
                                local.push((i, Vec::new(), false, flagged));
                            }
                            continue;
                        }
                        let take = K_ADD + K_NEAR;
                        if found.len() > take {
                            found.select_nth_unstable_by(take, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                            found.truncate(take);
                        }
                        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                        let violating = found.iter().filter(|x| x.0 > pi).count();
                        let add = (violating.min(K_ADD) + K_NEAR).min(found.len());
                        let list = found[..add].iter().map(|x| (x.1, x.2)).collect();
                        local.push((i, list, violating > 0, flagged));
                    }
                }
                out.lock().unwrap().extend(local);
            });
        }
    });
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|x| x.0);
    let mut adds = Vec::new();
    let mut again = Vec::new();
    stats.rescanned_rows += rows.len();
    stats.rescored_rows += rescored.into_inner();
    stats.cheap_rows += cheap_rows.into_inner();
    for (i, list, violated, flagged) in v {
        stats.flagged_pairs += flagged;
        if violated {
            again.push(i);
        }
        if !list.is_empty() {
            adds.push((i, list));
        }
    }
    (adds, again)
}

/// The pair-level hard rules other than min_score: not forbidden, mentor with capacity.
#[inline]
fn pair_allowed(p: &Program, i: usize, j: usize) -> bool {
    p.mentors[j].capacity > 0 && !p.is_forbidden(i, j)
}

/// The candidate graph in compressed rows, with integer pair values.
struct Graph {
    start: Vec<usize>,
    mentor: Vec<u32>,
    val: Vec<i64>,
}

impl Graph {
    fn build(cands: &[Vec<(u32, f64)>], vals: &Values) -> Graph {
        let mut start = Vec::with_capacity(cands.len() + 1);
        let total: usize = cands.iter().map(|c| c.len()).sum();
        let mut mentor = Vec::with_capacity(total);
        let mut val = Vec::with_capacity(total);
        start.push(0);
        for (i, c) in cands.iter().enumerate() {
            for &(j, s) in c {
                mentor.push(j);
                val.push(vals.value(i, s));
            }
            start.push(mentor.len());
        }
        Graph { start, mentor, val }
    }
}

/// Seats per mentor tracked by the auction (a larger capacity keeps price 0 there).
const AUCTION_SEATS: u32 = 64;

/// Starting prices from a forward auction with epsilon scaling on the candidate graph (seats
/// as objects). Only a warm start for [`Flow`]: the exact solve and its proof do not depend on
/// these prices, only its speed does. At most `max_bids` bids per phase.
fn auction_prices(g: &Graph, cap: &[u32], scale: f64, max_bids: usize, init: Option<&[i64]>) -> Vec<i64> {
    let n = g.start.len() - 1;
    let m = cap.len();
    const NONE: u32 = u32::MAX;
    // per mentor: its seats as (price, holder), sorted by price ascending
    let mut seats: Vec<Vec<(i64, u32)>> = cap
        .iter()
        .enumerate()
        .map(|(j, &c)| vec![(init.map_or(0, |p| p[j].max(0)), NONE); c.min(AUCTION_SEATS) as usize])
        .collect();
    let mut queue: std::collections::VecDeque<u32> = std::collections::VecDeque::new();
    let mut total = 0usize;
    // from given (nearly right) prices, only the fine phases
    let phases: &[f64] = if init.is_some() {
        &[0.0008, 0.00016]
    } else {
        &[0.02, 0.004, 0.0008, 0.00016]
    };
    for &eps_score in phases {
        let eps = ((eps_score * scale).round() as i64).max(1);
        for list in seats.iter_mut() {
            for x in list.iter_mut() {
                x.1 = NONE;
            }
        }
        queue.clear();
        queue.extend(0..n as u32);
        let mut bids = 0usize;
        while let Some(i) = queue.pop_front() {
            let i = i as usize;
            if bids >= max_bids {
                break;
            }
            bids += 1;
            let (mut b1, mut v1, mut v2) = (usize::MAX, 0i64, 0i64); // 0: staying unplaced
            let mut a1 = 0;
            for e in g.start[i]..g.start[i + 1] {
                let j = g.mentor[e] as usize;
                let Some(&(l, _)) = seats[j].first() else {
                    continue;
                };
                let v = g.val[e] - l;
                if v > v1 {
                    v2 = v1;
                    v1 = v;
                    b1 = j;
                    a1 = g.val[e];
                } else if v > v2 {
                    v2 = v;
                }
            }
            if b1 == usize::MAX {
                continue; // unplaced
            }
            let list = &mut seats[b1];
            if let Some(&(s2, _)) = list.get(1) {
                v2 = v2.max(a1 - s2);
            }
            let q = list[0].0 + (v1 - v2) + eps;
            let out = list[0].1;
            if out != NONE {
                queue.push_back(out);
            }
            list.remove(0);
            let pos = list.partition_point(|x| x.0 <= q);
            list.insert(pos, (q, i as u32));
        }
        total += bids;
        if bids >= max_bids {
            break;
        }
    }
    if std::env::var_os("MATCH_DEBUG").is_some() {
        eprintln!("match: auction {total} bids, {} left", queue.len());
    }
    (0..m)
        .map(|j| {
            if cap[j] > AUCTION_SEATS {
                0
            } else {
                seats[j].first().map(|x| x.0).unwrap_or(0)
            }
        })
        .collect()
}

/// Successive shortest paths with mentor prices (the dual of the capacity constraints).
///
/// Invariants: a placed mentee i at mentor j has profit `val(i,j) - price[j]`, at least
/// `val(i,k) - price[k]` for each of its candidates k, and at least 0 (staying unplaced); an
/// unplaced mentee has profit 0 and `val(i,k) <= price[k]`; a mentor that is not full has
/// price 0. These are the optimality conditions of the candidate graph's assignment LP.
///
/// Warm start: when pairs are added, the mentees they concern are taken out and placed again.
/// A seat they leave at a mentor with a positive price is held by a "phantom" (index >= n,
/// no candidate edges, value = that price) so that the invariants keep holding; any real
/// mentee may push a phantom out (it then goes unplaced). Prices never decrease.
struct Flow {
    g: Graph,
    n: usize,
    cap: Vec<u32>,
    price: Vec<i64>,
    assign: Vec<u32>,
    assign_val: Vec<i64>,
    members: Vec<Vec<u32>>,
    dist: Vec<i64>,
    pred: Vec<u32>,
    pred_val: Vec<i64>,
    settled: Vec<bool>,
    touched: Vec<u32>,
    settled_list: Vec<(u32, i64)>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    buf: Vec<u32>,
}

impl Flow {
    fn new(g: Graph, cap: &[u32]) -> Flow {
        let n = g.start.len() - 1;
        let m = cap.len();
        Flow {
            g,
            n,
            cap: cap.to_vec(),
            price: vec![0; m],
            assign: vec![FREE; n],
            assign_val: vec![0; n],
            members: vec![Vec::new(); m],
            dist: vec![INF; m],
            pred: vec![FREE; m],
            pred_val: vec![0; m],
            settled: vec![false; m],
            touched: Vec::new(),
            settled_list: Vec::new(),
            heap: BinaryHeap::new(),
            buf: Vec::new(),
        }
    }

    /// A start from given prices: each mentor with a positive price is filled with phantoms
    /// (value = its price) that real mentees push out.
    fn with_prices(g: Graph, cap: &[u32], prices: &[i64]) -> Flow {
        let mut f = Flow::new(g, cap);
        for (j, &p) in prices.iter().enumerate() {
            if p > 0 && f.cap[j] > 0 {
                f.price[j] = p;
                for _ in 0..f.cap[j] {
                    let ph = f.assign.len() as u32;
                    f.assign.push(j as u32);
                    f.assign_val.push(p);
                    f.members[j].push(ph);
                }
            }
        }
        f
    }

    fn profit(&self, i: usize) -> i64 {
        match self.assign[i] {
            FREE | UNPLACED => 0,
            j => self.assign_val[i] - self.price[j as usize],
        }
    }

    fn edges(&self, i: usize) -> std::ops::Range<usize> {
        if i < self.n {
            self.g.start[i]..self.g.start[i + 1]
        } else {
            0..0 // a phantom has no candidate edges
        }
    }

    /// Relaxes the candidate edges of mentee i, reached at distance d with profit pi.
    #[inline]
    fn scan(&mut self, i: usize, d: i64, pi: i64) {
        for e in self.edges(i) {
            let j = self.g.mentor[e] as usize;
            if self.settled[j] {
                continue;
            }
            let nd = d + pi + self.price[j] - self.g.val[e];
            if nd < self.dist[j] {
                if self.dist[j] == INF {
                    self.touched.push(j as u32);
                }
                self.dist[j] = nd;
                self.pred[j] = i as u32;
                self.pred_val[j] = self.g.val[e];
                self.heap.push(Reverse((nd, j as u32)));
            }
        }
    }

    /// Places mentee i0 (or leaves someone unplaced) along a shortest augmenting path.
    fn augment(&mut self, i0: usize) {
        let mut pi0 = 0;
        for e in self.edges(i0) {
            pi0 = pi0.max(self.g.val[e] - self.price[self.g.mentor[e] as usize]);
        }
        // the best path ending in "leave this mentee unplaced": (distance, mentee)
        let mut dummy = (pi0, i0);
        self.scan(i0, 0, pi0);
        let mut terminal: Option<usize> = None;
        let dist_final;
        loop {
            let Some(&Reverse((d, j))) = self.heap.peek() else {
                dist_final = dummy.0;
                break;
            };
            if d > dummy.0 {
                dist_final = dummy.0;
                break;
            }
            self.heap.pop();
            let j = j as usize;
            if self.settled[j] || d > self.dist[j] {
                continue;
            }
            self.settled[j] = true;
            self.settled_list.push((j as u32, d));
            if (self.members[j].len() as u32) < self.cap[j] {
                terminal = Some(j);
                dist_final = d;
                break;
            }
            self.buf.clear();
            self.buf.extend_from_slice(&self.members[j]);
            for k in 0..self.buf.len() {
                let i = self.buf[k] as usize;
                let pi = self.assign_val[i] - self.price[j];
                if d + pi < dummy.0 {
                    dummy = (d + pi, i);
                }
                self.scan(i, d, pi);
            }
        }
        for &(j, dj) in &self.settled_list {
            if dj < dist_final {
                self.price[j as usize] += dist_final - dj;
            }
        }
        // augment
        let mut cur = match terminal {
            Some(j) => j,
            None => {
                let (_, id) = dummy;
                let old = self.assign[id];
                self.assign[id] = UNPLACED;
                if id == i0 || old == FREE || old == UNPLACED {
                    self.reset();
                    return;
                }
                let old = old as usize;
                self.members[old].retain(|&x| x as usize != id);
                old
            }
        };
        loop {
            let i = self.pred[cur] as usize;
            let old = self.assign[i];
            self.assign[i] = cur as u32;
            self.assign_val[i] = self.pred_val[cur];
            self.members[cur].push(i as u32);
            if i == i0 {
                break;
            }
            let old = old as usize;
            self.members[old].retain(|&x| x as usize != i);
            cur = old;
        }
        self.reset();
    }

    fn reset(&mut self) {
        for &j in &self.touched {
            self.dist[j as usize] = INF;
            self.settled[j as usize] = false;
        }
        self.touched.clear();
        self.settled_list.clear();
        self.heap.clear();
    }

    /// Takes mentees out (their new candidate pairs break the invariants) and places them
    /// again on the new graph, keeping every other assignment and every price.
    fn replace(&mut self, g: Graph, out: &[usize]) {
        self.g = g;
        for &i in out {
            let a = self.assign[i];
            if a != FREE && a != UNPLACED {
                let j = a as usize;
                self.members[j].retain(|&x| x as usize != i);
                if self.price[j] > 0 {
                    let ph = self.assign.len() as u32;
                    self.assign.push(j as u32);
                    self.assign_val.push(self.price[j]);
                    self.members[j].push(ph);
                }
            }
            self.assign[i] = FREE;
        }
        for &i in out {
            self.augment(i);
        }
    }

    /// Complementary slackness and dual feasibility on the candidate graph (for the real
    /// problem: a phantom still holding a seat fails it).
    fn slackness_holds(&self) -> bool {
        if self.assign[self.n..].iter().any(|&a| a != UNPLACED) {
            return false;
        }
        for (j, &p) in self.price.iter().enumerate() {
            if p < 0 || (p > 0 && (self.members[j].len() as u32) < self.cap[j]) {
                return false;
            }
        }
        for i in 0..self.n {
            if self.assign[i] == FREE {
                return false;
            }
            let pi = self.profit(i);
            if pi < 0 {
                return false;
            }
            for e in self.edges(i) {
                if self.g.val[e] - self.price[self.g.mentor[e] as usize] > pi {
                    return false;
                }
            }
        }
        true
    }
}

/// Checks dual feasibility over all allowed pairs. Returns the pairs to add per mentee (the
/// violating ones, at most [`K_ADD`], plus a few nearly tight ones) and the mentees that must
/// be placed again (those with a violating pair); both empty when the proof holds.
#[allow(clippy::type_complexity)]
fn verify_all(
    p: &Program,
    prep: &Prepared,
    scan: &Scan,
    vals: &Values,
    flow: &Flow,
    rho: &mut [Option<i64>],
    stats: &mut SolveStats,
) -> (Vec<(usize, Vec<(u32, f64)>)>, Vec<usize>) {
    let n = p.mentees.len();
    let m = p.mentors.len();
    let (p_min, phi) = left_out_bounds(p, scan, vals, flow);
    let mut todo = Vec::new();
    for (i, r) in rho.iter().enumerate().take(n) {
        if scan.theta[i] == f64::NEG_INFINITY || p_min == i64::MAX {
            continue; // every allowed mentor of i is a candidate
        }
        let mut own = vals.rank(scan.theta[i]).saturating_sub(p_min).min(phi);
        if let Some(r) = *r {
            own = own.min(r);
        }
        let bound = vals.big.saturating_add(vals.bonus[i]).saturating_add(own);
        if bound > flow.profit(i) {
            todo.push(i);
        }
    }
    stats.rescanned_rows += todo.len();
    if todo.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let next = AtomicUsize::new(0);
    type RowOut = (usize, Vec<(u32, f64)>, i64, bool);
    let out: Mutex<Vec<RowOut>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..threads().min(todo.len()) {
            sc.spawn(|| {
                let mut row = vec![0.0; m];
                let mut mark = vec![false; m];
                let mut local = Vec::new();
                let mut all: Vec<(i64, u32, f64)> = Vec::new();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= todo.len() {
                        break;
                    }
                    let i = todo[k];
                    row_scores(p, prep, i, &mut row);
                    for &(j, _) in &scan.cands[i] {
                        mark[j as usize] = true;
                    }
                    all.clear();
                    for (j, &s) in row.iter().enumerate() {
                        if s == f64::NEG_INFINITY || mark[j] {
                            continue;
                        }
                        all.push((vals.rank(s) - flow.price[j], j as u32, s));
                    }
                    for &(j, _) in &scan.cands[i] {
                        mark[j as usize] = false;
                    }
                    let limit = vals.big + vals.bonus[i];
                    let pi = flow.profit(i) - limit; // in rank units
                    let take = K_ADD + K_NEAR;
                    if all.len() > take {
                        all.select_nth_unstable_by(take, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                    }
                    let head = all.len().min(take);
                    all[..head].sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                    let violating = all[..head].iter().filter(|x| x.0 > pi).count();
                    let add = violating.min(K_ADD) + K_NEAR;
                    let add = add.min(all.len());
                    let rest = all[add..].iter().map(|x| x.0).max().unwrap_or(i64::MIN / 4);
                    let list = all[..add].iter().map(|x| (x.1, x.2)).collect();
                    local.push((i, list, rest, violating > 0));
                }
                out.lock().unwrap().extend(local);
            });
        }
    });
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|x| x.0);
    let mut adds = Vec::new();
    let mut again = Vec::new();
    for (i, list, rest, violated) in v {
        rho[i] = Some(rest);
        if violated {
            again.push(i);
        }
        if !list.is_empty() {
            adds.push((i, list));
        }
    }
    (adds, again)
}
