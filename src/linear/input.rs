//! Input checks and scores shared by the linear models (on top of
//! `crate::validation`).

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::Float;
use crate::error::{Error, Result};
use crate::validation;

/// Validates the shape of `x` (non-empty), an `n × k` target matrix and
/// optional weights; returns the validated weights.
///
/// The finiteness of `x` is **not** checked here: the solvers learn it from
/// the pass that forms the normal equations ([`super::normal::Normal::x_finite`])
/// and call [`validation::check_records`] themselves on every other path, so a fit reads
/// `X` from memory once instead of twice.
pub(crate) fn check_fit<F: Float>(
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Result<Option<Array1<F>>> {
    if x.nrows() == 0 || x.ncols() == 0 {
        validation::check_records(x)?;
    }
    validation::check_n_targets(x.nrows(), y.nrows())?;
    if y.ncols() == 0 {
        return Err(Error::EmptyInput {
            what: "y (no targets)",
        });
    }
    validation::check_finite2(y, "y")?;
    match w {
        None => Ok(None),
        Some(w) => validation::sample_weights(Some(w), x.nrows()).map(Some),
    }
}

/// `Err(ShapeMismatch)` unless there is exactly one target.
pub(crate) fn single_target(k: usize) -> Result<()> {
    if k != 1 {
        return Err(Error::ShapeMismatch {
            what: "targets (a single-target model needs exactly one)",
            expected: vec![1],
            got: vec![k],
        });
    }
    Ok(())
}

/// R² of one target (scikit-learn's convention for a constant `y`: 1 when
/// the predictions are exact, 0 otherwise).
pub(crate) fn r2_one<F: Float>(y: ArrayView1<'_, F>, pred: ArrayView1<'_, F>) -> Result<F> {
    validation::check_n_targets(pred.len(), y.len())?;
    if y.is_empty() {
        return Err(Error::EmptyInput { what: "y" });
    }
    validation::check_finite1(y, "y")?;
    let n = F::from_usize(y.len()).expect("length fits a float");
    let mean = y.sum() / n;
    let (mut ss_res, mut ss_tot) = (F::zero(), F::zero());
    for (t, p) in y.iter().zip(pred) {
        ss_res += (*t - *p) * (*t - *p);
        ss_tot += (*t - mean) * (*t - mean);
    }
    Ok(if ss_tot > F::zero() {
        F::one() - ss_res / ss_tot
    } else if ss_res == F::zero() {
        F::one()
    } else {
        F::zero()
    })
}

/// R² averaged uniformly over the columns.
pub(crate) fn r2_multi<F: Float>(y: ArrayView2<'_, F>, pred: ArrayView2<'_, F>) -> Result<F> {
    if y.dim() != pred.dim() {
        return Err(Error::ShapeMismatch {
            what: "y (n_samples × n_targets)",
            expected: vec![pred.nrows(), pred.ncols()],
            got: vec![y.nrows(), y.ncols()],
        });
    }
    let mut total = F::zero();
    for (yc, pc) in y.columns().into_iter().zip(pred.columns()) {
        total += r2_one(yc, pc)?;
    }
    Ok(total / F::from_usize(y.ncols().max(1)).expect("fits"))
}
