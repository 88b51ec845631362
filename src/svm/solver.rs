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

struct State<'q, Q: QRows> {
    q: &'q mut Q,
    l: usize,
    active: usize,
    perm: Vec<usize>,
    alpha: Vec<f64>,
    g: Vec<f64>,
    y: Vec<f64>,
    p: Vec<f64>,
    c: Vec<f64>,
    qd: Vec<f64>,
    /// `Ḡₖ = Σ_{t: αₜ = Cₜ} Cₜ·Qₖₜ`: the gradient part due to variables at
    /// their upper bound, kept for every position so that rebuilding the
    /// gradients of shrunk variables only needs the free variables.
    g_bar: Vec<f64>,
    sample: Vec<usize>,
}

impl<Q: QRows> State<'_, Q> {
    #[inline]
    fn in_up(&self, t: usize) -> bool {
        if self.y[t] > 0.0 {
            self.alpha[t] < self.c[t]
        } else {
            self.alpha[t] > 0.0
        }
    }

    #[inline]
    fn in_low(&self, t: usize) -> bool {
        if self.y[t] > 0.0 {
            self.alpha[t] > 0.0
        } else {
            self.alpha[t] < self.c[t]
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.sample.swap(a, b);
        self.perm.swap(a, b);
        self.alpha.swap(a, b);
        self.g.swap(a, b);
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
            let v = -self.y[t] * self.g[t];
            if self.in_up(t) && v > m {
                m = v;
            }
            if self.in_low(t) && v < big_m {
                big_m = v;
            }
        }
        (m, big_m)
    }

    /// Second-order working set over the active prefix: `(i, j, gap)`, or
    /// `None` for `j` when no pair violates the optimality conditions.
    /// (Loops over exact-length slices: no bounds checks.)
    #[inline(always)]
    fn select(&mut self) -> (usize, Option<usize>, f64) {
        let act = self.active;
        let y = &self.y[..act];
        let g = &self.g[..act];
        let alpha = &self.alpha[..act];
        let c = &self.c[..act];
        let qd = &self.qd[..act];
        let mut gmax = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..act {
            let up = if y[t] > 0.0 {
                alpha[t] < c[t]
            } else {
                alpha[t] > 0.0
            };
            let v = -y[t] * g[t];
            if up && v >= gmax {
                gmax = v;
                i = t;
            }
        }
        if i == usize::MAX {
            return (0, None, f64::NEG_INFINITY);
        }
        let qdi = qd[i];
        let mut vmin = f64::INFINITY;
        let mut best = f64::INFINITY;
        let mut j = None;
        let ki = &self.q.row(self.sample[i], act)[..act];
        for t in 0..act {
            let low = if y[t] > 0.0 {
                alpha[t] > 0.0
            } else {
                alpha[t] < c[t]
            };
            if !low {
                continue;
            }
            let v = -y[t] * g[t];
            if v < vmin {
                vmin = v;
            }
            let b = gmax - v;
            if b > 0.0 {
                let mut a = qdi + qd[t] - 2.0 * ki[t] as f64;
                if a <= 0.0 {
                    a = TAU;
                }
                let obj = -(b * b) / a;
                if obj <= best {
                    best = obj;
                    j = Some(t);
                }
            }
        }
        (i, j, gmax - vmin)
    }

    #[inline(always)]
    fn update(&mut self, i: usize, j: usize) {
        let act = self.active;
        let (yi, yj) = (self.y[i], self.y[j]);
        let b = -yi * self.g[i] + yj * self.g[j];
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
            return;
        }
        for (((g, &y), &a), &b) in self.g[..act].iter_mut().zip(&self.y).zip(ki).zip(kj) {
            *g += s * y * (a as f64 - b as f64);
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
        for (t, was_up) in [(i, up_i), (j, up_j)] {
            let now_up = self.alpha[t] >= self.c[t];
            if now_up != was_up {
                self.bound_changed(t, if now_up { 1.0 } else { -1.0 });
            }
        }
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
            self.g[t] = self.g_bar[t] + self.p[t] + self.y[t] * sum;
        }
        self.active = self.l;
    }

    fn shrinkable(&self, t: usize, m: f64, big_m: f64) -> bool {
        let (up, low) = (self.in_up(t), self.in_low(t));
        if up && low {
            return false;
        }
        let v = -self.y[t] * self.g[t];
        if up { v < big_m } else { v > m }
    }

    fn shrink(&mut self, unshrunk: &mut bool, tol: f64) {
        let (mut m, mut big_m) = self.extremes(self.active);
        if !*unshrunk && m - big_m <= 10.0 * tol {
            *unshrunk = true;
            self.reconstruct();
            (m, big_m) = self.extremes(self.l);
        }
        let mut k = 0;
        while k < self.active {
            if self.shrinkable(k, m, big_m) {
                self.active -= 1;
                while self.active > k && self.shrinkable(self.active, m, big_m) {
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
/// vectors in the working-set and gradient loops); results are identical up
/// to floating-point summation order of vectorised reductions (none here).
pub(crate) fn solve<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { solve_avx2(q, prob, settings, progress) };
        }
    }
    solve_body(q, prob, settings, progress)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn solve_avx2<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    solve_body(q, prob, settings, progress)
}

#[inline(always)]
fn solve_body<Q: QRows>(
    q: &mut Q,
    prob: Problem,
    settings: Settings,
    progress: ProgressFn<'_>,
) -> Solution {
    let l = prob.y.len();
    let mut st = State {
        q,
        l,
        active: l,
        perm: (0..l).collect(),
        alpha: vec![0.0; l],
        g: prob.p.clone(),
        y: prob.y,
        p: prob.p,
        c: prob.c,
        qd: prob.diag,
        g_bar: vec![0.0; l],
        sample: prob.sample,
    };
    st.q.set_positions(&st.sample);
    let shrink_every = l.clamp(1, 1000);
    let mut countdown = shrink_every;
    let mut unshrunk = false;
    let mut n_iter = 0;
    let mut converged = false;
    loop {
        if settings.shrinking {
            countdown -= 1;
            if countdown == 0 {
                countdown = shrink_every;
                st.shrink(&mut unshrunk, settings.tol);
            }
        }
        let (i, j, gap) = st.select();
        let done = j.is_none() || gap <= settings.tol;
        if done {
            if st.active < l {
                st.reconstruct();
                countdown = shrink_every;
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
        st.update(i, j.expect("checked above"));
    }
    // ρ: mean of yₜ∇ₜ over free variables, else the middle of the feasible range.
    let (mut sum, mut n_free) = (0.0, 0usize);
    for t in 0..l {
        if st.alpha[t] > 0.0 && st.alpha[t] < st.c[t] {
            sum += st.y[t] * st.g[t];
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
    let objective = 0.5
        * (0..l)
            .map(|t| st.alpha[t] * (st.g[t] + st.p[t]))
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
        n_iter,
        converged,
        cache_hits,
        cache_misses,
    }
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
}
