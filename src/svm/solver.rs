//! The dual QP solver shared by every SVM formulation.
//!
//! Solves
//!
//! ```text
//! min_α  f(α) = ½·αᵀQα + pᵀα   s.t.  yᵀα = Δ,  0 ≤ αₜ ≤ Cₜ,   Qₛₜ = yₛ·yₜ·K(xₛ, xₜ), yₜ = ±1
//! ```
//!
//! by sequential minimal optimisation on pairs of variables:
//!
//! - **Working set** (Fan, Chen & Lin, JMLR 2005, second-order selection):
//!   with `v_t = −yₜ·∇f(α)ₜ`, `I_up = {t : αₜ can move so that yₜαₜ grows}`
//!   and `I_low` its mirror, `i = argmax_{I_up} v`, then
//!   `j = argmin_{t∈I_low, v_t<v_i} −(v_i − v_t)² / a_it` with
//!   `a_it = K_ii + K_tt − 2K_it` (a tiny τ when `a ≤ 0`: non-PSD kernels).
//! - **Pair update**: moving `αᵢ += yᵢ·s`, `αⱼ −= yⱼ·s` keeps `yᵀα` fixed;
//!   along this line `f` is a parabola with slope `−(vᵢ − vⱼ)` and curvature
//!   `a_ij`, so `s = min((vᵢ − vⱼ)/a_ij, room of i, room of j)`, and the
//!   gradient changes by `s·yₖ·(K_ik − K_jk)`.
//! - **Stopping**: the maximal violation `max_{I_up} v − min_{I_low} v ≤ tol`.
//! - **Shrinking** (Joachims 1999; Chang & Lin): every `min(l, 1000)`
//!   iterations, a variable at a bound whose gradient pushes it further
//!   against that bound beyond the current violating extremes leaves the
//!   active set (variables are permuted so the active ones are a prefix and
//!   kernel rows are computed for that prefix only). When the violation first
//!   drops below `10·tol`, and at the end, the gradients of the inactive
//!   variables are rebuilt (from the cached kernel rows of the free
//!   variables; `Ḡ` covers those at the upper bound) and every
//!   variable is re-activated, so the final stopping test is on the full set.
//!
//! **ν formulations** (Schölkopf et al. 2000; Chang & Lin 2001, "Training
//! ν-support vector classifiers"): [`solve_from`] also starts from a given
//! feasible `α` (the gradient `∇f = Qα + p` and `Ḡ` are built from the kernel
//! rows of its non-zero entries), and in `two_sums` mode keeps *two* equality
//! constraints, `Σ_{yₜ=+1} αₜ` and `Σ_{yₜ=−1} αₜ` fixed separately: the pair
//! `(i, j)` is then chosen within one label (`i` the maximal violator of
//! that label, `j` by the same second-order rule among that label's
//! `I_low`), stopping when the largest per-label violation is `≤ tol`;
//! shrinking uses per-label extremes; and the two multipliers
//! `r₁`, `r₂` (means of `∇f` over the free variables of each label, else
//! the middle of their feasible range) give `ρ = (r₁ − r₂)/2` and
//! `r = (r₁ + r₂)/2` ([`Solution::r`]).
//!
//! Kernel values come from a [`QRows`] provider (`f32` rows from an LRU
//! cache); all solver state is `f64`.

/// Kernel rows for the solver, in the solver's position order.
///
/// Positions start as `sample` order ([`QRows::set_positions`]) and change
/// only through [`QRows::swap`]; `row(s, len)` returns `K(s, sample at p)` for
/// the positions `p < len`.
pub(crate) trait QRows {
    /// Declares the sample behind each position (called once by [`solve`]).
    fn set_positions(&mut self, sample: &[usize]);
    /// Positions `a` and `b` exchanged their samples.
    fn swap(&mut self, a: usize, b: usize);
    /// The row of sample `s` over the positions `< len`.
    fn row(&mut self, s: usize, len: usize) -> &[f32];
    /// Rows of samples `si` and `sj` together (`si` was usually just fetched).
    fn rows2(&mut self, si: usize, sj: usize, len: usize) -> (&[f32], &[f32]);
    /// Number of samples.
    fn n_samples(&self) -> usize;
    /// (hits, misses) of the row cache.
    fn cache_stats(&self) -> (u64, u64);
}

/// The problem data, in variable order.
pub(crate) struct Problem {
    /// `±1`.
    pub y: Vec<f64>,
    /// Linear term.
    pub p: Vec<f64>,
    /// Upper bounds `Cₜ > 0`.
    pub c: Vec<f64>,
    /// `K(s(t), s(t))`.
    pub diag: Vec<f64>,
    /// The sample `s(t)` behind each variable.
    pub sample: Vec<usize>,
}

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub tol: f64,
    pub shrinking: bool,
    pub max_iter: Option<usize>,
}

/// What the solver found, in the original variable order.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    pub alpha: Vec<f64>,
    /// `ρ`: the decision function is `Σ yₜαₜK(xₜ, x) − ρ`.
    pub rho: f64,
    /// `f(α)` at the solution.
    pub objective: f64,
    /// `(r₁ + r₂)/2` of the `two_sums` mode (see the module docs); `0`
    /// otherwise.
    pub r: f64,
    pub n_iter: usize,
    pub converged: bool,
    #[allow(dead_code)]
    pub cache_hits: u64,
    #[allow(dead_code)]
    pub cache_misses: u64,
}

/// Progress reported every `PROGRESS_EVERY` iterations: (iteration, current
/// maximal violation, active variables).
pub(crate) type ProgressFn<'a> = &'a mut dyn FnMut(usize, f64, usize);

const TAU: f64 = 1e-12;
const PROGRESS_EVERY: usize = 1000;

/// Independent running extremes per scan (two AVX2 vectors of `f64`),
/// combined at the end so that ties resolve exactly as in one sequential scan.
const LANES: usize = 8;

/// "No index".
const NO: usize = usize::MAX;

/// Combines per-lane arg-extremes (lanes interleave positions): the best
/// value, ties to the largest index; then the scalar tail `[body, n)`.
#[inline(always)]
fn lanes_best(best: &[f64; LANES], idx: &[f64; LANES], max: bool) -> (f64, usize) {
    let mut r = (
        if max {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        },
        NO,
    );
    for k in 0..LANES {
        if idx[k] < 0.0 {
            continue;
        }
        let t = idx[k] as usize;
        let better = if max { best[k] > r.0 } else { best[k] < r.0 };
        if r.1 == NO || better || (best[k] == r.0 && t > r.1) {
            r = (best[k], t);
        }
    }
    r
}

/// `mu`, `ml` masks of a variable: `(0 | −∞, 0 | +∞)` for in / not in
/// `I_up`, `I_low`.
#[inline(always)]
fn masks(y: f64, alpha: f64, c: f64) -> (f64, f64) {
    let (up, low) = if y > 0.0 {
        (alpha < c, alpha > 0.0)
    } else {
        (alpha > 0.0, alpha < c)
    };
    (
        if up { 0.0 } else { f64::NEG_INFINITY },
        if low { 0.0 } else { f64::INFINITY },
    )
}

/// `argmax_{t ∈ I_up} vₜ` (last index on ties) over a slice starting at
/// position `base`: `(v, index)`, index [`NO`] when `I_up` is empty.
#[inline(always)]
fn scan_up_body(v: &[f64], mu: &[f64], base: usize) -> (f64, usize) {
    let n = v.len().min(mu.len());
    let body = n / LANES * LANES;
    let mut best = [f64::NEG_INFINITY; LANES];
    let mut idx = [-1.0f64; LANES];
    let mut pos: [f64; LANES] = std::array::from_fn(|k| (base + k) as f64);
    for (cv, cm) in v[..body]
        .chunks_exact(LANES)
        .zip(mu[..body].chunks_exact(LANES))
    {
        for k in 0..LANES {
            let take = cm[k] == 0.0 && cv[k] >= best[k];
            best[k] = if take { cv[k] } else { best[k] };
            idx[k] = if take { pos[k] } else { idx[k] };
            pos[k] += LANES as f64;
        }
    }
    let mut r = lanes_best(&best, &idx, true);
    for t in body..n {
        if mu[t] == 0.0 && (r.1 == NO || v[t] >= r.0) {
            r = (v[t], base + t);
        }
    }
    r
}

/// The gradient step `vₜ −= s·(K_it − K_jt)` fused with the next
/// [`scan_up`] (the masks must already be those after the step).
#[inline(always)]
fn step_scan_up_body(
    v: &mut [f64],
    mu: &[f64],
    ki: &[f32],
    kj: &[f32],
    s: f64,
    base: usize,
) -> (f64, usize) {
    let n = v.len().min(mu.len()).min(ki.len()).min(kj.len());
    let body = n / LANES * LANES;
    let mut best = [f64::NEG_INFINITY; LANES];
    let mut idx = [-1.0f64; LANES];
    let mut pos: [f64; LANES] = std::array::from_fn(|k| (base + k) as f64);
    for (((cv, cm), ci), cj) in v[..body]
        .chunks_exact_mut(LANES)
        .zip(mu[..body].chunks_exact(LANES))
        .zip(ki[..body].chunks_exact(LANES))
        .zip(kj[..body].chunks_exact(LANES))
    {
        for k in 0..LANES {
            let nv = cv[k] - s * (ci[k] as f64 - cj[k] as f64);
            cv[k] = nv;
            let take = cm[k] == 0.0 && nv >= best[k];
            best[k] = if take { nv } else { best[k] };
            idx[k] = if take { pos[k] } else { idx[k] };
            pos[k] += LANES as f64;
        }
    }
    let mut r = lanes_best(&best, &idx, true);
    for t in body..n {
        v[t] -= s * (ki[t] as f64 - kj[t] as f64);
        if mu[t] == 0.0 && (r.1 == NO || v[t] >= r.0) {
            r = (v[t], base + t);
        }
    }
    r
}

/// Second pass of the working-set selection over a slice starting at `base`:
/// `(min_{I_low} v, (best objective, j))` with
/// `j = argmin_{t ∈ I_low, vₜ < gmax} −(gmax − vₜ)²/a_it` (last index on ties).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scan_low_body(
    v: &[f64],
    ml: &[f64],
    qd: &[f64],
    ki: &[f32],
    gmax: f64,
    qdi: f64,
    base: usize,
) -> (f64, (f64, usize)) {
    let n = v.len().min(ml.len()).min(qd.len()).min(ki.len());
    let body = n / LANES * LANES;
    let mut vmin = [f64::INFINITY; LANES];
    let mut best = [f64::INFINITY; LANES];
    let mut idx = [-1.0f64; LANES];
    let mut pos: [f64; LANES] = std::array::from_fn(|k| (base + k) as f64);
    for (((cv, cm), cq), ck) in v[..body]
        .chunks_exact(LANES)
        .zip(ml[..body].chunks_exact(LANES))
        .zip(qd[..body].chunks_exact(LANES))
        .zip(ki[..body].chunks_exact(LANES))
    {
        for k in 0..LANES {
            let x = cv[k] + cm[k];
            vmin[k] = if x < vmin[k] { x } else { vmin[k] };
            let b = gmax - cv[k];
            let a0 = qdi + cq[k] - 2.0 * ck[k] as f64;
            let a = if a0 <= 0.0 { TAU } else { a0 };
            let obj = -(b * b) / a;
            let take = cm[k] == 0.0 && b > 0.0 && obj <= best[k];
            best[k] = if take { obj } else { best[k] };
            idx[k] = if take { pos[k] } else { idx[k] };
            pos[k] += LANES as f64;
        }
    }
    let r = lanes_best(&best, &idx, false);
    let vm = vmin
        .iter()
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m });
    scan_low_tail(v, ml, qd, ki, gmax, qdi, base, body..n, vm, r)
}

/// Compiles a scan twice — generic and with AVX2 enabled — behind one
/// function that takes the CPU check's result.
macro_rules! dispatch {
    ($(#[$m:meta])* fn $name:ident / $avx:ident => $body:ident($($a:ident: $t:ty),*) -> $r:ty) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        $(#[$m])*
        fn $avx($($a: $t),*) -> $r {
            $body($($a),*)
        }
        $(#[$m])*
        #[inline(always)]
        fn $name(avx2: bool, $($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                if avx2 {
                    // SAFETY: `avx2` is only true when the CPU supports AVX2 (see `solve`).
                    return unsafe { $avx($($a),*) };
                }
            }
            let _ = avx2;
            $body($($a),*)
        }
    };
}

dispatch!(fn scan_up / scan_up_avx2 => scan_up_body(v: &[f64], mu: &[f64], base: usize) -> (f64, usize));
dispatch!(fn step_scan_up / step_scan_up_avx2 => step_scan_up_body(
    v: &mut [f64], mu: &[f64], ki: &[f32], kj: &[f32], s: f64, base: usize
) -> (f64, usize));
/// [`scan_low_body`], explicitly vectorised when `avx2` (the compiler does
/// not vectorise the masked arg-min with its division on its own).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scan_low(
    avx2: bool,
    v: &[f64],
    ml: &[f64],
    qd: &[f64],
    ki: &[f32],
    gmax: f64,
    qdi: f64,
    base: usize,
) -> (f64, (f64, usize)) {
    #[cfg(target_arch = "x86_64")]
    {
        if avx2 {
            // SAFETY: `avx2` is only true when the CPU supports AVX2 (see `solve`).
            return unsafe { scan_low_avx2(v, ml, qd, ki, gmax, qdi, base) };
        }
    }
    let _ = avx2;
    scan_low_body(v, ml, qd, ki, gmax, qdi, base)
}

/// [`scan_low_body`] with AVX2 intrinsics: the same per-lane updates (two
/// vectors of four lanes), then the same lane combination and scalar tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn scan_low_avx2(
    v: &[f64],
    ml: &[f64],
    qd: &[f64],
    ki: &[f32],
    gmax: f64,
    qdi: f64,
    base: usize,
) -> (f64, (f64, usize)) {
    use std::arch::x86_64::*;
    let n = v.len().min(ml.len()).min(qd.len()).min(ki.len());
    let body = n / LANES * LANES;
    let mut vmin = [f64::INFINITY; LANES];
    let mut best = [f64::INFINITY; LANES];
    let mut idx = [-1.0f64; LANES];
    // SAFETY: every load reads `[off, off + 4)` with `off + 4 <= body <= n`,
    // within all four slices; stores go to local arrays of `LANES = 8`.
    unsafe {
        let gm = _mm256_set1_pd(gmax);
        let qi = _mm256_set1_pd(qdi);
        let two = _mm256_set1_pd(2.0);
        let tau = _mm256_set1_pd(TAU);
        let zero = _mm256_setzero_pd();
        let sign = _mm256_set1_pd(-0.0);
        let step = _mm256_set1_pd(LANES as f64);
        let b0 = base as f64;
        let mut pos = [
            _mm256_setr_pd(b0, b0 + 1.0, b0 + 2.0, b0 + 3.0),
            _mm256_setr_pd(b0 + 4.0, b0 + 5.0, b0 + 6.0, b0 + 7.0),
        ];
        let mut vm = [_mm256_set1_pd(f64::INFINITY); 2];
        let mut bs = [_mm256_set1_pd(f64::INFINITY); 2];
        let mut ix = [_mm256_set1_pd(-1.0); 2];
        let mut c = 0;
        while c < body {
            for h in 0..2 {
                let off = c + 4 * h;
                let vv = _mm256_loadu_pd(v.as_ptr().add(off));
                let mm = _mm256_loadu_pd(ml.as_ptr().add(off));
                vm[h] = _mm256_min_pd(_mm256_add_pd(vv, mm), vm[h]);
                let b = _mm256_sub_pd(gm, vv);
                let k = _mm256_cvtps_pd(_mm_loadu_ps(ki.as_ptr().add(off)));
                let a0 = _mm256_sub_pd(
                    _mm256_add_pd(qi, _mm256_loadu_pd(qd.as_ptr().add(off))),
                    _mm256_mul_pd(two, k),
                );
                let a = _mm256_blendv_pd(a0, tau, _mm256_cmp_pd::<_CMP_LE_OQ>(a0, zero));
                let obj = _mm256_div_pd(_mm256_xor_pd(_mm256_mul_pd(b, b), sign), a);
                let take = _mm256_and_pd(
                    _mm256_and_pd(
                        _mm256_cmp_pd::<_CMP_EQ_OQ>(mm, zero),
                        _mm256_cmp_pd::<_CMP_GT_OQ>(b, zero),
                    ),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(obj, bs[h]),
                );
                bs[h] = _mm256_blendv_pd(bs[h], obj, take);
                ix[h] = _mm256_blendv_pd(ix[h], pos[h], take);
                pos[h] = _mm256_add_pd(pos[h], step);
            }
            c += LANES;
        }
        for h in 0..2 {
            _mm256_storeu_pd(vmin.as_mut_ptr().add(4 * h), vm[h]);
            _mm256_storeu_pd(best.as_mut_ptr().add(4 * h), bs[h]);
            _mm256_storeu_pd(idx.as_mut_ptr().add(4 * h), ix[h]);
        }
    }
    let r = lanes_best(&best, &idx, false);
    let vm = vmin
        .iter()
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m });
    scan_low_tail(v, ml, qd, ki, gmax, qdi, base, body..n, vm, r)
}

/// The scalar tail of [`scan_low_body`] (positions `range`), continuing from
/// `(vm, r)`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scan_low_tail(
    v: &[f64],
    ml: &[f64],
    qd: &[f64],
    ki: &[f32],
    gmax: f64,
    qdi: f64,
    base: usize,
    range: std::ops::Range<usize>,
    mut vm: f64,
    mut r: (f64, usize),
) -> (f64, (f64, usize)) {
    for t in range {
        if ml[t] != 0.0 {
            continue;
        }
        if v[t] < vm {
            vm = v[t];
        }
        let b = gmax - v[t];
        if b > 0.0 {
            let mut a = qdi + qd[t] - 2.0 * ki[t] as f64;
            if a <= 0.0 {
                a = TAU;
            }
            let obj = -(b * b) / a;
            if r.1 == NO || obj <= r.0 {
                r = (obj, base + t);
            }
        }
    }
    (vm, r)
}

struct State<'q, Q: QRows> {
    q: &'q mut Q,
    l: usize,
    active: usize,
    perm: Vec<usize>,
    alpha: Vec<f64>,
    /// `vₜ = −yₜ·∇f(α)ₜ`.
    v: Vec<f64>,
    /// `0` when `t ∈ I_up`, `−∞` otherwise (see [`masks`]).
    mu: Vec<f64>,
    /// `0` when `t ∈ I_low`, `+∞` otherwise.
    ml: Vec<f64>,
    y: Vec<f64>,
    p: Vec<f64>,
    c: Vec<f64>,
    qd: Vec<f64>,
    /// `Ḡₖ = Σ_{t: αₜ = Cₜ} Cₜ·Qₖₜ`: the gradient part due to variables at
    /// their upper bound, kept for every position so that rebuilding the
    /// gradients of shrunk variables only needs the free variables.
    g_bar: Vec<f64>,
    sample: Vec<usize>,
    /// The CPU has AVX2 (the scans run their AVX2 build).
    avx2: bool,
    /// Two equality constraints, one per label (ν formulations).
    two_sums: bool,
}

/// Index of a variable's label in per-label extremes.
#[inline]
fn side(y: f64) -> usize {
    usize::from(y < 0.0)
}

impl<Q: QRows> State<'_, Q> {
    #[inline]
    fn in_up(&self, t: usize) -> bool {
        self.mu[t] == 0.0
    }

    #[inline]
    fn in_low(&self, t: usize) -> bool {
        self.ml[t] == 0.0
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.sample.swap(a, b);
        self.perm.swap(a, b);
        self.alpha.swap(a, b);
        self.v.swap(a, b);
        self.mu.swap(a, b);
        self.ml.swap(a, b);
        self.y.swap(a, b);
        self.p.swap(a, b);
        self.c.swap(a, b);
        self.qd.swap(a, b);
        self.g_bar.swap(a, b);
        self.q.swap(a, b);
    }

    /// Updates `Ḡ` after variable `t` entered (`sign = 1`) or left (`−1`)
    /// its upper bound; needs `t`'s kernel row over every position.
    fn bound_changed(&mut self, t: usize, sign: f64) {
        let l = self.l;
        let f = sign * self.c[t] * self.y[t];
        let kt = self.q.row(self.sample[t], l);
        for ((gb, &y), &k) in self.g_bar.iter_mut().zip(&self.y).zip(kt) {
            *gb += f * y * k as f64;
        }
    }

    /// `(m, M)`: max of `v` over `I_up`, min over `I_low`, positions `< len`.
    fn extremes(&self, len: usize) -> (f64, f64) {
        let (mut m, mut big_m) = (f64::NEG_INFINITY, f64::INFINITY);
        for t in 0..len {
            let v = self.v[t];
            if self.in_up(t) && v > m {
                m = v;
            }
            if self.in_low(t) && v < big_m {
                big_m = v;
            }
        }
        (m, big_m)
    }

    /// `[(m, M); 2]` per label (`[+1, −1]`) in `two_sums` mode, else the
    /// overall `(m, M)` twice.
    fn extremes_by_side(&self, len: usize) -> [(f64, f64); 2] {
        if !self.two_sums {
            let e = self.extremes(len);
            return [e, e];
        }
        let mut e = [(f64::NEG_INFINITY, f64::INFINITY); 2];
        for t in 0..len {
            let (v, k) = (self.v[t], side(self.y[t]));
            if self.in_up(t) && v > e[k].0 {
                e[k].0 = v;
            }
            if self.in_low(t) && v < e[k].1 {
                e[k].1 = v;
            }
        }
        e
    }

    /// The working-set selection of the `two_sums` mode: `(Some((i, j)),
    /// gap)` with `i, j` of one label, `None` when no pair violates the
    /// optimality conditions; `gap` is the largest per-label violation.
    fn select_nu(&mut self) -> (Option<(usize, usize)>, f64) {
        let act = self.active;
        // i per label: argmax_{I_up} v (last index on ties).
        let mut top = [(f64::NEG_INFINITY, NO); 2];
        for t in 0..act {
            if self.in_up(t) {
                let k = side(self.y[t]);
                if self.v[t] >= top[k].0 {
                    top[k] = (self.v[t], t);
                }
            }
        }
        let (ip, in_) = (top[0].1, top[1].1);
        let (kp, kn): (&[f32], &[f32]) = match (ip != NO, in_ != NO) {
            (true, true) => self.q.rows2(self.sample[ip], self.sample[in_], act),
            (true, false) => (self.q.row(self.sample[ip], act), &[]),
            (false, true) => (&[], self.q.row(self.sample[in_], act)),
            (false, false) => return (None, f64::NEG_INFINITY),
        };
        let mut vmin = [f64::INFINITY; 2];
        let (mut best, mut j) = (f64::INFINITY, NO);
        for t in 0..act {
            if self.ml[t] != 0.0 {
                continue;
            }
            let (v, k) = (self.v[t], side(self.y[t]));
            if v < vmin[k] {
                vmin[k] = v;
            }
            let b = top[k].0 - v;
            if b > 0.0 {
                let (i, row) = if k == 0 { (ip, kp) } else { (in_, kn) };
                let mut a = self.qd[i] + self.qd[t] - 2.0 * row[t] as f64;
                if a <= 0.0 {
                    a = TAU;
                }
                let obj = -(b * b) / a;
                if obj <= best {
                    (best, j) = (obj, t);
                }
            }
        }
        let gap = (top[0].0 - vmin[0]).max(top[1].0 - vmin[1]);
        if j == NO {
            return (None, gap);
        }
        let i = if self.y[j] > 0.0 { ip } else { in_ };
        (Some((i, j)), gap)
    }

    /// First half of the working-set selection over the active prefix:
    /// `(max_{I_up} v, i)`.
    fn select_i(&self) -> (f64, usize) {
        let act = self.active;
        scan_up(self.avx2, &self.v[..act], &self.mu[..act], 0)
    }

    /// Second half: `(j, gap)`, `None` for `j` when no pair violates the
    /// optimality conditions.
    fn select_j(&mut self, gmax: f64, i: usize) -> (Option<usize>, f64) {
        let (act, avx2) = (self.active, self.avx2);
        let qdi = self.qd[i];
        let ki = &self.q.row(self.sample[i], act)[..act];
        let (v, ml, qd) = (&self.v[..act], &self.ml[..act], &self.qd[..act]);
        let (vmin, (_, j)) = scan_low(avx2, v, ml, qd, ki, gmax, qdi, 0);
        ((j != NO).then_some(j), gmax - vmin)
    }

    /// The pair step on `(i, j)`; returns the next [`State::select_i`]
    /// (computed in the same pass as the gradient update), or `None` when
    /// nothing moved.
    fn update(&mut self, i: usize, j: usize) -> Option<(f64, usize)> {
        let (act, avx2) = (self.active, self.avx2);
        let (yi, yj) = (self.y[i], self.y[j]);
        let b = self.v[i] - self.v[j];
        let room_i = if yi > 0.0 {
            self.c[i] - self.alpha[i]
        } else {
            self.alpha[i]
        };
        let room_j = if yj > 0.0 {
            self.alpha[j]
        } else {
            self.c[j] - self.alpha[j]
        };
        let (si, sj) = (self.sample[i], self.sample[j]);
        let (ki, kj) = self.q.rows2(si, sj, act);
        let mut a = self.qd[i] + self.qd[j] - 2.0 * ki[j] as f64;
        if a <= 0.0 {
            a = TAU;
        }
        let s = (b / a).min(room_i).min(room_j);
        let (clip_i, clip_j) = (s >= room_i, s >= room_j);
        if s <= 0.0 {
            return None;
        }
        let (ci, cj) = (self.c[i], self.c[j]);
        let (up_i, up_j) = (self.alpha[i] >= ci, self.alpha[j] >= cj);
        let ai = &mut self.alpha[i];
        *ai += yi * s;
        if clip_i {
            *ai = if yi > 0.0 { ci } else { 0.0 };
        }
        let aj = &mut self.alpha[j];
        *aj -= yj * s;
        if clip_j {
            *aj = if yj > 0.0 { 0.0 } else { cj };
        }
        for t in [i, j] {
            (self.mu[t], self.ml[t]) = masks(self.y[t], self.alpha[t], self.c[t]);
        }
        let next = step_scan_up(avx2, &mut self.v[..act], &self.mu[..act], ki, kj, s, 0);
        for (t, was_up) in [(i, up_i), (j, up_j)] {
            let now_up = self.alpha[t] >= self.c[t];
            if now_up != was_up {
                self.bound_changed(t, if now_up { 1.0 } else { -1.0 });
            }
        }
        Some(next)
    }

    /// Rebuilds `∇f` of the inactive positions from scratch and re-activates
    /// every variable.
    fn reconstruct(&mut self) {
        if self.active == self.l {
            return;
        }
        let n = self.q.n_samples();
        let mut coef = vec![0.0; n];
        for t in 0..self.l {
            if self.alpha[t] > 0.0 && self.alpha[t] < self.c[t] {
                coef[self.sample[t]] += self.y[t] * self.alpha[t];
            }
        }
        // Σ over free samples of coef·(their kernel row), over the inactive
        // positions: full-length rows from the cache (only missing tails are
        // computed), f32 values accumulated in f64 as in every gradient update.
        let (lo, l) = (self.active, self.l);
        let mut sums = vec![0.0f64; l - lo];
        for (s, &cs) in coef.iter().enumerate() {
            if cs == 0.0 {
                continue;
            }
            let row = &self.q.row(s, l)[lo..];
            for (acc, &k) in sums.iter_mut().zip(row) {
                *acc += cs * k as f64;
            }
        }
        for (t, &sum) in (lo..l).zip(&sums) {
            self.v[t] = -self.y[t] * (self.g_bar[t] + self.p[t] + self.y[t] * sum);
        }
        self.active = self.l;
    }

    fn shrinkable(&self, t: usize, ext: &[(f64, f64); 2]) -> bool {
        let (up, low) = (self.in_up(t), self.in_low(t));
        if up && low {
            return false;
        }
        let (m, big_m) = ext[side(self.y[t])];
        let v = self.v[t];
        if up { v < big_m } else { v > m }
    }

    fn shrink(&mut self, unshrunk: &mut bool, tol: f64) {
        let mut ext = self.extremes_by_side(self.active);
        let gap = |e: &[(f64, f64); 2]| (e[0].0 - e[0].1).max(e[1].0 - e[1].1);
        if !*unshrunk && gap(&ext) <= 10.0 * tol {
            *unshrunk = true;
            self.reconstruct();
            ext = self.extremes_by_side(self.l);
        }
        let mut k = 0;
        while k < self.active {
            if self.shrinkable(k, &ext) {
                self.active -= 1;
                while self.active > k && self.shrinkable(self.active, &ext) {
                    self.active -= 1;
                }
                if self.active > k {
                    self.swap(k, self.active);
                }
            }
            k += 1;
        }
    }
}

/// Runs the solver from `α = 0` (feasible for `Δ = 0`).
///
/// On x86-64 CPUs with AVX2 the same code is run compiled for AVX2 (wider
/// vectors in the working-set and gradient loops). The scans keep per-lane
/// running extremes and combine them with the sequential scan's tie rule
/// (libsvm's: the last index among equals), so the iterates are the same on
/// every code path. The solver runs on the calling thread: splitting the
/// per-iteration scans over two threads with `rayon::join` was measured
/// 1.3–3× slower (n = 4000 and 16000; the join costs more than a scan).
pub(crate) fn solve<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    let alpha = vec![0.0; prob.y.len()];
    solve_from(q, prob, alpha, false, settings, progress)
}

/// Runs the solver from the feasible `alpha` (`0 ≤ αₜ ≤ Cₜ`; its `yᵀα`, or
/// with `two_sums` its per-label sums, are kept). See the module docs.
pub(crate) fn solve_from<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    alpha: Vec<f64>,
    two_sums: bool,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::active().avx2 {
            // SAFETY: the CPU supports AVX2 (`active` ⊆ `hardware`).
            return unsafe { solve_avx2(q, prob, alpha, two_sums, settings, progress) };
        }
    }
    solve_body(q, prob, alpha, two_sums, settings, progress)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn solve_avx2<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    alpha: Vec<f64>,
    two_sums: bool,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    solve_body(q, prob, alpha, two_sums, settings, progress)
}

#[inline(always)]
fn solve_body<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    alpha: Vec<f64>,
    two_sums: bool,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    let l = prob.y.len();
    let mut v: Vec<f64> = prob.y.iter().zip(&prob.p).map(|(y, p)| -y * p).collect();
    let mut g_bar = vec![0.0; l];
    q.set_positions(&prob.sample);
    // vₜ = −yₜpₜ − Σₛ yₛαₛK(s, t); Ḡ from the variables at their bound.
    for (s, &a) in alpha.iter().enumerate() {
        if a <= 0.0 {
            continue;
        }
        let (ys, at_c) = (prob.y[s], a >= prob.c[s]);
        let row = q.row(prob.sample[s], l);
        for t in 0..l {
            let k = row[t] as f64;
            v[t] -= ys * a * k;
            if at_c {
                g_bar[t] += prob.c[s] * ys * prob.y[t] * k;
            }
        }
    }
    let (mu, ml) = prob
        .y
        .iter()
        .zip(&prob.c)
        .zip(&alpha)
        .map(|((&y, &c), &a)| masks(y, a, c))
        .unzip();
    // Only true when the CPU supports AVX2 (`active` ⊆ `hardware`); always
    // false off x86-64.
    let avx2 = crate::cpu::active().avx2;
    let mut st = State {
        q,
        l,
        active: l,
        perm: (0..l).collect(),
        alpha,
        v,
        mu,
        ml,
        y: prob.y,
        p: prob.p,
        c: prob.c,
        qd: prob.diag,
        g_bar,
        sample: prob.sample,
        avx2,
        two_sums,
    };
    let shrink_every = l.clamp(1, 1000);
    let mut countdown = shrink_every;
    let mut unshrunk = false;
    let mut n_iter = 0;
    let mut converged = false;
    // (max_{I_up} v, i) of the current iterate, when known.
    let mut first: Option<(f64, usize)> = None;
    loop {
        if settings.shrinking {
            countdown -= 1;
            if countdown == 0 {
                countdown = shrink_every;
                st.shrink(&mut unshrunk, settings.tol);
                first = None;
            }
        }
        let (pair, gap) = if two_sums {
            st.select_nu()
        } else {
            let (gmax, i) = *first.get_or_insert_with(|| st.select_i());
            if i == NO {
                (None, f64::NEG_INFINITY)
            } else {
                let (j, gap) = st.select_j(gmax, i);
                (j.map(|j| (i, j)), gap)
            }
        };
        let done = pair.is_none() || gap <= settings.tol;
        if done {
            if st.active < l {
                st.reconstruct();
                countdown = shrink_every;
                first = None;
                continue;
            }
            converged = true;
            break;
        }
        if settings.max_iter.is_some_and(|m| n_iter >= m) {
            st.reconstruct();
            break;
        }
        n_iter += 1;
        if n_iter % PROGRESS_EVERY == 0 {
            progress(n_iter, gap, st.active);
        }
        let (i, j) = pair.expect("checked above");
        if let Some(next) = st.update(i, j)
            && !two_sums
        {
            first = Some(next);
        }
    }
    // ρ: mean of yₜ∇ₜ (= −vₜ) over free variables, else the middle of the
    // feasible range.
    let (mut sum, mut n_free) = (0.0, 0usize);
    for t in 0..l {
        if st.alpha[t] > 0.0 && st.alpha[t] < st.c[t] {
            sum += -st.v[t];
            n_free += 1;
        }
    }
    let rho = if n_free > 0 {
        sum / n_free as f64
    } else {
        let (m, big_m) = st.extremes(l);
        -(m + big_m) / 2.0
    };
    let rho = if rho.is_finite() { rho } else { 0.0 };
    let (rho, r) = if two_sums { nu_rho(&st) } else { (rho, 0.0) };
    let objective = 0.5
        * (0..l)
            .map(|t| st.alpha[t] * (-st.y[t] * st.v[t] + st.p[t]))
            .sum::<f64>();
    let mut alpha = vec![0.0; l];
    for (pos, &var) in st.perm.iter().enumerate() {
        alpha[var] = st.alpha[pos];
    }
    let (cache_hits, cache_misses) = st.q.cache_stats();
    Solution {
        alpha,
        rho,
        objective,
        r,
        n_iter,
        converged,
        cache_hits,
        cache_misses,
    }
}

/// `(ρ, r) = ((r₁ − r₂)/2, (r₁ + r₂)/2)` of the `two_sums` mode, with `r_k`
/// the mean of `∇f` over label `k`'s free variables, else the middle of
/// the range its bounded variables allow.
fn nu_rho<Q: QRows>(st: &State<'_, Q>) -> (f64, f64) {
    let mut sum = [0.0f64; 2];
    let mut n_free = [0usize; 2];
    let mut ub = [f64::INFINITY; 2];
    let mut lb = [f64::NEG_INFINITY; 2];
    for t in 0..st.l {
        let k = side(st.y[t]);
        let g = -st.y[t] * st.v[t];
        if st.alpha[t] >= st.c[t] {
            lb[k] = lb[k].max(g);
        } else if st.alpha[t] <= 0.0 {
            ub[k] = ub[k].min(g);
        } else {
            sum[k] += g;
            n_free[k] += 1;
        }
    }
    let r: Vec<f64> = (0..2)
        .map(|k| {
            if n_free[k] > 0 {
                sum[k] / n_free[k] as f64
            } else {
                (ub[k] + lb[k]) / 2.0
            }
        })
        .collect();
    ((r[0] - r[1]) / 2.0, (r[0] + r[1]) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dense Q provider for tests: `K` given as a full matrix, rows
    /// gathered in position order on request.
    struct Dense {
        k: Vec<Vec<f32>>,
        pos: Vec<usize>,
        a: Vec<f32>,
        b: Vec<f32>,
    }
    impl Dense {
        fn new(k: Vec<Vec<f32>>) -> Self {
            Dense {
                k,
                pos: Vec::new(),
                a: Vec::new(),
                b: Vec::new(),
            }
        }
    }
    impl QRows for Dense {
        fn set_positions(&mut self, sample: &[usize]) {
            self.pos = sample.to_vec();
        }
        fn swap(&mut self, a: usize, b: usize) {
            self.pos.swap(a, b);
        }
        fn row(&mut self, s: usize, len: usize) -> &[f32] {
            self.a = self.pos[..len].iter().map(|&t| self.k[s][t]).collect();
            &self.a
        }
        fn rows2(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]) {
            self.a = self.pos[..len].iter().map(|&t| self.k[i][t]).collect();
            self.b = self.pos[..len].iter().map(|&t| self.k[j][t]).collect();
            (&self.a, &self.b)
        }
        fn n_samples(&self) -> usize {
            self.k.len()
        }
        fn cache_stats(&self) -> (u64, u64) {
            (0, 0)
        }
    }

    #[test]
    fn two_points_closed_form() {
        // x = ±1 on a line, linear kernel: α = 1/2 each (hard margin, C large), ρ = 0.
        let k = vec![vec![1.0, -1.0], vec![-1.0, 1.0]];
        let mut q = Dense::new(k);
        let prob = Problem {
            y: vec![1.0, -1.0],
            p: vec![-1.0, -1.0],
            c: vec![10.0, 10.0],
            diag: vec![1.0, 1.0],
            sample: vec![0, 1],
        };
        let s = solve(
            &mut q,
            prob,
            Settings {
                tol: 1e-6,
                shrinking: true,
                max_iter: None,
            },
            &mut |_, _, _| {},
        );
        assert!(s.converged);
        assert!((s.alpha[0] - 0.5).abs() < 1e-9 && (s.alpha[1] - 0.5).abs() < 1e-9);
        assert!(s.rho.abs() < 1e-9);
        assert!((s.objective + 0.5).abs() < 1e-9);
    }

    #[test]
    fn shrinking_gives_the_same_optimum() {
        // 1-D points with an RBF kernel, some overlap so bounds are hit.
        let xs: Vec<f64> = (0..300).map(|i| ((i * 37) % 300) as f64 / 50.0).collect();
        let y: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| if x > 3.0 || i % 7 == 0 { 1.0 } else { -1.0 })
            .collect();
        let k: Vec<Vec<f32>> = xs
            .iter()
            .map(|a| {
                xs.iter()
                    .map(|b| (-(a - b) * (a - b)).exp() as f32)
                    .collect()
            })
            .collect();
        let run = |shrinking| {
            let mut q = Dense::new(k.clone());
            let prob = Problem {
                y: y.clone(),
                p: vec![-1.0; 300],
                c: vec![1.0; 300],
                diag: vec![1.0; 300],
                sample: (0..300).collect(),
            };
            solve(
                &mut q,
                prob,
                Settings {
                    tol: 1e-6,
                    shrinking,
                    max_iter: None,
                },
                &mut |_, _, _| {},
            )
        };
        let (a, b) = (run(true), run(false));
        assert!(a.converged && b.converged);
        assert!((a.objective - b.objective).abs() < 1e-6 * a.objective.abs());
        assert!((a.rho - b.rho).abs() < 1e-4);
        let sum: f64 = a.alpha.iter().zip(&y).map(|(a, y)| a * y).sum();
        assert!(sum.abs() < 1e-9, "equality constraint kept: {sum}");
        assert!(a.alpha.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    /// The sequential scans the vectorised ones must reproduce exactly
    /// (including which index wins a tie).
    fn naive_up(v: &[f64], mu: &[f64]) -> (f64, usize) {
        let (mut m, mut i) = (f64::NEG_INFINITY, NO);
        for t in 0..v.len() {
            if mu[t] == 0.0 && v[t] >= m {
                (m, i) = (v[t], t);
            }
        }
        (m, i)
    }

    fn naive_low(
        v: &[f64],
        ml: &[f64],
        qd: &[f64],
        ki: &[f32],
        gmax: f64,
        qdi: f64,
    ) -> (f64, usize) {
        let (mut vmin, mut best, mut j) = (f64::INFINITY, f64::INFINITY, NO);
        for t in 0..v.len() {
            if ml[t] != 0.0 {
                continue;
            }
            vmin = vmin.min(v[t]);
            let b = gmax - v[t];
            if b > 0.0 {
                let mut a = qdi + qd[t] - 2.0 * ki[t] as f64;
                if a <= 0.0 {
                    a = TAU;
                }
                let obj = -(b * b) / a;
                if obj <= best {
                    (best, j) = (obj, t);
                }
            }
        }
        (vmin, j)
    }

    #[test]
    fn vectorised_scans_match_sequential_scans_with_ties() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Every variant the CPU runs, whatever `OXILEARN_CPU` says.
        let avx2 = crate::cpu::hardware().avx2;
        for case in 0..400 {
            let n = case % 53;
            // Few distinct values: many ties.
            let v: Vec<f64> = (0..n)
                .map(|_| rng.random_range(-3..3) as f64 * 0.5)
                .collect();
            let mu: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.random_bool(0.6) {
                        0.0
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect();
            let ml: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.random_bool(0.6) {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                })
                .collect();
            let qd = vec![1.0; n];
            let ki: Vec<f32> = (0..n)
                .map(|_| rng.random_range(0..3) as f32 * 0.5)
                .collect();
            let kj: Vec<f32> = (0..n)
                .map(|_| rng.random_range(0..3) as f32 * 0.5)
                .collect();
            let want = naive_up(&v, &mu);
            for simd in [false, avx2] {
                let got = scan_up(simd, &v, &mu, 0);
                assert_eq!(got.1, want.1, "scan_up n={n}");
                if want.1 != NO {
                    assert_eq!(got.0, want.0);
                }
                if want.1 != NO {
                    let (vmin, (_, j)) = scan_low(simd, &v, &ml, &qd, &ki, want.0, 1.0, 0);
                    let (wmin, wj) = naive_low(&v, &ml, &qd, &ki, want.0, 1.0);
                    assert_eq!(j, wj, "scan_low n={n}");
                    assert_eq!(vmin, wmin);
                }
                let s = 0.5;
                let mut v1 = v.clone();
                let got = step_scan_up(simd, &mut v1, &mu, &ki, &kj, s, 0);
                let v2: Vec<f64> = v
                    .iter()
                    .zip(ki.iter().zip(&kj))
                    .map(|(x, (a, b))| x - s * (*a as f64 - *b as f64))
                    .collect();
                assert_eq!(v1, v2);
                assert_eq!(got.1, naive_up(&v2, &mu).1, "step_scan_up n={n}");
            }
        }
    }
}
