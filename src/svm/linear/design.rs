//! The `f64` design matrix the linear solvers work on: the records, plus a
//! constant column `intercept_scaling` when an intercept is fitted.

use ndarray::ArrayView2;

use crate::linalg::Float;

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
