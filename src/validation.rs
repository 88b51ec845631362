//! Input checks shared by every model (crate-internal).
//!
//! Each model validates its hyperparameters and data once, at `fit`, with
//! these helpers, so every model reports the same typed errors for the same
//! mistakes.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::Float;
use crate::error::{Error, Result};

/// Elements from which [`all_finite2`] splits its scan across the rayon pool.
const PAR_SCAN: usize = 1 << 16;

/// Whether every entry of `x` is finite: a branch-free scan, split across the
/// rayon pool for large inputs (it reads all of `x` once, which is a sizeable
/// share of a fit that itself reads `x` only once).
fn all_finite2<F: Float>(x: ArrayView2<'_, F>) -> bool {
    use rayon::prelude::*;
    let all_finite = |c: &[F]| c.iter().fold(true, |ok, v| ok & v.is_finite());
    match x.as_slice_memory_order() {
        Some(s) if s.len() < PAR_SCAN => all_finite(s),
        Some(s) => s.par_chunks(1 << 15).all(all_finite),
        None if x.len() < PAR_SCAN => x.iter().fold(true, |ok, v| ok & v.is_finite()),
        None => x
            .axis_chunks_iter(ndarray::Axis(0), 256)
            .into_par_iter()
            .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite())),
    }
}

/// `Err(NonFinite)` at the first NaN/inf of `x`.
pub(crate) fn check_finite2<F: Float>(x: ArrayView2<'_, F>, what: &'static str) -> Result<()> {
    // Fast scan first; the index search runs only on failure.
    if all_finite2(x) {
        return Ok(());
    }
    if let Some(((i, j), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what,
            index: vec![i, j],
        });
    }
    Ok(())
}

/// `Err(NonFinite)` at the first NaN/inf of `x`.
pub(crate) fn check_finite1<F: Float>(x: ArrayView1<'_, F>, what: &'static str) -> Result<()> {
    if x.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    if let Some((i, _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what,
            index: vec![i],
        });
    }
    Ok(())
}

/// Checks records for fitting: at least one row and one column, all finite.
pub(crate) fn check_records<F: Float>(x: ArrayView2<'_, F>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::EmptyInput {
            what: "x (no rows)",
        });
    }
    if x.ncols() == 0 {
        return Err(Error::EmptyInput {
            what: "x (no features)",
        });
    }
    check_finite2(x, "x")
}

/// Checks that `y` has one entry per row of `x`.
pub(crate) fn check_n_targets(n_rows: usize, y_len: usize) -> Result<()> {
    if n_rows != y_len {
        return Err(Error::ShapeMismatch {
            what: "y (one target per row of x)",
            expected: vec![n_rows],
            got: vec![y_len],
        });
    }
    Ok(())
}

/// Checks records given to a fitted model: the feature count it was fitted
/// with, and finite values. Zero rows are allowed (empty prediction).
pub(crate) fn check_predict_input<F: Float>(x: ArrayView2<'_, F>, n_features: usize) -> Result<()> {
    if x.ncols() != n_features {
        return Err(Error::ShapeMismatch {
            what: "x (feature count the model was fitted with)",
            expected: vec![x.nrows(), n_features],
            got: vec![x.nrows(), x.ncols()],
        });
    }
    check_finite2(x, "x")
}

/// Validates optional sample weights: length `n`, finite, non-negative, not
/// all zero. Returns them (ones when absent).
pub(crate) fn sample_weights<F: Float>(
    w: Option<ArrayView1<'_, F>>,
    n: usize,
) -> Result<Array1<F>> {
    let Some(w) = w else {
        return Ok(Array1::from_elem(n, F::one()));
    };
    if w.len() != n {
        return Err(Error::ShapeMismatch {
            what: "sample_weight (one per row of x)",
            expected: vec![n],
            got: vec![w.len()],
        });
    }
    check_finite1(w, "sample_weight")?;
    if let Some((i, v)) = w.indexed_iter().find(|(_, v)| **v < F::zero()) {
        return Err(Error::invalid(
            "sample_weight",
            format!("must be >= 0, got {v} at index {i}"),
        ));
    }
    if w.iter().all(|v| *v == F::zero()) {
        return Err(Error::invalid("sample_weight", "all weights are zero"));
    }
    Ok(w.to_owned())
}

/// `Err(InvalidParameter)` unless `value > 0` and finite.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::invalid(
            name,
            format!("must be finite and > 0, got {value}"),
        ));
    }
    Ok(())
}

/// `Err(InvalidParameter)` unless `value >= 0` and finite.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::invalid(
            name,
            format!("must be finite and >= 0, got {value}"),
        ));
    }
    Ok(())
}

/// Sorted distinct labels of `y` and each entry's index into them.
///
/// `Err(EmptyInput)` on empty `y`; `Err(SingleClass)` when `min_classes >= 2`
/// and `y` holds fewer distinct labels.
pub(crate) fn encode_labels<T: Clone + Ord>(
    y: ArrayView1<'_, T>,
    min_classes: usize,
) -> Result<(Vec<T>, Vec<usize>)> {
    if y.is_empty() {
        return Err(Error::EmptyInput { what: "y" });
    }
    let mut index: BTreeMap<&T, usize> = y.iter().map(|t| (t, 0)).collect();
    if index.len() < min_classes {
        return Err(Error::SingleClass);
    }
    let classes: Vec<T> = index.keys().map(|t| (*t).clone()).collect();
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    let codes = y.iter().map(|t| index[t]).collect();
    Ok((classes, codes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finite_checks_report_index() {
        let x = array![[1.0, 2.0], [f64::NAN, 0.0]];
        assert!(
            matches!(check_finite2(x.view(), "x"), Err(Error::NonFinite { index, .. }) if index == vec![1, 0])
        );
        let y = array![1.0f32, f32::INFINITY];
        assert!(
            matches!(check_finite1(y.view(), "y"), Err(Error::NonFinite { index, .. }) if index == vec![1])
        );
    }

    #[test]
    fn records_and_weights() {
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            check_records(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        let w = array![1.0, -1.0];
        assert!(matches!(
            sample_weights(Some(w.view()), 2),
            Err(Error::InvalidParameter {
                name: "sample_weight",
                ..
            })
        ));
        assert!(matches!(sample_weights::<f64>(None, 3), Ok(w) if w.len() == 3));
        let x = array![[1.0, 2.0]];
        assert!(matches!(
            check_predict_input(x.view(), 3),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn labels_are_sorted_and_encoded() {
        let y = array!["b", "a", "c", "a"];
        let (classes, codes) = encode_labels(y.view(), 2).unwrap();
        assert_eq!(classes, vec!["a", "b", "c"]);
        assert_eq!(codes, vec![1, 0, 2, 0]);
        let one = array![7, 7];
        assert!(matches!(
            encode_labels(one.view(), 2),
            Err(Error::SingleClass)
        ));
    }
}
