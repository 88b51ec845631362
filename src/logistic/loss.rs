//! The penalised logistic objective, its gradient and Hessian.
//!
//! Internally every solver minimises the *mean-scaled* objective
//!
//! ```text
//! L(θ) = Σᵢ s̃ᵢ·ℓᵢ(θ) + λ/2·‖W‖²,   s̃ᵢ = sᵢ / Σs,   λ = 1 / (C·Σs)
//! ```
//!
//! which is scikit-learn's `C·Σ sᵢ·ℓᵢ + ½‖W‖²` divided by `C·Σs`: the same
//! minimiser, better-scaled numbers, and the quantity scikit-learn's `tol`
//! applies to. The intercept is never penalised.
//!
//! Parameters are a `k × p` matrix `θ` (`k = 1` for the binary logistic loss,
//! `k = n_classes` for the multinomial loss; `p = n_features + fit_intercept`,
//! the intercept in the last column). Products with the records are GEMMs
//! through [`crate::linalg`] on row chunks, run in parallel with rayon.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, s};
use rayon::prelude::*;

use crate::Float;
use crate::cpu::exp_in_place;
use crate::error::{Error, Result};
use crate::linalg;
use crate::sparse::{Checked, Csr};

/// `Err(NumericalFailure)` on a non-finite objective.
pub(crate) fn check_finite_loss(loss: f64) -> Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(Error::NumericalFailure {
            operation: "logistic objective",
            reason: format!("objective is {loss}"),
        })
    }
}

/// Rows per parallel chunk.
const CHUNK_ROWS: usize = 2048;

/// A fitting problem: data, encoded labels, weights and penalty.
pub(crate) struct Problem<'a, F: Float> {
    /// Records, `n × d`: dense, or CSR.
    pub x: Checked<'a, F>,
    /// Class index of each row (`0..n_classes`).
    pub codes: &'a [usize],
    /// Normalised sample weights (sum 1).
    pub sw: Array1<F>,
    /// Rows of θ: 1 (binary) or `n_classes` (multinomial).
    pub k: usize,
    /// Whether θ has an intercept column.
    pub fit_intercept: bool,
    /// `1 / (C·Σs)`, or 0 without penalty.
    pub l2: F,
}

/// Result of an evaluation at θ.
pub(crate) struct Eval<F> {
    /// Mean-scaled objective (accumulated in f64).
    pub loss: f64,
    /// Gradient, `k × p`.
    pub grad: Array2<F>,
    /// Predicted probabilities, `n × k` (binary: of the positive class).
    pub probs: Array2<F>,
    /// With Hessian cross terms: `Xᵀw` (one row per Hessian block) and `Σw`.
    pub cross: Option<(Array2<F>, Array1<F>)>,
}

impl<'a, F: Float> Problem<'a, F> {
    /// Number of features.
    pub fn d(&self) -> usize {
        self.x.ncols()
    }

    /// Columns of θ.
    pub fn p(&self) -> usize {
        self.d() + usize::from(self.fit_intercept)
    }

    /// Whether the loss is the multinomial one.
    pub fn multinomial(&self) -> bool {
        self.k > 1
    }

    /// Row chunks of a fixed size (independent of the thread count, so the
    /// summation order, hence the result, is the same on any pool).
    fn chunks(&self) -> Vec<Range<usize>> {
        let n = self.x.nrows();
        (0..n.div_ceil(CHUNK_ROWS))
            .map(|c| c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n))
            .collect()
    }

    /// Penalty term `λ/2·‖W‖²` (intercept excluded).
    fn penalty(&self, theta: ArrayView2<'_, F>) -> f64 {
        if self.l2 == F::zero() {
            return 0.0;
        }
        let w = theta.slice(s![.., ..self.d()]);
        0.5 * self.l2.to_f64_exact() * w.iter().map(|v| v.to_f64_exact().powi(2)).sum::<f64>()
    }

    /// Raw scores `X·Wᵀ + b` for the rows `r`, written into `z` (`|r| × k`).
    fn scores_into(&self, theta: ArrayView2<'_, F>, r: Range<usize>, z: &mut ArrayViewMut2<'_, F>) {
        let d = self.d();
        let w = theta.slice(s![.., ..d]);
        rows_times_wt(self.x, r, w, z);
        if self.fit_intercept {
            let b = theta.column(d);
            for mut row in z.rows_mut() {
                row += &b;
            }
        }
    }

    /// Turns scores into probabilities in place and returns the chunk's
    /// weighted loss `Σ s̃ᵢ ℓᵢ`.
    fn probs_and_loss(&self, r: Range<usize>, z: &mut ArrayViewMut2<'_, F>) -> f64 {
        let mut loss = 0.0f64;
        let codes = &self.codes[r.clone()];
        let sw = self.sw.slice(s![r]);
        if self.k == 1 {
            for ((zi, &c), &si) in z.column_mut(0).iter_mut().zip(codes).zip(sw.iter()) {
                let t = *zi;
                // ℓ = log(1 + e^t) − y·t, computed stably.
                let softplus = t.max(F::zero()) + (-t.abs()).exp().ln_1p();
                let li = if c == 1 { softplus - t } else { softplus };
                loss += si.to_f64_exact() * li.to_f64_exact();
                *zi = sigmoid(t);
            }
        } else {
            for ((mut row, &c), &si) in z.rows_mut().into_iter().zip(codes).zip(sw.iter()) {
                let m = row.fold(F::neg_infinity(), |a, &b| a.max(b));
                let zc = row[c];
                let mut sum = F::zero();
                row.mapv_inplace(|v| {
                    let e = (v - m).exp();
                    sum += e;
                    e
                });
                let lse = m + sum.ln();
                loss += si.to_f64_exact() * (lse - zc).to_f64_exact();
                let inv = F::one() / sum;
                row.mapv_inplace(|v| v * inv);
            }
        }
        loss
    }

    /// Buffers for [`loss_grad`](Self::loss_grad), sized for this problem.
    pub fn workspace(&self) -> Workspace<F> {
        let (d, k) = (self.d(), self.k);
        Workspace {
            parts: self
                .chunks()
                .into_iter()
                .map(|r| Part {
                    z: Array2::zeros((k, r.len())),
                    aux: vec![F::zero(); r.len()],
                    target: vec![F::zero(); r.len()],
                    grad: Array2::zeros((k, d)),
                    bias: vec![F::zero(); k],
                    loss: 0.0,
                    rows: r,
                })
                .collect(),
        }
    }

    /// Mean-scaled objective at θ, with its gradient written into `grad`
    /// (`k × p`). The fast path of the first-order solvers: per row chunk one
    /// GEMM for the class-major scores `W·Xᵀ`, one fused pass (intercept,
    /// max, exp, log-sum-exp, loss, residual `s̃·(P − Y)`) over contiguous
    /// per-class rows, and one GEMM for the gradient, all in preallocated
    /// buffers. Chunks run in parallel only when there are several; partial
    /// sums are added in chunk order (deterministic on any thread count).
    pub fn loss_grad(
        &self,
        theta: ArrayView2<'_, F>,
        ws: &mut Workspace<F>,
        grad: &mut Array2<F>,
    ) -> f64 {
        let d = self.d();
        if ws.parts.len() == 1 {
            self.chunk_loss_grad(theta, &mut ws.parts[0]);
        } else {
            ws.parts
                .par_iter_mut()
                .for_each(|part| self.chunk_loss_grad(theta, part));
        }
        let mut loss = self.penalty(theta);
        grad.fill(F::zero());
        for part in &ws.parts {
            loss += part.loss;
            let mut gw = grad.slice_mut(s![.., ..d]);
            gw += &part.grad;
            if self.fit_intercept {
                for (g, &b) in grad.column_mut(d).iter_mut().zip(&part.bias) {
                    *g += b;
                }
            }
        }
        if self.l2 != F::zero() {
            let mut gw = grad.slice_mut(s![.., ..d]);
            gw.scaled_add(self.l2, &theta.slice(s![.., ..d]));
        }
        loss
    }

    /// One row chunk of [`loss_grad`](Self::loss_grad).
    fn chunk_loss_grad(&self, theta: ArrayView2<'_, F>, part: &mut Part<F>) {
        let (d, k) = (self.d(), self.k);
        let r = part.rows.clone();
        let w = theta.slice(s![.., ..d]);
        // Zᵀ = X·Wᵀ written into the transposed (column-major) view of Z.
        rows_times_wt(self.x, r.clone(), w, &mut part.z.view_mut().reversed_axes());
        let codes = &self.codes[r.clone()];
        let sw = self.sw.slice(s![r.clone()]);
        let sw = sw.as_slice().expect("contiguous weights");
        let z = part.z.as_slice_mut().expect("class-major scores");
        if self.fit_intercept {
            for (row, &b) in z.chunks_exact_mut(codes.len()).zip(theta.column(d)) {
                for v in row {
                    *v += b;
                }
            }
        }
        part.loss = if k == 1 {
            logistic_residuals(z, codes, sw, &mut part.aux)
        } else {
            softmax_residuals(z, codes, sw, &mut part.aux, &mut part.target)
        };
        for (b, row) in part.bias.iter_mut().zip(z.chunks_exact(codes.len())) {
            *b = row.iter().fold(F::zero(), |a, &v| a + v);
        }
        m_times_rows(self.x, r, part.z.view(), &mut part.grad.view_mut());
    }

    /// Index pairs `(a, b)`, `a ≤ b`, of the Hessian blocks.
    fn pairs(&self) -> Vec<(usize, usize)> {
        (0..self.k)
            .flat_map(|a| (a..self.k).map(move |b| (a, b)))
            .collect()
    }

    /// Non-negative Hessian weight of one row for block `(a, b)`:
    /// `s̃·p_a(1 − p_a)` on the diagonal, `s̃·p_a·p_b` off it (that block
    /// enters the Hessian with a minus sign).
    fn pair_weight(si: F, q: ArrayView1<'_, F>, (a, b): (usize, usize)) -> F {
        if a == b {
            si * q[a] * (F::one() - q[a])
        } else {
            si * q[a] * q[b]
        }
    }

    /// Objective, gradient and probabilities at θ in one pass over the
    /// records; with `cross`, also `Xᵀw` and `Σw` of every Hessian block
    /// weight (the intercept row/column of the Hessian).
    pub fn eval_full(&self, theta: ArrayView2<'_, F>, cross: bool) -> Eval<F> {
        let n = self.x.nrows();
        let (d, k) = (self.d(), self.k);
        let pairs = if cross { self.pairs() } else { Vec::new() };
        let width = k + pairs.len();
        let mut probs = Array2::<F>::zeros((n, k));
        let chunks = self.chunks();
        let parts: Vec<ArrayViewMut2<'_, F>> =
            probs.axis_chunks_iter_mut(Axis(0), CHUNK_ROWS).collect();
        let zero = || {
            (
                0.0f64,
                Array2::<F>::zeros((width, d)),
                Array1::<F>::zeros(width),
            )
        };
        let (loss, prod, sums) = parts
            .into_par_iter()
            .zip(chunks.into_par_iter())
            .map(|(mut z, r)| {
                self.scores_into(theta, r.clone(), &mut z);
                let loss = self.probs_and_loss(r.clone(), &mut z);
                let mut m = Array2::<F>::zeros((r.len(), width));
                let codes = &self.codes[r.clone()];
                let sw = self.sw.slice(s![r.clone()]);
                for (i, (mut row, q)) in m.rows_mut().into_iter().zip(z.rows()).enumerate() {
                    let (c, si) = (codes[i], sw[i]);
                    if k == 1 {
                        row[0] = si * (q[0] - if c == 1 { F::one() } else { F::zero() });
                    } else {
                        for j in 0..k {
                            row[j] = si * (q[j] - if c == j { F::one() } else { F::zero() });
                        }
                    }
                    for (t, &pair) in pairs.iter().enumerate() {
                        row[k + t] = Self::pair_weight(si, q, pair);
                    }
                }
                let mut g = Array2::<F>::zeros((width, d));
                m_times_rows(self.x, r, m.t(), &mut g.view_mut());
                (loss, g, m.sum_axis(Axis(0)))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(zero(), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        let p = self.p();
        let mut grad = Array2::<F>::zeros((k, p));
        grad.slice_mut(s![.., ..d]).assign(&prod.slice(s![..k, ..]));
        if self.fit_intercept {
            grad.column_mut(d).assign(&sums.slice(s![..k]));
        }
        if self.l2 != F::zero() {
            let mut gw = grad.slice_mut(s![.., ..d]);
            gw.scaled_add(self.l2, &theta.slice(s![.., ..d]));
        }
        let cross = cross.then(|| {
            (
                prod.slice(s![k.., ..]).to_owned(),
                sums.slice(s![k..]).to_owned(),
            )
        });
        Eval {
            loss: loss + self.penalty(theta),
            grad,
            probs,
            cross,
        }
    }

    /// Hessian of the mean-scaled objective at the point evaluated by
    /// `eval_full(θ, true)`, as a `(k·p) × (k·p)` matrix in θ's row-major
    /// order.
    ///
    /// Binary: `[X 1]ᵀ diag(s̃·p(1−p)) [X 1] + λ·I_W`. Multinomial: blocks
    /// `H_ab = [X 1]ᵀ diag(s̃·p_a(δ_ab − p_b)) [X 1] + δ_ab·λ·I_W` — the full
    /// block Hessian including the softmax cross terms.
    ///
    /// # Panics
    /// If `ev` was evaluated without `cross`.
    pub fn hessian(&self, ev: &Eval<F>) -> Array2<F> {
        let (d, p, k) = (self.d(), self.p(), self.k);
        let (xtw, wsum) = ev.cross.as_ref().expect("evaluated with cross terms");
        let mut h = Array2::<F>::zeros((k * p, k * p));
        for (t, pair) in self.pairs().into_iter().enumerate() {
            let (a, b) = pair;
            let w = ndarray::Zip::from(&self.sw)
                .and(ev.probs.rows())
                .map_collect(|&si, q| Self::pair_weight(si, q, pair));
            let sign = if a == b { F::one() } else { -F::one() };
            let g = match self.x {
                Checked::Dense(x) => linalg::gram(x, Some(w.view())),
                Checked::Sparse(x) => sparse_gram(x, w.view()),
            };
            let mut block = h.slice_mut(s![a * p..a * p + p, b * p..b * p + p]);
            block
                .slice_mut(s![..d, ..d])
                .zip_mut_with(&g, |t, &v| *t = sign * v);
            if self.fit_intercept {
                let col = xtw.row(t).mapv(|v| sign * v);
                block.slice_mut(s![..d, d]).assign(&col);
                block.slice_mut(s![d, ..d]).assign(&col);
                block[[d, d]] = sign * wsum[t];
            }
            if a != b {
                let blk = h.slice(s![a * p..a * p + p, b * p..b * p + p]).to_owned();
                h.slice_mut(s![b * p..b * p + p, a * p..a * p + p])
                    .assign(&blk.t());
            }
        }
        if self.l2 != F::zero() {
            for a in 0..k {
                for j in 0..d {
                    h[[a * p + j, a * p + j]] += self.l2;
                }
            }
        }
        h
    }

    /// Directions along which the multinomial objective is flat (adding the
    /// same value to one unpenalised column of every class), as column indices.
    pub fn gauge_columns(&self) -> Vec<usize> {
        if !self.multinomial() {
            return Vec::new();
        }
        if self.l2 == F::zero() {
            (0..self.p()).collect()
        } else if self.fit_intercept {
            vec![self.d()]
        } else {
            Vec::new()
        }
    }

    /// Symmetric parametrisation of a multinomial solution: unpenalised
    /// columns are centred over classes (the predictions do not change).
    pub fn symmetrise(&self, theta: &mut Array2<F>) {
        let k = F::from_f64_lossy(self.k as f64);
        for j in self.gauge_columns() {
            let mut col = theta.column_mut(j);
            let mean = col.sum() / k;
            col -= mean;
        }
    }
}

/// `out = X[r]·Wᵀ` (`|r| × k`; `W` is `k × d`): one GEMM for dense records,
/// per stored entry for sparse ones.
fn rows_times_wt<F: Float>(
    x: Checked<'_, F>,
    r: Range<usize>,
    w: ArrayView2<'_, F>,
    out: &mut ArrayViewMut2<'_, F>,
) {
    match x {
        Checked::Dense(x) => {
            linalg::gemm(F::one(), x.slice(s![r, ..]), w.t(), F::zero(), out);
        }
        Checked::Sparse(x) => {
            for (mut o, i) in out.rows_mut().into_iter().zip(r) {
                let (idx, val) = x.row(i);
                for (o, wc) in o.iter_mut().zip(w.rows()) {
                    *o = idx
                        .iter()
                        .zip(val)
                        .fold(F::zero(), |a, (&j, &v)| a + v * wc[j]);
                }
            }
        }
    }
}

/// `out = M·X[r]` (`q × d`; `M` is `q × |r|`): one GEMM for dense records; for
/// sparse ones each stored entry scatters its column of `M` into `out`.
fn m_times_rows<F: Float>(
    x: Checked<'_, F>,
    r: Range<usize>,
    m: ArrayView2<'_, F>,
    out: &mut ArrayViewMut2<'_, F>,
) {
    match x {
        Checked::Dense(x) => {
            linalg::gemm(F::one(), m, x.slice(s![r, ..]), F::zero(), out);
        }
        Checked::Sparse(x) => {
            out.fill(F::zero());
            for (t, i) in r.enumerate() {
                let (idx, val) = x.row(i);
                for (mut o, &a) in out.rows_mut().into_iter().zip(m.column(t)) {
                    if a != F::zero() {
                        for (&j, &v) in idx.iter().zip(val) {
                            o[j] += a * v;
                        }
                    }
                }
            }
        }
    }
}

/// `Xᵀ·diag(w)·X` (`d × d`) of sparse records, from the products of each
/// row's stored entries.
fn sparse_gram<F: Float>(x: Csr<'_, F>, w: ArrayView1<'_, F>) -> Array2<F> {
    let d = x.ncols();
    let mut g = Array2::<F>::zeros((d, d));
    for (i, &wi) in w.iter().enumerate() {
        let (idx, val) = x.row(i);
        for (&a, &va) in idx.iter().zip(val) {
            let s = wi * va;
            let mut row = g.row_mut(a);
            for (&b, &vb) in idx.iter().zip(val) {
                row[b] += s * vb;
            }
        }
    }
    g
}

/// Reusable buffers of [`Problem::loss_grad`] (no allocation per evaluation).
pub(crate) struct Workspace<F> {
    /// One per row chunk.
    parts: Vec<Part<F>>,
}

/// One row chunk's buffers and share of the objective and gradient.
struct Part<F> {
    /// The chunk's rows.
    rows: Range<usize>,
    /// Class-major scores `W·Xᵀ` (`k × rows`), then residuals `M`.
    z: Array2<F>,
    /// Per row: the max score, then the softmax denominator.
    aux: Vec<F>,
    /// Per row: the true class's shifted score.
    target: Vec<F>,
    /// `M·X`, `k × d`.
    grad: Array2<F>,
    /// Row sums of `M` (the intercept gradient).
    bias: Vec<F>,
    /// `Σ s̃ᵢ ℓᵢ` over the chunk.
    loss: f64,
}

/// `max` without NaN handling (NaN scores make the loss NaN anyway), so the
/// loop vectorises.
#[inline(always)]
fn fast_max<F: Float>(a: F, b: F) -> F {
    if b > a { b } else { a }
}

/// Multinomial loss over class-major scores `z` (one row of `n` per class): returns
/// `Σ s̃ᵢ (logsumexp(z·ᵢ) − z_{cᵢ,i})` and overwrites `z` with the residuals
/// `s̃ᵢ (p·ᵢ − e_{cᵢ})`. `aux`, `target`: scratch of length `n`.
///
/// On x86-64 the same code is also compiled for AVX2 and for AVX-512F and the
/// widest the CPU has is chosen at run time (4 or 8 f64 lanes instead of
/// SSE2's 2). Every compilation performs the same IEEE operations in the same
/// order (Rust does not contract `a·b + c` into FMA), so the results are
/// bit-identical (tested).
fn softmax_residuals<F: Float>(
    z: &mut [F],
    codes: &[usize],
    sw: &[F],
    aux: &mut [F],
    target: &mut [F],
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::active().avx512f {
        // SAFETY: the CPU supports AVX-512F (`active` ⊆ `hardware`), the only
        // requirement of a `target_feature(enable = "avx512f")` function.
        return unsafe { softmax_residuals_avx512(z, codes, sw, aux, target) };
    }
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::active().avx2 {
        // SAFETY: the CPU supports AVX2 (`active` ⊆ `hardware`), the only
        // requirement of a `target_feature(enable = "avx2")` function.
        return unsafe { softmax_residuals_avx2(z, codes, sw, aux, target) };
    }
    softmax_residuals_impl(z, codes, sw, aux, target)
}

/// [`softmax_residuals_impl`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn softmax_residuals_avx2<F: Float>(
    z: &mut [F],
    codes: &[usize],
    sw: &[F],
    aux: &mut [F],
    target: &mut [F],
) -> f64 {
    softmax_residuals_impl(z, codes, sw, aux, target)
}

/// [`softmax_residuals_impl`] compiled for AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn softmax_residuals_avx512<F: Float>(
    z: &mut [F],
    codes: &[usize],
    sw: &[F],
    aux: &mut [F],
    target: &mut [F],
) -> f64 {
    softmax_residuals_impl(z, codes, sw, aux, target)
}

/// The body of [`softmax_residuals`] (inlined into each compilation).
#[inline(always)]
fn softmax_residuals_impl<F: Float>(
    z: &mut [F],
    codes: &[usize],
    sw: &[F],
    aux: &mut [F],
    target: &mut [F],
) -> f64 {
    let n = codes.len();
    // Row max over classes, vectorised across samples.
    aux.copy_from_slice(&z[..n]);
    for row in z.chunks_exact(n).skip(1) {
        for (m, &v) in aux.iter_mut().zip(row) {
            *m = fast_max(*m, v);
        }
    }
    for row in z.chunks_exact_mut(n) {
        for (v, &m) in row.iter_mut().zip(aux.iter()) {
            *v -= m;
        }
    }
    for ((t, &c), i) in target.iter_mut().zip(codes).zip(0..) {
        *t = z[c * n + i];
    }
    exp_in_place(z);
    aux.copy_from_slice(&z[..n]);
    for row in z.chunks_exact(n).skip(1) {
        for (s, &v) in aux.iter_mut().zip(row) {
            *s += v;
        }
    }
    let mut loss = 0.0f64;
    for ((s, &t), &si) in aux.iter_mut().zip(target.iter()).zip(sw) {
        loss += si.to_f64_exact() * (s.ln() - t).to_f64_exact();
        *s = si / *s;
    }
    for row in z.chunks_exact_mut(n) {
        for (v, &a) in row.iter_mut().zip(aux.iter()) {
            *v *= a;
        }
    }
    for ((&c, &si), i) in codes.iter().zip(sw).zip(0..) {
        z[c * n + i] -= si;
    }
    loss
}

/// Binary logistic loss over scores `z`: returns
/// `Σ s̃ᵢ (log(1 + e^zᵢ) − yᵢ zᵢ)` and overwrites `z` with `s̃ᵢ (σ(zᵢ) − yᵢ)`.
/// `e`: scratch of length `n`.
fn logistic_residuals<F: Float>(z: &mut [F], codes: &[usize], sw: &[F], e: &mut [F]) -> f64 {
    for (ei, &v) in e.iter_mut().zip(z.iter()) {
        *ei = -v.abs();
    }
    exp_in_place(e);
    let mut loss = 0.0f64;
    for (((v, &c), &si), &ei) in z.iter_mut().zip(codes).zip(sw).zip(e.iter()) {
        let t = *v;
        let y = if c == 1 { F::one() } else { F::zero() };
        // ℓ = log(1 + eᵗ) − y·t = max(t, 0) + log(1 + e^−|t|) − y·t.
        let li = t.max(F::zero()) + ei.ln_1p() - y * t;
        loss += si.to_f64_exact() * li.to_f64_exact();
        let inv = F::one() / (F::one() + ei);
        let p = if t >= F::zero() { inv } else { ei * inv };
        *v = si * (p - y);
    }
    loss
}

/// Logistic sigmoid, stable for large |t|.
pub(crate) fn sigmoid<F: Float>(t: F) -> F {
    if t >= F::zero() {
        F::one() / (F::one() + (-t).exp())
    } else {
        let e = t.exp();
        e / (F::one() + e)
    }
}

/// Max-abs of an array (`∞`-norm), in f64.
pub(crate) fn max_abs<F: Float>(a: ArrayView2<'_, F>) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.to_f64_exact().abs()))
}

/// What a solver returns.
pub(crate) struct Outcome<F> {
    /// Final parameters, `k × p`.
    pub theta: Array2<F>,
    /// Iterations performed.
    pub n_iter: usize,
    /// Whether the stopping criterion was met.
    pub converged: bool,
    /// Final mean-scaled objective.
    pub loss: f64,
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::super::precond::Precond;
    use super::*;
    use crate::cpu::dot_f64;

    /// The per-CPU compilations of the softmax pass give the same bits as
    /// the portable one (the claim in `softmax_residuals`' docs), for odd row
    /// counts, several class counts, both float types.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn softmax_compilations_are_bit_identical() {
        /// One compilation of the pass, over `(z, aux, target)`.
        type Pass<'a, F> = &'a dyn Fn(&mut [F], &mut [F], &mut [F]) -> f64;
        fn check<F: Float>() {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            for &(n, k) in &[(1, 3), (7, 3), (37, 4), (130, 10)] {
                let z0: Vec<F> = (0..n * k)
                    .map(|_| F::from_f64_lossy(rng.random_range(-30.0..30.0)))
                    .collect();
                let codes: Vec<usize> = (0..n).map(|_| rng.random_range(0..k)).collect();
                let sw: Vec<F> = (0..n)
                    .map(|_| F::from_f64_lossy(rng.random_range(0.1..2.0)))
                    .collect();
                let run = |f: Pass<'_, F>| {
                    let (mut z, mut aux, mut target) =
                        (z0.clone(), vec![F::zero(); n], vec![F::zero(); n]);
                    let loss = f(&mut z, &mut aux, &mut target);
                    let bits: Vec<u64> = z.iter().map(|v| v.to_f64_exact().to_bits()).collect();
                    (loss.to_bits(), bits)
                };
                let want = run(&|z, a, t| softmax_residuals_impl(z, &codes, &sw, a, t));
                let hw = crate::cpu::hardware();
                if hw.avx2 {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    let got =
                        run(&|z, a, t| unsafe { softmax_residuals_avx2(z, &codes, &sw, a, t) });
                    assert_eq!(got, want, "avx2, {} n={n} k={k}", F::NAME);
                }
                if hw.avx512f {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    let got =
                        run(&|z, a, t| unsafe { softmax_residuals_avx512(z, &codes, &sw, a, t) });
                    assert_eq!(got, want, "avx512, {} n={n} k={k}", F::NAME);
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }

    /// Random records (uncentred, unequal scales), labels and weights.
    fn data(
        n: usize,
        d: usize,
        classes: usize,
        seed: u64,
    ) -> (Array2<f64>, Vec<usize>, Array1<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, d), |(_, j)| {
            (j as f64 + 1.0) * rng.random::<f64>() + j as f64
        });
        let codes = (0..n).map(|_| rng.random_range(0..classes)).collect();
        let sw: Array1<f64> = (0..n).map(|_| rng.random::<f64>() + 0.1).collect();
        let total = sw.sum();
        (x, codes, sw / total)
    }

    fn problem<'a>(
        x: &'a Array2<f64>,
        codes: &'a [usize],
        sw: &Array1<f64>,
        k: usize,
        fit_intercept: bool,
    ) -> Problem<'a, f64> {
        Problem {
            x: Checked::Dense(x.view()),
            codes,
            sw: sw.clone(),
            k,
            fit_intercept,
            l2: 0.01,
        }
    }

    /// The fused path (`loss_grad`) against the reference one (`eval_full`),
    /// on one and on several row chunks, binary and multinomial, with and
    /// without intercept.
    #[test]
    fn fused_loss_and_gradient_match_the_reference_evaluation() {
        for (n, classes) in [
            (300, 2),
            (300, 4),
            (2 * CHUNK_ROWS + 77, 3),
            (CHUNK_ROWS + 5, 2),
        ] {
            let (x, codes, sw) = data(n, 5, classes, n as u64);
            let k = if classes == 2 { 1 } else { classes };
            for fit_intercept in [true, false] {
                let pb = problem(&x, &codes, &sw, k, fit_intercept);
                let mut rng = ChaCha8Rng::seed_from_u64(7);
                let theta = Array2::from_shape_fn((k, pb.p()), |_| rng.random::<f64>() - 0.5);
                let want = pb.eval_full(theta.view(), false);
                let mut ws = pb.workspace();
                let mut grad = Array2::zeros((k, pb.p()));
                // Twice: the workspace is reused without stale state.
                for _ in 0..2 {
                    let loss = pb.loss_grad(theta.view(), &mut ws, &mut grad);
                    assert!(
                        (loss - want.loss).abs() <= 1e-13 * want.loss.abs(),
                        "n {n} k {k}: {loss} vs {}",
                        want.loss
                    );
                    let err = (&grad - &want.grad).mapv(f64::abs);
                    let scale = max_abs(want.grad.view());
                    assert!(
                        err.iter().all(|&e| e <= 1e-12 * scale),
                        "n {n} k {k} intercept {fit_intercept}: {grad} vs {}",
                        want.grad
                    );
                }
            }
        }
    }

    /// Central differences of the objective agree with `loss_grad`.
    #[test]
    fn fused_gradient_matches_finite_differences() {
        let (x, codes, sw) = data(200, 3, 3, 1);
        let pb = problem(&x, &codes, &sw, 3, true);
        let mut ws = pb.workspace();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let theta = Array2::from_shape_fn((3, 4), |_| rng.random::<f64>() - 0.5);
        let mut grad = Array2::zeros((3, 4));
        pb.loss_grad(theta.view(), &mut ws, &mut grad);
        let mut scratch = Array2::zeros((3, 4));
        let h = 1e-6;
        for a in 0..3 {
            for j in 0..4 {
                let mut tp = theta.clone();
                tp[[a, j]] += h;
                let mut tm = theta.clone();
                tm[[a, j]] -= h;
                let fd = (pb.loss_grad(tp.view(), &mut ws, &mut scratch)
                    - pb.loss_grad(tm.view(), &mut ws, &mut scratch))
                    / (2.0 * h);
                assert!(
                    (fd - grad[[a, j]]).abs() <= 1e-7,
                    "({a}, {j}): {fd} vs {}",
                    grad[[a, j]]
                );
            }
        }
    }

    /// The preconditioner's `grad_to_u` is the transpose of `to_theta`:
    /// `⟨g, T·u⟩ = ⟨Tᵀ·g, u⟩` (so L-BFGS in `u` minimises the same function).
    #[test]
    fn preconditioner_gradient_map_is_the_transpose() {
        for fit_intercept in [true, false] {
            let (x, codes, sw) = data(100, 4, 3, 9);
            let pb = problem(&x, &codes, &sw, 3, fit_intercept);
            let pre = Precond::new(&pb);
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let u = Array2::from_shape_fn((3, pb.p()), |_| rng.random::<f64>() - 0.5);
            let g = Array2::from_shape_fn((3, pb.p()), |_| rng.random::<f64>() - 0.5);
            let mut tg = Array2::zeros((3, pb.p()));
            pre.grad_to_u(g.view(), tg.view_mut());
            let lhs = dot_f64(g.view(), pre.to_theta(u.view()).view());
            let rhs = dot_f64(tg.view(), u.view());
            assert!(
                (lhs - rhs).abs() <= 1e-12 * lhs.abs().max(1.0),
                "{lhs} vs {rhs}"
            );
        }
    }
}
