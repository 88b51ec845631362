//! Kernel functions, `gamma` resolution and kernel evaluation.
//!
//! Three evaluation paths:
//! - [`RowEval`]: one kernel row `K(xᵢ, x_t)` for a list of training points
//!   `t`, written as `f32` into a cache row (the solver's hot path). Dot products
//!   use independent accumulators (vectorised), squared norms are precomputed
//!   (`‖xᵢ−x_t‖² = ‖xᵢ‖² + ‖x_t‖² − 2·xᵢ·x_t`), the RBF exponential runs in a
//!   branch-free `f32` routine, and long rows are split over rayon threads.
//! - [`block`]: a block `K(A, B)` in the input precision through one GEMM
//!   (gradient reconstruction).
//! - [`SvKernel`]: kernel rows of new records against the support vectors
//!   (prediction), one record at a time, records split over threads.
//!
//! Sparse (CSR) records take the same paths with sparse dot products: the
//! row being evaluated is scattered into a dense buffer and each other row
//! costs its stored entries; RBF distances come from `f64` squared norms
//! (centring would fill the matrix). A model fitted on sparse records keeps
//! its support vectors in CSR ([`SupportVectors`]).

use std::borrow::Cow;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cpu::{dot, exp_f32};
use crate::error::{Error, Result};
use crate::linalg::{self, Float};
use crate::sparse::{Checked, CsMat, Csr, Records, SparseRows};

/// The kernel coefficient `γ` of the polynomial, RBF and sigmoid kernels.
///
/// # Example
/// ```
/// use oxilearn::svm::{Gamma, Kernel};
/// let k = Kernel::Rbf { gamma: Gamma::Value(0.05) };
/// assert_eq!(Kernel::default(), Kernel::Rbf { gamma: Gamma::Scale });
/// # let _ = k;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum Gamma {
    /// `1 / (n_features · Var(X))` over all entries of the training records
    /// (scikit-learn's `"scale"`, the default); `1` when `Var(X) = 0`.
    #[default]
    Scale,
    /// `1 / n_features` (scikit-learn's `"auto"`).
    Auto,
    /// A fixed value, `> 0`.
    Value(f64),
}

/// A kernel function `K(x, z)`.
///
/// | variant | `K(x, z)` |
/// |---|---|
/// | `Linear` | `x·z` |
/// | `Poly` | `(γ·x·z + coef0)^degree` |
/// | `Rbf` | `exp(−γ·‖x − z‖²)` |
/// | `Sigmoid` | `tanh(γ·x·z + coef0)` |
/// | `Precomputed` | the records *are* kernel values: `fit` takes the `n×n` training kernel, prediction an `m×n_train` kernel |
///
/// The default is `Rbf { gamma: Gamma::Scale }` (scikit-learn's default).
///
/// # Example
/// ```
/// use oxilearn::svm::{Gamma, Kernel};
/// let poly = Kernel::Poly { degree: 3, gamma: Gamma::Scale, coef0: 0.0 };
/// assert_ne!(poly, Kernel::Linear);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `x·z`.
    Linear,
    /// `(γ·x·z + coef0)^degree`.
    Poly {
        /// Polynomial degree (scikit-learn's default 3).
        degree: u32,
        /// `γ`.
        gamma: Gamma,
        /// Independent term (scikit-learn's default 0).
        coef0: f64,
    },
    /// `exp(−γ·‖x − z‖²)`.
    Rbf {
        /// `γ`.
        gamma: Gamma,
    },
    /// `tanh(γ·x·z + coef0)`.
    Sigmoid {
        /// `γ`.
        gamma: Gamma,
        /// Independent term.
        coef0: f64,
    },
    /// Records are kernel values (`n×n` at fit, `m×n_train` at prediction).
    Precomputed,
}

impl Default for Kernel {
    fn default() -> Self {
        Kernel::Rbf {
            gamma: Gamma::Scale,
        }
    }
}

/// A kernel with `γ` resolved to a number (what a fitted model stores).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum KernelFn {
    Linear,
    Poly { degree: u32, gamma: f64, coef0: f64 },
    Rbf { gamma: f64 },
    Sigmoid { gamma: f64, coef0: f64 },
    Precomputed,
}

fn resolve_gamma<F: Float>(g: Gamma, x: Checked<'_, F>) -> Result<f64> {
    let d = x.ncols() as f64;
    match g {
        Gamma::Value(v) => {
            crate::validation::check_positive("gamma", v)?;
            Ok(v)
        }
        Gamma::Auto => Ok(1.0 / d),
        Gamma::Scale => {
            // Var(X) over all n·d entries (a sparse matrix's implicit zeros
            // included), on the records divided by the power of two nearest
            // their largest magnitude (exact; bit-identical for ordinary
            // data): Var(X) of records near 1e300 overflows, the scaled one
            // does not.
            let n = (x.nrows() * x.ncols()) as f64;
            let (s, var) = match &x {
                Checked::Dense(v) => scaled_variance(n, || v.iter().map(|v| v.to_f64_exact())),
                Checked::Sparse(c) => scaled_variance(n, || {
                    (0..c.nrows()).flat_map(|i| c.row(i).1.iter().map(|v| v.to_f64_exact()))
                }),
            };
            if var <= 0.0 {
                return Ok(1.0);
            }
            let gamma = 1.0 / (d * var) / s / s;
            if !(gamma.is_finite() && gamma > 0.0) {
                return Err(Error::NumericalFailure {
                    operation: "kernel gamma='scale'",
                    reason: format!(
                        "1 / (n_features · Var(X)) is not representable (Var(X) = {var:e} · {s:e}²); \
                         scale the features (e.g. StandardScaler)"
                    ),
                });
            }
            Ok(gamma)
        }
    }
}

/// `(s, Var(X / s))` over `n` entries of which `stored` yields the ones held
/// (the rest are zeros), `s` the power of two nearest the largest magnitude.
fn scaled_variance<I: Iterator<Item = f64>>(n: f64, stored: impl Fn() -> I) -> (f64, f64) {
    let s = crate::numerics::pow2_scale(crate::numerics::max_abs(stored()));
    let zeros = n - stored().count() as f64;
    let mean = stored().map(|v| v / s).sum::<f64>() / n;
    let var = (stored().map(|v| (v / s - mean).powi(2)).sum::<f64>() + zeros * mean * mean) / n;
    (s, var)
}

/// Largest kernel value the solver's `f32` row cache holds.
const CACHE_MAX: f64 = f32::MAX as f64;

/// Checks, before any solver work, that every kernel value on the training
/// records is finite and fits the solver's `f32` row cache, so that no fit
/// runs on (or reports convergence over) overflowed kernel values:
/// `Err(NumericalFailure)` naming the kernel, the offending quantity and
/// suggesting feature scaling.
///
/// Bounds, all from the squared norms `‖xᵢ‖²` (Cauchy–Schwarz bounds every
/// dot product and partial sum by their maximum): linear `max ‖xᵢ‖²`;
/// polynomial `(γ·max ‖xᵢ‖² + |coef0|)^degree`; RBF the centred squared
/// norms (distances are formed as `‖a‖² + ‖b‖² − 2a·b` in `f32`) and `γ`
/// itself (an `f32` in the hot loop); sigmoid only finite norms (`tanh`
/// saturates); precomputed the largest entry.
///
/// Sparse records are not centred (the RBF distances of their rows are formed
/// in `f64`), so the bounds use their plain squared norms.
pub(crate) fn check_numeric_range<F: Float>(kf: &KernelFn, x: Checked<'_, F>) -> Result<()> {
    let fail = |operation: &'static str, reason: String| {
        Err(Error::NumericalFailure {
            operation,
            reason: format!("{reason}; scale the features (e.g. StandardScaler)"),
        })
    };
    let x = match x {
        Checked::Dense(x) => x,
        Checked::Sparse(c) => {
            let max_sq = (0..c.nrows())
                .map(|i| {
                    c.row(i)
                        .1
                        .iter()
                        .map(|v| v.to_f64_exact().powi(2))
                        .sum::<f64>()
                })
                .fold(0.0f64, f64::max);
            return check_range(kf, max_sq, false);
        }
    };
    if let KernelFn::Precomputed = kf {
        let m = crate::numerics::max_abs(x.iter().map(|v| v.to_f64_exact()));
        if m > CACHE_MAX {
            return fail(
                "precomputed kernel",
                format!("kernel values up to {m:e} exceed the f32 range of the kernel cache"),
            );
        }
        return Ok(());
    }
    let centred = matches!(kf, KernelFn::Rbf { .. });
    let mean: Vec<f64> = if centred {
        let n = x.nrows().max(1) as f64;
        x.axis_iter(ndarray::Axis(1))
            .map(|c| c.iter().map(|v| v.to_f64_exact() / n).sum())
            .collect()
    } else {
        vec![0.0; x.ncols()]
    };
    let max_sq = x
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .map(|(v, m)| (v.to_f64_exact() - m).powi(2))
                .sum::<f64>()
        })
        .fold(
            0.0f64,
            |a, b| if b.is_nan() { f64::INFINITY } else { a.max(b) },
        );
    check_range(kf, max_sq, true)
}

/// The bounds of [`check_numeric_range`] from the largest squared norm;
/// `rbf_f32`: RBF rows are evaluated in `f32` (dense records).
fn check_range(kf: &KernelFn, max_sq: f64, rbf_f32: bool) -> Result<()> {
    let fail = |operation: &'static str, reason: String| {
        Err(Error::NumericalFailure {
            operation,
            reason: format!("{reason}; scale the features (e.g. StandardScaler)"),
        })
    };
    let name = match kf {
        KernelFn::Linear => "linear kernel",
        KernelFn::Poly { .. } => "polynomial kernel",
        KernelFn::Rbf { .. } => "rbf kernel",
        KernelFn::Sigmoid { .. } => "sigmoid kernel",
        KernelFn::Precomputed => "precomputed kernel",
    };
    if !max_sq.is_finite() {
        return fail(
            name,
            "squared norms of the records overflow f64".to_string(),
        );
    }
    match *kf {
        KernelFn::Linear if max_sq > CACHE_MAX => fail(
            name,
            format!("kernel values up to {max_sq:e} exceed the f32 range of the kernel cache"),
        ),
        KernelFn::Poly {
            degree,
            gamma,
            coef0,
        } => {
            let bound = (gamma * max_sq + coef0.abs()).powi(degree as i32);
            if bound.is_finite() && bound <= CACHE_MAX {
                Ok(())
            } else {
                fail(
                    name,
                    format!(
                        "(gamma·x·z + coef0)^{degree} reaches {bound:e}, beyond the f32 range \
                         of the kernel cache (lower the degree or gamma)"
                    ),
                )
            }
        }
        KernelFn::Rbf { gamma } => {
            if !rbf_f32 {
                return if (4.0 * max_sq).is_finite() {
                    Ok(())
                } else {
                    fail(
                        name,
                        "squared distances between records overflow f64".to_string(),
                    )
                };
            }
            if gamma > CACHE_MAX || (gamma as f32) < f32::MIN_POSITIVE {
                return fail(
                    name,
                    format!(
                        "gamma = {gamma:e} is outside the f32 range of the kernel evaluation \
                         (every kernel value would round to 0 or 1)"
                    ),
                );
            }
            if 4.0 * max_sq > CACHE_MAX {
                return fail(
                    name,
                    format!(
                        "squared distances between records reach {:e}, beyond the f32 range \
                         of the kernel evaluation",
                        4.0 * max_sq
                    ),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The checks of a kernel model's `fit` on `x`: those of every fit
/// (non-empty, finite, CSR storage when sparse) and, for a precomputed
/// kernel, a dense `n × n` matrix.
pub(crate) fn check_train<'a, F: Float>(
    x: Records<'a, F>,
    kernel: &Kernel,
) -> Result<Checked<'a, F>> {
    let x = x.check_fit()?;
    if *kernel == Kernel::Precomputed {
        let n = x.nrows();
        if x.ncols() != n {
            return Err(Error::ShapeMismatch {
                what: "x (precomputed kernel must be n×n)",
                expected: vec![n, n],
                got: vec![n, x.ncols()],
            });
        }
        if let Checked::Sparse(_) = x {
            return Err(Error::invalid(
                "x",
                "a precomputed kernel must be a dense n×n matrix, not a sparse one",
            ));
        }
    }
    Ok(x)
}

/// `Err(InvalidParameter)` unless `v` is finite.
fn check_finite(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(name, format!("must be finite, got {v}")))
    }
}

/// `Err(InvalidParameter)` unless the degree fits the `i32` exponent the
/// kernel raises to.
fn check_degree(degree: u32) -> Result<()> {
    if i32::try_from(degree).is_err() {
        return Err(Error::invalid(
            "degree",
            format!("must be at most {}, got {degree}", i32::MAX),
        ));
    }
    Ok(())
}

impl Kernel {
    /// The checks of the kernel's own parameters (fit and loaders make
    /// them; `γ` given as a value must be finite and > 0).
    pub(crate) fn validate(&self) -> Result<()> {
        let gamma = |g: Gamma| match g {
            Gamma::Value(v) => crate::validation::check_positive("gamma", v),
            Gamma::Scale | Gamma::Auto => Ok(()),
        };
        match *self {
            Kernel::Linear | Kernel::Precomputed => Ok(()),
            Kernel::Poly {
                degree,
                gamma: g,
                coef0,
            } => {
                check_degree(degree)?;
                check_finite("coef0", coef0)?;
                gamma(g)
            }
            Kernel::Rbf { gamma: g } => gamma(g),
            Kernel::Sigmoid { gamma: g, coef0 } => {
                check_finite("coef0", coef0)?;
                gamma(g)
            }
        }
    }

    /// Validates the parameters and resolves `γ` on dense training records.
    pub(crate) fn resolve<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<KernelFn> {
        self.resolve_on(Checked::Dense(x))
    }

    /// Validates the parameters and resolves `γ` on the training records.
    pub(crate) fn resolve_on<F: Float>(&self, x: Checked<'_, F>) -> Result<KernelFn> {
        self.validate()?;
        Ok(match *self {
            Kernel::Linear => KernelFn::Linear,
            Kernel::Poly {
                degree,
                gamma,
                coef0,
            } => KernelFn::Poly {
                degree,
                gamma: resolve_gamma(gamma, x)?,
                coef0,
            },
            Kernel::Rbf { gamma } => KernelFn::Rbf {
                gamma: resolve_gamma(gamma, x)?,
            },
            Kernel::Sigmoid { gamma, coef0 } => KernelFn::Sigmoid {
                gamma: resolve_gamma(gamma, x)?,
                coef0,
            },
            Kernel::Precomputed => KernelFn::Precomputed,
        })
    }
}

impl KernelFn {
    /// What a resolved kernel must satisfy (checked when a model file is
    /// loaded): finite `γ > 0`, finite `coef0`, a degree that fits `i32`.
    pub(crate) fn validate(&self) -> Result<()> {
        match *self {
            KernelFn::Linear | KernelFn::Precomputed => Ok(()),
            KernelFn::Poly {
                degree,
                gamma,
                coef0,
            } => {
                check_degree(degree)?;
                check_finite("coef0", coef0)?;
                crate::validation::check_positive("gamma", gamma)
            }
            KernelFn::Rbf { gamma } => crate::validation::check_positive("gamma", gamma),
            KernelFn::Sigmoid { gamma, coef0 } => {
                check_finite("coef0", coef0)?;
                crate::validation::check_positive("gamma", gamma)
            }
        }
    }

    /// Whether this is what `kernel` resolves to on some data: the same kind
    /// with the same fixed parameters (and `γ` when it was given as a value).
    pub(crate) fn resolves(&self, kernel: &Kernel) -> bool {
        let same_gamma = |g: Gamma, v: f64| match g {
            Gamma::Value(given) => given == v,
            Gamma::Scale | Gamma::Auto => true,
        };
        match (*self, *kernel) {
            (KernelFn::Linear, Kernel::Linear) | (KernelFn::Precomputed, Kernel::Precomputed) => {
                true
            }
            (
                KernelFn::Poly {
                    degree,
                    gamma,
                    coef0,
                },
                Kernel::Poly {
                    degree: d,
                    gamma: g,
                    coef0: c,
                },
            ) => degree == d && coef0 == c && same_gamma(g, gamma),
            (KernelFn::Rbf { gamma }, Kernel::Rbf { gamma: g }) => same_gamma(g, gamma),
            (KernelFn::Sigmoid { gamma, coef0 }, Kernel::Sigmoid { gamma: g, coef0: c }) => {
                coef0 == c && same_gamma(g, gamma)
            }
            _ => false,
        }
    }

    /// The resolved `γ` (0 for kernels without one).
    pub(crate) fn gamma(&self) -> f64 {
        match *self {
            KernelFn::Poly { gamma, .. }
            | KernelFn::Rbf { gamma }
            | KernelFn::Sigmoid { gamma, .. } => gamma,
            _ => 0.0,
        }
    }

    /// `K` from the dot product and the two squared norms, in `f64`.
    #[inline]
    pub(crate) fn apply(&self, dot: f64, sq_a: f64, sq_b: f64) -> f64 {
        match *self {
            KernelFn::Linear | KernelFn::Precomputed => dot,
            KernelFn::Poly {
                degree,
                gamma,
                coef0,
            } => (gamma * dot + coef0).powi(degree as i32),
            KernelFn::Rbf { gamma } => (-gamma * (sq_a + sq_b - 2.0 * dot).max(0.0)).exp(),
            KernelFn::Sigmoid { gamma, coef0 } => (gamma * dot + coef0).tanh(),
        }
    }
}

/// Kernel rows over the training points, written as `f32`.
pub(crate) struct RowEval<'a, F: Float> {
    /// Dense points, row-major (empty for sparse ones).
    x: Cow<'a, [F]>,
    d: usize,
    /// Sparse points: an `f64` CSR copy with the squared row norms.
    sp: Option<(SparseRows, Vec<f64>)>,
    kf: KernelFn,
    /// RBF only: the points, centred (distances are translation invariant)
    /// and rounded to `f32`, with their squared norms — the hot path then
    /// runs entirely in `f32` (twice the SIMD width, half the memory traffic).
    xf: Vec<f32>,
    sqf: Vec<f32>,
}

/// Below this many multiply-adds a row is computed on one thread.
const PAR_WORK: usize = 1 << 17;

/// Below this many multiply-adds a feature-major RBF row tail is computed on
/// one thread: solver rows take microseconds, and waking rayon workers every
/// iteration cost more than it saved (measured at n = 4000 and 16000, d = 20).
const PAR_WORK_FM: usize = 1 << 21;

impl<'a, F: Float> RowEval<'a, F> {
    /// The rows of checked training records (for `Precomputed`, the `n×n`
    /// training kernel): dense ones borrowed when in standard layout, else
    /// copied; sparse ones copied to `f64` CSR with their squared norms.
    pub(crate) fn for_records(x: Checked<'a, F>, kf: KernelFn) -> Self {
        match x {
            Checked::Dense(v) => {
                let n = v.nrows();
                match v.to_slice() {
                    Some(s) => Self::dense(Cow::Borrowed(s), n, kf),
                    None => Self::dense(Cow::Owned(v.iter().copied().collect()), n, kf),
                }
            }
            Checked::Sparse(c) => {
                let rows = SparseRows::new(&c);
                let sq = rows.sq_norms();
                RowEval {
                    x: Cow::Borrowed(&[]),
                    d: c.ncols(),
                    sp: Some((rows, sq)),
                    kf,
                    xf: Vec::new(),
                    sqf: Vec::new(),
                }
            }
        }
    }

    fn dense(x: Cow<'a, [F]>, n: usize, kf: KernelFn) -> Self {
        let d = x.len().checked_div(n).unwrap_or(0);
        let (mut xf, mut sqf) = (Vec::new(), Vec::new());
        if matches!(kf, KernelFn::Rbf { .. }) && n > 0 {
            let mut mean = vec![0.0f64; d];
            for r in x.chunks_exact(d) {
                for (m, v) in mean.iter_mut().zip(r) {
                    *m += v.to_f64_exact();
                }
            }
            mean.iter_mut().for_each(|m| *m /= n as f64);
            xf = x
                .chunks_exact(d)
                .flat_map(|r| {
                    r.iter()
                        .zip(&mean)
                        .map(|(v, m)| (v.to_f64_exact() - m) as f32)
                })
                .collect();
            sqf = xf.chunks_exact(d).map(|r| dot(r, r)).collect();
        }
        RowEval {
            x,
            d,
            sp: None,
            kf,
            xf,
            sqf,
        }
    }

    /// `K(xᵢ, xᵢ)`.
    pub(crate) fn diag(&self, i: usize) -> f64 {
        let mut out = [0f32];
        self.fill(i, &[i], &mut out);
        out[0] as f64
    }

    /// RBF only (empty otherwise): the points `points[p]` feature-major,
    /// `fm[k·l + p]`, with their squared norms — the layout of
    /// [`RowEval::fill_rbf_positions`].
    pub(crate) fn rbf_feature_major(&self, points: &[usize]) -> (Vec<f32>, Vec<f32>) {
        if self.xf.is_empty() || self.d == 0 {
            return (Vec::new(), Vec::new());
        }
        let (l, d) = (points.len(), self.d);
        let mut fm = vec![0f32; l * d];
        for (p, &t) in points.iter().enumerate() {
            for (k, &v) in self.xf[t * d..(t + 1) * d].iter().enumerate() {
                fm[k * l + p] = v;
            }
        }
        (fm, points.iter().map(|&t| self.sqf[t]).collect())
    }

    /// RBF only: `out[p − range.start] = K(x_s, point at position p)` for `p`
    /// in `range`, from the feature-major layout of
    /// [`RowEval::rbf_feature_major`] (`l = sq.len()` positions).
    pub(crate) fn fill_rbf_positions(
        &self,
        s: usize,
        fm: &[f32],
        sq: &[f32],
        range: std::ops::Range<usize>,
        out: &mut [f32],
    ) {
        let KernelFn::Rbf { gamma } = self.kf else {
            unreachable!("feature-major rows are built for the RBF kernel only")
        };
        let d = self.d;
        let xs = &self.xf[s * d..(s + 1) * d];
        let job = RbfJob {
            xs,
            sqs: self.sqf[s],
            g: gamma as f32,
            fm,
            l: sq.len(),
            sq,
        };
        let n = range.len();
        if n * d >= PAR_WORK_FM && rayon::current_num_threads() > 1 {
            let chunk = n
                .div_ceil(rayon::current_num_threads())
                .next_multiple_of(RBF_BLOCK);
            out.par_chunks_mut(chunk).enumerate().for_each(|(c, o)| {
                job.run(range.start + c * chunk, o);
            });
        } else {
            job.run(range.start, out);
        }
    }

    /// `out[k] = K(x_s, x_{targets[k]})`.
    pub(crate) fn fill(&self, s: usize, targets: &[usize], out: &mut [f32]) {
        debug_assert_eq!(targets.len(), out.len());
        let per_target = match &self.sp {
            Some((rows, _)) => rows.indices.len().div_ceil(rows.n.max(1)),
            None => self.d,
        };
        let work = targets.len() * per_target.max(1);
        if work >= PAR_WORK && rayon::current_num_threads() > 1 {
            let chunk = (targets.len() / (4 * rayon::current_num_threads())).max(1024);
            out.par_chunks_mut(chunk)
                .zip(targets.par_chunks(chunk))
                .for_each(|(o, t)| self.fill_serial(s, t, o));
        } else {
            self.fill_serial(s, targets, out);
        }
    }

    fn fill_serial(&self, s: usize, targets: &[usize], out: &mut [f32]) {
        if let Some((rows, sq)) = &self.sp {
            let kf = self.kf;
            with_scattered(rows.row(s), self.d, |xs| {
                for (o, &t) in out.iter_mut().zip(targets) {
                    let (idx, val) = rows.row(t);
                    *o = kf.apply(sparse_dot(xs, idx, val), sq[s], sq[t]) as f32;
                }
            });
            return;
        }
        let d = self.d;
        if let KernelFn::Precomputed = self.kf {
            let row = &self.x[s * d..(s + 1) * d];
            for (o, &t) in out.iter_mut().zip(targets) {
                *o = row[t].to_f64_exact() as f32;
            }
            return;
        }
        let xs = &self.x[s * d..(s + 1) * d];
        match self.kf {
            KernelFn::Rbf { gamma } => {
                let g = gamma as f32;
                let xs = &self.xf[s * d..(s + 1) * d];
                let sqs = self.sqf[s];
                for (o, &t) in out.iter_mut().zip(targets) {
                    let dd = sqs + self.sqf[t] - 2.0 * dot(xs, &self.xf[t * d..(t + 1) * d]);
                    *o = -g * dd.max(0.0);
                }
                for o in out.iter_mut() {
                    *o = exp_f32(*o);
                }
            }
            kf => {
                for (o, &t) in out.iter_mut().zip(targets) {
                    let v = dot(xs, &self.x[t * d..(t + 1) * d]).to_f64_exact();
                    *o = kf.apply(v, 0.0, 0.0) as f32;
                }
            }
        }
    }
}

thread_local! {
    /// A zeroed dense row per thread for [`with_scattered`].
    static SCATTER: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on the sparse row `(idx, val)` scattered into a dense `d`-vector
/// (a per-thread buffer, zeroed again afterwards), so its dot product with
/// another sparse row costs that row's stored entries.
fn with_scattered<R>((idx, val): (&[usize], &[f64]), d: usize, f: impl FnOnce(&[f64]) -> R) -> R {
    SCATTER.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < d {
            buf.resize(d, 0.0);
        }
        for (&j, &v) in idx.iter().zip(val) {
            buf[j] = v;
        }
        let r = f(&buf[..d]);
        for &j in idx {
            buf[j] = 0.0;
        }
        r
    })
}

/// `Σ dense[idx[k]]·val[k]`.
#[inline]
fn sparse_dot<V: Float>(dense: &[f64], idx: &[usize], val: &[V]) -> f64 {
    idx.iter()
        .zip(val)
        .map(|(&j, &v)| dense[j] * v.to_f64_exact())
        .sum()
}

/// Targets per block of the feature-major RBF rows.
const RBF_BLOCK: usize = 64;

/// One RBF row tail over the feature-major layout.
struct RbfJob<'a> {
    xs: &'a [f32],
    sqs: f32,
    g: f32,
    fm: &'a [f32],
    l: usize,
    sq: &'a [f32],
}

impl RbfJob<'_> {
    /// `out[q] = K(x_s, position start + q)`.
    fn run(&self, start: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if crate::cpu::active().avx2 {
                // SAFETY: the CPU supports AVX2 (`active` ⊆ `hardware`).
                unsafe { self.run_avx2(start, out) };
                return;
            }
        }
        self.run_generic(start, out);
    }

    /// [`RbfJob::run_generic`] with the dot products of 64 targets held in
    /// eight AVX registers across the feature loop (the generic code keeps its
    /// block accumulator in memory). Same operations in the same order
    /// (multiply, then add; no FMA), so the same values.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(&self, start: usize, out: &mut [f32]) {
        use std::arch::x86_64::*;
        const B: usize = 64;
        let n = out.len();
        let full = n / B * B;
        let (d, l) = (self.xs.len(), self.l);
        assert!(start + n <= l && self.fm.len() >= d * l && self.sq.len() >= l);
        let mut acc = [0f32; B];
        for b0 in (0..full).step_by(B) {
            let p0 = start + b0;
            // SAFETY: `k·l + p0 + B <= (d − 1)·l + l <= fm.len()` for `k < d`
            // (asserted above, `p0 + B <= start + n <= l`); the store writes
            // the local `[f32; B]`.
            unsafe {
                let mut a = [_mm256_setzero_ps(); B / 8];
                for (k, &x) in self.xs.iter().enumerate() {
                    let c = _mm256_set1_ps(x);
                    let p = self.fm.as_ptr().add(k * l + p0);
                    for (m, am) in a.iter_mut().enumerate() {
                        *am = _mm256_add_ps(*am, _mm256_mul_ps(c, _mm256_loadu_ps(p.add(8 * m))));
                    }
                }
                for (m, am) in a.iter().enumerate() {
                    _mm256_storeu_ps(acc.as_mut_ptr().add(8 * m), *am);
                }
            }
            let sq = &self.sq[p0..p0 + B];
            for ((o, &a), &q) in out[b0..b0 + B].iter_mut().zip(&acc).zip(sq) {
                let dd = (self.sqs + q - 2.0 * a).max(0.0);
                *o = exp_f32(-self.g * dd);
            }
        }
        self.run_generic(start + full, &mut out[full..]);
    }

    /// Blocks of [`RBF_BLOCK`] targets: `acc = Σₖ xs[k]·fm[k, block]` feature
    /// by feature (contiguous, vectorised across targets), then the distance
    /// `‖x_s‖² + ‖x_t‖² − 2·acc` and the exponential.
    #[inline(always)]
    fn run_generic(&self, start: usize, out: &mut [f32]) {
        let mut acc = [0f32; RBF_BLOCK];
        for (b, ob) in out.chunks_mut(RBF_BLOCK).enumerate() {
            let p0 = start + b * RBF_BLOCK;
            let m = ob.len();
            let acc = &mut acc[..m];
            acc.fill(0.0);
            for (k, &c) in self.xs.iter().enumerate() {
                let col = &self.fm[k * self.l + p0..k * self.l + p0 + m];
                for (a, &v) in acc.iter_mut().zip(col) {
                    *a += c * v;
                }
            }
            let sq = &self.sq[p0..p0 + m];
            for ((o, &a), &q) in ob.iter_mut().zip(acc.iter()).zip(sq) {
                let dd = (self.sqs + q - 2.0 * a).max(0.0);
                *o = exp_f32(-self.g * dd);
            }
        }
    }
}

impl<F: Float> RowEval<'_, F> {
    /// `out[t] = Σⱼ coef[j]·K(x_{targets[t]}, x_{svs[j]})`, in the input
    /// precision (blocked GEMM; used to rebuild gradients of shrunk variables).
    pub(crate) fn kernel_sums(&self, targets: &[usize], svs: &[usize], coef: &[f64]) -> Vec<f64> {
        if let Some((rows, sq)) = &self.sp {
            return targets
                .par_iter()
                .map(|&t| {
                    with_scattered(rows.row(t), self.d, |xt| {
                        svs.iter()
                            .zip(coef)
                            .map(|(&s, c)| {
                                let (idx, val) = rows.row(s);
                                c * self.kf.apply(sparse_dot(xt, idx, val), sq[t], sq[s])
                            })
                            .sum()
                    })
                })
                .collect();
        }
        let d = self.d;
        if let KernelFn::Precomputed = self.kf {
            return targets
                .par_iter()
                .map(|&t| {
                    let row = &self.x[t * d..(t + 1) * d];
                    svs.iter()
                        .zip(coef)
                        .map(|(&s, c)| c * row[s].to_f64_exact())
                        .sum()
                })
                .collect();
        }
        let gather = |idx: &[usize]| {
            let mut m = Array2::<F>::zeros((idx.len(), d));
            for (mut r, &i) in m.rows_mut().into_iter().zip(idx) {
                r.as_slice_mut()
                    .expect("fresh array is contiguous")
                    .copy_from_slice(&self.x[i * d..(i + 1) * d]);
            }
            m
        };
        let sv = gather(svs);
        let sv_sq = sq_norms(sv.view());
        let mut out = Vec::with_capacity(targets.len());
        for chunk in targets.chunks(512) {
            let a = gather(chunk);
            let a_sq = sq_norms(a.view());
            let k = block(self.kf, a.view(), &a_sq, sv.view(), &sv_sq);
            out.extend(k.rows().into_iter().map(|r| {
                r.iter()
                    .zip(coef)
                    .map(|(v, c)| v.to_f64_exact() * c)
                    .sum::<f64>()
            }));
        }
        out
    }
}

/// The support vectors a fitted kernel model keeps: dense rows, or CSR rows
/// when it was fitted on sparse records (scikit-learn keeps `support_vectors_`
/// sparse then too); `0 × n_train` dense for a precomputed kernel.
#[derive(Debug, Clone)]
pub(crate) enum SupportVectors<F> {
    /// Dense rows.
    Dense(Array2<F>),
    /// CSR rows.
    Sparse(CsMat<F>),
}

impl<F: Float> SupportVectors<F> {
    /// The rows `support` of the training records (none for a precomputed kernel).
    pub(crate) fn select(x: Checked<'_, F>, support: &[usize], precomputed: bool) -> Self {
        match x {
            _ if precomputed => SupportVectors::Dense(Array2::zeros((0, x.ncols()))),
            Checked::Dense(v) => SupportVectors::Dense(v.select(Axis(0), support)),
            Checked::Sparse(c) => {
                let mut indptr = Vec::with_capacity(support.len() + 1);
                let (mut indices, mut data) = (Vec::new(), Vec::new());
                indptr.push(0);
                for &t in support {
                    let (idx, val) = c.row(t);
                    indices.extend_from_slice(idx);
                    data.extend_from_slice(val);
                    indptr.push(indices.len());
                }
                SupportVectors::Sparse(CsMat::new(
                    (support.len(), c.ncols()),
                    indptr,
                    indices,
                    data,
                ))
            }
        }
    }

    /// The support vectors as records.
    pub(crate) fn records(&self) -> Records<'_, F> {
        match self {
            SupportVectors::Dense(a) => Records::Dense(a.view()),
            SupportVectors::Sparse(m) => Records::Sparse(m.view()),
        }
    }

    /// Writes the tensors: `support_vectors` (dense), or the CSR arrays
    /// `support_vectors_indptr`, `support_vectors_indices` (i64) and
    /// `support_vectors_data`.
    pub(crate) fn push_to(&self, f: &mut crate::persist::ModelFile) {
        let i64s = |v: &[usize]| ndarray::Array1::from_iter(v.iter().map(|&u| u as i64)).into_dyn();
        match self {
            SupportVectors::Dense(a) => f.push_float("support_vectors", a.clone().into_dyn()),
            SupportVectors::Sparse(m) => {
                let (indptr, indices, data) = m.view().into_raw_storage();
                f.push_i64("support_vectors_indptr", i64s(indptr));
                f.push_i64("support_vectors_indices", i64s(indices));
                f.push_float(
                    "support_vectors_data",
                    ndarray::Array1::from(data.to_vec()).into_dyn(),
                );
            }
        }
    }

    /// Reads what [`push_to`](Self::push_to) wrote, `rows × n_features`:
    /// a CSR structure that is not valid (row starts not increasing from 0
    /// to the entry count, column indices not increasing within a row or
    /// beyond `n_features`) or non-finite values are format errors.
    pub(crate) fn take_from(
        file: &mut crate::persist::ModelFile,
        rows: usize,
        n_features: usize,
    ) -> Result<Self> {
        if file.tensor("support_vectors_indptr").is_none() {
            let a = file.take_array2("support_vectors", [Some(rows), Some(n_features)])?;
            return Ok(SupportVectors::Dense(a));
        }
        let mut index = |name: &str| -> Result<Vec<usize>> {
            let a = file.take_i64(name)?;
            super::persist::to_usize(file, a, name)
        };
        let indptr = index("support_vectors_indptr")?;
        let indices = index("support_vectors_indices")?;
        let data = file.take_array1::<F>("support_vectors_data", Some(indices.len()))?;
        if indptr.len() != rows + 1 {
            return Err(file.format_error(format!(
                "support_vectors_indptr has {} entries for {rows} support vectors",
                indptr.len()
            )));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(file.format_error(format!("support_vectors_data[{k}] is not finite")));
        }
        CsMat::try_new((rows, n_features), indptr, indices, data.to_vec())
            .map(SupportVectors::Sparse)
            .map_err(|(_, _, _, e)| {
                file.format_error(format!("the sparse support vectors are not valid CSR: {e}"))
            })
    }
}

/// What prediction needs from the support vectors besides the vectors
/// themselves, computed once per fitted model (see [`SvPrepCache`]): for RBF
/// on dense support vectors, the SV mean (`f64`), the centred SVs
/// feature-major (`f32`) and their squared norms; for sparse support vectors,
/// their squared norms; empty otherwise.
///
/// Building it reads and transposes every support vector, which costs far
/// more than one record's kernel row; a single-row prediction that rebuilt it
/// spent most of its time here.
#[derive(Clone, Debug, Default)]
pub(crate) struct SvPrep {
    mean: Vec<f64>,
    fm: Vec<f32>,
    sqf: Vec<f32>,
    /// Sparse support vectors: their squared norms.
    sv_sq: Vec<f64>,
}

impl SvPrep {
    /// The preparation of `sv` for kernel `kf`.
    pub(crate) fn new<F: Float>(kf: KernelFn, sv: &SupportVectors<F>) -> Self {
        let sv = match sv {
            SupportVectors::Dense(a) => a.view(),
            SupportVectors::Sparse(m) => {
                let sv_sq = m
                    .outer_iterator()
                    .map(|r| r.data().iter().map(|v| v.to_f64_exact().powi(2)).sum())
                    .collect();
                return SvPrep {
                    sv_sq,
                    ..SvPrep::default()
                };
            }
        };
        let (mut mean, mut fm, mut sqf) = (Vec::new(), Vec::new(), Vec::new());
        if let KernelFn::Rbf { .. } = kf {
            let (l, d) = sv.dim();
            mean = vec![0.0f64; d];
            for r in sv.rows() {
                for (m, v) in mean.iter_mut().zip(r) {
                    *m += v.to_f64_exact();
                }
            }
            mean.iter_mut().for_each(|m| *m /= l.max(1) as f64);
            fm = vec![0f32; l * d];
            sqf = vec![0f32; l];
            for (p, r) in sv.rows().into_iter().enumerate() {
                let mut sq = 0f32;
                for (k, (v, m)) in r.iter().zip(&mean).enumerate() {
                    let c = (v.to_f64_exact() - m) as f32;
                    fm[k * l + p] = c;
                    sq += c * c;
                }
                sqf[p] = sq;
            }
        }
        SvPrep {
            mean,
            fm,
            sqf,
            sv_sq: Vec::new(),
        }
    }
}

/// A fitted model's [`SvPrep`], built on its first prediction and kept
/// (fitted models are immutable, so it never goes stale). Clones share
/// nothing; `Debug` shows only whether it is built.
#[derive(Clone, Default)]
pub(crate) struct SvPrepCache(std::sync::OnceLock<SvPrep>);

impl SvPrepCache {
    /// The preparation of `sv` for `kf`, built on the first call.
    pub(crate) fn get<F: Float>(&self, kf: KernelFn, sv: &SupportVectors<F>) -> &SvPrep {
        self.0.get_or_init(|| SvPrep::new(kf, sv))
    }
}

impl std::fmt::Debug for SvPrepCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "SvPrepCache(built)"
        } else {
            "SvPrepCache(empty)"
        })
    }
}

/// Kernel rows between new records and the support vectors, for prediction.
///
/// Rows are evaluated one record at a time (no intermediate `m × n_SV`
/// block) and handed to a callback as `f64`. With dense support vectors, RBF
/// runs in `f32` on centred data through the same vectorised routine as the
/// solver's rows and the other kernels use dot products in the input
/// precision (a sparse record is expanded into a dense row first). With
/// sparse support vectors the record is scattered into a dense `f64` row and
/// each support vector costs its stored entries. Records are split over rayon
/// threads in contiguous blocks (serial kernels inside) once the work is
/// large enough to pay for waking the workers.
pub(crate) struct SvKernel<'a, F: Float> {
    kf: KernelFn,
    sv: &'a SupportVectors<F>,
    /// `Precomputed` only: the columns of the new kernel to read.
    support: &'a [usize],
    /// See [`SvPrep`].
    prep: &'a SvPrep,
}

/// Below this many multiply-adds (records × SVs × features) prediction runs
/// on the calling thread.
const PREDICT_PAR_WORK: usize = 1 << 20;

/// Per-thread buffers of [`SvKernel::map_rows`].
struct RowBufs<F> {
    /// RBF kernel row in `f32`.
    kf32: Vec<f32>,
    /// The kernel row handed to the callback.
    out: Vec<f64>,
    /// The centred record in `f32` (RBF).
    xc: Vec<f32>,
    /// A sparse record expanded to a dense row.
    dense: Vec<F>,
    /// The record as a dense `f64` row (sparse support vectors).
    scatter: Vec<f64>,
}

impl<'a, F: Float> SvKernel<'a, F> {
    /// `sv`: the support vectors (`n_SV × d`; empty for `Precomputed`, whose
    /// columns are given by `support`); `prep`: [`SvPrep::new`] of `kf` and
    /// `sv`.
    pub(crate) fn new(
        kf: KernelFn,
        sv: &'a SupportVectors<F>,
        support: &'a [usize],
        prep: &'a SvPrep,
    ) -> Self {
        SvKernel {
            kf,
            sv,
            support,
            prep,
        }
    }

    fn n_sv(&self) -> usize {
        match (self.kf, self.sv) {
            (KernelFn::Precomputed, _) => self.support.len(),
            (_, SupportVectors::Dense(a)) => a.nrows(),
            (_, SupportVectors::Sparse(m)) => m.rows(),
        }
    }

    /// `f(K(x_r, SV))` for every record `r` of `x`, in order.
    pub(crate) fn map_rows<R: Send>(
        &self,
        x: Checked<'_, F>,
        f: impl Fn(&[f64]) -> R + Sync,
    ) -> Vec<R> {
        let (m, d) = (x.nrows(), x.ncols());
        let l = self.n_sv();
        let sparse_sv = match self.sv {
            SupportVectors::Dense(a) => Err(a.view()),
            SupportVectors::Sparse(m) => Ok(Csr::new_unchecked(m.view())),
        };
        let init = || RowBufs {
            kf32: vec![0f32; l],
            out: vec![0f64; l],
            xc: vec![0f32; d],
            dense: if matches!((x, sparse_sv), (Checked::Sparse(_), Err(_))) {
                vec![F::zero(); d]
            } else {
                Vec::new()
            },
            scatter: if sparse_sv.is_ok() {
                vec![0f64; d]
            } else {
                Vec::new()
            },
        };
        let one = |buf: &mut RowBufs<F>, r: usize| {
            match (sparse_sv, x) {
                (Ok(sv), x) => self.sparse_sv_row(sv, x, r, buf),
                (Err(sv), Checked::Dense(x)) => self.row(sv, x.row(r), buf),
                (Err(sv), Checked::Sparse(c)) => {
                    let (idx, val) = c.row(r);
                    for (&j, &v) in idx.iter().zip(val) {
                        buf.dense[j] = v;
                    }
                    let dense = std::mem::take(&mut buf.dense);
                    self.row(sv, ndarray::ArrayView1::from(&dense[..]), buf);
                    buf.dense = dense;
                    for &j in idx {
                        buf.dense[j] = F::zero();
                    }
                }
            }
            f(&buf.out)
        };
        let per_sv = match sparse_sv {
            Ok(sv) => sv.nnz().div_ceil(sv.nrows().max(1)),
            Err(_) => d,
        };
        let threads = rayon::current_num_threads();
        if threads > 1 && m > 1 && m * l * per_sv.max(1) >= PREDICT_PAR_WORK {
            (0..m)
                .into_par_iter()
                .with_min_len(m.div_ceil(4 * threads))
                .map_init(init, one)
                .collect()
        } else {
            let mut buf = init();
            (0..m).map(|r| one(&mut buf, r)).collect()
        }
    }

    /// `buf.out = K(x_r, SV)` for sparse support vectors: the record
    /// scattered into `buf.scatter` (cleared again afterwards).
    fn sparse_sv_row(&self, sv: Csr<'_, F>, x: Checked<'_, F>, r: usize, buf: &mut RowBufs<F>) {
        let sq = &self.prep.sv_sq;
        let xs = &mut buf.scatter;
        let sq_x = match x {
            Checked::Dense(x) => {
                for (o, v) in xs.iter_mut().zip(x.row(r)) {
                    *o = v.to_f64_exact();
                }
                xs.iter().map(|v| v * v).sum()
            }
            Checked::Sparse(c) => {
                let (idx, val) = c.row(r);
                for (&j, v) in idx.iter().zip(val) {
                    xs[j] = v.to_f64_exact();
                }
                val.iter().map(|v| v.to_f64_exact().powi(2)).sum()
            }
        };
        for (t, o) in buf.out.iter_mut().enumerate() {
            let (idx, val) = sv.row(t);
            *o = self.kf.apply(sparse_dot(xs, idx, val), sq_x, sq[t]);
        }
        if let Checked::Sparse(c) = x {
            for &j in c.row(r).0 {
                xs[j] = 0.0;
            }
        }
    }

    /// `buf.out = K(x, SV)` for dense support vectors; the other buffers are scratch.
    fn row(&self, sv: ArrayView2<'_, F>, x: ndarray::ArrayView1<'_, F>, buf: &mut RowBufs<F>) {
        let (kf32, out, xc) = (&mut buf.kf32, &mut buf.out, &mut buf.xc);
        match self.kf {
            KernelFn::Precomputed => {
                for (o, &s) in out.iter_mut().zip(self.support) {
                    *o = x[s].to_f64_exact();
                }
            }
            KernelFn::Rbf { gamma } => {
                for ((c, v), m) in xc.iter_mut().zip(x).zip(&self.prep.mean) {
                    *c = (v.to_f64_exact() - m) as f32;
                }
                let job = RbfJob {
                    xs: xc,
                    sqs: xc.iter().map(|v| v * v).sum(),
                    g: gamma as f32,
                    fm: &self.prep.fm,
                    l: self.prep.sqf.len(),
                    sq: &self.prep.sqf,
                };
                job.run(0, kf32);
                for (o, &v) in out.iter_mut().zip(kf32.iter()) {
                    *o = v as f64;
                }
            }
            kf => {
                let owned;
                let xs = match x.as_slice() {
                    Some(s) => s,
                    None => {
                        owned = x.to_vec();
                        &owned
                    }
                };
                for (o, s) in out.iter_mut().zip(sv.rows()) {
                    let v = match s.as_slice() {
                        Some(s) => dot(xs, s),
                        None => s.dot(&x),
                    };
                    *o = kf.apply(v.to_f64_exact(), 0.0, 0.0);
                }
            }
        }
    }
}

/// Squared row norms (in `F`).
pub(crate) fn sq_norms<F: Float>(a: ArrayView2<'_, F>) -> Vec<F> {
    a.rows().into_iter().map(|r| r.dot(&r)).collect()
}

/// `K(A, B)` (`a.nrows() × b.nrows()`) in the input precision: one GEMM for the
/// dot products, then the kernel map, rows in parallel. Not for `Precomputed`.
pub(crate) fn block<F: Float>(
    kf: KernelFn,
    a: ArrayView2<'_, F>,
    a_sq: &[F],
    b: ArrayView2<'_, F>,
    b_sq: &[F],
) -> Array2<F> {
    let mut k = Array2::<F>::zeros((a.nrows(), b.nrows()));
    if a.nrows() == 0 || b.nrows() == 0 {
        return k;
    }
    linalg::gemm(F::one(), a, b.t(), F::zero(), &mut k.view_mut());
    if let KernelFn::Linear | KernelFn::Precomputed = kf {
        return k;
    }
    let rbf = matches!(kf, KernelFn::Rbf { .. });
    // Tasks of at least BLOCK_TASK entries: finer tasks spent more time
    // waking and waiting for rayon workers than mapping (2-core machine).
    let rows = BLOCK_TASK.div_ceil(b.nrows()).max(1);
    let map = |(c, mut chunk): (usize, ndarray::ArrayViewMut2<'_, F>)| {
        for (r, mut row) in chunk.rows_mut().into_iter().enumerate() {
            let sa = if rbf {
                a_sq[c * rows + r].to_f64_exact()
            } else {
                0.0
            };
            for (v, sb) in row.iter_mut().zip(b_sq) {
                let sb = if rbf { sb.to_f64_exact() } else { 0.0 };
                *v = F::from_f64_lossy(kf.apply(v.to_f64_exact(), sa, sb));
            }
        }
    };
    if k.len() < 2 * BLOCK_TASK {
        k.axis_chunks_iter_mut(Axis(0), rows)
            .enumerate()
            .for_each(map);
    } else {
        k.axis_chunks_iter_mut(Axis(0), rows)
            .into_par_iter()
            .enumerate()
            .for_each(map);
    }
    k
}

/// Minimum kernel entries mapped per rayon task in [`block`].
const BLOCK_TASK: usize = 1 << 18;

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// The prediction data is built on the first prediction and reused: the
    /// same decision values as a model that never predicted (a clone taken
    /// before, a reloaded file), whether rows come one by one or in a batch.
    #[test]
    fn prediction_prep_is_built_once_and_reused() {
        use crate::svm::{Kernel, Svc, Svr};
        let d = crate::datasets::iris();
        let x = d.records.view();
        let svc = Svc::new()
            .kernel(Kernel::Rbf {
                gamma: Gamma::Scale,
            })
            .fit(x, d.targets.view())
            .unwrap();
        let fresh = svc.clone();
        assert_eq!(format!("{:?}", svc.sv_prep), "SvPrepCache(empty)");
        let batch = svc.decision_function(x).unwrap();
        assert_eq!(format!("{:?}", svc.sv_prep), "SvPrepCache(built)");
        assert_eq!(format!("{:?}", fresh.sv_prep), "SvPrepCache(empty)");
        for r in 0..x.nrows() {
            let one = svc
                .decision_function(x.slice(ndarray::s![r..r + 1, ..]))
                .unwrap();
            assert_eq!(one.row(0), batch.row(r));
        }
        assert_eq!(fresh.decision_function(x).unwrap(), batch);
        assert_eq!(svc.decision_function(x).unwrap(), batch);

        let t = d.records.column(0).to_owned();
        let xr = d.records.slice(ndarray::s![.., 1..]);
        let svr = Svr::new().fit(xr, t.view()).unwrap();
        let fresh = svr.clone();
        let p = svr.predict(xr).unwrap();
        assert_eq!(
            svr.predict(xr.slice(ndarray::s![..1, ..])).unwrap()[0],
            p[0]
        );
        assert_eq!(fresh.predict(xr).unwrap(), p);
    }

    /// The AVX2 RBF row path gives the same bits as the generic one (same
    /// operations in the same order), on lengths around the 64-target block
    /// and a non-zero start.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn rbf_row_avx2_matches_generic_bitwise() {
        if !crate::cpu::hardware().avx2 {
            // Nothing to compare on this CPU: `run` takes the generic path.
            return;
        }
        let (d, l) = (7usize, 300usize);
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let fm: Vec<f32> = (0..d * l).map(|_| next()).collect();
        let sq: Vec<f32> = (0..l)
            .map(|p| (0..d).map(|k| fm[k * l + p] * fm[k * l + p]).sum())
            .collect();
        let xs: Vec<f32> = (0..d).map(|_| next()).collect();
        let job = RbfJob {
            xs: &xs,
            sqs: xs.iter().map(|v| v * v).sum(),
            g: 0.7,
            fm: &fm,
            l,
            sq: &sq,
        };
        for &(start, n) in &[
            (0, 0),
            (0, 1),
            (0, 63),
            (0, 64),
            (0, 65),
            (5, 129),
            (171, 129),
            (236, 64),
        ] {
            let mut a = vec![0f32; n];
            let mut b = vec![0f32; n];
            // SAFETY: AVX2 was detected above.
            unsafe { job.run_avx2(start, &mut a) };
            job.run_generic(start, &mut b);
            let (ab, bb): (Vec<u32>, Vec<u32>) = (
                a.iter().map(|v| v.to_bits()).collect(),
                b.iter().map(|v| v.to_bits()).collect(),
            );
            assert_eq!(ab, bb, "start {start}, n {n}");
        }
    }

    /// Dense rows, sparse rows (CSR with a zero row and a zero column) and
    /// the GEMM block agree with the kernel definitions.
    #[test]
    fn rows_match_block_and_definitions() {
        let x = array![
            [0.0, 1.0, 2.0, 0.0],
            [1.0, -1.0, 0.5, 0.0],
            [3.0, 0.0, -2.0, 0.0],
            [0.0, 0.0, 0.0, 0.0]
        ];
        let n = x.nrows();
        let csr = CsMat::csr_from_dense(x.view(), 0.0);
        let sparse = Csr::new(csr.view(), "x").unwrap();
        for kf in [
            KernelFn::Linear,
            KernelFn::Rbf { gamma: 0.3 },
            KernelFn::Poly {
                degree: 3,
                gamma: 0.5,
                coef0: 1.0,
            },
            KernelFn::Sigmoid {
                gamma: 0.1,
                coef0: -0.5,
            },
        ] {
            let ev = RowEval::for_records(Checked::Dense(x.view()), kf);
            let es = RowEval::for_records(Checked::Sparse(sparse), kf);
            let sq = sq_norms(x.view());
            let b = block(kf, x.view(), &sq, x.view(), &sq);
            let all: Vec<usize> = (0..n).collect();
            let coef = [0.5, -1.0, 2.0, 0.25];
            let sums = es.kernel_sums(&all, &all, &coef);
            for (i, &sum) in sums.iter().enumerate() {
                let expect: f64 = (0..n).map(|j| coef[j] * b[[i, j]]).sum();
                assert!((sum - expect).abs() < 1e-12 * (1.0 + expect.abs()));
            }
            for i in 0..n {
                let mut row = [0f32; 4];
                let mut srow = [0f32; 4];
                ev.fill(i, &all, &mut row);
                es.fill(i, &all, &mut srow);
                for j in 0..n {
                    let d: f64 = x.row(i).dot(&x.row(j));
                    let diff = &x.row(i) - &x.row(j);
                    let expect = match kf {
                        KernelFn::Linear => d,
                        KernelFn::Rbf { gamma } => (-gamma * diff.dot(&diff)).exp(),
                        KernelFn::Poly { .. } => (0.5 * d + 1.0).powi(3),
                        KernelFn::Sigmoid { .. } => (0.1 * d - 0.5).tanh(),
                        KernelFn::Precomputed => unreachable!(),
                    };
                    assert!((b[[i, j]] - expect).abs() < 1e-12 * (1.0 + expect.abs()));
                    assert!((row[j] as f64 - expect).abs() < 1e-6 * (1.0 + expect.abs()));
                    assert!((srow[j] as f64 - expect).abs() < 1e-6 * (1.0 + expect.abs()));
                }
            }
        }
    }

    #[test]
    fn gamma_resolution() {
        let x = array![[0.0, 2.0], [2.0, 0.0]];
        // var of all entries = 1 → scale = 1/(2·1)
        let k = Kernel::Rbf {
            gamma: Gamma::Scale,
        };
        assert_eq!(k.resolve(x.view()).unwrap().gamma(), 0.5);
        // The same on the CSR form (its implicit zeros count).
        let csr = CsMat::csr_from_dense(x.view(), 0.0);
        let sparse = Checked::Sparse(Csr::new(csr.view(), "x").unwrap());
        assert_eq!(k.resolve_on(sparse).unwrap().gamma(), 0.5);
        let k = Kernel::Rbf { gamma: Gamma::Auto };
        assert_eq!(k.resolve(x.view()).unwrap().gamma(), 0.5);
        let k = Kernel::Rbf {
            gamma: Gamma::Value(-1.0),
        };
        assert!(matches!(
            k.resolve(x.view()),
            Err(Error::InvalidParameter { name: "gamma", .. })
        ));
    }
}
