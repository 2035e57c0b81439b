//! The quantised score table behind the proof of optimality: per mentee, only its best
//! bytes (see [`QCache`]), so that checking a row against new prices rarely needs its scores.

/// Entries kept per mentee in the quantised table (its best bytes, whole byte values only).
pub const KEEP: usize = 256;

/// Quantised upper bounds of each mentee's best scores, `q = ceil(score * 255 / W)`: the
/// entries of row i are the mentors whose byte exceeds `rest[i]`, packed as `j | q << 24`;
/// every other allowed mentor of row i has a byte of at most `rest[i]`. A row whose left-out
/// bound fails the proof is rescored instead (a dense table, one byte per pair, would be
/// 200 MB at 20,000 x 10,000).
pub(super) struct QCache {
    pub qscale: f64,
    pub rows: Vec<Box<[u32]>>,
    pub rest: Vec<u8>,
}

/// Mentor indices must leave the top byte free for the quantised score.
pub(super) const QCACHE_MAX_MENTORS: usize = 1 << 24;

impl QCache {
    #[inline]
    pub fn quantise(qscale: f64, s: f64) -> u8 {
        if s <= 0.0 {
            0
        } else {
            // truncating x + 1 is at least ceil(x): still an upper bound
            (s * qscale + 1.0).min(255.0) as u8
        }
    }

    /// Row `i`'s entries from its scores (not-allowed and below-min pairs hold `q = 0`, so
    /// they are never kept and never count): the best whole byte values, at most `keep`
    /// entries. `q` is scratch of the row's length.
    pub fn row(qscale: f64, min_thr: f64, keep: usize, row: &[f64], q: &mut [u8]) -> (Box<[u32]>, u8) {
        for (x, &s) in q.iter_mut().zip(row.iter()) {
            // as quantise, without branches (NEG_INFINITY saturates to 0)
            let b = (s * qscale + 1.0).min(255.0) as u8;
            *x = if s > 0.0 && s >= min_thr { b } else { 0 };
        }
        // four histograms, so that a run of equal bytes does not wait on one counter
        let mut hists = [[0u32; 256]; 4];
        let mut quads = q.chunks_exact(4);
        for c in &mut quads {
            for (h, &x) in hists.iter_mut().zip(c) {
                h[x as usize] += 1;
            }
        }
        for &x in quads.remainder() {
            hists[0][x as usize] += 1;
        }
        let mut hist = [0usize; 256];
        for (v, x) in hist.iter_mut().enumerate() {
            *x = hists.iter().map(|h| h[v] as usize).sum();
        }
        // the smallest rest >= 0 such that the bytes above it fit in `keep`
        let mut rest = 255usize;
        let mut above = 0usize;
        while rest > 0 && above + hist[rest] <= keep {
            above += hist[rest];
            rest -= 1;
        }
        let mut out = Vec::with_capacity(above);
        if above > 0 {
            for (j, &x) in q.iter().enumerate() {
                if x as usize > rest {
                    out.push(j as u32 | (x as u32) << 24);
                }
            }
        }
        (out.into_boxed_slice(), rest as u8)
    }

    /// For each byte value, an upper bound (in rank units) of the rank of any score with it.
    /// `scale` is the solver's rank units per score point.
    pub fn rank_table(&self, scale: f64) -> [i64; 256] {
        let mut t = [0i64; 256];
        for (q, x) in t.iter_mut().enumerate() {
            let s = if self.qscale > 0.0 { q as f64 / self.qscale } else { 0.0 };
            *x = (s * (1.0 + 1e-12) * scale).ceil() as i64 + 2;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Scores on a coarse grid (ties, many on one byte), not-allowed pairs and pairs below a
    /// min_score of 2.
    fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NEG_INFINITY),
            Just(0.0),
            (0u32..40).prop_map(|x| x as f64 * 0.25),
            0.0f64..10.0,
        ]
    }

    proptest! {
        /// A row keeps at most `keep` entries, exactly the allowed mentors whose byte is above
        /// its rest, with the rest as low as `keep` allows; every byte bounds its score.
        #[test]
        fn row_keeps_the_best_bytes_and_bounds_the_rest(
            row in proptest::collection::vec(score(), 0..80),
            keep in 0usize..24,
            with_min in any::<bool>(),
        ) {
            let wsum = 10.0;
            let qscale = 255.0 / wsum;
            let min_thr = if with_min { 2.0 } else { f64::MIN };
            let mut q = vec![0u8; row.len()];
            let (entries, rest) = QCache::row(qscale, min_thr, keep, &row, &mut q);
            prop_assert!(entries.len() <= keep);
            let kept: Vec<usize> = entries.iter().map(|&e| (e & 0x00ff_ffff) as usize).collect();
            prop_assert!(kept.windows(2).all(|w| w[0] < w[1]));
            let allowed_q = |j: usize| if row[j] < min_thr { 0 } else { QCache::quantise(qscale, row[j]) };
            for (&e, &j) in entries.iter().zip(&kept) {
                prop_assert!(row[j] >= min_thr);
                prop_assert_eq!((e >> 24) as u8, allowed_q(j));
                prop_assert!(allowed_q(j) > rest);
            }
            for j in 0..row.len() {
                if !kept.contains(&j) {
                    prop_assert!(allowed_q(j) <= rest, "left out {} above the rest", j);
                }
            }
            if rest > 0 {
                let at_or_above = (0..row.len()).filter(|&j| allowed_q(j) >= rest).count();
                prop_assert!(at_or_above > keep, "rest {} could be lower", rest);
            }
            let cache = QCache { qscale, rows: vec![entries], rest: vec![rest] };
            let scale = 2f64.powi(40);
            let table = cache.rank_table(scale);
            for &s in &row {
                if s >= 0.0 {
                    prop_assert!((s * scale).round() as i64 <= table[QCache::quantise(qscale, s) as usize]);
                }
            }
        }
    }
}
