//! Evaluation metrics with scikit-learn's definitions.
//!
//! - Regression: [`r2_score`], [`mean_squared_error`], [`mean_absolute_error`]
//!   (and `_weighted` variants taking sample weights).
//! - Classification on labels of any ordered type: [`accuracy_score`]
//!   ([`accuracy_score_weighted`]), [`precision_score`], [`recall_score`],
//!   [`f1_score`] with an [`Average`], [`confusion_matrix`], and all of them
//!   per class in a [`classification_report`].
//! - Probabilistic: [`log_loss`] (class probabilities), [`roc_auc_score`]
//!   (binary, from scores) and [`roc_auc_ovr_score`] (multiclass, one vs
//!   rest).
//! - Also [`balanced_accuracy_score`] and [`explained_variance_score`].
//!
//! Every metric returns `f64` (accumulated in `f64` for `f32` inputs too) and
//! validates its inputs: different lengths → [`Error::ShapeMismatch`], empty
//! inputs → [`Error::EmptyInput`], NaN/inf → [`Error::NonFinite`]. Each is
//! checked against scikit-learn 1.9 in `tests/it/metrics_reference.rs`.
//!
//! **Zero division.** Where scikit-learn's `zero_division="warn"` default
//! warns and returns 0 (precision with no predicted positives, recall with no
//! true positives in `y_true`, F1 with neither), these functions return 0.0
//! silently — the same number, without the warning.
//!
//! # Example
//! ```
//! use oxilearn::ndarray::array;
//! use oxilearn::metrics::{accuracy_score, f1_score, r2_score, Average};
//!
//! let r2 = r2_score(array![3.0, -0.5, 2.0, 7.0].view(), array![2.5, 0.0, 2.0, 8.0].view())?;
//! assert!((r2 - 0.9486081370449679).abs() < 1e-12);
//!
//! let y_true = array!["cat", "dog", "dog", "bird"];
//! let y_pred = array!["cat", "dog", "cat", "bird"];
//! assert_eq!(accuracy_score(y_true.view(), y_pred.view())?, 0.75);
//! let f1 = f1_score(y_true.view(), y_pred.view(), Average::Macro)?;
//! assert!((f1 - 0.7777777777777777).abs() < 1e-12);
//! # Ok::<(), oxilearn::Error>(())
//! ```

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::Float;
use crate::error::{Error, Result};
use crate::{numerics, validation};

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

fn check_lengths(a: usize, b: usize, what: &'static str) -> Result<()> {
    if a != b {
        return Err(Error::ShapeMismatch {
            what,
            expected: vec![a],
            got: vec![b],
        });
    }
    if a == 0 {
        return Err(Error::EmptyInput { what: "y_true" });
    }
    Ok(())
}

fn check_regression<F: Float>(y_true: ArrayView1<'_, F>, y_pred: ArrayView1<'_, F>) -> Result<()> {
    check_lengths(y_true.len(), y_pred.len(), "y_pred (one per y_true)")?;
    validation::check_finite1(y_true, "y_true")?;
    validation::check_finite1(y_pred, "y_pred")
}

/// Validated weights as `f64` (ones when `None`), divided by the power of
/// two nearest their maximum: every metric is a ratio of weighted sums, so
/// this exact rescaling changes no result, and weights up to `f64::MAX` sum
/// without overflow.
fn weights<F: Float>(w: Option<ArrayView1<'_, F>>, n: usize) -> Result<Vec<f64>> {
    let w: Vec<f64> = validation::sample_weights(w, n)?
        .iter()
        .map(|v| v.to_f64_exact())
        .collect();
    let s = numerics::pow2_scale(numerics::max_abs(w.iter().copied()));
    Ok(w.into_iter().map(|v| v / s).collect())
}

/// `y_true` and `y_pred` as `f64`, divided by the power of two nearest their
/// largest magnitude, and that power: squares and differences of values near
/// `f64::MAX` stay finite.
fn scaled_pair<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
) -> (Vec<f64>, Vec<f64>, f64) {
    let all = y_true.iter().chain(&y_pred).map(|v| v.to_f64_exact());
    let s = numerics::pow2_scale(numerics::max_abs(all));
    let scaled = |y: ArrayView1<'_, F>| y.iter().map(|v| v.to_f64_exact() / s).collect();
    (scaled(y_true), scaled(y_pred), s)
}

// ---------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------

fn r2_impl<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
    w: Option<ArrayView1<'_, F>>,
) -> Result<f64> {
    check_regression(y_true, y_pred)?;
    if y_true.len() < 2 {
        return Err(Error::invalid(
            "y_true",
            "R² is not defined for a single sample",
        ));
    }
    let w = weights(w, y_true.len())?;
    // R² is invariant to a common scale of y_true and y_pred: computed on
    // values of order 1, sums of squares cannot overflow.
    let (yt, yp, _) = scaled_pair(y_true, y_pred);
    let sw: f64 = w.iter().sum();
    let mean = yt.iter().zip(&w).map(|(y, w)| w * y).sum::<f64>() / sw;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for ((&t, &p), w) in yt.iter().zip(&yp).zip(&w) {
        ss_res += w * (t - p) * (t - p);
        ss_tot += w * (t - mean) * (t - mean);
    }
    // scikit-learn's force_finite: constant y_true gives 1 for a perfect
    // prediction and 0 otherwise.
    Ok(if ss_tot == 0.0 {
        if ss_res == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - ss_res / ss_tot
    })
}

/// Coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
///
/// 1 is a perfect fit; a constant prediction of the mean scores 0; worse
/// models score negative. As scikit-learn (`force_finite=True`): when `y_true`
/// is constant, the score is 1.0 for a perfect prediction and 0.0 otherwise.
///
/// # Errors
/// [`Error::ShapeMismatch`] for different lengths, [`Error::EmptyInput`],
/// [`Error::NonFinite`], and [`Error::InvalidParameter`] (`"y_true"`) for a
/// single sample (scikit-learn returns NaN with a warning).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::r2_score;
/// let r2 = r2_score(array![1.0f32, 2.0, 3.0].view(), array![1.0f32, 2.0, 3.0].view())?;
/// assert_eq!(r2, 1.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn r2_score<F: Float>(y_true: ArrayView1<'_, F>, y_pred: ArrayView1<'_, F>) -> Result<f64> {
    r2_impl(y_true, y_pred, None)
}

/// [`r2_score`] with sample weights (scikit-learn's `sample_weight`).
///
/// # Errors
/// As [`r2_score`]; [`Error::ShapeMismatch`] / [`Error::InvalidParameter`]
/// (`"sample_weight"`) for weights of the wrong length, negative or all zero.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::r2_score_weighted;
/// let r2 = r2_score_weighted(array![1.0, 2.0, 3.0].view(), array![1.0, 2.0, 4.0].view(), array![1.0, 1.0, 0.0].view())?;
/// assert_eq!(r2, 1.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn r2_score_weighted<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
    sample_weight: ArrayView1<'_, F>,
) -> Result<f64> {
    r2_impl(y_true, y_pred, Some(sample_weight))
}

/// Weighted mean of `|y − ŷ|ᵖ` (`power` 1 or 2), computed on values scaled
/// to order 1 and scaled back once: `NumericalFailure` only when the mean
/// itself exceeds the `f64` range.
fn mean_error<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
    w: Option<ArrayView1<'_, F>>,
    power: i32,
    operation: &'static str,
) -> Result<f64> {
    check_regression(y_true, y_pred)?;
    let w = weights(w, y_true.len())?;
    let (yt, yp, s) = scaled_pair(y_true, y_pred);
    let sw: f64 = w.iter().sum();
    let total: f64 = yt
        .iter()
        .zip(&yp)
        .zip(&w)
        .map(|((t, p), w)| w * (t - p).abs().powi(power))
        .sum();
    let mut mean = total / sw;
    for _ in 0..power {
        mean *= s;
    }
    if !mean.is_finite() {
        return Err(Error::NumericalFailure {
            operation,
            reason: "the mean exceeds the f64 range; scale the targets".to_string(),
        });
    }
    Ok(mean)
}

/// Mean squared error: mean of (y − ŷ)².
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::NumericalFailure`] when the mean itself exceeds the `f64` range
/// (errors of magnitude beyond ~1e154; values near the limit are otherwise
/// handled exactly).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::mean_squared_error;
/// let mse = mean_squared_error(array![3.0, -0.5, 2.0, 7.0].view(), array![2.5, 0.0, 2.0, 8.0].view())?;
/// assert_eq!(mse, 0.375);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn mean_squared_error<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
) -> Result<f64> {
    mean_error(y_true, y_pred, None, 2, "mean_squared_error")
}

/// [`mean_squared_error`] with sample weights.
///
/// # Errors
/// As [`r2_score_weighted`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::mean_squared_error_weighted;
/// let mse = mean_squared_error_weighted(array![0.0, 0.0].view(), array![1.0, 3.0].view(), array![3.0, 1.0].view())?;
/// assert_eq!(mse, 3.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn mean_squared_error_weighted<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
    sample_weight: ArrayView1<'_, F>,
) -> Result<f64> {
    mean_error(y_true, y_pred, Some(sample_weight), 2, "mean_squared_error")
}

/// Mean absolute error: mean of |y − ŷ|.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::NumericalFailure`] when the mean exceeds the `f64` range (it
/// cannot for finite inputs below `f64::MAX / 2`).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::mean_absolute_error;
/// let mae = mean_absolute_error(array![3.0, -0.5, 2.0, 7.0].view(), array![2.5, 0.0, 2.0, 8.0].view())?;
/// assert_eq!(mae, 0.5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn mean_absolute_error<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
) -> Result<f64> {
    mean_error(y_true, y_pred, None, 1, "mean_absolute_error")
}

/// [`mean_absolute_error`] with sample weights.
///
/// # Errors
/// As [`r2_score_weighted`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::mean_absolute_error_weighted;
/// let mae = mean_absolute_error_weighted(array![0.0, 0.0].view(), array![1.0, 3.0].view(), array![3.0, 1.0].view())?;
/// assert_eq!(mae, 1.5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn mean_absolute_error_weighted<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
    sample_weight: ArrayView1<'_, F>,
) -> Result<f64> {
    mean_error(
        y_true,
        y_pred,
        Some(sample_weight),
        1,
        "mean_absolute_error",
    )
}

// ---------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------

/// Fraction of labels predicted exactly.
///
/// # Errors
/// [`Error::ShapeMismatch`] for different lengths, [`Error::EmptyInput`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::accuracy_score;
/// assert_eq!(accuracy_score(array![0, 1, 2, 3].view(), array![0, 2, 1, 3].view())?, 0.5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn accuracy_score<T: PartialEq>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len(), "y_pred (one per y_true)")?;
    let hits = y_true.iter().zip(&y_pred).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// [`accuracy_score`] with sample weights: the weighted fraction of hits.
///
/// # Errors
/// As [`accuracy_score`], and as [`r2_score_weighted`] for the weights.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::accuracy_score_weighted;
/// let acc = accuracy_score_weighted(array![1, 1].view(), array![1, 0].view(), array![3.0, 1.0].view())?;
/// assert_eq!(acc, 0.75);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn accuracy_score_weighted<T: PartialEq, F: Float>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
    sample_weight: ArrayView1<'_, F>,
) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len(), "y_pred (one per y_true)")?;
    let w = weights(Some(sample_weight), y_true.len())?;
    let hits: f64 = y_true
        .iter()
        .zip(&y_pred)
        .zip(&w)
        .filter(|((a, b), _)| a == b)
        .map(|(_, w)| w)
        .sum();
    Ok(hits / w.iter().sum::<f64>())
}

/// How [`precision_score`], [`recall_score`] and [`f1_score`] combine classes.
///
/// # Example
/// ```
/// use oxilearn::metrics::Average;
/// let binary = Average::Binary { pos_label: "spam" };
/// let macro_avg: Average<&str> = Average::Macro;
/// assert_ne!(binary, macro_avg);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Average<T> {
    /// The score of `pos_label` alone; `y_true` and `y_pred` together may
    /// hold at most two labels (scikit-learn's `average="binary"`).
    Binary {
        /// The positive class.
        pos_label: T,
    },
    /// Unweighted mean of the per-class scores over every label in `y_true`
    /// or `y_pred`.
    Macro,
    /// Mean of the per-class scores weighted by each class's count in
    /// `y_true` (support).
    Weighted,
    /// Scores from the summed counts of every class (for single-label
    /// targets, precision = recall = F1 = accuracy).
    Micro,
}

/// Per-class counts over the sorted labels of `y_true ∪ y_pred`.
struct Counts<T> {
    labels: Vec<T>,
    tp: Vec<f64>,
    fp: Vec<f64>,
    fn_: Vec<f64>,
    support: Vec<f64>,
}

fn counts<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
) -> Result<Counts<T>> {
    check_lengths(y_true.len(), y_pred.len(), "y_pred (one per y_true)")?;
    let mut index: BTreeMap<&T, usize> =
        y_true.iter().chain(y_pred.iter()).map(|t| (t, 0)).collect();
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    let k = index.len();
    let mut c = Counts {
        labels: index.keys().map(|t| (*t).clone()).collect(),
        tp: vec![0.0; k],
        fp: vec![0.0; k],
        fn_: vec![0.0; k],
        support: vec![0.0; k],
    };
    for (t, p) in y_true.iter().zip(&y_pred) {
        let (i, j) = (index[t], index[p]);
        c.support[i] += 1.0;
        if i == j {
            c.tp[i] += 1.0;
        } else {
            c.fn_[i] += 1.0;
            c.fp[j] += 1.0;
        }
    }
    Ok(c)
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

/// Which score: precision, recall or F1, from (tp, fp, fn).
type Score = fn(f64, f64, f64) -> f64;

fn precision_of(tp: f64, fp: f64, _fn: f64) -> f64 {
    ratio(tp, tp + fp)
}
fn recall_of(tp: f64, _fp: f64, fn_: f64) -> f64 {
    ratio(tp, tp + fn_)
}
fn f1_of(tp: f64, fp: f64, fn_: f64) -> f64 {
    ratio(2.0 * tp, 2.0 * tp + fp + fn_)
}

fn averaged<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
    average: Average<T>,
    score: Score,
) -> Result<f64> {
    let c = counts(y_true, y_pred)?;
    let per_class = |i: usize| score(c.tp[i], c.fp[i], c.fn_[i]);
    let k = c.labels.len();
    Ok(match average {
        Average::Binary { pos_label } => {
            if k > 2 {
                return Err(Error::invalid(
                    "average",
                    format!(
                        "Binary needs at most two labels in y_true and y_pred, found {k}; \
                         use Macro, Weighted or Micro"
                    ),
                ));
            }
            match c.labels.binary_search(&pos_label) {
                Ok(i) => per_class(i),
                Err(_) if k == 2 => {
                    return Err(Error::invalid(
                        "pos_label",
                        "is not one of the two labels in y_true and y_pred",
                    ));
                }
                // No positives anywhere: every count is zero.
                Err(_) => 0.0,
            }
        }
        Average::Macro => (0..k).map(per_class).sum::<f64>() / k as f64,
        Average::Weighted => {
            let total: f64 = c.support.iter().sum();
            (0..k).map(|i| c.support[i] * per_class(i)).sum::<f64>() / total
        }
        Average::Micro => score(c.tp.iter().sum(), c.fp.iter().sum(), c.fn_.iter().sum()),
    })
}

/// Precision tp / (tp + fp): of the rows predicted as a class, the fraction
/// that truly are.
///
/// A class never predicted scores 0 (scikit-learn's `zero_division` default,
/// without its warning).
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`];
/// [`Error::InvalidParameter`] for `Binary` with more than two labels
/// (`"average"`) or a `pos_label` that is not one of two labels present
/// (`"pos_label"`).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::{precision_score, Average};
/// let y_true = array![0, 1, 1, 0, 1];
/// let y_pred = array![1, 1, 1, 0, 0];
/// let p = precision_score(y_true.view(), y_pred.view(), Average::Binary { pos_label: 1 })?;
/// assert!((p - 2.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn precision_score<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
    average: Average<T>,
) -> Result<f64> {
    averaged(y_true, y_pred, average, precision_of)
}

/// Recall tp / (tp + fn): of the rows of a class, the fraction predicted as
/// it.
///
/// A class absent from `y_true` scores 0 (it still counts in `Macro`).
///
/// # Errors
/// As [`precision_score`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::{recall_score, Average};
/// let y_true = array![0, 1, 1, 0, 1];
/// let y_pred = array![1, 1, 1, 0, 0];
/// let r = recall_score(y_true.view(), y_pred.view(), Average::Binary { pos_label: 1 })?;
/// assert!((r - 2.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn recall_score<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
    average: Average<T>,
) -> Result<f64> {
    averaged(y_true, y_pred, average, recall_of)
}

/// F1 = 2·tp / (2·tp + fp + fn), the harmonic mean of precision and recall.
///
/// # Errors
/// As [`precision_score`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::{f1_score, Average};
/// let y_true = array!['a', 'b', 'c', 'a', 'b', 'c'];
/// let y_pred = array!['a', 'c', 'b', 'a', 'a', 'b'];
/// let f1 = f1_score(y_true.view(), y_pred.view(), Average::Weighted)?;
/// assert!((f1 - 0.26666666666666666).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn f1_score<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
    average: Average<T>,
) -> Result<f64> {
    averaged(y_true, y_pred, average, f1_of)
}

/// Confusion matrix over the sorted labels of `y_true ∪ y_pred`: entry
/// `(i, j)` counts rows of true label `labels[i]` predicted as `labels[j]`.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::confusion_matrix;
/// let (cm, labels) = confusion_matrix(array![2, 0, 2, 2, 0, 1].view(), array![0, 0, 2, 2, 0, 2].view())?;
/// assert_eq!(labels, vec![0, 1, 2]);
/// assert_eq!(cm, array![[2, 0, 0], [0, 0, 1], [1, 0, 2]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn confusion_matrix<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
) -> Result<(Array2<usize>, Vec<T>)> {
    check_lengths(y_true.len(), y_pred.len(), "y_pred (one per y_true)")?;
    let mut index: BTreeMap<&T, usize> =
        y_true.iter().chain(y_pred.iter()).map(|t| (t, 0)).collect();
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    let k = index.len();
    let mut cm = Array2::zeros((k, k));
    for (t, p) in y_true.iter().zip(&y_pred) {
        cm[[index[t], index[p]]] += 1;
    }
    let labels = index.keys().map(|t| (*t).clone()).collect();
    Ok((cm, labels))
}

/// Precision, recall, F1 and support of one class or one average in a
/// [`ClassificationReport`].
///
/// # Example
/// ```
/// use oxilearn::metrics::ReportRow;
/// let row = ReportRow { precision: 0.5, recall: 1.0, f1: 2.0 / 3.0, support: 1 };
/// assert_eq!(row.support, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportRow {
    /// tp / (tp + fp) (0 when the class is never predicted).
    pub precision: f64,
    /// tp / (tp + fn) (0 when the class is absent from `y_true`).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Rows of this class in `y_true` (all rows for the averages).
    pub support: usize,
}

/// Per-class precision, recall, F1 and support with their macro and weighted
/// averages and the accuracy: scikit-learn's `classification_report`, as a
/// struct ([`classification_report`]) and as text ([`Display`](std::fmt::Display)
/// with 2 digits, [`ClassificationReport::text`] with any number), laid out
/// character for character as scikit-learn's.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::classification_report;
/// let report = classification_report(array![0, 1, 2, 2, 2].view(), array![0, 0, 2, 2, 1].view())?;
/// assert_eq!(report.rows()[2].1.support, 3);
/// assert_eq!(report.accuracy(), 0.6);
/// print!("{report}");
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationReport<T> {
    rows: Vec<(T, ReportRow)>,
    accuracy: f64,
    macro_avg: ReportRow,
    weighted_avg: ReportRow,
}

impl<T> ClassificationReport<T> {
    /// One row per label of `y_true ∪ y_pred`, in sorted label order.
    pub fn rows(&self) -> &[(T, ReportRow)] {
        &self.rows
    }

    /// The row of `label`, if it occurs in `y_true` or `y_pred`.
    pub fn row(&self, label: &T) -> Option<&ReportRow>
    where
        T: PartialEq,
    {
        self.rows.iter().find(|(l, _)| l == label).map(|(_, r)| r)
    }

    /// Fraction of rows predicted correctly.
    pub fn accuracy(&self) -> f64 {
        self.accuracy
    }

    /// Unweighted means of the per-class scores.
    pub fn macro_avg(&self) -> ReportRow {
        self.macro_avg
    }

    /// Means of the per-class scores weighted by support.
    pub fn weighted_avg(&self) -> ReportRow {
        self.weighted_avg
    }

    /// The report as text with `digits` decimals (scikit-learn's
    /// `classification_report(..., digits=digits)`).
    pub fn text(&self, digits: usize) -> String
    where
        T: std::fmt::Display,
    {
        use std::fmt::Write as _;
        let names: Vec<String> = self.rows.iter().map(|(l, _)| l.to_string()).collect();
        let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let width = name_width.max("weighted avg".len()).max(digits);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = write!(out, "{:>width$} ", "");
        for h in ["precision", "recall", "f1-score", "support"] {
            let _ = write!(out, " {h:>9}");
        }
        out.push_str("\n\n");
        let line = |out: &mut String, name: &str, r: &ReportRow| {
            let _ = writeln!(
                out,
                "{name:>width$}  {:>9.digits$} {:>9.digits$} {:>9.digits$} {:>9}",
                r.precision, r.recall, r.f1, r.support
            );
        };
        for (name, (_, r)) in names.iter().zip(&self.rows) {
            line(&mut out, name, r);
        }
        out.push('\n');
        let total = self.macro_avg.support;
        let _ = writeln!(
            out,
            "{:>width$}  {:>9} {:>9} {:>9.digits$} {:>9}",
            "accuracy", "", "", self.accuracy, total
        );
        line(&mut out, "macro avg", &self.macro_avg);
        line(&mut out, "weighted avg", &self.weighted_avg);
        out
    }
}

impl<T: std::fmt::Display> std::fmt::Display for ClassificationReport<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(2))
    }
}

/// Builds the [`ClassificationReport`] of predictions `y_pred` against
/// `y_true`: one row per label of `y_true ∪ y_pred` (sorted), accuracy,
/// macro and weighted averages — scikit-learn's `classification_report`
/// (scores of a class never predicted or never present are 0, its
/// `zero_division` default without the warning).
///
/// # Errors
/// [`Error::ShapeMismatch`] when the lengths differ, [`Error::EmptyInput`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::classification_report;
/// let y_true = array!["cat", "dog", "dog", "bird"];
/// let y_pred = array!["cat", "dog", "cat", "bird"];
/// let report = classification_report(y_true.view(), y_pred.view())?;
/// assert_eq!(report.row(&"cat").unwrap().precision, 0.5);
/// assert_eq!(report.weighted_avg().recall, 0.75);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn classification_report<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
) -> Result<ClassificationReport<T>> {
    let c = counts(y_true, y_pred)?;
    let k = c.labels.len();
    let rows: Vec<(T, ReportRow)> = (0..k)
        .map(|i| {
            let (tp, fp, fn_) = (c.tp[i], c.fp[i], c.fn_[i]);
            let row = ReportRow {
                precision: precision_of(tp, fp, fn_),
                recall: recall_of(tp, fp, fn_),
                f1: f1_of(tp, fp, fn_),
                support: c.support[i] as usize,
            };
            (c.labels[i].clone(), row)
        })
        .collect();
    let n = y_true.len();
    let total: f64 = c.support.iter().sum();
    let avg = |weight: &dyn Fn(usize) -> f64, den: f64| ReportRow {
        precision: rows
            .iter()
            .enumerate()
            .map(|(i, (_, r))| weight(i) * r.precision)
            .sum::<f64>()
            / den,
        recall: rows
            .iter()
            .enumerate()
            .map(|(i, (_, r))| weight(i) * r.recall)
            .sum::<f64>()
            / den,
        f1: rows
            .iter()
            .enumerate()
            .map(|(i, (_, r))| weight(i) * r.f1)
            .sum::<f64>()
            / den,
        support: n,
    };
    let macro_avg = avg(&|_| 1.0, k as f64);
    let weighted_avg = avg(&|i| c.support[i], total);
    Ok(ClassificationReport {
        accuracy: c.tp.iter().sum::<f64>() / n as f64,
        rows,
        macro_avg,
        weighted_avg,
    })
}

// ---------------------------------------------------------------------------
// Probabilistic
// ---------------------------------------------------------------------------

/// Cross-entropy of predicted class probabilities: mean of −ln p(true class).
///
/// Column `j` of `proba` is the probability of `labels[j]`; `labels` defaults
/// to the sorted distinct labels of `y_true` (pass them when `y_true` lacks
/// some class). Probabilities are clipped to `[ε, 1 − ε]` with ε the machine
/// epsilon of `F`, as scikit-learn; rows are not renormalised.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `proba` has not one row per label and one
/// column per class; [`Error::EmptyInput`]; [`Error::NonFinite`];
/// [`Error::SingleClass`] when `labels` is `None` and `y_true` holds one
/// label; [`Error::InvalidParameter`] for probabilities outside `[0, 1]`
/// (`"proba"`), a label of `y_true` missing from `labels` (`"y_true"`), or
/// unsorted/duplicate `labels` (`"labels"`).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::log_loss;
/// let y = array!["spam", "ham", "ham", "spam"];
/// let p = array![[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]; // columns: ham, spam
/// let loss = log_loss(y.view(), p.view(), None)?;
/// assert!((loss - 0.21616187468057912).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn log_loss<T: Clone + Ord, F: Float>(
    y_true: ArrayView1<'_, T>,
    proba: ArrayView2<'_, F>,
    labels: Option<&[T]>,
) -> Result<f64> {
    check_lengths(y_true.len(), proba.nrows(), "proba (one row per y_true)")?;
    let labels: Vec<T> = match labels {
        Some(l) => {
            if !l.windows(2).all(|w| w[0] < w[1]) {
                return Err(Error::invalid("labels", "must be sorted and distinct"));
            }
            l.to_vec()
        }
        None => {
            let (classes, _) = validation::encode_labels(y_true, 2)?;
            classes
        }
    };
    if proba.ncols() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "proba (one column per class)",
            expected: vec![proba.nrows(), labels.len()],
            got: vec![proba.nrows(), proba.ncols()],
        });
    }
    validation::check_finite2(proba, "proba")?;
    if let Some(((i, j), v)) = proba
        .indexed_iter()
        .find(|(_, v)| **v < F::zero() || **v > F::one())
    {
        return Err(Error::invalid(
            "proba",
            format!("probabilities must lie in [0, 1], got {v} at ({i}, {j})"),
        ));
    }
    let eps = F::epsilon();
    let mut total = 0.0;
    for (i, t) in y_true.iter().enumerate() {
        let j = labels.binary_search(t).map_err(|_| {
            Error::invalid("y_true", format!("label at index {i} is not in `labels`"))
        })?;
        let p = proba[[i, j]].max(eps).min(F::one() - eps);
        total -= p.to_f64_exact().ln();
    }
    Ok(total / y_true.len() as f64)
}

/// Area under the ROC curve of a binary problem, from scores (any monotone
/// confidence for the positive class: probabilities, decision values).
///
/// The positive class is the larger of the two labels of `y_true` (as
/// scikit-learn). Tied scores count one half, so the result equals
/// scikit-learn's trapezoidal AUC; it is computed as the Mann–Whitney
/// statistic with average ranks in O(n log n).
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::SingleClass`] when `y_true` holds one label (AUC undefined);
/// [`Error::InvalidParameter`] (`"y_true"`) for more than two labels.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::roc_auc_score;
/// let auc = roc_auc_score(array![0, 0, 1, 1].view(), array![0.1, 0.4, 0.35, 0.8].view())?;
/// assert_eq!(auc, 0.75);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn roc_auc_score<T: Clone + Ord, F: Float>(
    y_true: ArrayView1<'_, T>,
    y_score: ArrayView1<'_, F>,
) -> Result<f64> {
    check_lengths(y_true.len(), y_score.len(), "y_score (one per y_true)")?;
    validation::check_finite1(y_score, "y_score")?;
    let (classes, codes) = validation::encode_labels(y_true, 2)?;
    if classes.len() > 2 {
        return Err(Error::invalid(
            "y_true",
            format!(
                "roc_auc_score is binary; y_true holds {} labels",
                classes.len()
            ),
        ));
    }
    let n = y_score.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| y_score[a].partial_cmp(&y_score[b]).expect("finite"));
    // Sum of the (average, 1-based) ranks of the positives.
    let mut rank_sum_pos = 0.0;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && y_score[order[end]] == y_score[order[start]] {
            end += 1;
        }
        let avg_rank = (start + 1 + end) as f64 / 2.0;
        let pos_in_tie = order[start..end].iter().filter(|&&i| codes[i] == 1).count();
        rank_sum_pos += avg_rank * pos_in_tie as f64;
        start = end;
    }
    let n_pos = codes.iter().filter(|&&c| c == 1).count() as f64;
    let n_neg = n as f64 - n_pos;
    Ok((rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// A receiver operating characteristic curve ([`roc_curve`]): false and
/// true positive rates at decreasing score thresholds.
///
/// # Example
/// See [`roc_curve`].
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rate at each threshold (ascending, from 0 to 1).
    pub fpr: Vec<f64>,
    /// True positive rate at each threshold (ascending, from 0 to 1).
    pub tpr: Vec<f64>,
    /// The thresholds, decreasing; the first is `+∞` (nothing predicted
    /// positive).
    pub thresholds: Vec<f64>,
}

impl RocCurve {
    /// The area under the curve (trapezoids; equals [`roc_auc_score`]).
    pub fn auc(&self) -> f64 {
        self.fpr
            .windows(2)
            .zip(self.tpr.windows(2))
            .map(|(f, t)| (f[1] - f[0]) * (t[1] + t[0]) / 2.0)
            .sum()
    }
}

/// The ROC curve of binary scores (scikit-learn's `roc_curve` with
/// `drop_intermediate=True`): one point per distinct score, collinear
/// points dropped, and a first point `(0, 0)` at threshold `+∞`. The
/// positive class is the larger of the two labels of `y_true`, as in
/// [`roc_auc_score`].
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::SingleClass`] when `y_true` holds one label (a rate would be
/// 0/0); [`Error::InvalidParameter`] (`"y_true"`) for more than two labels.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::roc_curve;
/// let roc = roc_curve(array![0, 0, 1, 1].view(), array![0.1, 0.4, 0.35, 0.8].view())?;
/// assert_eq!(roc.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(roc.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.8, 0.4, 0.35, 0.1]);
/// assert_eq!(roc.auc(), 0.75);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn roc_curve<T: Clone + Ord, F: Float>(
    y_true: ArrayView1<'_, T>,
    y_score: ArrayView1<'_, F>,
) -> Result<RocCurve> {
    check_lengths(y_true.len(), y_score.len(), "y_score (one per y_true)")?;
    validation::check_finite1(y_score, "y_score")?;
    let (classes, codes) = validation::encode_labels(y_true, 2)?;
    if classes.len() > 2 {
        return Err(Error::invalid(
            "y_true",
            format!("roc_curve is binary; y_true holds {} labels", classes.len()),
        ));
    }
    let score = |i: usize| y_score[i].to_f64().unwrap_or(f64::NAN);
    let n = y_score.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
    // Cumulative true and false positives at the last row of each
    // distinct score.
    let (mut tps, mut fps, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    let mut tp = 0usize;
    for (k, &i) in order.iter().enumerate() {
        tp += codes[i];
        if k + 1 == n || score(order[k + 1]) != score(i) {
            tps.push(tp as f64);
            fps.push((k + 1 - tp) as f64);
            thresholds.push(score(i));
        }
    }
    // Drop the points collinear with their neighbours (a zero second
    // difference of both counts).
    if tps.len() > 2 {
        let m = tps.len();
        let keep: Vec<usize> = (0..m)
            .filter(|&k| {
                k == 0
                    || k == m - 1
                    || fps[k + 1] - 2.0 * fps[k] + fps[k - 1] != 0.0
                    || tps[k + 1] - 2.0 * tps[k] + tps[k - 1] != 0.0
            })
            .collect();
        tps = keep.iter().map(|&k| tps[k]).collect();
        fps = keep.iter().map(|&k| fps[k]).collect();
        thresholds = keep.iter().map(|&k| thresholds[k]).collect();
    }
    let (p, q) = (tps[tps.len() - 1], fps[fps.len() - 1]);
    let rate = |v: &[f64], total: f64| -> Vec<f64> {
        std::iter::once(0.0)
            .chain(v.iter().map(|x| x / total))
            .collect()
    };
    Ok(RocCurve {
        fpr: rate(&fps, q),
        tpr: rate(&tps, p),
        thresholds: std::iter::once(f64::INFINITY).chain(thresholds).collect(),
    })
}

/// Explained variance 1 − Var(y − ŷ) / Var(y) (scikit-learn's
/// `explained_variance_score`); equals [`r2_score`] when the residuals have
/// zero mean. Constant `y_true`: 1.0 for perfect predictions, else 0.0 (as
/// scikit-learn's `force_finite=True`).
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::explained_variance_score;
/// let ev = explained_variance_score(array![3.0, -0.5, 2.0, 7.0].view(), array![2.5, 0.0, 2.0, 8.0].view())?;
/// assert!((ev - 0.9571734475374732).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn explained_variance_score<F: Float>(
    y_true: ArrayView1<'_, F>,
    y_pred: ArrayView1<'_, F>,
) -> Result<f64> {
    check_regression(y_true, y_pred)?;
    let n = y_true.len() as f64;
    let t: Vec<f64> = y_true.iter().map(|v| v.to_f64_exact()).collect();
    let d: Vec<f64> = t
        .iter()
        .zip(&y_pred)
        .map(|(a, b)| a - b.to_f64_exact())
        .collect();
    let var = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n
    };
    let (num, den) = (var(&d), var(&t));
    Ok(if den == 0.0 {
        if num == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - num / den
    })
}

/// Balanced accuracy: the mean over the classes of `y_true` of each class's
/// recall (scikit-learn's `balanced_accuracy_score`, `adjusted=False`).
/// Labels that occur only in `y_pred` do not count as classes.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::EmptyInput`].
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::balanced_accuracy_score;
/// let b = balanced_accuracy_score(array![0, 1, 0, 0, 1, 0].view(), array![0, 1, 0, 0, 0, 1].view())?;
/// assert_eq!(b, 0.625);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn balanced_accuracy_score<T: Clone + Ord>(
    y_true: ArrayView1<'_, T>,
    y_pred: ArrayView1<'_, T>,
) -> Result<f64> {
    let c = counts(y_true, y_pred)?;
    let present: Vec<usize> = (0..c.labels.len())
        .filter(|&i| c.support[i] > 0.0)
        .collect();
    Ok(present.iter().map(|&i| c.tp[i] / c.support[i]).sum::<f64>() / present.len() as f64)
}

/// Multiclass area under the ROC curve, one class against the rest,
/// macro-averaged (scikit-learn's `roc_auc_score(y, proba,
/// multi_class="ovr", labels=labels)`): column `j` of `proba` scores
/// `labels[j]`.
///
/// # Errors
/// [`Error::ShapeMismatch`] (lengths, or a column count other than
/// `labels.len()`), [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::InvalidParameter`] for unsorted `labels`, fewer than two of them,
/// a `y_true` label not in `labels`, or a row of `proba` that does not sum
/// to 1 (within scikit-learn's `allclose` tolerance); [`Error::SingleClass`] when a label
/// never occurs in `y_true` (its AUC is undefined).
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::metrics::roc_auc_ovr_score;
/// let y = array![0, 1, 2, 2];
/// let p = array![[0.8, 0.1, 0.1], [0.3, 0.4, 0.3], [0.1, 0.2, 0.7], [0.2, 0.5, 0.3]];
/// let auc = roc_auc_ovr_score(y.view(), p.view(), &[0, 1, 2])?;
/// assert!((auc - 0.8472222222222223).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn roc_auc_ovr_score<T: Clone + Ord, F: Float>(
    y_true: ArrayView1<'_, T>,
    proba: ArrayView2<'_, F>,
    labels: &[T],
) -> Result<f64> {
    check_lengths(y_true.len(), proba.nrows(), "proba (one row per y_true)")?;
    if labels.len() < 2 || !labels.windows(2).all(|w| w[0] < w[1]) {
        return Err(Error::invalid(
            "labels",
            "must be at least two, sorted and distinct",
        ));
    }
    if proba.ncols() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "proba (one column per label)",
            expected: vec![proba.nrows(), labels.len()],
            got: vec![proba.nrows(), proba.ncols()],
        });
    }
    validation::check_finite2(proba, "proba")?;
    if let Some(i) = proba.rows().into_iter().position(|r| {
        let sum: f64 = r.iter().map(|v| v.to_f64_exact()).sum();
        (sum - 1.0).abs() > 1e-8 + 1e-5
    }) {
        return Err(Error::invalid(
            "proba",
            format!("row {i} does not sum to 1 (multiclass AUC needs probabilities)"),
        ));
    }
    let codes = y_true
        .iter()
        .enumerate()
        .map(|(i, t)| {
            labels.binary_search(t).map_err(|_| {
                Error::invalid("y_true", format!("label at index {i} is not in `labels`"))
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut total = 0.0;
    for j in 0..labels.len() {
        let is_j: ndarray::Array1<bool> = codes.iter().map(|&c| c == j).collect();
        total += roc_auc_score(is_j.view(), proba.column(j))?;
    }
    Ok(total / labels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn errors_are_typed() {
        let a = array![1.0, 2.0];
        let b = array![1.0];
        let e = ndarray::Array1::<f64>::zeros(0);
        assert!(matches!(
            r2_score(a.view(), b.view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            mean_squared_error(e.view(), e.view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            mean_absolute_error(array![1.0, f64::NAN].view(), a.view()),
            Err(Error::NonFinite { what: "y_true", .. })
        ));
        assert!(matches!(
            r2_score(array![1.0].view(), array![1.0].view()),
            Err(Error::InvalidParameter { name: "y_true", .. })
        ));
        assert!(matches!(
            mean_squared_error_weighted(a.view(), a.view(), array![1.0, -1.0].view()),
            Err(Error::InvalidParameter {
                name: "sample_weight",
                ..
            })
        ));
        assert!(matches!(
            accuracy_score(array![1, 2].view(), array![1].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            accuracy_score(
                ndarray::Array1::<i32>::zeros(0).view(),
                ndarray::Array1::<i32>::zeros(0).view()
            ),
            Err(Error::EmptyInput { .. })
        ));
        let y3 = array![0, 1, 2];
        assert!(matches!(
            f1_score(y3.view(), y3.view(), Average::Binary { pos_label: 1 }),
            Err(Error::InvalidParameter {
                name: "average",
                ..
            })
        ));
        assert!(matches!(
            precision_score(
                array![0, 1].view(),
                array![0, 1].view(),
                Average::Binary { pos_label: 5 }
            ),
            Err(Error::InvalidParameter {
                name: "pos_label",
                ..
            })
        ));
        assert!(matches!(
            roc_auc_score(array![1, 1].view(), array![0.5, 0.6].view()),
            Err(Error::SingleClass)
        ));
        assert!(matches!(
            roc_auc_score(y3.view(), array![0.5, 0.6, 0.7].view()),
            Err(Error::InvalidParameter { name: "y_true", .. })
        ));
        assert!(matches!(
            roc_auc_score(array![0, 1].view(), array![0.5, f64::INFINITY].view()),
            Err(Error::NonFinite { .. })
        ));
        let p = array![[0.5, 0.5], [0.2, 0.8]];
        assert!(matches!(
            log_loss(array![1, 1].view(), p.view(), None),
            Err(Error::SingleClass)
        ));
        assert!(matches!(
            log_loss(array![0, 1].view(), array![[1.0], [1.0]].view(), None),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            log_loss(
                array![0, 1].view(),
                array![[1.5, -0.5], [0.0, 1.0]].view(),
                None
            ),
            Err(Error::InvalidParameter { name: "proba", .. })
        ));
        assert!(matches!(
            log_loss(array![0, 7].view(), p.view(), Some(&[0, 1])),
            Err(Error::InvalidParameter { name: "y_true", .. })
        ));
        assert!(matches!(
            log_loss(array![0, 1].view(), p.view(), Some(&[1, 0])),
            Err(Error::InvalidParameter { name: "labels", .. })
        ));
        assert!(matches!(
            log_loss(
                array![0, 1].view(),
                array![[f64::NAN, 0.5], [0.2, 0.8]].view(),
                None
            ),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn degenerate_cases() {
        // Constant y_true: 1 if perfect, 0 otherwise (force_finite).
        let c = array![2.0, 2.0, 2.0];
        assert_eq!(r2_score(c.view(), c.view()).unwrap(), 1.0);
        assert_eq!(
            r2_score(c.view(), array![2.0, 2.0, 3.0].view()).unwrap(),
            0.0
        );
        // Binary with a single label present and pos_label absent: zeros.
        let z = array![0, 0];
        assert_eq!(
            precision_score(z.view(), z.view(), Average::Binary { pos_label: 1 }).unwrap(),
            0.0
        );
        // AUC: perfect, reversed, all tied.
        let y = array![0, 1, 0, 1];
        assert_eq!(
            roc_auc_score(y.view(), array![0.1, 0.9, 0.2, 0.8].view()).unwrap(),
            1.0
        );
        assert_eq!(
            roc_auc_score(y.view(), array![0.9, 0.1, 0.8, 0.2].view()).unwrap(),
            0.0
        );
        assert_eq!(
            roc_auc_score(y.view(), ndarray::Array1::from_elem(4, 0.5f32).view()).unwrap(),
            0.5
        );
        // Micro = accuracy for single-label targets.
        let t = array![0, 1, 2, 2, 1];
        let p = array![0, 2, 2, 1, 1];
        let acc = accuracy_score(t.view(), p.view()).unwrap();
        for avg in [precision_score, recall_score, f1_score] {
            assert!((avg(t.view(), p.view(), Average::Micro).unwrap() - acc).abs() < 1e-15);
        }
    }
}
