//! [`IsolationForest`] → [`FittedIsolationForest`]: outlier scores from how
//! quickly random axis-aligned splits isolate a row (Liu, Ting & Zhou, 2008),
//! with scikit-learn's semantics.

use std::any::Any;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, IxDyn, Slice};
use rand::seq::index::sample;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compose::{Estimator, Features, FittedEstimator};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::preprocessing::stats::percentile_sorted;
use crate::validation;

/// How many rows each tree is grown on.
///
/// # Example
/// ```
/// use oxilearn::outlier::MaxSamples;
/// assert_eq!(MaxSamples::default(), MaxSamples::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxSamples {
    /// `min(256, n_rows)` (scikit-learn's `"auto"`).
    #[default]
    Auto,
    /// This many rows (at most `n_rows`: more is clipped to `n_rows`, as
    /// scikit-learn does with a warning).
    Count(usize),
    /// This fraction of the rows, in `(0, 1]`.
    Fraction(f64),
}

/// The share of outliers expected in the training data, which sets the
/// threshold of [`FittedIsolationForest::predict`].
///
/// # Example
/// ```
/// use oxilearn::outlier::Contamination;
/// assert_eq!(Contamination::default(), Contamination::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contamination {
    /// The detector's fixed threshold from its paper: a score below −0.5 for
    /// [`IsolationForest`], a negative outlier factor below −1.5 for
    /// [`LocalOutlierFactor`](super::LocalOutlierFactor).
    #[default]
    Auto,
    /// This fraction of the training rows, in `(0, 0.5]`, is flagged.
    Fraction(f64),
}

/// How many features each tree draws from.
///
/// # Example
/// ```
/// use oxilearn::outlier::MaxFeatures;
/// assert_eq!(MaxFeatures::default(), MaxFeatures::Fraction(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// This many features (`1 ≤ k ≤ n_features`).
    Count(usize),
    /// This fraction of the features, in `(0, 1]` (at least one).
    Fraction(f64),
}

impl Default for MaxFeatures {
    fn default() -> Self {
        MaxFeatures::Fraction(1.0)
    }
}

/// An isolation forest: an ensemble of random trees, each grown on a random
/// subsample, where outliers end up isolated near the root.
///
/// As scikit-learn's `IsolationForest`: 100 trees, `max_samples` `"auto"` =
/// `min(256, n)`, depth limit `⌈log₂ max_samples⌉`, each split on a random
/// feature at a uniform random threshold between the node's minimum and
/// maximum; [`score_samples`](FittedIsolationForest::score_samples) is
/// `−2^(−E[h(x)] / c(max_samples))` (lower = more abnormal),
/// [`decision_function`](FittedIsolationForest::decision_function) subtracts
/// the offset set by [`Contamination`], and
/// [`predict`](FittedIsolationForest::predict) gives −1 for outliers, +1 for
/// inliers. Trees are grown in parallel, each from its own seed drawn from
/// [`seed`](Self::seed): the forest is the same on any number of threads.
/// Because the trees are random, results equal scikit-learn's in
/// distribution (ROC AUC of the scores), not value by value.
///
/// # Example
/// ```
/// use oxilearn::outlier::IsolationForest;
/// use oxilearn::ndarray::{array, Array2};
///
/// // A tight cluster and one far point.
/// let mut x = Array2::from_shape_fn((50, 2), |(i, j)| ((i * 7 + j * 3) % 10) as f64 / 10.0);
/// x[[49, 0]] = 25.0;
/// let forest = IsolationForest::new().seed(7).fit(x.view())?;
/// let scores = forest.score_samples(x.view())?;
/// let lowest = scores.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
/// assert_eq!(lowest, 49);
/// assert_eq!(forest.predict(array![[25.0, 0.5]].view())?.to_vec(), [-1]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IsolationForest {
    n_estimators: usize,
    max_samples: MaxSamples,
    contamination: Contamination,
    max_features: MaxFeatures,
    bootstrap: bool,
    seed: u64,
}

impl Default for IsolationForest {
    fn default() -> Self {
        Self::new()
    }
}

impl IsolationForest {
    /// scikit-learn's defaults: 100 trees, `max_samples` auto, contamination
    /// auto, all features, no bootstrap; seed 0.
    pub fn new() -> Self {
        IsolationForest {
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            contamination: Contamination::Auto,
            max_features: MaxFeatures::Fraction(1.0),
            bootstrap: false,
            seed: 0,
        }
    }

    /// Number of trees (`≥ 1`). Default 100.
    pub fn n_estimators(mut self, n: usize) -> Self {
        self.n_estimators = n;
        self
    }

    /// Rows per tree. Default [`MaxSamples::Auto`].
    pub fn max_samples(mut self, m: MaxSamples) -> Self {
        self.max_samples = m;
        self
    }

    /// Expected share of outliers. Default [`Contamination::Auto`].
    pub fn contamination(mut self, c: Contamination) -> Self {
        self.contamination = c;
        self
    }

    /// Features per tree. Default all.
    pub fn max_features(mut self, m: MaxFeatures) -> Self {
        self.max_features = m;
        self
    }

    /// Whether each tree's rows are drawn with replacement. Default `false`.
    pub fn bootstrap(mut self, yes: bool) -> Self {
        self.bootstrap = yes;
        self
    }

    /// The seed of the forest. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the hyperparameters (what `fit` and the loader check).
    fn validate(&self) -> Result<()> {
        if self.n_estimators == 0 {
            return Err(Error::invalid("n_estimators", "must be >= 1, got 0"));
        }
        match self.max_samples {
            MaxSamples::Count(0) => {
                return Err(Error::invalid("max_samples", "must be >= 1, got 0"));
            }
            MaxSamples::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(Error::invalid(
                    "max_samples",
                    format!("a fraction must be in (0, 1], got {f}"),
                ));
            }
            _ => {}
        }
        if let Contamination::Fraction(c) = self.contamination
            && !(c > 0.0 && c <= 0.5)
        {
            return Err(Error::invalid(
                "contamination",
                format!("must be in (0, 0.5], got {c}"),
            ));
        }
        match self.max_features {
            MaxFeatures::Count(0) => Err(Error::invalid("max_features", "must be >= 1, got 0")),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => Err(Error::invalid(
                "max_features",
                format!("a fraction must be in (0, 1], got {f}"),
            )),
            _ => Ok(()),
        }
    }

    /// Grows the forest on the rows of `x` and sets the outlier threshold.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a hyperparameter out of range (or
    /// `max_features` above the feature count); [`Error::EmptyInput`]
    /// without rows or features; [`Error::NonFinite`] on NaN/inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedIsolationForest> {
        self.validate()?;
        validation::check_records(x)?;
        let (n, p) = x.dim();
        let psi = match self.max_samples {
            MaxSamples::Auto => n.min(256),
            MaxSamples::Count(c) => c.min(n),
            MaxSamples::Fraction(f) => ((f * n as f64) as usize).max(1),
        };
        let k = match self.max_features {
            MaxFeatures::Count(c) if c > p => {
                return Err(Error::invalid(
                    "max_features",
                    format!("{c} features asked, the data has {p}"),
                ));
            }
            MaxFeatures::Count(c) => c,
            MaxFeatures::Fraction(f) => ((f * p as f64) as usize).max(1),
        };
        let max_depth = (psi.max(2) as f64).log2().ceil() as usize;
        let mut master = ChaCha8Rng::seed_from_u64(self.seed);
        let seeds: Vec<u64> = (0..self.n_estimators).map(|_| master.next_u64()).collect();
        let grower = Grower {
            x,
            psi,
            k,
            bootstrap: self.bootstrap,
            max_depth,
        };
        let trees: Vec<Tree> = seeds.par_iter().map(|&s| grower.grow(s)).collect();
        let mut forest = FittedIsolationForest {
            params: *self,
            n_features: p,
            max_samples: psi,
            offset: -0.5,
            trees,
        };
        if let Contamination::Fraction(c) = self.contamination {
            let mut s = forest.score_samples(x)?.to_vec();
            s.sort_by(f64::total_cmp);
            forest.offset = percentile_sorted(&s, 100.0 * c);
        }
        Ok(forest)
    }
}

/// The average path length of an unsuccessful search in a binary search
/// tree of `n` keys: the expected depth still to go in a leaf of `n` rows.
fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

/// Marks a leaf in [`Tree::feature`].
const LEAF: u32 = u32::MAX;

/// One tree, nodes in creation order; a node's children are `left` and
/// `left + 1`; a leaf holds its path length (depth + expected rest) in
/// `value`, an inner node its threshold (`x ≤ threshold` goes left).
#[derive(Debug, Clone, PartialEq)]
struct Tree {
    feature: Vec<u32>,
    value: Vec<f64>,
    left: Vec<u32>,
}

impl Tree {
    #[inline]
    fn path_length(&self, row: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let f = self.feature[i];
            if f == LEAF {
                return self.value[i];
            }
            let l = self.left[i] as usize;
            i = if row[f as usize] <= self.value[i] {
                l
            } else {
                l + 1
            };
        }
    }
}

/// What growing one tree needs.
struct Grower<'a> {
    x: ArrayView2<'a, f64>,
    psi: usize,
    k: usize,
    bootstrap: bool,
    max_depth: usize,
}

/// One tree under construction: its rows' values, feature by feature.
struct Build<'b> {
    cols: Vec<Vec<f64>>,
    features: Vec<u32>,
    rng: &'b mut ChaCha8Rng,
    max_depth: usize,
    tree: Tree,
    candidates: Vec<usize>,
}

impl Grower<'_> {
    fn grow(&self, seed: u64) -> Tree {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (n, p) = self.x.dim();
        let features: Vec<u32> = if self.k < p {
            let mut f: Vec<u32> = sample(&mut rng, p, self.k)
                .into_iter()
                .map(|j| j as u32)
                .collect();
            f.sort_unstable();
            f
        } else {
            (0..p as u32).collect()
        };
        let rows: Vec<usize> = if self.bootstrap {
            (0..self.psi).map(|_| rng.random_range(0..n)).collect()
        } else {
            sample(&mut rng, n, self.psi).into_vec()
        };
        let cols = features
            .iter()
            .map(|&f| rows.iter().map(|&i| self.x[[i, f as usize]]).collect())
            .collect();
        let mut idx: Vec<usize> = (0..self.psi).collect();
        let mut b = Build {
            cols,
            features,
            rng: &mut rng,
            max_depth: self.max_depth,
            tree: Tree {
                feature: vec![LEAF],
                value: vec![0.0],
                left: vec![0],
            },
            candidates: Vec::new(),
        };
        b.node(0, &mut idx, 0);
        b.tree
    }
}

impl Build<'_> {
    fn node(&mut self, at: usize, idx: &mut [usize], depth: usize) {
        let n = idx.len();
        if depth >= self.max_depth || n <= 1 {
            self.tree.value[at] = depth as f64 + average_path_length(n);
            return;
        }
        // A random feature that is not constant in the node (as
        // scikit-learn's random splitter: constant ones are skipped).
        self.candidates.clear();
        self.candidates.extend(0..self.cols.len());
        let mut remaining = self.candidates.len();
        let split = loop {
            if remaining == 0 {
                break None;
            }
            let pick = self.rng.random_range(0..remaining);
            let f = self.candidates[pick];
            let col = &self.cols[f];
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &i in idx.iter() {
                lo = lo.min(col[i]);
                hi = hi.max(col[i]);
            }
            if hi <= lo + 1e-7 {
                self.candidates.swap(pick, remaining - 1);
                remaining -= 1;
                continue;
            }
            let mut t = self.rng.random_range(lo..hi);
            if t >= hi {
                t = lo;
            }
            break Some((f, t));
        };
        let Some((f, t)) = split else {
            self.tree.value[at] = depth as f64 + average_path_length(n);
            return;
        };
        // Partition: rows with x ≤ t first.
        let col = &self.cols[f];
        let mut mid = 0;
        for j in 0..n {
            if col[idx[j]] <= t {
                idx.swap(mid, j);
                mid += 1;
            }
        }
        let left = self.tree.feature.len();
        self.tree.feature[at] = self.features[f];
        self.tree.value[at] = t;
        self.tree.left[at] = left as u32;
        self.tree.feature.extend([LEAF, LEAF]);
        self.tree.value.extend([0.0, 0.0]);
        self.tree.left.extend([0, 0]);
        let (l, r) = idx.split_at_mut(mid);
        self.node(left, l, depth + 1);
        self.node(left + 1, r, depth + 1);
    }
}

/// A fitted [`IsolationForest`].
///
/// # Example
/// Fitting and scoring: see [`IsolationForest`]. Saving and loading:
/// ```
/// use oxilearn::ndarray::Array2;
/// use oxilearn::outlier::{FittedIsolationForest, IsolationForest};
/// use oxilearn::persist::Persist;
///
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| ((i * 7 + j * 3) % 10) as f64);
/// let forest = IsolationForest::new().n_estimators(10).seed(1).fit(x.view())?;
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-iforest-{}.safetensors", std::process::id()));
/// forest.save(&path)?;
/// let back = FittedIsolationForest::load(&path)?;
/// assert_eq!(back, forest);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedIsolationForest {
    params: IsolationForest,
    n_features: usize,
    max_samples: usize,
    offset: f64,
    trees: Vec<Tree>,
}

/// The labels of an outlier detector: −1 outlier, +1 inlier.
pub(super) const OUTLIER_CLASSES: [i64; 2] = [-1, 1];

impl FittedIsolationForest {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Rows each tree was grown on (scikit-learn's `max_samples_`).
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }

    /// The threshold subtracted by
    /// [`decision_function`](Self::decision_function) (scikit-learn's
    /// `offset_`): −0.5 for [`Contamination::Auto`], else the
    /// contamination percentile of the training scores.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// Number of trees.
    pub fn n_estimators(&self) -> usize {
        self.trees.len()
    }

    /// The hyperparameters used at fit.
    pub fn params(&self) -> &IsolationForest {
        &self.params
    }

    /// The anomaly score of each row, `−2^(−E[h(x)] / c(max_samples))`, in
    /// `[−1, 0)`: the lower, the more abnormal (scikit-learn's
    /// `score_samples`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another feature count;
    /// [`Error::NonFinite`] on NaN/inf.
    pub fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        validation::check_predict_input(x, self.n_features)?;
        let norm = average_path_length(self.max_samples) * self.trees.len() as f64;
        let mut out = Array1::zeros(x.nrows());
        let chunk = 256;
        out.as_slice_mut()
            .expect("a new array is contiguous")
            .par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(c, dst)| {
                let start = c * chunk;
                let rows = x.slice_axis(Axis(0), Slice::from(start..start + dst.len()));
                let rows = rows.as_standard_layout();
                let flat = rows.as_slice().expect("standard layout");
                let p = self.n_features;
                let mut depth = vec![0.0; dst.len()];
                for t in &self.trees {
                    for (d, row) in depth.iter_mut().zip(flat.chunks_exact(p.max(1))) {
                        *d += t.path_length(row);
                    }
                }
                for (o, d) in dst.iter_mut().zip(depth) {
                    *o = -(2f64).powf(-d / norm);
                }
            });
        Ok(out)
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

/// What an isolation-forest file stores in its hyperparameters.
#[derive(Serialize, Deserialize)]
struct ForestState {
    params: IsolationForest,
    max_samples: usize,
    offset: f64,
}

impl Persist for FittedIsolationForest {
    const KIND: &'static str = "IsolationForest";

    /// Tensors: `feature` (i64, −1 for a leaf), `value` (f64: threshold or
    /// leaf path length), `left` (i64: first child, within the tree) and
    /// `tree_offsets` (i64, `n_trees + 1`) over the trees' concatenated
    /// nodes.
    fn to_model_file(&self) -> Result<ModelFile> {
        let total: usize = self.trees.iter().map(|t| t.feature.len()).sum();
        let mut feature = Vec::with_capacity(total);
        let mut value = Vec::with_capacity(total);
        let mut left = Vec::with_capacity(total);
        let mut offsets = vec![0i64];
        for t in &self.trees {
            feature.extend(
                t.feature
                    .iter()
                    .map(|&f| if f == LEAF { -1 } else { i64::from(f) }),
            );
            value.extend_from_slice(&t.value);
            left.extend(t.left.iter().map(|&l| i64::from(l)));
            offsets.push(feature.len() as i64);
        }
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.n_features)
            .with_classes(&OUTLIER_CLASSES)?
            .with_hyperparameters(&ForestState {
                params: self.params,
                max_samples: self.max_samples,
                offset: self.offset,
            })?;
        let d1 = |v: Vec<i64>| ndarray::ArrayD::from_shape_vec(IxDyn(&[v.len()]), v);
        let shape_err = |e: ndarray::ShapeError| Error::format("IsolationForest", e.to_string());
        file.push_i64("feature", d1(feature).map_err(shape_err)?);
        file.push_f64(
            "value",
            ndarray::ArrayD::from_shape_vec(IxDyn(&[value.len()]), value).map_err(shape_err)?,
        );
        file.push_i64("left", d1(left).map_err(shape_err)?);
        file.push_i64("tree_offsets", d1(offsets).map_err(shape_err)?);
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let p = file.n_features()?;
        let s: ForestState = file.hyperparameters()?;
        file.check_hyperparameters(s.params.validate())?;
        file.expect_classes(&OUTLIER_CLASSES)?;
        if p == 0 || s.max_samples == 0 || !s.offset.is_finite() {
            return Err(
                file.format_error("n_features and max_samples must be >= 1 and the offset finite")
            );
        }
        let feature = file.take_i64("feature")?.into_raw_vec_and_offset().0;
        let value = file.take_f64("value")?.into_raw_vec_and_offset().0;
        let left = file.take_i64("left")?.into_raw_vec_and_offset().0;
        let offsets = file.take_i64("tree_offsets")?.into_raw_vec_and_offset().0;
        let total = feature.len();
        if value.len() != total || left.len() != total {
            return Err(file.format_error("feature, value and left must have one entry per node"));
        }
        if offsets.len() < 2
            || offsets[0] != 0
            || offsets.last() != Some(&(total as i64))
            || offsets.windows(2).any(|w| w[1] <= w[0])
        {
            return Err(
                file.format_error("tree_offsets must rise strictly from 0 to the node count")
            );
        }
        let mut trees = Vec::with_capacity(offsets.len() - 1);
        for (t, w) in offsets.windows(2).enumerate() {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let size = b - a;
            let mut tree = Tree {
                feature: Vec::with_capacity(size),
                value: value[a..b].to_vec(),
                left: Vec::with_capacity(size),
            };
            for i in 0..size {
                let (f, l) = (feature[a + i], left[a + i]);
                if f == -1 {
                    if value[a + i] < 0.0 {
                        return Err(file.format_error_at(
                            format!("tree {t}, node {i}"),
                            "a leaf's path length is negative",
                        ));
                    }
                    tree.feature.push(LEAF);
                    tree.left.push(0);
                } else {
                    // Children come after their parent: every walk ends.
                    let ok = f >= 0 && (f as usize) < p && l > i as i64 && (l as usize) + 1 < size;
                    if !ok {
                        return Err(file.format_error_at(
                            format!("tree {t}, node {i}"),
                            "feature out of range or children not after the node",
                        ));
                    }
                    tree.feature.push(f as u32);
                    tree.left.push(l as u32);
                }
            }
            trees.push(tree);
        }
        if trees.len() != s.params.n_estimators {
            return Err(file.format_error("the tree count differs from n_estimators"));
        }
        Ok(FittedIsolationForest {
            params: s.params,
            n_features: p,
            max_samples: s.max_samples,
            offset: s.offset,
            trees,
        })
    }
}

impl Estimator<i64> for IsolationForest {
    /// Fits on `x`; `y` is ignored (pass any array of `x.nrows()` values).
    fn fit(
        &self,
        x: Features<'_>,
        _y: ArrayView1<'_, i64>,
    ) -> Result<Box<dyn FittedEstimator<i64>>> {
        let x = x.to_matrix()?;
        Ok(Box::new(IsolationForest::fit(self, x.view())?))
    }

    fn params(&self) -> Vec<(String, String)> {
        let p = |k: &str, v: String| (k.to_string(), v);
        vec![
            p("n_estimators", self.n_estimators.to_string()),
            p(
                "max_samples",
                match self.max_samples {
                    MaxSamples::Auto => "auto".into(),
                    MaxSamples::Count(c) => c.to_string(),
                    MaxSamples::Fraction(f) => f.to_string(),
                },
            ),
            p(
                "contamination",
                match self.contamination {
                    Contamination::Auto => "auto".into(),
                    Contamination::Fraction(c) => c.to_string(),
                },
            ),
            p(
                "max_features",
                match self.max_features {
                    MaxFeatures::Count(c) => c.to_string(),
                    MaxFeatures::Fraction(f) => f.to_string(),
                },
            ),
            p("bootstrap", self.bootstrap.to_string()),
            p("random_state", self.seed.to_string()),
        ]
    }

    fn clone_box(&self) -> Box<dyn Estimator<i64>> {
        Box::new(*self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FittedEstimator<i64> for FittedIsolationForest {
    fn kind(&self) -> &'static str {
        <Self as Persist>::KIND
    }

    fn n_features_in(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<i64>> {
        FittedIsolationForest::predict(self, x.to_matrix()?.view())
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let d = FittedIsolationForest::decision_function(self, x.to_matrix()?.view())?;
        Ok(d.insert_axis(Axis(1)))
    }

    fn score_samples(&self, x: Features<'_>) -> Result<Array1<f64>> {
        FittedIsolationForest::score_samples(self, x.to_matrix()?.view())
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

    fn blob() -> Array2<f64> {
        let mut x = Array2::from_shape_fn((300, 3), |(i, j)| {
            (((i * 37 + j * 11) % 101) as f64 / 101.0) - 0.5
        });
        x[[0, 0]] = 9.0;
        x[[1, 2]] = -9.0;
        x
    }

    #[test]
    fn path_length_normaliser_matches_the_paper() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // c(n) = 2 (ln(n − 1) + γ) − 2 (n − 1)/n; scikit-learn 1.9.1:
        // `from sklearn.ensemble._iforest import _average_path_length;
        //  _average_path_length(np.array([3, 256]))` → [1.20739236, 10.244770920119917]
        assert!((average_path_length(3) - 1.207_392_36).abs() < 1e-8);
        assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-12);
    }

    #[test]
    fn same_forest_on_any_thread_count_and_seed_matters() -> Result<()> {
        let x = blob();
        let model = IsolationForest::new().n_estimators(30).seed(3);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool")
            .install(|| model.fit(x.view()))?;
        let many = model.fit(x.view())?;
        assert_eq!(one, many);
        assert_ne!(model.seed(4).fit(x.view())?, many);
        let s = many.score_samples(x.view())?;
        assert!(s.iter().all(|&v| (-1.0..0.0).contains(&v)));
        // The planted points are the two most abnormal.
        let mut order: Vec<usize> = (0..s.len()).collect();
        order.sort_by(|&a, &b| s[a].total_cmp(&s[b]));
        let mut top = [order[0], order[1]];
        top.sort_unstable();
        assert_eq!(top, [0, 1]);
        Ok(())
    }

    #[test]
    fn contamination_flags_that_share_of_the_training_rows() -> Result<()> {
        let x = blob();
        let f = IsolationForest::new()
            .contamination(Contamination::Fraction(0.1))
            .seed(1)
            .fit(x.view())?;
        let flagged = f.predict(x.view())?.iter().filter(|&&p| p == -1).count();
        assert!((29..=31).contains(&flagged), "{flagged}");
        let d = f.decision_function(x.view())?;
        let s = f.score_samples(x.view())?;
        assert!((&s - f.offset() - &d).iter().all(|v| v.abs() < 1e-15));
        // Auto: the paper's −0.5.
        assert_eq!(IsolationForest::new().fit(x.view())?.offset(), -0.5);
        Ok(())
    }

    #[test]
    fn bad_hyperparameters_and_inputs_are_typed_errors() {
        let x = blob();
        let bad = [
            IsolationForest::new().n_estimators(0),
            IsolationForest::new().max_samples(MaxSamples::Fraction(1.5)),
            IsolationForest::new().max_samples(MaxSamples::Count(0)),
            IsolationForest::new().contamination(Contamination::Fraction(0.7)),
            IsolationForest::new().max_features(MaxFeatures::Count(4)),
            IsolationForest::new().max_features(MaxFeatures::Fraction(0.0)),
        ];
        for m in bad {
            assert!(
                matches!(m.fit(x.view()), Err(Error::InvalidParameter { .. })),
                "{m:?}"
            );
        }
        assert!(
            IsolationForest::new()
                .fit(Array2::zeros((0, 2)).view())
                .is_err()
        );
        let f = IsolationForest::new()
            .n_estimators(5)
            .fit(x.view())
            .unwrap();
        assert!(matches!(
            f.score_samples(array![[1.0, 2.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            f.predict(array![[f64::NAN, 0.0, 0.0]].view()),
            Err(Error::NonFinite { .. })
        ));
        // Constant data: every tree is one leaf, every score the same.
        let c = IsolationForest::new()
            .fit(Array2::ones((10, 2)).view())
            .unwrap();
        let s = c.score_samples(Array2::ones((3, 2)).view()).unwrap();
        assert!(s.iter().all(|&v| v == s[0]));
    }

    #[test]
    fn model_file_round_trip_and_crafted_files() -> Result<()> {
        let x = blob();
        let f = IsolationForest::new()
            .n_estimators(10)
            .max_features(MaxFeatures::Count(2))
            .bootstrap(true)
            .contamination(Contamination::Fraction(0.05))
            .fit(x.view())?;
        let back = FittedIsolationForest::from_bytes(&f.to_bytes()?)?;
        assert_eq!(back, f);
        let dynamic =
            crate::compose::registry::load_classifier::<i64>(Persist::to_model_file(&f)?)?;
        assert_eq!(dynamic.predict(Features::from(&x))?, f.predict(x.view())?);
        assert!(
            crate::compose::registry::load_classifier::<String>(Persist::to_model_file(&f)?)
                .is_err()
        );
        // A child pointing back at its parent would loop forever: refused.
        let mut file = Persist::to_model_file(&f)?;
        let mut left = file.take_i64("left")?;
        left[0] = 0;
        file.push_i64("left", left);
        assert!(matches!(
            FittedIsolationForest::from_model_file(file),
            Err(Error::Format { .. })
        ));
        let mut file = Persist::to_model_file(&f)?;
        let mut feature = file.take_i64("feature")?;
        feature[0] = 3;
        file.push_i64("feature", feature);
        assert!(FittedIsolationForest::from_model_file(file).is_err());
        Ok(())
    }
}
