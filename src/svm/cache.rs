//! Least-recently-used cache of kernel rows under a byte budget.
//!
//! A row is identified by a *key* (a sample of the sub-problem) and holds
//! `f32` values in sample order; [`SampleRows`] computes a row either in full
//! or only at the solver's active (unshrunk) samples. Row buffers are allocated on first use, so memory
//! grows with what is cached, never beyond `budget` (at least two rows).

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
    data: Vec<Vec<f32>>,
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
        let s = if self.data.len() < self.max_slots {
            let s = self.data.len() as u32;
            self.data.push(vec![0.0; self.row_len]);
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

    /// Marks the first `len` entries of `slot` valid.
    pub(crate) fn set_len(&mut self, slot: usize, len: usize) {
        self.len[slot] = len;
    }

    /// The buffer of `slot`.
    pub(crate) fn row(&self, slot: usize) -> &[f32] {
        &self.data[slot]
    }

    /// The buffer of `slot`, mutable.
    pub(crate) fn row_mut(&mut self, slot: usize) -> &mut [f32] {
        &mut self.data[slot]
    }
}

/// Kernel rows of a sub-problem's samples, cached in sample order (never
/// permuted). A row is computed either in full or only at the solver's
/// active samples, and then serves until the active set grows again.
pub(crate) struct SampleRows<'e, 'x, F: crate::Float> {
    eval: &'e RowEval<'x, F>,
    cache: RowCache,
    /// Sub-problem sample → evaluator point.
    global: Vec<usize>,
    /// Per cache slot: generation it was computed for, and whether in full.
    slot_gen: Vec<u64>,
    slot_full: Vec<bool>,
    tg: Vec<usize>,
    tmp: Vec<f32>,
}

impl<'e, 'x, F: crate::Float> SampleRows<'e, 'x, F> {
    /// Rows over `global` (indices into the evaluator's points).
    pub(crate) fn new(eval: &'e RowEval<'x, F>, global: Vec<usize>, budget_bytes: usize) -> Self {
        let m = global.len();
        let cache = RowCache::new(m, m, budget_bytes);
        SampleRows {
            eval,
            cache,
            global,
            slot_gen: Vec::new(),
            slot_full: Vec::new(),
            tg: Vec::new(),
            tmp: Vec::new(),
        }
    }

    fn ensure(&mut self, s: usize, targets: &[usize], generation: u64) -> usize {
        let (slot, have) = self.cache.get(s);
        if slot >= self.slot_gen.len() {
            self.slot_gen.resize(slot + 1, 0);
            self.slot_full.resize(slot + 1, false);
        }
        let m = self.global.len();
        // A full row serves every request; a partial one only requests for
        // (a subset of) the active set it was computed for.
        if have > 0
            && (self.slot_full[slot] || (self.slot_gen[slot] == generation && targets.len() < m))
        {
            return slot;
        }
        let src = self.global[s];
        if targets.len() >= m {
            self.eval
                .fill(src, &self.global, &mut self.cache.row_mut(slot)[..m]);
            self.slot_full[slot] = true;
        } else {
            self.tg.clear();
            self.tg.extend(targets.iter().map(|&t| self.global[t]));
            self.tmp.resize(targets.len(), 0.0);
            self.eval.fill(src, &self.tg, &mut self.tmp);
            let row = self.cache.row_mut(slot);
            for (&t, &v) in targets.iter().zip(&self.tmp) {
                row[t] = v;
            }
            self.slot_full[slot] = false;
        }
        self.slot_gen[slot] = generation;
        self.cache.set_len(slot, m);
        slot
    }
}

impl<F: crate::Float> QRows for SampleRows<'_, '_, F> {
    fn row(&mut self, s: usize, targets: &[usize], generation: u64) -> &[f32] {
        let slot = self.ensure(s, targets, generation);
        self.cache.row(slot)
    }
    fn rows2(
        &mut self,
        si: usize,
        sj: usize,
        targets: &[usize],
        generation: u64,
    ) -> (&[f32], &[f32]) {
        let a = self.ensure(si, targets, generation);
        let b = self.ensure(sj, targets, generation);
        (self.cache.row(a), self.cache.row(b))
    }
    fn n_samples(&self) -> usize {
        self.global.len()
    }
    fn kernel_sums(&self, targets: &[usize], svs: &[usize], coef: &[f64]) -> Vec<f64> {
        let g = |v: &[usize]| v.iter().map(|&i| self.global[i]).collect::<Vec<_>>();
        self.eval.kernel_sums(&g(targets), &g(svs), coef)
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
        assert_eq!(c.data.len(), 3);
        assert!(c.stats().0 >= 1);
    }
}
