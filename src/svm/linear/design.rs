//! The `f64` design matrix the linear solvers work on: the records, plus a
//! constant column `intercept_scaling` when an intercept is fitted — dense
//! (row-major or column-major copies) or sparse (CSR / CSC copies, the
//! intercept column implicit in the rows and stored in the columns).

use ndarray::ArrayView2;

use super::dual_cd::Rows;
use crate::error::Result;
use crate::linalg::Float;
use crate::sparse::{Checked, Records, SparseRows};

/// Row-major `n × p` copy of `x` in `f64`, with the intercept column last
/// when `bias` is `Some(intercept_scaling)`.
pub(crate) fn rows<F: Float>(x: ArrayView2<'_, F>, bias: Option<f64>) -> Vec<f64> {
    let (n, d) = x.dim();
    let p = d + usize::from(bias.is_some());
    let mut out = Vec::with_capacity(n * p);
    for row in x.rows() {
        out.extend(row.iter().map(|v| v.to_f64_exact()));
        if let Some(s) = bias {
            out.push(s);
        }
    }
    out
}

/// Column-major `n × p` copy (column `j` at `j·n ..`), intercept column last.
pub(crate) fn columns<F: Float>(x: ArrayView2<'_, F>, bias: Option<f64>) -> Vec<f64> {
    let (n, d) = x.dim();
    let p = d + usize::from(bias.is_some());
    let mut out = Vec::with_capacity(n * p);
    for col in x.columns() {
        out.extend(col.iter().map(|v| v.to_f64_exact()));
    }
    if let Some(s) = bias {
        out.extend(std::iter::repeat_n(s, n));
    }
    out
}

impl SparseRows {
    /// The CSC transpose (column `j`: `rows[colptr[j]..colptr[j + 1]]`, increasing row
    /// indices), with the intercept column (every row, value `bias`) last when `bias` is set.
    pub(crate) fn to_columns(&self, bias: Option<f64>) -> SparseColumns {
        let p = self.d + usize::from(bias.is_some());
        let mut count = vec![0usize; p + 1];
        for &j in &self.indices {
            count[j + 1] += 1;
        }
        if bias.is_some() {
            count[p] = self.n;
        }
        for j in 0..p {
            count[j + 1] += count[j];
        }
        let colptr = count.clone();
        let total = colptr[p];
        let mut rows = vec![0usize; total];
        let mut vals = vec![0.0f64; total];
        let mut next = count;
        for i in 0..self.n {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                rows[next[j]] = i;
                vals[next[j]] = v;
                next[j] += 1;
            }
            if let Some(s) = bias {
                rows[next[p - 1]] = i;
                vals[next[p - 1]] = s;
                next[p - 1] += 1;
            }
        }
        SparseColumns {
            n: self.n,
            p,
            colptr,
            rows,
            vals,
        }
    }
}

/// A CSC copy in `f64`, intercept column included (see [`SparseRows::to_columns`]).
pub(crate) struct SparseColumns {
    pub n: usize,
    pub p: usize,
    pub colptr: Vec<usize>,
    pub rows: Vec<usize>,
    pub vals: Vec<f64>,
}

/// The records of a fit, validated: a dense view (non-empty, finite) or a CSR copy in `f64`
/// (CSR storage, finite stored values, at least one row and one column).
pub(crate) enum Design<'a, F> {
    Dense(ArrayView2<'a, F>),
    Sparse(SparseRows),
}

impl<'a, F: Float> Design<'a, F> {
    pub(crate) fn new(x: Records<'a, F>) -> Result<Self> {
        Ok(match x.check_fit()? {
            Checked::Dense(x) => Design::Dense(x),
            Checked::Sparse(x) => Design::Sparse(SparseRows::new(&x)),
        })
    }

    /// `(n, d)`: samples and features (without the intercept column).
    pub(crate) fn dim(&self) -> (usize, usize) {
        match self {
            Design::Dense(x) => x.dim(),
            Design::Sparse(x) => (x.n, x.d),
        }
    }
    /// The rows the solvers read, with the intercept column of value `bias` when set:
    /// dense records copied row-major into `buf`, sparse ones read in place.
    pub(crate) fn rows<'s>(&'s self, bias: Option<f64>, buf: &'s mut Vec<f64>) -> Rows<'s> {
        match self {
            Design::Dense(x) => {
                *buf = rows(*x, bias);
                let (n, d) = x.dim();
                Rows::dense(buf, n, d + usize::from(bias.is_some()))
            }
            Design::Sparse(x) => Rows::Sparse { x, bias },
        }
    }
}
