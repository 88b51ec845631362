//! [`KnnImputer`] → [`FittedKnnImputer`]: fills each missing value with the
//! (weighted) mean of that feature over the `k` nearest fit rows that have
//! it, by the NaN-aware Euclidean distance.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::check_no_inf;
use crate::error::{Error, Result};
use crate::numerics;
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};

/// How [`KnnImputer`] weighs the neighbours it averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    /// Every neighbour counts the same (scikit-learn's default).
    #[default]
    Uniform,
    /// Weight `1 / distance`.
    Distance,
}

/// Imputes missing values (NaN) from the `k` nearest neighbours found by
/// the NaN-aware Euclidean distance, as scikit-learn's `KNNImputer` (see
/// [Method](#method)).
///
/// # Method
/// As scikit-learn's `KNNImputer`:
///
/// - distance between rows `a` and `b`: `√(p / m · Σ (aⱼ − bⱼ)²)` over the
///   `m` coordinates present in both (`p` = number of features); NaN when
///   they share none (`nan_euclidean_distances`);
/// - for a missing cell of feature `j`, the donors are the fit rows where
///   `j` is present; the `min(k, donors)` nearest are averaged, with equal
///   weights (`Uniform`) or weights `1/d` (`Distance`; when some donor is at
///   distance 0, only those count); donors at NaN distance get weight 0, and
///   when every donor is at NaN distance the cell gets the feature's mean;
/// - features with no value at fit are dropped from the output (or, with
///   `keep_empty_features`, kept and filled with 0); `add_indicator` appends
///   one 0/1 column per feature that had missing values at fit.
///
/// Ties between donors at the same distance go to the earlier fit row
/// (scikit-learn's `argpartition` leaves the order of ties unspecified).
/// Distances are computed on the data divided by one power of two (exact),
/// so records near the limits of `f64` neither overflow nor lose their
/// ranking.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::KnnImputer;
///
/// let nan = f64::NAN;
/// let x = array![[1.0, 2.0], [1.1, nan], [5.0, 9.0], [0.9, 2.2], [5.2, 9.4]];
/// let imp = KnnImputer::new().n_neighbors(2).fit(x.view())?;
/// let z = imp.transform(x.view())?;
/// // Row 1 is near rows 0 and 3: the mean of 2.0 and 2.2.
/// assert!((z[[1, 1]] - 2.1).abs() < 1e-12);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[doc(alias = "KNNImputer")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnnImputer {
    pub(crate) n_neighbors: usize,
    pub(crate) weights: KnnWeights,
    pub(crate) add_indicator: bool,
    pub(crate) keep_empty_features: bool,
}

impl Default for KnnImputer {
    fn default() -> Self {
        Self::new()
    }
}

impl KnnImputer {
    /// 5 neighbours, uniform weights, no indicator, empty features dropped
    /// (scikit-learn's defaults).
    pub fn new() -> Self {
        KnnImputer {
            n_neighbors: 5,
            weights: KnnWeights::Uniform,
            add_indicator: false,
            keep_empty_features: false,
        }
    }

    /// Number of neighbours averaged, `≥ 1`. Default 5.
    pub fn n_neighbors(mut self, k: usize) -> Self {
        self.n_neighbors = k;
        self
    }

    /// How neighbours are weighted. Default [`KnnWeights::Uniform`].
    pub fn weights(mut self, weights: KnnWeights) -> Self {
        self.weights = weights;
        self
    }

    /// Whether to append missing-indicator columns (one per feature with
    /// missing values at fit). Default `false`.
    pub fn add_indicator(mut self, yes: bool) -> Self {
        self.add_indicator = yes;
        self
    }

    /// Whether features with no value at fit are kept (filled with 0)
    /// instead of dropped. Default `false`.
    pub fn keep_empty_features(mut self, yes: bool) -> Self {
        self.keep_empty_features = yes;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.n_neighbors == 0 {
            return Err(Error::invalid("n_neighbors", "must be >= 1, got 0"));
        }
        Ok(())
    }

    /// Stores the fit data (the neighbours of later transforms).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"n_neighbors"`); [`Error::EmptyInput`]
    /// without rows or columns; [`Error::NonFinite`] on ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedKnnImputer> {
        self.validate()?;
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
        check_no_inf(x)?;
        Ok(FittedKnnImputer::new(*self, x.to_owned()))
    }

    /// [`fit`](Self::fit), then transforms the same data.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.fit(x)?.transform(x)
    }
}

/// A fitted [`KnnImputer`]: the fit rows, and per feature whether it had
/// values, its mean, and whether it gets an indicator.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedKnnImputer;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{KnnImputer, KnnWeights};
///
/// let nan = f64::NAN;
/// let x = array![[0.0, 10.0, nan], [1.0, nan, nan], [3.0, 40.0, nan]];
/// let imp = KnnImputer::new()
///     .n_neighbors(2)
///     .weights(KnnWeights::Distance)
///     .add_indicator(true)
///     .fit(x.view())?;
/// // Feature 2 had no value: dropped; features 1 and 2 get indicators.
/// assert_eq!(imp.n_features_out(), 4);
/// let z = imp.transform(x.view())?;
/// // Row 1: donors at distances √2·1 and √2·2 → weights 1 and ½.
/// assert!((z[[1, 1]] - (10.0 + 40.0 / 2.0) / 1.5).abs() < 1e-12);
/// assert_eq!(z.row(1).to_vec()[2..], [1.0, 1.0]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-knn-{}.safetensors", std::process::id()));
/// imp.save(&path)?;
/// let back = FittedKnnImputer::load(&path)?;
/// let r = array![[2.0, 20.0, 0.0]];
/// assert_eq!(back.transform(r.view())?, imp.transform(r.view())?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedKnnImputer {
    params: KnnImputer,
    fit_x: Array2<f64>,
    /// Per feature: some value at fit.
    valid: Vec<bool>,
    /// Per feature: mean of its values at fit (0 for empty features).
    mean: Array1<f64>,
    /// Features with an indicator column (sorted).
    indicator: Vec<usize>,
}

impl FittedKnnImputer {
    fn new(params: KnnImputer, fit_x: Array2<f64>) -> Self {
        let p = fit_x.ncols();
        let mut valid = vec![false; p];
        let mut mean = Array1::zeros(p);
        let mut indicator = Vec::new();
        for (j, col) in fit_x.axis_iter(Axis(1)).enumerate() {
            let present: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
            valid[j] = !present.is_empty();
            if valid[j] {
                mean[j] = scaled_mean(&present, |_| 1.0);
            }
            if params.add_indicator && present.len() < col.len() {
                indicator.push(j);
            }
        }
        FittedKnnImputer {
            params,
            fit_x,
            valid,
            mean,
            indicator,
        }
    }

    /// Number of features seen at fit.
    pub fn n_features_in(&self) -> usize {
        self.fit_x.ncols()
    }

    /// Number of output columns: kept features, then indicators.
    pub fn n_features_out(&self) -> usize {
        let kept = if self.params.keep_empty_features {
            self.valid.len()
        } else {
            self.valid.iter().filter(|v| **v).count()
        };
        kept + self.indicator.len()
    }

    /// Indices of the features that get an indicator column.
    pub fn indicator_features(&self) -> &[usize] {
        &self.indicator
    }

    /// The hyperparameters it was fitted with.
    pub fn params(&self) -> &KnnImputer {
        &self.params
    }

    /// Output column names: the kept input names, then
    /// `missingindicator_<name>` per indicator.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless there is one name per input feature.
    pub fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        super::steps::check_names(input, self.n_features_in())?;
        let keep = self.params.keep_empty_features;
        Ok(input
            .iter()
            .zip(&self.valid)
            .filter(|(_, v)| keep || **v)
            .map(|(n, _)| n.clone())
            .chain(
                self.indicator
                    .iter()
                    .map(|&j| format!("missingindicator_{}", input[j])),
            )
            .collect())
    }

    /// Fills the missing values from the nearest fit rows; drops (or zeroes)
    /// the features that had no value at fit and appends the indicators.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another feature count,
    /// [`Error::NonFinite`] on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        super::check_transform_nan_ok(x, self.n_features_in())?;
        let p = self.n_features_in();
        // One power of two for the distances (exact; see the type docs).
        let s = numerics::pow2_scale(numerics::max_abs(
            x.iter()
                .chain(self.fit_x.iter())
                .copied()
                .filter(|v| !v.is_nan()),
        ));
        let filled: Vec<Vec<f64>> = x
            .axis_iter(Axis(0))
            .into_par_iter()
            .map(|row| self.impute_row(row, s))
            .collect();
        let keep = self.params.keep_empty_features;
        let out_cols: Vec<usize> = (0..p).filter(|&j| keep || self.valid[j]).collect();
        let mut out = Array2::zeros((x.nrows(), self.n_features_out()));
        for (i, row) in filled.iter().enumerate() {
            for (o, &j) in out_cols.iter().enumerate() {
                out[[i, o]] = if self.valid[j] { row[j] } else { 0.0 };
            }
            for (o, &j) in self.indicator.iter().enumerate() {
                out[[i, out_cols.len() + o]] = if x[[i, j]].is_nan() { 1.0 } else { 0.0 };
            }
        }
        Ok(out)
    }

    /// One row with its missing values of valid features filled.
    fn impute_row(&self, row: ArrayView1<'_, f64>, s: f64) -> Vec<f64> {
        let mut out = row.to_vec();
        let p = row.len();
        if !(0..p).any(|j| self.valid[j] && row[j].is_nan()) {
            return out;
        }
        let dist: Vec<f64> = self
            .fit_x
            .axis_iter(Axis(0))
            .map(|f| nan_euclidean(row, f, s))
            .collect();
        for j in (0..p).filter(|&j| self.valid[j] && row[j].is_nan()) {
            let col = self.fit_x.column(j);
            // Donors: fit rows with feature j, nearest first (NaN last, ties
            // by row).
            let mut donors: Vec<usize> = (0..col.len()).filter(|&i| !col[i].is_nan()).collect();
            if donors.iter().all(|&i| dist[i].is_nan()) {
                out[j] = self.mean[j];
                continue;
            }
            let k = self.params.n_neighbors.min(donors.len());
            let key = |&i: &usize| (dist[i].is_nan(), dist[i]);
            if k < donors.len() {
                donors.select_nth_unstable_by(k - 1, |a, b| {
                    key(a)
                        .partial_cmp(&key(b))
                        .expect("NaN handled by the flag")
                        .then(a.cmp(b))
                });
            }
            let chosen = &donors[..k];
            let any_zero = chosen.iter().any(|&i| dist[i] == 0.0);
            let weight = |i: usize| {
                let d = dist[i];
                if d.is_nan() {
                    0.0
                } else {
                    match self.params.weights {
                        KnnWeights::Uniform => 1.0,
                        KnnWeights::Distance if any_zero => f64::from(u8::from(d == 0.0)),
                        KnnWeights::Distance => 1.0 / d,
                    }
                }
            };
            let values: Vec<f64> = chosen.iter().map(|&i| col[i]).collect();
            let weights: Vec<f64> = chosen.iter().map(|&i| weight(i)).collect();
            out[j] = scaled_mean(&values, |t| weights[t]);
        }
        out
    }
}

/// `√(p/m · Σ ((a − b)/s)²)` over the coordinates present in both (NaN
/// when none is).
fn nan_euclidean(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>, s: f64) -> f64 {
    let (mut sum, mut m) = (0.0, 0usize);
    for (&u, &v) in a.iter().zip(b) {
        if !(u.is_nan() || v.is_nan()) {
            let d = u / s - v / s;
            sum += d * d;
            m += 1;
        }
    }
    if m == 0 {
        return f64::NAN;
    }
    (sum / m as f64 * a.len() as f64).sqrt()
}

/// `Σ wₜ·vₜ / Σ wₜ` computed on the values divided by a power of two (no
/// overflow near `f64::MAX`; bit-identical otherwise).
fn scaled_mean(v: &[f64], w: impl Fn(usize) -> f64) -> f64 {
    let s = numerics::pow2_scale(numerics::max_abs(v.iter().copied()));
    let (mut num, mut den) = (0.0, 0.0);
    for (t, x) in v.iter().enumerate() {
        num += w(t) * (x / s);
        den += w(t);
    }
    num / den * s
}

impl<'a> Fit<ArrayView2<'a, f64>, ()> for KnnImputer {
    type Fitted = FittedKnnImputer;
    fn fit(&self, x: ArrayView2<'a, f64>, _y: ()) -> Result<Self::Fitted> {
        KnnImputer::fit(self, x)
    }
}

impl<'a> Transform<ArrayView2<'a, f64>> for FittedKnnImputer {
    type Output = Array2<f64>;
    fn transform(&self, x: ArrayView2<'a, f64>) -> Result<Array2<f64>> {
        FittedKnnImputer::transform(self, x)
    }
}

impl Persist for FittedKnnImputer {
    const KIND: &'static str = "KnnImputer";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features_in())
            .with_hyperparameters(&self.params)?;
        // Model tensors are finite: the missing cells travel as a mask.
        file.push_f64(
            "fit_x",
            self.fit_x
                .mapv(|v| if v.is_nan() { 0.0 } else { v })
                .into_dyn(),
        );
        file.push_i64(
            "fit_missing",
            self.fit_x.mapv(|v| i64::from(v.is_nan())).into_dyn(),
        );
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        // Format version 1 is the only one so far. The row count comes from
        // the `fit_x` tensor; the mask must match it.
        let params: KnnImputer = file.hyperparameters()?;
        file.check_hyperparameters(params.validate())?;
        let p = Some(file.n_features()?);
        let mut fit_x = file.take_array2::<f64>("fit_x", [None, p])?;
        let missing = file.take_i64("fit_missing")?;
        file.check_shape("fit_missing", missing.shape(), &[Some(fit_x.nrows()), p])?;
        if fit_x.nrows() == 0 {
            return Err(file.format_error_at("tensor `fit_x`", "no fit rows"));
        }
        for (idx, &m) in missing.indexed_iter() {
            match m {
                0 => {}
                1 => fit_x[[idx[0], idx[1]]] = f64::NAN,
                other => {
                    return Err(file.format_error_at(
                        format!("tensor `fit_missing` at index [{}, {}]", idx[0], idx[1]),
                        format!("must be 0 or 1, got {other}"),
                    ));
                }
            }
        }
        Ok(FittedKnnImputer::new(params, fit_x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocessing::tests::close_rel;
    use ndarray::array;

    const NAN: f64 = f64::NAN;

    // Reference values (scikit-learn 1.9.1), in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from sklearn.impute import KNNImputer
    // nan = np.nan
    // X = np.array([[1.0, 2.0, nan, 4.0, nan], [3.0, nan, 1.5, 0.5, nan], [nan, 6.0, 2.5, 1.0, nan],
    //               [8.0, 8.5, nan, 2.0, nan], [0.5, 1.0, 4.0, nan, nan], [2.2, 3.1, 0.7, 3.3, nan],
    //               [5.0, 4.0, 3.0, 6.0, nan]])
    // for w in ['uniform', 'distance']:
    //     for k in [1, 2, 3, 10]:
    //         print(w, k, KNNImputer(n_neighbors=k, weights=w).fit(X).transform(X).tolist())
    // T = np.array([[nan, nan, nan, nan, 1.0], [2.0, nan, nan, 3.0, nan], [7.0, 7.0, 7.0, 7.0, 7.0]])
    // print(KNNImputer(n_neighbors=2, weights='distance').fit(X).transform(T).tolist())
    // imp = KNNImputer(n_neighbors=2, add_indicator=True, keep_empty_features=True).fit(X)
    // print(imp.transform(T).tolist())"
    fn x() -> Array2<f64> {
        array![
            [1.0, 2.0, NAN, 4.0, NAN],
            [3.0, NAN, 1.5, 0.5, NAN],
            [NAN, 6.0, 2.5, 1.0, NAN],
            [8.0, 8.5, NAN, 2.0, NAN],
            [0.5, 1.0, 4.0, NAN, NAN],
            [2.2, 3.1, 0.7, 3.3, NAN],
            [5.0, 4.0, 3.0, 6.0, NAN]
        ]
    }

    fn t() -> Array2<f64> {
        array![
            [NAN, NAN, NAN, NAN, 1.0],
            [2.0, NAN, NAN, 3.0, NAN],
            [7.0, 7.0, 7.0, 7.0, 7.0]
        ]
    }

    /// The imputed cells of `x()` (rows 0–4; rows 5 and 6 are complete), in
    /// order: (0,2), (1,1), (2,0), (3,2), (4,3).
    fn imputed(z: &Array2<f64>) -> [f64; 5] {
        [z[[0, 2]], z[[1, 1]], z[[2, 0]], z[[3, 2]], z[[4, 3]]]
    }

    #[test]
    fn uniform_and_distance_weights_match_sklearn() {
        let cases: [(KnnWeights, usize, [f64; 5]); 8] = [
            (KnnWeights::Uniform, 1, [4.0, 6.0, 3.0, 2.5, 4.0]),
            (KnnWeights::Uniform, 2, [2.35, 4.55, 5.5, 2.0, 3.65]),
            (
                KnnWeights::Uniform,
                3,
                [
                    2.566666666666667,
                    3.3666666666666667,
                    4.3999999999999995,
                    2.3333333333333335,
                    2.6,
                ],
            ),
            (
                KnnWeights::Uniform,
                10,
                [
                    2.34,
                    4.1000000000000005,
                    3.283333333333333,
                    2.34,
                    2.8000000000000003,
                ],
            ),
            (KnnWeights::Distance, 1, [4.0, 6.0, 3.0, 2.5, 4.0]),
            (
                KnnWeights::Distance,
                2,
                [
                    2.561520578147342,
                    5.095290211964321,
                    4.466998870581728,
                    2.1597153601564703,
                    3.82987809038959,
                ],
            ),
            (
                KnnWeights::Distance,
                3,
                [
                    2.6212396947361722,
                    4.363482133614648,
                    4.035506089250699,
                    2.3650640207254554,
                    3.186740798395595,
                ],
            ),
            (
                KnnWeights::Distance,
                10,
                [
                    2.488823638290134,
                    4.422991857217149,
                    3.5468463322366452,
                    2.2644442594782994,
                    3.2352306151902557,
                ],
            ),
        ];
        let x = x();
        for (w, k, want) in cases {
            let imp = KnnImputer::new()
                .n_neighbors(k)
                .weights(w)
                .fit(x.view())
                .unwrap();
            let z = imp.transform(x.view()).unwrap();
            // Feature 4 had no value at fit: dropped.
            assert_eq!(z.ncols(), 4);
            for (g, w_) in imputed(&z).iter().zip(want) {
                assert!(
                    (g - w_).abs() <= 1e-12 * w_.abs(),
                    "{w:?} k={k}: {g} vs {w_}"
                );
            }
            // Present values pass through unchanged.
            assert_eq!(z.row(5).to_vec(), [2.2, 3.1, 0.7, 3.3]);
        }
    }

    #[test]
    fn new_rows_empty_features_and_indicators_match_sklearn() {
        let imp = KnnImputer::new()
            .n_neighbors(2)
            .weights(KnnWeights::Distance)
            .fit(x().view())
            .unwrap();
        // Row 0 shares no present feature with the fit rows: column means.
        let want = array![
            [
                3.283333333333333,
                4.1000000000000005,
                2.34,
                2.8000000000000003
            ],
            [2.0, 2.876528263906308, 1.1794083888394558, 3.0],
            [7.0, 7.0, 7.0, 7.0]
        ];
        let z = imp.transform(t().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-12), "{z}");

        let imp = KnnImputer::new()
            .n_neighbors(2)
            .add_indicator(true)
            .keep_empty_features(true)
            .fit(x().view())
            .unwrap();
        let want = array![
            [
                3.283333333333333,
                4.1000000000000005,
                2.34,
                2.8000000000000003,
                0.0,
                1.0,
                1.0,
                1.0,
                1.0,
                0.0
            ],
            [2.0, 2.55, 2.35, 3.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
            [7.0, 7.0, 7.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        ];
        let z = imp.transform(t().view()).unwrap();
        assert!(close_rel(&z, &want, 1e-12), "{z}");
        // scikit-learn 1.9.1's get_feature_names_out leaves out the kept
        // empty feature `x4` (9 names for 10 columns); ours name every
        // output column.
        let names: Vec<String> = (0..5).map(|j| format!("x{j}")).collect();
        let out = imp.feature_names_out(&names).unwrap();
        assert_eq!(out.len(), imp.n_features_out());
        assert_eq!(out[4], "x4");
        assert_eq!(out[5], "missingindicator_x0");
        assert!(imp.feature_names_out(&names[..2]).is_err());
    }

    #[test]
    fn zero_distance_donors_take_all_the_weight() {
        let x = array![[1.0, 5.0], [1.0, 7.0], [2.0, 100.0], [1.0, NAN]];
        let imp = KnnImputer::new()
            .n_neighbors(3)
            .weights(KnnWeights::Distance)
            .fit(x.view())
            .unwrap();
        assert_eq!(imp.transform(x.view()).unwrap()[[3, 1]], 6.0);
    }

    #[test]
    fn records_near_the_f64_limit_keep_their_neighbours() {
        let x = x();
        let want = KnnImputer::new()
            .weights(KnnWeights::Distance)
            .n_neighbors(3)
            .fit_transform(x.view())
            .unwrap();
        for scale in [1e300, 1e-300] {
            let xs = x.mapv(|v| v * scale);
            let z = KnnImputer::new()
                .weights(KnnWeights::Distance)
                .n_neighbors(3)
                .fit_transform(xs.view())
                .unwrap();
            assert!(close_rel(&(z / scale), &want, 1e-12), "×{scale:e}");
        }
    }

    #[test]
    fn bad_input_and_parameters() {
        assert!(matches!(
            KnnImputer::new().n_neighbors(0).fit(x().view()),
            Err(Error::InvalidParameter {
                name: "n_neighbors",
                ..
            })
        ));
        assert!(matches!(
            KnnImputer::new().fit(array![[1.0, f64::INFINITY]].view()),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            KnnImputer::new().fit(Array2::zeros((0, 2)).view()),
            Err(Error::EmptyInput { .. })
        ));
        let imp = KnnImputer::new().fit(x().view()).unwrap();
        assert!(matches!(
            imp.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert_eq!(
            imp.transform(Array2::zeros((0, 5)).view()).unwrap().dim(),
            (0, 4)
        );
    }

    #[test]
    fn persist_round_trips_and_rejects_corruption() {
        let imp = KnnImputer::new()
            .n_neighbors(3)
            .add_indicator(true)
            .fit(x().view())
            .unwrap();
        let back = FittedKnnImputer::from_bytes(&imp.to_bytes().unwrap()).unwrap();
        let bits = |a: Array2<f64>| a.mapv(f64::to_bits);
        assert_eq!(
            bits(back.transform(t().view()).unwrap()),
            bits(imp.transform(t().view()).unwrap())
        );
        assert_eq!(back.indicator_features(), imp.indicator_features());
        let mut file = imp.to_model_file().unwrap();
        file.push_i64(
            "fit_missing",
            Array2::<i64>::from_elem((7, 5), 2).into_dyn(),
        );
        let e = FittedKnnImputer::from_bytes(&file.to_bytes().unwrap()).unwrap_err();
        assert!(e.to_string().contains("fit_missing"), "{e}");
        let mut file = imp.to_model_file().unwrap();
        file.push_i64("fit_missing", Array2::<i64>::zeros((6, 5)).into_dyn());
        assert!(matches!(
            FittedKnnImputer::from_bytes(&file.to_bytes().unwrap()),
            Err(Error::Format { .. })
        ));
    }
}
