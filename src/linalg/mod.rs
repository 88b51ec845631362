//! Linear algebra: the only module that knows which backend runs.
//!
//! Default backend: pure Rust (faer for decompositions and products, rayon for
//! parallel loops), no system library. With the `blas` feature family (e.g.
//! `openblas-system`), products go through BLAS and decompositions through
//! LAPACK (ndarray-linalg). Every function has the same contract on both
//! backends and is tested on both.
//!
//! All functions are generic over [`Float`] (`f32`, `f64`) and accept views of
//! any memory layout (C order, Fortran order, transposed, strided). Results are
//! owned arrays; their memory order is unspecified (index them, or call
//! `as_standard_layout` when a slice is needed).
//!
//! | what | function |
//! |---|---|
//! | products | [`gemm`], [`matmul`], [`gemv`], [`matvec`] |
//! | weighted gram `XᵀWX` | [`gram`] |
//! | SPD solves | [`cholesky_solve`], [`Cholesky`] (factor once, solve many) |
//! | least squares (minimum norm, rank) | [`lstsq`] → [`Lstsq`] |
//! | decompositions | [`svd_thin`], [`eigh`] |
//! | which backend runs | [`backend`] |
//!
//! # Public API
//! The functions and types in this table are the public, stable surface of
//! the module: each validates its inputs (shapes, finite values) and returns
//! typed errors, and each is tested on both backends. Everything else here
//! (the per-type backend kernels, the single-threaded blocked products the
//! solvers use inside parallel loops, the AVX-512 `XᵀX` kernel, the faer and
//! LAPACK backends) is crate-internal and may change without notice.
//! [`Float`] is defined at the crate root ([`crate::Float`]) and re-exported
//! here for convenience.
//!
//! # Example
//! ```
//! use oxilearn::linalg;
//! use oxilearn::ndarray::array;
//!
//! // Ordinary least squares two ways: normal equations and SVD.
//! let x = array![[1.0f64, 0.0], [1.0, 1.0], [1.0, 2.0]];
//! let y = array![[1.0f64], [3.0], [5.0]];
//! let xty = linalg::matmul(x.t(), y.view());
//! let beta = linalg::cholesky_solve(linalg::gram(x.view(), None).view(), xty.view())?;
//! let ls = linalg::lstsq(x.view(), y.view(), None)?;
//! assert_eq!(ls.rank, 2);
//! for (b1, b2) in beta.iter().zip(ls.solution.iter()) {
//!     assert!((b1 - b2).abs() < 1e-12);
//! }
//! assert!((beta[[1, 0]] - 2.0).abs() < 1e-12);
//! # Ok::<(), oxilearn::Error>(())
//! ```

#[doc(no_inline)]
pub use crate::float::Float;

// Link the BLAS/LAPACK provider selected by the features (e.g. OpenBLAS from
// the system), even where no symbol of these crates is named in Rust code.
#[cfg(feature = "blas")]
extern crate blas_src as _;
#[cfg(feature = "openblas-system")]
extern crate openblas_src as _;

mod kernels;
#[cfg(feature = "blas")]
mod lapack;
mod local;
#[cfg(not(feature = "blas"))]
mod pure;
#[cfg(target_arch = "x86_64")]
mod syrk_avx512;
#[cfg(test)]
mod tests;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, s};

use crate::error::{Error, Result};

/// Name of the active backend: `"pure-rust"` or `"blas"`.
///
/// # Example
/// ```
/// let b = oxilearn::linalg::backend();
/// assert!(b == "pure-rust" || b == "blas");
/// ```
pub fn backend() -> &'static str {
    if cfg!(feature = "blas") {
        "blas"
    } else {
        "pure-rust"
    }
}

/// `C ← α·A·B + β·C` (GEMM). Parallel when large.
///
/// As in BLAS, `C` is not read when `β = 0` (it may hold NaN), and `A`, `B`
/// are not read when `α = 0`.
///
/// # Panics
/// If the shapes are incompatible (programmer error: callers validate shapes).
///
/// # Example
/// ```
/// use oxilearn::linalg::{gemm, matmul};
/// use oxilearn::ndarray::{array, Array2};
///
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// let b = array![[5.0f32, 6.0], [7.0, 8.0]];
/// let mut c = Array2::<f32>::ones((2, 2));
/// gemm(2.0, a.view(), b.t(), 1.0, &mut c.view_mut()); // C = 2·A·Bᵀ + C
/// assert_eq!(c, array![[35.0, 47.0], [79.0, 107.0]]);
/// assert_eq!(matmul(a.view(), b.view()), array![[19.0, 22.0], [43.0, 50.0]]);
/// ```
pub fn gemm<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    c: &mut ArrayViewMut2<'_, F>,
) {
    assert!(
        a.ncols() == b.nrows() && c.dim() == (a.nrows(), b.ncols()),
        "gemm: incompatible shapes A {:?}, B {:?}, C {:?}",
        a.shape(),
        b.shape(),
        c.shape()
    );
    F::kernel_gemm(alpha, a, b, beta, c);
    clear_upper_state();
}

/// Zeroes the upper halves of the vector registers after a GEMM kernel.
///
/// faer's micro-kernels (hand-written assembly) can return with the upper
/// parts of the ymm/zmm registers in use. Until a `vzeroupper`, every legacy
/// (non-VEX) SSE instruction that follows — the baseline-compiled code of
/// this crate and of libm (`exp`) — then pays a state-transition penalty on
/// many x86 CPUs; measured at 100+ ns per `exp` call in the CNN training
/// step.
#[inline]
pub(crate) fn clear_upper_state() {
    // The CPU's own features, not the `OXILEARN_CPU`-restricted ones: faer's
    // kernels dispatch by themselves.
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::hardware().avx {
        // SAFETY: the CPU supports AVX (checked just above).
        unsafe { std::arch::x86_64::_mm256_zeroupper() };
    }
}

/// `A·B` as a new array.
///
/// # Panics
/// If `a.ncols() != b.nrows()`.
///
/// # Example
/// See [`gemm`].
pub fn matmul<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> Array2<F> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    gemm(F::one(), a, b, F::zero(), &mut c.view_mut());
    c
}

/// `y ← α·A·x + β·y` (GEMV). Parallel over row blocks when large
/// (deterministic: every output element is one sequential dot product).
///
/// # Panics
/// If the shapes are incompatible.
///
/// # Example
/// ```
/// use oxilearn::linalg::{gemv, matvec};
/// use oxilearn::ndarray::array;
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let x = array![1.0, -1.0];
/// let mut y = array![10.0, 20.0];
/// gemv(1.0, a.view(), x.view(), 0.5, &mut y.view_mut()); // y = A·x + y/2
/// assert_eq!(y, array![4.0, 9.0]);
/// assert_eq!(matvec(a.t(), x.view()), array![-2.0, -2.0]); // Aᵀ·x
/// ```
pub fn gemv<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    x: ArrayView1<'_, F>,
    beta: F,
    y: &mut ArrayViewMut1<'_, F>,
) {
    assert!(
        a.ncols() == x.len() && a.nrows() == y.len(),
        "gemv: incompatible shapes A {:?}, x {:?}, y {:?}",
        a.shape(),
        x.shape(),
        y.shape()
    );
    F::kernel_gemv(alpha, a, x, beta, y);
}

/// `A·x` as a new array.
///
/// # Panics
/// If `a.ncols() != x.len()`.
///
/// # Example
/// See [`gemv`].
pub fn matvec<F: Float>(a: ArrayView2<'_, F>, x: ArrayView1<'_, F>) -> Array1<F> {
    let mut y = Array1::zeros(a.nrows());
    gemv(F::one(), a, x, F::zero(), &mut y.view_mut());
    y
}

/// Weighted gram `XᵀWX` (`W = diag(w)`, or the identity when `w` is `None`);
/// the result is exactly symmetric.
///
/// Only one triangle is computed (half the flops of a general product) and
/// mirrored. Weights may have any sign. With `n` rows and `d` columns this costs
/// `n·d²` multiply-adds; `n = 0` gives the `d×d` zero matrix.
///
/// The same code runs on both backends (a fixed tree of row leaves under
/// rayon; per leaf a hand-written AVX-512 kernel where the CPU has it, faer's
/// triangular product otherwise): it beats BLAS `syrk` on the tall, narrow
/// matrices this is used for, and the result does not depend on the thread
/// count.
///
/// # Panics
/// If `w` is given with a length other than `x.nrows()`.
///
/// # Example
/// ```
/// use oxilearn::linalg::gram;
/// use oxilearn::ndarray::array;
///
/// let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// assert_eq!(gram(x.view(), None), array![[35.0, 44.0], [44.0, 56.0]]);
/// let w = array![1.0, 0.0, 2.0];
/// let g = gram(x.view(), Some(w.view()));
/// // Rounding depends on the kernel (the AVX-512 one scales rows by √w): equal
/// // to ε·‖G‖, exactly symmetric.
/// let expected = array![[51.0, 62.0], [62.0, 76.0]];
/// assert!((&g - &expected).iter().all(|e: &f64| e.abs() <= 4.0 * f64::EPSILON * 76.0));
/// assert_eq!(g, g.t());
/// ```
pub fn gram<F: Float>(x: ArrayView2<'_, F>, w: Option<ArrayView1<'_, F>>) -> Array2<F> {
    if let Some(w) = &w {
        assert!(
            w.len() == x.nrows(),
            "gram: {} weights for {} rows",
            w.len(),
            x.nrows()
        );
    }
    F::kernel_gram(x, w)
}

/// Rows per leaf of the parallel reductions over the rows of an `n × d`
/// matrix (the pure-Rust [`gram`], the linear models' normal equations):
/// about 2¹⁷ elements (1 MiB of `f64`, cache-resident), but at least `2·d`
/// rows so that a leaf's `O(d²)` bookkeeping (its partial gram, the merge)
/// stays small beside its `O(rows·d²)` arithmetic, and at least 64. It
/// depends only on `d`, never on the thread count, so the reduction tree —
/// and the result, bit for bit — is the same on any pool size.
pub(crate) fn leaf_rows(d: usize) -> usize {
    ((1usize << 17) / d.max(1)).max(2 * d).max(64)
}

/// Reduces the rows `0..n` by a fixed binary split into leaves of at most
/// `leaf` rows: `leaf_fn` maps a leaf's row range to a partial result, the two
/// halves of every split run under `rayon::join`, and `merge(first, second)`
/// combines them. Split points depend on `n` and `leaf` only, never on the
/// thread count, so the reduction tree — and the result, bit for bit — is the
/// same on any pool size. (The pure-Rust [`gram`] and the linear models'
/// normal equations are built on it.)
pub(crate) fn reduce_row_leaves<T: Send>(
    rows: std::ops::Range<usize>,
    leaf: usize,
    leaf_fn: &(impl Fn(std::ops::Range<usize>) -> T + Sync),
    merge: &(impl Fn(T, T) -> T + Sync),
) -> T {
    let n = rows.len();
    if n <= leaf {
        return leaf_fn(rows);
    }
    // A whole number of leaves in the first half: n > leaf ⇒ 0 < mid < n.
    let mid = rows.start + n.div_ceil(leaf) / 2 * leaf;
    let (a, b) = rayon::join(
        || reduce_row_leaves(rows.start..mid, leaf, leaf_fn, merge),
        || reduce_row_leaves(mid..rows.end, leaf, leaf_fn, merge),
    );
    merge(a, b)
}

/// [`gram`] computed on the calling thread, the same on both backends: for
/// the leaves of parallel reductions (see the `local` module for why a BLAS
/// call must not run there).
pub(crate) fn gram_local<F: Float>(
    x: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Array2<F> {
    if let Some(w) = &w {
        assert_eq!(w.len(), x.nrows(), "gram_local: weights and rows differ");
    }
    F::kernel_gram_local(x, w)
}

/// [`gemm`] computed on the calling thread, the same on both backends (for
/// the leaves of parallel reductions).
pub(crate) fn gemm_local<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    c: &mut ArrayViewMut2<'_, F>,
) {
    assert!(
        a.ncols() == b.nrows() && c.dim() == (a.nrows(), b.ncols()),
        "gemm_local: incompatible shapes"
    );
    F::kernel_gemm_local(alpha, a, b, beta, c);
    clear_upper_state();
}

/// Solves `A·X = B` for symmetric positive-definite `A` by Cholesky.
///
/// Only the lower triangle of `A` is read. To solve several systems with the
/// same `A`, factor once with [`Cholesky::new`].
///
/// # Errors
/// [`crate::Error::NumericalFailure`] (operation `"cholesky"`) when `A` is not
/// numerically positive definite; [`crate::Error::ShapeMismatch`] when `A` is
/// not square or `B` has another row count; [`crate::Error::NonFinite`] when
/// `A` or `B` holds NaN or ±inf.
///
/// # Example
/// ```
/// use oxilearn::linalg::cholesky_solve;
/// use oxilearn::ndarray::array;
/// use oxilearn::Error;
///
/// let a = array![[4.0f64, 2.0], [2.0, 3.0]];
/// let x = cholesky_solve(a.view(), array![[2.0], [1.0]].view())?;
/// assert!((x[[0, 0]] - 0.5).abs() < 1e-15 && x[[1, 0]].abs() < 1e-15);
///
/// let indefinite = array![[1.0f64, 2.0], [2.0, 1.0]];
/// let err = cholesky_solve(indefinite.view(), array![[1.0], [1.0]].view()).unwrap_err();
/// assert!(matches!(err, Error::NumericalFailure { operation: "cholesky", .. }));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn cholesky_solve<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> Result<Array2<F>> {
    check_square(a, "a")?;
    check_rows(b.shape(), a.nrows(), "b")?;
    Cholesky::new(a)?.solve(b)
}

/// A Cholesky factorization `A = L·Lᵀ` of a symmetric positive-definite
/// matrix, reusable for several solves.
///
/// # Example
/// ```
/// use oxilearn::linalg::Cholesky;
/// use oxilearn::ndarray::array;
///
/// let a = array![[4.0f32, 2.0], [2.0, 3.0]];
/// let chol = Cholesky::new(a.view())?;
/// assert_eq!(chol.dim(), 2);
/// assert_eq!(chol.l()[[0, 0]], 2.0);
/// let x = chol.solve_vec(array![2.0f32, 1.0].view())?;
/// assert!((x[0] - 0.5).abs() < 1e-6 && x[1].abs() < 1e-6);
/// assert!((chol.log_det() - 8.0f32.ln()).abs() < 1e-6);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Cholesky<F> {
    l: Array2<F>,
}

impl<F: Float> Cholesky<F> {
    /// Factors `A` (only its lower triangle is read).
    ///
    /// # Errors
    /// [`crate::Error::NumericalFailure`] with operation `"cholesky"` and
    /// reason `"not positive definite (pivot i)"` (`i` 0-based) when `A` is not
    /// numerically positive definite; [`crate::Error::ShapeMismatch`] when `A`
    /// is not square; [`crate::Error::NonFinite`] when `A` holds NaN or ±inf.
    pub fn new(a: ArrayView2<'_, F>) -> Result<Self> {
        check_square(a, "a")?;
        check_finite(a, "a")?;
        let l = if a.nrows() == 0 {
            Array2::zeros((0, 0))
        } else {
            F::kernel_cholesky(a)?
        };
        Ok(Cholesky { l })
    }

    /// The lower-triangular factor `L` (zeros above the diagonal).
    pub fn l(&self) -> ArrayView2<'_, F> {
        self.l.view()
    }

    /// The order `n` of the factored `n×n` matrix.
    pub fn dim(&self) -> usize {
        self.l.nrows()
    }

    /// `ln det A = 2·Σ ln Lᵢᵢ` (0 for the empty matrix).
    pub fn log_det(&self) -> F {
        let two = F::one() + F::one();
        self.l.diag().iter().map(|v| v.ln()).sum::<F>() * two
    }

    /// Solves `A·X = B`.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] when `B` has another row count than `A`;
    /// [`crate::Error::NonFinite`] when `B` holds NaN or ±inf.
    pub fn solve(&self, b: ArrayView2<'_, F>) -> Result<Array2<F>> {
        check_rows(b.shape(), self.dim(), "b")?;
        check_finite(b, "b")?;
        let mut x = Array2::zeros(b.raw_dim());
        x.assign(&b);
        if self.dim() > 0 && b.ncols() > 0 {
            F::kernel_cholesky_solve(self.l.view(), &mut x.view_mut());
        }
        Ok(x)
    }

    /// Solves `A·x = b` for one right-hand side.
    ///
    /// # Errors
    /// As [`Cholesky::solve`].
    pub fn solve_vec(&self, b: ArrayView1<'_, F>) -> Result<Array1<F>> {
        check_rows(b.shape(), self.dim(), "b")?;
        let x = self.solve(b.insert_axis(Axis(1)))?;
        Ok(x.index_axis_move(Axis(1), 0))
    }
}

/// Minimum-norm least-squares solution of `A·X ≈ B` (SVD based, as numpy's
/// `lstsq` / LAPACK `gelsd`).
///
/// # Example
/// See [`lstsq`].
#[derive(Debug, Clone)]
pub struct Lstsq<F> {
    /// The minimum-norm solution, `A.ncols() × B.ncols()`.
    pub solution: Array2<F>,
    /// Numerical rank of `A`: singular values above `rcond · σ_max`.
    pub rank: usize,
    /// Singular values of `A`, descending (`min(m, n)` of them).
    pub singular_values: Array1<F>,
}

/// Minimum-norm least squares; `rcond = None` means `ε · max(m, n)` (numpy's default).
///
/// Singular values `σᵢ ≤ rcond · σ_max` are treated as zero; the returned
/// solution is `X = V_r·Σ_r⁻¹·U_rᵀ·B` over the `r = rank` kept values, i.e. the
/// least-squares solution of smallest Frobenius norm (it has no component in
/// the null space of `A`). A negative `rcond` means machine precision `ε`
/// (LAPACK's convention). Degenerate shapes are fine: `A` with 0 rows or 0
/// columns (or all zeros) gives rank 0 and a zero solution.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] when `B` has another row count than `A`;
/// [`crate::Error::NonFinite`] when `A` or `B` holds NaN or ±inf;
/// [`crate::Error::InvalidParameter`] when `rcond` is NaN;
/// [`crate::Error::NumericalFailure`] if the SVD does not converge.
///
/// # Example
/// ```
/// use oxilearn::linalg::lstsq;
/// use oxilearn::ndarray::array;
///
/// // Rank-deficient: the second column repeats the first. The minimum-norm
/// // solution splits the weight equally.
/// let a = array![[1.0f64, 1.0], [2.0, 2.0]];
/// let b = array![[2.0f64], [4.0]];
/// let ls = lstsq(a.view(), b.view(), None)?;
/// assert_eq!(ls.rank, 1);
/// assert!((ls.solution[[0, 0]] - 1.0).abs() < 1e-12);
/// assert!((ls.solution[[1, 0]] - 1.0).abs() < 1e-12);
/// assert!((ls.singular_values[0] - 10f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn lstsq<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    rcond: Option<F>,
) -> Result<Lstsq<F>> {
    let (m, n) = a.dim();
    check_rows(b.shape(), m, "b")?;
    let rcond = match rcond {
        None => F::epsilon() * F::from_f64_lossy(m.max(n) as f64),
        Some(r) if r.is_nan() => {
            return Err(Error::invalid("rcond", "must not be NaN"));
        }
        Some(r) if r < F::zero() => F::epsilon(),
        Some(r) => r,
    };
    check_finite(a, "a")?;
    check_finite(b, "b")?;
    let nrhs = b.ncols();
    let mut solution = Array2::zeros((n, nrhs));
    if m == 0 || n == 0 {
        return Ok(Lstsq {
            solution,
            rank: 0,
            singular_values: Array1::zeros(0),
        });
    }
    let (u, sv, vt) = F::kernel_svd_thin(a)?;
    let threshold = rcond * sv[0];
    let rank = sv.iter().take_while(|&&v| v > threshold).count();
    if rank > 0 && nrhs > 0 {
        // X = V_r · Σ_r⁻¹ · (U_rᵀ·B)
        let mut c = matmul(u.slice(s![.., ..rank]).t(), b);
        for (mut row, &sigma) in c.rows_mut().into_iter().zip(sv.iter()) {
            row.mapv_inplace(|v| v / sigma);
        }
        gemm(
            F::one(),
            vt.slice(s![..rank, ..]).t(),
            c.view(),
            F::zero(),
            &mut solution.view_mut(),
        );
    }
    Ok(Lstsq {
        solution,
        rank,
        singular_values: sv,
    })
}

/// Thin SVD `A = U·diag(s)·Vᵀ` with `k = min(m, n)`: returns `(U m×k, s k, Vᵀ k×n)`,
/// `s` descending.
///
/// `U` and `V` have orthonormal columns; for an empty `A` (no rows or no
/// columns) the factors are empty.
///
/// # Errors
/// [`crate::Error::NumericalFailure`] if the SVD does not converge;
/// [`crate::Error::NonFinite`] when `A` holds NaN or ±inf.
///
/// # Example
/// ```
/// use oxilearn::linalg::{matmul, svd_thin};
/// use oxilearn::ndarray::{array, Array2};
///
/// let a = array![[3.0f64, 0.0], [0.0, -4.0], [0.0, 0.0]];
/// let (u, s, vt) = svd_thin(a.view())?;
/// assert_eq!((u.dim(), s.len(), vt.dim()), ((3, 2), 2, (2, 2)));
/// assert!((s[0] - 4.0).abs() < 1e-12 && (s[1] - 3.0).abs() < 1e-12);
/// let us = &u * &s; // U·diag(s)
/// let back = matmul(us.view(), vt.view());
/// assert!(back.iter().zip(a.iter()).all(|(x, y)| (x - y).abs() < 1e-12));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn svd_thin<F: Float>(a: ArrayView2<'_, F>) -> Result<(Array2<F>, Array1<F>, Array2<F>)> {
    check_finite(a, "a")?;
    let (m, n) = a.dim();
    if m == 0 || n == 0 {
        return Ok((
            Array2::zeros((m, 0)),
            Array1::zeros(0),
            Array2::zeros((0, n)),
        ));
    }
    F::kernel_svd_thin(a)
}

/// Eigendecomposition of a symmetric matrix: `A = V·diag(λ)·Vᵀ`, returns
/// `(λ ascending, V)` with orthonormal eigenvectors as the columns of `V`.
///
/// Only the lower triangle of `A` is read.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] when `A` is not square;
/// [`crate::Error::NonFinite`] when `A` holds NaN or ±inf;
/// [`crate::Error::NumericalFailure`] if the iteration does not converge.
///
/// # Example
/// ```
/// use oxilearn::linalg::eigh;
/// use oxilearn::ndarray::array;
///
/// let a = array![[2.0f64, 1.0], [1.0, 2.0]];
/// let (vals, vecs) = eigh(a.view())?;
/// assert!((vals[0] - 1.0).abs() < 1e-12 && (vals[1] - 3.0).abs() < 1e-12);
/// let v = vecs.column(1);
/// assert!((v[0].abs() - 0.5f64.sqrt()).abs() < 1e-12 && (v[0] - v[1]).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn eigh<F: Float>(a: ArrayView2<'_, F>) -> Result<(Array1<F>, Array2<F>)> {
    check_square(a, "a")?;
    check_finite(a, "a")?;
    if a.nrows() == 0 {
        return Ok((Array1::zeros(0), Array2::zeros((0, 0))));
    }
    F::kernel_eigh(a)
}

// ---- helpers shared by the backends ----

/// Copies the lower triangle onto the upper one (exact symmetry).
fn mirror_lower<F: Float>(g: &mut Array2<F>) {
    let d = g.nrows();
    for j in 1..d {
        for i in 0..j {
            g[[i, j]] = g[[j, i]];
        }
    }
}

/// The error every backend reports for a non-positive pivot (`index` 0-based).
fn cholesky_error(index: usize) -> Error {
    Error::NumericalFailure {
        operation: "cholesky",
        reason: format!("not positive definite (pivot {index})"),
    }
}

/// The error for an iterative decomposition that did not converge.
fn no_convergence(operation: &'static str) -> Error {
    Error::NumericalFailure {
        operation,
        reason: "did not converge".to_string(),
    }
}

fn check_square<F>(a: ArrayView2<'_, F>, what: &'static str) -> Result<()> {
    let (m, n) = a.dim();
    if m != n {
        return Err(Error::ShapeMismatch {
            what,
            expected: vec![m, m],
            got: vec![m, n],
        });
    }
    Ok(())
}

/// `shape[0] == rows`, else ShapeMismatch (other dimensions free).
fn check_rows(shape: &[usize], rows: usize, what: &'static str) -> Result<()> {
    if shape[0] != rows {
        let mut expected = vec![usize::MAX; shape.len()];
        expected[0] = rows;
        return Err(Error::ShapeMismatch {
            what,
            expected,
            got: shape.to_vec(),
        });
    }
    Ok(())
}

/// Fast all-finite scan; on failure, locates the first offender.
fn check_finite<F: Float>(a: ArrayView2<'_, F>, what: &'static str) -> Result<()> {
    if a.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        crate::validation::check_finite2(a, what)
    }
}
