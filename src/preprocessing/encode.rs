//! Categorical encoders with scikit-learn's semantics: [`OneHotEncoder`] →
//! [`FittedOneHotEncoder`] and [`OrdinalEncoder`] → [`FittedOrdinalEncoder`].
//!
//! Both read the columns of a [`Table`] (or of a numeric matrix, whose values
//! are the categories). A column's categories are its distinct values, sorted
//! (numbers numerically, text and booleans lexicographically); a missing
//! value seen at fit is one more category, last (scikit-learn's `nan`).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::impute::{matrix_table, parse_type};
use crate::data::{Column, ColumnType, Table};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};

/// The sorted distinct non-missing values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Values {
    Number(Vec<f64>),
    Text(Vec<String>),
}

/// The categories of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Categories {
    values: Values,
    /// Whether a missing value was seen at fit (then it is the last
    /// category).
    pub(super) missing: bool,
}

/// One cell, as an encoder sees it.
pub(super) enum Cell<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
}

pub(super) fn cell(col: &Column, i: usize) -> Cell<'_> {
    match col {
        Column::Numeric(v) if v[i].is_nan() => Cell::Missing,
        Column::Numeric(v) => Cell::Number(v[i]),
        Column::Categorical(v) => v[i].as_deref().map_or(Cell::Missing, Cell::Text),
        Column::Boolean(v) => match v[i] {
            None => Cell::Missing,
            Some(true) => Cell::Text("true"),
            Some(false) => Cell::Text("false"),
        },
    }
}

impl Categories {
    pub(super) fn learn(col: &Column) -> Categories {
        let missing = col.n_missing() > 0;
        let values = match col {
            Column::Numeric(v) => {
                let mut u: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                u.sort_unstable_by(f64::total_cmp);
                u.dedup();
                Values::Number(u)
            }
            _ => {
                let mut u: Vec<String> = (0..col.len()).filter_map(|i| col.text(i)).collect();
                u.sort_unstable();
                u.dedup();
                Values::Text(u)
            }
        };
        Categories { values, missing }
    }

    /// Number of categories (missing included).
    pub(super) fn len(&self) -> usize {
        let n = match &self.values {
            Values::Number(v) => v.len(),
            Values::Text(v) => v.len(),
        };
        n + usize::from(self.missing)
    }

    /// The index of a cell's category, `None` when unknown.
    pub(super) fn index(&self, c: &Cell<'_>) -> Option<usize> {
        match (c, &self.values) {
            (Cell::Missing, _) => self.missing.then(|| self.len() - 1),
            (Cell::Number(x), Values::Number(v)) => v.binary_search_by(|a| a.total_cmp(x)).ok(),
            (Cell::Text(t), Values::Text(v)) => v.binary_search_by(|a| a.as_str().cmp(t)).ok(),
            _ => None,
        }
    }

    /// Category `k` as text (scikit-learn's spelling: `1.0`, `nan`).
    fn name(&self, k: usize) -> String {
        match &self.values {
            Values::Number(v) if k < v.len() => py_float(v[k]),
            Values::Text(v) if k < v.len() => v[k].clone(),
            _ => "nan".to_string(),
        }
    }

    /// Every category as text.
    pub(super) fn names(&self) -> Vec<String> {
        (0..self.len()).map(|k| self.name(k)).collect()
    }

    pub(super) fn is_valid(&self) -> bool {
        match &self.values {
            Values::Number(v) => {
                v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] < w[1])
            }
            Values::Text(v) => v.windows(2).all(|w| w[0] < w[1]),
        }
    }
}

/// `v` as Python's `repr(float)` writes it (`1.0`, `0.25`, `1e-05`,
/// `1e+16`), so feature names match scikit-learn's.
pub(crate) fn py_float(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let a = v.abs();
    if a == 0.0 || (1e-4..1e16).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        // Rust: 1e-5 / 1e16; Python: 1e-05 / 1e+16.
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

/// Reads the columns seen at fit from `table` by name, checking their types.
pub(super) fn fitted_columns<'t>(
    table: &'t Table,
    names: &[String],
    types: &[ColumnType],
) -> Result<Vec<&'t Column>> {
    names
        .iter()
        .zip(types)
        .map(|(name, &ty)| {
            let col = table.column(name).ok_or_else(|| {
                Error::invalid(
                    "columns",
                    format!(
                        "column {name:?} seen at fit is missing; columns are {:?}",
                        table.names()
                    ),
                )
            })?;
            // Numeric and boolean columns keep their kind of categories.
            if col.column_type() != ty {
                return Err(Error::ColumnType {
                    column: name.clone(),
                    expected: ty.name(),
                    found: col.column_type().name(),
                });
            }
            Ok(col)
        })
        .collect()
}

/// The table of a matrix, named as the columns seen at fit.
pub(super) fn named_matrix(x: ArrayView2<'_, f64>, names: &[String]) -> Result<Table> {
    if x.ncols() != names.len() {
        return Err(Error::ShapeMismatch {
            what: "x features",
            expected: vec![usize::MAX, names.len()],
            got: x.shape().to_vec(),
        });
    }
    if let Some(((i, j), _)) = x.indexed_iter().find(|(_, v)| v.is_infinite()) {
        return Err(Error::NonFinite {
            what: "x",
            index: vec![i, j],
        });
    }
    let t = matrix_table(x);
    Table::new(
        names
            .iter()
            .cloned()
            .zip(t.columns().iter().cloned())
            .collect(),
    )
}

pub(super) fn check_fit_table(table: &Table) -> Result<()> {
    if table.n_rows() == 0 || table.n_columns() == 0 {
        return Err(Error::EmptyInput {
            what: "table (no rows or no columns)",
        });
    }
    for (j, (_, c)) in table.iter().enumerate() {
        if let Some(v) = c.as_numeric()
            && let Some(i) = v.iter().position(|x| x.is_infinite())
        {
            return Err(Error::NonFinite {
                what: "x",
                index: vec![i, j],
            });
        }
    }
    Ok(())
}

fn unknown(table: &Table, row: usize, column: &str, c: &Cell<'_>) -> Error {
    let (source_name, location) = table.cell_location(row, column);
    Error::UnknownCategory {
        category: match c {
            Cell::Missing => "<missing>".to_string(),
            Cell::Number(x) => py_float(*x),
            Cell::Text(t) => t.to_string(),
        },
        source_name,
        location,
    }
}

/// What a [`OneHotEncoder`] does with a category not seen at fit.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::HandleUnknown;
/// assert_eq!(HandleUnknown::default(), HandleUnknown::Error);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleUnknown {
    /// [`Error::UnknownCategory`] naming the cell.
    #[default]
    Error,
    /// All zeros for that feature.
    Ignore,
    /// The feature's infrequent column if it has one, else all zeros.
    InfrequentIfExist,
}

/// Which one-hot column per feature a [`OneHotEncoder`] drops.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::DropCategory;
/// assert_eq!(DropCategory::default(), DropCategory::None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropCategory {
    /// Keep every column.
    #[default]
    None,
    /// Drop the column of each feature's first category.
    First,
    /// Drop the first category's column of features with exactly two columns.
    IfBinary,
}

/// A threshold below which a category is infrequent.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::MinFrequency;
/// assert_eq!(MinFrequency::Count(5).threshold(100), 5.0);
/// assert_eq!(MinFrequency::Fraction(0.1).threshold(200), 20.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinFrequency {
    /// Fewer than this many rows.
    Count(usize),
    /// Fewer than this fraction of the rows (`0 < f < 1`).
    Fraction(f64),
}

impl MinFrequency {
    /// The row count below which a category is infrequent, for `n_rows` rows.
    pub fn threshold(self, n_rows: usize) -> f64 {
        match self {
            MinFrequency::Count(c) => c as f64,
            MinFrequency::Fraction(f) => f * n_rows as f64,
        }
    }
}

/// Encodes each categorical feature as one 0/1 column per category.
///
/// As scikit-learn's `OneHotEncoder(sparse_output=False)`: categories sorted
/// per feature (a missing value seen at fit is the last category, `nan`);
/// rare categories can be grouped into one "infrequent" column per feature
/// ([`min_frequency`](Self::min_frequency),
/// [`max_categories`](Self::max_categories)), placed after the frequent ones
/// and named `<feature>_infrequent_sklearn`; unknown categories at transform
/// follow [`handle_unknown`](Self::handle_unknown); [`drop`](Self::drop)
/// removes a column per feature (the dropped category encodes as all zeros).
///
/// # Example
/// ```
/// use oxilearn::data::{Column, Table};
/// use oxilearn::preprocessing::{HandleUnknown, OneHotEncoder};
///
/// let t = Table::new(vec![("island".into(), Column::categorical(["Dream", "Biscoe", "Dream"]))])?;
/// let enc = OneHotEncoder::new().handle_unknown(HandleUnknown::Ignore).fit_table(&t)?;
/// assert_eq!(enc.feature_names_out(), ["island_Biscoe", "island_Dream"]);
/// let x = enc.transform_table(&t)?;
/// assert_eq!(x.row(0).to_vec(), [0.0, 1.0]);
/// let other = Table::new(vec![("island".into(), Column::categorical(["Torgersen"]))])?;
/// assert_eq!(enc.transform_table(&other)?.row(0).to_vec(), [0.0, 0.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    pub(crate) handle_unknown: HandleUnknown,
    pub(crate) min_frequency: Option<MinFrequency>,
    pub(crate) max_categories: Option<usize>,
    pub(crate) drop: DropCategory,
}

impl OneHotEncoder {
    /// scikit-learn's defaults: unknown categories are errors, no grouping,
    /// nothing dropped.
    pub fn new() -> Self {
        Self::default()
    }

    /// What to do with unknown categories. Default [`HandleUnknown::Error`].
    pub fn handle_unknown(mut self, h: HandleUnknown) -> Self {
        self.handle_unknown = h;
        self
    }

    /// Categories rarer than this are infrequent. Default `None`.
    pub fn min_frequency(mut self, f: MinFrequency) -> Self {
        self.min_frequency = Some(f);
        self
    }

    /// At most this many output columns per feature, the infrequent column
    /// included (`≥ 1`). Default `None` (no limit).
    pub fn max_categories(mut self, n: usize) -> Self {
        self.max_categories = Some(n);
        self
    }

    /// Which column to drop per feature. Default [`DropCategory::None`].
    pub fn drop(mut self, d: DropCategory) -> Self {
        self.drop = d;
        self
    }

    fn check(&self) -> Result<()> {
        if let Some(MinFrequency::Fraction(f)) = self.min_frequency
            && !(f > 0.0 && f < 1.0)
        {
            return Err(Error::invalid(
                "min_frequency",
                format!("a fraction must be in (0, 1), got {f}"),
            ));
        }
        if self.max_categories == Some(0) {
            return Err(Error::invalid("max_categories", "must be >= 1, got 0"));
        }
        Ok(())
    }

    /// Learns the categories of each column of a numeric matrix (NaN =
    /// missing); features are named `x0, x1, …`.
    ///
    /// # Errors
    /// As [`fit_table`](Self::fit_table).
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedOneHotEncoder> {
        self.fit_table(&matrix_table(x))
    }

    /// Learns the categories of each column of `table`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad `min_frequency` or
    /// `max_categories`; [`Error::EmptyInput`] without rows or columns;
    /// [`Error::NonFinite`] on ±inf.
    pub fn fit_table(&self, table: &Table) -> Result<FittedOneHotEncoder> {
        self.check()?;
        check_fit_table(table)?;
        let mut features = Vec::with_capacity(table.n_columns());
        for (_, col) in table.iter() {
            let cats = Categories::learn(col);
            let mut counts = vec![0usize; cats.len()];
            for i in 0..col.len() {
                if let Some(k) = cats.index(&cell(col, i)) {
                    counts[k] += 1;
                }
            }
            let infrequent = self.infrequent(&counts, table.n_rows());
            let mut f = OneHotFeature {
                cats,
                infrequent,
                drop: None,
            };
            f.drop = match self.drop {
                DropCategory::None => None,
                DropCategory::First => Some(f.output_of(0)),
                DropCategory::IfBinary => (f.n_outputs() == 2).then(|| f.output_of(0)),
            };
            features.push(f);
        }
        Ok(FittedOneHotEncoder {
            params: *self,
            names: table.names().to_vec(),
            types: table.column_types(),
            features,
        })
    }

    /// The infrequent categories of a feature with these counts (sorted).
    fn infrequent(&self, counts: &[usize], n_rows: usize) -> Vec<usize> {
        let mut mask = vec![false; counts.len()];
        if let Some(mf) = self.min_frequency {
            let t = mf.threshold(n_rows);
            for (m, &c) in mask.iter_mut().zip(counts) {
                *m = (c as f64) < t;
            }
        }
        let n_infrequent = mask.iter().filter(|m| **m).count();
        let n_current = counts.len() - n_infrequent + 1;
        if let Some(max) = self.max_categories
            && max < n_current
        {
            let keep = max - 1;
            if keep == 0 {
                mask.iter_mut().for_each(|m| *m = true);
            } else {
                // Stable ascending sort by count: among ties the smaller
                // categories become infrequent first (scikit-learn's mergesort).
                let mut order: Vec<usize> = (0..counts.len()).collect();
                order.sort_by_key(|&k| counts[k]);
                for &k in &order[..order.len().saturating_sub(keep)] {
                    mask[k] = true;
                }
            }
        }
        (0..counts.len()).filter(|&k| mask[k]).collect()
    }
}

/// The fitted encoding of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OneHotFeature {
    cats: Categories,
    /// Infrequent categories (sorted); empty when none.
    infrequent: Vec<usize>,
    /// The output column (within the feature) that is dropped.
    drop: Option<usize>,
}

impl OneHotFeature {
    /// Number of output columns before dropping.
    fn n_outputs(&self) -> usize {
        self.cats.len() - self.infrequent.len() + usize::from(!self.infrequent.is_empty())
    }

    /// The output column (before dropping) of category `k`.
    fn output_of(&self, k: usize) -> usize {
        if self.infrequent.binary_search(&k).is_ok() {
            return self.n_outputs() - 1;
        }
        k - self.infrequent.iter().filter(|&&j| j < k).count()
    }

    /// Output names (before dropping) of feature `name`.
    fn output_names(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = (0..self.cats.len())
            .filter(|k| self.infrequent.binary_search(k).is_err())
            .map(|k| format!("{name}_{}", self.cats.name(k)))
            .collect();
        if !self.infrequent.is_empty() {
            out.push(format!("{name}_infrequent_sklearn"));
        }
        out
    }

    /// Output width after dropping.
    fn width(&self) -> usize {
        self.n_outputs() - usize::from(self.drop.is_some())
    }
}

/// A fitted [`OneHotEncoder`].
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedOneHotEncoder;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{DropCategory, OneHotEncoder};
///
/// let x = array![[1.0], [2.0], [1.0]];
/// let enc = OneHotEncoder::new().drop(DropCategory::First).fit(x.view())?;
/// assert_eq!(enc.feature_names_out(), ["x0_2.0"]);
/// assert_eq!(enc.transform(x.view())?, array![[0.0], [1.0], [0.0]]);
/// assert_eq!(enc.categories(0), ["1.0", "2.0"]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-onehot-{}.safetensors", std::process::id()));
/// enc.save(&path)?;
/// let back = FittedOneHotEncoder::load(&path)?;
/// assert_eq!(back, enc);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedOneHotEncoder {
    params: OneHotEncoder,
    names: Vec<String>,
    types: Vec<ColumnType>,
    features: Vec<OneHotFeature>,
}

impl FittedOneHotEncoder {
    /// The same encoder with other input names (for names out).
    pub(crate) fn renamed(&self, names: &[String]) -> Self {
        FittedOneHotEncoder {
            names: names.to_vec(),
            ..self.clone()
        }
    }

    /// Number of input columns.
    pub fn n_features_in(&self) -> usize {
        self.names.len()
    }

    /// Number of output columns.
    pub fn n_features_out(&self) -> usize {
        self.features.iter().map(OneHotFeature::width).sum()
    }

    /// Input column names seen at fit.
    pub fn feature_names_in(&self) -> &[String] {
        &self.names
    }

    /// The categories of input column `j` as text (scikit-learn's
    /// `categories_[j]`).
    ///
    /// # Panics
    /// If `j >= n_features_in()`.
    pub fn categories(&self, j: usize) -> Vec<String> {
        self.features[j].cats.names()
    }

    /// The infrequent categories of input column `j` as text (empty when
    /// none).
    ///
    /// # Panics
    /// If `j >= n_features_in()`.
    pub fn infrequent_categories(&self, j: usize) -> Vec<String> {
        let f = &self.features[j];
        f.infrequent.iter().map(|&k| f.cats.name(k)).collect()
    }

    /// Output column names: `<feature>_<category>`.
    pub fn feature_names_out(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.n_features_out());
        for (f, name) in self.features.iter().zip(&self.names) {
            for (c, n) in f.output_names(name).into_iter().enumerate() {
                if f.drop != Some(c) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// One-hot encodes a numeric matrix with the columns seen at fit.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another column count; otherwise as
    /// [`transform_table`](Self::transform_table).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.transform_table(&named_matrix(x, &self.names)?)
    }

    /// One-hot encodes the columns seen at fit (found by name) of `table`.
    ///
    /// # Errors
    /// [`Error::UnknownCategory`] naming the file, line and column of an
    /// unknown category (with [`HandleUnknown::Error`]);
    /// [`Error::InvalidParameter`] (`"columns"`) for a missing column;
    /// [`Error::ColumnType`] for a column of another type than at fit.
    pub fn transform_table(&self, table: &Table) -> Result<Array2<f64>> {
        let cols = fitted_columns(table, &self.names, &self.types)?;
        let mut out = Array2::zeros((table.n_rows(), self.n_features_out()));
        let mut offset = 0;
        for ((f, col), name) in self.features.iter().zip(cols).zip(&self.names) {
            for i in 0..table.n_rows() {
                let c = cell(col, i);
                let slot = match f.cats.index(&c) {
                    Some(k) => Some(f.output_of(k)),
                    None => match self.params.handle_unknown {
                        HandleUnknown::Error => return Err(unknown(table, i, name, &c)),
                        HandleUnknown::Ignore => None,
                        HandleUnknown::InfrequentIfExist => {
                            (!f.infrequent.is_empty()).then(|| f.n_outputs() - 1)
                        }
                    },
                };
                if let Some(s) = slot
                    && f.drop != Some(s)
                {
                    let s = if f.drop.is_some_and(|d| d < s) {
                        s - 1
                    } else {
                        s
                    };
                    out[[i, offset + s]] = 1.0;
                }
            }
            offset += f.width();
        }
        Ok(out)
    }
}

/// What an encoder stores in its model file's metadata.
#[derive(Serialize, Deserialize)]
struct EncoderState<P, F> {
    params: P,
    names: Vec<String>,
    types: Vec<String>,
    features: Vec<F>,
}

pub(super) fn parse_types(types: &[String], file: &ModelFile) -> Result<Vec<ColumnType>> {
    types
        .iter()
        .enumerate()
        .map(|(j, t)| {
            parse_type(t).ok_or_else(|| {
                file.format_error_at(
                    format!("hyperparameter `types` at index [{j}]"),
                    format!("unknown column type {t:?}"),
                )
            })
        })
        .collect()
}

impl Persist for FittedOneHotEncoder {
    const KIND: &'static str = "OneHotEncoder";

    fn to_model_file(&self) -> Result<ModelFile> {
        let state = EncoderState {
            params: self.params,
            names: self.names.clone(),
            types: self.types.iter().map(|t| t.name().to_string()).collect(),
            features: self.features.clone(),
        };
        ModelFile::new(Self::KIND, "none")
            .with_n_features(self.names.len())
            .with_hyperparameters(&state)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let n = file.n_features()?;
        let s: EncoderState<OneHotEncoder, OneHotFeature> = file.hyperparameters()?;
        let bad = |r: &str| file.format_error(r.to_string());
        if n == 0 || s.names.len() != n || s.types.len() != n || s.features.len() != n {
            return Err(bad(
                "names, types and features must have one entry per feature",
            ));
        }
        let types = parse_types(&s.types, &file)?;
        file.check_hyperparameters(s.params.check())?;
        for (j, f) in s.features.iter().enumerate() {
            let sorted = f.infrequent.windows(2).all(|w| w[0] < w[1]);
            if !f.cats.is_valid()
                || f.cats.len() == 0
                || !sorted
                || f.infrequent.iter().any(|&k| k >= f.cats.len())
                || f.drop.is_some_and(|d| d >= f.n_outputs())
            {
                return Err(file.format_error_at(
                    format!("hyperparameter `features` at index [{j}]"),
                    "invalid categories, infrequent set or dropped column",
                ));
            }
        }
        Ok(FittedOneHotEncoder {
            params: s.params,
            names: s.names,
            types,
            features: s.features,
        })
    }
}

/// What an [`OrdinalEncoder`] does with a category not seen at fit.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::OrdinalUnknown;
/// assert_eq!(OrdinalUnknown::default(), OrdinalUnknown::Error);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrdinalUnknown {
    /// [`Error::UnknownCategory`] naming the cell.
    #[default]
    Error,
    /// This code (scikit-learn's `unknown_value` with
    /// `handle_unknown="use_encoded_value"`; NaN allowed).
    UseEncodedValue(#[serde(with = "nan_null")] f64),
}

/// Encodes each categorical feature as one column of category codes
/// `0 … n_categories − 1`.
///
/// As scikit-learn's `OrdinalEncoder`: categories sorted per feature; a
/// missing value is encoded as [`encoded_missing_value`](Self::encoded_missing_value)
/// (default NaN); unknown categories at transform follow
/// [`handle_unknown`](Self::handle_unknown).
///
/// # Example
/// ```
/// use oxilearn::data::{Column, Table};
/// use oxilearn::preprocessing::{OrdinalEncoder, OrdinalUnknown};
///
/// let t = Table::new(vec![("size".into(), Column::categorical_opt([Some("M"), Some("L"), None]))])?;
/// let enc = OrdinalEncoder::new().handle_unknown(OrdinalUnknown::UseEncodedValue(-1.0)).fit_table(&t)?;
/// let x = enc.transform_table(&t)?;
/// assert_eq!((x[[0, 0]], x[[1, 0]]), (1.0, 0.0));
/// assert!(x[[2, 0]].is_nan());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrdinalEncoder {
    pub(crate) handle_unknown: OrdinalUnknown,
    #[serde(with = "nan_null")]
    pub(crate) encoded_missing_value: f64,
}

impl Default for OrdinalEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl OrdinalEncoder {
    /// scikit-learn's defaults: unknown categories are errors, missing
    /// values encode as NaN.
    pub fn new() -> Self {
        OrdinalEncoder {
            handle_unknown: OrdinalUnknown::Error,
            encoded_missing_value: f64::NAN,
        }
    }

    /// What to do with unknown categories. Default [`OrdinalUnknown::Error`].
    pub fn handle_unknown(mut self, h: OrdinalUnknown) -> Self {
        self.handle_unknown = h;
        self
    }

    /// The code of a missing value. Default NaN.
    pub fn encoded_missing_value(mut self, v: f64) -> Self {
        self.encoded_missing_value = v;
        self
    }

    fn check(&self, n_categories: usize) -> Result<()> {
        if let OrdinalUnknown::UseEncodedValue(u) = self.handle_unknown
            && u >= 0.0
            && u < n_categories as f64
            && u.fract() == 0.0
        {
            return Err(Error::invalid(
                "handle_unknown",
                format!("the unknown value {u} is also the code of a known category"),
            ));
        }
        Ok(())
    }

    /// Learns the categories of each column of a numeric matrix (NaN =
    /// missing).
    ///
    /// # Errors
    /// As [`fit_table`](Self::fit_table).
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedOrdinalEncoder> {
        self.fit_table(&matrix_table(x))
    }

    /// Learns the categories of each column of `table`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns; [`Error::NonFinite`]
    /// on ±inf; [`Error::InvalidParameter`] (`"handle_unknown"`) when the
    /// unknown value is a category's code.
    pub fn fit_table(&self, table: &Table) -> Result<FittedOrdinalEncoder> {
        check_fit_table(table)?;
        let cats: Vec<Categories> = table.columns().iter().map(Categories::learn).collect();
        for c in &cats {
            self.check(c.len() - usize::from(c.missing))?;
        }
        Ok(FittedOrdinalEncoder {
            params: *self,
            names: table.names().to_vec(),
            types: table.column_types(),
            cats,
        })
    }
}

/// A fitted [`OrdinalEncoder`].
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedOrdinalEncoder;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::OrdinalEncoder;
///
/// let enc = OrdinalEncoder::new().fit(array![[10.0], [5.0]].view())?;
/// assert_eq!(enc.transform(array![[5.0], [10.0]].view())?, array![[0.0], [1.0]]);
/// assert!(enc.transform(array![[7.0]].view()).is_err());
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ordinal-{}.safetensors", std::process::id()));
/// enc.save(&path)?;
/// let back = FittedOrdinalEncoder::load(&path)?;
/// assert_eq!(back.transform(array![[10.0]].view())?, array![[1.0]]);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedOrdinalEncoder {
    params: OrdinalEncoder,
    names: Vec<String>,
    types: Vec<ColumnType>,
    cats: Vec<Categories>,
}

impl FittedOrdinalEncoder {
    /// Number of input (and output) columns.
    pub fn n_features_in(&self) -> usize {
        self.names.len()
    }

    /// The categories of input column `j` as text (a missing value seen at
    /// fit is the last, `nan`).
    ///
    /// # Panics
    /// If `j >= n_features_in()`.
    pub fn categories(&self, j: usize) -> Vec<String> {
        self.cats[j].names()
    }

    /// Output column names: the input names.
    pub fn feature_names_out(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Encodes a numeric matrix with the columns seen at fit.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another column count; otherwise as
    /// [`transform_table`](Self::transform_table).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.transform_table(&named_matrix(x, &self.names)?)
    }

    /// Encodes the columns seen at fit (found by name) of `table`.
    ///
    /// # Errors
    /// [`Error::UnknownCategory`] naming the cell of an unknown category
    /// (with [`OrdinalUnknown::Error`]); [`Error::InvalidParameter`]
    /// (`"columns"`) for a missing column; [`Error::ColumnType`] for a column
    /// of another type than at fit.
    pub fn transform_table(&self, table: &Table) -> Result<Array2<f64>> {
        let cols = fitted_columns(table, &self.names, &self.types)?;
        let mut out = Array2::zeros((table.n_rows(), self.names.len()));
        for (j, (cats, col)) in self.cats.iter().zip(cols).enumerate() {
            for i in 0..table.n_rows() {
                let c = cell(col, i);
                out[[i, j]] = match (&c, cats.index(&c)) {
                    (Cell::Missing, _) => self.params.encoded_missing_value,
                    (_, Some(k)) => k as f64,
                    (_, None) => match self.params.handle_unknown {
                        OrdinalUnknown::Error => return Err(unknown(table, i, &self.names[j], &c)),
                        OrdinalUnknown::UseEncodedValue(u) => u,
                    },
                };
            }
        }
        Ok(out)
    }
}

impl Persist for FittedOrdinalEncoder {
    const KIND: &'static str = "OrdinalEncoder";

    fn to_model_file(&self) -> Result<ModelFile> {
        let state = EncoderState {
            params: self.params,
            names: self.names.clone(),
            types: self.types.iter().map(|t| t.name().to_string()).collect(),
            features: self.cats.clone(),
        };
        ModelFile::new(Self::KIND, "none")
            .with_n_features(self.names.len())
            .with_hyperparameters(&state)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let n = file.n_features()?;
        let s: EncoderState<OrdinalEncoder, Categories> = file.hyperparameters()?;
        let bad = |r: &str| file.format_error(r.to_string());
        if n == 0 || s.names.len() != n || s.types.len() != n || s.features.len() != n {
            return Err(bad(
                "names, types and categories must have one entry per feature",
            ));
        }
        for (j, c) in s.features.iter().enumerate() {
            if !c.is_valid() || c.len() == 0 {
                return Err(file.format_error_at(
                    format!("hyperparameter `features` at index [{j}]"),
                    "categories must be non-empty, sorted, distinct and finite",
                ));
            }
            // The same check as `fit`: the unknown code is no known code.
            file.check_hyperparameters(s.params.check(c.len() - usize::from(c.missing)))?;
        }
        let types = parse_types(&s.types, &file)?;
        Ok(FittedOrdinalEncoder {
            params: s.params,
            names: s.names,
            types,
            cats: s.features,
        })
    }
}

/// Serde for an `f64` that may be NaN (JSON has no NaN: it is written as
/// `null`).
mod nan_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_some(v)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    const NAN: f64 = f64::NAN;

    // Reference values, in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np; from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
    // X = np.array([['b', 1.0], ['a', 2.0], ['c', 1.0], ['a', np.nan], ['b', 3.0], ['a', 1.0], ['d', 2.0]], dtype=object)
    // X[:, 1] = X[:, 1].astype(float)
    // e = OneHotEncoder(sparse_output=False).fit(X); print(e.get_feature_names_out(['s', 'n']).tolist()); print(e.transform(X).tolist())
    // e = OneHotEncoder(sparse_output=False, min_frequency=2, handle_unknown='infrequent_if_exist').fit(X)
    // print(e.infrequent_categories_, e.get_feature_names_out(['s', 'n']).tolist())
    // T = np.array([['z', 2.0], ['c', 5.0]], dtype=object); print(e.transform(T).tolist())
    // e = OneHotEncoder(sparse_output=False, max_categories=2).fit(X); print(e.get_feature_names_out(['s', 'n']).tolist())
    // e = OneHotEncoder(sparse_output=False, drop='first').fit(X); print(e.get_feature_names_out(['s', 'n']).tolist()); print(e.transform(X[:2]).tolist())
    // B = np.array([['y', 'p'], ['n', 'p'], ['y', 'q'], ['y', 'r']], dtype=object)
    // e = OneHotEncoder(sparse_output=False, drop='if_binary').fit(B); print(e.get_feature_names_out(['a', 'b']).tolist(), e.transform(B).tolist())
    // print(OneHotEncoder(sparse_output=False, handle_unknown='ignore').fit(X).transform(T).tolist())
    // print(OrdinalEncoder().fit(X).transform(X).tolist())
    // o = OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1, encoded_missing_value=-2).fit(X)
    // print(o.transform(np.array([['z', np.nan], ['a', 7.0]], dtype=object)).tolist())"
    fn table() -> Table {
        Table::new(vec![
            (
                "s".into(),
                Column::categorical(["b", "a", "c", "a", "b", "a", "d"]),
            ),
            (
                "n".into(),
                Column::Numeric(array![1.0, 2.0, 1.0, NAN, 3.0, 1.0, 2.0]),
            ),
        ])
        .unwrap()
    }

    fn unseen() -> Table {
        Table::new(vec![
            ("s".into(), Column::categorical(["z", "c"])),
            ("n".into(), Column::Numeric(array![2.0, 5.0])),
        ])
        .unwrap()
    }

    #[test]
    fn one_hot_matches_sklearn() {
        let t = table();
        let e = OneHotEncoder::new().fit_table(&t).unwrap();
        assert_eq!(
            e.feature_names_out(),
            [
                "s_a", "s_b", "s_c", "s_d", "n_1.0", "n_2.0", "n_3.0", "n_nan"
            ]
        );
        let want = array![
            [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0]
        ];
        assert_eq!(e.transform_table(&t).unwrap(), want);

        let inf = OneHotEncoder::new()
            .min_frequency(MinFrequency::Count(2))
            .handle_unknown(HandleUnknown::InfrequentIfExist)
            .fit_table(&t)
            .unwrap();
        assert_eq!(
            (inf.infrequent_categories(0), inf.infrequent_categories(1)),
            (
                vec!["c".to_string(), "d".into()],
                vec!["3.0".to_string(), "nan".into()]
            )
        );
        assert_eq!(
            inf.feature_names_out(),
            [
                "s_a",
                "s_b",
                "s_infrequent_sklearn",
                "n_1.0",
                "n_2.0",
                "n_infrequent_sklearn"
            ]
        );
        assert_eq!(
            inf.transform_table(&unseen()).unwrap(),
            array![
                [0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
            ]
        );
        let max = OneHotEncoder::new()
            .max_categories(2)
            .fit_table(&t)
            .unwrap();
        assert_eq!(
            max.feature_names_out(),
            [
                "s_a",
                "s_infrequent_sklearn",
                "n_1.0",
                "n_infrequent_sklearn"
            ]
        );
        let first = OneHotEncoder::new()
            .drop(DropCategory::First)
            .fit_table(&t)
            .unwrap();
        assert_eq!(
            first.feature_names_out(),
            ["s_b", "s_c", "s_d", "n_2.0", "n_3.0", "n_nan"]
        );
        assert_eq!(
            first.transform_table(&t.select_rows(&[0, 1])).unwrap(),
            array![
                [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
            ]
        );
        let b = Table::new(vec![
            ("a".into(), Column::categorical(["y", "n", "y", "y"])),
            ("b".into(), Column::categorical(["p", "p", "q", "r"])),
        ])
        .unwrap();
        let bin = OneHotEncoder::new()
            .drop(DropCategory::IfBinary)
            .fit_table(&b)
            .unwrap();
        assert_eq!(bin.feature_names_out(), ["a_y", "b_p", "b_q", "b_r"]);
        assert_eq!(
            bin.transform_table(&b).unwrap(),
            array![
                [1.0, 1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [1.0, 0.0, 1.0, 0.0],
                [1.0, 0.0, 0.0, 1.0]
            ]
        );
        let ign = OneHotEncoder::new()
            .handle_unknown(HandleUnknown::Ignore)
            .fit_table(&t)
            .unwrap();
        assert_eq!(
            ign.transform_table(&unseen()).unwrap(),
            array![
                [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            ]
        );
    }

    #[test]
    fn unknown_categories_name_the_cell() {
        let e = OneHotEncoder::new().fit_table(&table()).unwrap();
        let err = e.transform_table(&unseen()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown category \"z\" in table at row 0, column \"s\""
        );
        let t = crate::data::CsvReader::new()
            .parse("s,n\nc,1\na,9\n".as_bytes(), "new.csv")
            .unwrap();
        let err = e.transform_table(&t).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownCategory { category, source_name, location }
                if category == "9.0" && source_name == "new.csv" && location == "line 3, column \"n\""),
            "{err}"
        );
        let o = OrdinalEncoder::new().fit_table(&table()).unwrap();
        assert!(matches!(
            o.transform_table(&unseen()),
            Err(Error::UnknownCategory { .. })
        ));
        // Missing or retyped columns.
        let only_s = table().select_columns(&["s"]).unwrap();
        assert!(matches!(
            e.transform_table(&only_s),
            Err(Error::InvalidParameter { .. })
        ));
        let retyped = Table::new(vec![
            ("s".into(), Column::Numeric(array![1.0])),
            ("n".into(), Column::Numeric(array![1.0])),
        ])
        .unwrap();
        assert!(matches!(
            e.transform_table(&retyped),
            Err(Error::ColumnType { .. })
        ));
    }

    #[test]
    fn ordinal_matches_sklearn() {
        let t = table();
        let o = OrdinalEncoder::new().fit_table(&t).unwrap();
        assert_eq!(o.categories(1), ["1.0", "2.0", "3.0", "nan"]);
        let got = o.transform_table(&t).unwrap();
        let want = array![
            [1.0, 0.0],
            [0.0, 1.0],
            [2.0, 0.0],
            [0.0, NAN],
            [1.0, 2.0],
            [0.0, 0.0],
            [3.0, 1.0]
        ];
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan())),
            "{got}"
        );
        let u = OrdinalEncoder::new()
            .handle_unknown(OrdinalUnknown::UseEncodedValue(-1.0))
            .encoded_missing_value(-2.0)
            .fit_table(&t)
            .unwrap();
        let q = Table::new(vec![
            ("s".into(), Column::categorical(["z", "a"])),
            ("n".into(), Column::Numeric(array![NAN, 7.0])),
        ])
        .unwrap();
        assert_eq!(
            u.transform_table(&q).unwrap(),
            array![[-1.0, -2.0], [0.0, -1.0]]
        );
        assert!(matches!(
            OrdinalEncoder::new()
                .handle_unknown(OrdinalUnknown::UseEncodedValue(1.0))
                .fit_table(&t),
            Err(Error::InvalidParameter {
                name: "handle_unknown",
                ..
            })
        ));
    }

    #[test]
    fn matrices_parameters_and_persistence() {
        let x = array![[1.0, 0.5], [2.0, 0.5], [1.0, 1e-5]];
        let e = OneHotEncoder::new().fit(x.view()).unwrap();
        assert_eq!(
            e.feature_names_out(),
            ["x0_1.0", "x0_2.0", "x1_1e-05", "x1_0.5"]
        );
        assert!(matches!(
            e.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            OneHotEncoder::new()
                .min_frequency(MinFrequency::Fraction(1.5))
                .fit(x.view()),
            Err(Error::InvalidParameter {
                name: "min_frequency",
                ..
            })
        ));
        assert!(matches!(
            OneHotEncoder::new().max_categories(0).fit(x.view()),
            Err(Error::InvalidParameter {
                name: "max_categories",
                ..
            })
        ));
        assert!(matches!(
            OneHotEncoder::new().fit(Array2::zeros((0, 1)).view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            OneHotEncoder::new().fit(array![[f64::INFINITY]].view()),
            Err(Error::NonFinite { .. })
        ));
        let inf = OneHotEncoder::new()
            .max_categories(2)
            .drop(DropCategory::First)
            .handle_unknown(HandleUnknown::InfrequentIfExist)
            .fit_table(&table())
            .unwrap();
        let back = FittedOneHotEncoder::from_bytes(&inf.to_bytes().unwrap()).unwrap();
        assert_eq!(back, inf);
        let o = OrdinalEncoder::new().fit_table(&table()).unwrap();
        let back = FittedOrdinalEncoder::from_bytes(&o.to_bytes().unwrap()).unwrap();
        assert_eq!(back.categories(0), o.categories(0));
        // NaN codes survive the JSON metadata.
        assert!(back.transform_table(&table()).unwrap()[[3, 1]].is_nan());
        let u = OrdinalEncoder::new()
            .handle_unknown(OrdinalUnknown::UseEncodedValue(f64::NAN))
            .fit_table(&table())
            .unwrap();
        let back = FittedOrdinalEncoder::from_bytes(&u.to_bytes().unwrap()).unwrap();
        assert!(back.transform_table(&unseen()).unwrap()[[0, 0]].is_nan());
        assert!(matches!(
            FittedOrdinalEncoder::from_bytes(&inf.to_bytes().unwrap()),
            Err(Error::WrongModelKind { .. })
        ));
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(-2.5), "-2.5");
        assert_eq!(py_float(0.0001), "0.0001");
    }
}
