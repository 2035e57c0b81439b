//! The score of a pair: the table of criteria.
//!
//! Two paths compute the same numbers bit for bit: [`score_pair`] works on the people's name
//! sets and intervals directly, and [`Prepared`] scores one mentee against every mentor with
//! bitsets (the fast path of the solver). Both end in [`combine`], which sums the weighted
//! criteria in the table's fixed order, as the reference scorer does.

use std::collections::HashMap;

use serde::Serialize;

use super::criteria::add_extras;
use super::program::{Person, Program, WEEK_S};

/// Availability saturates at 360 shared minutes a week.
pub const AVAIL_CAP_S: i64 = 360 * 60;

/// The seven criteria of a pair, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criteria {
    pub topic: f64,
    pub skill: f64,
    pub style: f64,
    pub timezone: f64,
    pub availability: f64,
    pub method: f64,
    pub kind: f64,
}

impl Criteria {
    pub fn as_array(&self) -> [f64; 7] {
        [
            self.topic,
            self.skill,
            self.style,
            self.timezone,
            self.availability,
            self.method,
            self.kind,
        ]
    }
}

/// The criteria and the weighted score of one pair, with the raw quantities behind them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    pub criteria: Criteria,
    pub score: f64,
    /// Seconds a week both are free.
    pub shared_s: i64,
}

/// The timezone criterion for an offset difference in seconds.
pub fn tz_value(delta_s: i64) -> f64 {
    let a = ((delta_s as f64) / 3600.0).abs() % 24.0;
    1.0 - a.min(24.0 - a) / 12.0
}

/// The raw quantities of a pair, from which [`combine`] computes criteria and score.
#[derive(Debug, Clone, Copy)]
pub struct Raw {
    pub inter_topics: u32,
    pub goals: u32,
    pub topics: u32,
    pub inter_skills: u32,
    pub style_ok: bool,
    pub timezone: f64,
    pub shared_s: i64,
    pub method_ok: bool,
    pub kind_ok: bool,
}

/// Criteria and score from the raw quantities, summed in the table's fixed order.
#[inline(always)]
pub fn combine(w: &[f64; 7], r: &Raw) -> PairScore {
    let inter = r.inter_topics as f64;
    let union = r.goals as f64 + r.topics as f64 - inter;
    let topic = if union > 0.0 { inter / union } else { 0.0 };
    let skill = if r.goals > 0 {
        r.inter_skills as f64 / r.goals as f64
    } else {
        0.0
    };
    let availability = (r.shared_s as f64).min(AVAIL_CAP_S as f64) / AVAIL_CAP_S as f64;
    let style = if r.style_ok { 1.0 } else { 0.0 };
    let method = if r.method_ok { 1.0 } else { 0.0 };
    let kind = if r.kind_ok { 1.0 } else { 0.0 };
    let mut score = w[0] * topic;
    score += w[1] * skill;
    score += w[2] * style;
    score += w[3] * r.timezone;
    score += w[4] * availability;
    score += w[5] * method;
    score += w[6] * kind;
    PairScore {
        criteria: Criteria {
            topic,
            skill,
            style,
            timezone: r.timezone,
            availability,
            method,
            kind,
        },
        score,
        shared_s: r.shared_s,
    }
}

fn sorted_inter(a: &[String], b: &[String]) -> u32 {
    let (mut x, mut y, mut n) = (0, 0, 0);
    while x < a.len() && y < b.len() {
        match a[x].cmp(&b[y]) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                x += 1;
                y += 1;
            }
        }
    }
    n
}

/// Seconds shared by two sorted, disjoint interval lists.
pub fn shared_seconds(a: &[(i64, i64)], b: &[(i64, i64)]) -> i64 {
    let (mut x, mut y, mut total) = (0, 0, 0);
    while x < a.len() && y < b.len() {
        let lo = a[x].0.max(b[y].0);
        let hi = a[x].1.min(b[y].1);
        if hi > lo {
            total += hi - lo;
        }
        if a[x].1 < b[y].1 {
            x += 1;
        } else {
            y += 1;
        }
    }
    total
}

/// The raw quantities of (mentee, mentor), from the people directly.
pub fn raw_pair(e: &Person, m: &Person) -> Raw {
    let either_empty_or_share = |a: &[String], b: &[String]| a.is_empty() || b.is_empty() || sorted_inter(a, b) > 0;
    Raw {
        inter_topics: sorted_inter(&e.topics, &m.topics),
        goals: e.topics.len() as u32,
        topics: m.topics.len() as u32,
        inter_skills: sorted_inter(&e.topics, &m.skills),
        style_ok: either_empty_or_share(&e.styles, &m.styles),
        timezone: tz_value(e.offset_s - m.offset_s),
        shared_s: shared_seconds(&e.utc, &m.utc),
        method_ok: either_empty_or_share(&e.methods, &m.methods),
        kind_ok: m.kinds[e.kind],
    }
}

/// Criteria and score of mentee `mentee_idx` with mentor `mentor_idx`, as the table says
/// (hard rules are not applied here). The score includes the extra criteria of a file that
/// has them (profession, level, questions: see `criteria`); `criteria` holds the table's seven.
pub fn score_pair(program: &Program, mentee_idx: usize, mentor_idx: usize) -> PairScore {
    let e = &program.mentees[mentee_idx];
    let m = &program.mentors[mentor_idx];
    let mut ps = combine(&program.weights, &raw_pair(e, m));
    ps.score = add_extras(program, mentee_idx, mentor_idx, ps.score);
    ps
}

/// Bitset form of a program, for scoring one mentee against every mentor fast.
pub struct Prepared {
    pub weights: [f64; 7],
    /// Mentors with capacity 0 (never paired).
    pub zero_capacity: Vec<usize>,
    wg: usize,
    ws: usize,
    wm: usize,
    /// Availability: words per person when on a slot grid, 0 for the interval fallback.
    wa: usize,
    slot_s: i64,
    // mentees
    e_goals: Vec<u64>,
    e_gsz: Vec<u32>,
    e_styles: Vec<u64>,
    e_methods: Vec<u64>,
    e_kind: Vec<u8>,
    e_oi: Vec<u16>,
    e_avail: Vec<u64>,
    // mentors
    m_topics: Vec<u64>,
    m_tsz: Vec<u32>,
    m_skills: Vec<u64>,
    m_styles: Vec<u64>,
    m_methods: Vec<u64>,
    m_kinds: Vec<u8>,
    m_oi: Vec<u16>,
    m_avail: Vec<u64>,
    n_offsets: usize,
    tz_table: Vec<f64>,
    /// Largest mentor topic count.
    max_tsz: usize,
    /// Weighted availability by number of shared slots (grid mode).
    avail_w: Vec<f64>,
}

fn vocab<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> HashMap<&'a str, usize> {
    let mut names: Vec<&str> = lists.flat_map(|l| l.iter().map(|s| s.as_str())).collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter().enumerate().map(|(k, n)| (n, k)).collect()
}

/// Sets the bits of `names`; a name outside the vocabulary sets the extra bit `vocab.len()`
/// when `other` is true (so that a non-empty list never looks empty).
fn fill_bits(out: &mut [u64], names: &[String], vocab: &HashMap<&str, usize>, other: bool) {
    for n in names {
        let k = match vocab.get(n.as_str()) {
            Some(&k) => k,
            None if other => vocab.len(),
            None => continue,
        };
        out[k / 64] |= 1u64 << (k % 64);
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// Largest slot grid kept as bitsets (beyond it, intervals are intersected directly).
const MAX_SLOTS: i64 = 4096;

impl Prepared {
    pub fn new(p: &Program) -> Prepared {
        let gv = vocab(p.mentees.iter().map(|e| &e.topics));
        let sv = vocab(p.mentees.iter().map(|e| &e.styles));
        let mv = vocab(p.mentees.iter().map(|e| &e.methods));
        // widths padded to the row kernels' sizes (zero words change no count)
        let pad = |w: usize, sizes: &[usize]| sizes.iter().copied().find(|&x| x >= w).unwrap_or(w);
        let wg = pad(gv.len().div_ceil(64).max(1), &[4, 8]);
        let ws = (sv.len() + 1).div_ceil(64);
        let wm = (mv.len() + 1).div_ceil(64);
        let bits = |people: &[Person],
                    w: usize,
                    f: &dyn Fn(&Person) -> &Vec<String>,
                    v: &HashMap<&str, usize>,
                    empty_all: bool| {
            let mut out = vec![0u64; people.len() * w];
            for (k, person) in people.iter().enumerate() {
                let names = f(person);
                let row = &mut out[k * w..(k + 1) * w];
                if empty_all && names.is_empty() {
                    row.iter_mut().for_each(|x| *x = u64::MAX);
                } else {
                    fill_bits(row, names, v, empty_all);
                }
            }
            out
        };
        // offsets
        let mut offs: Vec<i64> = p.mentees.iter().chain(p.mentors.iter()).map(|x| x.offset_s).collect();
        offs.sort_unstable();
        offs.dedup();
        let oi = |o: i64| offs.binary_search(&o).unwrap_or(0) as u16;
        let no = offs.len();
        let mut tz_table = vec![0.0; no * no];
        for a in 0..no {
            for b in 0..no {
                tz_table[a * no + b] = tz_value(offs[a] - offs[b]);
            }
        }
        // availability grid
        let mut g = WEEK_S;
        for x in p.mentees.iter().chain(p.mentors.iter()) {
            for &(s, e) in &x.utc {
                g = gcd(g, s);
                g = gcd(g, e);
            }
        }
        let slots = WEEK_S / g;
        let (wa, slot_s) = if slots <= MAX_SLOTS {
            (pad((slots as usize).div_ceil(64), &[6, 16, 64]), g)
        } else {
            (0, g)
        };
        let avail = |people: &[Person]| {
            let mut out = vec![0u64; people.len() * wa];
            if wa > 0 {
                for (k, x) in people.iter().enumerate() {
                    let row = &mut out[k * wa..(k + 1) * wa];
                    for &(s, e) in &x.utc {
                        for slot in (s / slot_s)..(e / slot_s) {
                            row[slot as usize / 64] |= 1u64 << (slot % 64);
                        }
                    }
                }
            }
            out
        };
        Prepared {
            weights: p.weights,
            zero_capacity: (0..p.mentors.len()).filter(|&j| p.mentors[j].capacity == 0).collect(),
            wg,
            ws,
            wm,
            wa,
            slot_s,
            e_goals: bits(&p.mentees, wg, &|x| &x.topics, &gv, false),
            e_gsz: p.mentees.iter().map(|x| x.topics.len() as u32).collect(),
            e_styles: bits(&p.mentees, ws, &|x| &x.styles, &sv, true),
            e_methods: bits(&p.mentees, wm, &|x| &x.methods, &mv, true),
            e_kind: p.mentees.iter().map(|x| 1u8 << x.kind).collect(),
            e_oi: p.mentees.iter().map(|x| oi(x.offset_s)).collect(),
            e_avail: avail(&p.mentees),
            m_topics: bits(&p.mentors, wg, &|x| &x.topics, &gv, false),
            m_tsz: p.mentors.iter().map(|x| x.topics.len() as u32).collect(),
            m_skills: bits(&p.mentors, wg, &|x| &x.skills, &gv, false),
            m_styles: bits(&p.mentors, ws, &|x| &x.styles, &sv, true),
            m_methods: bits(&p.mentors, wm, &|x| &x.methods, &mv, true),
            m_kinds: p
                .mentors
                .iter()
                .map(|x| (0..3).filter(|&k| x.kinds[k]).map(|k| 1u8 << k).sum())
                .collect(),
            m_oi: p.mentors.iter().map(|x| oi(x.offset_s)).collect(),
            m_avail: avail(&p.mentors),
            n_offsets: no,
            tz_table,
            max_tsz: p.mentors.iter().map(|x| x.topics.len()).max().unwrap_or(0),
            avail_w: if wa > 0 {
                (0..=wa * 64)
                    .map(|k| {
                        let r = Raw {
                            inter_topics: 0,
                            goals: 0,
                            topics: 0,
                            inter_skills: 0,
                            style_ok: false,
                            timezone: 0.0,
                            shared_s: k as i64 * slot_s,
                            method_ok: false,
                            kind_ok: false,
                        };
                        p.weights[4] * combine(&p.weights, &r).criteria.availability
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "words: goals {} styles {} methods {} availability {} (slot {} s)",
            self.wg, self.ws, self.wm, self.wa, self.slot_s
        )
    }

    /// Scores of mentee `i` against every mentor, written to `out` (length = mentors).
    pub fn score_row(&self, p: &Program, i: usize, out: &mut [f64]) {
        self.score_row_table(p, i, out);
        if p.extras.on {
            for (j, o) in out.iter_mut().enumerate() {
                *o = add_extras(p, i, j, *o);
            }
        }
    }

    /// The table's part of the scores of mentee `i` against every mentor.
    fn score_row_table(&self, p: &Program, i: usize, out: &mut [f64]) {
        match (self.wg, self.wa, self.ws, self.wm) {
            (4, 6, 1, 1) => self.score_row_k::<4, 6>(p, i, out),
            (4, 16, 1, 1) => self.score_row_k::<4, 16>(p, i, out),
            (4, 64, 1, 1) => self.score_row_k::<4, 64>(p, i, out),
            (8, 6, 1, 1) => self.score_row_k::<8, 6>(p, i, out),
            (8, 16, 1, 1) => self.score_row_k::<8, 16>(p, i, out),
            (8, 64, 1, 1) => self.score_row_k::<8, 64>(p, i, out),
            _ => self.score_row_generic(p, i, out),
        }
    }

    fn score_row_k<const WG: usize, const WA: usize>(&self, p: &Program, i: usize, out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("popcnt")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("sse4.1")
            {
                // SAFETY: the CPU supports these instructions, checked just above.
                unsafe { self.score_row_popcnt::<WG, WA>(p, i, out) };
                return;
            }
        }
        self.score_row_body::<WG, WA>(p, i, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt,avx2,sse4.1")]
    unsafe fn score_row_popcnt<const WG: usize, const WA: usize>(&self, p: &Program, i: usize, out: &mut [f64]) {
        self.score_row_body::<WG, WA>(p, i, out)
    }

    #[inline(always)]
    fn score_row_body<const WG: usize, const WA: usize>(&self, p: &Program, i: usize, out: &mut [f64]) {
        let w = &self.weights;
        let g: [u64; WG] = self.e_goals[i * WG..(i + 1) * WG].try_into().unwrap();
        let av: [u64; WA] = self.e_avail[i * WA..(i + 1) * WA].try_into().unwrap();
        let gsz = self.e_gsz[i] as usize;
        let st = self.e_styles[i];
        let me = self.e_methods[i];
        let kind = self.e_kind[i];
        // weighted criteria as tables, each entry computed exactly as `combine` computes it
        let tzrow: Vec<f64> = self.tz_table
            [self.e_oi[i] as usize * self.n_offsets..(self.e_oi[i] as usize + 1) * self.n_offsets]
            .iter()
            .map(|&t| w[3] * t)
            .collect();
        let stride = gsz + 1;
        let tab_len = (self.max_tsz + 1) * stride * stride * 2;
        if tab_len > 1 << 16 || self.avail_w.len() != WA * 64 + 1 {
            return self.score_row_generic(p, i, out);
        }
        // ts[((tsz * stride + inter_topics) * stride + inter_skills) * 2 + style_ok]
        //   = ((w0 * topic) + w1 * skill) + w2 * style, the first three terms of the sum
        let mut ts = vec![0.0f64; tab_len];
        for tsz in 0..=self.max_tsz {
            for it in 0..=gsz.min(tsz) {
                let r = Raw {
                    inter_topics: it as u32,
                    goals: gsz as u32,
                    topics: tsz as u32,
                    inter_skills: 0,
                    style_ok: false,
                    timezone: 0.0,
                    shared_s: 0,
                    method_ok: false,
                    kind_ok: false,
                };
                let topic = w[0] * combine(w, &r).criteria.topic;
                for is in 0..=gsz {
                    let skill = if gsz > 0 { is as f64 / gsz as f64 } else { 0.0 };
                    let t2 = topic + w[1] * skill;
                    let k = ((tsz * stride + it) * stride + is) * 2;
                    ts[k] = t2 + w[2] * 0.0;
                    ts[k + 1] = t2 + w[2] * 1.0;
                }
            }
        }
        let avail_w = &self.avail_w;
        let (w5, w6) = (w[5], w[6]);
        let mt = self.m_topics.chunks_exact(WG);
        let ms = self.m_skills.chunks_exact(WG);
        let ma = self.m_avail.chunks_exact(WA);
        let small = self
            .m_tsz
            .iter()
            .zip(self.m_styles.iter())
            .zip(self.m_methods.iter())
            .zip(self.m_kinds.iter())
            .zip(self.m_oi.iter());
        for ((o, ((t, s), a)), ((((&tsz, &mst), &mme), &mk), &moi)) in out.iter_mut().zip(mt.zip(ms).zip(ma)).zip(small)
        {
            let mut it = 0;
            let mut is = 0;
            for k in 0..WG {
                it += (g[k] & t[k]).count_ones();
                is += (g[k] & s[k]).count_ones();
            }
            let mut sh = 0;
            for k in 0..WA {
                sh += (av[k] & a[k]).count_ones();
            }
            let k = ((tsz as usize * stride + it as usize) * stride + is as usize) * 2 + (st & mst != 0) as usize;
            let mut score = ts[k];
            score += tzrow[moi as usize];
            score += avail_w[sh as usize];
            score += if me & mme != 0 { w5 } else { 0.0 };
            score += if kind & mk != 0 { w6 } else { 0.0 };
            *o = score;
        }
    }

    fn score_row_generic(&self, p: &Program, i: usize, out: &mut [f64]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.score_table(p, i, j).score;
        }
    }

    /// Criteria and score of one pair through the bitsets (equal to [`score_pair`]).
    pub fn score(&self, p: &Program, i: usize, j: usize) -> PairScore {
        let mut ps = self.score_table(p, i, j);
        ps.score = add_extras(p, i, j, ps.score);
        ps
    }

    /// The table's part of [`Prepared::score`].
    fn score_table(&self, p: &Program, i: usize, j: usize) -> PairScore {
        let and_count = |a: &[u64], b: &[u64]| -> u32 { a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum() };
        let any = |a: &[u64], b: &[u64]| a.iter().zip(b).any(|(x, y)| x & y != 0);
        let (wg, ws, wm, wa) = (self.wg, self.ws, self.wm, self.wa);
        let g = &self.e_goals[i * wg..(i + 1) * wg];
        let shared_s = if wa > 0 {
            and_count(&self.e_avail[i * wa..(i + 1) * wa], &self.m_avail[j * wa..(j + 1) * wa]) as i64 * self.slot_s
        } else {
            shared_seconds(&p.mentees[i].utc, &p.mentors[j].utc)
        };
        let r = Raw {
            inter_topics: and_count(g, &self.m_topics[j * wg..(j + 1) * wg]),
            goals: self.e_gsz[i],
            topics: self.m_tsz[j],
            inter_skills: and_count(g, &self.m_skills[j * wg..(j + 1) * wg]),
            style_ok: any(
                &self.e_styles[i * ws..(i + 1) * ws],
                &self.m_styles[j * ws..(j + 1) * ws],
            ),
            timezone: self.tz_table[self.e_oi[i] as usize * self.n_offsets + self.m_oi[j] as usize],
            shared_s,
            method_ok: any(
                &self.e_methods[i * wm..(i + 1) * wm],
                &self.m_methods[j * wm..(j + 1) * wm],
            ),
            kind_ok: self.e_kind[i] & self.m_kinds[j] != 0,
        };
        combine(&self.weights, &r)
    }
}
