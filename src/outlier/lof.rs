//! [`LocalOutlierFactor`] → [`FittedLocalOutlierFactor`]: how much sparser a
//! row's neighbourhood is than its neighbours' (Breunig, Kriegel, Ng &
//! Sander, 2000), with scikit-learn's semantics.
//!
//! # The score
//! With `k` neighbours (`N_k(a)`, Euclidean distance `d`) and `k-dist(b)` the
//! distance from `b` to its `k`-th neighbour:
//!
//! - reachability distance `reach(a, b) = max(d(a, b), k-dist(b))`;
//! - local reachability density `lrd(a) = 1 / (mean_{b ∈ N_k(a)} reach(a, b) + 1e-10)`
//!   (the `1e-10`, as scikit-learn's, keeps groups of more than `k`
//!   duplicates, whose reachability distances are all zero, finite);
//! - the negative outlier factor `−mean_{b ∈ N_k(a)} lrd(b) / lrd(a)`:
//!   about −1 for inliers, much lower for outliers.
//!
//! A training row is not its own neighbour (a duplicate of it is, at
//! distance 0). Neighbours come from an exact search: squared distances
//! from one GEMM per block of rows (the data centred first, which keeps the
//! `‖a‖² + ‖b‖² − 2a·b` cancellation small), the `k + 8` nearest candidates
//! kept, their distances recomputed exactly, and the `k` nearest taken, ties
//! by smaller row index.
//!
//! # Where scikit-learn warns
//! - `n_neighbors` above `n_rows − 1` uses `n_rows − 1` neighbours;
//!   [`FittedLocalOutlierFactor::n_neighbors`] reports the number used
//!   (scikit-learn's `n_neighbors_`), without a warning.
//! - More than `k` copies of a row make their k-distance zero and their
//!   density `1 / 1e-10`, so the rows that have them as neighbours get
//!   factors of −10¹⁰ and beyond (scikit-learn warns below −10⁷); a larger
//!   `n_neighbors` avoids them. These are the values of scikit-learn's tree
//!   searches, which, like ours, find identical rows at distance zero. Its
//!   brute-force search (its default above 15 features) computes distances
//!   as `√(‖a‖² + ‖b‖² − 2a·b)`, which puts identical rows of large
//!   magnitude about 10⁻⁵ apart, and so gives rounding noise in place of
//!   these factors.
//! - When distinct rows tie at the `k`-th distance, which of them is a
//!   neighbour changes the scores. Here the smaller row index wins;
//!   scikit-learn's own search algorithms (brute force, k-d tree, ball tree)
//!   do not agree with each other there (on the rounded iris measurements
//!   their factors differ by up to 0.1), so such data compares with
//!   scikit-learn only up to that choice.

use std::any::Any;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Slice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::isolation::{Contamination, OUTLIER_CLASSES};
use crate::compose::{Estimator, Features, FittedEstimator};
use crate::error::{Error, Result};
use crate::linalg::gemm_local;
use crate::persist::{ModelFile, Persist};
use crate::preprocessing::stats::percentile_sorted;
use crate::validation;

/// Query rows per parallel block.
const BLOCK_ROWS: usize = 64;
/// Training rows per GEMM tile (a `64 × 2048` tile of `f64` is 1 MiB).
const TILE_COLS: usize = 2048;
/// Extra candidates kept from the GEMM distances, re-ranked exactly.
const SLACK: usize = 8;
/// Added to the mean reachability distance before inverting it
/// (scikit-learn's guard against more than `k` duplicates).
const REACH_GUARD: f64 = 1e-10;

/// Local outlier factor: a row is an outlier when the density around it is
/// much lower than around its `k` nearest neighbours.
///
/// As scikit-learn's `LocalOutlierFactor` (Euclidean metric): `n_neighbors`
/// 20 (at most `n_rows − 1` are used), `contamination` `"auto"` (threshold
/// −1.5 on the negative outlier factor) or a fraction of the training rows.
///
/// - Outlier detection (`novelty(false)`, the default):
///   [`fit_predict`](Self::fit_predict) labels the training rows (−1
///   outlier, +1 inlier) and
///   [`negative_outlier_factor`](FittedLocalOutlierFactor::negative_outlier_factor)
///   scores them.
/// - Novelty detection (`novelty(true)`): the fitted model scores new rows
///   against the training rows ([`score_samples`](FittedLocalOutlierFactor::score_samples),
///   [`decision_function`](FittedLocalOutlierFactor::decision_function),
///   [`predict`](FittedLocalOutlierFactor::predict)), and saves to a model
///   file.
///
/// # Example
/// ```
/// use oxilearn::outlier::LocalOutlierFactor;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5], [6.0, 6.0]];
/// let labels = LocalOutlierFactor::new().n_neighbors(3).fit_predict(x.view())?;
/// assert_eq!(labels.to_vec(), [1, 1, 1, 1, 1, -1]);
///
/// let model = LocalOutlierFactor::new().n_neighbors(3).novelty(true).fit(x.view())?;
/// assert_eq!(model.predict(array![[0.4, 0.6], [-5.0, 3.0]].view())?.to_vec(), [1, -1]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocalOutlierFactor {
    n_neighbors: usize,
    contamination: Contamination,
    novelty: bool,
}

impl Default for LocalOutlierFactor {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalOutlierFactor {
    /// scikit-learn's defaults: 20 neighbours, contamination auto, outlier
    /// detection (no novelty).
    pub fn new() -> Self {
        LocalOutlierFactor {
            n_neighbors: 20,
            contamination: Contamination::Auto,
            novelty: false,
        }
    }

    /// Neighbours per row (`≥ 1`; more than `n_rows − 1` uses
    /// `n_rows − 1`, as scikit-learn does with a warning). Default 20.
    pub fn n_neighbors(mut self, k: usize) -> Self {
        self.n_neighbors = k;
        self
    }

    /// Expected share of outliers, which sets the threshold. Default
    /// [`Contamination::Auto`].
    pub fn contamination(mut self, c: Contamination) -> Self {
        self.contamination = c;
        self
    }

    /// Whether the fitted model scores new rows (novelty detection). Default
    /// `false`.
    pub fn novelty(mut self, yes: bool) -> Self {
        self.novelty = yes;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.n_neighbors == 0 {
            return Err(Error::invalid("n_neighbors", "must be >= 1, got 0"));
        }
        if let Contamination::Fraction(c) = self.contamination
            && !(c > 0.0 && c <= 0.5)
        {
            return Err(Error::invalid(
                "contamination",
                format!("must be in (0, 0.5], got {c}"),
            ));
        }
        Ok(())
    }

    /// Finds each training row's neighbours and scores the training rows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_neighbors = 0` or a contamination
    /// outside `(0, 0.5]`; [`Error::EmptyInput`] without features or with
    /// fewer than two rows; [`Error::NonFinite`] on NaN/inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedLocalOutlierFactor> {
        self.validate()?;
        validation::check_records(x)?;
        let n = x.nrows();
        if n < 2 {
            return Err(Error::EmptyInput {
                what: "x (LocalOutlierFactor needs at least two rows)",
            });
        }
        let k = self.n_neighbors.min(n - 1);
        let space = Space::new(x.to_owned());
        let (dist, ind) = space.kneighbors(x, k, true);
        let k_distance = dist.column(k - 1).to_owned();
        let lrd = reach_density(&dist, &ind, &k_distance);
        let nof = neg_factor(&ind, &lrd, &lrd);
        let offset = match self.contamination {
            Contamination::Auto => -1.5,
            Contamination::Fraction(c) => {
                let mut v = nof.to_vec();
                v.sort_by(f64::total_cmp);
                percentile_sorted(&v, 100.0 * c)
            }
        };
        Ok(FittedLocalOutlierFactor {
            params: *self,
            k,
            space,
            k_distance,
            lrd,
            nof,
            offset,
        })
    }

    /// Fits, and labels the training rows: −1 for outliers (negative outlier
    /// factor below the offset), +1 for inliers.
    ///
    /// # Errors
    /// [`Error::Unsupported`] with `novelty(true)` (as scikit-learn, which
    /// offers `fit_predict` only for outlier detection: a novelty model
    /// labels new rows with [`predict`](FittedLocalOutlierFactor::predict));
    /// otherwise as [`fit`](Self::fit).
    pub fn fit_predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        if self.novelty {
            return Err(Error::Unsupported {
                operation: "fit_predict",
                model: "LocalOutlierFactor".to_string(),
                reason: "not available with novelty(true): fit, then predict new rows (or \
                         use novelty(false) to label the training rows)"
                    .to_string(),
            });
        }
        Ok(self.fit(x)?.labels())
    }
}

/// `lrd` of each query row from its neighbour distances and the training
/// k-distances.
///
/// Sums run over the neighbours in index order, not distance order: rows
/// with the same neighbours and the same terms (a row within each
/// neighbour's k-distance has reachability distances equal to those
/// k-distances) get bit-identical scores, as the formula says.
fn reach_density(dist: &Array2<f64>, ind: &Array2<usize>, k_distance: &Array1<f64>) -> Array1<f64> {
    let k = dist.ncols() as f64;
    let mut terms = Vec::with_capacity(dist.ncols());
    Array1::from_iter(dist.outer_iter().zip(ind.outer_iter()).map(|(d, i)| {
        terms.clear();
        terms.extend(d.iter().zip(i).map(|(&dj, &j)| (j, dj.max(k_distance[j]))));
        terms.sort_unstable_by_key(|t| t.0);
        let sum: f64 = terms.iter().map(|t| t.1).sum();
        1.0 / (sum / k + REACH_GUARD)
    }))
}

/// `−mean_j lrd_train[ind[i, j]] / lrd_query[i]`, summed in index order (see
/// [`reach_density`]).
fn neg_factor(
    ind: &Array2<usize>,
    lrd_train: &Array1<f64>,
    lrd_query: &Array1<f64>,
) -> Array1<f64> {
    let k = ind.ncols() as f64;
    let mut order = Vec::with_capacity(ind.ncols());
    Array1::from_iter(ind.outer_iter().zip(lrd_query).map(|(i, &q)| {
        order.clear();
        order.extend(i.iter().copied());
        order.sort_unstable();
        let sum: f64 = order.iter().map(|&j| lrd_train[j] / q).sum();
        -(sum / k)
    }))
}

/// The training rows, ready for neighbour searches.
#[derive(Debug, Clone, PartialEq)]
struct Space {
    /// As given.
    x: Array2<f64>,
    /// Column means (what the GEMM copy is centred by).
    mean: Array1<f64>,
    /// `x − mean`, row-major.
    centred: Array2<f64>,
    /// Squared norms of the centred rows.
    norms: Vec<f64>,
}

impl Space {
    fn new(x: Array2<f64>) -> Space {
        let mean = x.mean_axis(Axis(0)).expect("at least one row");
        let centred = (&x - &mean).as_standard_layout().into_owned();
        let norms = centred.outer_iter().map(|r| r.dot(&r)).collect();
        Space {
            x,
            mean,
            centred,
            norms,
        }
    }

    /// The `k` nearest training rows of each row of `q` (distances ascending,
    /// ties by index); with `exclude_self`, `q` is the training data and
    /// row `i` is not its own neighbour.
    fn kneighbors(
        &self,
        q: ArrayView2<'_, f64>,
        k: usize,
        exclude_self: bool,
    ) -> (Array2<f64>, Array2<usize>) {
        let m = q.nrows();
        let mut dist = Array2::zeros((m, k));
        let mut ind = Array2::zeros((m, k));
        dist.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
            .into_par_iter()
            .zip(
                ind.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
                    .into_par_iter(),
            )
            .enumerate()
            .for_each(|(b, (mut d_out, mut i_out))| {
                let start = b * BLOCK_ROWS;
                let rows = q.slice_axis(Axis(0), Slice::from(start..start + d_out.nrows()));
                let found = self.block(rows, start, k, exclude_self);
                for (r, best) in found.into_iter().enumerate() {
                    for (c, (d, j)) in best.into_iter().enumerate() {
                        d_out[[r, c]] = d;
                        i_out[[r, c]] = j;
                    }
                }
            });
        (dist, ind)
    }

    /// Neighbours of one block of query rows (`first` = index of its first
    /// row, for self-exclusion).
    fn block(
        &self,
        rows: ArrayView2<'_, f64>,
        first: usize,
        k: usize,
        exclude_self: bool,
    ) -> Vec<Vec<(f64, usize)>> {
        let n = self.x.nrows();
        let available = n - usize::from(exclude_self);
        let keep = (k + SLACK).min(available);
        let qc = (&rows - &self.mean).as_standard_layout().into_owned();
        let qn: Vec<f64> = qc.outer_iter().map(|r| r.dot(&r)).collect();
        let mut cands: Vec<Vec<(f64, usize)>> = vec![Vec::with_capacity(keep + 1); rows.nrows()];
        let mut g = Array2::zeros((rows.nrows(), TILE_COLS.min(n)));
        for t0 in (0..n).step_by(TILE_COLS) {
            let t1 = (t0 + TILE_COLS).min(n);
            let mut gt = g.slice_axis_mut(Axis(1), Slice::from(..t1 - t0));
            gemm_local(
                1.0,
                qc.view(),
                self.centred.slice_axis(Axis(0), Slice::from(t0..t1)).t(),
                0.0,
                &mut gt,
            );
            for (r, best) in cands.iter_mut().enumerate() {
                let me = first + r;
                for (c, &dot) in gt.row(r).iter().enumerate() {
                    let j = t0 + c;
                    if exclude_self && j == me {
                        continue;
                    }
                    let d2 = (qn[r] + self.norms[j] - 2.0 * dot).max(0.0);
                    push_best(best, keep, (d2, j));
                }
            }
        }
        // Exact distances of the candidates, then the k nearest.
        cands
            .into_iter()
            .zip(rows.outer_iter())
            .map(|(best, q)| {
                let mut exact: Vec<(f64, usize)> = best
                    .into_iter()
                    .map(|(_, j)| {
                        let d2: f64 = q
                            .iter()
                            .zip(self.x.row(j))
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum();
                        (d2.sqrt(), j)
                    })
                    .collect();
                exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                exact.truncate(k);
                exact
            })
            .collect()
    }
}

/// Keeps the `keep` smallest `(d², index)` pairs in `best`, sorted.
#[inline]
fn push_best(best: &mut Vec<(f64, usize)>, keep: usize, item: (f64, usize)) {
    let less = |a: &(f64, usize), b: &(f64, usize)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
    if best.len() == keep {
        match best.last() {
            Some(worst) if less(&item, worst) => {
                best.pop();
            }
            _ => return,
        }
    }
    let mut pos = best.len();
    while pos > 0 && less(&item, &best[pos - 1]) {
        pos -= 1;
    }
    best.insert(pos, item);
}

/// A fitted [`LocalOutlierFactor`]: the training rows, their k-distances,
/// densities and negative outlier factors, and the offset.
///
/// # Example
/// ```
/// use oxilearn::outlier::{FittedLocalOutlierFactor, LocalOutlierFactor};
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::Persist;
///
/// let x = array![[0.0], [0.1], [0.2], [0.3], [0.4], [3.0]];
/// let lof = LocalOutlierFactor::new().n_neighbors(2).novelty(true).fit(x.view())?;
/// assert!(lof.negative_outlier_factor()[5] < -1.5);
/// assert!(lof.score_samples(array![[0.25]].view())?[0] > -1.5);
///
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-lof-{}.safetensors", std::process::id()));
/// lof.save(&path)?;
/// let back = FittedLocalOutlierFactor::load(&path)?;
/// assert_eq!(back, lof);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLocalOutlierFactor {
    params: LocalOutlierFactor,
    /// Neighbours used (scikit-learn's `n_neighbors_`).
    k: usize,
    space: Space,
    k_distance: Array1<f64>,
    lrd: Array1<f64>,
    nof: Array1<f64>,
    offset: f64,
}

impl FittedLocalOutlierFactor {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.space.x.ncols()
    }

    /// Number of training rows.
    pub fn n_samples_fit(&self) -> usize {
        self.space.x.nrows()
    }

    /// Neighbours used: `min(n_neighbors, n_rows − 1)` (scikit-learn's
    /// `n_neighbors_`).
    pub fn n_neighbors(&self) -> usize {
        self.k
    }

    /// The hyperparameters used at fit.
    pub fn params(&self) -> &LocalOutlierFactor {
        &self.params
    }

    /// The negative outlier factor of each training row (scikit-learn's
    /// `negative_outlier_factor_`): about −1 for inliers, lower for
    /// outliers.
    pub fn negative_outlier_factor(&self) -> ArrayView1<'_, f64> {
        self.nof.view()
    }

    /// The threshold on the negative outlier factor (scikit-learn's
    /// `offset_`): −1.5 for [`Contamination::Auto`], else the contamination
    /// percentile of the training factors.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// The training rows' labels (scikit-learn's `fit_predict`): −1 where the
    /// negative outlier factor is below the offset, else +1.
    pub fn labels(&self) -> Array1<i64> {
        self.nof.mapv(|f| if f < self.offset { -1 } else { 1 })
    }

    fn check_novelty(&self, operation: &'static str) -> Result<()> {
        if self.params.novelty {
            return Ok(());
        }
        Err(Error::Unsupported {
            operation,
            model: <Self as Persist>::KIND.to_string(),
            reason: "scoring new rows needs novelty(true); the training rows' scores are \
                     negative_outlier_factor()"
                .to_string(),
        })
    }

    /// The negative outlier factor of new rows against the training rows
    /// (their `k` nearest training rows as neighbours): the lower, the more
    /// abnormal.
    ///
    /// # Errors
    /// [`Error::Unsupported`] unless fitted with `novelty(true)`;
    /// [`Error::ShapeMismatch`] for another feature count;
    /// [`Error::NonFinite`] on NaN/inf.
    pub fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.check_novelty("score_samples")?;
        validation::check_predict_input(x, self.n_features())?;
        let (dist, ind) = self.space.kneighbors(x, self.k, false);
        let lrd = reach_density(&dist, &ind, &self.k_distance);
        Ok(neg_factor(&ind, &self.lrd, &lrd))
    }

    /// `score_samples − offset`: negative for outliers.
    ///
    /// # Errors
    /// As [`score_samples`](Self::score_samples).
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.score_samples(x)? - self.offset)
    }

    /// −1 for outliers (`decision_function < 0`), +1 for inliers.
    ///
    /// # Errors
    /// As [`score_samples`](Self::score_samples).
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        Ok(self
            .decision_function(x)?
            .mapv(|d| if d < 0.0 { -1 } else { 1 }))
    }
}

/// What a LOF file stores in its hyperparameters.
#[derive(Serialize, Deserialize)]
struct LofState {
    params: LocalOutlierFactor,
    n_neighbors: usize,
    offset: f64,
}

impl Persist for FittedLocalOutlierFactor {
    const KIND: &'static str = "LocalOutlierFactor";

    /// Tensors: `x_fit` (the training rows), `k_distance`, `lrd` and
    /// `negative_outlier_factor` (one per training row).
    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features())
            .with_classes(&OUTLIER_CLASSES)?
            .with_hyperparameters(&LofState {
                params: self.params,
                n_neighbors: self.k,
                offset: self.offset,
            })?;
        file.push_f64("x_fit", self.space.x.clone().into_dyn());
        file.push_f64("k_distance", self.k_distance.clone().into_dyn());
        file.push_f64("lrd", self.lrd.clone().into_dyn());
        file.push_f64("negative_outlier_factor", self.nof.clone().into_dyn());
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let p = file.n_features()?;
        let s: LofState = file.hyperparameters()?;
        file.check_hyperparameters(s.params.validate())?;
        file.expect_classes(&OUTLIER_CLASSES)?;
        let x = file.take_array2::<f64>("x_fit", [None, Some(p)])?;
        let n = x.nrows();
        if p == 0 || n < 2 {
            return Err(file.format_error("x_fit needs at least two rows and one feature"));
        }
        if s.n_neighbors == 0 || s.n_neighbors != s.params.n_neighbors.min(n - 1) {
            return Err(file.format_error_at(
                "hyperparameter `n_neighbors`",
                format!(
                    "{} neighbours for {} training rows and n_neighbors = {}",
                    s.n_neighbors, n, s.params.n_neighbors
                ),
            ));
        }
        if !s.offset.is_finite() {
            return Err(file.format_error_at("hyperparameter `offset`", "must be finite"));
        }
        let k_distance = file.take_array1::<f64>("k_distance", Some(n))?;
        let lrd = file.take_array1::<f64>("lrd", Some(n))?;
        let nof = file.take_array1::<f64>("negative_outlier_factor", Some(n))?;
        for (name, a, ok) in [
            (
                "k_distance",
                &k_distance,
                (|v: f64| v >= 0.0) as fn(f64) -> bool,
            ),
            // 1 / (mean reachability + REACH_GUARD) ≤ 1 / REACH_GUARD.
            ("lrd", &lrd, |v| v > 0.0 && v <= 1.0 / REACH_GUARD),
            ("negative_outlier_factor", &nof, |v| v < 0.0),
        ] {
            if let Some(i) = a.iter().position(|&v| !ok(v)) {
                return Err(file.format_error_at(
                    format!("tensor `{name}` at index [{i}]"),
                    format!("{} is out of range", a[i]),
                ));
            }
        }
        Ok(FittedLocalOutlierFactor {
            params: s.params,
            k: s.n_neighbors,
            space: Space::new(x),
            k_distance,
            lrd,
            nof,
            offset: s.offset,
        })
    }
}

impl Estimator<i64> for LocalOutlierFactor {
    /// Fits on `x`; `y` is ignored (pass any array of `x.nrows()` values).
    fn fit(
        &self,
        x: Features<'_>,
        _y: ArrayView1<'_, i64>,
    ) -> Result<Box<dyn FittedEstimator<i64>>> {
        let x = x.to_matrix()?;
        Ok(Box::new(LocalOutlierFactor::fit(self, x.view())?))
    }

    fn params(&self) -> Vec<(String, String)> {
        let p = |k: &str, v: String| (k.to_string(), v);
        vec![
            p("n_neighbors", self.n_neighbors.to_string()),
            p(
                "contamination",
                match self.contamination {
                    Contamination::Auto => "auto".into(),
                    Contamination::Fraction(c) => c.to_string(),
                },
            ),
            p("novelty", self.novelty.to_string()),
        ]
    }

    fn clone_box(&self) -> Box<dyn Estimator<i64>> {
        Box::new(*self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FittedEstimator<i64> for FittedLocalOutlierFactor {
    fn kind(&self) -> &'static str {
        <Self as Persist>::KIND
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<i64>> {
        FittedLocalOutlierFactor::predict(self, x.to_matrix()?.view())
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let d = FittedLocalOutlierFactor::decision_function(self, x.to_matrix()?.view())?;
        Ok(d.insert_axis(Axis(1)))
    }

    fn score_samples(&self, x: Features<'_>) -> Result<Array1<f64>> {
        FittedLocalOutlierFactor::score_samples(self, x.to_matrix()?.view())
    }

    fn classes(&self) -> Option<&[i64]> {
        Some(&OUTLIER_CLASSES)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    // Reference values (scikit-learn 1.9.1, default algorithm: a k-d tree,
    // exact distances), in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np; from sklearn.neighbors import LocalOutlierFactor
    // rng = np.random.RandomState(3); X = np.round(rng.normal(size=(18, 2)), 3)
    // X = np.vstack([X, [[4.0, 4.0], [-3.5, 2.5]]]); X[5] = X[4]; X[6] = X[4]
    // Q = np.array([[0.0, 0.0], [3.0, 3.0], X[4].tolist(), [-1.0, 1.5]])
    // for k, c in [(3, 'auto'), (5, 0.1), (2, 'auto')]:
    //     m = LocalOutlierFactor(n_neighbors=k, contamination=c).fit(X)
    //     print(m.negative_outlier_factor_.tolist(), m.offset_)
    //     print(LocalOutlierFactor(n_neighbors=k, contamination=c).fit_predict(X).tolist())
    //     n = LocalOutlierFactor(n_neighbors=k, contamination=c, novelty=True).fit(X)
    //     print(n.score_samples(Q).tolist(), n.predict(Q).tolist())"
    fn x() -> Array2<f64> {
        array![
            [1.789, 0.437],
            [0.096, -1.863],
            [-0.277, -0.355],
            [-0.083, -0.627],
            [-0.044, -0.477],
            [-0.044, -0.477],
            [-0.044, -0.477],
            [0.05, -0.405],
            [-0.545, -1.546],
            [0.982, -1.101],
            [-1.185, -0.206],
            [1.486, 0.237],
            [-1.024, -0.713],
            [0.625, -0.161],
            [-0.769, -0.23],
            [0.745, 1.976],
            [-1.244, -0.626],
            [-0.804, -2.419],
            [4.0, 4.0],
            [-3.5, 2.5]
        ]
    }

    fn q() -> Array2<f64> {
        array![[0.0, 0.0], [3.0, 3.0], [-0.044, -0.477], [-1.0, 1.5]]
    }

    fn assert_rel(got: ArrayView1<'_, f64>, want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-10 * w.abs().max(1.0),
                "[{i}]: {g} vs {w}"
            );
        }
    }

    struct Reference {
        k: usize,
        contamination: Contamination,
        nof: [f64; 20],
        offset: f64,
        labels: [i64; 20],
        score: [f64; 4],
        pred: [i64; 4],
    }

    fn references() -> Vec<Reference> {
        vec![
            Reference {
                k: 3,
                contamination: Contamination::Auto,
                nof: [
                    -1.5187602969854217,
                    -1.0515032891388765,
                    -2.2212339288337213,
                    -1.308945410535527,
                    -1.0,
                    -1.0,
                    -1.0,
                    -1.0,
                    -1.4230323040172042,
                    -6.047642241206407,
                    -1.0318721254505465,
                    -1.3697379015639255,
                    -1.020514934899715,
                    -5.924192839381834,
                    -1.2904665853277126,
                    -1.8488876559676264,
                    -1.020514934899715,
                    -1.4230323040172042,
                    -2.661902814463797,
                    -6.783803877237368,
                ],
                offset: -1.5,
                labels: [
                    -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1,
                ],
                score: [
                    -3.0749673568484854,
                    -1.550578634933019,
                    -1.0,
                    -2.585959503883591,
                ],
                pred: [-1, -1, 1, -1],
            },
            Reference {
                k: 5,
                contamination: Contamination::Fraction(0.1),
                nof: [
                    -2.4849317862253906,
                    -2.4823496442447603,
                    -0.9715787435801495,
                    -0.9715787435801495,
                    -1.028862129935235,
                    -1.028862129935235,
                    -1.028862129935235,
                    -0.9742340806710897,
                    -1.7598714841647343,
                    -2.898888413076996,
                    -1.9511358177083928,
                    -2.8622763280567747,
                    -1.942531741841449,
                    -2.467074713714447,
                    -1.7721994974752704,
                    -4.1437807080893325,
                    -1.4821199763392277,
                    -2.2375512943982345,
                    -6.141140495351111,
                    -3.5940781202884637,
                ],
                offset: -3.6490483790685504,
                labels: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, 1, 1, -1, 1],
                score: [
                    -1.5339181483231092,
                    -2.371789991134359,
                    -0.9715787435801495,
                    -2.8357967654101435,
                ],
                pred: [1, 1, 1, 1],
            },
            // Three duplicates and k = 2: their k-distance is 0, so the
            // 1e-10 term sets the scale (scikit-learn warns).
            Reference {
                k: 2,
                contamination: Contamination::Auto,
                nof: [
                    -1.3270997655303276,
                    -0.9651943383208468,
                    -2630076045.527991,
                    -1549870963.3707392,
                    -1.0,
                    -1.0,
                    -1.0,
                    -1184060810.2492545,
                    -1.0748196158293475,
                    -5.373658574665073,
                    -0.9872821044341467,
                    -1.3270997655303276,
                    -1.0130498282720868,
                    -3411262580.186381,
                    -1.3856726555430994,
                    -1.6613701630224975,
                    -1.0130498282720868,
                    -0.9651943383208468,
                    -2.8481143946897927,
                    -7.85814650082294,
                ],
                offset: -1.5,
                labels: [
                    1, 1, -1, -1, 1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1,
                ],
                score: [
                    -2.6282208799195947,
                    -1.3048258649349236,
                    -1.0,
                    -3.7148790804810248,
                ],
                pred: [-1, 1, 1, -1],
            },
        ]
    }

    #[test]
    fn matches_sklearn() {
        let (x, q) = (x(), q());
        for r in references() {
            let lof = LocalOutlierFactor::new()
                .n_neighbors(r.k)
                .contamination(r.contamination);
            let m = lof.fit(x.view()).unwrap();
            assert_rel(m.negative_outlier_factor(), &r.nof);
            assert!((m.offset() - r.offset).abs() <= 1e-12, "{}", m.offset());
            assert_eq!(lof.fit_predict(x.view()).unwrap().to_vec(), r.labels);
            let n = lof.novelty(true).fit(x.view()).unwrap();
            assert_rel(n.score_samples(q.view()).unwrap().view(), &r.score);
            assert_eq!(n.predict(q.view()).unwrap().to_vec(), r.pred);
            let d = n.decision_function(q.view()).unwrap();
            assert!((d[0] - (r.score[0] - r.offset)).abs() <= 1e-9);
        }
    }

    /// The GEMM tiles and blocks give the same neighbours as a plain scan,
    /// across tile and block boundaries.
    #[test]
    fn search_equals_brute_force() {
        let n = 2 * TILE_COLS + 37;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            let t = (i * 7919 + j * 104_729) % 10_007;
            1e3 + t as f64 / 97.0
        });
        let space = Space::new(x.clone());
        let k = 4;
        let rows: Vec<usize> = vec![0, 63, 64, 2100, n - 1];
        let (dist, ind) = space.kneighbors(x.view(), k, true);
        for &i in &rows {
            let mut all: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d: f64 = x
                        .row(i)
                        .iter()
                        .zip(x.row(j))
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (d.sqrt(), j)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<usize> = all[..k].iter().map(|p| p.1).collect();
            assert_eq!(ind.row(i).to_vec(), want, "row {i}");
            assert_eq!(dist[[i, 0]], all[0].0);
        }
    }

    #[test]
    fn bad_input_and_modes() {
        let x = x();
        assert!(matches!(
            LocalOutlierFactor::new().n_neighbors(0).fit(x.view()),
            Err(Error::InvalidParameter {
                name: "n_neighbors",
                ..
            })
        ));
        assert!(matches!(
            LocalOutlierFactor::new()
                .contamination(Contamination::Fraction(0.7))
                .fit(x.view()),
            Err(Error::InvalidParameter {
                name: "contamination",
                ..
            })
        ));
        assert!(matches!(
            LocalOutlierFactor::new().fit(array![[1.0, 2.0]].view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            LocalOutlierFactor::new().fit(array![[1.0], [f64::NAN]].view()),
            Err(Error::NonFinite { .. })
        ));
        // More neighbours than rows: n_rows − 1.
        let m = LocalOutlierFactor::new().fit(x.view()).unwrap();
        assert_eq!(m.n_neighbors(), 19);
        // Novelty mode does not label the training rows (scikit-learn has no
        // fit_predict there either).
        assert!(matches!(
            LocalOutlierFactor::new()
                .novelty(true)
                .fit_predict(x.view()),
            Err(Error::Unsupported {
                operation: "fit_predict",
                ..
            })
        ));
        // Outlier-detection mode does not score new rows.
        assert!(matches!(
            m.score_samples(q().view()),
            Err(Error::Unsupported { .. })
        ));
        let n = LocalOutlierFactor::new()
            .novelty(true)
            .fit(x.view())
            .unwrap();
        assert!(matches!(
            n.predict(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            n.predict(array![[1.0, f64::INFINITY]].view()),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn persistence_round_trips_and_validates() {
        let m = LocalOutlierFactor::new()
            .n_neighbors(3)
            .novelty(true)
            .fit(x().view())
            .unwrap();
        let back = FittedLocalOutlierFactor::from_bytes(&m.to_bytes().unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            back.score_samples(q().view()).unwrap(),
            m.score_samples(q().view()).unwrap()
        );
        let mut file = Persist::to_model_file(&m).unwrap();
        let mut lrd = m.lrd.clone();
        lrd[3] = 0.0;
        file.push_f64("lrd", lrd.into_dyn());
        let err = FittedLocalOutlierFactor::from_bytes(&file.to_bytes().unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("tensor `lrd` at index [3]"),
            "{err}"
        );
    }
}
