//! Sparse records: compressed sparse row (CSR) matrices from the [`sprs`] crate.
//!
//! Wide data (text features, hashed n-grams, one-hot encoded categories) is mostly zeros;
//! densifying it often does not fit in memory. The models that support sparse input —
//! [`LogisticRegression`](crate::logistic::LogisticRegression),
//! [`LinearSvc`](crate::svm::LinearSvc), [`LinearSvr`](crate::svm::LinearSvr) and the kernel
//! SVMs ([`Svc`](crate::svm::Svc), [`NuSvc`](crate::svm::NuSvc), [`Svr`](crate::svm::Svr),
//! [`NuSvr`](crate::svm::NuSvr), [`OneClassSvm`](crate::svm::OneClassSvm)) — take their
//! records as [`Records`]: a dense [`ArrayView2`] or a CSR [`CsMatView`], with `From`
//! conversions from both, so the same `fit`/`predict` call accepts either. Dense and sparse
//! input give the same model, to rounding, and a sparse fit costs the stored entries, not
//! `n × d` (a kernel row costs the stored entries of the rows it spans; a kernel model
//! fitted on sparse records keeps, saves and loads its support vectors in CSR). Sparse files in the svmlight / libsvm format load with
//! [`load_svmlight_file`](crate::data::load_svmlight_file).
//!
//! `sprs`'s matrix types are re-exported here ([`CsMat`], [`CsMatView`], [`TriMat`]), so a
//! user needs no direct dependency on `sprs` (and no version to keep in step).
//!
//! # Example
//! ```
//! use oxilearn::ndarray::array;
//! use oxilearn::sparse::{CsMat, Records};
//!
//! // 3 × 4 with 4 non-zeros: rows [1 0 0 2], [0 0 0 0], [0 3 0 4]
//! let x = CsMat::new((3, 4), vec![0, 2, 2, 4], vec![0, 3, 1, 3], vec![1.0, 2.0, 3.0, 4.0]);
//! let sparse = Records::from(&x);
//! assert_eq!((sparse.nrows(), sparse.ncols()), (3, 4));
//! assert!(sparse.is_sparse());
//!
//! let dense = array![[1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 4.0]];
//! assert_eq!(sparse.to_dense(), dense);
//! ```
//!
//! A linear SVM on CSR records, predicting dense or sparse rows alike:
//! ```
//! use oxilearn::ndarray::array;
//! use oxilearn::sparse::TriMat;
//! use oxilearn::svm::LinearSvc;
//!
//! // 4 samples, 1 000 features, 2 stored entries each
//! let mut t = TriMat::new((4, 1000));
//! for (i, (j, v)) in [(3, 1.0), (3, 2.0), (700, 1.0), (700, 2.0)].into_iter().enumerate() {
//!     t.add_triplet(i, j, v);
//!     t.add_triplet(i, 999, 0.5);
//! }
//! let x = t.to_csr::<usize>();
//! let y = array![0, 0, 1, 1];
//! let model = LinearSvc::new().fit(&x, y.view())?;
//! assert_eq!(model.predict(&x)?, y);
//! assert_eq!(model.coef().dim(), (1, 1000));
//! # Ok::<(), oxilearn::Error>(())
//! ```
//!
//! A kernel SVM on the same records; its support vectors stay sparse:
//! ```
//! use oxilearn::ndarray::array;
//! use oxilearn::sparse::TriMat;
//! use oxilearn::svm::{Kernel, Svc};
//!
//! let mut t = TriMat::new((4, 1000));
//! for (i, (j, v)) in [(3, 1.0), (3, 2.0), (700, 1.0), (700, 2.0)].into_iter().enumerate() {
//!     t.add_triplet(i, j, v);
//!     t.add_triplet(i, 999, 0.5);
//! }
//! let x = t.to_csr::<usize>();
//! let y = array![0, 0, 1, 1];
//! let model = Svc::new().kernel(Kernel::Linear).fit(&x, y.view())?;
//! assert_eq!(model.predict(&x)?, y);
//! assert!(model.support_vectors().is_sparse());
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![forbid(unsafe_code)]

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

pub use sprs::{CsMat, CsMatView, TriMat};

use crate::Float;
use crate::error::{Error, Result};
use crate::linalg;

/// The records (one sample per row) a model that supports sparse input takes: a dense
/// view, or a CSR matrix.
///
/// Build it with `From`/`Into` from an [`ArrayView2`], an `&Array2`, a [`CsMatView`] or a
/// `&CsMat`; methods taking `impl Into<Records<'a, F>>` accept any of them directly. A CSC
/// matrix (`sprs`'s other storage) is rejected at `fit`/`predict` with
/// [`Error::InvalidParameter`] naming `x`: convert it with `.to_csr()`.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::sparse::Records;
///
/// let x = array![[1.0, 0.0], [0.0, 2.0]];
/// let r = Records::from(&x);
/// assert!(!r.is_sparse());
/// assert_eq!(r.nrows(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Records<'a, F> {
    /// Dense records, any memory layout.
    Dense(ArrayView2<'a, F>),
    /// Sparse records in CSR storage (explicit zeros allowed; duplicates are not
    /// representable in a valid `sprs` matrix).
    Sparse(CsMatView<'a, F>),
}

impl<'a, F> From<ArrayView2<'a, F>> for Records<'a, F> {
    fn from(x: ArrayView2<'a, F>) -> Self {
        Records::Dense(x)
    }
}

impl<'a, F> From<&'a Array2<F>> for Records<'a, F> {
    fn from(x: &'a Array2<F>) -> Self {
        Records::Dense(x.view())
    }
}

impl<'a, F> From<&'a ArrayView2<'a, F>> for Records<'a, F> {
    fn from(x: &'a ArrayView2<'a, F>) -> Self {
        Records::Dense(x.view())
    }
}

impl<'a, F> From<CsMatView<'a, F>> for Records<'a, F> {
    fn from(x: CsMatView<'a, F>) -> Self {
        Records::Sparse(x)
    }
}

impl<'a, F> From<&'a CsMat<F>> for Records<'a, F> {
    fn from(x: &'a CsMat<F>) -> Self {
        Records::Sparse(x.view())
    }
}

impl<'a, F: Float> Records<'a, F> {
    /// Number of samples (rows).
    pub fn nrows(&self) -> usize {
        match self {
            Records::Dense(x) => x.nrows(),
            Records::Sparse(x) => x.rows(),
        }
    }

    /// Number of features (columns).
    pub fn ncols(&self) -> usize {
        match self {
            Records::Dense(x) => x.ncols(),
            Records::Sparse(x) => x.cols(),
        }
    }

    /// Whether these are sparse records.
    pub fn is_sparse(&self) -> bool {
        matches!(self, Records::Sparse(_))
    }

    /// A dense copy (for tests and small data; a sparse matrix of many features may not
    /// fit in memory dense).
    pub fn to_dense(&self) -> Array2<F> {
        match self {
            Records::Dense(x) => x.to_owned(),
            Records::Sparse(x) => {
                let mut out = Array2::zeros((x.rows(), x.cols()));
                let csr = Csr::new_unchecked(*x);
                for i in 0..csr.nrows() {
                    let (idx, val) = csr.row(i);
                    for (&j, &v) in idx.iter().zip(val) {
                        out[[i, j]] = v;
                    }
                }
                out
            }
        }
    }
}

/// Crate-internal CSR access with the row ranges resolved once: row `i` holds
/// `indices[indptr[i]..indptr[i + 1]]` (sorted, distinct column indices, as `sprs`
/// guarantees) and the matching `data`, shifted by `indptr[0]`: `indptr` is `sprs`'s raw
/// storage, which for a sliced view does not start at 0, while `indices`/`data` are already
/// that view's own slices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Csr<'a, F> {
    nrows: usize,
    ncols: usize,
    indptr: &'a [usize],
    indices: &'a [usize],
    data: &'a [F],
}

impl<'a, F: Float> Csr<'a, F> {
    /// Validates CSR storage and finite values.
    pub(crate) fn new(x: CsMatView<'a, F>, what: &'static str) -> Result<Self> {
        if !x.is_csr() {
            return Err(Error::InvalidParameter {
                name: what,
                reason: "a sparse matrix in CSC storage; pass CSR (convert with `.to_csr()`)"
                    .into(),
            });
        }
        let csr = Self::new_unchecked(x);
        for i in 0..csr.nrows {
            let (idx, val) = csr.row(i);
            if let Some(k) = val.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    what,
                    index: vec![i, idx[k]],
                });
            }
        }
        Ok(csr)
    }

    /// The view without the value check (storage must be CSR).
    pub(crate) fn new_unchecked(x: CsMatView<'a, F>) -> Self {
        // The view's lifetime is 'a, but `indptr()` borrows from the temporary; the raw
        // storage slices themselves live for 'a.
        let (indptr, indices, data) = x.into_raw_storage();
        Self {
            nrows: x.rows(),
            ncols: x.cols(),
            indptr,
            indices,
            data,
        }
    }

    /// Number of rows.
    pub(crate) fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns.
    pub(crate) fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of stored entries.
    pub(crate) fn nnz(&self) -> usize {
        self.indptr[self.nrows] - self.indptr[0]
    }

    /// An owned CSR copy with `f` applied to every stored value.
    pub(crate) fn map_values(&self, f: impl Fn(F) -> F) -> CsMat<F> {
        let off = self.indptr[0];
        let indptr = self.indptr[..=self.nrows]
            .iter()
            .map(|&p| p - off)
            .collect();
        CsMat::new(
            (self.nrows, self.ncols),
            indptr,
            self.indices.to_vec(),
            self.data.iter().map(|&v| f(v)).collect(),
        )
    }

    /// Row `i` as (column indices, values).
    #[inline]
    pub(crate) fn row(&self, i: usize) -> (&'a [usize], &'a [F]) {
        let off = self.indptr[0];
        let (a, b) = (self.indptr[i] - off, self.indptr[i + 1] - off);
        (&self.indices[a..b], &self.data[a..b])
    }
}

/// Records after the checks of `fit` or `predict`: a dense view (finite values) or a CSR
/// view (CSR storage, finite stored values).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Checked<'a, F> {
    /// Dense records. (`ArrayView2<'a, F>` spelt with its element type given: the alias's
    /// default, a projection through `RawData`, would make `Checked` invariant in `'a`, and a
    /// `Checked` of records could not be shortened to the lifetime of a local copy.)
    Dense(ndarray::ArrayBase<ndarray::ViewRepr<&'a F>, ndarray::Ix2, F>),
    /// CSR records.
    Sparse(Csr<'a, F>),
}

impl<'a, F: Float> Records<'a, F> {
    /// The checks of `fit`: at least one row and one column, finite values, CSR storage.
    pub(crate) fn check_fit(self) -> Result<Checked<'a, F>> {
        match self {
            Records::Dense(x) => {
                crate::validation::check_records(x)?;
                Ok(Checked::Dense(x))
            }
            Records::Sparse(x) => {
                let csr = Csr::new(x, "x")?;
                if csr.nrows() == 0 {
                    return Err(Error::EmptyInput {
                        what: "x (no rows)",
                    });
                }
                if csr.ncols() == 0 {
                    return Err(Error::EmptyInput {
                        what: "x (no features)",
                    });
                }
                Ok(Checked::Sparse(csr))
            }
        }
    }

    /// The checks of `predict`: `n_features` columns, finite values, CSR storage.
    pub(crate) fn check_predict(self, n_features: usize) -> Result<Checked<'a, F>> {
        match self {
            Records::Dense(x) => {
                crate::validation::check_predict_input(x, n_features)?;
                Ok(Checked::Dense(x))
            }
            Records::Sparse(x) => {
                let csr = Csr::new(x, "x")?;
                if csr.ncols() != n_features {
                    return Err(Error::ShapeMismatch {
                        what: "x (feature count the model was fitted with)",
                        expected: vec![csr.nrows(), n_features],
                        got: vec![csr.nrows(), csr.ncols()],
                    });
                }
                Ok(Checked::Sparse(csr))
            }
        }
    }
}

impl<'a, F: Float> Checked<'a, F> {
    /// Number of rows.
    pub(crate) fn nrows(&self) -> usize {
        match self {
            Checked::Dense(x) => x.nrows(),
            Checked::Sparse(x) => x.nrows(),
        }
    }

    /// Number of columns.
    pub(crate) fn ncols(&self) -> usize {
        match self {
            Checked::Dense(x) => x.ncols(),
            Checked::Sparse(x) => x.ncols(),
        }
    }
}

/// An owned CSR copy in `f64` (row `i`: `indices[indptr[i]..indptr[i + 1]]`, increasing
/// column indices, and the matching `data`; `indptr[0] = 0`).
#[derive(Clone, Debug)]
pub(crate) struct SparseRows {
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// Row starts, `n + 1` entries.
    pub indptr: Vec<usize>,
    /// Column index of each stored entry.
    pub indices: Vec<usize>,
    /// Value of each stored entry.
    pub data: Vec<f64>,
}

impl SparseRows {
    /// The `f64` copy of `x`.
    pub(crate) fn new<F: Float>(x: &Csr<'_, F>) -> Self {
        let n = x.nrows();
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::with_capacity(x.nnz());
        let mut data = Vec::with_capacity(x.nnz());
        indptr.push(0);
        for i in 0..n {
            let (idx, val) = x.row(i);
            indices.extend_from_slice(idx);
            data.extend(val.iter().map(|v| v.to_f64_exact()));
            indptr.push(indices.len());
        }
        Self {
            n,
            d: x.ncols(),
            indptr,
            indices,
            data,
        }
    }

    /// Row `i` as (column indices, values).
    #[inline]
    pub(crate) fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// Squared norm of every row.
    pub(crate) fn sq_norms(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| self.row(i).1.iter().map(|v| v * v).sum())
            .collect()
    }
}

/// Decision values `x·coefᵀ + intercept` (`n × k` for `coef` of shape `k × d`), dense or
/// sparse `x`, after checking its feature count and values.
pub(crate) fn linear_decision<F: Float>(
    x: Records<'_, F>,
    coef: ArrayView2<'_, F>,
    intercept: ArrayView1<'_, F>,
) -> Result<Array2<F>> {
    let d = coef.ncols();
    match x.check_predict(d)? {
        Checked::Dense(x) => {
            let mut z = linalg::matmul(x, coef.t());
            z += &intercept.insert_axis(Axis(0));
            Ok(z)
        }
        Checked::Sparse(csr) => {
            let k = coef.nrows();
            let mut z = Array2::<F>::zeros((csr.nrows(), k));
            for (i, mut out) in z.rows_mut().into_iter().enumerate() {
                let (idx, val) = csr.row(i);
                for (r, o) in out.iter_mut().enumerate() {
                    let w = coef.row(r);
                    let mut s = F::zero();
                    for (&j, &v) in idx.iter().zip(val) {
                        s += v * w[j];
                    }
                    *o = s + intercept[r];
                }
            }
            Ok(z)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only while `Checked` is covariant in its lifetime.
    #[allow(dead_code)]
    fn checked_is_covariant<'a: 'b, 'b, F>(x: Checked<'a, F>) -> Checked<'b, F> {
        x
    }
    use ndarray::array;

    fn example() -> CsMat<f64> {
        CsMat::new(
            (3, 4),
            vec![0, 2, 2, 4],
            vec![0, 3, 1, 3],
            vec![1.0, 2.0, 3.0, 4.0],
        )
    }

    #[test]
    fn rows_match_the_dense_matrix() {
        let x = example();
        let csr = Csr::new(x.view(), "x").unwrap();
        assert_eq!((csr.nrows(), csr.ncols(), csr.nnz()), (3, 4, 4));
        assert_eq!(csr.row(0), (&[0, 3][..], &[1.0, 2.0][..]));
        assert_eq!(csr.row(1), (&[][..], &[][..]));
        let dense = Records::from(&x).to_dense();
        for i in 0..3 {
            let (idx, val) = csr.row(i);
            let mut row = vec![0.0; 4];
            for (&j, &v) in idx.iter().zip(val) {
                row[j] = v;
            }
            assert_eq!(dense.row(i).to_vec(), row);
        }
    }

    #[test]
    fn a_sliced_view_reads_its_own_rows() {
        let x = example();
        let tail = x.slice_outer(1..3);
        let csr = Csr::new(tail.view(), "x").unwrap();
        assert_eq!(csr.nrows(), 2);
        assert_eq!(csr.nnz(), 2);
        assert_eq!(csr.row(1), (&[1, 3][..], &[3.0, 4.0][..]));
        assert_eq!(
            Records::from(tail.view()).to_dense(),
            array![[0.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 4.0]]
        );
    }

    #[test]
    fn csc_storage_and_non_finite_values_are_typed_errors() {
        let csc = example().to_csc();
        assert!(matches!(
            Csr::new(csc.view(), "x"),
            Err(Error::InvalidParameter { name: "x", .. })
        ));
        let mut bad = example();
        bad.data_mut()[2] = f64::NAN;
        match Csr::new(bad.view(), "x") {
            Err(Error::NonFinite { what: "x", index }) => assert_eq!(index, vec![2, 1]),
            other => panic!("expected NonFinite, got {other:?}"),
        }
    }
}
