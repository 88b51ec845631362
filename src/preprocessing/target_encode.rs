//! [`TargetEncoder`] → [`FittedTargetEncoder`]: each category replaced by a
//! shrunk mean of the target over the rows of that category, with
//! scikit-learn's (1.3+) semantics; the formulas and the cross fitting are
//! described on [`TargetEncoder`].

use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::encode::{
    Categories, cell, check_fit_table, fitted_columns, named_matrix, parse_types, py_float,
};
use super::impute::matrix_table;
use crate::compose::{Target, TargetValues};
use crate::data::{ColumnType, Table};
use crate::error::{Error, Result};
use crate::model_selection::{Fold, KFold, SplitData, Splitter, StratifiedKFold};
use crate::persist::{ModelFile, Persist};

/// What kind of target a [`TargetEncoder`] encodes (scikit-learn's
/// `target_type`).
///
/// # Example
/// ```
/// use oxilearn::preprocessing::TargetType;
/// assert_eq!(TargetType::default(), TargetType::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    /// From the target's type: float targets (`f64`, `f32`) are continuous,
    /// class labels binary (two classes) or multiclass (more).
    #[default]
    Auto,
    /// Regression targets, encoded as they are (float targets only).
    Continuous,
    /// Two classes; the encoding estimates the probability of the second
    /// (in sorted order). Float targets with two distinct values are allowed.
    Binary,
    /// Three or more classes, encoded one-vs-rest: `n_classes` output columns
    /// per feature.
    Multiclass,
}

impl TargetType {
    fn name(self) -> &'static str {
        match self {
            TargetType::Auto => "auto",
            TargetType::Continuous => "continuous",
            TargetType::Binary => "binary",
            TargetType::Multiclass => "multiclass",
        }
    }
}

/// How much a [`TargetEncoder`] shrinks category means toward the global
/// mean (scikit-learn's `smooth`).
///
/// # Example
/// ```
/// use oxilearn::preprocessing::Smooth;
/// assert_eq!(Smooth::default(), Smooth::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Smooth {
    /// An empirical Bayes estimate from the within-category and global
    /// target variances.
    #[default]
    Auto,
    /// A fixed weight `m ≥ 0` of the global mean, as `m` pseudo-rows (0: the
    /// plain category means).
    Value(f64),
}

/// Encodes categorical features by target statistics, cross-fitted on the
/// training rows.
///
/// As scikit-learn's `TargetEncoder` (formulas below).
/// [`fit_transform`](Self::fit_transform) is what to use on
/// training rows (it avoids leaking each row's own target into its
/// encoding); [`fit`](Self::fit) then [`transform`](FittedTargetEncoder::transform)
/// on the same rows gives the un-crossed encodings, as in scikit-learn.
/// Inside a [`Pipeline`](crate::compose::Pipeline) or a
/// [`ColumnTransformer`](crate::compose::ColumnTransformer) the training rows
/// are cross-fitted too.
///
/// Shuffled folds use this crate's seeded generator, so they differ from
/// scikit-learn's (NumPy's generator); without shuffling
/// ([`shuffle(None)`](Self::shuffle)) the folds, and so every value, equal
/// scikit-learn's with `cv=KFold(cv)` or `StratifiedKFold(cv)`.
///
/// # The encoding
/// For a category `i` with `nᵢ` training rows, target mean `ȳᵢ` and the
/// global target mean `ȳ`, the encoding is the blend
/// `λᵢ·ȳᵢ + (1 − λᵢ)·ȳ` (Micci-Barreca 2001):
///
/// - a fixed smoothing `m` ([`Smooth::Value`]): `λᵢ = nᵢ / (nᵢ + m)`, i.e.
///   `(m·ȳ + Σ_{k ∈ i} y_k) / (m + nᵢ)`;
/// - [`Smooth::Auto`] (empirical Bayes, the paper's eqs. 5–6):
///   `λᵢ = τ²·nᵢ / (τ²·nᵢ + sᵢ²)` with `τ²` the variance of all targets and
///   `sᵢ² = Σ_{k ∈ i} (y_k − ȳᵢ)² / nᵢ` the within-category variance; when
///   both vanish (constant targets) the encoding is `ȳ`.
///
/// Continuous targets are encoded as they are; a binary target as the
/// indicator of its second (larger) class; a multiclass target one-vs-rest,
/// one output column per (feature, class), features major. Categories come
/// from the training columns as in the other encoders (sorted, a missing
/// value its own last category); a category unseen at fit encodes as the
/// target mean `ȳ` (per class for multiclass).
///
/// # Cross fitting
/// [`fit_transform`](Self::fit_transform) returns training encodings that do not
/// use each row's own target: the rows are cut into `cv` folds (scikit-learn's
/// `KFold` for continuous targets, `StratifiedKFold` for classes, identical
/// folds when not shuffled) and each fold is encoded by the encodings fitted
/// on the other folds, with their target mean for categories absent there.
/// The fitted encoder itself ([`FittedTargetEncoder::transform`]) uses the
/// encodings of all rows.
///
/// # Example
/// ```
/// use oxilearn::data::{Column, Table};
/// use oxilearn::ndarray::array;
/// use oxilearn::preprocessing::{Smooth, TargetEncoder};
///
/// let t = Table::new(vec![("city".into(), Column::categorical(["a", "b", "a", "b", "a", "b"]))])?;
/// let price = array![10.0, 20.0, 12.0, 22.0, 11.0, 21.0];
/// let (enc, train) = TargetEncoder::new()
///     .smooth(Smooth::Value(0.0))
///     .cv(3)
///     .shuffle(None)
///     .fit_transform_table(&t, price.view())?;
/// // Row 0 is encoded from the other folds' "a" rows only: (12 + 11) / 2.
/// assert_eq!(train[[0, 0]], 11.5);
/// // New rows use every training row; an unknown city gets the mean price.
/// let new = Table::new(vec![("city".into(), Column::categorical(["a", "z"]))])?;
/// assert_eq!(enc.transform_table(&new)?.column(0).to_vec(), [11.0, 16.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetEncoder {
    pub(crate) target_type: TargetType,
    pub(crate) smooth: Smooth,
    pub(crate) cv: usize,
    pub(crate) shuffle: Option<u64>,
}

impl Default for TargetEncoder {
    fn default() -> Self {
        Self::new()
    }
}

/// The targets as the encoder uses them.
struct EncodedTarget {
    kind: TargetType,
    /// Class names (empty for continuous targets).
    classes: Vec<String>,
    /// One column per encoded output of a feature: the target, the indicator
    /// of the second class, or one indicator per class.
    y: Array2<f64>,
    /// Class codes, what stratified folds balance (`None` when continuous).
    codes: Option<Vec<usize>>,
}

impl TargetEncoder {
    /// scikit-learn's defaults: target type inferred, empirical Bayes
    /// smoothing, 5 folds, shuffled (seed 0).
    pub fn new() -> Self {
        TargetEncoder {
            target_type: TargetType::Auto,
            smooth: Smooth::Auto,
            cv: 5,
            shuffle: Some(0),
        }
    }

    /// The kind of target. Default [`TargetType::Auto`].
    pub fn target_type(mut self, t: TargetType) -> Self {
        self.target_type = t;
        self
    }

    /// The smoothing. Default [`Smooth::Auto`].
    pub fn smooth(mut self, s: Smooth) -> Self {
        self.smooth = s;
        self
    }

    /// Number of cross-fitting folds in
    /// [`fit_transform`](Self::fit_transform) (`≥ 2`). Default 5.
    pub fn cv(mut self, n_folds: usize) -> Self {
        self.cv = n_folds;
        self
    }

    /// Shuffle the rows before cutting the folds, with this seed; `None`
    /// keeps their order (scikit-learn's `shuffle=False`). Default `Some(0)`
    /// (scikit-learn shuffles by default, with its own generator).
    pub fn shuffle(mut self, seed: Option<u64>) -> Self {
        self.shuffle = seed;
        self
    }

    fn check(&self) -> Result<()> {
        if self.cv < 2 {
            return Err(Error::invalid(
                "cv",
                format!("must be at least 2, got {}", self.cv),
            ));
        }
        if let Smooth::Value(m) = self.smooth
            && !(m.is_finite() && m >= 0.0)
        {
            return Err(Error::invalid(
                "smooth",
                format!("must be a finite value >= 0, got {m}"),
            ));
        }
        Ok(())
    }

    /// Learns the encodings of each column of a numeric matrix (its values
    /// are the categories, NaN = missing); features are named `x0, x1, …`.
    ///
    /// # Errors
    /// As [`fit_table`](Self::fit_table).
    pub fn fit<Y: Target>(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, Y>,
    ) -> Result<FittedTargetEncoder> {
        self.fit_table(&matrix_table(x), y)
    }

    /// Learns the encodings of each column of `table` from the targets `y`
    /// (one per row).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `cv < 2`, a negative or non-finite
    /// smoothing, or a target type the targets do not have (continuous class
    /// labels, binary without exactly two classes, multiclass with fewer than
    /// three); [`Error::EmptyInput`] without rows or columns;
    /// [`Error::ShapeMismatch`] unless `y` has one value per row;
    /// [`Error::NonFinite`] on ±inf in `x` or NaN/inf in `y`;
    /// [`Error::SingleClass`] for class labels of one class.
    pub fn fit_table<Y: Target>(
        &self,
        table: &Table,
        y: ArrayView1<'_, Y>,
    ) -> Result<FittedTargetEncoder> {
        let (fitted, _, _) = self.prepare(table, y)?;
        Ok(fitted)
    }

    /// Fits on a numeric matrix and returns the cross-fitted encodings of its
    /// rows.
    ///
    /// # Errors
    /// As [`fit_transform_table`](Self::fit_transform_table).
    pub fn fit_transform<Y: Target>(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, Y>,
    ) -> Result<(FittedTargetEncoder, Array2<f64>)> {
        self.fit_transform_table(&matrix_table(x), y)
    }

    /// Fits on `table` and returns the cross-fitted encodings of its rows
    /// (see [`TargetEncoder`]): `n_rows × n_features_out`.
    ///
    /// # Errors
    /// As [`fit_table`](Self::fit_table); [`Error::InvalidParameter`]
    /// (`"n_splits"`) for more folds than rows; [`Error::ClassTooSmall`]
    /// when every class has fewer rows than `cv` (a class smaller than `cv`
    /// is allowed, as in scikit-learn).
    pub fn fit_transform_table<Y: Target>(
        &self,
        table: &Table,
        y: ArrayView1<'_, Y>,
    ) -> Result<(FittedTargetEncoder, Array2<f64>)> {
        let (fitted, codes, target) = self.prepare(table, y)?;
        let n = table.n_rows();
        let folds: Vec<Fold> = match &target.codes {
            None => KFold::new(self.cv)
                .shuffle(self.shuffle)
                .split(&SplitData::new(n))?,
            Some(c) => StratifiedKFold::new(self.cv)
                .shuffle(self.shuffle)
                .split_lenient(&SplitData::new(n).with_targets(ArrayView1::from(c))?)?,
        };
        let k = target.y.ncols();
        let mut out = Array2::zeros((n, fitted.n_features_out()));
        for (train, test) in &folds {
            let (encodings, means) =
                fit_encodings(&codes, &fitted.cats, &target.y, train, self.smooth);
            for (j, feature) in codes.iter().enumerate() {
                for &i in test {
                    for c in 0..k {
                        let e = &encodings[j * k + c];
                        // Every category is known: they come from all rows.
                        out[[i, j * k + c]] = feature[i].map_or(means[c], |cat| e[cat]);
                    }
                }
            }
        }
        Ok((fitted, out))
    }

    /// Validates, learns the categories and the full-data encodings; returns
    /// the fitted encoder, each feature's category codes per row, and the
    /// encoded targets.
    #[allow(clippy::type_complexity)]
    fn prepare<Y: Target>(
        &self,
        table: &Table,
        y: ArrayView1<'_, Y>,
    ) -> Result<(FittedTargetEncoder, Vec<Vec<Option<usize>>>, EncodedTarget)> {
        self.check()?;
        check_fit_table(table)?;
        if y.len() != table.n_rows() {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![table.n_rows()],
                got: vec![y.len()],
            });
        }
        let target = self.encode_target(y)?;
        let cats: Vec<Categories> = table.columns().iter().map(Categories::learn).collect();
        let codes: Vec<Vec<Option<usize>>> = table
            .columns()
            .iter()
            .zip(&cats)
            .map(|(col, c)| (0..col.len()).map(|i| c.index(&cell(col, i))).collect())
            .collect();
        let all: Vec<usize> = (0..table.n_rows()).collect();
        let (encodings, target_mean) = fit_encodings(&codes, &cats, &target.y, &all, self.smooth);
        let fitted = FittedTargetEncoder {
            params: *self,
            target_type: target.kind,
            names: table.names().to_vec(),
            types: table.column_types(),
            cats,
            classes: target.classes.clone(),
            target_mean,
            encodings,
        };
        Ok((fitted, codes, target))
    }

    /// The targets as continuous values or class indicators.
    fn encode_target<Y: Target>(&self, y: ArrayView1<'_, Y>) -> Result<EncodedTarget> {
        let n = y.len();
        // Class codes (sorted labels) and names, or the continuous values.
        let (codes, names): (Vec<usize>, Vec<String>) = match Y::target_values(y) {
            TargetValues::Continuous(v) => {
                if let Some(i) = v.iter().position(|t| !t.is_finite()) {
                    return Err(Error::NonFinite {
                        what: "y",
                        index: vec![i],
                    });
                }
                match self.target_type {
                    TargetType::Auto | TargetType::Continuous => {
                        return Ok(EncodedTarget {
                            kind: TargetType::Continuous,
                            classes: Vec::new(),
                            y: v.into_shape_with_order((n, 1)).map_err(|e| {
                                Error::invalid("y", format!("cannot be a column: {e}"))
                            })?,
                            codes: None,
                        });
                    }
                    TargetType::Binary | TargetType::Multiclass => {
                        let mut distinct = v.to_vec();
                        distinct.sort_unstable_by(f64::total_cmp);
                        distinct.dedup();
                        let codes = v
                            .iter()
                            .map(|t| distinct.binary_search_by(|d| d.total_cmp(t)).unwrap_or(0))
                            .collect();
                        (codes, distinct.into_iter().map(py_float).collect())
                    }
                }
            }
            TargetValues::Classes { codes, n_classes } => {
                if self.target_type == TargetType::Continuous {
                    return Err(Error::invalid(
                        "target_type",
                        "continuous needs float targets (f64 or f32); these are class labels",
                    ));
                }
                let mut names = vec![String::new(); n_classes];
                let mut seen = vec![false; n_classes];
                for (&c, label) in codes.iter().zip(y.iter()) {
                    if !seen[c] {
                        seen[c] = true;
                        names[c] = label.label_text();
                    }
                }
                (codes.to_vec(), names)
            }
        };
        let n_classes = names.len();
        let kind = match (self.target_type, n_classes) {
            (_, 0 | 1) => return Err(Error::SingleClass),
            (TargetType::Auto | TargetType::Binary, 2) => TargetType::Binary,
            (TargetType::Binary, n) => {
                return Err(Error::invalid(
                    "target_type",
                    format!("binary needs exactly two classes, the targets have {n}"),
                ));
            }
            (TargetType::Multiclass, 2) => {
                return Err(Error::invalid(
                    "target_type",
                    "multiclass needs at least three classes, the targets have 2 \
                     (use binary)",
                ));
            }
            _ => TargetType::Multiclass,
        };
        let y = if kind == TargetType::Binary {
            Array2::from_shape_fn((n, 1), |(i, _)| codes[i] as f64)
        } else {
            Array2::from_shape_fn((n, n_classes), |(i, c)| f64::from(u8::from(codes[i] == c)))
        };
        Ok(EncodedTarget {
            kind,
            classes: names,
            y,
            codes: Some(codes),
        })
    }
}

/// The encodings (one per output column: features major, target columns
/// minor) and the target means (one per target column) fitted on `rows`.
fn fit_encodings(
    codes: &[Vec<Option<usize>>],
    cats: &[Categories],
    y: &Array2<f64>,
    rows: &[usize],
    smooth: Smooth,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = rows.len() as f64;
    let stats: Vec<(f64, f64)> = y
        .columns()
        .into_iter()
        .map(|col| {
            let mean = rows.iter().map(|&i| col[i]).sum::<f64>() / n;
            let var = rows.iter().map(|&i| (col[i] - mean).powi(2)).sum::<f64>() / n;
            (mean, var)
        })
        .collect();
    let mut encodings = Vec::with_capacity(codes.len() * y.ncols());
    for (feature, c) in codes.iter().zip(cats) {
        for (col, &(mean, var)) in y.columns().into_iter().zip(&stats) {
            encodings.push(encode_feature(
                feature,
                c.len(),
                col,
                rows,
                smooth,
                mean,
                var,
            ));
        }
    }
    (encodings, stats.into_iter().map(|(m, _)| m).collect())
}

/// The encoding of each of `n_cats` categories of one feature for one target
/// column, from `rows` (global mean `mean`, variance `var`).
fn encode_feature(
    feature: &[Option<usize>],
    n_cats: usize,
    y: ArrayView1<'_, f64>,
    rows: &[usize],
    smooth: Smooth,
    mean: f64,
    var: f64,
) -> Vec<f64> {
    let mut sums = vec![0.0; n_cats];
    let mut counts = vec![0usize; n_cats];
    for &i in rows {
        if let Some(k) = feature[i] {
            sums[k] += y[i];
            counts[k] += 1;
        }
    }
    match smooth {
        Smooth::Value(m) => sums
            .iter()
            .zip(&counts)
            .map(|(&s, &c)| {
                let weight = m + c as f64;
                if weight == 0.0 {
                    mean
                } else {
                    (m * mean + s) / weight
                }
            })
            .collect(),
        Smooth::Auto => {
            let means: Vec<f64> = sums
                .iter()
                .zip(&counts)
                .map(|(&s, &c)| s / c as f64)
                .collect();
            let mut ssd = vec![0.0; n_cats];
            for &i in rows {
                if let Some(k) = feature[i] {
                    ssd[k] += (y[i] - means[k]).powi(2);
                }
            }
            (0..n_cats)
                .map(|k| {
                    if counts[k] == 0 {
                        return mean;
                    }
                    let c = counts[k] as f64;
                    let lambda = var * c / (var * c + ssd[k] / c);
                    if lambda.is_nan() {
                        mean
                    } else {
                        lambda * means[k] + (1.0 - lambda) * mean
                    }
                })
                .collect()
        }
    }
}

/// A fitted [`TargetEncoder`]: the encodings of every category, from all
/// training rows.
///
/// # Example
/// ```
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::Persist;
/// use oxilearn::preprocessing::{FittedTargetEncoder, Smooth, TargetEncoder, TargetType};
///
/// // Three classes: one output column per class.
/// let x = array![[1.0], [1.0], [2.0], [2.0], [3.0], [3.0]];
/// let y = array!["ant", "bee", "bee", "bee", "cat", "cat"].mapv(String::from);
/// let enc = TargetEncoder::new().smooth(Smooth::Value(0.0)).fit(x.view(), y.view())?;
/// assert_eq!(enc.target_type(), TargetType::Multiclass);
/// assert_eq!(enc.feature_names_out(), ["x0_ant", "x0_bee", "x0_cat"]);
/// assert_eq!(enc.transform(array![[1.0]].view())?.row(0).to_vec(), [0.5, 0.5, 0.0]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-target-{}.safetensors", std::process::id()));
/// enc.save(&path)?;
/// let back = FittedTargetEncoder::load(&path)?;
/// assert_eq!(back, enc);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedTargetEncoder {
    params: TargetEncoder,
    /// Never `Auto`.
    target_type: TargetType,
    names: Vec<String>,
    types: Vec<ColumnType>,
    cats: Vec<Categories>,
    classes: Vec<String>,
    target_mean: Vec<f64>,
    /// One per output column, each one value per category of its feature.
    encodings: Vec<Vec<f64>>,
}

impl FittedTargetEncoder {
    /// The same encoder with other input names (for names out).
    pub(crate) fn renamed(&self, names: &[String]) -> Self {
        FittedTargetEncoder {
            names: names.to_vec(),
            ..self.clone()
        }
    }

    /// Number of input columns.
    pub fn n_features_in(&self) -> usize {
        self.names.len()
    }

    /// Number of output columns: one per input column, times the number of
    /// classes for a multiclass target.
    pub fn n_features_out(&self) -> usize {
        self.names.len() * self.n_targets()
    }

    /// Encoded target columns per feature.
    fn n_targets(&self) -> usize {
        self.target_mean.len()
    }

    /// The target type used (never [`TargetType::Auto`]; scikit-learn's
    /// `target_type_`).
    pub fn target_type(&self) -> TargetType {
        self.target_type
    }

    /// The class labels as text, sorted (empty for a continuous target).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The target mean of the training rows (per class, one-vs-rest, for a
    /// multiclass target): the encoding of unknown categories.
    pub fn target_mean(&self) -> &[f64] {
        &self.target_mean
    }

    /// Input column names seen at fit.
    pub fn feature_names_in(&self) -> &[String] {
        &self.names
    }

    /// The categories of input column `j` as text (scikit-learn's
    /// `categories_[j]`; a missing value seen at fit is the last, `nan`).
    ///
    /// # Panics
    /// If `j >= n_features_in()`.
    pub fn categories(&self, j: usize) -> Vec<String> {
        self.cats[j].names()
    }

    /// The encoding of each category (in [`categories`](Self::categories)
    /// order) of output column `j` (scikit-learn's `encodings_[j]`).
    ///
    /// # Panics
    /// If `j >= n_features_out()`.
    pub fn encodings(&self, j: usize) -> &[f64] {
        &self.encodings[j]
    }

    /// Output column names: the input names, or `<feature>_<class>` for a
    /// multiclass target.
    pub fn feature_names_out(&self) -> Vec<String> {
        if self.target_type != TargetType::Multiclass {
            return self.names.clone();
        }
        self.names
            .iter()
            .flat_map(|f| self.classes.iter().map(move |c| format!("{f}_{c}")))
            .collect()
    }

    /// Encodes a numeric matrix with the columns seen at fit.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another column count; [`Error::NonFinite`]
    /// on ±inf; otherwise as [`transform_table`](Self::transform_table).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.transform_table(&named_matrix(x, &self.names)?)
    }

    /// Encodes the columns seen at fit (found by name) of `table`; unknown
    /// categories encode as the target mean.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"columns"`) for a missing column;
    /// [`Error::ColumnType`] for a column of another type than at fit.
    pub fn transform_table(&self, table: &Table) -> Result<Array2<f64>> {
        let cols = fitted_columns(table, &self.names, &self.types)?;
        let k = self.n_targets();
        let mut out = Array2::zeros((table.n_rows(), self.n_features_out()));
        for (j, (cats, col)) in self.cats.iter().zip(cols).enumerate() {
            for i in 0..table.n_rows() {
                let cat = cats.index(&cell(col, i));
                for c in 0..k {
                    out[[i, j * k + c]] =
                        cat.map_or(self.target_mean[c], |cat| self.encodings[j * k + c][cat]);
                }
            }
        }
        Ok(out)
    }
}

/// What a [`FittedTargetEncoder`] stores in its model file's metadata.
#[derive(Serialize, Deserialize)]
struct TargetEncoderState {
    params: TargetEncoder,
    target_type: TargetType,
    names: Vec<String>,
    types: Vec<String>,
    features: Vec<Categories>,
    classes: Vec<String>,
}

impl Persist for FittedTargetEncoder {
    const KIND: &'static str = "TargetEncoder";

    /// Tensors: `target_mean` (one per encoded target column) and
    /// `encodings` (every output column's encodings, concatenated in output
    /// order).
    fn to_model_file(&self) -> Result<ModelFile> {
        let state = TargetEncoderState {
            params: self.params,
            target_type: self.target_type,
            names: self.names.clone(),
            types: self.types.iter().map(|t| t.name().to_string()).collect(),
            features: self.cats.clone(),
            classes: self.classes.clone(),
        };
        let mut file = ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.names.len())
            .with_hyperparameters(&state)?;
        file.push_f64(
            "target_mean",
            ndarray::Array1::from(self.target_mean.clone()).into_dyn(),
        );
        file.push_f64(
            "encodings",
            ndarray::Array1::from(self.encodings.concat()).into_dyn(),
        );
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let n = file.n_features()?;
        let s: TargetEncoderState = file.hyperparameters()?;
        file.check_hyperparameters(s.params.check())?;
        if n == 0 || s.names.len() != n || s.types.len() != n || s.features.len() != n {
            return Err(
                file.format_error("names, types and categories must have one entry per feature")
            );
        }
        let k = match (s.target_type, s.classes.len()) {
            (TargetType::Continuous, 0) | (TargetType::Binary, 2) => 1,
            (TargetType::Multiclass, c) if c >= 3 => c,
            (t, c) => {
                return Err(file.format_error_at(
                    "hyperparameter `classes`",
                    format!("{c} classes for a {} target", t.name()),
                ));
            }
        };
        for (j, c) in s.features.iter().enumerate() {
            if !c.is_valid() || c.len() == 0 {
                return Err(file.format_error_at(
                    format!("hyperparameter `features` at index [{j}]"),
                    "categories must be non-empty, sorted, distinct and finite",
                ));
            }
        }
        let types = parse_types(&s.types, &file)?;
        let target_mean = file.take_array1::<f64>("target_mean", Some(k))?.to_vec();
        let total: usize = s.features.iter().map(|c| c.len() * k).sum();
        let flat = file.take_array1::<f64>("encodings", Some(total))?.to_vec();
        // Class encodings are probability estimates.
        if s.target_type != TargetType::Continuous {
            for (name, v) in [("target_mean", &target_mean), ("encodings", &flat)] {
                if let Some(i) = v.iter().position(|p| !(0.0..=1.0).contains(p)) {
                    return Err(file.format_error_at(
                        format!("tensor `{name}` at index [{i}]"),
                        format!("{} is not a class frequency in [0, 1]", v[i]),
                    ));
                }
            }
        }
        let mut encodings = Vec::with_capacity(n * k);
        let mut start = 0;
        for c in &s.features {
            for _ in 0..k {
                encodings.push(flat[start..start + c.len()].to_vec());
                start += c.len();
            }
        }
        Ok(FittedTargetEncoder {
            params: s.params,
            target_type: s.target_type,
            names: s.names,
            types,
            cats: s.features,
            classes: s.classes,
            target_mean,
            encodings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;
    use ndarray::{Array1, Axis, Slice, array};

    const NAN: f64 = f64::NAN;

    // Reference values (scikit-learn 1.9.1; `cv` objects = shuffle=False), in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np
    // from sklearn.preprocessing import TargetEncoder
    // from sklearn.model_selection import KFold, StratifiedKFold
    // X = np.array([['b', 1.0], ['a', 2.0], ['c', 1.0], [None, np.nan], ['b', 3.0], ['a', 1.0],
    //               ['a', 2.0], ['b', np.nan], ['c', 2.0], [None, 1.0], ['a', 3.0], ['b', 1.0]], dtype=object)
    // X[:, 1] = X[:, 1].astype(float); X[[3, 9], 0] = np.nan
    // yc = np.array([1.5, -0.5, 3.0, 2.0, 0.0, 1.5, 4.0, -1.0, 2.5, 0.5, 1.0, 2.0])
    // yb = np.array(['no', 'yes', 'yes', 'no', 'no', 'yes', 'yes', 'no', 'no', 'yes', 'yes', 'no'])
    // ym = np.array([2, 0, 1, 2, 1, 0, 0, 2, 1, 2, 1, 0])
    // T = np.array([['a', 2.0], ['z', 5.0], [np.nan, np.nan], ['c', 3.0]], dtype=object)
    // for name, y, cv in [('cont', yc, KFold(3)), ('bin', yb, StratifiedKFold(3)), ('multi', ym, StratifiedKFold(3))]:
    //     for smooth in ['auto', 2.0]:
    //         e = TargetEncoder(smooth=smooth, cv=cv); Z = e.fit_transform(X, y)
    //         print(name, smooth, e.target_type_, e.classes_, e.get_feature_names_out(['s', 'n']).tolist())
    //         print(e.target_mean_, [list(map(float, a)) for a in e.encodings_])
    //         print(Z.tolist()); print(e.transform(T).tolist())"
    fn table() -> Table {
        Table::new(vec![
            (
                "s".into(),
                Column::categorical_opt([
                    Some("b"),
                    Some("a"),
                    Some("c"),
                    None,
                    Some("b"),
                    Some("a"),
                    Some("a"),
                    Some("b"),
                    Some("c"),
                    None,
                    Some("a"),
                    Some("b"),
                ]),
            ),
            (
                "n".into(),
                Column::Numeric(array![
                    1.0, 2.0, 1.0, NAN, 3.0, 1.0, 2.0, NAN, 2.0, 1.0, 3.0, 1.0
                ]),
            ),
        ])
        .unwrap()
    }

    fn unseen() -> Table {
        Table::new(vec![
            (
                "s".into(),
                Column::categorical_opt([Some("a"), Some("z"), None, Some("c")]),
            ),
            ("n".into(), Column::Numeric(array![2.0, 5.0, NAN, 3.0])),
        ])
        .unwrap()
    }

    fn y_cont() -> Array1<f64> {
        array![1.5, -0.5, 3.0, 2.0, 0.0, 1.5, 4.0, -1.0, 2.5, 0.5, 1.0, 2.0]
    }

    fn y_bin() -> Array1<String> {
        [
            "no", "yes", "yes", "no", "no", "yes", "yes", "no", "no", "yes", "yes", "no",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn y_multi() -> Array1<i64> {
        array![2, 0, 1, 2, 1, 0, 0, 2, 1, 2, 1, 0]
    }

    fn assert_close(got: &Array2<f64>, want: &[&[f64]]) {
        assert_eq!(got.nrows(), want.len(), "{got}");
        for (i, row) in want.iter().enumerate() {
            assert_eq!(got.ncols(), row.len(), "{got}");
            for (j, w) in row.iter().enumerate() {
                assert!(
                    (got[[i, j]] - w).abs() <= 1e-12,
                    "[{i}, {j}]: {} vs {w}\n{got}",
                    got[[i, j]]
                );
            }
        }
    }

    fn assert_encodings(e: &FittedTargetEncoder, want: &[&[f64]]) {
        assert_eq!(e.n_features_out(), want.len());
        for (j, w) in want.iter().enumerate() {
            let got = e.encodings(j);
            assert_eq!(got.len(), w.len());
            assert!(
                got.iter().zip(*w).all(|(a, b)| (a - b).abs() <= 1e-12),
                "encodings {j}: {got:?} vs {w:?}"
            );
        }
    }

    fn unshuffled() -> TargetEncoder {
        TargetEncoder::new().cv(3).shuffle(None)
    }

    #[test]
    fn continuous_matches_sklearn() {
        let (t, y) = (table(), y_cont());
        let (e, z) = unshuffled().fit_transform_table(&t, y.view()).unwrap();
        assert_eq!(e.target_type(), TargetType::Continuous);
        assert_eq!(e.target_mean(), [1.375]);
        assert_eq!(e.categories(0), ["a", "b", "c", "nan"]);
        assert_eq!(e.categories(1), ["1.0", "2.0", "3.0", "nan"]);
        assert_eq!(e.feature_names_out(), ["s", "n"]);
        assert_encodings(
            &e,
            &[
                &[
                    1.4686878727634194,
                    0.739963503649635,
                    2.7284595300261096,
                    1.265661252900232,
                ],
                &[
                    1.6795279661185452,
                    1.767054908485857,
                    0.5523690773067332,
                    0.8187183811129849,
                ],
            ],
        );
        assert_close(
            &z,
            &[
                &[0.5256782680186352, 1.3321334447515587],
                &[1.984728112083311, 3.0231707317073173],
                &[2.5, 1.3321334447515587],
                &[0.5, -1.0],
                &[1.7432432432432434, 1.0],
                &[0.49999999999999994, 1.711764705882353],
                &[0.49999999999999994, 1.25],
                &[1.7432432432432434, 2.0],
                &[3.0, 1.5350644427596665],
                &[2.0, 1.9588977113498365],
                &[1.56, 0.0],
                &[0.3022774830892013, 1.9588977113498365],
            ],
        );
        assert_close(
            &e.transform_table(&unseen()).unwrap(),
            &[
                &[1.4686878727634194, 1.767054908485857],
                &[1.375, 1.375],
                &[1.265661252900232, 0.8187183811129849],
                &[2.7284595300261096, 0.5523690773067332],
            ],
        );
        // fit alone learns the same encoder.
        assert_eq!(unshuffled().fit_table(&t, y.view()).unwrap(), e);

        let (e, z) = unshuffled()
            .smooth(Smooth::Value(2.0))
            .fit_transform_table(&t, y.view())
            .unwrap();
        assert_encodings(
            &e,
            &[
                &[1.4583333333333333, 0.875, 2.0625, 1.3125],
                &[1.6071428571428572, 1.75, 0.9375, 0.9375],
            ],
        );
        assert_close(
            &z,
            &[
                &[0.725, 1.325],
                &[1.825, 2.28125],
                &[1.7083333333333333, 1.325],
                &[1.0416666666666667, 0.5416666666666666],
                &[1.625, 1.3333333333333333],
                &[0.875, 1.6666666666666667],
                &[0.875, 1.25],
                &[1.625, 1.6666666666666667],
                &[1.875, 1.53125],
                &[1.5416666666666667, 1.725],
                &[1.525, 0.875],
                &[0.625, 1.725],
            ],
        );
        assert_close(
            &e.transform_table(&unseen()).unwrap(),
            &[
                &[1.4583333333333333, 1.75],
                &[1.375, 1.375],
                &[1.3125, 0.9375],
                &[2.0625, 0.9375],
            ],
        );
    }

    #[test]
    fn binary_matches_sklearn() {
        let (t, y) = (table(), y_bin());
        let (e, z) = unshuffled().fit_transform_table(&t, y.view()).unwrap();
        assert_eq!(e.target_type(), TargetType::Binary);
        assert_eq!(e.classes(), ["no", "yes"]);
        assert_eq!(e.target_mean(), [0.5]);
        assert_encodings(
            &e,
            &[
                &[1.0, 0.0, 0.5, 0.5],
                &[0.5838926174496644, 0.6285714285714286, 0.5, 0.0],
            ],
        );
        let p = 0.6285714285714286;
        assert_close(
            &z,
            &[
                &[0.0, p],
                &[1.0, 0.5],
                &[0.0, p],
                &[1.0, 0.0],
                &[0.0, 1.0],
                &[1.0, 0.5],
                &[1.0, 0.5],
                &[0.0, 0.0],
                &[1.0, 1.0],
                &[0.0, p],
                &[1.0, 0.0],
                &[0.0, p],
            ],
        );
        assert_close(
            &e.transform_table(&unseen()).unwrap(),
            &[&[1.0, p], &[0.5, 0.5], &[0.5, 0.0], &[0.5, 0.5]],
        );

        let (e, z) = unshuffled()
            .smooth(Smooth::Value(2.0))
            .fit_transform_table(&t, y.view())
            .unwrap();
        assert_encodings(
            &e,
            &[
                &[0.8333333333333334, 0.16666666666666666, 0.5, 0.5],
                &[0.5714285714285714, 0.6, 0.5, 0.25],
            ],
        );
        let (a, b) = (1.0 / 3.0, 2.0 / 3.0);
        assert_close(
            &z,
            &[
                &[0.2, 0.6],
                &[0.8, 0.5],
                &[a, 0.6],
                &[b, a],
                &[0.25, b],
                &[0.75, 0.5],
                &[0.75, 0.5],
                &[0.25, a],
                &[b, 0.75],
                &[a, 0.6],
                &[0.8, a],
                &[0.2, 0.6],
            ],
        );
    }

    #[test]
    fn multiclass_matches_sklearn() {
        let (t, y) = (table(), y_multi());
        let (e, z) = unshuffled().fit_transform_table(&t, y.view()).unwrap();
        assert_eq!(e.target_type(), TargetType::Multiclass);
        assert_eq!(e.classes(), ["0", "1", "2"]);
        assert_eq!(
            e.feature_names_out(),
            ["s_0", "s_1", "s_2", "n_0", "n_1", "n_2"]
        );
        let third = 1.0 / 3.0;
        assert_eq!(e.target_mean(), [third; 3]);
        assert_encodings(
            &e,
            &[
                &[0.6774193548387096, 0.2645161290322581, 0.0, 0.0],
                &[0.2645161290322581, 0.2645161290322581, 1.0, 0.0],
                &[0.0, 0.4634146341463415, 0.0, 1.0],
                &[0.3881578947368421, 0.5833333333333334, 0.0, 0.0],
                &[0.2167832167832168, third, 1.0, 0.0],
                &[0.3881578947368421, 0.0, 0.0, 1.0],
            ],
        );
        let (a, b, c, d) = (
            0.34333958724202623,
            0.30973451327433627,
            0.5966228893058161,
            0.4565217391304348,
        );
        assert_close(
            &z,
            &[
                &[a, a, b, c, 0.0, b],
                &[c, a, 0.0, d, d, 0.0],
                &[0.0, 1.0, 0.0, c, 0.0, b],
                &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
                &[0.4, 0.0, d, 0.0, 1.0, 0.0],
                &[0.4, d, 0.0, 0.25, 0.2708333333333333, 0.4736842105263158],
                &[0.4, d, 0.0, 0.4, d, 0.0],
                &[0.4, 0.0, d, 0.0, 0.0, 1.0],
                &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
                &[0.0, 0.0, 1.0, a, b, a],
                &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                &[0.0, b, c, a, b, a],
            ],
        );
        assert_close(
            &e.transform_table(&unseen()).unwrap(),
            &[
                &[
                    0.6774193548387096,
                    0.2645161290322581,
                    0.0,
                    0.5833333333333334,
                    third,
                    0.0,
                ],
                &[third; 6],
                &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
                &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
            ],
        );

        let (e, z) = unshuffled()
            .smooth(Smooth::Value(2.0))
            .fit_transform_table(&t, y.view())
            .unwrap();
        let (s, u, v) = (1.0 / 6.0, 0.27777777777777773, 2.0 / 3.0);
        assert_encodings(
            &e,
            &[
                &[0.611111111111111, u, s, s],
                &[u, u, v, s],
                &[1.0 / 9.0, 0.4444444444444444, s, v],
                &[0.38095238095238093, 0.5333333333333333, s, s],
                &[0.23809523809523808, third, v, s],
                &[0.38095238095238093, 0.13333333333333333, s, v],
            ],
        );
        assert_close(
            &z.slice_axis(Axis(0), Slice::from(..3)).to_owned(),
            &[
                &[0.35, 0.35, 0.3, 0.55, 0.15, 0.3],
                &[0.55, 0.35, 0.1, 0.4375, 0.4375, 0.125],
                &[0.25, 0.5833333333333334, s, 0.55, 0.15, 0.3],
            ],
        );
        assert_close(
            &e.transform_table(&unseen()).unwrap(),
            &[
                &[
                    0.611111111111111,
                    u,
                    1.0 / 9.0,
                    0.5333333333333333,
                    third,
                    0.13333333333333333,
                ],
                &[third; 6],
                &[s, s, v, s, s, v],
                &[s, v, s, s, v, s],
            ],
        );
    }

    #[test]
    fn target_types_and_bad_input() {
        let t = table();
        // Float targets with two values, as classes.
        let yf = y_bin().mapv(|s| if s == "yes" { 1.0 } else { 0.0 });
        let e = unshuffled()
            .target_type(TargetType::Binary)
            .fit_table(&t, yf.view())
            .unwrap();
        let want = unshuffled().fit_table(&t, y_bin().view()).unwrap();
        assert_eq!(e.encodings, want.encodings);
        assert_eq!(e.classes(), ["0.0", "1.0"]);
        let bad = |r: Result<FittedTargetEncoder>, name: &str| {
            assert!(
                matches!(&r, Err(Error::InvalidParameter { name: n, .. }) if *n == name),
                "{r:?}"
            );
        };
        bad(
            unshuffled()
                .target_type(TargetType::Continuous)
                .fit_table(&t, y_multi().view()),
            "target_type",
        );
        bad(
            unshuffled()
                .target_type(TargetType::Binary)
                .fit_table(&t, y_multi().view()),
            "target_type",
        );
        bad(
            unshuffled()
                .target_type(TargetType::Multiclass)
                .fit_table(&t, y_bin().view()),
            "target_type",
        );
        bad(unshuffled().cv(1).fit_table(&t, y_cont().view()), "cv");
        bad(
            unshuffled()
                .smooth(Smooth::Value(-1.0))
                .fit_table(&t, y_cont().view()),
            "smooth",
        );
        assert!(matches!(
            unshuffled().fit_table(&t, Array1::from_elem(12, 3i64).view()),
            Err(Error::SingleClass)
        ));
        let mut y = y_cont();
        y[4] = NAN;
        assert!(matches!(
            unshuffled().fit_table(&t, y.view()),
            Err(Error::NonFinite { what: "y", index }) if index == vec![4]
        ));
        assert!(matches!(
            unshuffled().fit_table(&t, y_cont().slice_axis(Axis(0), Slice::from(..5))),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            unshuffled().fit(Array2::zeros((0, 1)).view(), Array1::<f64>::zeros(0).view()),
            Err(Error::EmptyInput { .. })
        ));
        // More folds than rows; every class smaller than the folds.
        assert!(matches!(
            unshuffled().cv(13).fit_transform_table(&t, y_cont().view()),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            unshuffled().cv(7).fit_transform_table(&t, y_bin().view()),
            Err(Error::ClassTooSmall { .. })
        ));
        // One class smaller than the folds is fine (scikit-learn warns).
        let mut y = y_multi();
        y[0] = 3;
        assert!(unshuffled().cv(3).fit_transform_table(&t, y.view()).is_ok());
        let e = unshuffled().fit_table(&t, y_cont().view()).unwrap();
        assert!(matches!(
            e.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            e.transform_table(&t.select_columns(&["n"]).unwrap()),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn shuffled_folds_are_seeded_and_persistence_round_trips() {
        let (t, y) = (table(), y_multi());
        let enc = TargetEncoder::new().cv(3);
        let (e1, z1) = enc.fit_transform_table(&t, y.view()).unwrap();
        let (_, z2) = enc.fit_transform_table(&t, y.view()).unwrap();
        assert_eq!(z1, z2);
        let (_, z3) = enc
            .shuffle(Some(1))
            .fit_transform_table(&t, y.view())
            .unwrap();
        assert_ne!(z1, z3);
        for e in [
            e1,
            unshuffled().fit_table(&t, y_cont().view()).unwrap(),
            unshuffled().fit_table(&t, y_bin().view()).unwrap(),
        ] {
            let back = FittedTargetEncoder::from_bytes(&e.to_bytes().unwrap()).unwrap();
            assert_eq!(back, e);
            assert_eq!(
                back.transform_table(&unseen()).unwrap(),
                e.transform_table(&unseen()).unwrap()
            );
        }
        let e = unshuffled().fit_table(&t, y_bin().view()).unwrap();
        let mut file = e.to_model_file().unwrap();
        file.push_f64("target_mean", array![1.5].into_dyn());
        let err = FittedTargetEncoder::from_bytes(&file.to_bytes().unwrap()).unwrap_err();
        assert!(err.to_string().contains("tensor `target_mean`"), "{err}");
    }
}
