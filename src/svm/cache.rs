//! Least-recently-used cache of kernel rows under a byte budget.
//!
//! A row is identified by a *key* (the solver's position of a variable, or a
//! training sample) and holds `f32` values; only a prefix of a row may be
//! valid (`len`), because the solver asks only for the entries of its active
//! (unshrunk) variables. Row buffers are allocated on first use, so memory
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

    /// Exchanges keys `a < b` and entries `a`, `b` inside every cached row;
    /// a row valid up to a length in `(a, b]` loses its entries from `a` on.
    pub(crate) fn swap_keys(&mut self, a: usize, b: usize) {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let (sa, sb) = (self.slot_of[a], self.slot_of[b]);
        self.slot_of[a] = sb;
        self.slot_of[b] = sa;
        if sa != NONE {
            self.key_of[sa as usize] = b;
        }
        if sb != NONE {
            self.key_of[sb as usize] = a;
        }
        for (row, len) in self.data.iter_mut().zip(self.len.iter_mut()) {
            if *len > b {
                row.swap(a, b);
            } else if *len > a {
                *len = a;
            }
        }
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

    #[test]
    fn swap_moves_entries_and_truncates() {
        let mut c = RowCache::new(4, 4, 1 << 10);
        let (s0, _) = c.get(0);
        c.row_mut(s0).copy_from_slice(&[0.0, 1.0, 2.0, 3.0]);
        c.set_len(s0, 4);
        let (s1, _) = c.get(1);
        c.row_mut(s1).copy_from_slice(&[10.0, 11.0, 12.0, 13.0]);
        c.set_len(s1, 2);
        c.swap_keys(3, 1);
        // row of key 0 fully valid: entries 1 and 3 exchanged
        let (s, have) = c.get(0);
        assert_eq!(have, 4);
        assert_eq!(c.row(s), &[0.0, 3.0, 2.0, 1.0]);
        // old key 1 is now key 3 and was valid up to 2 → truncated to 1
        let (s, have) = c.get(3);
        assert_eq!(have, 1);
        assert_eq!(c.row(s)[0], 10.0);
        assert_eq!(c.get(1).1, 0);
    }
}

/// Kernel rows for a solver whose variables are training samples (C-SVC):
/// rows are cached per solver position, computed for the active prefix only.
pub(crate) struct PrefixRows<'e, 'x, F: crate::Float> {
    eval: &'e RowEval<'x, F>,
    cache: RowCache,
    sample_of: Vec<usize>,
}

impl<'e, 'x, F: crate::Float> PrefixRows<'e, 'x, F> {
    /// Rows over `samples` (indices into the evaluator's points).
    pub(crate) fn new(eval: &'e RowEval<'x, F>, samples: Vec<usize>, budget_bytes: usize) -> Self {
        let l = samples.len();
        PrefixRows {
            eval,
            cache: RowCache::new(l, l, budget_bytes),
            sample_of: samples,
        }
    }

    fn ensure(&mut self, pos: usize, len: usize) -> usize {
        let (slot, have) = self.cache.get(pos);
        if have < len {
            let s = self.sample_of[pos];
            self.eval.fill(
                s,
                &self.sample_of[have..len],
                &mut self.cache.row_mut(slot)[have..len],
            );
            self.cache.set_len(slot, len);
        }
        slot
    }
}

impl<F: crate::Float> QRows for PrefixRows<'_, '_, F> {
    fn row(&mut self, pos: usize, len: usize) -> &[f32] {
        let s = self.ensure(pos, len);
        &self.cache.row(s)[..len]
    }
    fn rows2(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]) {
        let si = self.ensure(i, len);
        let sj = self.ensure(j, len);
        (&self.cache.row(si)[..len], &self.cache.row(sj)[..len])
    }
    fn swap(&mut self, a: usize, b: usize) {
        self.cache.swap_keys(a, b);
        self.sample_of.swap(a, b);
    }
    fn sample(&self, pos: usize) -> usize {
        self.sample_of[pos]
    }
    fn n_samples(&self) -> usize {
        self.eval.n()
    }
    fn kernel_sums(&self, targets: &[usize], svs: &[usize], coef: &[f64]) -> Vec<f64> {
        self.eval.kernel_sums(targets, svs, coef)
    }
    fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}

/// Kernel rows for a solver with two variables per sample (ε-SVR): full
/// sample rows are cached, variable rows are gathered from them.
pub(crate) struct PairedRows<'e, 'x, F: crate::Float> {
    eval: &'e RowEval<'x, F>,
    cache: RowCache,
    all: Vec<usize>,
    sample_of: Vec<usize>,
    buf: [Vec<f32>; 2],
    tag: [(usize, usize); 2],
}

impl<'e, 'x, F: crate::Float> PairedRows<'e, 'x, F> {
    /// Variables `t` and `t + n` both use sample `t`.
    pub(crate) fn new(eval: &'e RowEval<'x, F>, budget_bytes: usize) -> Self {
        let n = eval.n();
        PairedRows {
            eval,
            cache: RowCache::new(n, n, budget_bytes),
            all: (0..n).collect(),
            sample_of: (0..n).chain(0..n).collect(),
            buf: [vec![0.0; 2 * n], vec![0.0; 2 * n]],
            tag: [(usize::MAX, 0); 2],
        }
    }

    fn build(&mut self, which: usize, pos: usize, len: usize) {
        if self.tag[which] == (pos, len) {
            return;
        }
        let s = self.sample_of[pos];
        let (slot, have) = self.cache.get(s);
        let n = self.all.len();
        if have < n {
            self.eval
                .fill(s, &self.all[have..], &mut self.cache.row_mut(slot)[have..n]);
            self.cache.set_len(slot, n);
        }
        let row = self.cache.row(slot);
        for (b, &k) in self.buf[which][..len]
            .iter_mut()
            .zip(&self.sample_of[..len])
        {
            *b = row[k];
        }
        self.tag[which] = (pos, len);
    }
}

impl<F: crate::Float> QRows for PairedRows<'_, '_, F> {
    fn row(&mut self, pos: usize, len: usize) -> &[f32] {
        self.build(0, pos, len);
        &self.buf[0][..len]
    }
    fn rows2(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]) {
        self.build(0, i, len);
        self.build(1, j, len);
        (&self.buf[0][..len], &self.buf[1][..len])
    }
    fn swap(&mut self, a: usize, b: usize) {
        self.sample_of.swap(a, b);
        self.tag = [(usize::MAX, 0); 2];
    }
    fn sample(&self, pos: usize) -> usize {
        self.sample_of[pos]
    }
    fn n_samples(&self) -> usize {
        self.eval.n()
    }
    fn kernel_sums(&self, targets: &[usize], svs: &[usize], coef: &[f64]) -> Vec<f64> {
        self.eval.kernel_sums(targets, svs, coef)
    }
    fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }
}
