//! Least-recently-used cache of kernel rows under a byte budget.
//!
//! A row is identified by a *key* (a sample of the sub-problem) and holds
//! `f32` values with a valid prefix; [`SampleRows`] keeps them in the solver's
//! position order and computes only the missing tail of a prefix. The rows
//! live in one zero-initialised allocation of `budget` bytes (at least two
//! rows) made on first use: fresh pages from the OS, nothing written up front,
//! so resident memory grows with what is actually cached.

use super::kernel::RowEval;
use super::solver::QRows;

const NONE: u32 = u32::MAX;

/// The LRU row cache.
#[derive(Debug)]
pub(crate) struct RowCache {
    row_len: usize,
    max_slots: usize,
    slot_of: Vec<u32>,
    key_of: Vec<usize>,
    len: Vec<usize>,
    /// `max_slots` rows of `row_len` values, slot after slot: allocated zeroed
    /// in one piece (fresh pages from the OS, nothing written up front), so
    /// memory is only touched as rows are filled.
    data: Vec<f32>,
    /// Slots handed out so far.
    used: usize,
    prev: Vec<u32>,
    next: Vec<u32>,
    head: u32,
    tail: u32,
    hits: u64,
    misses: u64,
}

impl RowCache {
    /// A cache for `n_keys` rows of `row_len` values within `budget_bytes`.
    pub(crate) fn new(n_keys: usize, row_len: usize, budget_bytes: usize) -> Self {
        let per_row = (row_len * std::mem::size_of::<f32>()).max(1);
        let max_slots = (budget_bytes / per_row).clamp(2, n_keys.max(2));
        RowCache {
            row_len,
            max_slots,
            slot_of: vec![NONE; n_keys],
            key_of: Vec::new(),
            len: Vec::new(),
            data: Vec::new(),
            used: 0,
            prev: Vec::new(),
            next: Vec::new(),
            head: NONE,
            tail: NONE,
            hits: 0,
            misses: 0,
        }
    }

    /// How many rows fit in the budget.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.max_slots
    }

    /// (hits, misses) of [`RowCache::get`] so far.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    fn unlink(&mut self, s: u32) {
        let (p, n) = (self.prev[s as usize], self.next[s as usize]);
        if p != NONE {
            self.next[p as usize] = n;
        } else {
            self.head = n;
        }
        if n != NONE {
            self.prev[n as usize] = p;
        } else {
            self.tail = p;
        }
    }

    fn push_front(&mut self, s: u32) {
        self.prev[s as usize] = NONE;
        self.next[s as usize] = self.head;
        if self.head != NONE {
            self.prev[self.head as usize] = s;
        }
        self.head = s;
        if self.tail == NONE {
            self.tail = s;
        }
    }

    /// The slot of `key`, made most recently used, and how many of its leading
    /// entries are valid. A missing key takes a free slot or evicts the least
    /// recently used row (never the one returned by the previous call).
    pub(crate) fn get(&mut self, key: usize) -> (usize, usize) {
        let s = self.slot_of[key];
        if s != NONE {
            self.unlink(s);
            self.push_front(s);
            let have = self.len[s as usize];
            if have > 0 {
                self.hits += 1;
            } else {
                self.misses += 1;
            }
            return (s as usize, have);
        }
        self.misses += 1;
        let s = if self.used < self.max_slots {
            if self.data.is_empty() {
                self.data = vec![0.0; self.max_slots * self.row_len];
            }
            let s = self.used as u32;
            self.used += 1;
            self.key_of.push(key);
            self.len.push(0);
            self.prev.push(NONE);
            self.next.push(NONE);
            s
        } else {
            let s = self.tail;
            self.unlink(s);
            self.slot_of[self.key_of[s as usize]] = NONE;
            s
        };
        self.key_of[s as usize] = key;
        self.len[s as usize] = 0;
        self.slot_of[key] = s;
        self.push_front(s);
        (s as usize, 0)
    }

    /// Number of allocated slots.
    pub(crate) fn n_slots(&self) -> usize {
        self.used
    }

    /// How many leading entries of `slot` are valid.
    pub(crate) fn valid_len(&self, slot: usize) -> usize {
        self.len[slot]
    }

    /// Marks the first `len` entries of `slot` valid.
    pub(crate) fn set_len(&mut self, slot: usize, len: usize) {
        self.len[slot] = len;
    }

    /// The buffer of `slot`.
    pub(crate) fn row(&self, slot: usize) -> &[f32] {
        &self.data[slot * self.row_len..(slot + 1) * self.row_len]
    }

    /// The buffer of `slot`, mutable.
    pub(crate) fn row_mut(&mut self, slot: usize) -> &mut [f32] {
        &mut self.data[slot * self.row_len..(slot + 1) * self.row_len]
    }
}

/// Kernel rows of a sub-problem's samples for the solver, cached in the
/// solver's *position* order.
///
/// The row of sample `s` holds `K(s, sample at position p)` for a valid prefix
/// of positions `p < len`; a request for a longer prefix computes only the
/// missing tail. When the solver swaps two positions (shrinking), every cached
/// row swaps the two entries (or, if only the first lies in its valid prefix,
/// is truncated before it), so the solver's loops run over contiguous memory.
/// For the RBF kernel the points are also kept feature-major in position order
/// (`f32`), so a row tail is a small GEMV vectorised across targets.
pub(crate) struct SampleRows<'e, 'x, F: crate::Float> {
    eval: &'e RowEval<'x, F>,
    cache: RowCache,
    /// Sub-problem sample → evaluator point.
    global: Vec<usize>,
    /// Position → evaluator point.
    pos_point: Vec<usize>,
    /// RBF only: `fm[k·l + p]` = feature `k` of the point at position `p`.
    fm: Vec<f32>,
    /// RBF only: squared norm of the point at position `p`.
    fm_sq: Vec<f32>,
    /// Position swaps not yet applied to the cached rows.
    pending: Vec<(usize, usize)>,
    tg: Vec<usize>,
}

impl<'e, 'x, F: crate::Float> SampleRows<'e, 'x, F> {
    /// Rows over `global` (indices into the evaluator's points); `n_positions`
    /// is the solver's variable count (each row's length).
    pub(crate) fn new(
        eval: &'e RowEval<'x, F>,
        global: Vec<usize>,
        n_positions: usize,
        budget_bytes: usize,
    ) -> Self {
        let cache = RowCache::new(global.len(), n_positions, budget_bytes);
        SampleRows {
            eval,
            cache,
            global,
            pos_point: Vec::new(),
            fm: Vec::new(),
            fm_sq: Vec::new(),
            pending: Vec::new(),
            tg: Vec::new(),
        }
    }

    /// Applies the pending position swaps to every cached row.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        for slot in 0..self.cache.n_slots() {
            let mut len = self.cache.valid_len(slot);
            if len == 0 {
                continue;
            }
            let row = self.cache.row_mut(slot);
            for &(a, b) in &self.pending {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                if hi < len {
                    row.swap(lo, hi);
                } else if lo < len {
                    len = lo;
                }
            }
            self.cache.set_len(slot, len);
        }
        self.pending.clear();
    }

    fn ensure(&mut self, s: usize, need: usize) -> usize {
        let (slot, have) = self.cache.get(s);
        if have >= need {
            return slot;
        }
        let src = self.global[s];
        let out = &mut self.cache.row_mut(slot)[have..need];
        if self.fm.is_empty() {
            self.tg.clear();
            self.tg.extend_from_slice(&self.pos_point[have..need]);
            self.eval.fill(src, &self.tg, out);
        } else {
            self.eval
                .fill_rbf_positions(src, &self.fm, &self.fm_sq, have..need, out);
        }
        self.cache.set_len(slot, need);
        slot
    }
}

impl<F: crate::Float> QRows for SampleRows<'_, '_, F> {
    fn set_positions(&mut self, sample: &[usize]) {
        self.pos_point = sample.iter().map(|&t| self.global[t]).collect();
        (self.fm, self.fm_sq) = self.eval.rbf_feature_major(&self.pos_point);
        self.pending.clear();
    }
    fn swap(&mut self, a: usize, b: usize) {
        self.pos_point.swap(a, b);
        if !self.fm.is_empty() {
            let l = self.pos_point.len();
            for k in 0..self.fm.len() / l {
                self.fm.swap(k * l + a, k * l + b);
            }
            self.fm_sq.swap(a, b);
        }
        self.pending.push((a, b));
    }
    fn row(&mut self, s: usize, len: usize) -> &[f32] {
        self.flush();
        let slot = self.ensure(s, len);
        &self.cache.row(slot)[..len]
    }
    fn rows2(&mut self, si: usize, sj: usize, len: usize) -> (&[f32], &[f32]) {
        self.flush();
        let a = self.ensure(si, len);
        let b = self.ensure(sj, len);
        (&self.cache.row(a)[..len], &self.cache.row(b)[..len])
    }
    fn n_samples(&self) -> usize {
        self.global.len()
    }
    fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_eviction_respects_budget() {
        // 3 rows of 4 f32 fit in 48 bytes.
        let mut c = RowCache::new(10, 4, 48);
        assert_eq!(c.capacity(), 3);
        for k in 0..3 {
            let (s, have) = c.get(k);
            assert_eq!(have, 0);
            c.row_mut(s).fill(k as f32);
            c.set_len(s, 4);
        }
        // touch 0 so 1 becomes least recent
        assert_eq!(c.get(0).1, 4);
        let (s, have) = c.get(7);
        assert_eq!(have, 0);
        c.set_len(s, 4);
        assert_eq!(c.get(1).1, 0, "row 1 was evicted");
        assert_eq!(c.n_slots(), 3);
        assert!(c.stats().0 >= 1);
    }
}
